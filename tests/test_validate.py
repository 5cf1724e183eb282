"""Shared input checks: telling a file's real format, where most points are."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from hotspots import DataError
from hotspots._validate import dense_extent, refuse_foreign_file, sniff_format


@pytest.mark.parametrize(
    ("head", "kind"),
    [
        (b"\xef\xbb\xbf<!doctype HTML>", "html"),
        (b"\n  <html lang='en'>", "html"),
        (b'[{"category": "drugs"}]', "json"),
        (b'  {"type": "FeatureCollection"}', "json"),
        (b"PK\x03\x04\x14\x00", "zip"),
        (b"PAR1\x15\x04", "parquet"),
        (b"\x1f\x8b\x08\x00", "gzip"),
        (b"SQLite format 3\x00\x10", "sqlite"),
        (b"Crime ID,Month,Reported by\n", None),
        (b"", None),
    ],
)
def test_sniff_format(head: bytes, kind: str | None) -> None:
    assert sniff_format(head) == kind


def test_refuse_foreign_file_names_the_file_and_what_it_is(tmp_path: Path) -> None:
    api = tmp_path / "2018-06-kent-street.csv"
    api.write_text(json.dumps([{"category": "drugs"}]))
    with pytest.raises(
        DataError,
        match=r"kent-street\.csv: this is JSON \(for data\.police\.uk API JSON use read_police_api\), not a CSV",
    ):
        refuse_foreign_file(api, "a CSV table")
    refuse_foreign_file(api, "a GIS layer", allowed={"json"})  # GeoJSON is fine there
    refuse_foreign_file(tmp_path / "missing.csv", "a CSV table")  # the reader says "not found"


def test_dense_extent_leaves_out_a_stray_point() -> None:
    # 100 points on a 10 x 10 lattice 1 km apart, and one 400 km away: the 5th-95th
    # percentile box is 0..9 km (sorted positions 5 and 95 of 101 values), widened by
    # its span (9 km) on each side
    xs, ys = np.meshgrid(np.arange(10) * 1000.0, np.arange(10) * 1000.0)
    x = np.r_[xs.ravel(), 400_000.0]
    y = np.r_[ys.ravel(), 400_000.0]
    x0, y0, x1, y1 = dense_extent(x, y)  # type: ignore[misc]
    assert (x0, x1) == pytest.approx((-9000.0, 18000.0))
    assert (y0, y1) == pytest.approx((-9000.0, 18000.0))
    assert dense_extent(x[:19], y[:19]) is None  # too few points to tell


# The bulk CSV reader names what a wrong file really is.
def test_police_api_json_given_to_the_csv_reader(data_dir: Path) -> None:
    from hotspots import read_police_csv

    path = data_dir / "crime" / "medway_street_crime_api_2018-06.json"
    with pytest.raises(
        DataError, match=r"this is JSON \(for data\.police\.uk API JSON use read_police_api\)"
    ):
        read_police_csv(path)


def test_corrupt_zip_given_to_the_csv_reader(tmp_path: Path) -> None:
    from hotspots import read_police_csv

    broken = tmp_path / "2018-06.zip"
    broken.write_bytes(b"PK\x03\x04 truncated download")
    with pytest.raises(DataError, match=r"2018-06\.zip"):
        read_police_csv(broken)


def test_empty_file_list_given_to_the_csv_reader() -> None:
    from hotspots import read_police_csv

    with pytest.raises(DataError, match="no files"):
        read_police_csv([])
