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
from hotspots.optimized import (
    fallback_distance,
    first_peak,
    global_moran,
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


def test_global_moran_matches_esda_randomisation() -> None:
    rng = np.random.default_rng(2)
    xy = rng.random((300, 2)) * 1000
    y = rng.poisson(0.7, 300).astype(float) + (xy[:, 0] > 700) * 3  # skewed counts
    W = distance_band_weights(xy, 120)
    i, z = global_moran(y, W)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        w = libpysal.weights.WSP(W).to_W(silence_warnings=True)
        m = esda.Moran(y, w, transformation="r", permutations=0)
    assert i == pytest.approx(m.I, abs=1e-10)
    assert z == pytest.approx(m.z_rand, abs=1e-8)
    assert abs(m.z_rand - m.z_norm) > 1e-3  # the two variances differ on these counts
    curve = incremental_autocorrelation(xy, y, np.array([120.0, 200.0]))
    assert curve[0, 1] == pytest.approx(m.z_rand, abs=1e-8)


def test_first_peak_rules() -> None:
    assert first_peak(np.array([1.0, 2.5, 3.0, 2.8, 4.0])) == 2
    assert first_peak(np.array([1.0, 2.0, 3.0, 4.0])) is None  # rising: no peak
    assert first_peak(np.array([1.0, 1.5, 1.2])) is None  # peak not significant
    # 1.65 (90 %) is the threshold, not 1.96
    assert first_peak(np.array([1.0, 1.8, 1.2])) == 1
    assert first_peak(np.array([1.0, 1.6, 1.2])) is None
    # the first band is a peak only when a shorter band shows it is one
    falling = np.array([3.0, 2.0, 1.0])
    assert first_peak(falling) is None
    assert first_peak(falling, z_before=3.5) is None
    assert first_peak(falling, z_before=2.5) == 0


def _kth_neighbour_mean(xy: np.ndarray, k: int) -> float:
    dist = np.hypot(xy[:, None, 0] - xy[None, :, 0], xy[:, None, 1] - xy[None, :, 1])
    return float(np.sort(dist, axis=1)[:, k].mean())  # column 0 is the point itself


def test_fallback_distance_uses_int_five_percent_neighbours() -> None:
    rng = np.random.default_rng(4)
    xy = rng.random((259, 2)) * 1000
    d, info = fallback_distance(xy)
    assert info["k"] == 12  # int(0.05 * 259) = int(12.95), not round() = 13
    small = rng.random((40, 2)) * 1000
    assert fallback_distance(small)[1]["k"] == 3  # int(0.05 * 40) = 2, raised to 3
    assert d == pytest.approx(_kth_neighbour_mean(xy, 12))
    assert not info["capped_at_standard_distance"]


def test_fallback_distance_capped_at_standard_distance() -> None:
    # equilateral triangle of side 1: the 2nd nearest neighbour is 1 away, the standard
    # distance (root mean square distance to the centre) is the circumradius 1/sqrt(3)
    tri = np.array([[0.0, 0.0], [1.0, 0.0], [0.5, np.sqrt(3) / 2]])
    d, info = fallback_distance(tri, k=2)
    assert d == pytest.approx(1 / np.sqrt(3)) and info["capped_at_standard_distance"]


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


def test_cell_size_is_the_larger_of_spacing_and_extent_rule() -> None:
    pts = _clustered_points()
    xy = np.unique(pts.get_coordinates().to_numpy(), axis=0)
    dist = np.hypot(xy[:, None, 0] - xy[None, :, 0], xy[:, None, 1] - xy[None, :, 1])
    np.fill_diagonal(dist, np.inf)
    nn = dist.min(axis=1)
    core = nn <= nn.mean() + 3 * nn.std()
    extent = max(np.ptp(xy[core, 0]), np.ptp(xy[core, 1])) / 100
    mean_nn = nn[core].mean()
    assert abs(mean_nn - extent) > 5  # the two rules disagree here, so max() matters
    out = optimized_hotspots(pts, permutations=0)
    dec = {d["step"]: d for d in out.attrs["hotspots"]["decisions"]}
    assert dec["cell size"]["cell_size_m"] == round(max(mean_nn, extent))


def test_no_peak_falls_back_to_five_percent_neighbours() -> None:
    rng = np.random.default_rng(11)
    xy = rng.random((1500, 2)) * 3000 + np.array([550_000, 160_000])  # no pattern
    pts = gpd.GeoDataFrame(geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=27700)
    out = optimized_hotspots(pts, permutations=0)
    dec = {d["step"]: d for d in out.attrs["hotspots"]["decisions"]}["scale of analysis"]
    assert dec["moran_z"] == "randomisation"
    zs = [c["z"] for c in dec["curve"]]
    if "peak_z" in dec:  # a chance peak: it must satisfy the documented rule
        assert dec["peak_z"] > 1.65
    else:
        cxy = out.geometry.centroid.get_coordinates().to_numpy()
        k = min(int(0.05 * len(out)), 30)  # 5 % of the cells, at most 30
        assert dec["k"] == k and dec["k_from_5_percent"] == int(0.05 * len(out)) > 30
        assert dec["distance_m"] == pytest.approx(_kth_neighbour_mean(cxy, k), abs=0.05)
        assert not any(
            zs[b] > 1.65 and zs[b] > zs[b - 1] and zs[b] > zs[b + 1] for b in range(1, len(zs) - 1)
        )
    assert out.attrs["hotspots"]["parameters"]["distance"] == pytest.approx(
        dec["distance_m"], abs=0.05
    )
