"""Tests for hotspots.context: IMD, population, joins and rates (offline, real data)."""

from __future__ import annotations

import shutil
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point, box

from hotspots import DataError, HotspotsWarning
from hotspots.boundaries import load_boundary
from hotspots.context import area_context, load_imd, load_population, population_aged
from hotspots.rates import add_rates

POP20 = "population/population_mid2020_lsoa11_kent_medway.csv"
MEDWAY = "E06000035"


@pytest.fixture(scope="module")
def medway_lsoas(data_dir: Path) -> gpd.GeoDataFrame:
    return load_boundary("Medway", level="lsoa")


# --- IMD ---------------------------------------------------------------------------------


def test_imd_medway_deciles(data_dir: Path) -> None:
    imd = load_imd(areas="Medway")
    assert len(imd) == 163 and imd["lsoa_code"].is_unique
    counts = imd["imd_decile"].value_counts().sort_index().to_dict()
    assert counts == {1: 14, 2: 23, 3: 27, 4: 19, 5: 15, 6: 11, 7: 15, 8: 18, 9: 17, 10: 4}
    for col in (
        "imd_rank",
        "imd_decile",
        "income_rank",
        "crime_decile",
        "housing_and_access_rank",
        "environment_decile",
    ):
        assert col in imd.columns and imd[col].dtype == "int64"
    assert imd.attrs["hotspots"]["sources"] == ["imd"]
    assert imd.attrs["lsoa_vintage"] == 2011


def test_imd_national_file_agrees_with_subset(data_dir: Path) -> None:
    national = load_imd()
    assert len(national) == 32_844
    subset = load_imd(areas="Medway").set_index("lsoa_code")
    same = national.set_index("lsoa_code").loc[
        subset.index, subset.columns.drop(["lsoa_name", "lad_code", "lad_name"])
    ]
    pd.testing.assert_frame_equal(same, subset[same.columns])
    # rank 1 is the most deprived, in decile 1
    assert national.loc[national["imd_rank"].idxmin(), "imd_decile"] == 1


def test_imd_by_lsoa_codes(data_dir: Path) -> None:
    imd = load_imd(areas=["E01016016", "E01016017"])
    assert list(imd["lsoa_code"]) == ["E01016016", "E01016017"]
    assert list(imd["imd_rank"]) == [6597, 1727]  # values in the source CSV


def test_imd_2025_uses_2021_codes(data_dir: Path) -> None:
    imd = load_imd(year=2025)
    assert imd.attrs["lsoa_vintage"] == 2021
    assert "imd_score" in imd.columns and "housing_and_services_rank" in imd.columns
    with pytest.warns(HotspotsWarning, match="2021"):
        load_imd(year=2025, areas="Medway")


def test_imd_2025_carried_to_2011_lsoas_by_best_fit(
    data_dir: Path, medway_lsoas: gpd.GeoDataFrame
) -> None:
    ctx = area_context(medway_lsoas, imd_year=2025)
    assert ctx["imd_rank"].notna().all()  # every 2011 LSOA has a best-fit 2021 LSOA
    imd25 = pd.read_csv(data_dir / "deprivation/imd2025_england_lsoa21.csv.gz").set_index(
        "lsoa21_code"
    )
    row = ctx.set_index("code")
    # unchanged code: its own 2021 row; split parent Medway 003C -> best fit E01035287
    assert row.loc["E01016016", "imd_rank"] == imd25.loc["E01016016", "IMD_rank"]
    assert row.loc["E01016076", "imd_rank"] == imd25.loc["E01035287", "IMD_rank"]
    notes = " ".join(ctx.attrs["load_report"].notes)
    assert "best-fit" in notes and ctx.attrs["hotspots"]["method_notes"]


@pytest.mark.parametrize("year", [2010, 2020, "2019"])
def test_imd_bad_year(data_dir: Path, year: object) -> None:
    with pytest.raises(DataError, match="year"):
        load_imd(year=year)  # type: ignore[arg-type]


def test_imd_unknown_area(data_dir: Path) -> None:
    with pytest.raises(DataError, match="Medway"):
        load_imd(areas="Medwey")


# --- population ----------------------------------------------------------------------------


def test_population_medway_totals(data_dir: Path) -> None:
    p20 = load_population(areas="Medway")
    assert len(p20) == 163
    assert int(p20["population"].sum()) == 279_142
    p19 = load_population(year=2019, areas="Medway")
    assert int(p19["population"].sum()) == 278_556
    assert p20.attrs["hotspots"]["sources"] == ["population"]


def test_population_0_24_matches_independent_sum(data_dir: Path) -> None:
    raw = pd.read_csv(data_dir / POP20)
    raw = raw[raw["LAD_CD"] == MEDWAY].set_index("lsoa11_code")
    expected_0_24 = raw[[str(a) for a in range(25)]].sum(axis=1)
    expected_10_24 = raw[[str(a) for a in range(10, 25)]].sum(axis=1)
    pop = load_population(areas="Medway").set_index("lsoa_code")
    assert (pop["population_0_24"] == expected_0_24.loc[pop.index]).all()
    assert (pop["population_10_24"] == expected_10_24.loc[pop.index]).all()
    assert (pop["population_0_24"] < pop["population"]).all()


def test_population_national_fallback(data_dir: Path) -> None:
    pop = load_population(areas=["E01011949"])  # Hartlepool: not in the Kent subset
    assert len(pop) == 1 and pop.loc[0, "lsoa_name"] == "Hartlepool 009A"
    assert int(pop.loc[0, "population"]) == 1944
    assert int(population_aged(pop, 0)[0]) == 1944


def test_population_aged() -> None:
    df = pd.DataFrame({str(a): [1, 2] for a in range(90)} | {"90+": [10, 20]})
    assert population_aged(df, 0, 24).tolist() == [25, 50]
    assert population_aged(df, 85).tolist() == [15, 30]  # 85..89 + 90+
    assert population_aged(df, 90).tolist() == [10, 20]
    with pytest.raises(DataError, match="90\\+"):
        population_aged(df, 80, 95)
    with pytest.raises(DataError, match="max_age"):
        population_aged(df, 30, 20)
    with pytest.raises(DataError, match="min_age"):
        population_aged(df, -1, 5)
    with pytest.raises(DataError, match="missing"):
        population_aged(df.drop(columns="3"), 0, 5)


def _fake_data(data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for sub in ("population", "deprivation", "lookups"):
        (tmp_path / sub).mkdir()
    for rel in (POP20, "deprivation/imd2019_kent_medway_lsoa11.csv"):
        shutil.copy(data_dir / rel, tmp_path / rel)
    monkeypatch.setenv("HOTSPOTS_DATA_DIR", str(tmp_path))
    return tmp_path


def test_population_non_numeric_cell(
    data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _fake_data(data_dir, tmp_path, monkeypatch)
    lines = (root / POP20).read_text().splitlines()
    header = lines[0].split(",")
    row = lines[5].split(",")
    row[header.index("17")] = "n/a"
    lines[5] = ",".join(row)
    (root / POP20).write_text("\n".join(lines) + "\n")
    with pytest.raises(DataError, match=r"line 6, column '17'.*'n/a'"):
        load_population(areas="Medway")


def test_duplicate_lsoa_codes(
    data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _fake_data(data_dir, tmp_path, monkeypatch)
    for rel in (POP20, "deprivation/imd2019_kent_medway_lsoa11.csv"):
        lines = (root / rel).read_text().splitlines()
        (root / rel).write_text("\n".join([*lines, lines[3]]) + "\n")
    with pytest.raises(DataError, match="more than once"):
        load_population(areas="Medway")
    with pytest.raises(DataError, match="more than once"):
        load_imd(areas="Medway")


def test_missing_data_dir(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HOTSPOTS_DATA_DIR", raising=False)
    with pytest.raises(DataError, match="HOTSPOTS_DATA_DIR"):
        load_population()
    with pytest.raises(DataError, match="HOTSPOTS_DATA_DIR"):
        load_imd()


def test_missing_population_year(data_dir: Path) -> None:
    with pytest.raises(DataError, match="population_mid2031"):
        load_population(year=2031)


# --- area_context --------------------------------------------------------------------------


def test_area_context_joins_all_medway(medway_lsoas: gpd.GeoDataFrame) -> None:
    before = medway_lsoas.copy()
    with warnings.catch_warnings():
        warnings.simplefilter("error", HotspotsWarning)
        ctx = area_context(medway_lsoas)
    pd.testing.assert_frame_equal(medway_lsoas, before)  # input untouched
    assert isinstance(ctx, gpd.GeoDataFrame) and ctx.crs.to_epsg() == 27700
    assert ctx.index.equals(medway_lsoas.index)
    assert ctx["imd_rank"].notna().all() and ctx["population"].notna().all()
    assert int(ctx["population"].sum()) == 279_142
    assert ctx["imd_decile"].value_counts()[1] == 14
    assert ctx.attrs["hotspots"]["sources"] == ["ons_boundaries", "imd", "population"]
    assert ctx.attrs["load_report"].n_dropped == 0


def test_area_context_reports_unjoined(medway_lsoas: gpd.GeoDataFrame) -> None:
    odd = medway_lsoas.iloc[:3].copy()
    odd.index = [10, 20, 30]
    odd.loc[20, "code"] = "E01999999"
    with pytest.warns(HotspotsWarning, match="E01999999"):
        ctx = area_context(odd)
    assert ctx.index.tolist() == [10, 20, 30]
    assert np.isnan(ctx.loc[20, "population"]) and ctx.loc[[10, 30], "population"].notna().all()
    # the unjoined area is kept (with missing values): a note, not a drop
    report = ctx.attrs["load_report"]
    assert report.counts() == {} and report.rows_kept == 3 == len(ctx)
    assert sum("E01999999" in n for n in report.notes) == 2  # no IMD, no population


def test_area_context_other_code_columns(medway_lsoas: gpd.GeoDataFrame) -> None:
    plain = gpd.GeoDataFrame(
        {"LSOA11CD": medway_lsoas["code"].iloc[:5]}, geometry=medway_lsoas.geometry.iloc[:5]
    )
    ctx = area_context(plain)
    assert ctx["imd_rank"].notna().all()


def test_area_context_needs_lsoa_codes(data_dir: Path) -> None:
    wards = load_boundary("Medway", level="ward")
    with pytest.raises(DataError, match="LSOA code"):
        area_context(wards)
    with pytest.raises(DataError, match="GeoDataFrame"):
        area_context(pd.DataFrame({"lsoa_code": ["E01016016"]}))  # type: ignore[arg-type]
    empty = gpd.GeoDataFrame({"lsoa_code": []}, geometry=[], crs=27700)
    with pytest.raises(DataError, match="empty"):
        area_context(empty)


# --- add_rates -----------------------------------------------------------------------------


def _toy() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"n": [3, 0, 5, 2], "population": [1500, 800, 0, 400], "population_0_24": [300, 200, 0, 0]},
        geometry=[box(i, 0, i + 1, 1) for i in range(4)],
        crs=27700,
        index=[7, 8, 9, 10],
    )


def test_add_rates_hand_computed() -> None:
    toy = _toy()
    with pytest.warns(HotspotsWarning, match="1 area"):
        out = add_rates(toy, "n")
    # 3/1500*1000 = 2.0, 0/800*1000 = 0.0, 5/0 -> NaN, 2/400*1000 = 5.0
    np.testing.assert_allclose(out["n_per_1000"], [2.0, 0.0, np.nan, 5.0])
    assert out.index.tolist() == [7, 8, 9, 10] and "n_per_1000" not in toy.columns
    with pytest.warns(HotspotsWarning, match="2 area"):
        young = add_rates(toy, "n", per=10_000, population="population_0_24")
    # 3/300*10000 = 100, 0/200*10000 = 0
    np.testing.assert_allclose(young["n_per_10000_population_0_24"], [100.0, 0.0, np.nan, np.nan])
    assert not np.isinf(young["n_per_10000_population_0_24"]).any()


def test_add_rates_broken_input() -> None:
    toy = _toy()
    with pytest.raises(DataError, match="missing"):
        add_rates(toy, "count")
    with pytest.raises(DataError, match="population_10_24"):
        add_rates(toy, "n", population="population_10_24")
    with pytest.raises(DataError, match="per"):
        add_rates(toy, "n", per=0)
    bad = toy.assign(n=["3", "x", 1, 2])
    with pytest.raises(DataError, match="non-numeric"):
        add_rates(bad, "n")
    with pytest.raises(DataError, match="negative"):
        add_rates(toy.assign(n=[-1, 0, 0, 0]), "n")
    pts = gpd.GeoDataFrame({"n": [1]}, geometry=[Point(0, 0)], crs=27700)
    with pytest.raises(DataError, match="population"):
        add_rates(pts, "n")


def test_add_rates_on_real_context(medway_lsoas: gpd.GeoDataFrame) -> None:
    ctx = area_context(medway_lsoas).assign(n=1)
    out = add_rates(ctx, "n", population="population_0_24")
    expected = 1000 / ctx["population_0_24"]
    np.testing.assert_allclose(out["n_per_1000_population_0_24"], expected)
    assert "population" in out.attrs["hotspots"]["sources"]


def test_district_outside_kent_uses_national_files_and_lookup(data_dir: Path) -> None:
    lookup = pd.read_csv(data_dir / "lookups" / "lsoa11_to_lad21_england_wales.csv")
    hartlepool = set(lookup.loc[lookup["lad_21_code"] == "E06000001", "lsoa_11_code"])
    assert len(hartlepool) > 0
    pop = load_population(areas="E06000001")
    imd = load_imd(areas="E06000001")
    assert set(pop["lsoa_code"]) == hartlepool == set(imd["lsoa_code"])
    assert pop["lsoa_name"].str.startswith("Hartlepool").all()


def test_empty_areas_list(data_dir: Path) -> None:
    with pytest.raises(DataError, match="empty"):
        load_imd(areas=[])
    with pytest.raises(DataError, match="neither an LSOA code"):
        load_population(areas=["<script>alert(1)</script>"])


def test_area_context_duplicate_codes_warn(medway_lsoas: gpd.GeoDataFrame) -> None:
    twice = pd.concat([medway_lsoas.iloc[:2], medway_lsoas.iloc[:1]])
    with pytest.warns(HotspotsWarning, match="more than once"):
        ctx = area_context(twice)
    assert ctx["population"].notna().all() and len(ctx) == 3


def test_area_context_garbage_codes(medway_lsoas: gpd.GeoDataFrame) -> None:
    odd = medway_lsoas.iloc[:2][["geometry"]].assign(lsoa_code=["E01016016", "'; DROP TABLE"])
    with pytest.warns(HotspotsWarning, match="DROP TABLE"):
        ctx = area_context(odd)
    assert ctx["imd_rank"].notna().tolist() == [True, False]
    with pytest.raises(DataError, match="no LSOA codes"):
        area_context(odd.assign(lsoa_code=["x", "y"]))
