"""Does one kind of harm go with another: co-location quotients and bivariate local Moran.

* :func:`colocation_quotient` - are incidents of category A (e.g. violence) surrounded
  by more incidents of category B (e.g. drug offences) than the mix of all incidents
  would give? Global and local co-location quotient (CLQ; Leslie & Kronenfeld 2011,
  Wang et al. 2017) with permutation tests.
* :func:`bivariate_moran` - where does an area value (a violence rate) sit among high
  values of another (deprivation)? Bivariate local Moran's I with quadrants, equal to
  :class:`esda.moran.Moran_Local_BV`.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.spatial import cKDTree

from . import _provenance
from ._errors import DataError, HotspotsWarning
from ._fdr import false_discovery_rate
from ._gistar import _rng, _tail_counts
from ._mapstyle import rows as _rows
from ._validate import (
    require_columns,
    require_geodataframe,
    require_nonempty,
    require_numeric,
    require_points,
    require_projected,
)
from .hotspot import build_weights

if TYPE_CHECKING:
    from collections.abc import Hashable
    from pathlib import Path

    import folium
    import geopandas as gpd

__all__ = ["CoLocation", "bivariate_moran", "colocation_quotient", "relation_map"]

_KERNELS = ("gaussian", "box")
_ALTERNATIVES = ("greater", "less", "two-sided")
#: Rows of simulated local statistics handled at once (memory: rows x permutations).
_BLOCK_ROWS = 4096


@dataclass(frozen=True)
class CoLocation:
    """Result of :func:`colocation_quotient`.

    Attributes
    ----------
    clq : float
        Global co-location quotient of A around B (1: as many B near A as the overall
        mix gives; above 1: B gathers around A; below 1: B keeps away).
    p_value : float
        Permutation pseudo p-value of the global CLQ (random relabelling of all points,
        ``alternative`` tail).
    points : geopandas.GeoDataFrame
        The points of category A (input index kept) with ``clq_local``, ``clq_p_sim``,
        ``clq_label`` ("Co-located", "Isolated", "Not significant", "No neighbours")
        and ``n_neighbours``.
    n_a, n_b, n : int
        Points of A, of B, and in all.
    provenance : dict
        Method, parameters and seed (also in ``points.attrs["hotspots"]``).
    """

    clq: float
    p_value: float
    points: gpd.GeoDataFrame
    n_a: int
    n_b: int
    n: int
    provenance: dict[str, Any] = field(default_factory=dict)

    def by_area(self, areas: Any) -> gpd.GeoDataFrame:
        """Aggregate the local results to areas (cells, LSOAs, wards).

        Returns a copy of ``areas`` (same index) with ``clq_n`` (points of A inside),
        ``clq_mean`` (their mean local CLQ), ``clq_colocated`` (how many are
        significantly co-located) and ``clq_area``: "Co-located" (mean above 1 and at
        least one significant point), "Not significant" or "No incidents".
        """
        import geopandas as gpd

        zones = require_geodataframe(areas, "areas")
        require_projected(zones, "areas")
        if not zones.crs.equals(self.points.crs):
            zones = zones.to_crs(self.points.crs)
        pts = gpd.GeoDataFrame(
            {"v": self.points["clq_local"].to_numpy(),
             "c": (self.points["clq_label"] == "Co-located").to_numpy()},
            geometry=self.points.geometry.to_numpy(), crs=self.points.crs,
        )  # fmt: skip
        pos = pd.RangeIndex(len(zones))
        joined = gpd.sjoin(pts, zones[[zones.geometry.name]].set_index(pos), predicate="within")
        first = joined[~joined.index.duplicated()]  # a point on a shared edge counts once
        g = first.groupby("index_right")
        n = g.size().reindex(pos, fill_value=0).to_numpy()
        mean = g["v"].mean().reindex(pos).to_numpy()
        colocated = g["c"].sum().reindex(pos, fill_value=0).to_numpy().astype(np.int64)
        out = areas.copy() if isinstance(areas, gpd.GeoDataFrame) else zones.copy()
        out["clq_n"] = n
        out["clq_mean"] = mean
        out["clq_colocated"] = colocated
        label = np.where(n == 0, "No incidents", "Not significant").astype(object)
        label[(colocated > 0) & (np.nan_to_num(mean) > 1)] = "Co-located"
        out["clq_area"] = label
        out.attrs["hotspots"] = {**self.provenance, "aggregated_to": "areas"}
        return out

    def summary(self) -> str:
        """One line saying what the global CLQ means."""
        prov = self.provenance
        a, b = prov.get("a"), prov.get("b")
        level = "" if not np.isfinite(self.p_value) else f" (p = {self.p_value:.3g})"
        return (
            f"{b} around {a}: CLQ {self.clq:.2f}{level}; {self.n_a} {a} and {self.n_b} {b} "
            f"among {self.n} incidents."
        )


def _neighbourhoods(
    xy: np.ndarray, k: int | None, distance: float | None, kernel: str
) -> sp.csr_matrix:
    """Row-normalised kernel weights to each point's neighbours (zero diagonal).

    With ``k``: the k nearest other points, bandwidth the distance to the k-th (adaptive,
    Wang et al. 2017). With ``distance``: every other point within it, fixed bandwidth.
    Gaussian ``exp(-0.5 d^2 / h^2)``; box: weight 1.
    """
    n = len(xy)
    tree = cKDTree(xy)
    if k is not None:
        dist, idx = tree.query(xy, k=k + 1)
        dist = np.atleast_2d(dist)
        idx = np.atleast_2d(idx)
        own = idx == np.arange(n)[:, None]
        # drop self; where duplicates pushed self out of the first k+1, drop the last
        no_self = ~own.any(axis=1)
        own[no_self, -1] = True
        keep = ~own
        nb = idx[keep].reshape(n, k)
        d = dist[keep].reshape(n, k)
        h = d[:, -1:]
        rows = np.repeat(np.arange(n), k)
        cols, dd, hh = nb.ravel(), d.ravel(), np.repeat(h.ravel(), k)
    else:
        assert distance is not None
        D = tree.sparse_distance_matrix(tree, float(distance), output_type="coo_matrix")
        # sparse_distance_matrix leaves out zero distances (duplicate points): add them
        pairs = tree.query_pairs(r=0.0, output_type="ndarray")
        rows = np.concatenate([D.row, pairs[:, 0], pairs[:, 1]])
        cols = np.concatenate([D.col, pairs[:, 1], pairs[:, 0]])
        dd = np.concatenate([D.data, np.zeros(2 * len(pairs))])
        off = rows != cols
        rows, cols, dd = rows[off], cols[off], dd[off]
        hh = np.full(dd.size, float(distance))
    if kernel == "gaussian":
        with np.errstate(divide="ignore", invalid="ignore"):
            w = np.where(hh > 0, np.exp(-0.5 * (dd / np.where(hh > 0, hh, 1.0)) ** 2), 1.0)
    else:
        w = np.ones(dd.size)
    W = sp.csr_matrix((w, (rows, cols)), shape=(n, n))
    W.sum_duplicates()
    rs = np.asarray(W.sum(axis=1)).ravel()
    with np.errstate(divide="ignore"):
        W = sp.csr_matrix(sp.diags(np.where(rs > 0, 1.0 / rs, 0.0)) @ W)
    W.sort_indices()
    return W


def _tail_p(
    sims: np.ndarray, observed: np.ndarray, alternative: str, permutations: int
) -> np.ndarray:
    """Pseudo p-values ``(extreme + 1) / (permutations + 1)`` per row of ``sims``."""
    tol = 1e-9 * np.maximum(1.0, np.abs(observed))[:, None]
    diff = sims - observed[:, None]
    ge: np.ndarray = ((diff >= -tol).sum(axis=1) + 1.0) / (permutations + 1.0)
    le: np.ndarray = ((diff <= tol).sum(axis=1) + 1.0) / (permutations + 1.0)
    if alternative == "greater":
        return ge
    if alternative == "less":
        return le
    return np.asarray(np.minimum(1.0, 2.0 * np.minimum(ge, le)))


def _check_positive_int(value: Any, name: str, minimum: int = 0) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < minimum:
        raise DataError(f"{name} must be an integer >= {minimum}, got {value!r}.")
    return int(value)


def colocation_quotient(
    points: gpd.GeoDataFrame,
    column: str,
    a: Hashable,
    b: Hashable,
    *,
    k: int | None = 8,
    distance: float | None = None,
    kernel: str = "gaussian",
    permutations: int = 999,
    alternative: str = "greater",
    alpha: float = 0.05,
    seed: int | None = 0,
) -> CoLocation:
    """Co-location quotient of category ``b`` around category ``a``, global and local.

    Parameters
    ----------
    points : geopandas.GeoDataFrame
        Incident points in a projected CRS (metres).
    column : str
        Column holding the category of each point (e.g. ``"crime_type"``).
    a, b : object
        Values of ``column``: the CLQ asks how many ``b`` points surround each ``a``
        point (``a == b`` measures how ``a`` clusters with itself).
    k : int or None, default 8
        Neighbourhood of each point: its ``k`` nearest other points, with the kernel's
        bandwidth adapted to the distance of the ``k``-th (Wang et al. 2017). Set
        ``k=None`` and ``distance`` for a fixed radius instead.
    distance : float, optional
        Fixed neighbourhood radius and bandwidth in metres (only with ``k=None``).
    kernel : {"gaussian", "box"}, default "gaussian"
        ``"gaussian"``: neighbour j of point i weighs ``exp(-0.5 d_ij^2 / h_i^2)``, so
        nearer neighbours count more (Wang et al. 2017); ``"box"``: all neighbours weigh
        the same, the original Leslie & Kronenfeld (2011) CLQ (with ``k=1``: the share of
        A whose nearest neighbour is B).
    permutations : int, default 999
        Random relabellings for the p-values (0: no test, p-values NaN).
    alternative : {"greater", "less", "two-sided"}, default "greater"
        "greater" tests co-location (CLQ above 1), "less" isolation (below 1).
    alpha : float, default 0.05
        Level for ``clq_label``.
    seed : int or None, default 0
        Seed of the permutations.

    Returns
    -------
    CoLocation
        Global ``clq`` and ``p_value``; per point of ``a`` its local CLQ in ``points``.

    Notes
    -----
    Local CLQ of point i of A: ``sum_j w_ij [j is B] / (N_B' / (N - 1))`` over its
    neighbours j, with weights normalised to sum to one and ``N_B' = N_B`` (``N_B - 1``
    when ``a == b``). The global CLQ is the mean of the local ones (Wang et al. 2017),
    which for ``kernel="box"`` is Leslie & Kronenfeld's ``(C_AB / N_A) / (N_B' / (N - 1))``.
    The global test relabels all points at random (counts of each category fixed); the
    local test keeps point i's label and draws its neighbours' labels from the other
    N - 1 (conditional randomisation, as esda's local statistics). Ties at the k-th
    distance are broken by the k-d tree's order.

    Examples
    --------
    >>> import geopandas as gpd
    >>> pts = gpd.GeoDataFrame({"kind": ["A", "B", "A", "B", "C", "C"]},
    ...     geometry=gpd.points_from_xy([0, 1, 10, 11, 50, 60], [0, 0, 0, 0, 0, 0]),
    ...     crs=27700)
    >>> res = colocation_quotient(pts, "kind", "A", "B", k=1, kernel="box", permutations=0)
    >>> round(res.clq, 3)  # both A have a B as nearest neighbour: 1 / (2 / 5)
    2.5
    """
    pts = require_geodataframe(points, "points")
    require_projected(pts, "points")
    require_nonempty(pts, "points")
    require_points(pts, "points")
    require_columns(pts, [column], "points")
    labels = pts[column]
    if bool(labels.isna().any()):
        rows = list(pts.index[labels.isna().to_numpy()][:10])
        raise DataError(
            f"points column {column!r} has {int(labels.isna().sum())} missing categories "
            f"(index {rows}); fill them (e.g. 'Unknown') or drop those rows first."
        )
    values = set(pd.unique(labels))
    for name, v in (("a", a), ("b", b)):
        if v not in values:
            have = ", ".join(map(repr, sorted(map(str, values))[:15]))
            raise DataError(f"{name}={v!r} is not a value of column {column!r}; it has: {have}.")
    if kernel not in _KERNELS:
        raise DataError(f"kernel must be one of {_KERNELS}, got {kernel!r}.")
    if alternative not in _ALTERNATIVES:
        raise DataError(f"alternative must be one of {_ALTERNATIVES}, got {alternative!r}.")
    permutations = _check_positive_int(permutations, "permutations")
    n = len(pts)
    if (k is None) == (distance is None):
        raise DataError("Give exactly one neighbourhood: k (nearest points) or distance (m).")
    if k is not None:
        k = _check_positive_int(k, "k", 1)
        if k >= n:
            raise DataError(f"k={k} but there are only {n} points; k must be at most {n - 1}.")
    elif not (isinstance(distance, int | float) and np.isfinite(distance) and distance > 0):
        raise DataError(f"distance must be a positive number of metres, got {distance!r}.")

    xy = np.column_stack([pts.geometry.x.to_numpy(), pts.geometry.y.to_numpy()])
    is_a = (labels == a).to_numpy()
    is_b = (labels == b).to_numpy()
    n_a, n_b = int(is_a.sum()), int(is_b.sum())
    same = bool(a == b)
    n_b_other = n_b - 1 if same else n_b
    if n_b_other < 1:
        raise DataError(f"b={b!r} needs at least {2 if same else 1} points to measure a CLQ.")
    W = _neighbourhoods(xy, k, distance, kernel)
    n_nb = np.diff(W.indptr)
    expect = n_b_other / (n - 1)
    local_all = (W @ is_b.astype(float)) / expect
    ia = np.flatnonzero(is_a)
    has = n_nb[ia] > 0
    local = np.where(has, local_all[ia], np.nan)
    if not has.any():
        raise DataError(
            f"no point of a={a!r} has a neighbour within distance={distance} m; use a "
            "larger distance or k nearest neighbours."
        )
    if not has.all():
        warnings.warn(
            f"{int((~has).sum())} of {n_a} points of {a!r} have no neighbour within "
            f"{distance} m; their local CLQ is NaN and they are left out of the global CLQ.",
            HotspotsWarning,
            stacklevel=2,
        )
    clq = float(np.nanmean(local))

    rng = _rng(seed)
    p_global = float("nan")
    p_local = np.full(n_a, np.nan)
    if permutations:
        # global: relabel every point (category counts fixed), recompute the mean
        sims = np.empty(permutations)
        lab = np.where(is_a & is_b, 3, np.where(is_a, 1, np.where(is_b, 2, 0)))
        has_nb = n_nb > 0
        step = max(1, min(permutations, 2_000_000 // max(n, 1)))
        for lo in range(0, permutations, step):
            m = min(step, permutations - lo)
            perm = np.stack([rng.permutation(lab) for _ in range(m)], axis=1)
            pa = ((perm & 1) == 1) & has_nb[:, None]
            pb = (perm >= 2).astype(float)
            lag = np.asarray(W @ pb)
            sims[lo : lo + m] = (lag * pa).sum(axis=0) / pa.sum(axis=0) / expect
        p_global = float(_tail_p(sims[None, :], np.array([clq]), alternative, permutations)[0])
        # local: point i keeps its label; its neighbours' labels are drawn without
        # replacement from the other N - 1 (N_B' of them B), one shared table of draws
        Wa = W[ia]
        kmax = int(np.diff(Wa.indptr).max()) if n_a else 0
        table = np.zeros((max(kmax, 1), permutations))
        left_b = np.full(permutations, float(n_b_other))
        left = float(n - 1)
        for pos in range(kmax):
            draw = rng.random(permutations) < left_b / left
            table[pos] = draw
            left_b -= draw
            left -= 1.0
        # each row's weights in neighbour order, padded to kmax
        counts = np.diff(Wa.indptr)
        rank = np.arange(Wa.nnz) - np.repeat(Wa.indptr[:-1], counts)
        for lo in range(0, n_a, _BLOCK_ROWS):
            hi = min(n_a, lo + _BLOCK_ROWS)
            sl = slice(Wa.indptr[lo], Wa.indptr[hi])
            dense = np.zeros((hi - lo, max(kmax, 1)))
            dense[np.repeat(np.arange(hi - lo), counts[lo:hi]), rank[sl]] = Wa.data[sl]
            block = dense @ table / expect
            p_local[lo:hi] = _tail_p(block, local[lo:hi], alternative, permutations)
        p_local[~has] = np.nan

    with np.errstate(invalid="ignore"):
        sig = np.isfinite(p_local) & (p_local <= alpha)
    label = np.full(n_a, "Not significant", dtype=object)
    label[sig & (local > 1)] = "Co-located"
    label[sig & (local < 1)] = "Isolated"
    label[~has] = "No neighbours"
    out = pts.iloc[ia].copy()
    out["clq_local"] = local
    out["clq_p_sim"] = p_local
    out["clq_label"] = label
    out["n_neighbours"] = n_nb[ia].astype(np.int64)
    params = {
        "column": column,
        "a": a,
        "b": b,
        "k": k,
        "distance": distance,
        "kernel": kernel,
        "permutations": permutations,
        "alternative": alternative,
        "alpha": alpha,
    }
    _provenance.record(
        out,
        method="Co-location quotient (Leslie & Kronenfeld 2011; local: Wang et al. 2017)",
        parameters=params,
        seed=seed,
        inherit=pts,
        clq=clq,
        p_value=p_global,
    )
    prov = {**_provenance.get_provenance(out), "a": a, "b": b}
    return CoLocation(clq=clq, p_value=p_global, points=out, n_a=n_a, n_b=n_b, n=n, provenance=prov)


def bivariate_moran(
    areas: gpd.GeoDataFrame,
    x: str,
    y: str,
    *,
    neighbours: str = "queen",
    distance: float | None = None,
    k: int | None = None,
    permutations: int = 999,
    fdr: bool = False,
    alpha: float = 0.05,
    seed: int | None = 0,
) -> gpd.GeoDataFrame:
    """Bivariate local Moran's I: each area's ``x`` against its neighbours' ``y``.

    High-High means a high ``x`` (e.g. violence rate) surrounded by high ``y`` (e.g.
    deprivation score); High-Low a high ``x`` among low ``y`` and so on.

    Parameters
    ----------
    areas : geopandas.GeoDataFrame
        Areas (polygons or points) in a projected CRS.
    x, y : str
        Numeric columns: ``x`` at the area, ``y`` in its neighbourhood (spatial lag).
    neighbours, distance, k
        Weights, see :func:`hotspots.hotspot.build_weights` (then row-standardised).
    permutations : int, default 999
        Conditional permutations of ``y`` for ``bv_p_sim`` (at least 1).
    fdr : bool, default False
        Judge significance with the Benjamini-Hochberg cut-off at ``alpha``.
    alpha : float, default 0.05
        Level compared with ``bv_p_sim`` (one-tailed in the observed direction, as esda).
    seed : int or None, default 0
        Seed of the permutations.

    Returns
    -------
    geopandas.GeoDataFrame
        Copy of ``areas`` with ``bv_i`` (local statistic), ``bv_p_sim``, ``bv_lag``
        (neighbours' mean standardised ``y``), ``bv_quad`` ("HH", "LL", "HL", "LH":
        ``x`` then lag of ``y``; "Not significant"; "No neighbours") and
        ``n_neighbours``. The global bivariate Moran's I is in
        ``attrs["hotspots"]["global_i"]``.

    Notes
    -----
    ``I_i = (n - 1) zx_i sum_j w_ij zy_j / sum_j zx_j^2`` with z-scores by population
    standard deviation and row-standardised ``w``: :class:`esda.moran.Moran_Local_BV`.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> cells = gpd.GeoDataFrame({"v": [1.0, 2, 6, 7], "d": [2.0, 1, 5, 8]},
    ...     geometry=[box(i, 0, i + 1, 1) for i in range(4)], crs=27700)
    >>> out = bivariate_moran(cells, "v", "d", neighbours="rook", permutations=9)
    >>> out["bv_i"].round(3).tolist()
    [0.967, 0.107, 0.107, 0.322]
    """
    cells = require_geodataframe(areas, "areas")
    require_projected(cells, "areas")
    require_nonempty(cells, "areas")
    xv = require_numeric(cells, x, "areas")
    yv = require_numeric(cells, y, "areas")
    permutations = _check_positive_int(permutations, "permutations", 1)
    n = len(cells)
    if n < 3:
        raise DataError(f"bivariate Moran needs at least 3 areas, got {n}.")
    for name, v in ((x, xv), (y, yv)):
        if not v.std() > 1e-12 * max(1.0, float(np.abs(v).max())):
            raise DataError(
                f"areas column {name!r} has the same value everywhere; nothing to relate."
            )
    W, info = build_weights(cells, neighbours=neighbours, distance=distance, k=k)
    W = sp.csr_matrix(W, dtype=float)
    W.setdiag(0)
    W.eliminate_zeros()
    rs = np.asarray(W.sum(axis=1)).ravel()
    Wr = sp.csr_matrix(sp.diags(np.where(rs > 0, 1.0 / np.where(rs > 0, rs, 1.0), 0.0)) @ W)
    Wr.sort_indices()
    nk = np.diff(Wr.indptr)
    zx = (xv - xv.mean()) / xv.std()
    zy = (yv - yv.mean()) / yv.std()
    lag = Wr @ zy
    Is = (n - 1) * zx * lag / (zx * zx).sum()
    global_i = float((zx * lag).sum() / (zx * zx).sum())
    p = _tail_counts(zy, Wr, lag, np.sign(zx), permutations, _rng(seed))
    islands = nk == 0
    Is[islands] = np.nan
    p[islands] = np.nan
    if islands.any():
        rows = list(cells.index[islands][:10])
        warnings.warn(
            f"{int(islands.sum())} of {n} areas have no neighbours (index {rows}); their "
            "statistics are NaN and they are labelled 'No neighbours'. Use distance or knn "
            "weights, or drop isolated areas.",
            HotspotsWarning,
            stacklevel=2,
        )
    cut = false_discovery_rate(p, alpha) if fdr else alpha
    with np.errstate(invalid="ignore"):
        sig = np.isfinite(p) & (p <= cut)
    quad = np.full(n, "Not significant", dtype=object)
    quad[sig & (zx > 0) & (lag > 0)] = "HH"
    quad[sig & (zx <= 0) & (lag <= 0)] = "LL"
    quad[sig & (zx > 0) & (lag <= 0)] = "HL"
    quad[sig & (zx <= 0) & (lag > 0)] = "LH"
    quad[islands] = "No neighbours"
    out = cells.copy()
    out["bv_i"] = Is
    out["bv_p_sim"] = p
    out["bv_lag"] = lag
    out["bv_quad"] = quad
    out["n_neighbours"] = nk.astype(np.int64)
    params = {"x": x, "y": y, **info, "permutations": permutations, "fdr": fdr, "alpha": alpha}
    _provenance.record(
        out,
        method="Bivariate local Moran's I (as esda Moran_Local_BV)",
        parameters=params,
        seed=seed,
        inherit=cells,
        global_i=global_i,
    )
    return out


_MAP_COLOURS = {
    "HH": "#d7191c",
    "HL": "#fdae61",
    "LH": "#abd9e9",
    "LL": "#2c7bb6",
    "Co-located": "#d7191c",
    "Isolated": "#2c7bb6",
    "Not significant": "#eeeeee",
    "No neighbours": "#999999",
    "No incidents": "#ffffff",
}


def relation_map(
    areas: gpd.GeoDataFrame,
    *,
    column: str = "bv_quad",
    title: str | None = None,
    path: str | Path | None = None,
    suppress_below: int = 5,
    tiles: str | None = "CartoDB positron",
) -> folium.Map:
    """Map bivariate Moran quadrants or co-location by area (Folium).

    Parameters
    ----------
    areas : geopandas.GeoDataFrame
        Output of :func:`bivariate_moran` (``column="bv_quad"``) or of
        :meth:`CoLocation.by_area` (``column="clq_area"``).
    column : str, default "bv_quad"
        The label column to colour by.
    title : str, optional
        Heading shown on the map.
    path : str or Path, optional
        Also save the map as a standalone HTML file.
    suppress_below : int, default 5
        Counts under this are shown as ``"<5"`` in pop-ups.
    tiles : str or None, default "CartoDB positron"
        Basemap, as :func:`hotspots.maps.hotspot_map`.

    Returns
    -------
    folium.Map
    """
    from ._html import add_page, display_frame, geojson_layer, new_map, period_text, save
    from ._mapstyle import count_text, legend_html, tip_html

    gdf = require_geodataframe(areas, "areas")
    require_columns(gdf, [column], "areas")
    frame = display_frame(gdf, "areas")
    prov = _provenance.get_provenance(gdf)
    params = prov.get("parameters", {})
    labels = frame[column].astype(str).to_numpy()
    unknown = sorted(set(labels) - set(_MAP_COLOURS))
    if unknown:
        raise DataError(f"areas column {column!r} has labels this map does not know: {unknown}.")
    if column == "bv_quad":
        x, y = params.get("x", "x"), params.get("y", "y")
        meaning = {
            "HH": f"High {x}, high {y} around",
            "LL": f"Low {x}, low {y} around",
            "HL": f"High {x}, low {y} around",
            "LH": f"Low {x}, high {y} around",
        }
        heading = "Bivariate local Moran"
    else:
        a, b = prov.get("a", params.get("a", "A")), prov.get("b", params.get("b", "B"))
        meaning = {"Co-located": f"{b} gathers around {a}"}
        heading = "Co-location (local CLQ)"
    name_col = next((c for c in ("name", "code", "cell_id") if c in frame.columns), None)
    tips = []
    for _, row in _rows(frame):
        lab = str(row[column])
        rows = [("Class", meaning.get(lab, lab))]
        for col, text in (("bv_i", "Local I"), ("bv_p_sim", "p"), ("clq_mean", "Mean local CLQ")):
            if col in frame.columns and np.isfinite(row[col]):
                rows.append((text, f"{row[col]:.3g}"))
        if "clq_n" in frame.columns:
            rows.append((f"Incidents of {params.get('a', 'A')}",
                         count_text(row["clq_n"], suppress_below)))  # fmt: skip
        tips.append(tip_html(str(row[name_col]) if name_col else None, rows))
    layer = geojson_layer(
        frame,
        tips,
        [_MAP_COLOURS[lab] for lab in labels],
        name=heading,
        style=lambda c: {"fillColor": c, "color": "#555555", "weight": 0.5, "fillOpacity": 0.7},
    )
    m: folium.Map = new_map([frame], tiles=tiles)
    layer.add_to(m)
    present = [lab for lab in _MAP_COLOURS if lab in set(labels)]
    legend = legend_html(heading, [(_MAP_COLOURS[lab], meaning.get(lab, lab)) for lab in present])
    add_page(
        m,
        title=title or heading,
        period=period_text(gdf),
        layers=[(heading, gdf)],
        legends=[legend],
        notes=[
            f"Counts under {suppress_below} are shown as <{suppress_below}.",
            "Incident points are not shown.",
        ],
    )
    save(m, path)
    return m
