"""The saved maps in headless Chromium: no console errors, legend and layers present,
hostile names shown as text and never run. Screenshots go to ``outputs/screenshots/``.

Needs ``/usr/bin/chromium`` and the npm assets (``python -m tests._browser fetch-assets``).
Outside CI a missing piece skips these tests; in CI (``CI=true``) it fails them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import Point

from hotspots import maps

from . import _browser
from .test_maps import HOSTILE, make_cells, make_services, make_targets

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SHOTS = Path(__file__).resolve().parents[1] / "outputs" / "screenshots"


def check(browser: Any, path: Path, **kwargs: Any) -> dict[str, Any]:
    return _browser.assert_readable_map(browser, path, SHOTS / f"{path.stem}.png", **kwargs)


def test_hotspot_map_in_browser(browser_ready: Any, tmp_path: Path) -> None:
    cells = make_cells()
    cells["place"] = [f"Street {i}" for i in range(len(cells))]
    kde = cells[["geometry"]].assign(density=np.linspace(0, 80, len(cells)))
    path = tmp_path / "hotspot_map.html"
    maps.hotspot_map(cells, title="Chatham: violence hot spots", kde=kde, path=path)
    report = check(browser_ready, path, hostile_text="Street 7")
    assert report["title_text"] == "Chatham: violence hot spots"
    assert report["hostile_found"] in {"popup", "tooltip"}
    assert report["n_features"] == len(cells)
    assert report["tiles_stubbed"] > 0


def test_hostile_title_and_popups_show_as_text(browser_ready: Any, tmp_path: Path) -> None:
    cells = make_cells()
    path = tmp_path / "hostile_title.html"
    maps.hotspot_map(cells, title=HOSTILE, path=path, tiles=None)
    report = check(browser_ready, path, hostile_text=HOSTILE)
    assert report["title_text"] == HOSTILE
    path = tmp_path / "hostile_popup.html"
    maps.provision_map(make_services(), cells, title="Provision", path=path, tiles=None)
    report = check(browser_ready, path, hostile_text=HOSTILE)
    assert report["hostile_found"] == "popup"


def test_tasking_map_in_browser(browser_ready: Any, tmp_path: Path) -> None:
    cells = make_cells()
    cells["place"] = [f"Street {i}" for i in range(len(cells))]
    cells.loc[cells["count"].idxmax(), "place"] = HOSTILE  # listed first
    path = tmp_path / "tasking_map.html"
    maps.tasking_map(cells, top_n=8, title="Tasking, week 23", path=path)
    report = check(browser_ready, path, hostile_text=HOSTILE)
    assert report["hostile_found"] == "page"  # the table cell shows it as text


def test_reach_map_in_browser(browser_ready: Any, tmp_path: Path) -> None:
    iso = gpd.GeoDataFrame(
        {"minutes": [5, 10, 15], "service": ["Chatham Youth Hub"] * 3},
        geometry=[Point(576200, 169000).buffer(r) for r in (300, 600, 900)],
        crs=27700,
    )
    path = tmp_path / "reach_map.html"
    maps.reach_map(iso, make_targets("straight-line"), make_services(), path=path, tiles=None)
    report = check(browser_ready, path, hostile_text=HOSTILE)
    assert report["hostile_found"] in {"popup", "tooltip"}


def test_provision_map_in_browser(browser_ready: Any, tmp_path: Path) -> None:
    path = tmp_path / "provision_map.html"
    maps.provision_map(make_services(), make_cells(), title="Youth provision", path=path)
    check(browser_ready, path)


def test_checker_catches_script_and_errors(browser_ready: Any, tmp_path: Path) -> None:
    """The checker itself fails on a page whose data ran as script or that errors."""
    bad = tmp_path / "bad.html"
    bad.write_text(
        "<html><body><h1>x</h1><script>alert('ran')</script>"
        "<script>undefined_function()</script></body></html>"
    )
    report = _browser.check_map_in_browser(bad, browser=browser_ready)
    assert report["dialogs"] == ["ran"]
    assert any("undefined_function" in e for e in report["console_errors"])
    assert not report["ok"]
