"""Tests of hotspots.hotspot.optimized_hotspots and its incremental autocorrelation."""

from __future__ import annotations

import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import Point, box

from hotspots import CRSError, DataError, HotspotsWarning
from hotspots._weights import distance_band_weights
from hotspots.hotspot import (
    _first_peak,
    _global_moran_z,
    incremental_autocorrelation,
    optimized_hotspots,
)

esda = pytest.importorskip("esda")
libpysal = pytest.importorskip("libpysal")


def _clustered_points(seed: int = 0, n_bg: int = 600, n_hot: int = 300) -> gpd.GeoDataFrame:
    rng = np.random.default_rng(seed)
    bg = rng.random((n_bg, 2)) * 4000
    hot = rng.normal([1000, 3000], 120, size=(n_hot, 2))
    xy = np.vstack([bg, hot]) + np.array([550_000, 160_000])
    return gpd.GeoDataFrame(geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=27700)


def test_global_moran_matches_esda() -> None:
    rng = np.random.default_rng(2)
    xy = rng.random((300, 2)) * 1000
    y = rng.poisson(2, 300).astype(float) + (xy[:, 0] > 700) * 3
    W = distance_band_weights(xy, 120)
    i, z = _global_moran_z(y, W)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        w = libpysal.weights.WSP(W).to_W(silence_warnings=True)
        m = esda.Moran(y, w, transformation="r", permutations=0)
    assert i == pytest.approx(m.I, abs=1e-10)
    assert z == pytest.approx(m.z_norm, abs=1e-8)
    curve = incremental_autocorrelation(xy, y, np.array([120.0, 200.0]))
    assert curve[0, 1] == pytest.approx(m.z_norm, abs=1e-8)


def test_first_peak() -> None:
    assert _first_peak(np.array([1.0, 2.5, 3.0, 2.8, 4.0])) == 2
    assert _first_peak(np.array([1.0, 2.0, 3.0, 4.0])) is None  # rising: no peak
    assert _first_peak(np.array([1.0, 1.5, 1.2])) is None  # peak not significant


def test_optimized_finds_planted_cluster() -> None:
    pts = _clustered_points()
    out = optimized_hotspots(pts, permutations=99, seed=0)
    dec = {d["step"]: d for d in out.attrs["hotspots"]["decisions"]}
    for step in (
        "input",
        "locational outliers",
        "cell size",
        "aggregation",
        "scale of analysis",
        "Gi* with FDR",
    ):
        assert step in dec
    assert dec["input"]["incidents"] == 900
    assert dec["cell size"]["cell_size_m"] > 0
    assert dec["aggregation"]["cells"] == len(out)
    assert dec["scale of analysis"]["distance_m"] > 0
    assert out.attrs["hotspots"]["parameters"]["fdr"] is True
    hot = out[out["gi_bin"] >= 2]
    assert len(hot) > 0
    centre = Point(551_000, 163_000)
    assert hot.geometry.centroid.distance(centre).median() < 500


def test_optimized_broken_inputs() -> None:
    pts = _clustered_points()
    with pytest.raises(CRSError):
        optimized_hotspots(pts.to_crs(4326))
    with pytest.raises(DataError, match="empty"):
        optimized_hotspots(pts.iloc[:0])
    with pytest.raises(DataError, match="30 or more"):
        optimized_hotspots(pts.iloc[:10])
    with pytest.raises(DataError, match="Point"):
        optimized_hotspots(gpd.GeoDataFrame(geometry=[box(0, 0, 1, 1)] * 40, crs=27700))
    with pytest.raises(DataError, match="cell must be"):
        optimized_hotspots(pts, cell="triangle")


def test_optimized_reports_points_outside_area() -> None:
    pts = _clustered_points()
    area = gpd.GeoDataFrame(geometry=[box(550_000, 160_000, 552_000, 164_000)], crs=27700)
    with pytest.warns(HotspotsWarning, match="outside"):
        out = optimized_hotspots(pts, area=area, permutations=0)
    dec = {d["step"]: d for d in out.attrs["hotspots"]["decisions"]}
    assert dec["aggregation"]["incidents_outside_grid"] > 0
    assert (
        dec["aggregation"]["incidents_counted"] + dec["aggregation"]["incidents_outside_grid"]
        == 900
    )


@pytest.mark.slow
@pytest.mark.realdata
def test_optimized_medway(data_dir: Path, medway_crime: gpd.GeoDataFrame) -> None:
    v = medway_crime[medway_crime["crime_type"] == "Violence and sexual offences"]
    boundary = gpd.read_file(data_dir / "boundaries" / "medway_boundary.geojson").to_crs(27700)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", HotspotsWarning)
        out = optimized_hotspots(v, permutations=199, seed=0)
        out_area = optimized_hotspots(v, area=boundary, permutations=199, seed=0)
    for res, label in ((out, "no area"), (out_area, "Medway boundary")):
        dec = {d["step"]: d for d in res.attrs["hotspots"]["decisions"]}
        print(f"\nOptimized hot spots, Medway violence 2018-06 ({label}):")
        for d in res.attrs["hotspots"]["decisions"]:
            print("  ", {k: val for k, val in d.items() if k != "curve"})
        # sane: urban incident spacing gives cells of ~100-400 m and bands under ~3 km
        assert 80 <= dec["cell size"]["cell_size_m"] <= 400
        assert 100 <= dec["scale of analysis"]["distance_m"] <= 3000
        assert (res["gi_bin"] >= 2).sum() >= 5  # exact p: 99 % needs more than a month
        assert res["count"].sum() <= 1230
