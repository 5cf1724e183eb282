"""Tests of hotspots.relate: co-location quotients by hand and by enumeration, calibration
under independence, a planted co-location, and bivariate local Moran against esda."""

from __future__ import annotations

import itertools
import math
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

from hotspots import CRSError, DataError
from hotspots.relate import bivariate_moran, colocation_quotient

# A line of points, categories A, B, C; distances are whole metres so that by hand:
#   A at 0: nearest 1 (B, 10 m), 2 (A, 25 m);  A at 25: nearest 3 (C, 8 m), 1 (B, 15 m);
#   A at 76: nearest 6 (B, 3 m), 4 (B, 6 m).   N = 8, N_B = 3: N_B / (N - 1) = 3/7.
X = [0, 10, 25, 33, 70, 76, 79, 200]
KIND = ["A", "B", "A", "C", "B", "A", "B", "C"]


def _line(crs: int | str = 27700) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"kind": KIND}, geometry=gpd.points_from_xy(X, [0.0] * 8), crs=crs)


def test_clq_box_kernel_by_hand() -> None:
    res = colocation_quotient(_line(), "kind", "A", "B", k=2, kernel="box", permutations=0)
    # shares of B among the 2 nearest: 1/2, 1/2, 1; divided by 3/7
    assert res.points["clq_local"].tolist() == pytest.approx([7 / 6, 7 / 6, 7 / 3])
    assert res.clq == pytest.approx(14 / 9)
    assert list(res.points.index) == [0, 2, 5]
    assert (res.n_a, res.n_b, res.n) == (3, 3, 8)
    assert np.isnan(res.p_value)


def test_clq_nearest_neighbour_is_leslie_kronenfeld() -> None:
    # k=1: C_AB = 2 of 3 A have a B as nearest neighbour -> (2/3) / (3/7)
    res = colocation_quotient(_line(), "kind", "A", "B", k=1, kernel="box", permutations=0)
    assert res.clq == pytest.approx((2 / 3) / (3 / 7))
    assert res.points["clq_local"].tolist() == pytest.approx([7 / 3, 0.0, 7 / 3])


def test_clq_gaussian_kernel_by_hand() -> None:
    # bandwidth = distance to the 2nd neighbour; w = exp(-0.5 (d / h)^2)
    w = [math.exp(-0.5 * (10 / 25) ** 2), math.exp(-0.5)]  # A@0: B at 10, A at 25
    a0 = w[0] / sum(w) * 7 / 3
    w = [math.exp(-0.5 * (8 / 15) ** 2), math.exp(-0.5)]  # A@25: C at 8, B at 15
    a2 = w[1] / sum(w) * 7 / 3
    res = colocation_quotient(_line(), "kind", "A", "B", k=2, permutations=0)
    assert res.points["clq_local"].tolist() == pytest.approx([a0, a2, 7 / 3])
    assert res.clq == pytest.approx((a0 + a2 + 7 / 3) / 3)


def test_clq_same_category_and_distance_band() -> None:
    # A around A: the other A are N_A - 1 = 2 of N - 1 = 7; only A@0 has an A among 2 nearest
    res = colocation_quotient(_line(), "kind", "A", "A", k=2, kernel="box", permutations=0)
    assert res.points["clq_local"].tolist() == pytest.approx([0.5 * 7 / 2, 0.0, 0.0])
    # fixed 20 m: A@0 -> {B}; A@25 -> {C, B}; A@76 -> {B, B}
    res = colocation_quotient(
        _line(), "kind", "A", "B", k=None, distance=20, kernel="box", permutations=0
    )
    assert res.points["clq_local"].tolist() == pytest.approx([7 / 3, 7 / 6, 7 / 3])
    assert res.clq == pytest.approx(35 / 18)


def test_clq_global_p_equals_exact_enumeration() -> None:
    # k=1: the global CLQ under random labelling, enumerated over all 560 labellings
    nn = [1, 0, 3, 2, 5, 6, 5, 4]  # nearest neighbour of each point on the line
    observed = sum(KIND[nn[i]] == "B" for i in range(8) if KIND[i] == "A")
    hits = total = 0
    for a_pos in itertools.combinations(range(8), 3):
        rest = [i for i in range(8) if i not in a_pos]
        for b_pos in itertools.combinations(rest, 3):
            total += 1
            hits += sum(nn[i] in b_pos for i in a_pos) >= observed
    exact = hits / total
    res = colocation_quotient(
        _line(), "kind", "A", "B", k=1, kernel="box", permutations=9999, seed=3
    )
    assert total == 560
    assert res.p_value == pytest.approx(exact, abs=0.015)


def test_clq_local_p_is_the_chance_of_a_b_neighbour() -> None:
    # k=1 and the neighbour is B: p = P(a random other label is B) = 3/7
    res = colocation_quotient(
        _line(), "kind", "A", "B", k=1, kernel="box", permutations=9999, seed=1
    )
    p = res.points["clq_p_sim"].to_numpy()
    assert p[[0, 2]] == pytest.approx([3 / 7, 3 / 7], abs=0.015)
    assert p[1] == 1.0  # CLQ 0 is never exceeded
    assert set(res.points["clq_label"]) == {"Not significant"}
    assert res.points.attrs["hotspots"]["parameters"]["k"] == 1


def _town_points(rng: np.random.Generator, n: int) -> np.ndarray:
    # a town-like first-order intensity: half uniform, half centre-weighted
    centre = rng.random(n) < 0.5
    xy = np.where(centre[:, None], rng.normal(1500, 400, (n, 2)), rng.uniform(0, 3000, (n, 2)))
    return np.clip(xy, 0, 3000)


def test_no_colocation_between_independent_patterns() -> None:
    # A, B, C drawn independently from one intensity: the test should rarely fire
    rng = np.random.default_rng(11)
    sims, alarms = 100, 0
    for s in range(sims):
        xy = _town_points(rng, 240)
        kind = np.repeat(["A", "B", "C"], [60, 30, 150])
        pts = gpd.GeoDataFrame({"kind": kind}, geometry=gpd.points_from_xy(*xy.T), crs=27700)
        res = colocation_quotient(pts, "kind", "A", "B", permutations=99, seed=s)
        alarms += res.p_value <= 0.05
    assert alarms / sims <= 0.08  # nominal 5 %; the benchmark runs 1,000 simulations


def test_planted_colocation_on_the_synthetic_town_is_found() -> None:
    from hotspots import synthetic_town

    town = synthetic_town(4, size_km=3, n_incidents=3000, n_services=4, n_hotspots=0)
    inc = town.incidents[["crime_type", "geometry"]].copy()
    violence = "Violence and sexual offences"
    # drug offences planted beside violence: one within ~10 m of each of 60 incidents
    near = inc[inc["crime_type"] == violence].sample(60, random_state=1)
    off = np.random.default_rng(0).normal(0, 10, (60, 2))
    planted = gpd.GeoDataFrame(
        {"crime_type": ["Drugs"] * 60},
        geometry=gpd.points_from_xy(near.geometry.x + off[:, 0], near.geometry.y + off[:, 1]),
        crs=inc.crs,
    )
    pts = pd.concat([inc, planted], ignore_index=True)
    around_drugs = colocation_quotient(pts, "crime_type", "Drugs", violence, seed=0)
    assert around_drugs.clq > 1 and around_drugs.p_value <= 0.05
    around_violence = colocation_quotient(pts, "crime_type", violence, "Drugs", seed=0)
    assert around_violence.clq > 1 and around_violence.p_value <= 0.05
    assert (around_violence.points["clq_label"] == "Co-located").sum() >= 10
    # nothing planted shoplifting beside drug offences
    other = colocation_quotient(pts, "crime_type", "Shoplifting", "Drugs", seed=0)
    assert other.p_value > 0.05


def test_clq_bad_input() -> None:
    pts = _line()
    with pytest.raises(CRSError, match="geographic"):
        colocation_quotient(_line(crs=4326), "kind", "A", "B")
    with pytest.raises(DataError, match="missing column"):
        colocation_quotient(pts, "type", "A", "B")
    with pytest.raises(DataError, match="b='D' is not a value"):
        colocation_quotient(pts, "kind", "A", "D")
    with pytest.raises(DataError, match="k=8 but there are only 8"):
        colocation_quotient(pts, "kind", "A", "B", k=8)
    with pytest.raises(DataError, match="exactly one neighbourhood"):
        colocation_quotient(pts, "kind", "A", "B", k=2, distance=50)
    with pytest.raises(DataError, match="kernel"):
        colocation_quotient(pts, "kind", "A", "B", kernel="triangle")
    with pytest.raises(DataError, match="missing categories"):
        colocation_quotient(pts.assign(kind=[*KIND[:-1], None]), "kind", "A", "B")
    with pytest.raises(DataError, match="alternative"):
        colocation_quotient(pts, "kind", "A", "B", alternative="bigger")


# ---- bivariate local Moran

esda = pytest.importorskip("esda")
libpysal = pytest.importorskip("libpysal")


@pytest.fixture(scope="module")
def medway_lsoas(data_dir: Path, medway_crime: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    from hotspots import area_context, load_boundary

    areas = area_context(load_boundary("Medway", level="lsoa"))
    violence = medway_crime[medway_crime["crime_type"] == "Violence and sexual offences"]
    counts = violence.groupby("LSOA code").size()
    areas["violence"] = areas["code"].map(counts).fillna(0).to_numpy()
    return areas


@pytest.mark.realdata
def test_bivariate_moran_equals_esda_on_medway(medway_lsoas: gpd.GeoDataFrame) -> None:
    areas = medway_lsoas
    out = bivariate_moran(areas, "violence", "imd_rank", permutations=9999, seed=0)
    # libpysal reference: queen neighbours within 1 mm (the generalised boundaries'
    # shared vertices differ by ~1e-7 m, so Queen.from_dataframe finds none)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        w = libpysal.weights.fuzzy_contiguity(areas, tolerance=0.0, buffering=True, buffer=0.001)
    card = np.array([w.cardinalities[i] for i in w.id_order])
    np.testing.assert_array_equal(out["n_neighbours"], card)
    ref = esda.Moran_Local_BV(
        areas["violence"].to_numpy(float), areas["imd_rank"].to_numpy(float), w,
        permutations=9999, seed=0,
    )  # fmt: skip
    np.testing.assert_allclose(out["bv_i"].to_numpy(), ref.Is, rtol=0, atol=1e-8)
    # p-values from different random draws: equal within Monte Carlo error
    assert np.abs(out["bv_p_sim"].to_numpy() - ref.p_sim).max() < 0.02
    sig = (out["bv_p_sim"] <= 0.05).to_numpy() & (ref.p_sim <= 0.05)
    names = np.array(["", "HH", "LH", "LL", "HL"])[ref.q]
    assert sig.sum() > 10
    assert (out["bv_quad"].to_numpy()[sig] == names[sig]).all()
    ref_global = esda.Moran_BV(
        areas["violence"].to_numpy(float), areas["imd_rank"].to_numpy(float), w, permutations=0
    )
    assert out.attrs["hotspots"]["global_i"] == pytest.approx(ref_global.I, abs=1e-10)
    assert out.index.equals(areas.index) and "bv_i" not in areas


def test_bivariate_moran_bad_input() -> None:
    cells = gpd.GeoDataFrame(
        {"v": [1.0, 2, 6, 7], "d": [2.0, np.nan, 5, 8], "c": [3.0] * 4},
        geometry=[box(i, 0, i + 1, 1) for i in range(4)],
        crs=27700,
    )
    with pytest.raises(DataError, match="'d' has 1 missing"):
        bivariate_moran(cells, "v", "d")
    with pytest.raises(DataError, match="same value everywhere"):
        bivariate_moran(cells, "v", "c")
    with pytest.raises(DataError, match="missing column"):
        bivariate_moran(cells, "v", "rate")
    with pytest.raises(CRSError):
        bivariate_moran(cells.set_crs(4326, allow_override=True), "v", "c")
    with pytest.raises(DataError, match="permutations"):
        bivariate_moran(cells.assign(d=1.0 + np.arange(4)), "v", "d", permutations=0)


def test_by_area_and_map() -> None:
    from hotspots.relate import relation_map

    pts = _line().set_geometry(gpd.points_from_xy(np.array(X) + 600_000.0, [170_000.5] * 8))
    res = colocation_quotient(pts, "kind", "A", "B", k=2, kernel="box", permutations=0)
    zones = gpd.GeoDataFrame(
        {"name": ["west <b>", "east", "far"]},
        geometry=[
            box(599_990, 169_990, 600_050, 170_010),
            box(600_050, 169_990, 600_100, 170_010),
            box(600_500, 169_990, 600_600, 170_010),
        ],
        crs=27700,
    )
    out = res.by_area(zones)
    # west holds A@0 and A@25 (local 7/6 each), east A@76 (7/3), far none
    assert out["clq_n"].tolist() == [2, 1, 0]
    assert out["clq_mean"].iloc[:2].tolist() == pytest.approx([7 / 6, 7 / 3])
    assert np.isnan(out["clq_mean"].iloc[2])
    # no permutations: nothing is significant, so no area is called co-located
    assert out["clq_area"].tolist() == ["Not significant", "Not significant", "No incidents"]
    html = relation_map(out, column="clq_area", title="CLQ", tiles=None).get_root().render()
    # tooltips are escaped HTML inside JSON (where "<" and "&" are written \u003c, \u0026)
    assert "west \\u0026lt;b\\u0026gt;" in html and "west <b>" not in html
    assert "Incidents of A: \\u0026lt;5" in html
    with pytest.raises(DataError, match="labels this map does not know"):
        relation_map(out.assign(clq_area="maybe"), column="clq_area")
