"""Month series from the real police.uk files: gzipped folders, gaps, bad months, traps."""

from __future__ import annotations

import gzip
import shutil
import warnings
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from hotspots import DataError, HotspotsWarning
from hotspots.police import CRIME_TYPES, read_police_csv

KENT = "crime/kent_street"
MEDWAY = "crime/medway_street"
# SOURCES.md: the 30 months are five runs
RUNS = [("2018-10", "2019-02"), ("2019-09", "2019-09"), ("2019-11", "2019-11"),
        ("2022-01", "2023-01"), ("2024-01", "2024-04"), ("2025-01", "2025-06")]  # fmt: skip
PRESENT = [str(p) for a, b in RUNS for p in pd.period_range(a, b, freq="M")]
GAPS = [("2019-03", "2019-08"), ("2019-10", "2019-10"), ("2019-12", "2021-12"),
        ("2023-02", "2023-12"), ("2024-05", "2024-12")]  # fmt: skip
MISSING = [str(p) for a, b in GAPS for p in pd.period_range(a, b, freq="M")]
KENT_AND_MEDWAY = {"Ashford", "Canterbury", "Dartford", "Dover", "Gravesham", "Maidstone",
                   "Sevenoaks", "Shepway", "Folkestone", "Swale", "Thanet", "Tonbridge",
                   "Tunbridge", "Medway"}  # fmt: skip


def quiet(fn: Any, *args: Any, **kwargs: Any) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", HotspotsWarning)
        return fn(*args, **kwargs)


@pytest.fixture(scope="module")
def kent(data_dir: Path) -> Any:
    return quiet(read_police_csv, data_dir / KENT)


@pytest.fixture(scope="module")
def manifest(data_dir: Path) -> pd.DataFrame:
    return pd.read_csv(data_dir / "crime/kent_medway_street_MANIFEST.csv", dtype={"month": str})


def test_gz_folder_reads_every_row_and_names_the_gaps(kent: Any, manifest: pd.DataFrame) -> None:
    report = kent.attrs["load_report"]
    assert report.rows_read == int(manifest["kent_rows"].sum()) == 477_775
    assert report.months_present == PRESENT and len(PRESENT) == 30
    assert report.months_missing == MISSING
    assert kent.attrs["months"] == {"present": PRESENT, "missing": MISSING}
    assert "2019-03..2019-08, 2019-10, 2019-12..2021-12" in report.summary()
    # every row is accounted for: kept, or dropped for a named reason
    assert report.rows_kept == len(kent)
    assert set(report.counts()) == {"no location", "duplicate crime id"}


def test_each_month_accounts_for_no_location_rows(kent: Any, manifest: pd.DataFrame) -> None:
    report = kent.attrs["load_report"]
    kept = kent["source_file"].astype(str).map(lambda f: Path(f).name[:7]).value_counts()
    for row in manifest.itertuples():
        name = next(f for f in report.files if Path(f).name.startswith(row.month))
        dropped = report.files[name]
        assert len(dropped.get("no location", [])) == row.no_location
        n_dup = len(dropped.get("duplicate crime id", []))
        assert kept[row.month] + row.no_location + n_dup == row.kent_rows


def test_month_is_an_ordered_period(kent: Any) -> None:
    assert str(kent["month"].dtype) == "period[M]"
    recent = kent[kent["month"] >= "2025-01"]
    assert sorted(recent["month"].astype(str).unique()) == PRESENT[-6:]
    ordered = kent.sort_values("month")["month"].astype(str)
    assert ordered.iloc[0] == "2018-10" and ordered.iloc[-1] == "2025-06"


def test_duplicate_crime_id_in_medway_april_2024(data_dir: Path) -> None:
    path = data_dir / MEDWAY / "2024-04-medway-street.csv"
    raw = pd.read_csv(path, dtype=str)
    ids = raw["Crime ID"].dropna()
    repeats = ids[ids.duplicated(keep="first")]
    assert len(repeats) == 1  # SOURCES.md: one repeated id in the published file
    line = int(repeats.index[0]) + 2  # header is line 1
    with pytest.warns(HotspotsWarning, match="duplicate crime id"):
        gdf = read_police_csv(path)
    report = gdf.attrs["load_report"]
    assert report.dropped["duplicate crime id"] == [line]
    assert report.rows_read == len(raw) and len(gdf) == report.rows_kept


def test_rows_outside_kent_are_dropped_as_outside_area(data_dir: Path) -> None:
    from hotspots import load_boundary

    area = load_boundary("Kent and Medway", level="lad")
    for month in ("2018-10", "2022-05", "2025-06"):
        path = data_dir / KENT / f"{month}-kent-street.csv.gz"
        raw = pd.read_csv(path, dtype=str)
        district = raw["LSOA name"].fillna("").str.split().str[0]
        located = raw["Longitude"].notna()
        elsewhere = set((raw.index[located & ~district.isin(KENT_AND_MEDWAY)] + 2).tolist())
        assert elsewhere  # the published files hold rows of neighbouring forces' areas
        gdf = read_police_csv(path, area=area)
        report = gdf.attrs["load_report"]
        assert elsewhere <= set(report.dropped["outside area"])
        assert len(report.dropped["no location"]) == int((~located).sum())
        assert report.rows_kept == len(gdf)


def _write(path: Path, rows: list[str]) -> Path:
    header = (
        "Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,"
        "LSOA name,Crime type,Last outcome category,Context"
    )
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def _row(month: str, crime_type: str = "Drugs", cid: str = "") -> str:
    return (
        f"{cid},{month},Kent Police,Kent Police,0.52,51.38,On or near X,E01016001,"
        f"Medway 001A,{crime_type},,"
    )


@pytest.mark.parametrize("bad", ["June 2018", "2018-13", "", "2018/06", "2018-6"])
def test_bad_month_rows_are_dropped_by_line(tmp_path: Path, bad: str) -> None:
    path = _write(tmp_path / "x-street.csv", [_row("2018-06"), _row(bad), _row("2018-07")])
    with pytest.warns(HotspotsWarning, match="bad month"):
        gdf = read_police_csv(path)
    assert gdf.attrs["load_report"].dropped == {"bad month": [3]}
    assert gdf["month"].astype(str).tolist() == ["2018-06", "2018-07"]


def test_file_with_no_readable_month_raises(tmp_path: Path) -> None:
    path = _write(tmp_path / "x-street.csv", [_row("June 2018"), _row("July 2018")])
    with pytest.raises(DataError, match=r"line 2, column 'Month': 'June 2018' is not a month"):
        read_police_csv(path)


def test_unknown_crime_type_is_noted(tmp_path: Path) -> None:
    path = _write(tmp_path / "x-street.csv", [_row("2018-06", "Drugs"), _row("2018-06", "Drgus")])
    with pytest.warns(HotspotsWarning, match="Drgus"):
        gdf = read_police_csv(path)
    assert gdf.attrs["load_report"].unknown_crime_types == {"Drgus": 1}
    assert len(gdf) == 2 and "Drgus" not in CRIME_TYPES


def test_gz_and_plain_folders_agree_and_both_copies_refused(data_dir: Path, tmp_path: Path) -> None:
    src = data_dir / MEDWAY
    months = ["2018-11", "2018-12", "2019-02"]
    plain, gz = tmp_path / "plain", tmp_path / "gz"
    plain.mkdir(), gz.mkdir()
    for m in months:
        shutil.copy(src / f"{m}-medway-street.csv", plain)
        with gzip.open(gz / f"{m}-medway-street.csv.gz", "wb") as fh:
            fh.write((src / f"{m}-medway-street.csv").read_bytes())
    a, b = read_police_csv(plain), read_police_csv(gz)
    assert a.drop(columns="source_file").equals(b.drop(columns="source_file"))
    assert b.attrs["load_report"].months_missing == ["2019-01"]
    shutil.copy(src / "2018-11-medway-street.csv", gz)
    with pytest.raises(DataError, match="both plain and gzipped"):
        read_police_csv(gz)
