"""Searches over a graph's arrays for :mod:`hotspots.reach` (private).

For each search a ``scipy.sparse`` CSR matrix is assembled from the cached arrays of
:mod:`._streetgraph` (one vectorised step) together with one virtual node per service
snapped by :mod:`._snapping`; one multi-source Dijkstra search gives the nearest
service, one per service the full matrix, and the reached street pieces give isochrones.

Direction: ``"to_service"`` (the default) is the time to go *from* a place *to* a
service; the search runs from the services over the **transposed** graph.
``"from_service"`` is the time from the service out to the place; the search runs over
the graph itself. Both are exact on a directed graph; internally ``"from_service"`` is
``"to_service"`` on the reversed graph (the two directions of every street swapped).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._snapping import Snap
from ._streetgraph import Direction, GraphArrays

__all__: list[str] = []


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
        u_all, v_all = arrays.pair_u, arrays.pair_v
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

    # a target and a service on the same street: the direct way along it, the cheapest
    # (then the first) service for each such target
    t_idx, s_idx, direct = _same_street(arrays, services, targets, direction)
    if len(t_idx):
        order = np.lexsort((s_idx, direct, t_idx))
        first = np.ones(len(order), bool)
        first[1:] = t_idx[order][1:] != t_idx[order][:-1]
        ti, si, cost = t_idx[order][first], s_idx[order][first], direct[order][first]
        better = cost < best[ti]
        best[ti[better]] = cost[better]
        which[ti[better]] = si[better]
    best = np.where(best <= limit_s, best, np.inf)
    which = np.where(np.isfinite(best), which, -1)
    return best, which


def _same_street(
    arrays: GraphArrays, services: Snap, targets: Snap, direction: Direction
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every (target, service) pair on the same street, and the time along it between
    them (access legs included; inf where a one-way street runs the other way)."""
    tf, tb = arrays.oriented(direction)
    sorder = np.argsort(services.street, kind="stable")
    first = np.searchsorted(services.street[sorder], targets.street, "left")
    count = np.searchsorted(services.street[sorder], targets.street, "right") - first
    t_idx = np.repeat(np.arange(len(targets.street)), count)
    step = np.arange(len(t_idx)) - np.repeat(np.cumsum(count) - count, count)
    s_idx = sorder[np.repeat(first, count) + step]
    f, g = targets.frac[t_idx], services.frac[s_idx]
    e = targets.street[t_idx]
    with np.errstate(invalid="ignore"):
        along = np.where(g >= f, (g - f) * tf[e], (f - g) * tb[e])
    along = np.where(g == f, 0.0, np.nan_to_num(along, nan=np.inf, posinf=np.inf))
    return t_idx, s_idx, targets.access_s[t_idx] + services.access_s[s_idx] + along


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
    for lo in range(0, k, chunk):
        hi = min(lo + chunk, k)
        dist = dijkstra(mat, directed=True, indices=n + np.arange(lo, hi), limit=limit_s)
        with np.errstate(over="ignore", invalid="ignore"):
            best = np.minimum(to_u + dist[:, tu], to_v + dist[:, tv])
        out[:, lo:hi] = best.T
    # a target and a service on the same street: the direct way along it
    t_idx, s_idx, direct = _same_street(arrays, services, targets, direction)
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
