"""Disclosure control on the real Medway months: nothing a shareable output holds puts a
point on an incident's location, and no count under 5 is shown.

Every coordinate pair is parsed from every shareable output (the pages the command line
writes, a hot spot map with DBSCAN and HDBSCAN cluster outlines, the GeoPackage layer) and
compared with the incidents' map points, read here with plain pandas from the published
CSVs (longitude/latitude as published, and in British National Grid).
"""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
import shapely

from hotspots import maps
from hotspots.cli import main
from hotspots.cluster import dbscan_clusters, hdbscan_clusters

pytestmark = [pytest.mark.realdata, pytest.mark.slow]

CRIME = "Violence and sexual offences"
_PAIR = re.compile(r"\[\s*(-?\d+(?:\.\d+)?)\s*,\s*(-?\d+(?:\.\d+)?)\s*\]")


@pytest.fixture(scope="module")
def medway(data_dir: Path) -> gpd.GeoDataFrame:
    folder = data_dir / "crime" / "medway_street"
    frames = [pd.read_csv(path) for path in sorted(folder.glob("*-medway-street.csv*"))]
    df = pd.concat(frames, ignore_index=True)
    assert df["Month"].nunique() == 30
    df = df.loc[(df["Crime type"] == CRIME) & df["Longitude"].notna()]
    return gpd.GeoDataFrame(
        df.assign(crime_type=df["Crime type"], month=df["Month"], location=df["Location"]),
        geometry=gpd.points_from_xy(df["Longitude"], df["Latitude"]),
        crs=4326,
    ).to_crs(27700)


def _lonlat_keys(points: gpd.GeoDataFrame) -> set[tuple[float, float]]:
    """Incident map points as a page would hold them: lon/lat to 5 decimals."""
    xy = shapely.get_coordinates(points.to_crs(4326).geometry.to_numpy())
    return {(round(x, 5), round(y, 5)) for x, y in xy}


def _page_pairs(text: str) -> set[tuple[float, float]]:
    """Every ``[a, b]`` number pair in the page, in both orders (GeoJSON is lon/lat,
    Leaflet markers lat/lon)."""
    pairs = set()
    for a, b in _PAIR.findall(text):
        x, y = float(a), float(b)
        pairs.add((round(x, 5), round(y, 5)))
        pairs.add((round(y, 5), round(x, 5)))
    return pairs


def _shown_counts(page: str) -> list[int]:
    """Counts a reader sees: tooltip/popup ``Incidents: N``, the tasking table's incidents
    column and every ``Type: N`` of a crime mix."""
    text = html.unescape(re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m[1], 16)), page))
    counts = [int(n) for n in re.findall(r"Incidents: (\d+)", text)]
    for row in re.findall(r"<tr><td>\d+</td><td>.*?</td><td>(.*?)</td><td>(.*?)</td>", text):
        counts += [int(n) for n in re.findall(r"^(\d+)$", row[0])]
        counts += [int(n) for n in re.findall(r": (\d+)(?:;|$)", row[1])]
    return counts


@pytest.fixture(scope="module")
def outputs(medway: gpd.GeoDataFrame, data_dir: Path, tmp_path_factory: Any) -> dict[str, Any]:
    out = tmp_path_factory.mktemp("medway") / "out"
    folder = data_dir / "crime" / "medway_street"
    code = main(
        ["--quiet", "hotspots", str(folder), "--area", "Medway", "--crime-type", CRIME,
         "--permutations", "99", "--out", str(out), "--title", "Medway violence"]
    )  # fmt: skip
    assert code == 0
    hot = gpd.read_file(out / "hotspots.gpkg", layer="hotspots")
    month = medway.loc[medway["month"] == "2022-06"]
    pages = {
        "hotspot_map": out / "hotspot_map.html",
        "tasking_map": out / "tasking_map.html",
    }
    for name, result in {
        "dbscan": dbscan_clusters(month, eps=100, min_samples=5),
        "hdbscan": hdbscan_clusters(month, min_cluster_size=5),
    }.items():
        assert result.n_clusters > 0
        # clusters as small as 3 to 5 incidents: the case a hull would give away
        pages[f"clusters_{name}"] = out / f"clusters_{name}.html"
        maps.hotspot_map(hot, clusters=result.table, path=pages[f"clusters_{name}"], tiles=None)
    return {"out": out, "pages": pages, "hot": hot}


def test_no_shareable_output_holds_an_incident_location(
    medway: gpd.GeoDataFrame, outputs: dict[str, Any]
) -> None:
    incidents = _lonlat_keys(medway)
    assert len(incidents) > 1000  # distinct map points over the 30 months
    for name, path in outputs["pages"].items():
        pairs = _page_pairs(path.read_text("utf-8"))
        assert len(pairs) > 100, name
        assert pairs & incidents == set(), name
    # the GeoPackage layer the command writes for sharing: coordinates in metres
    layers = [name for name, _ in pyogrio.list_layers(outputs["out"] / "hotspots.gpkg")]
    bng = {
        (round(x, 2), round(y, 2)) for x, y in shapely.get_coordinates(medway.geometry.to_numpy())
    }
    for layer in layers:
        frame = gpd.read_file(outputs["out"] / "hotspots.gpkg", layer=layer)
        xy = shapely.get_coordinates(frame.geometry.to_numpy())
        assert {(round(x, 2), round(y, 2)) for x, y in xy} & bng == set(), layer


def test_hulls_of_the_same_clusters_would_have_given_locations_away(
    medway: gpd.GeoDataFrame,
) -> None:
    """The check above can fail: convex hulls of the same clusters put vertices on them."""
    month = medway.loc[medway["month"] == "2022-06"]
    result = dbscan_clusters(month, eps=100, min_samples=5)
    members = result.points.loc[result.points["cluster"] >= 0]
    hulls = members.dissolve("cluster").convex_hull
    table = gpd.GeoDataFrame({"cluster": hulls.index}, geometry=hulls.to_numpy(), crs=27700)
    page = maps.hotspot_map(outputs_cells(month), clusters=table, tiles=None)
    pairs = _page_pairs(page.get_root().render())
    assert pairs & _lonlat_keys(month)


def outputs_cells(points: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    from hotspots.grid import count_points, hex_grid

    area = gpd.GeoDataFrame(geometry=[points.union_all().envelope.buffer(250)], crs=27700)
    cells = count_points(points, hex_grid(area, cell_size=500))
    return cells.assign(gi_bin=0, gi_z=0.0)


def test_no_count_under_five_is_shown(outputs: dict[str, Any]) -> None:
    for name, path in outputs["pages"].items():
        page = path.read_text("utf-8")
        counts = _shown_counts(page)
        assert counts, name
        assert min(counts) >= 5, (name, sorted(counts)[:5])


def test_pages_carry_sources_and_no_local_paths(outputs: dict[str, Any]) -> None:
    out = outputs["out"]
    for name in ("hotspot_map", "tasking_map"):
        page = (out / f"{name}.html").read_text("utf-8")
        assert "not recorded" not in page, name
        assert "data.police.uk" in page and "Crown copyright" in page, name
        assert str(out.parent) not in page and "/work/" not in page, name
        assert "Medway violence" in page
        assert "<script src=" not in page  # Leaflet inline: opens with no network
    size = (out / "tasking_map.html").stat().st_size
    print(f"\nMedway tasking map with inline Leaflet: {size / 1e6:.2f} MB")
    assert size < 3_000_000
