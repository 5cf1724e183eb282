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
from ._synthetic_incidents import (
    HOTSPOT_KINDS,
    TownAreas,
    incident_frame,
    incident_points,
    incident_times,
    plant_hotspots,
)
from ._synthetic_streets import PLACES, River, build_graph
from ._validate import BNG

if TYPE_CHECKING:
    import geopandas as gpd
    import networkx as nx

__all__ = ["HOTSPOT_KINDS", "ORIGIN", "SyntheticTown", "month_range", "synthetic_town"]

#: (easting, northing) of the town's lower-left corner: open sea east of Suffolk.
ORIGIN: tuple[float, float] = (660_000.0, 250_000.0)


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

    _check_town_args(seed, size_km, block_m, n_incidents, n_months, n_services, n_hotspots)
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

    river = River(rng, x0, y0, size)
    G, info = build_graph(
        np.random.default_rng([int(seed), 1]), river, x0, y0, size, float(block_m)
    )
    G.graph.update(info)
    G.graph["hotspots_source"] = f"synthetic town (hotspots.synthetic_town, seed={int(seed)})"

    river_geom = river.polygon(bounds)
    boundary = tag(
        gpd.GeoDataFrame({"name": ["Synthetic town"]}, geometry=[shapely.box(*bounds)], crs=BNG),
        "boundary",
    )
    river_gdf = tag(
        gpd.GeoDataFrame({"name": ["Synthetic river"]}, geometry=[river_geom], crs=BNG), "river"
    )
    grid = _areas(rng, x0, y0, size, river_geom)
    areas = tag(grid.frame, "areas")

    plant = plant_hotspots(
        np.random.default_rng([int(seed), 2]), river, grid, x0, y0, size, river_geom,
        int(n_hotspots), int(n_months), int(n_incidents),
    )  # fmt: skip
    irng = np.random.default_rng([int(seed), 3])
    px, py, pm, ph = incident_points(irng, river, grid, plant, x0, y0, size, int(n_months))
    incidents, ctype, own = incident_frame(
        irng, px, py, pm, ph, plant, grid, months, x0, y0, size, float(block_m)
    )
    when, until = incident_times(
        np.random.default_rng([int(seed), 5]), months, pm, ctype, np.where(own, ph, -1),
        plant.crime,
    )  # fmt: skip
    incidents["datetime"] = when
    incidents["datetime_end"] = until
    incidents = tag(incidents, "incidents")

    hotspots = tag(
        gpd.GeoDataFrame(
            {
                "hotspot_id": np.arange(n_hotspots, dtype=int),
                "kind": plant.kinds,
                "crime_type": plant.crime,
                "radius_m": plant.r,
                "months_active": [
                    ",".join(mo for mo, w in zip(months, plant.weights[h], strict=True) if w >= 0.5)
                    for h in range(n_hotspots)
                ],
            },
            geometry=(
                shapely.buffer(shapely.points(plant.x, plant.y), plant.r, quad_segs=32)
                if n_hotspots
                else []
            ),
            crs=BNG,
        ),
        "planted hot spots (ground truth)",
    )
    services = tag(
        _services(
            np.random.default_rng([int(seed), 4]), river, bounds, plant.x, plant.y, int(n_services)
        ),
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


def _check_town_args(
    seed: Any,
    size_km: Any,
    block_m: Any,
    n_incidents: Any,
    n_months: Any,
    n_services: Any,
    n_hotspots: Any,
) -> None:
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


def _areas(
    rng: np.random.Generator, x0: float, y0: float, size: float, river_geom: Any
) -> TownAreas:
    """~500 m squares with population from a centre-weighted density and an IMD-like decile."""
    import geopandas as gpd
    import shapely

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
    frame = gpd.GeoDataFrame(
        {
            "code": codes,
            "name": area_names,
            "population": pop,
            "population_0_24": pop_young,
            "imd_decile": decile,
        },
        geometry=land,
        crs=BNG,
    )
    return TownAreas(frame, codes, area_names, a_size, na, ctr, sigma)


def _services(
    rng: np.random.Generator,
    river: River,
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
            place = PLACES[int(rng.integers(0, len(PLACES)))]
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
