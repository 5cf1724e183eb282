"""A street graph as flat arrays, for :mod:`hotspots.reach` (private).

A street graph is turned once into flat arrays (node coordinates, every directed pair of
nodes with the cheapest travel time in seconds, one row per street with its vertices,
short straight pieces of every street with a k-d tree of their midpoints for
snapping), reading the graph's adjacency dicts in bulk and each edge's geometry as
vertex arrays (no per-edge Python loop, no shapely object per street unless one is
drawn). They are cached in a module-level ``WeakKeyDictionary`` keyed by the graph
object and checked against the speed, the graph's structure (a token networkx forgets
when a node or an edge is added or removed) and **every edge's weight**
(``travel_time``, or ``length`` with a fixed speed, read in bulk from the cached edge
data), so editing weights in place rebuilds them; nothing is written into ``G.graph``.

Streets: every edge of the graph is kept, parallel edges and self-loops included. An
edge u -> v and an edge v -> u that are the same street (the only pair between u and v,
or the same geometry) form one two-way street row with a time each way; a one-way
street has ``inf`` the other way. Tunnels (OSM ``tunnel=*`` other than
``building_passage``) are travelled through but never snapped to or drawn.
"""

from __future__ import annotations

import operator
import weakref
from dataclasses import dataclass, field
from itertools import chain, repeat
from operator import itemgetter, methodcaller
from typing import Any, Literal

import numpy as np

from ._errors import CRSError, DataError, NetworkError

__all__: list[str] = []


#: Default speeds (km/h) per mode when the graph records none.
DEFAULT_SPEED_KPH = {"walk": 4.8, "bike": 15.0, "drive": 30.0}


Direction = Literal["to_service", "from_service"]


DIRECTIONS: tuple[str, ...] = ("to_service", "from_service")


def check_direction(direction: Any) -> Direction:
    """Return ``direction`` or raise DataError naming the two choices."""
    if direction not in DIRECTIONS:
        raise DataError(
            f"direction must be 'to_service' (time from a place to the service, the "
            f"default) or 'from_service' (time from the service to a place), got {direction!r}."
        )
    return direction  # type: ignore[no-any-return]


@dataclass(frozen=True)
class GraphArrays:
    """Flat arrays describing a street graph (all travel times in seconds)."""

    nodes: list[Any]
    x: np.ndarray
    y: np.ndarray
    pair_u: np.ndarray  # every directed pair of distinct nodes joined by an edge ...
    pair_v: np.ndarray
    pair_time: np.ndarray  # ... and the cheapest travel time between them
    street_u: np.ndarray  # one row per street (parallel edges and loops included)
    street_v: np.ndarray
    street_xy: np.ndarray  # vertices of every street, from its u to its v ...
    street_begin: np.ndarray  # ... street s runs through street_xy[begin[s]:begin[s + 1]]
    street_len: np.ndarray  # length along the vertices (m)
    t_fwd: np.ndarray  # time u -> v along this street (inf if not allowed)
    t_bwd: np.ndarray  # time v -> u along this street (inf if not allowed)
    speed_kph: float
    crs: Any
    surface: np.ndarray  # False for tunnels: travelled, but never snapped to or drawn
    tree_rows: np.ndarray  # street row of each geometry in ``tree``
    seg: np.ndarray  # (m, 6): x0, y0, x1, y1, street row, distance along street at x0
    seg_surface: np.ndarray  # True for the rows of ``seg`` on surface streets
    seg_tree: Any  # scipy cKDTree of the midpoints of every row of ``seg``
    seg_half: float  # longest half segment (m)
    seg_begin: np.ndarray  # rows seg_begin[s]:seg_begin[s + 1] of seg belong to street s
    # what searches and snapping reuse: the search graph of each direction, the snaps
    # of the last few point sets (keyed by a digest of their coordinates)
    memo: dict[Any, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def street_geom(self) -> np.ndarray:
        """Every street as a shapely LineString from its u to its v (built on first use)."""
        geoms = self.memo.get("street_geom")
        if geoms is None:
            geoms = self.memo["street_geom"] = linestrings(self.street_xy, self.street_begin)
        return geoms  # type: ignore[no-any-return]

    @property
    def tree(self) -> Any:
        """shapely STRtree over the surface streets (fallback for snapping; built on
        first use)."""
        tree = self.memo.get("tree")
        if tree is None:
            import shapely

            tree = self.memo["tree"] = shapely.STRtree(self.street_geom[self.tree_rows])
        return tree

    @property
    def n(self) -> int:
        return len(self.nodes)

    def oriented(self, direction: Direction) -> tuple[np.ndarray, np.ndarray]:
        """Street times (forward, backward) of the graph searched for ``direction``.

        ``"to_service"`` uses the graph as it is; ``"from_service"`` the reversed graph,
        whose forward time along a street is the original backward one.
        """
        if direction == "to_service":
            return self.t_fwd, self.t_bwd
        return self.t_bwd, self.t_fwd


_CACHE: weakref.WeakKeyDictionary[Any, tuple[Any, Any, list[Any], list[Any], GraphArrays]] = (
    weakref.WeakKeyDictionary()
)


def graph_crs(G: Any) -> Any:
    """Return the projected pyproj CRS of ``G`` or raise CRSError."""
    from pyproj import CRS
    from pyproj.exceptions import CRSError as ProjCRSError

    # (asked of the class: networkx caches its views in the graph on first use, which
    # ties the graph to itself so that only the cyclic garbage collector can free it)
    kind = type(G)
    if not (hasattr(G, "graph") and hasattr(kind, "edges") and hasattr(kind, "nodes")):
        raise DataError(
            f"G must be a street graph (networkx.MultiDiGraph, e.g. from "
            f"hotspots.network.load_network), got {type(G).__name__}."
        )
    value = G.graph.get("crs")
    if value is None:
        raise CRSError(
            "The street graph has no G.graph['crs']. Load it with hotspots.network.load_network "
            "or project it with osmnx.project_graph(G, to_crs='EPSG:27700')."
        )
    try:
        crs = CRS.from_user_input(value)
    except ProjCRSError as exc:
        raise CRSError(f"The street graph's G.graph['crs'] = {value!r} is not a CRS.") from exc
    if crs.is_geographic:
        raise CRSError(
            f"The street graph is in a geographic CRS ({crs.to_string()}), in degrees, but "
            "travel needs metres. Project it first: `osmnx.project_graph(G, to_crs='EPSG:27700')`."
        )
    return crs


def graph_speed(G: Any, speed_kph: float | None) -> float:
    """The mode's speed in km/h: ``speed_kph``, else the graph's, else by mode."""
    if speed_kph is not None:
        try:
            value = float(speed_kph)
        except (TypeError, ValueError):
            value = float("nan")
    else:
        value = float(
            G.graph.get("speed_kph") or DEFAULT_SPEED_KPH.get(G.graph.get("mode", "walk"), 4.8)
        )
    if not np.isfinite(value) or value <= 0:
        raise DataError(f"speed_kph must be a positive number of km/h, got {speed_kph!r}.")
    return value


def _as_floats(values: list[Any]) -> np.ndarray:
    """``values`` as floats, NaN where missing or unreadable (text weights one by one)."""
    try:
        return np.array(values, dtype=float)
    except (TypeError, ValueError):
        out = np.empty(len(values), float)
        for k, value in enumerate(values):
            try:
                out[k] = np.nan if value is None else float(value)
            except (TypeError, ValueError):
                out[k] = np.nan
        return out


def _raw_weights(data: list[Any], attr: str) -> list[Any]:
    """The ``attr`` of every edge data dict in ``data`` as stored (None where missing).

    The cache compares these lists: equal objects (the same ones, unless a weight was
    edited) compare in one pass in C.
    """
    try:
        return list(map(itemgetter(attr), data))
    except KeyError:
        return list(map(methodcaller("get", attr), data))


def _edge_table(G: Any) -> tuple[list[Any], np.ndarray, np.ndarray, list[Any]]:
    """Nodes, edge ends (as node positions) and edge data dicts, in ``G.edges`` order.

    Read from the adjacency dicts in bulk (``map`` over the dicts, no Python loop per
    edge) where the graph is a networkx multigraph; through ``G.edges`` otherwise.
    """
    store = getattr(G, "_node", None)
    nodes = list(store) if isinstance(store, dict) else list(G.nodes)
    n = len(nodes)
    index = dict(zip(nodes, range(n), strict=True))
    adj = getattr(G, "_adj", None)
    if isinstance(adj, dict) and G.is_multigraph():
        nbrs = list(adj.values())
        per_node = np.fromiter(map(len, nbrs), np.int64, len(nbrs))
        n_pairs = int(per_node.sum())
        data = list(
            chain.from_iterable(map(dict.values, chain.from_iterable(map(dict.values, nbrs))))
        )
        v = np.fromiter(map(index.__getitem__, chain.from_iterable(nbrs)), np.int64, n_pairs)
        tails = np.fromiter(map(index.__getitem__, adj), np.int64, len(adj))
        u = np.repeat(tails, per_node)
        if len(data) != n_pairs:  # parallel edges: one row each
            keydicts = chain.from_iterable(map(dict.values, nbrs))
            per_pair = np.fromiter(map(len, keydicts), np.int64, n_pairs)
            u, v = np.repeat(u, per_pair), np.repeat(v, per_pair)
        return nodes, u, v, data
    ends: list[int] = []
    data = []
    for a, b, d in G.edges(data=True):
        ends += (index[a], index[b])
        data.append(d)
    uv = np.array(ends, np.int64).reshape(-1, 2)
    return nodes, uv[:, 0], uv[:, 1], data


def _node_xy(G: Any, nodes: list[Any]) -> tuple[np.ndarray, np.ndarray]:
    """Node ``x`` and ``y`` in ``nodes`` order, or NetworkError."""
    n = len(nodes)
    store = getattr(G, "_node", None)
    attrs = list(store.values()) if isinstance(store, dict) else [G.nodes[v] for v in nodes]
    try:
        x = np.fromiter(map(itemgetter("x"), attrs), float, n)
        y = np.fromiter(map(itemgetter("y"), attrs), float, n)
    except (KeyError, TypeError, ValueError) as exc:
        raise NetworkError(
            "Every node needs numeric 'x' and 'y' coordinates (osmnx layout)."
        ) from exc
    return x, y


def _structure_token(G: Any) -> Any:
    """A token that stays in ``G`` until its structure changes, or None.

    networkx (3.3 and later) empties ``G.__networkx_cache__`` whenever a node or an
    edge is added or removed through its methods; a token stored there therefore
    tells, in constant time, that the nodes and edges read before are still the
    graph's. Weights edited in place are not seen by networkx: those are compared
    separately.
    """
    store = getattr(G, "__networkx_cache__", None)
    if not isinstance(store, dict):
        return None
    token = store.get(_TOKEN_KEY)
    if token is None:
        token = store[_TOKEN_KEY] = object()
    return token


_TOKEN_KEY = "hotspots.reach:structure"


def graph_arrays(G: Any, speed_kph: float | None = None) -> GraphArrays:
    """Build (or fetch from the cache) the arrays of ``G``.

    With ``speed_kph`` given, every edge's time is ``length / speed``; otherwise the
    edges' ``travel_time`` attribute (seconds) is used. The cache is keyed by the graph
    object (weakly) and checked against the speed, the graph's structure (networkx
    forgets a token stored in the graph when a node or an edge is added or removed;
    without that, the edges are read again) and every edge's weight (read in bulk from
    the edge data kept by the cache), so a graph edited in place (even one
    ``travel_time``) is rebuilt.
    """

    crs = graph_crs(G)
    speed = graph_speed(G, speed_kph)
    attr = "length" if speed_kph is not None else "travel_time"
    cached = _CACHE.get(G)
    if cached is not None:
        token, version, data, values, arrays = cached
        if (
            token is not None
            and _structure_token(G) is token
            and version == (speed_kph, speed)
            and _raw_weights(data, attr) == values
        ):
            return arrays
    nodes, u, v, data = _edge_table(G)
    if len(G) == 0 or len(data) == 0:
        raise NetworkError("The street graph has no edges; load a larger area.")
    raw = None
    if cached is not None:
        raw = _raw_weights(data, attr)
        token, version, old_data, old_values, arrays = cached
        if (
            version == (speed_kph, speed)
            and len(old_data) == len(data)
            and all(map(operator.is_, old_data, data))
            and old_values == raw
            and arrays.nodes == nodes
        ):
            _CACHE[G] = (_structure_token(G), version, data, raw, arrays)
            return arrays

    n = len(nodes)
    x, y = _node_xy(G, nodes)
    shapes = _EdgeShapes.of(_edge_geoms(data), u, v, x, y)
    su, sv, sxy, sbegin, head, grouping = _streets(u, v, shapes, n)
    if raw is None:
        raw = _raw_weights(data, attr)
    weights = _checked_weights(raw, attr, speed_kph)
    t = weights / (speed / 3.6) if speed_kph is not None else weights
    t_fwd, t_bwd = _street_times(t, grouping)
    pair_u, pair_v, pair_time = _cheapest_pairs(u, v, t)
    surface = ~_tunnels([data[e] for e in head.tolist()])
    if not surface.any():  # only tunnels: snap to them all the same
        surface[:] = True
    pieces = _segments(sxy, sbegin)
    pieces["seg_tree"] = _midpoint_tree(pieces["seg"])
    seg_street = pieces["seg"][:, 4].astype(np.int64)
    arrays = GraphArrays(
        nodes=nodes,
        x=x,
        y=y,
        pair_u=pair_u,
        pair_v=pair_v,
        pair_time=pair_time,
        street_u=su,
        street_v=sv,
        street_xy=sxy,
        street_begin=sbegin,
        street_len=pieces.pop("street_len"),
        t_fwd=t_fwd,
        t_bwd=t_bwd,
        speed_kph=speed,
        crs=crs,
        surface=surface,
        tree_rows=np.nonzero(surface)[0],
        seg_surface=surface[seg_street],
        **pieces,
    )
    _CACHE[G] = (_structure_token(G), (speed_kph, speed), data, raw, arrays)
    return arrays


def _checked_weights(raw: list[Any], attr: str, speed_kph: float | None) -> np.ndarray:
    """The edge weights as floats, or NetworkError for missing, negative or infinite ones."""
    weights = _as_floats(raw)
    missing = int(np.isnan(weights).sum())
    if missing:
        if speed_kph is not None:
            raise NetworkError(
                f"{missing} of {len(weights)} edges have no 'length' (metres), needed with "
                "speed_kph=. Load the graph with hotspots.network.load_network."
            )
        raise NetworkError(
            f"{missing} of {len(weights)} edges have no 'travel_time' (seconds). Add them with "
            "osmnx.add_edge_speeds + osmnx.add_edge_travel_times, or pass speed_kph=."
        )
    bad = ~np.isfinite(weights) | (weights < 0)
    if bad.any():
        raise NetworkError(f"{int(bad.sum())} edges have a negative or non-finite {attr}.")
    return weights


def _edge_geoms(data: list[Any]) -> np.ndarray:
    """The ``geometry`` of every edge data dict (None where it has none), as objects."""
    m = len(data)
    try:
        return np.fromiter(map(itemgetter("geometry"), data), object, m)
    except KeyError:
        return np.fromiter(map(methodcaller("get", "geometry"), data), object, m)


def _tunnels(data: list[Any]) -> np.ndarray:
    """True for the edge data dicts tagged as tunnels (see :func:`_is_tunnel`)."""
    tunnel = np.fromiter(map(operator.contains, data, repeat("tunnel")), bool, len(data))
    for k in np.nonzero(tunnel)[0]:
        tunnel[k] = _is_tunnel(data[k]["tunnel"])
    return tunnel


def _cheapest_pairs(
    u: np.ndarray, v: np.ndarray, t: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every directed pair u != v with its cheapest time (self-loops never shorten a path).

    The parallel edges of a pair are neighbours in the edge table (one adjacency dict
    holds them), so no sorting is needed.
    """
    keep = np.nonzero(u != v)[0]
    pu, pv, pt = u[keep], v[keep], t[keep]
    first = np.ones(len(keep), bool)
    first[1:] = (pu[1:] != pu[:-1]) | (pv[1:] != pv[:-1])
    if first.all():
        return pu, pv, pt
    starts = np.nonzero(first)[0]
    return pu[starts], pv[starts], np.minimum.reduceat(pt, starts)


@dataclass(frozen=True)
class _EdgeShapes:
    """The geometry of every edge, read as vertex arrays only for the rows asked for."""

    geoms: np.ndarray  # shapely geometry or None, per edge
    u: np.ndarray
    v: np.ndarray
    x: np.ndarray  # node coordinates
    y: np.ndarray
    ncoord: np.ndarray  # vertices of each geometry (0 where there is none)

    @classmethod
    def of(
        cls, geoms: np.ndarray, u: np.ndarray, v: np.ndarray, x: np.ndarray, y: np.ndarray
    ) -> _EdgeShapes:
        """The shapes of edges ``u -> v`` with ``geoms`` (None where an edge has none)."""
        import shapely

        return cls(geoms, u, v, x, y, shapely.get_num_coordinates(geoms))

    def lengths(self) -> np.ndarray:
        """Length of every edge (its geometry's, else the straight line's) in metres."""
        import shapely

        u, v, x, y = self.u, self.v, self.x, self.y
        out = np.asarray(shapely.length(self.geoms), dtype=float)
        bare = np.nonzero(self.ncoord < 2)[0]
        out[bare] = np.hypot(x[u[bare]] - x[v[bare]], y[u[bare]] - y[v[bare]])
        return out

    def coords(self, rows: np.ndarray, back: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Vertices of edges ``rows`` as a ragged array ``(xy, begin)``.

        Each runs from its edge's u to its v, reversed where ``back``; an edge without a
        geometry (or with an empty one) is the straight line between its nodes; z is
        dropped.
        """
        import shapely

        u, v, x, y = self.u[rows], self.v[rows], self.x, self.y
        counts = self.ncoord[rows]
        has = counts >= 2
        counts[~has] = 2
        begin = np.zeros(len(rows) + 1, np.int64)
        np.cumsum(counts, out=begin[1:])
        drawn = np.nonzero(has)[0]
        if len(drawn) == len(rows):  # (the common case: every edge has its geometry)
            xy = shapely.get_coordinates(self.geoms[rows])
        else:
            xy = np.empty((int(begin[-1]), 2))
            xy[_ranges(begin, drawn)] = shapely.get_coordinates(self.geoms[rows[drawn]])
        bare = np.nonzero(~has)[0]
        xy[begin[bare], 0], xy[begin[bare], 1] = x[u[bare]], y[u[bare]]
        xy[begin[bare] + 1, 0], xy[begin[bare] + 1, 1] = x[v[bare]], y[v[bare]]
        # a geometry drawn from v to u is turned round
        sx, sy = xy[begin[:-1], 0], xy[begin[:-1], 1]
        flip = (u != v) & (np.hypot(sx - x[u], sy - y[u]) > np.hypot(sx - x[v], sy - y[v]))
        flip ^= back
        if flip.any():
            xy = xy[_reversed_index(begin, flip)]
        return xy, begin


def _ranges(begin: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Positions ``begin[r]:begin[r + 1]`` of every row ``r`` of ``rows``, concatenated."""
    counts = begin[rows + 1] - begin[rows]
    step = np.arange(int(counts.sum())) - np.repeat(np.cumsum(counts) - counts, counts)
    out: np.ndarray = np.repeat(begin[rows], counts) + step
    return out


def _reversed_index(begin: np.ndarray, back: np.ndarray) -> np.ndarray:
    """Index into a ragged array that reverses the vertex order of the rows ``back``."""
    counts = np.diff(begin)
    row = np.repeat(np.arange(len(counts)), counts)
    index = np.arange(int(begin[-1]))
    hit = back[row]
    index[hit] = begin[row[hit] + 1] - 1 - (index[hit] - begin[row[hit]])
    return index


def linestrings(xy: np.ndarray, begin: np.ndarray) -> np.ndarray:
    """shapely LineStrings of the rows of a ragged vertex array."""
    import shapely

    counts = np.diff(begin)
    return np.asarray(
        shapely.linestrings(xy, indices=np.repeat(np.arange(len(counts)), counts)), dtype=object
    )


def _is_tunnel(value: Any) -> bool:
    """OSM ``tunnel`` tag of an edge (a list after osmnx simplification): underground?"""
    values = value if isinstance(value, list) else [value]
    return any(str(x).lower() not in ("none", "no", "building_passage", "") for x in values)


def _streets(u: np.ndarray, v: np.ndarray, shapes: _EdgeShapes, n: int) -> tuple[np.ndarray, ...]:
    """One row per street: every edge, with an edge and its reverse joined into one.

    ``shapes`` gives the edges' geometry. Edges are grouped by their unordered end nodes. Where a group
    is a single edge, or exactly one edge each way between two different nodes with
    lengths within 1 %, it is one street. Otherwise (parallel edges, self-loops) edges
    are joined only when they share their geometry's midpoint (to 1 cm), so every
    distinct street is kept. A self-loop's direction is the sense of its ring
    (anticlockwise forward).

    Returns the streets' u, v, vertices and their ``begin``, the edge each street was
    drawn from, and which edges make which street (for :func:`_street_times`).
    """
    import shapely

    m = len(u)
    glen = shapes.lengths()
    lo, hi = np.minimum(u, v), np.maximum(u, v)
    loop = u == v
    forward = u <= v
    if loop.any():  # twice the signed area of each (closed) ring: the sense of a loop
        rows = np.nonzero(loop)[0]
        xy, begin = shapes.coords(rows, np.zeros(len(rows), bool))
        ring = np.repeat(np.arange(len(rows)), np.diff(begin))
        same = ring[1:] == ring[:-1]
        cross = xy[:-1, 0] * xy[1:, 1] - xy[1:, 0] * xy[:-1, 1]
        area2 = np.bincount(ring[1:][same], weights=cross[same], minlength=len(rows))
        forward[rows] = area2 >= 0

    gkey = lo * n + hi
    order = np.argsort(gkey)  # (any order within a group will do)
    gs = gkey[order]
    starts = np.r_[0, np.nonzero(gs[1:] != gs[:-1])[0] + 1]
    size = np.diff(np.r_[starts, len(gs)])
    size_of = np.empty(len(gs), np.int64)
    size_of[order] = np.repeat(size, size)
    n_fwd = np.bincount(np.repeat(np.arange(len(size)), size), weights=forward[order])
    # a pair u -> v, v -> u of about the same length is one two-way street
    two = starts[(size == 2) & (n_fwd == 1)]
    two = two[~loop[order[two]]]
    a, b = order[two], order[two + 1]
    alike = np.abs(glen[a] - glen[b]) <= 1.0 + 0.01 * np.maximum(glen[a], glen[b])
    simple = size_of == 1
    simple[a[alike]] = True
    simple[b[alike]] = True
    hard = np.nonzero(~simple)[0]
    if len(hard):
        mx = np.zeros(m, np.int64)
        my = np.zeros(m, np.int64)
        hxy, hbegin = shapes.coords(hard, ~forward[hard])
        mid = shapely.line_interpolate_point(linestrings(hxy, hbegin), 0.5, normalized=True)
        mx[hard] = np.round(shapely.get_x(mid) * 100).astype(np.int64)
        my[hard] = np.round(shapely.get_y(mid) * 100).astype(np.int64)
        sorder = np.lexsort((~forward, my, mx, gkey))
        k3 = np.column_stack([gkey, mx, my])[sorder]
        new = np.ones(len(sorder), bool)
        new[1:] = (k3[1:] != k3[:-1]).any(axis=1)
    else:  # (the common case) the groups as sorted, each pair's forward edge first
        sorder = order.copy()
        swap = two[~forward[order[two]]]
        sorder[swap], sorder[swap + 1] = order[swap + 1], order[swap]
        new = np.zeros(len(sorder), bool)
        new[starts] = True
    street_of = np.cumsum(new) - 1
    head = sorder[new]  # a forward edge where there is one (sorted first)
    sxy, sbegin = shapes.coords(head, ~forward[head])
    grouping = np.stack([sorder, street_of, forward[sorder]])
    return lo[head], hi[head], sxy, sbegin, head, grouping


def _street_times(t: np.ndarray, grouping: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Cheapest time along each street forward (u to v) and backward (inf if none).

    ``grouping`` is the last value :func:`_streets` returns: the edges in street order,
    the street of each, and whether it runs forward.
    """
    sorder, street_of, fw = grouping[0], grouping[1], grouping[2].astype(bool)
    n_streets = int(street_of[-1]) + 1 if len(street_of) else 0
    t_fwd = np.full(n_streets, np.inf)
    t_bwd = np.full(n_streets, np.inf)
    ts = t[sorder]
    np.minimum.at(t_fwd, street_of[fw], ts[fw])
    np.minimum.at(t_bwd, street_of[~fw], ts[~fw])
    return t_fwd, t_bwd


def _segments(xy: np.ndarray, begin: np.ndarray, max_len: float = 50.0) -> dict[str, Any]:
    """Straight pieces (at most ``max_len`` long) of every street, for fast snapping
    (see :func:`_midpoint_tree`), and each street's length."""
    n_streets = len(begin) - 1
    line = np.repeat(np.arange(n_streets), np.diff(begin))
    same = line[1:] == line[:-1]
    x0, y0 = xy[:-1][same, 0], xy[:-1][same, 1]
    x1, y1 = xy[1:][same, 0], xy[1:][same, 1]
    street = line[:-1][same]
    length = np.hypot(x1 - x0, y1 - y0)
    street_len = np.bincount(street, weights=length, minlength=n_streets)
    cum = np.cumsum(length)
    first = np.ones(len(street), bool)
    first[1:] = street[1:] != street[:-1]
    start_of_street = np.maximum.accumulate(np.where(first, np.arange(len(street)), 0))
    offset = cum - length - (cum - length)[start_of_street]
    parts = np.maximum(np.ceil(length / max_len), 1).astype(np.int64)
    if (parts == 1).all():
        rep = np.arange(len(street))
        a, b = np.zeros(len(street)), np.ones(len(street))
    else:
        rep = np.repeat(np.arange(len(street)), parts)
        k = np.arange(len(rep)) - np.repeat(np.cumsum(parts) - parts, parts)
        a = k / parts[rep]
        b = (k + 1) / parts[rep]
    seg = np.empty((len(rep), 6))
    for col, start, end in ((0, x0, x1), (1, y0, y1)):
        s0, step = start[rep], (end - start)[rep]
        seg[:, col] = s0 + a * step
        seg[:, col + 2] = s0 + b * step
    street_rep = street[rep]
    seg[:, 4] = street_rep
    seg[:, 5] = offset[rep] + a * length[rep]
    half = float(np.max(length / parts) / 2) if len(length) else 0.0
    seg_begin = np.zeros(n_streets + 1, np.int64)
    np.cumsum(np.bincount(street_rep, minlength=n_streets), out=seg_begin[1:])
    return {"street_len": street_len, "seg": seg, "seg_half": half, "seg_begin": seg_begin}


def _midpoint_tree(seg: np.ndarray) -> Any:
    """scipy cKDTree of the midpoints of the street pieces ``seg``."""
    from scipy.spatial import cKDTree

    mid = np.empty((len(seg), 2))
    np.add(seg[:, 0], seg[:, 2], out=mid[:, 0])
    np.add(seg[:, 1], seg[:, 3], out=mid[:, 1])
    mid *= 0.5
    return cKDTree(mid, balanced_tree=False, compact_nodes=False)
