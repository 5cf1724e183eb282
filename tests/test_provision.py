"""Tests for hotspots.provision and hotspots.overlay: reading provision maps, overlay, gaps,
site suggestions."""

from __future__ import annotations

import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from scipy import stats
from shapely.geometry import Point, box

from hotspots import CRSError, DataError, HotspotsWarning
from hotspots.overlay import hotspot_gaps, provision_in_hotspots
from hotspots.provision import SERVICE_TYPES, read_provision
from hotspots.siting import suggest_sites

HEADER = "name,service_type,provider,target_age_min,target_age_max,funder,longitude,latitude\n"
GOOD = (
    "Boxing club,community_sport,Club CIC,10,18,VRU,0.5422,51.3783\n"
    "Youth hub,youth_service,Council,11,19,Council,0.5291,51.3810\n"
)


def write(tmp_path: Path, text: str, name: str = "p.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


# ---------------------------------------------------------------- read_provision


def test_read_provision_lonlat_to_bng(tmp_path: Path) -> None:
    from pyproj import Transformer

    p = read_provision(write(tmp_path, HEADER + GOOD))
    assert p.crs.to_epsg() == 27700
    assert list(p["name"]) == ["Boxing club", "Youth hub"]
    assert list(p["service_type"]) == ["community_sport", "youth_service"]
    assert p["target_age_min"].tolist() == [10, 11]
    assert p["row"].tolist() == [2, 3]
    x, y = Transformer.from_crs(4326, 27700, always_xy=True).transform(0.5422, 51.3783)
    assert p.geometry.iloc[0].distance(Point(x, y)) < 1e-6
    assert p.attrs["load_report"].rows_kept == 2


def test_read_provision_easting_northing_and_excel(tmp_path: Path) -> None:
    df = pd.DataFrame(
        {
            "Name": ["Hospital team"],
            "Service Type": ["ae_reachable_moments"],
            "Provider": ["NHS"],
            "Target age min": [10],
            "Target age max": [24],
            "Easting": [577021],
            "Northing": [167424],
        }
    )
    path = tmp_path / "p.xlsx"
    df.to_excel(path, index=False)
    p = read_provision(path)
    assert p.geometry.iloc[0].coords[0] == (577021.0, 167424.0)
    assert p["funder"].iloc[0] == ""


def test_bom_and_crlf_are_read(tmp_path: Path) -> None:
    text = (HEADER + GOOD).replace("\n", "\r\n")
    p = read_provision(write(tmp_path, text, encoding="utf-8-sig"))
    assert list(p["name"]) == ["Boxing club", "Youth hub"]


def test_missing_columns(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"missing column.*provider"):
        read_provision(write(tmp_path, "name,service_type,longitude,latitude\nA,other,0.5,51.4\n"))


def test_no_location_columns(tmp_path: Path) -> None:
    text = "name,service_type,provider,target_age_min,target_age_max\nA,other,P,1,2\n"
    with pytest.raises(DataError, match="no location columns"):
        read_provision(write(tmp_path, text))


def test_unknown_type_and_bad_ages_are_errors_with_lines(tmp_path: Path) -> None:
    text = (
        HEADER
        + GOOD
        + (
            "Knife crime talk,assembly,School,11,16,,0.53,51.38\n"
            "Gym,community_sport,Gym Ltd,18,12,,0.53,51.38\n"
            "Club,community_sport,Gym Ltd,-1,12,,0.53,51.38\n"
            "Old,community_sport,Gym Ltd,10,200,,0.53,51.38\n"
        )
    )
    with pytest.raises(DataError) as err:
        read_provision(write(tmp_path, text))
    msg = str(err.value)
    assert "line 4, column service_type: unknown type 'assembly'" in msg
    assert "line 5: target_age_min 18 is above target_age_max 12" in msg
    assert "line 6, column target_age_min" in msg
    assert "line 7, column target_age_max" in msg


def test_coordinates_swapped_or_outside_gb(tmp_path: Path) -> None:
    text = HEADER + "A,other,P,1,2,,51.38,0.54\nB,other,P,1,2,,-74.0,40.7\nC,other,P,1,2,,x,51\n"
    with pytest.raises(DataError) as err:
        read_provision(write(tmp_path, text))
    msg = str(err.value)
    assert "line 2" in msg and "swapped" in msg
    assert "line 3" in msg and "outside Great Britain" in msg
    assert "line 4" in msg and "not a number" in msg


def test_blank_location_dropped_and_reported(tmp_path: Path) -> None:
    text = HEADER + GOOD + "Mobile van,substance_misuse,Charity,12,24,,,\n"
    with pytest.warns(HotspotsWarning, match="no location"):
        p = read_provision(write(tmp_path, text))
    report = p.attrs["load_report"]
    assert report.dropped == {"no location": [4]}
    assert report.rows_read == 3 and len(p) == 2


def test_duplicates_dropped_same_name_elsewhere_noted(tmp_path: Path) -> None:
    text = (
        HEADER
        + GOOD
        + GOOD.splitlines()[0]
        + "\n"
        + "Boxing club,community_sport,Club CIC,10,18,VRU,0.50,51.39\n"
    )
    with pytest.warns(HotspotsWarning, match="duplicate"):
        p = read_provision(write(tmp_path, text))
    report = p.attrs["load_report"]
    assert report.dropped["duplicate (same name, type and location)"] == [4]
    assert any("share a name" in n for n in report.notes)
    assert len(p) == 3


def test_hostile_name_kept_verbatim(tmp_path: Path) -> None:
    hostile = '<script>alert(1)</script> `${x}` \\ "q"'
    text = HEADER + f'"{hostile.replace(chr(34), chr(34) * 2)}",other,P,1,2,,0.5,51.4\n'
    p = read_provision(write(tmp_path, text))
    assert p["name"].iloc[0] == hostile


def test_empty_non_utf8_and_suffix(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="empty"):
        read_provision(write(tmp_path, ""))
    with pytest.raises(DataError, match="no services"):
        read_provision(write(tmp_path, HEADER))
    with pytest.raises(DataError, match="UTF-8"):
        read_provision(
            write(tmp_path, HEADER + "Caf\xe9,other,P,1,2,,0.5,51.4\n", encoding="latin-1")
        )
    with pytest.raises(DataError, match=r"\.csv or \.xlsx"):
        read_provision(write(tmp_path, "x", name="p.json"))
    with pytest.raises(DataError, match="not found"):
        read_provision(tmp_path / "nope.csv")


def test_area_filter_reports_outside(tmp_path: Path) -> None:
    area = gpd.GeoDataFrame(geometry=[box(575000, 166000, 579000, 170000)], crs=27700)
    text = HEADER + GOOD + "Far away,other,P,1,2,,1.38,51.37\n"
    with pytest.warns(HotspotsWarning, match="outside area"):
        p = read_provision(write(tmp_path, text), area=area)
    assert p.attrs["load_report"].dropped == {"outside area": [4]}
    # the same area as a bare lon/lat polygon, or in another CRS, drops the same row
    lonlat = area.to_crs(4326).geometry.iloc[0]
    for other in (lonlat, area.to_crs(3857)):
        with pytest.warns(HotspotsWarning, match="outside area"):
            q = read_provision(write(tmp_path, text), area=other)
        assert q.attrs["load_report"].dropped == {"outside area": [4]}
    with pytest.raises(DataError, match="area has no CRS"):
        read_provision(write(tmp_path, text), area=area.set_crs(None, allow_override=True))
    with pytest.raises(DataError, match="area must be"):
        read_provision(write(tmp_path, text), area="Medway")


# ------------------------------------------------------------- hand-made grid


def grid_cells(hot: set[tuple[int, int]], n: int = 10, size: float = 100.0) -> gpd.GeoDataFrame:
    rows = []
    for r in range(n):
        for c in range(n):
            rows.append(
                {
                    "cell_id": r * n + c,
                    "gi_bin": 3 if (r, c) in hot else 0,
                    "gi_z": 3.5 if (r, c) in hot else 0.0,
                    "count": 10 + r if (r, c) in hot else 0,
                    "geometry": box(c * size, r * size, (c + 1) * size, (r + 1) * size),
                }
            )
    return gpd.GeoDataFrame(rows, crs=27700)


HOT = {(r, c) for r in range(3) for c in range(3)}  # 9 of 100 cells: hot share 0.09


def services_at(
    points: list[tuple[float, float]], stype: str = "community_sport"
) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "name": [f"s{i}" for i in range(len(points))],
            "service_type": stype,
            "target_age_min": 10,
            "target_age_max": 18,
        },
        geometry=[Point(p) for p in points],
        crs=27700,
    )


def test_permutation_test_obvious_yes() -> None:
    cells = grid_cells(HOT)
    svc = services_at([(50 + 20 * i, 50 + 20 * i) for i in range(10)])  # all in the hot block
    res = provision_in_hotspots(svc, cells, permutations=999, seed=1)
    row = res.summary.set_index("service_type").loc["community_sport"]
    assert row["n_in_hotspots"] == 10 and row["share_in_hotspots"] == 1.0
    assert row["hot_share"] == pytest.approx(0.09, abs=0.01)
    # P(10 of 10 by chance) = 0.09**10: no relocation reaches it, so p = 1/1000
    assert row["p_value"] == pytest.approx(1 / 1000)
    assert res.services["gi_bin"].tolist() == [3] * 10


def test_permutation_test_obvious_no_and_matches_binomial() -> None:
    cells = grid_cells(HOT)
    svc = services_at([(550 + 30 * i, 650) for i in range(10)])  # all in cold cells
    res = provision_in_hotspots(svc, cells, permutations=999, seed=2)
    row = res.summary.set_index("service_type").loc["all"]
    assert row["n_in_hotspots"] == 0 and row["p_value"] == 1.0
    # 2 of 10 in hot spots: permutation p close to the exact binomial tail
    pts = [(50, 50), (150, 150)] + [(550 + 30 * i, 650) for i in range(8)]
    res2 = provision_in_hotspots(services_at(pts), cells, permutations=4999, seed=3)
    p_perm = res2.summary.set_index("service_type").loc["all", "p_value"]
    p_exact = stats.binom.sf(1, 10, 0.09)  # P(X >= 2)
    assert p_perm == pytest.approx(p_exact, abs=0.02)


def test_within_m_counts_near_services() -> None:
    cells = grid_cells(HOT)
    svc = services_at([(350, 50)])  # 50 m beyond the hot block's edge at x=300
    res = provision_in_hotspots(svc, cells, within_m=60, permutations=0)
    assert bool(res.services["in_hotspot"].iloc[0])
    assert res.services["distance_m"].iloc[0] == pytest.approx(50.0)
    res = provision_in_hotspots(svc, cells, within_m=40, permutations=0)
    assert not bool(res.services["in_hotspot"].iloc[0])


def test_candidates_null() -> None:
    cells = grid_cells(HOT)
    cand = services_at([(50, 50), (950, 950), (850, 950), (750, 950)])  # 1 of 4 venues hot
    svc = services_at([(50, 60)])
    res = provision_in_hotspots(svc, cells, candidates=cand, permutations=999, seed=0)
    row = res.summary.set_index("service_type").loc["all"]
    assert row["hot_share"] == 0.25
    assert row["p_value"] == pytest.approx(0.25, abs=0.05)


def test_outside_services_warned_and_crs_checked() -> None:
    cells = grid_cells(HOT)
    svc = services_at([(5000, 5000)])
    with pytest.warns(HotspotsWarning, match="outside every hotspot cell"):
        res = provision_in_hotspots(svc, cells, permutations=0)
    assert bool(res.services["outside_area"].iloc[0])
    with pytest.raises(CRSError, match="different coordinate"):
        provision_in_hotspots(svc.set_crs(3857, allow_override=True), cells)
    with pytest.raises(CRSError, match="geographic"):
        provision_in_hotspots(svc.to_crs(4326), cells.to_crs(4326))
    with pytest.raises(DataError, match="gi_bin"):
        provision_in_hotspots(svc, cells.drop(columns="gi_bin"))


# ------------------------------------------------------------------ gaps


def test_hotspot_gaps_straight_line() -> None:
    # 15 minutes at 4.8 km/h is 1,200 m of travel; with circuity 1.3 that is 923 m straight.
    hot = {(0, 0), (9, 9)}
    cells = grid_cells(hot)
    svc = services_at([(50, 500)])  # 450 m from cell (0,0) centre, ~1,250 m from (9,9)
    gaps = hotspot_gaps(cells, svc, minutes=15, ages=(10, 24))
    assert gaps["cell_id"].tolist() == [99]
    d = np.hypot(950 - 50, 950 - 500)
    assert gaps["minutes_to_service"].iloc[0] == pytest.approx(d * 1.3 / (4800 / 60), rel=1e-6)
    assert gaps["method"].iloc[0] == "straight-line"
    assert gaps["nearest_service"].iloc[0] == "s0"


def test_hotspot_gaps_filters_type_and_age_and_ranks_by_harm() -> None:
    cells = grid_cells({(0, 0), (5, 5), (9, 9)})
    svc = services_at([(50, 50)], stype="community_sport")  # covers (0,0) only, ages 10-18
    # straight line x 1.3 at 80 m/min from (50, 50): cell 55 (centre 550, 550) is
    # 707 m -> 11.49 min away, cell 99 (950, 950) is 1273 m -> 20.68 min away
    gaps = hotspot_gaps(cells, svc, minutes=15, ages=(10, 24))
    assert gaps["cell_id"].tolist() == [99]
    assert gaps["minutes_to_service"].iloc[0] == pytest.approx(900 * 2**0.5 * 1.3 / 80)
    gaps = hotspot_gaps(cells, svc, minutes=11, ages=(10, 24))
    assert gaps["cell_id"].tolist() == [99, 55]  # ranked by count: row 9 > row 5
    assert gaps["method"].eq("straight-line").all()
    with pytest.warns(HotspotsWarning, match="no service matches"):
        gaps = hotspot_gaps(cells, svc, minutes=15, ages=(19, 24))
    assert len(gaps) == 3
    with pytest.warns(HotspotsWarning):
        gaps = hotspot_gaps(cells, svc, service_types=["youth_service"])
    assert len(gaps) == 3
    with pytest.raises(DataError, match="unknown service type"):
        hotspot_gaps(cells, svc, service_types=["boxing"])
    with pytest.raises(DataError, match="must not exceed"):
        hotspot_gaps(cells, svc, ages=(24, 10))
    with pytest.raises(DataError, match="positive"):
        hotspot_gaps(cells, svc, minutes=0)


# ------------------------------------------------------- Medway, end to end


@pytest.mark.slow
def test_medway_whole_check(data_dir: Path, tmp_path: Path) -> None:
    """Real boundaries and June 2018 crime, the ILLUSTRATIVE provision: the whole check."""
    import hotspots
    from hotspots.context import add_rates, area_context
    from hotspots.provision import example_provision

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", HotspotsWarning)
        crimes = hotspots.read_police_csv(
            data_dir / "crime/medway_street_crime_2018-06_derived.csv",
            crime_types=["Violence and sexual offences"],
        )
    medway = hotspots.load_boundary("Medway", level="lad")
    grid = hotspots.hex_grid(medway, cell_size=250)
    hot = hotspots.gi_star(hotspots.count_points(crimes, grid), "count", permutations=99, seed=0)
    n_hot = int((hot["gi_bin"] >= 2).sum())
    assert n_hot > 0

    # provision file as a council would keep it, read back with its load report
    services = example_provision("Medway", seed=0)
    assert services["name"].str.endswith("(illustrative)").all()
    table = services.to_crs(4326)
    csv = tmp_path / "provision.csv"
    table.assign(longitude=table.geometry.x, latitude=table.geometry.y).drop(
        columns="geometry"
    ).to_csv(csv, index=False)
    provision = read_provision(csv, area=medway)
    assert len(provision) == len(services)

    check = provision_in_hotspots(provision, hot, permutations=199, seed=0)
    summary = check.summary.set_index("service_type")
    hot_share = n_hot / len(hot)  # equal cells: the hot share of the area is the cell share
    assert summary["hot_share"].to_numpy() == pytest.approx(hot_share, rel=0.05)
    for stype, row in summary.iterrows():
        in_type = check.services["service_type"] == stype if stype != "all" else slice(None)
        inside = int((check.services.loc[in_type, "gi_bin"] >= 2).sum())
        assert row["n_in_hotspots"] == inside
        # services relocated uniformly: the count in hot spots is Binomial(n, hot share),
        # so the permutation p estimates its upper tail; 199 draws, 4 standard errors
        exact = stats.binom.sf(inside - 1, int(row["n_services"]), row["hot_share"])
        expected_p = (1 + 199 * exact) / 200
        se = np.sqrt(199 * exact * (1 - exact)) / 200
        assert abs(row["p_value"] - expected_p) <= 4 * se + 1e-12, stype

    gaps = hotspot_gaps(hot, provision, minutes=15, service_types="community_sport")
    assert set(gaps.index) <= set(hot.index[hot["gi_bin"] >= 2])
    assert (gaps["minutes_to_service"] > 15).all()
    assert gaps["count"].is_monotonic_decreasing
    assert (gaps["method"] == "straight-line").all()

    wards = hotspots.load_boundary("Medway", level="ward")
    candidates = wards.set_geometry(wards.representative_point())[["name", "geometry"]]
    sport = provision[provision["service_type"] == "community_sport"]
    site = suggest_sites(candidates, hot[hot["gi_bin"] >= 2], n_sites=1, existing=sport)
    prov = site.attrs["hotspots"]
    assert prov["coverage_with_new"] >= prov["coverage_existing"]
    assert site["gain"].iloc[0] > 0 or len(gaps) == 0

    # harm per 1,000 residents aged 0-24 per LSOA, deprivation alongside
    lsoa = area_context(hotspots.load_boundary("Medway", level="lsoa"))
    lsoa = hotspots.count_points(crimes, lsoa)
    rated = add_rates(lsoa, "count", population="population_0_24")
    col = "count_per_1000_population_0_24"
    one = rated.iloc[0]
    assert one[col] == pytest.approx(one["count"] / one["population_0_24"] * 1000)
    assert rated["imd_decile"].between(1, 10).all() and rated[col].notna().all()
    assert int(rated["count"].sum()) == len(crimes)


def test_service_types_vocabulary() -> None:
    assert "community_sport" in SERVICE_TYPES and len(SERVICE_TYPES) == 10


def test_age_filter_keeps_services_whose_ages_overlap_the_range() -> None:
    # one hot cell (0, 0) with a service beside it; only the service's ages change.
    # Ages 10-24 asked: 8-16 and 20-30 overlap it (suitable), 5-30 contains it
    # (suitable), 25-30 and 0-9 miss it (not suitable -> the cell is a gap).
    cells = grid_cells({(0, 0)})
    expected_gap = {(8, 16): False, (20, 30): False, (5, 30): False, (25, 30): True, (0, 9): True}
    for (lo, hi), gap in expected_gap.items():
        svc = services_at([(60, 60)]).assign(target_age_min=lo, target_age_max=hi)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", HotspotsWarning)  # "no service matches"
            gaps = hotspot_gaps(cells, svc, minutes=15, ages=(10, 24))
        assert (len(gaps) == 1) is gap, (lo, hi)


def test_corrupt_workbook_is_a_data_error(tmp_path: Path) -> None:
    book = tmp_path / "provision.xlsx"
    book.write_bytes(b"PK\x03\x04 this is not a workbook")
    with pytest.raises(DataError, match=r"provision\.xlsx: could not be read as an Excel workbook"):
        read_provision(book)


# ------------------------------------------- the provision answer where people look


def test_gap_table_names_street_and_grid_reference() -> None:
    cells = grid_cells({(0, 0), (9, 9)})
    svc = services_at([(50, 500)])
    # incidents in the gap cell (9, 9): the commonest police.uk location names it
    incidents = gpd.GeoDataFrame(
        {
            "location": ["On or near High Street", "On or near Mill Road"] * 2
            + ["On or near High Street"],
            "crime_type": "Robbery",
        },
        geometry=[Point(910 + 10 * i, 930) for i in range(5)],
        crs=27700,
    )
    gaps = hotspot_gaps(cells, svc, minutes=15, ages=(10, 24), incidents=incidents)
    assert gaps["cell_id"].tolist() == [99]
    place = gaps["place"].iloc[0]
    # the centre (950, 950) of the cell lies in 100 km square SV: 8-figure reference
    assert place == "On or near High Street, SV 0095 0095, cell 99"
    # without incidents: the grid reference and cell id only
    assert hotspot_gaps(cells, svc, minutes=15, ages=(10, 24))["place"].iloc[0] == (
        "SV 0095 0095, cell 99"
    )


def test_select_service_types_lists_valid_and_present_types() -> None:
    from hotspots.provision import select_service_types

    svc = pd.concat([services_at([(0, 0)]), services_at([(5, 5)], stype="pharmacy")])
    assert select_service_types(svc, ["pharmacy"])["service_type"].tolist() == ["pharmacy"]
    with pytest.raises(DataError, match=r"unknown service type.*valid: community_sport"):
        select_service_types(svc, "boxing")
    with pytest.raises(DataError, match="the types it has: community_sport, pharmacy"):
        select_service_types(svc, "mentoring")


def test_provision_map_shows_gaps_and_the_test() -> None:
    from hotspots.maps import provision_map

    cells = grid_cells(HOT | {(9, 9)})
    svc = services_at([(50 + 20 * i, 50 + 20 * i) for i in range(10)])
    check = provision_in_hotspots(svc, cells, permutations=99, seed=1)
    gaps = hotspot_gaps(cells, svc, minutes=5, ages=(10, 24))
    html = (
        provision_map(check.services, hotspots=cells, gaps=gaps, test=check.summary, tiles=None)
        .get_root()
        .render()
    )
    assert f"Hot spots without provision ({len(gaps)})" in html
    p = check.summary.set_index("service_type").loc["community_sport", "p_value"]
    assert "10 of 10 in hot spots (100%; hot area" in html
    assert f"p = {p:.3f}" in html


def test_cli_service_type_filters_the_test_and_names_valid_types(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from hotspots.cli import main

    cells = grid_cells(HOT)
    cells.to_file(tmp_path / "hot.gpkg", driver="GPKG")
    rows = [
        ("Club", "community_sport", 50, 50),
        ("Chemist", "pharmacy", 150, 150),
        ("Chemist 2", "pharmacy", 850, 850),
    ]
    text = "name,service_type,provider,target_age_min,target_age_max,easting,northing\n" + "".join(
        f"{n},{t},P,0,99,{x},{y}\n" for n, t, x, y in rows
    )
    csv = write(tmp_path, text)
    args = [
        "--quiet",
        "provision",
        "--provision",
        str(csv),
        "--hotspots",
        str(tmp_path / "hot.gpkg"),
    ]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        code = main([*args, "--out", str(tmp_path / "o"), "--service-type", "pharmacy"])
    assert code == 0
    summary = pd.read_csv(tmp_path / "o" / "provision_summary.csv")
    assert summary["service_type"].tolist() == ["all", "pharmacy"]
    assert summary["n_services"].tolist() == [2, 2]
    capsys.readouterr()
    code = main([*args, "--out", str(tmp_path / "o2"), "--service-type", "boxing"])
    assert code == 2
    err = capsys.readouterr().err
    assert "unknown service type(s) ['boxing']; valid: community_sport" in err
    assert "services is empty" not in err
