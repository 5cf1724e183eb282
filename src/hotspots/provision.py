"""Provision maps: read them, overlay them on hot spots, find gaps, suggest new sites.

A provision map lists services or sessions (community sport, youth services,
substance-misuse services, A&E "reachable moments" workers ...) with their type, target
age group, provider and location. This module answers three questions:

* :func:`provision_in_hotspots` -- do services sit in the hot spots, more than chance?
* :func:`hotspot_gaps` -- which hot spots have no suitable service within reach?

:func:`hotspots.siting.suggest_sites` answers the fourth: where would one (or a few) new
sites cover most harm?
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ._errors import DataError, HotspotsWarning
from ._provenance import record
from ._report import LoadReport
from ._validate import (
    BNG,
    GB_BNG_BOUNDS,
    area_polygon,
    lonlat_problems,
    require_columns,
    require_geodataframe,
    require_nonempty,
    require_projected,
    require_same_crs,
    snake_case,
)

__all__ = [
    "SERVICE_TYPES",
    "ProvisionCheck",
    "example_provision",
    "hotspot_gaps",
    "provision_in_hotspots",
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
_MAX_AGE = 120


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
    area: Any = None,
    postcodes: str | Path | pd.DataFrame | None = None,
) -> Any:
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
    area : GeoDataFrame, optional
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
        bad = values.isna() | (values < 0) | (values > _MAX_AGE) | (values % 1 != 0)
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


def _hot_mask(hotspots: Any, min_bin: int) -> np.ndarray:
    require_columns(hotspots, ["gi_bin"], "hotspots")
    return np.asarray(hotspots["gi_bin"].to_numpy(dtype=float) >= min_bin)


def _check_layers(provision: Any, hotspots: Any) -> tuple[Any, Any]:
    provision = require_geodataframe(provision, "provision")
    hotspots = require_geodataframe(hotspots, "hotspots")
    require_nonempty(hotspots, "hotspots")
    require_projected(hotspots, "hotspots")
    require_projected(provision, "provision")
    require_same_crs(hotspots, provision, ("hotspots", "provision"))
    require_columns(provision, ["service_type"], "provision")
    return provision, hotspots


@dataclass(frozen=True)
class ProvisionCheck:
    """Result of :func:`provision_in_hotspots`.

    Attributes
    ----------
    services : geopandas.GeoDataFrame
        The provision with ``gi_bin`` (bin of the cell it is in; 0 outside every cell),
        ``distance_m`` (or ``minutes``) to the nearest hot cell and ``in_hotspot``.
    summary : pandas.DataFrame
        Per service type and overall (``"all"``): ``n_services``, ``n_in_hotspots``,
        ``share_in_hotspots``, ``hot_share`` (share of the area, or of the candidate
        venues, that counts as "in a hot spot"), ``ratio`` (share / hot share) and
        ``p_value`` of the one-sided permutation test "more concentrated in hot spots
        than chance".
    """

    services: Any
    summary: pd.DataFrame


def provision_in_hotspots(
    provision: Any,
    hotspots: Any,
    *,
    within_m: float = 0.0,
    minutes: float | None = None,
    G: Any = None,
    min_bin: int = 2,
    candidates: Any = None,
    permutations: int = 999,
    seed: int = 0,
) -> ProvisionCheck:
    """Do services sit in (or near) the hot spots, and more than chance would put them?

    Parameters
    ----------
    provision : GeoDataFrame
        Service points (see :func:`read_provision`).
    hotspots : GeoDataFrame
        Cells from :func:`hotspots.gi_star` (``gi_bin``); together they define the study
        area.
    within_m : float, default 0
        A service within this many metres of a hot cell counts as "in" it.
    minutes : float, optional
        Use travel time instead: a service within ``minutes`` over ``G`` (or, when
        ``G`` is None, straight-line x 1.3 at walking pace) of a hot cell counts as in.
    G : networkx.MultiDiGraph, optional
        Street network for ``minutes``.
    min_bin : int, default 2
        Lowest ``gi_bin`` that counts as hot (2 = 95 % confidence).
    candidates : GeoDataFrame, optional
        Venues where services could have been (schools, halls ...). The permutation test
        then draws relocated services from these; otherwise from anywhere in the area.
    permutations : int, default 999
        Random relocations for the test.
    seed : int, default 0

    Returns
    -------
    ProvisionCheck

    Notes
    -----
    The test statistic is the number of services of a type in hot spots. Under the null,
    each service is relocated independently, uniformly at random over the study area
    (cells' union) or over the candidate venues; the one-sided p-value is
    ``(1 + #{relocated >= observed}) / (1 + permutations)``.
    """
    provision, hotspots = _check_layers(provision, hotspots)
    hot = _hot_mask(hotspots, min_bin)
    rng = np.random.default_rng(seed)
    services = provision.copy()
    study = hotspots.geometry.union_all()
    hot_geom = hotspots.geometry[hot].union_all() if hot.any() else None

    cell_of = _cell_lookup(hotspots, provision.geometry)
    services["gi_bin"] = np.where(
        cell_of >= 0, hotspots["gi_bin"].to_numpy()[np.maximum(cell_of, 0)], 0
    ).astype(int)
    services["outside_area"] = cell_of < 0

    if minutes is not None:
        scores, inside_fn = _reach_to_hot(G, hotspots, hot, services, minutes)
        services["minutes"] = scores
    else:
        if hot_geom is None:
            dist = np.full(len(services), np.inf)
        else:
            dist = services.geometry.distance(hot_geom).to_numpy()
        services["distance_m"] = dist
        zone = hot_geom.buffer(within_m) if (hot_geom is not None and within_m > 0) else hot_geom

        def inside_fn(xy: np.ndarray) -> np.ndarray:
            import shapely

            if zone is None:
                return np.zeros(len(xy), dtype=bool)
            return np.asarray(shapely.contains_xy(zone, xy[:, 0], xy[:, 1]))

        services["in_hotspot"] = dist <= within_m
    if minutes is not None:
        services["in_hotspot"] = services["minutes"].to_numpy() <= minutes
    n_outside = int(services["outside_area"].sum())
    if n_outside:
        warnings.warn(
            f"{n_outside} service(s) lie outside every hotspot cell (the study area); "
            "they count as not in a hot spot and are listed by `outside_area`.",
            HotspotsWarning,
            stacklevel=2,
        )

    # Null distribution: where relocated services land.
    if candidates is not None:
        cand = require_geodataframe(candidates, "candidates")
        require_same_crs(hotspots, cand, ("hotspots", "candidates"))
        require_nonempty(cand, "candidates")
        cand_xy = np.column_stack([cand.geometry.x, cand.geometry.y])
        cand_in = inside_fn(cand_xy)
        hot_share = float(cand_in.mean())

        def draw(n: int) -> np.ndarray:
            return np.asarray(cand_in[rng.integers(0, len(cand_in), size=(permutations, n))])

    else:
        sample = _random_points(hotspots, 20_000, rng)
        sample_in = inside_fn(sample)
        hot_share = float(sample_in.mean())

        def draw(n: int) -> np.ndarray:
            pts = _random_points(hotspots, permutations * n, rng)
            return np.asarray(inside_fn(pts)).reshape(permutations, n)

    rows = []
    groups = [("all", services), *services.groupby("service_type", observed=True)]
    for stype, frame in groups:
        n = len(frame)
        observed = int(frame["in_hotspot"].sum())
        if permutations > 0 and n > 0:
            null = draw(n).sum(axis=1)
            p_value = (1 + int((null >= observed).sum())) / (1 + permutations)
        else:
            p_value = float("nan")
        share = observed / n if n else float("nan")
        rows.append(
            {
                "service_type": stype,
                "n_services": n,
                "n_in_hotspots": observed,
                "share_in_hotspots": share,
                "hot_share": hot_share,
                "ratio": share / hot_share if hot_share > 0 else float("nan"),
                "p_value": p_value,
            }
        )
    summary = pd.DataFrame(rows)
    params = {
        "within_m": within_m,
        "minutes": minutes,
        "min_bin": min_bin,
        "permutations": permutations,
        "null": "candidate venues" if candidates is not None else "uniform over the area",
    }
    record(
        services,
        method="provision in hot spots",
        parameters=params,
        seed=seed,
        inherit=hotspots,
        study_area_km2=float(study.area) / 1e6,
    )
    summary.attrs["hotspots"] = dict(services.attrs["hotspots"])
    return ProvisionCheck(services=services, summary=summary)


def _cell_lookup(cells: Any, points: Any) -> np.ndarray:
    """Positional index of the cell containing each point (-1 if none)."""
    import shapely

    tree = shapely.STRtree(cells.geometry.to_numpy())
    pidx, cidx = tree.query(points.to_numpy(), predicate="intersects")
    out = np.full(len(points), -1, dtype=np.int64)
    # first cell wins for points on a shared edge (deterministic: lowest position)
    order = np.lexsort((cidx, pidx))[::-1]
    out[pidx[order]] = cidx[order]
    return out


def _random_points(cells: Any, n: int, rng: np.random.Generator) -> np.ndarray:
    """Uniform random points over the union of ``cells`` (cells chosen by area)."""
    import shapely

    geoms = cells.geometry.to_numpy()
    areas = shapely.area(geoms)
    bounds = shapely.bounds(geoms)
    out = np.empty((0, 2))
    need = n
    while need > 0:
        k = int(need * 1.4) + 16
        pick = rng.choice(len(geoms), size=k, p=areas / areas.sum())
        b = bounds[pick]
        xs = b[:, 0] + rng.random(k) * (b[:, 2] - b[:, 0])
        ys = b[:, 1] + rng.random(k) * (b[:, 3] - b[:, 1])
        ok = shapely.contains_xy(geoms[pick], xs, ys)
        out = np.vstack([out, np.column_stack([xs[ok], ys[ok]])])
        need = n - len(out)
    return out[:n]


def _reach_to_hot(
    G: Any, hotspots: Any, hot: np.ndarray, services: Any, minutes: float
) -> tuple[np.ndarray, Any]:
    """Minutes from each service to the nearest hot cell, and a test for random points."""
    import geopandas as gpd

    from .reach import travel_times

    if not hot.any():
        return np.full(len(services), np.inf), lambda xy: np.zeros(len(xy), dtype=bool)
    hot_points = gpd.GeoDataFrame(
        geometry=hotspots.geometry[hot].representative_point(), crs=hotspots.crs
    )

    def times(points: Any) -> np.ndarray:
        res = travel_times(G, hot_points, points)
        return np.asarray(res["minutes"].to_numpy(dtype=float))

    def inside(xy: np.ndarray) -> np.ndarray:
        pts = gpd.GeoDataFrame(geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=hotspots.crs)
        return times(pts) <= minutes

    return times(services[["geometry"]]), inside


def _wanted(service_types: str | list[str]) -> list[str]:
    wanted = [service_types] if isinstance(service_types, str) else list(service_types)
    bad = sorted(set(wanted) - set(SERVICE_TYPES))
    if bad:
        raise DataError(f"unknown service type(s) {bad}; valid: {', '.join(SERVICE_TYPES)}.")
    return wanted


def select_service_types(provision: Any, service_types: str | list[str] | None) -> Any:
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
    wanted = _wanted(service_types)
    keep = provision["service_type"].isin(wanted).to_numpy()
    if not keep.any():
        present = sorted(map(str, provision["service_type"].dropna().unique()))
        raise DataError(
            f"no service of type {', '.join(wanted)} in the provision; "
            f"the types it has: {', '.join(present) or 'none'}."
        )
    return provision.loc[keep]


def _suitable(
    provision: Any, service_types: Any, ages: tuple[int, int] | None
) -> tuple[Any, np.ndarray]:
    keep = np.ones(len(provision), dtype=bool)
    if service_types is not None:
        keep &= provision["service_type"].isin(_wanted(service_types)).to_numpy()
    if ages is not None:
        lo, hi = ages
        if lo > hi:
            raise DataError(f"ages=({lo}, {hi}): the first age must not exceed the second.")
        require_columns(provision, ["target_age_min", "target_age_max"], "provision")
        amin = provision["target_age_min"].to_numpy(dtype=float, na_value=0)
        amax = provision["target_age_max"].to_numpy(dtype=float, na_value=_MAX_AGE)
        keep &= (amin <= hi) & (amax >= lo)
    return provision.loc[keep], keep


def hotspot_gaps(
    hotspots: Any,
    provision: Any,
    *,
    G: Any = None,
    minutes: float = 15.0,
    service_types: str | list[str] | None = None,
    ages: tuple[int, int] | None = (10, 24),
    min_bin: int = 2,
    harm: str = "count",
    incidents: Any = None,
) -> Any:
    """Hot spots with no suitable provision within ``minutes``, ranked by harm.

    Parameters
    ----------
    hotspots : GeoDataFrame
        Cells with ``gi_bin`` (from :func:`hotspots.gi_star`).
    provision : GeoDataFrame
        Services (see :func:`read_provision`).
    G : networkx.MultiDiGraph, optional
        Street network; without it, straight-line distance x 1.3 at walking pace
        (labelled ``method="straight-line"``).
    minutes : float, default 15
    service_types : str or list of str, optional
        Which types count as suitable (default: all).
    ages : (int, int) or None, default (10, 24)
        A service is suitable when its target ages overlap this range.
    min_bin : int, default 2
        Lowest ``gi_bin`` that counts as a hot spot (2 = 95 % confidence).
    harm : str, default "count"
        Column ranking the gaps (worst first); ties broken by ``gi_z``.
    incidents : GeoDataFrame, optional
        Incidents with police.uk's ``location`` ("On or near ..."): the commonest one in
        each gap names its street in ``place``, as on the tasking map.

    Returns
    -------
    geopandas.GeoDataFrame
        The hot cells without suitable provision within the threshold, with ``place``
        (the cell's own ``place`` column if it has one, else the street from
        ``incidents``, the Ordnance Survey grid reference of the cell and its id),
        ``minutes_to_service``, ``nearest_service`` (name) and ``method``; same index
        as ``hotspots``, worst first.
    """
    provision, hotspots = _check_layers(provision, hotspots)
    if minutes <= 0:
        raise DataError(f"minutes must be positive, got {minutes}.")
    require_columns(hotspots, [harm], "hotspots")
    suitable, _ = _suitable(provision, service_types, ages)
    hot = hotspots.loc[_hot_mask(hotspots, min_bin)]
    params = {
        "minutes": minutes,
        "service_types": service_types,
        "ages": ages,
        "min_bin": min_bin,
        "n_suitable_services": len(suitable),
    }
    if len(suitable) == 0:
        warnings.warn(
            "no service matches the requested types and ages, so every hot spot is a gap.",
            HotspotsWarning,
            stacklevel=2,
        )
        out = hot.copy()
        out["minutes_to_service"] = np.inf
        out["nearest_service"] = None
        out["method"] = "network" if G is not None else "straight-line"
    else:
        from .reach import travel_times

        tt = travel_times(G, suitable, hot)
        out = hot.copy()
        out["minutes_to_service"] = tt["minutes"].to_numpy(dtype=float)
        nearest = tt["nearest_service"]
        names = suitable["name"] if "name" in suitable.columns else pd.Series(suitable.index)
        out["nearest_service"] = nearest.map(names).to_numpy()
        out["method"] = tt["method"].to_numpy() if "method" in tt.columns else "network"
    gaps = out.loc[~(out["minutes_to_service"].to_numpy() <= minutes)]
    sort_cols = [harm] + (["gi_z"] if "gi_z" in gaps.columns else [])
    gaps = gaps.sort_values(sort_cols, ascending=False, kind="mergesort")
    gaps.insert(0, "place", _places(gaps, incidents))
    return record(gaps, method="hot spots without provision", parameters=params, inherit=hotspots)


def _places(cells: Any, incidents: Any) -> list[str]:
    """Street (commonest police.uk location) and grid reference of each cell, as the
    tasking map names its cells."""
    from ._layers import incidents_by_cell, place_text

    if len(cells) == 0:
        return []
    located = incidents_by_cell(cells, incidents)[1] if incidents is not None else {}
    centres = cells.geometry.representative_point()
    columns = set(cells.columns)
    return [
        place_text(row, columns, centres.loc[idx], True, located.get(idx))
        for idx, row in cells.iterrows()
    ]


def example_provision(area: str = "Medway", *, seed: int = 0) -> Any:
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
    for _, ward in wards.iterrows():
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
