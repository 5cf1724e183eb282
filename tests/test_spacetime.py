"""Tests for hotspots.spacetime: space-time cube, space-time Gi*, emerging hot spots."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from scipy import stats
from shapely.geometry import box

from hotspots import CRSError, DataError, HotspotsWarning
from hotspots.spacetime import (
    SpaceTimeCube,
    classify_emerging,
    emerging_hotspots,
    mann_kendall,
    space_time_cube,
    space_time_gi,
)
from tests._frames import month_points, square_cells


# ----------------------------------------------------------------------------- cube
def test_space_time_cube_keeps_empty_periods_and_reports_outside() -> None:
    cells = square_cells(2)
    inc = month_points(
        [(50, 50), (150, 50), (50, 150), (999, 999)],
        ["2024-01", "Mar 2024", "2024-03-09", "2024-01"],
    )
    with pytest.raises(DataError, match=r"needs month\(s\) \['2024-02'\], which have no data"):
        space_time_cube(inc, cells)
    with pytest.warns(HotspotsWarning) as rec:
        cube = space_time_cube(inc, cells, months=["2024-01", "2024-02", "2024-03"])
    text = " ".join(str(w.message) for w in rec)
    assert "1 incidents fall outside" in text
    assert list(cube.periods.astype(str)) == ["2024-01", "2024-02", "2024-03"]
    assert cube.counts.tolist() == [[1, 0, 0], [0, 0, 1], [0, 0, 1], [0, 0, 0]]
    assert cube.n_outside == 1
    frame = cube.to_frame()
    assert list(frame.columns) == ["cell_id", "period", "count"] and len(frame) == 12
    assert frame["count"].sum() == 3


def test_space_time_cube_range_and_bad_input() -> None:
    cells = square_cells(2)
    inc = month_points([(50, 50), (50, 50)], ["2024-01", "2024-05"])
    with pytest.raises(DataError, match=r"\['2024-02'\], which have no data"):
        space_time_cube(inc, cells, start="2024-01", end="Feb 2024")
    with pytest.warns(HotspotsWarning, match="dropped"):
        cube = space_time_cube(
            inc, cells, start="2024-01", end="Feb 2024", months=["2024-01", "2024-02", "2024-05"]
        )
    assert cube.counts.shape == (4, 2) and cube.counts.sum() == 1
    with pytest.raises(DataError):
        space_time_cube(inc.iloc[:0], cells)
    with pytest.raises(CRSError):
        space_time_cube(inc.to_crs(4326), cells)
    with pytest.raises(DataError, match="is not a month"):
        space_time_cube(month_points([(50, 50)], ["2024/99/99x"]), cells)


# ----------------------------------------------------------------------------- Gi*
def test_space_time_gi_single_slice_matches_esda() -> None:
    import esda
    from libpysal.weights import DistanceBand

    cells = square_cells(6)
    rng = np.random.default_rng(1)
    counts = rng.poisson(3, size=(36, 1))
    counts[7, 0] = 20
    cube = SpaceTimeCube(
        cells=cells, periods=pd.period_range("2024-01", periods=1, freq="M"), counts=counts
    )
    gi = space_time_gi(cube, time_window=0, fdr=False)
    xy = np.column_stack([cells.centroid.x, cells.centroid.y])
    w = DistanceBand(xy, threshold=150.0, binary=True, silence_warnings=True)
    ref = esda.G_Local(counts[:, 0].astype(float), w, transform="B", star=True, permutations=0)
    assert gi.z[:, 0] == pytest.approx(ref.Zs, abs=1e-9)


def test_space_time_gi_window_matches_direct_formula() -> None:
    cells = square_cells(3)
    rng = np.random.default_rng(2)
    counts = rng.poisson(2, size=(9, 4)).astype(float)
    cube = SpaceTimeCube(
        cells=cells, periods=pd.period_range("2024-01", periods=4, freq="M"), counts=counts
    )
    gi = space_time_gi(cube, time_window=1, edge="truncate", fdr=False)
    shifted = space_time_gi(cube, time_window=1, fdr=False)
    xy = np.column_stack([cells.centroid.x, cells.centroid.y])
    x = counts.reshape(-1)  # bin (cell, period)
    n = x.size
    xbar, s = x.mean(), x.std()
    for i in range(9):
        for t in range(4):
            nb = [
                j * 4 + u
                for j in range(9)
                for u in range(4)
                if np.hypot(*(xy[i] - xy[j])) <= 150 and t - 1 <= u <= t
            ]
            w = len(nb)
            z = (x[nb].sum() - xbar * w) / (s * np.sqrt((n * w - w**2) / (n - 1)))
            assert gi.z[i, t] == pytest.approx(z)
            if t >= 1:  # a full window: the same with either edge rule
                assert shifted.z[i, t] == pytest.approx(z)
    # edge="shift": period 0 uses periods 0 and 1, so it equals period 1 exactly
    assert shifted.z[:, 0] == pytest.approx(shifted.z[:, 1])
    assert not np.allclose(gi.z[:, 0], gi.z[:, 1])


# ----------------------------------------------------------------------------- Mann-Kendall
def test_mann_kendall_hand_and_scipy() -> None:
    tau, z, p, s = mann_kendall(np.array([1.0, 3, 2, 5, 4]))
    # pairs: +1 +1 +1 +1 | -1 +1 +1 | +1 +1 | -1 -> S = 6, Var = 5*4*15/18
    assert s[0] == 6 and tau[0] == pytest.approx(0.6)
    assert z[0] == pytest.approx(5 / np.sqrt(50 / 3))
    assert p[0] == pytest.approx(2 * stats.norm.sf(5 / np.sqrt(50 / 3)))
    # ties: variance must match scipy's Kendall tau variance (no continuity correction there)
    x = np.array([2.0, 2, 3, 1, 5, 5, 5, 4, 6, 7, 7, 1])
    tau, z, p, s = mann_kendall(x)
    ref = stats.kendalltau(np.arange(x.size), x, method="asymptotic")
    var_ref = (s[0] / stats.norm.isf(ref.pvalue / 2)) ** 2
    var_ours = ((s[0] - np.sign(s[0])) / z[0]) ** 2
    assert var_ours == pytest.approx(var_ref, rel=1e-9)
    assert mann_kendall(np.ones(6))[1][0] == 0.0


def test_mann_kendall_bad_input() -> None:
    with pytest.raises(DataError):
        mann_kendall(np.array([1.0]))
    with pytest.raises(DataError):
        mann_kendall(np.array([1.0, np.nan, 2.0]))


# ----------------------------------------------------------------------------- classifier
def _cls(bins: list[int], mk_z: float = 0.0, mk_p: float = 1.0) -> str:
    return str(classify_emerging(np.array([bins]), np.array([mk_z]), np.array([mk_p]))[0])


H, C, O = 2, -2, 0  # noqa: E741


@pytest.mark.parametrize(
    ("bins", "mk", "expected", "near_miss", "mk_miss"),
    [
        # New: final hot, nothing significant before. Miss: one earlier hot -> Sporadic.
        ([O] * 9 + [H], (0, 1), "New hot spot", [H] + [O] * 8 + [H], (0, 1)),
        # Consecutive: final run of >= 2 hot, nothing before. Miss: run of 1 -> New.
        ([O] * 7 + [H] * 3, (0, 1), "Consecutive hot spot", [O] * 9 + [H], (0, 1)),
        # Intensifying: 9/10 hot incl. final, significant rising trend. Miss: 8/10.
        ([O] + [H] * 9, (3.0, 0.01), "Intensifying hot spot", [O, O] + [H] * 8, (3.0, 0.01)),
        # Diminishing: 9/10 hot incl. final, significant falling trend. Miss: p just above.
        ([O] + [H] * 9, (-3.0, 0.01), "Diminishing hot spot", [O] + [H] * 9, (-1.9, 0.0501)),
        # Persistent: 9/10 hot, no trend. Miss: 8/10 -> Sporadic.
        (
            [H] * 4 + [O] + [H] * 5,
            (0, 0.5),
            "Persistent hot spot",
            [H] * 4 + [O, O] + [H] * 4,
            (0, 0.5),
        ),
        # Sporadic: on and off, < 90%, never cold. Miss: one cold bin -> Oscillating.
        (
            [H, O, H, O, O, H, O, O, O, H],
            (0, 1),
            "Sporadic hot spot",
            [H, O, C, O, O, H, O, O, O, H],
            (0, 1),
        ),
        # Oscillating: final hot with an earlier cold spot. Miss: no cold -> Sporadic.
        (
            [C, O, O, H, O, O, O, O, H, H],
            (0, 1),
            "Oscillating hot spot",
            [O, O, O, H, O, O, O, O, H, H],
            (0, 1),
        ),
        # Historical: final not hot, >= 90% hot. Miss: 8/10 hot -> No pattern.
        ([H] * 9 + [O], (0, 1), "Historical hot spot", [O] + [H] * 8 + [O], (0, 1)),
    ],
)
def test_classifier_rule_and_near_miss(
    bins: list[int], mk: tuple[float, float], expected: str, near_miss: list[int],
    mk_miss: tuple[float, float],
) -> None:  # fmt: skip
    assert _cls(bins, *mk) == expected
    assert _cls(near_miss, *mk_miss) != expected
    # the cold mirror: negate bins and trend direction
    cold = expected.replace("hot spot", "cold spot")
    assert _cls([-b for b in bins], -mk[0], mk[1]) == cold
    assert _cls([-b for b in near_miss], -mk_miss[0], mk_miss[1]) != cold


def test_classifier_ninety_percent_threshold_at_twenty_steps() -> None:
    assert _cls([H, O, O] + [H] * 17) == "Persistent hot spot"  # 18/20 = 90%
    assert _cls([H, O, O, O] + [H] * 16) == "Sporadic hot spot"  # 17/20 = 85%
    assert _cls([O, O, O] + [H] * 17) == "Consecutive hot spot"  # 85%, one final run
    assert _cls([H] * 20 + [O] * 0, 4.0, 0.001) == "Intensifying hot spot"
    assert _cls([O] * 20) == "No pattern detected"
    # no significant bin before a 2-long final run, but cold earlier -> Oscillating
    assert _cls([C] + [O] * 7 + [H, H]) == "Oscillating hot spot"
    assert _cls([H] * 9 + [C]) == "Oscillating cold spot"  # final bin decides the family


# ----------------------------------------------------------------------------- emerging
def _town_cube() -> tuple[SpaceTimeCube, gpd.GeoDataFrame]:
    from hotspots.grid import square_grid
    from hotspots.synthetic import synthetic_town

    town = synthetic_town(0, size_km=3, n_incidents=6000, n_months=12)
    cells = square_grid(town.boundary, cell_size=150)
    return space_time_cube(town.incidents, cells), town.hotspots


def test_emerging_hotspots_finds_planted_persistent_spots() -> None:
    cube, planted = _town_cube()
    out = emerging_hotspots(cube)
    assert out.index.equals(cube.cells.index)
    for col in (
        "category",
        "pattern_type",
        "mk_z",
        "mk_p",
        "n_hot",
        "n_cold",
        "final_z",
        "final_bin",
    ):
        assert col in out.columns
    persistent = planted[planted["kind"] == "persistent"]
    hits = gpd.sjoin(out, persistent[["hotspot_id", "geometry"]], predicate="intersects")
    share = hits["category"].isin(["Persistent hot spot", "Intensifying hot spot"]).mean()
    assert share > 0.6
    far = out[~out.index.isin(gpd.sjoin(out, planted[["geometry"]]).index)]
    assert (far["category"] == "No pattern detected").mean() > 0.8
    assert out.attrs["hotspots"]["method"].startswith("Emerging")


def test_emerging_hotspots_period_checks() -> None:
    cells = square_cells(3)
    one = SpaceTimeCube(cells=cells, periods=pd.period_range("2024-01", periods=1, freq="M"),
                        counts=np.ones((9, 1), int))  # fmt: skip
    with pytest.raises(DataError, match="1 period"):
        emerging_hotspots(one)
    few = SpaceTimeCube(cells=cells, periods=pd.period_range("2024-01", periods=4, freq="M"),
                        counts=np.arange(36).reshape(9, 4))  # fmt: skip
    with pytest.warns(HotspotsWarning, match="at least 10"):
        out = emerging_hotspots(few)
    assert len(out) == 9
    with pytest.raises(DataError):
        emerging_hotspots(cube=cells)  # type: ignore[arg-type]
    with pytest.raises(DataError):
        space_time_gi(few, time_window=-1)


def test_space_time_gi_permutations_and_constant_cube() -> None:
    cells = square_cells(4)
    rng = np.random.default_rng(3)
    counts = rng.poisson(1, size=(16, 5))
    counts[5, 3:] = 15
    cube = SpaceTimeCube(
        cells=cells, periods=pd.period_range("2024-01", periods=5, freq="M"), counts=counts
    )
    a = space_time_gi(cube, permutations=99, seed=1)
    b = space_time_gi(cube, permutations=99, seed=1)
    assert np.array_equal(a.p, b.p)
    # two-sided: twice esda's one-tailed pseudo p, counted exactly for counts (no
    # 2 / (permutations + 1) floor), at most 1
    assert a.p.min() > 0 and a.p.max() <= 1.0
    assert a.z[5, 4] > 3 and a.p[5, 4] <= 0.05
    assert np.all(a.p_fdr >= a.p - 1e-15)
    flat = SpaceTimeCube(cells=cells, periods=cube.periods, counts=np.zeros((16, 5), int))
    with pytest.warns(HotspotsWarning, match="same count"):
        gi = space_time_gi(flat)
    assert (gi.bins == 0).all()
    with pytest.raises(DataError, match="neighbours"):
        space_time_gi(cube, neighbours="queen")
    knn = space_time_gi(cube, neighbours="knn", k=4, time_window=0, fdr=False)
    assert knn.z.shape == (16, 5)


def test_space_time_gi_cell_without_neighbours_is_not_significant() -> None:
    cells = square_cells(3)
    far = gpd.GeoDataFrame(geometry=[box(90_000, 90_000, 90_100, 90_100)], crs=cells.crs)
    cells = pd.concat([cells, far], ignore_index=True)
    counts = np.random.default_rng(0).poisson(2, size=(10, 4))
    counts[9] = 40  # the isolated cell: huge counts, but no neighbourhood to judge them by
    cube = SpaceTimeCube(
        cells=cells, periods=pd.period_range("2024-01", periods=4, freq="M"), counts=counts
    )
    for perms in (0, 99):
        gi = space_time_gi(cube, distance=150, time_window=0, permutations=perms)
        assert np.isfinite(gi.z).all() and np.isfinite(gi.p_fdr).all()
        assert (gi.bins[9] == 0).all()


# ----------------------------------------------------------------------------- FDR, calibration
def _noise_cube(seed: int, n: int = 10, n_p: int = 12, lam: float = 1.0) -> SpaceTimeCube:
    rng = np.random.default_rng(seed)
    cells = square_cells(n)
    counts = rng.poisson(lam, size=(n * n, n_p))
    return SpaceTimeCube(
        cells=cells, periods=pd.period_range("2022-01", periods=n_p, freq="M"), counts=counts
    )


def test_space_time_gi_bins_use_benjamini_hochberg() -> None:
    cube = _noise_cube(3)
    raw = space_time_gi(cube, fdr=False)
    gi = space_time_gi(cube)
    assert gi.z == pytest.approx(raw.z) and gi.p == pytest.approx(raw.p)
    q = stats.false_discovery_control(raw.p.T.reshape(-1), method="bh").reshape(12, 100).T
    assert gi.p_fdr == pytest.approx(q)
    level = np.where(q <= 0.01, 3, np.where(q <= 0.05, 2, np.where(q <= 0.10, 1, 0)))
    np.testing.assert_array_equal(gi.bins, np.sign(raw.z).astype(int) * level)
    # on pure noise the uncorrected bins flag many bins, the corrected ones (almost) none
    assert (raw.bins != 0).sum() > 50 and (gi.bins != 0).sum() < (raw.bins != 0).sum() / 10


def test_emerging_hotspots_applies_fdr_by_default() -> None:
    cube = _noise_cube(5)
    out = emerging_hotspots(cube)
    raw = space_time_gi(cube, fdr=False)
    q = stats.false_discovery_control(raw.p.T.reshape(-1), method="bh").reshape(12, 100).T
    hot = ((q <= 0.10) & (raw.z > 0)).sum(axis=1)
    np.testing.assert_array_equal(out["n_hot"].to_numpy(), hot)
    assert ((raw.p <= 0.10) & (raw.z > 0)).sum() > hot.sum()  # FDR changed the answer
    assert out.attrs["hotspots"]["parameters"]["fdr"] is True


def test_constant_rate_hot_spot_is_rarely_intensifying() -> None:
    # a 3x3 hot spot at 5x a background of 1 incident per cell-month, 12 months, steady:
    # "Intensifying" must be a false alarm in at most 5 % of runs. Before the edge and
    # autocorrelation corrections it was about 10 % (centre cell) and 7.6 % (any cell of
    # the nine, averaged) - the full-size figures are in benchmarks/bench_emerging_calibration.py
    runs = 100
    rng = np.random.default_rng(12)
    cells = square_cells(10)
    r, c = np.divmod(np.arange(100), 10)
    hot = (abs(r - 4) <= 1) & (abs(c - 4) <= 1)
    lam = np.where(hot, 5.0, 1.0)
    labelled = np.zeros(100)
    for _ in range(runs):
        counts = rng.poisson(lam[:, None], size=(100, 12))
        cube = SpaceTimeCube(
            cells=cells, periods=pd.period_range("2022-01", periods=12, freq="M"), counts=counts
        )
        cat = emerging_hotspots(cube)["category"].to_numpy()
        labelled += np.array([x == "Intensifying hot spot" for x in cat])
    per_cell = labelled[hot].sum() / (runs * hot.sum())
    centre = labelled[44] / runs
    assert per_cell <= 0.05
    assert centre <= 0.05 + 2 * np.sqrt(0.05 * 0.95 / runs)  # 5 % plus Monte Carlo error


def _window_tails_by_composition(values: np.ndarray, size: int, obs: int) -> tuple[float, float]:
    """P(S >= obs), P(S <= obs) for the sum S of ``size`` values drawn without replacement
    from ``values``, by enumerating how many of each distinct value are drawn."""
    from itertools import product
    from math import comb

    distinct, mult = np.unique(values, return_counts=True)
    total = comb(len(values), size)
    up = low = 0
    for take in product(*(range(int(m) + 1) for m in mult)):
        if sum(take) != size:
            continue
        ways = 1
        for m, t in zip(mult, take, strict=True):
            ways *= comb(int(m), t)
        s = int(np.dot(distinct, take))
        up += ways if s >= obs else 0
        low += ways if s <= obs else 0
    return up / total, low / total


def test_space_time_bins_follow_gi_stars_exact_permutation_rule() -> None:
    # 5x5 cells x 4 months, queen neighbours, time window 1 ("shift": month 0 uses months
    # 0-1). gi_star's rule, computed here from first principles: the window sum (the bin
    # and its space-time neighbours) against all 100 counts permuted, two-sided p =
    # min(1, 2 min(P(S >= obs), P(S <= obs))), Benjamini-Hochberg, bins at 1/5/10 %.
    n = 5
    counts = np.random.default_rng(4).binomial(1, 0.2, size=(n * n, 4))
    counts[[0, 1, 5, 6]] = 6  # a busy corner block
    cube = SpaceTimeCube(
        cells=square_cells(n),
        periods=pd.period_range("2024-01", periods=4, freq="M"),
        counts=counts,
    )
    gi = space_time_gi(cube, permutations=999)
    values = counts.reshape(-1)
    mean = values.mean()
    p = np.zeros((n * n, 4))
    sign = np.zeros((n * n, 4))
    for cell in range(n * n):
        r, c = divmod(cell, n)
        near = [
            rr * n + cc
            for rr in range(n)
            for cc in range(n)
            if abs(rr - r) <= 1 and abs(cc - c) <= 1
        ]
        for t in range(4):
            months = [0, 1] if t == 0 else [t - 1, t]
            obs = int(sum(counts[j, m] for j in near for m in months))
            size = len(near) * len(months)
            up, low = _window_tails_by_composition(values, size, obs)
            p[cell, t] = min(1.0, 2 * min(up, low))
            sign[cell, t] = np.sign(obs - size * mean)
    q = stats.false_discovery_control(p.T.reshape(-1), method="bh").reshape(4, n * n).T
    level = np.where(q <= 0.01, 3, np.where(q <= 0.05, 2, np.where(q <= 0.10, 1, 0)))
    np.testing.assert_allclose(gi.p, p, rtol=1e-9, atol=1e-12)
    np.testing.assert_array_equal(gi.bins, (sign * level).astype(int))
    assert (gi.bins > 0).sum() >= 3  # the case has significant bins to get right
    # the analytic p stays available, as in gi_star
    analytic = space_time_gi(cube, permutations=999, inference="analytic")
    assert analytic.p == pytest.approx(2 * stats.norm.sf(np.abs(analytic.z)))
    with pytest.raises(DataError, match="inference"):
        space_time_gi(cube, inference="exact")
