"""What the benchmark scripts share: one measured case per child process.

Each script runs itself again with ``--case ...`` for every side (ours and the peer), so
that imports, caches and peak memory (``ru_maxrss``) belong to that side alone; the child
prints one JSON line, the parent collects it.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

#: Where every benchmark writes ``<name>.json``.
RESULTS_DIR = Path(__file__).resolve().parent / "results"

#: The real reference data: ``HOTSPOTS_DATA_DIR``, else ``../shared/data`` beside the project.
DATA_DIR = Path(
    os.environ.get("HOTSPOTS_DATA_DIR") or Path(__file__).resolve().parents[2] / "shared" / "data"
)


def peak_mb() -> float:
    """Peak resident memory of this process so far, in MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_child(
    script: str, *args: object, env: dict[str, str] | None = None, check: bool = True
) -> dict[str, Any]:
    """Run ``python script *args`` and return the JSON object on its last output line.

    With ``check=False`` a failing child gives ``{"seconds": nan, "peak_mb": nan,
    "error": <end of stderr>}`` instead of raising.
    """
    cmd = [sys.executable, script, *map(str, args)]
    res = subprocess.run(cmd, capture_output=True, text=True, check=check, env=env)
    if res.returncode != 0:
        return {"seconds": float("nan"), "peak_mb": float("nan"), "error": res.stderr[-300:]}
    return dict(json.loads(res.stdout.strip().splitlines()[-1]))


def write_results(name: str, result: Mapping[str, Any]) -> Path:
    """Write ``result`` to ``results/<name>.json`` and say so; numpy scalars become numbers."""

    def plain(value: Any) -> Any:
        return value.item() if hasattr(value, "item") else str(value)

    path = RESULTS_DIR / f"{name}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=2, default=plain) + "\n")
    print(f"wrote {path}")
    return path
