"""Administrative and census boundaries by name or ONS code.

:func:`load_boundary` returns local authority districts (``lad``), electoral wards
(``ward``), LSOAs (``lsoa``: 2011 census codes; ``lsoa21``: 2021 census codes, which IMD
2025 uses), MSOAs (``msoa``) or output areas (``oa``) in British
National Grid (EPSG:27700), read from ``HOTSPOTS_DATA_DIR/boundaries`` or, when the
files are not there, from the ONS Open Geography Portal.

Which files are read, which columns hold codes and names, and which ONS service holds
each level are listed in a small catalogue (``boundary_catalogue.csv`` in the package;
a readable copy is ``boundaries/catalogue.csv`` in the repository). A file named
``<area>_<level>[_<vintage>].geojson`` (``.gpkg`` and ``.parquet`` work too) in the
``boundaries`` folder is picked up without code changes; ``<area>`` is a district name
in snake case (``medway``, ``tunbridge_wells``) or a group (``kent_medway``).

Medway (E06000035) is a unitary authority, separate from Kent County Council: ``"Kent"``
means the 12 Kent County districts and ``"Kent and Medway"`` all 13.
"""

from __future__ import annotations

import csv
import difflib
import functools
import io
import re
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import config
from ._errors import CRSError, DataError, HotspotsWarning
from ._http import request
from ._provenance import record
from ._report import LoadReport
from ._validate import BNG

if TYPE_CHECKING:
    import geopandas as gpd
    import requests

__all__ = [
    "AREA_GROUPS",
    "KNOWN_LADS",
    "LEVELS",
    "boundary_catalogue",
    "load_boundary",
    "resolve_lads",
]

#: Boundary levels understood by :func:`load_boundary`.
LEVELS = ("lad", "ward", "lsoa", "lsoa21", "msoa", "oa")
#: Folder inside ``HOTSPOTS_DATA_DIR`` holding boundary files.
BOUNDARY_FOLDER = "boundaries"
_EXTENSIONS = (".geojson", ".json", ".gpkg", ".parquet")
# District-level codes: unitary (E06), non-metropolitan (E07), metropolitan (E08),
# London borough (E09), Welsh (W06), Scottish (S12), Northern Irish (N09).
_LAD_CODE = re.compile(r"^(E0[6-9]|W06|S12|N09)\d{6}$")

#: Local authority districts known without any data file: Medway and the Kent districts.
KNOWN_LADS: dict[str, str] = {
    "E06000035": "Medway",
    "E07000105": "Ashford",
    "E07000106": "Canterbury",
    "E07000107": "Dartford",
    "E07000108": "Dover",
    "E07000109": "Gravesham",
    "E07000110": "Maidstone",
    "E07000111": "Sevenoaks",
    "E07000112": "Shepway",
    "E07000113": "Swale",
    "E07000114": "Thanet",
    "E07000115": "Tonbridge and Malling",
    "E07000116": "Tunbridge Wells",
}
_KENT = tuple(c for c in KNOWN_LADS if c.startswith("E07"))
#: Names that stand for several districts (or a district's other name).
AREA_GROUPS: dict[str, tuple[str, ...]] = {
    "kent": _KENT,
    "kent county": _KENT,
    "kent and medway": (*_KENT, "E06000035"),
    "kent medway": (*_KENT, "E06000035"),
    "folkestone and hythe": ("E07000112",),
    "folkestone hythe": ("E07000112",),
}


@dataclass(frozen=True)
class _Level:
    level: str
    vintage: str
    code_fields: tuple[str, ...]
    name_fields: tuple[str, ...]
    lad_code_fields: tuple[str, ...]
    lad_name_fields: tuple[str, ...]
    file_patterns: tuple[str, ...]
    ons_service: str
    ons_url: str
    ons_code_field: str
    ons_name_field: str
    ons_lad_where: str
    attribution: str


def boundary_catalogue() -> list[dict[str, str]]:
    """Return the boundary catalogue: one dictionary per level.

    Examples
    --------
    >>> [row["level"] for row in boundary_catalogue()]
    ['lad', 'ward', 'lsoa', 'lsoa21', 'msoa', 'oa']
    """
    text = resources.files("hotspots").joinpath("data/boundary_catalogue.csv").read_text("utf-8")
    return [dict(row) for row in csv.DictReader(io.StringIO(text))]


@functools.cache
def _catalogue() -> dict[str, _Level]:
    def split(value: str) -> tuple[str, ...]:
        return tuple(v.strip() for v in value.split(";") if v.strip())

    out: dict[str, _Level] = {}
    for row in boundary_catalogue():
        out[row["level"]] = _Level(
            level=row["level"],
            vintage=row["vintage"],
            code_fields=split(row["code_fields"]),
            name_fields=split(row["name_fields"]),
            lad_code_fields=split(row["lad_code_fields"]),
            lad_name_fields=split(row["lad_name_fields"]),
            file_patterns=split(row["file_patterns"]),
            ons_service=row["ons_service"],
            ons_url=row["ons_url"],
            ons_code_field=row["ons_code_field"],
            ons_name_field=row["ons_name_field"],
            ons_lad_where=row["ons_lad_where"],
            attribution=row["attribution"],
        )
    return out


def _level_entry(level: str) -> _Level:
    cat = _catalogue()
    key = str(level).strip().lower()
    if key not in cat:
        raise DataError(f"Unknown boundary level {level!r}; use one of {', '.join(cat)}.")
    return cat[key]


def _norm(name: str) -> str:
    """Normalise an area name for matching: case, '&', underscores, punctuation."""
    text = str(name).strip().lower().replace("&", " and ")
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text).split())


def _slug(name: str) -> str:
    return _norm(name).replace(" ", "_")


def _lad_index() -> dict[str, tuple[str, ...]]:
    """Normalised LAD names, codes and groups -> LAD codes (built-in plus data files)."""
    index: dict[str, tuple[str, ...]] = {}
    for code, name in {**KNOWN_LADS, **_lads_from_files()}.items():
        index[_norm(name)] = (code,)
        index[code.lower()] = (code,)
    index.update(AREA_GROUPS)
    return index


def _lad_names() -> dict[str, str]:
    return {**KNOWN_LADS, **_lads_from_files()}


def _lads_from_files() -> dict[str, str]:
    folder = _folder(required=False)
    if folder is None:
        return {}
    out: dict[str, str] = {}
    entry = _level_entry("lad")
    for path, _area in _candidate_files(folder, entry):
        gdf = _read_file(str(path), path.stat().st_mtime_ns)
        code_col = _first(gdf, entry.code_fields)
        name_col = _first(gdf, entry.name_fields)
        if code_col and name_col:
            out.update(zip(gdf[code_col].astype(str), gdf[name_col].astype(str), strict=True))
    return out


def resolve_lads(name_or_code: str) -> tuple[str, ...] | None:
    """Return the LAD codes a district name, code or group stands for (None if unknown).

    Examples
    --------
    >>> resolve_lads("Folkestone and Hythe")
    ('E07000112',)
    >>> len(resolve_lads("Kent")), len(resolve_lads("Kent and Medway"))
    (12, 13)
    """
    text = str(name_or_code).strip().upper()
    if _LAD_CODE.match(text):
        return (text,)
    return _lad_index().get(_norm(name_or_code))


def _folder(*, required: bool) -> Path | None:
    root = config.data_dir(required=required)
    if root is None:
        return None
    return root / BOUNDARY_FOLDER


def _candidate_files(folder: Path, entry: _Level) -> list[tuple[Path, str]]:
    """Files of ``folder`` matching the level's patterns, with their area slug."""
    if not folder.is_dir():
        return []
    found: list[tuple[Path, str]] = []
    seen: set[Path] = set()
    for pattern in entry.file_patterns:
        regex = re.compile(
            "^" + re.escape(pattern).replace(r"\{area\}", "(?P<area>[a-z0-9_]+?)") + "$"
        )
        for path in sorted(folder.iterdir()):
            stem, ext = path.stem.lower(), path.suffix.lower()
            match = regex.match(stem)
            if ext in _EXTENSIONS and match and path not in seen:
                seen.add(path)
                found.append((path, match.group("area")))
    # Area-specific files first so that a verbatim single-district file wins over a
    # combined one when both hold the same feature.
    return sorted(found, key=lambda pa: len(_static_lads(pa[1]) or ()) or 10_000)


def _static_lads(name: str) -> tuple[str, ...] | None:
    """Resolve a name with the built-in tables only (no file reads)."""
    key = _norm(name)
    for code, lad in KNOWN_LADS.items():
        if key in {_norm(lad), code.lower()}:
            return (code,)
    return AREA_GROUPS.get(key)


@functools.lru_cache(maxsize=32)
def _read_file(path: str, mtime_ns: int) -> gpd.GeoDataFrame:
    import geopandas as gpd

    try:
        if path.endswith(".parquet"):
            return gpd.read_parquet(path)
        return gpd.read_file(path)
    except Exception as exc:
        raise DataError(f"Could not read boundary file {path}: {exc}") from exc


def _first(df: Any, fields: Iterable[str]) -> str | None:
    return next((f for f in fields if f in df.columns), None)


def _standardise(gdf: gpd.GeoDataFrame, entry: _Level, area: str, source: str) -> gpd.GeoDataFrame:
    """Add ``code``, ``name``, ``level``, ``lad_code``, ``lad_name`` to one file's rows."""
    code_col = _first(gdf, entry.code_fields)
    if code_col is None:
        raise DataError(
            f"{source} has no {entry.level} code column (looked for "
            f"{', '.join(entry.code_fields)}); it has {', '.join(map(str, gdf.columns))}."
        )
    if gdf.crs is None:
        raise CRSError(
            f"{source} has no coordinate reference system. Save it with one (GeoJSON is "
            "always longitude/latitude, EPSG:4326) or set it with `gdf.set_crs(...)`."
        )
    name_col = _first(gdf, entry.name_fields) or code_col
    standard = ["code", "name", "level", "lad_code", "lad_name", "source_file"]
    out = gdf.rename(columns={c: f"{c}_original" for c in standard if c in gdf.columns})
    code_col, name_col = (f"{c}_original" if c in standard else c for c in (code_col, name_col))
    out.insert(0, "code", out[code_col].astype(str).str.strip())
    out.insert(1, "name", out[name_col].astype(str).str.strip())
    out.insert(2, "level", entry.level)
    lad_names = _lad_names()
    lad_code_col = _first(gdf, entry.lad_code_fields)
    if entry.level == "lad":
        lad_code = out["code"]
    elif lad_code_col is not None:
        lad_code = out[lad_code_col].astype(str)
    else:
        codes = resolve_lads(area) or ()
        lad_code = out["code"].map(lambda _: codes[0] if len(codes) == 1 else None)
    out.insert(3, "lad_code", lad_code)
    lad_name_col = _first(gdf, entry.lad_name_fields)
    if entry.level == "lad":
        lad_name = out["name"]
    elif lad_name_col is not None:
        lad_name = out[lad_name_col].astype(str)
    else:
        lad_name = out["lad_code"].map(lambda c: lad_names.get(c) if c else None)
    out.insert(4, "lad_name", lad_name)
    out["source_file"] = source
    return out


@functools.lru_cache(maxsize=32)
def _read_standardised(path: str, mtime_ns: int, level: str, area: str) -> tuple[Any, str]:
    """One file with standard columns, in EPSG:27700, and its original CRS (cached)."""
    gdf = _read_file(path, mtime_ns)
    std = _standardise(gdf, _level_entry(level), area, f"{BOUNDARY_FOLDER}/{Path(path).name}")
    crs = std.crs.to_string()
    if not std.crs.equals(BNG):
        std = std.to_crs(BNG)
    std.attrs = {}
    return std, crs


def _load_local(entry: _Level, lads: tuple[str, ...] | None) -> tuple[Any, list[str], list[str]]:
    import geopandas as gpd
    import pandas as pd

    folder = _folder(required=True)
    assert folder is not None  # required=True raises instead
    parts, used, notes = [], [], []
    for path, area in _candidate_files(folder, entry):
        covers = resolve_lads(area)
        if lads is not None and covers is not None and not set(covers) & set(lads):
            continue  # a file for another district
        rel = f"{BOUNDARY_FOLDER}/{path.name}"
        std, crs = _read_standardised(str(path), path.stat().st_mtime_ns, entry.level, area)
        if crs != BNG:
            notes.append(f"{rel} reprojected from {crs} to {BNG}")
        parts.append(std.copy())
        used.append(rel)
    frames = [p for p in parts if len(p)]
    if not frames:
        return None, used, notes
    combined = gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs=BNG)
    combined = combined.drop_duplicates(subset="code", keep="first").reset_index(drop=True)
    return combined, used, notes


def _quote(value: str) -> str:
    return "'" + str(value).replace("'", "''") + "'"


def _offline_advice(entry: _Level, area: str) -> str:
    slug = _slug(area) or "my_area"
    pattern = entry.file_patterns[0].replace("{area}", slug)
    return (
        f"Download the {entry.level} boundaries ({entry.ons_service}, {entry.vintage}) for "
        f"{area} as GeoJSON from https://geoportal.statistics.gov.uk and save them as "
        f"$HOTSPOTS_DATA_DIR/{BOUNDARY_FOLDER}/{pattern}.geojson (see boundaries/README.md)."
    )


def _fetch_ons(entry: _Level, where: str, area: str, *, session: Any, page_size: int = 1000) -> Any:
    """Query the ONS FeatureServer, following ``exceededTransferLimit`` pages."""
    import geopandas as gpd

    features: list[dict[str, Any]] = []
    offset = 0
    for _ in range(10_000):
        params = {
            "where": where,
            "outFields": "*",
            "outSR": "4326",
            "f": "geojson",
            "resultOffset": str(offset),
            "resultRecordCount": str(page_size),
        }
        result = request(
            "GET",
            entry.ons_url,
            params=params,
            offline_advice=_offline_advice(entry, area),
            session=session,
        )
        try:
            page = result.json()
        except ValueError as exc:
            raise DataError(f"{entry.ons_url} did not return JSON: {exc}") from exc
        if not (200 <= result.status < 300) or "error" in page:
            raise DataError(
                f"ONS service {entry.ons_url} answered {result.status}: "
                f"{page.get('error', page)!r}. Check the service name in the boundary catalogue."
            )
        batch = page.get("features", [])
        features.extend(batch)
        more = page.get("exceededTransferLimit") or page.get("properties", {}).get(
            "exceededTransferLimit"
        )
        if not more or not batch:
            break
        offset += len(batch)
    gdf = gpd.GeoDataFrame.from_features(features, crs="EPSG:4326")
    return gdf


def _fix_geometries(gdf: Any, report: LoadReport) -> Any:
    """Keep polygonal parts of collections and repair invalid polygons, reporting both."""
    import shapely

    empty = (gdf.geometry.isna() | gdf.geometry.is_empty).to_numpy()
    if empty.any():
        codes = list(gdf.loc[empty, "code"])
        report.drop("missing or empty geometry", [i + 1 for i in range(len(gdf)) if empty[i]])
        warnings.warn(
            f"dropped {len(codes)} area(s) with no geometry: {', '.join(codes[:10])}",
            HotspotsWarning,
            stacklevel=3,
        )
        gdf = gdf[~empty]
    geoms = gdf.geometry.to_numpy().copy()
    collections = shapely.get_type_id(geoms) == 7
    if collections.any():
        geoms[collections] = [
            shapely.union_all([p for p in shapely.get_parts(g) if "Polygon" in p.geom_type])
            for g in geoms[collections]
        ]
        report.notes.append(
            f"{int(collections.sum())} geometry collection(s) reduced to their polygons "
            "(stray boundary lines dropped)"
        )
    invalid = ~shapely.is_valid(geoms)
    if invalid.any():
        codes = list(gdf.loc[invalid, "code"])
        reasons = shapely.is_valid_reason(geoms[invalid])
        fixed = shapely.make_valid(geoms[invalid])
        fixed = [
            g
            if g.geom_type in {"Polygon", "MultiPolygon"}
            else shapely.union_all([p for p in shapely.get_parts(g) if "Polygon" in p.geom_type])
            for g in fixed
        ]
        geoms[invalid] = fixed
        message = (
            f"repaired {len(codes)} invalid geometr{'y' if len(codes) == 1 else 'ies'} with "
            f"make_valid: " + ", ".join(f"{c} ({r})" for c, r in zip(codes, reasons, strict=True))
        )
        report.warn(message, stacklevel=3)
    out = gdf.copy()
    out["geometry"] = geoms
    cols = [c for c in out.columns if c != "geometry"] + ["geometry"]
    return out[cols].reset_index(drop=True)


def _suggest(query: str, candidates: Iterable[str]) -> str:
    pool = {c for c in candidates if c}
    close = difflib.get_close_matches(query, list(pool), n=5, cutoff=0.6)
    lower = {c.lower(): c for c in pool}
    close += [lower[c] for c in difflib.get_close_matches(query.lower(), list(lower), n=5)]
    close = list(dict.fromkeys(close))[:5]
    return f" Did you mean: {', '.join(close)}?" if close else ""


def load_boundary(
    name_or_code: str | None = None,
    *,
    level: str,
    within: str | None = None,
    source: str = "auto",
    session: requests.Session | None = None,
) -> gpd.GeoDataFrame:
    """Load boundaries of one level by district name, ONS code or area name.

    Parameters
    ----------
    name_or_code : str, optional
        A local authority district name (``"Medway"``, case-insensitive; former and
        current names such as ``"Folkestone and Hythe"``/``"Shepway"`` both work), a LAD
        code (``"E06000035"``), a group (``"Kent"`` = the 12 Kent County districts,
        ``"Kent and Medway"`` = 13; Medway is a separate unitary authority), or the code
        or name of one area of ``level`` (e.g. a ward code). ``None`` loads every area of
        the level that the data folder holds.
    level : {"lad", "ward", "lsoa", "lsoa21", "msoa", "oa"}
    within : str, optional
        Keep only areas inside this district or group.
    source : {"auto", "local", "ons"}
        ``"local"`` reads ``HOTSPOTS_DATA_DIR/boundaries``; ``"ons"`` queries the ONS
        Open Geography Portal (cached); ``"auto"`` reads local files and goes online only
        when they do not hold the area.
    session : requests.Session, optional
        Session for online queries (proxies, or recorded responses in tests).

    Returns
    -------
    geopandas.GeoDataFrame
        EPSG:27700, columns ``code``, ``name``, ``level``, ``lad_code``, ``lad_name``,
        the original columns and ``geometry``. ``attrs["load_report"]`` notes repaired
        geometries; ``attrs["hotspots"]`` records sources and vintage.

    Raises
    ------
    DataError
        Unknown level or area (with close matches), missing data folder.
    OfflineError
        Online fetch needed while offline; the message says which file to save where.

    Examples
    --------
    >>> wards = load_boundary("Medway", level="ward")  # doctest: +SKIP
    >>> len(wards), wards.crs.to_epsg()  # doctest: +SKIP
    (22, 27700)
    """
    entry = _level_entry(level)
    if source not in {"auto", "local", "ons"}:
        raise DataError(f"source must be 'auto', 'local' or 'ons', got {source!r}.")
    query = None if name_or_code is None else str(name_or_code).strip()
    if query == "":
        raise DataError("name_or_code is empty; give a district name or an ONS code.")
    lads = resolve_lads(query) if query is not None else None
    within_lads = resolve_lads(within) if within is not None else None
    if within is not None and within_lads is None:
        raise DataError(
            f"Unknown district {within!r} for within=."
            + _suggest(str(within), [*_lad_names().values(), *AREA_GROUPS])
        )
    wanted = lads if lads is not None else within_lads
    report = LoadReport(source="")
    gdf: Any = None
    used: list[str] = []
    notes: list[str] = []
    if source in {"auto", "local"}:
        if source == "auto" and config.data_dir(required=False) is None and config.is_offline():
            raise DataError(
                "HOTSPOTS_DATA_DIR is not set (or not a folder) and HOTSPOTS_OFFLINE forbids "
                "fetching boundaries from ONS. Point HOTSPOTS_DATA_DIR at a data folder "
                "with a boundaries/ subfolder (see boundaries/README.md)."
            )
        if source == "local" or config.data_dir(required=False) is not None:
            gdf, used, notes = _load_local(entry, wanted)
        selected = None if gdf is None else _select(gdf, entry, query, lads)
        if selected is not None and len(selected):
            gdf = selected
        elif source == "local":
            known = [] if gdf is None else [*gdf["code"], *gdf["name"]]
            raise DataError(
                f"No {entry.level} boundaries for {query!r} in "
                f"HOTSPOTS_DATA_DIR/{BOUNDARY_FOLDER} (files read: {used or 'none'})."
                + _suggest(query or "", [*known, *_lad_names().values(), *AREA_GROUPS])
            )
        else:
            if query is not None and lads is None and gdf is not None and wanted is None:
                # A name that is neither a district nor an area we hold: say so now
                # rather than sending a doomed query.
                hint = _suggest(query, [*gdf["code"], *gdf["name"], *_lad_names().values()])
                if hint:
                    raise DataError(f"Unknown {entry.level} or district {query!r}." + hint)
            gdf = None
    if gdf is None:
        gdf = _load_ons(entry, query, lads, within_lads, session=session)
        used, notes = [entry.ons_url], [f"fetched from ONS and reprojected from EPSG:4326 to {BNG}"]
    if within_lads is not None:
        gdf = gdf[gdf["lad_code"].isin(within_lads)]
        if not len(gdf):
            raise DataError(f"No {entry.level} boundaries named {query!r} lie within {within!r}.")
    gdf = gdf.reset_index(drop=True)
    report.source = "; ".join(used)
    report.rows_read = len(gdf)
    report.notes.extend(notes)
    gdf.attrs = {}
    gdf = _fix_geometries(gdf, report)
    gdf.attrs["load_report"] = report
    record(
        gdf,
        method="load_boundary",
        parameters={"name_or_code": query, "level": entry.level, "within": within},
        sources=["ons_boundaries"],
        vintage=entry.vintage,
        files=used,
    )
    return gdf


def _select(gdf: Any, entry: _Level, query: str | None, lads: tuple[str, ...] | None) -> Any:
    if query is None:
        out = gdf
    elif lads is not None:
        col = "code" if entry.level == "lad" else "lad_code"
        out = gdf[gdf[col].isin(lads)]
    else:
        q = query.lower()
        out = gdf[(gdf["code"].str.lower() == q) | (gdf["name"].str.lower() == q)]
    return out


def _load_ons(
    entry: _Level,
    query: str | None,
    lads: tuple[str, ...] | None,
    within_lads: tuple[str, ...] | None,
    *,
    session: Any,
) -> Any:
    names = _lad_names()
    codes = lads if lads is not None else within_lads
    if codes is not None:
        area = query or ", ".join(names.get(c, c) for c in codes)
        clauses = [
            entry.ons_lad_where.format(
                lad_code=c.replace("'", "''"), lad_name=names.get(c, c).replace("'", "''")
            )
            for c in codes
        ]
        where = " OR ".join(f"({c})" for c in clauses)
        if query is not None and lads is None:
            where = (
                f"({entry.ons_code_field} = {_quote(query)} OR "
                f"{entry.ons_name_field} = {_quote(query)}) AND ({where})"
            )
    elif query is not None:
        area = query
        safe = query.replace("'", "''")
        # An area of this level, or a district the catalogue can select by name.
        where = (
            f"{entry.ons_code_field} = {_quote(query)} OR {entry.ons_name_field} = "
            f"{_quote(query)} OR ({entry.ons_lad_where.format(lad_code=safe, lad_name=safe)})"
        )
    else:
        raise DataError(
            f"Name an area to fetch {entry.level} boundaries from ONS; fetching every "
            f"{entry.level} in England and Wales is too large."
        )
    raw = _fetch_ons(entry, where, area, session=session)
    if not len(raw):
        raise DataError(
            f"ONS returned no {entry.level} boundaries for {area!r} (query {where})."
            + _suggest(area, [*names.values(), *AREA_GROUPS])
        )
    std = _standardise(raw, entry, _slug(area), entry.ons_url)
    if codes is not None and std["lad_code"].isna().all() and len(codes) == 1:
        std["lad_code"], std["lad_name"] = codes[0], names.get(codes[0])
    out = std.to_crs(BNG)
    out.attrs = {}
    return out
