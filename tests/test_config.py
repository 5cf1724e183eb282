"""Settings from the environment: data folder, cache folder, offline switch."""

from __future__ import annotations

from pathlib import Path

import pytest

from hotspots import DataError, config


def test_data_dir_unset_missing_and_set(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HOTSPOTS_DATA_DIR", raising=False)
    with pytest.raises(DataError, match="HOTSPOTS_DATA_DIR is not set"):
        config.data_dir()
    assert config.data_dir(required=False) is None
    monkeypatch.setenv("HOTSPOTS_DATA_DIR", str(tmp_path / "nowhere"))
    with pytest.raises(DataError, match="is not a folder") as err:
        config.data_dir()
    assert "relative" not in str(err.value)
    assert config.data_dir(required=False) is None
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOTSPOTS_DATA_DIR", "../no-such-data")
    with pytest.raises(DataError, match="relative paths start from") as err:
        config.data_dir()
    assert str(tmp_path) in str(err.value)
    monkeypatch.setenv("HOTSPOTS_DATA_DIR", f"  {tmp_path}  ")
    assert config.data_dir() == tmp_path


def test_data_path_names_the_missing_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOTSPOTS_DATA_DIR", str(tmp_path))
    (tmp_path / "crime").mkdir()
    (tmp_path / "crime" / "a.csv").write_text("x\n")
    assert config.data_path("crime/a.csv") == tmp_path / "crime" / "a.csv"
    with pytest.raises(DataError, match=r"crime/b\.csv was not found"):
        config.data_path("crime/b.csv")


def test_real_data_folder_has_the_documented_layout(data_dir: Path) -> None:
    assert config.data_dir() == data_dir
    for rel in ("boundaries/medway_lsoa_2011.geojson", "crime", "deprivation", "population"):
        assert config.data_path(rel).exists()


@pytest.mark.parametrize(
    ("value", "offline"),
    [("1", True), ("true", True), (" YES ", True), ("on", True), ("0", False), ("", False)],
)
def test_offline_switch(value: str, offline: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOTSPOTS_OFFLINE", value)
    assert config.is_offline() is offline


def test_cache_dir_is_created(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOTSPOTS_CACHE_DIR", str(tmp_path / "c" / "d"))
    assert config.cache_dir() == tmp_path / "c" / "d" and (tmp_path / "c" / "d").is_dir()
