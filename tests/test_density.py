"""Tests for hotspots.density: quartic KDE and ArcGIS's default bandwidth."""

from __future__ import annotations

import math
import warnings

import geopandas as gpd
import numpy as np
import pytest
import shapely
from shapely.geometry import box

from hotspots import CRSError, DataError, HotspotsWarning
from hotspots.density import default_bandwidth, kde, quartic_kernel
from hotspots.grid import hex_grid

BNG = 27700


def _pts(x: np.ndarray, y: np.ndarray, **cols: object) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(dict(cols), geometry=gpd.points_from_xy(x, y), crs=BNG)


def _cluster(n: int = 2000, seed: int = 0) -> gpd.GeoDataFrame:
    rng = np.random.default_rng(seed)
    x = np.r_[rng.normal(5000, 150, n), rng.uniform(2000, 8000, n // 4)]
    y = np.r_[rng.normal(5000, 150, n), rng.uniform(2000, 8000, n // 4)]
    return _pts(x, y)


def test_kernel_integrates_to_one() -> None:
    r = 200.0
    h = 2.0
    g = np.arange(-r, r + h, h)
    d = np.hypot(g[:, None], g[None, :])
    assert quartic_kernel(d, r).sum() * h * h == pytest.approx(1.0, rel=1e-3)
    assert quartic_kernel(r * 0.5, r) == pytest.approx(3 / (math.pi * r * r) * 0.75**2)


def test_default_bandwidth_hand_computation() -> None:
    # five points: mean centre (20, 10)
    xy = np.array([[0.0, 0.0], [40.0, 0.0], [20.0, 30.0], [20.0, 10.0], [20.0, 10.0]])
    d = np.array([math.hypot(20, 10), math.hypot(20, 10), 20.0, 0.0, 0.0])
    sd = math.sqrt((20**2 + 20**2 + 0 + 0 + 0) / 5 + (10**2 + 10**2 + 20**2 + 0 + 0) / 5)
    dm = 0.0 + 20.0 * 0 + sorted(d)[2]  # median of 0, 0, 20, 22.36, 22.36 = 20
    assert dm == 20.0
    expected = 0.9 * min(sd, math.sqrt(1 / math.log(2)) * dm) * 5**-0.2
    assert default_bandwidth(xy) == pytest.approx(expected, rel=1e-12)
    # weighted: weights 2 on the first point equals duplicating it, except the median rule
    w = np.array([3.0, 1.0, 1.0, 1.0, 1.0])
    mc = (xy * w[:, None]).sum(axis=0) / w.sum()
    dd = np.hypot(*(xy - mc).T)
    sdw = math.sqrt((w * dd**2).sum() / w.sum())
    # lower weighted median: cumulative weight of sorted distances reaches 3.5
    srt = np.argsort(dd)
    dmw = dd[srt][np.searchsorted(np.cumsum(w[srt]), 3.5)]
    exp_w = 0.9 * min(sdw, math.sqrt(1 / math.log(2)) * dmw) * 7**-0.2
    assert default_bandwidth(xy, w) == pytest.approx(exp_w, rel=1e-12)


def test_kde_integrates_to_n_and_peak_at_cluster() -> None:
    pts = _cluster()
    surf = kde(pts, cell_size=50, bandwidth=300, method="exact")
    total = (surf["density"] * (50 * 50 / 1e6)).sum()
    assert total == pytest.approx(len(pts), rel=0.01)
    peak = surf.loc[surf["density"].idxmax()].geometry.centroid
    assert peak.distance(shapely.Point(5000, 5000)) < 100
    assert surf.attrs["hotspots"]["parameters"]["bandwidth"] == 300


def test_kde_default_bandwidth_recorded() -> None:
    pts = _cluster(500)
    surf = kde(pts, cell_size=50)
    xy = shapely.get_coordinates(pts.geometry.to_numpy())
    assert surf.attrs["hotspots"]["parameters"]["bandwidth"] == pytest.approx(default_bandwidth(xy))
    assert surf.attrs["hotspots"]["parameters"]["bandwidth_rule"].startswith("ArcGIS")


def test_binned_agrees_with_exact() -> None:
    pts = _cluster(3000, seed=3)
    area = gpd.GeoSeries([box(1500, 1500, 8500, 8500)], crs=BNG)
    exact = kde(pts, cell_size=50, bandwidth=250, area=area, method="exact")
    binned = kde(pts, cell_size=50, bandwidth=250, area=area, method="binned")
    diff = np.abs(exact["density"].to_numpy() - binned["density"].to_numpy())
    # documented tolerance: under 1 % of the peak for r >= 5 x cell_size
    assert diff.max() < 0.01 * exact["density"].max()
    assert binned["density"].sum() == pytest.approx(exact["density"].sum(), rel=1e-3)
    assert binned.attrs["hotspots"]["parameters"]["evaluation"] == "binned"


def test_weighted_kde_equals_duplicated_points() -> None:
    x = np.array([0.0, 100.0, 300.0])
    y = np.array([0.0, 50.0, 20.0])
    w = _pts(x, y, w=[2.0, 1.0, 3.0])
    d = _pts(np.repeat(x, [2, 1, 3]), np.repeat(y, [2, 1, 3]))
    a = kde(w, cell_size=20, bandwidth=200, weight="w")
    b = kde(d, cell_size=20, bandwidth=200)
    assert np.allclose(a["density"], b["density"])


def test_supplied_hex_grid_uses_cell_centres() -> None:
    pts = _pts(np.array([1000.0]), np.array([1000.0]))
    g = hex_grid(gpd.GeoSeries([box(0, 0, 2000, 2000)], crs=BNG), cell_size=100)
    surf = kde(pts, cell_size=100, bandwidth=400, grid=g)
    c = shapely.get_coordinates(g.geometry.centroid.to_numpy())
    d = np.hypot(c[:, 0] - 1000, c[:, 1] - 1000)
    assert np.allclose(surf["density"], quartic_kernel(d, 400) * 1e6)
    assert surf.index.equals(g.index)
    assert "density" not in g.columns  # the caller's grid is not changed
    with pytest.raises(DataError, match="binned"):
        kde(pts, cell_size=100, bandwidth=400, grid=g, method="binned")


def test_real_medway_violence_kde(medway_crime: gpd.GeoDataFrame) -> None:
    pts = medway_crime.loc[medway_crime["crime_type"] == "Violence and sexual offences"]
    surf = kde(pts, cell_size=100)
    assert (surf["density"] * 0.01).sum() == pytest.approx(len(pts), rel=0.01)
    # independent brute force: every point against every cell centre
    c = shapely.get_coordinates(surf.geometry.centroid.to_numpy())
    xy = shapely.get_coordinates(pts.geometry.to_numpy())
    r = surf.attrs["hotspots"]["parameters"]["bandwidth"]
    dens = np.zeros(len(c))
    for chunk in np.array_split(np.arange(len(c)), 20):
        d2 = ((c[chunk, None, :] - xy[None, :, :]) ** 2).sum(axis=2)
        u = np.clip(1 - d2 / r**2, 0, None)
        dens[chunk] = (3 / (math.pi * r**2) * u**2).sum(axis=1) * 1e6
    assert np.allclose(surf["density"].to_numpy(), dens, rtol=1e-9, atol=1e-9)


def _brute(centres: np.ndarray, xy: np.ndarray, w: np.ndarray, r: float) -> np.ndarray:
    """Every point against every centre, the quartic formula written out (per km²)."""
    d2 = ((centres[:, None, :] - xy[None, :, :]) ** 2).sum(axis=2)
    u = np.clip(1 - d2 / r**2, 0, None)
    return (3 / (math.pi * r**2) * u**2 * w[None, :]).sum(axis=1) * 1e6


def test_exact_on_square_grid_equals_brute_force_with_holes_and_weights() -> None:
    # an L-shaped area (cells missing from the window), duplicates, weights, a point
    # right on a cell edge and one whose kernel reaches only cells that do not exist
    rng = np.random.default_rng(5)
    x = np.r_[rng.uniform(0, 900, 300), 400.0, 400.0, 250.0, 2000.0]
    y = np.r_[rng.uniform(0, 900, 300), 400.0, 400.0, 500.0, 2000.0]
    wt = np.r_[rng.uniform(0.5, 3, 300), 1.0, 2.0, 1.5, 1.0]
    pts = _pts(x, y, w=wt)
    area = gpd.GeoSeries([shapely.union_all([box(0, 0, 1000, 400), box(0, 0, 400, 1000)])], crs=BNG)
    with pytest.warns(HotspotsWarning, match="distinct point locations lie farther"):
        surf = kde(pts, cell_size=25, bandwidth=130, weight="w", area=area, method="exact")
    c = shapely.get_coordinates(surf.geometry.centroid.to_numpy())
    xy = np.column_stack([x, y])
    expected = _brute(c, xy, wt, 130.0)
    assert np.allclose(surf["density"].to_numpy(), expected, rtol=1e-12, atol=1e-12)
    # distinct locations with no cell centre within the bandwidth
    near = (((xy[:, None, :] - c[None, :, :]) ** 2).sum(axis=2) < 130.0**2).any(axis=1)
    far = {tuple(p) for p in xy[~near]}
    assert (2000.0, 2000.0) in far and len(far) > 1
    assert surf.attrs["hotspots"]["n_locations_outside"] == len(far)


def test_binned_tiles_give_the_untiled_answer(monkeypatch: pytest.MonkeyPatch) -> None:
    import hotspots.density as density

    pts = _cluster(1500, seed=4)
    area = gpd.GeoSeries([box(2000, 2500, 8000, 7000)], crs=BNG)
    with pytest.warns(HotspotsWarning):
        whole = kde(pts, cell_size=50, bandwidth=200, area=area, method="binned")
    # tiles of ~3,000 fine cells: many tiles in both directions, halos of 2m fine rows
    monkeypatch.setattr(density, "TILE_FINE_CELLS", 3_000)
    assert density._tiles(200, 200, 5, 10)[1] < 200  # really square tiles, not strips
    with pytest.warns(HotspotsWarning):
        tiled = kde(pts, cell_size=50, bandwidth=200, area=area, method="binned")
    peak = whole["density"].max()
    assert np.allclose(tiled["density"], whole["density"], rtol=0, atol=1e-9 * peak)
    c = shapely.get_coordinates(whole.geometry.centroid.to_numpy())
    xy = shapely.get_coordinates(pts.geometry.to_numpy())
    expected = _brute(c, xy, np.ones(len(xy)), 200.0)
    assert np.abs(tiled["density"].to_numpy() - expected).max() < 0.01 * expected.max()


def test_auto_chooses_by_cost_not_point_count() -> None:
    # few points but a wide kernel on fine cells: the FFT is cheaper than the windows
    rng = np.random.default_rng(1)
    few = _pts(rng.uniform(0, 20_000, 5_000), rng.uniform(0, 20_000, 5_000))
    wide = kde(few, cell_size=25, bandwidth=600)
    assert wide.attrs["hotspots"]["parameters"]["evaluation"] == "binned"
    # many points, narrow kernel on coarse cells: each point touches a handful of cells
    many = _pts(rng.uniform(0, 20_000, 30_000), rng.uniform(0, 20_000, 30_000))
    narrow = kde(many, cell_size=200, bandwidth=150)
    assert narrow.attrs["hotspots"]["parameters"]["evaluation"] == "exact"


# ------------------------------------------------------------------ broken input
def test_geographic_crs() -> None:
    pts = gpd.GeoDataFrame(geometry=gpd.points_from_xy([0.5], [51.4]), crs=4326)
    with pytest.raises(CRSError):
        kde(pts, cell_size=50, bandwidth=100)


def test_empty_one_point_and_identical_points() -> None:
    with pytest.raises(DataError, match="empty"):
        kde(_pts(np.array([]), np.array([])), cell_size=50)
    one = _pts(np.array([10.0]), np.array([10.0]))
    with pytest.raises(DataError, match="bandwidth"):
        kde(one, cell_size=50)
    surf = kde(one, cell_size=10, bandwidth=100)
    assert (surf["density"] * 1e-4).sum() == pytest.approx(1.0, rel=1e-2)


@pytest.mark.parametrize("bad", [0, -1, float("nan"), "x"])
def test_bad_sizes(bad: object) -> None:
    pts = _cluster(50)
    with pytest.raises(DataError, match="cell_size"):
        kde(pts, cell_size=bad, bandwidth=100)  # type: ignore[arg-type]
    with pytest.raises(DataError, match="bandwidth"):
        kde(pts, cell_size=50, bandwidth=bad)  # type: ignore[arg-type]


def test_absurdly_small_cell() -> None:
    pts = _pts(np.array([0.0, 100_000.0]), np.array([0.0, 100_000.0]))
    with pytest.raises(DataError, match="bigger cell_size"):
        kde(pts, cell_size=1, bandwidth=500)


def test_weight_problems() -> None:
    pts = _pts(np.array([0.0, 10.0]), np.array([0.0, 0.0]), w=[1.0, np.nan])
    with pytest.raises(DataError, match="'w'"):
        kde(pts, cell_size=10, bandwidth=100, weight="w")
    neg = pts.assign(w=[1.0, -2.0])
    with pytest.raises(DataError, match="negative"):
        kde(neg, cell_size=10, bandwidth=100, weight="w")
    with pytest.raises(DataError, match="method"):
        kde(pts, cell_size=10, bandwidth=100, method="fast")  # type: ignore[arg-type]


def test_points_outside_area_warned() -> None:
    pts = _pts(np.array([100.0, 200.0, 50_000.0]), np.array([100.0, 200.0, 50_000.0]))
    area = gpd.GeoSeries([box(0, 0, 1000, 1000)], crs=BNG)
    with pytest.warns(HotspotsWarning, match="1 distinct point"):
        surf = kde(pts, cell_size=50, bandwidth=200, area=area)
    assert surf.attrs["hotspots"]["n_locations_outside"] == 1
    other = area.to_crs(3857)
    with pytest.raises(CRSError):
        kde(pts, cell_size=50, bandwidth=200, area=other)


def test_input_not_mutated() -> None:
    pts = _cluster(100)
    before = pts.copy()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        kde(pts, cell_size=50, bandwidth=200)
    assert pts.equals(before)


def test_helpers_broken_input() -> None:
    with pytest.raises(DataError, match="bandwidth"):
        quartic_kernel(1.0, 0.0)
    with pytest.raises(DataError, match="shape"):
        default_bandwidth(np.empty((0, 2)))
    with pytest.raises(DataError, match="shape"):
        default_bandwidth(np.array([1.0, 2.0]))
    with pytest.raises(DataError, match="infinite"):
        default_bandwidth(np.array([[0.0, 0.0], [np.nan, 1.0]]))
    with pytest.raises(DataError, match="weights"):
        default_bandwidth(np.array([[0.0, 0.0], [1.0, 1.0]]), np.array([1.0, np.nan]))
