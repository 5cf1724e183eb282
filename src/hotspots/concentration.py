"""Repeat locations: how much crime happens at the few places with most of it.

The "power few" (Sherman 2007; Weisburd's law of crime concentration): the share of
incidents at the top 1, 5 and 10 % of places, the concentration (Lorenz) curve and the
Gini coefficient, per crime type.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from . import _provenance
from ._errors import DataError
from ._validate import require_columns, require_nonempty

__all__ = ["concentration", "concentration_curve", "gini"]

ALL = "All crime"


def gini(counts: Sequence[float] | np.ndarray) -> float:
    """Gini coefficient of counts per place (0: spread evenly, near 1: all at one place).

    ``G = sum_i (2 i - n - 1) x_(i) / (n sum x)`` with ascending counts ``x_(i)``.

    Examples
    --------
    >>> gini([0, 0, 0, 4])
    0.75
    """
    x = np.sort(np.asarray(counts, dtype=float))
    n, total = x.size, float(x.sum())
    if n == 0 or total <= 0:
        return float("nan")
    i = np.arange(1, n + 1)
    return float(((2 * i - n - 1) * x).sum() / (n * total))


def _places(incidents: Any, location: str | None) -> tuple[np.ndarray, int]:
    """A place number per incident and the number of places."""
    if location is None:
        geom = getattr(incidents, "geometry", None)
        if geom is None:
            raise DataError("incidents have no geometry; name a place column with location=.")
        if bool((geom.isna() | geom.is_empty).any()):
            rows = list(incidents.index[(geom.isna() | geom.is_empty).to_numpy()][:10])
            raise DataError(f"incidents have missing geometries (index {rows}); drop them first.")
        key = pd.Series(
            list(zip(geom.x.round(1), geom.y.round(1), strict=True)), index=incidents.index
        )
    else:
        require_columns(incidents, [location], "incidents")
        key = incidents[location]
        if bool(key.isna().any()):
            rows = list(incidents.index[key.isna().to_numpy()][:10])
            raise DataError(
                f"incidents column {location!r} has missing places (index {rows}); drop them."
            )
    codes, uniques = pd.factorize(key)
    return codes, len(uniques)


def _groups(incidents: Any, by: str | None) -> pd.Series:
    if by is None:
        return pd.Series(ALL, index=incidents.index)
    require_columns(incidents, [by], "incidents")
    g = incidents[by]
    if bool(g.isna().any()):
        rows = list(incidents.index[g.isna().to_numpy()][:10])
        raise DataError(f"incidents column {by!r} has missing values (index {rows}).")
    return pd.Series(g)


def _lorenz(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(share of places, share of incidents), places ordered from most to fewest."""
    x = np.sort(counts)[::-1].astype(float)
    places = np.arange(x.size + 1) / x.size
    crimes = np.concatenate([[0.0], np.cumsum(x)]) / x.sum()
    return places, crimes


def _per_group(incidents: Any, by: str | None, location: str | None) -> dict[Any, np.ndarray]:
    require_nonempty(incidents, "incidents")
    place, n_places = _places(incidents, location)
    groups = _groups(incidents, by)
    out = {ALL: np.bincount(place, minlength=n_places)}
    if by is not None:
        for g in sorted(pd.unique(groups), key=str):
            out[g] = np.bincount(place[(groups == g).to_numpy()], minlength=n_places)
    return out


def concentration(
    incidents: pd.DataFrame,
    *,
    by: str | None = "crime_type",
    location: str | None = None,
    top: Sequence[float] = (0.01, 0.05, 0.10),
) -> pd.DataFrame:
    """Share of incidents at the top places ("power few") and Gini, per crime type.

    Parameters
    ----------
    incidents : pandas.DataFrame or geopandas.GeoDataFrame
        Incidents; one row each.
    by : str or None, default "crime_type"
        Column to split by; a row "All crime" is always included.
    location : str, optional
        Column naming the place of each incident. Default: the point geometry (to 0.1 m):
        police.uk snaps every crime to one of a fixed set of map points, so these are
        the places.
    top : sequence of float, default (0.01, 0.05, 0.10)
        Shares of places for the ``top_<p>pct`` columns.

    Returns
    -------
    pandas.DataFrame
        One row per group: ``incidents``, ``places`` (all places with any incident of
        any type, so a type's places with none of it count as zeros),
        ``places_with_any``, ``top_1pct`` ... (share of the group's incidents at that
        share of places, from the concentration curve, interpolated between places) and
        ``gini``.

    Notes
    -----
    When a type has fewer incidents than there are places, even a random spread leaves
    most places at zero and the Gini is high for that reason alone (Bernasco &
    Steenbeek 2017); compare types of similar volume, or look at ``places_with_any``.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"place": ["a", "a", "a", "b", "c"], "crime_type": ["V"] * 5})
    >>> concentration(df, location="place", top=[1 / 3]).loc["V", ["top_33pct", "gini"]].round(3).tolist()
    [0.6, 0.267]
    """
    fractions = np.asarray(top, dtype=float).ravel()
    if (
        fractions.size == 0
        or np.any(~np.isfinite(fractions))
        or np.any(fractions <= 0)
        or np.any(fractions > 1)
    ):
        raise DataError(f"top must hold shares of places between 0 and 1, got {top!r}.")
    rows = {}
    for g, counts in _per_group(incidents, by, location).items():
        places, crimes = _lorenz(counts)
        row: dict[str, float] = {
            "incidents": int(counts.sum()),
            "places": int(counts.size),
            "places_with_any": int((counts > 0).sum()),
        }
        for f in fractions:
            row[f"top_{round(f * 100):d}pct"] = float(np.interp(f, places, crimes))
        row["gini"] = gini(counts)
        rows[g] = row
    out = pd.DataFrame.from_dict(rows, orient="index")
    out.index.name = by or "group"
    _provenance.record(
        out,
        method="Crime concentration at places (power few, Gini)",
        parameters={"by": by, "location": location or "geometry", "top": fractions.tolist()},
        inherit=incidents,
    )
    return out


def concentration_curve(
    incidents: pd.DataFrame, *, by: str | None = "crime_type", location: str | None = None
) -> pd.DataFrame:
    """Concentration (Lorenz) curves: cumulative share of incidents against share of
    places, places from most to fewest incidents.

    Parameters
    ----------
    incidents, by, location
        As :func:`concentration`.

    Returns
    -------
    pandas.DataFrame
        Long table ``group``, ``share_of_places``, ``share_of_incidents`` (each curve
        from (0, 0) to (1, 1)), ready to plot one line per group.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"place": ["a", "a", "a", "b"]})
    >>> concentration_curve(df, by=None, location="place")["share_of_incidents"].tolist()
    [0.0, 0.75, 1.0]
    """
    parts = []
    for g, counts in _per_group(incidents, by, location).items():
        places, crimes = _lorenz(counts)
        parts.append(pd.DataFrame({"group": g, "share_of_places": places,
                                   "share_of_incidents": crimes}))  # fmt: skip
    out = pd.concat(parts, ignore_index=True)
    _provenance.record(
        out,
        method="Crime concentration curve",
        parameters={"by": by, "location": location or "geometry"},
        inherit=incidents,
    )
    return out
