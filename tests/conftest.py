"""Shared fixtures: the reference data folder and an isolated download cache."""

from __future__ import annotations

import os
from pathlib import Path

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
    path = Path(value) if value else _DEFAULT
    if not path.is_dir():
        message = f"reference data not found at {path}: set HOTSPOTS_DATA_DIR"
        if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
            pytest.fail(message)
        pytest.skip(message)
    os.environ["HOTSPOTS_DATA_DIR"] = str(path)
    return path


@pytest.fixture(autouse=True)
def _isolated_cache(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Never write to the user's cache from tests."""
    monkeypatch.setenv("HOTSPOTS_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "cache"))
