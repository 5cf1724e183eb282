"""Tests for hotspots.national: the Dask path gives the in-memory path's counts."""

from __future__ import annotations

import hashlib
import warnings
from collections.abc import Iterator
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

pytest.importorskip("dask_geopandas")
distributed = pytest.importorskip("distributed")

from hotspots import CRSError, DataError, HotspotsWarning, NetworkError  # noqa: E402
from hotspots.grid import count_points, hex_grid, square_grid  # noqa: E402
from hotspots.national import _split_ids, count_points_dask, read_police_dask  # noqa: E402
from hotspots.police import read_police_csv  # noqa: E402


@pytest.fixture(scope="module")
def client() -> Iterator[distributed.Client]:
    with distributed.Client(
        processes=False, n_workers=1, threads_per_worker=2, dashboard_address=None
    ) as c:
        yield c


def write_months(root: Path, source: Path, *, n_files: int, rows: int, seed: int = 0) -> Path:
    """Kent-sized monthly files resampled from the real Medway rows, with planted
    blank locations and crime ids repeated across files."""
    real = pd.read_csv(source, dtype=str, keep_default_na=False)
    rng = np.random.default_rng(seed)
    months = pd.period_range("2018-01", periods=n_files, freq="M").strftime("%Y-%m")
    counter = 0
    previous_ids: list[str] = []
    for month in months:
        df = real.iloc[rng.integers(0, len(real), rows)].reset_index(drop=True)
        df["Longitude"] = (df["Longitude"].astype(float) + rng.normal(0, 0.003, rows)).map(
            "{:.6f}".format
        )
        df["Latitude"] = (df["Latitude"].astype(float) + rng.normal(0, 0.003, rows)).map(
            "{:.6f}".format
        )
        df.loc[rng.random(rows) < 0.01, ["Longitude", "Latitude"]] = ""
        ids = [hashlib.sha256(f"{seed}-{counter + i}".encode()).hexdigest() for i in range(rows)]
        counter += rows
        if previous_ids:  # a few records published again in a later month
            ids[:5] = previous_ids[-5:]
        asb = (df["Crime type"] == "Anti-social behaviour").to_numpy()
        df["Crime ID"] = np.where(asb, "", ids)
        previous_ids = [i for i, a in zip(ids, asb, strict=True) if not a]
        df["Month"] = month
        folder = root / month
        folder.mkdir(parents=True, exist_ok=True)
        df.to_csv(folder / f"{month}-kent-street.csv", index=False)
    return root


@pytest.fixture(scope="module")
def kent_year(data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    source = data_dir / "crime" / "medway_street_crime_2018-06_derived.csv"
    return write_months(tmp_path_factory.mktemp("kent"), source, n_files=12, rows=15_000)


@pytest.fixture(scope="module")
def medway(data_dir: Path) -> gpd.GeoDataFrame:
    return gpd.read_file(data_dir / "boundaries" / "medway_boundary.geojson").to_crs(27700)


def in_memory(folder: Path, **kwargs: object) -> gpd.GeoDataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return read_police_csv(folder, **kwargs)  # type: ignore[arg-type]


@pytest.mark.slow
def test_identical_counts_kent_year_with_area(
    kent_year: Path, medway: gpd.GeoDataFrame, client: distributed.Client
) -> None:
    crimes = in_memory(kent_year, area=medway)
    expected = count_points(crimes, hex_grid(medway, cell_size=250), by="crime_type")
    with pytest.warns(HotspotsWarning, match="duplicate crime id"):
        got = count_points_dask(
            kent_year, cell="hex", cell_size=250, area=medway, by="crime_type", client=client
        )
    assert len(got) == len(expected)
    assert got["cell_id"].tolist() == expected["cell_id"].tolist()
    assert got["count"].tolist() == expected["count"].tolist()
    by_cols = [c for c in expected.columns if c.startswith("count_")]
    assert by_cols and all(got[c].tolist() == expected[c].tolist() for c in by_cols)
    # the same rows are accounted for, for the same reasons
    mem, dsk = crimes.attrs["load_report"], got.attrs["load_report"]
    assert dsk.rows_read == mem.rows_read == 12 * 15_000
    assert dsk.counts() == mem.counts()
    assert dsk.counts()["duplicate crime id"] > 0
    assert dsk.counts()["outside area"] > 0 and dsk.counts()["no location"] > 0
    for reason in mem.counts():  # the very same file lines, not only the same numbers
        assert sorted(dsk.where(reason)) == sorted(mem.where(reason)), reason
    assert int(got["count"].sum()) == mem.rows_kept
    assert got.attrs["hotspots"]["by_columns"] == expected.attrs["hotspots"]["by_columns"]
    assert list(got.columns) == list(expected.columns)
    assert got.index.equals(expected.index)
    assert got.geometry.geom_equals_exact(expected.geometry, tolerance=1e-6).all()


def test_identical_counts_without_area_square_cells(
    data_dir: Path, tmp_path: Path, client: distributed.Client
) -> None:
    source = data_dir / "crime" / "medway_street_crime_2018-06_derived.csv"
    folder = write_months(tmp_path, source, n_files=3, rows=2_000, seed=1)
    crimes = in_memory(folder, crime_types=["Violence and sexual offences", "Drugs"])
    with pytest.warns(HotspotsWarning, match="duplicate crime id"):
        got = count_points_dask(
            folder,
            cell="square",
            cell_size=500,
            crime_types=["Violence and sexual offences", "Drugs"],
            client=client,
        )
    extent = gpd.GeoSeries([box(*crimes.total_bounds).buffer(1.0)], crs=crimes.crs)
    expected = count_points(crimes, square_grid(extent, cell_size=500))
    expected = expected[expected["count"] > 0]
    merged = got.merge(expected[["cell_id", "count"]], on="cell_id", suffixes=("", "_mem"))
    assert len(merged) == len(expected) == len(got)
    assert (merged["count"] == merged["count_mem"]).all()
    # cells are real polygons of the stated size
    assert got.geometry.area.round(3).eq(250_000).all()
    assert got.crs.to_epsg() == 27700


def test_lazy_frame_schema_and_report(
    data_dir: Path, tmp_path: Path, client: distributed.Client
) -> None:
    source = data_dir / "crime" / "medway_street_crime_2018-06_derived.csv"
    folder = write_months(tmp_path, source, n_files=2, rows=1_000, seed=2)
    lazy = read_police_dask(folder)
    assert lazy.frame.npartitions == 2
    frame = lazy.frame.compute()
    expected = in_memory(folder)
    assert list(frame.columns) == list(expected.columns)
    assert frame.crs == expected.crs
    report = lazy.report(client=client)
    assert report.rows_read == 2_000
    assert report.counts()["no location"] == expected.attrs["load_report"].counts()["no location"]


def test_bad_arguments(data_dir: Path) -> None:
    sample = data_dir / "crime" / "kent_street_2019-01_format_sample.csv"
    with pytest.raises(DataError, match="cell must be"):
        count_points_dask(sample, cell="triangle")
    with pytest.raises(DataError, match="positive"):
        count_points_dask(sample, cell_size=0)
    with pytest.raises(DataError, match="client must be"):
        count_points_dask(sample, client=42)
    with pytest.raises(DataError, match="not found"):
        count_points_dask(data_dir / "nope.csv")
    with pytest.raises(DataError, match="crime type"):
        count_points_dask(sample, crime_types=["Knife crime"])
    with pytest.raises(DataError, match="not found"):
        read_police_dask(data_dir / "nope.csv")
    with pytest.raises(DataError, match="crime type"):
        read_police_dask(sample, crime_types=["Knife crime"])
    with pytest.raises(DataError):
        read_police_dask(sample, months=["June"])


@pytest.fixture(scope="module")
def small_year(data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    source = data_dir / "crime" / "medway_street_crime_2018-06_derived.csv"
    return write_months(tmp_path_factory.mktemp("small"), source, n_files=3, rows=1_500, seed=3)


def test_filters_and_no_dedupe_match_in_memory(
    small_year: Path, medway: gpd.GeoDataFrame, client: distributed.Client
) -> None:
    kinds = ["Violence and sexual offences", "Anti-social behaviour"]
    crimes = in_memory(small_year, area=medway, crime_types=kinds, months=["2018-02", "2018-03"])
    expected = count_points(crimes, square_grid(medway, cell_size=1000), by="month")
    got = count_points_dask(
        small_year,
        cell="square",
        cell_size=1000,
        area=medway,
        by="month",
        crime_types=kinds,
        months=["2018-02", "2018-03"],
        client=client,
        show_progress=False,
    )
    assert got["count"].tolist() == expected["count"].tolist()
    assert got["count_2018_02"].tolist() == expected["count_2018_02"].tolist()
    assert "count_2018_01" not in got.columns
    mem, dsk = crimes.attrs["load_report"], got.attrs["load_report"]
    assert dsk.counts() == mem.counts()
    assert dsk.counts()["filtered: month"] == 1_500  # the whole January file
    # without the cross-file check, the repeats published in a later month stay in
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        loose = count_points_dask(
            small_year, cell="square", cell_size=1000, area=medway, dedupe=False, client=client
        )
        strict = count_points_dask(
            small_year, cell="square", cell_size=1000, area=medway, client=client
        )
    extra = loose.attrs["load_report"].rows_kept - strict.attrs["load_report"].rows_kept
    cross = strict.attrs["load_report"].counts().get("duplicate crime id", 0)
    assert extra == cross > 0
    assert int(loose["count"].sum() - strict["count"].sum()) <= extra


def test_scheduler_address_and_progress_bar(
    small_year: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    crimes = in_memory(small_year)
    with distributed.LocalCluster(
        n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None
    ) as cluster:
        address = cluster.scheduler_address
        assert isinstance(address, str)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            got = count_points_dask(small_year, cell_size=250, client=address, show_progress=True)
    assert "Counting files" in capsys.readouterr().err
    assert int(got["count"].sum()) == len(crimes)
    assert got.attrs["load_report"].counts() == crimes.attrs["load_report"].counts()
    # every non-empty cell holds exactly the points hex_cell_index gives it
    from hotspots.grid import hex_cell_index

    xy = np.column_stack([crimes.geometry.x, crimes.geometry.y])
    r, c = hex_cell_index(xy[:, 0], xy[:, 1], cell_size=250)
    ids, n = np.unique(r * 100_000_000 + c, return_counts=True)
    assert got["cell_id"].tolist() == ids.tolist()
    assert got["count"].tolist() == n.tolist()
    # and the cell polygons contain their points
    inside = (
        got.set_index("cell_id")
        .geometry.loc[r * 100_000_000 + c]
        .contains(crimes.geometry, align=False)
    )
    assert bool(inside.mean() > 0.999)


def test_unreachable_scheduler_raises_network_error(small_year: Path) -> None:
    import dask

    with (
        dask.config.set({"distributed.comm.timeouts.connect": "1s"}),
        pytest.raises(NetworkError, match="scheduler"),
    ):
        count_points_dask(small_year, client="tcp://127.0.0.1:9")


@pytest.mark.slow
def test_local_cluster_when_no_client(data_dir: Path) -> None:
    sample = data_dir / "crime" / "kent_street_2019-01_format_sample.csv"
    got = count_points_dask(sample, by="crime_type", show_progress=False)
    expected = read_police_csv(sample)
    assert int(got["count"].sum()) == len(expected) == 30
    counts = expected["crime_type"].value_counts()
    by = got.attrs["hotspots"]["by_columns"]
    assert {k: int(got[v].sum()) for k, v in by.items()} == {
        str(k): int(v) for k, v in counts.items() if v
    }


def test_zip_source_and_lazy_filters(
    small_year: Path, tmp_path: Path, client: distributed.Client
) -> None:
    import zipfile

    archive = tmp_path / "download.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for f in sorted(small_year.rglob("*-street.csv")):
            zf.write(f, f.relative_to(small_year).as_posix())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from_zip = count_points_dask(archive, client=client, show_progress=False)
        from_dir = count_points_dask(small_year, client=client, show_progress=False)
    assert from_zip["cell_id"].tolist() == from_dir["cell_id"].tolist()
    assert from_zip["count"].tolist() == from_dir["count"].tolist()
    lazy = read_police_dask(small_year, crime_types=["Drugs"], months=["2018-01"])
    frame = lazy.frame.compute()
    assert set(frame["crime_type"]) <= {"Drugs"} and set(frame["month"].astype(str)) <= {"2018-01"}
    assert len(frame) == len(in_memory(small_year, crime_types=["Drugs"], months=["2018-01"]))


def test_worker_errors_reach_the_caller(
    small_year: Path, tmp_path: Path, client: distributed.Client
) -> None:
    import shutil

    folder = tmp_path / "bad"
    shutil.copytree(small_year, folder)
    broken = folder / "2018-02" / "2018-02-kent-street.csv"
    broken.write_text("Crime ID,Month\nabc,2018-02\n")
    with pytest.raises(DataError, match="missing column"):
        count_points_dask(folder, client=client, show_progress=False)
    with pytest.raises(DataError, match="missing column"):
        count_points_dask(folder, client=client, dedupe=False, show_progress=False)


def test_hostile_category_names_get_safe_columns(
    data_dir: Path, tmp_path: Path, client: distributed.Client
) -> None:
    real = pd.read_csv(
        data_dir / "crime" / "medway_street_crime_2018-06_derived.csv",
        dtype=str,
        keep_default_na=False,
    ).iloc[:200]
    real["Context"] = np.where(np.arange(200) % 2, "<script>alert(1)</script>", "O'Brien; DROP")
    folder = tmp_path / "2018-06"
    folder.mkdir()
    real.to_csv(folder / "2018-06-kent-street.csv", index=False)
    crimes = in_memory(tmp_path)
    extent = gpd.GeoSeries([box(*crimes.total_bounds).buffer(1.0)], crs=crimes.crs)
    expected = count_points(crimes, hex_grid(extent, cell_size=500), by="context")
    got = count_points_dask(tmp_path, cell_size=500, by="context", client=client)
    assert got.attrs["hotspots"]["by_columns"] == expected.attrs["hotspots"]["by_columns"]
    for col in got.attrs["hotspots"]["by_columns"].values():
        assert col.replace("_", "").isalnum()
        merged = got.merge(expected[["cell_id", col]], on="cell_id", suffixes=("", "_mem"))
        assert (merged[col] == merged[f"{col}_mem"]).all()


def test_broken_area_and_arguments(
    small_year: Path, medway: gpd.GeoDataFrame, client: distributed.Client
) -> None:
    before = medway.copy()
    with pytest.raises(CRSError):
        count_points_dask(small_year, area=medway.to_crs(4326), client=client)
    with pytest.raises(CRSError, match="no coordinate reference system"):
        count_points_dask(small_year, area=medway.set_crs(None, allow_override=True))
    with pytest.raises(DataError, match="not an incident column"):
        count_points_dask(small_year, by="nope", client=client)
    for bad in (float("nan"), -5, "250", True):
        with pytest.raises(DataError, match="positive"):
            count_points_dask(small_year, cell_size=bad)  # type: ignore[arg-type]
    with pytest.raises(DataError):
        count_points_dask(small_year, months=["2018-13"])
    assert medway.equals(before)


def test_split_ids_inverts_cell_ids() -> None:
    from hotspots.grid import cell_ids

    rng = np.random.default_rng(0)
    row = rng.integers(-3_000_000, 3_000_000, 1_000)
    col = rng.integers(-49_999_999, 49_999_999, 1_000)
    r, c = _split_ids(cell_ids(row, col))
    assert np.array_equal(r, row) and np.array_equal(c, col)
