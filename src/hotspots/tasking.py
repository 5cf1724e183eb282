"""A tasking list: the places to send patrols, from Gi* hot spots and the incidents behind them.

Gi* marks *cells*; officers are sent to *places*. :func:`tasking_list` turns significant
hot cells into a short, ranked list of places that a sergeant can act on:

* adjacent significant hot cells are merged into one **hot spot area** (cells sharing an
  edge or a corner);
* areas are ranked by their incidents (or by a harm weight or a forecast score);
* a cell with no incidents can belong to a hot area (it sits between busy cells), but an
  area is only listed, and its number only placed, where incidents were recorded;
* Gi* tests *clustering*: a single very busy cell with ordinary neighbours is a
  **concentration**, not a cluster, and may not be significant. Busy cells outside the hot
  areas are listed too, labelled as concentrations, so the busiest places are never missing;
* the area holding the busiest significant cell is always in the list;
* when the incidents carry date-times (force extracts; police.uk months do not), each
  place gets a ``when`` line from :func:`hotspots.timeprofile.time_summary`, e.g.
  "mostly Fri–Sat 22:00–02:00", for timing patrols.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd

from ._errors import DataError, HotspotsWarning
from ._fdr import BIN_LABELS
from ._validate import require_columns, require_geodataframe

__all__ = ["AREA", "CONCENTRATION", "UNTESTED", "tasking_list"]

#: ``kind`` of a listed place made of adjacent significant hot cells.
AREA = "hot spot area"
#: ``kind`` of a busy cell outside the hot areas (not a significant cluster).
CONCENTRATION = "concentration"
#: ``kind`` of a busy cell when the cells carry no Gi* results.
UNTESTED = "busy cell (not tested)"

_PLACES_PER_AREA = 3
_COLUMNS = (
    "number",
    "kind",
    "place",
    "incidents",
    "score",
    "crime_mix",
    "first_month",
    "last_month",
    "months",
    "gi_bin",
    "confidence",
    "n_cells",
    "cells",
    "busiest_cell",
)


def tasking_list(
    hot: Any,
    incidents: Any = None,
    *,
    top: int = 10,
    rank_by: str = "incidents",
    min_bin: int = 2,
    min_incidents: int = 5,
    time_column: str = "datetime",
    end_column: str = "datetime_end",
) -> Any:
    """Rank hot spot areas and busy places for tasking.

    Parameters
    ----------
    hot : geopandas.GeoDataFrame
        Cells from :func:`hotspots.gi_star` (``gi_bin`` and ``count``; polygons in a
        projected CRS). Without ``gi_bin`` every cell with incidents is a candidate,
        labelled "busy cell (not tested)".
    incidents : geopandas.GeoDataFrame, optional
        The incident points behind ``count`` (same CRS). Their police.uk ``location``
        ("On or near ...") names the places, ``crime_type`` gives the crime mix and
        ``month`` the months covered. Without them, names come from a ``place`` column
        or the Ordnance Survey grid reference, the mix from ``count_<type>`` columns.
    top : int, default 10
        How many places to list.
    rank_by : str, default "incidents"
        ``"incidents"`` (the ``count`` column), or a numeric column of ``hot`` summed
        over each place's cells: a harm weight, or a forecast of incidents next month.
    min_bin : int, default 2
        Least ``gi_bin`` of a significant hot cell: 2 is 95 % confidence (the cells
        ``hotspots reach`` and :func:`hotspots.provision_in_hotspots` use), 1 is 90 %.
    min_incidents : int, default 5
        Fewest incidents for a cell outside the hot areas to be listed as a
        concentration.
    time_column, end_column : str, default "datetime", "datetime_end"
        Date-time columns of ``incidents`` (when it happened; the end of the window in
        which it happened, used when present, see
        :func:`hotspots.timeprofile.aoristic_weights`). When ``incidents`` has
        ``time_column``, the table gains a ``when`` column: each place's
        :func:`hotspots.timeprofile.time_summary` line.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per place, best first: ``number`` (1, 2, ...), ``kind`` (``"hot spot
        area"``, ``"concentration"`` or ``"busy cell (not tested)"``), ``place`` (the
        commonest police.uk locations of its busiest cells and the grid reference of the
        busiest), ``incidents``, ``score`` (the ``rank_by`` total), ``crime_mix`` (dict
        crime type -> incidents), ``first_month``, ``last_month``, ``months`` (months
        with incidents), ``gi_bin`` (highest bin of its cells), ``confidence``,
        ``n_cells``, ``cells`` (ids: ``cell_id`` or index labels), ``busiest_cell`` (the
        index label in ``hot`` of the cell with most incidents, where the number goes)
        and ``geometry`` (the union of its cells); with date-times, ``when`` (e.g.
        "mostly Fri–Sat 22:00–02:00 (41% of incidents in 5% of the week)"; None for a
        place without timed incidents). Counts are not suppressed: apply disclosure
        control before publishing (the tasking map does).

    Warns
    -----
    HotspotsWarning
        When fewer than ``top`` places qualify, or when the date-times cannot give a
        time profile (e.g. dates without times of day): ``when`` is then None.

    Examples
    --------
    Five cells in a row; the first three are significant hot cells (one empty), the
    fifth is busy on its own:

    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> hot = gpd.GeoDataFrame(
    ...     {"count": [4, 0, 3, 0, 9], "gi_bin": [3, 2, 2, 0, 0]},
    ...     geometry=[box(575000 + 250 * i, 168000, 575250 + 250 * i, 168250) for i in range(5)],
    ...     crs=27700,
    ... )
    >>> t = tasking_list(hot)
    >>> print(t[["number", "kind", "incidents", "n_cells", "confidence"]].to_string(index=False))
     number          kind  incidents  n_cells                confidence
          1 concentration          9        1           Not significant
          2 hot spot area          7        3 Hot spot – 99% confidence
    """
    import geopandas as gpd

    hot = require_geodataframe(hot, "hot")
    if not isinstance(top, int | np.integer) or top < 1:
        raise DataError(f"top must be a positive integer, got {top!r}.")
    if min_bin not in (1, 2, 3):
        raise DataError(f"min_bin must be 1, 2 or 3 (90, 95, 99 % confidence), got {min_bin!r}.")
    require_columns(hot, ["count"], "hot")
    count = pd.to_numeric(hot["count"], errors="coerce").fillna(0.0).to_numpy(float)
    if rank_by == "incidents":
        score = count
    else:
        if rank_by not in hot.columns:
            raise DataError(
                f"rank_by={rank_by!r} is not a column of hot; use 'incidents' or one of "
                f"the numeric columns {sorted(map(str, hot.select_dtypes('number').columns))}."
            )
        score = pd.to_numeric(hot[rank_by], errors="coerce").to_numpy(float)
        if np.isnan(score).any():
            raise DataError(f"rank_by column {rank_by!r} has missing or non-numeric values.")
    tested = "gi_bin" in hot.columns
    bins = (
        pd.to_numeric(hot["gi_bin"], errors="coerce").fillna(0).to_numpy(int)
        if tested
        else np.zeros(len(hot), dtype=int)
    )
    groups, kinds = _places(hot, bins, count, tested, min_bin, min_incidents)
    if not groups:
        _warn_short(0, top)
        return _empty(hot)
    rows = pd.DataFrame(
        {
            "kind": kinds,
            "incidents": [count[g].sum() for g in groups],
            "score": [score[g].sum() for g in groups],
            "gi_bin": [int(bins[g].max()) for g in groups],
        }
    )
    order = rows.sort_values(
        ["score", "incidents", "gi_bin"], ascending=False, kind="stable"
    ).index.to_numpy()
    chosen = list(order[:top])
    significant = np.flatnonzero(bins >= min_bin) if tested else np.array([], dtype=int)
    if significant.size and count[significant].max() > 0:
        # the busiest significant cell's area is never left out
        busiest = significant[np.argmax(count[significant])]
        holder = next(i for i, g in enumerate(groups) if busiest in g)
        if holder not in chosen:
            chosen[-1] = holder
    if len(chosen) < top:
        _warn_short(len(chosen), top)
    listed = [groups[i] for i in chosen]
    table = rows.loc[chosen].reset_index(drop=True)
    table.insert(0, "number", np.arange(1, len(chosen) + 1))
    table["incidents"] = table["incidents"].round().astype(int)
    ids = hot["cell_id"].to_numpy() if "cell_id" in hot.columns else hot.index.to_numpy()
    busiest_pos = [g[np.argmax(count[g])] for g in listed]
    details = _details(hot, incidents, listed, count)
    table["place"] = details["place"]
    table["crime_mix"] = details["crime_mix"]
    table["first_month"] = details["first_month"]
    table["last_month"] = details["last_month"]
    table["months"] = details["months"]
    table["confidence"] = [
        BIN_LABELS[b] if tested else "not tested" for b in table["gi_bin"].tolist()
    ]
    table["n_cells"] = [len(g) for g in listed]
    table["cells"] = [ids[g].tolist() for g in listed]
    table["busiest_cell"] = [hot.index[p] for p in busiest_pos]
    geometry = [hot.geometry.iloc[g].union_all() for g in listed]
    columns = list(_COLUMNS)
    if incidents is not None and time_column in getattr(incidents, "columns", ()):
        table["when"] = _when(hot, incidents, listed, time_column, end_column)
        columns.append("when")
    out = gpd.GeoDataFrame(table[columns], geometry=geometry, crs=hot.crs)
    out.attrs["hotspots"] = {
        **hot.attrs.get("hotspots", {}),
        "tasking": {"rank_by": rank_by, "min_bin": min_bin, "min_incidents": min_incidents},
    }
    return out


def _places(
    hot: Any,
    bins: np.ndarray,
    count: np.ndarray,
    tested: bool,
    min_bin: int,
    min_incidents: int,
) -> tuple[list[np.ndarray], list[str]]:
    """Candidate places (positions of their cells) and their kinds."""
    from scipy.sparse.csgraph import connected_components

    groups: list[np.ndarray] = []
    kinds: list[str] = []
    in_area = np.zeros(len(hot), dtype=bool)
    if tested:
        sig = np.flatnonzero(bins >= min_bin)
        if sig.size:
            W = _touching(hot.iloc[sig])
            n_comp, label = connected_components(W, directed=False)
            for c in range(n_comp):
                members = sig[label == c]
                in_area[members] = True
                if count[members].sum() > 0:  # nowhere to send anyone otherwise
                    groups.append(members[np.argsort(-count[members], kind="stable")])
                    kinds.append(AREA)
    threshold = max(1, min_incidents) if tested else 1
    busy = np.flatnonzero(~in_area & (count >= threshold))
    groups.extend(np.array([i]) for i in busy)
    kinds.extend([CONCENTRATION if tested else UNTESTED] * busy.size)
    return groups, kinds


def _touching(cells: Any) -> Any:
    """Adjacency of cells sharing an edge or a corner (polygons), else a 1 m tolerance."""
    from .hotspot import build_weights

    types = set(cells.geometry.geom_type.unique())
    if types <= {"Polygon", "MultiPolygon"}:
        W, _ = build_weights(cells, neighbours="queen")
        return W
    import scipy.sparse as sp

    return sp.identity(len(cells), format="csr")


def _details(
    hot: Any, incidents: Any, groups: list[np.ndarray], count: np.ndarray
) -> dict[str, list[Any]]:
    """Place names, crime mix and months of each place."""
    from ._places import incidents_by_cell, place_text
    from ._provenance import get_provenance

    columns = set(hot.columns)
    projected = hot.crs is not None and not hot.crs.is_geographic
    named = [g[count[g] > 0][:_PLACES_PER_AREA] for g in groups]
    cells = hot.iloc[np.unique(np.concatenate(groups))]
    mix_of: dict[Any, dict[str, float]] = {}
    located: dict[Any, str] = {}
    months_of: dict[Any, set[str]] = {}
    if incidents is not None:
        mix_of, located, months_of = incidents_by_cell(cells, incidents)
    mix_cols = sorted(c for c in columns if str(c).startswith("count_"))
    period = get_provenance(hot).get("period") or {}
    out: dict[str, list[Any]] = {
        "place": [],
        "crime_mix": [],
        "first_month": [],
        "last_month": [],
        "months": [],
    }
    for group, names in zip(groups, named, strict=True):
        labels = hot.index[group]
        places: list[str] = []
        for pos in names:
            name = located.get(hot.index[pos])
            if name and name not in places:
                places.append(name)
        centre = hot.geometry.iloc[group[0]].representative_point()
        row = hot.iloc[group[0]]
        first = place_text(row, columns, centre, projected, "; ".join(places) or None)
        out["place"].append(first)
        mix: dict[str, float] = {}
        if incidents is not None:
            for label in labels:
                for key, value in mix_of.get(label, {}).items():
                    crime = key.removeprefix("count_")
                    mix[crime] = mix.get(crime, 0.0) + value
        elif mix_cols:
            sums = hot.iloc[group][mix_cols].apply(pd.to_numeric, errors="coerce").sum()
            mix = {c.removeprefix("count_"): float(v) for c, v in sums.items() if v > 0}
        out["crime_mix"].append(
            {k: round(v) for k, v in sorted(mix.items(), key=lambda kv: (-kv[1], kv[0]))}
        )
        seen = sorted(set().union(*(months_of.get(label, set()) for label in labels)))
        if seen:
            out["first_month"].append(seen[0])
            out["last_month"].append(seen[-1])
            out["months"].append(len(seen))
        else:
            out["first_month"].append(period.get("start"))
            out["last_month"].append(period.get("end") or period.get("start"))
            out["months"].append(pd.NA)
    return out


def _when(
    hot: Any, incidents: Any, groups: list[np.ndarray], time_column: str, end_column: str
) -> list[str | None]:
    """Each place's time-of-week summary line, from the incidents inside its cells."""
    from .grid import assign_points
    from .timeprofile import time_profile, time_summary

    place = np.full(len(hot), -1)
    for i, group in enumerate(groups):
        place[group] = i
    pos = assign_points(incidents, hot)
    number = np.where(pos >= 0, place[np.maximum(pos, 0)], -1)
    keep = (number >= 0) & incidents[time_column].notna().to_numpy()
    if not keep.any():
        return [None] * len(groups)
    timed = incidents[keep].assign(_place=number[keep])
    end = end_column if end_column in timed.columns else None
    try:
        lines = time_summary(time_profile(timed, start=time_column, end=end, by="_place"))
    except DataError as err:
        warnings.warn(
            f"tasking_list: no 'when' line for the places: {err}", HotspotsWarning, stacklevel=3
        )
        return [None] * len(groups)
    return [lines.get(i) for i in range(len(groups))]


def _warn_short(found: int, top: int) -> None:
    warnings.warn(
        f"tasking_list: only {found} place(s) qualify for the top {top} (significant hot "
        "areas with incidents, and busy cells).",
        HotspotsWarning,
        stacklevel=3,
    )


def _empty(hot: Any) -> Any:
    import geopandas as gpd

    return gpd.GeoDataFrame({c: [] for c in _COLUMNS}, geometry=[], crs=hot.crs)
