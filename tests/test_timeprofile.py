"""Tests of hotspots.timeprofile: aoristic weights by hand, sums, the planted Friday-night
pattern of the synthetic town recovered, and summaries of hand-made grids."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hotspots import DataError
from hotspots.timeprofile import (
    DAYS,
    aoristic_weights,
    time_profile,
    time_profile_chart,
    time_summary,
)


def _frame(start: list[str], end: list[str | None] | None = None) -> pd.DataFrame:
    df = pd.DataFrame({"datetime": pd.to_datetime(start)})
    if end is not None:
        df["until"] = pd.to_datetime(end)
    return df


def test_aoristic_weights_by_hand() -> None:
    df = _frame(
        ["2024-03-03 23:30", "2024-03-04 09:15", "2024-03-05 10:00"],  # Sun, Mon, Tue
        ["2024-03-04 01:30", None, "2024-03-05 10:00"],
    )
    w = aoristic_weights(df, end="until")
    # Sun 23:30-Mon 01:30: half an hour on Sunday 23h, one in Mon 00h, half in Mon 01h
    expected0 = np.zeros(168)
    expected0[[167, 0, 1]] = [0.25, 0.5, 0.25]
    np.testing.assert_allclose(w[0], expected0)
    assert w[1, 9] == 1.0 and w[1].sum() == 1.0  # no end: a known moment, Mon 09h
    assert w[2, 24 + 10] == 1.0  # an end equal to the start: a moment


def test_aoristic_weights_sum_to_one() -> None:
    rng = np.random.default_rng(0)
    start = pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.uniform(0, 365 * 24, 500), unit="h")
    # windows from a minute to three weeks
    end = start + pd.to_timedelta(rng.exponential(20, 500) * rng.random(500) ** 3 * 25, unit="h")
    df = pd.DataFrame({"datetime": start, "until": end})
    w = aoristic_weights(df, end="until")
    np.testing.assert_allclose(w.sum(axis=1), 1.0, atol=1e-9)
    assert (w >= -1e-12).all()
    # a window of exactly two weeks spreads evenly
    two = _frame(["2024-03-06 13:00"], ["2024-03-20 13:00"])
    np.testing.assert_allclose(aoristic_weights(two, end="until"), 1 / 168)


def test_time_profile_groups_and_counts() -> None:
    df = _frame(["2024-03-01 22:30", "2024-03-02 01:10", "2024-03-04 09:00"])
    df["area"] = ["north", "north", "south"]
    p = time_profile(df, by="area")
    assert list(p.index.get_level_values(0).unique()) == ["north", "south"]
    assert p.loc["north"].to_numpy().sum() == 2
    assert p.loc[("north", "Fri"), 22] == 1 and p.loc[("north", "Sat"), 1] == 1
    assert p.loc[("south", "Mon"), 9] == 1
    assert list(p.loc["south"].index) == list(DAYS)
    assert p.attrs["hotspots"]["parameters"]["by"] == "area"


def test_planted_friday_night_pattern_is_recovered() -> None:
    from hotspots import synthetic_town

    town = synthetic_town(2, size_km=3, n_incidents=6000, n_services=4, n_hotspots=2)
    inc = town.incidents
    assert (inc["datetime"].dt.to_period("M") == inc["month"]).all()
    spot = int(town.hotspots.loc[town.hotspots["kind"] == "persistent", "hotspot_id"].iloc[0])
    assert town.hotspots.loc[spot, "crime_type"] == "Violence and sexual offences"
    own = inc[(inc["hotspot_id"] == spot) & (inc["crime_type"] == "Violence and sexual offences")]
    line = time_summary(time_profile(own, end="datetime_end")).iloc[0]
    assert line.startswith("mostly Fri–Sat 22:00–02:00")
    # background incidents have no planted pattern
    bg = inc[inc["hotspot_id"] == -1]
    assert time_summary(time_profile(bg, end="datetime_end")).iloc[0].startswith("no marked peak")
    # burglaries come as time windows, and still count once each
    burg = inc[inc["crime_type"] == "Burglary"]
    assert burg["datetime_end"].notna().all() and (burg["datetime_end"] > burg["datetime"]).all()
    prof = time_profile(burg, end="datetime_end")
    assert prof.to_numpy().sum() == pytest.approx(len(burg))


def test_time_summary_of_hand_made_grids() -> None:
    grid = np.ones((7, 24))
    grid[2, 9:12] = 40  # Wed 09:00-12:00
    idx = pd.MultiIndex.from_product([["x"], list(DAYS)])
    profile = pd.DataFrame(grid, index=idx, columns=range(24))
    assert time_summary(profile).loc["x"].startswith("mostly Wed 09:00–12:00 (42% of")
    few = pd.DataFrame(np.zeros((7, 24)), index=idx, columns=range(24))
    few.iloc[0, 0] = 3
    assert time_summary(few).loc["x"] == "too few incidents (3) for a time pattern"
    with pytest.raises(DataError, match=r"output of time_profile"):
        time_summary(pd.DataFrame({"a": [1]}))


def test_chart_draws_the_grid() -> None:
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    p = time_profile(_frame(["2024-03-01 22:30"] * 12))
    ax = time_profile_chart(p)
    assert ax.images[0].get_array().sum() == 12
    assert "Fri" in ax.get_title()
    with pytest.raises(DataError, match="not in the profile"):
        time_profile_chart(p, "nowhere")


def test_bad_input() -> None:
    with pytest.raises(DataError, match=r"earlier than 'datetime'.*index \[0\]"):
        aoristic_weights(_frame(["2024-03-01 22:30"], ["2024-03-01 20:00"]), end="until")
    months = pd.DataFrame({"month": ["2024-01", "2024-02"]})
    with pytest.raises(DataError, match="date and time of every incident"):
        time_profile(months)
    with pytest.raises(DataError, match="missing values"):
        time_profile(_frame(["2024-03-01 22:30"]).assign(area=[None]), by="area")
    with pytest.raises(DataError, match="empty"):
        time_profile(_frame([]))
    dates = _frame([f"2024-03-0{d}" for d in range(1, 7)])
    with pytest.raises(DataError, match="dates without times of day"):
        time_profile(dates)
    # known only to the day: a window to the next midnight spreads each over its day
    whole = time_profile(dates.assign(until=dates["datetime"] + pd.Timedelta(days=1)), end="until")
    assert whole.loc[("All", "Fri")].to_numpy() == pytest.approx(np.full(24, 1 / 24))
