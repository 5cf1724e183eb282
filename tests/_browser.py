"""Open saved maps in headless Chromium (Playwright) without any network.

Pages written with ``offline=True`` (the command line's default) carry Leaflet inline.
Pages that link the CDN instead are served here from the same files, which the
``xstatic-leaflet`` and ``xstatic-jquery`` packages install with the library, so nothing
needs fetching before the tests. Basemap tile requests are answered with a blank grey
tile (``block_all=False``) or aborted like every other request (``block_all=True``: the
locked-down PC); every other non-local request is aborted and reported.

Command line::

    python -m tests._browser check map.html [--hostile TEXT] [--screenshot out.png] [--block-all]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import struct
import sys
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("HOTSPOTS_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
#: Hosts whose requests are basemap tiles, answered with a blank tile.
TILE_HOSTS = re.compile(r"(^|\.)(basemaps\.cartocdn\.com|tile\.openstreetmap\.org)$")


def cdn_files() -> dict[str, Path]:
    """The pinned CDN URLs of :data:`hotspots._html.ASSETS_JS`/``ASSETS_CSS`` mapped to the
    same files installed by the xstatic packages."""
    from hotspots._html import ASSETS_CSS, ASSETS_JS
    from hotspots._mapframe import OFFLINE_CSS, OFFLINE_JS

    local = {name: (package, filename) for name, package, filename in [*OFFLINE_JS, *OFFLINE_CSS]}
    out = {}
    for name, url in [*ASSETS_JS, *ASSETS_CSS]:
        package, filename = local[name]
        out[url] = Path(__import__(package, fromlist=["BASE_DIR"]).BASE_DIR) / filename
    return out


def _cdn_local(cdn: dict[str, Path], url: str) -> Path | None:
    """The local copy of a CDN file: a pinned asset or a file beside it (Leaflet's images)."""
    if url in cdn:
        return cdn[url]
    for known, path in cdn.items():
        base = known.rsplit("/", 1)[0] + "/"
        if url.startswith(base):
            local = path.parent / url[len(base) :]
            if local.resolve().is_relative_to(path.parent.resolve()) and local.is_file():
                return local
    return None


def chromium_available() -> bool:
    return Path(CHROMIUM).exists()


def _blank_png(size: int = 256, grey: int = 236) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    raw = b"".join(b"\x00" + bytes([grey]) * size for _ in range(size))
    header = struct.pack(">IIBBBBB", size, size, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw, 9))
        + chunk(b"IEND", b"")
    )


_TYPES = {".js": "application/javascript", ".css": "text/css", ".png": "image/png"}


@contextlib.contextmanager
def launch() -> Iterator[Any]:
    """Headless Chromium (Playwright) with the options these checks use."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def check_map_in_browser(
    html_path: str | Path,
    *,
    expect_legend: bool = True,
    hostile_text: str | None = None,
    screenshot: str | Path | None = None,
    width: int = 1280,
    height: int = 800,
    browser: Any = None,
    block_all: bool = False,
    inspect: Any = None,
) -> dict[str, Any]:
    """Open a saved map in headless Chromium and report what a reader would meet.

    Returns a dict with ``console_errors`` (console errors and uncaught page errors),
    ``blocked`` (non-local requests that were neither CDN assets nor tiles), ``dialogs``
    (any alert/confirm/prompt: script from the data ran), ``tiles_stubbed``,
    ``has_leaflet``, ``has_legend``, ``has_layer_control``, ``has_title``,
    ``has_attribution``, ``title_text``, ``hostile_found`` (the hostile text appears
    literally as rendered text, on the page or in the popup/tooltip of a feature that
    holds it) and ``ok``. Pass ``browser`` (from :func:`launch`) to reuse one Chromium.
    ``block_all=True`` aborts every non-file request (scripts, tiles, anything).
    ``inspect(page, result)`` is called with the open page for further checks.
    """
    html_path = Path(html_path).resolve()
    cdn = cdn_files()
    result: dict[str, Any] = {
        "console_errors": [],
        "blocked": [],
        "dialogs": [],
        "tiles_stubbed": 0,
        "tiles_blocked": [],
    }
    tile = _blank_png()

    def route(route: Any) -> None:
        url = route.request.url
        parsed = urlparse(url)
        host = parsed.hostname or ""
        if parsed.scheme in {"file", "data", "blob"}:
            route.continue_()
            return
        if TILE_HOSTS.search(host):
            if block_all:
                result["tiles_blocked"].append(url)
                route.abort()
                return
            result["tiles_stubbed"] += 1
            route.fulfill(status=200, body=tile, content_type="image/png")
            return
        path = _cdn_local(cdn, url)
        if path is not None and not block_all:
            route.fulfill(
                status=200,
                body=path.read_bytes(),
                content_type=_TYPES.get(path.suffix, "application/octet-stream"),
                headers={"Access-Control-Allow-Origin": "*"},
            )
            return
        result["blocked"].append(url)
        route.abort()

    def on_console(msg: Any) -> None:
        if msg.type != "error":
            return
        # a tile the network refused: the page copes (it drops the basemap and says so)
        if (msg.location or {}).get("url") in result["tiles_blocked"]:
            return
        result["console_errors"].append(msg.text)

    with contextlib.ExitStack() as stack:
        if browser is None:
            browser = stack.enter_context(launch())
        page = browser.new_page(viewport={"width": width, "height": height})
        stack.callback(page.close)
        page.on("console", on_console)
        page.on("pageerror", lambda exc: result["console_errors"].append(str(exc)))

        def on_dialog(dialog: Any) -> None:
            result["dialogs"].append(dialog.message)
            dialog.dismiss()

        page.on("dialog", on_dialog)
        page.route("**/*", route)
        page.goto(html_path.as_uri(), wait_until="load")
        page.wait_for_timeout(300)
        result["has_leaflet"] = bool(page.evaluate("typeof L !== 'undefined'"))
        result["has_legend"] = page.locator("#hs-legend").count() > 0 and bool(
            page.locator("#hs-legend").first.is_visible()
        )
        result["has_layer_control"] = page.locator(".leaflet-control-layers").count() > 0
        result["has_title"] = page.locator("#hs-title h1").count() > 0
        result["title_text"] = (
            page.locator("#hs-title h1").first.inner_text() if result["has_title"] else None
        )
        result["has_attribution"] = (
            page.locator("#hs-provenance").count() > 0
            and page.locator(".leaflet-control-attribution").count() > 0
        )
        result["n_features"] = page.locator("path.leaflet-interactive").count()
        if hostile_text is not None:
            result["hostile_found"] = _find_text(page, hostile_text)
        if screenshot is not None:
            Path(screenshot).parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(screenshot))
        if inspect is not None:
            inspect(page, result)
    result["ok"] = bool(
        not result["console_errors"]
        and not result["blocked"]
        and not result["dialogs"]
        and result["has_leaflet"]
        and result["has_layer_control"]
        and result["has_title"]
        and (result["has_legend"] or not expect_legend)
        and (hostile_text is None or result["hostile_found"])
    )
    return result


# Open every layer's popup and tooltip in turn, looking for the text as rendered text.
_FIND_JS = """
(needle) => {
  const seen = (el) => !!el && (el.innerText || '').includes(needle);
  const popupPane = () => document.querySelector('.leaflet-popup-pane');
  const tipPane = () => document.querySelector('.leaflet-tooltip-pane');
  if (seen(document.body)) return 'page';
  const maps = Object.values(window).filter(v => v instanceof L.Map);
  for (const map of maps) {
    const layers = [];
    map.eachLayer(l => layers.push(l));
    const parser = new DOMParser();
    const candidate = (l) => {
      if (l instanceof L.Marker && !l.feature) return true;
      const tip = l.feature && l.feature.properties && l.feature.properties.tip;
      if (typeof tip !== 'string') return false;
      return (parser.parseFromString(tip, 'text/html').body.textContent || '').includes(needle);
    };
    for (const l of layers) {
      if (!candidate(l)) continue;
      const ll = l.getLatLng ? l.getLatLng() : l.getBounds().getCenter();
      l.fire('click', {latlng: ll}, true);
      if (seen(popupPane())) return 'popup';
      map.closePopup();
      l.fire('mouseover', {latlng: ll}, true);
      if (l.openTooltip && l.getTooltip && l.getTooltip()) l.openTooltip(ll);
      if (seen(tipPane())) return 'tooltip';
      l.fire('mouseout', {latlng: ll}, true);
    }
  }
  return null;
}
"""


def assert_readable_map(
    browser: Any, path: Path, screenshot: Path | None = None, **kwargs: Any
) -> dict[str, Any]:
    """Check a saved map and fail (AssertionError) on anything a reader would trip over."""
    report = check_map_in_browser(path, screenshot=screenshot, browser=browser, **kwargs)
    assert report["console_errors"] == [], report
    assert report["blocked"] == [], report
    assert report["dialogs"] == [], report
    assert report["has_leaflet"] and report["has_layer_control"] and report["has_title"], report
    assert report["has_attribution"], report
    assert report["ok"], report
    return report


_LAYOUT_JS = """
() => {
  const box = (el) => { const r = el.getBoundingClientRect();
    return {l: r.left, t: r.top, r: r.right, b: r.bottom, w: r.width, h: r.height}; };
  const shown = (el) => { const s = getComputedStyle(el);
    return s.visibility !== 'hidden' && s.display !== 'none' && el.getClientRects().length > 0; };
  const map = document.querySelector('.folium-map');
  const covers = [...document.querySelectorAll('.hs-box, .leaflet-control, .hs-panel')]
    .filter(shown).map(el => ({id: el.id || el.className, ...box(el)}));
  const numbers = [...document.querySelectorAll('.hs-num')]
    .map(el => ({text: el.innerText.trim(), ...box(el)}));
  const outline = [...document.querySelectorAll('path')]
    .filter(p => p.getAttribute('stroke') === '#222222' && p.getAttribute('stroke-width') === '2.5')
    .map(box);
  const labels = [...document.querySelectorAll('.hs-ward-label')]
    .filter(shown).map(el => ({text: el.innerText, ...box(el)}));
  return {map: box(map), covers, numbers, outline, labels};
}
"""


def layout(page: Any) -> dict[str, Any]:
    """Boxes (viewport pixels) of the map, the boxes over it, the numbered places, the area
    outline's paths and the ward labels shown."""
    result: dict[str, Any] = page.evaluate(_LAYOUT_JS)
    return result


def overlaps(a: dict[str, float], b: dict[str, float]) -> bool:
    return a["l"] < b["r"] and a["r"] > b["l"] and a["t"] < b["b"] and a["b"] > b["t"]


def inside(a: dict[str, float], b: dict[str, float]) -> bool:
    return a["l"] >= b["l"] and a["r"] <= b["r"] and a["t"] >= b["t"] and a["b"] <= b["b"]


def hidden_numbers(boxes: dict[str, Any]) -> list[str]:
    """Numbered places outside the map or under a box (title, legend, method box, control)."""
    bad = []
    for number in boxes["numbers"]:
        if not inside(number, boxes["map"]):
            bad.append(f"{number['text']} off the map")
        for cover in boxes["covers"]:
            if overlaps(number, cover):
                bad.append(f"{number['text']} under {cover['id']}")
    return bad


def _find_text(page: Any, text: str) -> str | None:
    found = page.evaluate(_FIND_JS, text)
    return str(found) if found else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests._browser")
    sub = parser.add_subparsers(dest="command", required=True)
    check = sub.add_parser("check", help="open a saved map and report problems")
    check.add_argument("html")
    check.add_argument("--hostile")
    check.add_argument("--screenshot")
    check.add_argument("--no-legend", action="store_true")
    check.add_argument("--block-all", action="store_true")
    args = parser.parse_args(argv)
    report = check_map_in_browser(
        args.html,
        block_all=args.block_all,
        expect_legend=not args.no_legend,
        hostile_text=args.hostile,
        screenshot=args.screenshot,
    )
    print(json.dumps(report, indent=2))
    return 0 if report["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
