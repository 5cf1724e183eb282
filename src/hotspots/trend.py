"""Change over time: period-on-period comparison, space-time cube, emerging hot spots.

* :func:`compare_periods` - counts before and after, per area and overall, with an exact
  conditional test for two Poisson counts and an exact confidence interval for the rate ratio.
* :func:`space_time_cube` - incidents binned into cells x periods, empty periods kept as zeros.
* :func:`space_time_gi` - Getis-Ord Gi* for every (cell, period) bin over a space-time
  neighbourhood, with false-discovery-rate control.
* :func:`mann_kendall` and :func:`classify_emerging` - the trend test and the category rules
  of ArcGIS's Emerging Hot Spot Analysis; :func:`emerging_hotspots` chains them.
"""

from __future__ import annotations

import datetime as _dt
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import sparse

from ._errors import DataError, HotspotsWarning
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
    "compare_periods",
    "emerging_hotspots",
    "mann_kendall",
    "space_time_cube",
    "space_time_gi",
]

_MONTH_FORMATS = ("%Y-%m", "%Y-%m-%d", "%b %Y", "%B %Y", "%Y/%m", "%m/%Y", "%d/%m/%Y", "%Y%m")


# ----------------------------------------------------------------------------- months
def _to_month(value: Any) -> pd.Period:
    """Normalise one month-like value (text, datetime, Timestamp, Period) to a monthly Period."""
    if isinstance(value, pd.Period):
        return value.asfreq("M")
    if isinstance(value, pd.Timestamp | _dt.datetime | _dt.date | np.datetime64):
        return pd.Timestamp(value).to_period("M")
    if isinstance(value, str):
        text = " ".join(value.strip().split())
        for fmt in _MONTH_FORMATS:
            try:
                return pd.Timestamp(_dt.datetime.strptime(text, fmt)).to_period("M")
            except ValueError:
                continue
    raise DataError(
        f"cannot read {value!r} as a month; use 'YYYY-MM' (e.g. '2024-01'), 'Jan 2024', "
        "'2024-01-15', a datetime or a pandas Period."
    )


def _months_of(values: pd.Series, name: str) -> pd.PeriodIndex:
    """Parse a column of month-like values (mixed formats allowed) to monthly Periods."""
    if values.isna().any():
        rows = list(values.index[values.isna().to_numpy()][:10])
        raise DataError(f"{name} has {int(values.isna().sum())} missing months (index {rows}).")
    codes, uniques = pd.factorize(values.to_numpy(dtype=object))
    ordinals = np.array([_to_month(u).ordinal for u in uniques], dtype=np.int64)
    out: pd.PeriodIndex = pd.PeriodIndex.from_ordinals(ordinals[codes], freq="M")  # type: ignore[attr-defined]
    return out


def _period_months(spec: Any, name: str) -> list[pd.Period]:
    """A period given as one month, a (start, end) pair (inclusive) or a list of months."""
    if isinstance(spec, tuple):
        if len(spec) != 2:
            raise DataError(f"{name} as a tuple must be (start, end); got {len(spec)} values.")
        start, end = _to_month(spec[0]), _to_month(spec[1])
        if end < start:
            raise DataError(f"{name} ends ({end}) before it starts ({start}).")
        return list(pd.period_range(start, end, freq="M"))
    if isinstance(spec, list | set | frozenset | pd.Index | np.ndarray):
        months = sorted({_to_month(v) for v in spec})
        if not months:
            raise DataError(f"{name} is an empty list of months.")
        return months
    return [_to_month(spec)]


# ----------------------------------------------------------------------------- compare
def _poisson_test(
    before: int, after: int, t_before: float, t_after: float
) -> tuple[float, float, float, float]:
    """Exact conditional test of two Poisson counts: rate ratio, its 95% CI and the p-value."""
    from scipy.stats import binomtest

    n = before + after
    if n == 0:
        return float("nan"), float("nan"), float("nan"), 1.0
    share = t_after / (t_before + t_after)
    res = binomtest(after, n, share)
    ci = res.proportion_ci(confidence_level=0.95, method="exact")
    scale = t_before / t_after

    def ratio(p: float) -> float:
        return float("inf") if p >= 1.0 else p / (1.0 - p) * scale

    rr = ratio(after / n)
    return rr, ratio(float(ci.low)), ratio(float(ci.high)), float(res.pvalue)


def compare_periods(
    incidents: pd.DataFrame,
    areas: pd.DataFrame | None = None,
    *,
    before: Any,
    after: Any,
    area_id: str | None = None,
    date_column: str = "month",
) -> pd.DataFrame:
    """Compare incident counts between two periods, per area and overall.

    The test is the exact conditional test for two Poisson counts: given the total
    ``n = before + after``, under "no change in rate" the after count is
    ``Binomial(n, t_after / (t_before + t_after))`` where ``t`` are the period lengths in
    months (the exposures). The 95% interval for the rate ratio (after/before, per month)
    is the exact Clopper-Pearson interval of the binomial proportion ``p`` mapped through
    ``p / (1 - p) * t_before / t_after``.

    Parameters
    ----------
    incidents : DataFrame or GeoDataFrame
        One row per incident with a month column; Point geometries when ``areas`` is given.
    areas : GeoDataFrame, optional
        Polygons to count in (projected, same CRS as ``incidents``). Without it only the
        overall row is returned.
    before, after : month, (start, end) pair or list of months
        Months may be mixed text formats ("2024-01", "Jan 2024", "2024-01-15"),
        datetimes or pandas Periods. The two periods must not overlap.
    area_id : str, optional
        Column of ``areas`` naming each area (default: the index).
    date_column : str, default "month"

    Returns
    -------
    GeoDataFrame or DataFrame
        One row per area (same index as ``areas``) then a last row labelled ``"overall"``
        (geometry: union of the areas). Columns ``area_id``, ``before``, ``after``,
        ``change``, ``pct_change`` (NaN when ``before == 0``), ``rate_ratio``,
        ``rr_ci_low``, ``rr_ci_high``, ``p_value``, ``p_fdr`` (Benjamini-Hochberg across
        the areas; the overall row keeps its own p), ``note`` ("new" when before is 0 and
        after is not, "none" when both are 0, "small counts" when either is below 5)
        and ``low_count`` (either count below 5: treat with caution).

    Examples
    --------
    >>> import pandas as pd
    >>> inc = pd.DataFrame({"month": ["2024-01"] * 30 + ["Feb 2024"] * 15})
    >>> out = compare_periods(inc, before="2024-02", after="2024-01")
    >>> int(out.loc["overall", "change"]), round(float(out.loc["overall", "rate_ratio"]), 2)
    (15, 2.0)
    """
    if not isinstance(incidents, pd.DataFrame):
        raise DataError(f"incidents must be a DataFrame, got {type(incidents).__name__}.")
    require_columns(incidents, [date_column], "incidents")
    b_months, a_months = _period_months(before, "before"), _period_months(after, "after")
    overlap = sorted(set(b_months) & set(a_months))
    if overlap:
        raise DataError(f"before and after overlap in {[str(m) for m in overlap]}.")
    months = _months_of(incidents[date_column], f"incidents column {date_column!r}")
    in_b = np.asarray(months.isin(b_months))
    in_a = np.asarray(months.isin(a_months))
    t_b, t_a = float(len(b_months)), float(len(a_months))
    rows: list[dict[str, Any]] = []
    index: list[Any] = []
    out_geom: list[Any] = []
    if areas is not None:
        areas = require_geodataframe(areas, "areas")
        incidents = require_geodataframe(incidents, "incidents")
        require_projected(areas, "areas")
        require_same_crs(areas, incidents, ("areas", "incidents"))
        import geopandas as gpd

        ids = areas[area_id] if area_id is not None else pd.Series(areas.index, index=areas.index)
        if area_id is not None:
            require_columns(areas, [area_id], "areas")
        pts = gpd.GeoDataFrame(
            {"_b": in_b, "_a": in_a}, geometry=incidents.geometry.to_numpy(), crs=incidents.crs
        )
        poly = gpd.GeoDataFrame({"_pos": np.arange(len(areas))}, geometry=areas.geometry.to_numpy())
        poly = poly.set_crs(areas.crs)
        joined = gpd.sjoin(pts, poly, how="left", predicate="intersects")
        joined = joined[~joined.index.duplicated(keep="first")]
        pos = joined["_pos"].to_numpy(dtype=float)
        outside = int(np.isnan(pos[in_b | in_a]).sum())
        if outside:
            warnings.warn(
                f"{outside} incidents in the two periods fall outside every area; they count "
                "in the overall row only.",
                HotspotsWarning,
                stacklevel=2,
            )
        ok = ~np.isnan(pos)
        cb = np.bincount(pos[ok & in_b].astype(int), minlength=len(areas))
        ca = np.bincount(pos[ok & in_a].astype(int), minlength=len(areas))
        for i, idx in enumerate(areas.index):
            rows.append({"area_id": ids.iloc[i], "before": int(cb[i]), "after": int(ca[i])})
            index.append(idx)
            out_geom.append(areas.geometry.iloc[i])
    for label, ms in (("before", b_months), ("after", a_months)):
        empty = [str(m) for m in ms if not bool((months == m).any())]
        if empty:
            warnings.warn(
                f"{label} period month(s) {empty} have no incidents at all; check the data "
                "is not missing for them (they count as zero).",
                HotspotsWarning,
                stacklevel=2,
            )

    rows.append({"area_id": "overall", "before": int(in_b.sum()), "after": int(in_a.sum())})
    index.append("overall")

    for row in rows:
        b, a = row["before"], row["after"]
        rr, lo, hi, p = _poisson_test(b, a, t_b, t_a)
        row.update(change=a - b, rate_ratio=rr, rr_ci_low=lo, rr_ci_high=hi, p_value=p)
        row["pct_change"] = 100.0 * (a / t_a - b / t_b) / (b / t_b) if b > 0 else float("nan")
        row["low_count"] = bool(min(a, b) < 5)
        row["note"] = (
            "none"
            if a + b == 0
            else "new"
            if b == 0
            else ("small counts" if row["low_count"] else "")
        )
    table = pd.DataFrame(rows, index=pd.Index(index, dtype=object))
    table["p_fdr"] = table["p_value"]
    if len(rows) > 1:
        from scipy.stats import false_discovery_control

        pv = table["p_value"].to_numpy()[:-1]
        adj = table["p_value"].to_numpy(dtype=float).copy()
        adj[:-1] = false_discovery_control(pv, method="bh")
        table["p_fdr"] = adj
    cols = ["area_id", "before", "after", "change", "pct_change", "rate_ratio", "rr_ci_low",
            "rr_ci_high", "p_value", "p_fdr", "low_count", "note"]  # fmt: skip
    table = table[cols]
    params = {"before": [str(m) for m in b_months], "after": [str(m) for m in a_months]}
    if areas is not None:
        import geopandas as gpd

        union = areas.geometry.union_all()
        table = gpd.GeoDataFrame(table, geometry=[*out_geom, union], crs=areas.crs)
    record(table, method="exact Poisson rate comparison", parameters=params, inherit=incidents)
    return table


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
) -> SpaceTimeCube:
    """Bin incidents into cells x periods; empty periods appear as zeros.

    Parameters
    ----------
    incidents : GeoDataFrame
        Points with a date/month column (month text in mixed formats is accepted).
    cells : GeoDataFrame
        Polygons in a projected CRS, the same as ``incidents``.
    freq : str, default "MS"
        Period length: "MS" (months), "QS", "YS", or a pandas period code such as "W"
        when ``date_column`` holds full dates.
    start, end : month-like, optional
        Range of the cube (default: first and last incident). Incidents outside are
        dropped with a warning.

    Returns
    -------
    SpaceTimeCube
        A period with no incidents anywhere triggers a ``HotspotsWarning`` (it may be
        missing data rather than a true zero). Points in no cell are counted in
        ``n_outside`` and reported with a warning.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import Point, box
    >>> cells = gpd.GeoDataFrame({"cell_id": ["a", "b"]},
    ...     geometry=[box(0, 0, 10, 10), box(10, 0, 20, 10)], crs=27700)
    >>> pts = gpd.GeoDataFrame({"month": ["2024-01", "Mar 2024", "2024-03-02"]},
    ...     geometry=[Point(5, 5), Point(15, 5), Point(16, 5)], crs=27700)
    >>> import warnings
    >>> with warnings.catch_warnings():  # 2024-02 is empty: a HotspotsWarning
    ...     warnings.simplefilter("ignore")
    ...     cube = space_time_cube(pts, cells)
    >>> cube.counts.tolist(), list(cube.periods.astype(str))
    ([[1, 0, 0], [0, 0, 2]], ['2024-01', '2024-02', '2024-03'])
    """
    incidents = require_geodataframe(incidents, "incidents")
    cells = require_geodataframe(cells, "cells")
    require_nonempty(cells, "cells")
    require_nonempty(incidents, "incidents")
    require_columns(incidents, [date_column], "incidents")
    require_projected(cells, "cells")
    require_same_crs(cells, incidents, ("cells", "incidents"))
    pfreq = _period_freq(freq)
    col = incidents[date_column]
    if pfreq == "M" or not pd.api.types.is_datetime64_any_dtype(col):
        per = _months_of(col, f"incidents column {date_column!r}")
        per = per.asfreq(pfreq) if pfreq != "M" else per
    else:
        per = pd.PeriodIndex(col.dt.to_period(pfreq))
    lo = _to_month(start).asfreq(pfreq) if start is not None else per.min()
    hi = _to_month(end).asfreq(pfreq) if end is not None else per.max()
    periods = pd.period_range(lo, hi, freq=pfreq)
    if len(periods) == 0:
        raise DataError(f"the cube range {lo} to {hi} is empty.")
    keep = np.asarray((per >= lo) & (per <= hi))
    if not keep.all():
        warnings.warn(
            f"{int((~keep).sum())} incidents fall outside {lo} to {hi} and were dropped.",
            HotspotsWarning,
            stacklevel=2,
        )
    import geopandas as gpd

    pts = gpd.GeoDataFrame(geometry=incidents.geometry.to_numpy()[keep], crs=incidents.crs)
    poly = gpd.GeoDataFrame({"_pos": np.arange(len(cells))}, geometry=cells.geometry.to_numpy())
    poly = poly.set_crs(cells.crs)
    joined = gpd.sjoin(pts, poly, how="left", predicate="intersects")
    joined = joined[~joined.index.duplicated(keep="first")].sort_index()
    pos = joined["_pos"].to_numpy(dtype=float)
    t = per.asi8[keep] - lo.ordinal
    inside = ~np.isnan(pos)
    n_outside = int((~inside).sum())
    if n_outside:
        warnings.warn(
            f"{n_outside} incidents fall outside every cell and are not in the cube.",
            HotspotsWarning,
            stacklevel=2,
        )
    flat = pos[inside].astype(int) * len(periods) + t[inside]
    counts = np.bincount(flat, minlength=len(cells) * len(periods)).reshape(
        len(cells), len(periods)
    )
    empty = [str(p) for p, s in zip(periods, counts.sum(axis=0), strict=True) if s == 0]
    if empty:
        warnings.warn(
            f"period(s) {empty} have no incidents in any cell; kept as zeros, but check "
            "the data for them is not missing.",
            HotspotsWarning,
            stacklevel=2,
        )
    return SpaceTimeCube(cells=cells.copy(), periods=periods, counts=counts, n_outside=n_outside)


# ----------------------------------------------------------------------------- Gi*
def _spatial_weights(
    cells: Any, *, neighbours: str, distance: float | None, k: int | None
) -> sparse.csr_matrix:
    """Binary spatial weights between cell centroids, self included (Gi* star)."""
    from scipy.spatial import cKDTree

    from ._weights import distance_band_weights, knn_weights

    xy = np.column_stack([cells.geometry.centroid.x, cells.geometry.centroid.y])
    n = len(xy)
    if neighbours == "knn":
        W = knn_weights(xy, int(k if k is not None else 8))
    elif neighbours == "distance":
        if distance is None:
            if n < 2:
                raise DataError("need at least 2 cells to choose a neighbour distance.")
            nn = cKDTree(xy).query(xy, k=2)[0][:, 1]
            distance = 1.5 * float(np.median(nn))
        if not np.isfinite(distance):
            raise DataError(f"distance must be a positive number of metres; got {distance}.")
        W = distance_band_weights(xy, float(distance))
    else:
        raise DataError(f"neighbours must be 'distance' or 'knn'; got {neighbours!r}.")
    W = (W + sparse.identity(n, format="csr")).tocsr()
    W.data[:] = 1.0
    return W


def _gi_star_z(y: np.ndarray, W: sparse.csr_matrix) -> np.ndarray:
    """Analytic Gi* z-scores (binary weights including self); zeros when ``y`` is constant."""
    if y.size == 0 or float(np.ptp(y)) == 0.0:
        return np.zeros(y.size)
    from .hotspot import gi_star_arrays

    z: np.ndarray = np.asarray(gi_star_arrays(y, W, permutations=0).z, dtype=float)
    return np.asarray(np.nan_to_num(z), dtype=float)


def _bins_from_p(z: np.ndarray, p: np.ndarray) -> np.ndarray:
    level = np.where(p < 0.01, 3, np.where(p < 0.05, 2, np.where(p < 0.10, 1, 0)))
    return np.asarray(np.sign(z) * level, dtype=int)


@dataclass
class SpaceTimeGi:
    """Gi* per bin of a space-time cube; arrays are (n_cells, n_periods).

    ``p`` is the two-sided p-value used (analytic, or pseudo-p with permutations),
    ``p_fdr`` its Benjamini-Hochberg adjustment (equal to ``p`` without FDR), ``bins``
    the ArcGIS Gi_Bin (-3..3: 99/95/90% confidence) from ``p_fdr``.
    """

    z: np.ndarray
    p: np.ndarray
    p_fdr: np.ndarray
    bins: np.ndarray
    periods: pd.PeriodIndex


def space_time_gi(
    cube: SpaceTimeCube,
    *,
    neighbours: str = "distance",
    distance: float | None = None,
    k: int | None = None,
    time_window: int = 1,
    permutations: int = 0,
    fdr: bool = True,
    seed: int = 0,
) -> SpaceTimeGi:
    """Gi* of every (cell, period) bin over a space-time neighbourhood.

    As in ArcGIS, a bin's neighbours are the bins of the cells within ``distance``
    metres (or the ``k`` nearest, ``neighbours="knn"``), itself included, at the same
    period and the ``time_window`` previous periods. The statistic uses the mean and
    standard deviation of all ``n_cells * n_periods`` bins. ``distance`` defaults to 1.5x
    the median nearest-centroid spacing (queen neighbours on a square grid, the first
    ring on a hexagon grid).

    With ``permutations > 0`` pseudo p-values come from
    ``hotspots.hotspot.gi_star_arrays`` (conditional permutation), doubled to make them
    two-sided (capped at 1); otherwise the analytic two-sided normal p-value is used.
    Bins whose z is undefined (no neighbours) get z 0 and p 1.
    """
    if not isinstance(cube, SpaceTimeCube):
        raise DataError("cube must be a SpaceTimeCube from space_time_cube().")
    if time_window < 0 or int(time_window) != time_window:
        raise DataError(f"time_window must be a whole number >= 0; got {time_window}.")
    from scipy.stats import false_discovery_control, norm

    n_c, n_p = cube.counts.shape
    S = _spatial_weights(cube.cells, neighbours=neighbours, distance=distance, k=k)
    T = sparse.diags(
        [np.ones(n_p - lag) for lag in range(min(time_window, n_p - 1) + 1)],
        [-lag for lag in range(min(time_window, n_p - 1) + 1)],
        shape=(n_p, n_p),
        format="csr",
    )
    W = sparse.kron(T, S, format="csr")  # bin index = period * n_cells + cell
    y = cube.counts.T.reshape(-1).astype(float)
    if float(np.ptp(y)) == 0.0:
        warnings.warn(
            "every bin of the cube has the same count; there are no hot or cold spots.",
            HotspotsWarning,
            stacklevel=2,
        )
        z, p = np.zeros(y.size), np.ones(y.size)
    elif permutations > 0:
        from .hotspot import gi_star_arrays

        res = gi_star_arrays(y, W, permutations=permutations, seed=seed, star=True)
        z = np.asarray(res.z, dtype=float)
        # the pseudo p-value is one-tailed in the observed direction: double it so it
        # is two-sided like the analytic p and the bins' 99/95/90 % levels
        p = np.minimum(2.0 * np.asarray(res.p_sim, dtype=float), 1.0)
    else:
        z = _gi_star_z(y, W)
        p = 2.0 * norm.sf(np.abs(z))
    # a bin without a z (no variation among its neighbours, or no neighbours) is not
    # significant: z 0 and p 1, never NaN in the trend test or the FDR step
    undefined = ~np.isfinite(z) | ~np.isfinite(p)
    if undefined.any():
        z = np.where(undefined, 0.0, z)
        p = np.where(undefined, 1.0, p)
    p_fdr = false_discovery_control(p, method="bh") if fdr else p
    z2, p2, q2 = (a.reshape(n_p, n_c).T.copy() for a in (z, p, p_fdr))
    return SpaceTimeGi(z=z2, p=p2, p_fdr=q2, bins=_bins_from_p(z2, q2), periods=cube.periods)


# ----------------------------------------------------------------------------- trend
def mann_kendall(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Mann-Kendall trend test on each row of ``x`` (series along the last axis).

    ``S = sum_{i<j} sign(x_j - x_i)``; ``Var(S) = [n(n-1)(2n+5) - sum_t t(t-1)(2t+5)] / 18``
    over tied groups of size ``t``; ``Z = (S - sign(S)) / sqrt(Var(S))`` (continuity
    correction), two-sided normal ``p``; ``tau = S / (n(n-1)/2)`` (Kendall's tau-a).

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
    permutations: int = 0,
    fdr: bool = True,
    trend_alpha: float = 0.05,
    seed: int = 0,
) -> Any:
    """Emerging Hot Spot Analysis (ArcGIS): Gi* per bin, Mann-Kendall trend, categories.

    Steps: :func:`space_time_gi` (space-time neighbourhood, FDR), then
    :func:`mann_kendall` on each cell's Gi* z series, then :func:`classify_emerging`
    (its docstring states every rule, including the 90% threshold). Per-period z and bins
    are available from :func:`space_time_gi` with the same arguments.

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
                       time_window=time_window, permutations=permutations, fdr=fdr, seed=seed)  # fmt: skip
    tau, mz, mp, _ = mann_kendall(gi.z)
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
              "time_window": time_window, "permutations": permutations, "fdr": fdr,
              "trend_alpha": trend_alpha,
              "periods": [str(cube.periods[0]), str(cube.periods[-1])]}  # fmt: skip
    return record(out, method="Emerging Hot Spot Analysis (Gi* + Mann-Kendall)",
                  parameters=params, seed=seed if permutations else None, inherit=cube.cells)  # fmt: skip
