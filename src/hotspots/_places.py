"""Names for places on the map: the commonest police.uk location in a cell, grid references.

Shared by the tasking list, the tasking map and the provision gap table, so that a place
is named the same way wherever it appears.
"""

from __future__ import annotations

from typing import Any

from ._errors import DataError
from ._mapstyle import grid_reference, is_missing
from ._validate import require_geodataframe

__all__ = ["incidents_by_cell", "place_text"]


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
    if "place" in columns and not is_missing(row["place"]):
        return str(row["place"])
    parts = [located] if located else []
    if projected:
        parts.append(grid_reference(centre.x, centre.y))
    if "cell_id" in columns:
        parts.append(f"cell {row['cell_id']}")
    return ", ".join(parts) or str(row.name)
