"""The street graph read into arrays (hotspots._streetgraph) and snapping onto it."""

from __future__ import annotations

import geopandas as gpd
import networkx as nx
import numpy as np
import pytest
import shapely
from shapely.geometry import LineString

from hotspots import _snapping, _streetgraph
from hotspots._errors import NetworkError
from hotspots.reach import travel_times


def _graph(nodes: dict[int, tuple[float, float]]) -> nx.MultiDiGraph:
    G = nx.MultiDiGraph(crs="EPSG:27700")
    for n, (x, y) in nodes.items():
        G.add_node(n, x=x, y=y)
    return G


def _street(G: nx.MultiDiGraph, u: int, v: int, seconds: float, **data: object) -> None:
    G.add_edge(u, v, travel_time=seconds, **data)


def _square() -> nx.MultiDiGraph:
    """Four corners; every kind of edge the arrays must read.

    0-1 two-way, no geometry; 1-2 two-way, curved, one direction's geometry drawn from
    its v to its u; 2-3 one-way with geometry; 3-0 two parallel streets of different
    shape (the curved one quicker); a self-loop at 0; 4-1 one-way from the higher node,
    its geometry drawn from 1 to 4.
    """
    G = _graph(
        {0: (0.0, 0.0), 1: (100.0, 0.0), 2: (100.0, 100.0), 3: (0.0, 100.0), 4: (200.0, 0.0)}
    )
    _street(G, 0, 1, 100.0)
    _street(G, 1, 0, 100.0)
    curve = LineString([(100, 0), (150, 50), (100, 100)])
    _street(G, 1, 2, 150.0, geometry=curve)
    _street(G, 2, 1, 150.0, geometry=curve)  # drawn from 1 to 2: must be turned round
    _street(G, 2, 3, 100.0, geometry=LineString([(100, 100), (0, 100)]))
    _street(G, 3, 0, 80.0)
    _street(G, 3, 0, 50.0, geometry=LineString([(0, 100), (-60, 50), (0, 0)]))
    _street(G, 0, 0, 30.0, geometry=LineString([(0, 0), (-10, -10), (10, -10), (0, 0)]))
    _street(G, 4, 1, 90.0, geometry=LineString([(100, 0), (150, -30), (200, 0)]))
    return G


def _street_rows(arrays: _streetgraph.GraphArrays) -> dict[tuple[int, int], list[np.ndarray]]:
    rows: dict[tuple[int, int], list[np.ndarray]] = {}
    for s in range(len(arrays.street_u)):
        key = (int(arrays.street_u[s]), int(arrays.street_v[s]))
        xy = arrays.street_xy[arrays.street_begin[s] : arrays.street_begin[s + 1]]
        rows.setdefault(key, []).append(xy)
    return rows


def test_every_street_is_read_from_its_u_to_its_v():
    arrays = _streetgraph.graph_arrays(_square())
    rows = _street_rows(arrays)
    # 0-1 (one two-way street), 1-2 (one), 2-3 (one-way), 3-0 (two parallel), loop
    assert sorted((k, len(v)) for k, v in rows.items()) == [
        ((0, 0), 1),
        ((0, 1), 1),
        ((0, 3), 2),
        ((1, 2), 1),
        ((1, 4), 1),
        ((2, 3), 1),
    ]
    np.testing.assert_array_equal(rows[(0, 1)][0], [[0, 0], [100, 0]])
    np.testing.assert_array_equal(rows[(1, 2)][0], [[100, 0], [150, 50], [100, 100]])
    np.testing.assert_array_equal(rows[(2, 3)][0], [[100, 100], [0, 100]])
    # the one-way 4 -> 1, drawn from 1 to 4, is a street from 1 to 4 as drawn
    np.testing.assert_array_equal(rows[(1, 4)][0], [[100, 0], [150, -30], [200, 0]])
    shapes = sorted(len(xy) for xy in rows[(0, 3)])
    assert shapes == [2, 3]  # the straight street and the curved one, both from 0 to 3
    for xy in rows[(0, 3)]:
        np.testing.assert_array_equal(xy[[0, -1]], [[0, 0], [0, 100]])
    length = dict(
        zip(map(tuple, np.c_[arrays.street_u, arrays.street_v]), arrays.street_len, strict=True)
    )
    assert length[(1, 2)] == pytest.approx(2 * np.hypot(50, 50))
    # the quicker parallel edge is the pair's time; the loop adds no pair
    pairs = dict(zip(zip(arrays.pair_u, arrays.pair_v, strict=True), arrays.pair_time, strict=True))
    assert pairs[(3, 0)] == 50.0 and (0, 0) not in pairs
    assert pairs[(1, 2)] == 150.0 and (3, 2) not in pairs
    # lazily drawn streets equal the vertex rows
    for s, geom in enumerate(arrays.street_geom):
        xy = arrays.street_xy[arrays.street_begin[s] : arrays.street_begin[s + 1]]
        np.testing.assert_array_equal(shapely.get_coordinates(geom), xy)


def test_points_snap_onto_curves_and_parallel_streets():
    arrays = _streetgraph.graph_arrays(_square())
    pts = shapely.points([(149.0, 50.0), (-50.0, 65.0), (50.0, 1.0)])
    s = _snapping.snap(arrays, pts)
    lines = [
        LineString([(100, 0), (150, 50), (100, 100)]),
        LineString([(0, 100), (-60, 50), (0, 0)]),
        LineString([(0, 0), (100, 0)]),
    ]
    np.testing.assert_allclose(s.dist_m, shapely.distance(pts, lines), atol=1e-9)
    ends = np.c_[arrays.street_u[s.street], arrays.street_v[s.street]]
    np.testing.assert_array_equal(ends, [[1, 2], [0, 3], [0, 1]])
    # the place along each street, from its u, as shapely measures it
    along = shapely.line_locate_point(lines, pts, normalized=True)
    along[1] = 1.0 - along[1]  # that line was written from 3 to 0
    np.testing.assert_allclose(s.frac, along, atol=1e-9)


def _scrambled_town(seed: int) -> nx.MultiDiGraph:
    """The synthetic town with a third of the edges' geometries dropped and a third of
    the others drawn backwards (real extracts mix both)."""
    from hotspots.synthetic import synthetic_town

    G = synthetic_town(seed=seed, n_incidents=200, size_km=3.0).graph.copy()
    rng = np.random.default_rng(seed)
    for _, _, data in G.edges(data=True):
        draw = rng.random()
        if draw < 1 / 3:
            data.pop("geometry", None)
        elif draw < 2 / 3 and "geometry" in data:
            data["geometry"] = data["geometry"].reverse()
    return G


@pytest.mark.parametrize("seed", [0, 1])
def test_mixed_geometries_give_networkx_times(seed):
    G = _scrambled_town(seed)
    nodes = list(G.nodes)
    xy = np.array([(G.nodes[n]["x"], G.nodes[n]["y"]) for n in nodes])
    svc = nodes[:: max(len(nodes) // 7, 1)]
    at = [nodes.index(n) for n in svc]
    crs = G.graph["crs"]
    out = travel_times(
        G,
        gpd.GeoDataFrame(geometry=shapely.points(xy[at]), crs=crs),
        gpd.GeoDataFrame(geometry=shapely.points(xy), crs=crs),
    )
    ref = nx.multi_source_dijkstra_path_length(G.reverse(copy=False), svc, weight="travel_time")
    expected = np.array([ref.get(n, np.inf) for n in nodes]) / 60.0
    np.testing.assert_allclose(out["minutes"].to_numpy(), expected, atol=1e-6, rtol=0)
    # every street's drawn length equals its edge geometry's (or straight line's)
    arrays = _streetgraph.graph_arrays(G)
    assert np.isfinite(arrays.street_len).all() and (arrays.street_len > 0).all()


def test_tunnel_tag_keeps_the_street_out_of_snapping_only():
    G = _graph({0: (0.0, 0.0), 1: (100.0, 0.0), 2: (0.0, 60.0), 3: (100.0, 60.0)})
    for u, v in ((2, 3), (3, 2), (0, 2), (2, 0), (1, 3), (3, 1)):
        _street(G, u, v, 60.0)
    for u, v in ((1, 0), (0, 1)):  # read last, in the edge order of node 1 then node 0
        _street(G, u, v, 100.0, tunnel=["yes", "no"] if u == 1 else "yes")
    arrays = _streetgraph.graph_arrays(G)
    s = _snapping.snap(arrays, shapely.points([(50.0, 5.0)]))
    ends = (int(arrays.street_u[s.street[0]]), int(arrays.street_v[s.street[0]]))
    assert ends != (0, 1) and s.dist_m[0] == pytest.approx(min(55.0, 50.0))
    # the tunnel is still travelled: 0 -> 1 through it
    pairs = dict(zip(zip(arrays.pair_u, arrays.pair_v, strict=True), arrays.pair_time, strict=True))
    assert pairs[(0, 1)] == 100.0


@pytest.mark.parametrize(
    "edit, message",
    [
        (lambda d: d.pop("travel_time"), "no 'travel_time'"),
        (lambda d: d.update(travel_time=-1.0), "negative or non-finite"),
        (lambda d: d.update(travel_time="slow"), "no 'travel_time'"),
        (lambda d: d.update(travel_time=float("inf")), "negative or non-finite"),
    ],
)
def test_bad_weights_are_named(edit, message):
    G = _square()
    edit(G.edges[1, 2, 0])
    with pytest.raises(NetworkError, match=message):
        _streetgraph.graph_arrays(G)


def test_a_graph_without_edges_is_refused():
    with pytest.raises(NetworkError, match="no edges"):
        _streetgraph.graph_arrays(_graph({0: (0.0, 0.0)}))


def test_reading_a_graph_leaves_it_free_to_go():
    # networkx caches G.nodes / G.edges views in the graph on first use, tying the graph
    # to itself; reach must not do that, or a dropped graph waits for the cyclic garbage
    # collector (over a second for a 100k-node graph, often at exit)
    import gc
    import weakref

    G = _square()
    pts = gpd.GeoDataFrame(geometry=shapely.points([(50.0, 5.0), (90.0, 95.0)]), crs=27700)
    gc.disable()
    try:
        travel_times(G, pts.iloc[:1], pts)
        alive = weakref.ref(G)
        del G
        assert alive() is None
    finally:
        gc.enable()


@pytest.mark.parametrize("order", [(10.0, 80.0), (80.0, 10.0)])
def test_the_nearer_of_two_services_on_the_target_street_is_taken(order):
    # one street of 100 m at 1 m/s: from x = 50 the service at 80 is 30 s along it, the
    # one at 10 is 40 s; both beat going round by a junction (70 s and 90 s)
    G = _graph({0: (0.0, 0.0), 1: (100.0, 0.0)})
    _street(G, 0, 1, 100.0)
    _street(G, 1, 0, 100.0)
    svc = gpd.GeoDataFrame(
        geometry=shapely.points([(x, 0.0) for x in order]), index=["a", "b"], crs=27700
    )
    tgt = gpd.GeoDataFrame(geometry=shapely.points([(50.0, 0.0)]), crs=27700)
    out = travel_times(G, svc, tgt)
    assert out["minutes"].iloc[0] == pytest.approx(30.0 / 60.0)
    assert out["nearest_service"].iloc[0] == ("b" if order[1] == 80.0 else "a")
