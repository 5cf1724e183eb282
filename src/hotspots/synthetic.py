"""A seeded synthetic town for offline demos, tests and benchmarks.

Everything here is **synthetic**: the streets, river, areas, incidents, planted hot
spots and services are generated from a random seed and describe no real place, person
or event. Outputs are labelled with the provenance source ``"synthetic"``.

The town sits in British National Grid (EPSG:27700) coordinates **in the North Sea**,
about 15 km off the Suffolk coast (lower-left corner at easting 660,000 m, northing
250,000 m), so it can never be mistaken for a real place on a basemap: drawn on a web
map it appears over open water.

What it holds:

* a street graph: a perturbed grid of blocks with some streets removed and some
  diagonal footpaths, two-way like an osmnx walk graph, crossed by a meandering river
  that can only be crossed at two or three bridges;
* small census-like areas with population, population aged 0-24 and an IMD-like decile;
* incidents in the data.police.uk schema: a centre-weighted background plus planted
  hot spots of known kind ("persistent", "new", "intensifying", "diminishing",
  "sporadic") whose ground truth is returned;
* services of several kinds, some deliberately near hot spots and some far away on one
  side of the river, so coverage gaps exist.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from ._errors import DataError
from ._provenance import record
from ._validate import BNG

if TYPE_CHECKING:
    import geopandas as gpd
    import networkx as nx

__all__ = ["HOTSPOT_KINDS", "ORIGIN", "SyntheticTown", "month_range", "synthetic_town"]

#: (easting, northing) of the town's lower-left corner: open sea east of Suffolk.
ORIGIN: tuple[float, float] = (660_000.0, 250_000.0)

#: Kinds of planted hot spot, cycled in this order.
HOTSPOT_KINDS: tuple[str, ...] = (
    "persistent",
    "new",
    "intensifying",
    "diminishing",
    "sporadic",
    "persistent",
)
_HOTSPOT_CRIME = (
    "Violence and sexual offences",
    "Drugs",
    "Violence and sexual offences",
    "Drugs",
    "Violence and sexual offences",
    "Possession of weapons",
)
#: Density of a planted hot spot in an active month (weight 1) relative to the local
#: background density of that month.
_HOT_MULTIPLIER = 15.0
#: Share of a planted hot spot's incidents that are of its own crime type.
_HOT_TYPE_SHARE = 0.8

# Background crime mix, roughly the shares of a month of Medway street crime.
_CRIME_MIX: dict[str, float] = {
    "Violence and sexual offences": 0.36,
    "Anti-social behaviour": 0.14,
    "Public order": 0.12,
    "Other theft": 0.08,
    "Criminal damage and arson": 0.076,
    "Shoplifting": 0.05,
    "Vehicle crime": 0.05,
    "Burglary": 0.04,
    "Other crime": 0.025,
    "Drugs": 0.022,
    "Robbery": 0.012,
    "Bicycle theft": 0.012,
    "Possession of weapons": 0.008,
    "Theft from the person": 0.005,
}
_OUTCOMES = (
    "Investigation complete; no suspect identified",
    "Unable to prosecute suspect",
    "Under investigation",
    "Status update unavailable",
    "Local resolution",
    "Offender given a caution",
    "Awaiting court outcome",
)
_STEMS = (
    "Albion", "Beacon", "Brook", "Castle", "Cedar", "Chapel", "Church", "Clover",
    "Dock", "Elm", "Fairview", "Ferry", "Forge", "Garden", "Granary", "Harbour",
    "Hazel", "Heron", "High", "Holly", "Kings", "Lark", "Linden", "Maple", "Market",
    "Meadow", "Mill", "Moor", "Oak", "Orchard", "Park", "Priory", "Queens", "Quay",
    "Rope", "Saltings", "School", "Station", "Tannery", "Tower", "Victoria", "Water",
    "Wharf", "Willow", "Windmill", "York",
)  # fmt: skip
_ROW_SUFFIX = ("Road", "Street", "Lane", "Terrace", "Way", "Row")
_COL_SUFFIX = ("Avenue", "Hill", "Grove", "Drive", "Close", "Rise")
_PLACES = (
    "Riverside", "Northbank", "Southbank", "Old Town", "Market", "Harbour", "Mill Lane",
    "Station", "Parkside", "Eastgate", "Westgate", "Quayside", "Ferry Road", "Meadow",
)  # fmt: skip
# service_type -> (name words, provider, (age min, age max), funder)
_SERVICE_KINDS: dict[str, tuple[tuple[str, ...], str, tuple[int, int], str]] = {
    "community_sport": (
        ("Boxing Club", "Football Club", "Youth Basketball", "Sports Hub", "Martial Arts"),
        "Synthetic Sports Trust",
        (8, 25),
        "Violence Reduction Unit (synthetic)",
    ),
    "youth_service": (
        ("Youth Centre", "Youth Club", "Detached Youth Work"),
        "Synthetic Borough Council",
        (11, 19),
        "Synthetic Borough Council",
    ),
    "substance_misuse": (
        ("Young People's Drug Service", "Recovery Hub"),
        "Synthetic Health Partnership",
        (13, 24),
        "Public Health (synthetic)",
    ),
    "mentoring": (
        ("Mentoring Project", "Peer Mentors"),
        "Synthetic Youth Charity",
        (10, 18),
        "Violence Reduction Unit (synthetic)",
    ),
    "family_support": (
        ("Family Hub", "Family Support Service"),
        "Synthetic Borough Council",
        (0, 18),
        "Synthetic Borough Council",
    ),
}
_SERVICE_CYCLE = (
    "community_sport",
    "youth_service",
    "community_sport",
    "mentoring",
    "substance_misuse",
    "family_support",
)
_WALK_KPH = 4.8


@dataclass(frozen=True)
class SyntheticTown:
    """A synthetic town (see :func:`synthetic_town`); no part of it is real.

    Attributes
    ----------
    graph : networkx.MultiDiGraph
        osmnx-compatible walk graph in EPSG:27700 with ``length`` (m) and
        ``travel_time`` (s at 4.8 km/h) on every edge.
    boundary : geopandas.GeoDataFrame
        One polygon, the town's extent (``name`` "Synthetic town").
    river : geopandas.GeoDataFrame
        The river polygon.
    areas : geopandas.GeoDataFrame
        Census-like areas: ``code``, ``name``, ``population``, ``population_0_24``,
        ``imd_decile`` (1 most deprived .. 10).
    incidents : geopandas.GeoDataFrame
        Police-schema points plus ``hotspot_id`` (planted id, -1 for background),
        ``victim_age``, and, as a force extract would have, ``datetime`` (when it
        happened, within its ``month``) and ``datetime_end`` (end of the window in which
        a burglary, vehicle crime, criminal damage or bicycle theft happened; NaT for
        the others). Planted times: most incidents of a violence hot spot's own type
        happen Fri-Sat 22:00-02:00, of a drugs hot spot's own type on weekdays
        15:00-19:00.
    hotspots : geopandas.GeoDataFrame
        Ground truth of the planted hot spots: ``hotspot_id``, ``kind``, ``crime_type``,
        ``radius_m``, ``months_active`` (comma-separated "YYYY-MM"), circle geometry.
    services : geopandas.GeoDataFrame
        Provision-schema points.
    seed : int
        The seed that generated it.
    """

    graph: nx.MultiDiGraph
    boundary: gpd.GeoDataFrame
    river: gpd.GeoDataFrame
    areas: gpd.GeoDataFrame
    incidents: gpd.GeoDataFrame
    hotspots: gpd.GeoDataFrame
    services: gpd.GeoDataFrame
    seed: int


def month_range(start: str, n_months: int) -> list[str]:
    """Return ``n_months`` consecutive "YYYY-MM" strings from ``start``.

    Examples
    --------
    >>> month_range("2024-11", 3)
    ['2024-11', '2024-12', '2025-01']
    """
    m = re.fullmatch(r"(\d{4})-(\d{2})", str(start).strip())
    if m is None or not 1 <= int(m.group(2)) <= 12:
        raise DataError(f"start must be a month written 'YYYY-MM' (e.g. '2024-01'), got {start!r}.")
    year, month = int(m.group(1)), int(m.group(2)) - 1
    out = []
    for k in range(n_months):
        y, mo = divmod(month + k, 12)
        out.append(f"{year + y:04d}-{mo + 1:02d}")
    return out


class _River:
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


def _hex_ids(rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` random 64-character lowercase hex strings (like data.police.uk crime ids)."""
    digits = np.frombuffer(b"0123456789abcdef", dtype="S1")
    chars = digits[rng.integers(0, 16, size=(n, 64), dtype=np.uint8)]
    return np.ascontiguousarray(chars).view("S64").ravel().astype(str)


def _street_names(n: int, suffixes: tuple[str, ...], offset: int) -> np.ndarray:
    k = np.arange(n)
    return np.array(
        [
            f"{_STEMS[(i * 7 + offset) % len(_STEMS)]} {suffixes[(i // len(_STEMS)) % len(suffixes)]}"
            for i in k
        ]
    )


def _build_graph(
    rng: np.random.Generator, river: _River, x0: float, y0: float, size: float, block: float
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

    row_names = _street_names(n, _ROW_SUFFIX, 0)
    col_names = _street_names(n, _COL_SUFFIX, 3)

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
    e_name.append(np.array([f"{_STEMS[k % len(_STEMS)]} Path" for k in u], dtype=object))
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
            [names, np.array([f"{_PLACES[k % len(_PLACES)]} Bridge" for k in range(len(b_u))])]
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
    tt = lengths / (_WALK_KPH / 3.6)
    degree = np.bincount(np.concatenate([eu, ev]), minlength=nn)

    G = nx.MultiDiGraph()
    G.graph.update(
        {
            "crs": BNG,
            "simplified": True,
            "created_with": "hotspots.synthetic",
            "mode": "walk",
            "speed_kph": _WALK_KPH,
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


def _place_hotspots(
    rng: np.random.Generator, river: _River, x0: float, y0: float, size: float, n_hot: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    cx, cy, rr = np.zeros(n_hot), np.zeros(n_hot), np.zeros(n_hot)
    margin = min(500.0, size * 0.12)
    sep = 600.0
    placed, tries = 0, 0
    ang = np.linspace(0, 2 * np.pi, 16, endpoint=False)
    while placed < n_hot:
        tries += 1
        if tries % 500 == 0:
            sep *= 0.7
        if tries > 5_000:
            raise DataError(
                f"could not place {n_hot} hot spots in a {size / 1000:g} km town; "
                "use a larger size_km or fewer n_hotspots."
            )
        r = float(rng.uniform(150.0, 300.0))
        px = float(rng.uniform(x0 + margin + r, x0 + size - margin - r))
        py = float(rng.uniform(y0 + margin + r, y0 + size - margin - r))
        ring_x = np.append(px + (r + 60) * np.cos(ang), px)
        ring_y = np.append(py + (r + 60) * np.sin(ang), py)
        if np.any(
            river.signed(ring_x, ring_y, margin=5.0) != river.signed(np.array([px]), np.array([py]))
        ):
            continue
        if river.signed(np.array([px]), np.array([py]))[0] == 0:
            continue
        if placed and np.any(np.hypot(cx[:placed] - px, cy[:placed] - py) < rr[:placed] + r + sep):
            continue
        cx[placed], cy[placed], rr[placed] = px, py, r
        placed += 1
    return cx, cy, rr


def _month_weights(kind: str, n_months: int, rng: np.random.Generator) -> np.ndarray:
    t = np.arange(n_months)
    if kind == "persistent" or n_months == 1:
        return np.ones(n_months)
    if kind == "new":
        w = np.zeros(n_months)
        w[-1] = 2.0
        return w
    if kind == "intensifying":
        return np.linspace(0.2, 1.5, n_months)
    if kind == "diminishing":
        return np.linspace(1.5, 0.2, n_months)
    phase = int(rng.integers(0, 2))  # sporadic: on/off months
    return np.asarray((t + phase) % 2 == 0, dtype=float)


def synthetic_town(
    seed: int = 0,
    *,
    size_km: float = 6.0,
    block_m: float = 100.0,
    n_incidents: int = 20_000,
    n_months: int = 12,
    start: str = "2024-01",
    n_services: int = 40,
    n_hotspots: int = 6,
) -> SyntheticTown:
    """Generate a seeded synthetic town (streets, river, areas, incidents, services).

    The town is **synthetic** and lies in the North Sea (EPSG:27700, lower-left corner
    at :data:`ORIGIN`, easting 660,000 m and northing 250,000 m), so it cannot be
    mistaken for a real place. Every output records the provenance source
    ``"synthetic"``.

    Parameters
    ----------
    seed : int, default 0
        Random seed; the same seed gives identical outputs.
    size_km : float, default 6
        Side of the square town in kilometres.
    block_m : float, default 100
        Street-grid spacing in metres; the graph has about
        ``(size_km * 1000 / block_m) ** 2`` nodes.
    n_incidents : int, default 20,000
        Total incidents over all months (background plus planted hot spots).
    n_months : int, default 12
        Number of months, starting at ``start``.
    start : str, default "2024-01"
        First month, "YYYY-MM".
    n_services : int, default 40
        Number of services (one of them the A&E "reachable moments" hospital team).
    n_hotspots : int, default 6
        Number of planted hot spots; kinds cycle through :data:`HOTSPOT_KINDS`.

    Returns
    -------
    SyntheticTown

    Notes
    -----
    The street graph keeps only its largest connected component (streets are two-way,
    so this is also the largest strongly connected component); the number of nodes
    dropped is in ``graph.graph["nodes_dropped_disconnected"]``. Street edges that touch
    or cross the river are removed except at 2-3 bridges (edge attribute
    ``bridge="yes"``). Background incidents are a mix of uniform and
    town-centre-weighted points. In a month where a planted hot spot is active, its
    incident density is 15 times the background density at its centre, or the town-wide
    average where that is higher (30 times for a "new" spot in its month; down to 7.5
    times in the weakest active month of an intensifying or diminishing spot). No
    incident or service lies in the river.
    Pooled over all months, a "new" spot (hot only in the last month) is weak by design:
    test its recovery on its own month. ``months_active`` lists the months whose weight
    is at least half the full intensity.

    Examples
    --------
    >>> town = synthetic_town(1, size_km=2, n_incidents=2_000, n_services=10, n_hotspots=2)
    >>> town.graph.graph["crs"], sorted(town.hotspots["kind"])
    ('EPSG:27700', ['new', 'persistent'])
    >>> len(town.incidents)
    2000
    """
    import geopandas as gpd
    import shapely

    # ---- input checks
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool):
        raise DataError(f"seed must be an integer, got {seed!r}.")
    for label, value, low in (("size_km", size_km, 0.5), ("block_m", block_m, 10.0)):
        if not isinstance(value, (int, float)) or not np.isfinite(value) or value < low:
            raise DataError(f"{label} must be a finite number >= {low}, got {value!r}.")
    if block_m * 4 > size_km * 1000:
        raise DataError(
            f"block_m={block_m} is too large for size_km={size_km}: the grid needs at "
            "least 4 blocks across."
        )
    for label, count, low in (
        ("n_incidents", n_incidents, 0),
        ("n_months", n_months, 1),
        ("n_services", n_services, 0),
        ("n_hotspots", n_hotspots, 0),
    ):
        if not isinstance(count, (int, np.integer)) or isinstance(count, bool) or count < low:
            raise DataError(f"{label} must be an integer >= {low}, got {count!r}.")
    months = month_range(start, int(n_months))

    rng = np.random.default_rng(int(seed))
    x0, y0 = ORIGIN
    size = float(size_km) * 1000.0
    bounds = (x0, y0, x0 + size, y0 + size)
    params = {
        "size_km": size_km,
        "block_m": block_m,
        "n_incidents": n_incidents,
        "n_months": n_months,
        "start": start,
        "n_services": n_services,
        "n_hotspots": n_hotspots,
    }

    def tag(gdf: gpd.GeoDataFrame, what: str) -> gpd.GeoDataFrame:
        return record(
            gdf, method=f"synthetic_town ({what})", parameters=params, seed=int(seed),
            sources=["synthetic"],
        )  # fmt: skip

    river = _River(rng, x0, y0, size)
    G, info = _build_graph(
        np.random.default_rng([int(seed), 1]), river, x0, y0, size, float(block_m)
    )
    G.graph.update(info)
    G.graph["hotspots_source"] = f"synthetic town (hotspots.synthetic_town, seed={int(seed)})"

    boundary_geom = shapely.box(*bounds)
    river_geom = river.polygon(bounds)
    boundary = tag(
        gpd.GeoDataFrame({"name": ["Synthetic town"]}, geometry=[boundary_geom], crs=BNG),
        "boundary",
    )
    river_gdf = tag(
        gpd.GeoDataFrame({"name": ["Synthetic river"]}, geometry=[river_geom], crs=BNG), "river"
    )

    # ---- areas: ~500 m squares, population from a centre-weighted density
    a_size = size / max(1, round(size / 500.0))
    na = round(size / a_size)
    gai, gaj = np.meshgrid(np.arange(na), np.arange(na), indexing="ij")
    ai, aj = gai.ravel(), gaj.ravel()
    ctr = np.array([x0 + size * 0.5, y0 + size * 0.5]) + rng.uniform(-0.1, 0.1, 2) * size
    sigma = size / 5.0
    acx, acy = x0 + (ai + 0.5) * a_size, y0 + (aj + 0.5) * a_size
    centre_w = np.exp(-((acx - ctr[0]) ** 2 + (acy - ctr[1]) ** 2) / (2 * sigma**2))
    squares = shapely.box(
        x0 + ai * a_size, y0 + aj * a_size, x0 + (ai + 1) * a_size, y0 + (aj + 1) * a_size
    )
    land = shapely.difference(squares, river_geom)
    land_frac = shapely.area(land) / (a_size * a_size)
    pop = np.round((600 + 2400 * centre_w) * land_frac * rng.uniform(0.8, 1.2, ai.size)).astype(int)
    pop = np.maximum(pop, 50)
    pop_young = np.round(pop * rng.uniform(0.24, 0.36, ai.size)).astype(int)
    depriv = centre_w + rng.normal(0, 0.25, ai.size)
    order = np.argsort(-depriv, kind="stable")
    decile = np.empty(ai.size, dtype=int)
    decile[order] = 1 + (np.arange(ai.size) * 10) // ai.size
    codes = np.array([f"SYN{k + 1:04d}" for k in range(ai.size)])
    area_names = np.array([f"Synthetic town {k + 1:03d}" for k in range(ai.size)])
    areas = tag(
        gpd.GeoDataFrame(
            {
                "code": codes,
                "name": area_names,
                "population": pop,
                "population_0_24": pop_young,
                "imd_decile": decile,
            },
            geometry=land,
            crs=BNG,
        ),
        "areas",
    )

    # ---- planted hot spots
    hrng = np.random.default_rng([int(seed), 2])
    hx, hy, hr = _place_hotspots(hrng, river, x0, y0, size, int(n_hotspots))
    kinds = [HOTSPOT_KINDS[k % len(HOTSPOT_KINDS)] for k in range(n_hotspots)]
    hcrime = [_HOTSPOT_CRIME[k % len(_HOTSPOT_CRIME)] for k in range(n_hotspots)]
    weights = np.array([_month_weights(k, n_months, hrng) for k in kinds]).reshape(
        n_hotspots, n_months
    )
    area_land = size * size - float(shapely.area(river_geom))

    def bg_pdf(px: np.ndarray, py: np.ndarray) -> np.ndarray:
        """Approximate background density (per m^2, integrating to ~1 over land)."""
        g = np.exp(-((px - ctr[0]) ** 2 + (py - ctr[1]) ** 2) / (2 * sigma**2))
        return np.asarray(0.5 / area_land + 0.5 * g / (2 * np.pi * sigma**2), dtype=float)

    # expected planted count per (hotspot, month) per background incident per month
    # relative to the local background, but never less than the town-wide average
    base = np.maximum(bg_pdf(hx, hy), 1.0 / area_land)
    per_bg = _HOT_MULTIPLIER * weights * (base * np.pi * hr**2)[:, None]
    s = float(per_bg.sum()) / n_months
    n_bg = round(n_incidents / (1.0 + s))
    hot_counts = np.floor(per_bg * (n_bg / n_months)).astype(int)
    n_bg = int(n_incidents) - int(hot_counts.sum())  # rounding remainder to the background

    # ---- incident locations
    irng = np.random.default_rng([int(seed), 3])

    def sample_bg(k: int) -> tuple[np.ndarray, np.ndarray]:
        xs, ys = np.empty(0), np.empty(0)
        while xs.size < k:
            m = int((k - xs.size) * 1.3) + 16
            uni = irng.random(m) < 0.5
            px = np.where(uni, irng.uniform(x0, x0 + size, m), irng.normal(ctr[0], sigma, m))
            py = np.where(uni, irng.uniform(y0, y0 + size, m), irng.normal(ctr[1], sigma, m))
            ok = (px >= x0) & (px <= x0 + size) & (py >= y0) & (py <= y0 + size)
            ok &= river.signed(px, py, margin=1.0) != 0
            xs, ys = np.concatenate([xs, px[ok]]), np.concatenate([ys, py[ok]])
        return xs[:k], ys[:k]

    bx, by = sample_bg(n_bg)
    bmonth = irng.integers(0, n_months, n_bg)
    parts_x, parts_y, parts_m, parts_h = [bx], [by], [bmonth], [np.full(n_bg, -1)]
    for h in range(n_hotspots):
        for t in range(n_months):
            c = int(hot_counts[h, t])
            if c == 0:
                continue
            rad = hr[h] * np.sqrt(irng.random(c))
            ang = irng.uniform(0, 2 * np.pi, c)
            parts_x.append(hx[h] + rad * np.cos(ang))
            parts_y.append(hy[h] + rad * np.sin(ang))
            parts_m.append(np.full(c, t))
            parts_h.append(np.full(c, h))
    px = np.concatenate(parts_x)
    py = np.concatenate(parts_y)
    pm = np.concatenate(parts_m).astype(int)
    ph = np.concatenate(parts_h).astype(int)
    # shuffle so planted points are not all at the end, then sort by month (as police files)
    perm = irng.permutation(px.size)
    perm = perm[np.argsort(pm[perm], kind="stable")]
    px, py, pm, ph = px[perm], py[perm], pm[perm], ph[perm]
    n = px.size

    crime_types = np.array(list(_CRIME_MIX))
    probs = np.array(list(_CRIME_MIX.values()))
    ctype = crime_types[irng.choice(crime_types.size, size=n, p=probs / probs.sum())]
    hot = ph >= 0
    own = hot & (irng.random(n) < _HOT_TYPE_SHARE)
    if n_hotspots:
        ctype = np.where(own, np.array(hcrime, dtype=object)[np.maximum(ph, 0)], ctype)
    asb = ctype == "Anti-social behaviour"
    crime_id = np.where(asb, "", _hex_ids(irng, n))
    outcome = np.where(asb, "", np.array(_OUTCOMES)[irng.integers(0, len(_OUTCOMES), n)])
    young = hot | (irng.random(n) < 0.15)
    age = np.where(
        young, 12 + irng.gamma(2.5, 5.0, n), 10 + irng.gamma(3.0, 8.0, n)
    )  # planted spots skew young
    age = np.clip(np.round(age), 1, 95).astype(int)

    # street name: nearest grid line (row street or column street)
    n_grid = round(size / block_m) + 1
    fi = (px - x0) / block_m
    fj = (py - y0) / block_m
    gi = np.clip(np.round(fi), 0, n_grid - 1).astype(int)
    gj = np.clip(np.round(fj), 0, n_grid - 1).astype(int)
    on_col = np.abs(fi - gi) < np.abs(fj - gj)
    row_names = _street_names(n_grid, _ROW_SUFFIX, 0)
    col_names = _street_names(n_grid, _COL_SUFFIX, 3)
    street = np.where(on_col, col_names[gi], row_names[gj])
    location = np.char.add("On or near ", street.astype(str))
    a_idx = np.clip(((px - x0) // a_size).astype(int), 0, na - 1) * na + np.clip(
        ((py - y0) // a_size).astype(int), 0, na - 1
    )
    incidents = gpd.GeoDataFrame(
        {
            "crime_id": crime_id.astype(str),
            "month": np.array(months)[pm],
            "reported_by": "Synthetic Police",
            "falls_within": "Synthetic Police",
            "location": location,
            "lsoa_code": codes[a_idx],
            "lsoa_name": area_names[a_idx],
            "crime_type": ctype.astype(str),
            "outcome": outcome.astype(str),
            "context": "",
            "hotspot_id": ph,
            "victim_age": age,
        },
        geometry=gpd.points_from_xy(px, py),
        crs=BNG,
    )
    when, until = _incident_times(
        np.random.default_rng([int(seed), 5]), months, pm, ctype, np.where(own, ph, -1), hcrime
    )
    incidents["datetime"] = when
    incidents["datetime_end"] = until
    incidents = tag(incidents, "incidents")

    hotspots = tag(
        gpd.GeoDataFrame(
            {
                "hotspot_id": np.arange(n_hotspots, dtype=int),
                "kind": kinds,
                "crime_type": hcrime,
                "radius_m": hr,
                "months_active": [
                    ",".join(mo for mo, w in zip(months, weights[h], strict=True) if w >= 0.5)
                    for h in range(n_hotspots)
                ],
            },
            geometry=shapely.buffer(shapely.points(hx, hy), hr, quad_segs=32) if n_hotspots else [],
            crs=BNG,
        ),
        "planted hot spots (ground truth)",
    )

    services = tag(
        _services(np.random.default_rng([int(seed), 4]), river, bounds, hx, hy, int(n_services)),
        "services",
    )
    return SyntheticTown(
        graph=G,
        boundary=boundary,
        river=river_gdf,
        areas=areas,
        incidents=incidents,
        hotspots=hotspots,
        services=services,
        seed=int(seed),
    )


#: Relative frequency of background incidents by hour of day (quiet before dawn,
#: busiest late afternoon and evening).
_HOURLY = np.array(
    [2.0, 1.6, 1.3, 0.9, 0.6, 0.5, 0.6, 1.0, 1.4, 1.6, 1.8, 2.0,
     2.2, 2.2, 2.3, 2.6, 2.8, 2.8, 2.8, 2.7, 2.6, 2.5, 2.5, 2.3]
)  # fmt: skip
#: Crime types recorded as a time window (the victim finds it later).
_WINDOW_TYPES = ("Burglary", "Vehicle crime", "Criminal damage and arson", "Bicycle theft")
#: Share of a planted spot's own-type incidents that follow its planted times.
_PLANTED_TIME_SHARE = 0.75


def _incident_times(
    rng: np.random.Generator,
    months: list[str],
    month_idx: np.ndarray,
    ctype: np.ndarray,
    own_spot: np.ndarray,
    spot_crime: list[str],
) -> tuple[np.ndarray, np.ndarray]:
    """Date-times (and window ends) with planted weekly patterns; a separate random
    stream, so adding them changed no other output of the town."""
    n = month_idx.size
    spot_type = np.array([*spot_crime, ""], dtype=object)[own_spot]  # -1 -> ""
    planted = (own_spot >= 0) & (rng.random(n) < _PLANTED_TIME_SHARE)
    night = planted & (spot_type == "Violence and sexual offences")
    afternoon = planted & (spot_type == "Drugs")
    hour = rng.choice(24, size=n, p=_HOURLY / _HOURLY.sum()) + rng.random(n)
    hour = np.where(night, 22.0 + 4.0 * rng.random(n), hour)
    hour = np.where(afternoon, 15.0 + 4.0 * rng.random(n), hour)
    day = np.empty(n, dtype="datetime64[D]")
    u = rng.random(n)
    for m, month in enumerate(months):
        first = np.datetime64(month, "D")
        days = np.arange(first, np.datetime64(month, "M") + 1, dtype="datetime64[D]")
        weekday = (days.astype(np.int64) - 4) % 7  # 1970-01-01 was a Thursday; Mon = 0
        for mask, allowed in (
            (~night & ~afternoon, np.ones(days.size, dtype=bool)),
            (night, np.isin(weekday, (4, 5)) & (np.arange(days.size) < days.size - 1)),
            (afternoon, weekday < 5),
        ):
            sel = np.flatnonzero(mask & (month_idx == m))
            pool = days[allowed]
            day[sel] = pool[np.minimum((u[sel] * pool.size).astype(int), pool.size - 1)]
    minutes = np.round(hour * 60.0).astype(np.int64)
    when = day.astype("datetime64[m]") + minutes.astype("timedelta64[m]")
    window = np.isin(ctype, _WINDOW_TYPES)
    span = np.round(60.0 * rng.uniform(1.0, 14.0, n)).astype(np.int64).astype("timedelta64[m]")
    until = np.where(window, when + span, np.datetime64("NaT", "m"))
    return when.astype("datetime64[ns]"), until.astype("datetime64[ns]")


def _services(
    rng: np.random.Generator,
    river: _River,
    bounds: tuple[float, float, float, float],
    hx: np.ndarray,
    hy: np.ndarray,
    n: int,
) -> gpd.GeoDataFrame:
    """Services: a third near the even-numbered hot spots, the rest far from any hot
    spot on the south side of the river, so odd-numbered hot spots are left uncovered."""
    import geopandas as gpd

    x0, y0, x1, y1 = bounds
    served = np.arange(hx.size) % 2 == 0
    unserved_x, unserved_y = hx[~served], hy[~served]
    xs: list[float] = []
    ys: list[float] = []
    rows: list[dict[str, Any]] = []
    used: set[str] = set()
    n_near = n // 3 if served.any() else 0
    for k in range(n):
        near = k < n_near
        for attempt in range(5000):
            if near:
                h = int(np.flatnonzero(served)[k % int(served.sum())])
                d, a = rng.uniform(80.0, 400.0), rng.uniform(0, 2 * np.pi)
                px, py = hx[h] + d * np.cos(a), hy[h] + d * np.sin(a)
            else:
                px, py = rng.uniform(x0 + 100, x1 - 100), rng.uniform(y0 + 100, y1 - 100)
            if not (x0 < px < x1 and y0 < py < y1):
                continue
            s = river.signed(np.array([px]), np.array([py]), margin=20.0)[0]
            if s == 0:
                continue
            relax = attempt > 4000
            if (
                unserved_x.size
                and np.min(np.hypot(unserved_x - px, unserved_y - py)) < 1000
                and not relax
            ):
                continue
            if not near and not relax:
                if s != -1:
                    continue
                if hx.size and np.min(np.hypot(hx - px, hy - py)) < 1000:
                    continue
            break
        if k == n - 1 or (k == 0 and n == 1):
            kind = "ae_reachable_moments"
        else:
            kind = _SERVICE_CYCLE[k % len(_SERVICE_CYCLE)]
        if kind == "ae_reachable_moments":
            name = "Synthetic General Hospital A&E (synthetic)"
            provider, ages, funder = (
                "Synthetic NHS Trust",
                (11, 25),
                "Violence Reduction Unit (synthetic)",
            )
        else:
            words, provider, ages, funder = _SERVICE_KINDS[kind]
            place = _PLACES[int(rng.integers(0, len(_PLACES)))]
            base = f"{place} {words[int(rng.integers(0, len(words)))]}"
            name, i = f"{base} (synthetic)", 2
            while name in used:
                name, i = f"{base} {i} (synthetic)", i + 1
        used.add(name)
        xs.append(float(px))
        ys.append(float(py))
        rows.append(
            {
                "name": name,
                "service_type": kind,
                "provider": provider,
                "target_age_min": ages[0],
                "target_age_max": ages[1],
                "funder": funder,
            }
        )
    cols = ["name", "service_type", "provider", "target_age_min", "target_age_max", "funder"]
    import pandas as pd

    df = pd.DataFrame(rows, columns=cols)
    for c in ("target_age_min", "target_age_max"):
        df[c] = df[c].astype(int)
    return gpd.GeoDataFrame(df, geometry=gpd.points_from_xy(xs, ys), crs=BNG)
