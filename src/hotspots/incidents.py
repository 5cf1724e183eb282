"""Incident tables from a force's own systems (CSV, GeoPackage, GeoParquet) -> incidents.

The result is in EPSG:27700 when the points lie in Great Britain. Points elsewhere keep
the input's projected CRS; geographic input outside Great Britain is projected to its
local UTM zone (both say so in the load report notes). Extra columns (victim age ...)
are kept.

Row numbers in the load report and errors are file line numbers for CSV (header =
line 1) and 1-based feature numbers for GeoPackage and GeoParquet.
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ._errors import CRSError, DataError, HotspotsWarning
from ._policeuk import SourcedLoadReport, _keep_in_area, _to_float, _transformer
from ._provenance import record
from ._validate import (
    BNG,
    GB_LONLAT_BOUNDS,
    area_polygon,
    dense_extent,
    lonlat_problems,
    refuse_foreign_file,
)

if TYPE_CHECKING:
    import geopandas as gpd
    from pyproj import CRS
    from shapely.geometry.base import BaseGeometry

__all__ = ["parse_dates", "read_incidents"]


def _read_table(path: Path, x: str | None, y: str | None, layer: str | None) -> pd.DataFrame:
    import geopandas as gpd

    suffix = path.suffix.lower()
    if not path.is_file():
        raise DataError(f"{path}: file not found.")
    if path.stat().st_size == 0:
        raise DataError(f"{path}: the file is empty (0 bytes).")
    if suffix in {".csv", ".txt"}:
        refuse_foreign_file(path, "a CSV table")
        text_cols = {c: "str" for c in (x, y) if c}
        try:
            df = pd.read_csv(path, dtype=text_cols, encoding="utf-8-sig", keep_default_na=True)
        except UnicodeDecodeError as exc:
            data = path.read_bytes()
            line = data.count(b"\n", 0, exc.start) + 1
            raise DataError(
                f"{path}: line {line}: byte at offset {exc.start} is not valid UTF-8. "
                "Re-save the file as UTF-8."
            ) from exc
        except pd.errors.EmptyDataError as exc:
            raise DataError(f"{path}: the file is empty; expected a header line.") from exc
        return df
    if suffix == ".parquet":
        try:
            out: pd.DataFrame = gpd.read_parquet(path)
        except ValueError:
            try:
                out = pd.read_parquet(path)
            except Exception as exc:  # pyarrow raises its own types for corrupt files
                raise DataError(
                    f"{path}: could not be read as Parquet ({type(exc).__name__}: {exc})."
                ) from exc
        except Exception as exc:
            raise DataError(
                f"{path}: could not be read as Parquet ({type(exc).__name__}: {exc})."
            ) from exc
        return out
    refuse_foreign_file(path, "a GIS layer", allowed={"json", "sqlite", "zip"})
    try:
        layer_df: pd.DataFrame = gpd.read_file(path, layer=layer)
    except Exception as exc:
        raise DataError(f"{path}: could not be read as a vector layer ({exc}).") from exc
    return layer_df


_ISO_DATE = re.compile(r"^\s*\d{4}-\d{1,2}-\d{1,2}(?:$|[T\s])")
_NUMERIC_DATE = re.compile(r"^\s*(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{2}|\d{4})(?:$|[T\s,])")


def parse_dates(
    raw: pd.Series,
    *,
    date_format: str | None = None,
    name: str = "input",
    column: str = "date",
    rows: np.ndarray | None = None,
) -> pd.Series:
    """Parse a date column without guessing the order of day and month.

    ISO dates (``2018-04-03``, with or without a time) are year-month-day. Numeric dates
    such as ``03/04/2018`` are read day first when some value has a first field over 12
    (``13/04/2018``), month first when some value has a second field over 12, and refused
    when nothing in the column tells the two apart. Other text (``3 April 2018``) is
    parsed as written. Values that do not parse become ``NaT``.

    Parameters
    ----------
    raw : pandas.Series
        The date column as read.
    date_format : str, optional
        ``strftime`` format; when given it alone is used.
    name, column : str
        File and column, for messages.
    rows : numpy.ndarray, optional
        Row (line) numbers of ``raw``, for messages; positions + 1 when omitted.

    Raises
    ------
    DataError
        When numeric dates are ambiguous (every day and month 12 or less) or when some
        values are day-first and others month-first.

    Examples
    --------
    >>> parse_dates(pd.Series(["2018-04-03", "2018-04-13 10:00"])).dt.strftime("%Y-%m-%d").tolist()
    ['2018-04-03', '2018-04-13']
    >>> parse_dates(pd.Series(["03/04/2018", "13/04/2018"])).dt.month.tolist()
    [4, 4]
    >>> parse_dates(pd.Series(["03/04/2018"]), name="x.csv", column="when")
    Traceback (most recent call last):
    ...
    hotspots._errors.DataError: x.csv: column 'when': 1 date(s) such as '03/04/2018' (row 1) could be day/month or month/day and no value says which; pass date_format='%d/%m/%Y' (day first) or '%m/%d/%Y'.
    """
    if rows is None:
        rows = np.arange(len(raw), dtype=np.int64) + 1
    if date_format is not None:
        return pd.to_datetime(raw, format=date_format, errors="coerce")
    text = raw.astype("string").str.strip()
    out = pd.Series(pd.NaT, index=raw.index, dtype="datetime64[ns]")
    iso = text.str.match(_ISO_DATE).fillna(False).to_numpy(dtype=bool)
    if iso.any():
        out[iso] = pd.to_datetime(text[iso], format="ISO8601", errors="coerce")
    parts = text.str.extract(_NUMERIC_DATE)
    numeric = parts[0].notna().to_numpy() & ~iso
    first = pd.to_numeric(parts[0], errors="coerce").to_numpy()
    second = pd.to_numeric(parts[1], errors="coerce").to_numpy()
    day_first = numeric & (first > 12) & (second <= 12)
    month_first = numeric & (second > 12) & (first <= 12)
    if numeric.any():
        if day_first.any() and month_first.any():
            i, j = int(np.flatnonzero(day_first)[0]), int(np.flatnonzero(month_first)[0])
            raise DataError(
                f"{name}: column {column!r} mixes day-first dates ({text.iloc[i]!r}, row "
                f"{rows[i]}) and month-first dates ({text.iloc[j]!r}, row {rows[j]}); pass "
                "date_format= (e.g. '%d/%m/%Y') after making the column consistent."
            )
        ambiguous = numeric & (first <= 12) & (second <= 12) & (first != second)
        if not day_first.any() and not month_first.any() and ambiguous.any():
            i = int(np.flatnonzero(ambiguous)[0])
            raise DataError(
                f"{name}: column {column!r}: {int(ambiguous.sum())} date(s) such as "
                f"{text.iloc[i]!r} (row {rows[i]}) could be day/month or month/day and no "
                "value says which; pass date_format='%d/%m/%Y' (day first) or '%m/%d/%Y'."
            )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            out[numeric] = pd.to_datetime(
                text[numeric],
                dayfirst=not month_first.any(),
                format="mixed",
                errors="coerce",
            )
    rest = ~iso & ~numeric & text.notna().to_numpy()
    if rest.any():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            out[rest] = pd.to_datetime(text[rest], dayfirst=True, format="mixed", errors="coerce")
    return out


def _user_crs(crs: Any, name: str) -> Any:
    from pyproj import CRS
    from pyproj.exceptions import CRSError as ProjCRSError

    try:
        return CRS.from_user_input(crs)
    except (ProjCRSError, TypeError, ValueError) as exc:
        raise CRSError(
            f"{name}: crs={crs!r} is not a coordinate reference system pyproj knows; "
            "pass an EPSG code such as 27700 (British National Grid) or 4326 (lon/lat)."
        ) from exc


#: Reasons a row's coordinates are refused, in the order they are checked.
NULL_ISLAND = "null island (0, 0)"
DEGREES_AS_METRES = "degrees in a metre CRS"
METRES_AS_DEGREES = "metres in a degree CRS"
OUTSIDE_CRS = "outside CRS area"
SWAPPED = "x/y swapped"
OUTSIDE_GB = "outside Great Britain"


def _coordinate_problems(
    xs: np.ndarray, ys: np.ndarray, rows: np.ndarray, crs: Any, name: str, cols: tuple[str, str]
) -> dict[str, np.ndarray]:
    """Rows whose coordinates cannot be right for ``crs``, by reason.

    Raises when most rows share one problem (the columns or the CRS are wrong, not a few
    rows); otherwise each bad row is returned for the load report.
    """
    finite = np.isfinite(xs) & np.isfinite(ys)
    n = int(finite.sum())
    problems: dict[str, np.ndarray] = {}
    if n == 0:
        return problems
    null = finite & (xs == 0) & (ys == 0)
    problems[NULL_ISLAND] = null
    live = finite & ~null
    degree_like = live & (np.abs(xs) <= 180) & (np.abs(ys) <= 90)
    if crs.is_geographic:
        swapped, outside_gb = lonlat_problems(xs, ys)
        in_gb = live & ~swapped & ~outside_gb
        if int(swapped.sum()) > n / 2 and int(in_gb.sum()) < n / 2:
            i = int(np.flatnonzero(swapped)[0])
            raise DataError(
                f"{name}: the {cols[0]!r} (x, longitude) and {cols[1]!r} (y, latitude) "
                f"columns look swapped: {int(swapped.sum())} of {n} points fall in Great "
                f"Britain only with them exchanged (first at row {rows[i]}: "
                f"{cols[0]}={xs[i]}, {cols[1]}={ys[i]}). Pass x={cols[1]!r}, y={cols[0]!r}."
            )
        metres = live & ~degree_like
        if int(metres.sum()) > n / 2:
            i = int(np.flatnonzero(metres)[0])
            raise CRSError(
                f"{name}: row {rows[i]}, columns {cols[0]!r}/{cols[1]!r} = ({xs[i]}, {ys[i]}) "
                f"are not longitude/latitude degrees, but crs={crs.to_string()} is in "
                "degrees. Pass crs=27700 if they are British National Grid metres."
            )
        problems[METRES_AS_DEGREES] = metres
        return problems
    bounds = crs.area_of_use.bounds if crs.area_of_use is not None else None
    if bounds is None:
        return problems
    from pyproj import Transformer

    t = Transformer.from_crs("EPSG:4326", crs, always_xy=True)
    minx, miny, maxx, maxy = t.transform_bounds(*bounds)
    if (maxx - minx) > 10_000:  # degrees would be a few metres from the false origin
        if int(degree_like.sum()) > n / 2:
            i = int(np.flatnonzero(degree_like)[0])
            raise CRSError(
                f"{name}: row {rows[i]}, columns {cols[0]!r}/{cols[1]!r} = "
                f"({xs[i]}, {ys[i]}) look like longitude/latitude degrees, but "
                f"crs={crs.to_string()} is in metres. Pass crs='EPSG:4326' if they are "
                "degrees."
            )
        problems[DEGREES_AS_METRES] = degree_like
        live = live & ~degree_like
    pad = 0.05 * max(maxx - minx, maxy - miny)
    bad = live & ~(
        (xs >= minx - pad) & (xs <= maxx + pad) & (ys >= miny - pad) & (ys <= maxy + pad)
    )
    if int(bad.sum()) > n / 2:
        i = int(np.flatnonzero(bad)[0])
        raise DataError(
            f"{name}: {int(bad.sum())} of {n} points lie outside the valid area of "
            f"{crs.to_string()} (first at row {rows[i]}, columns {cols[0]!r}/{cols[1]!r} = "
            f"({xs[i]}, {ys[i]})). Check the CRS and the x/y columns."
        )
    problems[OUTSIDE_CRS] = np.asarray(bad, dtype=bool)
    return problems


def _swapped_rows(xs: np.ndarray, ys: np.ndarray, ok: np.ndarray, area_geom: Any) -> np.ndarray:
    """Rows (among ``ok``) outside the study area, or far from the other points, that
    land inside it with x and y exchanged: eastings and northings typed the wrong way."""
    import shapely

    out = np.zeros(len(xs), dtype=bool)
    if not ok.any():
        return out
    if area_geom is not None:
        shapely.prepare(area_geom)
        inside = shapely.intersects_xy(area_geom, xs, ys)
        inside_swapped = shapely.intersects_xy(area_geom, ys, xs)
    else:
        box = dense_extent(xs[ok], ys[ok])
        if box is None:
            return out
        x0, y0, x1, y1 = box
        inside = (xs >= x0) & (xs <= x1) & (ys >= y0) & (ys <= y1)
        inside_swapped = (ys >= x0) & (ys <= x1) & (xs >= y0) & (xs <= y1)
    out = np.asarray(ok & ~inside & inside_swapped, dtype=bool)
    return out


def read_incidents(
    path: str | Path,
    *,
    x: str | None = None,
    y: str | None = None,
    crs: CRS | int | str | None = None,
    id: str | None = None,
    layer: str | None = None,
    area: gpd.GeoDataFrame | gpd.GeoSeries | BaseGeometry | None = None,
    date: str | None = None,
    date_format: str | None = None,
) -> gpd.GeoDataFrame:
    """Read an incident table (CSV, GeoPackage, GeoParquet) into projected points.

    Parameters
    ----------
    path : str or Path
        ``.csv`` (with ``x``/``y`` columns), ``.gpkg`` (``layer=``), ``.parquet``
        (GeoParquet, or plain Parquet with ``x``/``y``) or another vector format.
    x, y : str, optional
        Coordinate columns (easting/longitude, northing/latitude). Not needed for tables
        with a geometry.
    crs : CRS-like, optional
        CRS of ``x``/``y`` (required for them), e.g. 4326 or 27700. For tables with a
        geometry it must agree with the file's CRS, or sets it when the file has none.
    id : str, optional
        Incident id column; repeats of a non-empty id are dropped ("duplicate id").
    layer : str, optional
        GeoPackage layer.
    area : GeoDataFrame, GeoSeries or shapely polygon, optional
        Keep points inside (others reported as "outside area").
    date : str, optional
        Offence date/time column, parsed into ``offence_datetime`` and ``month``
        (a monthly Period, as the police.uk readers give) by :func:`parse_dates`: ISO dates are year-month-day; ``03/04/2018``
        style dates are day first or month first as the column shows, and refused when
        nothing in it tells (pass ``date_format``). Values that do not parse become
        missing and are noted, not dropped.
    date_format : str, optional
        ``strftime`` format of ``date``, e.g. ``"%d/%m/%Y %H:%M"``.

    Returns
    -------
    geopandas.GeoDataFrame
        Every input column plus ``source_line`` and Point ``geometry``; the load report
        in ``attrs["load_report"]``. Rows whose coordinates cannot be right are dropped
        and reported by line: "no location", "unparseable coordinates", "null island
        (0, 0)", "degrees in a metre CRS" (longitude/latitude in easting/northing
        columns, which would land in the sea off Scilly), "metres in a degree CRS",
        "outside CRS area", "x/y swapped" (inside Great Britain, the study area or
        among the other points only with x and y exchanged), "outside Great Britain"
        (a few rows of a British table), "duplicate id" and "outside area".

    Raises
    ------
    DataError
        Empty input, missing columns, no usable coordinate, swapped columns, most points
        outside the CRS's valid area, ambiguous or mixed day/month order, a file that is
        something else (an HTML page, JSON, a corrupt Parquet file); the message names
        the file, row and column.
    CRSError
        Most coordinates in degrees while ``crs`` says metres (or the reverse), a
        ``crs`` pyproj does not know, or a CRS that contradicts the
        file's own.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "inc.csv"
    >>> _ = p.write_text("ref,east,north\\nA1,575000,168000\\nA2,,\\n")
    >>> gdf = read_incidents(p, x="east", y="north", crs=27700, id="ref")
    >>> len(gdf), gdf.attrs["load_report"].counts()
    (1, {'no location': 1})
    """
    import geopandas as gpd
    import shapely
    from pyproj import CRS

    path = Path(path)
    name = str(path)
    table = _read_table(path, x, y, layer)
    is_csv = path.suffix.lower() in {".csv", ".txt"}
    rows = np.arange(len(table), dtype=np.int64) + (2 if is_csv else 1)
    report = SourcedLoadReport(source=name, rows_read=len(table))
    if len(table) == 0:
        raise DataError(f"{name}: the table has no data rows (header/schema only).")
    has_geom = isinstance(table, gpd.GeoDataFrame) and x is None and y is None
    if has_geom:
        src_crs: Any = table.crs
        if crs is not None:
            given = _user_crs(crs, name)
            if src_crs is not None and not given.equals(src_crs):
                raise CRSError(
                    f"{name}: crs={given.to_string()} contradicts the file's own CRS "
                    f"{src_crs.to_string()}. Leave crs=None to use the file's."
                )
            src_crs = given
        if src_crs is None:
            raise CRSError(f"{name}: the layer has no CRS; pass crs=... (e.g. 27700).")
        geom = table.geometry
        nonpoint = ~(geom.isna() | geom.is_empty) & (geom.geom_type != "Point")
        if bool(nonpoint.any()):
            i = int(np.flatnonzero(nonpoint.to_numpy())[0])
            raise DataError(
                f"{name}: row {rows[i]}, column {geom.name!r} is a {geom.iloc[i].geom_type}; "
                "incidents must be points (use .representative_point() first)."
            )
        blank = (geom.isna() | geom.is_empty).to_numpy()
        arr = geom.to_numpy()
        xs = np.where(blank, np.nan, shapely.get_x(arr))
        ys = np.where(blank, np.nan, shapely.get_y(arr))
        cols = (str(geom.name), str(geom.name))
        frame = pd.DataFrame(table.drop(columns=geom.name))
    else:
        if x is None or y is None or crs is None:
            raise DataError(
                f"{name}: the table has no geometry; pass x=, y= (coordinate columns) "
                "and crs= (e.g. 4326 for longitude/latitude, 27700 for eastings/northings)."
            )
        missing = [c for c in (x, y, id, date) if c is not None and c not in table.columns]
        if missing:
            raise DataError(
                f"{name}: line 1 (header) is missing column(s) {missing}; found "
                f"{list(map(str, table.columns))}."
            )
        src_crs = _user_crs(crs, name)
        xs, bx = _to_float(table[x])
        ys, by = _to_float(table[y])
        blank = bx | by
        cols = (x, y)
        frame = pd.DataFrame(table.drop(columns=[x, y]))
    for c in (id, date):
        if c is not None and c not in frame.columns:
            raise DataError(f"{name}: column {c!r} not found; found {list(frame.columns)}.")
    unparseable = ~blank & ~(np.isfinite(xs) & np.isfinite(ys))
    if int((~blank).sum()) and int(unparseable.sum()) == int((~blank).sum()):
        i = int(np.flatnonzero(unparseable)[0])
        raise DataError(
            f"{name}: no coordinate could be read as a number (first at row {rows[i]}, "
            f"columns {cols[0]!r}/{cols[1]!r})."
        )
    report.drop_in(name, "no location", rows[blank])
    report.drop_in(name, "unparseable coordinates", rows[unparseable])
    problems = _coordinate_problems(xs, ys, rows, src_crs, name, cols)
    ok = ~blank & ~unparseable
    for reason, mask in problems.items():
        report.drop_in(name, reason, rows[mask & ok])
        ok &= ~mask
    if id is not None:
        ids = frame[id].astype("str").fillna("").str.strip()
        seen = ids.where(ok, "")  # a dropped row does not make a later one a repeat
        dup = (seen.duplicated() & (seen != "")).to_numpy() & ok
        report.drop_in(name, "duplicate id", rows[dup])
        ok &= ~dup
    lon, lat = _transformer(src_crs.to_string(), "EPSG:4326").transform(xs, ys)
    swapped_gb, outside_gb = lonlat_problems(lon, lat, GB_LONLAT_BOUNDS)
    in_gb = ok & ~swapped_gb & ~outside_gb
    target: Any
    if int(ok.sum()) == 0 or int(in_gb.sum()) >= 0.5 * int(ok.sum()):
        target = CRS.from_user_input(BNG)
        # a few rows outside Great Britain in a British table are typing mistakes
        for reason, mask in ((SWAPPED, swapped_gb & ok), (OUTSIDE_GB, outside_gb & ok)):
            report.drop_in(name, reason, rows[mask])
            ok &= ~mask
    elif src_crs.is_projected:
        target = src_crs
        report.notes.append(f"points are outside Great Britain; kept {src_crs.to_string()}")
    else:
        target = gpd.GeoSeries(shapely.points(lon[ok], lat[ok]), crs=4326).estimate_utm_crs()
        report.notes.append(f"points are outside Great Britain; projected to {target.name}")
    if src_crs.is_projected and CRS.from_user_input(target).equals(src_crs):
        geom_area = area_polygon(area, src_crs.to_string()) if area is not None else None
        swapped = _swapped_rows(xs, ys, ok, geom_area)
        report.drop_in(name, SWAPPED, rows[swapped])
        ok &= ~swapped
    frame, xs, ys, rows = frame.loc[ok], xs[ok], ys[ok], rows[ok]
    px, py = _transformer(src_crs.to_string(), target.to_string()).transform(xs, ys)
    frame = frame.reset_index(drop=True)
    if date is not None:
        when = parse_dates(frame[date], date_format=date_format, name=name, column=date, rows=rows)
        bad = when.isna() & frame[date].notna() & (frame[date].astype("str").str.strip() != "")
        if bool(bad.any()):
            report.notes.append(
                f"{int(bad.sum())} {date!r} value(s) could not be read as dates (rows "
                f"{rows[bad.to_numpy()][:10].tolist()}); offence_datetime is missing there"
            )
        frame["offence_datetime"] = when
        frame["month"] = when.dt.to_period("M")
    frame["source_line"] = rows
    gdf = gpd.GeoDataFrame(frame, geometry=shapely.points(px, py), crs=target)
    if area is not None:
        gdf["source_file"] = name
        gdf = _keep_in_area(gdf, area, report).drop(columns="source_file")
        gdf = gdf.reset_index(drop=True)
    gdf.attrs["load_report"] = report
    losses = {k: v for k, v in report.counts().items() if k != "outside area"}
    if losses or report.notes:
        warnings.warn(
            f"{name}: dropped {sum(losses.values()):,} of {report.rows_read:,} rows "
            f"({losses}){'; ' + '; '.join(report.notes) if report.notes else ''}.",
            HotspotsWarning,
            stacklevel=2,
        )
    record(
        gdf,
        method="incident table",
        parameters={"path": name, "x": x, "y": y, "crs": src_crs.to_string(), "id": id},
        sources=[],
    )
    return gdf
