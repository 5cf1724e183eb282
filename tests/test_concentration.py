"""Tests of hotspots.concentration: power-few shares and Gini by hand and on police.uk data."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from hotspots import DataError
from hotspots.concentration import concentration, concentration_curve, gini


def test_gini_by_hand() -> None:
    assert gini([5, 5, 5, 5]) == 0.0
    assert gini([0, 0, 0, 0, 10]) == pytest.approx(0.8)  # (n - 1) / n when all at one
    # x = 1, 2, 3: sum (2i - 4) x_i = -2 + 0 + 6 = 4; / (3 * 6)
    assert gini([3, 1, 2]) == pytest.approx(4 / 18)
    assert np.isnan(gini([0, 0]))


def _incidents() -> pd.DataFrame:
    # places p1..p10; violence at 3 of them (6, 2, 2), drugs at one (2)
    place = ["p1"] * 6 + ["p2"] * 2 + ["p3"] * 2 + ["p1"] * 2 + [f"p{k}" for k in range(4, 11)]
    kind = ["V"] * 10 + ["D"] * 2 + ["O"] * 7
    return pd.DataFrame({"place": place, "crime_type": kind})


def test_power_few_by_hand() -> None:
    out = concentration(_incidents(), location="place", top=[0.1, 0.2])
    # ten places in all; violence: the top place (10 %) holds 6 of 10
    v = out.loc["V"]
    assert (v["incidents"], v["places"], v["places_with_any"]) == (10, 10, 3)
    assert v["top_10pct"] == pytest.approx(0.6)
    assert v["top_20pct"] == pytest.approx(0.8)
    assert v["gini"] == pytest.approx(gini([6, 2, 2] + [0] * 7))
    assert out.loc["D", "top_10pct"] == pytest.approx(1.0)
    # all crime: p1 has 8 of 19
    assert out.loc["All crime", "top_10pct"] == pytest.approx(8 / 19)
    assert out.attrs["hotspots"]["parameters"]["location"] == "place"


def test_curve_runs_from_zero_to_one() -> None:
    curve = concentration_curve(_incidents(), location="place")
    v = curve[curve["group"] == "V"]
    assert v["share_of_places"].tolist()[:3] == pytest.approx([0.0, 0.1, 0.2])
    assert v["share_of_incidents"].tolist()[:4] == pytest.approx([0.0, 0.6, 0.8, 1.0])
    assert v["share_of_incidents"].iloc[-1] == pytest.approx(1.0)


@pytest.mark.realdata
def test_police_uk_map_points_as_places(medway_crime: gpd.GeoDataFrame) -> None:
    crime = medway_crime
    out = concentration(crime)
    # independently: count rows per published longitude/latitude pair
    counts = crime.groupby(["Longitude", "Latitude"]).size().sort_values(ascending=False)
    n_places = len(counts)
    top = round(0.1 * n_places)
    share = counts.iloc[:top].sum() / counts.sum()
    assert out.loc["All crime", "places"] == n_places
    assert out.loc["All crime", "top_10pct"] == pytest.approx(share, abs=1 / counts.sum())
    viol = crime[crime["crime_type"] == "Violence and sexual offences"]
    assert out.loc["Violence and sexual offences", "incidents"] == len(viol)


def test_bad_input() -> None:
    df = _incidents()
    with pytest.raises(DataError, match="missing column"):
        concentration(df, location="address")
    with pytest.raises(DataError, match="no geometry"):
        concentration(df)
    with pytest.raises(DataError, match="missing places"):
        concentration(df.assign(place=[None, *df["place"].iloc[1:]]), location="place")
    with pytest.raises(DataError, match="between 0 and 1"):
        concentration(df, location="place", top=[5])
    with pytest.raises(DataError, match="empty"):
        concentration(df.iloc[:0], location="place")
