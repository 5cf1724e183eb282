"""Tests for hotspots.grid: square/hex grids, arithmetic cell index, count_points."""

from __future__ import annotations

import math
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely
from shapely.geometry import Point, box

from hotspots import CRSError, DataError, HotspotsWarning
from hotspots.grid import (
    cell_ids,
    count_points,
    hex_cell_index,
    hex_grid,
    square_cell_index,
    square_grid,
)

BNG = 27700


def _rect(x0: float = 0, y0: float = 0, x1: float = 1000, y1: float = 600) -> gpd.GeoSeries:
    return gpd.GeoSeries([box(x0, y0, x1, y1)], crs=BNG)


def _random_points(
    n: int, bounds: tuple[float, float, float, float], seed: int = 0
) -> gpd.GeoDataFrame:
    rng = np.random.default_rng(seed)
    x = rng.uniform(bounds[0], bounds[2], n)
    y = rng.uniform(bounds[1], bounds[3], n)
    return gpd.GeoDataFrame(geometry=gpd.points_from_xy(x, y), crs=BNG)


@pytest.fixture(scope="module")
def medway_boundary(data_dir: Path) -> gpd.GeoDataFrame:
    return gpd.read_file(data_dir / "boundaries" / "medway_boundary.geojson").to_crs(BNG)


# ------------------------------------------------------------------ grid geometry
def test_square_grid_known_rectangle() -> None:
    g = square_grid(_rect(), cell_size=100)
    assert len(g) == 10 * 6
    assert np.allclose(g.area, 100 * 100)
    assert g.geometry.union_all().equals(box(0, 0, 1000, 600).normalize()) or math.isclose(
        g.geometry.union_all().area, 600_000
    )
    assert g["cell_id"].is_unique
    assert list(g.columns) == ["cell_id", "row", "col", "area_share", "geometry"]
    assert (g["area_share"] == 1.0).all()  # every cell wholly inside the rectangle


def test_square_grid_offset_rectangle_counts_partial_cells() -> None:
    # 1050 x 610 starting at 25,25 -> cols 0..10 (11), rows 0..6 (7)
    g = square_grid(_rect(25, 25, 1075, 635), cell_size=100)
    assert len(g) == 11 * 7


def test_grid_ids_stable_and_aligned() -> None:
    a = square_grid(_rect(0, 0, 1000, 1000), cell_size=100)
    b = square_grid(_rect(500, 500, 1500, 1500), cell_size=100)
    shared = a.merge(b, on="cell_id", suffixes=("_a", "_b"))
    assert len(shared) == 25
    assert all(
        ga.equals(gb) for ga, gb in zip(shared["geometry_a"], shared["geometry_b"], strict=True)
    )
    ha = hex_grid(_rect(0, 0, 1000, 1000), cell_size=100)
    hb = hex_grid(_rect(0, 0, 1000, 1000), cell_size=100)
    assert ha["cell_id"].tolist() == hb["cell_id"].tolist()


def test_cell_ids_formula() -> None:
    assert cell_ids([3], [-2]).tolist() == [3 * 10**8 - 2]


@pytest.mark.parametrize("maker", [square_grid, hex_grid])
def test_all_cells_intersect_area_and_empty_cells_kept(
    maker: object, medway_boundary: gpd.GeoDataFrame
) -> None:
    g = maker(medway_boundary, cell_size=500)  # type: ignore[operator]
    area = shapely.make_valid(medway_boundary.geometry.iloc[0])
    assert shapely.intersects(area, g.geometry.to_numpy()).all()
    # the area is covered: its (polygonal) area equals the area of cells ∩ area
    covered = shapely.intersection(g.geometry.union_all(), area).area
    assert covered == pytest.approx(medway_boundary.area.iloc[0], rel=1e-6)
    assert g.crs.to_epsg() == BNG


@pytest.mark.parametrize("kind, size", [("square", 40.0), ("hex", 60.0)])
def test_fine_grid_cells_and_shares_are_those_of_the_whole_area(
    kind: str, size: float, medway_boundary: gpd.GeoDataFrame
) -> None:
    # fine cells are compared with tiles of the area: the answers must be the whole
    # area's (every cell that overlaps it, no cell that only touches it, the same share)
    maker = square_grid if kind == "square" else hex_grid
    # a 5 km window of Medway's coast (the reference intersections below cost
    # seconds per thousand cells against the whole boundary)
    medway = shapely.make_valid(medway_boundary.geometry.iloc[0])
    x, y = medway.centroid.x, medway.centroid.y
    area = shapely.intersection(medway, box(x - 2500, y, x + 2500, y + 5000))
    g = maker(gpd.GeoSeries([area], crs=BNG), cell_size=size)
    cells = g.geometry.to_numpy()
    share = shapely.area(shapely.intersection(cells, area)) / shapely.area(cells)
    np.testing.assert_allclose(g["area_share"].to_numpy(), share, atol=1e-9)
    assert (share > 0).all() and (g["area_share"] < 1).sum() > 200
    # no cell left out: the cells around the kept ones that overlap the area are kept
    from hotspots.grid import cells_from_index

    ring = cells_from_index(
        np.concatenate([g["row"] + dr for dr in (-1, 0, 1)]),
        np.concatenate([g["col"] + dc for dc in (-1, 0, 1)]),
        kind=kind,
        cell_size=size,
    )
    ring = ring[~ring["cell_id"].isin(g["cell_id"])].drop_duplicates("cell_id")
    geoms = ring.geometry.to_numpy()
    overlap = shapely.intersects(geoms, area) & ~shapely.touches(geoms, area)
    assert not overlap.any()


def test_hex_areas_equal_formula() -> None:
    g = hex_grid(_rect(), cell_size=250)
    assert np.allclose(g.area, 250.0**2)
    side = 250 * math.sqrt(2 / (3 * math.sqrt(3)))
    assert np.allclose(g.area, 3 * math.sqrt(3) / 2 * side**2)
    # flat-top: every hexagon is 2*side wide and sqrt(3)*side tall
    b = g.bounds
    assert np.allclose(b.maxx - b.minx, 2 * side)
    assert np.allclose(b.maxy - b.miny, math.sqrt(3) * side)
    # hexagons tile: no overlaps
    assert g.geometry.union_all().area == pytest.approx(g.area.sum())


def test_clip_keeps_cells_inside_area() -> None:
    area = gpd.GeoSeries([Point(500, 500).buffer(400)], crs=BNG)
    g = hex_grid(area, cell_size=100, clip=True)
    assert g.area.sum() == pytest.approx(area.area.iloc[0], rel=1e-9)
    assert g.attrs["hotspots_grid"]["clip"] is True


@pytest.mark.parametrize("kind", ["square", "hex"])
def test_arithmetic_assignment_agrees_with_sjoin(kind: str) -> None:
    area = _rect(-1234, 567, 4321, 5678)
    maker = hex_grid if kind == "hex" else square_grid
    g = maker(area, cell_size=173)
    pts = _random_points(10_000, (-1234, 567, 4321, 5678), seed=1)
    index = hex_cell_index if kind == "hex" else square_cell_index
    xy = shapely.get_coordinates(pts.geometry.to_numpy())
    r, c = index(xy[:, 0], xy[:, 1], cell_size=173)
    ids = cell_ids(r, c)
    j = gpd.sjoin(pts, g, predicate="within")
    assert len(j) == len(pts)  # random points never hit an edge exactly
    assert np.array_equal(j.sort_index()["cell_id"].to_numpy(), ids)
    # and count_points (fast path) equals sjoin + groupby
    counts = count_points(pts, g).set_index("cell_id")["count"]
    expected = j.groupby("cell_id").size().reindex(counts.index, fill_value=0)
    assert counts.sum() == len(pts)
    assert np.array_equal(counts.to_numpy(), expected.to_numpy())


@pytest.mark.parametrize("kind", ["square", "hex"])
def test_points_on_edges_and_vertices_are_inside_their_cell(kind: str) -> None:
    g = (hex_grid if kind == "hex" else square_grid)(_rect(), cell_size=100)
    # every vertex and edge midpoint of every cell
    coords = shapely.get_coordinates(g.geometry.to_numpy())
    mids = (coords[:-1] + coords[1:]) / 2
    xy = np.vstack([coords, mids])
    index = hex_cell_index if kind == "hex" else square_cell_index
    r1, c1 = index(xy[:, 0], xy[:, 1], cell_size=100)
    r2, c2 = index(xy[:, 0], xy[:, 1], cell_size=100)
    assert np.array_equal(r1, r2) and np.array_equal(c1, c2)  # deterministic
    # cells known to the grid: the assigned cell's polygon is within 1e-6 m of the point
    lookup = g.set_index("cell_id").geometry
    ids = cell_ids(r1, c1)
    known = np.isin(ids, lookup.index)
    polys = lookup.loc[ids[known]].to_numpy()
    d = shapely.distance(polys, shapely.points(xy[known]))
    assert (d < 1e-6).all()


# ------------------------------------------------------------------ count_points, real data
def test_count_points_lsoa_equals_sjoin(data_dir: Path, medway_crime: gpd.GeoDataFrame) -> None:
    lsoa = gpd.read_file(data_dir / "boundaries" / "medway_lsoa_2011.geojson").to_crs(BNG)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", HotspotsWarning)
        out = count_points(medway_crime, lsoa, by="crime_type")
    j = gpd.sjoin(medway_crime, lsoa.reset_index(names="pos"), predicate="intersects")
    j = j.sort_values("pos").loc[lambda d: ~d.index.duplicated(keep="first")]
    expected = j.groupby("pos").size().reindex(range(len(lsoa)), fill_value=0)
    assert np.array_equal(out["count"].to_numpy(), expected.to_numpy())
    assert out.index.equals(lsoa.index)
    by_cols = [c for c in out.columns if c.startswith("count_")]
    assert len(by_cols) == medway_crime["crime_type"].nunique() == 14
    assert "count_violence_and_sexual_offences" in by_cols
    assert np.array_equal(out[by_cols].sum(axis=1).to_numpy(), out["count"].to_numpy())
    # published split: 1230 violence records in the file, all inside Medway LSOAs?
    n_out = out.attrs["hotspots"]["n_outside"]
    assert out["count"].sum() + n_out == len(medway_crime)
    # the file's LSOA codes came from an independent point-in-polygon join (SOURCES.md)
    by_code = out.set_index("LSOA11CD")["count"]
    file_counts = medway_crime["LSOA code"].value_counts()
    assert (by_code.reindex(file_counts.index) == file_counts).mean() > 0.99


def test_count_points_hex_grid_real_data(
    medway_boundary: gpd.GeoDataFrame, medway_crime: gpd.GeoDataFrame
) -> None:
    g = hex_grid(medway_boundary, cell_size=250)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", HotspotsWarning)
        out = count_points(medway_crime, g, by="crime_type")
    j = gpd.sjoin(medway_crime, g, predicate="intersects")
    j = j.loc[~j.index.duplicated()]
    expected = j.groupby("cell_id").size().reindex(g["cell_id"], fill_value=0)
    assert np.array_equal(out["count"].to_numpy(), expected.to_numpy())
    by_cols = [c for c in out.columns if c.startswith("count_")]
    assert out[by_cols].to_numpy().sum() == out["count"].sum()
    assert out["count"].dtype == np.int64
    assert (out["count"] == 0).any()  # empty cells kept


def test_points_outside_are_reported() -> None:
    g = square_grid(_rect(0, 0, 200, 100), cell_size=100)
    pts = gpd.GeoDataFrame(geometry=gpd.points_from_xy([10, 150, 5000], [5, 5, 5]), crs=BNG)
    with pytest.warns(HotspotsWarning, match="1 of 3 points"):
        out = count_points(pts, g)
    assert out["count"].tolist() == [1, 1]
    assert out.attrs["hotspots"]["n_outside"] == 1
    assert out.attrs["hotspots"]["outside_index"] == [2]
    # same through the general path
    plain = gpd.GeoDataFrame(geometry=g.geometry.to_numpy(), crs=BNG)
    with pytest.warns(HotspotsWarning):
        out2 = count_points(pts, plain)
    assert out2["count"].tolist() == [1, 1]


def test_shared_boundary_counted_once_in_first_polygon() -> None:
    polys = gpd.GeoDataFrame(
        {"name": ["a", "b"]},
        geometry=[box(0, 0, 10, 10), box(10, 0, 20, 10)],
        crs=BNG,
        index=[7, 3],
    )
    pts = gpd.GeoDataFrame(geometry=[Point(10, 5), Point(15, 5)], crs=BNG)
    out = count_points(pts, polys)
    assert out.index.tolist() == [7, 3]
    assert out["count"].tolist() == [1, 1]


def test_weighted_and_by_column_names() -> None:
    g = square_grid(_rect(0, 0, 200, 100), cell_size=100)
    pts = gpd.GeoDataFrame(
        {"w": [1.5, 2.0, 4.0], "t": ["Drugs", "Public order", "<b>x</b>"]},
        geometry=gpd.points_from_xy([10, 150, 160], [5, 5, 5]),
        crs=BNG,
    )
    out = count_points(pts, g, weight="w", by="t", name="n")
    assert out["n"].tolist() == [1.5, 6.0]
    assert out["n"].dtype == np.float64
    assert out["n_drugs"].tolist() == [1.5, 0.0]
    assert out["n_public_order"].tolist() == [0.0, 2.0]
    assert out["n_b_x_b"].tolist() == [0.0, 4.0]
    assert out.attrs["hotspots"]["by_columns"]["Public order"] == "n_public_order"


def test_input_not_mutated() -> None:
    g = square_grid(_rect(0, 0, 200, 100), cell_size=100)
    before = g.copy()
    pts = _random_points(50, (0, 0, 200, 100))
    count_points(pts, g)
    assert list(g.columns) == list(before.columns)


# ------------------------------------------------------------------ broken input
def test_geographic_crs_rejected() -> None:
    area = gpd.GeoSeries([box(0.4, 51.3, 0.7, 51.5)], crs=4326)
    with pytest.raises(CRSError, match="geographic"):
        square_grid(area, cell_size=100)
    with pytest.raises(CRSError):
        hex_grid(area, cell_size=100)


def test_crs_mismatch_rejected() -> None:
    g = square_grid(_rect(), cell_size=100)
    pts = _random_points(5, (0, 0, 1000, 600)).set_crs(3857, allow_override=True)
    with pytest.raises(CRSError, match="different"):
        count_points(pts, g)


@pytest.mark.parametrize("size", [0, -5, float("nan"), "big"])
def test_bad_cell_size(size: object) -> None:
    with pytest.raises(DataError, match="cell_size"):
        square_grid(_rect(), cell_size=size)  # type: ignore[arg-type]
    with pytest.raises(DataError, match="cell_size"):
        hex_grid(_rect(), cell_size=size)  # type: ignore[arg-type]


def test_absurdly_small_cell_size_suggests_bigger() -> None:
    with pytest.raises(DataError, match="bigger cell_size"):
        square_grid(_rect(0, 0, 100_000, 100_000), cell_size=10)
    with pytest.raises(DataError, match="bigger cell_size"):
        hex_grid(_rect(0, 0, 100_000, 100_000), cell_size=10)


def test_empty_inputs() -> None:
    with pytest.raises(DataError, match="empty"):
        square_grid(gpd.GeoSeries([], crs=BNG), cell_size=100)
    g = square_grid(_rect(0, 0, 200, 100), cell_size=100)
    none = gpd.GeoDataFrame(geometry=gpd.GeoSeries([], crs=BNG))
    out = count_points(none, g)  # no incidents is a valid answer: all zeros
    assert out["count"].tolist() == [0, 0]
    with pytest.raises(DataError, match="empty"):
        count_points(_random_points(3, (0, 0, 1, 1)), g.iloc[:0])


def test_nan_weight_and_bad_geometries() -> None:
    g = square_grid(_rect(0, 0, 200, 100), cell_size=100)
    pts = gpd.GeoDataFrame(
        {"w": [1.0, np.nan]}, geometry=gpd.points_from_xy([10, 150], [5, 5]), crs=BNG
    )
    with pytest.raises(DataError, match="'w'"):
        count_points(pts, g, weight="w")
    with pytest.raises(DataError, match="no column"):
        count_points(pts, g, by="nope")
    broken = pts.copy()
    broken.loc[1, "geometry"] = None
    with pytest.raises(DataError, match=r"index \[1\]"):
        count_points(broken, g)
    holes = g.copy()
    holes.loc[0, "geometry"] = None
    with pytest.raises(DataError, match=r"index \[0\]"):
        count_points(pts, holes)
    with pytest.raises(DataError, match="GeoDataFrame"):
        count_points(pts.drop(columns="geometry"), g)


def test_non_polygon_area_rejected() -> None:
    with pytest.raises(DataError, match="polygons"):
        square_grid(gpd.GeoSeries([Point(0, 0)], crs=BNG), cell_size=10)


def test_one_point() -> None:
    g = hex_grid(_rect(), cell_size=100)
    pts = gpd.GeoDataFrame(geometry=[Point(500, 300)], crs=BNG)
    out = count_points(pts, g)
    assert out["count"].sum() == 1


def test_cell_index_broken_input() -> None:
    for index in (square_cell_index, hex_cell_index):
        with pytest.raises(DataError, match="missing or infinite"):
            index([0.0, np.nan], [0.0, 1.0], cell_size=100)
        with pytest.raises(DataError, match="cell_size"):
            index([0.0], [0.0], cell_size=0)
        with pytest.raises(DataError, match="same shape"):
            index([0.0, 1.0], [0.0], cell_size=10)
        r, c = index([], [], cell_size=10)
        assert len(r) == len(c) == 0
    with pytest.raises(DataError, match="too large"):
        cell_ids([0], [10**9])


def test_hex_index_origin_shift() -> None:
    rng = np.random.default_rng(2)
    x, y = rng.uniform(-1000, 1000, 500), rng.uniform(-1000, 1000, 500)
    r1, c1 = hex_cell_index(x, y, cell_size=100)
    r2, c2 = hex_cell_index(x + 12345.0, y - 678.0, cell_size=100, origin=(12345.0, -678.0))
    assert np.array_equal(r1, r2) and np.array_equal(c1, c2)


@pytest.mark.parametrize("kind", ["square", "hex"])
def test_cells_from_index_draws_the_grid_cells(kind: str) -> None:
    import shapely

    from hotspots.grid import cells_from_index

    area = gpd.GeoDataFrame(geometry=[box(560_000, 160_000, 563_000, 162_500)], crs=27700)
    grid = (hex_grid if kind == "hex" else square_grid)(area, cell_size=250)
    cells = cells_from_index(grid["row"], grid["col"], kind=kind, cell_size=250)
    assert cells["cell_id"].tolist() == grid["cell_id"].tolist()
    assert cells.crs == grid.crs
    assert shapely.equals_exact(cells.geometry.to_numpy(), grid.geometry.to_numpy(), 1e-9).all()
    assert cells.attrs["hotspots_grid"] == {**grid.attrs["hotspots_grid"]}


def test_cells_from_index_bad_input() -> None:
    from hotspots.grid import cells_from_index

    with pytest.raises(DataError, match="kind"):
        cells_from_index([0], [0], kind="triangle", cell_size=100)
    with pytest.raises(DataError, match="differ in length"):
        cells_from_index([0, 1], [0], kind="square", cell_size=100)
    with pytest.raises(DataError):
        cells_from_index([0], [0], kind="square", cell_size=-5)
