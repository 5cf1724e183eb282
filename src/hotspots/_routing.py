"""Private routing machinery for :mod:`hotspots.reach`.

A street graph is turned once into flat arrays (node coordinates, one row per directed
pair with the cheapest travel time in seconds, one row per street for geometry, short
straight pieces of every street for snapping). They are cached in a module-level
``WeakKeyDictionary`` keyed by the graph object, checked against its node and
neighbour counts and the speed, so nothing is written into ``G.graph``. For each search
a ``scipy.sparse`` CSR matrix is assembled from the cached arrays (one vectorised step)
together with one virtual node per service. Points are snapped onto streets (not
nodes).

Direction: results are the time to walk (or ride, or drive) *from* a place *to* a
service. The search runs from the services over the **transposed** graph, so on a
directed drive graph one-way streets are followed in the right direction; on an
undirected walk graph both directions are equal.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from typing import Any

import numpy as np

from ._errors import CRSError, NetworkError

__all__: list[str] = []

#: Default speeds (km/h) per mode when the graph records none.
DEFAULT_SPEED_KPH = {"walk": 4.8, "bike": 15.0, "drive": 30.0}


@dataclass(frozen=True)
class GraphArrays:
    """Flat arrays describing a street graph (all travel times in seconds)."""

    nodes: list[Any]
    x: np.ndarray
    y: np.ndarray
    pair_keys: np.ndarray  # sorted int64 u * n + v of every directed pair
    pair_time: np.ndarray  # cheapest travel time of each pair
    street_u: np.ndarray  # one row per street (undirected, deduplicated)
    street_v: np.ndarray
    street_geom: np.ndarray  # LineString from u to v
    street_len: np.ndarray  # geometry length (m)
    t_fwd: np.ndarray  # time u -> v (inf if not allowed)
    t_bwd: np.ndarray  # time v -> u (inf if not allowed)
    speed_kph: float
    crs: Any
    tree: Any  # shapely STRtree over street_geom (fallback for snapping)
    seg: np.ndarray  # (m, 6): x0, y0, x1, y1, street row, distance along street at x0
    seg_tree: Any  # scipy cKDTree of segment midpoints
    seg_half: float  # longest half segment (m)
    seg_begin: np.ndarray  # rows seg_begin[s]:seg_begin[s + 1] of seg belong to street s

    @property
    def n(self) -> int:
        return len(self.nodes)


_CACHE: weakref.WeakKeyDictionary[Any, dict[Any, GraphArrays]] = weakref.WeakKeyDictionary()


def graph_crs(G: Any) -> Any:
    """Return the projected pyproj CRS of ``G`` or raise CRSError."""
    from pyproj import CRS

    value = G.graph.get("crs")
    if value is None:
        raise CRSError(
            "The street graph has no G.graph['crs']. Load it with hotspots.network.load_network "
            "or project it with osmnx.project_graph(G, to_crs='EPSG:27700')."
        )
    crs = CRS.from_user_input(value)
    if crs.is_geographic:
        raise CRSError(
            f"The street graph is in a geographic CRS ({crs.to_string()}), in degrees, but "
            "travel needs metres. Project it first: `osmnx.project_graph(G, to_crs='EPSG:27700')`."
        )
    return crs


def graph_speed(G: Any, speed_kph: float | None) -> float:
    """The mode's speed in km/h: ``speed_kph``, else the graph's, else by mode."""
    if speed_kph is not None:
        value = float(speed_kph)
    else:
        value = float(
            G.graph.get("speed_kph") or DEFAULT_SPEED_KPH.get(G.graph.get("mode", "walk"), 4.8)
        )
    if not np.isfinite(value) or value <= 0:
        raise ValueError(f"speed_kph must be a positive number, got {speed_kph!r}.")
    return value


def graph_arrays(G: Any, speed_kph: float | None = None) -> GraphArrays:
    """Build (or fetch from the cache) the arrays of ``G``.

    With ``speed_kph`` given, every edge's time is ``length / speed``; otherwise the
    edges' ``travel_time`` attribute (seconds) is used. The cache is keyed by the graph
    object (weakly) and by its node/edge counts and the speed, so an edited graph is
    rebuilt.
    """
    import shapely

    crs = graph_crs(G)
    speed = graph_speed(G, speed_kph)
    adj = getattr(G, "_adj", None)
    n_pairs = sum(map(len, adj.values())) if isinstance(adj, dict) else G.number_of_edges()
    version = (len(G), n_pairs, speed_kph, speed)
    per_graph = _CACHE.setdefault(G, {})
    if version in per_graph:
        return per_graph[version]
    if G.number_of_nodes() == 0 or G.number_of_edges() == 0:
        raise NetworkError("The street graph has no edges; load a larger area.")

    nodes = list(G.nodes)
    index = {node: i for i, node in enumerate(nodes)}
    n = len(nodes)
    try:
        x = np.fromiter((G.nodes[v]["x"] for v in nodes), float, n)
        y = np.fromiter((G.nodes[v]["y"] for v in nodes), float, n)
    except KeyError as exc:
        raise NetworkError("Every node needs 'x' and 'y' coordinates (osmnx layout).") from exc

    m = G.number_of_edges()
    u = np.empty(m, np.int64)
    v = np.empty(m, np.int64)
    t = np.empty(m, float)
    geoms = np.empty(m, object)
    missing_time = 0
    mps = speed / 3.6
    for k, (a, b, data) in enumerate(G.edges(data=True)):
        u[k] = index[a]
        v[k] = index[b]
        length = data.get("length")
        if speed_kph is not None:
            if length is None:
                raise NetworkError("Edges need a 'length' (metres) to use speed_kph.")
            t[k] = float(length) / mps
        else:
            tt = data.get("travel_time")
            if tt is None:
                missing_time += 1
                t[k] = np.nan
            else:
                t[k] = float(tt)
        geoms[k] = data.get("geometry")
    if missing_time:
        raise NetworkError(
            f"{missing_time} of {m} edges have no 'travel_time' (seconds). Add them with "
            "osmnx.add_edge_speeds + osmnx.add_edge_travel_times, or pass speed_kph=."
        )
    bad = ~np.isfinite(t) | (t < 0)
    if bad.any():
        raise NetworkError(f"{int(bad.sum())} edges have a negative or non-finite travel_time.")

    no_geom = np.array([g is None for g in geoms])
    if no_geom.any():
        idx = np.nonzero(no_geom)[0]
        coords = np.stack([x[u[idx]], y[u[idx]], x[v[idx]], y[v[idx]]], axis=1).reshape(-1, 2, 2)
        geoms[idx] = shapely.linestrings(coords)
    # make every geometry run from u to v
    start = shapely.get_point(geoms, 0)
    sx, sy = shapely.get_x(start), shapely.get_y(start)
    flip = np.hypot(sx - x[u], sy - y[u]) > np.hypot(sx - x[v], sy - y[v])
    if flip.any():
        geoms[flip] = shapely.reverse(geoms[flip])

    # cheapest time per directed pair (self-loops dropped)
    keep = u != v
    keys = u[keep] * n + v[keep]
    order = np.lexsort((t[keep], keys))
    keys_sorted = keys[order]
    first = np.ones(len(keys_sorted), bool)
    first[1:] = keys_sorted[1:] != keys_sorted[:-1]
    pair_keys = keys_sorted[first]
    pair_time = t[keep][order][first]

    # one row per street: the (min, max) pair with its cheapest geometry
    lo, hi = np.minimum(u, v), np.maximum(u, v)
    skeys = lo * n + hi
    sorder = np.lexsort((t, skeys))
    sk = skeys[sorder]
    sfirst = np.ones(len(sk), bool)
    sfirst[1:] = sk[1:] != sk[:-1]
    sel = sorder[sfirst]
    sel = sel[u[sel] != v[sel]]
    su, sv = u[sel], v[sel]
    sgeom = geoms[sel]
    t_fwd = lookup(pair_keys, pair_time, su * n + sv)
    t_bwd = lookup(pair_keys, pair_time, sv * n + su)
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
        tree=shapely.STRtree(sgeom),
        **_segments(sgeom),
    )
    per_graph.clear()
    per_graph[version] = arrays
    return arrays


def _segments(geoms: np.ndarray, max_len: float = 50.0) -> dict[str, Any]:
    """Straight pieces (at most ``max_len`` long) of every street, for fast snapping."""
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
    mid = np.column_stack([(seg[:, 0] + seg[:, 2]) / 2, (seg[:, 1] + seg[:, 3]) / 2])
    half = float(np.max(length / parts) / 2) if len(length) else 0.0
    begin = np.searchsorted(seg[:, 4], np.arange(len(geoms) + 1))
    return {"seg": seg, "seg_tree": cKDTree(mid), "seg_half": half, "seg_begin": begin}


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
    access_s: np.ndarray  # access leg in seconds at the mode's speed


def snap(arrays: GraphArrays, points: np.ndarray) -> Snap:
    """Snap points to their nearest street and project them onto it."""
    import shapely

    if len(points) == 0:
        e = np.empty(0)
        return Snap(np.empty(0, np.int64), e, e, e)

    pxy = shapely.get_coordinates(points)
    seg = arrays.seg
    k = min(6, len(seg))
    d_mid, j = arrays.seg_tree.query(pxy, k=k, workers=-1)
    d_mid, j = d_mid.reshape(len(pxy), k), j.reshape(len(pxy), k)
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
    if k >= len(seg):
        unsure = unsure[:0]
    if len(unsure):
        st, fr, dm = _snap_tree(arrays, points[unsure])
        street[unsure], frac[unsure], dist_m[unsure] = st, fr, dm
    return Snap(street, frac, dist_m, dist_m / (arrays.speed_kph / 3.6))


def _snap_tree(arrays: GraphArrays, points: np.ndarray) -> tuple[np.ndarray, ...]:
    """Exact snapping with the STRtree (slower; for points far from the streets)."""
    import shapely

    idx, dist = arrays.tree.query_nearest(points, return_distance=True, all_matches=True)
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


def seed_costs(arrays: GraphArrays, s: Snap) -> tuple[np.ndarray, np.ndarray]:
    """Time from the street's u and v ends to the snapped places (inf when not allowed).

    A place at fraction g of street u-v is reached from u by travelling g of u -> v, and
    from v by travelling 1 - g of v -> u.
    """
    with np.errstate(invalid="ignore"):
        return _ends(s.frac, arrays.t_fwd[s.street], arrays.t_bwd[s.street], s.access_s, seed=True)


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
    return np.nan_to_num(at_u, nan=np.inf), np.nan_to_num(at_v, nan=np.inf)


def leave_costs(arrays: GraphArrays, s: Snap) -> tuple[np.ndarray, np.ndarray]:
    """Time from snapped places to the street's u and v ends (inf when not allowed)."""
    with np.errstate(invalid="ignore"):
        return _ends(s.frac, arrays.t_fwd[s.street], arrays.t_bwd[s.street], s.access_s, seed=False)


def transposed_matrix(arrays: GraphArrays, s: Snap) -> Any:
    """CSR matrix of the transposed graph plus one virtual node per snapped service.

    Virtual node ``n + i`` has edges to the ends of service ``i``'s street whose weights
    are the times from those ends to the service, so a search from the virtual nodes over
    the transposed graph gives, at every node, the time from that node to a service.
    """
    import scipy.sparse as sp

    n = arrays.n
    k = len(s.street)
    u_all = arrays.pair_keys // n
    v_all = arrays.pair_keys % n
    from_u, from_v = seed_costs(arrays, s)
    virt = n + np.arange(k)
    rows = [v_all, virt, virt]  # transposed: original u -> v becomes v -> u
    cols = [u_all, arrays.street_u[s.street], arrays.street_v[s.street]]
    data = [arrays.pair_time, from_u, from_v]
    r = np.concatenate(rows)
    c = np.concatenate(cols)
    d = np.concatenate(data)
    ok = np.isfinite(d)
    return sp.csr_matrix((d[ok], (r[ok], c[ok])), shape=(n + k, n + k))


def nearest(
    arrays: GraphArrays,
    services: Snap,
    targets: Snap,
    *,
    limit_s: float = np.inf,
) -> tuple[np.ndarray, np.ndarray]:
    """Seconds from each target to its nearest service and that service's position.

    One multi-source Dijkstra search over the transposed graph from the services'
    virtual nodes (``min_only=True``); ``sources`` tells which service reached each
    node first. Unreached targets get ``inf`` and position ``-1``.
    """
    from scipy.sparse.csgraph import dijkstra

    n = arrays.n
    k = len(services.street)
    mat = transposed_matrix(arrays, services)
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
    to_u, to_v = leave_costs(arrays, targets)
    with np.errstate(over="ignore", invalid="ignore"):
        via_u = to_u + dist[tu]
        via_v = to_v + dist[tv]
    best = np.minimum(via_u, via_v)
    which = np.where(via_u <= via_v, src[tu], src[tv])

    # a target and a service on the same street: the direct walk along it
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
            along = np.where(g >= f, (g - f) * arrays.t_fwd[e], (f - g) * arrays.t_bwd[e])
            along = np.where(g == f, 0.0, along)
            cost = targets.access_s[ti] + services.access_s[cand] + along
            j = int(np.argmin(cost))
            if cost[j] < best[ti]:
                best[ti] = cost[j]
                which[ti] = cand[j]
    best = np.where(best <= limit_s, best, np.inf)
    which = np.where(np.isfinite(best), which, -1)
    return best, which


def pieces(
    arrays: GraphArrays,
    dist: np.ndarray,
    src: np.ndarray | None,
    t_s: float,
    svc: Snap,
    svc_group: np.ndarray,
    split: bool,
    within: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Street pieces reached within ``t_s``: (street, start, end fraction, group).

    Only the streets ``within`` (from :func:`streets_within` for a time at least
    ``t_s``) are looked at, so several thresholds of one search are cheap.
    """
    du_all, dv_all = dist[arrays.street_u[within]], dist[arrays.street_v[within]]
    keep = np.nonzero((du_all <= t_s) | (dv_all <= t_s))[0]
    cand = within[keep]
    su, sv = arrays.street_u[cand], arrays.street_v[cand]
    du, dv = du_all[keep], dv_all[keep]
    tb = np.where(np.isfinite(arrays.t_bwd[cand]), arrays.t_bwd[cand], arrays.t_fwd[cand])
    tf = np.where(np.isfinite(arrays.t_fwd[cand]), arrays.t_fwd[cand], arrays.t_bwd[cand])
    with np.errstate(invalid="ignore", divide="ignore"):
        # the part near u is reached by going to u (u -> ... service): v -> u direction
        r_u = np.clip((t_s - du) / tb, 0.0, 1.0)
        r_v = np.clip((t_s - dv) / tf, 0.0, 1.0)
        r_u = np.where(np.isfinite(du) & (du <= t_s), np.nan_to_num(r_u, nan=1.0), -1.0)
        r_v = np.where(np.isfinite(dv) & (dv <= t_s), np.nan_to_num(r_v, nan=1.0), -1.0)
        if split and src is not None:
            mid = np.clip((dv + tf - du) / (2 * np.maximum(tf, 1e-12)), 0.0, 1.0)
            mid = np.nan_to_num(mid, nan=0.5)
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
    ttl = np.maximum(t_s - svc.access_s, -1.0)
    ok = ttl >= 0
    e = svc.street[ok]
    span_f = ttl[ok] / np.maximum(arrays.t_fwd[e], 1e-12)
    span_b = ttl[ok] / np.maximum(arrays.t_bwd[e], 1e-12)
    street.append(e)
    start.append(np.clip(svc.frac[ok] - span_b, 0.0, 1.0))
    end.append(np.clip(svc.frac[ok] + span_f, 0.0, 1.0))
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
    arrays: GraphArrays, street: np.ndarray, a: np.ndarray, b: np.ndarray, step: float
) -> tuple[np.ndarray, np.ndarray]:
    """Points at most ``step`` metres apart along street pieces, ends included.

    Returns an ``(k, 2)`` array of x, y and a boolean array, True where point ``i`` and
    point ``i + 1`` are joined by a straight stretch of street. Works on the straight
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
    return np.column_stack([x0[r] + f * (x1 - x0)[r], y0[r] + f * (y1 - y0)[r]]), joined


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
