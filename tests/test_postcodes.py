"""Tests for hotspots.postcodes and provision sheets located by postcode."""

from __future__ import annotations

import csv
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hotspots import DataError, HotspotsWarning
from hotspots.postcodes import normalise_postcode, place_postcodes, read_postcodes
from hotspots.provision import read_provision

HEADER = "name,service_type,provider,target_age_min,target_age_max,postcode\n"


def _codepoint_sample(data_dir: Path, k: int = 40) -> dict[str, tuple[float, float]]:
    """Every k-th row of each Code-Point Open file, read with the csv module."""
    out = {}
    for path in sorted((data_dir / "postcodes").glob("codepoint_open_*.csv")):
        with path.open(newline="") as fh:
            for i, row in enumerate(csv.reader(fh)):
                if i % k == 0:
                    out[row[0]] = (float(row[2]), float(row[3]))
    return out


def test_normalise_spacing_and_case() -> None:
    got = normalise_postcode(["me4 4ug", "ME44UG", " me4\t4ug ", "ME10 1AA", "me101aa", None])
    assert got.tolist() == ["ME4 4UG", "ME4 4UG", "ME4 4UG", "ME10 1AA", "ME10 1AA", ""]


def test_placement_equals_codepoint_for_a_sample(data_dir: Path) -> None:
    sample = _codepoint_sample(data_dir)
    assert len(sample) > 1000
    lookup = read_postcodes(data_dir / "postcodes")
    # typed the way people type them: lower case, spaces dropped
    typed = [pc.lower().replace(" ", "") for pc in sample]
    placed = place_postcodes(typed, lookup)
    assert (placed["status"] == "placed").all()
    expected = np.array(list(sample.values()))
    assert np.array_equal(placed[["easting", "northing"]].to_numpy(), expected)


def test_provision_sheet_by_postcode_reports_unknown_rows(data_dir: Path, tmp_path: Path) -> None:
    sample = list(_codepoint_sample(data_dir, k=997).items())[:3]
    lines = [f"Service {i},pharmacy,NHS,0,120,{pc.lower()}\n" for i, (pc, _) in enumerate(sample)]
    lines.insert(1, "Gone,pharmacy,NHS,0,120,ZZ9 9ZZ\n")  # line 3: not a postcode there
    lines.append("Blank,pharmacy,NHS,0,120,\n")  # line 6
    path = tmp_path / "sheet.csv"
    path.write_text(HEADER + "".join(lines))
    with pytest.warns(HotspotsWarning, match=r"postcode not in the lookup; rows 3\)"):
        gdf = read_provision(path)
    report = gdf.attrs["load_report"]
    assert report.dropped == {"postcode not in the lookup": [3], "no postcode": [6]}
    assert report.rows_read == 5 and report.rows_kept == 3
    assert gdf.crs.to_epsg() == 27700
    xy = np.column_stack([gdf.geometry.x, gdf.geometry.y])
    assert np.array_equal(xy, np.array([xy_ for _, xy_ in sample]))
    assert gdf["row"].tolist() == [2, 4, 5]
    assert "codepoint" in gdf.attrs["hotspots"]["sources"]


def test_ons_postcode_directory_extract_terminated(tmp_path: Path) -> None:
    onspd = tmp_path / "onspd.csv"
    onspd.write_text(
        "pcd,pcds,dointr,doterm,oseast1m,osnrth1m,lat,long\n"
        "ME4 4UG,ME4 4UG,198001,,576338,168979,51.39,0.53\n"
        "ME1 9ZZ,ME1 9ZZ,198001,200212,574000,167000,51.38,0.51\n"
        "ME1 8ZZ,ME1 8ZZ,198001,,,,99.99,0\n"
    )
    sheet = tmp_path / "sheet.csv"
    sheet.write_text(
        HEADER
        + "A,youth_service,C,10,19,me4 4ug\n"
        + "B,youth_service,C,10,19,ME1 9ZZ\n"
        + "C,youth_service,C,10,19,ME18ZZ\n"
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", HotspotsWarning)
        gdf = read_provision(sheet, postcodes=onspd)
    assert gdf["name"].tolist() == ["A"]
    assert (gdf.geometry.x.iloc[0], gdf.geometry.y.iloc[0]) == (576338.0, 168979.0)
    assert gdf.attrs["load_report"].dropped == {
        "terminated postcode": [3],
        "postcode without a grid reference": [4],
    }
    # a table from read_postcodes is accepted as it is
    table = read_postcodes(onspd)
    assert table.loc["ME1 9ZZ", "terminated"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", HotspotsWarning)
        assert len(read_provision(sheet, postcodes=table)) == 1


def test_codepoint_no_position_and_bad_files(tmp_path: Path) -> None:
    f = tmp_path / "cp.csv"
    f.write_text(
        '"ME4 4UG",10,576338,168979,"E92000001","","","","",""\n"ME4 4ZZ",90,0,0,"","","","","",""\n'
    )
    placed = place_postcodes(["ME4 4ZZ", "ME4 4UG"], read_postcodes(f))
    assert placed["status"].tolist() == ["no position", "placed"]
    bad = tmp_path / "other.csv"
    bad.write_text("a,b\n1,2\n")
    with pytest.raises(DataError, match="neither an OS Code-Point Open CSV"):
        read_postcodes(bad)
    with pytest.raises(DataError, match="not found"):
        read_postcodes(tmp_path / "missing.csv")
    with pytest.raises(DataError, match="no postcode CSV files"):
        empty = tmp_path / "empty"
        empty.mkdir()
        read_postcodes(empty)
    assert isinstance(read_postcodes(f), pd.DataFrame)
