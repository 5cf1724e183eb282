"""Benchmark of hotspots.hotspot_gaps against the same job done with networkx.

Run: ``.venv/bin/python benchmarks/bench_gaps.py [--quick]``. Writes
``benchmarks/results/gaps.json``.

Case: on the synthetic town's street network (~100k nodes; ``--quick`` ~10k), 1,000
services (``--quick`` 100) and 50,000 hot-spot cells (``--quick`` 5,000; every cell
treated as a 99 % hot spot), list the hot spots with no suitable service (ages 10-24)
within 15 minutes' walk, worst first.

Peer: the usual recipe with networkx: services and cell centres snapped to their nearest
node (scipy cKDTree, as ``osmnx.distance.nearest_nodes`` does for projected graphs), then
``networkx.multi_source_dijkstra_path_length`` from the suitable services on the reversed
graph with ``weight="travel_time"``, then the cells over the threshold sorted by harm.
The peer ignores the walk from a point to the street, which hotspot_gaps adds; both must
find the same gaps where that walk does not change the answer.

Target: hotspot_gaps under 5 s (the graph's routing arrays are built once per graph and
timed separately, as a notebook pays that once).
"""

from __future__ import annotations

import argparse
import platform
import time
import warnings
from typing import Any

import geopandas as gpd
import networkx as nx
import numpy as np
from _harness import write_results

from hotspots import _routing
from hotspots.grid import hex_grid
from hotspots.overlay import hotspot_gaps
from hotspots.synthetic import synthetic_town

MINUTES = 15.0


def _timed(fn: Any) -> tuple[float, Any]:
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def _suitable(services: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    ages = (services["target_age_min"] <= 24) & (services["target_age_max"] >= 10)
    return services.loc[ages]


def _peer(G: nx.MultiDiGraph, services: gpd.GeoDataFrame, cells: gpd.GeoDataFrame) -> Any:
    from scipy.spatial import cKDTree

    nodes = list(G.nodes)
    xy = np.array([(G.nodes[n]["x"], G.nodes[n]["y"]) for n in nodes])
    tree = cKDTree(xy)
    suitable = _suitable(services)
    sources = {
        nodes[i] for i in tree.query(np.column_stack([suitable.geometry.x, suitable.geometry.y]))[1]
    }
    dist = nx.multi_source_dijkstra_path_length(
        G.reverse(copy=False), sources, cutoff=MINUTES * 60, weight="travel_time"
    )
    centres = cells.geometry.representative_point()
    cell_nodes = tree.query(np.column_stack([centres.x, centres.y]))[1]
    minutes = np.array([dist.get(nodes[i], np.inf) for i in cell_nodes]) / 60.0
    gaps = cells.loc[minutes > MINUTES].copy()
    return gaps.sort_values(["count", "gi_z"], ascending=False, kind="mergesort")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes (~10k nodes)")
    args = parser.parse_args(argv)
    size_km, n_services, n_cells = (10.0, 100, 5_000) if args.quick else (32.0, 1_000, 50_000)

    gen_s, town = _timed(
        lambda: synthetic_town(
            seed=0, size_km=size_km, block_m=100.0, n_incidents=1000, n_services=n_services
        )
    )
    G = town.graph
    print(f"graph: {len(G):,} nodes, {G.number_of_edges():,} edges (built in {gen_s:.1f} s)")
    # hexagons sized so the town holds about n_cells of them
    cell_size = float(np.sqrt(town.boundary.area.sum() / n_cells))
    cells = hex_grid(town.boundary, cell_size=cell_size)
    rng = np.random.default_rng(0)
    cells["count"] = rng.poisson(4, len(cells))
    cells["gi_z"] = rng.normal(4, 1, len(cells))
    cells["gi_bin"] = 3
    print(f"{len(cells):,} hot cells of {cell_size:.0f} m; {len(town.services):,} services")

    prep_s, _ = _timed(lambda: _routing.graph_arrays(G))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours_s, gaps = _timed(
            lambda: hotspot_gaps(cells, town.services, G=G, minutes=MINUTES, ages=(10, 24))
        )
    peer_s, ref = _timed(lambda: _peer(G, town.services, cells))
    ours_ids, peer_ids = set(gaps["cell_id"]), set(ref["cell_id"])
    agree = len(ours_ids & peer_ids) / max(len(ours_ids | peer_ids), 1)
    row = {
        "case": f"hotspot_gaps, {len(cells):,} hot cells x {len(town.services):,} services, "
        f"{MINUTES:g} min walk, {len(G):,}-node network",
        "ours_s": ours_s,
        "one_off_graph_preparation_s": prep_s,
        "peer": "networkx.multi_source_dijkstra_path_length (cutoff) + cKDTree snapping",
        "peer_s": peer_s,
        "ratio_peer_over_ours": peer_s / ours_s,
        "target": "ours < 5 s",
        "pass": ours_s < 5.0,
        "gaps_ours": len(gaps),
        "gaps_peer": len(ref),
        "jaccard_ours_vs_peer": agree,
    }
    print(
        f"ours {ours_s:.2f} s (+ {prep_s:.2f} s one-off graph arrays), peer {peer_s:.2f} s, "
        f"ratio {peer_s / ours_s:.1f}x; gaps {len(gaps):,} vs {len(ref):,} "
        f"(Jaccard {agree:.3f}); target < 5 s: {'PASS' if row['pass'] else 'FAIL'}"
    )
    write_results(
        "gaps",
        {
            "quick": args.quick,
            "nodes": len(G),
            "edges": G.number_of_edges(),
            "python": platform.python_version(),
            "machine": platform.machine(),
            "cases": [row],
        },
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
