"""Gi* on cell counts with binary space weights: the core shared by the space-time
statistics (:mod:`hotspots.spacetime`) and the forecasts and backtests
(:mod:`hotspots.forecast`, :mod:`hotspots.evaluate`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy import sparse

from ._errors import DataError
from ._gistar import gi_star_arrays

__all__ = ["cell_weights", "gi_z"]


def cell_weights(
    cells: Any, *, neighbours: str = "distance", distance: float | None = None, k: int | None = None
) -> sparse.csr_matrix:
    """Binary spatial weights between cell centroids, self included (Gi* star).

    ``distance`` defaults to 1.5x the median nearest-centroid spacing: queen neighbours
    on a square grid, the first ring on a hexagon grid.
    """
    from scipy.spatial import cKDTree

    from ._weights import distance_band_weights, knn_weights

    xy = np.column_stack([cells.geometry.centroid.x, cells.geometry.centroid.y])
    n = len(xy)
    if neighbours == "knn":
        W = knn_weights(xy, int(k if k is not None else 8))
    elif neighbours == "distance":
        if distance is None:
            if n < 2:
                raise DataError("need at least 2 cells to choose a neighbour distance.")
            nn = cKDTree(xy).query(xy, k=2)[0][:, 1]
            distance = 1.5 * float(np.median(nn))
        if not np.isfinite(distance):
            raise DataError(f"distance must be a positive number of metres; got {distance}.")
        W = distance_band_weights(xy, float(distance))
    else:
        raise DataError(f"neighbours must be 'distance' or 'knn'; got {neighbours!r}.")
    W = (W + sparse.identity(n, format="csr")).tocsr()
    W.data[:] = 1.0
    return W


def gi_z(y: np.ndarray, W: sparse.csr_matrix) -> np.ndarray:
    """Analytic Gi* z-scores (binary weights including self); zeros when ``y`` is constant."""
    if y.size == 0 or float(np.ptp(y)) == 0.0:
        return np.zeros(y.size)
    z: np.ndarray = np.asarray(gi_star_arrays(y, W, permutations=0).z, dtype=float)
    return np.asarray(np.nan_to_num(z), dtype=float)
