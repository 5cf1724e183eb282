"""Snapping points onto the streets of a graph's arrays (private; see :mod:`._streetgraph`).

A point is placed on its nearest street (not node), at its perpendicular foot; the
access leg from the point to the street is charged at walking speed in every mode:
people walk to their car or bike. Tunnels are never snapped to: a place above a tunnel
is reached from the streets on the ground.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np

from ._streetgraph import GraphArrays

__all__: list[str] = []


#: Speed (km/h) of the access leg from a point to its street, in every mode.
ACCESS_SPEED_KPH = 4.8


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
    """:func:`snap` without the memo.

    Each point is projected onto the street pieces whose midpoints are nearest (6, then
    16 for the points where an unseen piece could still be nearer); the few still in
    doubt (points far from every street) are snapped with the STRtree.
    """
    street, frac, dist_m, unsure = _snap_pieces(arrays, pxy, 6)
    if len(unsure):
        st, fr, dm, unsure2 = _snap_pieces(arrays, pxy[unsure], 16)
        street[unsure], frac[unsure], dist_m[unsure] = st, fr, dm
        unsure = unsure[unsure2]
    if len(unsure):
        st, fr, dm = _snap_tree(arrays, points[unsure])
        street[unsure], frac[unsure], dist_m[unsure] = st, fr, dm
    return Snap(street, frac, dist_m, dist_m / (ACCESS_SPEED_KPH / 3.6))


def _snap_pieces(
    arrays: GraphArrays, pxy: np.ndarray, k: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Snap onto the ``k`` street pieces with the nearest midpoints.

    Returns street rows, fractions, distances and the positions (in ``pxy``) of the
    points for which a piece not looked at could be nearer. Works through the points
    in blocks of ``_SNAP_BLOCK`` so that its temporary arrays stay small.
    """
    k = min(k, len(arrays.seg))
    n = len(pxy)
    street = np.empty(n, np.int64)
    frac = np.empty(n)
    dist_m = np.empty(n)
    d_mid, j = arrays.seg_tree.query(pxy, k=k, workers=-1)
    d_mid, j = d_mid.reshape(n, k), j.reshape(n, k)
    unsure = []
    for lo in range(0, n, _SNAP_BLOCK):
        hi = min(lo + _SNAP_BLOCK, n)
        s, f, d, u = _snap_block(arrays, pxy[lo:hi], d_mid[lo:hi], j[lo:hi])
        street[lo:hi], frac[lo:hi], dist_m[lo:hi] = s, f, d
        unsure.append(u + lo)
    return street, frac, dist_m, np.concatenate(unsure) if unsure else np.empty(0, np.int64)


#: Points snapped together (their temporary arrays then stay in the processor's cache).
_SNAP_BLOCK = 8192


def _snap_block(
    arrays: GraphArrays, pxy: np.ndarray, d_mid: np.ndarray, j: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """:func:`_snap_pieces` for one block of points, given the ``k`` nearest piece
    midpoints of each (distances, positions in the tree)."""
    seg = arrays.seg
    piece = seg[j]  # (points, k, 6)
    x0, y0 = piece[..., 0], piece[..., 1]
    dx, dy = piece[..., 2] - x0, piece[..., 3] - y0
    px, py = pxy[:, :1] - x0, pxy[:, 1:2] - y0
    ll = dx * dx + dy * dy
    t = np.zeros_like(ll)  # (0 on a piece of no length)
    np.divide(px * dx + py * dy, ll, out=t, where=ll > 0)
    np.clip(t, 0.0, 1.0, out=t)
    dist = np.hypot(px - t * dx, py - t * dy)
    if not arrays.seg_surface.all():
        dist[~arrays.seg_surface[j]] = np.inf  # tunnels are never snapped to
    dmin = dist.min(axis=1)
    pick = dist.argmin(axis=1)
    rows = np.arange(len(pxy))
    # among equally near streets prefer the one with an end closest to the point, so a
    # point on a node is placed on that node's streets (not on a street merely passing it)
    tie = dist <= dmin[:, None] + 1e-9
    multi = np.nonzero(tie.sum(axis=1) > 1)[0]
    if len(multi):
        pm = piece[multi]
        slen = arrays.street_len[pm[..., 4].astype(np.int64)]
        along = np.clip(pm[..., 5] + t[multi] * np.sqrt(ll[multi]), 0.0, slen)
        score = np.where(tie[multi], np.minimum(along, slen - along), np.inf)
        pick[multi] = np.argmin(score, axis=1)
    chosen = piece[rows, pick]
    street = chosen[:, 4].astype(np.int64)
    slen1 = arrays.street_len[street]
    along1 = np.clip(chosen[:, 5] + t[rows, pick] * np.sqrt(ll[rows, pick]), 0.0, slen1)
    frac = np.zeros(len(pxy))
    np.divide(along1, slen1, out=frac, where=slen1 > 0)
    np.clip(frac, 0.0, 1.0, out=frac)
    # exact unless an unseen piece could be nearer
    unsure = np.nonzero(dmin > d_mid[:, -1] - arrays.seg_half)[0]
    if j.shape[1] >= len(seg):
        unsure = unsure[:0]
    return street, frac, dist[rows, pick], unsure


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
