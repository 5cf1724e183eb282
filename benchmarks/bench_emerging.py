"""Benchmark: emerging hot spot analysis on a 10,000-cell x 36-month cube.

Target: ``emerging_hotspots`` (space-time Gi* over the cube, FDR, Mann-Kendall and the
ArcGIS categories) in under 30 s for 10k cells x 36 months. Peer, as a reference timing:
esda ``G_Local(star=True, transform="B", permutations=0)`` on each of the 36 time slices
with libpysal ``DistanceBand(threshold=150, binary=True)`` weights built once per run (a
purely spatial Gi*, no time neighbours, no trend or categories). Cube building from points
(``space_time_cube``) is timed separately, once.

Ours and the peer run in turn in this process (A B A B ..., ``--pairs`` times, default 3),
after one untimed call of each on a small cube (imports); the figure is the median of the
pair-by-pair ratios peer / ours.

Run: ``.venv/bin/python benchmarks/bench_emerging.py [--quick] [--pairs N]``; writes
``benchmarks/results/emerging.json``.
"""

from __future__ import annotations

import argparse
import platform
import time
import warnings
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from _harness import alternate, paired_case, write_results
from shapely import box

from hotspots.spacetime import SpaceTimeCube, emerging_hotspots, space_time_cube

TARGET_S = 30.0
PEER = (
    "esda G_Local(star=True, transform='B', permutations=0) on each month, libpysal "
    "DistanceBand(threshold=150, binary=True) weights built once (spatial only)"
)


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


def peer_gi(cells: gpd.GeoDataFrame, counts: np.ndarray) -> None:
    """The peer: esda's spatial Gi* on each time slice."""
    import esda
    from libpysal.weights import DistanceBand

    xy = np.column_stack([cells.centroid.x, cells.centroid.y])
    w = DistanceBand(xy, threshold=150.0, binary=True, silence_warnings=True)
    for k in range(counts.shape[1]):
        esda.G_Local(counts[:, k].astype(float), w, transform="B", star=True, permutations=0)


def _timed(fn: Any) -> dict[str, float]:
    t0 = time.perf_counter()
    fn()
    return {"seconds": time.perf_counter() - t0}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes (a few seconds)")
    parser.add_argument("--pairs", type=int, default=3, help="A/B pairs")
    args = parser.parse_args()
    side, n_periods = (30, 12) if args.quick else (100, 36)
    cells = make_cells(side)
    counts = make_counts(side, n_periods)
    periods = pd.period_range("2022-01", periods=n_periods, freq="M")
    cube = SpaceTimeCube(cells=cells, periods=periods, counts=counts)

    # one untimed call of each side on a small cube: imports and first-call set-up
    small = SpaceTimeCube(cells=make_cells(10), periods=periods[:6], counts=make_counts(10, 6))
    emerging_hotspots(small)
    peer_gi(small.cells, small.counts)
    got: dict[str, Any] = {}

    def ours() -> dict[str, float]:
        t0 = time.perf_counter()
        got["out"] = emerging_hotspots(cube)
        return {"seconds": time.perf_counter() - t0}

    print(f"emerging hot spots, {side * side:,} cells x {n_periods} periods, {args.pairs} pairs")
    ours_runs, peer_runs = alternate(
        args.pairs, ours, lambda: _timed(lambda: peer_gi(cells, counts))
    )
    out = got["out"]
    case = paired_case(
        "emerging hot spots (ours: space-time Gi*, FDR, trend, categories)",
        f"{side * side:,} cells x {n_periods} months",
        PEER,
        ours_runs,
        peer_runs,
    )

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

    ours_s, peer_s = case["ours_s"], case["peer_s"]
    passed = ours_s < TARGET_S
    print(f"{'case':<34}{'ours s':>9}{'peer s':>9}{'peer/ours':>10}{'target':>9}  result")
    print(f"{'emerging_hotspots (space-time)':<34}{ours_s:>9.2f}{peer_s:>9.2f}"
          f"{case['ratio_peer_over_ours']:>10.2f}{TARGET_S:>9.0f}  "
          f"{'pass' if passed else 'FAIL'}")  # fmt: skip
    print(f"{'space_time_cube from ' + format(n_pts, ',') + ' pts':<34}{cube_s:>9.2f}"
          f"{'':>9}{'':>10}{'':>9}  {'counts match' if same else 'MISMATCH'}")  # fmt: skip
    print(f"(medians of {case['pairs']} pairs; peer/ours: median of the pair-by-pair ratios)")
    print(out["category"].value_counts().to_string())
    result = {
        "benchmark": "emerging",
        "quick": args.quick,
        "n_cells": side * side,
        "n_periods": n_periods,
        "pairs": case["pairs"],
        "ours_emerging_s": round(ours_s, 3),
        "peer": PEER,
        "peer_s": round(peer_s, 3),
        "ratio_peer_over_ours": case["ratio_peer_over_ours"],
        "target_s": TARGET_S,
        "passed": passed,
        "space_time_cube_s": round(cube_s, 3),
        "space_time_cube_points": n_pts,
        "cube_counts_match": same,
        "categories": out["category"].value_counts().to_dict(),
        "python": platform.python_version(),
        "machine": platform.machine(),
        "paired": [case],
    }
    write_results("emerging", result)


if __name__ == "__main__":
    main()
