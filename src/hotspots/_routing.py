"""Private routing machinery for :mod:`hotspots.reach`.

A street graph is turned once into flat arrays (node coordinates, one row per directed
pair with the cheapest travel time in seconds, one row per street for geometry, short
straight pieces of every street for snapping), reading the graph's adjacency dicts in
bulk. They are cached in a module-level ``WeakKeyDictionary`` keyed by the graph object
and checked against the speed, the graph's structure (a token networkx forgets when a
node or an edge is added or removed) and **every edge's weight** (``travel_time``, or
``length`` with a fixed speed, read in bulk from the cached edge data), so editing
weights in place rebuilds them; nothing is written into ``G.graph``. For each search a ``scipy.sparse`` CSR matrix is assembled from the cached
arrays (one vectorised step) together with one virtual node per service. Points are
snapped onto streets (not nodes).

Streets: every edge of the graph is kept, parallel edges and self-loops included. An
edge u -> v and an edge v -> u that are the same street (the only pair between u and v,
or the same geometry) form one two-way street row with a time each way; a one-way
street has ``inf`` the other way.

Direction: ``"to_service"`` (the default) is the time to go *from* a place *to* a
service; the search runs from the services over the **transposed** graph.
``"from_service"`` is the time from the service out to the place; the search runs over
the graph itself. Both are exact on a directed graph; internally ``"from_service"`` is
``"to_service"`` on the reversed graph (the two directions of every street swapped).

Access legs (from a point to its nearest street) are charged at walking speed in every
mode: people walk to their car or bike. Tunnels (OSM ``tunnel=*`` other than
``building_passage``) are travelled through but never snapped to or drawn: a place above
a tunnel is reached from the streets on the ground.
"""

from __future__ import annotations

import hashlib
import operator
import weakref
from dataclasses import dataclass, field
from itertools import chain
from operator import itemgetter, methodcaller
from typing import Any, Literal

import numpy as np

from ._errors import CRSError, DataError, NetworkError

__all__: list[str] = []

#: Default speeds (km/h) per mode when the graph records none.
DEFAULT_SPEED_KPH = {"walk": 4.8, "bike": 15.0, "drive": 30.0}

#: Speed (km/h) of the access leg from a point to its street, in every mode.
ACCESS_SPEED_KPH = 4.8

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
    pair_keys: np.ndarray  # sorted int64 u * n + v of every directed pair
    pair_time: np.ndarray  # cheapest travel time of each pair
    street_u: np.ndarray  # one row per street (parallel edges and loops included)
    street_v: np.ndarray
    street_geom: np.ndarray  # LineString from u to v
    street_len: np.ndarray  # geometry length (m)
    t_fwd: np.ndarray  # time u -> v along this street (inf if not allowed)
    t_bwd: np.ndarray  # time v -> u along this street (inf if not allowed)
    speed_kph: float
    crs: Any
    surface: np.ndarray  # False for tunnels: travelled, but never snapped to or drawn
    tree_rows: np.ndarray  # street row of each geometry in ``tree``
    seg: np.ndarray  # (m, 6): x0, y0, x1, y1, street row, distance along street at x0
    seg_rows: np.ndarray  # rows of ``seg`` on surface streets, in ``seg_tree`` order
    seg_tree: Any  # scipy cKDTree of the midpoints of seg[seg_rows]
    seg_half: float  # longest half segment (m)
    seg_begin: np.ndarray  # rows seg_begin[s]:seg_begin[s + 1] of seg belong to street s
    # what searches and snapping reuse: the search graph of each direction, the snaps
    # of the last few point sets (keyed by a digest of their coordinates)
    memo: dict[Any, Any] = field(default_factory=dict, compare=False, repr=False)

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

    if not (hasattr(G, "graph") and hasattr(G, "edges") and hasattr(G, "nodes")):
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
    nodes = list(G.nodes)
    n = len(nodes)
    index = dict(zip(nodes, range(n), strict=True))
    adj = getattr(G, "_adj", None)
    if isinstance(adj, dict) and G.is_multigraph():
        keydicts = list(chain.from_iterable(map(dict.values, adj.values())))
        heads = chain.from_iterable(map(dict.keys, adj.values()))
        tails = np.fromiter(map(index.__getitem__, adj.keys()), np.int64, len(adj))
        per_node = np.fromiter(map(len, adj.values()), np.int64, len(adj))
        per_pair = np.fromiter(map(len, keydicts), np.int64, len(keydicts))
        v_pair = np.fromiter(map(index.__getitem__, heads), np.int64, len(keydicts))
        u = np.repeat(np.repeat(tails, per_node), per_pair)
        v = np.repeat(v_pair, per_pair)
        data = list(chain.from_iterable(map(dict.values, keydicts)))
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
    import shapely

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
    raw = _raw_weights(data, attr)
    weights = _as_floats(raw)
    if len(G) == 0 or len(weights) == 0:
        raise NetworkError("The street graph has no edges; load a larger area.")
    if cached is not None:
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

    n = len(nodes)
    x, y = _node_xy(G, nodes)
    m = len(data)
    geoms = np.fromiter(map(methodcaller("get", "geometry"), data), object, m)
    tags = np.fromiter(map(methodcaller("get", "tunnel"), data), object, m)
    tunnel = np.zeros(m, bool)
    for k in np.nonzero(tags != None)[0]:  # noqa: E711 (elementwise on an object array)
        tunnel[k] = _is_tunnel(tags[k])
    t = weights / (speed / 3.6) if speed_kph is not None else weights

    no_geom = shapely.is_missing(geoms)
    if no_geom.any():
        idx = np.nonzero(no_geom)[0]
        coords = np.stack([x[u[idx]], y[u[idx]], x[v[idx]], y[v[idx]]], axis=1).reshape(-1, 2, 2)
        geoms[idx] = shapely.linestrings(coords)
    if shapely.has_z(geoms).any():
        geoms = np.asarray(shapely.force_2d(geoms), dtype=object)
    # make every geometry run from u to v
    coords, which = shapely.get_coordinates(geoms, return_index=True)
    start = coords[np.searchsorted(which, np.arange(len(geoms)))]
    sx, sy = start[:, 0], start[:, 1]
    flip = (u != v) & (np.hypot(sx - x[u], sy - y[u]) > np.hypot(sx - x[v], sy - y[v]))
    if flip.any():
        geoms[flip] = shapely.reverse(geoms[flip])

    # cheapest time per directed pair (self-loops never shorten a path)
    keep = u != v
    keys = u[keep] * n + v[keep]
    order = np.lexsort((t[keep], keys))
    keys_sorted = keys[order]
    first = np.ones(len(keys_sorted), bool)
    first[1:] = keys_sorted[1:] != keys_sorted[:-1]
    pair_keys = keys_sorted[first]
    pair_time = t[keep][order][first]

    su, sv, sgeom, t_fwd, t_bwd, head = _streets(u, v, t, geoms, n)
    surface = ~tunnel[head]
    if not surface.any():  # only tunnels: snap to them all the same
        surface[:] = True
    tree_rows = np.nonzero(surface)[0]
    arrays = GraphArrays(
        nodes=nodes,
        x=x,
        y=y,
        pair_keys=pair_keys,
        pair_time=pair_time,
        street_u=su,
        street_v=sv,
        street_geom=sgeom,
        street_len=shapely.length(sgeom),
        t_fwd=t_fwd,
        t_bwd=t_bwd,
        speed_kph=speed,
        crs=crs,
        surface=surface,
        tree_rows=tree_rows,
        **_segments(sgeom, surface),
    )
    _CACHE[G] = (_structure_token(G), (speed_kph, speed), data, raw, arrays)
    return arrays


def _is_tunnel(value: Any) -> bool:
    """OSM ``tunnel`` tag of an edge (a list after osmnx simplification): underground?"""
    values = value if isinstance(value, list) else [value]
    return any(str(x).lower() not in ("none", "no", "building_passage", "") for x in values)


def _streets(
    u: np.ndarray, v: np.ndarray, t: np.ndarray, geoms: np.ndarray, n: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """One row per street: every edge, with an edge and its reverse joined into one.

    Edges are grouped by their unordered end nodes. Where a group is a single edge, or
    exactly one edge each way between two different nodes with lengths within 1 %, it is
    one street. Otherwise
    (parallel edges, self-loops) edges are joined only when they share their geometry's
    midpoint (to 1 cm), so every distinct street is kept. A self-loop's direction is the
    sense of its ring (anticlockwise forward).
    """
    import shapely

    lo, hi = np.minimum(u, v), np.maximum(u, v)
    loop = u == v
    forward = u <= v
    if loop.any():  # twice the signed area of each (closed) ring: the sense of a loop
        rows = np.nonzero(loop)[0]
        coords, which = shapely.get_coordinates(geoms[rows], return_index=True)
        cross = coords[:-1, 0] * coords[1:, 1] - coords[1:, 0] * coords[:-1, 1]
        same = which[1:] == which[:-1]
        area2 = np.bincount(which[:-1][same], weights=cross[same], minlength=len(rows))
        forward[rows] = area2 >= 0

    def canonical(rows: np.ndarray) -> np.ndarray:
        """Geometries of edges ``rows`` drawn from the street's u to its v."""
        out: np.ndarray = geoms[rows].copy()
        back = ~forward[rows]
        if back.any():
            out[back] = shapely.reverse(out[back])
        return out

    gkey = lo * n + hi
    order = np.argsort(gkey, kind="stable")
    gs = gkey[order]
    starts = np.r_[0, np.nonzero(gs[1:] != gs[:-1])[0] + 1]
    size = np.diff(np.r_[starts, len(gs)])
    size_of = np.empty(len(gs), np.int64)
    size_of[order] = np.repeat(size, size)
    n_fwd = np.bincount(np.repeat(np.arange(len(size)), size), weights=forward[order])
    # a pair u -> v, v -> u of about the same length is one two-way street
    glen = shapely.length(geoms)
    two = starts[(size == 2) & (n_fwd == 1)]
    two = two[~loop[order[two]]]
    a, b = order[two], order[two + 1]
    alike = np.abs(glen[a] - glen[b]) <= 1.0 + 0.01 * np.maximum(glen[a], glen[b])
    simple = size_of == 1
    simple[a[alike]] = True
    simple[b[alike]] = True
    mx = np.zeros(len(geoms), np.int64)
    my = np.zeros(len(geoms), np.int64)
    hard = np.nonzero(~simple)[0]
    if len(hard):
        mid = shapely.line_interpolate_point(canonical(hard), 0.5, normalized=True)
        mx[hard] = np.round(shapely.get_x(mid) * 100).astype(np.int64)
        my[hard] = np.round(shapely.get_y(mid) * 100).astype(np.int64)
    sorder = np.lexsort((~forward, my, mx, gkey))
    k3 = np.column_stack([gkey, mx, my])[sorder]
    new = np.ones(len(sorder), bool)
    new[1:] = (k3[1:] != k3[:-1]).any(axis=1)
    street_of = np.cumsum(new) - 1
    n_streets = int(street_of[-1]) + 1 if len(street_of) else 0
    t_fwd = np.full(n_streets, np.inf)
    t_bwd = np.full(n_streets, np.inf)
    fw = forward[sorder]
    np.minimum.at(t_fwd, street_of[fw], t[sorder][fw])
    np.minimum.at(t_bwd, street_of[~fw], t[sorder][~fw])
    head = sorder[new]  # a forward edge where there is one (sorted first)
    return lo[head], hi[head], canonical(head), t_fwd, t_bwd, head


def _segments(geoms: np.ndarray, surface: np.ndarray, max_len: float = 50.0) -> dict[str, Any]:
    """Straight pieces (at most ``max_len`` long) of every street, for fast snapping
    (a k-d tree of the pieces of the ``surface`` streets)."""
    import shapely
    from scipy.spatial import cKDTree

    xy, line = shapely.get_coordinates(geoms, return_index=True)
    same = line[1:] == line[:-1]
    x0, y0 = xy[:-1][same, 0], xy[:-1][same, 1]
    x1, y1 = xy[1:][same, 0], xy[1:][same, 1]
    street = line[:-1][same]
    length = np.hypot(x1 - x0, y1 - y0)
    cum = np.cumsum(length)
    first = np.ones(len(street), bool)
    first[1:] = street[1:] != street[:-1]
    start_of_street = np.maximum.accumulate(np.where(first, np.arange(len(street)), 0))
    offset = cum - length - (cum - length)[start_of_street]
    parts = np.maximum(np.ceil(length / max_len), 1).astype(np.int64)
    rep = np.repeat(np.arange(len(street)), parts)
    k = np.arange(len(rep)) - np.repeat(np.cumsum(parts) - parts, parts)
    a = k / parts[rep]
    b = (k + 1) / parts[rep]
    dx, dy = (x1 - x0)[rep], (y1 - y0)[rep]
    seg = np.column_stack(
        [
            x0[rep] + a * dx,
            y0[rep] + a * dy,
            x0[rep] + b * dx,
            y0[rep] + b * dy,
            street[rep],
            offset[rep] + a * length[rep],
        ]
    )
    rows = np.nonzero(surface[seg[:, 4].astype(np.int64)])[0]
    mid = np.column_stack([(seg[rows, 0] + seg[rows, 2]) / 2, (seg[rows, 1] + seg[rows, 3]) / 2])
    half = float(np.max(length / parts) / 2) if len(length) else 0.0
    begin = np.searchsorted(seg[:, 4], np.arange(len(geoms) + 1))
    return {
        "seg": seg,
        "seg_rows": rows,
        "seg_tree": cKDTree(mid, balanced_tree=False, compact_nodes=False),
        "seg_half": half,
        "seg_begin": begin,
    }


def lookup(keys: np.ndarray, values: np.ndarray, query: np.ndarray) -> np.ndarray:
    """Values of ``query`` keys in sorted ``keys`` (inf where absent)."""
    pos = np.searchsorted(keys, query)
    pos = np.clip(pos, 0, max(len(keys) - 1, 0))
    out = np.full(len(query), np.inf)
    if len(keys):
        hit = keys[pos] == query
        out[hit] = values[pos[hit]]
    return out


@dataclass(frozen=True)
class Snap:
    """Where points meet the street network."""

    street: np.ndarray  # street row
    frac: np.ndarray  # position along the street, 0 at u, 1 at v
    dist_m: np.ndarray  # perpendicular (access) distance in metres
    access_s: np.ndarray  # access leg in seconds at walking speed (ACCESS_SPEED_KPH)


def snap(arrays: GraphArrays, points: np.ndarray) -> Snap:
    """Snap points to their nearest street and project them onto it.

    Tunnels are left out: nobody enters one from the ground above it.
    """
    import shapely

    if len(points) == 0:
        e = np.empty(0)
        return Snap(np.empty(0, np.int64), e, e, e)

    pxy = shapely.get_coordinates(points)
    key = ("snap", len(pxy), hashlib.blake2b(pxy.tobytes(), digest_size=16).digest())
    hit = arrays.memo.get(key)
    if hit is not None:
        return Snap(*(a.copy() for a in hit))
    out = _snap(arrays, points, pxy)
    snaps = [k for k in arrays.memo if k[0] == "snap"]
    for old in snaps[: max(len(snaps) - _SNAP_MEMO + 1, 0)]:
        del arrays.memo[old]
    arrays.memo[key] = tuple(a.copy() for a in (out.street, out.frac, out.dist_m, out.access_s))
    return out


#: How many point sets' snaps each graph's arrays remember (repeated calls on the same
#: places, e.g. one call per candidate site, snap them once).
_SNAP_MEMO = 4


def _snap(arrays: GraphArrays, points: np.ndarray, pxy: np.ndarray) -> Snap:
    """:func:`snap` without the memo."""
    seg = arrays.seg
    k = min(6, len(arrays.seg_rows))
    d_mid, j = arrays.seg_tree.query(pxy, k=k, workers=-1)
    d_mid, j = d_mid.reshape(len(pxy), k), arrays.seg_rows[j.reshape(len(pxy), k)]
    x0, y0, x1, y1 = seg[j, 0], seg[j, 1], seg[j, 2], seg[j, 3]
    dx, dy = x1 - x0, y1 - y0
    ll = dx * dx + dy * dy
    px, py = pxy[:, :1], pxy[:, 1:2]
    with np.errstate(invalid="ignore", divide="ignore"):
        t = np.clip(np.nan_to_num(((px - x0) * dx + (py - y0) * dy) / ll), 0.0, 1.0)
    dist = np.hypot(px - (x0 + t * dx), py - (y0 + t * dy))
    street_k = seg[j, 4].astype(np.int64)
    slen = arrays.street_len[street_k]
    along = np.clip(seg[j, 5] + t * np.sqrt(ll), 0.0, slen)
    # among equally near streets prefer the one with an end closest to the point, so a
    # point on a node is placed on that node's streets (not on a street merely passing it)
    dmin = dist.min(axis=1)
    score = np.where(dist <= dmin[:, None] + 1e-9, np.minimum(along, slen - along), np.inf)
    pick = np.argmin(score, axis=1)
    rows = np.arange(len(pxy))
    street = street_k[rows, pick]
    dist_m = dist[rows, pick]
    with np.errstate(invalid="ignore", divide="ignore"):
        frac = np.clip(np.nan_to_num(along[rows, pick] / slen[rows, pick]), 0.0, 1.0)
    # exact unless an unseen piece could be nearer: check those with the STRtree
    unsure = np.nonzero(dmin > d_mid[:, -1] - arrays.seg_half)[0]
    if k >= len(arrays.seg_rows):
        unsure = unsure[:0]
    if len(unsure):
        st, fr, dm = _snap_tree(arrays, points[unsure])
        street[unsure], frac[unsure], dist_m[unsure] = st, fr, dm
    return Snap(street, frac, dist_m, dist_m / (ACCESS_SPEED_KPH / 3.6))


def _snap_tree(arrays: GraphArrays, points: np.ndarray) -> tuple[np.ndarray, ...]:
    """Exact snapping with the STRtree (slower; for points far from the streets)."""
    import shapely

    idx, dist = arrays.tree.query_nearest(points, return_distance=True, all_matches=True)
    idx = np.vstack([idx[0], arrays.tree_rows[idx[1]]])
    # among equally near streets prefer the one with an end closest to the point, so a
    # point on a node is placed on that node's streets (not on a street merely passing it)
    pos = shapely.line_locate_point(arrays.street_geom[idx[1]], points[idx[0]], normalized=True)
    pos = np.clip(np.nan_to_num(pos, nan=0.0), 0.0, 1.0)
    to_end = np.minimum(pos, 1.0 - pos) * arrays.street_len[idx[1]]
    order = np.lexsort((to_end, dist, idx[0]))
    first = np.ones(len(order), bool)
    first[1:] = idx[0][order][1:] != idx[0][order][:-1]
    pick = order[first]
    street = np.empty(len(points), np.int64)
    dist_m = np.empty(len(points))
    frac = np.empty(len(points))
    street[idx[0][pick]] = idx[1][pick]
    dist_m[idx[0][pick]] = dist[pick]
    frac[idx[0][pick]] = pos[pick]
    return street, frac, dist_m


def seed_costs(arrays: GraphArrays, s: Snap, direction: Direction) -> tuple[np.ndarray, np.ndarray]:
    """Time between the street's u and v ends and the snapped services (inf when not allowed).

    For ``"to_service"`` a service at fraction g of street u-v is reached from u by
    travelling g of u -> v, and from v by travelling 1 - g of v -> u; for
    ``"from_service"`` the same on the reversed graph.
    """
    tf, tb = arrays.oriented(direction)
    with np.errstate(invalid="ignore"):
        return _ends(s.frac, tf[s.street], tb[s.street], s.access_s, seed=True)


def _ends(
    f: np.ndarray, tf: np.ndarray, tb: np.ndarray, access: np.ndarray, *, seed: bool
) -> tuple[np.ndarray, np.ndarray]:
    """Costs between a place at fraction ``f`` and the u and v ends of its street."""
    if seed:  # from the ends to the place
        at_u = np.where(f <= 0.0, 0.0, f * tf) + access
        at_v = np.where(f >= 1.0, 0.0, (1.0 - f) * tb) + access
    else:  # from the place to the ends
        at_u = np.where(f <= 0.0, 0.0, f * tb) + access
        at_v = np.where(f >= 1.0, 0.0, (1.0 - f) * tf) + access
    # (inf stays inf: a one-way street's wrong end is never reached)
    return np.nan_to_num(at_u, nan=np.inf, posinf=np.inf), np.nan_to_num(
        at_v, nan=np.inf, posinf=np.inf
    )


def leave_costs(
    arrays: GraphArrays, s: Snap, direction: Direction
) -> tuple[np.ndarray, np.ndarray]:
    """Time between snapped places and the street's u and v ends (inf when not allowed)."""
    tf, tb = arrays.oriented(direction)
    with np.errstate(invalid="ignore"):
        return _ends(s.frac, tf[s.street], tb[s.street], s.access_s, seed=False)


def search_matrix(arrays: GraphArrays, s: Snap, direction: Direction) -> Any:
    """CSR matrix of the graph searched for ``direction`` plus one virtual node per service.

    For ``"to_service"`` this is the transposed graph: virtual node ``n + i`` has edges to
    the ends of service ``i``'s street weighted by the times from those ends to the
    service, so a search from the virtual nodes gives, at every node, the time from that
    node to a service. For ``"from_service"`` it is the graph itself, and the search gives
    the time from a service to every node.
    """
    import scipy.sparse as sp

    n = arrays.n
    k = len(s.street)
    base = arrays.memo.get(("search", direction))
    if base is None:
        u_all = arrays.pair_keys // n
        v_all = arrays.pair_keys % n
        tail, head = (v_all, u_all) if direction == "to_service" else (u_all, v_all)
        g = sp.csr_matrix((arrays.pair_time, (tail, head)), shape=(n, n))
        g.sort_indices()
        base = arrays.memo[("search", direction)] = (g.indptr, g.indices, g.data)
    indptr, indices, data = base
    from_u, from_v = seed_costs(arrays, s, direction)
    su, sv = arrays.street_u[s.street], arrays.street_v[s.street]
    # a service on a loop street reaches its one end by the quicker way round
    from_u = np.where(su == sv, np.minimum(from_u, from_v), from_u)
    from_v = np.where(su == sv, np.inf, from_v)
    c = np.column_stack([su, sv]).ravel()
    d = np.column_stack([from_u, from_v]).ravel()
    ok = np.isfinite(d)
    per_row = ok.reshape(-1, 2).sum(axis=1) if k else np.zeros(0, np.int64)
    return sp.csr_matrix(
        (
            np.concatenate([data, d[ok]]),
            np.concatenate([indices, c[ok]]).astype(indices.dtype, copy=False),
            np.concatenate([indptr, indptr[-1] + np.cumsum(per_row)]).astype(
                indptr.dtype, copy=False
            ),
        ),
        shape=(n + k, n + k),
    )


def nearest(
    arrays: GraphArrays,
    services: Snap,
    targets: Snap,
    *,
    direction: Direction = "to_service",
    limit_s: float = np.inf,
) -> tuple[np.ndarray, np.ndarray]:
    """Seconds between each target and its nearest service, and that service's position.

    One multi-source Dijkstra search from the services' virtual nodes
    (``min_only=True``) over the matrix of :func:`search_matrix`; ``sources`` tells which
    service reached each node first. Unreached targets get ``inf`` and position ``-1``.
    """
    from scipy.sparse.csgraph import dijkstra

    n = arrays.n
    k = len(services.street)
    mat = search_matrix(arrays, services, direction)
    dist, _, src = dijkstra(
        mat,
        directed=True,
        indices=n + np.arange(k),
        min_only=True,
        return_predecessors=True,
        limit=limit_s,
    )
    src = np.where(src >= n, src - n, -1)
    tu = arrays.street_u[targets.street]
    tv = arrays.street_v[targets.street]
    to_u, to_v = leave_costs(arrays, targets, direction)
    with np.errstate(over="ignore", invalid="ignore"):
        via_u = to_u + dist[tu]
        via_v = to_v + dist[tv]
    best = np.minimum(via_u, via_v)
    which = np.where(via_u <= via_v, src[tu], src[tv])

    # a target and a service on the same street: the direct way along it
    tf, tb = arrays.oriented(direction)
    if len(targets.street) and k:
        sorder = np.argsort(services.street, kind="stable")
        sstreets = services.street[sorder]
        lo = np.searchsorted(sstreets, targets.street, "left")
        hi = np.searchsorted(sstreets, targets.street, "right")
        for ti in np.nonzero(hi > lo)[0]:
            cand = sorder[lo[ti] : hi[ti]]
            e = targets.street[ti]
            f = targets.frac[ti]
            g = services.frac[cand]
            with np.errstate(invalid="ignore"):
                along = np.where(g >= f, (g - f) * tf[e], (f - g) * tb[e])
            along = np.where(g == f, 0.0, along)
            cost = targets.access_s[ti] + services.access_s[cand] + along
            j = int(np.argmin(cost))
            if cost[j] < best[ti]:
                best[ti] = cost[j]
                which[ti] = cand[j]
    best = np.where(best <= limit_s, best, np.inf)
    which = np.where(np.isfinite(best), which, -1)
    return best, which


def matrix(
    arrays: GraphArrays,
    services: Snap,
    targets: Snap,
    *,
    direction: Direction = "to_service",
    limit_s: float = np.inf,
    chunk: int = 64,
) -> np.ndarray:
    """Seconds between every target (rows) and every service (columns), inf if unreached.

    One Dijkstra search per service over the matrix of :func:`search_matrix` (several
    services per call to scipy, ``chunk`` at a time to bound memory).
    """
    from scipy.sparse.csgraph import dijkstra

    n, k = arrays.n, len(services.street)
    out = np.full((len(targets.street), k), np.inf)
    if k == 0 or len(targets.street) == 0:
        return out
    mat = search_matrix(arrays, services, direction)
    tu = arrays.street_u[targets.street]
    tv = arrays.street_v[targets.street]
    to_u, to_v = leave_costs(arrays, targets, direction)
    tf, tb = arrays.oriented(direction)
    for lo in range(0, k, chunk):
        hi = min(lo + chunk, k)
        dist = dijkstra(mat, directed=True, indices=n + np.arange(lo, hi), limit=limit_s)
        with np.errstate(over="ignore", invalid="ignore"):
            best = np.minimum(to_u + dist[:, tu], to_v + dist[:, tv])
        out[:, lo:hi] = best.T
    # a target and a service on the same street: the direct way along it
    sorder = np.argsort(services.street, kind="stable")
    first = np.searchsorted(services.street[sorder], targets.street, "left")
    count = np.searchsorted(services.street[sorder], targets.street, "right") - first
    t_idx = np.repeat(np.arange(len(targets.street)), count)
    step = np.arange(len(t_idx)) - np.repeat(np.cumsum(count) - count, count)
    s_idx = sorder[np.repeat(first, count) + step]
    if len(t_idx):
        f, g = targets.frac[t_idx], services.frac[s_idx]
        e = targets.street[t_idx]
        with np.errstate(invalid="ignore"):
            along = np.where(g >= f, (g - f) * tf[e], (f - g) * tb[e])
        along = np.where(g == f, 0.0, np.nan_to_num(along, nan=np.inf, posinf=np.inf))
        direct = targets.access_s[t_idx] + services.access_s[s_idx] + along
        out[t_idx, s_idx] = np.minimum(out[t_idx, s_idx], direct)
    out[out > limit_s] = np.inf
    return out


def pieces(
    arrays: GraphArrays,
    dist: np.ndarray,
    src: np.ndarray | None,
    t_s: float,
    svc: Snap,
    svc_group: np.ndarray,
    split: bool,
    within: np.ndarray,
    direction: Direction = "to_service",
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Street pieces reached within ``t_s``: (street, start, end fraction, group).

    ``dist`` holds the node times of a search for ``direction`` (see
    :func:`search_matrix`).

    Only the streets ``within`` (from :func:`streets_within` for a time at least
    ``t_s``) are looked at, so several thresholds of one search are cheap.
    """
    du_all, dv_all = dist[arrays.street_u[within]], dist[arrays.street_v[within]]
    keep = np.nonzero((du_all <= t_s) | (dv_all <= t_s))[0]
    cand = within[keep]
    su, sv = arrays.street_u[cand], arrays.street_v[cand]
    du, dv = du_all[keep], dv_all[keep]
    tf_all, tb_all = arrays.oriented(direction)
    tf, tb = tf_all[cand], tb_all[cand]
    with np.errstate(invalid="ignore", divide="ignore"):
        # a place at fraction x reaches a service through u in x * tb + du (it travels
        # v -> u along the street), through v in (1 - x) * tf + dv: a one-way street is
        # reached only from the end its traffic flows to
        r_u = np.clip((t_s - du) / tb, 0.0, 1.0)
        r_v = np.clip((t_s - dv) / tf, 0.0, 1.0)
        r_u = np.where(np.isfinite(du) & (du <= t_s), np.nan_to_num(r_u, nan=1.0), -1.0)
        r_v = np.where(np.isfinite(dv) & (dv <= t_s), np.nan_to_num(r_v, nan=1.0), -1.0)
        if split and src is not None:
            # where the ways through u and through v take equally long
            mid = (dv + tf - du) / (tb + tf)
            mid = np.where(np.isfinite(tb), mid, 0.0)
            mid = np.where(np.isfinite(tf), mid, 1.0)
            mid = np.clip(np.nan_to_num(mid, nan=0.5, posinf=1.0, neginf=0.0), 0.0, 1.0)
        else:
            mid = np.where(r_u + r_v >= 1.0, 1.0, np.maximum(r_u, 0.0))
    a_end = np.minimum(r_u, mid)
    b_start = np.where(split, np.maximum(1.0 - r_v, mid), np.maximum(1.0 - r_v, a_end))
    has_a = r_u >= 0
    has_b = (r_v >= 0) & (b_start < 1.0 + 1e-12)
    idx_a = np.nonzero(has_a)[0]
    idx_b = np.nonzero(has_b & ((b_start < 1.0) | ~has_a))[0]
    if src is not None:
        group = [svc_group[src[su[idx_a]]], svc_group[src[sv[idx_b]]]]
    else:
        group = [np.full(len(idx_a), svc_group[0]), np.full(len(idx_b), svc_group[0])]
    street = [cand[idx_a], cand[idx_b]]
    start = [np.zeros(len(idx_a)), b_start[idx_b]]
    end = [np.maximum(a_end[idx_a], 0.0), np.ones(len(idx_b))]
    # the service's own street, around the service
    # (places before the service travel forward to it, places after it backward)
    ttl = np.maximum(t_s - svc.access_s, -1.0)
    ok = ttl >= 0
    e = svc.street[ok]
    with np.errstate(invalid="ignore", divide="ignore"):
        before = np.nan_to_num(ttl[ok] / tf_all[e], nan=1.0, posinf=1.0)
        after = np.nan_to_num(ttl[ok] / tb_all[e], nan=1.0, posinf=1.0)
    street.append(e)
    start.append(np.clip(svc.frac[ok] - before, 0.0, 1.0))
    end.append(np.clip(svc.frac[ok] + after, 0.0, 1.0))
    group.append(svc_group[np.nonzero(ok)[0]])
    return (
        np.concatenate(street),
        np.concatenate(start),
        np.concatenate(end),
        np.concatenate(group).astype(np.int64),
    )


def streets_within(arrays: GraphArrays, dist: np.ndarray, t_s: float) -> np.ndarray:
    """Rows of the streets with an end reached within ``t_s`` seconds."""
    return np.nonzero((dist[arrays.street_u] <= t_s) | (dist[arrays.street_v] <= t_s))[0]


def piece_points(
    arrays: GraphArrays,
    street: np.ndarray,
    a: np.ndarray,
    b: np.ndarray,
    step: float,
    *,
    with_position: bool = False,
) -> tuple[np.ndarray, ...]:
    """Points at most ``step`` metres apart along street pieces, ends included.

    Returns an ``(k, 2)`` array of x, y and a boolean array, True where point ``i`` and
    point ``i + 1`` are joined by a straight stretch of street (and, with
    ``with_position``, the row of ``street`` each point lies on and its distance in
    metres from that street's start). Works on the straight
    segments of ``arrays.seg``, so curved streets are followed vertex by vertex.
    """
    seg = arrays.seg
    length = arrays.street_len[street]
    lo, hi = a * length, b * length
    first = arrays.seg_begin[street]
    count = arrays.seg_begin[street + 1] - first
    rep = np.repeat(np.arange(len(street)), count)
    rows = first[rep] + np.arange(len(rep)) - np.repeat(np.cumsum(count) - count, count)
    x0, y0, x1, y1, off = seg[rows, 0], seg[rows, 1], seg[rows, 2], seg[rows, 3], seg[rows, 5]
    seg_len = np.hypot(x1 - x0, y1 - y0)
    # the part of each straight segment inside its piece, as fractions of the segment
    s_lo = np.maximum(lo[rep], off)
    s_hi = np.minimum(hi[rep], off + seg_len)
    ok = s_hi >= s_lo
    x0, y0, x1, y1, off = x0[ok], y0[ok], x1[ok], y1[ok], off[ok]
    s_lo, s_hi, seg_len = s_lo[ok], s_hi[ok], seg_len[ok]
    inv = 1.0 / np.maximum(seg_len, 1e-12)
    f0 = (s_lo - off) * inv
    f1 = (s_hi - off) * inv
    n = np.ceil((s_hi - s_lo) / step).astype(np.int64) + 1
    r = np.repeat(np.arange(len(n)), n)
    j = np.arange(len(r)) - np.repeat(np.cumsum(n) - n, n)
    f = f0[r] + (f1 - f0)[r] * (j / np.maximum(n - 1, 1)[r])
    joined = np.zeros(len(r), bool)
    joined[:-1] = r[1:] == r[:-1]
    xy = np.column_stack([x0[r] + f * (x1 - x0)[r], y0[r] + f * (y1 - y0)[r]])
    if not with_position:
        return xy, joined
    row = rep[ok][r]
    return xy, joined, row, off[r] + f * seg_len[r]


def piece_geoms(
    arrays: GraphArrays, street: np.ndarray, a: np.ndarray, b: np.ndarray
) -> np.ndarray:
    """Sub-lines of streets between fractions ``a`` and ``b`` (full streets kept as is)."""
    import shapely
    from shapely.ops import substring

    geoms = arrays.street_geom[street].copy()
    part = ~((a <= 0.0) & (b >= 1.0))
    straight = part & (shapely.get_num_coordinates(geoms) == 2)
    if straight.any():
        g = geoms[straight]
        p0 = shapely.get_coordinates(
            shapely.line_interpolate_point(g, a[straight], normalized=True)
        )
        p1 = shapely.get_coordinates(
            shapely.line_interpolate_point(g, b[straight], normalized=True)
        )
        geoms[straight] = shapely.linestrings(np.stack([p0, p1], axis=1))
    for i in np.nonzero(part & ~straight)[0]:
        geoms[i] = substring(geoms[i], float(a[i]), float(b[i]), normalized=True)
    return np.asarray(shapely.force_2d(geoms), dtype=object)


def other_points(
    arrays: GraphArrays,
    street: np.ndarray,
    a: np.ndarray,
    b: np.ndarray,
    box: tuple[float, float, float, float],
    step: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Points every ``step`` metres along the street parts *not* in the given pieces.

    Only streets crossing ``box`` (xmin, ymin, xmax, ymax) are looked at. Returns points
    and joined flags as :func:`piece_points`. An isochrone keeps a place only where its
    nearest street is a reached piece, not one of these.
    """
    import shapely

    rows = arrays.tree_rows[np.asarray(arrays.tree.query(shapely.box(*box)), np.int64)]
    rows = np.setdiff1d(rows, street[(a <= 0.0) & (b >= 1.0)])  # wholly reached: no points
    if len(rows) == 0:
        return np.empty((0, 2)), np.empty(0, bool)
    xy, joined, row, along = piece_points(
        arrays, rows, np.zeros(len(rows)), np.ones(len(rows)), step, with_position=True
    )
    # merge the reached intervals of each street (keys street * 2 + fraction stay apart)
    lo_key = street * 2.0 + a
    hi_key = street * 2.0 + b
    order = np.argsort(lo_key, kind="stable")
    lo_key, hi_key = lo_key[order], hi_key[order]
    reach_hi = np.maximum.accumulate(hi_key) if len(hi_key) else hi_key
    new = np.ones(len(lo_key), bool)
    new[1:] = lo_key[1:] > reach_hi[:-1]
    starts = lo_key[new]
    ends = np.maximum.reduceat(hi_key, np.nonzero(new)[0]) if len(hi_key) else hi_key
    s_row = rows[row]
    with np.errstate(invalid="ignore", divide="ignore"):
        frac = np.nan_to_num(along / arrays.street_len[s_row], nan=0.0)
    key = s_row * 2.0 + frac
    k = np.searchsorted(starts, key + 1e-9, side="right") - 1
    inside = (k >= 0) & (key <= ends[np.maximum(k, 0)] + 1e-9) if len(starts) else key < -1
    out = ~inside
    keep_join = joined & out & np.r_[out[1:], False]
    return xy[out], keep_join[out]
