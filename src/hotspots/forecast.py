"""Where next month? A score per cell for the period after the data, method chosen by backtest.

:func:`forecast_cells` scores every cell for the month after the months given. With
``method="auto"`` it first runs the rolling backtest of :func:`hotspots.evaluate.backtest`
on those months only - each candidate method and training window is scored on months it
never saw - and uses the candidate with the best mean hit rate. The month being forecast
is never looked at: incidents in it or later are set aside before anything is computed.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ._errors import DataError
from ._forecast import METHODS, month_counts, score, windows
from ._months import describe_runs, to_month
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

    from ._months import MonthLike

__all__ = ["forecast_cells"]

#: Training windows (months) that ``method="auto"`` considers.
WINDOWS = (1, 2, 3, 6, 12)


def _choose(
    mc: Any, methods: Sequence[str], train_windows: Sequence[int], coverage: float, min_tests: int
) -> tuple[str, int, pd.DataFrame]:
    """Best (method, window) by mean hit rate over test months every candidate can use."""
    from .evaluate import hit_rate

    usable = [w for w in train_windows if len(windows(mc, w, 1)[0]) >= min_tests]
    if not usable:
        raise DataError(
            f"method='auto' needs at least {min_tests} test months whose preceding training "
            f"months have data, for a window of {min(train_windows)} month(s); the months with "
            f"data are {describe_runs(mc.span[mc.present])}. Give more months or a method."
        )
    common = set(windows(mc, max(usable), 1)[0])
    while len(common) < min_tests:  # drop the longest window until enough months remain
        usable = usable[:-1]
        common = set(windows(mc, max(usable), 1)[0])
    tests = sorted(common)
    rows = []
    for w in usable:
        for method in methods:
            hits = [
                hit_rate(score(method, mc, t0, w), mc.counts[:, t0], coverage=coverage,
                         cell_area=mc.cell_area)
                for t0 in tests
            ]  # fmt: skip
            rows.append({"method": method, "train_months": w,
                         "hit_rate": float(np.nanmean(hits)), "n_months": len(tests)})  # fmt: skip
    table = pd.DataFrame(rows)
    best = table.iloc[int(np.argmax(table["hit_rate"].to_numpy()))]  # first best wins ties
    return str(best["method"]), int(best["train_months"]), table


def forecast_cells(
    incidents: gpd.GeoDataFrame,
    cells: gpd.GeoDataFrame,
    *,
    method: str = "auto",
    train_months: int | None = None,
    month: MonthLike | None = None,
    months: Sequence[MonthLike] | None = None,
    coverage: float = 0.05,
    methods: Sequence[str] = METHODS,
    train_windows: Sequence[int] = WINDOWS,
    min_tests: int = 3,
    prospective_bandwidth: float = 400.0,
) -> gpd.GeoDataFrame:
    """Next-period score per cell: where incidents are expected in the month to come.

    Parameters
    ----------
    incidents : GeoDataFrame
        Points with a ``month`` column (``Period[M]`` or "YYYY-MM" text), same CRS as cells.
    cells : GeoDataFrame
        Projected polygons (a grid); points are assigned with
        :func:`hotspots.grid.assign_points`.
    method : {"auto", "last_period", "kde", "gi_star", "prospective"}, default "auto"
        The scoring rule (see :func:`hotspots.evaluate.backtest`). ``"auto"`` backtests
        every method in ``methods`` with every training window in ``train_windows``
        (those that fit in the run of months with data just before ``month`` and leave
        at least ``min_tests`` test months) on the months before
        ``month``, scoring each on the same test months, and takes the best mean hit rate
        at ``coverage`` (ties go to the earlier method and the shorter window).
    train_months : int, optional
        Training window in months (default: chosen by ``"auto"``, else 3).
    month : month-like, optional
        The month to forecast (default: the month after the last month with data).
        Incidents in it or later are set aside unseen.
    months : list of month-like, optional
        The months the data cover, including months with no incidents.
    coverage : float, default 0.05
        Share of the area at which ``"auto"`` compares hit rates.
    methods, train_windows, min_tests
        Candidates of ``"auto"`` and the fewest test months it accepts.
    prospective_bandwidth : float, default 400
        Radius of the prospective method in metres.

    Returns
    -------
    GeoDataFrame
        A copy of ``cells`` (same index) with ``forecast_score`` (higher = more expected)
        and ``forecast_rank`` (1 = highest). ``attrs["hotspots"]`` records the method,
        window, forecast month, training months and, for ``"auto"``, the backtest table
        behind the choice.

    Raises
    ------
    DataError
        When a training month has no data (a missing month is never read as zero), or
        ``"auto"`` has too few months to compare methods.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import Point, box
    >>> cells = gpd.GeoDataFrame(geometry=[box(0, 0, 10, 10), box(10, 0, 20, 10)], crs=27700)
    >>> pts = gpd.GeoDataFrame({"month": ["2024-01", "2024-02", "2024-02"]},
    ...     geometry=[Point(5, 5), Point(15, 5), Point(16, 5)], crs=27700)
    >>> out = forecast_cells(pts, cells, method="last_period", train_months=2)
    >>> out["forecast_score"].tolist(), out.attrs["hotspots"]["parameters"]["month"]
    ([1.0, 2.0], '2024-03')
    """
    incidents = require_geodataframe(incidents, "incidents")
    cells = require_geodataframe(cells, "cells")
    require_nonempty(incidents, "incidents")
    require_nonempty(cells, "cells")
    require_columns(incidents, ["month"], "incidents")
    require_projected(cells, "cells")
    require_same_crs(cells, incidents, ("cells", "incidents"))
    if method != "auto" and method not in METHODS:
        raise DataError(f"method must be 'auto' or one of {list(METHODS)}; got {method!r}.")
    bad = [m for m in methods if m not in METHODS]
    if bad or not methods:
        raise DataError(f"unknown method(s) {bad}; choose from {list(METHODS)}.")
    if train_months is not None and (int(train_months) != train_months or train_months < 1):
        raise DataError(f"train_months must be a whole number >= 1; got {train_months}.")
    target = to_month(month) if month is not None else None
    mc = month_counts(incidents, cells, months=months, before=target)
    if target is None:
        target = mc.span[-1] + 1
    # extend the span to the forecast month: it (and any gap before it) has no data
    n_extra = (target - mc.span[-1]).n
    if n_extra < 1:
        raise DataError(f"month {target} is not after the data.")
    t0 = len(mc.span) + n_extra - 1
    mc.span = pd.period_range(mc.span[0], target, freq="M")
    mc.present = np.r_[mc.present, np.zeros(n_extra, dtype=bool)]
    mc.counts = np.hstack([mc.counts, np.zeros((mc.counts.shape[0], n_extra))])
    choice: pd.DataFrame | None = None
    run = 0  # consecutive months with data just before the month forecast
    while run < t0 and mc.present[t0 - 1 - run]:
        run += 1
    if method == "auto":
        windows_ = [train_months] if train_months is not None else list(train_windows)
        fits = [w for w in windows_ if w <= run]
        if not fits:
            raise DataError(
                f"forecasting {target}: only {run} month(s) with data run up to it, fewer "
                f"than the shortest window {min(windows_)} (months with data: "
                f"{describe_runs(mc.span[mc.present])}). A missing month is not a month of "
                "zero crime: forecast a month that follows months with data."
            )
        chosen, window, choice = _choose(mc, methods, fits, coverage, min_tests)
    else:
        chosen, window = method, int(train_months if train_months is not None else 3)
    needed = mc.span[t0 - window : t0] if t0 - window >= 0 else mc.span[:t0]
    if t0 - window < 0 or not mc.present[t0 - window : t0].all():
        missing = [str(m) for m in needed if m not in set(mc.span[mc.present])]
        raise DataError(
            f"forecasting {target} with a {window}-month window needs month(s) "
            f"{[str(m) for m in needed]}; {missing or 'earlier months'} have no data "
            f"(months with data: {describe_runs(mc.span[mc.present])}). A missing month is "
            "not a month of zero crime: choose a shorter train_months or another month."
        )
    s = score(chosen, mc, t0, window, prospective_bandwidth=prospective_bandwidth)
    out = cells.copy()
    out["forecast_score"] = s
    out["forecast_rank"] = pd.Series(s, index=out.index).rank(ascending=False, method="min")
    out["forecast_rank"] = out["forecast_rank"].astype(np.int64)
    params = {
        "method": chosen,
        "requested": method,
        "train_months": window,
        "month": str(target),
        "training": [str(m) for m in needed],
        "coverage": coverage,
    }
    extra: dict[str, Any] = {}
    if choice is not None:
        extra["auto_backtest"] = choice.to_dict(orient="records")
    record(out, method=f"next-month forecast ({chosen})", parameters=params,
           inherit=incidents, **extra)  # fmt: skip
    return out
