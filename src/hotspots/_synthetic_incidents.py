"""The synthetic town's incidents: background, planted hot spots, and their times.

Part of :func:`hotspots.synthetic_town` (everything here is synthetic and describes no
real person or event). Incidents follow the data.police.uk schema; planted hot spots of
known kind and crime type are the ground truth tests and benchmarks recover; times carry
planted weekly patterns (violence hot spots on Friday and Saturday nights, drug hot spots
on weekday afternoons).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ._errors import DataError
from ._synthetic_streets import COL_SUFFIX, ROW_SUFFIX, River, street_names
from ._validate import BNG

__all__ = [
    "HOTSPOT_CRIME",
    "HOTSPOT_KINDS",
    "Plant",
    "TownAreas",
    "incident_frame",
    "incident_points",
    "incident_times",
    "plant_hotspots",
]

#: Kinds of planted hot spot, cycled in this order.
HOTSPOT_KINDS: tuple[str, ...] = (
    "persistent",
    "new",
    "intensifying",
    "diminishing",
    "sporadic",
    "persistent",
)


@dataclass(frozen=True)
class TownAreas:
    """The census-like areas: ~500 m squares, and the town centre their density follows."""

    frame: Any
    codes: np.ndarray
    names: np.ndarray
    side: float  # metres
    n: int  # squares across
    centre: np.ndarray
    sigma: float


HOTSPOT_CRIME = (
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


def _hex_ids(rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` random 64-character lowercase hex strings (like data.police.uk crime ids)."""
    digits = np.frombuffer(b"0123456789abcdef", dtype="S1")
    chars = digits[rng.integers(0, 16, size=(n, 64), dtype=np.uint8)]
    return np.ascontiguousarray(chars).view("S64").ravel().astype(str)


def _place_hotspots(
    rng: np.random.Generator, river: River, x0: float, y0: float, size: float, n_hot: int
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


@dataclass(frozen=True)
class Plant:
    """Planted hot spots: centres, radii, kinds, crime types, month weights and counts."""

    x: np.ndarray
    y: np.ndarray
    r: np.ndarray
    kinds: list[str]
    crime: list[str]
    weights: np.ndarray  # (hot spot, month)
    counts: np.ndarray  # incidents per (hot spot, month)
    n_background: int


def plant_hotspots(
    hrng: np.random.Generator,
    river: River,
    grid: TownAreas,
    x0: float,
    y0: float,
    size: float,
    river_geom: Any,
    n_hotspots: int,
    n_months: int,
    n_incidents: int,
) -> Plant:
    import shapely

    hx, hy, hr = _place_hotspots(hrng, river, x0, y0, size, n_hotspots)
    kinds = [HOTSPOT_KINDS[k % len(HOTSPOT_KINDS)] for k in range(n_hotspots)]
    hcrime = [HOTSPOT_CRIME[k % len(HOTSPOT_CRIME)] for k in range(n_hotspots)]
    weights = np.array([_month_weights(k, n_months, hrng) for k in kinds]).reshape(
        n_hotspots, n_months
    )
    area_land = size * size - float(shapely.area(river_geom))
    # expected planted count per (hotspot, month) per background incident per month
    # relative to the local background, but never less than the town-wide average
    base = np.maximum(_background_pdf(grid, area_land, hx, hy), 1.0 / area_land)
    per_bg = _HOT_MULTIPLIER * weights * (base * np.pi * hr**2)[:, None]
    s = float(per_bg.sum()) / n_months
    n_bg = round(n_incidents / (1.0 + s))
    hot_counts = np.floor(per_bg * (n_bg / n_months)).astype(int)
    n_bg = int(n_incidents) - int(hot_counts.sum())  # rounding remainder to the background
    return Plant(hx, hy, hr, kinds, hcrime, weights, hot_counts, n_bg)


def _background_pdf(
    grid: TownAreas, area_land: float, px: np.ndarray, py: np.ndarray
) -> np.ndarray:
    """Approximate background density (per m^2, integrating to ~1 over land)."""
    ctr, sigma = grid.centre, grid.sigma
    g = np.exp(-((px - ctr[0]) ** 2 + (py - ctr[1]) ** 2) / (2 * sigma**2))
    return np.asarray(0.5 / area_land + 0.5 * g / (2 * np.pi * sigma**2), dtype=float)


def incident_points(
    irng: np.random.Generator,
    river: River,
    grid: TownAreas,
    plant: Plant,
    x0: float,
    y0: float,
    size: float,
    n_months: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Incident x, y, month index and planted hot spot (-1 background), sorted by month."""
    ctr, sigma = grid.centre, grid.sigma

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

    n_bg = plant.n_background
    bx, by = sample_bg(n_bg)
    bmonth = irng.integers(0, n_months, n_bg)
    parts_x, parts_y, parts_m, parts_h = [bx], [by], [bmonth], [np.full(n_bg, -1)]
    for h in range(len(plant.kinds)):
        for t in range(n_months):
            c = int(plant.counts[h, t])
            if c == 0:
                continue
            rad = plant.r[h] * np.sqrt(irng.random(c))
            ang = irng.uniform(0, 2 * np.pi, c)
            parts_x.append(plant.x[h] + rad * np.cos(ang))
            parts_y.append(plant.y[h] + rad * np.sin(ang))
            parts_m.append(np.full(c, t))
            parts_h.append(np.full(c, h))
    px = np.concatenate(parts_x)
    py = np.concatenate(parts_y)
    pm = np.concatenate(parts_m).astype(int)
    ph = np.concatenate(parts_h).astype(int)
    # shuffle so planted points are not all at the end, then sort by month (as police files)
    perm = irng.permutation(px.size)
    perm = perm[np.argsort(pm[perm], kind="stable")]
    return px[perm], py[perm], pm[perm], ph[perm]


def incident_frame(
    irng: np.random.Generator,
    px: np.ndarray,
    py: np.ndarray,
    pm: np.ndarray,
    ph: np.ndarray,
    plant: Plant,
    grid: TownAreas,
    months: list[str],
    x0: float,
    y0: float,
    size: float,
    block_m: float,
) -> tuple[Any, np.ndarray, np.ndarray]:
    """The incidents in the data.police.uk schema; also their crime types and which of
    them are of their planted hot spot's own type."""
    import geopandas as gpd

    n = px.size
    crime_types = np.array(list(_CRIME_MIX))
    probs = np.array(list(_CRIME_MIX.values()))
    ctype = crime_types[irng.choice(crime_types.size, size=n, p=probs / probs.sum())]
    hot = ph >= 0
    own = hot & (irng.random(n) < _HOT_TYPE_SHARE)
    if len(plant.kinds):
        ctype = np.where(own, np.array(plant.crime, dtype=object)[np.maximum(ph, 0)], ctype)
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
    row_names = street_names(n_grid, ROW_SUFFIX, 0)
    col_names = street_names(n_grid, COL_SUFFIX, 3)
    street = np.where(on_col, col_names[gi], row_names[gj])
    location = np.char.add("On or near ", street.astype(str))
    a_size, na = grid.side, grid.n
    a_idx = np.clip(((px - x0) // a_size).astype(int), 0, na - 1) * na + np.clip(
        ((py - y0) // a_size).astype(int), 0, na - 1
    )
    frame = gpd.GeoDataFrame(
        {
            "crime_id": crime_id.astype(str),
            "month": pd.PeriodIndex(months, freq="M")[pm],
            "reported_by": "Synthetic Police",
            "falls_within": "Synthetic Police",
            "location": location,
            "lsoa_code": grid.codes[a_idx],
            "lsoa_name": grid.names[a_idx],
            "crime_type": ctype.astype(str),
            "outcome": outcome.astype(str),
            "context": "",
            "hotspot_id": ph,
            "victim_age": age,
        },
        geometry=gpd.points_from_xy(px, py),
        crs=BNG,
    )
    return frame, ctype, own


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


def incident_times(
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
