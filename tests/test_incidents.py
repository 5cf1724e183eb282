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
