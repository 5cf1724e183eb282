"""How good is a hotspot map? Hit rate, PAI, PEI, RRI at fixed coverage, and backtests.

All measures select the highest-scoring cells until a fixed share (``coverage``) of the
study area is covered. Ties are never allowed to flatter a map: when cells with equal
scores straddle the coverage cut, the tied group is credited pro rata - the expected
result of breaking the tie at random (by area). The group straddling the cut is always
credited this way, so the selected area is exactly ``coverage`` of the total; with all
scores equal the PAI is exactly 1.

References
----------
Chainey, Tompson & Uhlig (2008), "The utility of hotspot mapping for predicting spatial
patterns of crime", Security Journal 21: PAI = (n/N) / (a/A).
Hunt (2016), "Do crime hot spots move?" (NIJ) and Chainey (2013): PEI = PAI / PAI*, PAI*
the largest PAI any selection of the same area could reach.
Levine (2008), CrimeStat III, ch. 6: Recapture Rate Index RRI = (n2/n1) / (N2/N1), n1, n2
incidents in the predicted hot spots in the earlier and later period, N1, N2 in the
whole area.
Bowers, Johnson & Pease (2004), "Prospective hot-spotting", Br. J. Criminol. 44(5).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ._errors import DataError, HotspotsWarning
from ._forecast import METHODS
from ._months import describe_runs
from ._provenance import record
from ._validate import (
    require_columns,
    require_geodataframe,
    require_nonempty,
    require_projected,
    require_same_crs,
)

if TYPE_CHECKING:
    import geopandas as gpd
    import numpy.typing as npt

    from ._months import MonthLike

__all__ = ["backtest", "backtest_summary", "hit_rate", "pai", "pei", "rri"]


def _arrays(
    predicted: Any, actual: Any, cell_area: Any, coverage: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    s = np.asarray(predicted, dtype=float).ravel()
    c = np.asarray(actual, dtype=float).ravel()
    if s.size != c.size:
        raise DataError(f"predicted ({s.size} cells) and actual ({c.size}) differ in length.")
    if s.size == 0:
        raise DataError("no cells to evaluate (empty input).")
    a = np.ones_like(s) if cell_area is None else np.asarray(cell_area, dtype=float).ravel()
    if a.size != s.size:
        raise DataError(f"cell_area has {a.size} values for {s.size} cells.")
    for name, v in (("predicted", s), ("actual", c), ("cell_area", a)):
        if not np.isfinite(v).all():
            raise DataError(f"{name} has {int((~np.isfinite(v)).sum())} NaN/inf values.")
    if (c < 0).any() or (a <= 0).any():
        raise DataError("actual counts must be >= 0 and cell areas > 0.")
    if not 0 < float(coverage) <= 1:
        raise DataError(f"coverage is a share of the area in (0, 1]; got {coverage}.")
    return s, c, a


def _captured(scores: np.ndarray, counts: np.ndarray, area: np.ndarray, coverage: float) -> float:
    """Incidents captured by the top-scoring cells covering ``coverage`` of the area.

    Cells are taken in groups of equal score; the group that straddles the cut is
    credited pro rata by area (expected value over random tie-breaking).
    """
    target = coverage * area.sum()
    uniq, inv = np.unique(-scores, return_inverse=True)  # descending score groups
    g_area = np.bincount(inv, weights=area, minlength=uniq.size)
    g_count = np.bincount(inv, weights=counts, minlength=uniq.size)
    cum = np.cumsum(g_area)
    full = cum <= target * (1 + 1e-12)
    got = float(g_count[full].sum())
    left = target - (float(cum[full][-1]) if full.any() else 0.0)
    k = int(full.sum())
    if k < uniq.size and left > 0:
        got += g_count[k] * left / g_area[k]
    return got


def hit_rate(
    predicted: npt.ArrayLike,
    actual: npt.ArrayLike,
    *,
    coverage: float = 0.05,
    cell_area: npt.ArrayLike | None = None,
) -> float:
    """Share of the actual incidents (n/N) in the top cells covering ``coverage`` of the area.

    Parameters
    ----------
    predicted : array-like
        Score per cell (higher = hotter).
    actual : array-like
        Incident count per cell in the evaluation period, aligned with ``predicted``.
    coverage : float, default 0.05
        Share of the study area selected (0.01, 0.05, 0.10 are usual).
    cell_area : array-like, optional
        Cell areas for non-uniform cells (default: equal).

    Examples
    --------
    >>> hit_rate([5, 4, 3, 2, 1, 0, 0, 0, 0, 0], [6, 2, 1, 1, 0, 0, 0, 0, 0, 0], coverage=0.2)
    0.8
    """
    s, c, a = _arrays(predicted, actual, cell_area, coverage)
    total = c.sum()
    return float(_captured(s, c, a, coverage) / total) if total > 0 else float("nan")


def pai(
    predicted: npt.ArrayLike,
    actual: npt.ArrayLike,
    *,
    coverage: float = 0.05,
    cell_area: npt.ArrayLike | None = None,
) -> float:
    """Predictive Accuracy Index, PAI = (n/N) / (a/A) (Chainey, Tompson & Uhlig 2008).

    ``a/A`` equals ``coverage`` exactly (see the module notes on ties).

    Examples
    --------
    >>> pai([5, 4, 3, 2, 1, 0, 0, 0, 0, 0], [6, 2, 1, 1, 0, 0, 0, 0, 0, 0], coverage=0.2)
    4.0
    """
    return hit_rate(predicted, actual, coverage=coverage, cell_area=cell_area) / coverage


def pei(
    predicted: npt.ArrayLike,
    actual: npt.ArrayLike,
    *,
    coverage: float = 0.05,
    cell_area: npt.ArrayLike | None = None,
) -> float:
    """Predictive Efficiency Index, PEI = PAI / PAI* (Hunt 2016; Chainey 2013).

    PAI* is the best PAI any selection of the same area could reach: cells ranked by
    their actual incident density (count / area), the last one taken in part. PEI is in
    [0, 1]; 1 means the map picked the best possible cells.

    Examples
    --------
    >>> pei([5, 4, 3, 2, 1, 0, 0, 0, 0, 0], [1, 6, 2, 1, 0, 0, 0, 0, 0, 0], coverage=0.2)
    0.875
    """
    s, c, a = _arrays(predicted, actual, cell_area, coverage)
    best = _captured(c / a, c, a, coverage)
    return float(_captured(s, c, a, coverage) / best) if best > 0 else float("nan")


def rri(
    predicted: npt.ArrayLike,
    actual: npt.ArrayLike,
    *,
    previous: npt.ArrayLike,
    coverage: float = 0.05,
    cell_area: npt.ArrayLike | None = None,
) -> float:
    """Recapture Rate Index (Levine 2008): RRI = (n2 / n1) / (N2 / N1).

    ``n1``/``n2``: incidents in the predicted hot cells (top ``coverage`` by ``predicted``)
    in the earlier period (``previous``) and the later one (``actual``); ``N1``/``N2``:
    all incidents. Equivalently the later hit rate divided by the earlier one; 1 means the
    hot spots kept their share, > 1 they recaptured more.

    Examples
    --------
    >>> round(rri([3, 2, 1, 0], [4, 2, 2, 0], previous=[6, 2, 1, 1], coverage=0.25), 4)
    0.8333
    """
    s, c2, a = _arrays(predicted, actual, cell_area, coverage)
    c1 = np.asarray(previous, dtype=float).ravel()
    if c1.size != s.size or not np.isfinite(c1).all() or (c1 < 0).any():
        raise DataError("previous must be finite counts >= 0, one per cell.")
    n1, n2 = _captured(s, c1, a, coverage), _captured(s, c2, a, coverage)
    if n1 == 0 or c1.sum() == 0 or c2.sum() == 0:
        return float("nan")
    return float((n2 / n1) / (c2.sum() / c1.sum()))


# ----------------------------------------------------------------------------- backtest
def backtest(
    incidents: gpd.GeoDataFrame,
    cells: gpd.GeoDataFrame,
    *,
    methods: Sequence[str] = METHODS,
    train_months: int = 3,
    test_months: int = 1,
    coverage: Sequence[float] = (0.01, 0.05, 0.1),
    prospective_bandwidth: float = 400.0,
    months: Sequence[MonthLike] | None = None,
    seed: int = 0,
) -> pd.DataFrame:
    """Rolling, month-by-month test of hotspot methods as forecasts.

    For each test window (``test_months`` months, rolled on by one month) every method is
    fitted on the ``train_months`` months before it and scored against the test counts;
    the methods and their rules are those of :func:`hotspots.forecast.forecast_cells`
    (``"last_period"``, ``"kde"``, ``"gi_star"``, ``"prospective"``). Incidents are
    assigned to cells with :func:`hotspots.grid.assign_points`.

    Months without data are never used, neither as training nor as test months: a
    window is scored only when all its ``train_months + test_months`` months have data.
    Test months skipped because a training month is missing are named in a
    ``HotspotsWarning`` and in ``attrs["hotspots"]["skipped_test_months"]``.

    Parameters
    ----------
    incidents : GeoDataFrame
        Points with a ``month`` column (``Period[M]`` or "YYYY-MM" text), same CRS as cells.
    cells : GeoDataFrame
        Projected polygons (a grid) to score on.
    methods : sequence of str
        Methods to compare.
    train_months, test_months : int
        Window lengths in months.
    coverage : sequence of float
        Shares of the area at which hit rate, PAI and PEI are measured.
    prospective_bandwidth : float, default 400
        Radius of the prospective method in metres.
    months : list of month-like, optional
        The months the data cover, including months with no incidents (e.g. the months
        a loader read). Without it a month has data when it has an incident.
    seed : int
        Recorded; the methods here are deterministic.

    Returns
    -------
    DataFrame
        Tidy and plot-ready: ``test_month``, ``method``, ``coverage``, ``hit_rate``,
        ``pai``, ``pei``, ``n_test``, ``n_train``. Summarise with :func:`backtest_summary`.

    Raises
    ------
    DataError
        Fewer than ``train_months + test_months`` months in the data, no window whose
        months all have data, or unknown methods.
    """
    from ._forecast import month_counts, score, windows

    incidents = require_geodataframe(incidents, "incidents")
    cells = require_geodataframe(cells, "cells")
    require_nonempty(incidents, "incidents")
    require_nonempty(cells, "cells")
    require_columns(incidents, ["month"], "incidents")
    require_projected(cells, "cells")
    require_same_crs(cells, incidents, ("cells", "incidents"))
    bad = [m for m in methods if m not in METHODS]
    if bad or not methods:
        raise DataError(f"unknown method(s) {bad}; choose from {list(METHODS)}.")
    if train_months < 1 or test_months < 1:
        raise DataError("train_months and test_months must be at least 1.")
    mc = month_counts(incidents, cells, months=months)
    span = mc.span
    need = train_months + test_months
    if len(span) < need:
        raise DataError(
            f"a backtest needs at least train_months + test_months = {need} months of "
            f"incidents; the data cover {len(span)} ({span[0]} to {span[-1]}). Load more "
            "months, or reduce train_months/test_months."
        )
    starts, skipped = windows(mc, train_months, test_months)
    if not starts:
        raise DataError(
            f"no {need} consecutive months with data for a backtest (months with data: "
            f"{describe_runs(span[mc.present])}). A missing month is not a month of zero "
            "crime; reduce train_months/test_months or load the missing months."
        )
    if skipped:
        warnings.warn(
            f"test month(s) {skipped} skipped: a month in their {train_months}-month "
            "training window has no data.",
            HotspotsWarning,
            stacklevel=2,
        )
    area = mc.cell_area
    rows: list[dict[str, Any]] = []
    for t0 in starts:
        test = mc.counts[:, t0 : t0 + test_months].sum(axis=1)
        n_train = int(mc.counts[:, t0 - train_months : t0].sum())
        for method in methods:
            s = score(method, mc, t0, train_months, prospective_bandwidth=prospective_bandwidth)
            for cov in coverage:
                hr = hit_rate(s, test, coverage=cov, cell_area=area)
                rows.append({
                    "test_month": str(span[t0]),
                    "method": method,
                    "coverage": float(cov),
                    "hit_rate": hr,
                    "pai": hr / cov,
                    "pei": pei(s, test, coverage=cov, cell_area=area),
                    "n_test": int(test.sum()),
                    "n_train": n_train,
                })  # fmt: skip
    table = pd.DataFrame(rows)
    params = {"methods": list(methods), "train_months": train_months,
              "test_months": test_months, "coverage": list(coverage),
              "prospective_bandwidth": prospective_bandwidth}  # fmt: skip
    record(table, method="rolling hotspot backtest", parameters=params, seed=seed,
           inherit=incidents, skipped_test_months=skipped,
           months_with_data=describe_runs(span[mc.present]))  # fmt: skip
    return table


def backtest_summary(table: pd.DataFrame) -> pd.DataFrame:
    """Mean, standard deviation and number of test months of each measure, by method and
    coverage (one row each), ready to plot or print.
    """
    require_columns(table, ["method", "coverage", "hit_rate", "pai", "pei"], "table")
    g = table.groupby(["method", "coverage"], sort=True)
    out = g[["hit_rate", "pai", "pei"]].agg(["mean", "std"])
    out.columns = pd.Index(["_".join(map(str, c)) for c in out.columns.to_flat_index()])
    out["n_months"] = g.size()
    return out.reset_index()
