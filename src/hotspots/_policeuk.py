"""The data.police.uk parsing core shared by the police loaders.

:mod:`hotspots.police` (bulk CSVs), :mod:`hotspots.police_api` (API JSON and the live
service), :mod:`hotspots.incidents` (other exports) and :mod:`hotspots.national` (Dask)
all turn raw rows into the same incident schema here: the column vocabularies, the load
report that names each file's dropped lines, coordinate and month checks, the Arrow CSV
reader, the area filter and the finishing step (categoricals, gaps, provenance).
"""

from __future__ import annotations

import gzip
import warnings
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ._errors import DataError, HotspotsWarning
from ._months import describe_runs, month_gaps, parse_month_column, parse_months
from ._provenance import record
from ._report import LoadReport
from ._validate import BNG, area_polygon, lonlat_problems, refuse_foreign_file

__all__ = [
    "API_CATEGORIES",
    "BULK_COLUMNS",
    "CATEGORY_COLUMNS",
    "CRIME_TYPES",
    "INCIDENT_COLUMNS",
    "SourcedLoadReport",
]

#: Bulk "street" CSV header -> incident column name, in the published order.
BULK_COLUMNS: dict[str, str] = {
    "Crime ID": "crime_id",
    "Month": "month",
    "Reported by": "reported_by",
    "Falls within": "falls_within",
    "Longitude": "longitude",
    "Latitude": "latitude",
    "Location": "location",
    "LSOA code": "lsoa_code",
    "LSOA name": "lsoa_name",
    "Crime type": "crime_type",
    "Last outcome category": "outcome",
    "Context": "context",
}
#: The incident columns every police loader returns (before ``geometry``).
INCIDENT_COLUMNS: tuple[str, ...] = tuple(
    v for v in BULK_COLUMNS.values() if v not in {"longitude", "latitude"}
)
#: Columns with few distinct values, stored as pandas categoricals by :func:`read_police_csv`
#: (``month`` is a monthly ``period[M]`` column instead: it orders, filters and sorts).
CATEGORY_COLUMNS: tuple[str, ...] = (
    "reported_by",
    "falls_within",
    "location",
    "lsoa_code",
    "lsoa_name",
    "crime_type",
    "outcome",
    "context",
)
#: Street-level API category slugs -> bulk CSV crime type names.
API_CATEGORIES: dict[str, str] = {
    "anti-social-behaviour": "Anti-social behaviour",
    "bicycle-theft": "Bicycle theft",
    "burglary": "Burglary",
    "criminal-damage-arson": "Criminal damage and arson",
    "drugs": "Drugs",
    "other-theft": "Other theft",
    "possession-of-weapons": "Possession of weapons",
    "public-order": "Public order",
    "robbery": "Robbery",
    "shoplifting": "Shoplifting",
    "theft-from-the-person": "Theft from the person",
    "vehicle-crime": "Vehicle crime",
    "violent-crime": "Violence and sexual offences",
    "other-crime": "Other crime",
    # used for months before May 2013
    "public-disorder-weapons": "Public disorder and weapons",
}
#: Crime type names used in the bulk files (the last one only before May 2013).
CRIME_TYPES: tuple[str, ...] = tuple(API_CATEGORIES.values())

_FILTER_REASONS = ("filtered: month", "filtered: crime type")


@dataclass
class SourcedLoadReport(LoadReport):
    """A :class:`~hotspots.LoadReport` that also knows which file each dropped row is in.

    ``dropped`` holds line numbers per reason (as in every load report); ``files`` holds
    the same lines per file and reason, so rows of several files can be told apart.
    ``months_present`` lists the months read (``YYYY-MM``) and ``months_missing`` the
    months between the first and last that no file holds: a gap is not a month of zero
    crime. ``unknown_crime_types`` counts kept rows whose crime type is not one of
    :data:`CRIME_TYPES`.

    Examples
    --------
    >>> r = SourcedLoadReport("a.csv", rows_read=4)
    >>> r.drop_in("a.csv", "no location", [3])
    >>> r.where("no location")
    [('a.csv', 3)]
    """

    files: dict[str, dict[str, list[int]]] = field(default_factory=dict)
    months_present: list[str] = field(default_factory=list)
    months_missing: list[str] = field(default_factory=list)
    unknown_crime_types: dict[str, int] = field(default_factory=dict)

    def drop_in(self, source: str, reason: str, rows: Iterable[int]) -> None:
        """Record ``rows`` (line numbers of ``source``) as dropped for ``reason``."""
        rows = [int(r) for r in rows]
        if rows:
            self.drop(reason, rows)
            self.files.setdefault(source, {}).setdefault(reason, []).extend(rows)

    def where(self, reason: str) -> list[tuple[str, int]]:
        """The ``(file, line)`` pairs dropped for ``reason``."""
        return [(f, n) for f, d in self.files.items() for n in d.get(reason, [])]

    def absorb(self, other: LoadReport) -> None:
        """Add ``other`` (a report of one more file) into this report in place."""
        self.rows_read += other.rows_read
        self.notes.extend(other.notes)
        files = other.files if isinstance(other, SourcedLoadReport) else {}
        for reason, rows in other.dropped.items():
            self.drop(reason, rows)
        for source, d in files.items():
            for reason, rows in d.items():
                self.files.setdefault(source, {}).setdefault(reason, []).extend(rows)
        if isinstance(other, SourcedLoadReport):
            self.set_months([*self.months_present, *other.months_present])
            for name, n in other.unknown_crime_types.items():
                self.unknown_crime_types[name] = self.unknown_crime_types.get(name, 0) + n

    def set_months(self, months: Iterable[Any]) -> None:
        """Set :attr:`months_present` and derive :attr:`months_missing` (inside the range)."""
        self.months_present, self.months_missing = month_gaps(months)

    def summary(self) -> str:
        """One paragraph; row references are ``file:line`` when several files were read."""
        if not self.files or list(self.files) == [self.source]:
            return super().summary()
        parts = [f"{self.source}: read {self.rows_read:,}, kept {self.rows_kept:,}"]
        for reason, rows in self.dropped.items():
            refs = self.where(reason)[:10]
            shown = ", ".join(f"{Path(f).name}:{n}" for f, n in refs)
            more = " ..." if len(rows) > 10 else ""
            parts.append(f"dropped {len(rows):,} ({reason}; rows {shown}{more})")
        parts.extend(self.notes)
        return "; ".join(parts)


@lru_cache(maxsize=8)
def _transformer(src: str, dst: str) -> Any:
    from pyproj import Transformer

    return Transformer.from_crs(src, dst, always_xy=True)


def _to_float(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Return (float values, blank mask) of a raw coordinate column."""
    if pd.api.types.is_numeric_dtype(values.dtype):
        arr = values.to_numpy(dtype=float, na_value=np.nan)
        return arr, np.isnan(arr)
    text = values.astype("str").str.strip()
    blank = (text.isna() | (text == "")).to_numpy(dtype=bool, na_value=True)
    num = pd.to_numeric(text.where(~blank), errors="coerce")
    return num.to_numpy(dtype=float, na_value=np.nan), blank


def _text(values: pd.Series) -> pd.Series:
    """A raw text column as strings (categoricals kept) with missing values as ``""``."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        if values.isna().any():
            if "" not in values.cat.categories:
                values = values.cat.add_categories([""])
            values = values.fillna("")
        return values
    return values.astype("str").fillna("")


class _Rows:
    """Row provenance of a batch: file names, each row's file code and line number."""

    def __init__(self, names: list[str], codes: np.ndarray, lines: np.ndarray) -> None:
        self.names, self.codes, self.lines = names, codes, lines

    def take(self, mask: np.ndarray) -> _Rows:
        return _Rows(self.names, self.codes[mask], self.lines[mask])

    def at(self, i: int) -> str:
        return f"{self.names[int(self.codes[i])]}: line {int(self.lines[i])}"

    def drop(self, report: SourcedLoadReport, reason: str, mask: np.ndarray) -> None:
        if not mask.any():
            return
        codes, lines = self.codes[mask], self.lines[mask]
        for code in np.unique(codes):
            report.drop_in(self.names[int(code)], reason, lines[codes == code])

    def per_file(self, mask: np.ndarray) -> np.ndarray:
        return np.bincount(self.codes[mask], minlength=len(self.names))


def _check_coordinates(
    lon: np.ndarray,
    lat: np.ndarray,
    blank: np.ndarray,
    rows: _Rows,
    *,
    report: SourcedLoadReport,
    columns: tuple[str, str],
) -> np.ndarray:
    """Classify coordinates, record drops, and return the mask of usable rows.

    Raises DataError, per file, when no located row is usable or most look swapped.
    """
    finite = np.isfinite(lon) & np.isfinite(lat)
    unparseable = ~blank & ~finite
    swapped, outside = lonlat_problems(lon, lat)
    n_located, n_bad = rows.per_file(~blank), rows.per_file(unparseable)
    n_ok, n_swapped, n_out = rows.per_file(finite), rows.per_file(swapped), rows.per_file(outside)
    x, y = columns
    for f in range(len(rows.names)):
        if n_located[f] and n_bad[f] == n_located[f]:
            i = int(np.flatnonzero(unparseable & (rows.codes == f))[0])
            col = x if not np.isfinite(lon[i]) else y
            raise DataError(
                f"{rows.at(i)}, column {col!r}: no coordinate of this file could be read "
                f"as a number. Check the {x}/{y} columns hold decimal degrees."
            )
        if n_ok[f] and n_swapped[f] > n_ok[f] / 2:
            i = int(np.flatnonzero(swapped & (rows.codes == f))[0])
            raise DataError(
                f"{rows.at(i)}: the {x!r} and {y!r} columns look swapped: {n_swapped[f]} of "
                f"{n_ok[f]} points fall in Great Britain only with latitude and longitude "
                f"exchanged ({x}={lon[i]}, {y}={lat[i]}). Swap the column names and reload."
            )
        if n_ok[f] and n_out[f] == n_ok[f]:
            i = int(np.flatnonzero(outside & (rows.codes == f))[0])
            raise DataError(
                f"{rows.at(i)}, columns {x!r}/{y!r} = ({lon[i]}, {lat[i]}): every point of "
                "this file lies outside Great Britain. This loader expects WGS84 "
                "longitude/latitude in Great Britain."
            )
    rows.drop(report, "no location", blank)
    rows.drop(report, "unparseable coordinates", unparseable)
    if swapped.any():
        rows.drop(report, "swapped longitude/latitude", swapped)
        report.notes.append(
            f"{int(swapped.sum())} row(s) with latitude and longitude exchanged were "
            "dropped rather than repaired"
        )
    rows.drop(report, "outside Great Britain", outside)
    usable: np.ndarray = finite & ~swapped & ~outside
    return usable


def _normalise_months(months: Iterable[Any]) -> list[str]:
    return [str(m) for m in parse_months(months)]


def _check_crime_types(crime_types: Iterable[str]) -> list[str]:
    wanted = [crime_types] if isinstance(crime_types, str) else list(crime_types)
    unknown = [t for t in wanted if t not in CRIME_TYPES]
    if unknown:
        raise DataError(
            f"unknown crime type(s) {unknown}; use the bulk CSV names: {list(CRIME_TYPES)}."
        )
    return wanted


def _check_months(values: pd.Series, bad: np.ndarray, rows: _Rows) -> None:
    """Raise DataError, per file, when no row of the file has a ``YYYY-MM`` month."""
    if not bad.any():
        return
    n_rows, n_bad = rows.per_file(np.ones(len(bad), dtype=bool)), rows.per_file(bad)
    for f in np.flatnonzero((n_rows > 0) & (n_bad == n_rows)):
        i = int(np.flatnonzero(bad & (rows.codes == f))[0])
        raise DataError(
            f"{rows.at(i)}, column 'Month': {str(values.iloc[i])!r} is not a month written "
            "'YYYY-MM' (e.g. '2019-01'), and no row of this file has one. data.police.uk "
            "files write months as YYYY-MM; fix the column and reload."
        )


def _require_bulk_columns(columns: Iterable[Any], source: str) -> None:
    have = [str(c) for c in columns]
    missing = [c for c in BULK_COLUMNS if c not in have]
    if missing:
        raise DataError(
            f"{source}: line 1 (header) is missing column(s) {missing}; found {have}. "
            "Is this a data.police.uk street CSV?"
        )


def _parse(
    df: pd.DataFrame,
    rows: _Rows,
    *,
    months: list[str] | None = None,
    crime_types: list[str] | None = None,
) -> tuple[Any, SourcedLoadReport]:
    import geopandas as gpd
    import shapely

    _require_bulk_columns(df.columns, rows.names[0] if len(rows.names) == 1 else "input")
    source = rows.names[0] if len(rows.names) == 1 else f"{len(rows.names)} files"
    report = SourcedLoadReport(source=source, rows_read=len(df))
    ordinals, bad_month = parse_month_column(df["Month"])
    _check_months(df["Month"], bad_month, rows)
    rows.drop(report, "bad month", bad_month)
    keep = ~bad_month
    if months is not None:
        wanted = np.array([pd.Period(m, freq="M").ordinal for m in months], dtype=np.int64)
        hit = np.isin(ordinals, wanted)
        rows.drop(report, "filtered: month", keep & ~hit)
        keep &= hit
    report.set_months(pd.PeriodIndex.from_ordinals(np.unique(ordinals[keep]), freq="M"))  # type: ignore[attr-defined]
    if crime_types is not None:
        hit = _text(df["Crime type"]).isin(crime_types).to_numpy(dtype=bool)
        rows.drop(report, "filtered: crime type", keep & ~hit)
        keep &= hit
    if not keep.all():
        df, rows, ordinals = df.loc[keep], rows.take(keep), ordinals[keep]
    lon, blank_x = _to_float(df["Longitude"])
    lat, blank_y = _to_float(df["Latitude"])
    ok = _check_coordinates(
        lon, lat, blank_x | blank_y, rows, report=report, columns=("Longitude", "Latitude")
    )
    if not ok.all():
        df, rows, lon, lat = df.loc[ok], rows.take(ok), lon[ok], lat[ok]
        ordinals = ordinals[ok]
    types = _text(df["Crime type"]).value_counts()
    unknown = {str(k): int(v) for k, v in types.items() if v and str(k) not in CRIME_TYPES}
    report.unknown_crime_types = unknown
    x, y = _transformer("EPSG:4326", BNG).transform(lon, lat)
    df = df.reset_index(drop=True)
    month = pd.PeriodIndex.from_ordinals(ordinals, freq="M")  # type: ignore[attr-defined]
    cols: dict[str, Any] = {
        name: month if name == "month" else _text(df[raw])
        for raw, name in BULK_COLUMNS.items()
        if name not in {"longitude", "latitude"}
    }
    for extra in df.columns:
        if extra not in BULK_COLUMNS:
            cols[str(extra)] = df[extra]
    out = pd.DataFrame(cols)
    if len(rows.names) == 1:
        out["source_file"] = rows.names[0]
    else:
        out["source_file"] = pd.Categorical.from_codes(rows.codes, categories=pd.Index(rows.names))
    out["source_line"] = rows.lines
    gdf = gpd.GeoDataFrame(out, geometry=shapely.points(x, y), crs=BNG)
    return gdf, report


# --------------------------------------------------------------------------- files
def _sources(source: Any) -> list[tuple[str, Any]]:
    """Expand ``source`` into (name, path-or-(zip, member)) pairs."""
    if isinstance(source, (list, tuple)):
        if not source:
            raise DataError(
                "no files given: pass a street CSV, a folder of months, a zip archive, "
                "or a non-empty list of them."
            )
        return [s for item in source for s in _sources(item)]
    path = Path(source)
    if path.is_dir():
        files = sorted([*path.rglob("*-street.csv"), *path.rglob("*-street.csv.gz")])
        if not files:
            raise DataError(
                f"{path}: no '*-street.csv' or '*-street.csv.gz' files found (expected the "
                "data.police.uk layout YYYY-MM/YYYY-MM-<force>-street.csv)."
            )
        plain = {f for f in files if f.suffix == ".csv"}
        both = [f for f in files if f.suffix == ".gz" and f.with_suffix("") in plain]
        if both:
            raise DataError(
                f"{path}: {both[0].with_suffix('').name} is there both plain and gzipped "
                f"({both[0].name}); its rows would be read twice. Remove one of them."
            )
        return [(str(f), f) for f in files]
    if not path.exists():
        raise DataError(f"{path}: file not found.")
    if path.suffix.lower() == ".zip" or (
        path.suffix.lower() != ".csv" and zipfile.is_zipfile(path)
    ):
        try:
            with zipfile.ZipFile(path) as zf:
                members = sorted(m for m in zf.namelist() if m.endswith("-street.csv"))
        except zipfile.BadZipFile as exc:
            raise DataError(
                f"{path}: the zip archive is damaged ({exc}); download it again."
            ) from exc
        if not members:
            raise DataError(f"{path}: the archive holds no '*-street.csv' member.")
        return [(f"{path}!{m}", (path, m)) for m in members]
    allowed = {"gzip"} if path.suffix.lower() == ".gz" else set()
    refuse_foreign_file(path, "a data.police.uk street CSV", allowed=allowed)
    return [(str(path), path)]


def _read_bytes(where: Any) -> bytes:
    if isinstance(where, tuple):
        with zipfile.ZipFile(where[0]) as zf:
            return zf.read(where[1])
    if str(where).lower().endswith(".gz"):
        with gzip.open(where) as fh:
            return fh.read()
    return Path(where).read_bytes()


def _decode_error(name: str, data: bytes, encoding: str) -> DataError:
    try:
        data.decode(encoding)
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        start = data.rfind(b"\n", 0, exc.start) + 1
        column = data.count(b",", start, exc.start)
        header = data.split(b"\n", 1)[0].decode("utf-8", "replace").strip().split(",")
        col = header[column].lstrip("\ufeff") if column < len(header) else f"#{column + 1}"
        return DataError(
            f"{name}: line {line}, column {col!r}: byte {data[exc.start]:#04x} at offset "
            f"{exc.start} is not valid {encoding}. Re-save the file as UTF-8, or pass "
            "encoding='cp1252' if it is a Windows-1252 export."
        )
    return DataError(f"{name}: the file could not be parsed as CSV.")


_DICT_COLUMNS = tuple(k for k, v in BULK_COLUMNS.items() if v in {*CATEGORY_COLUMNS, "month"})


def _arrow_read(src: Any, encoding: str, numeric: bool) -> Any:
    import pyarrow as pa  # type: ignore[import-untyped]
    import pyarrow.csv as pacsv  # type: ignore[import-untyped]

    types = {c: pa.string() for c in BULK_COLUMNS}
    # repeated text is dictionary-encoded while parsing: it arrives as categoricals
    types.update({c: pa.dictionary(pa.int32(), pa.string()) for c in _DICT_COLUMNS})
    if numeric:
        types.update({"Longitude": pa.float64(), "Latitude": pa.float64()})
    convert = pacsv.ConvertOptions(
        column_types=types,
        null_values=[""],
        strings_can_be_null=False,
        quoted_strings_can_be_null=False,
    )
    enc = encoding.lower().replace("-", "").replace("_", "")
    read = (
        pacsv.ReadOptions() if enc in {"utf8", "utf8sig"} else pacsv.ReadOptions(encoding=encoding)
    )
    if hasattr(src, "seek"):
        src.seek(0)
    return pacsv.read_csv(src, read_options=read, convert_options=convert)


def _read_table(name: str, where: Any, encoding: str) -> Any:
    """Read one street CSV as an Arrow table of the bulk columns (BOM and CRLF handled).

    Coordinates are read as numbers when every value parses (the fast, usual case),
    else as text so that the bad lines can be reported.
    """
    if isinstance(where, tuple):
        # a zip member is streamed from the archive, never read whole into memory
        with zipfile.ZipFile(where[0]) as zf, zf.open(where[1]) as member:
            return _parse_table(name, where, member, encoding)
    if Path(where).stat().st_size == 0:
        raise DataError(f"{name}: the file is empty (0 bytes); expected a header line.")
    return _parse_table(name, where, str(where), encoding)


def _parse_table(name: str, where: Any, src: Any, encoding: str) -> Any:
    import pyarrow as pa  # type: ignore[import-untyped]

    try:
        try:
            table = _arrow_read(src, encoding, numeric=True)
        except pa.ArrowInvalid as exc:
            if "to double" not in str(exc):
                raise
            table = _arrow_read(src, encoding, numeric=False)
    except pa.ArrowInvalid as exc:
        msg = str(exc)
        if "Empty CSV file" in msg:
            raise DataError(
                f"{name}: the file is empty (0 bytes); expected a header line."
            ) from exc
        if "UTF8" in msg:
            raise _decode_error(name, _read_bytes(where), "utf-8") from exc
        raise DataError(f"{name}: the file could not be parsed as CSV ({msg}).") from exc
    _require_bulk_columns(table.column_names, name)
    return table.select(list(BULK_COLUMNS))


def _read_tables(files: list[tuple[str, Any]], encoding: str) -> tuple[pd.DataFrame, _Rows]:
    """Read every file and concatenate in Arrow, so categories are unified once."""
    import pyarrow as pa  # type: ignore[import-untyped]

    tables = []
    for name, where in files:
        table = _read_table(name, where, encoding)
        if table.num_rows == 0 and len(files) == 1:
            raise DataError(f"{name}: the file has a header (line 1) but no data rows.")
        tables.append(table)
    coords = ("Longitude", "Latitude")
    if len({str(t.schema.field(c).type) for t in tables for c in coords}) > 1:
        tables = [_coords_as_text(t) for t in tables]
    counts = np.array([t.num_rows for t in tables], dtype=np.int64)
    df = pa.concat_tables(tables).to_pandas()
    codes = np.repeat(np.arange(len(tables), dtype=np.intp), counts)
    starts = np.repeat(np.cumsum(counts) - counts, counts)
    lines = np.arange(int(counts.sum()), dtype=np.int64) - starts + 2
    return df, _Rows([n for n, _ in files], codes, lines)


def _coords_as_text(table: Any) -> Any:
    import pyarrow as pa  # type: ignore[import-untyped]

    for c in ("Longitude", "Latitude"):
        i = table.schema.get_field_index(c)
        table = table.set_column(i, c, table.column(c).cast(pa.string()))
    return table


def _keep_in_area(gdf: Any, area: Any, report: LoadReport) -> Any:
    import shapely

    geom = area_polygon(area, gdf.crs.to_string() if gdf.crs is not None else BNG)
    shapely.prepare(geom)
    pts = gdf.geometry.to_numpy()
    inside = shapely.intersects_xy(geom, shapely.get_x(pts), shapely.get_y(pts))
    if inside.all():
        return gdf
    out = gdf.loc[~inside]
    for f in dict.fromkeys(out["source_file"].to_numpy()):
        rows = out["source_line"].to_numpy()[out["source_file"].to_numpy() == f]
        if isinstance(report, SourcedLoadReport):
            report.drop_in(str(f), "outside area", rows)
        else:
            report.drop("outside area", rows)
    return gdf.loc[inside]


def _compact_categorical(values: pd.Series) -> pd.Series:
    """``values`` as a categorical holding only the categories in use (no full sort)."""
    cat = values if isinstance(values.dtype, pd.CategoricalDtype) else values.astype("category")
    codes = cat.cat.codes.to_numpy()
    used = np.bincount(codes[codes >= 0], minlength=len(cat.cat.categories)) > 0
    if used.all():
        return cat
    return cat.cat.remove_categories(cat.cat.categories[~used])


def _finish(
    gdf: Any,
    report: LoadReport,
    *,
    method: str,
    parameters: dict[str, Any],
    expected: tuple[str, ...] = (),
) -> Any:
    """Categoricals, fresh index, report, provenance and a warning for real losses."""
    gdf = gdf.reset_index(drop=True)
    for col in (*CATEGORY_COLUMNS, "source_file"):
        gdf[col] = _compact_categorical(gdf[col])
    months = report.months_present if isinstance(report, SourcedLoadReport) else []
    period = {"start": months[0], "end": months[-1]} if months else None
    missing = report.months_missing if isinstance(report, SourcedLoadReport) else []
    if missing:
        report.notes.append(
            f"{len(missing)} month(s) inside {months[0]}..{months[-1]} are missing (no file "
            f"holds them): {describe_runs(missing)}; they are gaps, not months of zero crime"
        )
    unknown = report.unknown_crime_types if isinstance(report, SourcedLoadReport) else {}
    if unknown:
        report.warn(
            f"{report.source}: {sum(unknown.values()):,} kept row(s) have a crime type that "
            f"is not a data.police.uk one ({unknown}); they match no crime_types filter. "
            f"Known types: {list(CRIME_TYPES)}.",
            stacklevel=3,
        )
    # attrs last: pandas deep-copies attrs into every derived object
    gdf.attrs["load_report"] = report
    gdf.attrs["months"] = {"present": list(months), "missing": list(missing)}
    record(gdf, method=method, parameters=parameters, sources=["police"], period=period)
    losses = {
        k: v
        for k, v in report.counts().items()
        if k not in {*_FILTER_REASONS, *expected, "outside area", "no location"}
    }
    if losses:
        warnings.warn(
            f"{report.source}: dropped {sum(losses.values()):,} of {report.rows_read:,} "
            f"rows ({losses}); see gdf.attrs['load_report'].",
            HotspotsWarning,
            stacklevel=3,
        )
    return gdf
