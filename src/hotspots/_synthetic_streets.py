"""The synthetic town's streets: a perturbed grid crossed by a river with a few bridges.

Part of :func:`hotspots.synthetic_town` (everything here is synthetic and describes no
real place). :func:`build_graph` returns an osmnx-style two-way walking graph in British
National Grid metres; :class:`River` is the meandering band the streets may cross only at
the bridges.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from ._validate import BNG

if TYPE_CHECKING:
    import networkx as nx

__all__ = [
    "COL_SUFFIX",
    "PLACES",
    "ROW_SUFFIX",
    "STEMS",
    "WALK_KPH",
    "River",
    "build_graph",
    "street_names",
]


STEMS = (
    "Albion", "Beacon", "Brook", "Castle", "Cedar", "Chapel", "Church", "Clover",
    "Dock", "Elm", "Fairview", "Ferry", "Forge", "Garden", "Granary", "Harbour",
    "Hazel", "Heron", "High", "Holly", "Kings", "Lark", "Linden", "Maple", "Market",
    "Meadow", "Mill", "Moor", "Oak", "Orchard", "Park", "Priory", "Queens", "Quay",
    "Rope", "Saltings", "School", "Station", "Tannery", "Tower", "Victoria", "Water",
    "Wharf", "Willow", "Windmill", "York",
)  # fmt: skip


ROW_SUFFIX = ("Road", "Street", "Lane", "Terrace", "Way", "Row")


COL_SUFFIX = ("Avenue", "Hill", "Grove", "Drive", "Close", "Rise")


PLACES = (
    "Riverside", "Northbank", "Southbank", "Old Town", "Market", "Harbour", "Mill Lane",
    "Station", "Parkside", "Eastgate", "Westgate", "Quayside", "Ferry Road", "Meadow",
)  # fmt: skip


WALK_KPH = 4.8


class River:
    """A meandering band crossing the town west to east; 60-120 m wide (perpendicular)."""

    def __init__(self, rng: np.random.Generator, x0: float, y0: float, size: float) -> None:
        self.x0, self.size = x0, size
        self.yc = y0 + size * rng.uniform(0.4, 0.55)
        self.amp = min(0.06 * size, 350.0)
        self.lam = min(max(size / 2.5, 800.0), 3000.0)
        self.lam2 = self.lam * 1.7
        self.ph, self.ph2 = rng.uniform(0, 2 * np.pi, 2)

    def centre(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Centre-line northing and vertical half-width at eastings ``x``."""
        t = 2 * np.pi * (x - self.x0) / self.lam + self.ph
        y = self.yc + self.amp * np.sin(t)
        slope = self.amp * 2 * np.pi / self.lam * np.cos(t)
        w_perp = 30.0 + 30.0 * (
            0.5 + 0.5 * np.sin(2 * np.pi * (x - self.x0) / self.lam2 + self.ph2)
        )
        return y, w_perp * np.sqrt(1.0 + slope**2)

    def signed(self, x: np.ndarray, y: np.ndarray, margin: float = 0.0) -> np.ndarray:
        """-1 south of the river, +1 north, 0 inside (widened by ``margin`` metres)."""
        yc, hw = self.centre(x)
        d = y - yc
        return np.where(d > hw + margin, 1, np.where(d < -hw - margin, -1, 0))

    def polygon(self, bounds: tuple[float, float, float, float]) -> Any:
        import shapely

        xs = np.arange(bounds[0] - 20.0, bounds[2] + 20.0, 5.0)
        yc, hw = self.centre(xs)
        ring = np.concatenate(
            [np.column_stack([xs, yc + hw]), np.column_stack([xs[::-1], (yc - hw)[::-1]])]
        )
        return shapely.intersection(shapely.Polygon(ring), shapely.box(*bounds))


def street_names(n: int, suffixes: tuple[str, ...], offset: int) -> np.ndarray:
    k = np.arange(n)
    return np.array(
        [
            f"{STEMS[(i * 7 + offset) % len(STEMS)]} {suffixes[(i // len(STEMS)) % len(suffixes)]}"
            for i in k
        ]
    )


def build_graph(
    rng: np.random.Generator, river: River, x0: float, y0: float, size: float, block: float
) -> tuple[nx.MultiDiGraph, dict[str, Any]]:
    import networkx as nx
    import shapely
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    n = round(size / block) + 1
    gi_, gj_ = np.meshgrid(np.arange(n), np.arange(n), indexing="ij")
    ii, jj = gi_.ravel(), gj_.ravel()
    jitter = 0.15 * block
    x = x0 + ii * block + rng.uniform(-jitter, jitter, ii.size)
    y = y0 + jj * block + rng.uniform(-jitter, jitter, ii.size)
    x = np.clip(x, x0, x0 + size)
    y = np.clip(y, y0, y0 + size)
    nid = ii * n + jj
    side = river.signed(x, y, margin=3.0)

    row_names = street_names(n, ROW_SUFFIX, 0)
    col_names = street_names(n, COL_SUFFIX, 3)

    # candidate edges: east (i+1), north (j+1), and some diagonals
    e_u, e_v, e_hw, e_name = [], [], [], []
    m = ii < n - 1
    u = nid[m]
    e_u.append(u)
    e_v.append(u + n)
    jm = jj[m]
    e_hw.append(
        np.where(jm % 10 == 5, "primary", np.where(jm % 5 == 0, "secondary", "residential"))
    )
    e_name.append(row_names[jm])
    m = jj < n - 1
    u = nid[m]
    e_u.append(u)
    e_v.append(u + 1)
    im = ii[m]
    e_hw.append(
        np.where(im % 10 == 5, "primary", np.where(im % 5 == 0, "secondary", "residential"))
    )
    e_name.append(col_names[im])
    m = (ii < n - 1) & (jj < n - 1) & (rng.random(ii.size) < 0.06)
    u = nid[m]
    up = rng.random(u.size) < 0.5
    e_u.append(np.where(up, u, u + 1))
    e_v.append(np.where(up, u + n + 1, u + n))
    e_hw.append(np.full(u.size, "footway", dtype=object))
    e_name.append(np.array([f"{STEMS[k % len(STEMS)]} Path" for k in u], dtype=object))
    eu, ev = np.concatenate(e_u), np.concatenate(e_v)
    hw = np.concatenate(e_hw).astype(object)
    names = np.concatenate(e_name).astype(object)

    # drop some minor streets at random, and every street touching or crossing the river
    keep = ~((hw == "residential") & (rng.random(eu.size) < 0.08))
    crosses = (side[eu] == 0) | (side[ev] == 0) | (side[eu] != side[ev])
    for f in (0.25, 0.5, 0.75):
        px = x[eu] * (1 - f) + x[ev] * f
        py = y[eu] * (1 - f) + y[ev] * f
        crosses |= river.signed(px, py, margin=3.0) == 0
    keep &= ~crosses
    eu, ev, hw, names = eu[keep], ev[keep], hw[keep], names[keep]
    bridge = np.zeros(eu.size, dtype=bool)

    # bridges: 2-3 grid columns where the nearest banks are joined straight across
    n_bridges = int(rng.integers(2, 4))
    ends = (0.25, 0.75) if n_bridges == 2 else (0.15, 0.85)
    fracs = np.linspace(*ends, n_bridges) + rng.uniform(-0.05, 0.05, n_bridges)
    b_u, b_v = [], []
    for f in fracs:
        col = int(np.clip(round(f * (n - 1)), 1, n - 2))
        idx = nid[ii == col]
        south = idx[side[idx] == -1]
        north = idx[side[idx] == 1]
        if south.size and north.size:
            b_u.append(int(south[np.argmax(y[south])]))
            b_v.append(int(north[np.argmin(y[north])]))
    if b_u:
        eu = np.concatenate([eu, b_u])
        ev = np.concatenate([ev, b_v])
        hw = np.concatenate([hw, np.full(len(b_u), "primary", dtype=object)])
        names = np.concatenate(
            [names, np.array([f"{PLACES[k % len(PLACES)]} Bridge" for k in range(len(b_u))])]
        )
        bridge = np.concatenate([bridge, np.ones(len(b_u), dtype=bool)])

    # largest connected component (two-way edges, so weakly == strongly connected)
    nn = ii.size
    adj = coo_matrix((np.ones(eu.size), (eu, ev)), shape=(nn, nn))
    n_comp, labels = connected_components(adj, directed=False)
    has_edge = np.zeros(nn, dtype=bool)
    has_edge[eu] = True
    has_edge[ev] = True
    counts = np.bincount(labels[has_edge], minlength=n_comp)
    main = int(np.argmax(counts))
    node_ok = (labels == main) & has_edge
    ek = node_ok[eu]
    eu, ev, hw, names, bridge = eu[ek], ev[ek], hw[ek], names[ek], bridge[ek]
    dropped_nodes = int(has_edge.sum() - node_ok.sum())

    lengths = np.hypot(x[ev] - x[eu], y[ev] - y[eu])
    fwd = np.stack([np.column_stack([x[eu], y[eu]]), np.column_stack([x[ev], y[ev]])], axis=1)
    geoms_f = shapely.linestrings(fwd)
    geoms_r = shapely.linestrings(fwd[:, ::-1, :])
    tt = lengths / (WALK_KPH / 3.6)
    degree = np.bincount(np.concatenate([eu, ev]), minlength=nn)

    G = nx.MultiDiGraph()
    G.graph.update(
        {
            "crs": BNG,
            "simplified": True,
            "created_with": "hotspots.synthetic",
            "mode": "walk",
            "speed_kph": WALK_KPH,
            "hotspots_source": "synthetic town (hotspots.synthetic_town)",
            "sources": ["synthetic"],
        }
    )
    keep_nodes = np.flatnonzero(node_ok)
    # Fill networkx's adjacency dicts directly (documented layout: succ[u][v][key] is
    # the edge dict, shared with pred[v][u]); add_edges_from is ~5x slower at 1e5 nodes.
    succ: dict[int, dict[int, dict[int, dict[str, Any]]]] = {}
    pred: dict[int, dict[int, dict[int, dict[str, Any]]]] = {}
    node: dict[int, dict[str, Any]] = {}
    for k in keep_nodes.tolist():
        node[k] = {"x": float(x[k]), "y": float(y[k]), "street_count": int(degree[k])}
        succ[k] = {}
        pred[k] = {}
    hw_l, nm_l, len_l, tt_l = hw.tolist(), names.tolist(), lengths.tolist(), tt.tolist()
    br_l = bridge.tolist()
    for k, (a, b) in enumerate(zip(eu.tolist(), ev.tolist(), strict=True)):
        base = {
            "osmid": k + 1,
            "highway": hw_l[k],
            "name": nm_l[k],
            "oneway": False,
            "length": len_l[k],
            "travel_time": tt_l[k],
        }
        if br_l[k]:
            base["bridge"] = "yes"
        fwd_d = {**base, "reversed": False, "geometry": geoms_f[k]}
        rev_d = {**base, "reversed": True, "geometry": geoms_r[k]}
        kd_f = succ[a].get(b)
        if kd_f is None:  # no parallel edges arise from the grid, but stay safe
            kd_f = succ[a][b] = pred[b][a] = {}
        kd_f[len(kd_f)] = fwd_d
        kd_r = succ[b].get(a)
        if kd_r is None:
            kd_r = succ[b][a] = pred[a][b] = {}
        kd_r[len(kd_r)] = rev_d
    G._node.update(node)
    G._succ.update(succ)
    G._pred.update(pred)
    info = {
        "n_bridges": int(bridge.sum()),
        "nodes_dropped_disconnected": dropped_nodes,
        "components_dropped": int((counts > 0).sum() - 1),
    }
    return G, info
