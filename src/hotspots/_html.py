"""Building blocks of the map pages: base map, safe GeoJSON layers, boxes and legends.

Data reach the page in one way only: as GeoJSON properties holding HTML that was
built here from :func:`hotspots._mapstyle.esc`-escaped text. Folium embeds GeoJSON with
Jinja's ``tojson`` (which writes ``<``, ``>``, ``&`` and ``'`` as ``\\u003c`` ...), and
its GeoJSON tooltip and popup put the property into the page with ``innerHTML`` once,
so an escaped value shows as literal text and never runs.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ._errors import CRSError, DataError, HotspotsWarning
from ._mapstyle import (
    GI_COLOURS,
    GI_LABELS,
    PAGE_CSS,
    count_text,
    describe_parameters,
    esc,
    grid_reference,
    humanise,
    is_missing,
    legend_html,
    ramp_legend_html,
    tip_html,
)
from ._provenance import attribution_text, get_provenance
from ._validate import require_columns, require_geodataframe

__all__ = [
    "ASSETS_CSS",
    "ASSETS_JS",
    "TILE_ATTRIBUTION",
    "TILE_URL",
    "add_page",
    "display_frame",
    "geojson_layer",
    "new_map",
    "save",
]

#: The JavaScript and CSS a page loads (pinned versions; Leaflet's own Popup needs jQuery
#: in Folium). Bootstrap, Font Awesome and awesome-markers are not used by these maps.
ASSETS_JS: list[tuple[str, str]] = [
    ("leaflet", "https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.js"),
    ("jquery", "https://code.jquery.com/jquery-3.7.1.min.js"),
]
ASSETS_CSS: list[tuple[str, str]] = [
    ("leaflet_css", "https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.css"),
]

#: CARTO Positron basemap tiles and their required attribution.
TILE_URL = "https://{s}.basemaps.cartocdn.com/light_all/{z}/{x}/{y}{r}.png"
TILE_ATTRIBUTION = (
    '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors '
    '&copy; <a href="https://carto.com/attributions">CARTO</a>'
)
DEFAULT_TILES = "CartoDB positron"

#: Decimal places kept in longitude/latitude (5 places is about 1 m).
COORD_DECIMALS = 5


def display_frame(gdf: Any, name: str, *, simplify_m: float = 2.0) -> Any:
    """Validate a layer and return a copy in EPSG:4326, simplified and rounded for display.

    Rows with missing or empty geometry are dropped with a :class:`HotspotsWarning`.
    Simplification (``simplify_m`` metres, topology preserved) happens in the layer's own
    projected CRS before reprojection; coordinates are rounded to :data:`COORD_DECIMALS`.
    """
    import geopandas as gpd
    import shapely

    gdf = require_geodataframe(gdf, name)
    if len(gdf) == 0:
        raise DataError(f"{name} is empty (0 rows); there is nothing to map.")
    if gdf.crs is None:
        raise CRSError(
            f"{name} has no coordinate reference system, so it cannot be placed on a map. "
            "Set it with `gdf.set_crs(...)` (EPSG:27700 for British National Grid)."
        )
    geom = gdf.geometry
    bad = (geom.isna() | geom.is_empty).to_numpy()
    if bad.any():
        warnings.warn(
            f"{name}: {int(bad.sum())} row(s) with missing or empty geometry are not mapped.",
            HotspotsWarning,
            stacklevel=3,
        )
        gdf = gdf.loc[~bad]
        if len(gdf) == 0:
            raise DataError(f"{name} has no usable geometry; there is nothing to map.")
    values = gdf.geometry.to_numpy()
    if not gdf.crs.is_geographic and simplify_m > 0:
        values = shapely.simplify(values, simplify_m, preserve_topology=True)
    out = gpd.GeoDataFrame(
        pd.DataFrame(gdf.drop(columns=gdf.geometry.name)),
        geometry=gpd.GeoSeries(values, index=gdf.index, crs=gdf.crs).to_crs(4326),
    )
    bounds = out.total_bounds
    if not np.all(np.isfinite(bounds)) or bounds[1] < -90 or bounds[3] > 90:
        raise CRSError(
            f"{name} does not reproject to valid longitude/latitude (bounds {bounds}); "
            "its CRS is probably wrong. Check `gdf.crs`."
        )
    rounded = shapely.transform(out.geometry.to_numpy(), lambda xy: np.round(xy, COORD_DECIMALS))
    out = out.set_geometry(gpd.GeoSeries(rounded, index=out.index, crs=4326))
    out.attrs = {}
    return out


def new_map(frames: Sequence[Any], *, tiles: str | None, width: str = "100%") -> Any:
    """A Folium map fitted to ``frames`` (EPSG:4326) with scale bar and pinned assets."""
    import folium

    bounds = np.array([f.total_bounds for f in frames if f is not None and len(f)])
    minx, miny = bounds[:, 0].min(), bounds[:, 1].min()
    maxx, maxy = bounds[:, 2].max(), bounds[:, 3].max()
    m = folium.Map(
        location=[round((miny + maxy) / 2, 5), round((minx + maxx) / 2, 5)],
        zoom_start=12,
        tiles=None,
        control_scale=True,
        width=width,
    )
    m.default_js = list(ASSETS_JS)
    m.default_css = list(ASSETS_CSS)
    if tiles == DEFAULT_TILES:
        folium.TileLayer(
            tiles=TILE_URL,
            attr=TILE_ATTRIBUTION,
            name="Basemap: CARTO Positron",
            subdomains="abcd",
            max_zoom=20,
            control=False,
        ).add_to(m)
    elif tiles:
        folium.TileLayer(tiles, control=False).add_to(m)
    m.fit_bounds([[float(miny), float(minx)], [float(maxy), float(maxx)]])
    return m


def geojson_layer(
    frame: Any,
    tips: Iterable[str],
    colours: Iterable[str],
    *,
    name: str,
    style: Callable[[str], dict[str, Any]],
    point_radius: float | None = None,
    show: bool = True,
    popup: bool = True,
) -> Any:
    """A GeoJSON layer whose features carry only a tooltip HTML string and a colour.

    ``tips`` must already be escaped HTML (see :func:`hotspots._mapstyle.tip_html`).
    """
    import folium
    import geopandas as gpd

    data = gpd.GeoDataFrame(
        {"tip": list(tips), "c": list(colours)},
        geometry=frame.geometry.to_numpy(),
        crs=4326,
    )
    data.index = pd.RangeIndex(len(data)).astype(str)
    marker = None
    if point_radius is not None:
        if not bool((data.geometry.geom_type == "Point").all()):
            data = data.set_geometry(data.geometry.representative_point())
        marker = folium.CircleMarker(radius=point_radius, fill=True)
    return folium.GeoJson(
        data.to_geo_dict(drop_id=False, show_bbox=False),
        name=name,
        show=show,
        style_function=lambda feature: style(feature["properties"]["c"]),
        highlight_function=lambda feature: {"weight": 3, "color": "#000000"},
        tooltip=folium.GeoJsonTooltip(fields=["tip"], labels=False, sticky=True),
        popup=folium.GeoJsonPopup(fields=["tip"], labels=False) if popup else None,
        marker=marker,
        embed=True,
    )


def period_text(*layers: Any) -> str | None:
    """``"2018-06 to 2018-12"`` (or one month) from the first layer recording a period."""
    for layer in layers:
        period = get_provenance(layer).get("period") if layer is not None else None
        if isinstance(period, dict) and period.get("start"):
            start, end = str(period["start"]), str(period.get("end") or period["start"])
            return start if start == end else f"{start} to {end}"
    return None


def provenance_lines(layers: Sequence[tuple[str, Any]]) -> tuple[list[str], list[str]]:
    """Method lines (label: method, parameters, seed) and the union of data sources."""
    lines: list[str] = []
    sources: list[str] = []
    for label, layer in layers:
        if layer is None:
            continue
        prov = get_provenance(layer)
        sources.extend(str(s) for s in prov.get("sources", []) or [])
        if not prov.get("method"):
            continue
        text = f"{label}: {prov['method']}"
        params = prov.get("parameters") or {}
        if isinstance(params, dict) and params:
            text += f" ({describe_parameters(params)})"
        seed = prov.get("seed")
        text += f"; seed {seed}" if seed is not None else "; no random seed"
        lines.append(text)
    return lines, list(dict.fromkeys(sources))


@functools.cache
def _raw_class() -> Any:
    from branca.element import Element
    from jinja2 import Template

    class Raw(Element):  # type: ignore[misc]
        """HTML inserted as a value, never parsed as a template (no ``{{ }}`` evaluation)."""

        _template = Template("{{ this.body }}")

        def __init__(self, body: str) -> None:
            super().__init__()
            self.body = body

    return Raw


def raw_html(body: str) -> Any:
    return _raw_class()(body)


def add_page(
    m: Any,
    *,
    title: str,
    period: str | None,
    layers: Sequence[tuple[str, Any]],
    legends: Sequence[str],
    notes: Sequence[str] = (),
    caveat: str | None = None,
    extra_html: str = "",
    extra_css: str = "",
) -> None:
    """Add title, legend, provenance box, caveat, layer control and CSS to ``m``."""
    import folium

    sub = f"Period: {esc(period)}" if period else "Period: not recorded"
    # warnings a method kept with its result (too few incidents, ...) are shown as caveats
    warned = [
        str(w)
        for _, layer in layers
        if layer is not None
        for w in get_provenance(layer).get("warnings", []) or []
    ]
    if warned:
        caveat = " ".join([caveat, *warned] if caveat else warned)
    parts = [
        f'<div class="hs-box hs-title" id="hs-title"><h1>{esc(title)}</h1>'
        f'<div class="hs-sub">{sub}</div></div>'
    ]
    if caveat:
        parts.append(f'<div class="hs-box hs-caveat" id="hs-caveat">{esc(caveat)}</div>')
    if legends:
        parts.append(f'<div class="hs-box hs-legend" id="hs-legend">{"".join(legends)}</div>')
    lines, sources = provenance_lines(layers)
    prov = "".join(f"<div>{esc(line)}</div>" for line in lines) or (
        "<div>Method: not recorded</div>"
    )
    data = attribution_text(sources) if sources else "Data sources: not recorded."
    prov += f"<div>Data: {esc(data)}</div>"
    prov += "".join(f"<div>{esc(n)}</div>" for n in notes)
    parts.append(
        '<div class="hs-box hs-prov" id="hs-provenance"><details open>'
        f"<summary>Method, data and disclosure</summary>{prov}</details></div>"
    )
    figure = m.get_root()
    figure.header.add_child(raw_html(PAGE_CSS + extra_css), name="hotspots_css")
    figure.html.add_child(raw_html("".join(parts) + extra_html), name="hotspots_boxes")
    folium.LayerControl(collapsed=False).add_to(m)


def save(m: Any, path: str | Path | None) -> None:
    """Write ``m`` as a standalone HTML file when ``path`` is given."""
    if path is None:
        return
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    m.save(str(target))


# --- layer builders used by hotspots.maps ---------------------------------------------

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
    for i, (_, row) in enumerate(cells.iterrows()):
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
    for _, row in frame.iterrows():
        rows = []
        if "count" in frame.columns:
            rows.append(("Incidents", count_text(row["count"], suppress_below)))
        if "top_crime_types" in frame.columns and not is_missing(row["top_crime_types"]):
            rows.append(("Top crime types", str(row["top_crime_types"])))
        if "first_month" in frame.columns:
            rows.append(("Months", f"{row['first_month']} to {row.get('last_month', '')}"))
        tips.append(tip_html(f"Cluster {row['cluster']}", rows))
    layer = geojson_layer(
        frame,
        tips,
        ["#000000"] * len(frame),
        name="Clusters (hulls)",
        style=lambda c: {"color": c, "weight": 2, "dashArray": "5 4", "fillOpacity": 0.0},
    )
    return layer, frame


def build_incident_layer(incidents: Any) -> tuple[Any, Any]:
    frame = display_frame(incidents, "incidents")
    tips = []
    for _, row in frame.iterrows():
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


def incidents_by_cell(
    top: Any, incidents: Any
) -> tuple[dict[Any, dict[str, float]], dict[Any, str], dict[Any, set[str]]]:
    """Crime mix (``count_<type>``), commonest police.uk ``location`` and months per cell.

    One spatial join serves all three; each is empty when ``incidents`` lacks its column
    (``crime_type``, ``location``, ``month``), ties between locations are broken
    alphabetically so the table does not change from run to run.
    """
    import geopandas as gpd

    from ._validate import require_same_crs

    incidents = require_geodataframe(incidents, "incidents")
    require_same_crs(top, incidents, ("cells", "incidents"))
    keep = [c for c in ("crime_type", "location", "month") if c in incidents.columns]
    if not set(keep) - {"month"}:
        raise DataError("incidents need a crime_type or location column for the tasking table.")
    joined = gpd.sjoin(
        incidents[[*keep, incidents.geometry.name]],
        top[[top.geometry.name]],
        predicate="within",
    )
    mix: dict[Any, dict[str, float]] = {}
    if "crime_type" in joined.columns:
        for (cell, crime), n in joined.groupby(["index_right", "crime_type"]).size().items():
            mix.setdefault(cell, {})[f"count_{crime}"] = float(n)
    months: dict[Any, set[str]] = {}
    if "month" in joined.columns:
        stamp = joined["month"].astype(str).str.slice(0, 7)
        months = {cell: set(m) for cell, m in stamp.groupby(joined["index_right"])}
    if "location" not in joined.columns:
        return mix, {}, months
    located = joined.loc[joined["location"].notna(), ["index_right", "location"]]
    located["location"] = located["location"].astype(str).str.strip()
    located = located.loc[located["location"] != ""]
    counts = located.groupby(["index_right", "location"]).size().reset_index(name="n")
    counts = counts.sort_values(["index_right", "n", "location"], ascending=[True, False, True])
    places = dict(counts.drop_duplicates("index_right").set_index("index_right")["location"])
    return mix, places, months


def place_text(
    row: Any, columns: set[str], centre: Any, projected: bool, located: str | None = None
) -> str:
    if "place" in columns and not is_missing(row["place"]):
        return str(row["place"])
    parts = [located] if located else []
    if projected:
        parts.append(grid_reference(centre.x, centre.y))
    if "cell_id" in columns:
        parts.append(f"cell {row['cell_id']}")
    return ", ".join(parts) or str(row.name)


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
