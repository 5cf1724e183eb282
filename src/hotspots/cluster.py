"""Density-based clusters of incidents (DBSCAN, HDBSCAN) with readable cluster summaries.

Both work on coordinates in metres (DBSCAN on a cKDTree, giving scikit-learn's labels
exactly; HDBSCAN through scikit-learn) and return a :class:`Clusters` holding per-point
labels and a table with one row per cluster: its outline, size,
crime-type mix, first and last month, area and density.

A cluster's outline is the union of the :data:`OUTLINE_CELL_M` grid squares that hold at
least one member. It is safe to publish: unlike a convex hull, its vertices are grid
corners, not incident locations; the grid is offset from round coordinates (on which some
police.uk map points sit) and shifted further (by a fraction of a square, the same shift
for every cluster) until no corner on an outline lies within
:data:`OUTLINE_CLEARANCE_M` of any input point, so not even by chance does a vertex sit on
an incident's map point.

Cluster numbers are relabelled by size: 0 is the largest cluster (ties: the one whose
first member comes first in the input), -1 is noise.
"""

from __future__ import annotations

import math
from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ._errors import DataError
from ._provenance import record
from ._validate import require_geodataframe, require_nonempty, require_points, require_projected

if TYPE_CHECKING:
    import geopandas as gpd

__all__ = ["Clusters", "dbscan_clusters", "hdbscan_clusters"]

#: Side (metres) of the grid squares whose union outlines a cluster.
OUTLINE_CELL_M = 100.0
#: Least distance (metres) from an outline vertex to any input point; a map rounds
#: longitude/latitude to 5 decimals (about 1 m), so 1.5 m keeps them apart on the page.
OUTLINE_CLEARANCE_M = 1.5
#: From this many distinct locations DBSCAN runs in scikit-learn (same labels): its
#: import no longer matters and it holds neighbourhoods in less memory than all pairs.
DBSCAN_SKLEARN_FROM = 50_000


@dataclass(frozen=True)
class Clusters:
    """Result of :func:`dbscan_clusters` / :func:`hdbscan_clusters`.

    Attributes
    ----------
    labels : pandas.Series
        Cluster number per input point (aligned to the input index), -1 for noise.
    points : GeoDataFrame
        Copy of the input with a ``cluster`` column.
    table : GeoDataFrame
        One row per cluster: ``cluster``, ``count``, ``top_crime_types`` (the three
        commonest ``crime_type`` values with their shares, "" without that column),
        ``first_month``, ``last_month`` (from ``month``, else None), ``area_km2`` and
        ``density_per_km2`` of the outline, and the outline (grid squares holding a member)
        as geometry.
    provenance : dict
        Method and parameters (also in ``table.attrs["hotspots"]``).
    """

    labels: pd.Series
    points: gpd.GeoDataFrame
    table: gpd.GeoDataFrame
    provenance: dict[str, Any] = field(default_factory=dict)

    @property
    def n_clusters(self) -> int:
        """Number of clusters (noise excluded)."""
        return len(self.table)


def _prepare(points: Any) -> tuple[gpd.GeoDataFrame, np.ndarray]:
    import shapely

    pts = require_geodataframe(points, "points")
    require_nonempty(pts, "points")
    require_projected(pts, "points")
    require_points(pts, "points")
    return pts, shapely.get_coordinates(pts.geometry.to_numpy())


def _positive_int(value: Any, name: str, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < minimum:
        raise DataError(f"{name} must be a whole number ≥ {minimum}, got {value!r}.")
    return int(value)


def _relabel(raw: np.ndarray) -> np.ndarray:
    """Renumber clusters by descending size (ties: first appearance); noise stays -1."""
    out = np.full(len(raw), -1, dtype=np.int64)
    mask = raw >= 0
    if not mask.any():
        return out
    uniq, first, counts = np.unique(raw[mask], return_index=True, return_counts=True)
    order = np.lexsort((first, -counts))
    new = np.empty(len(uniq), dtype=np.int64)
    new[order] = np.arange(len(uniq))
    out[mask] = new[np.searchsorted(uniq, raw[mask])]
    return out


def _mix(types: pd.Series) -> str:
    shares = types.value_counts(normalize=True, dropna=False).head(3)
    return ", ".join(f"{k} {v:.0%}" for k, v in shares.items())


def _outline_cells(
    xy: np.ndarray, lab: np.ndarray, k: int, offset: float, size: float = OUTLINE_CELL_M
) -> np.ndarray:
    """For each cluster ``0..k-1``: the union of the ``size`` grid squares (corners at
    ``offset`` + multiples of ``size``) holding at least one of its points ``xy``."""
    import shapely

    if k == 0:
        return np.empty(0, dtype=object)
    cells = np.floor((xy - offset) / size).astype(np.int64)
    low = cells.min(axis=0)
    cx, cy = cells[:, 0] - low[0], cells[:, 1] - low[1]
    nx, ny = int(cx.max()) + 1, int(cy.max()) + 1
    key = np.unique((lab.astype(np.int64) * nx + cx) * ny + cy)  # one sort for all
    which, rest = np.divmod(key, nx * ny)
    x0 = (rest // ny + low[0]) * size + offset
    y0 = (rest % ny + low[1]) * size + offset
    boxes = shapely.box(x0, y0, x0 + size, y0 + size)
    bounds = np.searchsorted(which, np.arange(k + 1))
    return np.asarray(
        [shapely.coverage_union_all(boxes[bounds[c] : bounds[c + 1]]) for c in range(k)],
        dtype=object,
    )


def _outlines(xy: np.ndarray, lab: np.ndarray, k: int, everyone: np.ndarray) -> np.ndarray:
    """Outlines of clusters ``0..k-1``, on the first grid shift whose outline vertices
    all keep :data:`OUTLINE_CLEARANCE_M` from every point in ``everyone``."""
    import shapely
    from scipy.spatial import cKDTree

    tree = cKDTree(everyone)
    outlines = np.empty(0, dtype=object)
    for step in range(8):
        # never on round coordinates: some published map points sit on them
        offset = OUTLINE_CELL_M * (step + 0.5) / 8
        outlines = _outline_cells(xy, lab, k, offset)
        corners = shapely.get_coordinates(outlines)
        if not len(corners) or tree.query(corners)[0].min() > OUTLINE_CLEARANCE_M:
            break
    return outlines


def _table(pts: gpd.GeoDataFrame, xy: np.ndarray, labels: np.ndarray) -> gpd.GeoDataFrame:
    import geopandas as gpd
    import shapely

    mask = labels >= 0
    k = int(labels.max()) + 1 if mask.any() else 0
    lab = labels[mask]
    hulls = _outlines(xy[mask], lab, k, xy)
    counts = np.bincount(lab, minlength=k)
    area_km2 = shapely.area(hulls) / 1e6 if k else np.empty(0)
    table = pd.DataFrame({"cluster": np.arange(k, dtype=np.int64), "count": counts})
    members = pts.loc[mask].assign(_c=lab)
    if "crime_type" in pts.columns:
        mix = members.groupby("_c")["crime_type"].apply(_mix)
        table["top_crime_types"] = mix.reindex(table["cluster"]).fillna("").to_numpy()
    else:
        table["top_crime_types"] = ""
    if "month" in pts.columns:
        months = members["month"].astype("string")
        grouped = months.groupby(members["_c"])
        table["first_month"] = grouped.min().reindex(table["cluster"]).to_numpy()
        table["last_month"] = grouped.max().reindex(table["cluster"]).to_numpy()
    else:
        table["first_month"] = None
        table["last_month"] = None
    table["area_km2"] = area_km2
    table["density_per_km2"] = counts / np.where(area_km2 > 0, area_km2, np.nan)
    return gpd.GeoDataFrame(table, geometry=list(hulls), crs=pts.crs)


def _finish(
    pts: gpd.GeoDataFrame,
    xy: np.ndarray,
    raw: np.ndarray,
    method: str,
    parameters: dict[str, Any],
    **extra: Any,
) -> Clusters:
    labels = _relabel(raw)
    table = _table(pts, xy, labels)
    series = pd.Series(labels, index=pts.index, name="cluster")
    out = pts.copy()
    out["cluster"] = labels
    n_noise = int((labels < 0).sum())
    for obj in (table, out):
        record(
            obj,
            method=method,
            parameters=parameters,
            inherit=pts,
            n_clusters=len(table),
            n_noise=n_noise,
            **extra,
        )
    return Clusters(
        labels=series, points=out, table=table, provenance=dict(table.attrs["hotspots"])
    )


def _dbscan_labels(xy: np.ndarray, weights: np.ndarray, eps: float, min_samples: int) -> np.ndarray:
    """scikit-learn's ``DBSCAN(eps, min_samples).fit(xy, sample_weight=weights).labels_``.

    A point is core when the weights within ``eps`` (itself included) reach
    ``min_samples``; clusters are the connected groups of core points, numbered in the
    order of their first core point; a border point joins the lowest-numbered cluster with
    a core point within ``eps`` (scikit-learn expands each cluster fully before the next,
    so the first to reach a border point has the lowest number). Built on a cKDTree and
    scipy's connected components: importing scikit-learn's clustering costs more than
    clustering a month of incidents.
    """
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components
    from scipy.spatial import cKDTree

    n = len(xy)
    pairs = cKDTree(xy).query_pairs(eps, output_type="ndarray")
    i, j = pairs[:, 0], pairs[:, 1]
    w = np.asarray(weights, dtype=float)
    near = w + np.bincount(i, weights=w[j], minlength=n) + np.bincount(j, weights=w[i], minlength=n)
    core = near >= min_samples
    both = core[i] & core[j]
    graph = coo_matrix((np.ones(int(both.sum())), (i[both], j[both])), shape=(n, n))
    _, comp = connected_components(graph, directed=False)
    labels = np.full(n, -1, dtype=np.int64)
    core_idx = np.flatnonzero(core)
    if len(core_idx) == 0:
        return labels
    groups, first = np.unique(comp[core_idx], return_index=True)
    number = np.empty(len(groups), dtype=np.int64)
    number[np.argsort(first, kind="stable")] = np.arange(len(groups))
    labels[core_idx] = number[np.searchsorted(groups, comp[core_idx])]
    to_i = core[j] & ~core[i]  # border point i next to core point j
    to_j = core[i] & ~core[j]
    border = np.concatenate([i[to_i], j[to_j]])
    via = np.concatenate([labels[j[to_i]], labels[i[to_j]]])
    best = np.full(n, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(best, border, via)
    reached = ~core & (best < np.iinfo(np.int64).max)
    labels[reached] = best[reached]
    return labels


def dbscan_clusters(
    points: gpd.GeoDataFrame, *, eps: float, min_samples: int, by: str | None = None
) -> Clusters:
    """DBSCAN clusters of points, ``eps`` in metres.

    Points at identical coordinates (police.uk publishes crimes at shared anonymised map
    points) are merged and counted with their multiplicity (scikit-learn's
    ``sample_weight``): the same core points and clusters as running DBSCAN on every
    point, with far less memory. The labels equal scikit-learn's ``DBSCAN`` (tested):
    below :data:`DBSCAN_SKLEARN_FROM` distinct locations they are computed from a
    cKDTree and scipy's connected components (no scikit-learn import), above it by
    scikit-learn itself. With ``by`` (e.g. ``"crime_type"``) each category is
    clustered on its own and cluster numbers are unique across categories.

    Parameters
    ----------
    points : GeoDataFrame
        Points in a projected CRS (metres).
    eps : float
        Neighbourhood radius in metres.
    min_samples : int
        Points (the point itself included) within ``eps`` for a core point.
    by : str, optional
        Column to cluster separately by.

    Returns
    -------
    Clusters

    Examples
    --------
    >>> import geopandas as gpd
    >>> pts = gpd.GeoDataFrame(
    ...     geometry=gpd.points_from_xy([0, 5, 10, 500, 505, 1000], [0, 0, 0, 0, 0, 0]), crs=27700
    ... )
    >>> res = dbscan_clusters(pts, eps=20, min_samples=2)
    >>> res.labels.tolist(), res.table["count"].tolist()
    ([0, 0, 0, 1, 1, -1], [3, 2])
    """
    pts, xy = _prepare(points)
    try:
        eps_m = float(eps)
    except (TypeError, ValueError):
        raise DataError(f"eps must be a distance in metres, got {eps!r}.") from None
    if not (math.isfinite(eps_m) and eps_m > 0):
        raise DataError(f"eps must be a positive distance in metres, got {eps!r}.")
    ms = _positive_int(min_samples, "min_samples")
    if by is not None and by not in pts.columns:
        raise DataError(f"points has no column {by!r} to cluster by.")
    groups: list[tuple[Hashable, np.ndarray]]
    if by is None:
        groups = [(None, np.arange(len(pts)))]
    else:
        codes, cats = pd.factorize(pts[by], use_na_sentinel=False)
        groups = [(cats[j], np.flatnonzero(codes == j)) for j in range(len(cats))]
    raw = np.full(len(pts), -1, dtype=np.int64)
    offset = 0
    n_unique = 0
    for _, idx in groups:
        z = np.ascontiguousarray(xy[idx], dtype=np.float64).view(np.complex128).ravel()
        uz, inverse = np.unique(z, return_inverse=True)  # 1-D sort: fast
        uniq = np.column_stack([uz.real, uz.imag])
        weights = np.bincount(inverse.ravel(), minlength=len(uniq))
        n_unique += len(uniq)
        if len(uniq) < DBSCAN_SKLEARN_FROM:
            ulab = _dbscan_labels(uniq, weights, eps_m, ms)
        else:  # its neighbourhoods take less memory than all pairs at once
            from sklearn.cluster import DBSCAN

            model = DBSCAN(eps=eps_m, min_samples=ms, algorithm="kd_tree")
            # every location once: no weights (scikit-learn sums weights point by point)
            shared = weights if len(uniq) < len(idx) else None
            ulab = model.fit(uniq, sample_weight=shared).labels_
        lab = ulab[inverse.ravel()]
        raw[idx] = np.where(lab >= 0, lab + offset, -1)
        offset += int(ulab.max()) + 1 if (ulab >= 0).any() else 0
    return _finish(
        pts,
        xy,
        raw,
        "DBSCAN",
        {"eps": eps_m, "min_samples": ms, "by": by},
        n_distinct_locations=n_unique,
    )


def hdbscan_clusters(
    points: gpd.GeoDataFrame, *, min_cluster_size: int, min_samples: int | None = None
) -> Clusters:
    """HDBSCAN clusters of points (scikit-learn's ``HDBSCAN``, Euclidean metres).

    The points are clustered in coordinate order, so the same incidents give the same
    clusters whatever the order of the rows (with shared map points, scikit-learn's
    labels otherwise depend on it).

    Parameters
    ----------
    points : GeoDataFrame
        Points in a projected CRS (metres).
    min_cluster_size : int
        Smallest group of points counted as a cluster (≥ 2).
    min_samples : int, optional
        Neighbours for a core point; defaults to ``min_cluster_size``.

    Returns
    -------
    Clusters

    Examples
    --------
    >>> import geopandas as gpd
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> x = np.r_[rng.normal(0, 10, 30), rng.normal(1000, 10, 30)]
    >>> pts = gpd.GeoDataFrame(geometry=gpd.points_from_xy(x, rng.normal(0, 10, 60)), crs=27700)
    >>> hdbscan_clusters(pts, min_cluster_size=10).n_clusters
    2
    """
    from sklearn.cluster import HDBSCAN

    pts, xy = _prepare(points)
    mcs = _positive_int(min_cluster_size, "min_cluster_size", minimum=2)
    ms = None if min_samples is None else _positive_int(min_samples, "min_samples")
    if len(pts) < 2:
        raise DataError("HDBSCAN needs at least 2 points.")
    # police.uk incidents share anonymised map points, so mutual-reachability distances
    # tie and scikit-learn's labels depend on the order of the rows. Clustering the
    # points sorted by coordinates makes the result independent of the input order.
    order = np.lexsort((xy[:, 1], xy[:, 0]))
    model = HDBSCAN(min_cluster_size=mcs, min_samples=ms, copy=True)
    raw = np.empty(len(xy), dtype=np.int64)
    raw[order] = model.fit(xy[order]).labels_
    # HDBSCAN marks infinite/missing values -2/-3; coordinates are finite so only -1 appears
    raw = np.where(raw >= 0, raw, -1)
    return _finish(pts, xy, raw, "HDBSCAN", {"min_cluster_size": mcs, "min_samples": ms})
