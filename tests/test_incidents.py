"""Tests of hotspots.incidents.read_incidents on tables built from real police rows."""

from __future__ import annotations

import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from pyproj import Transformer

from hotspots import CRSError, DataError, HotspotsError, HotspotsWarning
from hotspots.incidents import read_incidents

DERIVED = "crime/medway_street_crime_2018-06_derived.csv"


@pytest.fixture(scope="module")
def real() -> pd.DataFrame:
    """200 real Medway rows with a force-style id, offence time and victim age."""
    root = Path(__import__("os").environ.get("HOTSPOTS_DATA_DIR", "/nonexistent"))
    path = root / DERIVED
    if not path.is_file():
        pytest.skip("reference data not available")
    df = pd.read_csv(path, dtype=str, keep_default_na=False).iloc[:200].copy()
    df["ref"] = [f"KENT/{i:05d}" for i in range(len(df))]
    df["offence_date"] = [f"{1 + i % 28:02d}/06/2018 {i % 24:02d}:15" for i in range(len(df))]
    df["victim_age"] = [str(12 + i % 60) for i in range(len(df))]
    return df


def bng(df: pd.DataFrame) -> pd.DataFrame:
    t = Transformer.from_crs(4326, 27700, always_xy=True)
    x, y = t.transform(df["Longitude"].astype(float), df["Latitude"].astype(float))
    out = df.drop(columns=["Longitude", "Latitude"]).copy()
    out["easting"], out["northing"] = np.round(x, 2), np.round(y, 2)
    return out


def test_csv_lonlat_to_bng(data_dir: Path, real: pd.DataFrame, tmp_path: Path) -> None:
    path = tmp_path / "inc.csv"
    real.to_csv(path, index=False)
    gdf = read_incidents(path, x="Longitude", y="Latitude", crs=4326, id="ref", date="offence_date")
    assert gdf.crs.to_epsg() == 27700 and len(gdf) == 200
    x, y = Transformer.from_crs(4326, 27700, always_xy=True).transform(0.544545, 51.390178)
    assert abs(gdf.geometry.x.iloc[0] - x) < 1e-3 and abs(gdf.geometry.y.iloc[0] - y) < 1e-3
    assert gdf["victim_age"].iloc[5] == int(real["victim_age"].iloc[5])
    assert gdf["offence_datetime"].iloc[2] == pd.Timestamp("2018-06-03 02:15")  # day first
    assert (gdf["month"] == "2018-06").all()
    assert gdf["month"].dtype == pd.PeriodDtype("M")  # as the police.uk readers give
    assert gdf["source_line"].iloc[0] == 2
    assert gdf.attrs["load_report"].n_dropped == 0


def test_gpkg_and_parquet_with_geometry(data_dir: Path, real: pd.DataFrame, tmp_path: Path) -> None:
    df = bng(real)
    gdf = gpd.GeoDataFrame(
        df, geometry=gpd.points_from_xy(df["easting"], df["northing"]), crs=27700
    )
    gdf.to_file(tmp_path / "inc.gpkg", layer="crimes")
    gdf.to_parquet(tmp_path / "inc.parquet")
    a = read_incidents(tmp_path / "inc.gpkg", layer="crimes", id="ref")
    b = read_incidents(tmp_path / "inc.parquet", id="ref")
    for out in (a, b):
        assert len(out) == 200 and out.crs.to_epsg() == 27700
        assert np.allclose(out.geometry.x, df["easting"]) and out["source_line"].iloc[0] == 1
    with pytest.raises(CRSError, match="contradicts"):
        read_incidents(tmp_path / "inc.parquet", crs=4326)
    # plain Parquet with x/y columns
    df.to_parquet(tmp_path / "plain.parquet")
    c = read_incidents(tmp_path / "plain.parquet", x="easting", y="northing", crs=27700)
    assert np.allclose(c.geometry.y, df["northing"])


def test_missing_unparseable_and_duplicates(real: pd.DataFrame, tmp_path: Path) -> None:
    df = real.copy()
    df.loc[3, "Longitude"] = ""
    df.loc[7, "Latitude"] = "fifty-one"
    df.loc[9, "ref"] = df.loc[8, "ref"]
    path = tmp_path / "messy.csv"
    df.to_csv(path, index=False)
    with pytest.warns(HotspotsWarning, match="dropped 3 of 200"):
        gdf = read_incidents(path, x="Longitude", y="Latitude", crs=4326, id="ref")
    assert gdf.attrs["load_report"].dropped == {
        "no location": [5],
        "unparseable coordinates": [9],
        "duplicate id": [11],
    }
    assert len(gdf) == 197


def test_swapped_columns(real: pd.DataFrame, tmp_path: Path) -> None:
    path = tmp_path / "swap.csv"
    real.to_csv(path, index=False)
    with pytest.raises(DataError, match=r"swap\.csv.*look swapped.*row 2"):
        read_incidents(path, x="Latitude", y="Longitude", crs=4326)


def test_degrees_given_as_bng(real: pd.DataFrame, tmp_path: Path) -> None:
    path = tmp_path / "deg.csv"
    real.to_csv(path, index=False)
    with pytest.raises(
        CRSError, match=r"deg\.csv: row 2.*'Longitude'/'Latitude'.*degrees.*EPSG:27700"
    ):
        read_incidents(path, x="Longitude", y="Latitude", crs=27700)


def test_outside_crs_area(real: pd.DataFrame, tmp_path: Path) -> None:
    df = bng(real)
    df["easting"] = df["easting"] + 5_000_000  # far outside British National Grid
    path = tmp_path / "far.csv"
    df.to_csv(path, index=False)
    with pytest.raises(HotspotsError, match=r"far\.csv.*outside the valid area.*row 2"):
        read_incidents(path, x="easting", y="northing", crs=27700)
    df = bng(real)
    df.loc[4, "easting"] = 9_000_000
    df.to_csv(path, index=False)
    with pytest.warns(HotspotsWarning):
        gdf = read_incidents(path, x="easting", y="northing", crs=27700)
    assert gdf.attrs["load_report"].dropped == {"outside CRS area": [6]}


def test_area_and_hostile_strings(data_dir: Path, real: pd.DataFrame, tmp_path: Path) -> None:
    df = real.copy()
    df.loc[0, "Location"] = "<script>alert(1)</script>"
    df.loc[1, ["Longitude", "Latitude"]] = ["0.968871", "51.242341"]  # Ashford
    path = tmp_path / "inc.csv"
    df.to_csv(path, index=False)
    medway = gpd.read_file(data_dir / "boundaries/medway_boundary.geojson")
    gdf = read_incidents(path, x="Longitude", y="Latitude", crs=4326, area=medway)
    assert gdf["Location"].iloc[0] == "<script>alert(1)</script>"
    assert 3 in gdf.attrs["load_report"].dropped["outside area"]


def test_bad_dates_noted(real: pd.DataFrame, tmp_path: Path) -> None:
    df = real.copy()
    df.loc[2, "offence_date"] = "last Tuesday"
    path = tmp_path / "dates.csv"
    df.to_csv(path, index=False)
    with pytest.warns(HotspotsWarning, match="could not be read as dates"):
        gdf = read_incidents(
            path,
            x="Longitude",
            y="Latitude",
            crs=4326,
            date="offence_date",
            date_format="%d/%m/%Y %H:%M",
        )
    assert pd.isna(gdf["offence_datetime"].iloc[2]) and len(gdf) == 200


def test_empty_and_missing(real: pd.DataFrame, tmp_path: Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    with pytest.raises(DataError, match="empty"):
        read_incidents(empty, x="Longitude", y="Latitude", crs=4326)
    header = tmp_path / "header.csv"
    real.iloc[:0].to_csv(header, index=False)
    with pytest.raises(DataError, match="no data rows"):
        read_incidents(header, x="Longitude", y="Latitude", crs=4326)
    full = tmp_path / "full.csv"
    real.to_csv(full, index=False)
    with pytest.raises(DataError, match=r"line 1 \(header\).*\['lon'\]"):
        read_incidents(full, x="lon", y="Latitude", crs=4326)
    with pytest.raises(DataError, match="pass x=, y="):
        read_incidents(full)


def test_outside_gb_keeps_projected_crs(tmp_path: Path) -> None:
    # Paris in Lambert-93 (EPSG:2154): stays in its own projected CRS
    t = Transformer.from_crs(4326, 2154, always_xy=True)
    x, y = t.transform([2.3522, 2.35], [48.8566, 48.85])
    path = tmp_path / "paris.csv"
    pd.DataFrame({"x": x, "y": y}).to_csv(path, index=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", HotspotsWarning)
        gdf = read_incidents(path, x="x", y="y", crs=2154)
    assert gdf.crs.to_epsg() == 2154
    assert any("outside Great Britain" in n for n in gdf.attrs["load_report"].notes)


# ---------------------------------------------------------------- dates, unambiguously
def _with_dates(real: pd.DataFrame, values: list[str], tmp_path: Path) -> Path:
    df = real.iloc[: len(values)].copy()
    df["when"] = values
    path = tmp_path / "dates.csv"
    df.to_csv(path, index=False)
    return path


def test_iso_dates_are_year_month_day(real: pd.DataFrame, tmp_path: Path) -> None:
    # 2018-04-03 is 3 April; read day first it became 4 March (month 2018-03)
    path = _with_dates(real, ["2018-04-03", "2018-04-13 10:30", "2018-12-01T08:00"], tmp_path)
    gdf = read_incidents(path, x="Longitude", y="Latitude", crs=4326, date="when")
    assert gdf["month"].astype(str).tolist() == ["2018-04", "2018-04", "2018-12"]
    assert gdf["offence_datetime"].tolist() == [
        pd.Timestamp(2018, 4, 3),
        pd.Timestamp(2018, 4, 13, 10, 30),
        pd.Timestamp(2018, 12, 1, 8, 0),
    ]


def test_day_first_and_month_first_told_apart_by_the_column(
    real: pd.DataFrame, tmp_path: Path
) -> None:
    uk = _with_dates(real, ["03/04/2018", "25/04/2018"], tmp_path)  # 25 says day first
    gdf = read_incidents(uk, x="Longitude", y="Latitude", crs=4326, date="when")
    assert gdf["offence_datetime"].tolist() == [pd.Timestamp(2018, 4, 3), pd.Timestamp(2018, 4, 25)]
    us = _with_dates(real, ["03/04/2018", "04/25/2018"], tmp_path)  # 25 says month first
    gdf = read_incidents(us, x="Longitude", y="Latitude", crs=4326, date="when")
    assert gdf["offence_datetime"].tolist() == [pd.Timestamp(2018, 3, 4), pd.Timestamp(2018, 4, 25)]


def test_ambiguous_dates_refused_unless_a_format_is_given(
    real: pd.DataFrame, tmp_path: Path
) -> None:
    path = _with_dates(real, ["03/04/2018", "05/06/2018", "07/07/2018"], tmp_path)
    with pytest.raises(
        DataError,
        match=r"dates\.csv: column 'when': 2 date\(s\).*'03/04/2018' \(row 2\).*date_format",
    ):
        read_incidents(path, x="Longitude", y="Latitude", crs=4326, date="when")
    gdf = read_incidents(
        path, x="Longitude", y="Latitude", crs=4326, date="when", date_format="%m/%d/%Y"
    )
    assert gdf["month"].astype(str).tolist() == ["2018-03", "2018-05", "2018-07"]
    mixed = _with_dates(real, ["13/04/2018", "04/13/2018"], tmp_path)
    with pytest.raises(DataError, match=r"mixes day-first.*row 2.*month-first.*row 3"):
        read_incidents(mixed, x="Longitude", y="Latitude", crs=4326, date="when")


# ------------------------------------------------- coordinates that cannot be right
def test_degree_rows_among_bng_rows_are_dropped_not_put_off_scilly(
    real: pd.DataFrame, tmp_path: Path
) -> None:
    df = bng(real)
    df.loc[[0, 1, 2], "easting"] = real["Longitude"].astype(float).iloc[:3].to_numpy()
    df.loc[[0, 1, 2], "northing"] = real["Latitude"].astype(float).iloc[:3].to_numpy()
    path = tmp_path / "mixed.csv"
    df.to_csv(path, index=False)
    with pytest.warns(HotspotsWarning, match="degrees in a metre CRS"):
        gdf = read_incidents(path, x="easting", y="northing", crs=27700)
    assert gdf.attrs["load_report"].dropped == {"degrees in a metre CRS": [2, 3, 4]}
    # every point kept is one of the real Medway rows (none near the BNG false origin)
    assert np.allclose(gdf.geometry.x, df["easting"].iloc[3:]) and len(gdf) == 197


def test_metre_rows_among_lonlat_rows_and_null_island(real: pd.DataFrame, tmp_path: Path) -> None:
    df = real.copy()
    df.loc[5, ["Longitude", "Latitude"]] = ["575000", "168000"]
    df.loc[[8, 9], ["Longitude", "Latitude"]] = ["0", "0"]
    path = tmp_path / "mixed.csv"
    df.to_csv(path, index=False)
    with pytest.warns(HotspotsWarning, match="dropped 3 of 200"):
        gdf = read_incidents(path, x="Longitude", y="Latitude", crs=4326)
    assert gdf.attrs["load_report"].dropped == {
        "null island (0, 0)": [10, 11],
        "metres in a degree CRS": [7],
    }
    b = bng(real)
    b.loc[0, ["easting", "northing"]] = [0, 0]
    b.to_csv(path, index=False)
    with pytest.warns(HotspotsWarning):
        gdf = read_incidents(path, x="easting", y="northing", crs=27700)
    assert gdf.attrs["load_report"].dropped == {"null island (0, 0)": [2]}


def test_lonlat_rows_outside_great_britain_are_dropped(real: pd.DataFrame, tmp_path: Path) -> None:
    df = real.copy()
    df.loc[4, ["Longitude", "Latitude"]] = ["51.39", "0.54"]  # swapped: Gulf of Guinea
    df.loc[6, ["Longitude", "Latitude"]] = ["-74.0", "40.7"]  # New York
    path = tmp_path / "far.csv"
    df.to_csv(path, index=False)
    with pytest.warns(HotspotsWarning):
        gdf = read_incidents(path, x="Longitude", y="Latitude", crs=4326)
    assert gdf.attrs["load_report"].dropped == {"x/y swapped": [6], "outside Great Britain": [8]}
    assert gdf.crs.to_epsg() == 27700 and len(gdf) == 198


def test_swapped_eastings_and_northings_rows(
    data_dir: Path, real: pd.DataFrame, tmp_path: Path
) -> None:
    df = bng(real)
    east = df["easting"].to_numpy().copy()
    north = df["northing"].to_numpy().copy()
    east[[3, 7]], north[[3, 7]] = north[[3, 7]], east[[3, 7]]
    df["easting"], df["northing"] = east, north
    path = tmp_path / "swapped.csv"
    df.to_csv(path, index=False)
    with pytest.warns(HotspotsWarning, match="x/y swapped"):
        gdf = read_incidents(path, x="easting", y="northing", crs=27700)
    assert gdf.attrs["load_report"].dropped == {"x/y swapped": [5, 9]}
    # with a study area the area decides (outside it, inside it when exchanged)
    medway = gpd.read_file(data_dir / "boundaries/medway_boundary.geojson")
    with pytest.warns(HotspotsWarning):
        gdf = read_incidents(path, x="easting", y="northing", crs=27700, area=medway)
    assert gdf.attrs["load_report"].dropped["x/y swapped"] == [5, 9]


def test_repeat_of_a_dropped_rows_id_is_kept(real: pd.DataFrame, tmp_path: Path) -> None:
    df = real.copy()
    df.loc[3, "Longitude"] = ""  # dropped: no location
    df.loc[4, "ref"] = df.loc[3, "ref"]  # the same incident, this time located
    path = tmp_path / "dup.csv"
    df.to_csv(path, index=False)
    with pytest.warns(HotspotsWarning):
        gdf = read_incidents(path, x="Longitude", y="Latitude", crs=4326, id="ref")
    assert gdf.attrs["load_report"].dropped == {"no location": [5]}
    assert (gdf["ref"] == df.loc[3, "ref"]).sum() == 1


# --------------------------------------------------- foreign files and bad arguments
def test_wrong_files_and_crs_are_package_errors(real: pd.DataFrame, tmp_path: Path) -> None:
    page = tmp_path / "crimes.csv"
    page.write_text("<!DOCTYPE html>\n<html><body>Please sign in</body></html>\n")
    with pytest.raises(DataError, match=r"crimes\.csv: this is an HTML web page"):
        read_incidents(page, x="x", y="y", crs=27700)
    api = tmp_path / "api.csv"
    api.write_text('[{"category": "drugs", "location": {"latitude": "51.4"}}]')
    with pytest.raises(DataError, match=r"api\.csv: this is JSON.*read_police_api"):
        read_incidents(api, x="x", y="y", crs=27700)
    broken = tmp_path / "broken.parquet"
    broken.write_bytes(b"PAR1 this is not really parquet")
    with pytest.raises(DataError, match=r"broken\.parquet: could not be read as Parquet"):
        read_incidents(broken)
    ok = tmp_path / "ok.csv"
    real.to_csv(ok, index=False)
    with pytest.raises(CRSError, match=r"ok\.csv: crs='EPSG:99999' is not a coordinate"):
        read_incidents(ok, x="Longitude", y="Latitude", crs="EPSG:99999")


def test_result_round_trips_through_geoparquet(real: pd.DataFrame, tmp_path: Path) -> None:
    from hotspots._report import get_load_report

    df = real.copy()
    df.loc[3, "Longitude"] = ""
    path = tmp_path / "inc.csv"
    df.to_csv(path, index=False)
    with pytest.warns(HotspotsWarning):
        gdf = read_incidents(path, x="Longitude", y="Latitude", crs=4326)
    gdf.to_parquet(tmp_path / "inc.parquet")
    gdf.to_feather(tmp_path / "inc.feather")
    back = gpd.read_parquet(tmp_path / "inc.parquet")
    report = get_load_report(back)
    assert report is not None
    assert (report.rows_read, report.dropped) == (200, {"no location": [5]})
    assert back.geometry.equals(gdf.geometry)
