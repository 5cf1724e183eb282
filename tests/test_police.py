"""Tests of hotspots.police against the real data.police.uk files in HOTSPOTS_DATA_DIR."""

from __future__ import annotations

import collections
import csv
import zipfile
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pytest
import shapely
from pyproj import Transformer

from hotspots import DataError, HotspotsError, HotspotsWarning
from hotspots.police import (
    API_CATEGORIES,
    BULK_COLUMNS,
    CRIME_TYPES,
    SourcedLoadReport,
    drop_duplicate_ids,
    parse_police_frame,
    read_police_csv,
)
from hotspots.police_api import read_police_api

SAMPLE = "crime/kent_street_2019-01_format_sample.csv"
DERIVED = "crime/medway_street_crime_2018-06_derived.csv"
API_JSON = "crime/medway_street_crime_api_2018-06.json"
PUBLISHED = {  # SOURCES.md, June 2018 Medway
    "Violence and sexual offences": 1230,
    "Anti-social behaviour": 476,
    "Public order": 402,
    "Other theft": 265,
    "Criminal damage and arson": 259,
    "Shoplifting": 171,
    "Vehicle crime": 168,
    "Burglary": 132,
    "Other crime": 86,
    "Drugs": 74,
    "Robbery": 42,
    "Bicycle theft": 40,
    "Possession of weapons": 25,
    "Theft from the person": 17,
}
HERE = Path(__file__).parent / "data" / "police"


def lines_of(path: Path) -> list[str]:
    return path.read_text("utf-8").splitlines()


def write(path: Path, lines: list[str], *, newline: str = "\n", bom: bool = False) -> Path:
    data = (newline.join(lines) + newline).encode("utf-8")
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + data)
    return path


def quiet(fn: Any, *args: Any, **kwargs: Any) -> Any:
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", HotspotsWarning)
        return fn(*args, **kwargs)


# --------------------------------------------------------------------------- verbatim rows
def test_verbatim_rows_exact_values(data_dir: Path) -> None:
    gdf = read_police_csv(data_dir / SAMPLE)
    assert len(gdf) == 30 and gdf.crs.to_epsg() == 27700
    first = gdf.iloc[0]
    assert first["crime_id"] == ""
    assert str(first["month"]) == "2019-01"
    assert first["location"] == "On or near Branch Road"
    assert first["lsoa_code"] == "E01023987"
    assert first["lsoa_name"] == "Ashford 001B"
    assert first["crime_type"] == "Anti-social behaviour"
    assert first["outcome"] == ""
    assert first["context"] == ""
    assert first["reported_by"] == first["falls_within"] == "Kent Police"
    burglary = gdf.iloc[1]
    assert burglary["crime_type"] == "Burglary"
    assert burglary["crime_id"] == (
        "13c57b4511bf7b8a3490e453390e03c066f7a94970eb03ad9d49677fcdd51423"
    )
    assert burglary["outcome"] == "Investigation complete; no suspect identified"
    assert "On or near King Arthur'S Drive" in set(gdf["location"])
    assert (gdf["context"] == "").all()
    assert list(gdf.columns[:10]) == [v for v in BULK_COLUMNS.values() if "itude" not in v]
    # the point equals pyproj's own transform within 1 mm
    x, y = Transformer.from_crs(4326, 27700, always_xy=True).transform(0.968871, 51.242341)
    assert abs(first.geometry.x - x) < 1e-3 and abs(first.geometry.y - y) < 1e-3
    assert gdf["source_line"].tolist() == list(range(2, 32))
    report = gdf.attrs["load_report"]
    assert report.rows_read == 30 and report.n_dropped == 0
    prov = gdf.attrs["hotspots"]
    assert prov["period"] == {"start": "2019-01", "end": "2019-01"}
    assert prov["sources"] == ["police"]


def test_verbatim_counts_match_csv_module(data_dir: Path) -> None:
    with open(data_dir / SAMPLE, newline="", encoding="utf-8") as fh:
        expected = collections.Counter(r["Crime type"] for r in csv.DictReader(fh))
    gdf = read_police_csv(data_dir / SAMPLE)
    got = gdf["crime_type"].value_counts()
    assert {k: int(v) for k, v in got.items() if v} == dict(expected)


# --------------------------------------------------------------------------- June 2018


def test_derived_csv_accounts_for_every_row(data_dir: Path) -> None:
    with pytest.warns(HotspotsWarning, match="duplicate crime id"):
        gdf = read_police_csv(data_dir / DERIVED)
    report = gdf.attrs["load_report"]
    assert len(gdf) + report.n_dropped == 3387
    # independently: the csv module finds exactly one repeated non-empty Crime ID
    with open(data_dir / DERIVED, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    seen: set[str] = set()
    repeats = []
    for line, r in enumerate(rows, start=2):
        if r["Crime ID"] and r["Crime ID"] in seen:
            repeats.append(line)
        seen.add(r["Crime ID"])
    assert report.dropped == {"duplicate crime id": repeats}
    kept = collections.Counter(gdf["crime_type"].astype(str))
    for line in repeats:
        kept[rows[line - 2]["Crime type"]] += 1
    assert dict(kept) == PUBLISHED


def test_csv_and_api_agree_point_for_point(data_dir: Path) -> None:
    csv_gdf = quiet(read_police_csv, data_dir / DERIVED)
    api = read_police_api(data_dir / API_JSON, force="Kent Police")
    # CSV line n holds API record n - 1 (same order)
    by_record = api.set_index("source_line")
    matched = by_record.loc[csv_gdf["source_line"].to_numpy() - 1]
    assert len(matched) == len(csv_gdf) == 3386
    d = shapely.distance(csv_gdf.geometry.to_numpy(), matched.geometry.to_numpy())
    assert float(np.max(d)) < 1e-6
    for col in ("crime_id", "month", "crime_type", "outcome", "location", "reported_by"):
        assert (csv_gdf[col].astype(str).to_numpy() == matched[col].astype(str).to_numpy()).all()


# --------------------------------------------------------------------------- layouts
def _month_file(root: Path, month: str, rows: list[str], header: str) -> Path:
    folder = root / month
    folder.mkdir(parents=True, exist_ok=True)
    fixed = [r.replace(",2019-01,", f",{month},", 1) for r in rows]
    return write(folder / f"{month}-kent-street.csv", [header, *fixed])


def test_folder_zip_and_list_inputs(data_dir: Path, tmp_path: Path) -> None:
    header, *rows = lines_of(data_dir / SAMPLE)
    root = tmp_path / "download"
    f1 = _month_file(root, "2019-01", rows[:10], header)
    f2 = _month_file(root, "2019-02", rows[10:], header)
    (root / "2019-02" / "2019-02-kent-outcomes.csv").write_text("not a street file\n")
    by_folder = read_police_csv(root)
    by_list = read_police_csv([f1, f2])
    archive = tmp_path / "download.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.write(f1, "2019-01/2019-01-kent-street.csv")
        zf.write(f2, "2019-02/2019-02-kent-street.csv")
        zf.writestr("2019-02/2019-02-kent-outcomes.csv", "not a street file\n")
    by_zip = read_police_csv(archive)
    for gdf in (by_folder, by_list, by_zip):
        assert len(gdf) == 30
        assert gdf["month"].astype(str).value_counts().to_dict() == {"2019-02": 20, "2019-01": 10}
        assert gdf.attrs["hotspots"]["period"] == {"start": "2019-01", "end": "2019-02"}
        assert gdf.attrs["load_report"].rows_read == 30
    assert by_zip["source_file"].iloc[0].endswith("download.zip!2019-01/2019-01-kent-street.csv")
    assert (by_folder.geometry.x.to_numpy() == by_zip.geometry.x.to_numpy()).all()


def test_many_files_report_names_the_file(data_dir: Path, tmp_path: Path) -> None:
    header, *rows = lines_of(data_dir / SAMPLE)
    bad = rows[3].replace("0.482979", "")  # no location at line 5 of the second file
    _month_file(tmp_path, "2019-01", rows[:4], header)
    _month_file(tmp_path, "2019-02", [*rows[:3], bad], header)
    with pytest.warns(HotspotsWarning, match="duplicate crime id"):
        gdf = read_police_csv(tmp_path)
    report = gdf.attrs["load_report"]
    assert isinstance(report, SourcedLoadReport)
    assert report.where("no location") == [(str(tmp_path / "2019-02/2019-02-kent-street.csv"), 5)]
    assert "2019-02-kent-street.csv:5" in report.summary()
    # the ids of the first three rows repeat across months: duplicates, named by file
    dups = report.where("duplicate crime id")
    assert {n for _, n in dups} == {3, 4} and all("2019-02" in f for f, _ in dups)


def test_filters(data_dir: Path) -> None:
    path = data_dir / SAMPLE
    gdf = read_police_csv(path, crime_types=["Burglary", "Drugs"])
    with open(path, newline="", encoding="utf-8") as fh:
        expected = sum(r["Crime type"] in {"Burglary", "Drugs"} for r in csv.DictReader(fh))
    assert len(gdf) == expected > 0
    assert gdf.attrs["load_report"].counts() == {"filtered: crime type": 30 - expected}
    with pytest.raises(DataError, match="Violence and sexual offences"):
        read_police_csv(path, crime_types=["Violent crimes"])
    import pandas as pd

    assert len(read_police_csv(path, months=[pd.Timestamp("2019-01-15")])) == 30
    none = read_police_csv(path, months=["2019-02"])
    assert len(none) == 0 and none.attrs["load_report"].counts() == {"filtered: month": 30}
    with pytest.raises(DataError, match="'January' is not a month written 'YYYY-MM'"):
        read_police_csv(path, months=["January"])


def test_area_filter_medway_boundary(data_dir: Path) -> None:
    medway = gpd.read_file(data_dir / "boundaries/medway_boundary.geojson")
    gdf = read_police_csv(data_dir / SAMPLE, area=medway)
    report = gdf.attrs["load_report"]
    assert report.dropped["outside area"] == [2, 3]  # the two Ashford rows
    assert not gdf["lsoa_name"].astype(str).str.startswith("Ashford").any()
    inside = medway.to_crs(27700).union_all()
    assert shapely.intersects(inside, gdf.geometry.to_numpy()).all()
    # a bare shapely polygon in degrees is read as WGS84
    same = read_police_csv(data_dir / SAMPLE, area=medway.geometry.iloc[0])
    assert len(same) == len(gdf)


# --------------------------------------------------------------------------- parse parts
def test_parse_police_frame_and_duplicates(data_dir: Path) -> None:
    import pandas as pd

    raw = pd.read_csv(data_dir / SAMPLE, dtype=str, keep_default_na=False)
    gdf, report = parse_police_frame(raw.iloc[1:], source="part", first_line=3)
    assert len(gdf) == 29 and gdf["source_line"].iloc[0] == 3
    twice = gpd.GeoDataFrame(pd.concat([gdf, gdf.iloc[:3]], ignore_index=True), crs=27700)
    out = drop_duplicate_ids(twice, report)
    n_blank = int((gdf["crime_id"].iloc[:3] == "").sum())
    assert len(out) == 29 + n_blank  # blank ids (ASB) are never duplicates
    assert 0 < 3 - n_blank == len(report.dropped["duplicate crime id"])
    assert len(twice) == 32  # input not mutated


# --------------------------------------------------------------------------- broken input
def test_bom_and_crlf_parse_identically(data_dir: Path, tmp_path: Path) -> None:
    lines = lines_of(data_dir / SAMPLE)
    clean = read_police_csv(data_dir / SAMPLE)
    for name, kw in {"bom": {"bom": True}, "crlf": {"newline": "\r\n"}}.items():
        gdf = read_police_csv(write(tmp_path / f"{name}.csv", lines, **kw))  # type: ignore[arg-type]
        cols = [c for c in gdf.columns if c != "source_file"]
        assert gdf[cols].astype(str).equals(clean[cols].astype(str)), name
        assert (gdf.geometry.x == clean.geometry.x).all()


@pytest.mark.parametrize("content", [b"", None])
def test_empty_files(data_dir: Path, tmp_path: Path, content: bytes | None) -> None:
    path = tmp_path / "empty.csv"
    path.write_bytes(
        content if content is not None else (data_dir / SAMPLE).read_bytes().split(b"\n")[0] + b"\n"
    )
    with pytest.raises(DataError, match=r"empty\.csv.*(empty|no data rows)"):
        read_police_csv(path)


def test_missing_columns(data_dir: Path, tmp_path: Path) -> None:
    lines = [
        ",".join(line.split(",")[:4] + line.split(",")[6:]) for line in lines_of(data_dir / SAMPLE)
    ]
    with pytest.raises(DataError, match=r"cut\.csv: line 1.*\['Longitude', 'Latitude'\]"):
        read_police_csv(write(tmp_path / "cut.csv", lines))


def test_non_numeric_coordinates(data_dir: Path, tmp_path: Path) -> None:
    lines = lines_of(data_dir / SAMPLE)
    lines[4] = lines[4].replace("51.402930", "51.4O293O")
    with pytest.warns(HotspotsWarning, match="unparseable"):
        gdf = read_police_csv(write(tmp_path / "some.csv", lines))
    assert gdf.attrs["load_report"].dropped == {"unparseable coordinates": [5]}
    allbad = [lines[0]] + [
        ",".join(["x" if i == 4 else v for i, v in enumerate(r.split(","))]) for r in lines[1:3]
    ]
    with pytest.raises(HotspotsError, match=r"all\.csv.*line 2.*'Longitude'"):
        read_police_csv(write(tmp_path / "all.csv", allbad))


def test_swapped_lat_lon(data_dir: Path, tmp_path: Path) -> None:
    header, *rows = lines_of(data_dir / SAMPLE)

    def swap(row: str) -> str:
        v = row.split(",")
        v[4], v[5] = v[5], v[4]
        return ",".join(v)

    with pytest.raises(DataError, match=r"swapped\.csv: line 2.*Longitude.*Latitude.*look swapped"):
        read_police_csv(write(tmp_path / "swapped.csv", [header, *map(swap, rows)]))
    with pytest.warns(HotspotsWarning, match="swapped"):
        gdf = read_police_csv(write(tmp_path / "few.csv", [header, swap(rows[0]), *rows[1:]]))
    report = gdf.attrs["load_report"]
    assert report.dropped == {"swapped longitude/latitude": [2]} and report.notes


def test_points_outside_great_britain(data_dir: Path, tmp_path: Path) -> None:
    header, *rows = lines_of(data_dir / SAMPLE)
    v = rows[5].split(",")
    v[4], v[5] = "2.352200", "48.856600"
    paris = ",".join(v)
    with pytest.warns(HotspotsWarning):
        gdf = read_police_csv(write(tmp_path / "one.csv", [header, *rows[:5], paris]))
    assert gdf.attrs["load_report"].dropped == {"outside Great Britain": [7]}
    with pytest.raises(
        DataError, match=r"far\.csv: line 2, columns .Longitude.*outside Great Britain"
    ):
        read_police_csv(write(tmp_path / "far.csv", [header, paris]))


def test_non_utf8_bytes(data_dir: Path, tmp_path: Path) -> None:
    data = (
        (data_dir / SAMPLE)
        .read_bytes()
        .replace(b"On or near The Street", b"On or near The Str\xe9et")
    )
    path = tmp_path / "latin.csv"
    path.write_bytes(data)
    with pytest.raises(DataError, match=r"latin\.csv: line 3, column 'Location'.*0xe9.*offset"):
        read_police_csv(path)
    gdf = read_police_csv(path, encoding="cp1252")
    assert gdf["location"].iloc[1] == "On or near The Stréet"


def test_hostile_strings_kept_verbatim(data_dir: Path, tmp_path: Path) -> None:
    header, *rows = lines_of(data_dir / SAMPLE)
    evil = "<script>alert(1)</script>"
    hostile = (
        rows[0]
        .replace("On or near Branch Road", evil)
        .replace("Ashford 001B", "\"=cmd|'/c calc'!A1\"")
    )
    gdf = read_police_csv(write(tmp_path / "hostile.csv", [header, hostile, *rows[1:]]))
    assert gdf["location"].iloc[0] == evil
    assert gdf["lsoa_name"].iloc[0] == "=cmd|'/c calc'!A1"


def test_recorded_fixture_cp1252(tmp_path: Path) -> None:
    path = HERE / "cp1252_street.csv"
    with pytest.raises(DataError, match=r"cp1252_street\.csv: line 2"):
        read_police_csv(path)


def test_vocabularies() -> None:
    assert len(API_CATEGORIES) == 15 and set(API_CATEGORIES.values()) == set(CRIME_TYPES)
    assert set(PUBLISHED) <= set(CRIME_TYPES)
