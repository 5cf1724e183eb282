"""data.police.uk street-level API: saved JSON and the live service -> incidents.

:func:`read_police_api` reads the JSON the API returns (a file, a string or the decoded
records) and :func:`fetch_police_api` asks the live service for an area and months
(polygon queries sent by POST, an area split in four when the API refuses it as too large,
responses cached). Both return the schema and load report of
:func:`hotspots.read_police_csv`, with the API's category slugs mapped to the bulk files'
crime-type names (:data:`hotspots.police.API_CATEGORIES`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from . import _http
from ._errors import DataError, OfflineError
from ._policeuk import (
    API_CATEGORIES,
    INCIDENT_COLUMNS,
    SourcedLoadReport,
    _decode_error,
    _finish,
    _keep_in_area,
    _normalise_months,
    _parse,
    _Rows,
)
from ._progress import progress
from ._validate import BNG, area_polygon

if TYPE_CHECKING:
    import geopandas as gpd
    import requests
    from shapely.geometry.base import BaseGeometry

    from ._months import MonthLike

__all__ = ["API_URL", "fetch_police_api", "read_police_api"]

API_URL = "https://data.police.uk/api/crimes-street/{category}"
_OFFLINE_ADVICE = (
    "Download the bulk street CSVs for your force and months from "
    "https://data.police.uk/data/ and load them with hotspots.read_police_csv(...)."
)


def _load_records(source: Any) -> tuple[str, list[Any]]:
    if isinstance(source, list):
        return "API records", source
    text: str
    name = "API JSON"
    if isinstance(source, Path) or (
        isinstance(source, str) and not source.lstrip().startswith(("[", "{"))
    ):
        path = Path(source)
        if not path.is_file():
            raise DataError(f"{path}: file not found.")
        name = str(path)
        data = path.read_bytes()
        if not data.strip():
            raise DataError(f"{name}: the file is empty (0 bytes); expected a JSON array.")
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise _decode_error(name, data, "utf-8") from exc
    else:
        text = str(source)
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DataError(
            f"{name}: invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}."
        ) from exc
    if isinstance(obj, dict):
        wrapped = [k for k, v in obj.items() if isinstance(v, list)]
        if wrapped and not {"category", "location", "month"} & set(obj):
            raise DataError(
                f"{name}: a JSON object holding a list under {wrapped[0]!r}, not an array of "
                f"crime records; pass that list (e.g. data[{wrapped[0]!r}])."
            )
        obj = [obj]
    if isinstance(obj, list) and obj and all(isinstance(r, list) for r in obj):
        raise DataError(
            f"{name}: a JSON array of arrays (nested one level too deep), not an array of "
            "crime records; pass the inner list (e.g. data[0]), or join them."
        )
    if not isinstance(obj, list):
        raise DataError(f"{name}: expected a JSON array of crime records.")
    return name, obj


def _api_frame(records: list[Any], force: str | None) -> tuple[pd.DataFrame, list[int]]:
    """Records -> raw bulk-like frame; also the record numbers that are not objects."""
    bad = [i + 1 for i, r in enumerate(records) if not isinstance(r, dict)]
    recs = [r for r in records if isinstance(r, dict)]

    def loc(r: dict[str, Any]) -> dict[str, Any]:
        v = r.get("location")
        return v if isinstance(v, dict) else {}

    def street(r: dict[str, Any]) -> dict[str, Any]:
        v = loc(r).get("street")
        return v if isinstance(v, dict) else {}

    def who(r: dict[str, Any]) -> str:
        if r.get("location_type") == "BTP":
            return "British Transport Police"
        return force or "Police force"

    def outcome(r: dict[str, Any]) -> str:
        v = r.get("outcome_status")
        return str(v.get("category") or "") if isinstance(v, dict) else ""

    def s(v: Any) -> str:
        return "" if v is None else str(v)

    owner = [who(r) for r in recs]
    frame = pd.DataFrame(
        {
            "Crime ID": [s(r.get("persistent_id")) for r in recs],
            "Month": [s(r.get("month")) for r in recs],
            "Reported by": owner,
            "Falls within": owner,
            "Longitude": [s(loc(r).get("longitude")) for r in recs],
            "Latitude": [s(loc(r).get("latitude")) for r in recs],
            "Location": [s(street(r).get("name")) for r in recs],
            "LSOA code": "",
            "LSOA name": "",
            "Crime type": [s(r.get("category")) for r in recs],
            "Last outcome category": [outcome(r) for r in recs],
            "Context": [s(r.get("context")) for r in recs],
            "api_id": [s(r.get("id")) for r in recs],
            "street_id": [s(street(r).get("id")) for r in recs],
        },
        index=[i + 1 for i, r in enumerate(records) if isinstance(r, dict)],
        dtype="str",
    )
    return frame, bad


def _read_api_records(name: str, records: list[Any], force: str | None, area: Any) -> Any:
    import geopandas as gpd

    frame, bad = _api_frame(records, force)
    report = SourcedLoadReport(source=name, rows_read=len(records))
    report.drop_in(name, "not a crime record", bad)
    nums = frame.index.to_numpy(dtype=np.int64)
    slug = frame["Crime type"]
    known = slug.isin(list(API_CATEGORIES)).to_numpy(dtype=bool)
    report.drop_in(name, "unknown category", nums[~known])
    if (~known).any():
        report.notes.append(
            f"{name}: unknown API categories {sorted(set(slug[~known]))} were not mapped"
        )
    dup = (frame["api_id"].duplicated() & (frame["api_id"] != "")).to_numpy(dtype=bool)
    report.drop_in(name, "duplicate api id", nums[dup & known])
    frame = frame.loc[known & ~dup]
    frame["Crime type"] = frame["Crime type"].map(API_CATEGORIES)
    if len(frame):
        positions = np.arange(len(frame), dtype=np.int64)
        gdf, rep = _parse(
            frame.reset_index(drop=True), _Rows([name], np.zeros(len(frame), np.intp), positions)
        )
        # _parse numbers rows from first_line; restore the record numbers
        gdf["source_line"] = frame.index.to_numpy()[gdf["source_line"].to_numpy()]
        for reason, rows in rep.dropped.items():
            real = [int(frame.index[r]) for r in rows]
            report.drop_in(name, reason, real)
        report.notes.extend(rep.notes)
    else:
        cols = {c: pd.Series(dtype="str") for c in (*INCIDENT_COLUMNS, "api_id", "street_id")}
        gdf = gpd.GeoDataFrame(
            {**cols, "source_file": name, "source_line": pd.Series(dtype="int64")},
            geometry=gpd.GeoSeries([], crs=BNG),
            crs=BNG,
        )
    pids = gdf["crime_id"].astype("str")
    repeated = int((pids.duplicated() & (pids != "")).sum())
    if repeated:
        report.notes.append(
            f"{name}: {repeated} record(s) share a persistent_id with another record "
            "(kept: their API ids differ)"
        )
    if area is not None:
        gdf = _keep_in_area(gdf, area, report)
    return gdf, report


def read_police_api(
    source: Path | str | list[dict[str, object]], *, force: str | None = None
) -> gpd.GeoDataFrame:
    """Read street-level crime records of the data.police.uk API into incidents.

    Parameters
    ----------
    source : path, JSON text or list of dict
        A saved ``crimes-street`` response (a JSON array), its text, or the parsed list.
    force : str, optional
        Name of the force that answered, e.g. ``"Kent Police"``. The API does not name
        the force, so records with ``location_type`` "Force" get ``reported_by`` and
        ``falls_within`` = ``force``, or "Police force" when not given. "BTP" records
        get "British Transport Police".

    Returns
    -------
    geopandas.GeoDataFrame
        The incident schema of :func:`read_police_csv` plus ``api_id`` and ``street_id``.
        ``crime_id`` is the API ``persistent_id`` (blank for anti-social behaviour),
        ``location`` the street name, ``crime_type`` the bulk name of the category slug
        (:data:`API_CATEGORIES`), ``outcome`` the ``outcome_status`` category or "".
        ``lsoa_code`` and ``lsoa_name`` are empty: the API gives no LSOA (join with
        LSOA boundaries if you need them). ``source_line`` is the 1-based record number.
        Unknown category slugs and repeated API ids are dropped and reported.

    Examples
    --------
    >>> rec = {"category": "drugs", "location_type": "Force", "persistent_id": "ab",
    ...        "location": {"latitude": "51.38", "longitude": "0.52",
    ...                     "street": {"id": 1, "name": "On or near High Street"}},
    ...        "context": "", "outcome_status": None, "id": 7, "month": "2018-06"}
    >>> gdf = read_police_api([rec], force="Kent Police")
    >>> gdf.loc[0, ["crime_type", "reported_by", "api_id"]].tolist()
    ['Drugs', 'Kent Police', '7']
    """
    name, records = _load_records(source)
    gdf, report = _read_api_records(name, records, force, None)
    return _finish(
        gdf, report, method="data.police.uk street-level API", parameters={"force": force}
    )


def _poly_param(geom: Any) -> str:
    """The API's ``poly`` field, "lat,lng:lat,lng:...", of a polygon's exterior."""
    coords = list(geom.exterior.coords)[:-1]
    return ":".join(f"{lat:.6f},{lng:.6f}" for lng, lat in coords)


def _simplified_parts(area: Any, max_vertices: int = 100) -> list[Any]:
    """Polygons (EPSG:4326) covering ``area``, each with at most ``max_vertices``."""
    import geopandas as gpd
    import shapely

    parts = []
    for poly in shapely.get_parts(area_polygon(area, BNG)):
        shell = shapely.Polygon(poly.exterior)
        tol = 5.0
        simple = shell
        while len(simple.exterior.coords) - 1 > max_vertices:
            # buffering first keeps the simplified outline around the original
            simple = shell.buffer(tol).simplify(tol, preserve_topology=True)
            tol *= 2
        parts.append(gpd.GeoSeries([simple], crs=BNG).to_crs("EPSG:4326").iloc[0])
    return parts


def _quadrants(geom: Any) -> list[Any]:
    import shapely

    minx, miny, maxx, maxy = geom.bounds
    mx, my = (minx + maxx) / 2, (miny + maxy) / 2
    out: list[Any] = []
    for box in (
        shapely.box(minx, miny, mx, my),
        shapely.box(mx, miny, maxx, my),
        shapely.box(minx, my, mx, maxy),
        shapely.box(mx, my, maxx, maxy),
    ):
        piece = geom.intersection(box)
        out.extend(p for p in shapely.get_parts(piece) if p.geom_type == "Polygon")
    return out


def _fetch_piece(
    geom: Any, month: str, category: str, session: Any, depth: int, max_depth: int
) -> list[Any]:
    result = _http.request(
        "POST",
        API_URL.format(category=category),
        data={"poly": _poly_param(geom), "date": month},
        offline_advice=_OFFLINE_ADVICE,
        session=session,
    )
    if result.status == 503:
        if depth >= max_depth:
            raise DataError(
                f"the police API still reports more than 10,000 crimes for {month} after "
                f"splitting the area {max_depth} times. {_OFFLINE_ADVICE}"
            )
        return [
            rec
            for piece in _quadrants(geom)
            for rec in _fetch_piece(piece, month, category, session, depth + 1, max_depth)
        ]
    if not 200 <= result.status < 300:
        raise OfflineError(
            f"the police API answered HTTP {result.status} for {month}. {_OFFLINE_ADVICE}"
        )
    data = result.json()
    if not isinstance(data, list):
        raise DataError(f"the police API returned {type(data).__name__}, not a list, for {month}.")
    return data


def fetch_police_api(
    area: gpd.GeoDataFrame | gpd.GeoSeries | BaseGeometry,
    months: Iterable[MonthLike],
    *,
    category: str = "all-crime",
    session: requests.Session | None = None,
    force: str | None = None,
    max_depth: int = 4,
) -> gpd.GeoDataFrame:
    """Fetch street-level crimes inside ``area`` from the live data.police.uk API.

    Each month is a POST to ``crimes-street/<category>`` with the area as a polygon of at
    most 100 vertices (a slightly enlarged simplification; points outside the real area
    are then dropped as "outside area"). When the API answers 503 (more than 10,000
    crimes) the polygon is split into the quadrants of its bounding box and each is
    fetched, up to ``max_depth`` times; records found twice are dropped by API id.
    Responses are cached on disk (``HOTSPOTS_CACHE_DIR``).

    Parameters
    ----------
    area : GeoDataFrame, GeoSeries or shapely polygon
    months : list of "YYYY-MM" or dates
    category : str, default "all-crime"
        An API category slug (:data:`API_CATEGORIES`) or "all-crime".
    session : requests.Session-like, optional
        Object with a ``request(method, url, ...)`` method.
    force : str, optional
        See :func:`read_police_api`.
    max_depth : int, default 4

    Returns
    -------
    geopandas.GeoDataFrame
        As :func:`read_police_api`.

    Raises
    ------
    OfflineError
        Offline (``HOTSPOTS_OFFLINE=1``) and not cached, or the service is unreachable;
        the message says to use the bulk CSV download instead.
    """
    if category != "all-crime" and category not in API_CATEGORIES:
        raise DataError(
            f"unknown category {category!r}; use 'all-crime' or {list(API_CATEGORIES)}."
        )
    month_list = _normalise_months(months)
    if not month_list:
        raise DataError("months is empty; give at least one 'YYYY-MM'.")
    parts = _simplified_parts(area)
    tasks = [(m, p) for m in month_list for p in parts]
    records: list[Any] = []
    for month, part in progress(tasks, desc="police API", total=len(tasks)):
        records.extend(_fetch_piece(part, month, category, session, 0, max_depth))
    gdf, report = _read_api_records("data.police.uk API", records, force, area)
    parameters = {"months": month_list, "category": category, "force": force}
    # pieces of a split area overlap: records found twice are expected, not a loss
    return _finish(
        gdf,
        report,
        method="data.police.uk street-level API",
        parameters=parameters,
        expected=("duplicate api id",),
    )
