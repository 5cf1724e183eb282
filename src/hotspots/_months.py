"""The one month parser: police.uk ``YYYY-MM`` text -> monthly periods, and month gaps.

Months in the published files are always written ``YYYY-MM``. Anything else in a
``Month`` column ("June 2018", "2018-13", "2018/06", blank) is a bad row, reported by
line, never guessed. Month *filters* given by a user (``months=[...]``) may also be
dates, Timestamps or Periods.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from ._errors import DataError

__all__ = ["MONTH_RE", "describe_months", "month_gaps", "parse_month_column", "parse_months"]

#: A police.uk month: four-digit year, dash, month 01-12.
MONTH_RE = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
_ISO_DATE = re.compile(r"^\d{4}-(0[1-9]|1[0-2])-\d{2}")


def _ordinal(text: str) -> int:
    year, month = int(text[:4]), int(text[5:7])
    # pandas monthly Period ordinals count months from 1970-01
    return (year - 1970) * 12 + month - 1


def parse_month_column(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Parse a ``Month`` column written ``YYYY-MM``.

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


def parse_months(months: Any, *, name: str = "months") -> list[pd.Period]:
    """Parse a month filter: ``"YYYY-MM"`` text, ISO dates, Timestamps or Periods.

    Returns the distinct months, sorted. Text such as ``"January"`` or ``"2018/06"``
    raises :class:`~hotspots.DataError`.

    Examples
    --------
    >>> [str(m) for m in parse_months(["2019-02", "2019-01-15", pd.Period("2019-01", "M")])]
    ['2019-01', '2019-02']
    """
    items = [months] if isinstance(months, str | pd.Period | pd.Timestamp) else list(months)
    out: set[pd.Period] = set()
    for m in items:
        if isinstance(m, pd.Period):
            out.add(m.asfreq("M"))
            continue
        if isinstance(m, str):
            text = m.strip()
            if MONTH_RE.match(text):
                out.add(pd.Period(text, freq="M"))
                continue
            if not _ISO_DATE.match(text):
                raise DataError(
                    f"{name}: {m!r} is not a month written 'YYYY-MM' (e.g. '2024-01') or a "
                    "date written 'YYYY-MM-DD'."
                )
        try:
            out.add(pd.Timestamp(m).to_period("M"))
        except (ValueError, TypeError) as exc:
            raise DataError(f"{name}: {m!r} is not a month written 'YYYY-MM' or a date.") from exc
    return sorted(out)


def month_gaps(present: Iterable[pd.Period | str]) -> tuple[list[str], list[str]]:
    """The months present (sorted) and the months missing between the first and last.

    Examples
    --------
    >>> month_gaps(["2024-03", "2024-01", "2024-06"])
    (['2024-01', '2024-03', '2024-06'], ['2024-02', '2024-04', '2024-05'])
    """
    have = sorted({pd.Period(p, freq="M") for p in present})
    if not have:
        return [], []
    span = pd.period_range(have[0], have[-1], freq="M")
    missing = [str(p) for p in span if p not in set(have)]
    return [str(p) for p in have], missing


def describe_months(months: Iterable[str]) -> str:
    """Compact text of months, consecutive runs joined: ``"2019-03..2019-08, 2019-10"``.

    Examples
    --------
    >>> describe_months(["2019-03", "2019-04", "2019-05", "2019-10"])
    '2019-03..2019-05, 2019-10'
    """
    ps = sorted({pd.Period(m, freq="M") for m in months})
    runs: list[list[pd.Period]] = []
    for p in ps:
        if runs and (p - runs[-1][-1]).n == 1:
            runs[-1].append(p)
        else:
            runs.append([p])
    return ", ".join(str(r[0]) if len(r) == 1 else f"{r[0]}..{r[-1]}" for r in runs)
