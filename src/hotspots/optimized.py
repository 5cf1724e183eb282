r"""Optimized hot spot analysis of incident points, after ArcGIS's documented procedure.

Steps (each decision and its numbers go to ``attrs["hotspots"]["decisions"]``):

1. **Locational outliers.** Nearest-neighbour distances between *distinct* incident
   locations (police points are snapped to shared map points, so coincident points are
   set aside); locations farther than mean + 3 standard deviations from their nearest
   neighbour are outliers. They are left out of the cell-size calculation and, when no
   ``area`` is given, of the grid extent.
2. **Cell size** (unless given): the larger of the mean nearest-neighbour distance between
   distinct non-outlier locations and one hundredth of the longer side of the extent,
   rounded to the metre.
3. **Aggregation**: a hexagon or square grid over ``area`` (or the non-outlier incidents'
   bounding box) and incident counts per cell. Without ``area`` only cells with at least
   one incident are analysed (as ArcGIS does without bounding polygons).
4. **Scale of analysis** (unless ``distance`` is given): global Moran's I over 10
   distance bands, starting at the distance that gives every cell a neighbour and growing
   by the mean nearest-neighbour distance between cells; z-scores under
   **randomisation** (:func:`global_moran`). The distance of the **first peak** with
   ``z > 1.65`` (90 % confidence) is used: a band whose z is larger than the bands on both
   sides. The first band has no band before it, so it counts as a peak only when it is
   one: its z must also exceed the z at a band one step shorter (computed for this check
   only). Without a peak the fallback is the average distance at which each cell has
   ``K = int(0.05 N)`` neighbours, K kept within 3..30, capped at the **standard
   distance** of the cells (the spread of their centroids about the mean centre).
5. **Gi\*** with that distance band and FDR-corrected bins (:func:`hotspots.hotspot.gi_star`).
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any, TypedDict

import numpy as np
import scipy.sparse as sp

from . import _provenance
from ._errors import DataError, HotspotsWarning
from ._validate import require_geodataframe, require_nonempty, require_projected

if TYPE_CHECKING:
    import geopandas as gpd

__all__ = [
    "PEAK_Z",
    "FallbackInfo",
    "fallback_distance",
    "first_peak",
    "global_moran",
    "incremental_autocorrelation",
    "optimized_hotspots",
]

#: z-score a Moran's I peak must exceed (90 % confidence, ArcGIS's rule).
PEAK_Z = 1.65
#: Bounds of the fallback's number of neighbours K = int(0.05 N).
K_MIN, K_MAX = 3, 30
_BANDS = 10


def global_moran(y: np.ndarray, W: sp.csr_matrix) -> tuple[float, float]:
    """Global Moran's I and its z-score under randomisation (row-standardised weights).

    Matches ``esda.Moran(y, w, transformation="r").I`` and ``.z_rand``: the variance
    under randomisation (Cliff & Ord 1981) uses the kurtosis of ``y``, so it suits skewed
    crime counts better than the normality assumption. Rows without neighbours add
    nothing.
    """
    y = np.asarray(y, dtype=float)
    n = y.size
    rs = np.asarray(W.sum(axis=1)).ravel()
    Wr = sp.csr_matrix(sp.diags(np.where(rs > 0, 1.0 / np.where(rs > 0, rs, 1.0), 0.0)) @ W)
    z = y - y.mean()
    s0 = float(Wr.sum())
    m2 = float(z @ z)
    if s0 == 0 or not m2 > 0 or n < 4:
        return float("nan"), float("nan")
    moran_i = n / s0 * float(z @ (Wr @ z)) / m2
    sym = Wr + Wr.T
    s1 = 0.5 * float(sym.multiply(sym).sum())
    s2 = float(
        ((np.asarray(Wr.sum(axis=1)).ravel() + np.asarray(Wr.sum(axis=0)).ravel()) ** 2).sum()
    )
    ei = -1.0 / (n - 1)
    k = n * float((z**4).sum()) / m2**2  # kurtosis
    a = n * ((n * n - 3 * n + 3) * s1 - n * s2 + 3 * s0 * s0)
    b = k * ((n * n - n) * s1 - 2 * n * s2 + 6 * s0 * s0)
    ei2 = (a - b) / ((n - 1) * (n - 2) * (n - 3) * s0 * s0)
    vi = ei2 - ei * ei
    if not vi > 0:
        return float(moran_i), float("nan")
    return float(moran_i), float((moran_i - ei) / np.sqrt(vi))


def incremental_autocorrelation(xy: np.ndarray, y: np.ndarray, distances: np.ndarray) -> np.ndarray:
    """Global Moran's I and its z (randomisation) at each distance band (binary weights,
    row-standardised). Returns an array of shape ``(len(distances), 2)``.
    """
    from scipy.spatial import cKDTree

    xy = np.asarray(xy, dtype=float)
    n = len(xy)
    dmax = float(np.max(distances))
    tree = cKDTree(xy)
    D = tree.sparse_distance_matrix(tree, dmax, output_type="coo_matrix")
    off = D.row != D.col
    rows, cols, dist = D.row[off], D.col[off], D.data[off]
    out = np.full((len(distances), 2), np.nan)
    for b, d in enumerate(distances):
        sel = dist <= d
        W = sp.csr_matrix((np.ones(int(sel.sum())), (rows[sel], cols[sel])), shape=(n, n))
        out[b] = global_moran(y, W)
    return out


def first_peak(z: np.ndarray, z_before: float = float("nan")) -> int | None:
    """Index of the first band whose z exceeds :data:`PEAK_Z` and both neighbouring bands.

    ``z_before`` is the z at a band shorter than the first; without it (NaN) the first
    band cannot be shown to be a peak and is never taken. The last band has no band after
    it and is never a peak.

    Examples
    --------
    >>> first_peak(np.array([1.0, 2.5, 3.0, 2.8, 4.0]))
    2
    >>> first_peak(np.array([3.0, 2.0, 1.0])) is None  # falling from the start: no peak
    True
    >>> first_peak(np.array([3.0, 2.0, 1.0]), z_before=2.5)
    0
    """
    z = np.asarray(z, dtype=float)
    for b in range(len(z) - 1):
        if not np.isfinite(z[b]) or z[b] <= PEAK_Z:
            continue
        left = z_before if b == 0 else z[b - 1]
        if np.isfinite(left) and z[b] > left and z[b] > z[b + 1]:
            return b
    return None


class FallbackInfo(TypedDict):
    """The numbers behind :func:`fallback_distance` (recorded in the decisions)."""

    #: Neighbour rank averaged over.
    k: int
    #: ``int(0.05 N)`` before the 3..30 bounds.
    k_from_5_percent: int
    #: Average distance to the ``k``-th nearest cell, metres (1 decimal).
    knn_distance_m: float
    #: Standard distance of the cells, metres (1 decimal).
    standard_distance_m: float
    #: Whether the standard distance was the smaller (and so the one used).
    capped_at_standard_distance: bool


def fallback_distance(xy: np.ndarray, *, k: int | None = None) -> tuple[float, FallbackInfo]:
    """ArcGIS's distance when no peak is found: the average distance to the
    ``K``-th nearest cell, ``K = int(0.05 N)`` kept within 3..30 (or ``k``), capped at
    the standard distance ``sqrt(mean squared distance to the mean centre)``. Returns it
    and the numbers behind it. (With 30 or more cells in the plane the cap seldom binds.)

    Without the 3..30 bounds a grid over a whole district (4,225 cells over Medway)
    would average over 211 neighbours, a 2 km band on 220 m cells that marks half the
    map as hot or cold.

    Examples
    --------
    >>> xy = np.array([[float(i), 0.0] for i in range(40)])  # 40 cells 1 m apart on a line
    >>> d, info = fallback_distance(xy)  # K = int(2.0) raised to 3: 2 m, 3 m at the ends
    >>> info["k"], round(d, 4)
    (3, 2.05)
    """
    from scipy.spatial import cKDTree

    xy = np.asarray(xy, dtype=float)
    n = len(xy)
    k_raw = int(0.05 * n)
    k = int(np.clip(k_raw, K_MIN, K_MAX)) if k is None else int(k)
    k = max(1, min(k, n - 1))
    dk, _ = cKDTree(xy).query(xy, k=k + 1)
    knn = float(np.asarray(dk)[:, k].mean())
    sd = float(np.sqrt(((xy - xy.mean(axis=0)) ** 2).sum(axis=1).mean()))
    info: FallbackInfo = {
        "k": k,
        "k_from_5_percent": k_raw,
        "knn_distance_m": round(knn, 1),
        "standard_distance_m": round(sd, 1),
        "capped_at_standard_distance": bool(sd < knn),
    }
    return min(knn, sd), info


def optimized_hotspots(
    incidents: gpd.GeoDataFrame,
    *,
    area: gpd.GeoDataFrame | gpd.GeoSeries | None = None,
    cell: str = "hex",
    cell_size: float | None = None,
    distance: float | None = None,
    permutations: int = 999,
    seed: int | None = 0,
) -> gpd.GeoDataFrame:
    """Optimized hot spot analysis of incident points (the steps are in the module notes).

    Parameters
    ----------
    incidents : geopandas.GeoDataFrame
        Incident points in a projected CRS.
    area : geopandas.GeoDataFrame or GeoSeries, optional
        Where incidents are possible (e.g. the Medway boundary), same CRS.
    cell : {"hex", "square"}
        Grid shape.
    cell_size : float, optional
        Cell size in metres (hex: side of the equal-area square, see
        :func:`hotspots.grid.hex_grid`).
    distance : float, optional
        Distance band in metres, skipping step 4.
    permutations : int, default 999
        Permutations for ``gi_p_sim``.
    seed : int or None, default 0
        Seed.

    Returns
    -------
    geopandas.GeoDataFrame
        Grid cells with ``count`` and the :func:`hotspots.hotspot.gi_star` columns;
        ``attrs["hotspots"]["decisions"]`` lists every decision with its numbers.
    """
    from scipy.spatial import cKDTree

    from . import grid
    from ._validate import require_points, require_same_crs
    from .hotspot import gi_star

    incidents = require_geodataframe(incidents, "incidents")
    require_projected(incidents, "incidents")
    require_nonempty(incidents, "incidents")
    require_points(incidents, "incidents")
    if cell not in ("hex", "square"):
        raise DataError(f"cell must be 'hex' or 'square', got {cell!r}.")
    decisions: list[dict[str, Any]] = []
    xy = incidents.get_coordinates().to_numpy()
    uniq = np.unique(xy, axis=0)
    decisions.append({"step": "input", "incidents": len(xy), "distinct_locations": len(uniq)})
    if len(uniq) < 30:
        raise DataError(
            f"Optimized hot spot analysis needs incidents at 30 or more distinct locations, "
            f"got {len(uniq)}; use gi_star on counts you aggregate yourself."
        )
    nn, _ = cKDTree(uniq).query(uniq, k=2)
    nn = nn[:, 1]
    cut = nn.mean() + 3 * nn.std()
    outlier_loc = nn > cut
    decisions.append(
        {
            "step": "locational outliers",
            "rule": "distinct locations with nearest-neighbour distance > mean + 3 sd",
            "threshold_m": round(float(cut), 1),
            "outlier_locations": int(outlier_loc.sum()),
        }
    )
    core = uniq[~outlier_loc]
    minx, miny = core.min(axis=0)
    maxx, maxy = core.max(axis=0)
    if area is not None:
        area = require_geodataframe(area, "area")
        require_same_crs(area, incidents, ("area", "incidents"))
        minx, miny, maxx, maxy = area.total_bounds
    if cell_size is None:
        mean_nn = float(nn[~outlier_loc].mean())
        floor = max(maxx - minx, maxy - miny) / 100.0
        cell_size = float(round(max(mean_nn, floor)))
        decisions.append(
            {
                "step": "cell size",
                "cell_size_m": cell_size,
                "mean_nn_distance_m": round(mean_nn, 1),
                "extent_over_100_m": round(float(floor), 1),
                "why": "larger of mean nearest-neighbour distance (outliers removed) "
                "and longer extent side / 100",
            }
        )
    else:
        decisions.append({"step": "cell size", "cell_size_m": float(cell_size), "why": "given"})
    if area is None:
        import geopandas as gpd
        from shapely.geometry import box

        extent = gpd.GeoSeries([box(minx, miny, maxx, maxy)], crs=incidents.crs)
    else:
        extent = area
    make = grid.hex_grid if cell == "hex" else grid.square_grid
    cells = make(extent, cell_size=cell_size)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", HotspotsWarning)
        cells = grid.count_points(incidents, cells)
    n_out = int(cells.attrs.get("hotspots", {}).get("n_outside", 0) or 0)
    if n_out or caught:
        warnings.warn(
            f"{n_out} incidents fall outside the analysis grid and are not counted.",
            HotspotsWarning,
            stacklevel=2,
        )
    if area is None:
        cells = cells[cells["count"] > 0]
    decisions.append(
        {
            "step": "aggregation",
            "cell": cell,
            "cells": len(cells),
            "incidents_counted": int(cells["count"].sum()),
            "incidents_outside_grid": n_out,
            "kept": "cells with >= 1 incident" if area is None else "all cells over the area",
        }
    )
    if len(cells) < 30:
        raise DataError(
            f"Only {len(cells)} cells to analyse; optimized hot spot analysis needs 30 or "
            "more. Use a smaller cell_size or pass area=."
        )
    cxy = cells.geometry.centroid.get_coordinates().to_numpy()
    counts = cells["count"].to_numpy(dtype=float)
    if distance is None:
        distance = _scale_of_analysis(cxy, counts, decisions)
    else:
        decisions.append(
            {"step": "scale of analysis", "distance_m": float(distance), "why": "given"}
        )
    out = gi_star(
        cells,
        "count",
        neighbours="distance",
        distance=distance,
        permutations=permutations,
        fdr=True,
        seed=seed,
    )
    bins = out["gi_bin"].value_counts().to_dict()
    decisions.append(
        {
            "step": "Gi* with FDR",
            "bins": {int(b): int(bins.get(b, 0)) for b in range(-3, 4)},
            "min_neighbours": int(out["n_neighbours"].min()),
            "mean_neighbours": round(float(out["n_neighbours"].mean()), 1),
        }
    )
    params = {
        "cell": cell,
        "cell_size": cell_size,
        "distance": distance,
        "permutations": permutations,
        "fdr": True,
        "area": area is not None,
    }
    _provenance.record(
        out,
        method="Optimized hot spot analysis (Getis-Ord Gi*)",
        parameters=params,
        seed=seed,
        inherit=incidents,
        decisions=decisions,
    )
    return out


def _scale_of_analysis(
    cxy: np.ndarray, counts: np.ndarray, decisions: list[dict[str, Any]]
) -> float:
    """Step 4: the distance band, with the decision appended to ``decisions``."""
    from scipy.spatial import cKDTree

    d, _ = cKDTree(cxy).query(cxy, k=2)
    start = float(d[:, 1].max()) * (1 + 1e-9)
    step = float(d[:, 1].mean())
    bands = start + step * np.arange(_BANDS)
    curve = incremental_autocorrelation(cxy, counts, bands)
    shorter = start - step
    z_before = (
        float(incremental_autocorrelation(cxy, counts, np.array([shorter]))[0, 1])
        if shorter > 0
        else float("nan")
    )
    peak = first_peak(curve[:, 1], z_before)
    record_curve = [
        {"distance_m": round(float(b), 1), "moran_i": round(float(m), 4), "z": round(float(z), 3)}
        for b, (m, z) in zip(bands, curve, strict=True)
    ]
    common = {
        "moran_z": "randomisation",
        "peak_rule": f"z > {PEAK_Z} and above the bands on both sides",
        "first_band_check": {
            "shorter_band_m": round(shorter, 1) if shorter > 0 else None,
            "z": None if not np.isfinite(z_before) else round(z_before, 3),
        },
        "curve": record_curve,
    }
    if peak is not None:
        distance = float(bands[peak])
        decisions.append(
            {
                "step": "scale of analysis",
                "distance_m": round(distance, 1),
                "why": f"first peak of incremental spatial autocorrelation (z > {PEAK_Z})",
                "peak_z": round(float(curve[peak, 1]), 3),
                **common,
            }
        )
        return distance
    distance, info = fallback_distance(cxy)
    capped = info["capped_at_standard_distance"]
    decisions.append(
        {
            "step": "scale of analysis",
            "distance_m": round(distance, 1),
            "why": f"no peak; average distance to the {info['k']}th nearest cell "
            "(K = int(0.05 N) within 3..30)"
            + (", capped at the standard distance" if capped else ""),
            **info,
            **common,
        }
    )
    return distance
