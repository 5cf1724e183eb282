"""Shared fixtures: the reference data folder and small helpers."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("HOTSPOTS_OFFLINE", "1")
os.environ.setdefault("HOTSPOTS_PROGRESS", "0")

_DEFAULT = Path(__file__).resolve().parents[1].parent / "shared" / "data"


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """The real reference data (``HOTSPOTS_DATA_DIR``, else ``../shared/data``)."""
    value = os.environ.get("HOTSPOTS_DATA_DIR")
    path = Path(value) if value else _DEFAULT
    if not path.is_dir():
        pytest.skip("reference data not available: set HOTSPOTS_DATA_DIR")
    os.environ["HOTSPOTS_DATA_DIR"] = str(path)
    return path


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Never write to the user's cache from tests."""
    monkeypatch.setenv("HOTSPOTS_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "cache"))
