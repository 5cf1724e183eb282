"""Tests of hotspots._raster_buffer: street buffers traced from a distance field."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import shapely

from hotspots import _raster_buffer
from hotspots._raster_buffer import cell_for, nested_buffers


def _line_points(coords: list[tuple[float, float]], step: float) -> tuple[np.ndarray, np.ndarray]:
    """Points at most ``step`` apart along a polyline, with the 'joined' flags."""
    pts, joined = [], []
    for (x0, y0), (x1, y1) in itertools.pairwise(coords):
        n = int(np.ceil(np.hypot(x1 - x0, y1 - y0) / step)) + 1
        f = np.linspace(0.0, 1.0, n)
        pts.append(np.column_stack([x0 + f * (x1 - x0), y0 + f * (y1 - y0)]))
        joined.append(np.r_[np.ones(n - 1, bool), False])
    return np.concatenate(pts), np.concatenate(joined)


def _exact(coords: list[tuple[float, float]], buf: float) -> shapely.Geometry:
    return shapely.LineString(coords).buffer(buf, quad_segs=64)


@pytest.mark.parametrize("cell", [2.0, 5.0, 10.0])
def test_straight_street_matches_exact_buffer(cell):
    coords = [(600_000.0, 170_000.0), (600_400.0, 170_000.0)]  # British National Grid sizes
    (poly,) = nested_buffers([(_line_points(coords, cell), None)], 50.0, cell)
    exact = _exact(coords, 50.0)
    # flat sides are exact; the round ends are cut by chords at most one cell long
    assert poly.symmetric_difference(exact).area / exact.area < 0.002 * cell
    x0, y0, x1, y1 = poly.bounds
    assert y0 == pytest.approx(170_000 - 50, abs=1e-6) and y1 == pytest.approx(170_050, abs=1e-6)
    assert x1 - 600_400 == pytest.approx(600_000 - x0, abs=1e-6)  # both ends alike
    sagitta = 50.0 - np.sqrt(50.0**2 - (cell / 2) ** 2)  # of a one-cell chord
    assert 599_950 <= x0 <= 599_950 + 1.1 * sagitta  # linear interpolation across a cell
    assert shapely.hausdorff_distance(poly.exterior, exact.exterior) < 0.6


def test_bent_street_and_negative_coordinates():
    coords = [(-300.0, -120.0), (-100.0, 40.0), (250.0, -10.0), (260.0, 300.0)]
    (poly,) = nested_buffers([(_line_points(coords, 5.0), None)], 30.0, 5.0)
    exact = _exact(coords, 30.0)
    assert poly.is_valid and poly.geom_type == "Polygon"
    assert poly.symmetric_difference(exact).area / exact.area < 0.01


def test_block_larger_than_the_buffer_leaves_a_hole():
    square = [(0.0, 0.0), (300.0, 0.0), (300.0, 300.0), (0.0, 300.0), (0.0, 0.0)]
    (poly,) = nested_buffers([(_line_points(square, 10.0), None)], 50.0, 10.0)
    exact = _exact(square, 50.0)
    assert len(poly.interiors) == 1
    assert not poly.contains(shapely.Point(150, 150)) and poly.contains(shapely.Point(150, 40))
    hole = shapely.Polygon(poly.interiors[0])
    assert hole.area == pytest.approx(200.0 * 200.0, rel=0.01)
    assert poly.symmetric_difference(exact).area / exact.area < 0.01


def test_small_block_is_filled():
    square = [(0.0, 0.0), (80.0, 0.0), (80.0, 80.0), (0.0, 80.0), (0.0, 0.0)]
    (poly,) = nested_buffers([(_line_points(square, 10.0), None)], 50.0, 10.0)
    assert len(poly.interiors) == 0 and poly.contains(shapely.Point(40, 40))


def test_nested_sets_give_nested_polygons_and_empty_sets_empty_polygons():
    rng = np.random.default_rng(3)
    walk = np.cumsum(rng.normal(0, 60, (40, 2)), axis=0)
    sets = [(np.empty((0, 2)), np.empty(0, bool))]
    for k in (5, 15, 40):
        sets.append(_line_points([tuple(p) for p in walk[:k]], 8.0))
    polys = nested_buffers([(item, None) for item in sets], 40.0, 8.0)
    assert polys[0].is_empty and all(p.is_valid and not p.is_empty for p in polys[1:])
    for small, large in itertools.pairwise(polys[1:]):
        assert small.difference(large).area < 1e-6
        assert large.area > small.area


def test_two_far_apart_pieces_give_a_multipolygon():
    a = _line_points([(0.0, 0.0), (100.0, 0.0)], 5.0)
    b = _line_points([(1000.0, 0.0), (1100.0, 0.0)], 5.0)
    pts = (np.concatenate([a[0], b[0]]), np.concatenate([a[1], b[1]]))
    (poly,) = nested_buffers([(pts, None)], 20.0, 5.0)
    assert poly.geom_type == "MultiPolygon" and len(poly.geoms) == 2


def test_cell_for_keeps_the_grid_small(monkeypatch):
    pts = np.array([[0.0, 0.0], [10_000.0, 10_000.0]])
    assert cell_for(pts, 50.0, 10.0) == 10.0  # about 1 million cells
    assert cell_for(np.empty((0, 2)), 50.0, 10.0) == 10.0
    monkeypatch.setattr(_raster_buffer, "MAX_CELLS", 10_000)
    size = cell_for(pts, 50.0, 10.0)
    assert size > 10.0
    width = 10_000 + 2 * (50 + 2 * size)
    assert (width / size) ** 2 <= 10_000 * 1.05
