"""Quartic (biweight) kernel density of point incidents, as in ArcGIS *Kernel Density*.

The density at a location is ``sum_i w_i K(d_i)`` with the quartic kernel

    K(d) = 3 / (pi r^2) * (1 - (d/r)^2)^2   for d < r, else 0,

which integrates to one, so the surface (in points, or weight, per km²) integrates back
to the number of points (or total weight), apart from what falls outside the grid.
This is the kernel of Silverman (1986, eq. 4.5) used by ArcGIS Pro, "How Kernel Density
works" (Spatial Analyst tool reference).

Default search radius (bandwidth), per the same ArcGIS page::

    r = 0.9 * min(SD, sqrt(1 / ln 2) * Dm) * n ** -0.2

where SD is the standard distance of the points, Dm the median distance to their mean
centre and n the number of points. With ``weight`` the mean centre, SD and Dm are
weighted and n is the sum of the weights (the weighted median is the lower weighted
median: the smallest distance whose cumulative weight reaches half the total).
"""

from __future__ import annotations

import math
import warnings
from typing import TYPE_CHECKING, Literal

import numpy as np

from ._errors import DataError, HotspotsWarning
from ._provenance import record
from ._validate import (
    require_geodataframe,
    require_nonempty,
    require_numeric,
    require_points,
    require_projected,
    require_same_crs,
)
from .grid import square_cell_index, square_grid

if TYPE_CHECKING:
    import geopandas as gpd
    import numpy.typing as npt

__all__ = ["default_bandwidth", "kde", "quartic_kernel"]

#: Fine cells in one FFT tile of the binned method (about 40 bytes each while it is
#: convolved: the raster, its spectrum, the kernel's and the result), so the binned
#: method's working memory stays near 170 MB whatever the grid size.
TILE_FINE_CELLS = 2**22
#: Kernel values computed at once by the exact methods (chunks of points or cells).
_PAIRS_PER_CHUNK = 4_000_000
#: Estimated seconds under which ``method="auto"`` always sums exactly.
_CHEAP_S = 0.05
#: Cap on the binned raster (it sets the sub-division; the cost, not the memory).
_MAX_FINE_CELLS = 60_000_000


def quartic_kernel(d: npt.ArrayLike, bandwidth: float) -> np.ndarray:
    """The quartic kernel ``3/(π r²) (1 − (d/r)²)²`` (per m²), zero for ``d ≥ r``.

    Examples
    --------
    >>> float(quartic_kernel(0.0, 100.0)) == 3 / (math.pi * 100.0**2)
    True
    >>> float(quartic_kernel(100.0, 100.0))
    0.0
    """
    if not (isinstance(bandwidth, int | float) and math.isfinite(bandwidth) and bandwidth > 0):
        raise DataError(f"bandwidth must be a positive number of metres, got {bandwidth!r}.")
    u = np.asarray(d, dtype=float) / bandwidth
    return np.where(u < 1.0, 3.0 / (math.pi * bandwidth**2) * (1.0 - u * u) ** 2, 0.0)


def _weighted_median(values: np.ndarray, weights: np.ndarray) -> float:
    order = np.argsort(values, kind="stable")
    cum = np.cumsum(weights[order])
    k = int(np.searchsorted(cum, 0.5 * cum[-1], side="left"))
    return float(values[order][k])


def default_bandwidth(xy: np.ndarray, weights: np.ndarray | None = None) -> float:
    """ArcGIS Pro's default search radius for *Kernel Density* (see module notes).

    Parameters
    ----------
    xy : array of shape (n, 2)
        Point coordinates in metres.
    weights : array of shape (n,), optional
        Population field; makes the mean centre, SD and median weighted and ``n`` their sum.

    Examples
    --------
    >>> xy = np.array([[0.0, 0.0], [100.0, 0.0], [0.0, 100.0], [100.0, 100.0]])
    >>> round(default_bandwidth(xy), 4)  # 0.9 * min(70.71, 1.2011 * 70.71) * 4 ** -0.2
    48.2298
    """
    xy = np.asarray(xy, dtype=float)
    if xy.ndim != 2 or xy.shape[1] != 2 or len(xy) == 0:
        raise DataError(f"xy must be a non-empty array of shape (n, 2), got shape {xy.shape}.")
    if not np.isfinite(xy).all():
        raise DataError("xy has missing or infinite coordinates; drop those points first.")
    if weights is None:
        centre = xy.mean(axis=0)
        d2 = ((xy - centre) ** 2).sum(axis=1)
        sd = math.sqrt(float(d2.mean()))
        dm = float(np.median(np.sqrt(d2)))
        n = float(len(xy))
    else:
        w = np.asarray(weights, dtype=float)
        if w.shape != (len(xy),) or not np.isfinite(w).all() or (w < 0).any() or w.sum() <= 0:
            raise DataError(
                "weights must be one finite, non-negative value per point with a positive sum."
            )
        total = float(w.sum())
        centre = (xy * w[:, None]).sum(axis=0) / total
        d2 = ((xy - centre) ** 2).sum(axis=1)
        sd = math.sqrt(float((w * d2).sum()) / total)
        dm = _weighted_median(np.sqrt(d2), w)
        n = total
    return float(0.9 * min(sd, math.sqrt(1.0 / math.log(2.0)) * dm) * n**-0.2)


def _collapse(xy: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Merge points at identical coordinates (police.uk snaps to shared map points)."""
    # a complex view sorts 1-D (much faster than np.unique(axis=0) on a million rows)
    z = np.ascontiguousarray(xy, dtype=np.float64).view(np.complex128).ravel()
    uz, inverse = np.unique(z, return_inverse=True)
    uniq = np.column_stack([uz.real, uz.imag])
    return uniq, np.bincount(inverse.ravel(), weights=w, minlength=len(uniq))


def _window_kernel(r: float, step: float) -> tuple[int, np.ndarray]:
    """Half-width ``m`` and the ``(2m+1)²`` kernel sampled every ``step`` metres."""
    m = math.ceil(r / step)
    off = np.arange(-m, m + 1) * step
    return m, quartic_kernel(np.hypot(off[:, None], off[None, :]), r)


def _exact(centres: np.ndarray, xy: np.ndarray, w: np.ndarray, r: float) -> tuple[np.ndarray, int]:
    """Exact sum at any cell centres (general grids): pairs within ``r`` from cKDTrees."""
    from scipy.spatial import cKDTree

    ptree = cKDTree(xy)
    out = np.zeros(len(centres))
    # rough neighbours per centre, to size chunks of centres
    area = (np.ptp(xy[:, 0]) + 2 * r) * (np.ptp(xy[:, 1]) + 2 * r)
    per = max(1.0, len(xy) * math.pi * r * r / max(area, 1.0))
    step = max(1, int(_PAIRS_PER_CHUNK / per))
    for start in range(0, len(centres), step):
        chunk = centres[start : start + step]
        pairs = cKDTree(chunk).sparse_distance_matrix(ptree, r, output_type="ndarray")
        if len(pairs):
            k = quartic_kernel(pairs["v"], r) * w[pairs["j"]]
            out[start : start + len(chunk)] = np.bincount(
                pairs["i"], weights=k, minlength=len(chunk)
            )
    d, _ = cKDTree(centres).query(xy, distance_upper_bound=r)
    return out, int(np.isinf(d).sum())


def _exact_square(
    row: np.ndarray, col: np.ndarray, cell_size: float, xy: np.ndarray, w: np.ndarray, r: float
) -> tuple[np.ndarray, int]:
    """Exact sum on a square grid: each point adds its kernel to the window of cells
    whose centres can lie within ``r`` (cell centres by arithmetic, no tree, no polygon)."""
    s = cell_size
    r0, c0 = int(row.min()), int(col.min())
    nr, nc = int(row.max()) - r0 + 1, int(col.max()) - c0 + 1
    present = np.zeros(nr * nc, dtype=bool)
    present[(row - r0) * nc + (col - c0)] = True
    total = np.zeros(nr * nc)
    m = math.ceil(r / s) + 1
    off = np.arange(-m, m + 1)
    prow, pcol = square_cell_index(xy[:, 0], xy[:, 1], cell_size=s)
    lost = 0
    step = max(1, _PAIRS_PER_CHUNK // len(off) ** 2)
    for start in range(0, len(xy), step):
        sl = slice(start, start + step)
        rr = prow[sl, None] + off[None, :] - r0  # (k, 2m+1) window rows
        cc = pcol[sl, None] + off[None, :] - c0
        dy = (rr + r0 + 0.5) * s - xy[sl, 1, None]
        dx = (cc + c0 + 0.5) * s - xy[sl, 0, None]
        d = np.sqrt(dy[:, :, None] ** 2 + dx[:, None, :] ** 2)
        inside = ((rr >= 0) & (rr < nr))[:, :, None] & ((cc >= 0) & (cc < nc))[:, None, :]
        flat = np.where(inside, rr[:, :, None] * nc + cc[:, None, :], 0)
        use = inside & (d < r) & present[flat]
        lost += int((~use.any(axis=(1, 2))).sum())
        k = quartic_kernel(d[use], r) * np.broadcast_to(w[sl, None, None], d.shape)[use]
        total += np.bincount(flat[use], weights=k, minlength=nr * nc)
    return total[(row - r0) * nc + (col - c0)], lost


def _fine_step(cell_size: float, r: float, n_cells: int) -> int:
    """Odd sub-division ``f`` so that cell centres are fine-bin centres; fine step <= r/10."""
    f = max(1, math.ceil(10.0 * cell_size / r))
    f += 1 - f % 2
    f = min(f, 15)
    while n_cells * f * f > _MAX_FINE_CELLS and f > 1:
        f -= 2
    return f


def _tiles(nr: int, nc: int, f: int, m: int) -> tuple[int, int]:
    """Coarse rows and columns per convolution tile, so one tile of fine cells (its
    ``2m`` halo included) stays within ``TILE_FINE_CELLS`` where it can."""
    if (nr * f + 2 * m) * (nc * f + 2 * m) <= TILE_FINE_CELLS:
        return nr, nc
    strip = TILE_FINE_CELLS // (nc * f + 2 * m)
    if strip >= 2 * m + f:  # full-width strips
        return max(1, (strip - 2 * m) // f), nc
    side = max(1, (math.isqrt(TILE_FINE_CELLS) - 2 * m) // f)
    return min(side, nr), min(side, nc)


def _binned(
    row: np.ndarray, col: np.ndarray, cell_size: float, xy: np.ndarray, w: np.ndarray, r: float
) -> tuple[np.ndarray, int, int]:
    """Bin points to a fine raster aligned with the cell centres and convolve by FFT,
    one tile at a time (overlap-save: each tile carries a halo of the kernel's reach)."""
    from scipy import fft

    pad = math.ceil(r / cell_size)
    c0, r0 = int(col.min()) - pad, int(row.min()) - pad
    nc, nr = int(col.max()) + pad - c0 + 1, int(row.max()) + pad - r0 + 1
    f = _fine_step(cell_size, r, nr * nc)
    h = cell_size / f
    fr, fc = square_cell_index(xy[:, 0], xy[:, 1], cell_size=h)
    fr -= r0 * f
    fc -= c0 * f
    ok = (fr >= 0) & (fr < nr * f) & (fc >= 0) & (fc < nc * f)
    fr, fc, wk = fr[ok], fc[ok], w[ok]
    m, kern = _window_kernel(r, h)
    half = f // 2  # the cell centre's fine bin within its cell
    br, bc = _tiles(nr, nc, f, m)
    tr, tc = (br - 1) * f + 1 + 2 * m, (bc - 1) * f + 1 + 2 * m  # fine cells per tile
    shape = (fft.next_fast_len(tr, real=True), fft.next_fast_len(tc, real=True))
    kspec = fft.rfft2(kern, shape, workers=-1)
    coarse = np.zeros((nr, nc))
    order = np.argsort(fr, kind="stable")
    fr_sorted = fr[order]
    for cr in range(0, nr, br):
        top = cr * f + half - m
        lo, hi = np.searchsorted(fr_sorted, [top, top + tr])
        strip = order[lo:hi]
        for cc in range(0, nc, bc):
            left = cc * f + half - m
            sel = strip[(fc[strip] >= left) & (fc[strip] < left + tc)]
            raster = np.bincount(
                (fr[sel] - top) * tc + (fc[sel] - left), weights=wk[sel], minlength=tr * tc
            ).reshape(tr, tc)
            full = fft.irfft2(fft.rfft2(raster, shape, workers=-1) * kspec, shape, workers=-1)
            block = full[2 * m : tr : f, 2 * m : tc : f]
            nrow, ncol = min(br, nr - cr), min(bc, nc - cc)
            coarse[cr : cr + nrow, cc : cc + ncol] = block[:nrow, :ncol]
    values = coarse[row - r0, col - c0]
    return np.clip(values, 0.0, None), int((~ok).sum()), f


def _costs(
    n_points: int, row: np.ndarray, col: np.ndarray, cell_size: float, r: float
) -> tuple[float, float]:
    """Rough seconds for the exact window sum and for the binned FFT on a square grid.

    Exact: one kernel value per point and cell of its window, plus work per cell of the
    grid's bounding box. Binned: per fine cell of the padded raster (binning, FFT), per
    coarse cell and per point. The constants were fitted to timings on a 2-core machine
    (within about a factor 1.5); only their ratio matters for the choice.
    """
    window = (2 * (math.ceil(r / cell_size) + 1) + 1) ** 2
    n_box = (int(np.ptp(row)) + 1) * (int(np.ptp(col)) + 1)
    pad = 2 * math.ceil(r / cell_size)
    n_padded = (int(np.ptp(row)) + 1 + pad) * (int(np.ptp(col)) + 1 + pad)
    fine = n_padded * _fine_step(cell_size, r, n_padded) ** 2
    exact = 1e-7 * n_points * window + 6e-7 * n_box
    binned = 1.2e-7 * fine + 2e-7 * n_padded + 1e-7 * n_points
    return exact, binned


def kde(
    points: gpd.GeoDataFrame,
    *,
    cell_size: float,
    bandwidth: float | None = None,
    weight: str | None = None,
    area: gpd.GeoDataFrame | gpd.GeoSeries | None = None,
    grid: gpd.GeoDataFrame | None = None,
    method: Literal["auto", "exact", "binned"] = "auto",
) -> gpd.GeoDataFrame:
    """Quartic kernel density surface of points, in points (or weight) per km².

    Parameters
    ----------
    points : GeoDataFrame
        Points in a projected CRS (metres).
    cell_size : float
        Output cell size in metres (square cells from :func:`~hotspots.square_grid`).
    bandwidth : float, optional
        Search radius ``r`` in metres; default ArcGIS's rule (:func:`default_bandwidth`).
    weight : str, optional
        Column of weights (ArcGIS "population field"); non-negative, no missing values.
    area : GeoDataFrame or GeoSeries, optional
        Area to cover. Default: the points' extent grown by the bandwidth, so the surface
        holds all of the kernel mass.
    grid : GeoDataFrame, optional
        Cells to evaluate at (their centroids) instead of a new square grid;
        ``cell_size`` is then only used for the binned method on square grids.
    method : {"auto", "exact", "binned"}
        ``"exact"`` sums the kernel over every point within ``r`` of each cell centre
        (on a square grid of this package each distinct point adds its kernel to the
        window of cells around it, centres by arithmetic; on other cells, pairs from a
        cKDTree). ``"binned"`` bins points to a raster ``cell_size / f`` fine (``f`` odd,
        fine step ≤ r/10) aligned with the cell centres and convolves it with the kernel
        by FFT: each point moves by at most ``h/√2`` (h = fine step), which changes the
        surface by well under 1 % of its peak for ``r ≥ 5 × cell_size`` (see the tests);
        it needs a square grid of this package. The convolution runs in tiles of at most
        :data:`TILE_FINE_CELLS` fine cells, so its memory stays near 170 MB however fine
        the grid. ``"auto"`` weighs the two on a square grid (points x window cells
        against the FFT's size) and sums exactly unless binning is estimated at least
        twice as fast and the exact sum would take over 0.05 s; exact on other grids.

    Returns
    -------
    GeoDataFrame
        The cells with a ``density`` column (per km²); the bandwidth and method used in
        ``attrs["hotspots"]["parameters"]``.

    Examples
    --------
    >>> import geopandas as gpd
    >>> pts = gpd.GeoDataFrame(geometry=gpd.points_from_xy([0, 10, 20], [0, 5, 0]), crs=27700)
    >>> surf = kde(pts, cell_size=10, bandwidth=100)
    >>> round(float((surf["density"] * 0.01 * 0.01).sum()), 3)  # integrates to n = 3
    3.0
    """
    pts = require_geodataframe(points, "points")
    require_nonempty(pts, "points")
    require_projected(pts, "points")
    require_points(pts, "points")
    if method not in {"auto", "exact", "binned"}:
        raise DataError(f"method must be 'auto', 'exact' or 'binned', got {method!r}.")
    try:
        size = float(cell_size)
    except (TypeError, ValueError):
        raise DataError(f"cell_size must be a number of metres, got {cell_size!r}.") from None
    if not math.isfinite(size) or size <= 0:
        raise DataError(f"cell_size must be a positive number of metres, got {cell_size!r}.")
    import shapely

    xy = shapely.get_coordinates(pts.geometry.to_numpy())
    if weight is not None:
        w = require_numeric(pts, weight, "points")
        if (w < 0).any():
            raise DataError(f"points column {weight!r} has negative weights; kde needs ≥ 0.")
        if w.sum() <= 0:
            raise DataError(f"points column {weight!r} sums to zero; nothing to smooth.")
    else:
        w = np.ones(len(xy))
    if bandwidth is None:
        r = default_bandwidth(xy, None if weight is None else w)
        if not r > 0:
            raise DataError(
                "the default bandwidth is zero (one point, or all points at one place); "
                "give bandwidth= in metres."
            )
        rule = "ArcGIS default search radius"
    else:
        try:
            r = float(bandwidth)
        except (TypeError, ValueError):
            raise DataError(f"bandwidth must be a number of metres, got {bandwidth!r}.") from None
        if not (math.isfinite(r) and r > 0):
            raise DataError(f"bandwidth must be a positive number of metres, got {bandwidth!r}.")
        rule = "given"

    if grid is not None:
        cells = require_geodataframe(grid, "grid")
        require_nonempty(cells, "grid")
        require_same_crs(cells, pts, ("grid", "points"))
    else:
        import geopandas as gpd

        if area is not None:
            area_gdf = require_geodataframe(area, "area")
            require_same_crs(area_gdf, pts, ("area", "points"))
        else:
            minx, miny, maxx, maxy = xy.min(axis=0).tolist() + xy.max(axis=0).tolist()
            area_gdf = gpd.GeoSeries(
                [shapely.box(minx - r, miny - r, maxx + r, maxy + r)], crs=pts.crs
            )
        cells = square_grid(area_gdf, cell_size=size)
    spec = cells.attrs.get("hotspots_grid") or {}
    square = (
        spec.get("kind") == "square"
        and not spec.get("clip")
        and tuple(spec.get("origin", ())) == (0.0, 0.0)
        and {"row", "col"} <= set(cells.columns)
    )
    if method == "binned" and not square:
        raise DataError(
            "method='binned' needs an unclipped square grid from hotspots.square_grid; "
            "use method='exact' for other cells."
        )
    chosen = method
    fine = None
    if square:
        grid_size = float(spec["cell_size"])
        row, col = cells["row"].to_numpy(), cells["col"].to_numpy()
        if method == "auto":
            # exact unless binning saves real time: cheap jobs stay exact (no binning
            # error), and near-ties do not flip with a point more or less
            exact_cost, binned_cost = _costs(len(xy), row, col, grid_size, r)
            cheap = exact_cost < _CHEAP_S or exact_cost <= 2 * binned_cost
            chosen = "exact" if cheap else "binned"
        if chosen == "binned":
            values, lost, fine = _binned(row, col, grid_size, xy, w, r)
        else:
            values, lost = _exact_square(row, col, grid_size, *_collapse(xy, w), r)
    else:
        chosen = "exact"
        centres = shapely.get_coordinates(cells.geometry.centroid.to_numpy())
        values, lost = _exact(centres, *_collapse(xy, w), r)
    # a grid built here is ours to fill; a caller's grid is copied, never changed
    out = cells.copy() if grid is not None else cells
    out["density"] = values * 1e6
    if lost:
        warnings.warn(
            f"{lost:,} distinct point locations lie farther than the bandwidth ({r:,.0f} m) "
            "from every cell and add nothing to the surface; widen the area or grid.",
            HotspotsWarning,
            stacklevel=2,
        )
    record(
        out,
        method="kernel density (quartic)",
        parameters={
            "bandwidth": r,
            "bandwidth_rule": rule,
            "cell_size": size,
            "weight": weight,
            "evaluation": chosen,
            "fine_subdivision": fine,
        },
        inherit=pts,
        units="per km²",
        n_points=len(xy),
        total_weight=float(w.sum()),
        n_locations_outside=lost,
    )
    return out
