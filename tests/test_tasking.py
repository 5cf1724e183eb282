"""Tests of hotspots.tasking: areas merged, empty cells never numbered, busiest place kept."""

from __future__ import annotations

import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point, box

from hotspots import DataError, HotspotsWarning
from hotspots.tasking import AREA, CONCENTRATION, UNTESTED, tasking_list

# most examples are small on purpose; "only k places qualify" is tested where it matters
pytestmark = pytest.mark.filterwarnings("ignore:tasking_list. only:hotspots.HotspotsWarning")


def _strip(counts: list[int], bins: list[int], **extra: list[object]) -> gpd.GeoDataFrame:
    """A row of 250 m squares at Chatham; neighbours in the row touch."""
    n = len(counts)
    return gpd.GeoDataFrame(
        {"cell_id": [f"c{i}" for i in range(n)], "count": counts, "gi_bin": bins, **extra},
        geometry=[box(575000 + 250 * i, 168000, 575250 + 250 * i, 168250) for i in range(n)],
        crs=27700,
    )


def test_adjacent_hot_cells_merge_and_empty_cells_are_not_places() -> None:
    # cells 0-2 touch (one empty), 4-5 touch, 7 is hot but empty, 9 busy alone
    hot = _strip([2, 0, 3, 0, 1, 1, 0, 0, 0, 6], [2, 3, 2, 0, 2, 2, 0, 3, 0, 0])
    t = tasking_list(hot)
    # by hand: area {0,1,2} 5 incidents; area {4,5} 2; cell 9 (6, a concentration);
    # the lone empty hot cell 7 is never listed
    assert t["cells"].tolist() == [["c9"], ["c2", "c0", "c1"], ["c4", "c5"]]
    assert t["kind"].tolist() == [CONCENTRATION, AREA, AREA]
    assert t["incidents"].tolist() == [6, 5, 2]
    assert t["number"].tolist() == [1, 2, 3]
    assert t["gi_bin"].tolist() == [0, 3, 2]
    assert t["confidence"].tolist()[1] == "Hot spot – 99% confidence"
    # the number goes on the busiest cell, never on an empty one
    assert t["busiest_cell"].tolist() == [9, 2, 4]
    assert (hot.loc[t["busiest_cell"], "count"].to_numpy() > 0).all()
    assert t.geometry.iloc[1].area == pytest.approx(3 * 250 * 250)
    assert t.crs == hot.crs


def test_busiest_significant_place_is_never_left_out() -> None:
    # eleven busy concentrations of 9 outrank the only hot area (4 incidents) by count;
    # the area holds the busiest significant cell, so it takes the last place
    counts = [4] + [0] + [9, 0] * 11
    bins = [2] + [0] + [0, 0] * 11
    t = tasking_list(_strip(counts, bins), top=10)
    assert len(t) == 10
    assert t["kind"].tolist() == [CONCENTRATION] * 9 + [AREA]
    assert t["cells"].iloc[-1] == ["c0"]


def test_rank_by_a_harm_column() -> None:
    hot = _strip([5, 0, 2, 0, 6], [3, 0, 3, 0, 0], harm=[1.0, 0.0, 40.0, 0.0, 6.0])
    by_count = tasking_list(hot, min_incidents=5)
    assert by_count["cells"].tolist() == [["c4"], ["c0"], ["c2"]]
    by_harm = tasking_list(hot, rank_by="harm", min_incidents=5)
    assert by_harm["cells"].tolist() == [["c2"], ["c4"], ["c0"]]
    assert by_harm["score"].tolist() == [40.0, 6.0, 1.0]
    with pytest.raises(DataError, match="rank_by='risk' is not a column"):
        tasking_list(hot, rank_by="risk")


def test_places_mix_and_months_from_incidents() -> None:
    hot = _strip([3, 2, 0], [3, 2, 0])
    a, b = hot.geometry.iloc[0].centroid, hot.geometry.iloc[1].centroid
    incidents = gpd.GeoDataFrame(
        {
            "crime_type": ["Drugs", "Drugs", "Robbery", "Drugs", "Robbery"],
            "location": ["On or near High Street"] * 2 + ["On or near Mill Lane"] * 3,
            "month": ["2024-01", "2024-03", "2024-01", "2024-02", "2024-02"],
        },
        geometry=[a, a, a, b, b],
        crs=27700,
    )
    t = tasking_list(hot, incidents)
    assert len(t) == 1
    row = t.iloc[0]
    # busiest cell first: c0 (High Street 2 of 3), then c1 (Mill Lane)
    assert row["place"].startswith("On or near High Street; On or near Mill Lane, TQ ")
    assert row["crime_mix"] == {"Drugs": 3, "Robbery": 2}
    assert (row["first_month"], row["last_month"], row["months"]) == ("2024-01", "2024-03", 3)


def test_without_gi_columns_busiest_cells_are_listed() -> None:
    hot = _strip([0, 3, 7], [0, 0, 0]).drop(columns="gi_bin")
    with pytest.warns(HotspotsWarning, match="only 2 place"):
        t = tasking_list(hot, top=5)
    assert t["kind"].tolist() == [UNTESTED, UNTESTED]
    assert t["incidents"].tolist() == [7, 3]


def test_bad_arguments() -> None:
    hot = _strip([1, 2], [0, 0])
    with pytest.raises(DataError, match="top"):
        tasking_list(hot, top=0)
    with pytest.raises(DataError, match="min_bin"):
        tasking_list(hot, min_bin=0)
    with pytest.raises(DataError, match="count"):
        tasking_list(hot.drop(columns="count"))
    with pytest.warns(HotspotsWarning, match="only 0"):
        assert len(tasking_list(hot)) == 0


# ---------------------------------------------------------------------- real data
MONTHS = ("2018-12", "2022-06", "2024-01", "2025-06")


@pytest.fixture(scope="module")
def medway_months(data_dir: Path) -> list[tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]]:
    """Gi* cells and incidents of violence for a few real Medway months, 250 m hexagons."""
    import hotspots as hs

    boundary = gpd.read_file(data_dir / "boundaries" / "medway_boundary.geojson").to_crs(27700)
    grid = hs.hex_grid(boundary, cell_size=250)
    out = []
    for month in MONTHS:
        raw = pd.read_csv(data_dir / "crime" / "medway_street" / f"{month}-medway-street.csv")
        raw = raw[(raw["Crime type"] == "Violence and sexual offences") & raw["Longitude"].notna()]
        incidents = gpd.GeoDataFrame(
            {
                "crime_type": raw["Crime type"].to_numpy(),
                "location": raw["Location"].to_numpy(),
                "month": raw["Month"].to_numpy(),
            },
            geometry=gpd.points_from_xy(raw["Longitude"], raw["Latitude"]),
            crs=4326,
        ).to_crs(27700)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", HotspotsWarning)
            cells = hs.gi_star(hs.count_points(incidents, grid), "count", seed=0)
        out.append((cells, incidents))
    return out


@pytest.mark.realdata
def test_medway_no_listed_place_is_empty(medway_months: list) -> None:
    for cells, incidents in medway_months:
        t = tasking_list(cells, incidents)
        assert len(t) == 10
        # recount each place's incidents from the points themselves
        inside = gpd.sjoin(incidents, t[["number", "geometry"]], predicate="within")
        recount = inside.groupby("number").size().reindex(t["number"], fill_value=0)
        assert (recount.to_numpy() > 0).all()
        assert (recount.to_numpy() == t["incidents"].to_numpy()).all()
        assert (cells.loc[t["busiest_cell"], "count"].to_numpy() > 0).all()


@pytest.mark.realdata
def test_medway_busiest_significant_cell_is_listed(medway_months: list) -> None:
    for cells, incidents in medway_months:
        t = tasking_list(cells, incidents)
        significant = cells.loc[cells["gi_bin"] >= 2]
        assert len(significant)
        busiest = significant["cell_id"].loc[significant["count"].idxmax()]
        assert any(busiest in listed for listed in t["cells"])
        # and the ten busiest cells of all are listed or inside a listed area
        listed = {c for group in t["cells"] for c in group}
        top_cell = cells["cell_id"].loc[cells["count"].idxmax()]
        assert top_cell in listed


@pytest.mark.realdata
def test_medway_adjacent_hot_cells_are_one_area(medway_months: list) -> None:
    from hotspots.hotspot import build_weights

    for cells, incidents in medway_months:
        t = tasking_list(cells, incidents, top=50)
        sig = cells.loc[cells["gi_bin"] >= 2]
        W, _ = build_weights(sig, neighbours="queen")
        ids = sig["cell_id"].to_numpy()
        area_of = {c: n for n, group in zip(t["number"], t["cells"], strict=True) for c in group}
        merged_some = False
        for i, j in zip(*W.nonzero(), strict=True):
            a, b = ids[i], ids[j]
            if a in area_of or b in area_of:
                # touching significant cells never end up in two different places
                assert area_of.get(a) == area_of.get(b)
                merged_some = True
        assert merged_some
        areas = t.loc[t["kind"] == AREA]
        assert (areas["n_cells"] > 1).any()
        # distinct areas do not touch each other
        geoms = areas.geometry.to_numpy()
        for x in range(len(geoms)):
            for y in range(x + 1, len(geoms)):
                assert not geoms[x].buffer(1.0).intersects(geoms[y])


def test_one_incident_never_a_hot_area() -> None:
    import hotspots as hs

    grid = hs.square_grid(gpd.GeoSeries([box(0, 0, 5000, 5000)], crs=27700), cell_size=250)
    incidents = gpd.GeoDataFrame(geometry=[Point(2600, 2600)], crs=27700)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", HotspotsWarning)
        cells = hs.gi_star(hs.count_points(incidents, grid), "count", seed=0)
        t = tasking_list(cells)
        analytic = hs.gi_star(hs.count_points(incidents, grid), "count", inference="analytic")
    assert (cells["gi_bin"] <= 0).all()
    assert len(t) == 0
    assert np.isfinite(cells["gi_p_perm"]).any()
    # the bins before (analytic p): the incident's cell and its neighbours "hot"
    assert (analytic["gi_bin"] >= 1).sum() >= 1


def test_when_line_recovers_the_planted_friday_night_pattern() -> None:
    import hotspots
    from hotspots import synthetic_town

    town = synthetic_town(2, size_km=3, n_incidents=6000, n_services=4, n_hotspots=2)
    spot = town.hotspots[town.hotspots["kind"] == "persistent"].iloc[0]
    assert spot["crime_type"] == "Violence and sexual offences"
    violence = town.incidents[town.incidents["crime_type"] == spot["crime_type"]]
    grid = hotspots.hex_grid(town.boundary, cell_size=250)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", HotspotsWarning)
        hot = hotspots.gi_star(hotspots.count_points(violence, grid), "count")
    t = tasking_list(hot, violence, top=3)
    planted = t.geometry.intersects(spot.geometry.centroid).to_numpy()
    assert planted.sum() == 1
    # the synthetic town plants most of this spot's violence on Fri-Sat 22:00-02:00
    assert t.loc[planted, "when"].iloc[0].startswith("mostly Fri–Sat 22:00–02:00")
    # police.uk data (months only) has no times: no 'when' column at all
    months_only = violence.drop(columns=["datetime", "datetime_end"])
    assert "when" not in tasking_list(hot, months_only, top=3).columns
    # the tasking map's table shows the line only when there are times
    from hotspots.maps import tasking_map

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", HotspotsWarning)
        timed = tasking_map(hot, top_n=3, incidents=violence, tiles=None).get_root().render()
        untimed = tasking_map(hot, top_n=3, incidents=months_only, tiles=None).get_root().render()
    assert "; mostly Fri–Sat 22–02h" in timed
    assert "22–02h" not in untimed


def test_when_line_by_hand_and_dates_without_times() -> None:
    hot = _strip([12, 0, 4], [2, 0, 0])
    xy = [(575100, 168100)] * 12 + [(575600, 168100)] * 4
    # cell 0: twelve Wednesdays 09:xx; cell 2: four incidents, too few for a pattern
    times = [f"2024-03-{6 + 7 * (i % 3):02d} 09:{i:02d}" for i in range(12)] + [
        "2024-03-04 10:00"
    ] * 4
    incidents = gpd.GeoDataFrame(
        {"crime_type": ["Drugs"] * 16, "datetime": pd.to_datetime(times)},
        geometry=[Point(p) for p in xy],
        crs=27700,
    )
    t = tasking_list(hot, incidents, min_incidents=1)
    assert t["cells"].tolist() == [["c0"], ["c2"]]
    assert t["when"].iloc[0].startswith("mostly Wed 09:00–10:00 (100% of incidents")
    assert t["when"].iloc[1].startswith("too few incidents (4)")
    midnight = incidents.assign(datetime=pd.to_datetime(["2024-03-06"] * 16))
    with pytest.warns(HotspotsWarning, match="no 'when' line.*midnight"):
        none = tasking_list(hot, midnight, min_incidents=1)
    assert none["when"].isna().all()
