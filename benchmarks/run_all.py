"""Run every benchmark in this folder, one process each, and report how each went.

Run: ``make bench`` or ``.venv/bin/python benchmarks/run_all.py [--quick] [name ...]``.
``make bench`` first installs the ``bench`` extra (numba, so that esda's Gi* is timed
compiled as well as without numba) into ``.venv``; ``make test`` and CI do not.
Each ``bench_<name>.py`` prints its own table (ours beside the peer, run in turn in the
same run: A B A B ..., medians of the pairs) and writes ``results/<name>.json``; this
runner streams that output and ends with a one-line status per benchmark. Full sizes take
tens of minutes on a 2-core machine (the longest, ``national``, about seven minutes);
``--quick`` a few minutes. A quick run overwrites ``results/*.json`` too (each file says
``"quick": true``); the committed results are full-size runs.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes")
    parser.add_argument("names", nargs="*", help="e.g. gi_star reach (default: all)")
    args = parser.parse_args(argv)
    scripts = sorted(HERE.glob("bench_*.py"))
    if args.names:
        wanted = {f"bench_{n.removeprefix('bench_').removesuffix('.py')}.py" for n in args.names}
        unknown = wanted - {p.name for p in scripts}
        if unknown:
            parser.error(f"no such benchmark: {', '.join(sorted(unknown))}")
        scripts = [p for p in scripts if p.name in wanted]
    status = []
    for script in scripts:
        print(f"\n=== {script.stem}", flush=True)
        t0 = time.perf_counter()
        cmd = [sys.executable, str(script), *(["--quick"] if args.quick else [])]
        code = subprocess.call(cmd, cwd=HERE.parent)
        status.append((script.stem, code, time.perf_counter() - t0))
    print("\nbenchmark               exit   wall s")
    for name, code, secs in status:
        print(f"{name:<22} {code:>5} {secs:8.1f}")
    return max((code for _, code, _ in status), default=0)


if __name__ == "__main__":
    raise SystemExit(main())
