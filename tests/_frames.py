"""Small hand-made layers shared by the tests of periods and space-time analysis."""

from __future__ import annotations

import geopandas as gpd
from shapely.geometry import Point, box


def square_cells(n: int = 5, size: float = 100.0) -> gpd.GeoDataFrame:
    """``n`` x ``n`` square cells of ``size`` metres from (0, 0), ids ``c0 ...`` row by row."""
    polys = [
        box(c * size, r * size, (c + 1) * size, (r + 1) * size) for r in range(n) for c in range(n)
    ]
    return gpd.GeoDataFrame({"cell_id": [f"c{i}" for i in range(n * n)]}, geometry=polys, crs=27700)


def month_points(xy: list[tuple[float, float]], months: list[object]) -> gpd.GeoDataFrame:
    """Incidents at ``xy`` (British National Grid) with a ``month`` each."""
    return gpd.GeoDataFrame({"month": months}, geometry=[Point(p) for p in xy], crs=27700)
