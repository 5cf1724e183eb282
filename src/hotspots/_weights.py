"""Binary spatial weights as scipy sparse matrices: distance band, k nearest, contiguity.

All matrices have a zero diagonal (self-weights are added by the statistics that want
them) and one row per cell in input order.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from scipy.spatial import cKDTree

from ._errors import DataError

__all__ = [
    "contiguity_weights",
    "distance_band_weights",
    "knn_weights",
    "min_threshold_distance",
]


def _tree(xy: np.ndarray) -> cKDTree:
    return cKDTree(np.asarray(xy, dtype=float))


def min_threshold_distance(xy: np.ndarray) -> float:
    """Smallest distance band that gives every point at least one neighbour.

    It is the largest nearest-neighbour distance, ArcGIS's default distance band for Hot
    Spot Analysis (and :func:`libpysal.weights.min_threshold_distance`).
    """
    xy = np.asarray(xy, dtype=float)
    if len(xy) < 2:
        raise DataError("At least two cells are needed to find a neighbour distance.")
    d, _ = _tree(xy).query(xy, k=2)
    return float(d[:, 1].max())


def distance_band_weights(xy: np.ndarray, distance: float) -> sp.csr_matrix:
    """Binary weights: 1 for every other point within ``distance`` (inclusive)."""
    xy = np.asarray(xy, dtype=float)
    n = len(xy)
    if not distance > 0:
        raise DataError(f"distance must be a positive number of metres, got {distance}.")
    pairs = _tree(xy).query_pairs(r=float(distance), output_type="ndarray")
    i = np.concatenate([pairs[:, 0], pairs[:, 1]])
    j = np.concatenate([pairs[:, 1], pairs[:, 0]])
    W = sp.csr_matrix((np.ones(i.size), (i, j)), shape=(n, n))
    W.sort_indices()
    return W


def knn_weights(xy: np.ndarray, k: int) -> sp.csr_matrix:
    """Binary weights to the ``k`` nearest other points (row i lists i's neighbours).

    Not symmetric, as ArcGIS's K_NEAREST_NEIGHBORS and :class:`libpysal.weights.KNN`:
    j may be among i's k nearest without i being among j's. Ties at the k-th distance are
    broken by the k-d tree's order.
    """
    xy = np.asarray(xy, dtype=float)
    n = len(xy)
    if k < 1 or k >= n:
        raise DataError(
            f"k must be between 1 and the number of cells minus one ({n - 1}), got {k}."
        )
    _, idx = _tree(xy).query(xy, k=k + 1)
    rows = np.repeat(np.arange(n), k + 1)
    cols = idx.ravel()
    keep = cols != rows
    rows, cols = rows[keep], cols[keep]
    # duplicate points may push self out of the first k+1: keep the k nearest others
    W = sp.csr_matrix((np.ones(rows.size), (rows, cols)), shape=(n, n))
    W.data[:] = 1.0
    counts = np.diff(W.indptr)
    if (counts > k).any():
        order = np.argsort(rows, kind="stable")
        rows, cols = rows[order], cols[order]
        first = np.r_[True, rows[1:] != rows[:-1]]
        rank = np.arange(rows.size) - np.maximum.accumulate(
            np.where(first, np.arange(rows.size), 0)
        )
        sel = rank < k
        W = sp.csr_matrix((np.ones(int(sel.sum())), (rows[sel], cols[sel])), shape=(n, n))
    W.sort_indices()
    return W


def contiguity_weights(geometry: object, *, rook: bool = False) -> sp.csr_matrix:
    """Queen (shared vertex) or rook (shared edge) contiguity from polygon vertices.

    Two polygons are queen neighbours when they share at least one vertex and rook
    neighbours when they share an edge (two consecutive vertices), the vertex-matching
    rule of :meth:`libpysal.weights.Queen.from_dataframe`. Coordinates are compared after
    rounding to 1 mm, so grids built with floating-point arithmetic match up.
    """
    import shapely

    geoms = np.asarray(geometry)
    n = geoms.size
    coords, owner = shapely.get_coordinates(geoms, return_index=True)
    if n == 0 or coords.size == 0:
        return sp.csr_matrix((n, n))
    q = np.round(coords / 1e-3).astype(np.int64)
    if rook:
        # edges between consecutive vertices of the same ring; closing vertex repeats
        same = owner[1:] == owner[:-1]
        a, b = q[:-1][same], q[1:][same]
        own = owner[:-1][same]
        swap = (a[:, 0] > b[:, 0]) | ((a[:, 0] == b[:, 0]) & (a[:, 1] > b[:, 1]))
        lo = np.where(swap[:, None], b, a)
        hi = np.where(swap[:, None], a, b)
        keys = np.column_stack([lo, hi])
    else:
        keys, own = q, owner
    _, key_id = np.unique(keys, axis=0, return_inverse=True)
    key_id = key_id.ravel()
    # unique (key, owner) pairs, then all pairs of owners sharing a key
    pairs = np.unique(np.column_stack([key_id, own]), axis=0)
    kid, own_u = pairs[:, 0], pairs[:, 1]
    starts = np.flatnonzero(np.r_[True, kid[1:] != kid[:-1]])
    sizes = np.diff(np.r_[starts, kid.size])
    multi = sizes > 1
    rows_l: list[np.ndarray] = []
    cols_l: list[np.ndarray] = []
    for size in np.unique(sizes[multi]):
        st = starts[multi & (sizes == size)]
        block = own_u[st[:, None] + np.arange(size)]
        ii, jj = np.meshgrid(np.arange(size), np.arange(size), indexing="ij")
        off = ii != jj
        rows_l.append(block[:, ii[off]].ravel())
        cols_l.append(block[:, jj[off]].ravel())
    if not rows_l:
        return sp.csr_matrix((n, n))
    rows = np.concatenate(rows_l)
    cols = np.concatenate(cols_l)
    W = sp.csr_matrix((np.ones(rows.size), (rows, cols)), shape=(n, n))
    W.data[:] = 1.0
    W.sort_indices()
    return W
