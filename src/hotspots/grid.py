"""Square and hexagon grids over an area, and point counts per cell or per polygon.

Grid conventions
----------------
* Cells are aligned to a fixed ``origin`` (default ``(0, 0)`` in the CRS), so two grids
  of the same kind and ``cell_size`` built over different areas line up cell for cell
  and share ``cell_id`` values.
* **Square** cell ``(row, col)`` covers ``[ox + col*s, ox + (col+1)*s) x
  [oy + row*s, oy + (row+1)*s)`` with ``s = cell_size``. A point on a shared edge goes
  to the cell on its right / above (floor rule).
* **Hexagons are flat-topped** (top and bottom edges horizontal, like the "Hexagon"
  shape of ArcGIS Pro *Generate Tessellation*) and ``cell_size`` is the side of the
  **square of equal area**: every hexagon has area ``cell_size**2`` (ArcGIS's *Size*
  parameter is likewise the cell area), so a "250 m hex grid" has the same cell area
  (6.25 ha) and roughly the same number of cells as a 250 m square grid.
  The hexagon side is ``a = cell_size * sqrt(2 / (3 * sqrt(3)))`` (≈ 0.6204 × cell_size);
  centres of adjacent hexagons are ``sqrt(3) * a`` (≈ 1.0746 × cell_size) apart.
  Columns are vertical stacks of hexagons ``1.5 a`` apart; odd columns are shifted up
  by half a hexagon ("odd-q" offset layout). A point is assigned by cube rounding of
  its axial coordinates; points on an edge get a deterministic (but arbitrary) side.
* ``cell_id = row * 100_000_000 + col`` (int64): stable, derived only from the cell's
  position, unique while ``|col| < 5e7`` (checked), and readable for the positive
  row/col of British National Grid: cell 680, 2300 has id ``680_00002300``.

The grid specification is kept in ``gdf.attrs["hotspots_grid"]`` so :func:`count_points`
can assign points arithmetically instead of by a spatial join.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Hashable
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ._errors import DataError, HotspotsWarning
from ._provenance import record
from ._validate import (
    require_geodataframe,
    require_nonempty,
    require_numeric,
    require_points,
    require_projected,
    require_same_crs,
    snake_case,
)

if TYPE_CHECKING:
    import geopandas as gpd
    import numpy.typing as npt
    from pyproj import CRS

__all__ = [
    "MAX_CELLS",
    "assign_points",
    "cell_ids",
    "cells_from_index",
    "count_points",
    "hex_cell_index",
    "hex_grid",
    "square_cell_index",
    "square_grid",
]

#: Largest grid (candidate cells over the area's bounding box) built without complaint.
MAX_CELLS = 5_000_000
_ID_FACTOR = 100_000_000
#: Hexagon side for a hexagon of unit area.
_HEX_SIDE_PER_SIZE = math.sqrt(2.0 / (3.0 * math.sqrt(3.0)))
_SQRT3 = math.sqrt(3.0)


# --------------------------------------------------------------------------- helpers
def _check_cell_size(cell_size: float) -> float:
    try:
        size = float(cell_size)
    except (TypeError, ValueError):
        raise DataError(f"cell_size must be a number of metres, got {cell_size!r}.") from None
    if not math.isfinite(size) or size <= 0:
        raise DataError(f"cell_size must be a positive number of metres, got {cell_size!r}.")
    return size


def _coords(x: Any, y: Any) -> tuple[np.ndarray, np.ndarray]:
    xa = np.asarray(x, dtype=float)
    ya = np.asarray(y, dtype=float)
    if xa.shape != ya.shape:
        raise DataError(f"x and y must have the same shape, got {xa.shape} and {ya.shape}.")
    bad = ~(np.isfinite(xa) & np.isfinite(ya))
    if bad.any():
        where = np.flatnonzero(bad.ravel())[:10].tolist()
        raise DataError(
            f"{int(bad.sum())} coordinates are missing or infinite (positions {where}); "
            "drop those points first."
        )
    return xa, ya


def _origin(origin: tuple[float, float]) -> tuple[float, float]:
    ox, oy = (float(origin[0]), float(origin[1]))
    if not (math.isfinite(ox) and math.isfinite(oy)):
        raise DataError(f"origin must be two finite numbers, got {origin!r}.")
    return ox, oy


def cell_ids(row: npt.ArrayLike, col: npt.ArrayLike) -> np.ndarray:
    """Return the stable ``cell_id`` of cells ``(row, col)``: ``row * 10**8 + col``.

    Examples
    --------
    >>> cell_ids([680, -1], [2300, 5]).tolist()
    [68000002300, -99999995]
    """
    r = np.asarray(row, dtype=np.int64)
    c = np.asarray(col, dtype=np.int64)
    if c.size and int(np.abs(c).max()) >= _ID_FACTOR // 2:
        raise DataError("grid column index too large for a cell_id; use a bigger cell_size.")
    return r * _ID_FACTOR + c


def square_cell_index(
    x: npt.ArrayLike,
    y: npt.ArrayLike,
    *,
    cell_size: float,
    origin: tuple[float, float] = (0.0, 0.0),
) -> tuple[np.ndarray, np.ndarray]:
    """Map coordinates to ``(row, col)`` of the square grid (floor rule).

    Examples
    --------
    >>> r, c = square_cell_index([0.0, 99.9, 100.0, -0.1], [0, 0, 250, 0], cell_size=100)
    >>> r.tolist(), c.tolist()
    ([0, 0, 2, 0], [0, 0, 1, -1])
    """
    size = _check_cell_size(cell_size)
    ox, oy = _origin(origin)
    xa, ya = _coords(x, y)
    col = np.floor((xa - ox) / size).astype(np.int64)
    row = np.floor((ya - oy) / size).astype(np.int64)
    return row, col


def hex_cell_index(
    x: npt.ArrayLike,
    y: npt.ArrayLike,
    *,
    cell_size: float,
    origin: tuple[float, float] = (0.0, 0.0),
) -> tuple[np.ndarray, np.ndarray]:
    """Map coordinates to ``(row, col)`` of the flat-topped hexagon grid of :func:`hex_grid`.

    Uses axial coordinates and cube rounding, so each point goes to the hexagon whose
    centre is nearest (ties on an edge resolved deterministically).

    Examples
    --------
    >>> r, c = hex_cell_index([0.0, 400.0], [0.0, 10.0], cell_size=250)
    >>> r.tolist(), c.tolist()
    ([0, 0], [0, 2])
    """
    size = _check_cell_size(cell_size)
    ox, oy = _origin(origin)
    a = size * _HEX_SIDE_PER_SIZE
    xr, yr = _coords(x, y)
    xa = (xr - ox) / a
    ya = (yr - oy) / a
    # fractional axial coordinates of a flat-topped layout
    qf = (2.0 / 3.0) * xa
    rf = -xa / 3.0 + ya / _SQRT3
    sf = -qf - rf
    q = np.round(qf)
    r = np.round(rf)
    s = np.round(sf)
    dq = np.abs(q - qf)
    dr = np.abs(r - rf)
    ds = np.abs(s - sf)
    fix_q = (dq > dr) & (dq > ds)
    fix_r = ~fix_q & (dr > ds)
    q = np.where(fix_q, -r - s, q)
    r = np.where(fix_r, -q - s, r)
    qi = q.astype(np.int64)
    ri = r.astype(np.int64)
    # axial -> odd-q offset
    row = ri + (qi - (qi & 1)) // 2
    return row, qi


def _hex_centres(
    row: np.ndarray, col: np.ndarray, size: float, origin: tuple[float, float]
) -> tuple[np.ndarray, np.ndarray]:
    a = size * _HEX_SIDE_PER_SIZE
    cx = origin[0] + 1.5 * a * col
    cy = origin[1] + _SQRT3 * a * (row + 0.5 * (col & 1))
    return cx, cy


def _area_geometry(area: Any) -> Any:
    import shapely

    gdf = require_geodataframe(area, "area")
    require_nonempty(gdf, "area")
    require_projected(gdf, "area")
    geom = gdf.geometry
    bad = geom.isna() | geom.is_empty
    if bool(bad.any()):
        rows = list(gdf.index[bad.to_numpy()][:10])
        raise DataError(f"area has {int(bad.sum())} missing or empty geometries (index {rows}).")
    # keep the polygonal parts (boundary files sometimes carry stray line slivers in a
    # GeometryCollection); lines and points have no area to cover
    parts = shapely.get_parts(shapely.make_valid(geom.to_numpy()))
    while True:
        nested = shapely.get_type_id(parts) >= 4
        if not nested.any():
            break
        parts = np.concatenate([parts[~nested], shapely.get_parts(parts[nested])])
    polys = parts[shapely.get_type_id(parts) == 3]
    polys = polys[shapely.area(polys) > 0]
    if len(polys) == 0:
        types = sorted(set(geom.geom_type.unique()))
        raise DataError(f"area must hold polygons, found only {types} with no area.")
    union = shapely.union_all(polys)
    return gdf, union


def _cell_polygons(
    row: np.ndarray, col: np.ndarray, kind: str, size: float, origin: tuple[float, float]
) -> np.ndarray:
    """Polygons of cells ``(row, col)``: squares, or flat-topped hexagons."""
    import shapely

    if kind == "square":
        x0 = origin[0] + col * size
        y0 = origin[1] + row * size
        xs = np.stack([x0, x0 + size, x0 + size, x0, x0], axis=1)
        ys = np.stack([y0, y0, y0 + size, y0 + size, y0], axis=1)
    else:
        a = size * _HEX_SIDE_PER_SIZE
        cx, cy = _hex_centres(row, col, size, origin)
        ang = np.deg2rad(np.arange(0, 420, 60))  # 7 vertices, closed ring, flat top
        xs = cx[:, None] + a * np.cos(ang)[None, :]
        ys = cy[:, None] + a * np.sin(ang)[None, :]
    # one ring of k vertices per polygon: building from flat arrays is about twice as
    # fast as shapely.polygons on a stacked (n, k, 2) array, with the same coordinates
    n, k = xs.shape
    coords = np.column_stack([xs.ravel(), ys.ravel()])
    offsets = (np.arange(0, n * k + 1, k), np.arange(n + 1))
    return np.asarray(shapely.from_ragged_array(shapely.GeometryType.POLYGON, coords, offsets))


def _cells_frame(
    row: np.ndarray,
    col: np.ndarray,
    polygons: np.ndarray,
    *,
    kind: str,
    size: float,
    origin: tuple[float, float],
    clip: bool,
) -> gpd.GeoDataFrame:
    import geopandas as gpd

    out = gpd.GeoDataFrame(
        {"cell_id": cell_ids(row, col), "row": row, "col": col}, geometry=polygons
    )
    out.attrs["hotspots_grid"] = {
        "kind": kind,
        "cell_size": size,
        "origin": origin,
        "clip": bool(clip),
        "orientation": "flat-top" if kind == "hex" else None,
        "cell_area_m2": size * size,
    }
    return out


def cells_from_index(
    row: npt.ArrayLike,
    col: npt.ArrayLike,
    *,
    kind: str,
    cell_size: float,
    origin: tuple[float, float] = (0.0, 0.0),
    crs: CRS | int | str = 27700,
) -> gpd.GeoDataFrame:
    """Cells ``(row, col)`` of a grid as a GeoDataFrame, without an area to cover.

    The inverse of :func:`square_cell_index` / :func:`hex_cell_index`: the polygons,
    ``cell_id``, ``row`` and ``col`` are exactly those :func:`square_grid` and
    :func:`hex_grid` draw for the same cells, so counts made from the indices (for
    instance on Dask, see :mod:`hotspots.national`) join back to the grids.

    Parameters
    ----------
    row, col : array-like of int
        Cell indices.
    kind : {"square", "hex"}
    cell_size : float
        Metres (square side, or hexagon area equal to a square of this side).
    origin : (float, float), default (0, 0)
    crs : pyproj.CRS, int or str, default 27700

    Returns
    -------
    geopandas.GeoDataFrame

    Examples
    --------
    >>> cells = cells_from_index([0, 1], [0, 0], kind="square", cell_size=100)
    >>> cells.total_bounds.tolist()
    [0.0, 0.0, 100.0, 200.0]
    """
    if kind not in ("square", "hex"):
        raise DataError(f"kind must be 'square' or 'hex', got {kind!r}.")
    size = _check_cell_size(cell_size)
    org = _origin(origin)
    r = np.asarray(row, dtype=np.int64).ravel()
    c = np.asarray(col, dtype=np.int64).ravel()
    if r.shape != c.shape:
        raise DataError(f"row and col differ in length ({len(r)} and {len(c)}).")
    polygons = _cell_polygons(r, c, kind, size, org)
    return _cells_frame(r, c, polygons, kind=kind, size=size, origin=org, clip=False).set_crs(crs)


class _AreaTiles:
    """An area cut into square tiles, each holding the area's part in its padded square.

    ``of(x, y)`` gives the tile of each point; ``pieces[t]`` is the area within tile
    ``t``'s square grown by ``pad`` on every side, ``empty[t]`` and ``full[t]`` say that
    the padded square misses the area or lies wholly inside it. A shape within ``pad``
    of its tile's point relates to ``pieces[t]`` exactly as to the whole area.
    """

    def __init__(self, union: Any, *, tile: float, pad: float) -> None:
        import shapely

        self.tile, self.pad = tile, pad
        minx, miny, maxx, maxy = union.bounds
        self.x0, self.y0 = math.floor(minx / tile) - 1, math.floor(miny / tile) - 1
        self.nx = math.floor(maxx / tile) - self.x0 + 2
        self.ny = math.floor(maxy / tile) - self.y0 + 2
        tx, ty = np.meshgrid(np.arange(self.nx), np.arange(self.ny), indexing="ij")
        x = (tx.ravel() + self.x0) * tile
        y = (ty.ravel() + self.y0) * tile
        boxes = shapely.box(x - pad, y - pad, x + tile + pad, y + tile + pad)
        self.empty = ~shapely.intersects(union, boxes)
        self.full = np.zeros(len(boxes), bool)
        self.pieces = np.empty(len(boxes), dtype=object)
        live = np.flatnonzero(~self.empty)
        self.full[live] = shapely.contains(union, boxes[live])
        self.pieces[live] = shapely.intersection(union, boxes[live])
        self.pieces[self.full] = boxes[self.full]
        shapely.prepare(self.pieces[live])

    def of(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """The tile of each point (points beyond the area's box go to an empty edge tile)."""
        tx = np.clip(np.floor(x / self.tile).astype(np.int64) - self.x0, 0, self.nx - 1)
        ty = np.clip(np.floor(y / self.tile).astype(np.int64) - self.y0, 0, self.ny - 1)
        out: np.ndarray = tx * self.ny + ty
        return out


def _build(area: Any, kind: str, cell_size: float, clip: bool) -> gpd.GeoDataFrame:
    import shapely

    size = _check_cell_size(cell_size)
    gdf, union = _area_geometry(area)
    minx, miny, maxx, maxy = union.bounds
    origin = (0.0, 0.0)
    if kind == "square":
        c0, c1 = math.floor(minx / size), math.floor(maxx / size)
        r0, r1 = math.floor(miny / size), math.floor(maxy / size)
    else:
        a = size * _HEX_SIDE_PER_SIZE
        h = _SQRT3 * a
        c0, c1 = math.floor((minx - a) / (1.5 * a)), math.ceil((maxx + a) / (1.5 * a))
        r0, r1 = math.floor(miny / h) - 1, math.ceil(maxy / h) + 1
    n_candidates = (c1 - c0 + 1) * (r1 - r0 + 1)
    if n_candidates > MAX_CELLS:
        suggest = size * math.sqrt(n_candidates / MAX_CELLS) * 1.05
        raise DataError(
            f"cell_size={cell_size!r} m would need {n_candidates:,} cells over this area "
            f"(limit {MAX_CELLS:,}). Use a bigger cell_size, e.g. {math.ceil(suggest)} m, "
            "or a smaller area."
        )
    cols, rows = np.meshgrid(
        np.arange(c0, c1 + 1, dtype=np.int64), np.arange(r0, r1 + 1, dtype=np.int64)
    )
    row = rows.ravel()
    col = cols.ravel()
    shapely.prepare(union)

    def make(r: np.ndarray, c: np.ndarray) -> np.ndarray:
        return _cell_polygons(r, c, kind, size, origin)

    if kind == "square":
        cx, cy = origin[0] + (col + 0.5) * size, origin[1] + (row + 0.5) * size
    else:
        cx, cy = _hex_centres(row, col, size, origin)
    # The area is cut into tiles (each padded by a cell, so that every cell lies inside
    # its tile's rectangle), and each cell is compared with its own tile's part of the
    # area: the same answers as with the whole area, at a fraction of the cost.
    tiles = _AreaTiles(union, tile=max(40.0 * size, 500.0), pad=size)
    tile = tiles.of(cx, cy)
    # a cell whose centre is inside the area overlaps it: a cheap point test settles
    # most cells; only the others need the polygon test (overlap, not mere touching)
    keep = shapely.contains_xy(union, cx, cy)
    rest = np.flatnonzero(~keep & ~tiles.empty[tile])
    if len(rest):
        edge = make(row[rest], col[rest])
        part = tiles.pieces[tile[rest]]
        hit = shapely.intersects(part, edge)
        hit[hit] = ~shapely.touches(part[hit], edge[hit])
        keep[rest[hit]] = True
    row, col, tile = row[keep], col[keep], tile[keep]
    cells = make(row, col)
    # the share of each cell inside the area: its exposure (a cell cut by the coast can
    # hold only part of a whole cell's incidents; Gi* permutes within strata of it)
    share = np.ones(len(cells))
    cut = np.flatnonzero(~tiles.full[tile])
    cut = cut[~shapely.contains(tiles.pieces[tile[cut]], cells[cut])]
    if len(cut):
        parts = shapely.intersection(cells[cut], tiles.pieces[tile[cut]])
        share[cut] = np.clip(shapely.area(parts) / shapely.area(cells[cut]), 0.0, 1.0)
        if clip:
            cells[cut] = parts
    out = _cells_frame(row, col, cells, kind=kind, size=size, origin=origin, clip=clip)
    out.insert(3, "area_share", share)
    out = out.set_crs(gdf.crs)
    record(
        out,
        method=f"{kind} grid",
        parameters={"cell_size": size, "clip": bool(clip), "origin": origin},
        inherit=gdf,
    )
    return out


def square_grid(
    area: gpd.GeoDataFrame | gpd.GeoSeries, *, cell_size: float, clip: bool = False
) -> gpd.GeoDataFrame:
    """Square cells of ``cell_size`` metres covering ``area``.

    Parameters
    ----------
    area : GeoDataFrame or GeoSeries
        Polygon(s) in a projected CRS (metres).
    cell_size : float
        Side of a cell in metres.
    clip : bool, default False
        Clip cells to the area (cell areas then vary at the edge).

    Returns
    -------
    GeoDataFrame
        One row per cell that intersects the area (empty cells kept), columns
        ``cell_id``, ``row``, ``col``, ``area_share`` (the share of the cell inside the
        area, 0 to 1), ``geometry``; the grid specification in
        ``attrs["hotspots_grid"]``.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> area = gpd.GeoSeries([box(0, 0, 1000, 500)], crs=27700)
    >>> g = square_grid(area, cell_size=100)
    >>> len(g), float(g.area.sum())
    (50, 500000.0)
    """
    return _build(area, "square", cell_size, clip)


def hex_grid(
    area: gpd.GeoDataFrame | gpd.GeoSeries, *, cell_size: float, clip: bool = False
) -> gpd.GeoDataFrame:
    """Flat-topped hexagons of area ``cell_size**2`` covering ``area``.

    ``cell_size`` is the side of the square with the same area as one hexagon (see the
    module notes); the hexagon side is about ``0.6204 * cell_size``.

    Parameters
    ----------
    area : GeoDataFrame or GeoSeries
        Polygon(s) in a projected CRS (metres).
    cell_size : float
        Side of the equal-area square, in metres.
    clip : bool, default False
        Clip cells to the area.

    Returns
    -------
    GeoDataFrame
        Columns ``cell_id``, ``row``, ``col``, ``area_share`` (the share of the cell inside
        ``area``, from 0 to 1), ``geometry``; spec in ``attrs["hotspots_grid"]``.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> g = hex_grid(gpd.GeoSeries([box(0, 0, 2000, 2000)], crs=27700), cell_size=250)
    >>> round(float(g.area.iloc[0]), 6)
    62500.0
    """
    return _build(area, "hex", cell_size, clip)


# --------------------------------------------------------------------------- counting
def _slug(value: Hashable) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "missing"
    return snake_case(value) or "blank"


def _grid_spec(polygons: Any) -> dict[str, Any] | None:
    """The grid spec when ``polygons`` is an unclipped grid from this module, else None."""
    import shapely

    spec = polygons.attrs.get("hotspots_grid")
    if not isinstance(spec, dict) or spec.get("clip") or spec.get("kind") not in {"square", "hex"}:
        return None
    if not {"row", "col", "cell_id"} <= set(polygons.columns):
        return None
    # cheap consistency check: a few cells' interior points map back to their row/col
    sample = polygons.iloc[:: max(1, len(polygons) // 5)][:6]
    pts = shapely.get_coordinates(sample.geometry.representative_point().to_numpy())
    index = hex_cell_index if spec["kind"] == "hex" else square_cell_index
    r, c = index(pts[:, 0], pts[:, 1], cell_size=spec["cell_size"], origin=spec["origin"])
    ok = np.array_equal(r, sample["row"].to_numpy()) and np.array_equal(c, sample["col"].to_numpy())
    return spec if ok else None


def _assign_general(xy: np.ndarray, polygons: Any) -> np.ndarray:
    """Position of the first polygon (row order) covering each point, -1 if none.

    ``xy`` is an (n, 2) array of coordinates or an array of shapely Points.
    """
    import shapely

    tree = shapely.STRtree(polygons.geometry.to_numpy())
    pts = xy if xy.dtype == object else shapely.points(xy)
    pi, gi = tree.query(pts, predicate="intersects")
    pos = np.full(len(xy), -1, dtype=np.int64)
    if len(pi):
        order = np.lexsort((gi, pi))
        pi, gi = pi[order], gi[order]
        first = np.r_[True, pi[1:] != pi[:-1]]
        pos[pi[first]] = gi[first]
    return pos


def _positions(pts: Any, polys: Any) -> tuple[np.ndarray, str]:
    """Row position in ``polys`` of the cell holding each point (-1: none) and the rule."""
    import shapely

    spec = _grid_spec(polys)
    if spec is not None:
        require_projected(polys, "polygons")
    n = len(pts)
    geoms = pts.geometry.to_numpy()
    xy = shapely.get_coordinates(geoms)
    # all Points and one coordinate pair each <=> no missing/empty/other geometry
    # (a fast check on a million rows; require_points words the error otherwise)
    if len(xy) != n or not (shapely.get_type_id(geoms) == 0).all():
        require_points(pts, "points")
        raise DataError("points must hold non-empty Point geometries.")
    if spec is not None:
        index = hex_cell_index if spec["kind"] == "hex" else square_cell_index
        r, c = index(xy[:, 0], xy[:, 1], cell_size=spec["cell_size"], origin=spec["origin"])
        ids = r * _ID_FACTOR + c
        pos = pd.Index(polys["cell_id"].to_numpy()).get_indexer(ids).astype(np.int64)
        return pos, "grid arithmetic"
    pos = _assign_general(geoms, polys) if n else np.empty(0, dtype=np.int64)
    return pos, "first intersecting polygon in row order"


def _check_polygons(polygons: Any) -> Any:
    polys = require_geodataframe(polygons, "polygons")
    require_nonempty(polys, "polygons")
    pgeom = polys.geometry
    bad = pgeom.isna() | pgeom.is_empty
    if bool(bad.any()):
        rows = list(polys.index[bad.to_numpy()][:10])
        raise DataError(
            f"polygons has {int(bad.sum())} missing or empty geometries (index {rows}); "
            "drop them first."
        )
    return polys


def assign_points(points: gpd.GeoDataFrame, polygons: gpd.GeoDataFrame) -> np.ndarray:
    """Row position of the polygon (grid cell, LSOA ...) holding each point; -1 for none.

    The one assignment rule of the package, used by :func:`count_points` and by the
    space-time cube, backtests and forecasts, so a point on a shared boundary lands in
    the same cell everywhere (see :func:`count_points` Notes for the rule).

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> g = square_grid(gpd.GeoSeries([box(0, 0, 200, 100)], crs=27700), cell_size=100)
    >>> pts = gpd.GeoDataFrame(geometry=gpd.points_from_xy([100, 250], [50, 50]), crs=27700)
    >>> assign_points(pts, g).tolist()
    [1, -1]
    """
    pts = require_geodataframe(points, "points")
    polys = _check_polygons(polygons)
    require_same_crs(polys, pts, ("polygons", "points"))
    return _positions(pts, polys)[0]


def count_points(
    points: gpd.GeoDataFrame,
    polygons: gpd.GeoDataFrame,
    *,
    weight: str | None = None,
    by: str | None = None,
    name: str = "count",
) -> gpd.GeoDataFrame:
    """Count points (or sum a weight) per polygon: grid cells, LSOAs, wards ...

    Parameters
    ----------
    points : GeoDataFrame
        Point incidents, same CRS as ``polygons``.
    polygons : GeoDataFrame
        Cells from :func:`square_grid` / :func:`hex_grid` (fast arithmetic assignment)
        or any polygons (assigned with a spatial index).
    weight : str, optional
        Column of ``points`` to sum instead of counting (must have no missing values).
    by : str, optional
        Column of ``points`` whose categories get one extra column each, named
        ``f"{name}_{slug}"`` where ``slug`` is the category lower-cased with every run of
        non-alphanumeric characters replaced by ``_`` (``"Violence and sexual offences"``
        -> ``count_violence_and_sexual_offences``; missing -> ``_missing``; clashes get
        ``_2``, ``_3`` ...). The mapping is in ``attrs["hotspots"]["by_columns"]``.
    name : str, default "count"
        Name of the total column.

    Returns
    -------
    GeoDataFrame
        A copy of ``polygons`` (same index) with ``name`` (int64, or float64 when
        weighted) and the ``by`` columns.

    Notes
    -----
    Each point is counted at most once. Grids use the arithmetic rule of the module
    notes. For general polygons a point is given to the **first polygon, in row order,
    that it intersects** (so a point on a shared boundary is counted once, in the earlier
    row). Points in no polygon are reported with a :class:`~hotspots.HotspotsWarning` and
    in ``attrs["hotspots"]["n_outside"]`` / ``["outside_index"]`` (first 1,000 labels).
    Clipped grids are counted with the general rule.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> g = square_grid(gpd.GeoSeries([box(0, 0, 200, 100)], crs=27700), cell_size=100)
    >>> pts = gpd.GeoDataFrame(geometry=gpd.points_from_xy([10, 150, 160], [5, 5, 5]), crs=27700)
    >>> count_points(pts, g)["count"].tolist()
    [1, 2]
    """
    pts = require_geodataframe(points, "points")
    polys = _check_polygons(polygons)
    require_same_crs(polys, pts, ("polygons", "points"))
    n = len(pts)
    w = require_numeric(pts, weight, "points") if weight is not None else None
    if by is not None and by not in pts.columns:
        raise DataError(f"points has no column {by!r} to split the counts by.")
    pos, rule = _positions(pts, polys)

    m = len(polys)
    inside = pos >= 0
    n_out = int((~inside).sum())
    out = polys.copy()
    if w is None:
        out[name] = np.bincount(pos[inside], minlength=m).astype(np.int64)
    else:
        out[name] = np.bincount(pos[inside], weights=w[inside], minlength=m)
    by_columns: dict[str, str] = {}
    if by is not None:
        codes, cats = pd.factorize(pts[by], use_na_sentinel=False)
        k = len(cats)
        flat = pos[inside] * k + codes[inside]
        wt = None if w is None else w[inside]
        table = np.bincount(flat, weights=wt, minlength=m * k).reshape(m, k)
        used: set[str] = set(out.columns)
        for j in np.argsort([str(cat) for cat in cats], kind="stable"):
            base = f"{name}_{_slug(cats[j])}"
            col_name, i = base, 2
            while col_name in used:
                col_name, i = f"{base}_{i}", i + 1
            used.add(col_name)
            by_columns[str(cats[j])] = col_name
            out[col_name] = table[:, j] if w is not None else table[:, j].astype(np.int64)
    outside_index = list(pts.index[~inside][:1000])
    if n_out:
        warnings.warn(
            f"{n_out:,} of {n:,} points fall outside every polygon and were not counted "
            f"(first index labels: {outside_index[:10]}).",
            HotspotsWarning,
            stacklevel=2,
        )
    record(
        out,
        method="count points per polygon",
        parameters={"weight": weight, "by": by, "name": name, "assignment": rule},
        inherit=pts,
        n_points=n,
        n_counted=n - n_out,
        n_outside=n_out,
        outside_index=outside_index,
        by_columns=by_columns,
    )
    if "hotspots_grid" in polys.attrs:
        out.attrs["hotspots_grid"] = dict(polys.attrs["hotspots_grid"])
    return out
