"""Incident dates and times: one parser for the modules that need more than a month.

data.police.uk publishes only the month of each crime; near-repeat and time-of-day
analysis need the date (and time) an incident happened, which force extracts carry.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pandas as pd

from ._errors import DataError
from ._validate import require_columns

__all__ = ["MONTHS_TOO_COARSE", "days_since", "event_times"]

MONTHS_TOO_COARSE = (
    "data.police.uk gives only the month of each crime, which is too coarse for {what}: "
    "it needs the date{time} of every incident, as in a force crime extract. Pass such "
    "data with a datetime column and name it with {arg}=."
)
_MONTH_TEXT = re.compile(r"^\d{4}-\d{2}$")


def event_times(
    df: pd.DataFrame, column: str, *, what: str, arg: str, need_time: bool = False
) -> pd.Series:
    """Return ``df[column]`` as naive ``datetime64[ns]`` (local wall-clock time).

    Raises :class:`DataError` when the column is missing, holds values that are not
    dates (naming the rows), or holds only months (police.uk ``YYYY-MM``, monthly
    periods, or every date on the 1st of a month at midnight).
    """
    coarse = MONTHS_TOO_COARSE.format(what=what, time=" and time" if need_time else "", arg=arg)
    if column not in df.columns and "month" in df.columns:
        raise DataError(f"There is no column {column!r}, only 'month'. {coarse}")
    require_columns(df, [column], "incidents")
    raw = df[column]
    if isinstance(raw.dtype, pd.PeriodDtype):
        if str(raw.dtype.freq.freqstr).startswith(("M", "Q", "Y", "A")):
            raise DataError(f"incidents column {column!r} holds months. {coarse}")
        raw = raw.dt.to_timestamp()
    if raw.dtype == object or pd.api.types.is_string_dtype(raw.dtype):
        text = raw.dropna().astype(str).str.strip()
        if len(text) and bool(text.str.match(_MONTH_TEXT).all()):
            raise DataError(
                f"incidents column {column!r} holds months ('{text.iloc[0]}'). {coarse}"
            )
    if pd.api.types.is_datetime64_any_dtype(raw.dtype):
        ts = pd.Series(raw)
    else:
        ts = pd.to_datetime(raw, errors="coerce", format="mixed")
    bad = ts.isna().to_numpy()
    if bad.any():
        rows = list(df.index[bad][:10])
        raise DataError(
            f"incidents column {column!r} has {int(bad.sum())} missing or unreadable dates "
            f"(index {rows}). Fix or drop them first; write dates as 'YYYY-MM-DD HH:MM'."
        )
    if getattr(ts.dt, "tz", None) is not None:
        ts = ts.dt.tz_localize(None)  # keep local wall-clock time (hours of the day)
    ts = ts.astype("datetime64[ns]")
    if len(ts) >= 5:
        first = (ts.dt.day == 1) & (ts.dt.normalize() == ts)
        if bool(first.all()):
            raise DataError(
                f"every date in incidents column {column!r} is the 1st of a month at "
                f"midnight, so they look like months. {coarse}"
            )
    return ts


def days_since(ts: pd.Series, origin: Any = None) -> np.ndarray:
    """Float days from ``origin`` (default: the earliest time)."""
    values = ts.to_numpy(dtype="datetime64[ns]")
    start = values.min() if origin is None else np.datetime64(origin, "ns")
    return np.asarray((values - start) / np.timedelta64(1, "D"), dtype=float)
