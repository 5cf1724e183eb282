"""Census vintages, rates with exact intervals, ward and whole-area rates, rate maps."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

from hotspots import DataError, HotspotsWarning
from hotspots.boundaries import load_boundary
from hotspots.context import area_context, count_in_lsoas
from hotspots.police import read_police_csv
from hotspots.ratemap import rate_map
from hotspots.rates import UNDER_25_CAVEAT, add_rates, area_population, poisson_interval

MEDWAY = "crime/medway_street"
POP20 = "population/population_mid2020_lsoa11_kent_medway.csv"


@pytest.fixture(scope="module")
def lsoa21(data_dir: Path) -> gpd.GeoDataFrame:
    return load_boundary("Medway", level="lsoa21")


@pytest.fixture(scope="module")
def ctx21(lsoa21: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("error", HotspotsWarning)
        return area_context(lsoa21)


def read_quiet(path: Path) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", HotspotsWarning)
        return read_police_csv(path)


# --- vintages ------------------------------------------------------------------------------


def test_lsoa21_boundaries_join_imd_2025_directly(data_dir: Path, ctx21: Any) -> None:
    assert len(ctx21) == 169 and ctx21.attrs["lsoa_vintage"] == 2021
    imd = pd.read_csv(data_dir / "deprivation/imd2025_england_lsoa21.csv.gz")
    expected = imd.set_index("lsoa21_code").loc[ctx21["code"], "IMD_decile"].to_numpy()
    assert (ctx21["imd_decile"].to_numpy() == expected).all()
    assert ctx21["imd_rank"].notna().all() and ctx21["population"].notna().all()


def test_population_carried_to_2021_lsoas(data_dir: Path, ctx21: Any) -> None:
    pop = pd.read_csv(data_dir / POP20).set_index("lsoa11_code")
    row = ctx21.set_index("code")
    # the whole of Medway is conserved (SOURCES.md: mid-2020 total 279,142)
    assert row["population"].sum() == pytest.approx(279_142)
    # unchanged LSOA: its own 2011 population
    assert row.loc["E01016016", "population"] == pop.loc["E01016016", "total_population"]
    # Medway 003C (E01016076) was split into 003F (E01035286) and 003G (E01035287):
    # each part gets half of the parent
    half = pop.loc["E01016076", "total_population"] / 2
    assert row.loc["E01035286", "population"] == pytest.approx(half)
    assert row.loc["E01035287", "population"] == pytest.approx(half)
    assert "shared equally" in " ".join(ctx21.attrs["load_report"].notes)


def test_incidents_with_2011_codes_counted_in_2021_lsoas(data_dir: Path, ctx21: Any) -> None:
    path = data_dir / MEDWAY / "2018-10-medway-street.csv"
    inc = read_quiet(path)
    counts = count_in_lsoas(inc, ctx21)
    report = counts.attrs["load_report"]
    assert int(counts["count"].sum()) == len(inc) and report.rows_kept == len(inc)
    by = counts.set_index("code")["count"]
    raw = pd.read_csv(path, dtype=str).dropna(subset=["Longitude"])
    codes = raw["LSOA code"].value_counts()
    # a code unchanged in 2021 is counted by code
    assert by["E01016016"] == codes["E01016016"]
    # the split parent's incidents are placed by point in polygon: those inside the
    # 2011 parent land in its two 2021 parts (generalised boundaries put a few of the
    # published code's points in the neighbouring LSOA, where they are counted)
    parent = load_boundary("E01016076", level="lsoa").geometry.iloc[0]
    own = inc[inc["lsoa_code"].astype(str) == "E01016076"]
    inside = int(own.geometry.within(parent).sum())
    assert 0 < inside <= codes["E01016076"]
    assert by["E01035286"] + by["E01035287"] == inside
    assert by["E01035286"] > 0 and by["E01035287"] > 0
    assert "point in polygon" in report.summary()


def test_incidents_with_2021_codes_counted_by_code(data_dir: Path, ctx21: Any) -> None:
    path = data_dir / MEDWAY / "2025-01-medway-street.csv"
    counts = count_in_lsoas(read_quiet(path), ctx21)
    raw = pd.read_csv(path, dtype=str).dropna(subset=["Longitude"])
    expected = raw["LSOA code"].value_counts()
    got = counts.set_index("code")["count"]
    assert (got[got > 0].sort_index() == expected.sort_index()).all()


# --- rates ---------------------------------------------------------------------------------


def test_poisson_interval_matches_published_table() -> None:
    # Garwood exact 95% limits (e.g. Ulm 1990 / standard tables): 0 -> (0, 3.689),
    # 1 -> (0.0253, 5.572), 10 -> (4.795, 18.390)
    lo, hi = poisson_interval([0, 1, 10])
    np.testing.assert_allclose(lo, [0.0, 0.0253, 4.7954], atol=1e-4)
    np.testing.assert_allclose(hi, [3.6889, 5.5716, 18.3904], atol=1e-4)
    lo90, hi90 = poisson_interval([10], confidence=0.90)
    assert lo90[0] > lo[2] and hi90[0] < hi[2]
    with pytest.raises(DataError, match="non-negative"):
        poisson_interval([-1])
    with pytest.raises(DataError, match="confidence"):
        poisson_interval([1], confidence=95)


def test_add_rates_interval_by_hand() -> None:
    g = gpd.GeoDataFrame(
        {"n": [10], "population": [2000], "population_0_24": [500]},
        geometry=[box(0, 0, 1, 1)],
        crs=27700,
    )
    out = add_rates(g, "n")
    # 10 / 2000 * 1000 = 5.0; limits 4.7954/2 and 18.3904/2
    np.testing.assert_allclose(
        out[["n_per_1000", "n_per_1000_lower", "n_per_1000_upper"]].iloc[0],
        [5.0, 2.3977, 9.1952],
        atol=1e-4,
    )
    young = add_rates(g, "n", population="population_0_24")
    assert young["n_per_1000_population_0_24"].iloc[0] == 20.0
    assert young.attrs["hotspots"]["caveat"] == UNDER_25_CAVEAT
    assert "cannot be told" in UNDER_25_CAVEAT


def test_ward_and_whole_area_population(ctx21: Any) -> None:
    wards = load_boundary("Medway", level="ward")
    wp = area_population(wards, ctx21)
    # every LSOA lies in one ward: the wards share out the whole population
    assert wp["population"].sum() == pytest.approx(ctx21["population"].sum())
    assert wp["n_lsoas"].sum() == len(ctx21)
    whole = area_population(load_boundary("Medway", level="lad"), ctx21)
    assert whole["population_0_24"].iloc[0] == pytest.approx(ctx21["population_0_24"].sum())


# --- maps ----------------------------------------------------------------------------------


def _areas() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "name": ["A", "B", "C"],
            "rate": [1.0, 4.0, 9.0],
            "rate_lower": [0.5, 3.0, 7.0],
            "rate_upper": [2.0, 5.0, 11.0],
            "n": [2, 40, 90],
            "imd_decile": [1, 5, 10],
            "category": ["New hot spot", "No pattern detected", "Persistent cold spot"],
        },
        geometry=[box(575000 + 500 * i, 168000, 575500 + 500 * i, 168500) for i in range(3)],
        crs=27700,
    )


def test_rate_map_legends_have_units() -> None:
    html = (
        rate_map(_areas(), "rate", unit="crimes per 1,000 residents", count_column="n", tiles=None)
        .get_root()
        .render()
    )
    assert "crimes per 1,000 residents" in html and "95% interval" in html
    assert "&lt;5" in html  # the count 2 is suppressed
    dec = rate_map(_areas(), "imd_decile", kind="decile", tiles=None).get_root().render()
    assert "most deprived 10%" in dec
    cat = rate_map(_areas(), "category", kind="category", tiles=None).get_root().render()
    assert "New hot spot" in cat and "Persistent cold spot" in cat
    with pytest.raises(DataError, match="unit"):
        rate_map(_areas(), "rate")
    with pytest.raises(DataError, match="deciles"):
        rate_map(_areas().assign(imd_decile=[0, 5, 11]), "imd_decile", kind="decile")


def test_imd_2019_carried_to_2021_lsoas_from_their_parent(data_dir: Path, lsoa21: Any) -> None:
    ctx = area_context(lsoa21, imd_year=2019)
    imd19 = pd.read_csv(data_dir / "deprivation/imd2019_kent_medway_lsoa11.csv")
    rank = imd19.set_index("LSOA11CD")["IMD_rank"]
    row = ctx.set_index("code")
    assert row.loc["E01016016", "imd_rank"] == rank["E01016016"]
    # both parts of Medway 003C take its 2019 rank
    assert row.loc["E01035286", "imd_rank"] == rank["E01016076"]
    assert row.loc["E01035287", "imd_rank"] == rank["E01016076"]
    assert "2011 parent" in " ".join(ctx.attrs["load_report"].notes)


def test_incidents_with_2021_codes_counted_in_2011_lsoas(data_dir: Path) -> None:
    lsoa11 = load_boundary("Medway", level="lsoa")
    path = data_dir / MEDWAY / "2025-01-medway-street.csv"
    inc = read_quiet(path)
    counts = count_in_lsoas(inc, lsoa11)
    assert int(counts["count"].sum()) == len(inc)
    by = counts.set_index("code")["count"]
    raw = pd.read_csv(path, dtype=str).dropna(subset=["Longitude"])
    codes = raw["LSOA code"].value_counts()
    # the split parent E01016076 no longer appears in 2025 files: its incidents carry
    # the codes of its parts and are placed in it by point in polygon
    assert "E01016076" not in codes.index and by["E01016076"] > 0
    assert by["E01016016"] == codes["E01016016"]


def test_mixed_vintages_refused(lsoa21: Any) -> None:
    lsoa11 = load_boundary("Medway", level="lsoa")
    # the split 2011 parent (2011 only) beside one of its 2021 parts (2021 only)
    mixed = pd.concat(
        [lsoa11[lsoa11["code"] == "E01016076"], lsoa21[lsoa21["code"] == "E01035286"]]
    )
    mixed = gpd.GeoDataFrame(mixed.drop(columns="level"), crs=lsoa11.crs)
    with pytest.raises(DataError, match="mix vintages"):
        area_context(mixed)


def test_unjoined_areas_are_kept_not_dropped(lsoa21: Any) -> None:
    odd = lsoa21.iloc[:3].copy()
    odd["code"] = ["E01999997", "E01999998", "E01999999"]
    with pytest.warns(HotspotsWarning, match="E01999999"):
        ctx = area_context(odd, imd_year=2025)
    report = ctx.attrs["load_report"]
    assert report.rows_kept == 3 and report.n_dropped == 0  # was -3 (two drops per row)
    assert ctx["imd_rank"].isna().all()
