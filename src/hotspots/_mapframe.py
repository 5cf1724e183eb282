"""What a map page needs to stand on its own: inline Leaflet, orientation without a
basemap, an opening view clear of the page's boxes, and an A4 landscape print.

* **Offline pages.** :func:`inline_assets` writes Leaflet 1.9.3 (JavaScript, CSS and its
  control images as ``data:`` URIs) and jQuery 3.7.1 (which Folium's popups use) into the
  page from the ``xstatic-leaflet`` and ``xstatic-jquery`` packages: the files of the
  upstream releases, installed with the library, so a saved page opens from a USB stick.
* **Orientation.** :func:`add_orientation` draws the study-area outline, ward (or area)
  boundaries with their names, and the Ordnance Survey National Grid (lines labelled in
  km, with the 100 km square letters) as layers; a north arrow sits under the zoom
  buttons. If basemap tiles fail to load, the tile layer is removed and the page says so.
* **Opening view.** :func:`add_fit` fits the data (or the numbered places) into the part
  of the map not covered by the title, legend, method box and Leaflet's controls,
  measured in the reader's browser, and fits again on resize and before printing.
"""

from __future__ import annotations

import base64
import functools
import math
import re
from importlib import import_module
from pathlib import Path
from typing import Any

import numpy as np

from ._mapstyle import esc, grid_reference

__all__ = ["add_fit", "add_orientation", "inline_assets", "raw_html"]

#: (name, xstatic package, file): the scripts and styles of an offline page.
OFFLINE_JS = (
    ("leaflet", "xstatic.pkg.leaflet", "leaflet.js"),
    ("jquery", "xstatic.pkg.jquery", "jquery.min.js"),
)
OFFLINE_CSS = (("leaflet_css", "xstatic.pkg.leaflet", "leaflet.css"),)


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
    """A branca element holding ``body`` verbatim."""
    return _raw_class()(body)


@functools.cache
def asset_text(package: str, filename: str) -> str:
    """The text of an asset file shipped by an xstatic package, ready to inline."""
    base = Path(import_module(package).BASE_DIR)
    text = (base / filename).read_text("utf-8")
    text = re.sub(r"/[/*]# sourceMappingURL=\S+", "", text)
    if filename.endswith(".css"):

        def data_uri(match: re.Match[str]) -> str:
            data = base64.b64encode((base / match.group(1)).read_bytes()).decode("ascii")
            return f"url(data:image/png;base64,{data})"

        text = re.sub(r"url\((images/[\w.-]+\.png)\)", data_uri, text)
    # "<!--" would let a later "<script" keep the element open; "</script" would close it
    if any(tag in text.lower() for tag in ("</script", "</style", "<!--")):
        raise RuntimeError(f"{package}/{filename} cannot be inlined: it closes its own tag")
    return text


def inline_assets(m: Any) -> None:
    """Replace the page's CDN links with the scripts and styles themselves."""
    m.default_js = []
    m.default_css = []
    header = m.get_root().header
    for name, package, filename in OFFLINE_CSS:
        header.add_child(raw_html(f"<style>{asset_text(package, filename)}</style>"), name=name)
    for name, package, filename in OFFLINE_JS:
        header.add_child(raw_html(f"<script>{asset_text(package, filename)}</script>"), name=name)


# --- orientation layers ------------------------------------------------------------

_NAME_COLUMNS = ("name", "NAME", "ward_name", "WD24NM", "WD23NM", "WD22NM", "WD21NM", "WD13NM")


def name_column(frame: Any) -> str | None:
    """The column holding area names: ``name`` or an ONS ``..NM`` column."""
    for col in _NAME_COLUMNS:
        if col in frame.columns:
            return col
    for col in frame.columns:
        if str(col).upper().endswith("NM") and frame[col].dtype == object:
            return str(col)
    return None


def _grid_spacing(width: float, height: float, most: int = 14) -> int:
    for step in (1000, 2000, 5000, 10000, 20000, 50000, 100000):
        if max(width, height) / step <= most:
            return step
    return 100000


def grid_lines(bounds: tuple[float, float, float, float]) -> tuple[Any, list[tuple[Any, str]], str]:
    """OS National Grid lines over British National Grid ``bounds`` (EPSG:27700).

    Returns the lines (a GeoDataFrame in EPSG:4326), their labels (point in EPSG:4326,
    text: easting or northing in km within the 100 km square) and a legend note.
    """
    import geopandas as gpd
    import shapely
    from shapely.geometry import LineString, Point

    minx, miny, maxx, maxy = bounds
    step = _grid_spacing(maxx - minx, maxy - miny)
    x0, y0 = math.floor(minx / step) * step, math.floor(miny / step) * step
    x1, y1 = math.ceil(maxx / step) * step, math.ceil(maxy / step) * step
    xs = np.arange(x0, x1 + step / 2, step)
    ys = np.arange(y0, y1 + step / 2, step)
    lines = [LineString([(x, y0), (x, y1)]) for x in xs]
    lines += [LineString([(x0, y), (x1, y)]) for y in ys]
    labels_at = [Point(x, y0) for x in xs] + [Point(x0, y) for y in ys]
    texts = [f"{int(x % 100000) // 1000:02d}" for x in xs]
    texts += [f"{int(y % 100000) // 1000:02d}" for y in ys]
    geo = gpd.GeoSeries(lines + labels_at, crs=27700).to_crs(4326)
    geo = gpd.GeoSeries(
        shapely.transform(geo.to_numpy(), lambda xy: np.round(xy, 5)), index=geo.index, crs=4326
    )
    frame = gpd.GeoDataFrame(geometry=geo.iloc[: len(lines)].to_numpy(), crs=4326)
    labels = list(zip(geo.iloc[len(lines) :].to_numpy(), texts, strict=True))
    square = grid_reference((minx + maxx) / 2, (miny + maxy) / 2).split(" ")[0]
    note = f"OS National Grid lines every {step // 1000} km, labelled in km (square {square})"
    return frame, labels, note


def _label_marker(point: Any, text: str, css: str) -> Any:
    import folium

    return folium.Marker(
        [round(point.y, 5), round(point.x, 5)],
        icon=folium.DivIcon(html=f'<div class="{css}">{esc(text)}</div>', icon_size=(0, 0)),
        interactive=False,
    )


def _outline_layer(geoms: Any, name: str, style: dict[str, Any]) -> Any:
    """Polygons drawn as non-interactive outlines (no properties, nothing to click)."""
    import folium

    features = [
        {"type": "Feature", "properties": {}, "geometry": g.__geo_interface__} for g in geoms
    ]
    return folium.GeoJson(
        {"type": "FeatureCollection", "features": features},
        name=name,
        style_function=lambda f: style,
        interactive=False,
    )


def add_orientation(
    m: Any, *, area: Any = None, wards: Any = None, grid_bounds: Any = None
) -> list[str]:
    """Add area outline, ward boundaries and names, and the OS grid; return legend notes.

    ``area`` and ``wards`` are display frames (EPSG:4326, from ``display_frame``);
    ``grid_bounds`` the data's bounds in EPSG:27700 (``None``: no grid).
    """
    import folium

    notes: list[str] = []
    if wards is not None and len(wards):
        names = name_column(wards)
        _outline_layer(
            wards.geometry,
            "Ward boundaries",
            {"color": "#555555", "weight": 1, "fillOpacity": 0, "dashArray": "3 3"},
        ).add_to(m)
        if names is not None:
            group = folium.FeatureGroup(name="Ward names")
            for point, name in zip(wards.representative_point(), wards[names], strict=True):
                if isinstance(name, str) and name.strip():
                    _label_marker(point, name, "hs-ward-label").add_to(group)
            group.add_to(m)
    if area is not None and len(area):
        _outline_layer(
            area.geometry, "Area outline", {"color": "#222222", "weight": 2.5, "fillOpacity": 0}
        ).add_to(m)
    if grid_bounds is not None:
        lines, labels, note = grid_lines(tuple(float(v) for v in grid_bounds))  # type: ignore[arg-type]
        group = folium.FeatureGroup(name="OS grid (km)")
        folium.GeoJson(
            lines.to_geo_dict(drop_id=True, show_bbox=False),
            style_function=lambda f: {"color": "#3366aa", "weight": 0.6, "opacity": 0.55},
            interactive=False,
        ).add_to(group)
        for point, text in labels:
            _label_marker(point, text, "hs-grid-label").add_to(group)
        group.add_to(m)
        notes.append(note)
    return notes


# --- opening view, tile fallback and print -----------------------------------------

_FIT_JS = """
{% macro script(this, kwargs) %}
(function () {
  var map = {{ this._parent.get_name() }};
  var bounds = L.latLngBounds({{ this.bounds|tojson }});
  var tiles = {{ this.tiles|tojson }};
  function boxes(c) {
    var out = [];
    document.querySelectorAll('.hs-box, .leaflet-control').forEach(function (el) {
      var r = el.getBoundingClientRect();
      var l = Math.max(r.left, c.left), t = Math.max(r.top, c.top);
      var rr = Math.min(r.right, c.right), b = Math.min(r.bottom, c.bottom);
      if (rr - l < 1 || b - t < 1) return;
      out.push({l: l - c.left, t: t - c.top, r: rr - c.left, b: b - c.top});
    });
    return out;
  }
  function fit() {
    map.invalidateSize({animate: false});
    var c = map.getContainer().getBoundingClientRect();
    var W = c.width, H = c.height, margin = 18;
    var bx = boxes(c);
    var p0 = map.project(bounds.getNorthWest(), 0), p1 = map.project(bounds.getSouthEast(), 0);
    var bw = Math.max(Math.abs(p1.x - p0.x), 1e-9), bh = Math.max(Math.abs(p1.y - p0.y), 1e-9);
    var best = null, n = Math.min(bx.length, 12);
    for (var mask = 0; mask < (1 << n); mask++) {
      var pad = {t: 0, b: 0, l: 0, r: 0};
      for (var i = 0; i < n; i++) {
        var q = bx[i], vertical = (mask >> i) & 1;
        if (vertical) {
          if ((q.t + q.b) / 2 < H / 2) pad.t = Math.max(pad.t, q.b); else pad.b = Math.max(pad.b, H - q.t);
        } else {
          if ((q.l + q.r) / 2 < W / 2) pad.l = Math.max(pad.l, q.r); else pad.r = Math.max(pad.r, W - q.l);
        }
      }
      var w = W - pad.l - pad.r - 2 * margin, h = H - pad.t - pad.b - 2 * margin;
      if (w <= 0 || h <= 0) continue;
      var s = Math.min(w / bw, h / bh);
      if (best === null || s > best.s) best = {s: s, pad: pad};
    }
    var opts = {animate: false, maxZoom: 17};
    if (best) {
      opts.paddingTopLeft = [best.pad.l + margin, best.pad.t + margin];
      opts.paddingBottomRight = [best.pad.r + margin, best.pad.b + margin];
    }
    map.fitBounds(bounds, opts);
  }
  // numbered places close together are moved apart (in rank order) so every number reads
  var STEPS = [[0, 0], [24, 0], [-24, 0], [0, -24], [0, 24], [24, -24], [-24, -24],
               [24, 24], [-24, 24], [48, 0], [-48, 0], [0, -48], [0, 48]];
  function spread() {
    var nums = Array.prototype.slice.call(document.querySelectorAll('.hs-num'));
    nums.sort(function (a, b) { return (+a.textContent) - (+b.textContent); });
    nums.forEach(function (el) { el.style.transform = ''; });
    var placed = [];
    nums.forEach(function (el) {
      var r = el.getBoundingClientRect();
      if (r.width === 0) return;
      for (var k = 0; k < STEPS.length; k++) {
        var dx = STEPS[k][0], dy = STEPS[k][1];
        var hit = placed.some(function (q) {
          return r.left + dx < q.right && r.right + dx > q.left &&
                 r.top + dy < q.bottom && r.bottom + dy > q.top;
        });
        if (!hit) {
          if (dx || dy) el.style.transform = 'translate(' + dx + 'px,' + dy + 'px)';
          placed.push({left: r.left + dx, right: r.right + dx, top: r.top + dy,
                       bottom: r.bottom + dy});
          return;
        }
      }
      placed.push(r);
    });
  }
  // names and grid labels give way to the numbered places, the boxes and each other
  function declutter() {
    spread();
    var taken = [];
    document.querySelectorAll('.hs-box, .leaflet-control, .hs-num, .hs-panel').forEach(function (el) {
      var r = el.getBoundingClientRect();
      if (r.width > 0) taken.push(r);
    });
    document.querySelectorAll('.hs-ward-label, .hs-grid-label').forEach(function (el) {
      el.style.visibility = 'visible';
      var r = el.getBoundingClientRect();
      var hit = taken.some(function (q) {
        return r.left < q.right && r.right > q.left && r.top < q.bottom && r.bottom > q.top;
      });
      if (hit) el.style.visibility = 'hidden'; else taken.push(r);
    });
  }
  window.hsFit = function () { fit(); declutter(); };
  map.on('zoomend moveend overlayadd', declutter);
  fit();
  window.addEventListener('resize', window.hsFit);
  window.addEventListener('beforeprint', function () {
    document.body.classList.add('hs-printing');
    document.querySelectorAll('.hs-box details').forEach(function (d) { d.open = true; });
    window.hsFit();
  });
  window.addEventListener('afterprint', function () {
    document.body.classList.remove('hs-printing');
    window.hsFit();
  });
  var mq = window.matchMedia('print');
  if (mq.addEventListener) mq.addEventListener('change', window.hsFit);
  if (tiles) {
    var layer = window[tiles], failed = false;
    layer.on('tileerror', function () {
      if (failed) return;
      failed = true;
      map.removeLayer(layer);
      var note = document.getElementById('hs-nobasemap');
      if (note) note.style.display = 'block';
      window.hsFit();
    });
  }
  var North = L.Control.extend({
    options: {position: 'topleft'},
    onAdd: function () {
      var d = L.DomUtil.create('div', 'hs-north');
      d.title = 'North';
      d.innerHTML = '<span>&#9650;</span>N';
      return d;
    }
  });
  new North().addTo(map);
  window.hsFit();
})();
{% endmacro %}
"""


@functools.cache
def _fit_class() -> Any:
    from branca.element import MacroElement
    from jinja2 import Template

    class Fit(MacroElement):  # type: ignore[misc]
        _template = Template(_FIT_JS)

        def __init__(self, bounds: list[list[float]], tiles: str | None) -> None:
            super().__init__()  # type: ignore[no-untyped-call]
            self._name = "HotspotsFit"
            self.bounds = bounds
            self.tiles = tiles

    return Fit


def add_fit(m: Any, bounds: Any, tile_layer: Any = None) -> None:
    """Open on ``bounds`` (minx, miny, maxx, maxy in EPSG:4326) clear of the page's boxes.

    Must be added after every box and control, so that it runs last.
    """
    minx, miny, maxx, maxy = (round(float(v), 5) for v in bounds)
    tiles = tile_layer.get_name() if tile_layer is not None else None
    fit: Any = _fit_class()
    fit([[miny, minx], [maxy, maxx]], tiles).add_to(m)
