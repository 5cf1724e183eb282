"""Benchmark of hotspots.hotspot_gaps against the same job done with networkx.

Run: ``.venv/bin/python benchmarks/bench_gaps.py [--quick] [--pairs N]``. Writes
``benchmarks/results/gaps.json``.

Case: on the synthetic town's street network (~100k nodes; ``--quick`` ~10k), 1,000
services (``--quick`` 100) and 50,000 hot-spot cells (``--quick`` 5,000; every cell
treated as a 99 % hot spot), list the hot spots with no suitable service (ages 10-24)
within 15 minutes' walk, worst first.

Peer: the usual recipe with networkx: services and cell centres snapped to their nearest
node (scipy cKDTree, as ``osmnx.distance.nearest_nodes`` does for projected graphs), then
``networkx.multi_source_dijkstra_path_length`` from the suitable services on the reversed
graph with ``weight="travel_time"`` and ``cutoff=900`` s, then the cells over the
threshold sorted by harm. The peer ignores the walk from a point to the street, which
hotspot_gaps adds; both must find the same gaps where that walk does not change the
answer.

Every figure is paired: ours and the peer run in turn (A B A B ..., ``--pairs`` times,
default 3), and the ratio is the median of the pair-by-pair ratios peer / ours.

1. **First call**: each run a fresh process that builds the town and cells, then times one
   call; ours then reads the graph into its routing arrays (cached on the graph after).
2. **Warm**: one process, each side called once first, then the paired calls; ours with
   the graph's routing arrays cached.

Target: hotspot_gaps warm under 5 s.
"""

from __future__ import annotations

import argparse
import json
import platform
import time
import warnings
from typing import Any

import geopandas as gpd
import networkx as nx
import numpy as np
from _harness import alternate, paired_case, run_child, write_results

from hotspots.grid import hex_grid
from hotspots.overlay import hotspot_gaps
from hotspots.synthetic import synthetic_town

MINUTES = 15.0
PEER = (
    f"networkx multi_source_dijkstra_path_length (reversed graph, weight='travel_time', "
    f"cutoff={MINUTES * 60:g} s) + scipy cKDTree snapping to nodes"
)


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


def _setup(quick: bool) -> dict[str, Any]:
    """The town, its street network and the hot cells (the same in every process)."""
    size_km, n_services, n_cells = (10.0, 100, 5_000) if quick else (32.0, 1_000, 50_000)
    town = synthetic_town(
        seed=0, size_km=size_km, block_m=100.0, n_incidents=1000, n_services=n_services
    )
    # hexagons sized so the town holds about n_cells of them
    cell_size = float(np.sqrt(town.boundary.area.sum() / n_cells))
    cells = hex_grid(town.boundary, cell_size=cell_size)
    rng = np.random.default_rng(0)
    cells["count"] = rng.poisson(4, len(cells))
    cells["gi_z"] = rng.normal(4, 1, len(cells))
    cells["gi_bin"] = 3
    return {"G": town.graph, "services": town.services, "cells": cells, "cell_size": cell_size}


def _ours(t: dict[str, Any]) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return hotspot_gaps(t["cells"], t["services"], G=t["G"], minutes=MINUTES, ages=(10, 24))


def _case(name: str, quick: bool, pairs: int) -> dict[str, Any]:
    """One child process's measurement (printed as a JSON line by ``main``)."""
    t = _setup(quick)
    if name == "first_ours":
        seconds, gaps = _timed(lambda: _ours(t))
        return {"seconds": seconds, "gaps": len(gaps)}
    if name == "first_peer":
        seconds, gaps = _timed(lambda: _peer(t["G"], t["services"], t["cells"]))
        return {"seconds": seconds, "gaps": len(gaps)}
    if name != "warm":
        raise SystemExit(f"unknown case {name!r}")
    got: dict[str, Any] = {}

    def ours() -> dict[str, float]:
        seconds, got["ours"] = _timed(lambda: _ours(t))
        return {"seconds": seconds}

    def peer() -> dict[str, float]:
        seconds, got["peer"] = _timed(lambda: _peer(t["G"], t["services"], t["cells"]))
        return {"seconds": seconds}

    first = {"ours_first_s": ours()["seconds"], "peer_first_s": peer()["seconds"]}
    ours_runs, peer_runs = alternate(pairs, ours, peer)
    ours_ids, peer_ids = set(got["ours"]["cell_id"]), set(got["peer"]["cell_id"])
    return {
        **first,
        "ours": [o["seconds"] for o in ours_runs],
        "peer": [p["seconds"] for p in peer_runs],
        "gaps_ours": len(ours_ids),
        "gaps_peer": len(peer_ids),
        "jaccard_ours_vs_peer": len(ours_ids & peer_ids) / max(len(ours_ids | peer_ids), 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes (~10k nodes)")
    parser.add_argument("--pairs", type=int, default=3, help="A/B pairs per figure")
    parser.add_argument("--case", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.case is not None:
        print(json.dumps(_case(args.case, args.quick, args.pairs)))
        return 0

    gen_s, t = _timed(lambda: _setup(args.quick))
    G, cells, services = t["G"], t["cells"], t["services"]
    print(f"graph: {len(G):,} nodes, {G.number_of_edges():,} edges (town and cells: {gen_s:.1f} s)")
    print(f"{len(cells):,} hot cells of {t['cell_size']:.0f} m; {len(services):,} services")
    size = (
        f"{len(cells):,} hot cells x {len(services):,} services, {MINUTES:g} min walk, "
        f"{len(G):,}-node network"
    )
    del t, G, cells, services

    script, extra = __file__, ["--quick"] if args.quick else []
    print(f"first call, a fresh process per run, {args.pairs} pairs", flush=True)
    first_ours, first_peer = alternate(
        args.pairs,
        lambda: run_child(script, "--case", "first_ours", *extra),
        lambda: run_child(script, "--case", "first_peer", *extra),
    )
    print(f"warm, one process, {args.pairs} pairs", flush=True)
    warm = run_child(script, "--case", "warm", "--pairs", args.pairs, *extra)
    cases = [
        paired_case(
            "hotspot_gaps (first call, new process: graph read into routing arrays)",
            size,
            PEER + ", in a new process too",
            first_ours,
            first_peer,
        ),
        paired_case(
            "hotspot_gaps (warm: graph arrays cached)",
            size,
            PEER,
            [{"seconds": s} for s in warm["ours"]],
            [{"seconds": s} for s in warm["peer"]],
            target="ours < 5 s",
            **{k: v for k, v in warm.items() if k not in ("ours", "peer")},
        ),
    ]
    cases[1]["pass"] = cases[1]["ours_s"] < 5.0
    for c in cases:
        print(
            f"{c['job']}: ours {c['ours_s']:.2f} s, peer {c['peer_s']:.2f} s, "
            f"peer/ours {c['ratio_peer_over_ours']:.1f} (median of {c['pairs']} pairs)"
        )
    w = cases[1]
    print(
        f"gaps {w['gaps_ours']:,} vs {w['gaps_peer']:,} (Jaccard {w['jaccard_ours_vs_peer']:.3f}); "
        f"target < 5 s warm: {'PASS' if w['pass'] else 'FAIL'}"
    )
    write_results(
        "gaps",
        {
            "quick": args.quick,
            "size": size,
            "python": platform.python_version(),
            "machine": platform.machine(),
            "paired": cases,
        },
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
