"""Benchmark: count_points of many points into a hexagon grid over Medway.

Peer: geopandas ``sjoin`` (predicate "intersects") + ``groupby().size()``.
Target: 1M points into ~100k hexagons in under 3 s.

Ours and the peer run in turn (A B A B ..., ``--pairs`` times, default 3), each run in a
fresh subprocess that builds the same points and grid before its clock starts, so its
peak memory (ru_maxrss) is its own; the figure is the median of the pair-by-pair ratios.

Run: ``.venv/bin/python benchmarks/bench_grid.py [--quick] [--pairs N]``; JSON goes to
``benchmarks/results/grid.json``.
"""

from __future__ import annotations

import argparse
import json
import time
import warnings
from typing import Any

import numpy as np
from _harness import DATA_DIR, alternate, paired_case, peak_mb, run_child, write_results

TOPIC = "grid"
PEER = (
    "geopandas.sjoin(points, hexagons, predicate='intersects'), first match per point, "
    "groupby(cell_id).size()"
)


def _inputs(n: int, cell_size: float):  # type: ignore[no-untyped-def]
    import geopandas as gpd
    import pandas as pd

    from hotspots.grid import hex_grid

    area = gpd.read_file(DATA_DIR / "boundaries" / "medway_boundary.geojson").to_crs(27700)
    df = pd.read_csv(DATA_DIR / "crime" / "medway_street_crime_2018-06_derived.csv")
    real = gpd.GeoSeries(gpd.points_from_xy(df["Longitude"], df["Latitude"]), crs=4326)
    real = real.to_crs(27700)
    rng = np.random.default_rng(42)
    pick = rng.integers(0, len(real), n)
    x = real.x.to_numpy()[pick] + rng.normal(0, 200, n)
    y = real.y.to_numpy()[pick] + rng.normal(0, 200, n)
    types = df["Crime type"].to_numpy()[pick]
    pts = gpd.GeoDataFrame({"crime_type": types}, geometry=gpd.points_from_xy(x, y), crs=27700)
    return pts, hex_grid(area, cell_size=cell_size)


def _case(name: str, n: int, cell_size: float) -> dict[str, float]:
    import geopandas as gpd

    from hotspots.grid import count_points

    pts, grid = _inputs(n, cell_size)
    t0 = time.perf_counter()
    if name == "ours":
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out = count_points(pts, grid)
        total = int(out["count"].sum())
    else:
        joined = gpd.sjoin(pts, grid[["cell_id", "geometry"]], predicate="intersects")
        joined = joined.loc[~joined.index.duplicated()]
        counts = joined.groupby("cell_id").size().reindex(grid["cell_id"], fill_value=0)
        total = int(counts.sum())
    seconds = time.perf_counter() - t0
    peak = peak_mb()
    return {"seconds": seconds, "peak_mb": peak, "counted": total, "cells": len(grid)}


def _run(name: str, n: int, cell_size: float) -> dict[str, Any]:
    return run_child(__file__, "--case", name, "--n", n, "--cell-size", cell_size)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true", help="small sizes")
    ap.add_argument("--pairs", type=int, default=3, help="A/B pairs (each run a fresh process)")
    ap.add_argument("--case")
    ap.add_argument("--n", type=int)
    ap.add_argument("--cell-size", type=float)
    args = ap.parse_args()
    if args.case:
        print(json.dumps(_case(args.case, args.n, args.cell_size)))
        return
    n, cell = (100_000, 150.0) if args.quick else (1_000_000, 45.0)
    target = 3.0 if not args.quick else None
    ours_runs, peer_runs = alternate(
        args.pairs, lambda: _run("ours", n, cell), lambda: _run("peer", n, cell)
    )
    totals = {r["counted"] for r in ours_runs + peer_runs}
    assert len(totals) == 1, (ours_runs, peer_runs)
    cells = int(ours_runs[0]["cells"])
    case = paired_case(
        "count points into hexagons",
        f"{n:,} points into {cells:,} hexagons ({cell:g} m)",
        PEER,
        ours_runs,
        peer_runs,
        same_counts_total=True,
    )
    ok = target is None or case["ours_s"] < target
    result = {
        "topic": TOPIC,
        "case": f"count_points, {n:,} points into {cells:,} hexagons ({cell:g} m)",
        "peer": PEER,
        "quick": args.quick,
        "pairs": case["pairs"],
        "ours_s": case["ours_s"],
        "peer_s": case["peer_s"],
        "ratio_peer_over_ours": case["ratio_peer_over_ours"],
        "ours_peak_mb": case["ours_peak_mb"],
        "peer_peak_mb": case["peer_peak_mb"],
        "target_s": target,
        "pass": ok,
        "paired": [case],
    }
    print(f"{'case':<60} {'ours s':>8} {'peer s':>8} {'ratio':>7} {'target':>7} {'pass':>5}")
    print(
        f"{result['case']:<60} {case['ours_s']:8.2f} {case['peer_s']:8.2f} "
        f"{case['ratio_peer_over_ours']:7.1f} {target if target else '-':>7} {ok!s:>5}"
    )
    print(f"(medians of {case['pairs']} pairs; ratio: median of the pair-by-pair ratios)")
    write_results(TOPIC, result)


if __name__ == "__main__":
    main()
