"""Benchmark: quartic kernel density over Medway (~192 km²) at 25 m, 10k and 1M points.

Points are resampled around the real Medway June 2018 crime locations (200 m jitter).

Peer: scikit-learn ``KernelDensity(kernel="epanechnikov", rtol=0, atol=0)`` (exact tree
sums), fitted on all the points and evaluated at the same 25 m cell centres with the same
bandwidth. scikit-learn has no quartic kernel: its Epanechnikov kernel
``(1 - (d/r)²)`` has the same support ``d < r`` and costs the same per pair, while ours is
the quartic ``(1 - (d/r)²)²`` of ArcGIS. Both sides are timed on the same grid, built
before the clock starts (``square_grid(medway, cell_size=25)``): ours is
``kde(points, cell_size=25, grid=grid)``, the peer ``fit`` + ``score_samples`` at the cell
centres. The JSON also gives, for ours, the grid build alone and the whole
``kde(points, cell_size=25, area=medway)`` call that builds its own grid.

Each size runs ours and the peer in turn in fresh processes (A B A B ...), and the figure
is the median of the paired ratios peer / ours (3 pairs at each size; ``pairs`` in the
JSON). A last case records the peak memory of ours at
12.5 m cells (1M points), the binned method's tiled convolution keeping it bounded.

Run: ``.venv/bin/python benchmarks/bench_density.py [--quick]``; JSON goes to
``benchmarks/results/density.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
import warnings
from typing import Any

import numpy as np
from _harness import DATA_DIR, peak_mb, run_child, write_results

TOPIC = "density"
PEER = (
    "scikit-learn KernelDensity(kernel='epanechnikov', rtol=0, atol=0) fitted on all the "
    "points, scored at the same cell centres, same bandwidth; both timed on a grid built "
    "beforehand"
)


def _inputs(n: int):  # type: ignore[no-untyped-def]
    import geopandas as gpd
    import pandas as pd

    area = gpd.read_file(DATA_DIR / "boundaries" / "medway_boundary.geojson").to_crs(27700)
    df = pd.read_csv(DATA_DIR / "crime" / "medway_street_crime_2018-06_derived.csv")
    real = gpd.GeoSeries(gpd.points_from_xy(df["Longitude"], df["Latitude"]), crs=4326)
    real = real.to_crs(27700)
    rng = np.random.default_rng(7)
    pick = rng.integers(0, len(real), n)
    x = real.x.to_numpy()[pick] + rng.normal(0, 200, n)
    y = real.y.to_numpy()[pick] + rng.normal(0, 200, n)
    return gpd.GeoDataFrame(geometry=gpd.points_from_xy(x, y), crs=27700), area


def _case(name: str, n: int, cell: float) -> dict[str, Any]:
    import scipy.fft
    import scipy.spatial
    import shapely

    from hotspots.density import kde

    assert scipy.fft and scipy.spatial  # warm imports: time the computation only
    pts, area = _inputs(n)
    info: dict[str, Any] = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if name == "grid_only":  # what the output grid alone costs
            from hotspots.grid import square_grid

            t0 = time.perf_counter()
            grid = square_grid(area, cell_size=cell)
            info["seconds"] = time.perf_counter() - t0
            info["cells"] = len(grid)
        elif name == "whole":  # one kde call building its own grid, nothing else
            t0 = time.perf_counter()
            surf = kde(pts, cell_size=cell, area=area)
            info["seconds"] = time.perf_counter() - t0
            info["cells"] = len(surf)
            info["evaluation"] = surf.attrs["hotspots"]["parameters"]["evaluation"]
        elif name == "ours":
            from hotspots.grid import square_grid

            t0 = time.perf_counter()
            grid = square_grid(area, cell_size=cell)
            info["grid_s"] = time.perf_counter() - t0
            t0 = time.perf_counter()
            surf = kde(pts, cell_size=cell, grid=grid)
            info["seconds"] = time.perf_counter() - t0
            t0 = time.perf_counter()
            kde(pts, cell_size=cell, area=area)
            info["whole_call_s"] = time.perf_counter() - t0
            params = surf.attrs["hotspots"]["parameters"]
            info["cells"] = len(surf)
            info["bandwidth"] = params["bandwidth"]
            info["evaluation"] = params["evaluation"]
            info["integral_over_n"] = float((surf["density"] * cell * cell / 1e6).sum() / n)
        else:
            from sklearn.neighbors import KernelDensity

            from hotspots.grid import square_grid

            grid = square_grid(area, cell_size=cell)
            r = float(os.environ["BENCH_BANDWIDTH"])
            xy = shapely.get_coordinates(pts.geometry.to_numpy())
            centres = shapely.get_coordinates(grid.geometry.centroid.to_numpy())
            t0 = time.perf_counter()
            model = KernelDensity(kernel="epanechnikov", bandwidth=r, rtol=0, atol=0).fit(xy)
            model.score_samples(centres)
            info["seconds"] = time.perf_counter() - t0
            info["cells"] = len(grid)
    info["peak_mb"] = peak_mb()
    return info


def _paired(n: int, cell: float, pairs: int) -> dict[str, Any]:
    ours_runs, peer_runs = [], []
    for i in range(pairs):
        ours = run_child(__file__, "--case", "ours", "--n", n, "--cell", cell)
        env = dict(os.environ, BENCH_BANDWIDTH=str(ours["bandwidth"]))
        peer = run_child(__file__, "--case", "peer", "--n", n, "--cell", cell, env=env)
        ours_runs.append(ours)
        peer_runs.append(peer)
        print(f"  pair {i + 1}: ours {ours['seconds']:.2f} s, peer {peer['seconds']:.2f} s")
    ratios = [p["seconds"] / o["seconds"] for o, p in zip(ours_runs, peer_runs, strict=True)]
    first = ours_runs[0]
    return {
        "case": f"kde, {n:,} points, {int(first['cells']):,} cells of {cell:g} m over Medway",
        "n_points": n,
        "cells": first["cells"],
        "bandwidth_m": first["bandwidth"],
        "evaluation": first["evaluation"],
        "integral_over_n": first["integral_over_n"],
        "pairs": pairs,
        "ours_s": [o["seconds"] for o in ours_runs],
        "peer_s": [p["seconds"] for p in peer_runs],
        "ours_s_median": statistics.median(o["seconds"] for o in ours_runs),
        "peer_s_median": statistics.median(p["seconds"] for p in peer_runs),
        "ratio_peer_over_ours_median": statistics.median(ratios),
        "ours_grid_build_s": [o["grid_s"] for o in ours_runs],
        "ours_whole_call_s": [o["whole_call_s"] for o in ours_runs],
        "ours_peak_mb": max(o["peak_mb"] for o in ours_runs),
        "peer_peak_mb": max(p["peak_mb"] for p in peer_runs),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true", help="small sizes, one pair each")
    ap.add_argument("--case")
    ap.add_argument("--n", type=int)
    ap.add_argument("--cell", type=float, default=25.0)
    args = ap.parse_args()
    if args.case:
        print(json.dumps(_case(args.case, args.n, args.cell)))
        return
    sizes = [(10_000, 1), (100_000, 1)] if args.quick else [(10_000, 3), (1_000_000, 3)]
    cases = []
    for n, pairs in sizes:
        print(f"{n:,} points at 25 m, {pairs} pair(s)", flush=True)
        cases.append(_paired(n, 25.0, pairs))
    print("peak memory at 12.5 m", flush=True)
    fine = run_child(__file__, "--case", "whole", "--n", sizes[-1][0], "--cell", 12.5)
    grid_only = run_child(__file__, "--case", "grid_only", "--n", sizes[-1][0], "--cell", 12.5)
    result = {
        "topic": TOPIC,
        "quick": args.quick,
        "peer": PEER,
        "kernel_note": (
            "ours: quartic (1-(d/r)^2)^2 as ArcGIS; scikit-learn has no quartic kernel, "
            "its epanechnikov (1-(d/r)^2) has the same support and cost per pair"
        ),
        "cases": cases,
        "fine_cells_memory": {
            "case": f"kde, {sizes[-1][0]:,} points, {int(fine['cells']):,} cells of 12.5 m",
            "seconds": fine["seconds"],
            "peak_mb": fine["peak_mb"],
            "evaluation": fine["evaluation"],
            "grid_only_s": grid_only["seconds"],
            "grid_only_peak_mb": grid_only["peak_mb"],
            "note": "peaks of two processes reading the same points: one kde call, and "
            "building the same grid alone; the difference is what the density adds (the "
            "binned convolution works in tiles of at most TILE_FINE_CELLS fine cells)",
        },
    }
    print(f"{'case':<58} {'ours s':>8} {'peer s':>8} {'ratio':>7} {'pairs':>5}")
    for c in cases:
        print(
            f"{c['case']:<58} {c['ours_s_median']:8.2f} {c['peer_s_median']:8.2f} "
            f"{c['ratio_peer_over_ours_median']:7.1f} {c['pairs']:>5}"
        )
    f = result["fine_cells_memory"]
    print(
        f"{f['case']}: {f['seconds']:.2f} s, peak {f['peak_mb']:.0f} MB "
        f"(the grid alone: {f['grid_only_peak_mb']:.0f} MB)"
    )
    write_results(TOPIC, result)


if __name__ == "__main__":
    main()
