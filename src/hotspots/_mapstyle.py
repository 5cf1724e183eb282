"""Colours, safe text and HTML snippets shared by the maps in :mod:`hotspots.maps`.

Every string that comes from data passes through :func:`esc` before it reaches the page.
It escapes ``& < > " '`` like :func:`html.escape`, and also the backtick, ``$`` and the
backslash, because Folium writes some HTML into JavaScript template literals where
those characters would otherwise end the literal or start an ``${...}`` expression.
"""

from __future__ import annotations

import html
import math
from collections.abc import Hashable, Iterable, Iterator, Mapping, Sequence
from typing import Any

import numpy as np

from ._fdr import BIN_LABELS

__all__ = [
    "GI_COLOURS",
    "GI_LABELS",
    "SERVICE_COLOURS",
    "count_text",
    "esc",
    "grid_reference",
    "legend_html",
    "ramp_legend_html",
]

#: ArcGIS Hot Spot Analysis renderer colours by ``gi_bin`` (Gi_Bin): hot spots in reds,
#: cold spots in blues, not significant in a pale neutral.
GI_COLOURS: dict[int, str] = {
    3: "#d62f27",
    2: "#ed7551",
    1: "#fab984",
    0: "#f7f7f2",
    -1: "#c0ccbe",
    -2: "#849eba",
    -3: "#4575b5",
}

#: ArcGIS legend wording for each ``gi_bin`` (the labels the statistics write).
GI_LABELS: dict[int, str] = BIN_LABELS

#: One colour per provision ``service_type`` (colour-blind-safe Okabe–Ito order).
SERVICE_COLOURS: dict[str, str] = {
    "community_sport": "#009e73",
    "youth_service": "#0072b2",
    "substance_misuse": "#d55e00",
    "ae_reachable_moments": "#cc79a7",
    "mentoring": "#e69f00",
    "family_support": "#56b4e9",
    "school_programme": "#6a3d9a",
    "other": "#555555",
}
_EXTRA_COLOURS = ("#8c510a", "#01665e", "#b2182b", "#2166ac", "#762a83", "#1b7837")

_JS_UNSAFE = {"`": "&#96;", "$": "&#36;", "\\": "&#92;", "{": "&#123;", "}": "&#125;"}


def rows(frame: Any) -> Iterator[tuple[Hashable, Any]]:
    """``frame.iterrows()`` without copying the frame's ``attrs`` (its provenance) into
    every row, which pandas does for each row and which costs more than the row."""
    bare = frame.copy(deep=False)
    bare.attrs = {}
    return bare.iterrows()  # type: ignore[no-any-return]


def esc(value: Any) -> str:
    """Return ``value`` as text that displays literally inside HTML.

    Examples
    --------
    >>> esc("<b>`${x}`</b>")
    '&lt;b&gt;&#96;&#36;&#123;x&#125;&#96;&lt;/b&gt;'
    """
    text = html.escape("" if value is None else str(value), quote=True)
    return "".join(_JS_UNSAFE.get(ch, ch) for ch in text)


def is_missing(value: Any) -> bool:
    """True for None and NaN (including pandas' missing values)."""
    if value is None:
        return True
    try:
        return bool(value != value)  # NaN, pd.NA-safe enough for scalars
    except (TypeError, ValueError):
        return True


def count_text(value: Any, suppress_below: int) -> str:
    """Format a count for publication, showing values under ``suppress_below`` as ``"<N"``.

    Examples
    --------
    >>> count_text(3, 5), count_text(12.0, 5), count_text(0, 5), count_text(None, 5)
    ('<5', '12', '<5', 'no data')
    """
    if is_missing(value):
        return "no data"
    number = float(value)
    if suppress_below > 0 and number < suppress_below:
        return f"<{suppress_below}"
    return f"{number:,.0f}"


def service_colour(service_type: str, seen: dict[str, str]) -> str:
    """A stable colour for a service type; unknown types get the next spare colour."""
    if service_type in SERVICE_COLOURS:
        return SERVICE_COLOURS[service_type]
    if service_type not in seen:
        seen[service_type] = _EXTRA_COLOURS[len(seen) % len(_EXTRA_COLOURS)]
    return seen[service_type]


def humanise(slug: str) -> str:
    """``"community_sport"`` -> ``"Community sport"``; ``"ae_reachable_moments"`` keeps A&E."""
    if slug == "ae_reachable_moments":
        return "A&E reachable moments"
    text = str(slug).replace("_", " ").replace("-", " ").strip()
    return text[:1].upper() + text[1:]


def tip_html(title: str | None, rows: Sequence[tuple[str, str]]) -> str:
    """Compact tooltip/popup HTML (bold title, one ``key: value`` line per row), escaped.

    Examples
    --------
    >>> tip_html("<Hot>", [("Incidents", "<5")])
    '<b>&lt;Hot&gt;</b><br>Incidents: &lt;5'
    """
    head = f"<b>{esc(title)}</b>" if title else ""
    lines = [f"{esc(k)}: {esc(v)}" for k, v in rows]
    return "<br>".join([head, *lines] if head else lines)


def legend_html(title: str, items: Iterable[tuple[str, str]], *, note: str | None = None) -> str:
    """A categorical legend block: swatch colour and label per item."""
    rows = "".join(
        f'<div class="hs-row"><span class="hs-swatch" style="background:{esc(colour)}"></span>'
        f"{esc(label)}</div>"
        for colour, label in items
    )
    extra = f'<div class="hs-note">{esc(note)}</div>' if note else ""
    return f'<div class="hs-legend-block"><div class="hs-legend-title">{esc(title)}</div>{rows}{extra}</div>'


def ramp_legend_html(
    title: str, colours: Sequence[str], breaks: Sequence[float], *, unit: str, decimals: int = 1
) -> str:
    """A legend for classed continuous values: one row per class ``[lo, hi)``."""
    items = []
    for i, colour in enumerate(colours):
        lo, hi = breaks[i], breaks[i + 1]
        if math.isinf(hi):
            label = f"{lo:,.{decimals}f} or more {unit}"
        else:
            label = f"{lo:,.{decimals}f} – {hi:,.{decimals}f} {unit}"
        items.append((colour, label))
    return legend_html(title, items)


_LETTERS = "ABCDEFGHJKLMNOPQRSTUVWXYZ"  # the grid alphabet has no I


def grid_reference(x: float, y: float, *, digits: int = 8) -> str:
    """Ordnance Survey grid reference of a British National Grid point.

    Examples
    --------
    >>> grid_reference(575_600, 168_700)  # Chatham
    'TQ 7560 6870'
    >>> grid_reference(216_600, 771_200)  # Ben Nevis
    'NN 1660 7120'
    """
    if not (0 <= x < 700_000 and 0 <= y < 1_300_000):
        return f"{x:.0f}, {y:.0f}"
    e100, n100 = int(x // 100_000), int(y // 100_000)
    # first letter: 500 km squares, offset so that SV is the origin
    l1 = (19 - n100) - (19 - n100) % 5 + (e100 + 10) // 5
    l2 = ((19 - n100) * 5) % 25 + e100 % 5
    half = digits // 2
    scale = 10 ** (5 - half)
    e = int(x % 100_000) // scale
    n = int(y % 100_000) // scale
    return f"{_LETTERS[l1]}{_LETTERS[l2]} {e:0{half}d} {n:0{half}d}"


def _short(value: Any) -> str:
    """A parameter value as a person would write it: floats to 4 significant figures."""
    if isinstance(value, bool) or value is None:
        return str(value)
    if isinstance(value, float | np.floating):
        return f"{float(value):.4g}"
    if isinstance(value, list | tuple):
        return "(" + ", ".join(_short(v) for v in value) + ")"
    return str(value)


def describe_parameters(parameters: Mapping[str, Any], *, limit: int = 12) -> str:
    """``k=v, k=v`` for the provenance box (values shortened, not escaped)."""
    items = []
    for key, value in list(parameters.items())[:limit]:
        text = _short(value)
        if len(text) > 60:
            text = text[:57] + "..."
        items.append(f"{key}={text}")
    if len(parameters) > limit:
        items.append(f"... ({len(parameters) - limit} more)")
    return ", ".join(items)


#: Page CSS: boxes over the map, legends, tooltips, and the print layout.
PAGE_CSS = """
<style>
.hs-box{background:rgba(255,255,255,.94);border:1px solid #999;border-radius:4px;
  padding:6px 9px;font:12px/1.35 Arial,Helvetica,sans-serif;color:#222;
  box-shadow:0 1px 4px rgba(0,0,0,.25);max-width:340px}
.hs-title{position:absolute;top:10px;left:54px;z-index:1000;max-width:calc(100% - 290px)}
.hs-title h1{font-size:17px;margin:0 0 2px 0;line-height:1.2}
.hs-title .hs-sub{font-size:12px;color:#444}
.hs-legend{position:absolute;bottom:24px;right:10px;z-index:1000;max-height:70%;overflow:auto}
.hs-legend-block+.hs-legend-block{margin-top:6px;border-top:1px solid #ddd;padding-top:4px}
.hs-legend-title{font-weight:bold;margin-bottom:2px}
.hs-row{display:flex;align-items:center;margin:1px 0}
.hs-swatch{display:inline-block;width:16px;height:12px;border:1px solid #777;margin-right:6px;flex:none}
.hs-note{color:#555;font-size:11px;margin-top:2px;max-width:260px}
.hs-prov{position:absolute;bottom:56px;left:10px;z-index:1000;max-width:380px;font-size:11px}
.hs-prov summary{cursor:pointer;font-weight:bold}
.hs-prov div{margin-top:2px}
.hs-caveat{position:absolute;top:74px;left:54px;z-index:1000;background:#fff3cd;
  border-color:#c69500;max-width:360px;font-weight:bold}
.leaflet-control-layers{font:13px/1.4 Arial,Helvetica,sans-serif}
table.hs-tip{border-collapse:collapse;font-size:12px}
table.hs-tip th{text-align:left;padding:0 6px 0 0;color:#555;font-weight:normal}
table.hs-tip td{padding:0}
.hs-num{background:#222;color:#fff;border:2px solid #fff;border-radius:50%;width:22px;height:22px;
  line-height:20px;text-align:center;font:bold 12px Arial,sans-serif;box-shadow:0 0 3px #000;
  box-sizing:border-box}
.hs-panel{position:absolute;top:0;right:0;width:38%;height:100%;overflow:auto;box-sizing:border-box;
  padding:10px 12px;font:12px/1.35 Arial,Helvetica,sans-serif;background:#fff;border-left:1px solid #bbb}
.hs-panel h2{font-size:15px;margin:0 0 6px 0}
.hs-panel table{border-collapse:collapse;width:100%}
.hs-panel th,.hs-panel td{border:1px solid #ccc;padding:3px 4px;vertical-align:top;text-align:left}
.hs-panel th{background:#eee}
.hs-internal{margin-top:4px;padding:3px 5px;background:#b00020;color:#fff;font-weight:bold}
.hs-nobasemap{display:none;margin-top:3px;color:#555;font-size:11px}
.hs-legend summary,.hs-prov summary{cursor:pointer;font-weight:bold}
.hs-ward-label{white-space:nowrap;transform:translate(-50%,-50%);display:inline-block;
  font:italic 11px Arial,sans-serif;color:#333;text-shadow:0 0 2px #fff,0 0 2px #fff,0 0 3px #fff}
.hs-grid-label{white-space:nowrap;font:10px Arial,sans-serif;color:#3366aa;
  text-shadow:0 0 2px #fff,0 0 2px #fff}
.hs-north{background:#fff;border:2px solid rgba(0,0,0,.2);border-radius:4px;width:30px;
  text-align:center;font:bold 12px/1.1 Arial,sans-serif;padding:2px 0}
.hs-north span{display:block;font-size:13px}
body.hs-printing .folium-map{width:281mm !important;height:190mm !important}
@media print{
  @page{size:A4 landscape;margin:8mm}
  html,body{width:281mm;height:190mm;margin:0}
  .folium-map{width:281mm !important;height:190mm !important}
  .leaflet-control-layers,.leaflet-control-zoom{display:none}
  .hs-box{box-shadow:none}
  .hs-box details::details-content{content-visibility:visible;display:contents}
}
</style>
"""


#: Extra CSS of the tasking map: legend beside the table panel; on paper the map takes
#: 60 % of an A4 landscape page and the table the rest, both at full page height.
TASKING_CSS = """<style>
.hs-title{max-width:calc(62% - 240px)} .hs-prov{max-width:300px}
.hs-legend{right:calc(38% + 10px)}
body.hs-printing .folium-map{width:168mm !important;height:190mm !important}
body.hs-printing .hs-panel{width:113mm;left:168mm;right:auto}
body.hs-printing .hs-legend{right:calc(113mm + 10px)}
@media print{
  .folium-map{width:168mm !important;height:190mm !important}
  .hs-panel{width:113mm;left:168mm;right:auto;height:190mm;font-size:9.5px;overflow:visible}
  .hs-legend{font-size:9px;right:calc(113mm + 10px)} .hs-prov{font-size:8.5px}
  .hs-title{max-width:100mm}
}
</style>"""
