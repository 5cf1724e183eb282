"""data.police.uk street-level crime: the bulk "street" CSVs -> incidents.

The street-level API (JSON files and the live service) is read by
:mod:`hotspots.police_api` into the same schema. Every loader returns Point incidents in EPSG:27700 with the shared incident columns
(``crime_id``, ``month``, ``reported_by``, ``falls_within``, ``location``, ``lsoa_code``,
``lsoa_name``, ``crime_type``, ``outcome``, ``context``) plus ``source_file`` and
``source_line`` (where each row came from), and attaches a :class:`~hotspots.LoadReport`
in ``gdf.attrs["load_report"]`` that accounts for every row read.

Text is decoded as UTF-8 (a byte-order mark is accepted). Bytes that are not UTF-8 raise
:class:`~hotspots.DataError` naming the file, line and byte offset: the loader never guesses
another encoding; pass ``encoding="cp1252"`` when you know the file is Windows-1252.

Line numbers count the header as line 1 and assume one record per line, which holds for
the published files (they contain no quoted line breaks).

Rows without coordinates ("no location") are normal in the published files: they are
reported but do not raise a warning. Unparseable, swapped or out-of-Britain coordinates
and repeated crime ids are dropped with a :class:`~hotspots.HotspotsWarning`; when *no*
row of a file is usable (or most rows look swapped) a :class:`~hotspots.DataError` is
raised instead.

Speed: files are parsed by pyarrow (multi-threaded) with repeated text dictionary-encoded
(it arrives as pandas categoricals, see :data:`CATEGORY_COLUMNS`), all files are joined in
Arrow before conversion, and the projection is one vectorised pyproj call. The parsing
core that the other police loaders share lives in ``hotspots._policeuk``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ._policeuk import (
    API_CATEGORIES,
    BULK_COLUMNS,
    CATEGORY_COLUMNS,
    CRIME_TYPES,
    INCIDENT_COLUMNS,
    SourcedLoadReport,
    _check_crime_types,
    _finish,
    _keep_in_area,
    _normalise_months,
    _parse,
    _read_tables,
    _Rows,
    _sources,
)
from ._report import LoadReport

if TYPE_CHECKING:
    from pathlib import Path

    import geopandas as gpd
    from shapely.geometry.base import BaseGeometry

    from ._months import MonthLike

__all__ = [
    "API_CATEGORIES",
    "BULK_COLUMNS",
    "CATEGORY_COLUMNS",
    "CRIME_TYPES",
    "INCIDENT_COLUMNS",
    "SourcedLoadReport",
    "drop_duplicate_ids",
    "parse_police_frame",
    "read_police_csv",
]


def parse_police_frame(
    df: pd.DataFrame, *, source: str, first_line: int = 2
) -> tuple[gpd.GeoDataFrame, SourcedLoadReport]:
    """Turn raw bulk street-CSV columns into incidents, reporting every dropped row.

    A pure per-frame step (no file access, no cross-frame duplicate check), so a
    distributed reader can call it on each partition and merge the reports.

    Parameters
    ----------
    df : pandas.DataFrame
        The bulk columns (:data:`BULK_COLUMNS` keys) as read by pandas, as text; numeric
        coordinate columns are accepted too. Further columns are passed through.
    source : str
        File name used in the report and in the ``source_file`` column.
    first_line : int, default 2
        File line number of the first row of ``df`` (the header is line 1).

    Returns
    -------
    gdf : geopandas.GeoDataFrame
        Points in EPSG:27700, text columns as strings (empty, not missing, when blank).
    report : SourcedLoadReport

    Raises
    ------
    DataError
        Missing columns; no readable coordinate; longitude/latitude swapped in most rows;
        every point outside Great Britain.

    Examples
    --------
    >>> import pandas as pd
    >>> row = dict.fromkeys(BULK_COLUMNS, "")
    >>> row.update({"Month": "2019-01", "Longitude": "0.52", "Latitude": "51.38"})
    >>> gdf, rep = parse_police_frame(pd.DataFrame([row, {**row, "Longitude": ""}]), source="x")
    >>> len(gdf), rep.counts()
    (1, {'no location': 1})
    """
    lines = np.arange(first_line, first_line + len(df), dtype=np.int64)
    return _parse(df, _Rows([source], np.zeros(len(df), dtype=np.intp), lines))


def drop_duplicate_ids(gdf: gpd.GeoDataFrame, report: LoadReport) -> gpd.GeoDataFrame:
    """Drop rows whose non-empty ``crime_id`` repeats an earlier row.

    Blank ids (anti-social behaviour, British Transport Police) are never duplicates.
    The dropped rows are added to ``report`` (in place) under ``"duplicate crime id"``
    using the ``source_file``/``source_line`` columns; the first occurrence is kept.

    Returns
    -------
    geopandas.GeoDataFrame
        ``gdf`` without the repeats (the input is not modified).
    """
    ids = gdf["crime_id"].astype("str")
    dup = (ids.duplicated(keep="first") & (ids != "")).to_numpy(dtype=bool)
    if not dup.any():
        return gdf
    files = gdf["source_file"].to_numpy()[dup]
    lines = gdf["source_line"].to_numpy()[dup]
    for f in dict.fromkeys(files):
        sel = lines[files == f]
        if isinstance(report, SourcedLoadReport):
            report.drop_in(str(f), "duplicate crime id", sel)
        else:
            report.drop("duplicate crime id", sel)
    return gdf.loc[~dup]


def read_police_csv(
    source: Path | str | Sequence[Path | str],
    *,
    crime_types: Sequence[str] | None = None,
    months: Iterable[MonthLike] | None = None,
    area: gpd.GeoDataFrame | gpd.GeoSeries | BaseGeometry | None = None,
    encoding: str = "utf-8",
) -> gpd.GeoDataFrame:
    """Read data.police.uk bulk "street" CSVs into incidents in EPSG:27700.

    Parameters
    ----------
    source : path, list of paths, folder or zip archive
        One ``*-street.csv`` (or ``*-street.csv.gz``); several; a folder in the
        download's ``YYYY-MM/YYYY-MM-<force>-street.csv`` layout or of gzipped months
        (searched recursively); or the downloaded zip (members read without extracting).
    crime_types : list of str, optional
        Keep these bulk crime types (:data:`CRIME_TYPES`); unknown names raise.
    months : list of "YYYY-MM" or dates, optional
        Keep these months.
    area : GeoDataFrame, GeoSeries or shapely polygon, optional
        Keep points inside (any CRS; a bare shapely geometry in degrees is read as
        WGS84, otherwise as EPSG:27700).
    encoding : str, default "utf-8"
        Text encoding; a UTF-8 byte-order mark is accepted. No other encoding is guessed.

    Returns
    -------
    geopandas.GeoDataFrame
        The incident columns (repeated text as categoricals, ``month`` as a monthly
        ``period[M]``, so ``gdf[gdf.month >= "2025-01"]`` filters and sorts by time),
        ``source_file``, ``source_line`` and Point ``geometry``. The load report counts
        every row: "bad month" (not ``YYYY-MM``), "no location", "unparseable
        coordinates", "swapped longitude/latitude", "outside Great Britain", "duplicate
        crime id", "outside area", "filtered: month" and "filtered: crime type"; it lists
        ``months_present`` and ``months_missing`` (gaps inside the range, also in
        ``gdf.attrs["months"]``) and ``unknown_crime_types`` (kept, with a warning).

    Raises
    ------
    DataError
        Empty file, no row with a ``YYYY-MM`` month, missing columns, the same month
        both plain and gzipped in a folder, bytes that are not ``encoding``, longitude and
        latitude swapped in most rows, or no usable coordinate; the message names the
        file, line and column.

    Examples
    --------
    >>> from hotspots import config
    >>> path = config.data_path("crime/kent_street_2019-01_format_sample.csv")
    >>> gdf = read_police_csv(path)
    >>> len(gdf), gdf.crs.to_epsg(), gdf.loc[0, "location"]
    (30, 27700, 'On or near Branch Road')
    """
    wanted = _check_crime_types(crime_types) if crime_types is not None else None
    month_list = _normalise_months(months) if months is not None else None
    files = _sources(source)
    names = [n for n, _ in files]
    raw, rows = _read_tables(files, encoding)
    gdf, report = _parse(raw, rows, months=month_list, crime_types=wanted)
    del raw
    gdf = drop_duplicate_ids(gdf, report)
    if area is not None:
        gdf = _keep_in_area(gdf, area, report)
    parameters = {
        "source": names if len(names) > 1 else names[0],
        "crime_types": wanted,
        "months": month_list,
        "area": area is not None,
    }
    return _finish(gdf, report, method="data.police.uk street CSV", parameters=parameters)
