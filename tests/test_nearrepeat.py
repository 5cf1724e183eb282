"""Tests of hotspots.nearrepeat: Knox against pointpats, the near-repeat table by brute
force, a planted near-repeat found, a Poisson process not, and police.uk months refused."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from hotspots import CRSError, DataError
from hotspots.nearrepeat import knox_test, near_repeat_table

spacetime = pytest.importorskip("pointpats.spacetime")

DAY0 = pd.Timestamp("2024-01-01")


def _events(x: np.ndarray, y: np.ndarray, day: np.ndarray, crs: int = 27700) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"date": DAY0 + pd.to_timedelta(day, unit="D")},
        geometry=gpd.points_from_xy(x, y),
        crs=crs,
    )


def _poisson(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Independent uniform places in 3 x 3 km and whole days in a year."""
    return rng.uniform(0, 3000, n), rng.uniform(0, 3000, n), rng.integers(0, 365, n)


def _near_repeats(rng: np.random.Generator, n: int) -> tuple[np.ndarray, ...]:
    """Burglary-like: a Poisson process of first incidents, a third of them followed by
    a repeat within 100 m and 7 days."""
    x, y, d = _poisson(rng, n)
    parents = np.flatnonzero(rng.random(n) < 1 / 3)
    ang = rng.uniform(0, 2 * np.pi, parents.size)
    r = rng.uniform(0, 100, parents.size)
    x2 = x[parents] + r * np.cos(ang)
    y2 = y[parents] + r * np.sin(ang)
    d2 = d[parents] + rng.integers(0, 8, parents.size)
    return np.r_[x, x2], np.r_[y, y2], np.r_[d, d2]


def test_knox_equals_pointpats() -> None:
    x, y, d = _near_repeats(np.random.default_rng(5), 300)
    ours = knox_test(_events(x, y, d), distance=150, days=10, permutations=199, seed=42)
    np.random.seed(42)  # noqa: NPY002 - pointpats draws from numpy's global RandomState
    ref = spacetime.Knox(np.column_stack([x, y]), d.reshape(-1, 1).astype(float),
                         delta=150, tau=10, permutations=199)  # fmt: skip
    assert ours.statistic == ref.statistic_
    assert ours.p_value == ref.p_sim  # same shuffles: equal, not only close
    np.testing.assert_allclose(ours.table.to_numpy(), ref.observed)
    assert ours.expected == pytest.approx(ref.expected[0, 0])
    assert ours.p_poisson == pytest.approx(ref.p_poisson)
    assert ours.ratio == pytest.approx(ref.statistic_ / ref.expected[0, 0])
    assert ours.n == len(x)


def test_near_repeat_table_by_brute_force() -> None:
    rng = np.random.default_rng(2)
    x, y, d = _near_repeats(rng, 120)
    x[:4], y[:4] = 500.0, 500.0  # some incidents at the same place
    nr = near_repeat_table(
        _events(x, y, d), distance_bands=[100, 250], day_bands=[7, 30], permutations=19, seed=1
    )
    i, j = np.triu_indices(len(x), 1)
    dist = np.hypot(x[i] - x[j], y[i] - y[j])
    dt = np.abs(d[i] - d[j])
    space = [dist == 0, (dist > 0) & (dist <= 100), (dist > 100) & (dist <= 250), dist > 250]
    time = [dt <= 7, (dt > 7) & (dt <= 30), dt > 30]
    expected = np.array([[int((s & t).sum()) for t in time] for s in space])
    np.testing.assert_array_equal(nr.observed.to_numpy(), expected)
    assert list(nr.observed.index) == [
        "same location", "1 to 100 m", "101 to 250 m", "more than 250 m"]  # fmt: skip
    assert list(nr.observed.columns) == ["0 to 7 days", "8 to 30 days", "more than 30 days"]
    # shuffling dates keeps each space band's total and each time band's total
    np.testing.assert_allclose(nr.expected.sum(axis=1), expected.sum(axis=1))
    np.testing.assert_allclose(nr.expected.sum(axis=0), expected.sum(axis=0))
    # the first cells together are the Knox statistic at 100 m / 7 days
    knox = knox_test(_events(x, y, d), distance=100, days=7, permutations=0)
    assert expected[:2, 0].sum() == knox.statistic
    assert nr.observed.attrs["hotspots"]["parameters"]["day_bands"] == [7.0, 30.0]


def test_planted_near_repeat_found_and_poisson_not() -> None:
    rng = np.random.default_rng(7)
    sims, found, alarms = 40, 0, 0
    for s in range(sims):
        x, y, d = _near_repeats(rng, 150)
        found += knox_test(_events(x, y, d), distance=100, days=7, permutations=99,
                           seed=s).p_value <= 0.05  # fmt: skip
        x, y, d = _poisson(rng, 200)
        alarms += knox_test(_events(x, y, d), distance=100, days=7, permutations=99,
                            seed=s).p_value <= 0.05  # fmt: skip
    assert found / sims >= 0.95
    # nominal 5 %; with 40 simulations allow 4 (the benchmark runs 1,000)
    assert alarms <= 4


def test_near_repeat_summary_names_the_planted_band() -> None:
    x, y, d = _near_repeats(np.random.default_rng(3), 300)
    nr = near_repeat_table(_events(x, y, d), permutations=99, seed=0)
    sig = nr.significant()
    assert ("1 to 100 m", "0 to 7 days") in set(zip(sig["space"], sig["time"], strict=True))
    assert "1 to 100 m, 0 to 7 days" in nr.summary()
    # the cells of the band beyond 400 m within 7 days lose what the near band gains
    assert nr.ratio.loc["more than 400 m", "0 to 7 days"] < 1


def test_police_uk_months_are_refused() -> None:
    x, y, d = _poisson(np.random.default_rng(0), 20)
    ev = _events(x, y, d)
    months = ev.assign(month=ev["date"].dt.strftime("%Y-%m")).drop(columns="date")
    with pytest.raises(DataError, match=r"only the month.*too coarse"):
        knox_test(months, distance=100, days=7)
    with pytest.raises(DataError, match="holds months"):
        near_repeat_table(months, time_column="month")
    firsts = ev.assign(date=ev["date"].dt.to_period("M").dt.to_timestamp())
    with pytest.raises(DataError, match="1st of a month"):
        knox_test(firsts, distance=100, days=7)
    with pytest.raises(DataError, match="holds months"):
        knox_test(ev.assign(date=ev["date"].dt.to_period("M")), distance=100, days=7)


def test_bad_input() -> None:
    x, y, d = _poisson(np.random.default_rng(0), 20)
    ev = _events(x, y, d)
    with pytest.raises(CRSError, match="geographic"):
        knox_test(ev.set_crs(4326, allow_override=True), distance=100, days=7)
    bad = ev.astype({"date": object})
    bad.loc[3, "date"] = "not a date"
    with pytest.raises(DataError, match=r"1 missing or unreadable dates \(index \[3\]\)"):
        knox_test(bad, distance=100, days=7)
    with pytest.raises(DataError, match="distance must be a positive"):
        knox_test(ev, distance=-5, days=7)
    with pytest.raises(DataError, match="missing column"):
        knox_test(ev, distance=100, days=7, time_column="when")
    with pytest.raises(DataError, match="must increase"):
        near_repeat_table(ev, distance_bands=[200, 100])
    with pytest.raises(DataError, match="permutations"):
        near_repeat_table(ev, permutations=0)
