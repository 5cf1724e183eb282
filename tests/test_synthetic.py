"""Tests of the synthetic town (hotspots.synthetic)."""

from __future__ import annotations

import networkx as nx
import numpy as np
import osmnx as ox
import pandas as pd
import pytest
import shapely

from hotspots import DataError
from hotspots._provenance import get_provenance
from hotspots._validate import GB_BNG_BOUNDS
from hotspots.police import INCIDENT_COLUMNS
from hotspots.synthetic import ORIGIN, SyntheticTown, month_range, synthetic_town


@pytest.fixture(scope="module")
def town() -> SyntheticTown:
    return synthetic_town(3)


def test_month_range() -> None:
    assert month_range("2023-11", 4) == ["2023-11", "2023-12", "2024-01", "2024-02"]
    with pytest.raises(DataError, match="YYYY-MM"):
        month_range("2024-13", 2)
    with pytest.raises(DataError):
        month_range("Jan 2024", 2)


def test_graph_is_osmnx_compatible(town: SyntheticTown) -> None:
    G = town.graph
    assert isinstance(G, nx.MultiDiGraph)
    assert G.graph["crs"] == "EPSG:27700"
    assert G.graph["mode"] == "walk" and G.graph["speed_kph"] == 4.8
    assert G.graph["simplified"] is True and G.graph["sources"] == ["synthetic"]
    # nodes ~ (size / block)^2 = 61^2 minus the river and dropped pieces
    assert 3000 < G.number_of_nodes() <= 61 * 61
    assert nx.is_strongly_connected(G)
    nodes, edges = ox.graph_to_gdfs(G)
    assert nodes.crs == "EPSG:27700" and edges.crs == "EPSG:27700"
    for col in ("length", "travel_time", "geometry", "highway", "name", "oneway", "osmid"):
        assert col in edges.columns
    # length is the euclidean length of the geometry; travel time at 4.8 km/h
    np.testing.assert_allclose(edges["length"], edges.geometry.length, rtol=1e-9)
    np.testing.assert_allclose(edges["travel_time"], edges["length"] / (4.8 / 3.6), rtol=1e-12)
    # every edge has its reverse, with reversed geometry
    for u, v, _k, d in list(G.edges(keys=True, data=True))[:500]:
        back = G.edges[v, u, 0]
        assert back["length"] == d["length"]
        assert back["geometry"].coords[0] == d["geometry"].coords[-1]
    # street_count is the number of distinct neighbouring streets
    some = list(G.nodes)[:200]
    for n in some:
        assert G.nodes[n]["street_count"] == len(set(G.successors(n)))
    # osmnx helpers run on it
    x, y = ORIGIN[0] + 1000.0, ORIGIN[1] + 1000.0
    nn = ox.distance.nearest_nodes(G, [x], [y])[0]
    assert np.hypot(G.nodes[nn]["x"] - x, G.nodes[nn]["y"] - y) < 100
    ox.distance.nearest_edges(G, [x], [y])


def test_location_is_in_the_north_sea(town: SyntheticTown) -> None:
    minx, miny, maxx, maxy = town.boundary.total_bounds
    assert (minx, miny) == ORIGIN
    assert maxx - minx == pytest.approx(6000) and maxy - miny == pytest.approx(6000)
    # inside the BNG area, east of the Suffolk coast (Orford Ness is near E 645,000)
    assert GB_BNG_BOUNDS[0] < minx and maxx < GB_BNG_BOUNDS[2]
    lonlat = town.boundary.to_crs(4326).total_bounds
    assert lonlat[0] > 1.7  # east of the coast at this latitude (~1.6 E)
    assert town.boundary["name"].tolist() == ["Synthetic town"]


def test_river_only_crossed_at_bridges(town: SyntheticTown) -> None:
    river = town.river.geometry.iloc[0]
    assert river.area > 6000 * 60  # at least 60 m wide across 6 km
    assert river.area < 6000 * 1.6 * 130
    _, edges = ox.graph_to_gdfs(town.graph, nodes=True)
    crossing = edges[edges.intersects(river)]
    assert len(crossing) >= 4  # 2-3 bridges, both directions
    assert (crossing["bridge"] == "yes").all()
    assert 4 <= int((edges["bridge"] == "yes").sum()) <= 6
    # crossing the river costs far more than the straight line
    G = town.graph
    nodes = ox.graph_to_gdfs(G, edges=False)
    cy = river.centroid.y
    south = nodes[nodes.y < cy - 300]
    north = nodes[nodes.y > cy + 300]
    # pick a pair across the river half-way between bridges is not easy to find
    # analytically; instead check the worst detour over a few pairs is large
    bridges_x = edges.loc[edges["bridge"] == "yes"].geometry.centroid.x.to_numpy()
    gaps = np.sort(np.concatenate([[ORIGIN[0]], bridges_x, [ORIGIN[0] + 6000]]))
    i = int(np.argmax(np.diff(gaps)))
    mid_x = (gaps[i] + gaps[i + 1]) / 2
    a = (south.x - mid_x).abs().add((south.y - (cy - 300)).abs()).idxmin()
    b = (north.x - mid_x).abs().add((north.y - (cy + 300)).abs()).idxmin()
    network = nx.shortest_path_length(G, a, b, weight="length")
    straight = np.hypot(nodes.x[a] - nodes.x[b], nodes.y[a] - nodes.y[b])
    assert network > 2.0 * straight


def test_incidents_schema_and_counts(town: SyntheticTown) -> None:
    inc = town.incidents
    assert len(inc) == 20_000
    assert inc.crs == "EPSG:27700"
    # the same schema as the police.uk loaders, so every function takes either
    assert tuple(inc.columns[: len(INCIDENT_COLUMNS)]) == INCIDENT_COLUMNS
    assert {"hotspot_id", "victim_age", "geometry"} <= set(inc.columns)
    assert set(inc.geom_type) == {"Point"}
    assert sorted(inc["month"].astype(str).unique()) == month_range("2024-01", 12)
    asb = inc["crime_type"] == "Anti-social behaviour"
    assert asb.any() and (inc.loc[asb, "crime_id"] == "").all()
    ids = inc.loc[~asb, "crime_id"]
    assert ids.str.fullmatch(r"[0-9a-f]{64}").all() and ids.is_unique
    assert inc["location"].str.startswith("On or near ").all()
    assert (inc["falls_within"] == "Synthetic Police").all()
    assert (inc["reported_by"] == "Synthetic Police").all()
    # violence dominates; several police categories present
    top = inc["crime_type"].value_counts()
    assert top.index[0] == "Violence and sexual offences"
    assert {"Drugs", "Possession of weapons", "Public order"} <= set(top.index)
    assert inc["victim_age"].between(1, 95).all() and (inc["victim_age"] < 25).mean() > 0.15
    assert pd.api.types.is_integer_dtype(inc["victim_age"])
    # no incident in the river, all inside the town
    river = town.river.geometry.iloc[0]
    assert not inc.within(river).any()
    assert inc.within(town.boundary.geometry.iloc[0].buffer(1e-6)).all()
    prov = get_provenance(inc)
    assert prov["sources"] == ["synthetic"] and prov["seed"] == 3


def test_lsoa_code_is_the_containing_area(town: SyntheticTown) -> None:
    sample = town.incidents.sample(2000, random_state=0)
    joined = sample.sjoin(town.areas[["code", "geometry"]], predicate="within", how="left")
    joined = joined[~joined.index.duplicated()]
    assert (joined["lsoa_code"] == joined["code"]).mean() > 0.999


def test_areas(town: SyntheticTown) -> None:
    a = town.areas
    assert list(a.columns) == [
        "code",
        "name",
        "population",
        "population_0_24",
        "imd_decile",
        "geometry",
    ]
    assert a["code"].is_unique and a["code"].str.fullmatch(r"SYN\d{4}").all()
    assert a["code"].iloc[0] == "SYN0001"
    assert (a["population_0_24"] < a["population"]).all() and (a["population"] > 0).all()
    assert sorted(a["imd_decile"].unique()) == list(range(1, 11))
    # areas tile the town less the river
    total = a.area.sum() + town.river.area.sum()
    assert total == pytest.approx(6000 * 6000, rel=1e-6)


def test_planted_hotspots_are_hot(town: SyntheticTown) -> None:
    hs, inc = town.hotspots, town.incidents
    assert list(hs["kind"]) == [
        "persistent",
        "new",
        "intensifying",
        "diminishing",
        "sporadic",
        "persistent",
    ]
    assert hs["radius_m"].between(150, 300).all()
    assert (
        hs["crime_type"]
        .isin(["Violence and sexual offences", "Drugs", "Possession of weapons"])
        .all()
    )
    months = month_range("2024-01", 12)
    new = hs.loc[hs["kind"] == "new", "months_active"].iloc[0]
    assert new == "2024-12"
    assert hs.loc[hs["kind"] == "persistent", "months_active"].iloc[0] == ",".join(months)
    # planted points lie in their circle
    for _, h in hs.iterrows():
        pts = inc[inc["hotspot_id"] == h["hotspot_id"]]
        assert len(pts) > 0
        centre = h.geometry.centroid
        assert (pts.distance(centre) <= h["radius_m"] + 1e-6).all()
        assert set(pts["month"].astype(str)) <= set(h["months_active"].split(",")) | set(months)
    # independent density check: in an active month a circle holds far more incidents
    # per km^2 than the town as a whole
    land = town.areas.area.sum()
    for _, h in hs.iterrows():
        m = h["months_active"].split(",")[-1]
        in_month = inc[inc["month"] == m]
        inside = int(in_month.within(h.geometry).sum())
        background = len(in_month) / land * h.geometry.area
        assert inside > 5 * background, (h["kind"], inside, background)
    # intensifying rises and diminishing falls
    by = inc[inc["hotspot_id"] >= 0].groupby(["hotspot_id", "month"]).size().unstack(fill_value=0)
    up = by.loc[int(hs.index[hs["kind"] == "intensifying"][0])]
    down = by.loc[int(hs.index[hs["kind"] == "diminishing"][0])]
    assert up.iloc[-1] > 3 * up.iloc[0] and down.iloc[0] > 3 * down.iloc[-1]
    sporadic = by.loc[int(hs.index[hs["kind"] == "sporadic"][0])].reindex(months, fill_value=0)
    assert (sporadic == 0).sum() >= 5 and (sporadic > 0).sum() >= 5


def test_services(town: SyntheticTown) -> None:
    s = town.services
    assert len(s) == 40
    assert list(s.columns) == [
        "name",
        "service_type",
        "provider",
        "target_age_min",
        "target_age_max",
        "funder",
        "geometry",
    ]
    assert (s["service_type"] == "ae_reachable_moments").sum() == 1
    assert {"community_sport", "youth_service", "substance_misuse", "mentoring"} <= set(
        s["service_type"]
    )
    assert s["name"].str.endswith("(synthetic)").all() and s["name"].is_unique
    assert (s["target_age_min"] < s["target_age_max"]).all()
    river = town.river.geometry.iloc[0]
    assert not s.intersects(river).any()
    # some hot spots are served (a service within 400 m), some are left without
    d = np.array([s.distance(h).min() for h in town.hotspots.geometry.centroid])
    assert (d <= 400).sum() >= 2 and (d >= 1000).sum() >= 2


def test_deterministic_and_seed_dependent() -> None:
    kw = {"size_km": 1.5, "n_incidents": 2000, "n_services": 6, "n_hotspots": 2}
    a, b, c = synthetic_town(5, **kw), synthetic_town(5, **kw), synthetic_town(6, **kw)
    for name in ("boundary", "river", "areas", "incidents", "hotspots", "services"):
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name))
    assert nx.utils.graphs_equal(a.graph, b.graph)
    assert not a.incidents.geometry.geom_equals(c.incidents.geometry).all()
    assert not shapely.equals(a.river.geometry.iloc[0], c.river.geometry.iloc[0])


def test_size_scaling_and_options() -> None:
    t = synthetic_town(
        1, size_km=3, block_m=50, n_incidents=500, n_months=3, start="2023-11", n_hotspots=0
    )
    assert 0.8 * 61**2 < t.graph.number_of_nodes() <= 61**2
    assert sorted(t.incidents["month"].astype(str).unique()) == ["2023-11", "2023-12", "2024-01"]
    assert len(t.hotspots) == 0 and (t.incidents["hotspot_id"] == -1).all()
    assert len(t.incidents) == 500


@pytest.mark.parametrize(
    "kwargs",
    [
        {"size_km": -1},
        {"size_km": float("nan")},
        {"block_m": 0},
        {"block_m": 5000, "size_km": 6},
        {"n_incidents": -5},
        {"n_months": 0},
        {"start": "2024/01"},
        {"start": "'; DROP TABLE"},
        {"n_hotspots": 1.5},
        {"n_services": "ten"},
    ],
)
def test_bad_input(kwargs: dict[str, object]) -> None:
    with pytest.raises(DataError):
        synthetic_town(0, **kwargs)  # type: ignore[arg-type]


def test_bad_seed() -> None:
    with pytest.raises(DataError, match="seed"):
        synthetic_town("1")  # type: ignore[arg-type]


def test_too_many_hotspots_for_a_small_town() -> None:
    with pytest.raises(DataError, match="hot spots"):
        synthetic_town(0, size_km=1.0, n_hotspots=40, n_incidents=100)
