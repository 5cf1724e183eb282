"""Choropleth maps of areas: rates per 1,000 residents, IMD deciles, emerging categories.

:func:`rate_map` draws one column of LSOAs, wards or grid cells on a Folium map with a
legend that states the unit, the same page furniture as the other maps (title, period,
method and data sources, disclosure note) and safe, escaped tooltips. Counts under
``suppress_below`` are shown as ``"<5"``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ._errors import DataError
from ._html import DEFAULT_TILES, add_page, display_frame, geojson_layer, new_map, period_text, save
from ._mapstyle import count_text, is_missing, legend_html, ramp_legend_html, tip_html
from ._provenance import get_provenance
from ._validate import require_columns, require_geodataframe

if TYPE_CHECKING:
    import folium
    import geopandas as gpd

__all__ = ["rate_map"]

_RATE_COLOURS = ("#fef0d9", "#fdcc8a", "#fc8d59", "#e34a33", "#b30000")
# IMD deciles: 1 (most deprived 10 %) dark red ... 10 (least deprived) dark blue
_DECILE_COLOURS = ("#67001f", "#b2182b", "#d6604d", "#f4a582", "#fddbc7",
                   "#d1e5f0", "#92c5de", "#4393c3", "#2166ac", "#053061")  # fmt: skip
_CATEGORY_COLOURS = {
    "hot": ("#67000d", "#a50f15", "#cb181d", "#ef3b2c", "#fb6a4a", "#fc9272", "#fcbba1", "#fee0d2"),
    "cold": (
        "#08306b",
        "#08519c",
        "#2171b5",
        "#4292c6",
        "#6baed6",
        "#9ecae1",
        "#c6dbef",
        "#deebf7",
    ),
}
_ORDER = ("New", "Consecutive", "Intensifying", "Persistent", "Diminishing", "Sporadic",
          "Oscillating", "Historical")  # fmt: skip
_NONE = "#f0f0f0"


def _style(colour: str) -> dict[str, Any]:
    return {"fillColor": colour, "color": "#555555", "weight": 0.5, "fillOpacity": 0.75}


def _category_colour(label: str) -> str:
    kind = "hot" if label.endswith("hot spot") else "cold" if label.endswith("cold spot") else ""
    if not kind:
        return _NONE
    first = label.split()[0]
    i = _ORDER.index(first) if first in _ORDER else len(_ORDER) - 1
    return _CATEGORY_COLOURS[kind][i]


def _periods_parameter(gdf: Any) -> str | None:
    """``"2022-01 to 2023-01"`` from a ``periods`` parameter (emerging hot spots)."""
    params = get_provenance(gdf).get("parameters") or {}
    periods = params.get("periods") if isinstance(params, dict) else None
    if isinstance(periods, list | tuple) and len(periods) == 2:
        return f"{periods[0]} to {periods[1]}"
    return None


def _breaks(values: np.ndarray, k: int) -> np.ndarray:
    finite = values[np.isfinite(values)]
    if len(finite) == 0:
        return np.array([0.0, np.inf])
    qs = np.unique(np.quantile(finite, np.linspace(0, 1, k + 1)[1:-1]))
    return np.concatenate([[float(finite.min())], qs, [np.inf]])


def rate_map(
    areas: gpd.GeoDataFrame,
    column: str,
    *,
    kind: str = "rate",
    unit: str | None = None,
    title: str | None = None,
    name_column: str | None = None,
    count_column: str | None = None,
    classes: int = 5,
    suppress_below: int = 5,
    path: str | Path | None = None,
    tiles: str | None = DEFAULT_TILES,
) -> folium.Map:
    """A choropleth of ``column``: a rate, an IMD decile or an emerging hot spot category.

    Parameters
    ----------
    areas : GeoDataFrame
        Polygons in any CRS (LSOAs, wards, cells).
    column : str
        The value to colour by.
    kind : {"rate", "decile", "category"}
        ``"rate"``: quantile classes (``classes`` of them), legend in ``unit``; the
        columns ``<column>_lower``/``<column>_upper`` (from :func:`~hotspots.add_rates`)
        appear in tooltips as the interval. ``"decile"``: 1 (most deprived) to 10.
        ``"category"``: labels such as ``"New hot spot"`` (from
        :func:`~hotspots.emerging_hotspots`).
    unit : str, optional
        Legend unit, e.g. ``"crimes per 1,000 residents"``; required for rates.
    title, name_column, count_column : optional
        Heading; column naming each area (default ``name`` or ``code``); a count column
        shown in tooltips (counts under ``suppress_below`` as ``"<5"``).
    classes : int, default 5
    suppress_below : int, default 5
    path : str or Path, optional
        Also save as a standalone HTML file.
    tiles : str or None

    Returns
    -------
    folium.Map

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> g = gpd.GeoDataFrame({"name": ["A", "B"], "rate": [1.5, 9.0], "n": [3, 18]},
    ...     geometry=[box(575000, 168000, 575500, 168500), box(575500, 168000, 576000, 168500)],
    ...     crs=27700)
    >>> html = rate_map(g, "rate", unit="crimes per 1,000 residents", count_column="n",
    ...                 tiles=None).get_root().render()
    >>> "crimes per 1,000 residents" in html, "&lt;5" in html
    (True, True)
    """
    gdf = require_geodataframe(areas, "areas")
    require_columns(gdf, [column], "areas")
    if kind not in {"rate", "decile", "category"}:
        raise DataError(f"kind must be 'rate', 'decile' or 'category', got {kind!r}.")
    if kind == "rate" and not unit:
        raise DataError("a rate map needs unit=, e.g. unit='crimes per 1,000 residents'.")
    if int(classes) != classes or not 2 <= classes <= len(_RATE_COLOURS):
        raise DataError(
            f"classes must be a whole number from 2 to {len(_RATE_COLOURS)}, got {classes!r}."
        )
    label_col = name_column or next((c for c in ("name", "code") if c in gdf.columns), None)
    frame = display_frame(gdf, "areas")
    values = frame[column]
    if kind == "rate":
        num = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)
        breaks = _breaks(num, int(classes))
        colours = list(_RATE_COLOURS)[: len(breaks) - 1]
        breaks = breaks[: len(colours) + 1]
        idx = np.clip(np.searchsorted(breaks, num, side="right") - 1, 0, len(colours) - 1)
        fill = [
            c if np.isfinite(v) else _NONE for c, v in zip(np.array(colours)[idx], num, strict=True)
        ]
        legend = ramp_legend_html(title or column, colours, list(breaks), unit=str(unit))
        shown = [f"{v:,.1f} {unit}" if np.isfinite(v) else "no value" for v in num]
    elif kind == "decile":
        num = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)
        ok = np.isfinite(num)
        if bool((ok & ((num < 1) | (num > 10) | (num % 1 != 0))).any()):
            raise DataError(f"areas column {column!r} must hold deciles 1-10.")
        fill = [_DECILE_COLOURS[int(v) - 1] if np.isfinite(v) else _NONE for v in num]
        legend = legend_html(
            "IMD decile (national)",
            [
                (
                    c,
                    f"{i + 1}{' (most deprived 10%)' if i == 0 else ' (least deprived 10%)' if i == 9 else ''}",
                )
                for i, c in enumerate(_DECILE_COLOURS)
            ],
            note="Deciles of all LSOAs in England; 1 = most deprived.",
        )
        shown = [str(int(v)) if np.isfinite(v) else "no value" for v in num]
    else:
        labels = values.astype("string").fillna("No pattern detected").astype(str)
        fill = [_category_colour(v) for v in labels]

        def rank(v: str) -> tuple[int, int, str]:
            group = 0 if v.endswith("hot spot") else 1 if v.endswith("cold spot") else 2
            first = v.split()[0] if v else ""
            return group, _ORDER.index(first) if first in _ORDER else len(_ORDER), v

        present = sorted(set(labels), key=rank)
        legend = legend_html(
            title or "Emerging hot spot category",
            [(_category_colour(v), v) for v in present],
            note="Categories of areas (no unit): ArcGIS emerging hot spot rules.",
        )
        shown = list(labels)
    tips = []
    for i in range(len(frame)):
        row = frame.iloc[i]
        rows = [(column, shown[i])]
        lo, hi = f"{column}_lower", f"{column}_upper"
        has_ci = kind == "rate" and lo in frame.columns and hi in frame.columns
        if has_ci and not (is_missing(row[lo]) or is_missing(row[hi])):
            rows.append(("95% interval", f"{float(row[lo]):,.1f} – {float(row[hi]):,.1f}"))
        if count_column is not None and count_column in frame.columns:
            rows.append((count_column, count_text(row[count_column], suppress_below)))
        tips.append(tip_html(str(row[label_col]) if label_col else None, rows))
    layer = geojson_layer(frame, tips, fill, name=title or column, style=_style)
    m: folium.Map = new_map([frame], tiles=tiles)
    layer.add_to(m)
    add_page(
        m,
        title=title or column,
        period=period_text(gdf) or _periods_parameter(gdf),
        layers=[(title or column, gdf)],
        legends=[legend],
        notes=[f"Counts under {suppress_below} are shown as <{suppress_below}."],
    )
    save(m, path)
    return m
