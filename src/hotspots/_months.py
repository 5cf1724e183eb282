"""The one month parser: months as pandas monthly Periods, and month gaps.

Months in police.uk files are always written ``YYYY-MM``; anything else in a ``Month``
column ("June 2018", "2018-13", "2018/06", blank) is a bad row, reported by line, never
guessed (:func:`parse_month_column`). Months a user passes to a function (a filter, the
two periods of a comparison, the start of a cube) may also be ISO dates, month names with
a year ("Jan 2024"), datetimes or Periods (:func:`to_month`); day-first or slash-separated
text is refused because it is ambiguous. Everything that works on months (trends,
space-time cubes, backtests, forecasts) goes through :func:`months_of`, and
:func:`months_present` / :func:`require_months` keep a month without data from being read
as a month of zero crime.
"""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Iterable, Sequence
from typing import Any, TypeAlias

import numpy as np
import pandas as pd

from ._errors import DataError

__all__ = [
    "MONTH_RE",
    "MonthLike",
    "PeriodLike",
    "describe_runs",
    "month_gaps",
    "months_of",
    "months_present",
    "parse_month_column",
    "parse_months",
    "period_months",
    "require_months",
    "runs",
    "to_month",
]

#: One month as a user may give it (see :func:`to_month`).
MonthLike: TypeAlias = str | pd.Period | pd.Timestamp | _dt.date | np.datetime64
#: A period: one month, a (start, end) pair (inclusive) or a list of months (see
#: :func:`period_months`).
PeriodLike: TypeAlias = MonthLike | tuple[MonthLike, MonthLike] | Iterable[MonthLike]

#: A police.uk month: four-digit year, dash, month 01-12.
MONTH_RE = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
_ISO_DATE = re.compile(r"^\d{4}-(0[1-9]|1[0-2])-\d{2}")
#: Unambiguous month names with a year ("Jan 2024", "January 2024").
_NAMED_FORMATS = ("%b %Y", "%B %Y")


def _ordinal(text: str) -> int:
    year, month = int(text[:4]), int(text[5:7])
    # pandas monthly Period ordinals count months from 1970-01
    return (year - 1970) * 12 + month - 1


def to_month(value: Any, *, name: str = "month") -> pd.Period:
    """Normalise one month-like value to a monthly Period.

    Accepts ``'YYYY-MM'``, an ISO date (``'2024-01-15'``), a month name with a year
    (``'Jan 2024'``), a datetime, Timestamp or Period. Anything else, including
    ambiguous text such as ``'03/04/2024'`` or ``'2024/06'``, raises
    :class:`~hotspots.DataError`.

    Examples
    --------
    >>> str(to_month("Jan 2024")), str(to_month(pd.Period("2024-03", freq="M")))
    ('2024-01', '2024-03')
    >>> str(to_month("2019-01-15"))
    '2019-01'
    """
    if isinstance(value, pd.Period):
        return value.asfreq("M")
    if isinstance(value, pd.Timestamp | _dt.datetime | _dt.date | np.datetime64):
        if pd.isna(value):
            raise DataError(f"{name}: a missing date is not a month.")
        return pd.Timestamp(value).to_period("M")
    if isinstance(value, str):
        text = " ".join(value.strip().split())
        if MONTH_RE.match(text):
            return pd.Period(text, freq="M")
        if _ISO_DATE.match(text):
            try:
                return pd.Timestamp(text).to_period("M")
            except ValueError:
                pass
        for fmt in _NAMED_FORMATS:
            try:
                return pd.Timestamp(_dt.datetime.strptime(text, fmt)).to_period("M")
            except ValueError:
                continue
    raise DataError(
        f"{name}: {value!r} is not a month written 'YYYY-MM' (e.g. '2024-01'), 'Jan 2024', "
        "a date written 'YYYY-MM-DD', a datetime or a pandas Period."
    )


def parse_months(months: Any, *, name: str = "months") -> list[pd.Period]:
    """Parse one month or a list of months (as :func:`to_month`); distinct, sorted.

    Examples
    --------
    >>> [str(m) for m in parse_months(["2019-02", "2019-01-15", pd.Period("2019-01", "M")])]
    ['2019-01', '2019-02']
    """
    items = [months] if isinstance(months, str | pd.Period | pd.Timestamp) else list(months)
    return sorted({to_month(m, name=name) for m in items})


def parse_month_column(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Parse a police.uk ``Month`` column written ``YYYY-MM``.

    Returns
    -------
    ordinals : numpy.ndarray of int64
        Monthly :class:`pandas.Period` ordinals (``-1`` where bad).
    bad : numpy.ndarray of bool
        Rows whose value is blank or not ``YYYY-MM`` (surrounding spaces allowed).

    Examples
    --------
    >>> o, bad = parse_month_column(pd.Series(["2018-06", "June 2018", "2018-13", ""]))
    >>> pd.PeriodIndex.from_ordinals(o[~bad], freq="M").astype(str).tolist(), bad.tolist()
    (['2018-06'], [False, True, True, True])
    """
    cat = values if isinstance(values.dtype, pd.CategoricalDtype) else values.astype("category")
    uniques = [str(u).strip() for u in cat.cat.categories]
    table = np.array([_ordinal(u) if MONTH_RE.match(u) else -1 for u in uniques] + [-1])
    codes = cat.cat.codes.to_numpy()  # -1 for missing picks the trailing -1
    ordinals = table[codes].astype(np.int64)
    return ordinals, ordinals < 0


def months_of(values: pd.Series, name: str) -> pd.PeriodIndex:
    """Parse a column of month-like values (Period[M], datetimes, text) to monthly Periods.

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
    ordinals = np.array([to_month(u, name=name).ordinal for u in uniques], dtype=np.int64)
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
        start, end = to_month(spec[0], name=name), to_month(spec[1], name=name)
        if end < start:
            raise DataError(f"{name} ends ({end}) before it starts ({start}).")
        return list(pd.period_range(start, end, freq="M"))
    if isinstance(spec, list | set | frozenset | pd.Index | np.ndarray | pd.Series):
        months = parse_months(list(spec), name=name)
        if not months:
            raise DataError(f"{name} is an empty list of months.")
        return months
    return [to_month(spec, name=name)]


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


def describe_runs(months: Iterable[pd.Period | str]) -> str:
    """Compact text of months, consecutive runs joined.

    Examples
    --------
    >>> describe_runs(["2019-03", "2019-04", "2019-05", "2019-10"])
    '2019-03..2019-05, 2019-10'
    """
    periods = [to_month(m) for m in months]
    return ", ".join(str(a) if a == b else f"{a}..{b}" for a, b in runs(periods))


def month_gaps(present: Iterable[pd.Period | str]) -> tuple[list[str], list[str]]:
    """The months present (sorted) and the months missing between the first and last.

    Examples
    --------
    >>> month_gaps(["2024-03", "2024-01", "2024-06"])
    (['2024-01', '2024-03', '2024-06'], ['2024-02', '2024-04', '2024-05'])
    """
    have = sorted({to_month(p) for p in present})
    if not have:
        return [], []
    span = pd.period_range(have[0], have[-1], freq="M")
    missing = [str(p) for p in span if p not in set(have)]
    return [str(p) for p in have], missing


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
