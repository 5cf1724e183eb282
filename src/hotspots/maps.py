"""Folium web maps that are safe to share: hot spots, a tasking map, reach and provision.

Every map

* is a :class:`folium.Map`; ``path=`` also writes a standalone HTML file;
* shows a title, the period covered, a legend, a scale bar, a layer control, and a box with
  the method, its parameters and seed and the data attributions (from
  ``gdf.attrs["hotspots"]``, see :func:`hotspots._provenance.get_provenance`);
* is reprojected to EPSG:4326 for display, with polygons simplified by a few metres in their
  projected CRS and coordinates rounded to 5 decimals (about 1 m), so a Medway map of
  3,500 hexagons of 250 m stays around 1–2 MB;
* follows disclosure control: counts below ``suppress_below`` (default 5) appear as ``"<5"``
  in tooltips, popups and tables, and raw incident points only appear with
  ``show_points=True``;
* escapes every string from the data (names, streets, crime types, titles), so markup or
  script in the data displays as text.

Gi* bins use the ArcGIS Hot Spot Analysis colours: hot 99 % ``#d62f27``, 95 % ``#ed7551``,
90 % ``#fab984``; not significant ``#f7f7f2``; cold 90 % ``#c0ccbe``, 95 % ``#849eba``,
99 % ``#4575b5``.

The basemap is CARTO Positron (© OpenStreetMap contributors © CARTO), loaded from the
internet by the reader's browser; pass ``tiles=None`` for no basemap. Leaflet 1.9.3 and
jQuery 3.7.1 are linked from jsDelivr and code.jquery.com, or with ``offline=True`` written
into the page (see :mod:`hotspots._mapframe`), which also holds the area outline, ward
names and OS grid that orient a reader without tiles, the opening view clear of the
page's boxes, and the A4 landscape print layout. :func:`hotspots.briefing.save_tasking_pack`
draws the tasking map and table as PNG and PDF.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ._errors import DataError
from ._html import (
    DEFAULT_TILES,
    add_page,
    display_frame,
    geojson_layer,
    new_map,
    period_text,
    save,
)
from ._layers import (
    build_cluster_layer,
    build_incident_layer,
    build_kde_layer,
    gap_text,
    gi_bins,
    gi_layer,
    gi_legend,
    internal_reason,
    minutes_values,
    service_names,
    service_tip,
    service_types,
    straight_line,
    straight_line_caveat,
    suppression_note,
    tasking_places,
)
from ._mapstyle import (
    GI_COLOURS,
    GI_LABELS,
    TASKING_CSS,
    esc,
    humanise,
    is_missing,
    legend_html,
    ramp_legend_html,
    service_colour,
    tip_html,
)
from ._mapstyle import rows as _rows
from ._validate import require_columns, require_geodataframe

if TYPE_CHECKING:
    import folium
    import geopandas as gpd
    import pandas as pd

__all__ = ["GI_COLOURS", "GI_LABELS", "hotspot_map", "provision_map", "reach_map", "tasking_map"]

_TIME_COLOURS = ("#ffffcc", "#c7e9b4", "#7fcdbb", "#41b6c4", "#2c7fb8", "#253494")
_ISO_COLOURS = ("#00441b", "#1b7837", "#5aae61", "#a6dba0", "#d9f0d3", "#f7fcf5")
_UNREACHABLE = "#6b6b6b"


def hotspot_map(
    cells: gpd.GeoDataFrame,
    *,
    title: str | None = None,
    kde: gpd.GeoDataFrame | None = None,
    clusters: gpd.GeoDataFrame | None = None,
    incidents: gpd.GeoDataFrame | None = None,
    show_points: bool = False,
    path: str | Path | None = None,
    suppress_below: int = 5,
    tiles: str | None = DEFAULT_TILES,
    offline: bool = False,
    area: gpd.GeoDataFrame | None = None,
    wards: gpd.GeoDataFrame | None = None,
    internal: bool = False,
) -> folium.Map:
    """Map Gi* hot and cold spots, with optional density, cluster and incident layers.

    Parameters
    ----------
    cells : GeoDataFrame
        Gi* cells (polygons, any CRS) with ``gi_bin`` and ideally ``count``, ``gi_z``,
        ``gi_p_sim``, ``gi_label``, ``cell_id``, ``place``.
    title : str, optional
        Heading shown on the map (escaped).
    kde : GeoDataFrame, optional
        Density cells with ``density`` (per km²), shown as a hidden layer with its legend.
    clusters : GeoDataFrame, optional
        Cluster hulls with ``cluster``, ``count``, ``top_crime_types``, ``first_month``,
        ``last_month``.
    incidents : GeoDataFrame, optional
        Incident points; drawn only when ``show_points=True``.
    show_points : bool, default False
        Draw raw incident points (not safe to publish in most cases).
    path : str or Path, optional
        Also save the map as a standalone HTML file.
    suppress_below : int, default 5
        Counts under this are shown as ``"<5"``.
    tiles : str or None, default "CartoDB positron"
        Basemap; ``None`` for none, another Folium tile name or URL template otherwise.
    offline : bool, default False
        Write Leaflet into the page (about 250 kB) so it opens with no network; the
        command line always does.
    area : GeoDataFrame, optional
        Study-area polygon(s), drawn as an outline.
    wards : GeoDataFrame, optional
        Ward (or other named area) polygons, drawn as boundaries with their names
        (column ``name`` or an ONS ``..NM`` column), e.g. from
        ``load_boundary(..., level="ward")``. With the area outline and the OS grid they
        orient a reader when basemap tiles cannot load.
    internal : bool, default False
        An unsuppressed map for use inside the force: counts and crime mixes are shown
        exactly, and the page says "INTERNAL – NOT FOR PUBLICATION". Drawing incident
        points (``show_points=True``) marks the page the same way.

    Returns
    -------
    folium.Map

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> cells = gpd.GeoDataFrame(
    ...     {"cell_id": ["a", "b"], "count": [3, 12], "gi_z": [0.1, 2.8], "gi_bin": [0, 3]},
    ...     geometry=[box(575000, 168000, 575250, 168250), box(575250, 168000, 575500, 168250)],
    ...     crs=27700,
    ... )
    >>> m = hotspot_map(cells, title="Chatham", tiles=None)
    >>> "<5" in m.get_root().render(), "&lt;5" in m.get_root().render()
    (False, True)
    """
    cells = require_geodataframe(cells, "cells")
    suppress_below = 0 if internal else suppress_below
    frame = display_frame(cells, "cells")
    frames = [frame]
    legends = [gi_legend()]
    layers: list[Any] = []
    notes = [suppression_note(suppress_below)]
    if kde is not None:
        kde_layer, kde_legend, kde_frame = build_kde_layer(kde)
        layers.append(kde_layer)
        legends.append(kde_legend)
        frames.append(kde_frame)
    layers.append(gi_layer(frame, suppress_below, "Hot and cold spots (Gi*)"))
    if clusters is not None:
        cluster_layer, cluster_frame = build_cluster_layer(clusters, suppress_below)
        layers.append(cluster_layer)
        frames.append(cluster_frame)
        legends.append(
            legend_html("Clusters", [("transparent", "Cluster area: grid cells it covers")])
        )
    if incidents is not None and show_points:
        point_layer, _ = build_incident_layer(incidents)
        layers.append(point_layer)
    else:
        notes.append("Incident points are not shown.")
    m: folium.Map = new_map(frames, tiles=tiles, offline=offline, area=area, wards=wards)
    for layer in layers:
        layer.add_to(m)
    add_page(
        m,
        internal=internal_reason(internal, incidents is not None and show_points),
        title=title or "Hot spots (Getis-Ord Gi*)",
        period=period_text(cells, incidents, kde, clusters),
        layers=[
            ("Hot spots", cells),
            ("Density", kde),
            ("Clusters", clusters),
            ("Incidents", incidents),
        ],
        legends=legends,
        notes=notes,
    )
    save(m, path)
    return m


def tasking_map(
    cells: gpd.GeoDataFrame,
    *,
    top_n: int = 10,
    incidents: gpd.GeoDataFrame | None = None,
    title: str | None = None,
    path: str | Path | None = None,
    suppress_below: int = 5,
    tiles: str | None = DEFAULT_TILES,
    offline: bool = False,
    area: gpd.GeoDataFrame | None = None,
    wards: gpd.GeoDataFrame | None = None,
    internal: bool = False,
) -> folium.Map:
    """A printable tasking map: the top ``top_n`` places, numbered, with a table beside.

    The places come from :func:`hotspots.tasking_list`: adjacent significant hot cells
    (95 %+) merged into areas, and busy cells outside them labelled as concentrations,
    ranked by incidents; a cell without incidents is never numbered. Without Gi* columns
    the busiest cells are listed. The table lists rank, place (the ``place`` column, else
    the commonest police.uk ``location`` of the ``incidents`` in the place's busiest
    cells, the Ordnance Survey grid reference and the cell id), incidents (suppressed
    under ``suppress_below``), crime mix (from ``incidents``, or ``count_<type>``
    columns) and confidence. Printing lays out map and table on one A4 landscape page.

    Parameters
    ----------
    cells : GeoDataFrame
        Cells with ``count`` and, ideally, Gi* columns (from :func:`hotspots.gi_star`),
        in a projected CRS.
    top_n : int, default 10
        How many places to number.
    incidents : GeoDataFrame, optional
        Incident points (same CRS as ``cells``) used for the crime mix, the months and,
        through their ``location`` ("On or near ..."), the place names; never drawn.
    title, path, suppress_below, tiles, offline, area, wards, internal
        As in :func:`hotspot_map`.

    Returns
    -------
    folium.Map

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> cells = gpd.GeoDataFrame(
    ...     {"count": [3, 12, 7]},
    ...     geometry=[box(575000 + 250 * i, 168000, 575250 + 250 * i, 168250) for i in range(3)],
    ...     crs=27700,
    ... )
    >>> m = tasking_map(cells, top_n=2, tiles=None)
    >>> "TQ 7537 6812" in m.get_root().render()  # grid reference of the top cell
    True
    """
    import folium

    suppress_below = 0 if internal else suppress_below
    frame, top, table, rule = tasking_places(
        cells, top_n=top_n, incidents=incidents, suppress_below=suppress_below
    )
    columns = set(frame.columns)
    # open on the numbered hot spots (a reader tasks from these), not the whole area
    m: folium.Map = new_map(
        [top if len(top) else frame],
        tiles=tiles,
        width="62%",
        offline=offline,
        area=area,
        wards=wards,
    )
    hot = frame
    if "gi_bin" in columns:
        all_bins = gi_bins(frame)
        hot = frame.loc[all_bins != 0]
        if len(hot):
            gi_layer(hot, suppress_below, "Significant hot and cold spots").add_to(m)
    numbers = folium.FeatureGroup(name=f"Top {len(top)} places (numbered)")
    rows_html = []
    for (_, row), entry in zip(_rows(top), table.itertuples(), strict=True):
        rank, place = entry.rank, entry.place
        rows_html.append(
            f"<tr><td>{rank}</td><td>{esc(place)}</td><td>{esc(entry.incidents)}</td>"
            f"<td>{esc(entry.crime_mix)}</td><td>{esc(entry.confidence)}</td></tr>"
        )
        folium.GeoJson(
            row.geometry.__geo_interface__,
            style_function=lambda f: {"color": "#000000", "weight": 2.5, "fillOpacity": 0},
        ).add_to(numbers)
        # the number goes on the place's busiest cell
        point = frame.loc[row.name].geometry.representative_point()
        folium.Marker(
            [point.y, point.x],
            icon=folium.DivIcon(
                html=f'<div class="hs-num">{rank}</div>', icon_size=(22, 22), icon_anchor=(11, 11)
            ),
            tooltip=folium.Tooltip(f"{rank}. {esc(place)}"),
        ).add_to(numbers)
    numbers.add_to(m)
    body = "".join(rows_html) or '<tr><td colspan="5">No significant hot spots.</td></tr>'
    panel = (
        f'<div class="hs-panel" id="hs-table"><h2>{esc(title or "Tasking: top hot spots")}</h2>'
        f"<p>{esc(rule)} {esc(suppression_note(suppress_below))}</p>"
        "<table><thead><tr><th>#</th><th>Place</th><th>Incidents</th><th>Crime mix</th>"
        f"<th>Confidence</th></tr></thead><tbody>{body}</tbody></table></div>"
    )
    add_page(
        m,
        title=title or "Tasking: top hot spots",
        period=period_text(cells, incidents),
        layers=[("Hot spots", cells), ("Incidents", incidents)],
        legends=[gi_legend()] if "gi_bin" in columns else [],
        internal=internal_reason(internal, False),
        notes=[suppression_note(suppress_below), "Incident points are not shown."],
        extra_html=panel,
        extra_css=TASKING_CSS,
    )
    save(m, path)
    return m


def reach_map(
    isochrones: gpd.GeoDataFrame | None = None,
    targets: gpd.GeoDataFrame | None = None,
    services: gpd.GeoDataFrame | None = None,
    *,
    gaps: gpd.GeoDataFrame | None = None,
    minutes: float = 15,
    title: str | None = None,
    path: str | Path | None = None,
    tiles: str | None = DEFAULT_TILES,
    offline: bool = False,
    area: gpd.GeoDataFrame | None = None,
    wards: gpd.GeoDataFrame | None = None,
) -> folium.Map:
    """Map who can reach a service: isochrone rings, travel time per place, gaps, services.

    Parameters
    ----------
    isochrones : GeoDataFrame, optional
        Polygons with ``minutes`` (and ``service``, ``service_type``); larger rings are
        drawn beneath smaller ones.
    targets : GeoDataFrame, optional
        Places (polygons or points) with ``minutes`` to the ``nearest_service`` and
        ``method`` (``"network"`` or ``"straight-line"``).
    services : GeoDataFrame, optional
        Service points with ``name`` (and provision columns).
    gaps : GeoDataFrame, optional
        Places beyond the threshold; by default the ``targets`` over ``minutes`` or
        unreachable.
    minutes : float, default 15
        The threshold that defines a gap.
    title, path, tiles, offline, area, wards
        As in :func:`hotspot_map`.

    Returns
    -------
    folium.Map

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import Point
    >>> t = gpd.GeoDataFrame({"minutes": [4.0, 22.0], "nearest_service": ["A", "A"],
    ...     "method": ["straight-line"] * 2},
    ...     geometry=[Point(575000, 168000), Point(577000, 168000)], crs=27700)
    >>> html = reach_map(targets=t, tiles=None).get_root().render()
    >>> "not street-network times" in html
    True
    """
    if isochrones is None and targets is None and services is None:
        raise DataError("reach_map needs at least one of isochrones, targets or services.")
    frames: list[Any] = []
    legends: list[str] = []
    layers: list[Any] = []
    if isochrones is not None:
        iso = display_frame(isochrones, "isochrones", simplify_m=5.0)
        mins = minutes_values(iso, "isochrones")
        if np.isnan(mins).any():
            raise DataError("isochrones column 'minutes' has missing values.")
        levels = sorted(set(mins.tolist()))
        palette = {lvl: _ISO_COLOURS[min(i, len(_ISO_COLOURS) - 1)] for i, lvl in enumerate(levels)}
        order = np.argsort(-mins, kind="stable")
        iso = iso.iloc[order]
        cols = set(iso.columns)
        tips = [
            tip_html(
                str(r["service"])
                if "service" in cols and not is_missing(r["service"])
                else "Service",
                [("Within", f"{float(r['minutes']):g} minutes")]
                + ([("Type", humanise(str(r["service_type"])))] if "service_type" in cols else []),
            )
            for _, r in _rows(iso)
        ]
        layers.append(
            geojson_layer(
                iso,
                tips,
                [palette[float(v)] for v in iso["minutes"]],
                name="Isochrones",
                style=lambda c: {"fillColor": c, "fillOpacity": 0.3, "color": c, "weight": 1},
            )
        )
        legends.append(
            legend_html("Reachable within", [(palette[v], f"{v:g} minutes") for v in levels])
        )
        frames.append(iso)
    if targets is not None:
        tgt = display_frame(targets, "targets")
        mins = minutes_values(tgt, "targets")
        step = minutes / 3
        breaks = [0, step, 2 * step, minutes, minutes * 4 / 3, minutes * 2, np.inf]
        idx = np.clip(np.searchsorted(breaks, mins, side="right") - 1, 0, 5)
        fills = [
            _UNREACHABLE if not np.isfinite(v) else _TIME_COLOURS[i]
            for v, i in zip(mins, idx, strict=True)
        ]
        cols = set(tgt.columns)
        names = service_names(tgt, services)
        tips = []
        for (_, r), v in zip(_rows(tgt), mins, strict=True):
            rows = [("Travel time", f"{v:.1f} minutes" if np.isfinite(v) else "not reachable")]
            if "nearest_service" in cols and not is_missing(r["nearest_service"]):
                rows.append(("Nearest service", names.get(r["nearest_service"], "not named")))
            if "method" in cols:
                rows.append(("Method", str(r["method"])))
            title_t = str(r["place"]) if "place" in cols and not is_missing(r["place"]) else None
            tips.append(tip_html(title_t, rows))
        points = bool((tgt.geometry.geom_type == "Point").all())
        layers.append(
            geojson_layer(
                tgt,
                tips,
                fills,
                name="Travel time (minutes)",
                point_radius=5 if points else None,
                style=lambda c: {
                    "fillColor": c,
                    "fillOpacity": 0.7,
                    "color": "#777777",
                    "weight": 0.4,
                },
            )
        )
        legend = ramp_legend_html(
            "Travel time to the nearest service shown",
            list(_TIME_COLOURS),
            breaks,
            unit="min",
            decimals=0,
        )
        legends.append(legend)
        legends.append(legend_html("", [(_UNREACHABLE, "Not reachable")]))
        frames.append(tgt)
        if gaps is None:
            gaps = targets.loc[~(minutes_values(targets, "targets") <= minutes)]
    if gaps is not None and len(gaps):
        gap = display_frame(gaps, "gaps")
        points = bool((gap.geometry.geom_type == "Point").all())
        gap_label = gap_text(gaps, minutes)
        tips = [tip_html(gap_label, []) for _ in range(len(gap))]
        layers.append(
            geojson_layer(
                gap,
                tips,
                ["#e31a1c"] * len(gap),
                name="Gaps",
                point_radius=8 if points else None,
                popup=False,
                style=lambda c: {"color": c, "weight": 2.5, "fillOpacity": 0, "dashArray": "4 3"},
            )
        )
        legends.append(legend_html("", [("#e31a1c", gap_label)]))
    if services is not None:
        svc = display_frame(services, "services")
        cols = set(svc.columns)
        seen: dict[str, str] = {}
        types = service_types(svc)
        colours = [service_colour(t, seen) for t in types]
        layers.append(
            geojson_layer(
                svc,
                [service_tip(r, cols) for _, r in _rows(svc)],
                colours,
                name="Services",
                point_radius=7,
                style=lambda c: {"fillColor": c, "fillOpacity": 1, "color": "#ffffff", "weight": 2},
            )
        )
        if "service_type" in cols:
            items = [(service_colour(t, seen), humanise(t)) for t in sorted(types.unique())]
            legends.append(legend_html("Services by type", items))
        else:
            legends.append(legend_html("", [(colours[0], "Service")]))
        frames.append(svc)
    caveat = (
        straight_line_caveat(targets, isochrones, gaps)
        if straight_line(isochrones, targets, gaps)
        else None
    )
    m: folium.Map = new_map(
        frames or [display_frame(gaps, "gaps")],
        tiles=tiles,
        offline=offline,
        area=area,
        wards=wards,
    )
    for layer in layers:
        layer.add_to(m)
    add_page(
        m,
        title=title or "Travel time to services",
        period=period_text(targets, isochrones, services),
        layers=[
            ("Travel time", targets),
            ("Isochrones", isochrones),
            ("Services", services),
            ("Gaps", gaps),
        ],
        legends=legends,
        notes=[caveat + "."] if caveat else [],
        caveat=caveat,
    )
    save(m, path)
    return m


def provision_map(
    provision: gpd.GeoDataFrame,
    hotspots: gpd.GeoDataFrame | None = None,
    *,
    title: str | None = None,
    path: str | Path | None = None,
    tiles: str | None = DEFAULT_TILES,
    offline: bool = False,
    area: gpd.GeoDataFrame | None = None,
    wards: gpd.GeoDataFrame | None = None,
    gaps: gpd.GeoDataFrame | None = None,
    test: pd.DataFrame | None = None,
) -> folium.Map:
    """Map services by type (one colour and layer per ``service_type``) over hot spots.

    Parameters
    ----------
    provision : GeoDataFrame
        Service points with ``name``, ``service_type``, ``provider``, ``target_age_min``,
        ``target_age_max``, ``funder``.
    hotspots : GeoDataFrame, optional
        Gi* cells; significant hot and cold spots are drawn beneath the services.
    title, path, tiles, offline, area, wards
        As in :func:`hotspot_map`.
    gaps : GeoDataFrame, optional
        Hot spots without provision (:func:`hotspots.hotspot_gaps`), outlined, with
        their place and minutes to the nearest suitable service.
    test : DataFrame, optional
        The ``summary`` of :func:`hotspots.provision_in_hotspots`: the legend then
        states, per service type, the share in hot spots against the hot share and the
        permutation test's p-value.

    Returns
    -------
    folium.Map

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import Point
    >>> p = gpd.GeoDataFrame({"name": ["<b>Club</b>"], "service_type": ["community_sport"]},
    ...     geometry=[Point(575000, 168000)], crs=27700)
    >>> html = provision_map(p, tiles=None).get_root().render()
    >>> "<b>Club</b>" in html, "&lt;b&gt;Club&lt;/b&gt;" in html.replace(chr(92) + "u0026", "&")
    (False, True)
    """
    import folium

    prov = display_frame(provision, "provision")
    require_columns(prov, ["name", "service_type"], "provision")
    frames = [prov]
    m_layers: list[Any] = []
    legends: list[str] = []
    if hotspots is not None:
        hs = display_frame(hotspots, "hotspots")
        bins = gi_bins(hs, "hotspots")
        sig = hs.loc[bins != 0]
        frames.append(hs)
        if len(sig):
            m_layers.append(gi_layer(sig, 5, "Hot and cold spots (Gi*)", name="hotspots"))
        legends.append(gi_legend())
    cols = set(prov.columns)
    seen: dict[str, str] = {}
    types = service_types(prov)
    items = []
    for stype in sorted(types.unique()):
        part = prov.loc[(types == stype).to_numpy()]
        colour = service_colour(stype, seen)
        group = folium.FeatureGroup(name=esc(f"{humanise(stype)} ({len(part)})"))
        geojson_layer(
            part,
            [service_tip(r, cols) for _, r in _rows(part)],
            [colour] * len(part),
            name=esc(humanise(stype)),
            point_radius=7,
            style=lambda c: {"fillColor": c, "fillOpacity": 0.95, "color": "#ffffff", "weight": 2},
        ).add_to(group)
        m_layers.append(group)
        items.append((colour, humanise(stype)))
    legends.insert(0, legend_html("Services by type", items))
    if gaps is not None and len(gaps):
        m_layers.append(_provision_gap_layer(gaps))
        legends.append(legend_html("", [("#e31a1c", "Hot spot without provision in reach")]))
    if test is not None:
        legends.append(_provision_test_legend(test))
    m: folium.Map = new_map(frames, tiles=tiles, offline=offline, area=area, wards=wards)
    for layer in m_layers:
        layer.add_to(m)
    add_page(
        m,
        title=title or "Provision and hot spots",
        period=period_text(hotspots, provision),
        layers=[("Hot spots", hotspots), ("Provision", provision)],
        legends=legends,
    )
    save(m, path)
    return m


def _provision_gap_layer(gaps: Any) -> Any:
    """Outlined gap cells; the tooltip names the place and the minutes to a service."""
    gap = display_frame(gaps, "gaps")
    rows = []
    for _, r in _rows(gap):
        minutes = r.get("minutes_to_service")
        reach = (
            "none suitable"
            if is_missing(minutes) or minutes == float("inf")
            else (f"{float(minutes):.0f} min to {r.get('nearest_service')}")
        )
        rows.append(tip_html(f"Gap: {r.get('place', '')}", [("Nearest service", reach)]))
    return geojson_layer(
        gap,
        rows,
        ["#e31a1c"] * len(gap),
        name=f"Hot spots without provision ({len(gap)})",
        popup=False,
        style=lambda c: {"color": c, "weight": 2.5, "fillOpacity": 0, "dashArray": "4 3"},
    )


def _provision_test_legend(summary: Any) -> str:
    """One line per service type: share in hot spots, hot share and p-value."""
    lines = []
    for _, r in _rows(summary):
        lines.append(
            f"{humanise(str(r['service_type']))}: {int(r['n_in_hotspots'])} of "
            f"{int(r['n_services'])} in hot spots ({r['share_in_hotspots']:.0%}; "
            f"hot area {r['hot_share']:.0%}), p = {r['p_value']:.3f}"
        )
    return legend_html(
        "Are services in the hot spots more than chance? (permutation test)",
        [],
        note=" | ".join(lines),
    )
