"""Hot spots on cells: Getis-Ord Gi* and local Moran's I (optimized hot spot analysis is
in :mod:`hotspots.optimized`).

The array-level engines (:func:`gi_star_arrays`, :func:`local_moran_arrays`) take numpy
arrays and a scipy sparse weights matrix; :func:`gi_star` and :func:`local_moran` work
on GeoDataFrames and record provenance.
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any, NotRequired, TypedDict

import numpy as np
import pandas as pd
import scipy.sparse as sp

from . import _provenance
from ._errors import DataError, HotspotsWarning
from ._fdr import BIN_LABELS, false_discovery_rate, fdr_significant, gi_bins
from ._gistar import GiResult, LocalMoranResult, gi_star_arrays, local_moran_arrays
from ._validate import require_geodataframe, require_nonempty, require_numeric, require_projected
from ._weights import (
    contiguity_weights,
    distance_band_weights,
    knn_weights,
    min_threshold_distance,
)

if TYPE_CHECKING:
    import geopandas as gpd

__all__ = [
    "BIN_LABELS",
    "GiResult",
    "LocalMoranResult",
    "WeightsInfo",
    "build_weights",
    "exposure_strata",
    "false_discovery_rate",
    "fdr_significant",
    "gi_bins",
    "gi_star",
    "gi_star_arrays",
    "local_moran",
    "local_moran_arrays",
]

_NEIGHBOURS = ("distance", "knn", "queen", "rook")
_INFERENCE = ("permutation", "analytic")
#: Fewest cells for a meaningful Gi* test (ArcGIS's Hot Spot Analysis minimum).
MIN_CELLS = 30
#: Fewest incidents (whole-number counts) for a meaningful Gi* test; see the guide.
MIN_INCIDENTS = 30
NO_NEIGHBOURS = "No neighbours"
NO_VARIATION = "No variation"


class WeightsInfo(TypedDict):
    """How :func:`build_weights` chose the neighbours (recorded in provenance)."""

    #: "distance", "knn", "queen" or "rook".
    neighbours: str
    #: Neighbours per cell, for "knn".
    k: NotRequired[int]
    #: Distance band in metres, for "distance" (None when there are under two cells).
    distance: NotRequired[float | None]
    #: How the band was chosen when no ``distance`` was given.
    distance_rule: NotRequired[str]


def build_weights(
    cells: gpd.GeoDataFrame,
    *,
    neighbours: str = "distance",
    distance: float | None = None,
    k: int | None = None,
) -> tuple[sp.csr_matrix, WeightsInfo]:
    """Binary weights (zero diagonal) for ``cells`` and a description of them.

    Parameters
    ----------
    cells : geopandas.GeoDataFrame
        Polygons or points in a projected CRS (metres).
    neighbours : {"distance", "knn", "queen", "rook"}
        ``"distance"``: cells whose centroids lie within ``distance`` metres; if
        ``distance`` is None, the ArcGIS default, the smallest band that gives every cell
        at least one neighbour (the largest nearest-neighbour distance). ``"knn"``: the
        ``k`` nearest centroids (default 8, ArcGIS's recommended minimum; not symmetric).
        ``"queen"``/``"rook"``: polygons sharing a vertex / an edge.
    distance : float, optional
        Distance band in metres.
    k : int, optional
        Number of neighbours for ``"knn"``.

    Returns
    -------
    (scipy.sparse.csr_matrix, WeightsInfo)
    """
    if neighbours not in _NEIGHBOURS:
        raise DataError(f"neighbours must be one of {_NEIGHBOURS}, got {neighbours!r}.")
    n = len(cells)
    info: WeightsInfo = {"neighbours": neighbours}
    if neighbours in ("queen", "rook"):
        types = set(cells.geometry.geom_type.unique())
        if not types <= {"Polygon", "MultiPolygon"}:
            raise DataError(
                f"{neighbours} contiguity needs polygons, found {sorted(types)}; "
                "use neighbours='distance' or 'knn' for points."
            )
        return contiguity_weights(cells.geometry.to_numpy(), rook=neighbours == "rook"), info
    geom = cells.geometry
    pts = geom if set(geom.geom_type.unique()) == {"Point"} else geom.centroid
    xy = np.column_stack([pts.x.to_numpy(), pts.y.to_numpy()])
    if neighbours == "knn":
        kk = 8 if k is None else int(k)
        if n - 1 < 1:
            raise DataError("k nearest neighbours needs at least two cells.")
        if kk >= n:
            raise DataError(f"k={kk} but there are only {n} cells; k must be at most {n - 1}.")
        info["k"] = kk
        return knn_weights(xy, kk), info
    if distance is None:
        if n < 2:
            return sp.csr_matrix((n, n)), {**info, "distance": None}
        # a hair above the largest nearest-neighbour distance, against rounding
        distance = min_threshold_distance(xy) * (1 + 1e-9)
        info["distance_rule"] = "largest nearest-neighbour distance (every cell has a neighbour)"
    info["distance"] = float(distance)
    return distance_band_weights(xy, float(distance)), info


def _prepare(cells: Any, column: str, name: str = "cells") -> tuple[Any, np.ndarray]:
    cells = require_geodataframe(cells, name)
    require_projected(cells, name)
    require_nonempty(cells, name)
    geom = cells.geometry
    missing = (geom.isna() | geom.is_empty).to_numpy()
    if missing.any():
        rows = list(cells.index[missing][:10])
        raise DataError(
            f"{name} has {int(missing.sum())} missing or empty geometries (index {rows}); "
            "drop them or rebuild the cells with hex_grid/square_grid first."
        )
    y = require_numeric(cells, column, name)
    return cells, y


def _warn_islands(cells: Any, k: np.ndarray) -> None:
    islands = np.flatnonzero(k == 0)
    if islands.size:
        rows = list(cells.index[islands][:10])
        warnings.warn(
            f"{islands.size} of {len(k)} cells have no neighbours (index {rows}"
            f"{' ...' if islands.size > 10 else ''}); their statistics are NaN and they are "
            f"labelled {NO_NEIGHBOURS!r}. Use a larger distance, k nearest neighbours, "
            "or drop isolated cells.",
            HotspotsWarning,
            stacklevel=3,
        )


def _check_gi_input(cells: Any, column: str, y: np.ndarray, permutations: Any) -> None:
    """Gi* needs non-negative values (counts, sums, rates) and a whole number of permutations."""
    if isinstance(permutations, bool) or not isinstance(permutations, (int, np.integer)):
        raise DataError(f"permutations must be a whole number (0 to skip), got {permutations!r}.")
    if permutations < 0:
        raise DataError(f"permutations must be 0 or more, got {permutations}.")
    negative = y < 0
    if negative.any():
        rows = list(cells.index[negative][:10])
        raise DataError(
            f"cells column {column!r} has {int(negative.sum())} negative value(s) (index "
            f"{rows}); Gi* needs counts, sums or rates, which cannot be negative. For "
            "changes that can be negative use local_moran."
        )


def gi_star(
    cells: gpd.GeoDataFrame,
    column: str,
    *,
    neighbours: str = "distance",
    distance: float | None = None,
    k: int | None = None,
    permutations: int = 999,
    inference: str = "permutation",
    fdr: bool = True,
    alpha: float = 0.05,
    seed: int | None = 0,
    exposure: str | None = "area_share",
) -> gpd.GeoDataFrame:
    """Getis-Ord Gi* hot and cold spots (ArcGIS Hot Spot Analysis) on cells.

    Parameters
    ----------
    cells : geopandas.GeoDataFrame
        Cells (polygons or points) in a projected CRS, e.g. from ``hex_grid`` +
        ``count_points``.
    column : str
        Numeric column to analyse (e.g. ``"count"``); NaN and negative values are
        refused (Gi* is for counts, sums and rates).
    neighbours, distance, k
        Binary weights, see :func:`build_weights`. Each cell is its own neighbour (Gi*).
    permutations : int, default 999
        Random conditional permutations, used when the permutation distribution cannot
        be counted exactly (values that are not whole numbers). 0 skips permutation
        inference: the bins then use the analytic p-value.
    inference : {"permutation", "analytic"}, default "permutation"
        Which p-value the bins (and ``gi_hot``/``gi_cold``) use. ``"permutation"``: the
        two-sided permutation p-value ``gi_p_perm``. For counts (whole numbers) with
        binary weights it is counted exactly: the distribution of the window sum (the
        cell and its neighbours) when all counts are permuted across cells, the null
        Getis and Ord derive the z-score under. Otherwise it is twice ``gi_p_sim``,
        estimated from ``permutations`` random conditional permutations.
        ``"analytic"``: the normal-approximation p-value ``gi_p``, which is what
        ArcGIS's Hot Spot Analysis reports; it is only safe when counts are large (see
        the guide: on monthly crime counts of a few per cell it finds hot spots in maps
        with no pattern at all).
    fdr : bool, default True
        Benjamini-Hochberg correction of the bins at each confidence level (ArcGIS's
        "Apply False Discovery Rate (FDR) Correction").
    alpha : float, default 0.05
        Significance level of the convenience columns ``gi_hot`` and ``gi_cold``
        (significant at ``alpha``, two-sided, with FDR if ``fdr``). The bins do not depend
        on it: with the default 0.05, ``gi_hot`` is exactly ``gi_bin >= 2``.
    seed : int or None, default 0
        Seed of the permutations.
    exposure : str or None, default "area_share"
        Column giving each cell's share of the study area (0 to 1), as ``hex_grid`` and
        ``square_grid`` write it. Cells cut by the coast or the boundary can hold only
        part of a whole cell's incidents, so they are not exchangeable with whole cells:
        the exact permutation p-value then permutes counts only within strata of
        similar share (whole cells, at least 80 % inside, together; the others in up to
        five groups of similar share). Without it, whole inland cells look hot beside
        part-empty edge cells once counts are high (10 a cell over Medway: a 95 % hot
        cell in 29 % of maps with no pattern; 0.5 % with strata). Ignored when the
        column is absent or every cell is whole; ``None`` switches it off.

    Returns
    -------
    geopandas.GeoDataFrame
        A copy of ``cells`` with ``gi_z``, ``gi_p`` (analytic, two-sided), ``gi_p_sim``
        (permutation pseudo p-value, one-tailed in the observed direction as esda's),
        ``gi_p_perm`` (two-sided permutation p-value, see ``inference``), ``gi_bin``
        (-3..3), ``gi_label``, ``gi_hot``, ``gi_cold`` and ``n_neighbours``.
        ``attrs["hotspots"]["parameters"]["inference"]`` says which p-value the bins use
        (``"exact permutation"``, ``"exact conditional permutation"``, ``"sampled
        permutation"`` or ``"analytic"``); any
        warning about the data is kept in ``attrs["hotspots"]["warnings"]`` and shown on
        maps.

    Warns
    -----
    HotspotsWarning
        For cells with no neighbours (NaN, bin 0, label "No neighbours"), when all
        values are equal (NaN, bin 0, label "No variation"), when there are fewer than
        30 cells or (for counts) fewer than 30 incidents, too few for a meaningful test,
        and when sampled permutations are too few for any cell to pass the FDR
        threshold.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import Point
    >>> pts = [(10, 10), (20, 10), (40, 10), (15, 20), (30, 20), (30, 30)]
    >>> cells = gpd.GeoDataFrame({"v": [2, 3, 3.2, 5, 8, 7]},
    ...                          geometry=[Point(p) for p in pts], crs=27700)
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")  # six cells: too few for a real analysis
    ...     out = gi_star(cells, "v", distance=15, permutations=0, fdr=False)
    >>> out["gi_z"].round(3).tolist()
    [-1.397, -0.289, 0.651, -0.289, 1.235, 2.024]
    >>> out["gi_bin"].tolist()
    [0, 0, 0, 0, 0, 2]
    """
    if inference not in _INFERENCE:
        raise DataError(f"inference must be one of {_INFERENCE}, got {inference!r}.")
    cells, y = _prepare(cells, column)
    _check_gi_input(cells, column, y, permutations)
    W, info = build_weights(cells, neighbours=neighbours, distance=distance, k=k)
    notes = _guard_sizes(y, column)
    strata = exposure_strata(cells, exposure)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", HotspotsWarning)
        res = gi_star_arrays(y, W, permutations=permutations, seed=seed, strata=strata)
    no_var = any(issubclass(c.category, HotspotsWarning) for c in caught)
    if no_var:
        notes.append(
            f"Column {column!r} has the same value ({y[0]:g}) in every cell: there are no hot "
            "or cold spots to find; gi_z is NaN and every gi_bin is 0."
        )
    else:
        _warn_islands(cells, res.n_neighbours)
    used = {
        "exact": "exact permutation",
        "exact conditional": "exact conditional permutation",
        "sampled": "sampled permutation",
    }.get(res.inference, "analytic")
    if inference == "analytic":
        used = "analytic"
    p_bins = res.p if used == "analytic" else res.p_perm
    if used == "sampled permutation" and fdr:
        floor = 2.0 / (permutations + 1)
        if floor > 0.05 / max(1, int(np.isfinite(p_bins).sum())):
            notes.append(
                f"Sampled permutation p-values ({permutations} permutations) cannot go below "
                f"{floor:.2g}; after the FDR correction over {len(y)} cells a small hot spot "
                "cannot reach 95 %. Use more permutations, or whole-number counts (which are "
                "tested exactly)."
            )
    for note in notes:
        warnings.warn(note, HotspotsWarning, stacklevel=2)
    bins = gi_bins(res.z, p_bins, fdr=fdr)
    sig = fdr_significant(p_bins, alpha) if fdr else (p_bins <= alpha)
    out = cells.copy()
    out["gi_z"] = res.z
    out["gi_p"] = res.p
    out["gi_p_sim"] = res.p_sim
    out["gi_p_perm"] = res.p_perm
    out["gi_bin"] = bins
    labels = np.array([BIN_LABELS[int(b)] for b in bins], dtype=object)
    labels[res.n_neighbours == 0] = NO_NEIGHBOURS
    if no_var:
        labels[:] = NO_VARIATION
    out["gi_label"] = labels
    out["gi_hot"] = sig & (np.nan_to_num(res.z) > 0)
    out["gi_cold"] = sig & (np.nan_to_num(res.z) < 0)
    out["n_neighbours"] = res.n_neighbours
    params = {
        "column": column,
        **info,
        "permutations": permutations,
        "inference": used,
        "fdr": fdr,
        "alpha": alpha,
        "weights": "binary, self included (Gi*)",
    }
    if strata is not None and used == "exact permutation":
        params["exposure"] = (
            f"counts permuted within {int(strata.max()) + 1} strata of {exposure!r} "
            f"({int((strata > 0).sum())} part-empty cells)"
        )
    extra = {"warnings": notes} if notes else {}
    _provenance.record(
        out, method="Getis-Ord Gi*", parameters=params, seed=seed, inherit=cells, **extra
    )
    return out


#: Cells at least this share inside the study area count as whole cells.
WHOLE_SHARE = 0.8
#: Part-empty cells are grouped by share, at least this many to a group (up to five).
_PER_STRATUM = 60


def exposure_strata(cells: gpd.GeoDataFrame, exposure: str | None) -> np.ndarray | None:
    """Strata of cells by their share of the study area, or ``None`` when all are whole.

    Stratum 0 holds the cells at least :data:`WHOLE_SHARE` inside; the others are split
    by share, in order, into up to five groups of at least 60 cells.

    Examples
    --------
    >>> import geopandas as gpd
    >>> cells = gpd.GeoDataFrame({"area_share": [1.0] * 5 + [0.5] * 60})
    >>> np.bincount(exposure_strata(cells, "area_share")).tolist()
    [5, 60]
    """
    if exposure is None or exposure not in cells.columns:
        return None
    share = pd.to_numeric(cells[exposure], errors="coerce").to_numpy(dtype=float)
    if not np.isfinite(share).all() or (share < 0).any() or (share > 1 + 1e-9).any():
        raise DataError(
            f"exposure column {exposure!r} must hold shares from 0 to 1 for every cell; "
            "pass exposure=None to test without it."
        )
    part = np.flatnonzero(share < WHOLE_SHARE)
    if part.size == 0:
        return None
    strata = np.zeros(share.size, dtype=np.int64)
    groups = int(min(5, max(1, part.size // _PER_STRATUM)))
    order = part[np.argsort(share[part], kind="stable")]
    for g, chunk in enumerate(np.array_split(order, groups), start=1):
        strata[chunk] = g
    return strata


def _guard_sizes(y: np.ndarray, column: str) -> list[str]:
    """Warnings for analyses too small to mean much (ArcGIS asks for 30 features)."""
    notes = []
    if y.size < MIN_CELLS:
        notes.append(
            f"Only {y.size} cells: Gi* needs at least {MIN_CELLS} (as ArcGIS's Hot Spot "
            "Analysis) for a meaningful test; treat any hot spot as anecdotal."
        )
    total = float(y.sum())
    if np.all(y >= 0) and np.array_equal(y, np.round(y)) and 0 < total < MIN_INCIDENTS:
        notes.append(
            f"Only {total:.0f} incidents in column {column!r}: at least {MIN_INCIDENTS} are "
            "needed for a meaningful hot spot test; with fewer, list the places with "
            "incidents instead of mapping hot spots."
        )
    return notes


def local_moran(
    cells: gpd.GeoDataFrame,
    column: str,
    *,
    neighbours: str = "queen",
    distance: float | None = None,
    k: int | None = None,
    permutations: int = 999,
    fdr: bool = False,
    alpha: float = 0.05,
    seed: int | None = 0,
) -> gpd.GeoDataFrame:
    """Local Moran's I clusters and outliers (LISA) with row-standardised weights.

    Parameters
    ----------
    cells : geopandas.GeoDataFrame
        Cells in a projected CRS.
    column : str
        Numeric column.
    neighbours, distance, k
        Weights, see :func:`build_weights` (then row-standardised).
    permutations : int, default 999
        Conditional permutations for ``lisa_p_sim``.
    fdr : bool, default False
        Judge significance with the Benjamini-Hochberg cut-off at ``alpha`` instead of
        ``alpha`` itself.
    alpha : float, default 0.05
        Level compared with ``lisa_p_sim`` (one-tailed in the observed direction, as
        GeoDa and esda).
    seed : int or None, default 0
        Seed of the permutations.

    Returns
    -------
    geopandas.GeoDataFrame
        Copy with ``lisa_i``, ``lisa_p_sim``, ``lisa_quad`` ("HH", "LL", "HL", "LH",
        "Not significant", "No neighbours") and ``n_neighbours``.
    """
    cells, y = _prepare(cells, column)
    if permutations < 1:
        raise DataError("local_moran judges significance by permutation: permutations >= 1.")
    W, info = build_weights(cells, neighbours=neighbours, distance=distance, k=k)
    res = local_moran_arrays(y, W, permutations=permutations, seed=seed)
    _warn_islands(cells, res.n_neighbours)
    p = res.p_sim
    cut = false_discovery_rate(p, alpha) if fdr else alpha
    with np.errstate(invalid="ignore"):
        sig = np.isfinite(p) & (p <= cut)
    z, lag = res.z, res.lag
    quad = np.full(len(y), "Not significant", dtype=object)
    quad[sig & (z > 0) & (lag > 0)] = "HH"
    quad[sig & (z < 0) & (lag < 0)] = "LL"
    quad[sig & (z > 0) & (lag <= 0)] = "HL"
    quad[sig & (z < 0) & (lag >= 0)] = "LH"
    quad[res.n_neighbours == 0] = NO_NEIGHBOURS
    out = cells.copy()
    out["lisa_i"] = res.i
    out["lisa_p_sim"] = p
    out["lisa_quad"] = quad
    out["n_neighbours"] = res.n_neighbours
    params = {"column": column, **info, "permutations": permutations, "fdr": fdr, "alpha": alpha}
    _provenance.record(out, method="Local Moran's I", parameters=params, seed=seed, inherit=cells)
    return out
