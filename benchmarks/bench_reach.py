"""Benchmark of hotspots.reach against networkx / the osmnx isochrone recipe.

Run: ``.venv/bin/python benchmarks/bench_reach.py [--quick] [--pairs N]``. Writes
``benchmarks/results/reach.json``.

Every figure is paired: ours and the peer run in turn (A B A B ...) in the same run, and
the ratio (peer time over ours) is the median of the pair-by-pair ratios. On a synthetic
town of ~100k nodes (``--quick``: ~10k) with 100 services (30) placed on street nodes,
so that networkx and we answer the same question:

1. **First call**, graph preparation included: a fresh process for each side, which
   builds the town and then times one call: ``travel_times`` (reading the graph into
   arrays, snapping every node, the search) against networkx
   ``multi_source_dijkstra_path_length`` (weight ``travel_time``, over the reversed
   graph: the time *to* the nearest service, as ours).
2. **Warm** (one process, the graph's arrays cached): the same call again on the same
   places; a search capped at 15 minutes, on the same places and on places not snapped
   before, against networkx with ``cutoff=900`` (which gives node times only) and
   against the osmnx way for new places (``osmnx.distance.nearest_nodes``, then that
   search); and what checking the cache costs (a call of ``graph_arrays`` on the
   unchanged graph: it reads every edge's weight).
3. **Isochrones** for 100 services x (5, 10, 15) minutes (default ``method="raster"``:
   a place is inside only where its own nearest street is reached, see
   ``isochrone_accuracy.py`` for how true they are), per service, against the
   osmnx-examples "13-isolines-isochrones" recipe in its street-buffer form: for each
   service and threshold ``nx.ego_graph(G, node, radius=t*60, distance="travel_time")``,
   reached edges buffered 25 m and nodes 50 m, unioned; run on every service. The union
   of all services, our plain buffers (``method="vector"``) and the recipe's convex-hull
   form are timed once each for reference.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import time
import warnings
from pathlib import Path
from typing import Any

import geopandas as gpd
import networkx as nx
import numpy as np
import shapely
from _harness import paired, run_child, write_results

from hotspots import _streetgraph
from hotspots.reach import isochrones, travel_times
from hotspots.synthetic import synthetic_town

THRESHOLDS = (5.0, 10.0, 15.0)
CAP_MIN = 15.0


def _timed(fn: Any) -> tuple[float, Any]:
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def _town(quick: bool) -> dict[str, Any]:
    size_km = 10.0 if quick else 32.0
    n_services = 30 if quick else 100
    town = synthetic_town(
        seed=0, size_km=size_km, block_m=100.0, n_incidents=1000, n_services=n_services
    )
    G = town.graph
    nodes = list(G.nodes)
    xy = np.array([(G.nodes[n]["x"], G.nodes[n]["y"]) for n in nodes])
    at = _nearest_nodes(xy, town.services)
    return {
        "G": G,
        "nodes": nodes,
        "xy": xy,
        "targets": gpd.GeoDataFrame(geometry=shapely.points(xy), crs=G.graph["crs"]),
        "svc_nodes": [nodes[i] for i in at],
        "services": gpd.GeoDataFrame(
            {"service_type": town.services["service_type"].to_numpy()},
            geometry=shapely.points(xy[at]),
            crs=G.graph["crs"],
        ),
        "n_services": n_services,
    }


def _ours(t: dict[str, Any], **kw: Any) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return travel_times(t["G"], t["services"], t["targets"], **kw)


def _peer(t: dict[str, Any], cutoff: float | None = None) -> Any:
    return nx.multi_source_dijkstra_path_length(
        t["G"].reverse(copy=False), t["svc_nodes"], weight="travel_time", cutoff=cutoff
    )


def _peer_new_places(t: dict[str, Any], cutoff: float | None = None) -> np.ndarray:
    """The osmnx way for places not on the graph: each to its nearest node
    (``osmnx.distance.nearest_nodes``), then networkx from the services, then look up."""
    import osmnx as ox

    xy = shapely.get_coordinates(t["targets"].geometry.to_numpy())
    near = ox.distance.nearest_nodes(t["G"], xy[:, 0], xy[:, 1])
    ref = _peer(t, cutoff=cutoff)
    return np.array([ref.get(n, np.inf) for n in near]) / 60.0


def _case(name: str, quick: bool, pairs: int) -> dict[str, Any]:
    """One child process's measurement (printed as a JSON line by ``main``)."""
    t = _town(quick)
    G = t["G"]
    if name == "first_ours":
        seconds, _ = _timed(lambda: _ours(t))
        return {"seconds": seconds}
    if name == "first_peer":
        seconds, _ = _timed(lambda: _peer(t))
        return {"seconds": seconds}
    if name == "warm":
        out = _ours(t)
        ref = _peer(t)
        expected = np.array([ref.get(n, np.inf) for n in t["nodes"]]) / 60.0
        err = float(np.nanmax(np.abs(out["minutes"].to_numpy() - expected)))
        capped = _ours(t, max_minutes=CAP_MIN)["minutes"].to_numpy()
        ref_c = _peer(t, cutoff=CAP_MIN * 60)
        exp_c = np.array([ref_c.get(n, np.inf) for n in t["nodes"]]) / 60.0
        same_c = bool(np.array_equal(np.isfinite(capped), np.isfinite(exp_c)))
        fin = np.isfinite(exp_c)
        err_c = float(np.max(np.abs(capped[fin] - exp_c[fin]))) if fin.any() else 0.0
        _peer_new_places(t, cutoff=CAP_MIN * 60)  # osmnx imported before any timing
        # places not snapped before: the same nodes moved 1 cm, a new set each time
        moved = [
            gpd.GeoDataFrame(geometry=shapely.points(t["xy"] + 0.01 * (k + 1)), crs=G.graph["crs"])
            for k in range(pairs)
        ]
        rows: dict[str, list[float]] = {
            k: []
            for k in (
                "warm",
                "peer",
                "capped",
                "capped_new_places",
                "peer_capped",
                "peer_capped_new_places",
                "cache_check",
            )
        }
        for k in range(pairs):
            rows["warm"].append(_timed(lambda: _ours(t))[0])
            rows["peer"].append(_timed(lambda: _peer(t))[0])
            rows["capped"].append(_timed(lambda: _ours(t, max_minutes=CAP_MIN))[0])
            rows["peer_capped"].append(_timed(lambda: _peer(t, cutoff=CAP_MIN * 60))[0])
            other = {**t, "targets": moved[k]}
            rows["capped_new_places"].append(
                _timed(lambda o=other: _ours(o, max_minutes=CAP_MIN))[0]
            )
            rows["peer_capped_new_places"].append(
                _timed(lambda o=other: _peer_new_places(o, cutoff=CAP_MIN * 60))[0]
            )
            rows["cache_check"].append(_timed(lambda: _streetgraph.graph_arrays(G))[0])
        return {
            **rows,
            "max_abs_diff_minutes": err,
            "capped_max_abs_diff_minutes": err_c,
            "capped_same_reached": same_c,
        }
    if name == "iso":
        services, svc_nodes = t["services"], t["svc_nodes"]
        isochrones(G, services.iloc[:1], minutes=[1.0])  # lazy imports, graph arrays
        ours_s, peer_s = [], []
        iso = None
        for _ in range(pairs):
            s, iso = _timed(lambda: isochrones(G, services, minutes=THRESHOLDS, how="per_service"))
            ours_s.append(s)
            peer_s.append(_timed(lambda: _osmnx_recipe_buffered(G, svc_nodes, THRESHOLDS))[0])
        union_s, _ = _timed(lambda: isochrones(G, services, minutes=THRESHOLDS, how="union"))
        vector_s, iso_vector = _timed(
            lambda: isochrones(G, services, minutes=THRESHOLDS, how="per_service", method="vector")
        )
        hull_s, _ = _timed(lambda: _osmnx_recipe(G, svc_nodes, THRESHOLDS))
        assert iso is not None
        a, b = iso.geometry.to_numpy(), iso_vector.geometry.to_numpy()
        sym = shapely.area(shapely.symmetric_difference(a, b))
        return {
            "ours": ours_s,
            "peer": peer_s,
            "union_s": union_s,
            "vector_s": vector_s,
            "hull_s": hull_s,
            "n_polygons": len(iso),
            "raster_vs_plain_buffer_symmetric_difference_share_median": float(
                np.median(sym / shapely.area(b))
            ),
            "raster_over_plain_buffer_area_median": float(
                np.median(shapely.area(a) / shapely.area(b))
            ),
        }
    raise SystemExit(f"unknown case {name!r}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes (~10k nodes)")
    parser.add_argument("--pairs", type=int, default=5, help="A/B pairs per figure")
    parser.add_argument("--iso-pairs", type=int, default=2, help="A/B pairs for isochrones")
    parser.add_argument("--case", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.case is not None:
        pairs = args.iso_pairs if args.case == "iso" else args.pairs
        print(json.dumps(_case(args.case, args.quick, pairs)))
        return 0

    script = str(Path(__file__).resolve())
    extra = ["--quick"] if args.quick else []
    t = _town(args.quick)
    G, n_services = t["G"], t["n_services"]
    size = f"{len(G):,} nodes, {G.number_of_edges():,} edges, {n_services} services"
    print(f"graph: {size}")
    del t

    first_ours: list[float] = []
    first_peer: list[float] = []
    for _ in range(args.pairs):  # a fresh process for each side, in turn
        first_ours.append(run_child(script, "--case", "first_ours", *extra)["seconds"])
        first_peer.append(run_child(script, "--case", "first_peer", *extra)["seconds"])
    first = paired(first_ours, first_peer)
    warm = run_child(script, "--case", "warm", "--pairs", args.pairs, *extra)
    iso = run_child(script, "--case", "iso", "--iso-pairs", args.iso_pairs, *extra)
    peer_nx = "networkx multi_source_dijkstra_path_length (reversed graph)"
    cases = [
        {
            "case": "nearest-service minutes, first call (graph preparation included)",
            "peer": peer_nx + ", in a fresh process too",
            **first,
        },
        {
            "case": "nearest-service minutes, warm (graph arrays cached, same places)",
            "peer": peer_nx,
            **paired(warm["warm"], warm["peer"]),
            "max_abs_diff_minutes": warm["max_abs_diff_minutes"],
        },
        {
            "case": f"nearest-service minutes capped at {CAP_MIN:g} min, warm, same places",
            "peer": peer_nx + f", cutoff={CAP_MIN * 60:g} s",
            **paired(warm["capped"], warm["peer_capped"]),
            "max_abs_diff_minutes": warm["capped_max_abs_diff_minutes"],
            "same_places_reached": warm["capped_same_reached"],
        },
        {
            "case": f"nearest-service minutes capped at {CAP_MIN:g} min, warm, new places",
            "peer": peer_nx + f", cutoff={CAP_MIN * 60:g} s (node times only: the new "
            "places are not placed on the network)",
            **paired(warm["capped_new_places"], warm["peer_capped"]),
        },
        {
            "case": f"nearest-service minutes capped at {CAP_MIN:g} min, warm, new places "
            "placed on the network",
            "peer": "osmnx.distance.nearest_nodes for the places, then "
            + peer_nx
            + f", cutoff={CAP_MIN * 60:g} s",
            **paired(warm["capped_new_places"], warm["peer_capped_new_places"]),
        },
        {
            "case": f"isochrones per service, {n_services} x {len(THRESHOLDS)} thresholds",
            "peer": "osmnx example, street-buffer form: ego_graph, each reached edge "
            "buffered 25 m and node 50 m, unioned (all services)",
            **paired(iso["ours"], iso["peer"]),
            "n_polygons": iso["n_polygons"],
            "raster_vs_plain_buffer_symmetric_difference_share_median": iso[
                "raster_vs_plain_buffer_symmetric_difference_share_median"
            ],
            "raster_over_plain_buffer_area_median": iso["raster_over_plain_buffer_area_median"],
        },
    ]
    reference = {
        "cache_check_s_median": statistics.median(warm["cache_check"]),
        "isochrones_union_s": iso["union_s"],
        "isochrones_per_service_vector_s": iso["vector_s"],
        "osmnx_recipe_convex_hull_s": iso["hull_s"],
    }
    for c in cases:  # as speed_table.py reads a "paired" list
        c["job"] = "reach: " + c["case"]
        c["size"] = size
    print(f"{'case':<72} {'ours s':>7} {'peer s':>7} {'peer/ours':>9}")
    for c in cases:
        print(
            f"{c['case']:<72} {c['ours_s']:7.2f} {c['peer_s']:7.2f} "
            f"{c['ratio_peer_over_ours']:9.2f}"
        )
    for key, value in reference.items():
        print(f"{key}: {value:.3f}")
    write_results(
        "reach",
        {
            "quick": args.quick,
            "nodes": len(G),
            "edges": G.number_of_edges(),
            "services": n_services,
            "python": platform.python_version(),
            "machine": platform.machine(),
            "cases": cases,
            "reference": reference,
            "paired": cases,
        },
    )
    return 0


def _nearest_nodes(xy: np.ndarray, services: gpd.GeoDataFrame) -> np.ndarray:
    from scipy.spatial import cKDTree

    sxy = np.column_stack([services.geometry.x, services.geometry.y])
    return np.asarray(cKDTree(xy).query(sxy)[1])


def _osmnx_recipe(G: nx.MultiDiGraph, centres: list[Any], thresholds: tuple[float, ...]) -> list:
    """The osmnx-examples isochrone recipe: ego graph, then the nodes' convex hull."""
    polys = []
    for node in centres:
        for t in sorted(thresholds, reverse=True):
            sub = nx.ego_graph(G, node, radius=t * 60, distance="travel_time")
            pts = [shapely.Point(d["x"], d["y"]) for _, d in sub.nodes(data=True)]
            polys.append(gpd.GeoSeries(pts).union_all().convex_hull)
    return polys


def _osmnx_recipe_buffered(
    G: nx.MultiDiGraph, centres: list[Any], thresholds: tuple[float, ...]
) -> list:
    """The street-buffer variant of that recipe (polygons that follow the streets, as ours).

    For each service and threshold: the ego graph, each reached node buffered 50 m and
    each reached edge (straight segment between its nodes, or its geometry) buffered 25 m,
    and the union of all of them.
    """
    polys = []
    for node in centres:
        for t in sorted(thresholds, reverse=True):
            sub = nx.ego_graph(G, node, radius=t * 60, distance="travel_time")
            parts = [shapely.Point(d["x"], d["y"]).buffer(50) for _, d in sub.nodes(data=True)]
            for u, v, d in sub.edges(data=True):
                line = d.get("geometry") or shapely.LineString(
                    [(sub.nodes[u]["x"], sub.nodes[u]["y"]), (sub.nodes[v]["x"], sub.nodes[v]["y"])]
                )
                parts.append(line.buffer(25))
            polys.append(shapely.union_all(parts))
    return polys


if __name__ == "__main__":
    raise SystemExit(main())
