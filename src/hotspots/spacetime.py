"""Space-time statistics: space-time cube, space-time Gi*, emerging hot spots.

* :func:`space_time_cube` - incidents binned into cells x periods; a month without data
  is refused, never counted as zero.
* :func:`space_time_gi` - Getis-Ord Gi* for every (cell, period) bin over a space-time
  neighbourhood, with false-discovery-rate control.
* :func:`mann_kendall` and :func:`classify_emerging` - the trend test and the category rules
  of ArcGIS's Emerging Hot Spot Analysis; :func:`emerging_hotspots` chains them.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import sparse

from ._cellgi import cell_weights, gi_z
from ._errors import DataError, HotspotsWarning
from ._fdr import fdr_adjust, gi_bins
from ._months import months_of, months_present, require_months, to_month
from ._provenance import record
from ._validate import (
    require_columns,
    require_geodataframe,
    require_nonempty,
    require_projected,
    require_same_crs,
)

__all__ = [
    "SpaceTimeCube",
    "SpaceTimeGi",
    "classify_emerging",
    "emerging_hotspots",
    "mann_kendall",
    "space_time_cube",
    "space_time_gi",
]


# ----------------------------------------------------------------------------- cube
@dataclass
class SpaceTimeCube:
    """Incident counts per cell and period.

    Attributes
    ----------
    cells : GeoDataFrame
        The cells (a copy of the input), in the row order of ``counts``.
    periods : pandas.PeriodIndex
        Every period from start to end, including periods without incidents.
    counts : numpy.ndarray of int, shape (n_cells, n_periods)
    n_outside : int
        Incidents in the time range that fell in no cell.
    """

    cells: Any
    periods: pd.PeriodIndex
    counts: np.ndarray
    n_outside: int = 0

    def to_frame(self) -> pd.DataFrame:
        """Long tidy table: ``cell_id``, ``period``, ``count``."""
        ids = (
            self.cells["cell_id"].to_numpy()
            if "cell_id" in self.cells.columns
            else self.cells.index.to_numpy()
        )
        n_c, n_p = self.counts.shape
        return pd.DataFrame(
            {
                "cell_id": np.repeat(ids, n_p),
                "period": np.tile(self.periods.astype(str).to_numpy(), n_c),
                "count": self.counts.reshape(-1),
            }
        )


def _period_freq(freq: str) -> str:
    return {"MS": "M", "ME": "M", "M": "M", "QS": "Q", "QE": "Q", "YS": "Y", "YE": "Y"}.get(
        freq, freq
    )


def space_time_cube(
    incidents: pd.DataFrame,
    cells: pd.DataFrame,
    *,
    freq: str = "MS",
    date_column: str = "month",
    start: Any = None,
    end: Any = None,
    months: Sequence[Any] | None = None,
) -> SpaceTimeCube:
    """Bin incidents into cells x periods; a period with data but no incidents is a zero.

    Parameters
    ----------
    incidents : GeoDataFrame
        Points with a month column: ``Period[M]``, 'YYYY-MM' text (other month text
        is accepted) or, for ``freq`` other than months, full dates.
    cells : GeoDataFrame
        Polygons in a projected CRS, the same as ``incidents``. Points are assigned
        with :func:`hotspots.grid.assign_points` (the rule of ``count_points``).
    freq : str, default "MS"
        Period length: "MS" (months), "QS", "YS", or a pandas period code such as "W"
        when ``date_column`` holds full dates.
    start, end : month-like, optional
        Range of the cube (default: first and last incident). Incidents outside are
        dropped with a warning.
    months : list of month-like, optional
        The months the data cover (e.g. the months a loader read), including months
        with no incidents. Without it, a month with data is a month with at least one
        incident.

    Returns
    -------
    SpaceTimeCube
        Points in no cell are counted in ``n_outside`` and reported with a warning.

    Raises
    ------
    DataError
        When a month inside the range has no data (monthly, quarterly and yearly
        cubes): a missing month is never counted as a month of zero crime. The message
        names the missing months and the runs of months that have data.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import Point, box
    >>> cells = gpd.GeoDataFrame({"cell_id": ["a", "b"]},
    ...     geometry=[box(0, 0, 10, 10), box(10, 0, 20, 10)], crs=27700)
    >>> pts = gpd.GeoDataFrame({"month": ["2024-01", "Mar 2024", "2024-03-02"]},
    ...     geometry=[Point(5, 5), Point(15, 5), Point(16, 5)], crs=27700)
    >>> cube = space_time_cube(pts, cells, months=["2024-01", "2024-02", "2024-03"])
    >>> cube.counts.tolist(), list(cube.periods.astype(str))
    ([[1, 0, 0], [0, 0, 2]], ['2024-01', '2024-02', '2024-03'])
    """
    from .grid import assign_points

    incidents = require_geodataframe(incidents, "incidents")
    cells = require_geodataframe(cells, "cells")
    require_nonempty(cells, "cells")
    require_nonempty(incidents, "incidents")
    require_columns(incidents, [date_column], "incidents")
    require_projected(cells, "cells")
    require_same_crs(cells, incidents, ("cells", "incidents"))
    pfreq = _period_freq(freq)
    col = incidents[date_column]
    monthly: pd.PeriodIndex | None = None
    if pfreq in ("M", "Q", "Y") or not pd.api.types.is_datetime64_any_dtype(col):
        monthly = months_of(col, f"incidents column {date_column!r}")
        per = monthly.asfreq(pfreq) if pfreq != "M" else monthly
    else:
        per = pd.PeriodIndex(col.dt.to_period(pfreq))
    lo = to_month(start).asfreq(pfreq) if start is not None else per.min()
    hi = to_month(end).asfreq(pfreq) if end is not None else per.max()
    periods = pd.period_range(lo, hi, freq=pfreq)
    if len(periods) == 0:
        raise DataError(f"the cube range {lo} to {hi} is empty.")
    if monthly is not None:
        first = periods[0].asfreq("M", how="start")
        last = periods[-1].asfreq("M", how="end")
        require_months(
            list(pd.period_range(first, last, freq="M")),
            months_present(monthly, months),
            what=f"a space-time cube from {lo} to {hi}",
            hint="Build the cube over one run of months with data (start=, end=), or "
            "pass months=[...] listing the months that were read if some had no incidents.",
        )
    keep = np.asarray((per >= lo) & (per <= hi))
    if not keep.all():
        warnings.warn(
            f"{int((~keep).sum())} incidents fall outside {lo} to {hi} and were dropped.",
            HotspotsWarning,
            stacklevel=2,
        )
    pos = assign_points(incidents[keep], cells)
    t = per.asi8[keep] - lo.ordinal
    inside = pos >= 0
    n_outside = int((~inside).sum())
    if n_outside:
        warnings.warn(
            f"{n_outside} incidents fall outside every cell and are not in the cube.",
            HotspotsWarning,
            stacklevel=2,
        )
    flat = pos[inside] * len(periods) + t[inside]
    counts = np.bincount(flat, minlength=len(cells) * len(periods)).reshape(
        len(cells), len(periods)
    )
    empty = [str(p) for p, s in zip(periods, counts.sum(axis=0), strict=True) if s == 0]
    if empty and monthly is None:
        warnings.warn(
            f"period(s) {empty} have no incidents in any cell; kept as zeros, but check "
            "the data for them is not missing.",
            HotspotsWarning,
            stacklevel=2,
        )
    return SpaceTimeCube(cells=cells.copy(), periods=periods, counts=counts, n_outside=n_outside)


# ----------------------------------------------------------------------------- Gi*
@dataclass
class SpaceTimeGi:
    """Gi* per bin of a space-time cube; arrays are (n_cells, n_periods).

    ``p`` is the two-sided p-value used (analytic, or pseudo-p with permutations),
    ``p_fdr`` its Benjamini-Hochberg adjustment (equal to ``p`` without FDR), ``bins``
    the ArcGIS Gi_Bin (-3..3: 99/95/90% confidence) by :func:`hotspots.hotspot.gi_bins`,
    the rule of ``gi_star`` (a bin is at level ``a`` when ``p_fdr <= a``).
    """

    z: np.ndarray
    p: np.ndarray
    p_fdr: np.ndarray
    bins: np.ndarray
    periods: pd.PeriodIndex


_EDGES = ("shift", "truncate")
_INFERENCE = ("permutation", "analytic")


def _time_weights(n_p: int, time_window: int, edge: str) -> sparse.csr_matrix:
    """(n_p, n_p) binary time window: row ``t`` marks the periods in bin ``t``'s window.

    ``"truncate"`` (ArcGIS): periods ``t - w .. t`` that exist, so the first ``w``
    periods have shorter windows. ``"shift"``: every window is ``w + 1`` periods long;
    the first ``w`` periods use periods ``0 .. w``.
    """
    w = min(time_window, n_p - 1)
    rows: list[int] = []
    cols: list[int] = []
    for t in range(n_p):
        first = max(0, t - w) if edge == "truncate" or t >= w else 0
        last = t if edge == "truncate" or t >= w else w
        rows.extend([t] * (last - first + 1))
        cols.extend(range(first, last + 1))
    return sparse.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(n_p, n_p))


def space_time_gi(
    cube: SpaceTimeCube,
    *,
    neighbours: str = "distance",
    distance: float | None = None,
    k: int | None = None,
    time_window: int = 1,
    edge: str = "shift",
    permutations: int = 999,
    inference: str = "permutation",
    fdr: bool = True,
    seed: int = 0,
) -> SpaceTimeGi:
    """Gi* of every (cell, period) bin over a space-time neighbourhood.

    As in ArcGIS, a bin's neighbours are the bins of the cells within ``distance``
    metres (or the ``k`` nearest, ``neighbours="knn"``), itself included, at the same
    period and the ``time_window`` previous periods. The first ``time_window`` periods
    have no earlier periods to draw on; with ArcGIS's ``edge="truncate"`` their
    neighbourhoods are smaller, their z-scores have less power, and a hot spot of
    constant rate looks as if it were intensifying (its z series rises at the start).
    The default ``edge="shift"`` keeps every window ``time_window + 1`` periods long: the
    first periods use periods ``0 .. time_window``. The statistic uses the mean and
    standard deviation of all ``n_cells * n_periods`` bins. ``distance`` defaults to 1.5x
    the median nearest-centroid spacing (queen neighbours on a square grid, the first
    ring on a hexagon grid).

    With ``permutations > 0`` and ``inference="permutation"`` the bins use the rule of
    :func:`hotspots.gi_star`: the two-sided permutation p-value of
    ``hotspots.hotspot.gi_star_arrays`` (``p_perm``). For counts (whole numbers) on the
    binary space-time weights it is counted exactly: the distribution of the window sum
    (the bin and its space-time neighbours) when all bin counts are permuted, with no
    Monte Carlo error and no ``2 / (permutations + 1)`` floor; otherwise it is twice
    the sampled conditional pseudo p-value (capped at 1). ``inference="analytic"`` (or
    ``permutations=0``) uses the two-sided normal p-value, ArcGIS's; on sparse monthly
    counts it is too liberal (see the hot spot guide). Bins whose z is undefined (no
    neighbours) get z 0 and p 1.
    """
    if not isinstance(cube, SpaceTimeCube):
        raise DataError("cube must be a SpaceTimeCube from space_time_cube().")
    if time_window < 0 or int(time_window) != time_window:
        raise DataError(f"time_window must be a whole number >= 0; got {time_window}.")
    if edge not in _EDGES:
        raise DataError(f"edge must be one of {list(_EDGES)}; got {edge!r}.")
    if inference not in _INFERENCE:
        raise DataError(f"inference must be one of {list(_INFERENCE)}; got {inference!r}.")
    from scipy.stats import norm

    n_c, n_p = cube.counts.shape
    S = cell_weights(cube.cells, neighbours=neighbours, distance=distance, k=k)
    T = _time_weights(n_p, time_window, edge)
    W = sparse.kron(T, S, format="csr")  # bin index = period * n_cells + cell
    y = cube.counts.T.reshape(-1).astype(float)
    if float(np.ptp(y)) == 0.0:
        warnings.warn(
            "every bin of the cube has the same count; there are no hot or cold spots.",
            HotspotsWarning,
            stacklevel=2,
        )
        z, p = np.zeros(y.size), np.ones(y.size)
    elif permutations > 0 and inference == "permutation":
        from ._gistar import gi_star_arrays

        res = gi_star_arrays(y, W, permutations=permutations, seed=seed, star=True)
        z = np.asarray(res.z, dtype=float)
        # gi_star's rule: the two-sided permutation p (exact for counts)
        p = np.asarray(res.p_perm, dtype=float)
    else:
        z = gi_z(y, W)
        p = 2.0 * norm.sf(np.abs(z))
    # a bin without a z (no variation among its neighbours, or no neighbours) is not
    # significant: z 0 and p 1, never NaN in the trend test or the FDR step
    undefined = ~np.isfinite(z) | ~np.isfinite(p)
    if undefined.any():
        z = np.where(undefined, 0.0, z)
        p = np.where(undefined, 1.0, p)
    p_fdr = fdr_adjust(p) if fdr else p
    # the bins follow gi_star's rule (one Benjamini-Hochberg cut-off per level)
    bins = gi_bins(z, p, fdr=fdr)
    z2, p2, q2, b2 = (a.reshape(n_p, n_c).T.copy() for a in (z, p, p_fdr, bins))
    return SpaceTimeGi(z=z2, p=p2, p_fdr=q2, bins=b2, periods=cube.periods)


# ----------------------------------------------------------------------------- trend
def mann_kendall(
    x: np.ndarray, *, autocorrelation: Sequence[float] = ()
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Mann-Kendall trend test on each row of ``x`` (series along the last axis).

    ``S = sum_{i<j} sign(x_j - x_i)``; ``Var(S) = [n(n-1)(2n+5) - sum_t t(t-1)(2t+5)] / 18``
    over tied groups of size ``t``; ``Z = (S - sign(S)) / sqrt(Var(S))`` (continuity
    correction), two-sided normal ``p``; ``tau = S / (n(n-1)/2)`` (Kendall's tau-a).

    ``autocorrelation`` gives the known lag-1, lag-2 ... correlations ``rho_k`` of the
    series under no trend (e.g. Gi* z of overlapping time windows). ``Var(S)`` is then
    multiplied by Hamed & Rao's (1998) factor
    ``1 + 2 / (n(n-1)(n-2)) sum_k (n-k)(n-k-1)(n-k-2) rho_s(k)`` with the rank
    correlation ``rho_s = (6 / pi) arcsin(rho / 2)``; without it, positively correlated
    series show "significant" trends far more often than the test's level.

    Returns
    -------
    tau, z, p, s : numpy.ndarray
        One value per row.

    Examples
    --------
    >>> tau, z, p, s = mann_kendall(np.array([1.0, 2, 3, 4, 5]))
    >>> float(s[0]), float(tau[0]), round(float(z[0]), 4)
    (10.0, 1.0, 2.2045)
    """
    from scipy.stats import norm

    a = np.atleast_2d(np.asarray(x, dtype=float))
    if np.isnan(a).any():
        raise DataError("Mann-Kendall series contain NaN; fill or drop them first.")
    n = a.shape[1]
    if n < 2:
        raise DataError("the Mann-Kendall test needs at least 2 time steps.")
    s = np.zeros(a.shape[0])
    for i in range(n - 1):
        s += np.sign(a[:, i + 1 :] - a[:, i : i + 1]).sum(axis=1)
    srt = np.sort(a, axis=1)
    run = np.ones(a.shape[0])
    ties = np.zeros(a.shape[0])
    for j in range(1, n + 1):
        same = srt[:, j] == srt[:, j - 1] if j < n else np.zeros(a.shape[0], bool)
        ended = ~same
        ties += np.where(ended, run * (run - 1) * (2 * run + 5), 0.0)
        run = np.where(same, run + 1, 1.0)
    var = (n * (n - 1) * (2 * n + 5) - ties) / 18.0
    rho = np.asarray(autocorrelation, dtype=float)[: n - 1]
    if rho.size:
        k = np.arange(1, rho.size + 1)
        rho_s = 6.0 / np.pi * np.arcsin(rho / 2.0)
        factor = 1.0 + 2.0 / (n * (n - 1) * (n - 2)) * float(
            ((n - k) * (n - k - 1) * (n - k - 2) * rho_s).sum()
        ) if n > 2 else 1.0  # fmt: skip
        var = var * max(factor, 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(var > 0, (s - np.sign(s)) / np.sqrt(var), 0.0)
    p = 2.0 * norm.sf(np.abs(z))
    return s / (n * (n - 1) / 2.0), z, p, s


HOT_CATEGORIES = ("New", "Consecutive", "Intensifying", "Persistent", "Diminishing",
                  "Sporadic", "Oscillating", "Historical")  # fmt: skip


def classify_emerging(
    bins: np.ndarray, mk_z: np.ndarray, mk_p: np.ndarray, *, trend_alpha: float = 0.05
) -> np.ndarray:
    """ArcGIS Emerging Hot Spot categories from Gi_Bin series and a Mann-Kendall trend.

    ``bins`` is (n_cells, n_periods) of ints -3..3 (any non-zero bin is significant, at
    90% confidence or more); ``mk_z``/``mk_p`` the trend of each cell's Gi* z series.
    "At least 90% of the time-step intervals" means ``n_hot >= 0.9 * n_periods`` (e.g. 9
    of 10, 18 of 20, 33 of 36). For a location whose FINAL bin is hot (cold is the mirror
    image, with the trend sign reversed and "cold" for "hot"), the first rule that holds:

    1. **Intensifying**: >= 90% of bins hot, trend significant (``mk_p < trend_alpha``)
       and increasing (``mk_z > 0``).
    2. **Diminishing**: >= 90% hot, trend significant and decreasing.
    3. **Persistent**: >= 90% hot, no significant trend.
    4. **New**: no significant bin (hot or cold) before the final one.
    5. **Consecutive**: the final run of hot bins is at least 2 long, no significant bin
       before that run, and (from rule 3) < 90% hot.
    6. **Oscillating**: some earlier bin is a significant cold spot (< 90% hot).
    7. **Sporadic**: otherwise - hot on and off, < 90% hot, never cold.

    A location whose final bin is not significant is a **Historical hot spot** when >= 90%
    of its bins are hot (Historical cold spot when >= 90% are cold), else **No pattern
    detected**. Where ArcGIS's wording overlaps (a New or Consecutive hot spot that was
    once cold; a 90%-hot location whose final bin is cold) we give the final bin's sign
    and a cold history precedence: these become Oscillating. Labels read "<Category> hot
    spot" / "<Category> cold spot".

    Examples
    --------
    >>> bins = np.array([[0] * 9 + [2], [2] * 9 + [0], [0] * 7 + [-3] * 3])
    >>> classify_emerging(bins, np.zeros(3), np.ones(3)).tolist()
    ['New hot spot', 'Historical hot spot', 'Consecutive cold spot']
    """
    b = np.atleast_2d(np.asarray(bins))
    n_c, n = b.shape
    mk_z = np.broadcast_to(np.asarray(mk_z, dtype=float), (n_c,))
    mk_p = np.broadcast_to(np.asarray(mk_p, dtype=float), (n_c,))
    out = np.full(n_c, "No pattern detected", dtype=object)
    final = b[:, -1]
    for sign, word in ((1, "hot"), (-1, "cold")):
        same = (b * sign) > 0
        other = (b * sign) < 0
        n_same = same.sum(axis=1)
        ge90 = n_same >= 0.9 * n
        # length of the final run of same-sign bins
        run = np.cumprod(same[:, ::-1], axis=1).sum(axis=1)
        sig_before_run = (b != 0) & (np.arange(n) < (n - run)[:, None])
        clean_before = ~sig_before_run.any(axis=1)
        other_before = other[:, :-1].any(axis=1)
        sig_trend = mk_p < trend_alpha
        up = mk_z * sign > 0
        fin = final * sign > 0
        conds = [
            (fin & ge90 & sig_trend & up, "Intensifying"),
            (fin & ge90 & sig_trend & ~up, "Diminishing"),
            (fin & ge90, "Persistent"),
            (fin & clean_before & (run == 1), "New"),
            (fin & clean_before & (run >= 2), "Consecutive"),
            (fin & other_before, "Oscillating"),
            (fin, "Sporadic"),
            ((final == 0) & ge90, "Historical"),
        ]
        done = np.zeros(n_c, bool)
        for cond, name in conds:
            take = cond & ~done
            out[take] = f"{name} {word} spot"
            done |= cond
    return out


def emerging_hotspots(
    cube: SpaceTimeCube,
    *,
    neighbours: str = "distance",
    distance: float | None = None,
    k: int | None = None,
    time_window: int = 1,
    edge: str = "shift",
    permutations: int = 999,
    inference: str = "permutation",
    fdr: bool = True,
    trend_alpha: float = 0.05,
    seed: int = 0,
) -> Any:
    """Emerging Hot Spot Analysis (ArcGIS): Gi* per bin, Mann-Kendall trend, categories.

    Steps: :func:`space_time_gi` (space-time neighbourhood; by default the bins use
    exact permutation p-values for counts, the rule of :func:`hotspots.gi_star`, and
    FDR; ``inference="analytic"`` gives ArcGIS's normal p-values), then
    :func:`mann_kendall` on each cell's Gi* z series, then :func:`classify_emerging`
    (its docstring states every rule, including the 90% threshold). Per-period z and bins
    are available from :func:`space_time_gi` with the same arguments.

    A steady hot spot is not "Intensifying": every time window has the same length
    (``edge="shift"``, see :func:`space_time_gi`), and the Mann-Kendall variance allows
    for the correlation of z-scores whose windows overlap (lag ``k`` correlation
    ``(w + 1 - k) / (w + 1)`` for ``time_window`` ``w``; Hamed & Rao 1998). On a
    simulated constant-rate hot spot (12 or 24 months) the centre cell is called
    Intensifying in at most 4.5 % of runs (ArcGIS's windows and the plain test: up to
    17.5 %; ``benchmarks/bench_emerging_calibration.py``).

    Every cell given is analysed, including cells with no incidents in any period (as
    with an ArcGIS analysis mask); drop such cells first to mimic ArcGIS's default.

    Fewer than 2 periods raise ``DataError``. Fewer than 10 (ArcGIS's minimum) warn:
    the trend test has little power (below 5 periods no trend can reach p < 0.05) and
    "90% of time steps" means every step.

    Returns
    -------
    GeoDataFrame
        The cells (same index) with ``category``, ``pattern_type`` ("hot", "cold",
        "none"), ``mk_tau``, ``mk_z``, ``mk_p``, ``n_hot``, ``n_cold``, ``final_z``,
        ``final_bin``.
    """
    if not isinstance(cube, SpaceTimeCube):
        raise DataError("cube must be a SpaceTimeCube from space_time_cube().")
    n_p = cube.counts.shape[1]
    if n_p < 2:
        raise DataError(
            f"emerging hot spot analysis needs a time series; the cube has {n_p} period. "
            "Use gi_star on a single period instead."
        )
    if n_p < 10:
        warnings.warn(
            f"the cube has {n_p} periods; ArcGIS requires at least 10 for emerging hot spot "
            "analysis. Trend-based categories are unreliable with so few.",
            HotspotsWarning,
            stacklevel=2,
        )
    gi = space_time_gi(cube, neighbours=neighbours, distance=distance, k=k,
                       time_window=time_window, edge=edge, permutations=permutations,
                       inference=inference, fdr=fdr, seed=seed)  # fmt: skip
    # Gi* z of bins whose time windows overlap are correlated: the window sums of
    # periods t and t - k share w + 1 - k of their w + 1 periods
    w = min(time_window, n_p - 1)
    rho = [(w + 1 - k) / (w + 1) for k in range(1, w + 1)]
    tau, mz, mp, _ = mann_kendall(gi.z, autocorrelation=rho)
    cat = classify_emerging(gi.bins, mz, mp, trend_alpha=trend_alpha)
    out = cube.cells.copy()
    out["category"] = cat
    out["pattern_type"] = np.where(
        pd.Series(cat).str.endswith("hot spot"),
        "hot",
        np.where(pd.Series(cat).str.endswith("cold spot"), "cold", "none"),
    )
    out["mk_tau"], out["mk_z"], out["mk_p"] = tau, mz, mp
    out["n_hot"] = (gi.bins > 0).sum(axis=1)
    out["n_cold"] = (gi.bins < 0).sum(axis=1)
    out["final_z"] = gi.z[:, -1]
    out["final_bin"] = gi.bins[:, -1]
    params = {"neighbours": neighbours, "distance": distance, "k": k,
              "time_window": time_window, "edge": edge, "permutations": permutations,
              "inference": "analytic" if permutations == 0 else inference, "fdr": fdr,
              "trend_alpha": trend_alpha,
              "periods": [str(cube.periods[0]), str(cube.periods[-1])]}  # fmt: skip
    return record(out, method="Emerging Hot Spot Analysis (Gi* + Mann-Kendall)",
                  parameters=params, seed=seed if permutations else None, inherit=cube.cells)  # fmt: skip
