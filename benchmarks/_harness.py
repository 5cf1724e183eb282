"""What the benchmark scripts share: one measured case per child process.

Each script runs itself again with ``--case ...`` for every side (ours and the peer), so
that imports, caches and peak memory (``ru_maxrss``) belong to that side alone; the child
prints one JSON line, the parent collects it.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
from typing import Any


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
