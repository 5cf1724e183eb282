"""Static briefing output: the tasking map and its table on one A4 landscape page.

:func:`save_tasking_pack` draws the same numbered places and table as
:func:`hotspots.maps.tasking_map` with matplotlib, for slides and paper, and writes PNG
and PDF files. It needs no browser and no network: the page orients the reader with the
area outline, ward names, British National Grid kilometre ticks, a scale bar and a north
arrow; a basemap is drawn only when one is given (``basemap=``, drawn by the caller, for
instance from tiles held on the force network).
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ._errors import CRSError, DataError
from ._validate import require_geodataframe

if TYPE_CHECKING:
    import geopandas as gpd
    from matplotlib.axes import Axes

__all__ = ["save_tasking_pack"]

_A4_LANDSCAPE_IN = (11.69, 8.27)


def save_tasking_pack(
    cells: gpd.GeoDataFrame,
    path: str | Path,
    *,
    top_n: int = 10,
    incidents: gpd.GeoDataFrame | None = None,
    title: str | None = None,
    suppress_below: int = 5,
    internal: bool = False,
    area: gpd.GeoDataFrame | None = None,
    wards: gpd.GeoDataFrame | None = None,
    basemap: Callable[[Axes], None] | None = None,
    formats: Sequence[str] = ("png", "pdf"),
    dpi: int = 200,
) -> dict[str, Path]:
    """Write the tasking map and its table as an A4 landscape PNG and PDF.

    Parameters
    ----------
    cells : GeoDataFrame
        Cells in a projected CRS (EPSG:27700 for the OS grid ticks), as for
        :func:`hotspots.maps.tasking_map`.
    path : str or Path
        File name without suffix (a suffix is replaced): ``path.png``, ``path.pdf``.
    top_n, incidents, title, suppress_below, internal, area, wards
        As in :func:`hotspots.maps.tasking_map`; the numbered places and the table are
        the same.
    basemap : callable, optional
        Called with the matplotlib axes (in the cells' CRS) to draw a basemap beneath
        the data. Nothing is downloaded.
    formats : sequence of {"png", "pdf"}, default ("png", "pdf")
    dpi : int, default 200
        Resolution of the PNG.

    Returns
    -------
    dict
        Format to written path.

    Examples
    --------
    >>> import tempfile, geopandas as gpd
    >>> from shapely.geometry import box
    >>> cells = gpd.GeoDataFrame(
    ...     {"count": [3, 12, 7]},
    ...     geometry=[box(575000 + 250 * i, 168000, 575250 + 250 * i, 168250) for i in range(3)],
    ...     crs=27700,
    ... )
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     written = save_tasking_pack(cells, f"{tmp}/pack", top_n=2, formats=["png"], dpi=50)
    ...     sorted(written), written["png"].stat().st_size > 0
    (['png'], True)
    """
    from matplotlib.figure import Figure

    from ._layers import internal_reason, suppression_note, tasking_places
    from ._mapstyle import GI_COLOURS

    cells = require_geodataframe(cells, "cells")
    if cells.crs is None or cells.crs.is_geographic:
        raise CRSError(
            "save_tasking_pack needs cells in a projected CRS (metres); reproject with "
            "`cells.to_crs(27700)` first."
        )
    bad = sorted(set(formats) - {"png", "pdf"})
    if bad or not formats:
        raise DataError(f"formats must be 'png' and/or 'pdf', got {list(formats)!r}.")
    suppress_below = 0 if internal else suppress_below
    _, top, table, rule = tasking_places(
        cells, top_n=top_n, incidents=incidents, suppress_below=suppress_below
    )
    shapes = top.to_crs(cells.crs)  # place outlines
    busiest = cells.loc[top.index].geometry  # where each number goes
    fig = Figure(figsize=_A4_LANDSCAPE_IN)
    ax = fig.add_axes((0.07, 0.2, 0.5, 0.68))
    ax.set_aspect("equal")
    if len(shapes):
        x0, y0, x1, y1 = shapes.total_bounds
    else:
        x0, y0, x1, y1 = cells.total_bounds
    pad = max(x1 - x0, y1 - y0) * 0.15 + 250
    ax.set_xlim(x0 - pad, x1 + pad)
    ax.set_ylim(y0 - pad, y1 + pad)
    if basemap is not None:
        basemap(ax)
    _draw_context(ax, cells.crs, area, wards)
    if "gi_bin" in cells.columns:
        bins = np.asarray(cells["gi_bin"].fillna(0).to_numpy(dtype=int))
        sig = cells.loc[bins != 0]
        colours = [GI_COLOURS.get(int(b), GI_COLOURS[0]) for b in bins[bins != 0]]
        if len(sig):
            sig.plot(ax=ax, color=colours, edgecolor="#666666", linewidth=0.3, alpha=0.8)
    if len(shapes):
        shapes.boundary.plot(ax=ax, color="#000000", linewidth=1.4)
        for point, rank in zip(busiest.representative_point(), table["rank"], strict=True):
            ax.annotate(
                str(rank),
                (point.x, point.y),
                ha="center",
                va="center",
                fontsize=9,
                fontweight="bold",
                color="white",
                bbox={"boxstyle": "circle,pad=0.25", "fc": "#222222", "ec": "white", "lw": 1.2},
            )
    _furniture(ax)
    heading = title or "Tasking: top hot spots"
    fig.text(0.02, 0.955, heading, fontsize=15, fontweight="bold", va="top")
    from ._html import period_text, provenance_lines, strip_paths
    from ._provenance import attribution_text

    period = period_text(cells, incidents)
    fig.text(0.02, 0.915, f"Period: {period or 'not recorded'}", fontsize=9, va="top")
    reason = internal_reason(internal, False)
    if reason:
        fig.text(
            0.45,
            0.955,
            f"INTERNAL – NOT FOR PUBLICATION. {reason}",
            fontsize=9,
            color="white",
            va="top",
            bbox={"fc": "#b00020", "ec": "none"},
        )
    lines, sources = provenance_lines(
        [("Hot spots", cells), ("Incidents", incidents), ("Area", area), ("Boundaries", wards)]
    )
    foot = [
        *lines,
        f"{rule} {suppression_note(suppress_below)}",
        "Data: " + (attribution_text(sources) if sources else "not recorded."),
    ]
    wrapped = "\n".join(textwrap.shorten(strip_paths(t), 260, placeholder=" ...") for t in foot)
    wrapped = "\n".join(textwrap.fill(t, 190) for t in wrapped.split("\n"))
    fig.text(0.02, 0.012, wrapped, fontsize=6, va="bottom", color="#333333")
    _draw_table(fig, table)
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    written: dict[str, Path] = {}
    for fmt in formats:
        out = target.with_suffix(f".{fmt}")
        fig.savefig(out, dpi=dpi if fmt == "png" else None)
        written[fmt] = out
    return written


def _draw_context(ax: Any, crs: Any, area: Any, wards: Any) -> None:
    from ._mapframe import name_column

    if wards is not None and len(wards):
        w = wards.to_crs(crs)
        w.boundary.plot(ax=ax, color="#777777", linewidth=0.6, linestyle="--")
        col = name_column(w)
        if col is not None:
            xmin, xmax = ax.get_xlim()
            ymin, ymax = ax.get_ylim()
            for point, name in zip(w.representative_point(), w[col], strict=True):
                if xmin < point.x < xmax and ymin < point.y < ymax and isinstance(name, str):
                    ax.text(
                        point.x,
                        point.y,
                        name,
                        fontsize=6.5,
                        style="italic",
                        color="#444444",
                        ha="center",
                        va="center",
                        clip_on=True,
                    )
    if area is not None and len(area):
        area.to_crs(crs).boundary.plot(ax=ax, color="#222222", linewidth=1.6)


def _furniture(ax: Any) -> None:
    """Kilometre ticks, a scale bar and a north arrow on a map in metres."""
    from matplotlib.ticker import FuncFormatter

    xmin, xmax = ax.get_xlim()
    ymin, ymax = ax.get_ylim()
    ax.set_xlim(xmin, xmax)
    ax.set_ylim(ymin, ymax)
    km = FuncFormatter(lambda v, _: f"{v / 1000:g}")
    ax.xaxis.set_major_formatter(km)
    ax.yaxis.set_major_formatter(km)
    ax.tick_params(labelsize=7)
    ax.grid(color="#3366aa", linewidth=0.4, alpha=0.4)
    ax.set_xlabel("Easting (km, British National Grid)", fontsize=7)
    ax.set_ylabel("Northing (km)", fontsize=7)
    width = xmax - xmin
    bar = max(float(10 ** np.floor(np.log10(width / 4))), 100.0)
    if bar * 2.5 < width / 4:
        bar *= 2.5 if bar * 5 > width / 4 else 5
    x, y = xmin + width * 0.04, ymin + (ymax - ymin) * 0.04
    ax.plot([x, x + bar], [y, y], color="black", linewidth=3, solid_capstyle="butt")
    label = f"{bar / 1000:g} km" if bar >= 1000 else f"{bar:g} m"
    ax.text(x + bar / 2, y + (ymax - ymin) * 0.015, label, ha="center", fontsize=7)
    ax.annotate(
        "N",
        xy=(0.95, 0.95),
        xytext=(0.95, 0.85),
        xycoords="axes fraction",
        ha="center",
        fontsize=10,
        fontweight="bold",
        arrowprops={"arrowstyle": "-|>", "color": "black", "lw": 1.5},
    )


def _draw_table(fig: Any, table: Any) -> None:
    ax = fig.add_axes((0.6, 0.2, 0.38, 0.68))
    ax.axis("off")
    if not len(table):
        ax.text(0, 1, "No significant hot spots.", fontsize=9, va="top")
        return
    rows = [
        [
            str(r.rank),
            textwrap.fill(str(r.place), 26),
            str(r.incidents),
            textwrap.fill(str(r.crime_mix), 26),
            textwrap.fill(str(r.confidence), 14),
        ]
        for r in table.itertuples()
    ]
    tab = ax.table(
        cellText=rows,
        colLabels=["#", "Place", "Incidents", "Crime mix", "Confidence"],
        colWidths=[0.06, 0.34, 0.12, 0.3, 0.18],
        cellLoc="left",
        loc="upper left",
    )
    tab.auto_set_font_size(False)
    tab.set_fontsize(6.5)
    lines = [max(cell.count("\n") + 1 for cell in row) for row in rows]
    unit = min(0.9 / (sum(lines) + 1.5), 0.05)
    for (r, _), cell in tab.get_celld().items():
        cell.set_height(unit * (1.2 if r == 0 else lines[r - 1]))
        if r == 0:
            cell.set_facecolor("#eeeeee")
