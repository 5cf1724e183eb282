"""Tests for hotspots.boundaries (offline: real files in the data folder, recorded ONS pages)."""

from __future__ import annotations

import csv
import io
import json
import shutil
import warnings
from pathlib import Path
from typing import Any

import geopandas as gpd
import pytest
import shapely
from shapely.geometry import Polygon

from hotspots import CRSError, DataError, HotspotsWarning, OfflineError
from hotspots.boundaries import (
    boundary_catalogue,
    load_boundary,
    resolve_lads,
)

RECORDED = Path(__file__).parent / "data" / "boundaries"
REPO = Path(__file__).resolve().parents[1]
MEDWAY = "E06000035"


def _quiet(*args: Any, **kwargs: Any) -> gpd.GeoDataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", HotspotsWarning)
        return load_boundary(*args, **kwargs)


# --- counts and areas against the published figures (SOURCES.md, ONS) -----------------


@pytest.mark.parametrize(
    ("level", "expected"), [("lsoa", 163), ("msoa", 38), ("oa", 826), ("ward", 22), ("lad", 1)]
)
def test_medway_counts(data_dir: Path, level: str, expected: int) -> None:
    gdf = load_boundary("Medway", level=level)
    assert len(gdf) == expected
    assert gdf.crs.to_epsg() == 27700
    assert gdf["code"].is_unique
    assert set(gdf["lad_code"]) == {MEDWAY}
    assert set(gdf["level"]) == {level}
    assert {"code", "name", "level", "lad_code", "lad_name", "geometry"} <= set(gdf.columns)
    assert gdf.is_valid.all()


def test_medway_lsoa_codes_match_raw_file(data_dir: Path) -> None:
    raw = gpd.read_file(data_dir / "boundaries" / "medway_lsoa_2011.geojson")
    gdf = load_boundary("medway", level="lsoa")
    assert set(gdf["code"]) == set(raw["LSOA11CD"])
    assert gdf["name"].str.startswith("Medway ").all()
    assert "LSOA11CD" in gdf.columns  # original columns kept


def test_medway_lad_area(data_dir: Path) -> None:
    lad = load_boundary(MEDWAY, level="lad")
    area_km2 = lad.geometry.area.sum() / 1e6
    assert area_km2 == pytest.approx(191.96, rel=0.005)
    assert lad.geom_type.isin(["Polygon", "MultiPolygon"]).all()
    assert any("geometry collection" in n for n in lad.attrs["load_report"].notes)


def test_kent_is_twelve_districts_and_medway_separate(data_dir: Path) -> None:
    kent = load_boundary("Kent", level="lad")
    assert len(kent) == 12
    assert MEDWAY not in set(kent["code"])
    both = load_boundary("Kent and Medway", level="lad")
    assert len(both) == 13
    assert set(both["code"]) == set(kent["code"]) | {MEDWAY}
    assert (both.crs.to_epsg(), both.is_valid.all()) == (27700, True)


def test_folkestone_and_hythe_is_shepway(data_dir: Path) -> None:
    assert resolve_lads("Folkestone and Hythe") == ("E07000112",)
    assert resolve_lads("FOLKESTONE & HYTHE") == ("E07000112",)
    a = _quiet("Folkestone and Hythe", level="lsoa")
    b = _quiet("Shepway", level="lsoa")
    c = _quiet("E07000112", level="lsoa")
    assert len(a) == len(b) == len(c) > 0
    assert set(a["code"]) == set(c["code"])
    assert a["name"].str.startswith("Shepway").all()


def test_ward_by_code_and_name(data_dir: Path) -> None:
    by_code = load_boundary("E05002249", level="ward")
    by_name = load_boundary("chatham central", level="ward")
    assert list(by_code["code"]) == list(by_name["code"]) == ["E05002249"]
    assert by_code.loc[0, "name"] == "Chatham Central"
    assert by_code.loc[0, "lad_code"] == MEDWAY


def test_within_clips_selection(data_dir: Path) -> None:
    all_wards = load_boundary(level="ward", within="Medway")
    assert len(all_wards) == 22
    with pytest.raises(DataError, match="within"):
        load_boundary("E05002249", level="ward", within="Ashford", source="local")


def test_invalid_geometries_repaired_and_reported(data_dir: Path) -> None:
    with pytest.warns(HotspotsWarning, match="invalid geometr") as caught:
        gdf = load_boundary("Gravesham", level="lsoa")
    assert any("E01024274" in str(w.message) for w in caught)
    raw = gpd.read_file(data_dir / "boundaries" / "kent_medway_lsoa_2011.geojson")
    assert not raw.loc[raw["LSOA11CD"] == "E01024274"].is_valid.any()  # the source is invalid
    assert gdf.is_valid.all()
    assert gdf.geom_type.isin(["Polygon", "MultiPolygon"]).all()
    notes = " ".join(gdf.attrs["load_report"].notes)
    assert "E01024274" in notes and "make_valid" in notes
    # repairing keeps the area (a self-touching ring, not a big change)
    fixed = gdf.loc[gdf["code"] == "E01024274"].area.iloc[0]
    raw_area = raw.loc[raw["LSOA11CD"] == "E01024274"].to_crs(27700).buffer(0).area.iloc[0]
    assert fixed == pytest.approx(raw_area, rel=0.01)


def test_provenance_and_report(data_dir: Path) -> None:
    gdf = load_boundary("Medway", level="ward")
    prov = gdf.attrs["hotspots"]
    assert prov["sources"] == ["ons_boundaries"]
    assert "2013" in prov["vintage"]
    assert gdf.attrs["load_report"].rows_read == 22


# --- catalogue ---------------------------------------------------------------------------


def test_catalogue_copy_agrees_with_package() -> None:
    human = (REPO / "boundaries" / "catalogue.csv").read_text("utf-8")
    rows = list(csv.DictReader(io.StringIO(human)))
    assert rows == boundary_catalogue()
    assert [r["level"] for r in rows] == ["lad", "ward", "lsoa", "lsoa21", "msoa", "oa"]
    for row in rows:
        assert row["ons_url"].startswith("https://") and row["ons_url"].endswith("/query")
        assert "{area}" in row["file_patterns"]
        assert "Crown copyright" in row["attribution"]


# --- adding an area by dropping a file in ------------------------------------------------


def _copy_data(src: Path, dst: Path, names: list[str]) -> Path:
    (dst / "boundaries").mkdir(parents=True)
    for name in names:
        shutil.copy(src / "boundaries" / name, dst / "boundaries" / name)
    return dst


def test_new_area_file_is_picked_up(
    data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    raw = gpd.read_file(data_dir / "boundaries" / "kent_medway_wards_2013.geojson")
    swale = raw[raw["LAD_CD"] == "E07000113"].drop(columns=["LAD_CD", "LAD_NM"])
    (tmp_path / "boundaries").mkdir()
    swale.to_file(tmp_path / "boundaries" / "swale_wards_2013.gpkg")
    monkeypatch.setenv("HOTSPOTS_DATA_DIR", str(tmp_path))
    gdf = load_boundary("Swale", level="ward", source="local")
    assert len(gdf) == len(swale) > 0
    assert set(gdf["lad_code"]) == {"E07000113"}  # from the file name
    assert gdf.crs.to_epsg() == 27700


def test_geographic_crs_file_is_reprojected(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A 0.01 x 0.01 degree square near Chatham, stored in lon/lat.
    square = Polygon([(0.52, 51.37), (0.53, 51.37), (0.53, 51.38), (0.52, 51.38)])
    gdf = gpd.GeoDataFrame(
        {"LSOA11CD": ["E01099999"], "LSOA11NM": ["Test 001A"]}, geometry=[square], crs=4326
    )
    (tmp_path / "boundaries").mkdir()
    gdf.to_file(tmp_path / "boundaries" / "medway_lsoa_2011.geojson", driver="GeoJSON")
    monkeypatch.setenv("HOTSPOTS_DATA_DIR", str(tmp_path))
    out = load_boundary("E01099999", level="lsoa", source="local")
    assert out.crs.to_epsg() == 27700
    expected = gdf.to_crs(27700).area.iloc[0]
    assert out.area.iloc[0] == pytest.approx(expected)
    assert 600_000 < expected < 800_000  # ~0.7 km2 at this latitude
    assert any("reprojected from EPSG:4326" in n for n in out.attrs["load_report"].notes)


def test_file_without_crs_raises(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    gdf = gpd.GeoDataFrame(
        {"LSOA11CD": ["E01099999"]}, geometry=[Polygon([(0, 0), (1, 0), (1, 1)])]
    )
    (tmp_path / "boundaries").mkdir()
    gdf.to_parquet(tmp_path / "boundaries" / "medway_lsoa.parquet")
    monkeypatch.setenv("HOTSPOTS_DATA_DIR", str(tmp_path))
    with pytest.raises(CRSError, match="no coordinate reference system"):
        load_boundary("E01099999", level="lsoa", source="local")


def test_invalid_polygon_in_own_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bowtie = Polygon([(0.50, 51.30), (0.52, 51.32), (0.52, 51.30), (0.50, 51.32)])
    assert not bowtie.is_valid
    gdf = gpd.GeoDataFrame(
        {"WD13CD": ["E05099999"], "WD13NM": ["Bow Tie"]}, geometry=[bowtie], crs=4326
    )
    (tmp_path / "boundaries").mkdir()
    gdf.to_file(tmp_path / "boundaries" / "medway_wards.geojson", driver="GeoJSON")
    monkeypatch.setenv("HOTSPOTS_DATA_DIR", str(tmp_path))
    with pytest.warns(HotspotsWarning, match="E05099999"):
        out = load_boundary("Bow Tie", level="ward", source="local")
    assert out.is_valid.all() and out.geom_type.iloc[0] == "MultiPolygon"
    assert shapely.get_num_geometries(out.geometry.iloc[0]) == 2


def test_file_without_code_column(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    gdf = gpd.GeoDataFrame({"foo": ["x"]}, geometry=[Polygon([(0, 0), (1, 0), (1, 1)])], crs=27700)
    (tmp_path / "boundaries").mkdir()
    gdf.to_file(tmp_path / "boundaries" / "medway_oa.gpkg")
    monkeypatch.setenv("HOTSPOTS_DATA_DIR", str(tmp_path))
    with pytest.raises(DataError, match="OA11CD"):
        load_boundary("Medway", level="oa", source="local")


# --- broken input --------------------------------------------------------------------------


def test_unknown_name_suggests_close_matches(data_dir: Path) -> None:
    with pytest.raises(DataError, match="Medway") as err:
        load_boundary("Medwya", level="lsoa")
    assert "Did you mean" in str(err.value)
    with pytest.raises(DataError, match="Tunbridge Wells"):
        load_boundary("Tunbridge Welss", level="lad", source="local")


@pytest.mark.parametrize("level", ["county", "", "LSOA11", None])
def test_bad_level(level: Any) -> None:
    with pytest.raises(DataError, match="level"):
        load_boundary("Medway", level=level)


def test_bad_source_and_empty_name(data_dir: Path) -> None:
    with pytest.raises(DataError, match="source"):
        load_boundary("Medway", level="lsoa", source="web")
    with pytest.raises(DataError, match="empty"):
        load_boundary("  ", level="lsoa")


def test_hostile_name_is_just_unknown(data_dir: Path) -> None:
    with pytest.raises(DataError):
        load_boundary("x' OR '1'='1", level="ward", source="local")


def test_missing_data_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("HOTSPOTS_DATA_DIR", raising=False)
    with pytest.raises(DataError, match="HOTSPOTS_DATA_DIR"):
        load_boundary("Medway", level="lsoa", source="local")
    with pytest.raises(DataError, match="HOTSPOTS_DATA_DIR"):
        load_boundary("Medway", level="lsoa")  # auto, offline
    monkeypatch.setenv("HOTSPOTS_DATA_DIR", str(tmp_path / "nope"))
    with pytest.raises(DataError, match="HOTSPOTS_DATA_DIR"):
        load_boundary("Medway", level="lsoa", source="local")


def test_offline_fetch_says_what_to_download(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("HOTSPOTS_OFFLINE", "1")
    monkeypatch.setenv("HOTSPOTS_DATA_DIR", str(tmp_path))  # exists but holds no boundaries
    with pytest.raises(OfflineError) as err:
        load_boundary("Dover", level="msoa")
    text = str(err.value)
    assert "HOTSPOTS_DATA_DIR/boundaries/dover_msoa_2011.geojson" in text
    assert "geoportal.statistics.gov.uk" in text


# --- online, against recorded ONS FeatureServer pages --------------------------------------


class _Response:
    def __init__(self, body: bytes, status: int = 200) -> None:
        self.content = body
        self.status_code = status


class RecordedSession:
    """Answers ArcGIS FeatureServer queries from recorded pages, keyed by resultOffset."""

    def __init__(self, pages: dict[int, Path]) -> None:
        self.pages = pages
        self.calls: list[dict[str, Any]] = []

    def request(self, method: str, url: str, params: Any = None, **_: Any) -> _Response:
        self.calls.append({"method": method, "url": url, "params": dict(params or {})})
        offset = int((params or {}).get("resultOffset", 0))
        return _Response(self.pages[offset].read_bytes())


@pytest.fixture
def online(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HOTSPOTS_OFFLINE", "0")
    monkeypatch.setenv("HOTSPOTS_CACHE_DIR", str(tmp_path / "cache"))


def test_ons_fetch_pages_and_projects(online: None, data_dir: Path) -> None:
    session = RecordedSession(
        {
            0: RECORDED / "ons_wards_medway_page1.geojson",
            3: RECORDED / "ons_wards_medway_page2.geojson",
        }
    )
    gdf = load_boundary("Medway", level="ward", source="ons", session=session)
    assert [int(c["params"]["resultOffset"]) for c in session.calls] == [0, 3]
    params = session.calls[0]["params"]
    assert params["f"] == "geojson" and params["outFields"] == "*"
    assert "E06000035" in params["where"]
    assert session.calls[0]["url"] == next(
        r["ons_url"] for r in boundary_catalogue() if r["level"] == "ward"
    )
    assert len(gdf) == 5 and gdf["code"].is_unique
    assert gdf.crs.to_epsg() == 27700
    assert set(gdf["lad_code"]) == {MEDWAY}
    # recorded geometries are simplified copies of the real wards: areas agree closely
    local = load_boundary("Medway", level="ward").set_index("code").area
    ratio = gdf.set_index("code").area / local.loc[gdf["code"]]
    assert ratio.between(0.95, 1.05).all()
    assert gdf.attrs["hotspots"]["sources"] == ["ons_boundaries"]
    # second call is answered from the disk cache, without the session
    again = load_boundary("Medway", level="ward", source="ons", session=session)
    assert len(session.calls) == 2 and len(again) == 5


def test_ons_error_payload(online: None) -> None:
    session = RecordedSession({0: RECORDED / "ons_error.json"})
    with pytest.raises(DataError, match="Invalid or missing input"):
        load_boundary("E05002249", level="ward", source="ons", session=session)


def test_ons_empty_answer(online: None, tmp_path: Path) -> None:
    empty = tmp_path / "empty.geojson"
    empty.write_text(json.dumps({"type": "FeatureCollection", "features": []}))
    with pytest.raises(DataError, match="no ward boundaries"):
        load_boundary("E05099999", level="ward", source="ons", session=RecordedSession({0: empty}))


def test_ons_needs_an_area(online: None) -> None:
    with pytest.raises(DataError, match="Name an area"):
        load_boundary(level="lsoa", source="ons")


def test_district_code_outside_kent_is_a_district(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    assert resolve_lads("e08000012") == ("E08000012",)
    monkeypatch.setenv("HOTSPOTS_OFFLINE", "1")
    monkeypatch.setenv("HOTSPOTS_DATA_DIR", str(tmp_path))
    with pytest.raises(OfflineError, match=r"e08000012_oa_2011\.geojson"):
        load_boundary("E08000012", level="oa")


def test_missing_geometry_dropped_and_reported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    square = Polygon([(0.52, 51.37), (0.53, 51.37), (0.53, 51.38), (0.52, 51.38)])
    gdf = gpd.GeoDataFrame(
        {"MSOA11CD": ["E02099998", "E02099999"], "MSOA11NM": ["Medway 998", "Medway 999"]},
        geometry=[square, None],
        crs=4326,
    )
    (tmp_path / "boundaries").mkdir()
    gdf.to_file(tmp_path / "boundaries" / "medway_msoa.geojson", driver="GeoJSON")
    monkeypatch.setenv("HOTSPOTS_DATA_DIR", str(tmp_path))
    with pytest.warns(HotspotsWarning, match="E02099999"):
        out = load_boundary("Medway", level="msoa", source="local")
    assert list(out["code"]) == ["E02099998"]
    report = out.attrs["load_report"]
    assert (report.rows_read, report.rows_kept) == (2, 1)
    assert report.counts() == {"missing or empty geometry": 1}


def test_ons_query_for_unlisted_district_name(online: None) -> None:
    session = RecordedSession({0: RECORDED / "ons_wards_medway_page2.geojson"})
    # the recorded page holds wards, not LSOAs: the loader says the code column is missing
    with pytest.raises(DataError, match="no lsoa code column"):
        load_boundary("Some Town's Name", level="lsoa", source="ons", session=session)
    where = session.calls[0]["params"]["where"]
    # quotes are doubled, never closing the SQL string early
    assert "LSOA11NM LIKE 'Some Town''s Name %'" in where
    assert "LSOA11CD = 'Some Town''s Name'" in where


def test_file_with_its_own_code_column(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    square = Polygon([(0.52, 51.37), (0.53, 51.37), (0.53, 51.38), (0.52, 51.38)])
    gdf = gpd.GeoDataFrame(
        {"OA11CD": ["E00099999"], "code": ["mine"], "name": ["x"]}, geometry=[square], crs=4326
    )
    (tmp_path / "boundaries").mkdir()
    gdf.to_file(tmp_path / "boundaries" / "medway_oa.geojson", driver="GeoJSON")
    monkeypatch.setenv("HOTSPOTS_DATA_DIR", str(tmp_path))
    out = load_boundary("Medway", level="oa", source="local")
    assert out.loc[0, "code"] == "E00099999" and out.loc[0, "code_original"] == "mine"
    assert out.loc[0, "lad_code"] == MEDWAY
