"""Rates that mean what they say: per 1,000 residents, with exact Poisson intervals.

* :func:`poisson_interval` - the exact (Garwood) interval of a count, from ``scipy.stats.chi2``;
* :func:`add_rates` - a rate per 1,000 residents (or residents aged 0-24) and its interval
  for every area: LSOAs, wards, a whole district;
* :func:`area_population` - the population of wards or districts from LSOAs (best fit).

police.uk street data records no victim or offender age, so violence against people
under 25 cannot be told from it (:data:`UNDER_25_CAVEAT`).
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ._errors import DataError, HotspotsWarning
from ._provenance import record
from ._validate import require_columns, require_geodataframe, require_numeric

if TYPE_CHECKING:
    import geopandas as gpd
    import numpy.typing as npt

__all__ = ["UNDER_25_CAVEAT", "add_rates", "area_population", "poisson_interval"]


def poisson_interval(
    counts: npt.ArrayLike, *, confidence: float = 0.95
) -> tuple[np.ndarray, np.ndarray]:
    """Exact (Garwood) confidence interval for Poisson counts.

    ``lower = chi2.ppf(a/2, 2k) / 2`` (0 when k = 0) and ``upper = chi2.ppf(1 - a/2,
    2k + 2) / 2`` with ``a = 1 - confidence``. Divide by a population to get rates.

    Examples
    --------
    >>> lo, hi = poisson_interval([0, 10])
    >>> [round(float(v), 3) for v in (*lo, *hi)]
    [0.0, 4.795, 3.689, 18.39]
    """
    from scipy.stats import chi2

    k = np.asarray(counts, dtype=float)
    if not 0 < confidence < 1:
        raise DataError(f"confidence must be between 0 and 1, got {confidence!r}.")
    if bool((k < 0).any()) or not bool(np.isfinite(k).all()):
        raise DataError("counts must be finite and non-negative.")
    a = 1.0 - confidence
    lower = np.where(k > 0, chi2.ppf(a / 2, 2 * k) / 2, 0.0)
    upper = chi2.ppf(1 - a / 2, 2 * k + 2) / 2
    return np.asarray(lower, dtype=float), np.asarray(upper, dtype=float)


#: Why a rate per 1,000 residents aged 0-24 is not a rate of violence against young people.
UNDER_25_CAVEAT = (
    "police.uk street data holds no victim or offender age: violence against under-25s "
    "cannot be told from it. A rate per 1,000 residents aged 0-24 divides all recorded "
    "crimes (victims of every age) by the young population; use it to compare areas, not "
    "as a young-victim rate."
)


def add_rates(
    areas: gpd.GeoDataFrame,
    counts_column: str,
    *,
    per: float = 1000,
    population: str = "population",
    confidence: float = 0.95,
) -> gpd.GeoDataFrame:
    """Add a rate of ``counts_column`` per ``per`` residents, with an exact interval.

    Parameters
    ----------
    areas : geopandas.GeoDataFrame
        With ``counts_column`` and the population column (see :func:`area_context`;
        wards or a whole district: :func:`area_population`).
    counts_column : str
        Counts of incidents (non-negative whole numbers, no missing values).
    per : float, default 1000
    population : {"population", "population_0_24", "population_10_24"} or str
        Denominator column: all residents, or residents aged 0–24. police.uk data has
        no victim age, so a rate per residents aged 0–24 is *not* a rate of violence
        against young people (:data:`UNDER_25_CAVEAT`).
    confidence : float, default 0.95
        Level of the exact Poisson (Garwood) interval, see :func:`poisson_interval`.

    Returns
    -------
    geopandas.GeoDataFrame
        A copy with ``<counts_column>_per_<per>`` (all residents) or
        ``<counts_column>_per_<per>_<population>``, and the same name with ``_lower``
        and ``_upper``. A zero or missing population gives NaN with a
        :class:`HotspotsWarning`, never infinity.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import Point
    >>> g = gpd.GeoDataFrame({"n": [3, 0], "population": [1500, 0]},
    ...                      geometry=[Point(0, 0), Point(1, 1)], crs=27700)
    >>> out = add_rates(g, "n")
    >>> out["n_per_1000"].tolist(), round(float(out["n_per_1000_upper"][0]), 3)
    ([2.0, nan], 5.845)
    """
    gdf = require_geodataframe(areas, "areas")
    counts = require_numeric(gdf, counts_column, "areas")
    if bool((counts < 0).any()):
        raise DataError(f"areas column {counts_column!r} has negative counts.")
    if not np.isfinite(per) or per <= 0:
        raise DataError(f"per must be a positive number, got {per!r}.")
    require_columns(gdf, [population], "areas")
    denom = pd.to_numeric(gdf[population], errors="coerce").to_numpy(dtype=float)
    if bool((denom < 0).any()):
        raise DataError(f"areas column {population!r} has negative values.")
    bad = ~np.isfinite(denom) | (denom == 0)
    rate = np.full(len(gdf), np.nan)
    lower, upper = np.full(len(gdf), np.nan), np.full(len(gdf), np.nan)
    ok = ~bad
    lo, hi = poisson_interval(counts, confidence=confidence)
    rate[ok] = counts[ok] / denom[ok] * per
    lower[ok] = lo[ok] / denom[ok] * per
    upper[ok] = hi[ok] / denom[ok] * per
    suffix = f"{per:g}" if population == "population" else f"{per:g}_{population}"
    name = f"{counts_column}_per_{suffix}"
    if bad.any():
        rows = list(gdf.index[bad][:10])
        warnings.warn(
            f"{int(bad.sum())} area(s) have zero or missing {population!r} (index {rows}); "
            f"their {name} is NaN.",
            HotspotsWarning,
            stacklevel=2,
        )
    out = gdf.copy()
    out[name] = rate
    out[f"{name}_lower"] = lower
    out[f"{name}_upper"] = upper
    caveat = UNDER_25_CAVEAT if population != "population" else None
    return record(
        out,
        method="add_rates",
        parameters={
            "counts_column": counts_column,
            "per": per,
            "population": population,
            "interval": f"exact Poisson (Garwood), {confidence:.0%}",
        },
        sources=["population"],
        inherit=gdf,
        caveat=caveat,
    )


def area_population(areas: gpd.GeoDataFrame, lsoas: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Population of any areas (wards, a district) from LSOAs with population.

    Best fit by point in polygon: each LSOA's whole population goes to the area that
    contains its representative point (LSOAs are not nested in wards; ONS best-fit
    lookups work the same way with population-weighted centroids). LSOAs in no area
    are left out and counted in ``attrs["hotspots"]["n_lsoas_outside"]``.

    Parameters
    ----------
    areas : geopandas.GeoDataFrame
        Wards, districts or any polygons (same CRS as ``lsoas``).
    lsoas : geopandas.GeoDataFrame
        From :func:`area_context`: ``population``, ``population_0_24``,
        ``population_10_24``.

    Returns
    -------
    geopandas.GeoDataFrame
        ``areas`` (same index) plus the three population columns and ``n_lsoas``.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> wards = gpd.GeoDataFrame(geometry=[box(0, 0, 10, 10), box(10, 0, 20, 10)], crs=27700)
    >>> ls = gpd.GeoDataFrame({"population": [5, 7, 11], "population_0_24": [1, 2, 3],
    ...                        "population_10_24": [0, 1, 1]},
    ...     geometry=[box(0, 0, 4, 4), box(4, 0, 9, 4), box(12, 0, 19, 4)], crs=27700)
    >>> area_population(wards, ls)["population"].tolist()
    [12, 11]
    """
    from .grid import count_points

    gdf = require_geodataframe(areas, "areas")
    src = require_geodataframe(lsoas, "lsoas")
    cols = ["population", "population_0_24", "population_10_24"]
    require_columns(src, cols, "lsoas")
    pts = _rep_points(src)
    out = gdf.copy()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", HotspotsWarning)
        n = count_points(pts, gdf[[gdf.geometry.name]], name="n_lsoas")
        for col in cols:
            out[col] = count_points(pts, gdf[[gdf.geometry.name]], weight=col, name=col)[col]
    out["n_lsoas"] = n["n_lsoas"]
    for col in cols:
        if bool(np.allclose(out[col] % 1, 0)):
            out[col] = out[col].round().astype("int64")
    return record(
        out,
        method="area_population",
        parameters={"assignment": "LSOA representative point in area"},
        sources=["population"],
        inherit=gdf,
        n_lsoas_outside=int(n.attrs["hotspots"].get("n_outside", 0)),
    )


def _rep_points(lsoas: Any) -> Any:
    """Representative points of ``lsoas`` with their columns (a GeoDataFrame)."""
    import geopandas as gpd

    return gpd.GeoDataFrame(
        lsoas.drop(columns=lsoas.geometry.name),
        geometry=lsoas.geometry.representative_point(),
        crs=lsoas.crs,
    )
