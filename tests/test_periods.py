"""Tests for hotspots.periods: counts before and after, per area and overall."""

from __future__ import annotations

import datetime as dt
import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from scipy import stats
from shapely.geometry import box

from hotspots import CRSError, DataError, HotspotsWarning
from hotspots.periods import compare_periods, dispersion
from tests._frames import month_points, square_cells


# ----------------------------------------------------------------------------- compare_periods
def test_compare_periods_exact_poisson_matches_binomtest() -> None:
    inc = pd.DataFrame({"month": ["2024-01"] * 15 + ["2024-02"] * 30})
    out = compare_periods(inc, before="2024-01", after="2024-02")
    row = out.loc["overall"]
    ref = stats.binomtest(30, 45, 0.5)
    assert row["p_value"] == pytest.approx(ref.pvalue, rel=1e-12)
    assert row["rate_ratio"] == pytest.approx(2.0)
    ci = ref.proportion_ci(method="exact")
    assert row["rr_ci_low"] == pytest.approx(ci.low / (1 - ci.low))
    assert row["rr_ci_high"] == pytest.approx(ci.high / (1 - ci.high))
    assert row["change"] == 15 and row["pct_change"] == pytest.approx(100.0)
    assert row["before"] == 15 and row["after"] == 30 and not row["low_count"]


def test_compare_periods_unequal_exposure_uses_period_lengths() -> None:
    # 20 in two months before vs 16 in one month after: H0 share of "after" is 1/3.
    inc = pd.DataFrame({"month": ["2024-01"] * 10 + ["2024-02"] * 10 + ["2024-03"] * 16})
    row = compare_periods(inc, before=("2024-01", "2024-02"), after="2024-03").loc["overall"]
    assert row["p_value"] == pytest.approx(stats.binomtest(16, 36, 1 / 3).pvalue)
    assert row["rate_ratio"] == pytest.approx(16 / 10)
    assert row["pct_change"] == pytest.approx(60.0)


def test_compare_periods_zero_before_is_new_not_infinite_percent() -> None:
    inc = pd.DataFrame({"month": ["2024-02"] * 3})
    with pytest.raises(DataError, match=r"\['2024-01'\], which have no data"):
        compare_periods(inc, before="2024-01", after="2024-02")
    months = ["2024-01", "2024-02"]  # the loader read January: it had no incidents
    row = compare_periods(inc, before="2024-01", after="2024-02", months=months).loc["overall"]
    assert np.isnan(row["pct_change"])
    assert row["note"] == "new" and row["low_count"]
    assert np.isinf(row["rate_ratio"]) and np.isinf(row["rr_ci_high"])
    assert row["p_value"] == pytest.approx(0.25)  # 0.5**3 * 2 sides


def test_compare_periods_mixed_month_formats() -> None:
    months = ["2024-01", "Jan 2024", "2024-01-15", "January 2024", "2024-02", "Feb 2024"]
    inc = pd.DataFrame({"month": months})
    out = compare_periods(inc, before=pd.Period("2024-01", "M"), after=[dt.datetime(2024, 2, 3)])
    assert out.loc["overall", "before"] == 4 and out.loc["overall", "after"] == 2


@pytest.mark.parametrize("bad", ["2024-13", "not a month", "<script>", ""])
def test_compare_periods_garbled_month_names_value(bad: str) -> None:
    inc = pd.DataFrame({"month": ["2024-01", bad]})
    with pytest.raises(DataError, match="is not a month"):
        compare_periods(inc, before="2024-01", after="2024-02")
    with pytest.raises(DataError, match="is not a month"):
        compare_periods(pd.DataFrame({"month": ["2024-01"]}), before=bad, after="2024-02")


def test_compare_periods_overlap_and_missing_column() -> None:
    inc = pd.DataFrame({"month": ["2024-01"]})
    with pytest.raises(DataError, match="overlap"):
        compare_periods(inc, before=("2024-01", "2024-03"), after="2024-02")
    with pytest.raises(DataError, match="missing column"):
        compare_periods(pd.DataFrame({"x": [1]}), before="2024-01", after="2024-02")


def test_compare_periods_by_area_with_fdr_and_overall() -> None:
    areas = gpd.GeoDataFrame(
        {"name": ["west", "east"]}, geometry=[box(0, 0, 100, 100), box(100, 0, 200, 100)],
        crs=27700, index=[10, 20],
    )  # fmt: skip
    xy = [(50, 50)] * 12 + [(150, 50)] * 5 + [(50, 50)] * 2 + [(150, 50)] * 9 + [(500, 500)]
    months = ["2024-01"] * 17 + ["2024-02"] * 12
    inc = month_points(xy, months)
    before = inc.copy()
    with pytest.warns(HotspotsWarning, match="outside every area"):
        out = compare_periods(inc, areas, before="2024-01", after="2024-02", area_id="name")
    pd.testing.assert_frame_equal(inc, before)
    assert list(out.index) == [10, 20, "overall"]
    assert out["before"].tolist() == [12, 5, 17] and out["after"].tolist() == [2, 9, 12]
    p = [stats.binomtest(2, 14, 0.5).pvalue, stats.binomtest(9, 14, 0.5).pvalue]
    bh = stats.false_discovery_control(p, method="bh")
    assert out["p_fdr"].iloc[:2].to_numpy() == pytest.approx(bh)
    assert out.loc[10, "low_count"] and out.loc[10, "note"] == "small counts"
    assert out.crs.equals(areas.crs) and out.loc["overall", "geometry"].area == pytest.approx(2e4)


def test_compare_periods_crs_checks() -> None:
    areas = gpd.GeoDataFrame(geometry=[box(0, 0, 1, 1)], crs=4326)
    inc = month_points([(0.5, 0.5)], ["2024-01"]).set_crs(4326, allow_override=True)
    with pytest.raises(CRSError):
        compare_periods(inc, areas, before="2024-01", after="2024-02")
    with pytest.raises(CRSError):
        compare_periods(inc, square_cells(), before="2024-01", after="2024-02")


def test_unequal_periods_show_change_per_month_with_the_rate_ratio_sign() -> None:
    # 30 incidents over three months before (10 a month), 15 in one month after: the raw
    # change is -15 but the rate went up by 5 a month (rate ratio 1.5)
    inc = pd.DataFrame({"month": ["2024-01"] * 10 + ["2024-02"] * 10 + ["2024-03"] * 10
                        + ["2024-04"] * 15})  # fmt: skip
    row = compare_periods(inc, before=("2024-01", "2024-03"), after="2024-04").loc["overall"]
    assert row["change"] == -15
    assert row["before_per_month"] == pytest.approx(10.0)
    assert row["after_per_month"] == pytest.approx(15.0)
    assert row["change_per_month"] == pytest.approx(5.0)
    assert row["rate_ratio"] == pytest.approx(1.5) and row["pct_change"] == pytest.approx(50.0)


def _two_areas() -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    areas = gpd.GeoDataFrame(geometry=[box(0, 0, 100, 100), box(100, 0, 200, 100)], crs=27700)
    # area 0: 10 before, 20 after; area 1: 10 before, 0 after
    xy = [(50, 50)] * 30 + [(150, 50)] * 10
    months = ["2024-01"] * 10 + ["2024-02"] * 20 + ["2024-01"] * 10
    return areas, month_points(xy, months)


def test_dispersion_by_hand() -> None:
    # common ratio RR = 20/20 = 1; area rates (10+20)/2 = 15 and (10+0)/2 = 5;
    # chi-square (5^2 + 5^2)/15 + (5^2 + 5^2)/5 = 13.333 on 2 - 1 = 1 degree of freedom
    assert dispersion([10, 10], [20, 0]) == pytest.approx(40 / 3)
    # Poisson-like counts: exactly proportional areas give 0
    assert dispersion([10, 20], [20, 40]) == pytest.approx(0.0)
    assert np.isnan(dispersion([5], [7]))  # one area: no degrees of freedom


def test_over_dispersion_warns_and_quasipoisson_allows_for_it() -> None:
    areas, inc = _two_areas()
    with pytest.warns(HotspotsWarning, match=r"over-dispersed \(dispersion 13.33"):
        pois = compare_periods(inc, areas, before="2024-01", after="2024-02")
    assert pois.attrs["hotspots"]["parameters"]["dispersion"] == pytest.approx(13.3333)
    with warnings.catch_warnings():
        warnings.simplefilter("error", HotspotsWarning)
        quasi = compare_periods(inc, areas, before="2024-01", after="2024-02", test="quasipoisson")
    # area 0: n = 30, share 1/2, z = (20 - 15) / sqrt(13.333 * 30 / 4) = 5 / 10 = 0.5
    assert quasi.loc[0, "p_value"] == pytest.approx(2 * stats.norm.sf(0.5))
    assert pois.loc[0, "p_value"] == pytest.approx(stats.binomtest(20, 30, 0.5).pvalue)
    assert quasi.loc[0, "p_value"] > pois.loc[0, "p_value"]
    assert quasi.loc[0, "rr_ci_low"] < pois.loc[0, "rr_ci_low"]
    assert quasi.loc[0, "rr_ci_high"] > pois.loc[0, "rr_ci_high"]
    assert quasi.attrs["hotspots"]["method"] == "quasi-Poisson rate comparison"
    # the total's dispersion: residuals 20 - 30/2 = 5 and 0 - 10/2 = -5 about the null
    # share 1/2; (25 + 25) / (40 * 1/4) = 5
    assert quasi.attrs["hotspots"]["parameters"]["dispersion_of_total"] == pytest.approx(5.0)
    with pytest.raises(DataError, match="pass areas="):
        compare_periods(inc, before="2024-01", after="2024-02", test="quasipoisson")
    with pytest.raises(DataError, match="test must be one of"):
        compare_periods(inc, areas, before="2024-01", after="2024-02", test="nb")


def test_period_months_accepted_and_missing_months_named() -> None:
    inc = pd.DataFrame({"month": pd.PeriodIndex(["2024-01", "2024-01", "2024-04"], freq="M")})
    row = compare_periods(inc, before="2024-01", after="2024-04").loc["overall"]
    assert (row["before"], row["after"]) == (2, 1)
    with pytest.raises(DataError, match=r"\['2024-02', '2024-03'\], which have no data"):
        compare_periods(inc, before="2024-01", after=("2024-02", "2024-04"))
