"""Array-level local statistics: Getis-Ord Gi* and local Moran's I with conditional randomisation.

These functions take a value vector and a :class:`scipy.sparse.csr_matrix` of weights and
return plain numpy arrays; the GeoDataFrame wrappers live in :mod:`hotspots.hotspot`.

Conditional randomisation
-------------------------
For cell ``i`` with ``k`` neighbours (self excluded), each permutation holds ``x_i`` fixed
and fills the ``k`` neighbour slots with ``k`` values drawn **without replacement** from the
other ``n - 1`` values (Anselin 1995; the method of :func:`esda.crand.crand`). As in
esda, one table of draws (``k`` distinct positions in ``0..n-2`` per permutation) is shared
by several cells and mapped onto "every cell but ``i``" by shifting positions ``>= i`` up by
one. esda uses a single table for all cells; here each block of a few hundred cells with
the same ``k`` gets a fresh table from a :class:`numpy.random.Generator`, so the memory
per block is bounded (about ``_BLOCK`` values) and the Monte Carlo error is not common to
every cell. The per-cell null distribution is exactly esda's. With equal weights within
each row (binary, or row-standardised) the sums for all cells of a block come from one
difference array over the sorted cells, so the cost is about ``n * permutations`` rather
than ``n * k * permutations``.

Exact sampling without replacement: positions are drawn with replacement and every entry
that repeats an earlier entry of its permutation is redrawn until all are distinct. The
procedure treats all items alike, so each ordered tuple of distinct items is equally
likely (the distribution of ``Generator.choice(..., replace=False)``). When ``k`` is more
than a quarter of ``n - 1`` the table uses the ``k`` smallest of random sort keys instead.

Pseudo p-value (``p_sim``)
-------------------------
``p_sim = (min(#{sim >= obs}, #{sim <= obs}) + 1) / (permutations + 1)``: the one-tailed
pseudo p-value in the tail the observed value lies in. This is esda 2.9's default for
``G_Local`` and ``Moran_Local`` (``alternative="directed"``:
``larger = #{sim >= obs}``, folded with ``permutations - larger``), except that ties are
counted in both tails (esda counts a tie only in the upper tail, which makes a value tied
with the whole reference distribution look significant). Without ties the two agree
exactly. ``p_sim`` is at most about 0.5; a two-sided test at level ``a`` compares
``p_sim`` with ``a / 2`` (or doubles it).

Two-sided p-value for the bins (``p_perm``)
------------------------------------------
Conditional randomisation holds the cell's own value fixed, so for Gi* it tests the
neighbours only and ignores half the evidence of a hot cell inside a hot area: on the
Medway grid it finds about two thirds of the cells of areas planted at five times a
background of 2 incidents a cell (``benchmarks/bench_calibration.py``). Getis and Ord
derive the z-score's mean and variance under *total* randomisation: all ``n`` values
permuted, the window (the cell and its neighbours) a random ``k + 1`` of them. With counts
and binary weights that distribution is counted exactly (:func:`hotspots._exact.window_tails`)
and gives ``p_perm = min(1, 2 min(P(S >= obs), P(S <= obs)))`` over the window sum ``S``:
the exact p-value of the null the analytic p-value approximates, equally valid when the
values are exchangeable, and it finds over 90 % of those planted cells.

Exact tails for counts
----------------------
When the values are whole numbers and each cell's weights on its neighbours are equal
(binary weights, as Gi* uses), :func:`gi_star_arrays` counts the conditional-permutation
distribution instead of sampling it (:mod:`hotspots._exact`): ``p_sim`` is then
``min(P(S >= obs), P(S <= obs))`` exactly, the value the sampled ``p_sim`` tends to as
the permutations grow, without Monte Carlo error and without the ``1 / (permutations +
1)`` floor. That floor matters: after Benjamini-Hochberg over ``m`` cells the first
discovery needs ``p <= 0.05 / m`` (1.5e-5 over 3,400 cells), which 999 permutations
(smallest two-sided p 0.002) can never reach.
"""

from __future__ import annotations

import warnings
from typing import NamedTuple

import numpy as np
import scipy.sparse as sp
from scipy.special import ndtr

from ._errors import DataError, HotspotsWarning
from ._exact import exact_tails, integer_values, stratified_window_tails, window_tails

__all__ = ["GiResult", "LocalMoranResult", "gi_star_arrays", "local_moran_arrays"]

_METHODS = ("auto", "exact", "sampled")

# Elements per block of random draws (int64 + float64 copies stay around 100 MB).
_BLOCK = 1 << 22
# Cells sharing one table of draws when the weights within each row are equal.
_CELLS_PER_BLOCK = 512


class GiResult(NamedTuple):
    """Result of :func:`gi_star_arrays`; every field has one entry per cell.

    Attributes
    ----------
    z : numpy.ndarray
        Gi* z-score (NaN for cells with no neighbours or when all values are equal).
    p : numpy.ndarray
        Analytic two-sided p-value, ``2 * (1 - Phi(|z|))`` (ArcGIS's ``GiPValue``).
    p_sim : numpy.ndarray
        Conditional-permutation pseudo p-value (one-tailed in the observed direction, see
        the module notes), exact or sampled (see ``inference``); NaN when
        ``permutations == 0``.
    n_neighbours : numpy.ndarray
        Number of neighbours, self excluded.
    p_perm : numpy.ndarray
        Two-sided permutation p-value for binning. With whole-number values and binary
        weights (self included): counted exactly under *total* randomisation (all
        values permuted, the null the z-score's mean and variance assume), see the
        module notes. Otherwise ``min(1, 2 * p_sim)``.
    inference : str
        How ``p_perm`` was obtained: ``"exact"`` (total randomisation, counted),
        ``"exact conditional"`` (``2 p_sim``, counted), ``"sampled"`` (``2 p_sim``, random
        permutations) or ``"none"`` (``permutations == 0``).
    """

    z: np.ndarray
    p: np.ndarray
    p_sim: np.ndarray
    n_neighbours: np.ndarray
    p_perm: np.ndarray
    inference: str


class LocalMoranResult(NamedTuple):
    """Result of :func:`local_moran_arrays`, one entry per cell.

    Attributes
    ----------
    i : numpy.ndarray
        Local Moran's I, ``(n - 1) z_i sum_j w_ij z_j / sum_j z_j^2`` with row-standardised
        weights (esda's ``Moran_Local.Is``).
    p_sim : numpy.ndarray
        Conditional-permutation pseudo p-value (see the module notes).
    z : numpy.ndarray
        Standardised value ``(y - mean) / std``.
    lag : numpy.ndarray
        Spatial lag of ``z`` (row-standardised).
    n_neighbours : numpy.ndarray
        Number of neighbours, self excluded.
    """

    i: np.ndarray
    p_sim: np.ndarray
    z: np.ndarray
    lag: np.ndarray
    n_neighbours: np.ndarray


def _check_inputs(y: np.ndarray, W: sp.spmatrix | sp.sparray) -> tuple[np.ndarray, sp.csr_matrix]:
    y = np.asarray(y, dtype=float).ravel()
    n = y.size
    if n == 0:
        raise DataError("The value vector is empty; there is nothing to analyse.")
    if not np.all(np.isfinite(y)):
        bad = np.flatnonzero(~np.isfinite(y))[:10].tolist()
        raise DataError(f"The values contain NaN or infinite entries at positions {bad}.")
    if not sp.issparse(W):
        raise DataError("W must be a scipy.sparse matrix (csr).")
    Wc = sp.csr_matrix(W, dtype=float)
    if Wc.shape != (n, n):
        raise DataError(f"W has shape {Wc.shape} but there are {n} values; it must be (n, n).")
    return y, Wc


def _off_diagonal(W: sp.csr_matrix) -> tuple[sp.csr_matrix, np.ndarray]:
    """Split ``W`` into its off-diagonal part (explicit zeros removed) and its diagonal."""
    diag = W.diagonal().copy()
    off = W.tocoo()
    keep = (off.row != off.col) & (off.data != 0)
    Woff = sp.csr_matrix((off.data[keep], (off.row[keep], off.col[keep])), shape=W.shape)
    Woff.sum_duplicates()
    Woff.sort_indices()
    return Woff, diag


def _fix_duplicates(idx: np.ndarray, m: int, rng: np.random.Generator) -> None:
    """Redraw entries of ``idx`` (k x rows, values in [0, m)) until each column is distinct.

    Works in place. A cheap pairwise check finds the few rows with a repeat; only those go
    through the sort-based repair loop.
    """
    k = idx.shape[0]
    if k < 2:
        return
    if k <= 12:
        dup = np.zeros(idx.shape[1], dtype=bool)
        for a in range(k - 1):
            col = idx[a]
            for b in range(a + 1, k):
                dup |= col == idx[b]
        rows = np.flatnonzero(dup)
    else:
        srt0 = np.sort(idx.T, axis=1)
        rows = np.flatnonzero((srt0[:, 1:] == srt0[:, :-1]).any(axis=1))
        del srt0
    while rows.size:
        sub = idx[:, rows].T
        order = np.argsort(sub, axis=1, kind="stable")
        srt = np.take_along_axis(sub, order, axis=1)
        dup_sorted = np.zeros_like(srt, dtype=bool)
        dup_sorted[:, 1:] = srt[:, 1:] == srt[:, :-1]
        has = dup_sorted.any(axis=1)
        if not has.any():
            break
        rows, order, dup_sorted, sub = rows[has], order[has], dup_sorted[has], sub[has]
        dup2 = np.zeros_like(dup_sorted)
        np.put_along_axis(dup2, order, dup_sorted, axis=1)
        sub[dup2] = rng.integers(0, m, size=int(dup2.sum()), dtype=idx.dtype)
        idx[:, rows] = sub.T


def _draw_table(k: int, permutations: int, m: int, rng: np.random.Generator) -> np.ndarray:
    """Table (k, permutations): each column holds k distinct integers from [0, m)."""
    if 4 * k > m:
        # k is a large share of the pool: take the k smallest of random sort keys, in the
        # order of their keys (a uniformly random order).
        keys = rng.random((permutations, m))
        if k < m:
            part = np.argpartition(keys, k - 1, axis=1)[:, :k]
            sel = np.take_along_axis(keys, part, axis=1)
            part = np.take_along_axis(part, np.argsort(sel, axis=1), axis=1)
        else:
            part = np.argsort(keys, axis=1)
        return np.ascontiguousarray(part.T).astype(np.int64)
    idx = rng.integers(0, m, size=(k, permutations), dtype=np.int64)
    _fix_duplicates(idx, m, rng)
    return idx


def _block_sums(y: np.ndarray, table: np.ndarray, cells: np.ndarray) -> np.ndarray:
    """Unweighted sums ``sum_a y[t_a + (t_a >= i)]`` for sorted ``cells`` i, all draws.

    ``table`` is (k, permutations). Position ``t`` maps to ``y[t + 1]`` for the cells
    ``i <= t`` and to ``y[t]`` for the others, so each draw adds ``y[t+1] - y[t]`` to a
    leading run of the sorted cells: a difference array and a cumulative sum give every
    cell's sums in O((k + cells) * permutations) instead of O(k * cells * permutations).
    """
    perms = table.shape[1]
    y0 = y[table]
    d = y[table + 1] - y0
    # d applies to cells[j] with cells[j] <= t, i.e. j < searchsorted(cells, t, "right")
    pos = np.searchsorted(cells, table, side="right")
    flat = (pos * perms + np.arange(perms)[None, :]).ravel()
    drop = np.bincount(flat, weights=d.ravel(), minlength=(cells.size + 1) * perms)
    drop = drop.reshape(cells.size + 1, perms)[: cells.size]
    base = y0.sum(axis=0) + d.sum(axis=0)
    out: np.ndarray = base[None, :] - np.cumsum(drop, axis=0)
    return out


def _tail_counts(
    y: np.ndarray,
    Woff: sp.csr_matrix,
    observed: np.ndarray,
    sign: np.ndarray,
    permutations: int,
    rng: np.random.Generator,
) -> np.ndarray:
    """Pseudo p-values from conditional randomisation of the off-diagonal weighted sum.

    ``observed[i]`` is ``sum_{j != i} w_ij y_j``; the statistic of cell i is an increasing
    (``sign > 0``) or decreasing (``sign < 0``) function of that sum, constant if
    ``sign == 0``.
    """
    n = y.size
    k_all = np.diff(Woff.indptr)
    p_sim = np.full(n, np.nan)
    scale = float(np.abs(y).max()) if n else 0.0
    for k in np.unique(k_all):
        if k == 0:
            continue
        cells_k = np.flatnonzero(k_all == k)
        starts = Woff.indptr[cells_k]
        w_k = Woff.data[starts[:, None] + np.arange(k)]
        equal = bool(np.all(w_k == w_k[:, :1]))
        per_block = _CELLS_PER_BLOCK if equal else _BLOCK // (permutations * int(k))
        per_block = max(1, min(per_block, _BLOCK // permutations))
        for lo in range(0, cells_k.size, per_block):
            cells = cells_k[lo : lo + per_block]
            wb = w_k[lo : lo + per_block]
            # one table of draws per block, shared by its cells (esda shares one table
            # across all cells); positions >= i shift up by one to skip cell i itself
            table = _draw_table(int(k), permutations, n - 1, rng)
            if equal:
                sims = _block_sums(y, table, cells) * wb[:, :1]
            else:
                idx = table[:, None, :] + (table[:, None, :] >= cells[None, :, None])
                sims = np.zeros((cells.size, permutations))
                for a in range(int(k)):
                    sims += y[idx[a]] * wb[:, a : a + 1]
            tol = 1e-9 * scale * np.abs(wb).sum(axis=1)[:, None] + 1e-12
            diff = sims - observed[cells][:, None]
            ge = (diff >= -tol).sum(axis=1)
            le = (diff <= tol).sum(axis=1)
            s = sign[cells]
            upper = np.where(s > 0, ge, np.where(s < 0, le, permutations))
            lower = np.where(s > 0, le, np.where(s < 0, ge, permutations))
            p_sim[cells] = (np.minimum(upper, lower) + 1.0) / (permutations + 1.0)
    return p_sim


def _rng(seed: int | np.random.Generator | None) -> np.random.Generator:
    return seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)


def gi_star_arrays(
    y: np.ndarray,
    W: sp.csr_matrix,
    *,
    permutations: int = 999,
    seed: int | None = 0,
    star: bool = True,
    method: str = "auto",
    strata: np.ndarray | None = None,
) -> GiResult:
    """Getis-Ord local G (Gi* by default) on arrays.

    Parameters
    ----------
    y : numpy.ndarray
        Values, one per cell (finite).
    W : scipy.sparse.csr_matrix
        ``(n, n)`` weights, usually binary. With ``star=True`` the diagonal is set to 1
        (each cell is its own neighbour, ArcGIS's Gi* convention) unless it already holds
        non-zero self-weights; with ``star=False`` the diagonal is ignored.
    permutations : int, default 999
        Conditional permutations for ``p_sim`` when it is sampled; 0 skips permutation
        inference altogether (``p_sim`` and ``p_perm`` are NaN).
    seed : int or None, default 0
        Seed of the :class:`numpy.random.Generator` used for the permutations.
    star : bool, default True
        Gi* (self included) or Gi (self excluded).
    method : {"auto", "exact", "sampled"}, default "auto"
        ``"exact"`` counts the conditional-permutation distribution (whole-number values,
        equal weights within each row; otherwise :class:`~hotspots.DataError`);
        ``"sampled"`` draws ``permutations`` random permutations; ``"auto"`` counts when
        it can and the counting fits a budget of about a second, and samples otherwise.
    strata : numpy.ndarray, optional
        Stratum of each cell (integers from 0), e.g. by the share of the cell inside the
        study area. The exact window p-value then permutes values only within strata,
        so a part-empty cell at the coast is compared with cells like it
        (:func:`hotspots._exact.stratified_window_tails`).

    Returns
    -------
    GiResult
        ``z``, ``p`` (two-sided analytic), ``p_sim``, ``n_neighbours``, ``p_perm``
        (two-sided permutation) and ``inference``.

    Notes
    -----
    Gi* (Getis & Ord 1992; Ord & Getis 1995; ArcGIS "How Hot Spot Analysis works")::

        z_i = (sum_j w_ij x_j - xbar sum_j w_ij)
              / (S sqrt((n sum_j w_ij^2 - (sum_j w_ij)^2) / (n - 1)))

    with ``xbar`` and ``S`` (population standard deviation) over all ``n`` cells. It
    equals ``esda.getisord.G_Local(y, w, star=True, transform="B").Zs``. For ``star=False``
    the sums and ``xbar``, ``S`` exclude cell ``i`` (esda's Gi). Cells with no neighbours
    get NaN; if all values are equal the z-scores are undefined: a
    :class:`~hotspots.HotspotsWarning` is issued and NaN returned.

    Examples
    --------
    >>> import numpy as np, scipy.sparse as sp
    >>> from scipy.spatial import cKDTree
    >>> pts = np.array([[10, 10], [20, 10], [40, 10], [15, 20], [30, 20], [30, 30]])
    >>> W = cKDTree(pts).sparse_distance_matrix(cKDTree(pts), 15).tocsr()
    >>> W.data[:] = 1
    >>> r = gi_star_arrays(np.array([2, 3, 3.2, 5, 8, 7]), W, permutations=0)
    >>> np.round(r.z, 4)
    array([-1.3973, -0.2892,  0.6506, -0.2892,  1.2345,  2.0242])
    """
    y, Wc = _check_inputs(y, W)
    if permutations < 0:
        raise DataError(f"permutations must be >= 0, got {permutations}.")
    if method not in _METHODS:
        raise DataError(f"method must be one of {_METHODS}, got {method!r}.")
    n = y.size
    Woff, diag = _off_diagonal(Wc)
    k = np.diff(Woff.indptr)
    if star:
        self_w = np.where(diag != 0, diag, 1.0)
        total = y.sum()
        mean = np.full(n, total / n)
        var = np.full(n, (y**2).sum() / n) - mean**2
        n_eff = np.full(n, float(n))
    else:
        self_w = np.zeros(n)
        total = y.sum()
        n_eff = np.full(n, n - 1.0)
        mean = (total - y) / n_eff
        var = ((y**2).sum() - y**2) / n_eff - mean**2
    lag_off = Woff @ y
    lag = lag_off + self_w * y
    w_sum = np.asarray(Woff.sum(axis=1)).ravel() + self_w
    w_sq = np.asarray(Woff.multiply(Woff).sum(axis=1)).ravel() + self_w**2
    sd = np.sqrt(np.clip(var, 0.0, None))
    with np.errstate(divide="ignore", invalid="ignore"):
        den = sd * np.sqrt((n_eff * w_sq - w_sum**2) / (n_eff - 1.0))
        z = (lag - mean * w_sum) / den
    flat = ~(sd > 1e-12 * max(1.0, float(np.abs(y).max())))
    if flat.all():
        warnings.warn(
            "All values are equal (no variance): Gi* z-scores are undefined and set to NaN; "
            "no cell can be a hot or cold spot.",
            HotspotsWarning,
            stacklevel=2,
        )
    z[flat | (k == 0) | ~np.isfinite(z)] = np.nan
    p = 2.0 * ndtr(-np.abs(z))
    p_sim = np.full(n, np.nan)
    p_perm = np.full(n, np.nan)
    inference = "none"
    if permutations and not flat.all() and n > 1:
        v = None if method == "sampled" else _exact_values(y, Woff, method == "exact")
        # Gi* is an increasing function of the off-diagonal sum for every cell.
        tails = None if v is None else _exact_conditional(v, Woff, method == "exact")
        if tails is not None:
            p_sim = np.minimum(*tails)
        else:
            p_sim = _tail_counts(y, Woff, lag_off, np.ones(n), permutations, _rng(seed))
        window = None
        if v is not None and star and np.all(self_w == _row_weight(Woff, self_w)):
            # binary window with self: its sum orders Gi*, all values permuted
            sums = np.rint(v + _binary(Woff) @ v).astype(np.int64)
            if strata is None or np.unique(strata).size < 2:
                window = window_tails(v, k + 1, sums)
            else:
                onehot = sp.csr_matrix(
                    (np.ones(n), (np.arange(n), np.asarray(strata, dtype=np.int64))),
                    shape=(n, int(np.max(strata)) + 1),
                )
                composition = np.rint(((_binary(Woff) @ onehot) + onehot).toarray())
                window = stratified_window_tails(v, strata, composition.astype(np.int64), sums)
        if window is not None:
            p_perm = np.minimum(2.0 * np.minimum(*window), 1.0)
            inference = "exact"
        else:
            p_perm = np.minimum(2.0 * p_sim, 1.0)
            inference = "exact conditional" if tails is not None else "sampled"
        p_sim[np.isnan(z)] = np.nan
        p_perm[np.isnan(z)] = np.nan
    return GiResult(
        z=z,
        p=p,
        p_sim=p_sim,
        n_neighbours=k.astype(np.int64),
        p_perm=p_perm,
        inference=inference,
    )


def _binary(Woff: sp.csr_matrix) -> sp.csr_matrix:
    """The neighbour pattern of ``Woff`` with every weight 1."""
    return sp.csr_matrix(
        (np.ones_like(Woff.data), Woff.indices, Woff.indptr), shape=Woff.shape, dtype=float
    )


def _row_weight(Woff: sp.csr_matrix, default: np.ndarray) -> np.ndarray:
    """Each row's largest off-diagonal weight (``default`` for rows without neighbours)."""
    starts, ends = Woff.indptr[:-1], Woff.indptr[1:]
    out = np.asarray(default, dtype=float).copy()
    has = ends > starts
    if has.any():
        out[has] = np.maximum.reduceat(Woff.data, starts[has])
    return out


def _exact_values(y: np.ndarray, Woff: sp.csr_matrix, required: bool) -> np.ndarray | None:
    """``y`` as shifted integers when counting is possible, else None (or raise).

    Counting needs whole-number values and equal positive weights on each cell's
    neighbours (binary weights): the statistic is then a function of the unweighted sum.
    """
    v = integer_values(y)
    starts, ends = Woff.indptr[:-1], Woff.indptr[1:]
    has = ends > starts
    equal = True
    if has.any():
        row_max = np.maximum.reduceat(Woff.data, starts[has])
        row_min = np.minimum.reduceat(Woff.data, starts[has])
        equal = bool(np.all(row_max == row_min) and np.all(row_min > 0))
    if v is None or not equal:
        if required:
            raise DataError(
                "method='exact' needs whole-number values (counts) and equal positive "
                "weights on each cell's neighbours (binary weights); use method='auto'."
            )
        return None
    return v


def _exact_conditional(
    v: np.ndarray, Woff: sp.csr_matrix, required: bool
) -> tuple[np.ndarray, np.ndarray] | None:
    """Exact conditional-randomisation tails of each cell's neighbourhood sum, or None."""
    observed = np.rint(_binary(Woff) @ v.astype(float)).astype(np.int64)
    tails = exact_tails(v, np.diff(Woff.indptr), observed)
    if tails is None and required:
        raise DataError(
            "method='exact': counting the permutation distribution would take too long "
            "for these values (too many distinct large counts); use method='auto'."
        )
    return tails


def local_moran_arrays(
    y: np.ndarray,
    W: sp.csr_matrix,
    *,
    permutations: int = 999,
    seed: int | None = 0,
) -> LocalMoranResult:
    """Local Moran's I (Anselin 1995) with row-standardised weights, on arrays.

    Parameters
    ----------
    y : numpy.ndarray
        Values, one per cell.
    W : scipy.sparse.csr_matrix
        ``(n, n)`` weights; the diagonal is ignored and rows are standardised to sum to 1.
    permutations : int, default 999
        Conditional permutations for ``p_sim`` (0: NaN).
    seed : int or None, default 0
        Seed of the random generator.

    Returns
    -------
    LocalMoranResult

    Notes
    -----
    ``I_i = (n - 1) z_i lag_i / sum_j z_j^2`` with ``z = (y - mean) / std`` and
    ``lag = W_r z``, as :class:`esda.moran.Moran_Local` (``transformation="r"``).

    Examples
    --------
    >>> import numpy as np, scipy.sparse as sp
    >>> W = sp.csr_matrix(np.array([[0, 1, 0], [1, 0, 1], [0, 1, 0]], dtype=float))
    >>> r = local_moran_arrays(np.array([1.0, 2.0, 6.0]), W, permutations=0)
    >>> np.round(r.i, 4)
    array([ 0.2857, -0.0714, -0.4286])
    """
    y, Wc = _check_inputs(y, W)
    n = y.size
    Woff, _ = _off_diagonal(Wc)
    k = np.diff(Woff.indptr)
    rs = np.asarray(Woff.sum(axis=1)).ravel()
    with np.errstate(divide="ignore", invalid="ignore"):
        Wr = sp.diags(np.where(rs != 0, 1.0 / rs, 0.0)) @ Woff
    Wr = sp.csr_matrix(Wr)
    Wr.sort_indices()
    sd = y.std()
    flat = not sd > 1e-12 * max(1.0, float(np.abs(y).max()))
    if flat:
        warnings.warn(
            "All values are equal (no variance): local Moran's I is undefined and set to NaN.",
            HotspotsWarning,
            stacklevel=2,
        )
        nan = np.full(n, np.nan)
        return LocalMoranResult(nan, nan.copy(), nan.copy(), nan.copy(), k.astype(np.int64))
    z = (y - y.mean()) / sd
    lag = Wr @ z
    Is = (n - 1) * z * lag / (z * z).sum()
    Is[k == 0] = np.nan
    if permutations and n > 1:
        # I_i moves with the raw off-diagonal sum in the direction of sign(z_i).
        p_sim = _tail_counts(y, Wr, Wr @ y, np.sign(z), permutations, _rng(seed))
        p_sim[k == 0] = np.nan
    else:
        p_sim = np.full(n, np.nan)
    return LocalMoranResult(i=Is, p_sim=p_sim, z=z, lag=lag, n_neighbours=k.astype(np.int64))
