"""Tests of hotspots.police_api: saved API JSON (the real June 2018 Medway file) and the
live service against recorded-style responses (no network)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import unquote_plus

import geopandas as gpd
import numpy as np
import pytest
import shapely

from hotspots import DataError, HotspotsWarning, OfflineError
from hotspots.police_api import fetch_police_api, read_police_api

from .test_police import API_JSON, PUBLISHED, quiet


def test_api_json_counts_and_schema(data_dir: Path) -> None:
    gdf = read_police_api(data_dir / API_JSON, force="Kent Police")
    report = gdf.attrs["load_report"]
    assert report.rows_read == 3387
    assert len(gdf) + report.n_dropped == 3387
    counts = {k: int(v) for k, v in gdf["crime_type"].value_counts().items() if v}
    assert counts == PUBLISHED
    assert set(gdf["reported_by"]) == {"Kent Police", "British Transport Police"}
    assert int((gdf["reported_by"] == "British Transport Police").sum()) == 13
    assert (gdf["lsoa_code"] == "").all() and (gdf["lsoa_name"] == "").all()
    raw = json.loads((data_dir / API_JSON).read_text("utf-8"))
    assert gdf["api_id"].tolist() == [str(r["id"]) for r in raw]
    assert gdf["street_id"].iloc[0] == str(raw[0]["location"]["street"]["id"])
    # the real file has two records sharing one persistent_id: kept (ids differ) and noted
    assert any("persistent_id" in n for n in report.notes)


def test_api_default_force_is_honest(data_dir: Path) -> None:
    gdf = read_police_api(data_dir / API_JSON)
    assert set(gdf["reported_by"]) == {"Police force", "British Transport Police"}


def test_api_broken_inputs(tmp_path: Path, data_dir: Path) -> None:
    empty = tmp_path / "empty.json"
    empty.write_bytes(b"")
    with pytest.raises(DataError, match="empty"):
        read_police_api(empty)
    with pytest.raises(DataError, match="line 1, column"):
        read_police_api("[{oops")
    raw = json.loads((data_dir / API_JSON).read_text("utf-8"))[:5]
    raw[1] = {**raw[1], "category": "made-up-crime"}
    raw[3] = dict(raw[2])  # repeated API id
    raw[4] = {**raw[4], "location": {**raw[4]["location"], "latitude": ""}}
    with pytest.warns(HotspotsWarning):
        gdf = read_police_api(raw)
    assert gdf.attrs["load_report"].dropped == {
        "unknown category": [2],
        "duplicate api id": [4],
        "no location": [5],
    }
    assert gdf["source_line"].tolist() == [1, 3]
    assert len(read_police_api("[]")) == 0


class FakeResponse:
    def __init__(self, status: int, body: Any) -> None:
        self.status_code = status
        self.content = json.dumps(body).encode("utf-8") if body is not None else b""


class FakeSession:
    """Answers like crimes-street: 503 above ``limit`` records, else the records inside."""

    def __init__(self, records: list[dict[str, Any]], limit: int) -> None:
        self.records = records
        self.limit = limit
        self.calls: list[dict[str, Any]] = []
        lon = np.array([float(r["location"]["longitude"]) for r in records])
        lat = np.array([float(r["location"]["latitude"]) for r in records])
        self.points = shapely.points(lon, lat)

    def request(self, method: str, url: str, **kw: Any) -> FakeResponse:
        data = kw["data"]
        self.calls.append({"method": method, "url": url, **data})
        coords = [tuple(map(float, p.split(","))) for p in unquote_plus(data["poly"]).split(":")]
        assert len(coords) <= 100
        poly = shapely.Polygon([(lng, lat) for lat, lng in coords])
        # a little slack, as the real API returns points near the edges of neighbouring pieces
        hit = shapely.intersects(poly.buffer(0.003), self.points)
        found = [
            r for r, h in zip(self.records, hit, strict=True) if h and r["month"] == data["date"]
        ]
        status = 503 if len(found) > self.limit else 200
        self.calls[-1]["status"] = status
        return FakeResponse(status, found if status == 200 else None)


def test_fetch_splits_on_503_and_deduplicates(
    data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOTSPOTS_OFFLINE", "0")
    monkeypatch.setenv("HOTSPOTS_CACHE_DIR", str(tmp_path / "cache"))
    records = json.loads((data_dir / API_JSON).read_text("utf-8"))
    medway = gpd.read_file(data_dir / "boundaries/medway_boundary.geojson")
    session = FakeSession(records, limit=1500)
    gdf = quiet(fetch_police_api, medway, ["2018-06"], session=session, force="Kent Police")
    statuses = len(session.calls)
    assert statuses > 5  # the whole area answered 503, so it was split
    assert all(c["url"].endswith("/crimes-street/all-crime") for c in session.calls)
    assert all(c["method"] == "POST" and c["date"] == "2018-06" for c in session.calls)
    # every real record inside Medway is found exactly once
    inside = medway.union_all()
    expected = {
        str(r["id"]) for r, p in zip(records, session.points, strict=True) if inside.intersects(p)
    }
    assert set(gdf["api_id"]) == expected and gdf["api_id"].is_unique
    report = gdf.attrs["load_report"]
    assert report.counts().get("duplicate api id", 0) > 0
    assert len(gdf) + report.n_dropped == report.rows_read
    # a second run is answered from the disk cache: only the (uncached) 503s are asked again
    assert sum(c["status"] == 503 for c in session.calls) >= 1
    quiet(fetch_police_api, medway, ["2018-06"], session=session)
    again = session.calls[statuses:]
    assert again and all(c["status"] == 503 for c in again)
    assert len(again) == sum(c["status"] == 503 for c in session.calls[:statuses])


def test_fetch_offline_error(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("HOTSPOTS_OFFLINE", "1")
    monkeypatch.setenv("HOTSPOTS_CACHE_DIR", str(tmp_path / "empty-cache"))
    medway = gpd.read_file(data_dir / "boundaries/medway_boundary.geojson")
    with pytest.raises(OfflineError, match=r"data\.police\.uk/data.*read_police_csv"):
        fetch_police_api(medway, ["2018-06"])


def test_fetch_rejects_bad_arguments(data_dir: Path) -> None:
    medway = gpd.read_file(data_dir / "boundaries/medway_boundary.geojson")
    with pytest.raises(DataError, match="unknown category"):
        fetch_police_api(medway, ["2018-06"], category="murder")
    with pytest.raises(DataError, match="months is empty"):
        fetch_police_api(medway, [])
    with pytest.raises(DataError, match="area must be"):
        fetch_police_api("Medway", ["2018-06"])


def test_nested_or_wrapped_json_is_named(tmp_path: Path) -> None:
    records = [{"category": "drugs", "month": "2018-06", "location": {}}]
    nested = tmp_path / "nested.json"
    nested.write_text(json.dumps([records]))
    with pytest.raises(DataError, match=r"nested\.json: a JSON array of arrays"):
        read_police_api(nested)
    wrapped = tmp_path / "wrapped.json"
    wrapped.write_text(json.dumps({"crimes": records}))
    with pytest.raises(
        DataError, match=r"wrapped\.json: a JSON object holding a list under 'crimes'"
    ):
        read_police_api(wrapped)
