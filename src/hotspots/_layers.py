"""The layers of the map pages, built for :mod:`hotspots.maps`: Gi* cells, density,
clusters, incidents and services, with their tooltips, legends and the tasking table's
text. Every string from the data goes through :func:`hotspots._mapstyle.esc` (by way of
:func:`~hotspots._mapstyle.tip_html`) before it reaches a layer.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pandas as pd

from ._errors import DataError
from ._html import display_frame, geojson_layer
from ._mapstyle import (
    GI_COLOURS,
    GI_LABELS,
    count_text,
    humanise,
    is_missing,
    legend_html,
    ramp_legend_html,
    tip_html,
)
from ._mapstyle import rows as _rows
from ._validate import require_columns, require_geodataframe

__all__ = [
    "STRAIGHT_LINE_CAVEAT",
    "build_cluster_layer",
    "build_incident_layer",
    "build_kde_layer",
    "crime_mix",
    "gap_text",
    "gi_bins",
    "gi_layer",
    "gi_legend",
    "gi_style",
    "gi_tips",
    "internal_reason",
    "minutes_values",
    "service_names",
    "service_tip",
    "service_types",
    "straight_line",
    "straight_line_caveat",
    "suppression_note",
    "tasking_places",
]


_KDE_COLOURS = ("#f2f0f7", "#cbc9e2", "#9e9ac8", "#756bb1", "#54278f")


def gi_bins(cells: Any, name: str = "cells") -> np.ndarray:
    require_columns(cells, ["gi_bin"], name)
    raw = pd.to_numeric(cells["gi_bin"], errors="coerce")
    bad = raw.isna() | ~raw.isin(list(GI_COLOURS))
    if bool(bad.any()):
        rows = list(cells.index[bad.to_numpy()][:10])
        raise DataError(
            f"{name} column 'gi_bin' must hold integers -3..3 (ArcGIS Gi_Bin); "
            f"{int(bad.sum())} value(s) are missing or out of range (index {rows})."
        )
    return np.asarray(raw.to_numpy(dtype=int))


def _number(value: Any, fmt: str) -> str:
    return "n/a" if is_missing(value) else format(float(value), fmt)


def gi_tips(cells: Any, bins: np.ndarray, suppress_below: int) -> list[str]:
    tips = []
    has = set(cells.columns)
    for i, (_, row) in enumerate(_rows(cells)):
        label = row["gi_label"] if "gi_label" in has else GI_LABELS[int(bins[i])]
        rows: list[tuple[str, str]] = []
        if "place" in has and not is_missing(row["place"]):
            rows.append(("Place", str(row["place"])))
        if "cell_id" in has:
            rows.append(("Cell", str(row["cell_id"])))
        if "count" in has:
            rows.append(("Incidents", count_text(row["count"], suppress_below)))
        if "gi_z" in has:
            rows.append(("Gi* z", _number(row["gi_z"], ".2f")))
        p_col = "gi_p_sim" if "gi_p_sim" in has else "gi_p" if "gi_p" in has else None
        if p_col:
            rows.append(("p", _number(row[p_col], ".3f")))
        tips.append(tip_html(str(label), rows))
    return tips


def gi_layer(cells: Any, suppress_below: int, layer_name: str, *, name: str = "cells") -> Any:
    """Gi* cells coloured by ``gi_bin``, with their tooltips, as one GeoJSON layer."""
    bins = gi_bins(cells, name)
    return geojson_layer(
        cells,
        gi_tips(cells, bins, suppress_below),
        [GI_COLOURS[int(b)] for b in bins],
        name=layer_name,
        style=gi_style,
    )


def gi_style(colour: str) -> dict[str, Any]:
    neutral = colour == GI_COLOURS[0]
    return {
        "fillColor": colour,
        "fillOpacity": 0.35 if neutral else 0.75,
        "color": "#b0b0b0" if neutral else "#666666",
        "weight": 0.3 if neutral else 0.5,
    }


def gi_legend() -> str:
    order = [3, 2, 1, 0, -1, -2, -3]
    return legend_html("Hot spots (Getis-Ord Gi*)", [(GI_COLOURS[b], GI_LABELS[b]) for b in order])


def _classes(values: np.ndarray, k: int) -> np.ndarray:
    """Up to ``k`` quantile class breaks of the positive values (unique, increasing)."""
    positive = values[np.isfinite(values) & (values > 0)]
    if positive.size == 0:
        return np.array([0.0, 1.0])
    breaks = np.unique(np.quantile(positive, np.linspace(0, 1, k + 1)))
    if breaks.size == 1:
        breaks = np.array([breaks[0], breaks[0] * 1.0001 + 1e-9])
    return breaks


def build_kde_layer(kde: Any) -> tuple[Any, str, Any]:
    """The density surface as one polygon per colour class (cells dissolved by class).

    A 50 m surface over a town has tens of thousands of cells; mapping each one makes
    the page several megabytes for no gain, since a reader sees only the classes.
    """
    import geopandas as gpd
    import shapely

    kde = require_geodataframe(kde, "kde")
    require_columns(kde, ["density"], "kde")
    density = pd.to_numeric(kde["density"], errors="coerce").to_numpy(dtype=float)
    geoms = kde.geometry.to_numpy()
    keep = np.isfinite(density) & (density > 0) & ~shapely.is_missing(geoms)
    if not keep.any():
        raise DataError("kde has no cell with a positive density; there is nothing to map.")
    density, geoms = density[keep], geoms[keep]
    breaks = _classes(density, len(_KDE_COLOURS))
    colours = list(_KDE_COLOURS[-(breaks.size - 1) :])
    idx = np.clip(np.searchsorted(breaks, density, side="right") - 1, 0, len(colours) - 1)
    classes = sorted(set(idx.tolist()))
    dissolved = gpd.GeoDataFrame(
        {
            "low": [float(breaks[i]) for i in classes],
            "high": [float(breaks[i + 1]) for i in classes],
        },
        geometry=[shapely.coverage_union_all(geoms[idx == i]) for i in classes],
        crs=kde.crs,
    )
    frame = display_frame(dissolved, "kde")
    tips = [
        tip_html("Kernel density", [("Density", f"{lo:,.1f} to {hi:,.1f} per km²")])
        for lo, hi in zip(frame["low"], frame["high"], strict=True)
    ]
    layer = geojson_layer(
        frame,
        tips,
        [colours[i] for i in classes],
        name="Kernel density (per km²)",
        show=False,
        popup=False,
        style=lambda c: {"fillColor": c, "fillOpacity": 0.6, "weight": 0, "color": c},
    )
    legend = ramp_legend_html("Kernel density", colours, list(breaks), unit="per km²")
    return layer, legend, frame


def build_cluster_layer(clusters: Any, suppress_below: int) -> tuple[Any, Any]:
    frame = display_frame(clusters, "clusters")
    require_columns(frame, ["cluster"], "clusters")
    tips = []
    for _, row in _rows(frame):
        rows = []
        small = True
        if "count" in frame.columns:
            rows.append(("Incidents", count_text(row["count"], suppress_below)))
            small = is_missing(row["count"]) or float(row["count"]) < suppress_below
        show_mix = not small or suppress_below <= 0
        if (
            show_mix
            and "top_crime_types" in frame.columns
            and not is_missing(row["top_crime_types"])
        ):
            rows.append(("Top crime types", str(row["top_crime_types"])))
        if "first_month" in frame.columns:
            rows.append(("Months", f"{row['first_month']} to {row.get('last_month', '')}"))
        tips.append(tip_html(f"Cluster {row['cluster']}", rows))
    layer = geojson_layer(
        frame,
        tips,
        ["#000000"] * len(frame),
        name="Clusters (grid-cell outlines)",
        style=lambda c: {"color": c, "weight": 2, "dashArray": "5 4", "fillOpacity": 0.0},
    )
    return layer, frame


def build_incident_layer(incidents: Any) -> tuple[Any, Any]:
    frame = display_frame(incidents, "incidents")
    tips = []
    for _, row in _rows(frame):
        rows = [
            (label, str(row[col]))
            for label, col in (("Month", "month"), ("Location", "location"))
            if col in frame.columns and not is_missing(row[col])
        ]
        tips.append(tip_html(str(row.get("crime_type", "Incident")), rows))
    layer = geojson_layer(
        frame,
        tips,
        ["#222222"] * len(frame),
        name="Incidents (points)",
        point_radius=3,
        style=lambda c: {"color": c, "fillColor": c, "fillOpacity": 0.7, "weight": 1},
    )
    return layer, frame


def crime_mix(row: Any, columns: list[str], suppress_below: int, top: int = 3) -> str:
    values = [(c, float(row[c])) for c in columns if not is_missing(row[c]) and float(row[c]) > 0]
    values.sort(key=lambda cv: -cv[1])
    return "; ".join(
        f"{humanise(c.removeprefix('count_'))}: {count_text(v, suppress_below)}"
        for c, v in values[:top]
    )


def minutes_values(frame: Any, name: str) -> np.ndarray:
    require_columns(frame, ["minutes"], name)
    return np.asarray(pd.to_numeric(frame["minutes"], errors="coerce").to_numpy(dtype=float))


def straight_line(*frames: Any) -> bool:
    for f in frames:
        if (
            f is not None
            and "method" in f.columns
            and bool((f["method"].astype(str) == "straight-line").any())
        ):
            return True
        if f is not None and "straight-line" in str(f.attrs.get("hotspots", {}).get("method", "")):
            return True
    return False


def _age(value: Any) -> str:
    if is_missing(value):
        return "any"
    try:
        return f"{float(value):.0f}"
    except (TypeError, ValueError):
        return str(value)


def service_types(frame: Any) -> pd.Series:
    """``service_type`` as text, ``"other"`` where it is missing or there is no column."""
    if "service_type" not in frame.columns:
        return pd.Series("other", index=frame.index, dtype=object)
    column = frame["service_type"]
    types: pd.Series = column.astype(str).where(column.notna(), "other")
    return types


def service_tip(row: Any, columns: set[str]) -> str:
    rows = []
    if "service_type" in columns and not is_missing(row["service_type"]):
        rows.append(("Type", humanise(str(row["service_type"]))))
    if "provider" in columns and not is_missing(row["provider"]):
        rows.append(("Provider", str(row["provider"])))
    lo: Any = row["target_age_min"] if "target_age_min" in columns else None
    hi: Any = row["target_age_max"] if "target_age_max" in columns else None
    if not (is_missing(lo) and is_missing(hi)):
        rows.append(("Ages", f"{_age(lo)}–{_age(hi)}"))
    if "funder" in columns and not is_missing(row["funder"]):
        rows.append(("Funder", str(row["funder"])))
    name = row["name"] if "name" in columns and not is_missing(row["name"]) else "Service"
    return tip_html(str(name), rows)


#: The banner of maps whose travel times are straight-line estimates.
STRAIGHT_LINE_CAVEAT = (
    "Travel times are straight-line distance × {circuity:g} at {speed:g} km/h, "
    "not street-network times"
)


def service_names(targets: Any, services: Any) -> dict[Any, str]:
    """Name of each ``nearest_service`` value: the service's ``name`` when the value is a
    row label of ``services``, the value itself when it is already text."""
    values = targets["nearest_service"] if "nearest_service" in targets.columns else []
    names: dict[Any, str] = {}
    lookup = (
        services["name"]
        if services is not None and "name" in services.columns
        else pd.Series(dtype=object)
    )
    for value in values:
        if is_missing(value) or value in names:
            continue
        if value in lookup.index and not is_missing(lookup.loc[value]):
            names[value] = str(lookup.loc[value])
        elif isinstance(value, str):
            names[value] = value
    return names


def gap_text(gaps: Any, minutes: float) -> str:
    """What a gap outline means, including the services and threshold it was found for."""
    from ._provenance import get_provenance

    params = get_provenance(gaps).get("parameters") or {}
    limit = params.get("minutes", minutes) if isinstance(params, dict) else minutes
    types = params.get("service_types") if isinstance(params, dict) else None
    if isinstance(types, str):
        types = [types]
    ages = params.get("ages") if isinstance(params, dict) else None
    for_ages = f" for ages {ages[0]}–{ages[1]}" if isinstance(ages, list | tuple) else ""
    if types:
        kinds = ", ".join(humanise(str(t)).lower() for t in types)
        return f"Gap: no {kinds}{for_ages} within {float(limit):g} minutes"
    return f"Gap: over {float(limit):g} minutes to any service"


def straight_line_caveat(*frames: Any) -> str:
    """The straight-line banner with the speed and circuity the travel times used."""
    from ._provenance import get_provenance

    for frame in frames:
        params = get_provenance(frame).get("parameters") if frame is not None else None
        if isinstance(params, dict) and params.get("speed_kph") and params.get("circuity"):
            return STRAIGHT_LINE_CAVEAT.format(
                circuity=float(params["circuity"]), speed=float(params["speed_kph"])
            )
    return "Travel times are straight-line distance × a circuity factor, not street-network times"


# --- the tasking map and briefing pack ------------------------------------------------


def suppression_note(suppress_below: int) -> str:
    if suppress_below <= 0:
        return "Counts are shown exactly (not suppressed)."
    return (
        f"Counts under {suppress_below} are shown as <{suppress_below}, "
        "with no crime mix; outlines are grid cells, never incident locations."
    )


def internal_reason(internal: bool, points: bool) -> str | None:
    reasons = []
    if internal:
        reasons.append("Counts and crime mixes are not suppressed.")
    if points:
        reasons.append("Incident locations are shown.")
    return " ".join(reasons) or None


def tasking_places(
    cells: Any, *, top_n: int, incidents: Any, suppress_below: int
) -> tuple[Any, Any, pd.DataFrame, str]:
    """The numbered places of a tasking map and their table rows.

    The places are :func:`hotspots.tasking_list`'s. Returns the display frame of
    ``cells``; the places in rank order as a display frame indexed by each place's
    busiest cell (where its number goes), whose geometry is the place's outline (the
    union of its cells); a table (same index) with ``rank``, ``place``, ``incidents``,
    ``crime_mix`` and ``confidence`` as published text (with incidents that carry
    times, ``place`` ends with the ``when`` line's peak, e.g. "mostly Fri–Sat 22–02h",
    instead of the cell id); and the ranking rule.
    """
    import geopandas as gpd

    from .tasking import AREA, CONCENTRATION, tasking_list

    cells = require_geodataframe(cells, "cells")
    if not isinstance(top_n, int | np.integer) or isinstance(top_n, bool) or top_n < 1:
        raise DataError(f"top_n must be a positive integer, got {top_n!r}.")
    frame = display_frame(cells, "cells")
    require_columns(frame, ["count"], "cells")
    tested = "gi_bin" in frame.columns
    rule = (
        "Significant hot cells (95 %+) that touch are merged into one area; areas and busy "
        "cells outside them (concentrations) are ranked by incidents. Cells without "
        "incidents are never numbered."
        if tested
        else "Ranked by incident count (no Gi* results given)."
    )
    listing = tasking_list(cells, incidents, top=int(top_n))
    index = pd.Index(listing["busiest_cell"].tolist(), name=cells.index.name)
    top = display_frame(
        gpd.GeoDataFrame(
            {"number": listing["number"].to_numpy()},
            geometry=listing.geometry.to_numpy(),
            crs=listing.crs,
            index=index,
        ),
        "tasking list",
    )
    rows = []
    for _, row in _rows(listing):
        counts = {f"count_{k}": float(v) for k, v in row["crime_mix"].items()}
        count = count_text(row["incidents"], suppress_below)
        mix = crime_mix(pd.Series(counts), sorted(counts), suppress_below)
        if count.startswith("<"):
            mix = "not shown (few incidents)"
        if row["kind"] == AREA:
            size = int(row["n_cells"])
            confidence = f"{row['confidence']} (area of {size} cell{'s' if size > 1 else ''})"
        elif row["kind"] == CONCENTRATION:
            confidence = f"Concentration: a busy cell outside the hot areas ({row['confidence']})"
        else:
            confidence = "not tested"
        rows.append(
            {
                "rank": int(row["number"]),
                "place": str(row["place"]),
                "incidents": count,
                "crime_mix": mix or "–",
                "confidence": confidence,
            }
        )
        when = row.get("when")
        if isinstance(when, str) and when.startswith("mostly "):
            # incidents with times and a marked peak: when to go, in place of the cell
            # id so that the table still prints on one A4 page
            peak = when.split(" (")[0].replace(":00", "")
            place = re.sub(r", cell \S+$", "", str(rows[-1]["place"]))
            rows[-1]["place"] = f"{place}; {peak}h"
    table = pd.DataFrame(
        rows, index=index, columns=["rank", "place", "incidents", "crime_mix", "confidence"]
    )
    return frame, top, table, rule
