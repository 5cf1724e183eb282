"""Building blocks of the map pages: base map, safe GeoJSON layers, boxes and legends.

Data reach the page in one way only: as GeoJSON properties holding HTML that was
built here from :func:`hotspots._mapstyle.esc`-escaped text. Folium embeds GeoJSON with
Jinja's ``tojson`` (which writes ``<``, ``>``, ``&`` and ``'`` as ``\\u003c`` ...), and
its GeoJSON tooltip and popup put the property into the page with ``innerHTML`` once,
so an escaped value shows as literal text and never runs.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ._errors import CRSError, DataError, HotspotsWarning
from ._mapframe import add_fit, raw_html
from ._mapstyle import (
    PAGE_CSS,
    describe_parameters,
    esc,
)
from ._provenance import attribution_text, get_provenance
from ._validate import require_geodataframe

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


def new_map(
    frames: Sequence[Any],
    *,
    tiles: str | None,
    width: str = "100%",
    offline: bool = False,
    area: Any = None,
    wards: Any = None,
) -> Any:
    """A Folium map fitted to ``frames`` (EPSG:4326) with scale bar and pinned assets.

    ``offline=True`` writes Leaflet into the page instead of linking the CDN. ``area``
    and ``wards`` (GeoDataFrames, any CRS) are drawn as an outline and named boundaries,
    beneath the data, with the OS National Grid when the data lie in Great Britain.
    """
    import folium

    from ._mapframe import add_orientation, inline_assets

    bounds = np.array([f.total_bounds for f in frames if f is not None and len(f)])
    minx, miny = bounds[:, 0].min(), bounds[:, 1].min()
    maxx, maxy = bounds[:, 2].max(), bounds[:, 3].max()
    m: Any = folium.Map(
        location=[round((miny + maxy) / 2, 5), round((minx + maxx) / 2, 5)],
        zoom_start=12,
        tiles=None,
        control_scale=True,
        width=width,
        zoom_snap=0.25,  # fit the opening view closely, not to the next whole zoom
    )
    m.default_js = list(ASSETS_JS)
    m.default_css = list(ASSETS_CSS)
    if offline:
        inline_assets(m)
    tile_layer = None
    if tiles == DEFAULT_TILES:
        tile_layer = folium.TileLayer(
            tiles=TILE_URL,
            attr=TILE_ATTRIBUTION,
            name="Basemap: CARTO Positron",
            subdomains="abcd",
            max_zoom=20,
            control=False,
        )
    elif tiles:
        tile_layer = folium.TileLayer(tiles, control=False)
    if tile_layer is not None:
        tile_layer.add_to(m)
    area_frame = display_frame(area, "area", simplify_m=10.0) if area is not None else None
    ward_frame = None
    if wards is not None:
        ward_frame = display_frame(wards, "wards", simplify_m=10.0)
        near = ward_frame.cx[minx - 0.02 : maxx + 0.02, miny - 0.02 : maxy + 0.02]
        ward_frame = near if len(near) else ward_frame
    m.hs_context = {  # read by add_page
        "bounds": (minx, miny, maxx, maxy),
        "tile_layer": tile_layer,
        "sources": [("Area", area), ("Boundaries", wards)],
        "grid_notes": add_orientation(
            m, area=area_frame, wards=ward_frame, grid_bounds=_bng_bounds(minx, miny, maxx, maxy)
        ),
        "has_tiles": tile_layer is not None,
    }
    return m


def _bng_bounds(minx: float, miny: float, maxx: float, maxy: float) -> tuple[float, ...] | None:
    """The lon/lat bounds in British National Grid metres, or None outside Great Britain."""
    from pyproj import Transformer

    to_bng = Transformer.from_crs(4326, 27700, always_xy=True)
    xs, ys = to_bng.transform([minx, maxx, minx, maxx], [miny, miny, maxy, maxy])
    box = (min(xs), min(ys), max(xs), max(ys))
    if not all(np.isfinite(box)) or box[0] < 0 or box[2] > 700_000 or box[1] < 0:
        return None
    if box[3] > 1_300_000:
        return None
    return box


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
    internal: str | None = None,
    sources: Sequence[str] = (),
) -> None:
    """Add title, legend, provenance box, caveat, layer control and CSS to ``m``.

    ``internal`` (a reason) marks the page as not for publication. ``sources`` are
    attributions added to those recorded in the layers' provenance. Absolute file paths
    in any of this text are cut to the file name.
    """
    import folium

    context = getattr(m, "hs_context", {})
    sub = f"Period: {esc(period)}" if period else "Period: not recorded"
    warning = (
        f'<div class="hs-internal" id="hs-internal">INTERNAL – NOT FOR PUBLICATION. '
        f"{esc(internal)}</div>"
        if internal
        else ""
    )
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
        f'<div class="hs-sub">{sub}</div>{warning}'
        '<div class="hs-nobasemap" id="hs-nobasemap">Basemap not available (offline): '
        "orient by the area outline, ward names and the OS grid.</div></div>"
    ]
    if caveat:
        parts.append(f'<div class="hs-box hs-caveat" id="hs-caveat">{esc(caveat)}</div>')
    grid_notes = context.get("grid_notes", [])
    if grid_notes:
        legends = [*legends, f'<div class="hs-note">{esc("; ".join(grid_notes))}.</div>']
    if legends:
        parts.append(
            '<div class="hs-box hs-legend" id="hs-legend"><details open>'
            f"<summary>Legend</summary>{''.join(legends)}</details></div>"
        )
    lines, recorded = provenance_lines([*layers, *context.get("sources", [])])
    all_sources = list(dict.fromkeys([*recorded, *sources]))
    prov = "".join(f"<div>{esc(strip_paths(line))}</div>" for line in lines) or (
        "<div>Method: not recorded</div>"
    )
    data = attribution_text(all_sources) if all_sources else "Data sources: not recorded."
    prov += f"<div>Data: {esc(strip_paths(data))}</div>"
    if context.get("has_tiles"):
        prov += "<div>Basemap: © OpenStreetMap contributors © CARTO.</div>"
    prov += "".join(f"<div>{esc(strip_paths(n))}</div>" for n in notes)
    parts.append(
        '<div class="hs-box hs-prov" id="hs-provenance"><details>'
        f"<summary>Method, data and disclosure</summary>{prov}</details></div>"
    )
    figure = m.get_root()
    figure.header.add_child(raw_html(PAGE_CSS + extra_css), name="hotspots_css")
    figure.html.add_child(raw_html("".join(parts) + extra_html), name="hotspots_boxes")
    folium.LayerControl(collapsed=True).add_to(m)
    if "bounds" in context:
        add_fit(m, context["bounds"], context.get("tile_layer"))


_ABSOLUTE_PATH = re.compile(
    r"(?<![\w:/.~-])(?:[A-Za-z]:[\\/]|/)(?:[^\s/\\:;,()]+[\\/])+([^\s/\\:;,()]+)"
)


def strip_paths(text: str) -> str:
    """Cut absolute file paths in ``text`` down to the file name.

    Examples
    --------
    >>> strip_paths("read /home/ana/data/2018-06-kent-street.csv (3 rows)")
    'read 2018-06-kent-street.csv (3 rows)'
    """
    return _ABSOLUTE_PATH.sub(lambda match: match.group(1), text)


def save(m: Any, path: str | Path | None) -> None:
    """Write ``m`` as a standalone HTML file when ``path`` is given."""
    if path is None:
        return
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    m.save(str(target))
