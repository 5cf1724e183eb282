"""Benchmark: synthetic_town at ~100k street nodes and 1M incidents.

Peer: the bare minimum a hand-written generator would do for the same sizes, built with
the usual tools: ``networkx.grid_2d_graph`` made directed, with node ``x``/``y`` and edge
``length``, plus one million uniform points in a GeoDataFrame with a month column. It has
no river, bridges, hot spots, areas, names or services, so it is a floor, not a rival.
Target: within 4x of the peer's time (the pass/fail test, since the machine is shared
and absolute times are noisy), peak memory under 6 GB; absolute time is reported too
(about 11 s on a quiet 2-core machine for the full size).

Run: ``.venv/bin/python benchmarks/bench_synthetic.py [--quick]``; JSON goes to
``benchmarks/results/synthetic.json``. Each case runs in its own subprocess so its peak
memory (ru_maxrss) is its own.
"""

from __future__ import annotations

import argparse
import json
import time
from typing import Any

import numpy as np
from _harness import peak_mb, run_child, write_results

TOPIC = "synthetic"


def _case(name: str, size_km: float, n: int) -> dict[str, float]:
    import geopandas as gpd
    import networkx as nx

    from hotspots.synthetic import synthetic_town

    t0 = time.perf_counter()  # imports are not timed
    if name == "ours":
        town = synthetic_town(0, size_km=size_km, n_incidents=n)
        nodes, points = town.graph.number_of_nodes(), len(town.incidents)
    else:
        side = round(size_km * 10) + 1
        g = nx.grid_2d_graph(side, side)
        G = nx.MultiDiGraph(g.to_directed())
        for node, d in G.nodes(data=True):
            d["x"], d["y"] = 660_000.0 + node[0] * 100.0, 250_000.0 + node[1] * 100.0
        for _, _, d in G.edges(data=True):
            d["length"] = 100.0
        rng = np.random.default_rng(0)
        x = rng.uniform(660_000, 660_000 + size_km * 1000, n)
        y = rng.uniform(250_000, 250_000 + size_km * 1000, n)
        month = np.array([f"2024-{m:02d}" for m in range(1, 13)])[rng.integers(0, 12, n)]
        pts = gpd.GeoDataFrame({"month": month}, geometry=gpd.points_from_xy(x, y), crs=27700)
        nodes, points = G.number_of_nodes(), len(pts)
    seconds = time.perf_counter() - t0
    peak = peak_mb()
    return {"seconds": seconds, "peak_mb": peak, "nodes": nodes, "points": points}


def _run(name: str, size_km: float, n: int) -> dict[str, Any]:
    return run_child(__file__, "--case", name, "--size-km", size_km, "--n", n)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true", help="small sizes")
    ap.add_argument("--case")
    ap.add_argument("--size-km", type=float)
    ap.add_argument("--n", type=int)
    args = ap.parse_args()
    if args.case:
        print(json.dumps(_case(args.case, args.size_km, args.n)))
        return
    size_km, n = (6.0, 100_000) if args.quick else (32.0, 1_000_000)
    target_ratio, target_mb = (4.0, 6000.0)
    ours = _run("ours", size_km, n)
    peer = _run("peer", size_km, n)
    ratio = ours["seconds"] / peer["seconds"]
    ok = ratio < target_ratio and ours["peak_mb"] < target_mb
    result = {
        "topic": TOPIC,
        "case": (
            f"synthetic_town {size_km:g} km: {int(ours['nodes']):,} nodes, "
            f"{int(ours['points']):,} incidents"
        ),
        "peer": "nx.grid_2d_graph -> MultiDiGraph with x/y/length + uniform points GeoDataFrame",
        "quick": args.quick,
        "ours_s": ours["seconds"],
        "peer_s": peer["seconds"],
        "ratio_ours_over_peer": ratio,
        "ours_peak_mb": ours["peak_mb"],
        "peer_peak_mb": peer["peak_mb"],
        "peer_nodes": peer["nodes"],
        "target": f"< {target_ratio:g}x peer time, < {target_mb:g} MB peak",
        "pass": ok,
    }
    print(f"{'case':<58} {'ours s':>7} {'peer s':>7} {'ratio':>6} {'ours MB':>8} {'pass':>5}")
    print(
        f"{result['case']:<58} {ours['seconds']:7.2f} {peer['seconds']:7.2f} "
        f"{ratio:6.2f} {ours['peak_mb']:8.0f} {ok!s:>5}"
    )
    print(f"target: {result['target']}")
    write_results(TOPIC, result)


if __name__ == "__main__":
    main()
