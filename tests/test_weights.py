"""Binary weights equal libpysal.graph's where both are defined without ties."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import box

from hotspots import DataError
from hotspots._weights import (
    contiguity_weights,
    distance_band_weights,
    knn_weights,
    min_threshold_distance,
)

graph = pytest.importorskip("libpysal.graph")


@pytest.fixture(scope="module")
def xy() -> np.ndarray:
    return np.random.default_rng(3).uniform(0, 2000, size=(400, 2))


def test_distance_band_equals_libpysal(xy: np.ndarray) -> None:
    # the largest nearest-neighbour distance, nudged up as build_weights does (the pair
    # search can compute that very distance a rounding error larger)
    threshold = min_threshold_distance(xy) * (1 + 1e-9)
    ours = distance_band_weights(xy, threshold)
    ref = graph.Graph.build_distance_band(xy, threshold, binary=True).sparse.tocsr()
    assert abs(ours - ref).nnz == 0
    nearest = np.sort(np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1)), axis=1)
    assert min_threshold_distance(xy) == pytest.approx(nearest[:, 1].max(), rel=1e-12)
    assert np.diff(ours.indptr).min() == 1  # every point has a neighbour
    # a neighbour exactly at the band is included (ArcGIS and libpysal: <=)
    two = np.array([[0.0, 0.0], [300.0, 400.0]])
    assert distance_band_weights(two, 500.0).nnz == 2
    assert distance_band_weights(two, 499.999).nnz == 0


def test_knn_equals_libpysal_without_ties(xy: np.ndarray) -> None:
    ours = knn_weights(xy, 6)
    ref = graph.Graph.build_knn(xy, 6).sparse.tocsr()
    assert abs(ours - ref).nnz == 0
    with pytest.raises(DataError, match="k must be between 1"):
        knn_weights(xy, 400)


@pytest.mark.parametrize("rook", [False, True])
def test_contiguity_equals_libpysal_on_exact_vertices(rook: bool) -> None:
    # squares with integer corners: vertices are exactly shared, so libpysal's exact
    # vertex matching and our 1 mm rounding must agree
    cells = gpd.GeoSeries(
        [box(i * 10, j * 10, i * 10 + 10, j * 10 + 10) for j in range(7) for i in range(9)]
    )
    ours = contiguity_weights(cells.to_numpy(), rook=rook)
    ref = graph.Graph.build_contiguity(cells, rook=rook, strict=False).sparse.tocsr()
    assert abs(ours - ref).nnz == 0
    # interior squares: 8 queen neighbours, 4 rook neighbours
    assert np.diff(ours.indptr)[1 * 9 + 1] == (4 if rook else 8)
