"""Provision maps: the schema, reading them (coordinates or postcodes), choosing types.

A provision map lists services or sessions (community sport, youth services,
substance-misuse services, A&E "reachable moments" workers ...) with their type, target
age group, provider and location. :func:`read_provision` reads one and reports every row
it could not place; :func:`example_provision` builds an illustrative (invented) one.
Overlaying provision on hot spots is :mod:`hotspots.overlay`; choosing new sites is
:mod:`hotspots.siting`.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ._errors import DataError, HotspotsWarning
from ._mapstyle import rows as _rows
from ._provenance import record
from ._report import LoadReport
from ._validate import (
    BNG,
    GB_BNG_BOUNDS,
    area_polygon,
    lonlat_problems,
    require_columns,
    snake_case,
)

if TYPE_CHECKING:
    import geopandas as gpd
    from shapely.geometry.base import BaseGeometry

__all__ = [
    "MAX_AGE",
    "SERVICE_TYPES",
    "example_provision",
    "known_service_types",
    "read_provision",
    "select_service_types",
]

#: The controlled vocabulary of ``service_type``.
SERVICE_TYPES: tuple[str, ...] = (
    "community_sport",
    "youth_service",
    "substance_misuse",
    "ae_reachable_moments",
    "mentoring",
    "family_support",
    "school_programme",
    "pharmacy",
    "gp_practice",
    "other",
)

_REQUIRED = ("name", "service_type", "provider", "target_age_min", "target_age_max")
_XY_PAIRS = (
    ("longitude", "latitude", "EPSG:4326"),
    ("lon", "lat", "EPSG:4326"),
    ("easting", "northing", BNG),
    ("x", "y", None),
)
#: Upper age taken for a service whose ``target_age_max`` is blank (no upper limit).
MAX_AGE = 120


def _read_table(path: Path, sheet: str | int | None) -> pd.DataFrame:
    suffix = path.suffix.lower()
    if suffix in {".xlsx", ".xlsm", ".xls"}:
        try:
            frame = pd.read_excel(path, sheet_name=sheet or 0, dtype=str)
        except ValueError as exc:
            raise DataError(f"{path.name}: could not read sheet {sheet!r}: {exc}") from exc
        except Exception as exc:  # zipfile/openpyxl raise their own types for corrupt files
            raise DataError(
                f"{path}: could not be read as an Excel workbook ({type(exc).__name__}: {exc}). "
                "Open and re-save it in Excel, or save the sheet as CSV UTF-8."
            ) from exc
    elif suffix in {".csv", ".txt"}:
        try:
            frame = pd.read_csv(path, dtype=str, encoding="utf-8-sig", keep_default_na=False)
        except UnicodeDecodeError as exc:
            raise DataError(
                f"{path.name}: not UTF-8 text (byte {exc.start}). Save it as 'CSV UTF-8'."
            ) from exc
        except pd.errors.EmptyDataError as exc:
            raise DataError(f"{path.name} is empty.") from exc
        except pd.errors.ParserError as exc:
            raise DataError(f"{path.name}: malformed CSV ({exc}).") from exc
    else:
        raise DataError(f"{path.name}: provision must be a .csv or .xlsx file, not {suffix!r}.")
    frame = frame.fillna("")
    frame.columns = [snake_case(c) for c in frame.columns]
    return frame


def read_provision(
    path: str | Path,
    *,
    crs: str | int | None = None,
    sheet: str | int | None = None,
    area: gpd.GeoDataFrame | gpd.GeoSeries | BaseGeometry | None = None,
    postcodes: str | Path | pd.DataFrame | None = None,
) -> gpd.GeoDataFrame:
    """Read a provision map from CSV or Excel into points in EPSG:27700.

    One row per service or session. Columns (case and spacing are ignored):
    ``name``, ``service_type`` (one of :data:`SERVICE_TYPES`), ``provider``,
    ``target_age_min``, ``target_age_max``, optional ``funder``, ``days``, ``times``,
    and a location as ``longitude``/``latitude`` (or ``lon``/``lat``, WGS84) or
    ``easting``/``northing`` (British National Grid), or ``x``/``y`` with ``crs=``,
    or, when none of those is there, a ``postcode`` column: each row is then placed at
    its postcode's grid reference (OS Code-Point Open, or an ONS Postcode Directory
    extract; see :mod:`hotspots.postcodes`), and rows whose postcode is blank, unknown,
    terminated or without a position are dropped and reported by line.

    Parameters
    ----------
    path : str or Path
        A ``.csv`` (UTF-8) or ``.xlsx`` file.
    crs : str or int, optional
        CRS of ``x``/``y`` columns (required when the location is given as x/y).
    sheet : str or int, optional
        Excel sheet (default: the first).
    area : GeoDataFrame, GeoSeries or shapely polygon, optional
        Keep only services inside this polygon; others are dropped and reported.
    postcodes : str, Path or DataFrame, optional
        The postcode lookup for a sheet located by ``postcode``: a Code-Point Open CSV
        or folder of them, an ONS Postcode Directory CSV, or a table from
        :func:`hotspots.read_postcodes`. Default: ``postcodes/`` in ``HOTSPOTS_DATA_DIR``.

    Returns
    -------
    geopandas.GeoDataFrame
        With the standard columns, a ``row`` column (line number in the file, header =
        line 1) and a :class:`~hotspots.LoadReport` in ``attrs["load_report"]``.

    Raises
    ------
    DataError
        Missing columns; unknown service types, impossible ages (negative, over 120,
        min above max) or coordinates outside Great Britain, listing every bad row
        with its line number. These are errors, not guesses.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "provision.csv"
    >>> _ = f.write_text(
    ...     "name,service_type,provider,target_age_min,target_age_max,longitude,latitude\\n"
    ...     "Boxing club,community_sport,Club CIC,10,18,0.52,51.38\\n")
    >>> p = read_provision(f)
    >>> row = p.iloc[0]
    >>> row["name"], row["service_type"], int(row["target_age_min"]), int(row["target_age_max"])
    ('Boxing club', 'community_sport', 10, 18)
    >>> p.crs.to_epsg(), p.attrs["load_report"].rows_kept
    (27700, 1)
    """
    import geopandas as gpd

    path = Path(path)
    if not path.exists():
        raise DataError(f"provision file not found: {path}")
    raw = _read_table(path, sheet)
    name = path.name
    require_columns(raw, _REQUIRED, name)
    if len(raw) == 0:
        raise DataError(f"{name} has a header but no services.")
    pair = next(((x, y, c) for x, y, c in _XY_PAIRS if x in raw.columns and y in raw.columns), None)
    placed = None
    if pair is None and "postcode" in raw.columns:
        placed = _place_by_postcode(raw, postcodes)
        raw = raw.assign(easting=placed["easting"], northing=placed["northing"])
        pair = ("easting", "northing", BNG)
    if pair is None:
        raise DataError(
            f"{name} has no location columns: give longitude/latitude (WGS84) or "
            "easting/northing (British National Grid) or x/y with crs=, or a postcode."
        )
    xcol, ycol, default_crs = pair
    src_crs = crs if crs is not None else default_crs
    if src_crs is None:
        raise DataError(f"{name}: columns x/y need crs= (e.g. crs=27700 or crs=4326).")

    lines = np.arange(len(raw)) + 2  # header is line 1
    report = LoadReport(source=str(path), rows_read=len(raw))
    errors: list[str] = []

    types = raw["service_type"].str.strip().str.lower().str.replace(" ", "_")
    unknown = ~types.isin(SERVICE_TYPES)
    for i in map(int, np.flatnonzero(unknown.to_numpy())):
        errors.append(
            f"line {lines[i]}, column service_type: unknown type {raw['service_type'].iat[i]!r}"
        )

    ages = {}
    for col in ("target_age_min", "target_age_max"):
        values = pd.to_numeric(raw[col].str.strip(), errors="coerce")
        bad = values.isna() | (values < 0) | (values > MAX_AGE) | (values % 1 != 0)
        for i in map(int, np.flatnonzero(bad.to_numpy())):
            errors.append(f"line {lines[i]}, column {col}: impossible age {raw[col].iat[i]!r}")
        ages[col] = values
    swapped_ages = (ages["target_age_min"] > ages["target_age_max"]).to_numpy()
    for i in map(int, np.flatnonzero(swapped_ages)):
        errors.append(
            f"line {lines[i]}: target_age_min {ages['target_age_min'].iat[i]:g} is above "
            f"target_age_max {ages['target_age_max'].iat[i]:g}"
        )

    x = pd.to_numeric(raw[xcol].str.strip(), errors="coerce").to_numpy(dtype=float)
    y = pd.to_numeric(raw[ycol].str.strip(), errors="coerce").to_numpy(dtype=float)
    blank = ((raw[xcol].str.strip() == "") & (raw[ycol].str.strip() == "")).to_numpy()
    unparseable = (~np.isfinite(x) | ~np.isfinite(y)) & ~blank
    for i in map(int, np.flatnonzero(unparseable)):
        errors.append(
            f"line {lines[i]}, columns {xcol}/{ycol}: not a number "
            f"({raw[xcol].iat[i]!r}, {raw[ycol].iat[i]!r})"
        )
    from pyproj import CRS

    geographic = CRS.from_user_input(src_crs).is_geographic
    if geographic:
        swapped, outside = lonlat_problems(x, y)
        for i in map(int, np.flatnonzero(swapped)):
            errors.append(
                f"line {lines[i]}, columns {xcol}/{ycol}: longitude and latitude look "
                f"swapped ({x[i]}, {y[i]})"
            )
    else:
        minx, miny, maxx, maxy = GB_BNG_BOUNDS
        finite = np.isfinite(x) & np.isfinite(y)
        outside = finite & ~((x >= minx) & (x <= maxx) & (y >= miny) & (y <= maxy))
    for i in map(int, np.flatnonzero(outside)):
        errors.append(
            f"line {lines[i]}, columns {xcol}/{ycol}: ({x[i]}, {y[i]}) is outside Great Britain"
        )
    if errors:
        shown = "\n  ".join(errors[:25])
        more = f"\n  ... and {len(errors) - 25} more" if len(errors) > 25 else ""
        raise DataError(
            f"{name}: {len(errors)} problem(s); fix them and read again "
            f"(valid service types: {', '.join(SERVICE_TYPES)}):\n  {shown}{more}"
        )

    if placed is not None:
        status = placed["status"].to_numpy()
        for reason, label in (
            ("blank", "no postcode"),
            ("unknown", "postcode not in the lookup"),
            ("terminated", "terminated postcode"),
            ("no position", "postcode without a grid reference"),
        ):
            report.drop(label, lines[status == reason])
        report.notes.append(f"placed by postcode from {placed.attrs['source']}")
    else:
        report.drop("no location", lines[blank])
    keep = ~blank
    out = pd.DataFrame(
        {
            "name": raw["name"].str.strip(),
            "service_type": types,
            "provider": raw["provider"].str.strip(),
            "target_age_min": ages["target_age_min"].astype("Int64"),
            "target_age_max": ages["target_age_max"].astype("Int64"),
            "funder": raw["funder"].str.strip() if "funder" in raw.columns else "",
        }
    )
    for extra in ("days", "times", "postcode", "notes"):
        if extra in raw.columns:
            out[extra] = raw[extra].str.strip()
    out["row"] = lines
    gdf = gpd.GeoDataFrame(out, geometry=gpd.points_from_xy(x, y), crs=src_crs)
    gdf = gdf.loc[keep]
    if gdf.crs is not None and not gdf.crs.equals(CRS.from_user_input(BNG)):
        gdf = gdf.to_crs(BNG)

    dup = gdf.duplicated(subset=["name", "service_type"], keep="first") & gdf.geometry.duplicated(
        keep="first"
    )
    report.drop("duplicate (same name, type and location)", gdf.loc[dup, "row"])
    gdf = gdf.loc[~dup]
    same_name = gdf["name"].duplicated(keep=False)
    if bool(same_name.any()):
        report.notes.append(
            f"{int(same_name.sum())} services share a name with another at a different "
            "location or of a different type (kept; lines "
            f"{', '.join(map(str, gdf.loc[same_name, 'row'].tolist()[:10]))})"
        )

    if area is not None:
        import shapely

        region = area_polygon(area, gdf.crs.to_string())
        inside = shapely.intersects_xy(region, gdf.geometry.x, gdf.geometry.y)
        report.drop("outside area", gdf.loc[~inside, "row"])
        gdf = gdf.loc[inside]
    if report.n_dropped:
        warnings.warn(report.summary(), HotspotsWarning, stacklevel=2)
    gdf = gdf.reset_index(drop=True)
    gdf.attrs["load_report"] = report
    sources = ["codepoint"] if placed is not None else []
    return record(gdf, method="provision map", parameters={"path": str(path)}, sources=sources)


def _place_by_postcode(raw: pd.DataFrame, postcodes: Any) -> pd.DataFrame:
    """Eastings and northings (as text, blank where not placed) and a status per row."""
    from .postcodes import place_postcodes, read_postcodes

    lookup = postcodes if isinstance(postcodes, pd.DataFrame) else read_postcodes(postcodes)
    placed = place_postcodes(raw["postcode"], lookup)
    out = pd.DataFrame(index=raw.index)
    for col in ("easting", "northing"):
        values = placed[col].to_numpy()
        out[col] = np.where(np.isfinite(values), values.astype(str), "")
    out["status"] = placed["status"].to_numpy()
    out.attrs["source"] = lookup.attrs.get("source", "the postcode table given")
    return out


def known_service_types(service_types: str | list[str]) -> list[str]:
    """The service types asked for, as a list; an unknown one lists the valid ones.

    Examples
    --------
    >>> known_service_types("community_sport")
    ['community_sport']
    """
    wanted = [service_types] if isinstance(service_types, str) else list(service_types)
    bad = sorted(set(wanted) - set(SERVICE_TYPES))
    if bad:
        raise DataError(f"unknown service type(s) {bad}; valid: {', '.join(SERVICE_TYPES)}.")
    return wanted


def select_service_types(
    provision: gpd.GeoDataFrame, service_types: str | list[str] | None
) -> gpd.GeoDataFrame:
    """The services of the given types (all when ``service_types`` is None).

    Parameters
    ----------
    provision : GeoDataFrame
        With a ``service_type`` column (see :func:`read_provision`).
    service_types : str or list of str, optional
        Types from :data:`SERVICE_TYPES`.

    Returns
    -------
    geopandas.GeoDataFrame
        The matching rows, same index.

    Raises
    ------
    DataError
        A type outside :data:`SERVICE_TYPES` (the message lists the valid ones), or no
        service of the given types in ``provision`` (the message lists the types it has).

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import Point
    >>> p = gpd.GeoDataFrame({"service_type": ["pharmacy", "mentoring"]},
    ...     geometry=[Point(0, 0), Point(1, 1)], crs=27700)
    >>> select_service_types(p, "pharmacy").index.tolist()
    [0]
    """
    require_columns(provision, ["service_type"], "provision")
    if service_types is None:
        return provision
    wanted = known_service_types(service_types)
    keep = provision["service_type"].isin(wanted).to_numpy()
    if not keep.any():
        present = sorted(map(str, provision["service_type"].dropna().unique()))
        raise DataError(
            f"no service of type {', '.join(wanted)} in the provision; "
            f"the types it has: {', '.join(present) or 'none'}."
        )
    return provision.loc[keep]


def example_provision(area: str = "Medway", *, seed: int = 0) -> gpd.GeoDataFrame:
    """ILLUSTRATIVE services placed at ward centres of a real area, for demos only.

    No public list of Medway's funded sessions exists, so this builds an invented
    provision map: one or two services per ward, placed at the ward's representative
    point, with types and target ages drawn at random. Every name ends in
    "(illustrative)" and the provider is "Illustrative". Never present these as real.

    Parameters
    ----------
    area : str, default "Medway"
        A local authority name or code known to :func:`hotspots.load_boundary`
        (needs ``HOTSPOTS_DATA_DIR``).
    seed : int, default 0

    Returns
    -------
    geopandas.GeoDataFrame
    """
    import geopandas as gpd

    from .boundaries import load_boundary

    wards = load_boundary(area, level="ward")
    rng = np.random.default_rng(seed)
    kinds = [
        ("community_sport", "Community boxing and football", 10, 18),
        ("youth_service", "Youth club", 11, 19),
        ("substance_misuse", "Young people's drug and alcohol service", 10, 24),
        ("mentoring", "Mentoring project", 12, 24),
        ("family_support", "Family hub", 0, 19),
        ("community_sport", "Street basketball session", 13, 24),
    ]
    rows = []
    for _, ward in _rows(wards):
        for k in rng.choice(len(kinds), size=int(rng.integers(1, 3)), replace=False):
            stype, label, lo, hi = kinds[int(k)]
            point = ward.geometry.representative_point()
            jitter = rng.normal(0, 150, size=2)
            rows.append(
                {
                    "name": f"{label}, {ward['name']} (illustrative)",
                    "service_type": stype,
                    "provider": "Illustrative",
                    "target_age_min": lo,
                    "target_age_max": hi,
                    "funder": "Illustrative",
                    "geometry": type(point)(point.x + jitter[0], point.y + jitter[1]),
                }
            )
    gdf = gpd.GeoDataFrame(rows, geometry="geometry", crs=wards.crs)
    inside = gdf.within(wards.union_all())
    gdf = gdf.loc[inside].reset_index(drop=True)
    return record(
        gdf,
        method="illustrative provision (invented services at ward centres)",
        parameters={"area": area},
        seed=seed,
        sources=["illustrative", "ons_boundaries"],
    )
