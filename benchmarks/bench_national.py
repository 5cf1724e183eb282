"""Benchmark: national-scale counts on Dask, Gi* on a million cells, and where memory ends.

Data: synthetic incidents in the data.police.uk bulk layout
``YYYY-MM/YYYY-MM-<force>-street.csv`` (43 forces x 12 months; 10 million rows in the full
run), written to a temporary folder that is deleted afterwards. The text columns (crime
type, outcome, location, LSOA ...) are resampled from the real Medway June 2018 rows;
longitude/latitude are drawn around 40 random "towns" spread over England's extent
(lon -5.7..1.8, lat 50.0..55.8) with Gaussian spreads; about 1 % of rows have no location
and a few crime ids are published again in the next month (cross-file duplicates).

Cases (each in its own subprocess; peak memory is the largest sum of resident memory over
the subprocess and all its children -- the Dask workers -- sampled every 0.2 s):

* ``dask``: :func:`hotspots.national.count_points_dask` on every file, 250 m hexagons,
  non-empty cells only (a local cluster: one single-threaded worker per core).
  Target: peak memory < 6 GB.
* ``memory`` (the peer): the in-memory path ``read_police_csv`` + ``count_points`` on the
  same files and into the same cells (those the first Dask run wrote).
* The two run in turn on every file (A B A B ..., ``--pairs`` times, default 3): the
  figure is the median of the pair-by-pair ratios, with each side's own peak memory. The
  counts of the first pair are compared cell by cell.
* ``memory`` alone at smaller sizes (1M, 2M, 5M rows), where memory use grows: the
  smallest runs right after the first Dask run, and a size predicted (linearly from a
  smaller one) to need more than 20 GB is not tried, the full size included.
* ``gistar``: :func:`hotspots.gi_star` with 99 permutations on about a million 250 m
  hexagons (distance band, k nearest, queen). Target: peak memory < 8 GB.

The full size is 10 million rows (``--rows``; a year of national data is about 6 million),
so that the paired runs take about five minutes on a 2-core machine.

Run: ``.venv/bin/python benchmarks/bench_national.py [--quick] [--rows N] [--pairs N]``; writes
``benchmarks/results/national.json``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from _harness import DATA_DIR, alternate, paired_case, write_results

SOURCE = DATA_DIR / "crime" / "medway_street_crime_2018-06_derived.csv"
DASK_TARGET_MB = 6 * 1024.0
GI_TARGET_MB = 8 * 1024.0
MEMORY_LIMIT_MB = 20 * 1024.0
FORCES = [
    "avon-and-somerset", "bedfordshire", "cambridgeshire", "cheshire", "city-of-london",
    "cleveland", "cumbria", "derbyshire", "devon-and-cornwall", "dorset", "durham",
    "dyfed-powys", "essex", "gloucestershire", "greater-manchester", "gwent", "hampshire",
    "hertfordshire", "humberside", "kent", "lancashire", "leicestershire", "lincolnshire",
    "merseyside", "metropolitan", "norfolk", "north-wales", "north-yorkshire",
    "northamptonshire", "northumbria", "nottinghamshire", "south-wales", "south-yorkshire",
    "staffordshire", "suffolk", "surrey", "sussex", "thames-valley", "warwickshire",
    "west-mercia", "west-midlands", "west-yorkshire", "wiltshire",
]  # fmt: skip
BULK = [
    "Crime ID", "Month", "Reported by", "Falls within", "Longitude", "Latitude", "Location",
    "LSOA code", "LSOA name", "Crime type", "Last outcome category", "Context",
]  # fmt: skip


# ------------------------------------------------------------------ data
def _towns(seed: int = 7) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    n = 40
    return {
        "lon": rng.uniform(-5.7, 1.8, n),
        "lat": rng.uniform(50.0, 55.8, n),
        "sd": rng.uniform(0.02, 0.12, n),
        "weight": rng.pareto(1.2, n) + 0.2,
    }


_REAL: pd.DataFrame | None = None


def _ids(force: int, month: int, n: int) -> list[str]:
    pad = hashlib.sha256(f"{force}-{month}".encode()).hexdigest()[:52]
    return [f"{force:02x}{month:02x}{i:08x}{pad}" for i in range(n)]


def write_file(job: tuple[str, int, int, int, str, int]) -> int:
    """Write one force-month file; return its row count."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    global _REAL
    root, force, month_i, n, month, seed = job
    if _REAL is None:
        _REAL = pd.read_csv(SOURCE, dtype=str, keep_default_na=False)
    real = _REAL
    rng = np.random.default_rng([seed, force, month_i])
    towns = _towns()
    take = real.iloc[rng.integers(0, len(real), n)]
    t = rng.choice(len(towns["lon"]), n, p=towns["weight"] / towns["weight"].sum())
    lon = np.clip(towns["lon"][t] + rng.normal(0, 1, n) * towns["sd"][t] * 1.6, -5.7, 1.8)
    lat = np.clip(towns["lat"][t] + rng.normal(0, 1, n) * towns["sd"][t], 50.0, 55.8)
    blank = rng.random(n) < 0.01
    asb = (take["Crime type"] == "Anti-social behaviour").to_numpy()
    ids = np.array(_ids(force, month_i, n), dtype=object)
    if month_i > 0:  # a few records published again in the next month
        ids[:3] = _ids(force, month_i - 1, 3)
    ids[asb] = ""
    name = FORCES[force].replace("-", " ").title() + " Police"
    cols: dict[str, Any] = {
        "Crime ID": ids,
        "Month": np.full(n, month, dtype=object),
        "Reported by": np.full(n, name, dtype=object),
        "Falls within": np.full(n, name, dtype=object),
        "Longitude": pa.array(np.round(lon, 6), mask=blank),
        "Latitude": pa.array(np.round(lat, 6), mask=blank),
    }
    for c in BULK[6:]:
        cols[c] = take[c].to_numpy(dtype=object)
    folder = Path(root) / month
    folder.mkdir(parents=True, exist_ok=True)
    table = pa.table({c: cols[c] for c in BULK})
    pacsv.write_csv(table, folder / f"{month}-{FORCES[force]}-street.csv")
    return n


def generate(root: Path, total: int, n_months: int, seed: int = 0) -> list[Path]:
    """Write ``total`` rows as 43 forces x ``n_months`` files; return the files in order."""
    months = pd.period_range("2019-01", periods=n_months, freq="M").strftime("%Y-%m")
    per = total // (len(FORCES) * n_months)
    jobs = [
        (str(root), f, m, per, months[m], seed) for m in range(n_months) for f in range(len(FORCES))
    ]
    with ProcessPoolExecutor(max_workers=2) as pool:
        list(pool.map(write_file, jobs, chunksize=4))
    return [root / months[m] / f"{months[m]}-{FORCES[f]}-street.csv" for _, f, m, *_ in jobs]


# ------------------------------------------------------------------ cases (in a child)
def case_dask(args: argparse.Namespace) -> dict[str, Any]:
    from hotspots.national import count_points_dask

    files = json.loads(Path(args.files).read_text())
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cells = count_points_dask(files, cell="hex", cell_size=250, show_progress=False)
    seconds = time.perf_counter() - t0
    if args.out:
        keep = cells[["cell_id", "count", "geometry"]].copy()
        keep.attrs = {}
        keep.to_parquet(args.out)
    rep = cells.attrs["load_report"]
    return {
        "seconds": seconds,
        "cells": len(cells),
        "rows_read": rep.rows_read,
        "rows_kept": rep.rows_kept,
        "dropped": rep.counts(),
        "counted": int(cells["count"].sum()),
    }


def case_memory(args: argparse.Namespace) -> dict[str, Any]:
    import geopandas as gpd

    from hotspots.grid import count_points
    from hotspots.police import read_police_csv

    files = json.loads(Path(args.files).read_text())
    cells = gpd.read_parquet(args.cells)
    cells.attrs["hotspots_grid"] = {
        "kind": "hex", "cell_size": 250.0, "origin": (0.0, 0.0), "clip": False,
    }  # fmt: skip
    cells["row"], cells["col"] = _split(cells["cell_id"].to_numpy())
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        crimes = read_police_csv(files)
        t_read = time.perf_counter() - t0
        counted = count_points(crimes, cells)
    seconds = time.perf_counter() - t0
    out = {
        "seconds": seconds,
        "read_seconds": t_read,
        "rows_read": crimes.attrs["load_report"].rows_read,
        "rows_kept": len(crimes),
        "counted": int(counted["count"].sum()),
    }
    if args.out:
        keep = pd.DataFrame(counted[["cell_id", "count"]])
        keep.attrs = {}
        keep.to_parquet(args.out)
    return out


def _split(ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    half = 50_000_000
    col = ((ids + half) % 100_000_000) - half
    return (ids - col) // 100_000_000, col


def case_gistar(args: argparse.Namespace) -> dict[str, Any]:
    import geopandas as gpd
    from shapely.geometry import box

    from hotspots.grid import hex_grid
    from hotspots.hotspot import gi_star

    side = 250.0 * np.sqrt(args.cells)  # hexagons of 250 m have the area of 250 m squares
    t0 = time.perf_counter()
    cells = hex_grid(gpd.GeoSeries([box(0, 0, side, side)], crs=27700), cell_size=250)
    centres = cells.geometry.centroid
    rng = np.random.default_rng(1)
    x, y = centres.x.to_numpy(), centres.y.to_numpy()
    lam = np.full(len(cells), 0.3)
    for cx, cy in rng.uniform(0, side, (30, 2)):
        lam += 6 * np.exp(-((x - cx) ** 2 + (y - cy) ** 2) / (2 * 1500.0**2))
    cells["count"] = rng.poisson(lam)
    t_setup = time.perf_counter() - t0
    kwargs: dict[str, Any] = {"neighbours": args.neighbours}
    if args.neighbours == "knn":
        kwargs["k"] = 8
    t0 = time.perf_counter()
    out = gi_star(cells, "count", permutations=99, seed=0, **kwargs)
    seconds = time.perf_counter() - t0
    return {
        "cells": len(cells),
        "setup_seconds": t_setup,
        "seconds": seconds,
        "mean_neighbours": float(out["n_neighbours"].mean()),
        "hot_cells": int((out["gi_bin"] == 3).sum()),
    }


def case_band(args: argparse.Namespace) -> dict[str, Any]:
    """What ``gi_star``'s default distance band means on the non-empty national cells."""
    import geopandas as gpd
    from scipy.spatial import cKDTree

    from hotspots._weights import min_threshold_distance

    cells = gpd.read_parquet(args.cells)
    xy = np.column_stack([cells.geometry.centroid.x, cells.geometry.centroid.y])
    band = min_threshold_distance(xy)
    rng = np.random.default_rng(0)
    sample = rng.choice(len(xy), min(20_000, len(xy)), replace=False)
    counts = cKDTree(xy).query_ball_point(xy[sample], r=band, return_length=True)
    nnz = float(counts.mean()) * len(xy)
    return {
        "cells": len(cells),
        "default_band_m": round(band, 1),
        "mean_neighbours": round(float(counts.mean()), 1),
        "max_neighbours_sample": int(counts.max()),
        "implied_weights_nonzeros": round(nnz),
        "implied_pairs_gib": round(nnz * 16 / 2**30, 1),
    }


# ------------------------------------------------------------------ driver
def run_child(case: str, extra: list[str], timeout: float) -> dict[str, Any]:
    """Run a case in a subprocess; add wall time and the process tree's peak RSS."""
    import psutil

    out_file = Path(tempfile.mkstemp(suffix=".json")[1])
    cmd = [sys.executable, __file__, "--case", case, "--result", str(out_file), *extra]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak = 0
    stop = threading.Event()

    def sample() -> None:
        nonlocal peak
        try:
            root = psutil.Process(proc.pid)
        except psutil.NoSuchProcess:
            return
        while not stop.is_set():
            total = 0
            try:
                for p in [root, *root.children(recursive=True)]:
                    with_mem = p.memory_info().rss
                    total += with_mem
            except (psutil.NoSuchProcess, psutil.AccessDenied):
                pass
            peak = max(peak, total)
            stop.wait(0.2)

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    try:
        _, err = proc.communicate(timeout=timeout)
        status = "ok" if proc.returncode == 0 else f"failed (exit {proc.returncode})"
    except subprocess.TimeoutExpired:
        for p in psutil.Process(proc.pid).children(recursive=True):
            p.kill()
        proc.kill()
        _, err = proc.communicate()
        status = f"timed out after {timeout:.0f} s"
    stop.set()
    thread.join()
    wall = time.perf_counter() - t0
    result: dict[str, Any] = {"status": status, "wall_seconds": round(wall, 1)}
    if proc.returncode == 0 and out_file.stat().st_size:
        result.update(json.loads(out_file.read_text()))
    elif err:
        result["error"] = err.decode(errors="replace").strip().splitlines()[-3:]
    out_file.unlink(missing_ok=True)
    result["peak_mb"] = round(peak / 2**20, 1)
    return result


def rows_of(files: list[Path], per: int, n: int) -> list[str]:
    return [str(f) for f in files[: max(1, round(n / per))]]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small smoke run")
    parser.add_argument("--rows", type=int, default=None, help="total rows (default 10M)")
    parser.add_argument("--pairs", type=int, default=3, help="Dask / in-memory A/B pairs")
    parser.add_argument("--case", help=argparse.SUPPRESS)
    parser.add_argument("--result", help=argparse.SUPPRESS)
    parser.add_argument("--files", help=argparse.SUPPRESS)
    parser.add_argument("--cells", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    parser.add_argument("--neighbours", default="distance", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.case:
        os.environ["HOTSPOTS_PROGRESS"] = "0"
        cases = {"dask": case_dask, "memory": case_memory, "gistar": case_gistar, "band": case_band}
        fn = cases[args.case]
        if args.case == "gistar":
            args.cells = int(args.cells)
        Path(args.result).write_text(json.dumps(fn(args)))
        return

    quick = args.quick
    total = args.rows or (200_000 if quick else 10_000_000)
    n_months = 2 if quick else 12
    gi_cells = 20_000 if quick else 1_000_000
    sizes = [50_000, 100_000] if quick else [1_000_000, 2_000_000, 5_000_000]
    sizes = [s for s in sizes if s < total]
    results: dict[str, Any] = {
        "machine": {
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "note": "2 cores shared with other users; timings are noisy",
        },
        "quick": quick,
        "rows": total,
    }
    tmp = Path(tempfile.mkdtemp(prefix="hotspots-national-"))
    try:
        t0 = time.perf_counter()
        files = generate(tmp / "data", total, n_months)
        per = total // (len(FORCES) * n_months)
        results["data"] = {
            "files": len(files),
            "rows_per_file": per,
            "rows": per * len(files),
            "bytes": sum(f.stat().st_size for f in files),
            "write_seconds": round(time.perf_counter() - t0, 1),
        }
        print(f"wrote {per * len(files):,} rows in {len(files)} files", flush=True)
        lists = tmp / "lists"
        lists.mkdir()

        def file_list(n: int) -> str:
            path = lists / f"{n}.json"
            path.write_text(json.dumps(rows_of(files, per, n)))
            return str(path)

        cells = tmp / "cells.parquet"
        memory: list[dict[str, Any]] = []  # the in-memory path alone, at growing sizes

        def memory_run(n: int, out: Path | None = None) -> dict[str, Any]:
            extra = ["--files", file_list(n), "--cells", str(cells)]
            res = run_child("memory", extra + (["--out", str(out)] if out else []), timeout=1800)
            res["rows"] = len(rows_of(files, per, n)) * per
            return res

        def dask() -> dict[str, Any]:
            # the first run also writes the cells that the in-memory runs count into
            out = [] if cells.exists() else ["--out", str(cells)]
            res = run_child("dask", ["--files", file_list(total), *out], timeout=3000)
            if not memory and sizes:
                # the in-memory path once at the smallest size, before it runs at full
                # size: a size predicted to need more than MEMORY_LIMIT_MB is not tried
                memory.append(memory_run(sizes[0]))
                print("memory", memory[-1], flush=True)
            return res

        skipped: list[str] = []

        def in_memory() -> dict[str, Any]:
            probe = next((m for m in memory if m["status"] == "ok"), None)
            if probe is not None:
                predicted = probe["peak_mb"] * total / probe["rows"]
                if predicted > MEMORY_LIMIT_MB:
                    skipped.append(f"predicted {predicted:,.0f} MB in memory")
                    return {"status": f"skipped: {skipped[-1]}", "seconds": float("nan")}
            out = tmp / "memory.parquet"
            return memory_run(total, None if out.exists() else out)

        # Dask and the in-memory path in turn on every file (A B A B ...)
        print(f"Dask / in memory, {per * len(files):,} rows, {args.pairs} pairs", flush=True)
        dask_runs, memory_runs = alternate(args.pairs, dask, in_memory)
        for run in dask_runs + memory_runs:
            print(run, flush=True)
        first = dask_runs[0]
        pair = paired_case(
            "national counts on Dask (one single-threaded worker per core)",
            f"{first.get('rows_read', per * len(files)):,} rows, {first.get('cells', 0):,} cells",
            "the same in memory: read_police_csv + count_points (pandas), same files and cells",
            dask_runs,
            memory_runs,
        )
        if skipped:
            pair["not_measured"] = f"in memory: {skipped[0]}"
        results["paired"] = [pair]
        results["dask"] = {
            **first,
            "runs": dask_runs,
            "target_peak_mb": DASK_TARGET_MB,
            "pass": all(r["status"] == "ok" and r["peak_mb"] < DASK_TARGET_MB for r in dask_runs),
        }
        results["memory_at_full_size"] = memory_runs
        band = run_child("band", ["--cells", str(cells)], timeout=600)
        results["gi_star_default_band_on_nonempty_cells"] = band
        print("default band", band, flush=True)

        # the rest of the in-memory path at growing sizes (where memory ends)
        for n in sizes[len(memory) :]:
            last = memory[-1] if memory else None
            if last is not None and last["status"] != "ok":
                break
            if last is not None:
                predicted = last["peak_mb"] * n / last["rows"]
                if predicted > MEMORY_LIMIT_MB:
                    memory.append({"rows": n, "status": f"skipped: predicted {predicted:,.0f} MB"})
                    break
            memory.append(memory_run(n))
            print("memory", memory[-1], flush=True)
        results["memory"] = memory
        series = memory + [dict(r, rows=per * len(files)) for r in memory_runs]
        ok = [m["rows"] for m in series if m["status"] == "ok"]
        failed = [m["rows"] for m in series if m["status"] != "ok"]
        results["memory_failure_point"] = {
            "largest_ok_rows": max(ok, default=0),
            "first_failed_or_skipped_rows": min(failed, default=None),
        }
        if (tmp / "memory.parquet").exists():
            a = pd.read_parquet(tmp / "memory.parquet")
            b = pd.read_parquet(cells, columns=["cell_id", "count"])
            m = a.merge(b, on="cell_id", suffixes=("_mem", "_dask"))
            results["identical_counts_at_full_size"] = bool(
                len(m) == len(a) == len(b) and (m["count_mem"] == m["count_dask"]).all()
            )

        # Gi* on a million cells
        gi: dict[str, Any] = {}
        for how in ["distance", "knn", "queen"]:
            res = run_child("gistar", ["--cells", str(gi_cells), "--neighbours", how], timeout=900)
            res["target_peak_mb"] = GI_TARGET_MB
            res["pass"] = res["status"] == "ok" and res["peak_mb"] < GI_TARGET_MB
            gi[how] = res
            print("gi_star", how, res, flush=True)
        results["gi_star"] = gi
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    write_results("national", results)
    print()
    print(f"{'case':<34}{'rows/cells':>12}{'time s':>9}{'peak MB':>10}{'target MB':>11}  result")
    d = results["dask"]
    p = results["paired"][0]
    print(
        f"{'Dask count_points_dask':<34}{results['data']['rows']:>12,}"
        f"{p['ours_s'] or float('nan'):>9.1f}{p.get('ours_peak_mb', float('nan')):>10,.0f}"
        f"{DASK_TARGET_MB:>11,.0f}  {'pass' if d['pass'] else 'FAIL'} ({d['status']})"
    )
    print(
        f"{'in memory (peer)':<34}{results['data']['rows']:>12,}"
        f"{p['peer_s'] or float('nan'):>9.1f}{p.get('peer_peak_mb', float('nan')):>10,.0f}"
        f"{'':>11}  in memory / Dask: {p['ratio_peer_over_ours'] or float('nan'):.2f} "
        f"(medians of {p['pairs']} pairs)"
    )
    for m in results["memory"]:
        if "peak_mb" not in m:
            print(f"{'in memory, smaller':<34}{m['rows']:>12,}  {m['status']}")
            continue
        print(
            f"{'in memory, smaller':<34}{m['rows']:>12,}{m.get('seconds', float('nan')):>9.1f}"
            f"{m['peak_mb']:>10,.0f}{'':>11}  {m['status']}"
        )
    for how, g in results["gi_star"].items():
        print(
            f"{'gi_star 99 perms, ' + how:<34}{g.get('cells', gi_cells):>12,}"
            f"{g.get('seconds', float('nan')):>9.1f}{g['peak_mb']:>10,.0f}{GI_TARGET_MB:>11,.0f}"
            f"  {'pass' if g['pass'] else 'FAIL'} ({g['status']})"
        )
    print("failure point:", results["memory_failure_point"])
    band = results["gi_star_default_band_on_nonempty_cells"]
    print(
        f"gi_star default distance band on the {band.get('cells', 0):,} non-empty cells: "
        f"{band.get('default_band_m', float('nan')):,.0f} m, "
        f"{band.get('mean_neighbours', float('nan')):,.0f} neighbours per cell, "
        f"~{band.get('implied_pairs_gib', float('nan'))} GiB of neighbour pairs"
    )
    if "identical_counts_at_full_size" in results:
        print("identical counts (Dask vs in-memory) at full size:",
              results["identical_counts_at_full_size"])  # fmt: skip


if __name__ == "__main__":
    main()
