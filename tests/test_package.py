"""The package surface: every advertised name resolves, and ``import hotspots`` stays light."""

from __future__ import annotations

import subprocess
import sys

import pytest

import hotspots


def test_every_public_name_resolves() -> None:
    for name in hotspots.__all__:
        assert getattr(hotspots, name) is not None, name
    assert set(dir(hotspots)) == set(hotspots.__all__)
    with pytest.raises(AttributeError, match="no attribute 'gistar'"):
        _ = hotspots.gistar  # type: ignore[attr-defined]


def test_errors_are_also_builtin_exceptions() -> None:
    assert issubclass(hotspots.DataError, ValueError)
    assert issubclass(hotspots.CRSError, hotspots.HotspotsError)
    assert issubclass(hotspots.OfflineError, ConnectionError)
    assert issubclass(hotspots.DependencyError, ImportError)


def test_import_is_light() -> None:
    code = "import sys, hotspots; print(sorted(m for m in ('geopandas', 'esda', 'osmnx', 'folium') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
