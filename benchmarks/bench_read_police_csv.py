"""Benchmark: reading data.police.uk bulk street CSVs with ``read_police_csv``.

Data: a year of Kent-sized monthly files (12 x 15,000 rows) and then about one million
rows (67 x 15,000), made by resampling the real rows of the Medway June 2018 derived CSV
with jittered coordinates and fresh hash ids, written in the download's folder layout
``YYYY-MM/YYYY-MM-kent-street.csv`` under a temporary folder.

Peer (same run): the plain baseline ``pandas.read_csv`` (per file, concatenated) +
``geopandas.points_from_xy`` + ``to_crs(27700)``, with none of the checks.

Targets: ours <= 1.5 x the baseline on the year; one million rows in < 10 s with peak
memory < 2 GB (each case in its own subprocess, peak resident memory from
``resource.getrusage(RUSAGE_SELF).ru_maxrss`` reported by the child).

Real months: all 30 verbatim Kent files (``crime/kent_street/*.csv.gz``, 477,775 rows,
five runs with gaps) read as one folder, ours against the same peer (which reads the
``.gz`` files with ``pandas.read_csv``); each side in its own subprocess, three
interleaved runs, median time and peak memory reported.

Run: ``.venv/bin/python benchmarks/bench_read_police_csv.py [--quick] [--kent-only]``;
writes ``benchmarks/results/read_police_csv.json``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from _harness import DATA_DIR, write_results

RATIO_TARGET = 1.5
TIME_TARGET_S = 10.0
MEMORY_TARGET_MB = 2048.0
SOURCE = DATA_DIR / "crime" / "medway_street_crime_2018-06_derived.csv"
KENT = DATA_DIR / "crime" / "kent_street"


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
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": elapsed, "rows": n, "peak_mb": peak_mb}))


def in_subprocess(which: str, folder: Path) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, __file__, "--child", which, str(folder)],
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, "HOTSPOTS_PROGRESS": "0"},
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def kent_months(repeats: int = 3) -> dict[str, object]:
    """The 30 real Kent months, ours and the peer each in fresh subprocesses."""
    ours, peer = [], []
    for _ in range(repeats):  # interleaved, so load from other users hits both
        ours.append(in_subprocess("ours", KENT))
        peer.append(in_subprocess("peer", KENT))

    def median(runs: list[dict[str, float]], key: str) -> float:
        return float(np.median([r[key] for r in runs]))

    o_s, p_s = median(ours, "seconds"), median(peer, "seconds")
    return {
        "files": len(list(KENT.glob("*-street.csv.gz"))),
        "rows_kept_ours": int(ours[0]["rows"]),
        "rows_peer": int(peer[0]["rows"]),
        "ours_s_median": round(o_s, 3),
        "peer_s_median": round(p_s, 3),
        "ratio": round(o_s / p_s, 3),
        "ours_peak_mb": round(median(ours, "peak_mb"), 1),
        "peer_peak_mb": round(median(peer, "peak_mb"), 1),
        "repeats": repeats,
    }


def best_of(fn, folder: str, repeats: int) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn(folder)
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes (a few seconds)")
    parser.add_argument("--kent-only", action="store_true", help="only the 30 real months")
    parser.add_argument("--child", nargs=2, metavar=("WHICH", "FOLDER"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    year_files, year_rows = (3, 2_000) if args.quick else (12, 15_000)
    big_files, big_rows = (4, 5_000) if args.quick else (67, 15_000)
    repeats = 2 if args.quick else 3
    results: dict[str, object] = {
        "machine": {
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            # other jobs share the machine: absolute times scale with this, ratios do not
            "load_average_1min_at_start": round(os.getloadavg()[0], 2),
        },
        "quick": args.quick,
    }
    k = kent_months(repeats)
    results["kent_30_months"] = k
    print(
        f"30 real Kent months ({k['rows_peer']:,} rows): ours {k['ours_s_median']:.2f}s "
        f"peer {k['peer_s_median']:.2f}s ratio {k['ratio']:.2f}; peak MB ours "
        f"{k['ours_peak_mb']:.0f} peer {k['peer_peak_mb']:.0f}"
    )
    if args.kent_only:
        write_results("read_police_csv_kent", results)
        return
    with tempfile.TemporaryDirectory() as tmp:
        year = Path(tmp) / "year"
        n_year = make_folder(year, year_files, year_rows, seed=1)
        run_ours(str(year)), run_peer(str(year))  # warm imports and file cache
        ours_t, peer_t = [], []
        for _ in range(repeats):  # interleaved, so load from other users hits both
            ours_t.append(best_of(run_ours, str(year), 1))
            peer_t.append(best_of(run_peer, str(year), 1))
        ours, peer = min(ours_t), min(peer_t)
        ratio = ours / peer
        results["year"] = {
            "files": year_files,
            "rows": n_year,
            "ours_s": round(ours, 3),
            "peer_s": round(peer, 3),
            "ratio": round(ratio, 3),
            "target_ratio": RATIO_TARGET,
            "pass": ratio <= RATIO_TARGET,
        }
        big = Path(tmp) / "big"
        n_big = make_folder(big, big_files, big_rows, seed=2)
        ours_big = in_subprocess("ours", big)
        peer_big = in_subprocess("peer", big)
        results["million"] = {
            "files": big_files,
            "rows": n_big,
            "ours_s": round(ours_big["seconds"], 3),
            "ours_peak_mb": round(ours_big["peak_mb"], 1),
            "peer_s": round(peer_big["seconds"], 3),
            "peer_peak_mb": round(peer_big["peak_mb"], 1),
            "target_s": TIME_TARGET_S,
            "target_peak_mb": MEMORY_TARGET_MB,
            "pass": ours_big["seconds"] < TIME_TARGET_S and ours_big["peak_mb"] < MEMORY_TARGET_MB,
        }
    results["machine"]["load_average_1min_at_end"] = round(os.getloadavg()[0], 2)  # type: ignore[index]
    y, m = results["year"], results["million"]
    assert isinstance(y, dict) and isinstance(m, dict)
    print(f"{'case':<28}{'ours':>10}{'peer':>10}{'ratio':>8}{'target':>14}  result")
    print(
        f"{'year (' + format(y['rows'], ',') + ' rows)':<28}{y['ours_s']:>9.2f}s{y['peer_s']:>9.2f}s"
        f"{y['ratio']:>8.2f}{'<= 1.5x':>14}  {'pass' if y['pass'] else 'FAIL'}"
    )
    print(
        f"{format(m['rows'], ',') + ' rows, time':<28}{m['ours_s']:>9.2f}s{m['peer_s']:>9.2f}s"
        f"{m['ours_s'] / m['peer_s']:>8.2f}{'< 10 s':>14}  "
        f"{'pass' if m['ours_s'] < TIME_TARGET_S else 'FAIL'}"
    )
    print(
        f"{format(m['rows'], ',') + ' rows, peak MB':<28}{m['ours_peak_mb']:>10.0f}{m['peer_peak_mb']:>10.0f}"
        f"{m['ours_peak_mb'] / m['peer_peak_mb']:>8.2f}{'< 2048 MB':>14}  "
        f"{'pass' if m['ours_peak_mb'] < MEMORY_TARGET_MB else 'FAIL'}"
    )
    write_results("read_police_csv", results)


if __name__ == "__main__":
    main()
