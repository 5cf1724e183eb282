"""Shared fixtures: the reference data folder and an isolated download cache."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("HOTSPOTS_OFFLINE", "1")
os.environ.setdefault("HOTSPOTS_PROGRESS", "0")

_DEFAULT = Path(__file__).resolve().parents[1].parent / "shared" / "data"


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """The real reference data (``HOTSPOTS_DATA_DIR``, else ``../shared/data``).

    Outside CI a missing folder skips the test; in CI (``CI=true``) it fails, so a
    misconfigured run cannot pass by skipping the real-data tests.
    """
    value = os.environ.get("HOTSPOTS_DATA_DIR")
    # absolute, so that notebooks and commands run from another folder find it too
    path = (Path(value) if value else _DEFAULT).resolve()
    if not path.is_dir():
        message = f"reference data not found at {path}: set HOTSPOTS_DATA_DIR"
        if _in_ci():
            pytest.fail(message)
        pytest.skip(message)
    os.environ["HOTSPOTS_DATA_DIR"] = str(path)
    return path


@pytest.fixture(scope="session")
def medway_crime(data_dir: Path) -> Any:
    """A month of Medway street crime (the derived police.uk CSV) read with plain pandas,
    independently of the library's loaders: every column as published, plus
    ``crime_type`` and ``month``, in British National Grid. Shared: copy before changing."""
    import geopandas as gpd
    import pandas as pd

    df = pd.read_csv(data_dir / "crime" / "medway_street_crime_2018-06_derived.csv")
    return gpd.GeoDataFrame(
        df.assign(crime_type=df["Crime type"], month=df["Month"]),
        geometry=gpd.points_from_xy(df["Longitude"], df["Latitude"]),
        crs=4326,
    ).to_crs(27700)


@pytest.fixture(autouse=True)
def _isolated_cache(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Never write to the user's cache from tests."""
    monkeypatch.setenv("HOTSPOTS_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "cache"))


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def _chromium_problem() -> str | None:
    from . import _browser

    if not _browser.chromium_available():
        return f"Chromium not found at {_browser.CHROMIUM} (apt-get install -y chromium)"
    return None


@pytest.fixture(scope="module")
def browser_ready() -> Iterator[Any]:
    """One headless Chromium for a test module (skipped outside CI when unavailable)."""
    from . import _browser

    problem = _chromium_problem()
    if problem:
        if _in_ci():
            pytest.fail(problem)
        pytest.skip(problem)
    with _browser.launch() as browser:
        yield browser


@pytest.fixture(scope="module")
def browser_optional() -> Iterator[Any]:
    """Chromium when there is one, else None: the test still runs everything that needs no
    browser (notebooks, the demo) and only its browser checks are left out (never in CI)."""
    from . import _browser

    problem = _chromium_problem()
    if problem:
        if _in_ci():
            pytest.fail(problem)
        yield None
        return
    with _browser.launch() as browser:
        yield browser
