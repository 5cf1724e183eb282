"""National scale on Dask: every force, every month, without holding every incident.

data.police.uk publishes about six million street records a year for England and Wales,
one CSV per force and month. Trends over several years do not fit comfortably in one
process, so this module runs the same per-file steps as :func:`hotspots.read_police_csv`
and :func:`hotspots.count_points` on a Dask cluster (``dask.distributed``), one task per
monthly file, and combines small per-file results:

* :func:`read_police_dask` -- a lazy ``dask_geopandas.GeoDataFrame`` with the same schema
  as :func:`~hotspots.read_police_csv`, and its load report on demand;
* :func:`count_points_dask` -- counts per hexagon or square cell computed per file and
  summed, returned as an ordinary GeoDataFrame ready for :func:`~hotspots.gi_star`,
  :func:`~hotspots.kde` or :func:`~hotspots.space_time_cube`, with the merged load report.

Each file is read once: its worker keeps a compact form (cell, line and category of each
row, about 40 bytes per incident, spread over the workers) until the cross-file duplicate
check is settled. Only 64-bit hashes of the crime ids and per-cell counts travel back to
the caller, so its memory is bounded by the number of non-empty cells, not by the number
of incidents.

``client`` everywhere accepts ``None`` (a local cluster, one single-threaded worker process
per core, for the duration of the call), a scheduler address such as
``"tcp://10.0.0.5:8786"`` (an existing cluster), or a ``distributed.Client``.
"""

from __future__ import annotations

import contextlib
import functools
import os
import warnings
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ._errors import DataError, HotspotsWarning, NetworkError
from ._optional import import_optional
from ._progress import progress
from ._provenance import record
from ._validate import BNG

if TYPE_CHECKING:
    from pathlib import Path

    import distributed
    import geopandas as gpd

    from ._months import MonthLike

__all__ = ["LazyIncidents", "count_points_dask", "read_police_dask"]

_ID_FACTOR = 100_000_000
#: per-file count tables are combined once this many rows are waiting
_COMBINE_ROWS = 2_000_000
#: reasons that are expected and not worth a warning (as in read_police_csv)
_QUIET_REASONS = frozenset(
    {"filtered: month", "filtered: crime type", "outside area", "no location"}
)


def _distributed() -> Any:
    return import_optional("distributed", extra="dask", purpose="Running on Dask")


@contextlib.contextmanager
def _client(client: Any) -> Iterator[Any]:
    """Yield a ``distributed.Client``: the one given, one for an address, or a local one."""
    distributed = _distributed()
    if isinstance(client, distributed.Client):
        yield client
        return
    if isinstance(client, str):
        import dask

        timeout = dask.config.get("distributed.comm.timeouts.connect", default="30s")
        try:
            c = distributed.Client(client, timeout=timeout)
        except (OSError, TimeoutError) as exc:
            raise NetworkError(
                f"Could not connect to a Dask scheduler at {client!r} ({exc}). Check the "
                "address (e.g. 'tcp://host:8786') and that the scheduler is running, or pass "
                "client=None to start a local cluster."
            ) from exc
        with c:
            yield c
        return
    if client is not None:
        raise DataError(
            f"client must be None, a scheduler address or a distributed.Client, not "
            f"{type(client).__name__}."
        )
    workers = max(1, min(os.cpu_count() or 1, 8))
    with (
        distributed.LocalCluster(
            n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as c,
    ):
        yield c


def _files(source: Any) -> list[tuple[str, Any]]:
    from ._policeuk import _sources

    return _sources(source)


def _parse_file(
    name: str, where: Any, months: list[str] | None, crime_types: list[str] | None
) -> tuple[Any, Any]:
    """One file through the in-memory reader's own parsing step."""
    from ._policeuk import _parse, _read_table, _Rows

    df = _read_table(name, where, "utf-8").to_pandas()
    n = len(df)
    rows = _Rows([name], np.zeros(n, dtype=np.intp), np.arange(2, n + 2, dtype=np.int64))
    return _parse(df, rows, months=months, crime_types=crime_types)


def _filters(crime_types: Sequence[str] | None, months: Any) -> tuple[Any, Any]:
    from ._policeuk import _check_crime_types, _normalise_months

    wanted = _check_crime_types(crime_types) if crime_types is not None else None
    month_list = _normalise_months(months) if months is not None else None
    return wanted, month_list


def _warn_losses(report: Any) -> None:
    losses = {k: v for k, v in report.counts().items() if k not in _QUIET_REASONS}
    if losses:
        warnings.warn(
            f"{report.source}: dropped {sum(losses.values()):,} of {report.rows_read:,} "
            f"rows ({losses}); see attrs['load_report'].",
            HotspotsWarning,
            stacklevel=3,
        )


# ------------------------------------------------------------------ lazy frame
@dataclass(frozen=True)
class LazyIncidents:
    """Incidents read lazily, one partition per monthly file.

    Attributes
    ----------
    frame : dask_geopandas.GeoDataFrame
        Same columns and CRS as :func:`hotspots.read_police_csv` (EPSG:27700; text
        columns as strings). Duplicate crime ids are removed within each file;
        :func:`count_points_dask` also removes them across files.
    files : list of str
        The files, one partition each.
    crime_types, months : list of str or None
        The filters applied.
    """

    frame: Any
    files: list[str]
    crime_types: list[str] | None
    months: list[str] | None

    def report(self, *, client: Any = None) -> Any:
        """Read every file once more on the cluster and return the merged load report.

        Duplicate crime ids are counted within each file only (as in ``frame``).
        """
        from .police import SourcedLoadReport

        files = _files(self.files)
        with _client(client) as c:
            report_file = functools.partial(
                _file_report, months=self.months, crime_types=self.crime_types
            )
            futures = c.map(report_file, files, pure=False)
            merged = SourcedLoadReport(source=_source_name(files))
            for rep in c.gather(futures):
                merged.absorb(rep)
        return merged


def _source_name(files: list[tuple[str, Any]]) -> str:
    return str(files[0][0]) if len(files) == 1 else f"{len(files)} files"


def _file_report(item: tuple[str, Any], *, months: Any, crime_types: Any) -> Any:
    from .police import drop_duplicate_ids

    gdf, rep = _parse_file(item[0], item[1], months, crime_types)
    drop_duplicate_ids(gdf, rep)
    return rep


def _read_partition(item: tuple[str, Any], months: Any, crime_types: Any) -> Any:
    from .police import drop_duplicate_ids

    gdf, rep = _parse_file(item[0], item[1], months, crime_types)
    out = drop_duplicate_ids(gdf, rep).reset_index(drop=True)
    # plain strings in every partition: per-file categoricals would not line up
    for col in out.columns:
        if isinstance(out[col].dtype, pd.CategoricalDtype):
            out[col] = out[col].astype(object)
    return out


def read_police_dask(
    source: Path | str | Sequence[Path | str],
    *,
    crime_types: Sequence[str] | None = None,
    months: Iterable[MonthLike] | None = None,
) -> LazyIncidents:
    """Read many data.police.uk street CSVs lazily into a dask-geopandas frame.

    Parameters
    ----------
    source : path, list of paths, folder or zip archive
        As for :func:`hotspots.read_police_csv`: every ``*-street.csv`` becomes one
        partition (all forces, all months).
    crime_types, months : optional
        Filters, as for :func:`hotspots.read_police_csv`.

    Returns
    -------
    LazyIncidents
        ``.frame`` is lazy: nothing is read until it is computed (on whatever Dask
        scheduler is active, e.g. a ``distributed.Client``); ``.report()`` gives the
        load report.

    Raises
    ------
    DataError
        Missing source, unknown crime type, bad month, or a first file that cannot be
        read (it is read once to learn the columns).

    Examples
    --------
    >>> from hotspots import config
    >>> lazy = read_police_dask(config.data_path("crime/kent_street_2019-01_format_sample.csv"))
    >>> lazy.frame.npartitions, list(lazy.frame.columns[:3])
    (1, ['crime_id', 'month', 'reported_by'])
    """
    import_optional("dask_geopandas", extra="dask", purpose="Reading police data on Dask")
    import dask.dataframe as dd
    import dask_geopandas  # noqa: F401  (registers the geopandas backend)

    wanted, month_list = _filters(crime_types, months)
    files = _files(source)
    meta = _read_partition(files[0], month_list, wanted).iloc[:0]
    frame = dd.from_map(  # type: ignore[no-untyped-call]
        _read_partition,
        files,
        args=(month_list, wanted),
        meta=meta,
        label="read-police-csv",
        enforce_metadata=False,
    )
    return LazyIncidents(
        frame=frame, files=[n for n, _ in files], crime_types=wanted, months=month_list
    )


# --------------------------------------------------------------- aggregation
def _cross_file_duplicates(parts: list[tuple[Any, Any]], names: list[str]) -> dict[str, Any]:
    """Lines to drop per file: every non-first occurrence of an id, in file order.

    Repeats within one file are also listed; that file's own check drops them first, so
    they are not counted twice.
    """
    if not parts:
        return {}
    hashes = np.concatenate([h for h, _ in parts])
    owner = np.repeat(np.arange(len(parts), dtype=np.int32), [len(h) for h, _ in parts])
    lines = np.concatenate([ln for _, ln in parts])
    # stable sort: the first position of each hash is its first occurrence in file order
    order = np.argsort(hashes, kind="stable")
    sorted_h = hashes[order]
    repeat = np.zeros(len(hashes), dtype=bool)
    repeat[order[1:]] = sorted_h[1:] == sorted_h[:-1]
    return {names[int(i)]: lines[repeat & (owner == i)] for i in np.unique(owner[repeat])}


def _prepare_file(
    item: tuple[str, Any],
    months: Any,
    crime_types: Any,
    spec: dict[str, Any],
    by: str | None,
    area_wkb: bytes | None,
) -> dict[str, Any]:
    """Read one file once and keep what the counting needs (about 40 bytes per row).

    The rows are those the in-memory reader keeps before the cross-file duplicate check
    and the area test: parsed, filtered, located, without repeats within the file.
    """
    import shapely

    from .grid import hex_cell_index, square_cell_index
    from .police import drop_duplicate_ids

    gdf, rep = _parse_file(item[0], item[1], months, crime_types)
    gdf = drop_duplicate_ids(gdf, rep)
    xy = shapely.get_coordinates(gdf.geometry.to_numpy())
    lines = gdf["source_line"].to_numpy().astype(np.int64)
    inside = None
    if area_wkb is not None:
        area = shapely.from_wkb(area_wkb)
        shapely.prepare(area)
        inside = shapely.intersects_xy(area, xy[:, 0], xy[:, 1])
    index = hex_cell_index if spec["kind"] == "hex" else square_cell_index
    r, c = index(xy[:, 0], xy[:, 1], cell_size=spec["cell_size"], origin=spec["origin"])
    codes, categories = None, None
    if by is not None:
        codes, uniques = pd.factorize(gdf[by].astype("str").to_numpy(), use_na_sentinel=False)
        categories = np.asarray(uniques, dtype=object)
    ids = gdf["crime_id"].astype("str").to_numpy(dtype=object)
    named = ids != ""
    return {
        "name": item[0],
        "report": rep,
        "lines": lines,
        "cells": r * _ID_FACTOR + c,
        "inside": inside,
        "codes": codes,
        "categories": categories,
        "hashes": pd.util.hash_array(ids[named]),
        "hash_lines": lines[named],
    }


def _hashes(part: dict[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    """The 64-bit hashes of a file's crime ids, and their lines."""
    return part["hashes"], part["hash_lines"]


def _count_part(part: dict[str, Any], drop_lines: np.ndarray) -> tuple[pd.DataFrame, Any]:
    """Counts per cell (and per ``by`` category) of one file, and its report.

    Cross-file duplicates go first, then the area test, in the in-memory reader's order.
    """
    import copy

    name, lines = part["name"], part["lines"]
    rep = copy.deepcopy(part["report"])
    keep = np.ones(len(lines), dtype=bool)
    if len(drop_lines):
        dup = np.isin(lines, drop_lines)
        rep.drop_in(name, "duplicate crime id", lines[dup])
        keep &= ~dup
    if part["inside"] is not None:
        rep.drop_in(name, "outside area", lines[keep & ~part["inside"]])
        keep &= part["inside"]
    frame = pd.DataFrame({"cell_id": part["cells"][keep]})
    if part["codes"] is not None:
        frame["by"] = part["categories"][part["codes"][keep]]
        counts = frame.groupby(["cell_id", "by"]).size().unstack("by", fill_value=0)
        counts.columns = counts.columns.astype(object)
    else:
        counts = frame.groupby("cell_id").size().to_frame("count")
    return counts.astype(np.int64), rep


def _combine(tables: list[pd.DataFrame]) -> pd.DataFrame:
    if len(tables) == 1:
        return tables[0]
    out = pd.concat(tables, axis=0, sort=False).fillna(0)
    return out.groupby(level=0, sort=True).sum().astype(np.int64)


def _by_names(categories: list[str], taken: set[str]) -> dict[str, str]:
    """Column names as :func:`hotspots.count_points` gives them (``count_<slug>``)."""
    from .grid import _slug

    used = set(taken)
    names: dict[str, str] = {}
    for cat in sorted(categories):
        base = f"count_{_slug(cat)}"
        col, i = base, 2
        while col in used:
            col, i = f"{base}_{i}", i + 1
        used.add(col)
        names[cat] = col
    return names


def count_points_dask(
    source: Path | str | Sequence[Path | str],
    *,
    cell: str = "hex",
    cell_size: float = 250.0,
    area: gpd.GeoDataFrame | gpd.GeoSeries | None = None,
    by: str | None = None,
    crime_types: Sequence[str] | None = None,
    months: Iterable[MonthLike] | None = None,
    dedupe: bool = True,
    client: distributed.Client | str | None = None,
    show_progress: bool | None = None,
) -> gpd.GeoDataFrame:
    """Count police.uk incidents per grid cell on a Dask cluster, file by file.

    Gives the same cells, counts and load report as ``count_points(read_police_csv(source,
    area=area, ...), hex_grid(area, cell_size=...), by=by)`` without holding the
    incidents in one process: each worker reads one monthly file at a time and returns
    its per-cell counts.

    Parameters
    ----------
    source : path, list of paths, folder or zip archive
        data.police.uk street CSVs (all forces, all months).
    cell : {"hex", "square"}, default "hex"
    cell_size : float, default 250
        Metres, as in :func:`hotspots.hex_grid` / :func:`hotspots.square_grid`.
    area : GeoDataFrame or GeoSeries, optional
        Keep incidents inside this polygon and return every cell of the grid over it,
        empty ones included (as the in-memory path). Without it, only cells holding at
        least one incident are returned (the national case: a full grid of England at
        250 m would be millions of mostly empty cells).
    by : str, optional
        Column whose categories get their own count columns (e.g. ``"crime_type"``),
        named as :func:`hotspots.count_points` names them.
    crime_types, months : optional
        Filters, as for :func:`hotspots.read_police_csv`.
    dedupe : bool, default True
        Remove crime ids repeated across files as :func:`~hotspots.read_police_csv`
        does (the first occurrence in file order is kept). This brings 16 bytes per
        incident with a crime id back to the caller.
    client : None, str or distributed.Client
        ``None`` starts a local cluster for the call; a scheduler address or a client
        uses an existing cluster.
    show_progress : bool, optional
        Progress bars over files (default: on unless ``HOTSPOTS_PROGRESS=0``).

    Returns
    -------
    geopandas.GeoDataFrame
        Cells (``cell_id``, ``row``, ``col``, geometry, EPSG:27700) with ``count`` and
        the ``by`` columns; ``attrs["load_report"]`` holds the merged load report and
        ``attrs["hotspots"]["by_columns"]`` the category -> column mapping.

    Raises
    ------
    DataError
        Bad ``cell``/``cell_size``/``by``/filters, a missing source or an unreadable file.
    NetworkError
        ``client`` is an address where no scheduler answers.

    Warns
    -----
    HotspotsWarning
        Rows dropped for reasons other than filters, area or a blank location
        (duplicates, unparseable or out-of-Britain coordinates), as the in-memory reader.

    Notes
    -----
    Without ``area`` the result holds only non-empty cells. Hot spot statistics should
    then be given explicit neighbours: :func:`hotspots.gi_star`'s default distance band
    (the largest nearest-neighbour distance, ArcGIS's default) spans the gap between the
    most isolated cells -- about 12 km for 20 million synthetic incidents over England,
    i.e. thousands of neighbours per cell and tens of GB of weights. Pass ``distance=``
    (e.g. 500 m) or ``neighbours="knn"``, or count over an ``area`` so that empty cells
    take part, as Gi* assumes.

    Cross-file duplicates are found by 64-bit hashes of the ids; two different ids share
    a hash with probability about ``n**2 / 2**65`` (under 1e-5 for 20 million ids).

    Examples
    --------
    >>> import distributed
    >>> from hotspots import config, hex_grid
    >>> path = config.data_path("crime/kent_street_2019-01_format_sample.csv")
    >>> with distributed.Client(processes=False) as client:  # doctest: +SKIP
    ...     cells = count_points_dask(path, by="crime_type", client=client)
    >>> int(cells["count"].sum())  # doctest: +SKIP
    30
    """
    from .police import INCIDENT_COLUMNS, SourcedLoadReport

    if cell not in {"hex", "square"}:
        raise DataError(f"cell must be 'hex' or 'square', not {cell!r}.")
    if isinstance(cell_size, bool) or not isinstance(cell_size, (int, float, np.number)):
        raise DataError(f"cell_size must be a positive number of metres, got {cell_size!r}.")
    if not (np.isfinite(cell_size) and cell_size > 0):
        raise DataError(f"cell_size must be a positive number of metres, got {cell_size!r}.")
    if by is not None and by not in {*INCIDENT_COLUMNS, "source_file"}:
        raise DataError(
            f"by={by!r} is not an incident column; use one of {list(INCIDENT_COLUMNS)}."
        )
    if not (client is None or isinstance(client, (str, _distributed().Client))):
        raise DataError(
            f"client must be None, a scheduler address or a distributed.Client, not "
            f"{type(client).__name__}."
        )
    wanted, month_list = _filters(crime_types, months)
    files = _files(source)
    names = [n for n, _ in files]
    grid = None
    area_wkb = None
    if area is not None:
        from ._validate import area_polygon
        from .grid import hex_grid, square_grid

        grid = (hex_grid if cell == "hex" else square_grid)(area, cell_size=cell_size)
        area_wkb = area_polygon(area, BNG).wkb
    spec = {"kind": cell, "cell_size": float(cell_size), "origin": (0.0, 0.0)}

    report = SourcedLoadReport(source=_source_name(files))
    tables: list[pd.DataFrame] = []
    waiting = 0
    with _client(client) as c:
        distributed = _distributed()
        # constants bound with partial: distributed would read some keyword values (a
        # bytes area, say) as task keys
        prepare = functools.partial(
            _prepare_file,
            months=month_list,
            crime_types=wanted,
            spec=spec,
            by=by,
            area_wkb=area_wkb,
        )
        parts = c.map(prepare, files, pure=False)
        drops: dict[str, Any] = {}
        if dedupe and len(files) > 1:
            hashed = c.map(_hashes, parts, pure=False)
            for fut in progress(
                distributed.as_completed(hashed),
                desc="Reading files",
                total=len(hashed),
                enabled=show_progress,
            ):
                if fut.status == "error":
                    fut.result()  # raise the file's error here
            drops = _cross_file_duplicates(c.gather(hashed), names)
            del hashed
        empty = np.empty(0, np.int64)
        futures = [
            c.submit(_count_part, part, drops.get(name, empty), pure=False)
            for part, name in zip(parts, names, strict=True)
        ]
        del parts  # each file's rows are released once counted
        for fut in progress(
            distributed.as_completed(futures),
            desc="Counting files",
            total=len(futures),
            enabled=show_progress,
        ):
            counts, rep = fut.result()
            fut.release()
            report.absorb(rep)
            tables.append(counts)
            waiting += len(counts)
            if waiting > _COMBINE_ROWS:
                tables = [_combine(tables)]
                waiting = len(tables[0])
        del futures
    total = _combine(tables) if tables else pd.DataFrame()
    total = total.fillna(0).astype(np.int64)
    total.index = total.index.astype(np.int64)
    _warn_losses(report)
    out, by_columns = _assemble(total, grid, report, cell=cell, cell_size=float(cell_size), by=by)
    return record(
        out,
        method="data.police.uk street CSV counted per cell on Dask",
        parameters={
            "cell": cell,
            "cell_size": float(cell_size),
            "area": area is not None,
            "by": by,
            "crime_types": wanted,
            "months": month_list,
            "dedupe": dedupe,
            "files": len(files),
        },
        sources=["police"],
        by_columns=by_columns,
    )


def _assemble(
    total: pd.DataFrame, grid: Any, report: Any, *, cell: str, cell_size: float, by: str | None
) -> tuple[Any, dict[str, str]]:
    """Put the summed counts on the cells (the area's grid, or the non-empty cells)."""
    if by is None:
        per_cell = (
            total["count"].to_numpy() if "count" in total.columns else np.zeros(len(total), int)
        )
        categories: list[str] = []
    else:
        categories = [str(col) for col in total.columns]
        per_cell = total.to_numpy().sum(axis=1) if len(categories) else np.zeros(len(total), int)
    ids = total.index.to_numpy(dtype=np.int64)
    if grid is None:
        row, col = _split_ids(ids)
        grid = _cells(row, col, kind=cell, cell_size=cell_size)
    out = grid.copy()
    pos = pd.Index(ids).get_indexer(out["cell_id"].to_numpy())
    found = pos >= 0
    take = np.maximum(pos, 0)
    placed = int(per_cell[pos[found]].sum()) if len(per_cell) else 0
    missed = int(per_cell.sum()) - placed
    if missed:
        warnings.warn(
            f"{missed:,} incident(s) fell in cells outside the grid of the area and are not "
            "counted.",
            HotspotsWarning,
            stacklevel=3,
        )
    out["count"] = np.where(found, per_cell[take] if len(per_cell) else 0, 0).astype(np.int64)
    by_columns = _by_names(categories, set(out.columns)) if by is not None else {}
    values = total.to_numpy()
    for j, cat in enumerate(categories):  # sorted, so the columns come in count_points' order
        column = np.where(found, values[take, j] if len(values) else 0, 0).astype(np.int64)
        out[by_columns[cat]] = column
    out.attrs["load_report"] = report
    return out, by_columns


def _cells(row: np.ndarray, col: np.ndarray, *, kind: str, cell_size: float) -> Any:
    """Cell polygons of ``(row, col)``, as :func:`hotspots.hex_grid` / ``square_grid`` draw them."""
    from .grid import cells_from_index

    return cells_from_index(row, col, kind=kind, cell_size=cell_size, origin=(0.0, 0.0), crs=BNG)


def _split_ids(ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Inverse of ``row * 1e8 + col`` with ``col`` in [-5e7, 5e7)."""
    half = _ID_FACTOR // 2
    col = ((ids + half) % _ID_FACTOR) - half
    row = (ids - col) // _ID_FACTOR
    return row.astype(np.int64), col.astype(np.int64)
