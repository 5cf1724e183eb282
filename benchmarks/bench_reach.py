"""Benchmark of hotspots.reach against networkx / the osmnx isochrone recipe.

Run: ``.venv/bin/python benchmarks/bench_reach.py [--quick]``. Writes
``benchmarks/results/reach.json``.

Cases (on a synthetic town of ~100k nodes with 100 services; ``--quick`` uses ~10k):

1. nearest-service minutes for every node. Peer: ``networkx.multi_source_dijkstra_path_length``
   (weight="travel_time"). Target: under 1 s, and equal results.
   The first call, graph preparation included, is timed too.
2. isochrones for 100 services x (5, 10, 15) minutes (default ``method="raster"``: a
   place is inside only where its own nearest street is reached, see
   ``isochrone_accuracy.py`` for how true they are). Peer: the osmnx-examples notebook
   "13-isolines-isochrones" recipe, for each service and threshold
   ``nx.ego_graph(G, node, radius=t*60, distance="travel_time")`` then a polygon: in its
   street-buffer form (``make_iso_polys``: reached edges buffered 25 m and nodes 50 m,
   unioned), which like ours follows the streets, and in its convex-hull form. The peer
   runs on every service by default (``--peer-services`` runs it on fewer and
   extrapolates linearly, said in the output). Targets: at least 20x faster than the
   street-buffer form, all polygons under 10 s. The convex-hull form and our plain
   buffer ``method="vector"`` are timed for reference; the raster areas are compared with
   the plain buffers (the raster leaves out what lies nearer to unreached streets).
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
import shapely
from _harness import write_results

from hotspots import _routing
from hotspots.reach import isochrones, travel_times
from hotspots.synthetic import synthetic_town


def _timed(fn: Any) -> tuple[float, Any]:
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes (~10k nodes)")
    parser.add_argument(
        "--peer-services", type=int, default=None, help="services run by the peer (default all)"
    )
    args = parser.parse_args(argv)
    size_km = 10.0 if args.quick else 32.0
    n_services = 30 if args.quick else 100
    thresholds = (5.0, 10.0, 15.0)

    gen_s, town = _timed(
        lambda: synthetic_town(
            seed=0, size_km=size_km, block_m=100.0, n_incidents=1000, n_services=n_services
        )
    )
    G = town.graph
    services = town.services
    print(f"graph: {len(G):,} nodes, {G.number_of_edges():,} edges (built in {gen_s:.1f} s)")
    nodes = list(G.nodes)
    xy = np.array([(G.nodes[n]["x"], G.nodes[n]["y"]) for n in nodes])
    targets = gpd.GeoDataFrame(geometry=shapely.points(xy), crs=G.graph["crs"])
    # services placed on their nearest node so the peer and we answer the same question
    svc_nodes = [nodes[i] for i in _nearest_nodes(xy, services)]
    svc_on_nodes = gpd.GeoDataFrame(
        {"service_type": services["service_type"].to_numpy()},
        geometry=shapely.points(xy[[nodes.index(n) for n in svc_nodes]]),
        crs=G.graph["crs"],
    )
    rows: list[dict[str, Any]] = []

    # 1. nearest-service minutes for every node: the first call (graph preparation
    # included), then a second call with the arrays cached
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        first_s, _ = _timed(lambda: travel_times(G, svc_on_nodes, targets))
    _routing._CACHE.clear()
    prep_s, _ = _timed(lambda: _routing.graph_arrays(G))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours_s, out = _timed(lambda: travel_times(G, svc_on_nodes, targets))
    peer_s, ref = _timed(
        lambda: nx.multi_source_dijkstra_path_length(
            G.reverse(copy=False), svc_nodes, weight="travel_time"
        )
    )
    expected = np.array([ref.get(n, np.inf) for n in nodes]) / 60.0
    err = float(np.nanmax(np.abs(out["minutes"].to_numpy() - expected)))
    rows.append(
        {
            "case": f"nearest-service minutes, {len(nodes):,} nodes x {n_services} services",
            "ours_s": ours_s,
            "peer": "networkx.multi_source_dijkstra_path_length",
            "peer_s": peer_s,
            "target": "ours < 1 s (graph arrays cached; first build separately)",
            "pass": ours_s < 1.0 and err < 1e-6,
            "max_abs_diff_minutes": err,
            "one_off_graph_preparation_s": prep_s,
        }
    )
    rows.append(
        {
            "case": f"nearest-service minutes, first call, {len(nodes):,} nodes",
            "ours_s": first_s,
            "peer": "networkx.multi_source_dijkstra_path_length",
            "peer_s": peer_s,
            "target": "(first call: graph preparation included)",
            "pass": None,
        }
    )

    # 2. isochrones, 100 services x 3 thresholds (after one small call, so that the
    # lazily imported scipy.ndimage and contourpy are loaded, as networkx is for the peer)
    isochrones(G, svc_on_nodes.iloc[:1], minutes=[1.0])
    ours_iso_s, iso = _timed(
        lambda: isochrones(G, svc_on_nodes, minutes=thresholds, how="per_service")
    )
    vector_s, iso_vector = _timed(
        lambda: isochrones(G, svc_on_nodes, minutes=thresholds, how="per_service", method="vector")
    )
    union_s, _ = _timed(lambda: isochrones(G, svc_on_nodes, minutes=thresholds, how="union"))
    a, b = iso.geometry.to_numpy(), iso_vector.geometry.to_numpy()
    sym = shapely.area(shapely.symmetric_difference(a, b))
    share = sym / shapely.area(b)
    gap_m = sym / shapely.length(b)
    accuracy = {
        "raster_vs_plain_buffer_symmetric_difference_share_median": float(np.median(share)),
        "raster_vs_plain_buffer_symmetric_difference_share_max": float(np.max(share)),
        "raster_vs_plain_buffer_mean_boundary_gap_m_max": float(np.max(gap_m)),
        "raster_over_plain_buffer_area_median": float(np.median(shapely.area(a) / shapely.area(b))),
    }
    print(
        f"raster vs plain-buffer polygons: area ratio median "
        f"{accuracy['raster_over_plain_buffer_area_median']:.3f}, symmetric difference median "
        f"{np.median(share):.2%} of the area (the raster leaves out places nearer to streets "
        "not reached)"
    )
    k = n_services if args.peer_services is None else min(args.peer_services, n_services)
    peer_sub_s, _ = _timed(lambda: _osmnx_recipe(G, svc_nodes[:k], thresholds))
    peer_iso_s = peer_sub_s * n_services / k
    peer_buf_sub_s, _ = _timed(lambda: _osmnx_recipe_buffered(G, svc_nodes[:k], thresholds))
    peer_buf_s = peer_buf_sub_s * n_services / k
    rows.append(
        {
            "case": f"isochrones per service vs buffered recipe, {n_services} x "
            f"{len(thresholds)} thresholds",
            "ours_s": ours_iso_s,
            "peer": "osmnx example, street-buffer variant: ego_graph, then each reached edge "
            "buffered 25 m and each node 50 m, unioned "
            + (
                f"(run on {k} services, extrapolated linearly x{n_services / k:g})"
                if k < n_services
                else f"(run on all {k} services)"
            ),
            "peer_s": peer_buf_s,
            "target": ">= 20x faster than peer and < 10 s",
            "pass": ours_iso_s < 10.0 and peer_buf_s / ours_iso_s >= 20,
            "n_polygons": len(iso),
            **accuracy,
        }
    )
    rows.append(
        {
            "case": f"isochrones per service, method='vector', {n_services} x "
            f"{len(thresholds)} thresholds",
            "ours_s": vector_s,
            "peer": "the same street-buffer recipe",
            "peer_s": peer_buf_s,
            "target": "(reference: our plain buffers of the reached pieces, GEOS union)",
            "pass": None,
        }
    )
    rows.append(
        {
            "case": f"isochrones per service, {n_services} services x {len(thresholds)} thresholds",
            "ours_s": ours_iso_s,
            "peer": "osmnx example: ego_graph + convex hull per service and threshold "
            + (
                f"(run on {k} services, extrapolated linearly x{n_services / k:g})"
                if k < n_services
                else f"(run on all {k} services)"
            ),
            "peer_s": peer_iso_s,
            "target": "(reference: convex hulls do not follow the streets, so they are not "
            "the polygons ours are compared with)",
            "pass": None,
            "n_polygons": len(iso),
        }
    )
    rows.append(
        {
            "case": f"isochrones union, {n_services} services x {len(thresholds)} thresholds",
            "ours_s": union_s,
            "peer": "(none: the osmnx recipe has no union)",
            "peer_s": None,
            "target": "< 10 s",
            "pass": union_s < 10.0,
        }
    )

    print(f"{'case':<62} {'ours s':>8} {'peer s':>8} {'ratio':>7}  target  pass")
    for r in rows:
        ratio = r["peer_s"] / r["ours_s"] if r["peer_s"] else float("nan")
        r["ratio_peer_over_ours"] = ratio
        peer = f"{r['peer_s']:8.2f}" if r["peer_s"] is not None else f"{'-':>8}"
        print(
            f"{r['case']:<62} {r['ours_s']:8.2f} {peer} {ratio:7.1f}  {r['target']}  "
            f"{'-' if r['pass'] is None else 'PASS' if r['pass'] else 'FAIL'}"
        )
    if k < n_services:
        print(f"(isochrone peer ran on {k} services and was extrapolated linearly)")
    write_results(
        "reach",
        {
            "quick": args.quick,
            "nodes": len(G),
            "edges": G.number_of_edges(),
            "services": n_services,
            "python": platform.python_version(),
            "machine": platform.machine(),
            "cases": rows,
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
