"""Benchmark: emerging hot spot analysis on a 10,000-cell x 36-month cube.

Target: ``emerging_hotspots`` (space-time Gi* over the cube, FDR, Mann-Kendall and the
ArcGIS categories) in under 30 s for 10k cells x 36 months. Peer, as a reference timing:
esda ``G_Local(star=True, permutations=0)`` run on each of the 36 time slices (a purely
spatial Gi*, no time neighbours, no trend or categories). Cube building from points
(``space_time_cube``) is timed separately.

Run: ``.venv/bin/python benchmarks/bench_emerging.py [--quick]``; writes
``benchmarks/results/emerging.json``.
"""

from __future__ import annotations

import argparse
import platform
import time
import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
from _harness import write_results
from shapely import box

from hotspots.spacetime import SpaceTimeCube, emerging_hotspots, space_time_cube

TARGET_S = 30.0


def make_cells(side: int, size: float = 100.0) -> gpd.GeoDataFrame:
    r, c = np.divmod(np.arange(side * side), side)
    geoms = box(c * size, r * size, (c + 1) * size, (r + 1) * size)
    return gpd.GeoDataFrame({"cell_id": np.arange(side * side)}, geometry=geoms, crs=27700)


def make_counts(side: int, n_periods: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    r, c = np.divmod(np.arange(side * side), side)
    rate = np.full((side * side, n_periods), 0.5)
    t = np.arange(n_periods)
    for k in range(max(4, side // 10)):
        cr, cc = rng.integers(0, side, 2)
        near = np.hypot(r - cr, c - cc) <= 2
        trend = [np.ones(n_periods), 1 + t / n_periods * 3, (t > n_periods * 0.7) * 4.0][k % 3]
        rate[near] += 3 * trend
    return rng.poisson(rate)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes (about 1 s)")
    args = parser.parse_args()
    side, n_periods = (30, 12) if args.quick else (100, 36)
    cells = make_cells(side)
    counts = make_counts(side, n_periods)
    periods = pd.period_range("2022-01", periods=n_periods, freq="M")
    cube = SpaceTimeCube(cells=cells, periods=periods, counts=counts)

    t0 = time.perf_counter()
    out = emerging_hotspots(cube)
    ours = time.perf_counter() - t0

    # cube building from incident points (same total as the counts)
    rng = np.random.default_rng(1)
    n_pts = int(counts.sum())
    cell_of = np.repeat(np.arange(counts.size), counts.reshape(-1)) // n_periods
    month_of = np.repeat(np.arange(counts.size), counts.reshape(-1)) % n_periods
    xs = (cell_of % side) * 100.0 + rng.uniform(1, 99, n_pts)
    ys = (cell_of // side) * 100.0 + rng.uniform(1, 99, n_pts)
    pts = gpd.GeoDataFrame(
        {"month": periods.astype(str).to_numpy()[month_of]},
        geometry=gpd.points_from_xy(xs, ys), crs=27700,
    )  # fmt: skip
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        built = space_time_cube(pts, cells)
    cube_s = time.perf_counter() - t0
    same = bool(np.array_equal(built.counts, counts))

    peer = float("nan")
    peer_note = ""
    try:
        import esda
        from libpysal.weights import DistanceBand

        xy = np.column_stack([cells.centroid.x, cells.centroid.y])
        t0 = time.perf_counter()
        w = DistanceBand(xy, threshold=150.0, binary=True, silence_warnings=True)
        for k in range(n_periods):
            esda.G_Local(counts[:, k].astype(float), w, transform="B", star=True, permutations=0)
        peer = time.perf_counter() - t0
    except Exception as exc:  # the peer is a reference only
        peer_note = f"esda failed: {exc!r}"

    ratio = ours / peer if peer == peer else float("nan")
    passed = ours < TARGET_S
    print(f"emerging hot spots, {side * side:,} cells x {n_periods} periods")
    print(f"{'case':<34}{'ours s':>9}{'peer s':>9}{'ratio':>8}{'target':>9}  result")
    print(f"{'emerging_hotspots (space-time)':<34}{ours:>9.2f}{peer:>9.2f}{ratio:>8.2f}"
          f"{TARGET_S:>9.0f}  {'pass' if passed else 'FAIL'}")  # fmt: skip
    print(f"{'space_time_cube from ' + format(n_pts, ',') + ' pts':<34}{cube_s:>9.2f}"
          f"{'':>9}{'':>8}{'':>9}  {'counts match' if same else 'MISMATCH'}")  # fmt: skip
    print(out["category"].value_counts().to_string())
    result = {
        "benchmark": "emerging",
        "quick": args.quick,
        "n_cells": side * side,
        "n_periods": n_periods,
        "ours_emerging_s": round(ours, 3),
        "peer": "esda.G_Local(star=True, permutations=0) x n_periods (spatial only)",
        "peer_s": round(peer, 3) if peer == peer else None,
        "peer_note": peer_note,
        "ratio_ours_over_peer": round(ratio, 3) if ratio == ratio else None,
        "target_s": TARGET_S,
        "passed": passed,
        "space_time_cube_s": round(cube_s, 3),
        "space_time_cube_points": n_pts,
        "cube_counts_match": same,
        "categories": out["category"].value_counts().to_dict(),
        "python": platform.python_version(),
        "machine": platform.machine(),
    }
    write_results("emerging", result)


if __name__ == "__main__":
    main()
