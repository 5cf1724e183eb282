"""Open saved maps in headless Chromium (Playwright) without any network.

The pages load Leaflet and jQuery from CDNs and basemap tiles from CARTO. Here:

* requests to the CDNs are answered from a local cache of the npm packages
  (``fetch-assets`` below fills it from the npm registry, before the tests run);
* basemap tile requests are answered with a blank grey tile, so no tile error reaches
  the console (tiles are the ONLY requests treated that way);
* every other non-local request is aborted and reported as an error.

Command line (CI runs the first one before the tests)::

    python -m tests._browser fetch-assets          # npm pack leaflet + jquery into the cache
    python -m tests._browser check map.html [--hostile TEXT] [--screenshot out.png]

The cache folder is ``$HOTSPOTS_BROWSER_ASSETS`` or ``outputs/browser-assets`` in the
repository (``outputs/`` is not committed).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import tarfile
import tempfile
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
_JSDELIVR_NPM = re.compile(r"^/npm/(?P<pkg>(@[^/]+/)?[^@/]+)@(?P<ver>[^/]+)/(?P<path>.+)$")
_JQUERY = re.compile(r"^/jquery-(?P<ver>[\d.]+)(?P<min>\.min)?\.js$")


def assets_dir() -> Path:
    """Folder of unpacked npm packages, one ``name@version/package`` per package."""
    return Path(os.environ.get("HOTSPOTS_BROWSER_ASSETS", ROOT / "outputs" / "browser-assets"))


def npm_specs() -> list[str]:
    """The npm packages (``name@version``) the maps' pinned CDN links need."""
    from hotspots._html import ASSETS_CSS, ASSETS_JS

    specs = []
    for _, url in [*ASSETS_JS, *ASSETS_CSS]:
        spec = _npm_spec(url)
        if spec is None:
            raise RuntimeError(f"no npm package known for asset {url}")
        specs.append(spec[0])
    return list(dict.fromkeys(specs))


def _npm_spec(url: str) -> tuple[str, str] | None:
    """``(name@version, path inside the package)`` for a CDN URL, else None."""
    parsed = urlparse(url)
    if parsed.hostname == "cdn.jsdelivr.net":
        match = _JSDELIVR_NPM.match(parsed.path)
        if match:
            return f"{match['pkg']}@{match['ver']}", match["path"]
    if parsed.hostname == "code.jquery.com":
        match = _JQUERY.match(parsed.path)
        if match:
            return f"jquery@{match['ver']}", f"dist/jquery{match['min'] or ''}.js"
    return None


def fetch_assets(target: Path | None = None) -> Path:
    """Download the npm packages with ``npm pack`` and unpack them into the cache."""
    target = target or assets_dir()
    target.mkdir(parents=True, exist_ok=True)
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError("npm is needed to fetch the browser assets (apt-get install npm)")
    for spec in npm_specs():
        dest = target / spec
        if (dest / "package" / "package.json").exists():
            continue
        with tempfile.TemporaryDirectory() as tmp:
            out = subprocess.run(
                [npm, "pack", spec, "--json", "--silent"],
                cwd=tmp,
                check=True,
                capture_output=True,
                text=True,
                timeout=300,
            )
            filename = json.loads(out.stdout)[0]["filename"]
            with tarfile.open(Path(tmp) / filename) as tar:
                tar.extractall(dest, filter="data")
        print(f"fetched {spec} -> {dest}")
    return target


def assets_available(target: Path | None = None) -> bool:
    """True when every package the maps need is in the cache."""
    target = target or assets_dir()
    return all((target / s / "package" / "package.json").exists() for s in npm_specs())


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
) -> dict[str, Any]:
    """Open a saved map in headless Chromium and report what a reader would meet.

    Returns a dict with ``console_errors`` (console errors and uncaught page errors),
    ``blocked`` (non-local requests that were neither CDN assets nor tiles), ``dialogs``
    (any alert/confirm/prompt: script from the data ran), ``tiles_stubbed``,
    ``has_leaflet``, ``has_legend``, ``has_layer_control``, ``has_title``,
    ``has_attribution``, ``title_text``, ``hostile_found`` (the hostile text appears
    literally as rendered text, on the page or in the popup/tooltip of a feature that
    holds it) and ``ok``. Pass ``browser`` (from :func:`launch`) to reuse one Chromium.
    """
    html_path = Path(html_path).resolve()
    cache = assets_dir()
    result: dict[str, Any] = {
        "console_errors": [],
        "blocked": [],
        "dialogs": [],
        "tiles_stubbed": 0,
    }
    tile = _blank_png()

    def route(route: Any) -> None:
        url = route.request.url
        parsed = urlparse(url)
        host = parsed.hostname or ""
        if parsed.scheme in {"file", "data", "blob"} or host in {"127.0.0.1", "localhost"}:
            route.continue_()
            return
        if TILE_HOSTS.search(host):
            result["tiles_stubbed"] += 1
            route.fulfill(status=200, body=tile, content_type="image/png")
            return
        spec = _npm_spec(url)
        if spec is not None:
            path = cache / spec[0] / "package" / spec[1]
            if path.is_file():
                route.fulfill(
                    status=200,
                    body=path.read_bytes(),
                    content_type=_TYPES.get(path.suffix, "application/octet-stream"),
                    headers={"Access-Control-Allow-Origin": "*"},
                )
                return
        result["blocked"].append(url)
        route.abort()

    with contextlib.ExitStack() as stack:
        if browser is None:
            browser = stack.enter_context(launch())
        page = browser.new_page(viewport={"width": width, "height": height})
        stack.callback(page.close)
        page.on(
            "console",
            lambda msg: result["console_errors"].append(msg.text) if msg.type == "error" else None,
        )
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


def _find_text(page: Any, text: str) -> str | None:
    found = page.evaluate(_FIND_JS, text)
    return str(found) if found else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests._browser")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("fetch-assets", help="npm pack the map assets into the cache")
    check = sub.add_parser("check", help="open a saved map and report problems")
    check.add_argument("html")
    check.add_argument("--hostile")
    check.add_argument("--screenshot")
    check.add_argument("--no-legend", action="store_true")
    args = parser.parse_args(argv)
    if args.command == "fetch-assets":
        fetch_assets()
        return 0
    report = check_map_in_browser(
        args.html,
        expect_legend=not args.no_legend,
        hostile_text=args.hostile,
        screenshot=args.screenshot,
    )
    print(json.dumps(report, indent=2))
    return 0 if report["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
