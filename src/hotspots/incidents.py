"""Incident tables from a force's own systems (CSV, GeoPackage, GeoParquet) -> incidents.

The result is in EPSG:27700 when the points lie in Great Britain. Points elsewhere keep
the input's projected CRS; geographic input outside Great Britain is projected to its
local UTM zone (both say so in the load report notes). Extra columns (victim age ...)
are kept.

Row numbers in the load report and errors are file line numbers for CSV (header =
line 1) and 1-based feature numbers for GeoPackage and GeoParquet.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ._errors import CRSError, DataError, HotspotsWarning
from ._policeuk import SourcedLoadReport, _keep_in_area, _to_float, _transformer
from ._provenance import record
from ._validate import BNG, GB_LONLAT_BOUNDS, lonlat_problems

__all__ = ["read_incidents"]


def _read_table(path: Path, x: str | None, y: str | None, layer: str | None) -> pd.DataFrame:
    import geopandas as gpd

    suffix = path.suffix.lower()
    if not path.is_file():
        raise DataError(f"{path}: file not found.")
    if path.stat().st_size == 0:
        raise DataError(f"{path}: the file is empty (0 bytes).")
    if suffix in {".csv", ".txt"}:
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
            out = pd.read_parquet(path)
        return out
    try:
        layer_df: pd.DataFrame = gpd.read_file(path, layer=layer)
    except Exception as exc:
        raise DataError(f"{path}: could not be read as a vector layer ({exc}).") from exc
    return layer_df


def _coordinate_range_check(
    xs: np.ndarray, ys: np.ndarray, rows: np.ndarray, crs: Any, name: str, cols: tuple[str, str]
) -> np.ndarray:
    """Mask of rows inside the CRS's area of use; raise when most are outside."""
    finite = np.isfinite(xs) & np.isfinite(ys)
    n = int(finite.sum())
    if n == 0:
        return np.asarray(finite, dtype=bool)
    if crs.is_geographic:
        swapped, outside_gb = lonlat_problems(xs, ys)
        in_gb = finite & ~swapped & ~outside_gb
        if int(swapped.sum()) > n / 2 and int(in_gb.sum()) < n / 2:
            i = int(np.flatnonzero(swapped)[0])
            raise DataError(
                f"{name}: the {cols[0]!r} (x, longitude) and {cols[1]!r} (y, latitude) "
                f"columns look swapped: {int(swapped.sum())} of {n} points fall in Great "
                f"Britain only with them exchanged (first at row {rows[i]}: "
                f"{cols[0]}={xs[i]}, {cols[1]}={ys[i]}). Pass x={cols[1]!r}, y={cols[0]!r}."
            )
        bad = finite & ((np.abs(xs) > 180) | (np.abs(ys) > 90))
    else:
        bounds = crs.area_of_use.bounds if crs.area_of_use is not None else None
        if bounds is None:
            return np.asarray(finite, dtype=bool)
        from pyproj import Transformer

        t = Transformer.from_crs("EPSG:4326", crs, always_xy=True)
        minx, miny, maxx, maxy = t.transform_bounds(*bounds)
        pad = 0.05 * max(maxx - minx, maxy - miny)
        bad = finite & ~(
            (xs >= minx - pad) & (xs <= maxx + pad) & (ys >= miny - pad) & (ys <= maxy + pad)
        )
        degrees = finite & (np.abs(xs) <= 180) & (np.abs(ys) <= 90)
        if int(degrees.sum()) > n / 2 and (maxx - minx) > 10_000:
            i = int(np.flatnonzero(degrees)[0])
            raise CRSError(
                f"{name}: row {rows[i]}, columns {cols[0]!r}/{cols[1]!r} = "
                f"({xs[i]}, {ys[i]}) look like longitude/latitude degrees, but "
                f"crs={crs.to_string()} is in metres. Pass crs='EPSG:4326' if they are "
                "degrees."
            )
    bad = np.asarray(bad, dtype=bool)
    if int(bad.sum()) > n / 2:
        i = int(np.flatnonzero(bad)[0])
        raise DataError(
            f"{name}: {int(bad.sum())} of {n} points lie outside the valid area of "
            f"{crs.to_string()} (first at row {rows[i]}, columns {cols[0]!r}/{cols[1]!r} = "
            f"({xs[i]}, {ys[i]})). Check the CRS and the x/y columns."
        )
    usable: np.ndarray = finite & ~bad
    return usable


def read_incidents(
    path: str | Path,
    *,
    x: str | None = None,
    y: str | None = None,
    crs: Any = None,
    id: str | None = None,
    layer: str | None = None,
    area: Any = None,
    date: str | None = None,
    date_format: str | None = None,
) -> Any:
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
        Offence date/time column, parsed into ``offence_datetime`` (day first, as in UK
        exports, unless ``date_format`` is given) and ``month`` ("YYYY-MM"). Values that
        do not parse become missing and are noted, not dropped.
    date_format : str, optional
        ``strftime`` format of ``date``, e.g. ``"%d/%m/%Y %H:%M"``.

    Returns
    -------
    geopandas.GeoDataFrame
        Every input column plus ``source_line`` and Point ``geometry``; the load report
        in ``attrs["load_report"]``.

    Raises
    ------
    DataError
        Empty input, missing columns, no usable coordinate, swapped columns, most points
        outside the CRS's valid area; the message names the file, row and column.
    CRSError
        Coordinates in degrees while ``crs`` says metres, or a CRS that contradicts the
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
            given = CRS.from_user_input(crs)
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
        src_crs = CRS.from_user_input(crs)
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
    ok = _coordinate_range_check(xs, ys, rows, src_crs, name, cols)
    report.drop_in(name, "outside CRS area", rows[~blank & ~unparseable & ~ok])
    if id is not None:
        ids = frame[id].astype("str").fillna("").str.strip()
        dup = (ids.duplicated() & (ids != "")).to_numpy() & ok
        report.drop_in(name, "duplicate id", rows[dup])
        ok &= ~dup
    frame, xs, ys, rows = frame.loc[ok], xs[ok], ys[ok], rows[ok]
    lon, lat = _transformer(src_crs.to_string(), "EPSG:4326").transform(xs, ys)
    swapped_gb, outside_gb = lonlat_problems(lon, lat, GB_LONLAT_BOUNDS)
    in_gb = ~swapped_gb & ~outside_gb
    target: Any
    if len(xs) == 0 or in_gb.mean() >= 0.5:
        target = CRS.from_user_input(BNG)
    elif src_crs.is_projected:
        target = src_crs
        report.notes.append(f"points are outside Great Britain; kept {src_crs.to_string()}")
    else:
        target = gpd.GeoSeries(shapely.points(lon, lat), crs=4326).estimate_utm_crs()
        report.notes.append(f"points are outside Great Britain; projected to {target.name}")
    px, py = _transformer(src_crs.to_string(), target.to_string()).transform(xs, ys)
    frame = frame.reset_index(drop=True)
    if date is not None:
        raw = frame[date]
        if date_format is not None:
            when = pd.to_datetime(raw, format=date_format, errors="coerce")
        else:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)
                when = pd.to_datetime(raw, dayfirst=True, format="mixed", errors="coerce")
        bad = when.isna() & raw.notna() & (raw.astype("str").str.strip() != "")
        if bool(bad.any()):
            report.notes.append(
                f"{int(bad.sum())} {date!r} value(s) could not be read as dates (rows "
                f"{rows[bad.to_numpy()][:10].tolist()}); offence_datetime is missing there"
            )
        frame["offence_datetime"] = when
        frame["month"] = when.dt.strftime("%Y-%m")
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
