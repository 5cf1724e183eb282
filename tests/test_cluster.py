"""Tests for hotspots.cluster: DBSCAN/HDBSCAN against scikit-learn, cluster tables."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from sklearn.cluster import DBSCAN, HDBSCAN

from hotspots import CRSError, DataError
from hotspots.cluster import Clusters, dbscan_clusters, hdbscan_clusters

BNG = 27700


@pytest.fixture(scope="module")
def crime(medway_crime: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    gdf = medway_crime.copy()
    gdf.index = pd.RangeIndex(1000, 1000 + len(gdf))  # non-default index on purpose
    return gdf


@pytest.fixture(scope="module")
def violence(crime: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    return crime[crime["crime_type"] == "Violence and sexual offences"]


def _same_partition(a: np.ndarray, b: np.ndarray) -> bool:
    """True when two labelings define the same clusters and the same noise."""
    if not np.array_equal(a < 0, b < 0):
        return False
    m = a >= 0
    pairs = pd.DataFrame({"a": a[m], "b": b[m]}).drop_duplicates()
    return bool(pairs["a"].is_unique and pairs["b"].is_unique)


def _by_map_point(gdf: gpd.GeoDataFrame, labels: pd.Series) -> dict[tuple, list]:
    """Per map point, the clusters its incidents fall in, each named by its members."""
    points = [tuple(p) for p in _xy(gdf)]
    members: dict[int, list] = {}
    for point, label in zip(points, labels.loc[gdf.index], strict=True):
        members.setdefault(int(label), []).append(point)
    name = {k: () if k < 0 else tuple(sorted(v)) for k, v in members.items()}  # () = noise
    out: dict[tuple, list] = {}
    for point, label in zip(points, labels.loc[gdf.index], strict=True):
        out.setdefault(point, []).append(name[int(label)])
    return {k: sorted(v) for k, v in out.items()}


def _xy(gdf: gpd.GeoDataFrame) -> np.ndarray:
    return shapely.get_coordinates(gdf.geometry.to_numpy())


@pytest.mark.parametrize(("eps", "min_samples"), [(100.0, 5), (150.0, 10), (250.0, 20)])
def test_dbscan_equals_sklearn(violence: gpd.GeoDataFrame, eps: float, min_samples: int) -> None:
    ours = dbscan_clusters(violence, eps=eps, min_samples=min_samples)
    ref = DBSCAN(eps=eps, min_samples=min_samples).fit(_xy(violence))
    assert ours.labels.index.equals(violence.index)
    core = np.zeros(len(violence), bool)
    core[ref.core_sample_indices_] = True
    # core points: identical partition; border points may be claimed by either of two
    # touching clusters depending on visiting order, so check they are in *a* neighbour's
    lab = ours.labels.to_numpy()
    assert _same_partition(lab[core], ref.labels_[core])
    assert np.array_equal(lab < 0, ref.labels_ < 0)
    xy = _xy(violence)
    for i in np.flatnonzero(~core & (lab >= 0)):
        near = core & (np.hypot(*(xy - xy[i]).T) <= eps)
        assert lab[i] in set(lab[near])
    if (eps, min_samples) != (250.0, 20):  # no contested border points in these cases
        assert _same_partition(lab, ref.labels_)
    assert ours.n_clusters == len(set(ref.labels_) - {-1}) > 0


def test_dbscan_by_crime_type(crime: gpd.GeoDataFrame) -> None:
    ours = dbscan_clusters(crime, eps=150, min_samples=8, by="crime_type")
    for ctype, grp in crime.groupby("crime_type"):
        ref = DBSCAN(eps=150, min_samples=8).fit(_xy(grp)).labels_
        lab = ours.labels.loc[grp.index].to_numpy()
        assert np.array_equal(lab < 0, ref < 0), ctype
    # no cluster mixes two crime types
    members = ours.points[ours.points["cluster"] >= 0]
    assert (members.groupby("cluster")["crime_type"].nunique() == 1).all()


def test_hdbscan_equals_sklearn(violence: gpd.GeoDataFrame) -> None:
    ours = hdbscan_clusters(violence, min_cluster_size=15, min_samples=5)
    xy = _xy(violence)
    order = np.lexsort((xy[:, 1], xy[:, 0]))  # scikit-learn on the rows in coordinate order
    ref = np.empty(len(xy), dtype=np.int64)
    ref[order] = HDBSCAN(min_cluster_size=15, min_samples=5, copy=True).fit(xy[order]).labels_
    assert _same_partition(ours.labels.to_numpy(), ref)
    assert ours.provenance["method"] == "HDBSCAN"


def test_hdbscan_does_not_depend_on_row_order(violence: gpd.GeoDataFrame) -> None:
    """Shared map points make mutual-reachability ties; the rows' order must not matter.

    (scikit-learn called on the shuffled rows directly gives adjusted Rand indices of
    about 0.96-0.98 against each other here; without the coordinate sort this fails.)
    """
    first = hdbscan_clusters(violence, min_cluster_size=10, min_samples=10).labels
    for seed in range(3):
        shuffled = violence.sample(frac=1.0, random_state=seed)
        again = hdbscan_clusters(shuffled, min_cluster_size=10, min_samples=10).labels
        # copies of one map point are interchangeable, so compare per map point
        assert _by_map_point(violence, first) == _by_map_point(shuffled, again)


def test_table_hulls_months_and_mix(crime: gpd.GeoDataFrame) -> None:
    res = dbscan_clusters(crime, eps=120, min_samples=15)
    assert isinstance(res, Clusters)
    t = res.table
    assert list(t["cluster"]) == list(range(len(t)))
    assert t["count"].is_monotonic_decreasing  # relabelled by size
    assert t["count"].sum() == (res.labels >= 0).sum()
    pts = res.points
    for row in t.itertuples():
        members = pts[pts["cluster"] == row.cluster]
        assert len(members) == row.count
        assert shapely.covers(row.geometry, members.geometry.to_numpy()).all()
        assert row.first_month == members["month"].min()
        assert row.last_month == members["month"].max()
        top = members["crime_type"].value_counts(normalize=True)
        assert row.top_crime_types.startswith(f"{top.index[0]} {top.iloc[0]:.0%}")
        assert row.area_km2 == pytest.approx(row.geometry.area / 1e6)
        assert row.density_per_km2 == pytest.approx(row.count / row.area_km2)
    assert "cluster" not in crime.columns  # input not mutated
    assert res.table.attrs["hotspots"]["parameters"] == {
        "eps": 120.0,
        "min_samples": 15,
        "by": None,
    }


def test_months_across_periods_and_degenerate_hulls() -> None:
    pts = gpd.GeoDataFrame(
        {"month": ["2018-06", "2018-04", "2018-05", "2019-01", "2019-01"]},
        geometry=gpd.points_from_xy([0, 0, 0, 500, 510], [0, 0, 0, 0, 0]),
        crs=BNG,
    )
    res = dbscan_clusters(pts, eps=20, min_samples=2)
    t = res.table.set_index("cluster")
    assert t.loc[0, "first_month"] == "2018-04" and t.loc[0, "last_month"] == "2018-06"
    # three identical points / two points: hulls are buffered, still cover the members
    assert t.loc[0, "area_km2"] > 0 and t.loc[1, "area_km2"] > 0
    assert shapely.covers(t.geometry.to_numpy()[1], shapely.Point(505, 0))
    assert res.table["top_crime_types"].eq("").all()


def test_duplicates_do_not_change_result() -> None:
    rng = np.random.default_rng(5)
    base = rng.uniform(0, 2000, (300, 2))
    xy = base[rng.integers(0, 300, 5000)]  # heavy duplication, like snapped police points
    pts = gpd.GeoDataFrame(geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=BNG)
    ours = dbscan_clusters(pts, eps=120, min_samples=40)
    ref = DBSCAN(eps=120, min_samples=40).fit(xy)
    core = np.zeros(len(xy), bool)
    core[ref.core_sample_indices_] = True
    assert _same_partition(ours.labels.to_numpy()[core], ref.labels_[core])
    assert np.array_equal(ours.labels.to_numpy() < 0, ref.labels_ < 0)
    assert ours.provenance["n_distinct_locations"] <= 300


# ------------------------------------------------------------------ broken input
def test_geographic_crs() -> None:
    pts = gpd.GeoDataFrame(geometry=gpd.points_from_xy([0.5, 0.51], [51.4, 51.4]), crs=4326)
    with pytest.raises(CRSError):
        dbscan_clusters(pts, eps=100, min_samples=2)
    with pytest.raises(CRSError):
        hdbscan_clusters(pts, min_cluster_size=2)


def test_empty_and_one_point() -> None:
    empty = gpd.GeoDataFrame(geometry=gpd.GeoSeries([], crs=BNG))
    with pytest.raises(DataError, match="empty"):
        dbscan_clusters(empty, eps=100, min_samples=2)
    with pytest.raises(DataError, match="empty"):
        hdbscan_clusters(empty, min_cluster_size=2)
    one = gpd.GeoDataFrame(geometry=gpd.points_from_xy([1.0], [1.0]), crs=BNG)
    res = dbscan_clusters(one, eps=100, min_samples=2)
    assert res.labels.tolist() == [-1] and res.n_clusters == 0
    assert dbscan_clusters(one, eps=100, min_samples=1).n_clusters == 1
    with pytest.raises(DataError, match="at least 2"):
        hdbscan_clusters(one, min_cluster_size=2)


@pytest.mark.parametrize("eps", [0, -10, float("nan"), "far"])
def test_bad_eps(eps: object) -> None:
    pts = gpd.GeoDataFrame(geometry=gpd.points_from_xy([0.0, 1.0], [0.0, 0.0]), crs=BNG)
    with pytest.raises(DataError, match="eps"):
        dbscan_clusters(pts, eps=eps, min_samples=2)  # type: ignore[arg-type]


@pytest.mark.parametrize("value", [0, -1, 2.5, True, "3"])
def test_bad_counts(value: object) -> None:
    pts = gpd.GeoDataFrame(geometry=gpd.points_from_xy([0.0, 1.0, 2.0], [0.0, 0.0, 0.0]), crs=BNG)
    with pytest.raises(DataError, match="min_samples"):
        dbscan_clusters(pts, eps=10, min_samples=value)  # type: ignore[arg-type]
    with pytest.raises(DataError, match="min_cluster_size"):
        hdbscan_clusters(pts, min_cluster_size=value)  # type: ignore[arg-type]


def test_bad_geometry_and_by_column() -> None:
    pts = gpd.GeoDataFrame(
        {"t": ["a", "b"]}, geometry=[shapely.Point(0, 0), None], crs=BNG, index=["x", "y"]
    )
    with pytest.raises(DataError, match=r"\['y'\]"):
        dbscan_clusters(pts, eps=10, min_samples=2)
    ok = pts.iloc[:1]
    with pytest.raises(DataError, match="no column"):
        dbscan_clusters(ok, eps=10, min_samples=2, by="nope")


def test_outline_is_the_grid_squares_holding_members() -> None:
    """Two members in two neighbouring 100 m squares: the outline is those two squares
    (20,000 m²), a shape no incident coordinate went into."""
    from hotspots.cluster import OUTLINE_CELL_M

    pts = gpd.GeoDataFrame(
        geometry=gpd.points_from_xy([20.0, 30.0, 160.0], [20.0, 40.0, 30.0]), crs=BNG
    )
    t = dbscan_clusters(pts, eps=200, min_samples=3).table
    assert len(t) == 1
    outline = t.geometry.iloc[0]
    assert outline.area == pytest.approx(2 * OUTLINE_CELL_M**2)
    assert t.loc[0, "area_km2"] == pytest.approx(0.02)
    assert shapely.covers(outline, pts.geometry.to_numpy()).all()
    corners = shapely.get_coordinates(outline)
    members = shapely.get_coordinates(pts.geometry.to_numpy())
    assert not any((np.abs(corners - m).max(axis=1) < 1e-6).any() for m in members)


def test_outline_keeps_clear_of_points_on_its_corners() -> None:
    """Members placed exactly on corners of the first grids tried: the grid moves on until
    every outline vertex is more than the clearance from every point."""
    from hotspots.cluster import OUTLINE_CELL_M, OUTLINE_CLEARANCE_M

    first = OUTLINE_CELL_M * 0.5 / 8
    second = OUTLINE_CELL_M * 1.5 / 8
    xs = [first + 100, first + 200, second + 100, second + 200, 150.0]
    ys = [first + 100, first + 100, second + 100, second + 100, 130.0]
    pts = gpd.GeoDataFrame(geometry=gpd.points_from_xy(xs, ys), crs=BNG)
    t = dbscan_clusters(pts, eps=300, min_samples=5).table
    corners = shapely.get_coordinates(t.geometry.to_numpy())
    xy = shapely.get_coordinates(pts.geometry.to_numpy())
    gaps = np.sqrt(((corners[:, None, :] - xy[None, :, :]) ** 2).sum(axis=2))
    assert gaps.min() > OUTLINE_CLEARANCE_M
    assert shapely.covers(t.geometry.iloc[0], pts.geometry.to_numpy()).all()


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_dbscan_core_labels_equal_sklearn_with_weights_and_contested_borders(seed: int) -> None:
    from hotspots.cluster import _dbscan_labels

    rng = np.random.default_rng(seed)
    # integer coordinates (ties at exactly eps), dense blobs close enough to share
    # border points, weights like merged police.uk map points
    xy = np.round(rng.normal(0, 1, (400, 2)) * 60 + rng.integers(0, 4, (400, 1)) * 90)
    w = rng.integers(1, 4, 400).astype(float)
    for eps, ms in ((20.0, 4), (25.0, 6), (40.0, 15)):
        ref = DBSCAN(eps=eps, min_samples=ms).fit(xy, sample_weight=w).labels_
        assert np.array_equal(_dbscan_labels(xy, w, eps, ms), ref)


def test_dbscan_large_inputs_go_to_sklearn_with_the_same_labels(
    monkeypatch: pytest.MonkeyPatch, violence: gpd.GeoDataFrame
) -> None:
    import hotspots.cluster as cluster

    small = cluster.dbscan_clusters(violence, eps=150, min_samples=8).labels
    monkeypatch.setattr(cluster, "DBSCAN_SKLEARN_FROM", 0)
    large = cluster.dbscan_clusters(violence, eps=150, min_samples=8).labels
    assert large.equals(small) and (small >= 0).any()
