"""Tests for hotspots.forecast: next-month scores per cell, chosen by backtest."""

from __future__ import annotations

import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

from hotspots import DataError, HotspotsWarning
from hotspots.forecast import forecast_cells
from hotspots.grid import square_grid


def _cells(n: int = 10, size: float = 100.0) -> gpd.GeoDataFrame:
    return square_grid(gpd.GeoSeries([box(0, 0, n * size, n * size)], crs=27700), cell_size=size)


def _town(months: list[str], seed: int = 0) -> gpd.GeoDataFrame:
    """A steady hot cell (row 2, col 3) over a thin background, a few incidents a month."""
    rng = np.random.default_rng(seed)
    xs, ys, ms = [], [], []
    for m in months:
        n_hot, n_bg = rng.poisson(6), rng.poisson(6)
        xs += list(rng.uniform(300, 400, n_hot)) + list(rng.uniform(0, 1000, n_bg))
        ys += list(rng.uniform(200, 300, n_hot)) + list(rng.uniform(0, 1000, n_bg))
        ms += [m] * (n_hot + n_bg)
    return gpd.GeoDataFrame({"month": ms}, geometry=gpd.points_from_xy(xs, ys), crs=27700)


MONTHS = [str(p) for p in pd.period_range("2023-01", "2023-12", freq="M")]


def test_last_period_score_is_the_count_of_the_window() -> None:
    inc = _town(MONTHS)
    cells = _cells()
    out = forecast_cells(inc, cells, method="last_period", train_months=3)
    last3 = inc[inc["month"].isin(MONTHS[-3:])]
    # count by hand with the grid's floor rule: col = x // 100, row = y // 100
    col = (last3.geometry.x // 100).astype(int)
    row = (last3.geometry.y // 100).astype(int)
    by_hand = pd.Series(1, index=pd.MultiIndex.from_arrays([row, col])).groupby(level=[0, 1]).sum()
    rr = out["row"] - out["row"].min()
    cc = out["col"] - out["col"].min()
    got = pd.Series(out["forecast_score"].to_numpy(), index=pd.MultiIndex.from_arrays([rr, cc]))
    assert got[got > 0].sort_index().to_dict() == by_hand.astype(float).sort_index().to_dict()
    assert out.attrs["hotspots"]["parameters"]["month"] == "2024-01"
    assert out.attrs["hotspots"]["parameters"]["training"] == MONTHS[-3:]
    assert out.index.equals(cells.index) and out["forecast_rank"].min() == 1


def test_auto_never_looks_at_the_forecast_month_or_later() -> None:
    inc = _town(MONTHS)
    before = forecast_cells(inc[inc["month"] < "2023-10"], _cells(), month="2023-10")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", HotspotsWarning)
        after = forecast_cells(inc, _cells(), month="2023-10")  # Oct-Dec present, unseen
    pd.testing.assert_series_equal(before["forecast_score"], after["forecast_score"])
    params = after.attrs["hotspots"]["parameters"]
    assert params["training"][-1] == "2023-09"
    table = pd.DataFrame(after.attrs["hotspots"]["auto_backtest"])
    best = table.iloc[int(np.argmax(table["hit_rate"].to_numpy()))]
    assert (params["method"], params["train_months"]) == (best["method"], best["train_months"])
    # with 9 months before October a 12-month window cannot be used, nor can any
    # window that leaves fewer than 3 test months (6: months 7, 8, 9 only)
    assert sorted(table["train_months"].unique()) == [1, 2, 3, 6]


def test_forecast_refuses_a_window_over_missing_months() -> None:
    months = [*MONTHS[:6], *MONTHS[8:]]  # July and August missing
    inc = _town(months)
    with pytest.raises(DataError, match=r"\['2023-08'\]|2023-07"):
        forecast_cells(inc, _cells(), method="last_period", train_months=6)
    out = forecast_cells(inc, _cells(), method="last_period", train_months=4)
    assert out.attrs["hotspots"]["parameters"]["training"] == MONTHS[8:]
    with pytest.raises(DataError, match="only 0 month"):
        forecast_cells(inc, _cells(), month="2023-08")
    with pytest.raises(DataError, match="method must be"):
        forecast_cells(inc, _cells(), method="crystal ball")


@pytest.fixture(scope="module")
def medway_months(data_dir):  # type: ignore[no-untyped-def]
    import hotspots

    files = sorted((data_dir / "crime" / "medway_street").glob("*-street.csv"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", HotspotsWarning)
        inc = hotspots.read_police_csv(files)
    boundary = gpd.read_file(data_dir / "boundaries" / "medway_boundary.geojson").to_crs(27700)
    cells = hotspots.hex_grid(boundary, cell_size=500)
    return inc[inc["crime_type"] == "Drugs"], cells


@pytest.mark.realdata
def test_real_medway_gaps_are_never_scored(medway_months) -> None:  # type: ignore[no-untyped-def]
    from hotspots.evaluate import backtest
    from hotspots.spacetime import space_time_cube

    drugs, cells = medway_months
    with pytest.warns(HotspotsWarning, match="skipped"):
        bt = backtest(drugs, cells, methods=["last_period"], train_months=3, coverage=[0.05])
    scored = set(bt["test_month"])
    # a scored month and its three training months all have data (the 2022-23 run and
    # the 2025 run give the test months; 2018-19 has a single one)
    expected = {"2019-01", "2019-02", *[f"2022-{m:02d}" for m in range(4, 13)], "2023-01",
                "2024-04", "2025-04", "2025-05", "2025-06"}  # fmt: skip
    assert scored == expected
    with pytest.raises(DataError, match=r"'2023-02', '2023-03'.*'2023-12'\]"):
        space_time_cube(drugs, cells, start="2022-01", end="2024-04")
    cube = space_time_cube(drugs, cells, start="2022-01", end="2023-01")
    assert (
        cube.counts.shape[1] == 13
        and cube.counts.sum()
        == int(drugs["month"].astype(str).between("2022-01", "2023-01").sum()) - cube.n_outside
    )
