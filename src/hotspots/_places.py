"""Names for places on the map: the commonest police.uk location in a cell, grid references.

Shared by the tasking list, the tasking map and the provision gap table, so that a place
is named the same way wherever it appears.
"""

from __future__ import annotations

from typing import Any

from ._errors import DataError
from ._mapstyle import grid_reference, is_missing
from ._validate import require_geodataframe

__all__ = ["incidents_by_cell", "place_text", "place_texts"]


def incidents_by_cell(
    top: Any, incidents: Any
) -> tuple[dict[Any, dict[str, float]], dict[Any, str], dict[Any, set[str]]]:
    """Crime mix (``count_<type>``), commonest police.uk ``location`` and months per cell.

    One spatial join serves all three; each is empty when ``incidents`` lacks its column
    (``crime_type``, ``location``, ``month``), ties between locations are broken
    alphabetically so the table does not change from run to run.
    """
    import geopandas as gpd

    from ._validate import require_same_crs

    incidents = require_geodataframe(incidents, "incidents")
    require_same_crs(top, incidents, ("cells", "incidents"))
    keep = [c for c in ("crime_type", "location", "month") if c in incidents.columns]
    if not set(keep) - {"month"}:
        raise DataError("incidents need a crime_type or location column for the tasking table.")
    joined = gpd.sjoin(
        incidents[[*keep, incidents.geometry.name]],
        top[[top.geometry.name]],
        predicate="within",
    )
    mix: dict[Any, dict[str, float]] = {}
    if "crime_type" in joined.columns:
        for (cell, crime), n in joined.groupby(["index_right", "crime_type"]).size().items():
            mix.setdefault(cell, {})[f"count_{crime}"] = float(n)
    months: dict[Any, set[str]] = {}
    if "month" in joined.columns:
        stamp = joined["month"].astype(str).str.slice(0, 7)
        months = {cell: set(m) for cell, m in stamp.groupby(joined["index_right"])}
    if "location" not in joined.columns:
        return mix, {}, months
    located = joined.loc[joined["location"].notna(), ["index_right", "location"]]
    located["location"] = located["location"].astype(str).str.strip()
    located = located.loc[located["location"] != ""]
    counts = located.groupby(["index_right", "location"]).size().reset_index(name="n")
    counts = counts.sort_values(["index_right", "n", "location"], ascending=[True, False, True])
    places = dict(counts.drop_duplicates("index_right").set_index("index_right")["location"])
    return mix, places, months


def place_text(
    row: Any, columns: set[str], centre: Any, projected: bool, located: str | None = None
) -> str:
    """The name of one cell on the map (see :func:`place_texts`)."""
    return _text(
        row["place"] if "place" in columns else None,
        row["cell_id"] if "cell_id" in columns else None,
        centre.x,
        centre.y,
        projected,
        located,
        row.name,
    )


def place_texts(cells: Any, located: dict[Any, str], projected: bool) -> list[str]:
    """The name of every cell: its ``place`` if given, else its commonest police.uk
    location (``located``), OS grid reference and cell id."""
    centres = cells.geometry.representative_point()
    xs, ys = centres.x.to_numpy(), centres.y.to_numpy()
    n = len(cells)
    place = cells["place"].to_numpy() if "place" in cells.columns else [None] * n
    ids = cells["cell_id"].to_numpy() if "cell_id" in cells.columns else [None] * n
    return [
        _text(place[k], ids[k], xs[k], ys[k], projected, located.get(label), label)
        for k, label in enumerate(cells.index)
    ]


def _text(
    place: Any, cell_id: Any, x: float, y: float, projected: bool, located: str | None, label: Any
) -> str:
    if place is not None and not is_missing(place):
        return str(place)
    parts = [located] if located else []
    if projected:
        parts.append(grid_reference(x, y))
    if cell_id is not None:
        parts.append(f"cell {cell_id}")
    return ", ".join(parts) or str(label)
