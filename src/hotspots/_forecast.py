"""Month-by-cell counts and the next-period scores of each forecasting method.

The shared core of :func:`hotspots.evaluate.backtest` (scores judged on months they never
saw) and :func:`hotspots.forecast.forecast_cells` (the score for the month after the data):
one count matrix, one rule for which months may be used, one scoring function per method.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import sparse

from ._errors import DataError, HotspotsWarning
from ._months import months_of, months_present

__all__ = ["METHODS", "MonthCounts", "month_counts", "score", "windows"]

METHODS = ("last_period", "kde", "gi_star", "prospective")
#: Weeks per month, for the prospective method's time decay.
_WEEKS_PER_MONTH = 365.25 / 12 / 7


@dataclass
class MonthCounts:
    """Incidents per cell and calendar month over the span of the data.

    ``counts[:, j]`` are the counts of month ``span[j]``; ``present[j]`` says whether
    that month has data (a month without data is never used, neither to train nor to
    test). ``month_index`` and ``xy`` give each incident's month position and
    coordinates; ``inside`` whether it fell in a cell.
    """

    span: pd.PeriodIndex
    present: np.ndarray
    counts: np.ndarray
    month_index: np.ndarray
    xy: np.ndarray
    inside: np.ndarray
    cell_xy: np.ndarray
    cell_area: np.ndarray
    weights: sparse.csr_matrix

    @property
    def width(self) -> float:
        """Typical cell width (square root of the median cell area), metres."""
        return float(np.sqrt(np.median(self.cell_area)))


def month_counts(
    incidents: Any, cells: Any, *, months: Sequence[Any] | None = None, before: Any = None
) -> MonthCounts:
    """Count incidents per cell and month; ``before`` (a Period) drops that month and later."""
    from ._cellgi import cell_weights
    from .grid import assign_points

    observed = months_of(incidents["month"], "incidents column 'month'")
    present_set = months_present(observed, months)
    if before is not None:
        keep = np.asarray(observed < before)
        incidents, observed = incidents[keep], observed[keep]
        present_set = {m for m in present_set if m < before}
    if not present_set:
        raise DataError("no months with data before the month to forecast.")
    lo, hi = min(present_set), max(present_set)
    span = pd.period_range(lo, hi, freq="M")
    inrange = np.asarray((observed >= lo) & (observed <= hi))
    if not inrange.all():
        warnings.warn(
            f"{int((~inrange).sum())} incidents are in months outside the months given "
            f"({lo} to {hi}) and are not used.",
            HotspotsWarning,
            stacklevel=3,
        )
        incidents, observed = incidents[inrange], observed[inrange]
    pos = assign_points(incidents, cells)
    inside = pos >= 0
    if (~inside).any():
        warnings.warn(
            f"{int((~inside).sum())} incidents fall outside every cell; they are not scored.",
            HotspotsWarning,
            stacklevel=3,
        )
    m_idx = np.asarray(observed.asi8 - lo.ordinal, dtype=np.int64)
    counts = np.zeros((len(cells), len(span)))
    np.add.at(counts, (pos[inside], m_idx[inside]), 1.0)
    present = np.array([m in present_set for m in span], dtype=bool)
    return MonthCounts(
        span=span,
        present=present,
        counts=counts,
        month_index=m_idx,
        xy=incidents.get_coordinates().to_numpy() if len(incidents) else np.zeros((0, 2)),
        inside=inside,
        cell_xy=np.column_stack([cells.geometry.centroid.x, cells.geometry.centroid.y]),
        cell_area=cells.geometry.area.to_numpy(),
        weights=cell_weights(cells, neighbours="distance", distance=None, k=None),
    )


def windows(mc: MonthCounts, train_months: int, test_months: int) -> tuple[list[int], list[str]]:
    """Test-window starts whose training and test months all have data, and the test
    months skipped because a month they need has none.
    """
    ok: list[int] = []
    skipped: list[str] = []
    for t0 in range(train_months, len(mc.span) - test_months + 1):
        if not mc.present[t0 : t0 + test_months].all():
            continue  # the test month itself has no data: nothing to score
        if mc.present[t0 - train_months : t0].all():
            ok.append(t0)
        else:
            skipped.append(str(mc.span[t0]))
    return ok, skipped


def _pairs_within(
    src: np.ndarray, targets: np.ndarray, radius: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(source index, target index, distance) of every pair closer than ``radius``."""
    from scipy.spatial import cKDTree

    if len(src) == 0:
        return np.zeros(0, int), np.zeros(0, int), np.zeros(0)
    hits = cKDTree(targets).query_ball_point(src, r=radius)
    lens = np.fromiter((len(h) for h in hits), dtype=int, count=len(hits))
    rows = np.repeat(np.arange(len(src)), lens)
    cols = np.concatenate([np.asarray(h, dtype=int) for h in hits]) if rows.size else rows
    dist = np.hypot(*(src[rows] - targets[cols]).T) if rows.size else np.zeros(0)
    return rows, cols, dist


def score(
    method: str,
    mc: MonthCounts,
    t0: int,
    train_months: int,
    *,
    prospective_bandwidth: float = 400.0,
) -> np.ndarray:
    """Score per cell for month ``span[t0]`` from months ``t0 - train_months .. t0 - 1``.

    * ``"last_period"``: incident counts per cell over the training months.
    * ``"kde"``: quartic kernel density (:func:`hotspots.density.quartic_kernel`) of the
      training points at each cell's centroid; bandwidth by ArcGIS's default rule
      (:func:`hotspots.density.default_bandwidth`), at least one cell width.
    * ``"gi_star"``: analytic Gi* z of the training counts (binary distance weights,
      self included, 1.5x the median cell spacing).
    * ``"prospective"``: Bowers, Johnson & Pease (2004): each training incident adds
      ``1/(1 + weeks) * 1/(1 + d)`` to every cell centre within ``prospective_bandwidth``
      metres, ``weeks`` from the middle of its month to the start of month ``t0``, ``d``
      the distance in cell widths.
    """
    from ._cellgi import gi_z
    from .density import default_bandwidth, quartic_kernel

    lo = t0 - train_months
    if lo < 0 or not mc.present[lo:t0].all():
        raise DataError(f"the {train_months} months before {mc.span[t0]} do not all have data.")
    train_counts = mc.counts[:, lo:t0].sum(axis=1)
    if method == "last_period":
        return np.asarray(train_counts, dtype=float)
    if method == "gi_star":
        return gi_z(train_counts, mc.weights)
    in_train = mc.inside & (mc.month_index >= lo) & (mc.month_index < t0)
    xy = mc.xy[in_train]
    if method == "kde":
        bw = max(default_bandwidth(xy), mc.width) if len(xy) > 1 else mc.width
        _, cols, dist = _pairs_within(xy, mc.cell_xy, bw)
        return np.bincount(cols, weights=quartic_kernel(dist, bw), minlength=len(mc.cell_xy))
    if method == "prospective":
        weeks = (t0 - mc.month_index[in_train] - 0.5) * _WEEKS_PER_MONTH
        rows, cols, dist = _pairs_within(xy, mc.cell_xy, prospective_bandwidth)
        w = 1.0 / (1.0 + np.maximum(weeks[rows], 0.0)) / (1.0 + dist / mc.width)
        return np.bincount(cols, weights=w, minlength=len(mc.cell_xy))
    raise DataError(f"unknown method {method!r}; choose from {list(METHODS)}.")
