"""Tests for hotspots.evaluate: hit rate, PAI, PEI, RRI and rolling backtests."""

from __future__ import annotations

from collections.abc import Callable

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

from hotspots import CRSError, DataError, HotspotsWarning
from hotspots.evaluate import backtest, backtest_summary, hit_rate, pai, pei, rri

SCORES = [9, 8, 7, 6, 5, 4, 3, 2, 1, 0]
COUNTS = [5, 0, 3, 1, 1, 0, 0, 0, 0, 0]  # N = 10


def test_hand_computed_hit_rate_pai_pei() -> None:
    # top 20% = first two cells: n = 5 + 0 = 5 of N = 10; a/A = 0.2
    assert hit_rate(SCORES, COUNTS, coverage=0.2) == pytest.approx(0.5)
    assert pai(SCORES, COUNTS, coverage=0.2) == pytest.approx(2.5)
    # best two cells hold 5 + 3 = 8 -> PAI* = 0.8 / 0.2 = 4; PEI = 2.5 / 4
    assert pei(SCORES, COUNTS, coverage=0.2) == pytest.approx(0.625)
    # 15% of ten cells: the first cell and half of the second (pro rata) -> 5 / 10
    assert hit_rate(SCORES, COUNTS, coverage=0.15) == pytest.approx(0.5)
    assert pai(SCORES, COUNTS, coverage=0.3) == pytest.approx((8 / 10) / 0.3)
    assert pei(COUNTS, COUNTS, coverage=0.3) == pytest.approx(1.0)


def test_ties_cannot_inflate_pai() -> None:
    rng = np.random.default_rng(0)
    counts = rng.poisson(3, 200)
    for cov in (0.01, 0.05, 0.1, 0.5):
        assert pai(np.ones(200), counts, coverage=cov) == pytest.approx(1.0, abs=1e-12)
    # a tied pair straddles the cut: the top cell (6) plus half of the pair (0 and 4) = 8
    scores = [3, 2, 2, 1]
    counts4 = [6, 0, 4, 2]  # N = 12, coverage 0.375 = 1.5 cells
    assert hit_rate(scores, counts4, coverage=0.375) == pytest.approx(7 / 12)
    # order inside the tie makes no difference
    assert hit_rate(scores, [6, 4, 0, 2], coverage=0.375) == pytest.approx(7 / 12)


def test_non_uniform_cell_areas() -> None:
    # cell areas 1, 3, 1, 5 (A = 10); coverage 0.4 -> a = 4: the first two cells exactly
    scores, counts, area = [4, 3, 2, 1], [2, 6, 1, 1], [1, 3, 1, 5]
    assert hit_rate(scores, counts, coverage=0.4, cell_area=area) == pytest.approx(0.8)
    assert pai(scores, counts, coverage=0.4, cell_area=area) == pytest.approx(2.0)
    # best by density: 2/1, 6/3, 1/1 ... -> same cells, PEI = 1
    assert pei(scores, counts, coverage=0.4, cell_area=area) == pytest.approx(1.0)


def test_rri_hand_computed() -> None:
    # hot cell (top 25%) = cell 0: n1 = 6 of N1 = 10, n2 = 4 of N2 = 8
    value = rri([3, 2, 1, 0], [4, 2, 2, 0], previous=[6, 2, 1, 1], coverage=0.25)
    assert value == pytest.approx((4 / 6) / (8 / 10))
    assert np.isnan(rri([3, 2, 1, 0], [0, 0, 0, 0], previous=[6, 2, 1, 1], coverage=0.25))


@pytest.mark.parametrize(
    ("pred", "act", "kw"),
    [
        ([1, 2], [1], {}),
        ([], [], {}),
        ([1, np.nan], [1, 1], {}),
        ([1, 2], [1, -1], {}),
        ([1, 2], [1, 1], {"coverage": 0.0}),
        ([1, 2], [1, 1], {"coverage": 1.5}),
        ([1, 2], [1, 1], {"cell_area": [1, 0]}),
    ],
)
@pytest.mark.parametrize("measure", ["hit_rate", "pai", "pei", "rri", "rri_previous"])
def test_measures_reject_broken_input(
    measure: str, pred: list[float], act: list[float], kw: dict[str, object]
) -> None:
    good = [1.0] * len(act)
    calls: dict[str, Callable[[], float]] = {
        "hit_rate": lambda: hit_rate(pred, act, **kw),  # type: ignore[arg-type]
        "pai": lambda: pai(pred, act, **kw),  # type: ignore[arg-type]
        "pei": lambda: pei(pred, act, **kw),  # type: ignore[arg-type]
        "rri": lambda: rri(pred, act, previous=good, **kw),  # type: ignore[arg-type]
        # the earlier period broken in the same way as the later one
        "rri_previous": lambda: rri(pred, good, previous=act, **kw),  # type: ignore[arg-type]
    }
    with pytest.raises(DataError):
        calls[measure]()


def test_hit_rate_no_incidents_is_nan() -> None:
    assert np.isnan(hit_rate([1, 2, 3], [0, 0, 0]))


# ----------------------------------------------------------------------------- backtest
@pytest.fixture(scope="module")
def town_backtest() -> tuple[pd.DataFrame, gpd.GeoDataFrame, object]:
    from hotspots.grid import square_grid
    from hotspots.synthetic import synthetic_town

    town = synthetic_town(0, size_km=3, n_incidents=6000, n_months=12)
    cells = square_grid(town.boundary, cell_size=150)
    return backtest(town.incidents, cells, seed=0), cells, town


def test_backtest_synthetic_town_finds_planted_spots(town_backtest: tuple) -> None:
    table, cells, town = town_backtest
    assert list(table.columns) == [
        "test_month", "method", "coverage", "hit_rate", "pai", "pei", "n_test", "n_train"
    ]  # fmt: skip
    assert sorted(table["test_month"].unique()) == [f"2024-{m:02d}" for m in range(4, 13)]
    summary = backtest_summary(table)
    at5 = summary[summary["coverage"] == 0.05].set_index("method")
    for method in ("last_period", "gi_star", "kde", "prospective"):
        assert at5.loc[method, "pai_mean"] > 4.0
    assert (table["pei"].between(0, 1 + 1e-9)).all()
    assert (summary["n_months"] == 9).all()
    # the planted persistent spots are among the top 5% of cells by last-period counts
    from hotspots.grid import count_points

    counted = count_points(
        town.incidents[town.incidents["month"].astype(str).isin(["2024-10", "2024-11", "2024-12"])],
        cells,
    )
    top = counted.nlargest(int(0.05 * len(cells)), "count")
    persistent = town.hotspots[town.hotspots["kind"] == "persistent"]
    for geom in persistent.geometry:
        assert top.intersects(geom).any()


def test_backtest_single_month_medway_fails_clearly(medway_crime) -> None:  # type: ignore[no-untyped-def]
    inc = medway_crime[["month", "geometry"]]
    x0, y0, x1, y1 = inc.total_bounds
    cells = _square_cells(x0, y0, x1, y1, 250.0)
    with pytest.raises(DataError, match=r"at least train_months \+ test_months = 4 months"):
        backtest(inc, cells)
    with pytest.raises(DataError, match="2 months"):
        backtest(inc, cells, train_months=1, test_months=1)


def test_single_month_within_month_split_medway(medway_crime) -> None:  # type: ignore[no-untyped-def]
    """One month cannot test a forecast; it can show how concentrated crime is and how
    stable that concentration is between two random halves of the same month (an upper
    bound on predictability, not a forecast)."""
    inc = medway_crime[["geometry"]]
    assert len(inc) == 3387
    x0, y0, x1, y1 = inc.total_bounds
    cells = _square_cells(x0, y0, x1, y1, 250.0)
    col = np.floor((inc.geometry.x - x0) / 250.0).clip(0, None).astype(int)
    row = np.floor((inc.geometry.y - y0) / 250.0).clip(0, None).astype(int)
    ncol = int(np.ceil((x1 - x0) / 250.0))
    pos = (row * ncol + col).to_numpy()
    half = np.random.default_rng(0).random(len(inc)) < 0.5
    a = np.bincount(pos[half], minlength=len(cells))
    b = np.bincount(pos[~half], minlength=len(cells))
    split_pai = pai(a, b, coverage=0.05)
    ceiling = pai(b, b, coverage=0.05)
    assert 5.0 < split_pai < ceiling
    assert pei(a, b, coverage=0.05) > 0.6
    assert pai(np.zeros(len(cells)), b, coverage=0.05) == pytest.approx(1.0)


def _square_cells(x0: float, y0: float, x1: float, y1: float, size: float) -> gpd.GeoDataFrame:
    ncol, nrow = int(np.ceil((x1 - x0) / size)), int(np.ceil((y1 - y0) / size))
    polys = [
        box(x0 + c * size, y0 + r * size, x0 + (c + 1) * size, y0 + (r + 1) * size)
        for r in range(nrow)
        for c in range(ncol)
    ]
    return gpd.GeoDataFrame({"cell_id": range(len(polys))}, geometry=polys, crs=27700)


def test_backtest_broken_input(town_backtest: tuple) -> None:
    _, cells, town = town_backtest
    inc = town.incidents
    with pytest.raises(CRSError):
        backtest(inc.to_crs(4326), cells)
    with pytest.raises(DataError, match="missing column"):
        backtest(inc.drop(columns="month"), cells)
    with pytest.raises(DataError, match="unknown method"):
        backtest(inc, cells, methods=("crystal_ball",))
    with pytest.raises(DataError):
        backtest(inc.iloc[:0], cells)
    bad = inc.copy()
    bad["month"] = bad["month"].astype(str)  # as a user's text column
    bad.loc[bad.index[0], "month"] = "June-ish"
    with pytest.raises(DataError, match="June-ish"):
        backtest(bad, cells)
    # mixed month formats are fine and give the same table
    mixed = inc.copy()
    mixed["month"] = pd.PeriodIndex(mixed["month"], freq="M").strftime("%b %Y")
    out = backtest(mixed, cells, methods=("last_period",), coverage=(0.05,))
    ref = backtest(inc, cells, methods=("last_period",), coverage=(0.05,))
    pd.testing.assert_frame_equal(out, ref)


# ----------------------------------------------------------------------------- bugs that matter
def test_pei_best_selection_ranks_by_density_not_count() -> None:
    # areas 4, 1, 1, 1, 1 (total 8), 1/8 of the area selected. The best selection is
    # the small cell with 2 incidents (density 2), capturing 2; the big cell's 4 incidents
    # (density 1) would give only 4 * 1/4 = 1. The map picks the big cell: it captures 1,
    # so PEI = 1 / 2 (ranking PAI* by counts would wrongly give 1 / 1).
    areas = [4.0, 1.0, 1.0, 1.0, 1.0]
    actual = [4, 2, 0, 0, 0]
    predicted = [5, 0, 0, 0, 0]
    assert pei(predicted, actual, coverage=1 / 8, cell_area=areas) == pytest.approx(0.5)
    assert hit_rate(predicted, actual, coverage=1 / 8, cell_area=areas) == pytest.approx(1 / 6)


def _row_cells(n: int = 10, size: float = 100.0) -> gpd.GeoDataFrame:
    from hotspots.grid import square_grid

    return square_grid(gpd.GeoSeries([box(0, 0, n * size, size)], crs=27700), cell_size=size)


def _incidents(rows: list[tuple[float, float, str]]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"month": [m for _, _, m in rows]},
        geometry=gpd.points_from_xy([x for x, _, _ in rows], [y for _, y, _ in rows]),
        crs=27700,
    )


def test_backtest_never_trains_on_its_test_month() -> None:
    # one incident a month in cell 0 for three months, then five in cell 9 in the test
    # month: trained on the three months before it, last_period picks cell 0 (10 % of
    # the area) and captures none of the test month's incidents.
    rows = [(50, 50, m) for m in ("2024-01", "2024-02", "2024-03")]
    rows += [(950, 50, "2024-04")] * 5
    table = backtest(
        _incidents(rows), _row_cells(), methods=["last_period"], train_months=3, coverage=[0.1]
    )
    assert table["test_month"].tolist() == ["2024-04"]
    assert table["hit_rate"].tolist() == [0.0] and table["n_train"].tolist() == [3]
    assert table["n_test"].tolist() == [5]


def test_backtest_skips_windows_over_a_missing_month() -> None:
    months = ["2024-01", "2024-02", "2024-03", "2024-05", "2024-06", "2024-07"]  # no April
    rows = [(50 + 100 * i, 50, m) for i, m in enumerate(months)]
    inc = _incidents(rows)
    with pytest.warns(HotspotsWarning, match=r"\['2024-05', '2024-06'\] skipped"):
        table = backtest(inc, _row_cells(), methods=["last_period"], train_months=2)
    assert sorted(table["test_month"].unique()) == ["2024-03", "2024-07"]
    assert table.attrs["hotspots"]["skipped_test_months"] == ["2024-05", "2024-06"]
    # told that April was read and had no incidents, April is a real zero
    read = [*months, "2024-04"]
    table = backtest(inc, _row_cells(), methods=["last_period"], train_months=2, months=read)
    assert sorted(table["test_month"].unique()) == [f"2024-{m:02d}" for m in range(3, 8)]
    assert table.loc[table["test_month"] == "2024-04", "n_test"].unique().tolist() == [0]
    with pytest.raises(DataError, match="no 4 consecutive months with data"):
        backtest(inc, _row_cells(), methods=["last_period"], train_months=3)


def test_backtest_accepts_period_months() -> None:
    rows = [(50, 50, m) for m in ("2024-01", "2024-02", "2024-03")] + [(50, 50, "2024-04")]
    inc = _incidents(rows)
    as_period = inc.assign(month=pd.PeriodIndex(inc["month"], freq="M"))
    a = backtest(inc, _row_cells(), methods=["last_period", "kde"], coverage=[0.1])
    b = backtest(as_period, _row_cells(), methods=["last_period", "kde"], coverage=[0.1])
    pd.testing.assert_frame_equal(a, b)
    assert a["hit_rate"].tolist() == [1.0, 1.0]


def test_backtest_kde_scores_with_the_quartic_kernel() -> None:
    from hotspots.forecast import forecast_cells

    # two training points 30 m apart; cells 100 m wide, so the bandwidth is the cell
    # width (the ArcGIS rule gives far less for two points): 100 m
    rows = [(50, 50, "2024-01"), (80, 50, "2024-01")]
    out = forecast_cells(_incidents(rows), _row_cells(), method="kde", train_months=1)
    h = 100.0
    centres = np.arange(10) * 100 + 50.0
    expected = np.zeros(10)
    for px in (50.0, 80.0):
        d = np.abs(centres - px)
        expected += np.where(d < h, 3 / (np.pi * h * h) * (1 - (d / h) ** 2) ** 2, 0.0)
    assert out["forecast_score"].to_numpy() == pytest.approx(expected, rel=1e-12)
    assert expected[1] > 0  # cell 1's centre is 70 m from the second point
