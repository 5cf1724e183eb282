"""Tests of hotspots.hotspot: Gi*, local Moran, FDR, weights, against esda and by hand."""

from __future__ import annotations

import functools
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from scipy import stats
from scipy.spatial import cKDTree
from shapely.geometry import Point, box

from hotspots import CRSError, DataError, HotspotsWarning
from hotspots._weights import contiguity_weights, knn_weights
from hotspots.hotspot import (
    false_discovery_rate,
    fdr_significant,
    gi_bins,
    gi_star,
    gi_star_arrays,
    local_moran,
    local_moran_arrays,
)

esda = pytest.importorskip("esda")
libpysal = pytest.importorskip("libpysal")

# esda's own G_Local example (esda/getisord.py docstring): distance band 15.
PTS = [(10, 10), (20, 10), (40, 10), (15, 20), (30, 20), (30, 30)]
Y = np.array([2, 3, 3.2, 5, 8, 7])
GOLDEN_Z = np.array([-1.39727626, -0.28917762, 0.65064964, -0.28917762, 1.23452088, 2.02424331])


def _band(points: list[tuple[float, float]], d: float) -> sp.csr_matrix:
    t = cKDTree(np.asarray(points, dtype=float))
    W = t.sparse_distance_matrix(t, d).tocsr()
    W.setdiag(0)
    W.eliminate_zeros()
    W.data[:] = 1.0
    return W


def _esda_w(W: sp.csr_matrix) -> object:
    return libpysal.weights.WSP(sp.csr_matrix(W)).to_W(silence_warnings=True)


def _cells(values: list[float] | np.ndarray, crs: int | str = 27700) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"v": values}, geometry=[Point(p) for p in PTS], crs=crs)


def _grid(nx: int, ny: int, size: float = 100.0) -> gpd.GeoDataFrame:
    geoms = [
        box(i * size, j * size, (i + 1) * size, (j + 1) * size)
        for j in range(ny)
        for i in range(nx)
    ]
    return gpd.GeoDataFrame({"cell_id": np.arange(nx * ny)}, geometry=geoms, crs=27700)


# ----------------------------------------------------------------------------- Gi* values
def test_gi_star_arrays_golden_and_esda() -> None:
    W = _band(PTS, 15)
    res = gi_star_arrays(Y, W, permutations=0)
    np.testing.assert_allclose(res.z, GOLDEN_Z, atol=1e-8)
    g = esda.getisord.G_Local(
        Y,
        libpysal.weights.DistanceBand(np.array(PTS), 15),
        star=True,
        transform="B",
        permutations=0,
    )
    np.testing.assert_allclose(res.z, g.Zs, atol=1e-8)
    np.testing.assert_allclose(res.p, 2 * stats.norm.sf(np.abs(GOLDEN_Z)), atol=1e-8)
    assert res.n_neighbours.tolist() == [2, 3, 1, 3, 4, 1]
    assert np.isnan(res.p_sim).all()


def test_gi_star_formula_by_hand() -> None:
    # ArcGIS formula written out directly for one cell
    W = _band(PTS, 15) + sp.identity(6)
    n, x = 6, Y
    xbar, S = x.mean(), np.sqrt((x**2).mean() - x.mean() ** 2)
    w = W.toarray()[4]
    z4 = (w @ x - xbar * w.sum()) / (S * np.sqrt((n * (w**2).sum() - w.sum() ** 2) / (n - 1)))
    assert gi_star_arrays(Y, _band(PTS, 15), permutations=0).z[4] == pytest.approx(z4, abs=1e-12)


def test_gi_not_star_matches_esda() -> None:
    W = _band(PTS, 15)
    res = gi_star_arrays(Y, W, permutations=0, star=False)
    g = esda.getisord.G_Local(Y, _esda_w(W), star=False, transform="B", permutations=0)
    ok = res.n_neighbours > 0
    np.testing.assert_allclose(res.z[ok], np.asarray(g.Zs)[ok], atol=1e-8)


def test_gi_star_geodataframe_columns_and_provenance() -> None:
    cells = _cells(Y)
    cells.attrs["hotspots"] = {"sources": ["synthetic"]}
    with pytest.warns(HotspotsWarning, match="Only 6 cells"):
        out = gi_star(
            cells, "v", distance=15, permutations=99, inference="analytic", fdr=False, seed=1
        )
    np.testing.assert_allclose(out["gi_z"], GOLDEN_Z, atol=1e-8)
    for col in (
        "gi_z",
        "gi_p",
        "gi_p_sim",
        "gi_bin",
        "gi_label",
        "n_neighbours",
        "gi_hot",
        "gi_cold",
    ):
        assert col in out
    # ArcGIS's bins on the analytic p: z = 2.024 -> p = 0.043
    assert out["gi_bin"].tolist() == [0, 0, 0, 0, 0, 2]
    assert out.attrs["hotspots"]["parameters"]["inference"] == "analytic"
    assert out["gi_label"].iloc[5] == "Hot spot – 95% confidence"
    assert out["gi_hot"].tolist() == [False] * 5 + [True]
    prov = out.attrs["hotspots"]
    assert prov["method"] == "Getis-Ord Gi*" and prov["seed"] == 1
    assert prov["parameters"]["distance"] == 15 and "synthetic" in prov["sources"]
    assert "gi_z" not in cells and out.index.equals(cells.index)


def test_gi_star_seed_reproducible() -> None:
    cells = _cells(Y)
    a = gi_star(cells, "v", distance=15, permutations=199, seed=5)
    b = gi_star(cells, "v", distance=15, permutations=199, seed=5)
    np.testing.assert_array_equal(a["gi_p_sim"], b["gi_p_sim"])


# --------------------------------------------------------------- permutation inference
@pytest.mark.slow
def test_p_sim_matches_esda_in_distribution() -> None:
    rng = np.random.default_rng(3)
    n = 400
    xy = rng.random((n, 2)) * 1000
    y = rng.gamma(2.0, 1.0, n) + np.where(xy[:, 0] < 300, 1.5, 0.0)  # continuous: no ties
    W = knn_weights(xy, 6)
    perms = 999
    ours = gi_star_arrays(y, W, permutations=perms, seed=1).p_sim
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        g = esda.getisord.G_Local(
            y, _esda_w(W), star=True, transform="B", permutations=perms, seed=7
        )
    theirs = np.asarray(g.p_sim)
    # two independent Monte Carlo estimates of the same p: difference ~ N(0, 2 p(1-p)/perms)
    se = np.sqrt(2 * np.maximum(theirs * (1 - theirs), 1 / perms) / perms)
    dev = np.abs(ours - theirs) / se
    assert np.mean(dev < 3) > 0.98
    assert np.max(dev) < 5
    assert abs(ours.mean() - theirs.mean()) < 0.01


def test_p_sim_uniform_under_null() -> None:
    # independent replicates (p-values of one map are spatially correlated, so one cell
    # per simulated map): under an iid null the pseudo p-value is uniform
    rng = np.random.default_rng(11)
    xy = rng.random((60, 2))
    W = knn_weights(xy, 8)
    p = np.array(
        [
            gi_star_arrays(rng.normal(size=60), W, permutations=99, seed=r).p_sim[0]
            for r in range(300)
        ]
    )
    # one-tailed in the observed direction: 2 * p_sim is ~ uniform on (0, 1]
    u = np.minimum(2 * p, 1.0)
    assert stats.kstest(u, "uniform").pvalue > 0.001
    assert 0.02 < np.mean(p <= 0.025) < 0.05


def test_sampling_without_replacement_is_uniform() -> None:
    from hotspots._gistar import _draw_table

    rng = np.random.default_rng(0)
    for k, m in ((3, 20), (4, 6), (6, 7)):
        t = _draw_table(k, 20_000, m, rng)
        assert t.shape == (k, 20_000)
        srt = np.sort(t, axis=0)
        assert (srt[1:] != srt[:-1]).all()  # distinct within each draw
        freq = np.bincount(t.ravel(), minlength=m) / t.size
        np.testing.assert_allclose(freq, 1 / m, atol=0.01)
        first = np.bincount(t[0], minlength=m) / t.shape[1]
        np.testing.assert_allclose(first, 1 / m, atol=0.02)


def test_self_never_drawn() -> None:
    # cell 0 (value 100) has one neighbour, cell 3 (value 2). Its draws must come from
    # cells 1..3 (values 0, 1, 2): P(sim >= 2) = 1/3. Drawing itself (100) would give 1/2.
    y = np.array([100.0, 0.0, 1.0, 2.0])
    W = sp.csr_matrix(([1.0, 1.0, 1.0, 1.0], ([0, 1, 2, 3], [3, 2, 1, 0])), shape=(4, 4))
    res = gi_star_arrays(y, W, permutations=3999, seed=0)
    assert res.p_sim[0] == pytest.approx(1 / 3, abs=0.03)


def test_all_cells_neighbours_undefined() -> None:
    # every cell a neighbour of every other: n sum w^2 - (sum w)^2 = 0, Gi* undefined
    W = sp.csr_matrix(np.ones((5, 5)) - np.eye(5))
    res = gi_star_arrays(np.arange(5.0), W, permutations=9)
    assert np.isnan(res.z).all() and np.isnan(res.p_sim).all()
    assert (gi_bins(res.z, res.p, fdr=True) == 0).all()


# ------------------------------------------------------------------------------- FDR
def test_fdr_by_hand_and_esda() -> None:
    p = np.array([0.001, 0.008, 0.039, 0.041, 0.042, 0.06, 0.074, 0.205])
    # m = 8, alpha = 0.05: k * alpha / m = 0.00625, 0.0125, 0.01875, ... largest k with
    # p_(k) <= k alpha / m is k = 2 -> threshold 0.0125
    assert false_discovery_rate(p, 0.05) == pytest.approx(0.0125)
    assert fdr_significant(p, 0.05).tolist() == [True, True] + [False] * 6
    assert false_discovery_rate(p, 0.05) == pytest.approx(esda.fdr(p, 0.05))
    # alpha 0.10: crit 0.0125*k: k=5 -> 0.0625 >= 0.042 ; k=6 0.075 >= 0.06 ; k=7 0.0875 >= 0.074
    assert false_discovery_rate(p, 0.10) == pytest.approx(0.0875)
    # nothing significant: alpha / m, which no p reaches
    assert false_discovery_rate([0.5, 0.9], 0.05) == pytest.approx(0.025)
    assert false_discovery_rate([np.nan, 0.001], 0.05) == pytest.approx(0.05)
    with pytest.raises(ValueError):
        false_discovery_rate(p, 1.5)


def test_gi_bins() -> None:
    z = np.array([3.0, -3.0, 2.0, -1.7, 1.0, np.nan])
    p = 2 * stats.norm.sf(np.abs(z))
    assert gi_bins(z, p, fdr=False).tolist() == [3, -3, 2, -1, 0, 0]
    # FDR, BH on the 5 finite p = .0027, .0027, .0455, .0891, .3173 at each level:
    # 0.01: crit .002 .004 .006 .008 .01 -> k = 2, cut .004 (z = +-3 stay at +-3)
    # 0.05: crit .01 .02 .03 .04 .05    -> k = 2, cut .02 (z = 2 loses 95 %)
    # 0.10: crit .02 .04 .06 .08 .10    -> k = 3, cut .06 (z = 2 keeps 90 %, 1.7 drops)
    b = gi_bins(z, p, fdr=True)
    assert b.tolist() == [3, -3, 1, 0, 0, 0]


# ------------------------------------------------------------------------ local Moran
def test_local_moran_matches_esda() -> None:
    rng = np.random.default_rng(5)
    cells = _grid(12, 10)
    y = rng.poisson(3, len(cells)).astype(float) + rng.random(len(cells))
    y[:15] += 6
    cells["v"] = y
    out = local_moran(cells, "v", neighbours="rook", permutations=999, seed=1)
    wr = libpysal.weights.lat2W(10, 12, rook=True)  # row-major, same order as _grid
    m = esda.Moran_Local(y, wr, permutations=999, seed=3)
    np.testing.assert_allclose(out["lisa_i"], m.Is, atol=1e-8)
    se = np.sqrt(2 * np.maximum(m.p_sim * (1 - m.p_sim), 1e-3) / 999)
    assert np.mean(np.abs(out["lisa_p_sim"] - m.p_sim) / se < 3) > 0.97
    q = {1: "HH", 2: "LH", 3: "LL", 4: "HL"}
    sig = out["lisa_quad"] != "Not significant"
    assert (out["lisa_quad"][sig] == [q[v] for v in m.q[sig.to_numpy()]]).all()
    assert {"HH", "LL"} & set(out["lisa_quad"])


def test_local_moran_arrays_hand() -> None:
    W = sp.csr_matrix(np.array([[0, 1, 0], [1, 0, 1], [0, 1, 0]], dtype=float))
    # z = (y - 3) / sqrt(14/3); I = (n-1) z lag / sum z^2 -> 2/7, -1/14, -3/7
    r = local_moran_arrays(np.array([1.0, 2.0, 6.0]), W, permutations=0)
    np.testing.assert_allclose(r.i, [2 / 7, -1 / 14, -3 / 7], atol=1e-12)


# ---------------------------------------------------------------------------- weights
def test_contiguity_on_grid_matches_libpysal() -> None:
    cells = _grid(7, 5)
    Q = contiguity_weights(cells.geometry.to_numpy(), rook=False)
    R = contiguity_weights(cells.geometry.to_numpy(), rook=True)
    assert abs(Q - libpysal.weights.lat2W(5, 7, rook=False).sparse).sum() == 0
    assert abs(R - libpysal.weights.lat2W(5, 7, rook=True).sparse).sum() == 0


def test_knn_weights_like_libpysal() -> None:
    rng = np.random.default_rng(0)
    xy = rng.random((200, 2))
    W = knn_weights(xy, 5)
    ref = libpysal.weights.KNN(xy, k=5).sparse
    assert abs(W - ref).sum() == 0
    assert (np.diff(W.indptr) == 5).all()


# --------------------------------------------------------------------- broken inputs
def test_geographic_crs_refused() -> None:
    with pytest.raises(CRSError, match="geographic"):
        gi_star(_cells(Y, crs=4326), "v", distance=15)


def test_empty_and_missing_column() -> None:
    with pytest.raises(DataError, match="empty"):
        gi_star(_cells(Y).iloc[:0], "v")
    with pytest.raises(DataError, match="missing column"):
        gi_star(_cells(Y), "nope")
    with pytest.raises(DataError, match="GeoDataFrame"):
        gi_star(pd.DataFrame({"v": Y}), "v")


def test_nan_names_rows() -> None:
    cells = _cells([2, 3, np.nan, 5, 8, 7])
    cells.index = ["a", "b", "c<script>", "d", "e", "f"]
    with pytest.raises(DataError, match=r"c<script>"):
        gi_star(cells, "v", distance=15)
    with pytest.raises(DataError):
        gi_star_arrays(np.array([1.0, np.nan]), sp.csr_matrix((2, 2)))


def test_all_zero_counts_warn_and_bins_zero() -> None:
    with pytest.warns(HotspotsWarning, match="same value"):
        out = gi_star(_cells(np.zeros(6)), "v", distance=15)
    assert (out["gi_bin"] == 0).all()
    assert (out["gi_label"] == "No variation").all()
    assert out["gi_z"].isna().all()
    with pytest.warns(HotspotsWarning, match="no variance"):
        local_moran(_cells(np.ones(6)), "v", neighbours="distance", distance=15)


def test_one_cell() -> None:
    with pytest.warns(HotspotsWarning):
        out = gi_star(_cells(Y).iloc[:1], "v")
    assert out["gi_bin"].tolist() == [0]


def test_islands_reported() -> None:
    with pytest.warns(HotspotsWarning, match="6 of 6 cells have no neighbours"):
        out = gi_star(_cells(Y), "v", distance=1.0)
    assert (out["gi_label"] == "No neighbours").all()
    assert out["gi_z"].isna().all() and (out["gi_bin"] == 0).all()
    with pytest.warns(HotspotsWarning, match=r"1 of 6 .*index \[2\]"):
        out = gi_star(_cells(Y), "v", distance=12)
    assert out["gi_label"].tolist()[2] == "No neighbours"
    assert (out["gi_label"] == "No neighbours").sum() == 1


def test_knn_k_too_large_and_bad_options() -> None:
    with pytest.raises(DataError, match="at most 5"):
        gi_star(_cells(Y), "v", neighbours="knn", k=6)
    with pytest.raises(DataError, match="neighbours must be"):
        gi_star(_cells(Y), "v", neighbours="bishop")
    with pytest.raises(DataError, match="polygons"):
        gi_star(_cells(Y), "v", neighbours="queen")
    with pytest.raises(DataError, match="positive"):
        gi_star(_cells(Y), "v", distance=-5)
    with pytest.raises(DataError, match="permutations"):
        gi_star_arrays(Y, _band(PTS, 15), permutations=-1)


def test_default_distance_every_cell_has_neighbour() -> None:
    out = gi_star(_cells(Y), "v", permutations=0)
    assert (out["n_neighbours"] >= 1).all()
    # largest nearest-neighbour distance among the six points: (40,10) to (30,20) = 14.14
    assert out.attrs["hotspots"]["parameters"]["distance"] == pytest.approx(np.hypot(10, 10))


# -------------------------------------------------------------- planted-hotspot recovery
@pytest.mark.slow
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_planted_hotspot_recovery(seed: int) -> None:
    """Synthetic town: a planted hot cell has its hexagon centre inside a planted circle."""
    from hotspots import grid
    from hotspots.synthetic import synthetic_town

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        town = synthetic_town(seed)
        cells = grid.count_points(town.incidents, grid.hex_grid(town.boundary, cell_size=100))
    out = gi_star(cells, "count", distance=250, permutations=99, fdr=True, seed=seed)
    centres = out.geometry.centroid
    planted = centres.within(town.hotspots.geometry.union_all()).to_numpy()
    hot = (out["gi_bin"] >= 2).to_numpy()  # 95 % confidence with FDR
    assert planted.sum() >= 30
    assert hot[planted].mean() >= 0.90
    assert hot[~planted].mean() <= 0.05


# ---------------------------------------------------------------------- real data
@pytest.fixture(scope="module")
def medway_violence(medway_crime: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    return medway_crime[medway_crime["crime_type"] == "Violence and sexual offences"]


@pytest.mark.realdata
def test_medway_lsoa_queen_vs_esda(data_dir: Path, medway_violence: gpd.GeoDataFrame) -> None:
    from hotspots import grid

    v = medway_violence
    lsoa = gpd.read_file(data_dir / "boundaries" / "medway_lsoa_2011.geojson").to_crs(27700)
    cells = grid.count_points(v, lsoa)
    assert cells["count"].sum() == len(v) == 1230
    out = gi_star(cells, "count", neighbours="queen", permutations=999, seed=0)
    # libpysal reference: polygons within 1 mm of each other. (Queen.from_dataframe finds
    # no shared vertices in this generalised file: adjacent LSOAs' vertices differ by
    # ~1e-7 m.)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        wq = libpysal.weights.fuzzy_contiguity(cells, tolerance=0.0, buffering=True, buffer=0.001)
        g = esda.getisord.G_Local(
            cells["count"].to_numpy(float), wq, star=True, transform="B", permutations=999, seed=1
        )
    card = np.array([wq.cardinalities[i] for i in wq.id_order])
    np.testing.assert_array_equal(out["n_neighbours"], card)
    np.testing.assert_allclose(out["gi_z"], g.Zs, atol=1e-8)
    # counts have ties; esda counts a tie only in the upper tail, so allow one extra SE
    se = np.sqrt(2 * np.maximum(g.p_sim * (1 - g.p_sim), 1e-3) / 999)
    assert np.mean(np.abs(out["gi_p_sim"] - g.p_sim) <= 3 * se + 0.02) > 0.95
    counts = out["gi_bin"].value_counts().sort_index().to_dict()
    print("Medway LSOA violence Gi* (queen, FDR) bins:", counts)
    assert counts.get(3, 0) >= 1


@pytest.mark.realdata
def test_medway_hex_250(data_dir: Path, medway_violence: gpd.GeoDataFrame) -> None:
    from hotspots import grid

    v = medway_violence
    boundary = gpd.read_file(data_dir / "boundaries" / "medway_boundary.geojson").to_crs(27700)
    cells = grid.count_points(v, grid.hex_grid(boundary, cell_size=250))
    assert cells["count"].sum() == 1230
    out = gi_star(cells, "count", permutations=999, fdr=True, seed=0)
    counts = out["gi_bin"].value_counts().sort_index().to_dict()
    hot_cells = out.loc[out["gi_bin"] > 0]
    print(
        f"Medway violence 2018-06, 250 m hex ({len(out)} cells, distance "
        f"{out.attrs['hotspots']['parameters']['distance']:.0f} m, FDR): bins {counts}; "
        f"hot cells hold {int(hot_cells['count'].sum())} of 1230 incidents"
    )
    lm = local_moran(cells, "count", neighbours="queen", seed=0)
    print("Local Moran quadrants:", lm["lisa_quad"].value_counts().to_dict())
    assert counts.get(3, 0) >= 5
    # the busiest cell (Chatham / Gillingham town centres) is a 99 % hot spot
    assert out.loc[out["count"].idxmax(), "gi_bin"] == 3
    assert (lm.loc[lm["count"].idxmax(), "lisa_quad"]) in {"HH", "HL"}


def test_local_moran_broken_inputs() -> None:
    with pytest.raises(CRSError):
        local_moran(_cells(Y, crs=4326), "v", neighbours="distance", distance=15)
    with pytest.raises(DataError, match="empty"):
        local_moran(_cells(Y).iloc[:0], "v")
    with pytest.raises(DataError, match="non-numeric"):
        local_moran(_cells(["a", 3, 3.2, 5, 8, 7]), "v", neighbours="distance", distance=15)
    with pytest.raises(DataError, match="permutations"):
        local_moran(_cells(Y), "v", neighbours="distance", distance=15, permutations=0)


def test_hex_grid_contiguity_six_neighbours() -> None:
    from hotspots import grid

    cells = grid.hex_grid(gpd.GeoSeries([box(0, 0, 2000, 2000)], crs=27700), cell_size=200)
    for rook in (False, True):
        k = np.diff(contiguity_weights(cells.geometry.to_numpy(), rook=rook).indptr)
        assert k.max() == 6 and np.median(k) == 6
    # distance band just over the centre spacing gives the same neighbours as queen
    Q = contiguity_weights(cells.geometry.to_numpy())
    out = gi_star(cells.assign(v=np.arange(len(cells)) % 7), "v", permutations=0)
    np.testing.assert_array_equal(out["n_neighbours"], np.diff(Q.indptr))


# ------------------------------------------------- exact permutation p-values for counts
def test_exact_tails_equal_enumeration() -> None:
    """Both exact tails against brute-force enumeration of every draw."""
    import itertools

    from hotspots._exact import exact_tails, window_tails

    rng = np.random.default_rng(4)
    for _ in range(4):
        n = 9
        y = rng.poisson(1.2, n)
        y[0] += 6
        W = knn_weights(rng.random((n, 2)), 3)
        k = np.diff(W.indptr)
        nb = [W[i].indices for i in range(n)]
        obs = np.array([y[j].sum() for j in nb])
        up, low = exact_tails(y, k, obs)
        wup, wlow = window_tails(y, k + 1, obs + y)
        for i in range(n):
            pool = np.delete(y, i)
            sums = np.array([sum(c) for c in itertools.combinations(pool, k[i])])
            assert up[i] == pytest.approx(np.mean(sums >= obs[i]), abs=1e-12)
            assert low[i] == pytest.approx(np.mean(sums <= obs[i]), abs=1e-12)
            every = np.array([sum(c) for c in itertools.combinations(y, k[i] + 1)])
            assert wup[i] == pytest.approx(np.mean(every >= obs[i] + y[i]), abs=1e-12)
            assert wlow[i] == pytest.approx(np.mean(every <= obs[i] + y[i]), abs=1e-12)


def test_exact_p_sim_is_the_limit_of_sampling() -> None:
    rng = np.random.default_rng(8)
    xy = rng.random((300, 2))
    W = knn_weights(xy, 6)
    y = rng.poisson(0.8, 300).astype(float)
    y[:12] += 4
    exact = gi_star_arrays(y, W, method="exact")
    sampled = gi_star_arrays(y, W, permutations=9999, seed=1, method="sampled")
    assert exact.inference == "exact" and sampled.inference == "sampled"
    se = np.sqrt(np.maximum(exact.p_sim * (1 - exact.p_sim), 1e-4) / 9999)
    # sampled (b + 1) / (m + 1) sits at most 1 / (m + 1) above its limit, plus noise
    assert np.max(np.abs(sampled.p_sim - exact.p_sim) / se) < 5
    np.testing.assert_allclose(exact.z, sampled.z)
    # non-integer values cannot be counted
    with pytest.raises(DataError, match="whole-number"):
        gi_star_arrays(y + 0.5, W, method="exact")
    assert gi_star_arrays(y + 0.5, W, permutations=9).inference == "sampled"


@functools.cache
def _medway_cells(
    data_dir: Path, size: float
) -> tuple[sp.csr_matrix, np.ndarray, np.ndarray | None]:
    """Weights, each cell's share inside Medway (computed here, independently of the
    grid's ``area_share``) and the strata ``gi_star`` uses by default."""
    from hotspots import grid
    from hotspots.hotspot import build_weights, exposure_strata

    boundary = gpd.read_file(data_dir / "boundaries" / "medway_boundary.geojson").to_crs(27700)
    cells = grid.hex_grid(boundary, cell_size=size)
    W, _ = build_weights(cells)
    share = (
        cells.geometry.intersection(boundary.union_all()).area / cells.geometry.area
    ).to_numpy()
    np.testing.assert_allclose(cells["area_share"], share, atol=1e-9)
    return W, share, exposure_strata(cells, "area_share")


def _any_hot95(
    maps: list[np.ndarray],
    W: sp.csr_matrix,
    analytic: bool = False,
    strata: np.ndarray | None = None,
) -> float:
    hits = []
    for y in maps:
        res = gi_star_arrays(y, W, permutations=0 if analytic else 999, strata=strata)
        hits.append((gi_bins(res.z, res.p if analytic else res.p_perm, fdr=True) >= 2).any())
    return float(np.mean(hits))


# share of maps with any 95 % hot cell allowed under no pattern: 5 % + 2 Monte Carlo SE
_ALLOWED = 0.05 + 2 * np.sqrt(0.05 * 0.95 / 200)


@pytest.mark.slow
@pytest.mark.realdata
def test_calibrated_on_permuted_medway_counts(
    data_dir: Path, medway_violence: gpd.GeoDataFrame
) -> None:
    """Real 250 m hexagon counts of a month, shuffled: no map may show hot spots often."""
    from hotspots import grid

    W, _, strata = _medway_cells(data_dir, 250)
    boundary = gpd.read_file(data_dir / "boundaries" / "medway_boundary.geojson").to_crs(27700)
    y = grid.count_points(medway_violence, grid.hex_grid(boundary, cell_size=250))["count"]
    rng = np.random.default_rng(12)
    maps = [rng.permutation(y.to_numpy(float)) for _ in range(200)]
    assert _any_hot95(maps, W, strata=strata) <= _ALLOWED
    # the analytic p-value (the bins before) finds hot spots in nearly every map
    assert _any_hot95(maps[:20], W, analytic=True) >= 0.9


@pytest.mark.slow
@pytest.mark.realdata
@pytest.mark.parametrize("rate", [0.5, 2.0])
def test_calibrated_on_uniform_points_over_medway(data_dir: Path, rate: float) -> None:
    """A uniform Poisson process over Medway (edge cells get their share by area)."""
    W, share, strata = _medway_cells(data_dir, 500)
    rng = np.random.default_rng(int(rate * 10))
    maps = [rng.poisson(rate * share).astype(float) for _ in range(200)]
    assert _any_hot95(maps, W, strata=strata) <= _ALLOWED


@pytest.mark.slow
@pytest.mark.realdata
def test_calibrated_at_ten_per_cell_with_equal_exposure(data_dir: Path) -> None:
    W, _, strata = _medway_cells(data_dir, 500)
    rng = np.random.default_rng(10)
    maps = [rng.poisson(10.0, W.shape[0]).astype(float) for _ in range(200)]
    assert _any_hot95(maps, W, strata=strata) <= _ALLOWED


@pytest.mark.slow
@pytest.mark.realdata
def test_calibrated_at_ten_per_cell_over_medway(data_dir: Path) -> None:
    """At 10 a cell whole cells look hot beside part-empty edge cells unless counts are
    permuted within strata of area share, as gi_star does by default."""
    W, share, strata = _medway_cells(data_dir, 250)
    rng = np.random.default_rng(100)
    maps = [rng.poisson(10.0 * share).astype(float) for _ in range(60)]
    assert _any_hot95(maps, W, strata=strata) <= _ALLOWED
    assert _any_hot95(maps[:20], W) >= 0.1  # without strata: part-empty cells mislead


@pytest.mark.slow
@pytest.mark.realdata
@pytest.mark.parametrize("rate", [2.0])
def test_power_on_areas_planted_at_five_times(data_dir: Path, rate: float) -> None:
    """Four planted areas (a cell and its six neighbours) at 5x the background."""
    W, share, strata = _medway_cells(data_dir, 250)
    k = np.diff(W.indptr)
    inner = np.flatnonzero((k == 6) & (share > 0.999))
    rng = np.random.default_rng(5)
    found = []
    for _ in range(20):
        centres = rng.choice(inner, 4, replace=False)
        planted = np.unique(np.concatenate([[c, *W[c].indices] for c in centres]))
        lam = rate * share
        lam[planted] *= 5
        y = rng.poisson(lam).astype(float)
        res = gi_star_arrays(y, W, permutations=999, strata=strata)
        hot = gi_bins(res.z, res.p_perm, fdr=True) >= 2
        found.append(hot[planted].mean())
    assert np.mean(found) >= 0.90


def test_exposure_strata_and_bad_shares() -> None:
    """Cells cut by the boundary are tested within strata of their share; a share outside
    0..1 or missing is refused, and exposure=None tests without strata."""
    from shapely.geometry import box

    from hotspots import grid
    from hotspots.hotspot import WHOLE_SHARE, exposure_strata

    # a 2.5 km x 2.5 km square on 100 m squares offset by half a cell: the outer ring is cut
    area = gpd.GeoSeries([box(50, 50, 2550, 2550)], crs=27700)
    cells = grid.square_grid(area, cell_size=100)
    whole = cells["area_share"] >= WHOLE_SHARE
    assert int(whole.sum()) == 24 * 24  # the inner cells; the ring of 100 is half or less
    strata = exposure_strata(cells, "area_share")
    assert strata is not None and (strata[whole.to_numpy()] == 0).all()
    assert (strata[~whole.to_numpy()] > 0).all()
    cells["count"] = np.random.default_rng(0).poisson(1.0, len(cells))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", HotspotsWarning)
        out = gi_star(cells, "count")
        plain = gi_star(cells, "count", exposure=None)
    assert "strata of 'area_share'" in out.attrs["hotspots"]["parameters"]["exposure"]
    assert "exposure" not in plain.attrs["hotspots"]["parameters"]
    bad = cells.assign(area_share=cells["area_share"].where(whole, np.nan))
    with pytest.raises(DataError, match="exposure column 'area_share'"):
        gi_star(bad, "count")
