"""When does it happen: time-of-day x day-of-week profiles with aoristic apportioning.

An incident recorded at one moment counts in one hour of the week; one recorded as a
window ("between 18:00 Friday and 08:00 Saturday", typical of burglary and vehicle
crime) is spread over the hours of the window in proportion to their overlap
(Ratcliffe's aoristic method), so each incident still counts once in total.
:func:`time_summary` turns a profile into a line for a tasking list ("mostly Fri-Sat
22:00-02:00") and :func:`time_profile_chart` draws the heat grid.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from . import _provenance
from ._errors import DataError
from ._optional import import_optional
from ._times import event_times
from ._validate import require_columns, require_nonempty

if TYPE_CHECKING:
    from collections.abc import Hashable

    from matplotlib.axes import Axes

__all__ = ["DAYS", "aoristic_weights", "time_profile", "time_profile_chart", "time_summary"]

#: Day labels, Monday first (the rows of a profile).
DAYS: tuple[str, ...] = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_WEEK = 168
_MONDAY = np.datetime64("1970-01-05T00:00", "ns")  # a Monday
_CHUNK = 20_000


def _hours_of_week(ts: pd.Series) -> np.ndarray:
    """Hours since a Monday midnight, as floats (not reduced modulo the week)."""
    return np.asarray((ts.to_numpy(dtype="datetime64[ns]") - _MONDAY) / np.timedelta64(1, "h"))


def aoristic_weights(
    incidents: pd.DataFrame, *, start: str = "datetime", end: str | None = None
) -> np.ndarray:
    """Share of each incident in each of the 168 hours of the week (Mon 00:00 first).

    Parameters
    ----------
    incidents : pandas.DataFrame
        Incidents with a date-time column ``start`` and optionally ``end``.
    start : str, default "datetime"
        When the incident happened, or the earliest it can have happened.
    end : str, optional
        The latest it can have happened; a missing end (NaT) or one equal to ``start``
        means a known moment.

    Returns
    -------
    numpy.ndarray
        ``(n, 168)``; every row sums to one.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"datetime": pd.to_datetime(["2024-03-01 22:00"]),
    ...                    "until": pd.to_datetime(["2024-03-02 02:00"])})
    >>> w = aoristic_weights(df, end="until")
    >>> w.sum(), w[0, 4 * 24 + 22], w[0, 5 * 24 + 1]  # Fri 22:00-23:00, Sat 01:00-02:00
    (np.float64(1.0), np.float64(0.25), np.float64(0.25))
    """
    require_nonempty(incidents, "incidents")
    t0 = _hours_of_week(event_times(incidents, start, what="a time profile", arg="start",
                                    need_time=True))  # fmt: skip
    if end is None:
        if t0.size >= 5 and bool(np.all(t0 % 24 == 0)):
            raise DataError(
                f"every time in incidents column {start!r} is midnight, so it holds dates "
                "without times of day. A time profile needs the time of each incident; for "
                "incidents known only to a day, pass end= with a window (e.g. the next "
                "midnight) so that they are spread over that day."
            )
        t1 = t0.copy()
    else:
        require_columns(incidents, [end], "incidents")
        ends = pd.to_datetime(incidents[end], errors="coerce", format="mixed")
        unreadable = ends.isna() & incidents[end].notna()
        if bool(unreadable.any()):
            rows = list(incidents.index[unreadable.to_numpy()][:10])
            raise DataError(f"incidents column {end!r} has unreadable date-times (index {rows}).")
        if getattr(ends.dt, "tz", None) is not None:
            ends = ends.dt.tz_localize(None)
        t1 = np.where(ends.isna().to_numpy(), t0, _hours_of_week(ends.fillna(pd.Timestamp(0))))
        before = t1 < t0
        if before.any():
            rows = list(incidents.index[before][:10])
            raise DataError(
                f"incidents column {end!r} is earlier than {start!r} in {int(before.sum())} "
                f"rows (index {rows}); swap or fix them."
            )
    n = t0.size
    out = np.zeros((n, _WEEK))
    point = t1 == t0
    out[np.flatnonzero(point), np.floor(t0[point]).astype(np.int64) % _WEEK] = 1.0
    win = np.flatnonzero(~point)
    bins = np.arange(_WEEK)
    for lo in range(0, win.size, _CHUNK):
        sel = win[lo : lo + _CHUNK]
        a, b = t0[sel], t1[sel]

        def covered(x: np.ndarray) -> np.ndarray:
            # time spent in each hour-of-week bin between a Monday origin and x
            weeks, rest = np.divmod(x, _WEEK)
            return weeks[:, None] + np.clip(rest[:, None] - bins[None, :], 0.0, 1.0)

        out[sel] = (covered(b) - covered(a)) / (b - a)[:, None]
    return out


def time_profile(
    incidents: pd.DataFrame,
    *,
    start: str = "datetime",
    end: str | None = None,
    by: str | None = None,
) -> pd.DataFrame:
    """Incidents by day of week and hour of day, per area or group.

    Parameters
    ----------
    incidents : pandas.DataFrame or geopandas.GeoDataFrame
        Incidents with date-times (force extracts; police.uk months are refused).
    start, end : str
        Date-time columns, see :func:`aoristic_weights`.
    by : str, optional
        Column naming the area (tasking area, hot spot, LSOA ...) or group; one grid
        per value. Without it, one grid named "All".

    Returns
    -------
    pandas.DataFrame
        Index (group, day) with day ``Mon`` .. ``Sun``, columns hours 0..23; values are
        (aoristic) incident counts, so each group's grid sums to its number of incidents.
        ``profile.loc[group]`` is that group's 7 x 24 heat grid.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"datetime": pd.to_datetime(["2024-03-01 23:10", "2024-03-02 23:40"])})
    >>> p = time_profile(df)
    >>> p.loc[("All", "Fri"), 23], p.loc[("All", "Sat"), 23], float(p.to_numpy().sum())
    (np.float64(1.0), np.float64(1.0), 2.0)
    """
    require_nonempty(incidents, "incidents")
    if by is None:
        groups = pd.Series("All", index=incidents.index)
    else:
        require_columns(incidents, [by], "incidents")
        groups = incidents[by]
        if bool(groups.isna().any()):
            rows = list(incidents.index[groups.isna().to_numpy()][:10])
            raise DataError(
                f"incidents column {by!r} has missing values (index {rows}); fill or drop them."
            )
    w = aoristic_weights(incidents, start=start, end=end)
    codes, uniques = pd.factorize(groups, sort=True)
    sums = np.zeros((len(uniques), _WEEK))
    np.add.at(sums, codes, w)
    index = pd.MultiIndex.from_product([list(uniques), list(DAYS)], names=[by or "group", "day"])
    out = pd.DataFrame(sums.reshape(-1, 24), index=index, columns=pd.Index(range(24), name="hour"))
    _provenance.record(
        out,
        method="Time-of-day x day-of-week profile (aoristic apportioning of time windows)",
        parameters={"start": start, "end": end, "by": by},
        inherit=incidents,
    )
    return out


def _best_window(grid: np.ndarray, threshold: float) -> tuple[float, int, int, int, int, float]:
    """Days x hours window (start day, n days, start hour, n hours) of the week with the
    largest excess ``share - threshold * area``; hour windows may run past midnight."""
    v = grid.ravel() / grid.sum()
    pre = np.concatenate([[0.0], np.cumsum(np.tile(v, 3))])
    starts = np.arange(7)[:, None] * 24 + np.arange(24)[None, :]  # (day, hour)
    best = (-np.inf, 0, 7, 0, 24, 1.0)
    for length in range(1, 25):
        one = pre[starts + length] - pre[starts]  # (day, hour): that day's window
        cum = np.concatenate([np.zeros((1, 24)), np.cumsum(np.tile(one, (2, 1)), axis=0)])
        for m in range(1, 8):
            share = cum[np.arange(7) + m] - cum[np.arange(7)]  # days d .. d+m-1
            area = m * length / _WEEK
            score = share - threshold * area
            d, h = np.unravel_index(int(np.argmax(score)), score.shape)
            if score[d, h] > best[0] + 1e-12:
                best = (float(score[d, h]), int(d), m, int(h), length, float(share[d, h]))
    return best


def time_summary(
    profile: pd.DataFrame,
    *,
    threshold: float = 2.0,
    min_share: float = 0.25,
    min_incidents: float = 10.0,
) -> pd.Series:
    """One line per group saying when most of its incidents happen.

    Parameters
    ----------
    profile : pandas.DataFrame
        Output of :func:`time_profile`.
    threshold : float, default 2
        A window is chosen to hold as much of the incidents as possible while its hours
        carry at least about ``threshold`` times the average hourly rate (the window
        maximising ``share - threshold * share of the week``).
    min_share : float, default 0.25
        A window holding less than this share of the incidents is no marked peak.
    min_incidents : float, default 10
        Fewer incidents than this give "too few incidents ...".

    Returns
    -------
    pandas.Series
        Text per group, e.g. "mostly Fri-Sat 22:00-02:00 (62% of incidents in 5% of the
        week)".

    Examples
    --------
    >>> import pandas as pd
    >>> times = pd.to_datetime(["2024-03-01 22:30", "2024-03-02 23:15", "2024-03-02 01:10",
    ...                         "2024-03-08 22:05", "2024-03-09 00:40"] * 4)
    >>> time_summary(time_profile(pd.DataFrame({"datetime": times}))).iloc[0]
    'mostly Fri–Sat 22:00–02:00 (100% of incidents in 5% of the week)'
    """
    if (
        not isinstance(profile, pd.DataFrame)
        or profile.shape[1] != 24
        or profile.index.nlevels != 2
    ):
        raise DataError("profile must be the output of time_profile (rows group x day, 24 hours).")
    out = {}
    for group in profile.index.get_level_values(0).unique():
        grid = profile.loc[group].reindex(list(DAYS)).to_numpy(dtype=float)
        total = float(grid.sum())
        if total < min_incidents:
            out[group] = f"too few incidents ({total:.0f}) for a time pattern"
            continue
        score, d, m, h, length, share = _best_window(grid, threshold)
        if score <= 0 or share < min_share:
            out[group] = "no marked peak: spread through the week"
            continue
        days = (
            "every day" if m == 7 else DAYS[d] if m == 1 else f"{DAYS[d]}–{DAYS[(d + m - 1) % 7]}"
        )
        hours = "all day" if length == 24 else f"{h:02d}:00–{(h + length) % 24:02d}:00"
        out[group] = (
            f"mostly {days} {hours} ({share:.0%} of incidents in "
            f"{m * length / _WEEK:.0%} of the week)"
        )
    return pd.Series(out, name="when")


def time_profile_chart(
    profile: pd.DataFrame,
    group: Hashable | None = None,
    *,
    ax: Axes | None = None,
    title: str | None = None,
) -> Axes:
    """Draw one group's day x hour heat grid (matplotlib) and return the axes.

    Parameters
    ----------
    profile : pandas.DataFrame
        Output of :func:`time_profile`.
    group : optional
        Which group to draw (default: the first).
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure otherwise.
    title : str, optional
        Title; default the group and its :func:`time_summary` line.
    """
    plt = import_optional("matplotlib.pyplot", extra="plot", purpose="time_profile_chart")
    groups = profile.index.get_level_values(0).unique()
    if group is None:
        group = groups[0]
    if group not in groups:
        raise DataError(f"group {group!r} is not in the profile; it has {list(groups[:10])}.")
    grid = profile.loc[group].reindex(list(DAYS))  # type: ignore[index]  # any group label
    if ax is None:
        _, ax = plt.subplots(figsize=(9, 3))
    im = ax.imshow(grid.to_numpy(dtype=float), aspect="auto", cmap="OrRd")
    ax.set_yticks(range(7), list(DAYS))
    ax.set_xticks(range(0, 24, 2), [f"{h:02d}" for h in range(0, 24, 2)])
    ax.set_xlabel("hour of day")
    ax.figure.colorbar(im, ax=ax, label="incidents")
    if title is None:
        line = time_summary(profile.loc[[group]]).iloc[0]
        title = f"{group}: {line}"
    ax.set_title(title, fontsize=10)
    return ax
