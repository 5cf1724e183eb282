"""Input checks shared by every module.

Each helper raises a :mod:`hotspots` error whose message says what is wrong and what to
do about it. None of them mutates its input.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from ._errors import CRSError, DataError

__all__ = [
    "BNG",
    "GB_BNG_BOUNDS",
    "GB_LONLAT_BOUNDS",
    "area_polygon",
    "dense_extent",
    "lonlat_problems",
    "refuse_foreign_file",
    "require_columns",
    "require_geodataframe",
    "require_nonempty",
    "require_numeric",
    "require_points",
    "require_projected",
    "require_same_crs",
    "snake_case",
    "sniff_format",
]

#: British National Grid, the projected CRS used for Great Britain.
BNG = "EPSG:27700"
#: (min lon, min lat, max lon, max lat) enclosing Great Britain, Northern Ireland and islands.
GB_LONLAT_BOUNDS = (-11.0, 49.0, 2.5, 61.5)
#: (min x, min y, max x, max y) of the British National Grid's valid area, in metres.
GB_BNG_BOUNDS = (-105_000.0, -20_000.0, 700_000.0, 1_250_000.0)


def require_geodataframe(obj: Any, name: str = "input") -> Any:
    """Return ``obj`` if it is a GeoDataFrame (or GeoSeries), else raise ``DataError``."""
    import geopandas as gpd

    if isinstance(obj, gpd.GeoSeries):
        return obj.to_frame(name="geometry")
    if not isinstance(obj, gpd.GeoDataFrame):
        raise DataError(
            f"{name} must be a geopandas GeoDataFrame, got {type(obj).__name__}. "
            "Build one with geopandas.GeoDataFrame(df, geometry=..., crs=...)."
        )
    return obj


def require_nonempty(df: pd.DataFrame, name: str = "input") -> None:
    """Raise ``DataError`` when ``df`` has no rows."""
    if len(df) == 0:
        raise DataError(f"{name} is empty (0 rows); there is nothing to analyse.")


def require_columns(df: pd.DataFrame, columns: Iterable[str], name: str = "input") -> None:
    """Raise ``DataError`` listing every column of ``columns`` missing from ``df``."""
    missing = [c for c in columns if c not in df.columns]
    if missing:
        have = ", ".join(map(str, df.columns[:20]))
        raise DataError(f"{name} is missing column(s) {missing}; it has: {have}.")


def require_projected(gdf: Any, name: str = "input") -> None:
    """Raise ``CRSError`` unless ``gdf`` has a projected CRS whose unit is the metre."""
    crs = getattr(gdf, "crs", None)
    if crs is None:
        raise CRSError(
            f"{name} has no coordinate reference system. Set it with "
            "`gdf.set_crs(...)` (e.g. EPSG:4326 for longitude/latitude, "
            "EPSG:27700 for British National Grid)."
        )
    if crs.is_geographic:
        raise CRSError(
            f"{name} is in a geographic CRS ({crs.to_string()}), in degrees, but this "
            "needs metres. Reproject first, e.g. `gdf.to_crs(27700)` for Great Britain "
            "or `gdf.to_crs(gdf.estimate_utm_crs())` elsewhere."
        )
    units = {ax.unit_name for ax in crs.axis_info}
    if units and not units <= {"metre", "meter", "m"}:
        raise CRSError(
            f"{name} is in {crs.to_string()} whose unit is {sorted(units)}, not metres. "
            "Reproject to a metric CRS such as EPSG:27700."
        )


def require_same_crs(a: Any, b: Any, names: tuple[str, str] = ("first", "second")) -> None:
    """Raise ``CRSError`` when two layers do not share one CRS."""
    if a.crs is None or b.crs is None or not a.crs.equals(b.crs):
        sa = a.crs.to_string() if a.crs is not None else "none"
        sb = b.crs.to_string() if b.crs is not None else "none"
        raise CRSError(
            f"{names[0]} ({sa}) and {names[1]} ({sb}) are in different coordinate "
            f"reference systems. Reproject one, e.g. `{names[1]}.to_crs({names[0]}.crs)`."
        )


def require_points(gdf: Any, name: str = "input") -> None:
    """Raise ``DataError`` unless every geometry is a non-empty Point."""
    geom = gdf.geometry
    bad = geom.isna() | geom.is_empty
    if bool(bad.any()):
        rows = list(gdf.index[bad.to_numpy()][:10])
        raise DataError(f"{name} has {int(bad.sum())} missing or empty geometries (index {rows}).")
    types = set(geom.geom_type.unique())
    if types != {"Point"}:
        raise DataError(
            f"{name} must hold Point geometries, found {sorted(types)}. "
            "Use `.representative_point()` or `.centroid` for polygons."
        )


def require_numeric(df: pd.DataFrame, column: str, name: str = "input") -> np.ndarray:
    """Return ``df[column]`` as float64, raising ``DataError`` on missing, text or NaN.

    The message names up to ten offending index labels.
    """
    require_columns(df, [column], name)
    values = pd.to_numeric(df[column], errors="coerce")
    bad = values.isna() | ~np.isfinite(values.to_numpy(dtype=float, na_value=np.nan))
    if bool(bad.any()):
        rows = list(df.index[bad.to_numpy()][:10])
        raise DataError(
            f"{name} column {column!r} has {int(bad.sum())} missing or non-numeric values "
            f"(index {rows}). Fill or drop them first; a missing count is not a zero."
        )
    return values.to_numpy(dtype=float)


def lonlat_problems(
    lon: Sequence[float] | np.ndarray,
    lat: Sequence[float] | np.ndarray,
    bounds: tuple[float, float, float, float] = GB_LONLAT_BOUNDS,
) -> tuple[np.ndarray, np.ndarray]:
    """Classify longitude/latitude pairs.

    Returns
    -------
    swapped : numpy.ndarray of bool
        Pairs outside ``bounds`` that would fall inside if longitude and latitude were
        exchanged (a common export mistake).
    outside : numpy.ndarray of bool
        Pairs outside ``bounds`` (or outside the globe) that swapping does not explain.
    """
    x = np.asarray(lon, dtype=float)
    y = np.asarray(lat, dtype=float)
    minx, miny, maxx, maxy = bounds
    inside = (x >= minx) & (x <= maxx) & (y >= miny) & (y <= maxy)
    inside_swapped = (y >= minx) & (y <= maxx) & (x >= miny) & (x <= maxy)
    finite = np.isfinite(x) & np.isfinite(y)
    swapped = finite & ~inside & inside_swapped
    outside = finite & ~inside & ~inside_swapped
    return swapped, outside


def dense_extent(
    x: np.ndarray, y: np.ndarray, *, pad: float = 1.0, min_pad: float = 5_000.0
) -> tuple[float, float, float, float] | None:
    """Box around where most points are: the 5th to 95th percentile, widened on each side
    by ``pad`` times its span (at least ``min_pad`` metres).

    A point outside it is far from all but a handful of the others (a stray or mistyped
    coordinate). Returns None for fewer than 20 finite points, too few to tell.

    Examples
    --------
    >>> x = np.r_[np.linspace(575_000, 580_000, 99), 200_000.0]
    >>> y = np.r_[np.linspace(165_000, 170_000, 99), 900_000.0]
    >>> x0, y0, x1, y1 = dense_extent(x, y)
    >>> bool(x0 < 575_000 and x1 > 580_000 and x0 > 200_000 and y1 < 900_000)
    True
    """
    finite = np.isfinite(x) & np.isfinite(y)
    if int(finite.sum()) < 20:
        return None
    x0, x1 = np.percentile(x[finite], [5, 95])
    y0, y1 = np.percentile(y[finite], [5, 95])
    px = max(pad * (x1 - x0), min_pad)
    py = max(pad * (y1 - y0), min_pad)
    return (float(x0 - px), float(y0 - py), float(x1 + px), float(y1 + py))


#: Leading bytes of formats users hand to the wrong reader.
_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"PK\x03\x04", "zip"),
    (b"PAR1", "parquet"),
    (b"\x1f\x8b", "gzip"),
    (b"SQLite format 3\x00", "sqlite"),
    (b"%PDF", "pdf"),
    (b"ARROW1", "feather"),
)
_FORMAT_NAMES = {
    "html": "an HTML web page (a download that saved a login or error page?)",
    "json": "JSON (for data.police.uk API JSON use read_police_api)",
    "zip": "a zip archive or an Excel workbook",
    "parquet": "a Parquet file",
    "gzip": "a gzip-compressed file",
    "sqlite": "a GeoPackage/SQLite database",
    "pdf": "a PDF document",
    "feather": "a Feather/Arrow file",
}


def sniff_format(head: bytes) -> str | None:
    """Name the format of a file from its first bytes, or None for plain text/unknown.

    Returns one of ``"html"``, ``"json"``, ``"zip"``, ``"parquet"``, ``"gzip"``,
    ``"sqlite"``, ``"pdf"``, ``"feather"``.

    Examples
    --------
    >>> sniff_format(b"  <!DOCTYPE html><html>"), sniff_format(b'[{"category": "drugs"}]')
    ('html', 'json')
    >>> sniff_format(b"Crime ID,Month\\n") is None
    True
    """
    for magic, kind in _SIGNATURES:
        if head.startswith(magic):
            return kind
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if text.startswith((b"<!doctype html", b"<html", b"<head", b"<body")):
        return "html"
    if text[:1] in {b"[", b"{"}:
        return "json"
    return None


def refuse_foreign_file(path: Any, expected: str, *, allowed: Iterable[str] = ()) -> None:
    """Raise ``DataError`` when ``path``'s first bytes show another format than ``expected``.

    ``allowed`` lists :func:`sniff_format` names that are fine for this reader.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "crimes.csv"
    >>> _ = p.write_text("<html><body>Sign in</body></html>")
    >>> refuse_foreign_file(p, "a CSV table")
    Traceback (most recent call last):
    ...
    hotspots._errors.DataError: ...crimes.csv: this is an HTML web page (a download that saved a login or error page?), not a CSV table.
    """
    from pathlib import Path

    try:
        with Path(path).open("rb") as fh:
            head = fh.read(512)
    except OSError:
        return
    kind = sniff_format(head)
    if kind is not None and kind not in set(allowed):
        raise DataError(f"{path}: this is {_FORMAT_NAMES[kind]}, not {expected}.")


def snake_case(name: object) -> str:
    """Column header or category as a ``snake_case`` identifier ("" when nothing is left).

    Examples
    --------
    >>> snake_case(" Target age (min) "), snake_case("Violence and sexual offences")
    ('target_age_min', 'violence_and_sexual_offences')
    """
    return re.sub(r"[^0-9a-z]+", "_", str(name).strip().lower()).strip("_")


def area_polygon(area: Any, crs: str = BNG) -> Any:
    """Union of ``area`` (GeoDataFrame, GeoSeries or shapely geometry) in ``crs``.

    A bare shapely geometry whose coordinates fit longitude/latitude is taken as WGS84.
    Raises :class:`DataError` for a layer without CRS, another type, or no polygon.
    """
    import geopandas as gpd
    import shapely

    if isinstance(area, (gpd.GeoDataFrame, gpd.GeoSeries)):
        if area.crs is None:
            raise DataError("area has no CRS; set it with area.set_crs(...) first.")
        geom = shapely.union_all(area.to_crs(crs).geometry.to_numpy())
    elif isinstance(area, shapely.Geometry):
        geom = area
        minx, miny, maxx, maxy = geom.bounds
        if max(abs(minx), abs(maxx)) <= 180 and max(abs(miny), abs(maxy)) <= 90:
            geom = gpd.GeoSeries([geom], crs="EPSG:4326").to_crs(crs).iloc[0]
    else:
        raise DataError(
            f"area must be a GeoDataFrame, GeoSeries or shapely geometry, got "
            f"{type(area).__name__}."
        )
    if geom.geom_type == "GeometryCollection":  # unions can leave stray lines
        polys = [p for p in shapely.get_parts(geom) if p.geom_type in {"Polygon", "MultiPolygon"}]
        geom = shapely.union_all(polys) if polys else geom
    if geom.is_empty or geom.geom_type not in {"Polygon", "MultiPolygon"}:
        raise DataError(f"area must be a (multi)polygon, got {geom.geom_type}.")
    return geom
