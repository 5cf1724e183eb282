"""Tests of hotspots.siting: maximal covering location on cases with a known optimum."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import Point

from hotspots import CRSError, DataError
from hotspots.siting import suggest_sites


def clustered_demand() -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    centres = {"A": (0.0, 0.0), "B": (5000.0, 0.0), "C": (0.0, 5000.0)}
    weights = {"A": 10.0, "B": 5.0, "C": 1.0}
    rows = []
    for k, (x, y) in centres.items():
        for dx in (-50, 0, 50):
            rows.append({"site": k, "count": weights[k], "geometry": Point(x + dx, y)})
    demand = gpd.GeoDataFrame(rows, crs=27700)
    cand = gpd.GeoDataFrame(
        {"label": list(centres)}, geometry=[Point(v) for v in centres.values()], crs=27700
    )
    return demand, cand


def test_suggest_sites_known_optimum() -> None:
    demand, cand = clustered_demand()
    one = suggest_sites(cand, demand, minutes=15, n_sites=1)
    assert one["label"].tolist() == ["A"]
    assert one["gain"].iloc[0] == 30.0
    assert one["share_after"].iloc[0] == pytest.approx(30 / 48)
    two = suggest_sites(cand, demand, minutes=15, n_sites=2)
    assert two["label"].tolist() == ["A", "B"] and two["gain"].tolist() == [30.0, 15.0]


def test_suggest_sites_keeps_existing() -> None:
    demand, cand = clustered_demand()
    existing = cand.iloc[[0]]  # A already served
    res = suggest_sites(cand.iloc[1:], demand, minutes=15, n_sites=1, existing=existing)
    assert res["label"].tolist() == ["B"]
    prov = res.attrs["hotspots"]
    assert prov["coverage_existing"] == pytest.approx(30 / 48)
    assert prov["coverage_with_new"] == pytest.approx(45 / 48)


def test_suggest_sites_bad_input() -> None:
    demand, cand = clustered_demand()
    with pytest.raises(DataError, match="n_sites"):
        suggest_sites(cand, demand, n_sites=4)
    bad = demand.assign(count=np.nan)
    with pytest.raises(DataError, match="non-negative"):
        suggest_sites(cand, bad)
    with pytest.raises(DataError, match="empty"):
        suggest_sites(cand.iloc[:0], demand)

    with pytest.raises(CRSError):
        suggest_sites(cand.to_crs(4326), demand.to_crs(4326))
    with pytest.raises(CRSError):
        suggest_sites(cand.to_crs(3857), demand)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_covering_optimum_equals_spopt(seed: int) -> None:
    """The PuLP model reaches the covered weight of spopt's MCLP on random instances."""
    import pulp
    from spopt.locate import MCLP

    from hotspots.siting import _max_covering

    rng = np.random.default_rng(seed)
    cost = rng.uniform(0, 30, size=(60, 12))
    w = rng.integers(1, 20, size=60).astype(float)
    fixed = 2
    predefined = np.zeros(12, dtype=int)
    predefined[:fixed] = 1
    ref = MCLP.from_cost_matrix(
        cost, w, service_radius=10.0, p_facilities=5, predefined_facilities_arr=predefined
    )
    ref.solve(pulp.PULP_CBC_CMD(msg=False))
    ref_sites = [j for j in range(12) if ref.fac_vars[j].value() > 0.5]
    covers = cost <= 10.0
    ours = _max_covering(covers, w, 5, fixed)
    assert len(ours) == 5 and {0, 1} <= set(ours)
    assert w[covers[:, ours].any(axis=1)].sum() == w[covers[:, ref_sites].any(axis=1)].sum()


def test_cost_matrix_on_a_network_equals_one_search_per_facility() -> None:
    from hotspots.reach import travel_times
    from hotspots.siting import _cost_matrix
    from hotspots.synthetic import synthetic_town

    town = synthetic_town(1, size_km=2.0, n_incidents=200, n_months=1, n_services=5)
    demand = town.areas.set_geometry(town.areas.representative_point())
    facilities = town.services.iloc[:4]
    got = _cost_matrix(town.graph, facilities, demand)
    for j in range(len(facilities)):
        one = travel_times(town.graph, facilities.iloc[[j]], demand)["minutes"].to_numpy()
        assert np.allclose(got[:, j], one, rtol=1e-12, equal_nan=True)
    assert got.shape == (len(demand), 4) and np.isfinite(got).all()
