"""Buffers of many street pieces at once, traced on a grid (private to :mod:`hotspots.reach`).

The union of thousands of buffered street pieces is what makes vector isochrones slow:
GEOS spends most of its time merging overlapping polygons. Here the same area, every
place within ``buf`` metres of the pieces, is traced from a distance field instead, the
way routing engines draw isochrones from a grid of times (Valhalla, OpenTripPlanner):

1. points every ``cell`` metres along the pieces mark the grid cells they fall in;
2. ``scipy.ndimage.distance_transform_edt`` gives every cell centre its distance to the
   nearest marked cell centre, which is within ``cell / sqrt(2)`` of its distance to
   the points;
3. cells whose distance is within ``1.8 * cell`` of ``buf`` (the only ones a boundary
   can pass between) get their exact distance: a k-d tree finds the nearest point,
   and the distance is taken to the stretches of street on either side of it;
4. the boundary ``distance == buf`` is traced with marching squares (``contourpy``,
   filled contours, holes included) and returned as shapely polygons.

No bridging: given the other streets nearby too, a cell is inside only where a reached
piece is nearer than any other street (the field is ``max(d, buf + d - d_other)``,
which crosses ``buf`` on the bisector), so the area stops where a place's own nearest
street is one that is not reached, e.g. across a river or a motorway.

For nested areas (one per time threshold) each field is lowered to the previous,
shorter one wherever that one is smaller, so a shorter isochrone lies exactly inside
a longer one. Gaps between buffers narrower than about a cell can close up.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

__all__: list[str] = []

#: Largest grid (cells) traced in one piece; larger areas get coarser cells.
MAX_CELLS = 20_000_000

#: Cells within this many cell widths of the buffer distance get exact distances.
_BAND = 1.8


def cell_for(points: np.ndarray, buf: float, cell: float) -> float:
    """``cell``, or the smallest larger size that keeps the grid under MAX_CELLS."""
    if len(points) == 0:
        return cell
    width = float(np.ptp(points[:, 0])) + 2 * buf
    height = float(np.ptp(points[:, 1])) + 2 * buf
    size = cell
    while (cells := (width / size + 4) * (height / size + 4)) > MAX_CELLS:
        size *= float(np.sqrt(cells / MAX_CELLS)) * 1.01
    return size


PointSet = tuple[np.ndarray, np.ndarray]


def nested_buffers(
    point_sets: Sequence[tuple[PointSet, PointSet | None]],
    buf: float,
    cell: float,
    *,
    workers: int = 1,
) -> list[Any]:
    """Areas within ``buf`` of each set of street pieces, each containing the one before.

    Parameters
    ----------
    point_sets : sequence of ((points, joined), (other points, joined) or None)
        Points along the pieces (at most ``cell`` apart) and whether each is joined to
        the next by a straight stretch (from ``_routing.piece_points``), one pair per
        threshold, shortest first; each set should cover the one before. The second
        pair, when given, are points along the *other* streets nearby: a place is kept
        only where a piece is nearer to it than any other street (so the area never
        jumps a river, a railway or a motorway to streets that are not reached).
    buf : float
        Buffer distance in the points' units (metres).
    cell : float
        Grid cell size; use :func:`cell_for` first for large areas.
    workers : int, default 1
        Threads computing the distance fields of the sets at the same time (the
        distance transform and the k-d tree release the GIL).

    Returns
    -------
    list of shapely Polygon or MultiPolygon
        One per set (an empty Polygon for an empty set).
    """
    import shapely

    def field_of(item: tuple[PointSet, PointSet | None]) -> tuple[int, int, np.ndarray] | None:
        (pts, joined), other = item
        return _field(pts, joined, other, buf, cell) if len(pts) else None

    if workers > 1 and len(point_sets) > 1:
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(workers) as pool:
            fields = list(pool.map(field_of, point_sets))
    else:
        fields = [field_of(item) for item in point_sets]
    out: list[Any] = []
    prev: tuple[int, int, np.ndarray] | None = None
    for here in fields:
        if here is None:
            out.append(shapely.Polygon())
            continue
        if prev is not None:
            _lower_to(here[2], here[0], here[1], *prev)
        prev = here
        out.append(_trace(here[2], here[0], here[1], buf, cell))
    return out


def _field(
    pts: np.ndarray, joined: np.ndarray, other: PointSet | None, buf: float, cell: float
) -> tuple[int, int, np.ndarray]:
    """Grid origin (in cells) and a field that is below ``buf`` exactly inside the area.

    Without ``other`` the field is the distance ``d`` to the pieces. With it, the field
    is ``max(d, buf + d - d_other)``: below ``buf`` where ``d < buf`` and the pieces are
    nearer than any other street, equal to ``buf`` on the bisector between them.
    """
    from scipy import ndimage

    pad = (2 * buf if other is not None else buf) + 2 * cell
    gx0 = int(np.floor((pts[:, 0].min() - pad) / cell))
    gy0 = int(np.floor((pts[:, 1].min() - pad) / cell))
    nx = int(np.ceil((pts[:, 0].max() + pad) / cell)) - gx0
    ny = int(np.ceil((pts[:, 1].max() + pad) / cell)) - gy0

    def edt(p: np.ndarray) -> np.ndarray:
        ix = np.floor(p[:, 0] / cell).astype(np.int64) - gx0
        iy = np.floor(p[:, 1] / cell).astype(np.int64) - gy0
        on = (ix >= 0) & (ix < nx) & (iy >= 0) & (iy < ny)
        empty = np.ones((ny, nx), bool)
        empty[iy[on], ix[on]] = False
        if empty.all():
            return np.full((ny, nx), np.inf)
        d: np.ndarray = ndimage.distance_transform_edt(empty)
        d *= cell
        return d

    field = edt(pts)
    if other is None or len(other[0]) == 0:
        by, bx = np.nonzero(np.abs(field - buf) <= _BAND * cell)
        if len(by):
            field[by, bx] = _exact(pts, joined, _centres(bx, by, gx0, gy0, cell), buf, cell)
        return gx0, gy0, field
    d_other = edt(other[0])
    with np.errstate(invalid="ignore"):  # fmax: far from both (inf - inf) is outside
        combined = np.fmax(field, buf + field - d_other)
    # the EDT errs by under cell / sqrt(2) in each distance, so by under 1.42 cells in
    # the combined field: refine where that could put a cell on the wrong side
    by, bx = np.nonzero(np.abs(combined - buf) <= 1.5 * cell)
    if len(by):
        centres = _centres(bx, by, gx0, gy0, cell)
        d = _exact(pts, joined, centres, buf + 4 * cell, cell)
        do = _exact(other[0], other[1], centres, buf + 4 * cell, cell)
        with np.errstate(invalid="ignore"):
            combined[by, bx] = np.fmax(d, buf + d - do)
    return gx0, gy0, combined


def _centres(bx: np.ndarray, by: np.ndarray, gx0: int, gy0: int, cell: float) -> np.ndarray:
    return np.column_stack([(gx0 + bx + 0.5) * cell, (gy0 + by + 0.5) * cell])


def _exact(
    pts: np.ndarray, joined: np.ndarray, centres: np.ndarray, reach: float, cell: float
) -> np.ndarray:
    """Distance from each centre to the polyline through ``pts`` (inf beyond ``reach``)."""
    from scipy.spatial import cKDTree

    # an unbalanced, loose tree builds in half the time and queries no slower here
    tree = cKDTree(pts, balanced_tree=False, compact_nodes=False)
    near, k = tree.query(centres, distance_upper_bound=reach + 3 * cell)
    found = np.isfinite(near)
    k = np.minimum(k, len(pts) - 1)
    gap = centres - pts[k]
    exact = np.hypot(gap[:, 0], gap[:, 1])
    ahead = np.nonzero(joined[k] & found)[0]
    exact[ahead] = np.minimum(
        exact[ahead], _to_segment(centres[ahead], pts[k[ahead]], pts[k[ahead] + 1])
    )
    behind = np.nonzero((k > 0) & joined[k - 1] & found)[0]
    exact[behind] = np.minimum(
        exact[behind], _to_segment(centres[behind], pts[k[behind] - 1], pts[k[behind]])
    )
    exact[~found] = np.inf
    return np.asarray(exact, float)


def _to_segment(p: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Distance from each point ``p`` to the segment from ``a`` to ``b`` (row-wise)."""
    ab = b - a
    t = np.einsum("ij,ij->i", p - a, ab) / np.maximum(np.einsum("ij,ij->i", ab, ab), 1e-24)
    near = a + np.clip(t, 0.0, 1.0)[:, None] * ab
    gap = p - near
    return np.asarray(np.hypot(gap[:, 0], gap[:, 1]))


def _lower_to(field: np.ndarray, gx0: int, gy0: int, px0: int, py0: int, pf: np.ndarray) -> None:
    """Lower ``field`` in place to the previous field ``pf`` where they overlap."""
    x0, y0 = max(gx0, px0), max(gy0, py0)
    x1 = min(gx0 + field.shape[1], px0 + pf.shape[1])
    y1 = min(gy0 + field.shape[0], py0 + pf.shape[0])
    if x1 <= x0 or y1 <= y0:
        return
    here = field[y0 - gy0 : y1 - gy0, x0 - gx0 : x1 - gx0]
    np.minimum(here, pf[y0 - py0 : y1 - py0, x0 - px0 : x1 - px0], out=here)


def _trace(field: np.ndarray, gx0: int, gy0: int, buf: float, cell: float) -> Any:
    """Polygon(s) where ``field <= buf``, by marching squares."""
    import contourpy
    import shapely

    xs = (gx0 + np.arange(field.shape[1]) + 0.5) * cell
    ys = (gy0 + np.arange(field.shape[0]) + 0.5) * cell
    gen = contourpy.contour_generator(
        xs, ys, field, name="serial", fill_type="ChunkCombinedOffsetOffset"
    )
    filled: Any = gen.filled(-1.0, buf)  # chunked points, ring offsets, polygon offsets
    points, offsets, outer = filled
    if points[0] is None:
        return shapely.Polygon()
    polys = shapely.from_ragged_array(
        shapely.GeometryType.POLYGON, points[0], (offsets[0], outer[0])
    )
    geom = polys[0] if len(polys) == 1 else shapely.MultiPolygon(list(polys))
    return geom if shapely.is_valid(geom) else shapely.make_valid(geom)
