"""Months as pandas monthly Periods: the one place month-like values are normalised.

Incident tables carry ``month`` as 'YYYY-MM' text, a categorical of such text, or a
pandas ``Period[M]`` column; everything that works on months (trends, space-time cubes,
backtests, forecasts) goes through :func:`months_of` so that all of these behave alike.
:func:`months_present` and :func:`require_months` keep a month without data from being
read as a month of zero crime.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from ._errors import DataError

__all__ = [
    "describe_runs",
    "months_of",
    "months_present",
    "period_months",
    "require_months",
    "runs",
    "to_month",
]

_MONTH_FORMATS = ("%Y-%m", "%Y-%m-%d", "%b %Y", "%B %Y", "%Y/%m", "%m/%Y", "%d/%m/%Y", "%Y%m")


def to_month(value: Any) -> pd.Period:
    """Normalise one month-like value (text, datetime, Timestamp, Period) to a monthly Period.

    Examples
    --------
    >>> str(to_month("Jan 2024")), str(to_month(pd.Period("2024-03", freq="M")))
    ('2024-01', '2024-03')
    """
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


def months_of(values: pd.Series, name: str) -> pd.PeriodIndex:
    """Parse a column of month-like values (Period[M], text, categorical) to monthly Periods.

    Examples
    --------
    >>> list(months_of(pd.Series(["2024-01", "Feb 2024"]), "month").astype(str))
    ['2024-01', '2024-02']
    >>> s = pd.Series(pd.PeriodIndex(["2024-01", "2024-02"], freq="M"))
    >>> list(months_of(s, "month").astype(str))
    ['2024-01', '2024-02']
    """
    if values.isna().any():
        rows = list(values.index[values.isna().to_numpy()][:10])
        raise DataError(f"{name} has {int(values.isna().sum())} missing months (index {rows}).")
    if isinstance(values.dtype, pd.PeriodDtype):
        return pd.PeriodIndex(values).asfreq("M")
    if pd.api.types.is_datetime64_any_dtype(values):
        return pd.PeriodIndex(pd.DatetimeIndex(values).to_period("M"))
    codes, uniques = pd.factorize(values.to_numpy(dtype=object))
    ordinals = np.array([to_month(u).ordinal for u in uniques], dtype=np.int64)
    out: pd.PeriodIndex = pd.PeriodIndex.from_ordinals(ordinals[codes], freq="M")  # type: ignore[attr-defined]
    return out


def period_months(spec: Any, name: str) -> list[pd.Period]:
    """A period given as one month, a (start, end) pair (inclusive) or a list of months.

    Examples
    --------
    >>> [str(m) for m in period_months(("2024-11", "2025-01"), "before")]
    ['2024-11', '2024-12', '2025-01']
    """
    if isinstance(spec, tuple):
        if len(spec) != 2:
            raise DataError(f"{name} as a tuple must be (start, end); got {len(spec)} values.")
        start, end = to_month(spec[0]), to_month(spec[1])
        if end < start:
            raise DataError(f"{name} ends ({end}) before it starts ({start}).")
        return list(pd.period_range(start, end, freq="M"))
    if isinstance(spec, list | set | frozenset | pd.Index | np.ndarray | pd.Series):
        months = sorted({to_month(v) for v in spec})
        if not months:
            raise DataError(f"{name} is an empty list of months.")
        return months
    return [to_month(spec)]


def months_present(observed: pd.PeriodIndex, months: Iterable[Any] | None = None) -> set[pd.Period]:
    """The months that have data: those given in ``months`` (when the loader knows which
    months it read, including months with no incidents of a type) or else every month
    with at least one incident.
    """
    if months is not None:
        return set(period_months(list(months), "months"))
    return set(observed.unique())


def runs(months: Iterable[pd.Period]) -> list[tuple[pd.Period, pd.Period]]:
    """Runs of consecutive months, as (first, last) pairs in order.

    Examples
    --------
    >>> ms = period_months(["2024-01", "2024-02", "2024-04"], "m")
    >>> [(str(a), str(b)) for a, b in runs(ms)]
    [('2024-01', '2024-02'), ('2024-04', '2024-04')]
    """
    out: list[tuple[pd.Period, pd.Period]] = []
    for m in sorted(set(months)):
        if out and (m - out[-1][1]).n == 1:
            out[-1] = (out[-1][0], m)
        else:
            out.append((m, m))
    return out


def describe_runs(months: Iterable[pd.Period]) -> str:
    """'2022-01..2023-01, 2024-01..2024-04' - the runs of consecutive months in words."""
    return ", ".join(str(a) if a == b else f"{a}..{b}" for a, b in runs(months))


def require_months(
    needed: Sequence[pd.Period], present: set[pd.Period], *, what: str, hint: str = ""
) -> None:
    """Raise DataError naming every month of ``needed`` that has no data."""
    missing = [m for m in needed if m not in present]
    if missing:
        names = [str(m) for m in missing]
        have = describe_runs(present) or "none"
        raise DataError(
            f"{what} needs month(s) {names}, which have no data (months with data: {have}). "
            "A missing month is not a month of zero crime. "
            + (
                hint
                or "Choose months with data, or pass months=[...] listing the months "
                "that were read if some really had no incidents."
            )
        )
