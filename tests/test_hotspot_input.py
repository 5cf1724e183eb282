"""Gi* refuses input it cannot analyse, with the package's errors."""

from __future__ import annotations

import geopandas as gpd
import pytest
from shapely.geometry import Point

from hotspots import DataError, gi_star


def _cells(values: list[float]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"count": values},
        geometry=[Point(100 * i, 0) for i in range(len(values))],
        crs=27700,
        index=[f"c{i}" for i in range(len(values))],
    )


def test_negative_counts_are_refused() -> None:
    with pytest.raises(
        DataError, match=r"'count' has 2 negative value\(s\) \(index \['c1', 'c4'\]\)"
    ):
        gi_star(_cells([3, -2, 1, 0, -5, 2]), "count", distance=150, permutations=0)


@pytest.mark.parametrize("permutations", [99.5, "999", -1, True])
def test_permutations_must_be_a_whole_number(permutations: object) -> None:
    with pytest.raises(DataError, match="permutations must be"):
        gi_star(_cells([3, 2, 1, 0, 5, 2]), "count", distance=150, permutations=permutations)  # type: ignore[arg-type]


def test_cells_with_missing_geometry_are_named() -> None:
    cells = _cells([3, 2, 1, 0, 5, 2])
    cells.loc["c2", "geometry"] = None
    with pytest.raises(DataError, match=r"1 missing or empty geometries \(index \['c2'\]\)"):
        gi_star(cells, "count", distance=150, permutations=0)
