"""Benchmark: reading data.police.uk bulk street CSVs with ``read_police_csv``.

Data: a year of Kent-sized monthly files (12 x 15,000 rows) and then about one million
rows (67 x 15,000), made by resampling the real rows of the Medway June 2018 derived CSV
with jittered coordinates and fresh hash ids, written in the download's folder layout
``YYYY-MM/YYYY-MM-kent-street.csv`` under a temporary folder.

Peer (same run): the plain baseline ``pandas.read_csv`` (per file, defaults,
concatenated) + ``geopandas.points_from_xy`` + ``to_crs(27700)``, with none of the checks.

Every figure is paired: ours and the peer run in turn (A B A B ..., ``--pairs`` times,
default 3) and the ratio is the median of the pair-by-pair ratios peer / ours.

* The million rows: each run a fresh subprocess (imports included), which reports its own
  time and peak resident memory (``resource.getrusage(RUSAGE_SELF).ru_maxrss``).
* The year: both sides in this process, after one untimed call of each (imports, file
  cache).
* Real months: all 30 verbatim Kent files (``crime/kent_street/*.csv.gz``, 477,775 rows,
  five runs with gaps) read as one folder, ours against the same peer (which reads the
  ``.gz`` files with ``pandas.read_csv``); each run a fresh subprocess, as the million.

Targets: ours <= 1.5 x the baseline on the year; one million rows in < 10 s with peak
memory < 2 GB.

Run: ``.venv/bin/python benchmarks/bench_read_police_csv.py [--quick] [--pairs N]
[--kent-only]``; writes ``benchmarks/results/read_police_csv.json``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from _harness import DATA_DIR, alternate, paired_case, peak_mb, run_child, write_results

RATIO_TARGET = 1.5
TIME_TARGET_S = 10.0
MEMORY_TARGET_MB = 2048.0
SOURCE = DATA_DIR / "crime" / "medway_street_crime_2018-06_derived.csv"
KENT = DATA_DIR / "crime" / "kent_street"
PEER = (
    "pandas read_csv per file (defaults) + concat + points_from_xy(crs=4326) + "
    "to_crs(27700), no checks"
)


def make_folder(root: Path, n_files: int, rows: int, seed: int = 0) -> int:
    """Write ``n_files`` monthly files of ``rows`` rows; return the total row count."""
    real = pd.read_csv(SOURCE, dtype=str, keep_default_na=False)
    rng = np.random.default_rng(seed)
    months = pd.period_range("2013-01", periods=n_files, freq="M").strftime("%Y-%m")
    counter = 0
    for month in months:
        df = real.iloc[rng.integers(0, len(real), rows)].reset_index(drop=True)
        lon = df["Longitude"].astype(float) + rng.normal(0, 0.002, rows)
        lat = df["Latitude"].astype(float) + rng.normal(0, 0.002, rows)
        df["Longitude"] = lon.map("{:.6f}".format)
        df["Latitude"] = lat.map("{:.6f}".format)
        # about 1 % without a location, as in the published files
        blank = rng.random(rows) < 0.01
        df.loc[blank, ["Longitude", "Latitude"]] = ""
        ids = [hashlib.sha256(f"{seed}-{counter + i}".encode()).hexdigest() for i in range(rows)]
        counter += rows
        asb = (df["Crime type"] == "Anti-social behaviour").to_numpy()
        df["Crime ID"] = np.where(asb, "", ids)
        df["Month"] = month
        folder = root / month
        folder.mkdir(parents=True, exist_ok=True)
        df.to_csv(folder / f"{month}-kent-street.csv", index=False)
    return n_files * rows


def run_ours(folder: str) -> int:
    from hotspots.police import read_police_csv

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return len(read_police_csv(folder))


def run_peer(folder: str) -> int:
    import geopandas as gpd

    files = sorted([*Path(folder).rglob("*-street.csv"), *Path(folder).rglob("*-street.csv.gz")])
    df = pd.concat([pd.read_csv(f) for f in files], ignore_index=True)
    pts = gpd.points_from_xy(df["Longitude"], df["Latitude"], crs="EPSG:4326")
    gdf = gpd.GeoDataFrame(df, geometry=pts).to_crs(27700)
    return len(gdf)


def child(which: str, folder: str) -> None:
    """Run one case and print its time, rows and own peak memory as JSON."""
    fn = run_ours if which == "ours" else run_peer
    t0 = time.perf_counter()
    n = fn(folder)
    elapsed = time.perf_counter() - t0
    print(json.dumps({"seconds": elapsed, "rows": n, "peak_mb": peak_mb()}))


def in_subprocess(which: str, folder: Path) -> dict[str, Any]:
    """One run of ``which`` ("ours" or "peer") on ``folder`` in a fresh subprocess."""
    env = {**os.environ, "HOTSPOTS_PROGRESS": "0"}
    return run_child(__file__, "--child", which, folder, env=env)


def fresh_pairs(folder: Path, pairs: int, job: str, size: str) -> dict[str, Any]:
    """Ours and the peer on ``folder``, in turn, each run a fresh subprocess."""
    ours, peer = alternate(
        pairs, lambda: in_subprocess("ours", folder), lambda: in_subprocess("peer", folder)
    )
    return paired_case(
        job,
        size,
        PEER,
        ours,
        peer,
        rows_kept_ours=int(ours[0]["rows"]),
        rows_peer=int(peer[0]["rows"]),
    )


def in_process(fn: Any, folder: str) -> dict[str, float]:
    """One timed call of ``fn(folder)`` in this process."""
    t0 = time.perf_counter()
    fn(folder)
    return {"seconds": time.perf_counter() - t0}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes (a few seconds)")
    parser.add_argument("--pairs", type=int, default=3, help="A/B pairs per figure")
    parser.add_argument("--kent-only", action="store_true", help="only the 30 real months")
    parser.add_argument("--child", nargs=2, metavar=("WHICH", "FOLDER"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    year_files, year_rows = (3, 2_000) if args.quick else (12, 15_000)
    big_files, big_rows = (4, 5_000) if args.quick else (67, 15_000)
    results: dict[str, Any] = {
        "machine": {
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            # other jobs share the machine: absolute times scale with this, ratios do not
            "load_average_1min_at_start": round(os.getloadavg()[0], 2),
        },
        "quick": args.quick,
        "peer": PEER,
    }
    n_kent = len(list(KENT.glob("*-street.csv.gz")))
    print(f"30 real Kent months ({n_kent} files), {args.pairs} pairs", flush=True)
    job = "read police.uk CSVs (a new process each run)"
    k = fresh_pairs(KENT, args.pairs, job, f"{n_kent} real Kent months")
    results["kent_30_months"] = k
    print(
        f"30 real Kent months ({k['rows_peer']:,} rows): ours {k['ours_s']:.2f}s "
        f"peer {k['peer_s']:.2f}s, peer/ours {k['ratio_peer_over_ours']:.2f}; peak MB ours "
        f"{k['ours_peak_mb']:.0f} peer {k['peer_peak_mb']:.0f}"
    )
    if args.kent_only:
        write_results("read_police_csv_kent", results)
        return
    with tempfile.TemporaryDirectory() as tmp:
        year = Path(tmp) / "year"
        n_year = make_folder(year, year_files, year_rows, seed=1)
        run_ours(str(year)), run_peer(str(year))  # warm imports and file cache
        print(f"year ({n_year:,} rows) in this process, {args.pairs} pairs", flush=True)
        ours_y, peer_y = alternate(
            args.pairs,
            lambda: in_process(run_ours, str(year)),
            lambda: in_process(run_peer, str(year)),
        )
        y = paired_case(
            "read police.uk CSVs, warm (imports done)",
            f"{n_year:,} rows, {year_files} files",
            PEER,
            ours_y,
            peer_y,
        )
        ratio = 1.0 / y["ratio_peer_over_ours"]  # the target is on ours / peer
        results["year"] = {
            **y,
            "files": year_files,
            "rows": n_year,
            "ratio_ours_over_peer": round(ratio, 3),
            "target_ratio": RATIO_TARGET,
            "pass": ratio <= RATIO_TARGET,
        }
        big = Path(tmp) / "big"
        n_big = make_folder(big, big_files, big_rows, seed=2)
        print(f"{n_big:,} rows, a fresh process per run, {args.pairs} pairs", flush=True)
        job = "read police.uk CSVs (a new process each run)"
        m = fresh_pairs(big, args.pairs, job, f"{n_big:,} rows, {big_files} files")
        results["million"] = {
            **m,
            "files": big_files,
            "rows": n_big,
            "target_s": TIME_TARGET_S,
            "target_peak_mb": MEMORY_TARGET_MB,
            "pass": m["ours_s"] < TIME_TARGET_S and m["ours_peak_mb"] < MEMORY_TARGET_MB,
        }
        results["paired"] = [m]
    results["machine"]["load_average_1min_at_end"] = round(os.getloadavg()[0], 2)
    y, m = results["year"], results["million"]
    print(f"{'case':<28}{'ours':>10}{'peer':>10}{'peer/ours':>10}{'target':>19}  result")
    print(
        f"{'year (' + format(y['rows'], ',') + ' rows)':<28}{y['ours_s']:>9.2f}s{y['peer_s']:>9.2f}s"
        f"{y['ratio_peer_over_ours']:>10.2f}{'ours <= 1.5x peer':>19}  "
        f"{'pass' if y['pass'] else 'FAIL'}"
    )
    print(
        f"{format(m['rows'], ',') + ' rows, time':<28}{m['ours_s']:>9.2f}s{m['peer_s']:>9.2f}s"
        f"{m['ratio_peer_over_ours']:>10.2f}{'ours < 10 s':>19}  "
        f"{'pass' if m['ours_s'] < TIME_TARGET_S else 'FAIL'}"
    )
    print(
        f"{format(m['rows'], ',') + ' rows, peak MB':<28}{m['ours_peak_mb']:>10.0f}"
        f"{m['peer_peak_mb']:>10.0f}{'':>10}{'ours < 2048 MB':>19}  "
        f"{'pass' if m['ours_peak_mb'] < MEMORY_TARGET_MB else 'FAIL'}"
    )
    print(f"(medians of {args.pairs} pairs; peer/ours: median of the pair-by-pair ratios)")
    write_results("read_police_csv", results)


if __name__ == "__main__":
    main()
