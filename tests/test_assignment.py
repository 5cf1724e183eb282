"""One point-in-cell rule everywhere: boundary points land in the same cell in
count_points, space_time_cube, compare_periods, backtest and forecast_cells."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import box

from hotspots.evaluate import backtest
from hotspots.forecast import forecast_cells
from hotspots.grid import assign_points, count_points, square_grid
from hotspots.periods import compare_periods
from hotspots.spacetime import space_time_cube

MONTHS = ["2024-01", "2024-02", "2024-03", "2024-04"]


def _grid_row() -> gpd.GeoDataFrame:
    """Four 100 m cells in a row, x = 0..400 (a grid: the arithmetic floor rule)."""
    return square_grid(gpd.GeoSeries([box(0, 0, 400, 100)], crs=27700), cell_size=100)


def _polygons_row() -> gpd.GeoDataFrame:
    """The same four squares as plain polygons (the first-polygon-in-row-order rule)."""
    return gpd.GeoDataFrame(
        {"name": list("abcd")}, geometry=[box(x, 0, x + 100, 100) for x in range(0, 400, 100)],
        crs=27700,
    )  # fmt: skip


def _points(xs: list[float], months: list[str]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"month": months}, geometry=gpd.points_from_xy(xs, [50.0] * len(xs)), crs=27700
    )


@pytest.mark.parametrize(
    ("cells", "expected"),
    [
        (_grid_row(), 2),  # floor rule: a point on x = 200 belongs to the cell on its right
        (_polygons_row(), 1),  # general polygons: the first (in row order) that touches it
    ],
)
def test_boundary_point_lands_in_the_same_cell_everywhere(
    cells: gpd.GeoDataFrame, expected: int
) -> None:
    on_line = _points([200.0] * 4, MONTHS)  # one a month, on the line between cells 1 and 2
    assert assign_points(on_line, cells).tolist() == [expected] * 4
    assert np.flatnonzero(count_points(on_line, cells)["count"].to_numpy()).tolist() == [expected]
    cube = space_time_cube(on_line, cells)
    assert np.flatnonzero(cube.counts.sum(axis=1)).tolist() == [expected]
    cmp = compare_periods(on_line, cells, before="2024-01", after="2024-02")
    assert np.flatnonzero(cmp["before"].to_numpy()[:-1]).tolist() == [expected]
    f = forecast_cells(on_line, cells, method="last_period", train_months=3)
    assert np.flatnonzero(f["forecast_score"].to_numpy()).tolist() == [expected]
    # backtest: trained on the boundary points of Jan-Mar, tested on an April incident
    # well inside the expected cell; 25 % coverage selects one cell: a hit only if the
    # training points were put in that same cell
    inside = _points([200.0] * 3 + [expected * 100 + 50.0], MONTHS)
    table = backtest(inside, cells, methods=["last_period"], train_months=3, coverage=[0.25])
    assert table["hit_rate"].tolist() == [1.0]
