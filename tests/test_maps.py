"""Tests of hotspots.maps: escaping, disclosure control, legends, caveats and size."""

from __future__ import annotations

import html
import re
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point, Polygon, box

from hotspots import CRSError, DataError, HotspotsWarning, maps
from hotspots._mapstyle import count_text, esc, grid_reference
from hotspots._provenance import record

HOSTILE = (
    "<script>alert(1)</script> `${alert(2)}` \"q\" 's' \\ </script><img src=x onerror=alert(3)>"
)


def make_cells(n_x: int = 8, n_y: int = 6, *, seed: int = 0) -> gpd.GeoDataFrame:
    rng = np.random.default_rng(seed)
    geoms = [
        box(575000 + 250 * i, 168000 + 250 * j, 575250 + 250 * i, 168250 + 250 * j)
        for i in range(n_x)
        for j in range(n_y)
    ]
    n = len(geoms)
    bins = np.tile([3, 2, 1, 0, -1, -2, -3, 0], n // 8 + 1)[:n]
    cells = gpd.GeoDataFrame(
        {
            "cell_id": [f"c{i}" for i in range(n)],
            "count": (np.arange(n) % 13).astype(int),
            "gi_z": bins * 1.2 + rng.normal(0, 0.05, n),
            "gi_p": 0.01,
            "gi_p_sim": 0.002,
            "gi_bin": bins,
            "gi_label": [maps.GI_LABELS[int(b)] for b in bins],
            "n_neighbours": 8,
            "count_drugs": np.arange(n) % 4,
            "count_violence-and-sexual-offences": np.arange(n) % 9,
        },
        geometry=geoms,
        crs=27700,
    )
    record(
        cells,
        method="Getis-Ord Gi*",
        parameters={"distance": 500, "permutations": 999},
        seed=1234,
        sources=["police", "ons_boundaries"],
        period={"start": "2018-06", "end": "2018-08"},
    )
    return cells


def make_services() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "name": [HOSTILE, "Chatham Youth Hub", "Boxing club"],
            "service_type": ["community_sport", "youth_service", "community_sport"],
            "provider": ["<b>P</b>", "Medway Council", "Club"],
            "target_age_min": [10, 11, np.nan],
            "target_age_max": [18, 25, 19],
            "funder": ["VRU", "KCC", None],
        },
        geometry=[Point(575600, 168600), Point(576200, 169000), Point(576900, 168300)],
        crs=27700,
    )


def render(m: object) -> str:
    return m.get_root().render()  # type: ignore[attr-defined]


def decoded(page: str) -> str:
    """The page with JSON unicode escapes (\\u003c ...) undone, as the browser sees data."""
    return re.sub(r"\\u([0-9a-fA-F]{4})", lambda mt: chr(int(mt[1], 16)), page)


def scripts(page: str) -> list[str]:
    return re.findall(r"<script[^>]*>(.*?)</script>", page, flags=re.S)


def assert_not_executable(page: str) -> None:
    """No raw hostile fragment anywhere in the HTML, nor inside any script block."""
    from hotspots._mapframe import OFFLINE_JS, asset_text

    for _, package, filename in OFFLINE_JS:  # inline Leaflet/jQuery are not data
        page = page.replace(asset_text(package, filename), "")
    for fragment in ("<script>alert", "<img src=x", "${alert", "`${", "onerror=alert(3)>"):
        assert fragment not in page, fragment
        for block in scripts(page):
            assert fragment not in decoded(block), fragment
    # every <script> tag on the page is one we expect (assets or folium's own code)
    for tag in re.findall(r"<script[^>]*>", page):
        assert tag in ("<script>", '<script type="text/javascript">') or "src=" in tag, tag


# ---- helpers -----------------------------------------------------------------------------


def test_esc_neutralises_html_and_template_literals() -> None:
    out = esc(HOSTILE)
    for ch in "<>`$\\{}\"'":
        assert ch not in out
    assert html.unescape(out) == HOSTILE


@pytest.mark.parametrize(
    ("value", "expected"),
    [(0, "<5"), (1, "<5"), (4, "<5"), (4.9, "<5"), (5, "5"), (1234, "1,234"), (np.nan, "no data")],
)
def test_count_text_suppression(value: float, expected: str) -> None:
    assert count_text(value, 5) == expected


def test_grid_reference_published_points() -> None:
    # Ordnance Survey: Ben Nevis summit NN 16667 71255 (E 216667, N 771255)
    assert grid_reference(216_667, 771_255, digits=10) == "NN 16667 71255"
    # Rochester Cathedral, TQ 742 685 (E 574200, N 168500)
    assert grid_reference(574_250, 168_550, digits=6) == "TQ 742 685"
    # origin square SV and the north-east HP
    assert grid_reference(1, 1, digits=2) == "SV 0 0"
    assert grid_reference(460_000, 1_210_000, digits=2).startswith("HP")


# ---- hotspot_map ---------------------------------------------------------------------------


def test_hotspot_map_has_title_period_legend_scale_provenance(tmp_path: Path) -> None:
    cells = make_cells()
    out = tmp_path / "sub" / "hot.html"
    m = maps.hotspot_map(cells, title="Medway violence", path=out)
    assert out.exists()
    page = out.read_text()
    assert "Medway violence" in page
    assert "Period: 2018-06 to 2018-08" in page
    assert 'id="hs-legend"' in page
    for label in maps.GI_LABELS.values():
        assert esc(label) in page
    for colour in ("#d62f27", "#ed7551", "#fab984", "#4575b5", "#849eba", "#c0ccbe"):
        assert colour in page
    assert "L.control.scale" in page
    assert "L.control.layers" in page
    assert "Getis-Ord Gi*" in page and "seed 1234" in page and "permutations=999" in page
    assert "Open Government Licence" in page
    assert "basemaps.cartocdn.com" in page
    assert "OpenStreetMap</a> contributors &copy;" in decoded(page) and "CARTO" in page
    assert "Medway violence" in render(m)
    assert cells.crs.to_epsg() == 27700  # input untouched


def test_hotspot_map_does_not_mutate_input() -> None:
    cells = make_cells()
    before = cells.copy()
    maps.hotspot_map(cells, tiles=None)
    pd.testing.assert_frame_equal(pd.DataFrame(cells), pd.DataFrame(before))


def test_counts_under_five_are_suppressed_in_tooltips() -> None:
    cells = make_cells()
    page = decoded(render(maps.hotspot_map(cells, tiles=None)))
    tips = re.findall(r'"tip": "(.*?)"}', page)
    assert len(tips) == len(cells)
    counts = re.findall(r"<br>Incidents: (.*?)(?:<br>|\"|$)", page)
    assert len(counts) == len(cells)
    expected = [count_text(c, 5) for c in cells["count"]]
    assert counts == [esc(e) for e in expected]
    assert "&lt;5" in counts and "Incidents: 3<" not in page
    # another threshold
    page10 = decoded(render(maps.hotspot_map(cells, tiles=None, suppress_below=10)))
    assert "&lt;10" in page10


def test_no_incident_points_unless_asked() -> None:
    cells = make_cells()
    incidents = gpd.GeoDataFrame(
        {"crime_type": ["Drugs", HOSTILE], "month": ["2018-06", "2018-07"], "location": ["x", "y"]},
        geometry=[Point(575111, 168111), Point(575333, 168444)],
        crs=27700,
    )
    hidden = render(maps.hotspot_map(cells, incidents=incidents, tiles=None))
    assert "Incidents (points)" not in hidden
    assert "L.CircleMarker" not in hidden
    assert "Incident points are not shown" in hidden
    lon, _lat = gpd.GeoSeries([Point(575111, 168111)], crs=27700).to_crs(4326).iloc[0].coords[0]
    assert f"{lon:.5f}" not in hidden
    shown = render(maps.hotspot_map(cells, incidents=incidents, show_points=True, tiles=None))
    assert "Incidents (points)" in shown and f"{lon:.5f}" in shown
    assert_not_executable(shown)


def test_hostile_strings_never_executable(tmp_path: Path) -> None:
    cells = make_cells()
    cells["place"] = HOSTILE
    cells["gi_label"] = HOSTILE
    kde = cells[["geometry"]].assign(density=np.linspace(0, 50, len(cells)))
    clusters = gpd.GeoDataFrame(
        {"cluster": [HOSTILE], "count": [3], "top_crime_types": [HOSTILE],
         "first_month": ["2018-06"], "last_month": [HOSTILE]},
        geometry=[box(575000, 168000, 576000, 169000)],
        crs=27700,
    )  # fmt: skip
    page = render(maps.hotspot_map(cells, title=HOSTILE, kde=kde, clusters=clusters, tiles=None))
    assert_not_executable(page)
    # displayed text is exactly the hostile string once HTML-decoded
    assert esc(HOSTILE) in page
    assert esc(HOSTILE) in decoded(page)
    assert esc(esc(HOSTILE)) not in decoded(page)  # not double-escaped
    # the JSON data carry no raw "</" that could close the script element
    for block in scripts(page):
        assert "</script" not in block.lower()


def test_kde_and_clusters_layers_and_legends() -> None:
    cells = make_cells()
    kde = cells[["geometry"]].assign(density=np.linspace(0, 120, len(cells)))
    clusters = gpd.GeoDataFrame(
        {"cluster": [1], "count": [3], "top_crime_types": ["Drugs"],
         "first_month": ["2018-06"], "last_month": ["2018-08"]},
        geometry=[box(575000, 168000, 576000, 169000)],
        crs=27700,
    )  # fmt: skip
    page = decoded(render(maps.hotspot_map(cells, kde=kde, clusters=clusters, tiles=None)))
    assert "Kernel density (per km²)" in page and "per km²" in page
    assert "Clusters (grid-cell outlines)" in page and "Cluster 1" in page
    assert "Incidents: &lt;5" in decoded(page)
    # three incidents: their crime mix would identify them, so it is not shown
    assert "Top crime types" not in decoded(page)
    big = clusters.assign(count=[12])
    page = decoded(render(maps.hotspot_map(cells, clusters=big, tiles=None)))
    assert "Top crime types: Drugs" in page


@pytest.mark.parametrize(
    ("mutate", "error"),
    [
        (lambda g: g.set_crs(None, allow_override=True), CRSError),
        (lambda g: g.iloc[0:0], DataError),
        (lambda g: g.drop(columns="gi_bin"), DataError),
        (lambda g: g.assign(gi_bin=np.where(np.arange(len(g)) == 0, 7, g["gi_bin"])), DataError),
        (
            lambda g: g.assign(gi_bin=np.where(np.arange(len(g)) == 0, np.nan, g["gi_bin"])),
            DataError,
        ),
        (lambda g: pd.DataFrame(g), DataError),
    ],
)
def test_hotspot_map_broken_input(mutate, error) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(error):
        maps.hotspot_map(mutate(make_cells()), tiles=None)


def test_hotspot_map_geographic_input_and_empty_geometry() -> None:
    cells = make_cells().to_crs(4326)
    cells.loc[cells.index[0], "geometry"] = None
    with pytest.warns(HotspotsWarning, match="1 row"):
        page = render(maps.hotspot_map(cells, tiles=None))
    assert page.count('"tip": "') == len(cells) - 1


def test_wrong_crs_declared_raises() -> None:
    cells = make_cells().set_crs(4326, allow_override=True)  # metres labelled as degrees
    with pytest.raises(CRSError):
        maps.hotspot_map(cells, tiles=None)


# ---- tasking_map ---------------------------------------------------------------------------


def test_tasking_map_lists_places_by_incidents_with_table() -> None:
    # a strip of six cells: 0-2 significant and touching (one of them empty), 4 busy alone,
    # 5 with one incident. By hand: 1 = cell 4 (9 incidents, a concentration),
    # 2 = the area 0-2 (4 + 0 + 3 = 7, named after its busiest cell 0); nothing else.
    cells = gpd.GeoDataFrame(
        {
            "count": [4, 0, 3, 0, 9, 1],
            "gi_bin": [3, 2, 2, 0, 0, 0],
            "gi_z": [4.0, 3.0, 3.0, 0.5, 0.2, 0.1],
            "place": [HOSTILE] + [f"Street {i}" for i in range(1, 6)],
        },
        geometry=[box(575000 + 250 * i, 168000, 575250 + 250 * i, 168250) for i in range(6)],
        crs=27700,
    )
    with pytest.warns(HotspotsWarning, match="only 2 place"):
        page = render(maps.tasking_map(cells, top_n=5, tiles=None))
    table = page[page.index('id="hs-table"') :]
    rows = re.findall(
        r"<tr><td>(\d+)</td><td>(.*?)</td><td>(.*?)</td><td>(.*?)</td><td>(.*?)</td></tr>", table
    )
    assert [(int(r[0]), html.unescape(r[1]), html.unescape(r[2])) for r in rows] == [
        (1, "Street 4", "9"),
        (2, HOSTILE, "7"),
    ]
    assert html.unescape(rows[0][4]).startswith("Concentration")
    assert html.unescape(rows[1][4]) == "Hot spot – 99% confidence (area of 3 cells)"
    assert "@media print" in page and "A4 landscape" in page
    numbers = re.findall(r'hs-num\\?">(\d+)<', decoded(page))
    assert sorted(int(x) for x in numbers) == [1, 2]
    assert_not_executable(page)


def test_tasking_map_by_count_with_grid_refs_and_incident_mix() -> None:
    cells = make_cells()[["cell_id", "count", "geometry"]]
    top = cells.sort_values("count", ascending=False).iloc[0]
    inside = top.geometry.centroid
    incidents = gpd.GeoDataFrame(
        {"crime_type": ["Drugs"] * 6 + ["Robbery"] * 2},
        geometry=[inside] * 8,
        crs=27700,
    )
    page = render(maps.tasking_map(cells, top_n=3, incidents=incidents, tiles=None))
    rp = top.geometry.representative_point()
    assert grid_reference(rp.x, rp.y) in page
    assert "Drugs: 6; Robbery: &lt;5" in page
    assert "Ranked by incident count" in page


def test_tasking_map_too_few_and_bad_top_n() -> None:
    cells = make_cells(2, 2)
    with pytest.warns(HotspotsWarning, match="only"):
        maps.tasking_map(cells, top_n=10, tiles=None)
    with pytest.raises(DataError):
        maps.tasking_map(cells, top_n=0, tiles=None)


# ---- reach_map -----------------------------------------------------------------------------


def make_targets(method: str = "network") -> gpd.GeoDataFrame:
    cells = make_cells()
    return gpd.GeoDataFrame(
        {
            "minutes": np.linspace(1, 40, len(cells)),
            "nearest_service": ["Chatham Youth Hub"] * (len(cells) - 1) + [HOSTILE],
            "method": method,
        },
        geometry=cells.geometry,
        crs=27700,
    )


def test_reach_map_layers_legend_and_gaps() -> None:
    targets = make_targets()
    iso = gpd.GeoDataFrame(
        {"minutes": [5, 10, 15], "service": [HOSTILE] * 3, "service_type": ["youth_service"] * 3},
        geometry=[Point(576200, 169000).buffer(r) for r in (300, 600, 900)],
        crs=27700,
    )
    page = render(maps.reach_map(iso, targets, make_services(), minutes=15, tiles=None))
    for name in ("Isochrones", "Travel time (minutes)", '"Gaps"', "Services"):
        assert name in page
    assert "Travel time to the nearest service shown" in page and "15 min" in page
    assert "not street-network times" not in page
    # the services' legend names each type in its colour, as the provision map does
    legend = page[page.index("Services by type") :]
    assert "Community sport" in legend and "Youth service" in legend
    n_gaps = int((targets["minutes"] > 15).sum())
    assert decoded(page).count("Gap: over 15 minutes to any service</b>") == n_gaps
    # isochrones drawn largest first so smaller rings stay clickable
    order = [int(x) for x in re.findall(r"Within: (\d+) minutes", decoded(page))]
    assert order == [15, 10, 5]
    assert_not_executable(page)


def test_service_without_a_type_is_drawn_in_the_colour_the_legend_gives_it() -> None:
    services = make_services()
    services.loc[0, "service_type"] = None
    page = render(maps.reach_map(targets=make_targets(), services=services, tiles=None))
    legend = page[page.index("Services by type") :]
    assert "Other" in legend and "#555555" in legend
    assert '"fillColor": "#555555"' in page  # the marker too
    assert "#8c510a" not in page  # no spare colour for a type called "nan"


def test_reach_map_straight_line_caveat() -> None:
    page = render(maps.reach_map(targets=make_targets("straight-line"), tiles=None))
    assert "straight-line distance × a circuity factor, not street-network times" in page
    assert 'id="hs-caveat"' in page


@pytest.mark.parametrize(("speed", "circuity"), [(4.8, 1.3), (32.0, 1.4)])
def test_straight_line_banner_states_the_speed_used(speed: float, circuity: float) -> None:
    from hotspots.reach import travel_times

    times = travel_times(None, make_services(), make_cells(), speed_kph=speed, circuity=circuity)
    page = decoded(render(maps.reach_map(targets=times, tiles=None)))
    banner = page[page.index('id="hs-caveat"') :].split("</div>")[0]
    assert f"× {circuity:g} at {speed:g} km/h, not street-network times" in banner
    assert "walking" not in banner


def test_gap_legend_names_the_services_the_gaps_were_found_for() -> None:
    from hotspots._provenance import record

    gaps = record(
        make_cells().iloc[:3].copy(),
        method="hot spots without provision",
        parameters={"minutes": 10.0, "service_types": ["youth_service", "mentoring"]},
    )
    page = decoded(render(maps.reach_map(targets=make_targets(), gaps=gaps, tiles=None)))
    assert "Gap: no youth service, mentoring within 10 minutes" in page
    assert "Gap: over" not in page


def test_reach_tooltip_names_the_nearest_service() -> None:
    from hotspots.reach import travel_times

    services = make_services()
    cells = make_cells()
    times = travel_times(None, services, cells)
    page = decoded(render(maps.reach_map(targets=times, services=services, tiles=None)))
    # the nearest service by straight-line distance, worked out here independently
    first = cells.geometry.iloc[0].representative_point()
    nearest = services.loc[services.distance(first).idxmin(), "name"]
    assert f"Nearest service: {esc(nearest)}" in page
    assert not re.search(r"Nearest service: \d+<", page)


def test_reach_map_points_and_unreachable() -> None:
    pts = make_targets().copy()
    pts["geometry"] = pts.geometry.centroid
    pts.loc[pts.index[0], "minutes"] = np.nan
    page = decoded(render(maps.reach_map(targets=pts, tiles=None)))
    assert "not reachable" in page and "L.CircleMarker" in page


def test_reach_map_needs_a_layer() -> None:
    with pytest.raises(DataError):
        maps.reach_map(tiles=None)
    with pytest.raises(DataError):
        maps.reach_map(targets=make_targets().drop(columns="minutes"), tiles=None)


# ---- provision_map -------------------------------------------------------------------------


def test_provision_map_groups_popups_and_hotspots() -> None:
    page = render(maps.provision_map(make_services(), make_cells(), title=HOSTILE, tiles=None))
    assert "Community sport (2)" in page and "Youth service (1)" in page
    assert "Services by type" in page and "Hot and cold spots (Gi*)" in page
    text = decoded(page)
    assert "Ages: 10–18" in text and "Ages: any–19" in text
    assert "Provider: &lt;b&gt;P&lt;/b&gt;" in text
    assert "Funder: VRU" in text
    assert_not_executable(page)


def test_provision_map_broken_input() -> None:
    with pytest.raises(DataError):
        maps.provision_map(make_services().drop(columns="service_type"), tiles=None)
    with pytest.raises(CRSError):
        maps.provision_map(make_services().set_crs(None, allow_override=True), tiles=None)


# ---- size budget on real Medway geography ---------------------------------------------------


def hex_grid(area: gpd.GeoDataFrame, size: float) -> gpd.GeoDataFrame:
    """Flat-topped hexagons of width ``size`` (metres, flat-to-flat) touching ``area``."""
    r = size / np.sqrt(3)  # circumradius
    minx, miny, maxx, maxy = area.total_bounds
    dx, dy = 1.5 * r, size
    cols = np.arange(minx - r, maxx + 2 * r, dx)
    angles = np.deg2rad(np.arange(0, 360, 60))
    polys = []
    for i, x in enumerate(cols):
        for y in np.arange(miny - size, maxy + size, dy) + (dy / 2 if i % 2 else 0):
            polys.append(Polygon(np.c_[x + r * np.cos(angles), y + r * np.sin(angles)]))
    grid = gpd.GeoDataFrame(geometry=polys, crs=area.crs)
    return grid.loc[grid.intersects(area.union_all())].reset_index(drop=True)


@pytest.mark.realdata
@pytest.mark.slow
def test_medway_250m_hex_map_under_3mb(data_dir: Path, tmp_path: Path) -> None:
    medway = gpd.read_file(data_dir / "boundaries" / "medway_boundary.geojson").to_crs(27700)
    hexes = hex_grid(medway, 250.0)
    assert 3000 < len(hexes) < 4500
    assert hexes.area.iloc[0] == pytest.approx(np.sqrt(3) / 2 * 250**2, rel=1e-9)
    rng = np.random.default_rng(7)
    n = len(hexes)
    z = rng.normal(0, 1.5, n)
    bins = np.select([z > 2.58, z > 1.96, z > 1.65, z < -2.58, z < -1.96, z < -1.65],
                     [3, 2, 1, -3, -2, -1], 0)  # fmt: skip
    cells = hexes.assign(
        cell_id=[f"H{i:05d}" for i in range(n)],
        count=rng.poisson(3, n),
        gi_z=z,
        gi_p=0.05,
        gi_p_sim=0.01,
        gi_bin=bins,
        gi_label=[maps.GI_LABELS[int(b)] for b in bins],
        n_neighbours=6,
    )
    out = tmp_path / "medway.html"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        maps.hotspot_map(cells, title="Medway 250 m hexagons", path=out)
    size = out.stat().st_size
    print(f"\nMedway 250 m hex map: {n} cells, {size / 1e6:.2f} MB")
    assert size < 3_000_000
    page = out.read_text()
    assert page.count('"tip": "') == n  # every cell present
    # coordinates rounded to 5 decimals
    data = page[page.index('"features"') :][:300000]
    coords = re.findall(r"\[(-?\d+\.\d+), (-?\d+\.\d+)\]", data)
    assert coords and max(len(c[0].split(".")[1]) for c in coords) <= 5


def test_method_box_rounds_parameters() -> None:
    from hotspots._mapstyle import describe_parameters

    text = describe_parameters(
        {"band_m": 269.17432198, "minutes": (5, 10, 15.0), "fdr": True, "alpha": np.float64(0.05)}
    )
    assert text == "band_m=269.2, minutes=(5, 10, 15), fdr=True, alpha=0.05"


def test_tasking_places_come_from_police_locations() -> None:
    cells = make_cells()[["cell_id", "count", "geometry"]]
    ranked = cells.sort_values("count", ascending=False)
    first, second = ranked.iloc[0], ranked.iloc[1]
    a, b = first.geometry.centroid, second.geometry.centroid
    incidents = gpd.GeoDataFrame(
        {
            "crime_type": ["Drugs"] * 6,
            # commonest wins in the first cell; a hostile street name in the second
            "location": ["On or near High Street"] * 2
            + ["On or near Mill Lane", None]
            + [HOSTILE, ""],
        },
        geometry=[a, a, a, a, b, b],
        crs=27700,
    )
    page = render(maps.tasking_map(cells, top_n=3, incidents=incidents, tiles=None))
    rows = re.findall(r"<tr><td>(\d+)</td><td>(.*?)</td>", page)
    places = {int(rank): html.unescape(text) for rank, text in rows}
    ra = first.geometry.representative_point()
    assert (
        places[1] == f"On or near High Street, {grid_reference(ra.x, ra.y)}, cell {first.cell_id}"
    )
    assert places[2].startswith(HOSTILE + ", ")
    assert_not_executable(page)
    # without locations, the grid reference alone, as before
    bare = render(
        maps.tasking_map(cells, top_n=3, incidents=incidents.drop(columns="location"), tiles=None)
    )
    assert "On or near" not in bare


def test_tasking_incidents_need_a_type_or_a_location() -> None:
    cells = make_cells()[["cell_id", "count", "geometry"]]
    top = cells.sort_values("count", ascending=False).iloc[0]
    where = [top.geometry.centroid] * 3
    only_location = gpd.GeoDataFrame(
        {"location": ["On or near Dock Road"] * 3}, geometry=where, crs=27700
    )
    page = render(maps.tasking_map(cells, top_n=3, incidents=only_location, tiles=None))
    assert "On or near Dock Road" in page
    with pytest.raises(DataError, match="crime_type or location"):
        maps.tasking_map(cells, top_n=3, incidents=only_location[["geometry"]], tiles=None)
    with pytest.raises(CRSError):
        maps.tasking_map(cells, top_n=3, incidents=only_location.to_crs(4326), tiles=None)


def test_offline_page_carries_leaflet_and_links_nothing() -> None:
    page = render(maps.hotspot_map(make_cells(), offline=True, tiles=None))
    assert "<script src=" not in page and "<link " not in page.split("</head>")[0]
    assert 'VERSION="1.9.3"' in page.replace(" ", "") or '"1.9.3"' in page  # Leaflet itself
    assert "cdn.jsdelivr.net" not in page and "code.jquery.com" not in page
    online = render(maps.hotspot_map(make_cells(), tiles=None))
    assert "https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.js" in online


def test_internal_map_shows_exact_counts_and_says_so() -> None:
    cells = make_cells()
    shared = decoded(render(maps.tasking_map(cells, top_n=3, tiles=None)))
    internal = decoded(render(maps.tasking_map(cells, top_n=3, tiles=None, internal=True)))
    assert "NOT FOR PUBLICATION" not in shared and "NOT FOR PUBLICATION" in internal
    small = int(cells.loc[cells["count"] < 5, "count"].iloc[0])
    assert f"Incidents: {small}<" in internal and f"Incidents: {small}<" not in shared
    points = decoded(
        render(maps.hotspot_map(cells, incidents=make_points(), show_points=True, tiles=None))
    )
    assert "Incident locations are shown" in points


def make_points() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"crime_type": ["Drugs", "Robbery"], "month": ["2018-06", "2018-06"]},
        geometry=[Point(575100, 168100), Point(575600, 168400)],
        crs=27700,
    )


def test_no_absolute_path_reaches_the_page(tmp_path: Path) -> None:
    cells = make_cells()
    secret = tmp_path / "private" / "2018-06-kent-street.csv"
    record(cells, method="Getis-Ord Gi*", parameters={"path": str(secret)}, sources=[str(secret)])
    page = decoded(render(maps.hotspot_map(cells, tiles=None)))
    assert str(tmp_path) not in page
    assert "2018-06-kent-street.csv" in page


def test_area_and_wards_orient_the_page() -> None:
    cells = make_cells()
    area = gpd.GeoDataFrame(geometry=[box(574900, 167900, 577200, 169700)], crs=27700)
    wards = gpd.GeoDataFrame(
        {"WD13NM": ["Chatham Central", "Rochester West"]},
        geometry=[box(574900, 167900, 576000, 169700), box(576000, 167900, 577200, 169700)],
        crs=27700,
    )
    page = decoded(render(maps.hotspot_map(cells, area=area, wards=wards, tiles=None)))
    for layer in ("Area outline", "Ward boundaries", "Ward names", "OS grid (km)"):
        assert layer in page
    assert page.count('class=\\"hs-ward-label\\"') == 2 and "Rochester West" in page
    # 1 km OS grid over 575-577 km E, 167-169 km N: lines labelled 75, 76, 77 and 67 ... 69
    labels = re.findall(r"hs-grid-label.{0,3}>(\d\d)<", page)
    assert {"75", "76", "77", "67", "68", "69"} <= set(labels)
    assert "OS National Grid lines every 1 km" in page and "square TQ" in page


def test_hostile_ward_name_shows_as_text() -> None:
    wards = gpd.GeoDataFrame(
        {"name": [HOSTILE]}, geometry=[box(574900, 167900, 577200, 169700)], crs=27700
    )
    page = render(maps.tasking_map(make_cells(), top_n=3, wards=wards, offline=True, tiles=None))
    assert_not_executable(page)
    assert esc(HOSTILE) in decoded(page)
