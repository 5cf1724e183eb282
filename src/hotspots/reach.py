"""Who can reach help: travel time to the nearest service, isochrones and coverage.

Travel is measured on the street network (a projected, osmnx-compatible
``networkx.MultiDiGraph`` whose edges carry ``travel_time`` in seconds).

**Direction.** Every function here (:func:`travel_times`, :func:`isochrones`,
:func:`coverage`, and :func:`hotspots.hotspot_gaps` through them) measures the same
thing: by default ``direction="to_service"``, the time to go **from** a place **to**
the service ("how long to reach A&E"); ``direction="from_service"`` is the time from the
service out to the place (an outreach team, an ambulance). Both are exact on a directed
graph: one-way streets are followed only the way traffic flows. On a walk graph the two
are equal.

Places and services are snapped onto the nearest street (not the nearest node), every
edge of the graph counted, parallel edges and loop streets included; tunnels are
travelled through but not snapped to (nobody enters one from the ground above it). The access leg
from a point to its street (its perpendicular distance) is charged at **walking speed**
(4.8 km/h) in every mode, since people walk to their car or bike; the part of the
street to its end node is charged at the street's own speed.

All services are searched at once: one multi-source Dijkstra search
(``scipy.sparse.csgraph.dijkstra`` with ``min_only=True``) from one virtual node per
service, over the **transposed** graph for ``"to_service"`` and over the graph itself
for ``"from_service"``.

Without a network (``G=None``) the straight-line distance times a circuity factor is
used instead and every result says so (``method = "straight-line"``).
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from . import _raster_buffer, _routing, _snapping, _streetgraph
from ._errors import CRSError, DataError, HotspotsWarning
from ._provenance import record
from ._streetgraph import Direction
from ._validate import require_geodataframe, require_projected

if TYPE_CHECKING:
    import geopandas as gpd

__all__ = [
    "DEFAULT_CIRCUITY",
    "Coverage",
    "coverage",
    "isochrones",
    "travel_time_matrix",
    "travel_times",
]

#: Average ratio of network to straight-line distance used when no network is given.
DEFAULT_CIRCUITY = 1.3

#: Segments per quarter circle of the buffers round street ends (coarse is faster).
_QUAD_SEGS = 4

_NETWORK = "network"
_STRAIGHT = "straight-line"


# --------------------------------------------------------------------------- checks
def _positive(value: Any, name: str) -> float:
    """``value`` as a positive finite float, or DataError naming ``name``."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = float("nan")
    if isinstance(value, bool) or not (np.isfinite(number) and number > 0):
        raise DataError(f"{name} must be a positive number, got {value!r}.")
    return number


def _points(gdf: gpd.GeoDataFrame, name: str) -> np.ndarray:
    """Point geometries (polygons through ``representative_point``); DataError on gaps."""
    geom = gdf.geometry
    bad = geom.isna().to_numpy() | geom.is_empty.to_numpy()
    if bad.any():
        rows = list(gdf.index[bad][:10])
        raise DataError(
            f"{name} has {int(bad.sum())} missing or empty geometries (index {rows}). "
            "Drop or fix them first."
        )
    import shapely

    if bool((shapely.get_type_id(geom.to_numpy()) == 0).all()):  # all points
        return np.asarray(geom.to_numpy(), dtype=object)
    pts = geom.representative_point().to_numpy()
    return np.asarray(pts, dtype=object)


def _check_layer(gdf: Any, name: str, crs: Any) -> gpd.GeoDataFrame:
    gdf = require_geodataframe(gdf, name)
    require_projected(gdf, name)
    if crs is not None and not gdf.crs.equals(crs):
        raise CRSError(
            f"{name} ({gdf.crs.to_string()}) is not in the street graph's CRS "
            f"({crs.to_string()}). Reproject it: `{name}.to_crs({crs.to_string()!r})`."
        )
    return gdf


def _check_services(services: Any, crs: Any, by: str | None) -> gpd.GeoDataFrame:
    services = _check_layer(services, "services", crs)
    if len(services) == 0:
        raise DataError("services is empty (0 rows): there is nothing to travel to.")
    if by is not None and by not in services.columns:
        raise DataError(f"services has no column {by!r} to group by.")
    if by is not None and services[by].isna().any():
        rows = list(services.index[services[by].isna().to_numpy()][:10])
        raise DataError(f"services column {by!r} is missing for index {rows}.")
    return services


def _snap_checked(
    arrays: _streetgraph.GraphArrays, pts: np.ndarray, index: pd.Index, name: str, max_snap_m: float
) -> tuple[_snapping.Snap, np.ndarray]:
    s = _snapping.snap(arrays, pts)
    far = s.dist_m > max_snap_m
    if far.any():
        rows = list(index[far][:10])
        warnings.warn(
            f"{int(far.sum())} {name} lie more than max_snap_m={max_snap_m:g} m from any "
            f"street (index {rows}, up to {s.dist_m[far].max():.0f} m): check their "
            "locations or the network's extent. See the 'snap_m' column.",
            HotspotsWarning,
            stacklevel=3,
        )
    return s, far


def _subset(s: _snapping.Snap, keep: np.ndarray) -> _snapping.Snap:
    return _snapping.Snap(s.street[keep], s.frac[keep], s.dist_m[keep], s.access_s[keep])


def _groups(services: gpd.GeoDataFrame, by: str | None) -> list[tuple[str | None, np.ndarray]]:
    if by is None:
        return [(None, np.arange(len(services)))]
    values = services[by].astype(str).to_numpy()
    return [(str(v), np.nonzero(values == v)[0]) for v in sorted(set(values))]


# --------------------------------------------------------------------------- travel times
def travel_times(
    G: Any,
    services: gpd.GeoDataFrame,
    targets: gpd.GeoDataFrame,
    *,
    by: str | None = None,
    max_minutes: float | None = None,
    speed_kph: float | None = None,
    max_snap_m: float = 500.0,
    circuity: float = DEFAULT_CIRCUITY,
    direction: Direction = "to_service",
) -> gpd.GeoDataFrame:
    """Minutes from each target to its nearest service over the street network.

    Parameters
    ----------
    G : networkx.MultiDiGraph or None
        Projected street graph (``G.graph["crs"]``, node ``x``/``y``, edge
        ``travel_time`` in seconds). ``None`` uses the straight-line fallback:
        straight-line distance x ``circuity`` at ``speed_kph`` (default 4.8 km/h).
    services : GeoDataFrame
        Service points, in the graph's CRS.
    targets : GeoDataFrame
        Places to measure from (points; polygons use ``representative_point()``).
    by : str, optional
        Column of ``services`` (e.g. ``"service_type"``): adds ``minutes_<value>`` and
        ``nearest_<value>`` for every value, from one search per value.
    max_minutes : float, optional
        Stop searching beyond this time; farther targets get ``minutes = inf`` and
        ``reachable = False``.
    speed_kph : float, optional
        Speed of the mode. On a network it replaces every edge's ``travel_time`` by
        ``length / speed``; without one it is the straight-line speed (default 4.8 km/h,
        walking; pass the mode's speed for cycling or driving). The access leg from a
        point to its street is always at walking speed (4.8 km/h).
    max_snap_m : float, default 500
        Targets or services farther than this from any street are flagged with a
        :class:`HotspotsWarning`; such services are left out of the search.
    circuity : float, default 1.3
        Network / straight-line distance ratio for the fallback. 1.3 is an *average*:
        Levinson & El-Geneidy (2009), "The minimum circuity frontier and the journey to
        work", Regional Science and Urban Economics 39(6), report average circuity of
        roughly 1.2-1.3 for US metropolitan areas, and Barthélemy (2011), "Spatial
        networks", Physics Reports 499, reviews "detour index" values of about 1.2-1.4 for
        street networks. Rivers, railways and cul-de-sacs make single trips much longer.
    direction : {"to_service", "from_service"}, default "to_service"
        ``"to_service"``: the time from each target to the service; ``"from_service"``:
        from the service to the target. They differ on one-way streets.

    Returns
    -------
    GeoDataFrame
        A copy of ``targets`` (same index) with ``minutes`` (float, ``inf`` when not
        reachable), ``nearest_service`` (index label of the nearest service, ``None``
        when unreachable), ``reachable``, ``snap_m`` (metres from the target to the
        street, NaN for straight-line), ``method`` (``"network"`` or
        ``"straight-line"``) and, with ``by``, the per-value columns.

    Notes
    -----
    The first call on a graph reads it into arrays (on a 100k-node graph about 0.4 s,
    about as long as one networkx Dijkstra search over it); later calls reuse them while the graph is unchanged: nodes and edges
    added or removed through networkx, or any edge's weight edited in place, make the
    next call read the graph again. The snapping of the last few sets of places is
    kept too, so repeated calls on the same places (e.g. with ``max_minutes``) skip it.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import Point
    >>> svc = gpd.GeoDataFrame(geometry=[Point(0, 0)], crs=27700)
    >>> tgt = gpd.GeoDataFrame(geometry=[Point(300, 400)], crs=27700)
    >>> out = travel_times(None, svc, tgt)  # 500 m * 1.3 at 4.8 km/h
    >>> round(float(out["minutes"].iloc[0]), 3)
    8.125
    """
    crs = _streetgraph.graph_crs(G) if G is not None else None
    services = _check_services(services, crs, by)
    targets = _check_layer(targets, "targets", crs if crs is not None else services.crs)
    if crs is None and not targets.crs.equals(services.crs):
        raise CRSError(
            f"targets ({targets.crs.to_string()}) and services ({services.crs.to_string()}) "
            "are in different CRSs. Reproject one, e.g. `targets.to_crs(services.crs)`."
        )
    direction = _streetgraph.check_direction(direction)
    if max_minutes is not None:
        max_minutes = _positive(max_minutes, "max_minutes")
    if _positive(circuity, "circuity") < 1.0:
        raise DataError(f"circuity must be at least 1, got {circuity!r}.")
    max_snap_m = _positive(max_snap_m, "max_snap_m")
    s_pts = _points(services, "services")
    t_pts = _points(targets, "targets")
    limit_s = np.inf if max_minutes is None else float(max_minutes) * 60.0
    out = targets.copy()
    groups = _groups(services, by)
    results: list[tuple[str | None, np.ndarray, np.ndarray]] = []
    params: dict[str, Any] = {
        "direction": direction,
        "by": by,
        "max_minutes": max_minutes,
        "speed_kph": speed_kph,
        "max_snap_m": max_snap_m,
    }
    if G is None:
        from scipy.spatial import cKDTree

        speed = 4.8 if speed_kph is None else _positive(speed_kph, "speed_kph")
        sxy = np.column_stack([[p.x for p in s_pts], [p.y for p in s_pts]])
        txy = np.column_stack([[p.x for p in t_pts], [p.y for p in t_pts]])
        for name, members in groups:
            tree = cKDTree(sxy[members])
            if len(txy):
                d, j = tree.query(txy)
            else:
                d, j = np.empty(0), np.empty(0, np.int64)
            secs = np.asarray(d, float) * circuity / (speed / 3.6)
            secs = np.where(secs <= limit_s, secs, np.inf)
            which = np.where(np.isfinite(secs), members[np.asarray(j, np.int64)], -1)
            results.append((name, secs, which))
        out["snap_m"] = np.nan
        method = _STRAIGHT
        params.update(circuity=circuity, speed_kph=speed)
    else:
        arrays = _streetgraph.graph_arrays(G, speed_kph)
        s_snap, s_far = _snap_checked(arrays, s_pts, services.index, "services", max_snap_m)
        t_snap, _ = _snap_checked(arrays, t_pts, targets.index, "targets", max_snap_m)
        if s_far.all():
            raise DataError(
                f"No service lies within max_snap_m={max_snap_m:g} m of the street network; "
                "check that the services and the graph cover the same area."
            )
        for name, members in groups:
            members = members[~s_far[members]]
            if len(members) == 0:
                secs = np.full(len(targets), np.inf)
                which = np.full(len(targets), -1)
            else:
                secs, pos = _routing.nearest(
                    arrays, _subset(s_snap, members), t_snap, direction=direction, limit_s=limit_s
                )
                which = np.where(pos >= 0, members[np.maximum(pos, 0)], -1)
            results.append((name, secs, which))
        out["snap_m"] = t_snap.dist_m
        method = _NETWORK
        params["speed_kph"] = arrays.speed_kph

    labels = services.index.to_numpy()

    def label(which: np.ndarray) -> np.ndarray:
        out = np.full(len(which), None, dtype=object)
        found = which >= 0
        out[found] = labels[which[found]]
        return out

    all_secs = np.vstack([r[1] for r in results])
    all_which = np.vstack([r[2] for r in results])
    best = np.argmin(all_secs, axis=0) if len(targets) else np.empty(0, np.int64)
    cols = np.arange(len(targets))
    secs = all_secs[best, cols] if len(targets) else np.empty(0)
    out["minutes"] = secs / 60.0
    out["nearest_service"] = pd.Series(label(all_which[best, cols]), index=out.index, dtype=object)
    out["reachable"] = np.isfinite(secs)
    if by is not None:
        for name, g_secs, g_which in results:
            out[f"minutes_{name}"] = g_secs / 60.0
            out[f"nearest_{name}"] = pd.Series(label(g_which), index=out.index, dtype=object)
    out["method"] = method
    n_unreached = int((~out["reachable"]).sum())
    if G is not None and max_minutes is None and n_unreached:
        rows = list(out.index[~out["reachable"].to_numpy()][:10])
        warnings.warn(
            f"{n_unreached} targets cannot reach any service on the network (another "
            f"connected component; index {rows}); their minutes are inf, not 0.",
            HotspotsWarning,
            stacklevel=2,
        )
    description = (
        "network: shortest path on the street graph (multi-source Dijkstra, access legs "
        "to the nearest street included)"
        if method == _NETWORK
        else f"straight-line: straight-line distance x circuity {circuity:g} at "
        f"{params['speed_kph']:g} km/h (no street network; an average, not a route)"
    )
    sources = ["osm"] if method == _NETWORK and G.graph.get("sources") is None else []
    if G is not None:
        sources += list(G.graph.get("sources", []))
    return record(
        out,
        method=method,
        parameters=params,
        sources=sources,
        inherit=targets,
        description=description,
    )


def travel_time_matrix(
    G: Any,
    services: gpd.GeoDataFrame,
    targets: gpd.GeoDataFrame,
    *,
    max_minutes: float | None = None,
    speed_kph: float | None = None,
    max_snap_m: float = 500.0,
    circuity: float = DEFAULT_CIRCUITY,
    direction: Direction = "to_service",
) -> pd.DataFrame:
    """Minutes between every target (rows) and every service (columns), in one call.

    The same times as :func:`travel_times` gives for each service on its own (same
    snapping, access legs, ``direction`` and straight-line fallback), for many
    candidate sites at once: the graph is prepared and the points snapped once, and the
    searches run in batches.

    Parameters
    ----------
    G, services, targets, max_minutes, speed_kph, max_snap_m, circuity, direction
        As in :func:`travel_times`. Services beyond ``max_snap_m`` of any street get a
        column of ``inf`` (with a warning).

    Returns
    -------
    pandas.DataFrame
        Index: ``targets.index``; columns: ``services.index``; minutes (``inf`` where
        not reachable or beyond ``max_minutes``).

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import Point
    >>> svc = gpd.GeoDataFrame(geometry=[Point(0, 0), Point(600, 0)], crs=27700)
    >>> tgt = gpd.GeoDataFrame(geometry=[Point(300, 400)], crs=27700)
    >>> travel_time_matrix(None, svc, tgt).round(3).to_numpy().tolist()  # 500 m x 1.3
    [[8.125, 8.125]]
    """
    crs = _streetgraph.graph_crs(G) if G is not None else None
    direction = _streetgraph.check_direction(direction)
    services = _check_services(services, crs, None)
    targets = _check_layer(targets, "targets", crs if crs is not None else services.crs)
    if crs is None and not targets.crs.equals(services.crs):
        raise CRSError(
            f"targets ({targets.crs.to_string()}) and services ({services.crs.to_string()}) "
            "are in different CRSs. Reproject one, e.g. `targets.to_crs(services.crs)`."
        )
    if max_minutes is not None:
        max_minutes = _positive(max_minutes, "max_minutes")
    if _positive(circuity, "circuity") < 1.0:
        raise DataError(f"circuity must be at least 1, got {circuity!r}.")
    max_snap_m = _positive(max_snap_m, "max_snap_m")
    limit_s = np.inf if max_minutes is None else float(max_minutes) * 60.0
    s_pts = _points(services, "services")
    t_pts = _points(targets, "targets")
    if G is None:
        from scipy.spatial.distance import cdist

        speed = 4.8 if speed_kph is None else _positive(speed_kph, "speed_kph")
        import shapely

        d = cdist(shapely.get_coordinates(t_pts), shapely.get_coordinates(s_pts))
        secs = d * circuity / (speed / 3.6)
    else:
        arrays = _streetgraph.graph_arrays(G, speed_kph)
        s_snap, s_far = _snap_checked(arrays, s_pts, services.index, "services", max_snap_m)
        t_snap, _ = _snap_checked(arrays, t_pts, targets.index, "targets", max_snap_m)
        secs = _routing.matrix(arrays, s_snap, t_snap, direction=direction, limit_s=limit_s)
        secs[:, s_far] = np.inf
    secs = np.where(secs <= limit_s, secs, np.inf)
    return pd.DataFrame(secs / 60.0, index=targets.index, columns=services.index)


# --------------------------------------------------------------------------- isochrones
_Pieces = tuple[np.ndarray, np.ndarray, np.ndarray]  # street rows, start and end fractions


def _by_group(
    street: np.ndarray, a: np.ndarray, b: np.ndarray, group: np.ndarray
) -> dict[int, _Pieces]:
    """The pieces of each group that has any."""
    order = np.argsort(group, kind="stable")
    present, starts = np.unique(group[order], return_index=True)
    rows = np.split(order, starts[1:]) if len(order) else []
    return {int(g): (street[i], a[i], b[i]) for g, i in zip(present, rows, strict=True)}


def _run_polygons(
    arrays: _streetgraph.GraphArrays,
    run: tuple[np.ndarray, np.ndarray | None, _snapping.Snap, np.ndarray],
    thresholds: list[float],
    how: str,
    buf: float,
    cell: float | None,
    direction: _streetgraph.Direction,
    workers: int = 1,
) -> list[tuple[float, int, Any, float | None]]:
    """(minutes, group, polygon, grid cell used) of one search, nested across thresholds."""
    dist, src, run_svc, run_group = run
    within = _routing.streets_within(arrays, dist, thresholds[-1] * 60.0)
    reached: list[dict[int, _Pieces]] = []
    for t in thresholds:
        street, a, b, group = _routing.pieces(
            arrays, dist, src, t * 60.0, run_svc, run_group, how == "split", within, direction
        )
        if how == "union":
            group = np.zeros(len(group), np.int64)
        keep = (b > a) & arrays.surface[street]  # tunnels are not drawn
        reached.append(_by_group(street[keep], a[keep], b[keep], group[keep]))
    groups = [0] if how == "union" else [int(x) for x in run_group]
    if cell is None:
        return _vector_polygons(arrays, reached, thresholds, groups, buf)
    nothing = (np.empty(0, np.int64), np.empty(0), np.empty(0))

    def with_others(piece: _Pieces, size: float) -> Any:
        pts, joined = _routing.piece_points(arrays, *piece, size)
        if len(pts) == 0:
            return (pts, joined), None
        pad = 3 * buf + 4 * size
        box = (
            float(pts[:, 0].min() - pad),
            float(pts[:, 1].min() - pad),
            float(pts[:, 0].max() + pad),
            float(pts[:, 1].max() + pad),
        )
        return (pts, joined), _routing.other_points(arrays, *piece, box, size)

    def traced(g: int, threads: int) -> list[tuple[float, int, Any, float | None]]:
        mine = [pieces.get(g, nothing) for pieces in reached]
        size = cell
        last, _ = _routing.piece_points(arrays, *mine[-1], size)
        coarser = _raster_buffer.cell_for(last, buf, cell)
        if coarser != cell:  # a very large area: coarser cells, and points to match
            size = coarser
        sets = [with_others(piece, size) for piece in mine]
        polys = _raster_buffer.nested_buffers(sets, buf, size, workers=threads)
        return [(t, g, poly, size) for t, poly in zip(thresholds, polys, strict=True)]

    if len(groups) == 1:  # its thresholds in parallel
        return traced(groups[0], workers)
    if workers > 1:  # the groups in parallel
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(workers) as pool:
            done = list(pool.map(lambda g: traced(g, 1), groups))
    else:
        done = [traced(g, 1) for g in groups]
    return [row for rows in done for row in rows]


def _vector_polygons(
    arrays: _streetgraph.GraphArrays,
    reached: list[dict[int, _Pieces]],
    thresholds: list[float],
    groups: list[int],
    buf: float,
) -> list[tuple[float, int, Any, float | None]]:
    """Exact buffers of the reached pieces, unioned with GEOS (each onto the shorter one)."""
    import shapely

    out: list[tuple[float, int, Any, float | None]] = []
    prev: dict[int, Any] = {}
    whole: dict[int, np.ndarray] = {}  # streets whole in a shorter isochrone, per group
    for t, pieces in zip(thresholds, reached, strict=True):
        for g, (street, a, b) in pieces.items():
            full = (a <= 0.0) & (b >= 1.0)
            inside = whole.get(g, np.empty(0, np.int64))
            fresh = ~(full & np.isin(street, inside))  # those are inside it already: skip
            whole[g] = np.union1d(inside, street[full])
            if not fresh.any():
                continue
            polys = shapely.buffer(
                _routing.piece_geoms(arrays, street[fresh], a[fresh], b[fresh]),
                buf,
                quad_segs=_QUAD_SEGS,
            )
            prev[g] = shapely.union_all([prev[g], *polys] if g in prev else list(polys))
        # every service gets a row, empty when even its access leg takes too long
        for g in groups:
            out.append((t, g, prev.get(g, shapely.Polygon()), None))
    return out


def isochrones(
    G: Any,
    services: gpd.GeoDataFrame,
    *,
    minutes: float | Sequence[float] = (5, 10, 15),
    how: Literal["union", "per_service", "split"] = "union",
    buffer_m: float | None = None,
    speed_kph: float | None = None,
    max_snap_m: float = 500.0,
    method: Literal["raster", "vector"] = "raster",
    cell_m: float | None = None,
    direction: Direction = "to_service",
) -> gpd.GeoDataFrame:
    """Areas within ``minutes`` of a service, built from the reached streets.

    Every street reached within the time is kept whole, the street on the edge of the
    area is cut at the exact point the time runs out, and the area is every place
    within ``buffer_m`` of those pieces **whose own nearest street is one of them**
    (never a convex hull). So a place across a river, a railway or a motorway from a
    reached street, nearer to a street that is not reached, stays out: every place
    inside reaches the service (``direction``) within ``minutes`` plus at most
    ``buffer_m`` at walking speed (37.5 s for 50 m), its access leg, up to the grid's
    rounding. A shorter isochrone lies inside a longer one.

    Parameters
    ----------
    G : networkx.MultiDiGraph
        Projected street graph with ``travel_time`` (seconds) on every edge.
    services : GeoDataFrame
        Service points in the graph's CRS.
    minutes : float or sequence of float, default (5, 10, 15)
        Time thresholds.
    how : {"union", "per_service", "split"}
        ``"union"``: one (multi)polygon per threshold reached from any service;
        ``"per_service"``: one per service and threshold (they overlap);
        ``"split"``: each reached street piece goes to its nearest service (a network
        Voronoi diagram), one polygon per service and threshold, not overlapping
        except within ``buffer_m`` of a boundary.
    buffer_m : float, optional
        Half-width of the area around each street. Default 50 m: about the depth of a
        frontage plot, so homes along a reached street fall inside (for a drive graph
        pass a larger value if wished).
    speed_kph, max_snap_m
        As in :func:`travel_times`.
    method : {"raster", "vector"}, default "raster"
        How the area around the pieces is drawn. ``"raster"`` traces it from a
        distance field on a grid of ``cell_m`` cells, with exact distances next to the
        boundary (see Notes), and applies the nearest-street rule above.
        ``"vector"`` buffers every piece with GEOS (round ends drawn with 16-sided
        circles) and unions them: the plain buffer, kept as a reference, which does
        **not** apply the nearest-street rule and can bridge barriers.
    cell_m : float, optional
        Grid cell of ``method="raster"``. Default ``buffer_m / 5`` (10 m). Gaps between
        buffered streets narrower than about a cell can close up. An area too large
        for a grid of 20 million cells is drawn with coarser cells, with a warning.
    direction : {"to_service", "from_service"}, default "to_service"
        As in :func:`travel_times`: the time from a place to the service, or from the
        service out to the place. On one-way streets the two areas differ.

    Returns
    -------
    GeoDataFrame
        Columns ``minutes``, ``service`` (index label, ``None`` for ``"union"``),
        ``service_type`` (when ``services`` has it), ``area_km2`` and ``geometry``.

    Notes
    -----
    Times are, as in :func:`travel_times`, in ``direction`` (the same both ways on a
    walk graph). Streets are searched once for all services (``"union"`` and
    ``"split"``) or with one matrix search limited to the longest time
    (``"per_service"``).

    With ``method="raster"`` points every ``cell_m`` along the pieces mark grid
    cells; a Euclidean distance transform gives each cell its distance to them; the
    cells near ``buffer_m`` get their exact distance from a k-d tree; and the line
    ``distance = buffer_m`` is traced by marching squares (contourpy), holes
    included. This is how routing engines such as Valhalla and OpenTripPlanner draw
    isochrones from a grid. The traced boundary lies within about ``cell_m**2 / (8 *
    buffer_m)`` of the exact one except in corners where buffers meet, which are
    rounded off by up to a few metres. The other streets nearby are sampled too, and
    the traced field is ``max(d, buffer_m + d - d_other)`` (``d``: distance to the
    reached pieces, ``d_other``: to the rest), which crosses ``buffer_m`` on the
    bisector between a reached piece and a street not reached.

    Examples
    --------
    >>> import networkx as nx
    >>> import geopandas as gpd
    >>> from shapely.geometry import LineString, Point
    >>> G = nx.MultiDiGraph(crs="EPSG:27700")
    >>> G.add_node(0, x=0.0, y=0.0)
    >>> G.add_node(1, x=400.0, y=0.0)
    >>> for u, v in [(0, 1), (1, 0)]:
    ...     line = LineString([(G.nodes[u]["x"], 0), (G.nodes[v]["x"], 0)])
    ...     _ = G.add_edge(u, v, length=400.0, travel_time=300.0, geometry=line)
    >>> svc = gpd.GeoDataFrame(geometry=[Point(0, 0)], crs=27700)
    >>> iso = isochrones(G, svc, minutes=[2.5], buffer_m=10, method="vector")
    >>> round(float(iso["area_km2"].iloc[0]) * 1e6)  # 200 m x 20 m + two half 16-gon ends
    4306
    >>> iso = isochrones(G, svc, minutes=[2.5], buffer_m=10)  # raster, 2 m cells
    >>> # a round end at the service; a square end at the cut, past which the rest of
    >>> # the street (not reached) is the nearer one
    >>> abs(float(iso["area_km2"].iloc[0]) * 1e6 - (4000 + 3.14159 * 100 / 2)) < 15
    True
    """
    import geopandas as gpd
    from scipy.sparse.csgraph import dijkstra

    if how not in ("union", "per_service", "split"):
        raise DataError(f"how must be 'union', 'per_service' or 'split', got {how!r}.")
    if G is None:
        raise DataError("isochrones need a street graph G; none was given.")
    crs = _streetgraph.graph_crs(G)
    services = _check_services(services, crs, None)
    direction = _streetgraph.check_direction(direction)
    values = [minutes] if np.isscalar(minutes) else list(np.atleast_1d(minutes))  # type: ignore[arg-type]
    if not values:
        raise DataError("minutes is empty; give one or more positive numbers of minutes.")
    thresholds = sorted({_positive(m, "minutes") for m in values})
    buf = 50.0 if buffer_m is None else _positive(buffer_m, "buffer_m")
    max_snap_m = _positive(max_snap_m, "max_snap_m")
    if method not in ("raster", "vector"):
        raise DataError(f"method must be 'raster' or 'vector', got {method!r}.")
    cell = buf / 5.0 if cell_m is None else _positive(cell_m, "cell_m")
    grid = cell if method == "raster" else None
    arrays = _streetgraph.graph_arrays(G, speed_kph)
    s_snap, s_far = _snap_checked(
        arrays, _points(services, "services"), services.index, "services", max_snap_m
    )
    members = np.nonzero(~s_far)[0]
    if len(members) == 0:
        raise DataError(f"No service lies within max_snap_m={max_snap_m:g} m of the network.")
    svc = _subset(s_snap, members)
    n, k = arrays.n, len(members)
    limit = thresholds[-1] * 60.0
    mat = _routing.search_matrix(arrays, svc, direction)
    virt = n + np.arange(k)
    rows: list[dict[str, Any]] = []
    geoms: list[Any] = []
    runs: list[tuple[np.ndarray, np.ndarray | None, _snapping.Snap, np.ndarray]]
    if how == "per_service":
        dmat = dijkstra(mat, directed=True, indices=virt, limit=limit)
        runs = [(dmat[i], None, _subset(svc, np.array([i])), np.array([i])) for i in range(k)]
    else:
        dist, _, src = dijkstra(
            mat, directed=True, indices=virt, min_only=True, return_predecessors=True, limit=limit
        )
        src = np.where(src >= n, src - n, 0)
        runs = [(dist, src if how == "split" else None, svc, np.arange(k))]
    # the distance transform, k-d trees and GEOS release the GIL, so threads help
    workers = min(4, os.cpu_count() or 1)
    if len(runs) > 1:  # per service: one search per thread
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(workers) as pool:
            built = list(
                pool.map(
                    lambda run: _run_polygons(arrays, run, thresholds, how, buf, grid, direction),
                    runs,
                )
            )
    else:  # one search: its groups or thresholds in parallel
        built = [_run_polygons(arrays, runs[0], thresholds, how, buf, grid, direction, workers)]
    used = {size for result in built for *_, size in result if size is not None}
    if grid is not None and any(size > grid for size in used):
        warnings.warn(
            f"The isochrones cover a large area: drawn on {max(used):.3g} m cells instead of "
            f"{grid:.3g} m to keep each grid under {_raster_buffer.MAX_CELLS:,} cells.",
            HotspotsWarning,
            stacklevel=2,
        )
    for result in built:
        for t, g, poly, _size in result:
            label = None if how == "union" else services.index[members[g]]
            row: dict[str, Any] = {"minutes": t, "service": label}
            if "service_type" in services.columns:
                row["service_type"] = None if label is None else services["service_type"].loc[label]
            rows.append(row)
            geoms.append(poly)
    frame = pd.DataFrame(rows, columns=["minutes", "service"])
    if "service_type" in services.columns:
        frame["service_type"] = [r.get("service_type") for r in rows]
    out = gpd.GeoDataFrame(frame, geometry=list(geoms), crs=crs)
    out["area_km2"] = out.geometry.area / 1e6
    out = out[[c for c in out.columns if c != "geometry"] + ["geometry"]]
    out = out.sort_values(["minutes"], kind="stable").reset_index(drop=True)
    return record(
        out,
        method="network isochrones",
        parameters={
            "minutes": thresholds,
            "direction": direction,
            "how": how,
            "buffer_m": buf,
            "speed_kph": arrays.speed_kph,
            "method": method,
            **({"cell_m": max(used, default=grid)} if grid is not None else {}),
        },
        sources=list(G.graph.get("sources", ["osm"])),
        inherit=services,
        description=(
            f"reached street pieces (cut at the exact time) buffered by {buf:g} m"
            + (f", traced on a {max(used, default=grid):.3g} m grid" if grid is not None else "")
            + "; not convex hulls"
        ),
    )


# --------------------------------------------------------------------------- coverage
@dataclass(frozen=True)
class Coverage:
    """Share of targets within ``minutes`` of a service.

    Attributes
    ----------
    share : float
        Covered share (weighted by ``weight`` when given), 0..1; NaN with no targets.
    n_targets, n_covered : int
        Counts of targets and of covered targets.
    minutes : float
        The time threshold.
    method : str
        ``"network"`` or ``"straight-line"``.
    uncovered : GeoDataFrame
        Targets not covered, with their travel times, worst first.
    table : GeoDataFrame
        Every target with its travel time (output of :func:`travel_times`) and
        ``covered``.
    """

    share: float
    n_targets: int
    n_covered: int
    minutes: float
    method: str
    uncovered: gpd.GeoDataFrame
    table: gpd.GeoDataFrame


def coverage(
    targets: gpd.GeoDataFrame,
    services: gpd.GeoDataFrame,
    *,
    G: Any = None,
    minutes: float = 15,
    weight: str | None = None,
    by: str | None = None,
    speed_kph: float | None = None,
    max_snap_m: float = 500.0,
    direction: Direction = "to_service",
) -> Coverage:
    """Share of targets (e.g. hot spots, or people) within ``minutes`` of a service.

    Parameters
    ----------
    targets, services : GeoDataFrame
        As in :func:`travel_times`.
    G : networkx.MultiDiGraph, optional
        Street graph; ``None`` uses the labelled straight-line fallback.
    minutes : float, default 15
        Threshold. Coverage never falls as ``minutes`` grows.
    weight : str, optional
        Column of ``targets`` to weight by (e.g. population or incident count).
    by : str, optional
        Passed to :func:`travel_times`; coverage uses the nearest service of any value.
    speed_kph, max_snap_m, direction
        As in :func:`travel_times` (default: time from each target to the service).

    Returns
    -------
    Coverage

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import Point
    >>> svc = gpd.GeoDataFrame(geometry=[Point(0, 0)], crs=27700)
    >>> tgt = gpd.GeoDataFrame(geometry=[Point(100, 0), Point(5000, 0)], crs=27700)
    >>> coverage(tgt, svc, minutes=15).share
    0.5
    """
    minutes = _positive(minutes, "minutes")
    targets = require_geodataframe(targets, "targets")
    w = None
    if weight is not None:
        from ._validate import require_numeric

        w = require_numeric(targets, weight, "targets")
        if (w < 0).any():
            raise DataError(f"targets column {weight!r} has negative weights.")
    table = travel_times(
        G,
        services,
        targets,
        by=by,
        speed_kph=speed_kph,
        max_snap_m=max_snap_m,
        direction=direction,
    )
    covered = (table["minutes"] <= minutes).to_numpy()
    table["covered"] = covered
    n = len(table)
    if n == 0:
        share = float("nan")
    elif w is None:
        share = float(covered.mean())
    else:
        total = float(w.sum())
        share = float(w[covered].sum() / total) if total > 0 else float("nan")
    uncovered = table.loc[~covered].sort_values("minutes", ascending=False, kind="stable")
    method = str(table["method"].iloc[0]) if n else (_NETWORK if G is not None else _STRAIGHT)
    return Coverage(
        share=share,
        n_targets=n,
        n_covered=int(covered.sum()),
        minutes=float(minutes),
        method=method,
        uncovered=uncovered,
        table=table,
    )
