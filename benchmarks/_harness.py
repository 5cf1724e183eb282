"""What the benchmark scripts share: one measured case per child process, and pairing.

Each script runs itself again with ``--case ...`` for every side (ours and the peer), so
that imports, caches and peak memory (``ru_maxrss``) belong to that side alone; the child
prints one JSON line, the parent collects it.

Every comparison is paired: ours and the peer run in turn (A B A B ...) in the same run,
:func:`alternate` runs them so, and :func:`paired` gives the medians and the median of the
pair-by-pair ratios peer / ours. A case in that form (see :func:`paired_case`) is listed
under ``"paired"`` in a benchmark's JSON, which ``speed_table.py`` turns into rows.
"""

from __future__ import annotations

import json
import math
import os
import resource
import statistics
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
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


def alternate(
    pairs: int,
    ours: Callable[[], Mapping[str, Any]],
    peer: Callable[[], Mapping[str, Any]],
    label: str = "",
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Run ``ours`` then ``peer``, ``pairs`` times (A B A B ...), and return both run lists.

    Parameters
    ----------
    pairs : int
        How many times each side runs.
    ours, peer : callable
        One run of a side, returning at least ``{"seconds": ...}`` (e.g. a
        :func:`run_child` call, or a timed call in this process).
    label : str, optional
        Printed before each pair's times, so a long run shows how far it is.

    Returns
    -------
    tuple of list of dict
        The runs of ours and of the peer, in the order run.
    """
    ours_runs: list[dict[str, Any]] = []
    peer_runs: list[dict[str, Any]] = []
    for i in range(pairs):
        ours_runs.append(dict(ours()))
        peer_runs.append(dict(peer()))
        o, p = (r.get("seconds", math.nan) for r in (ours_runs[-1], peer_runs[-1]))
        print(f"  {label}pair {i + 1}/{pairs}: ours {o:.2f} s, peer {p:.2f} s", flush=True)
    return ours_runs, peer_runs


def paired(ours: Sequence[float], peer: Sequence[float]) -> dict[str, Any]:
    """Medians of paired runs and the median of the pair-by-pair ratios peer / ours.

    Parameters
    ----------
    ours, peer : sequence of float
        Seconds of each run, ``ours[i]`` and ``peer[i]`` run in turn. A pair with a failed
        run (NaN) is left out.

    Returns
    -------
    dict
        ``pairs`` (complete pairs), ``ours_s`` and ``peer_s`` (medians over those pairs),
        ``ratio_peer_over_ours`` (the median of ``peer[i] / ours[i]``, not the ratio of
        the medians; None without a complete pair) and every run, ``ours_runs_s`` and
        ``peer_runs_s``.
    """
    if len(ours) != len(peer):
        raise ValueError(f"{len(ours)} runs of ours against {len(peer)} of the peer")
    done = [
        (o, p) for o, p in zip(ours, peer, strict=True) if math.isfinite(o) and math.isfinite(p)
    ]
    return {
        "pairs": len(done),
        "ours_s": statistics.median(o for o, _ in done) if done else None,
        "peer_s": statistics.median(p for _, p in done) if done else None,
        "ratio_peer_over_ours": statistics.median(p / o for o, p in done) if done else None,
        "ours_runs_s": list(ours),
        "peer_runs_s": list(peer),
    }


def paired_case(
    job: str,
    size: str,
    peer: str,
    ours_runs: Sequence[Mapping[str, Any]],
    peer_runs: Sequence[Mapping[str, Any]],
    key: str = "seconds",
    **extra: Any,
) -> dict[str, Any]:
    """One comparison as ``speed_table.py`` reads it from a benchmark's ``"paired"`` list.

    Parameters
    ----------
    job, size : str
        What was done, on what (the table's first two columns).
    peer : str
        The peer's exact configuration.
    ours_runs, peer_runs : sequence of mapping
        The runs from :func:`alternate`; ``key`` holds each run's seconds, ``peak_mb``
        (if there) its peak memory, ``error`` (if there) why it failed.
    key : str, default "seconds"
        Which time of the runs to pair.
    **extra
        Kept in the case as they are, e.g. ``ours_note`` and ``peer_note`` (shown after
        the times) or checks of the answers.

    Returns
    -------
    dict
        ``job``, ``size``, ``peer``, what :func:`paired` gives, the highest ``peak_mb``
        of each side (``ours_peak_mb``, ``peer_peak_mb``) when the runs give it, the
        errors of failed runs and ``extra``.
    """
    nan = float("nan")
    case: dict[str, Any] = {
        "job": job,
        "size": size,
        "peer": peer,
        **paired([r.get(key, nan) for r in ours_runs], [r.get(key, nan) for r in peer_runs]),
    }
    for side, runs in (("ours", ours_runs), ("peer", peer_runs)):
        peaks = [r["peak_mb"] for r in runs if math.isfinite(r.get("peak_mb", nan))]
        if peaks:
            case[f"{side}_peak_mb"] = max(peaks)
        errors = [r["error"] for r in runs if "error" in r]
        if errors:
            case[f"{side}_errors"] = errors
    return {**case, **extra}


def write_results(name: str, result: Mapping[str, Any]) -> Path:
    """Write ``result`` to ``results/<name>.json`` and say so; numpy scalars become numbers."""

    def plain(value: Any) -> Any:
        return value.item() if hasattr(value, "item") else str(value)

    path = RESULTS_DIR / f"{name}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=2, default=plain) + "\n")
    print(f"wrote {path}")
    return path
