"""The load report: nothing lost silently."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from hotspots import HotspotsWarning
from hotspots._report import LoadReport, get_load_report


def test_counts_merge_and_summary() -> None:
    a = LoadReport("a.csv", rows_read=20)
    a.drop("no location", [3, 5])
    a.drop("no location", [])
    a.drop("duplicate crime id", list(range(2, 16)))
    b = LoadReport("b.csv", rows_read=4, notes=["2 rows had swapped longitude/latitude"])
    b.drop("no location", [2])
    both = a.merge(b)
    assert (a.rows_kept, a.n_dropped) == (4, 16)
    assert both.rows_read == 24 and both.counts() == {"no location": 3, "duplicate crime id": 14}
    text = str(both)
    assert text.startswith("a.csv; b.csv: read 24, kept 7")
    assert "rows 3, 5, 2" in text and "..." in text and "swapped" in text
    assert a.counts() == {"no location": 2, "duplicate crime id": 14}  # merge copies


def test_get_load_report_only_returns_reports() -> None:
    df = pd.DataFrame({"x": [1]})
    assert get_load_report(df) is None and get_load_report(object()) is None
    df.attrs["load_report"] = "not a report"
    assert get_load_report(df) is None
    df.attrs["load_report"] = LoadReport("x", rows_read=1)
    assert get_load_report(df).rows_kept == 1  # type: ignore[union-attr]


def test_warn_keeps_the_note_and_points_at_the_loaders_caller() -> None:
    report = LoadReport("pop.csv", rows_read=3)

    def loader() -> None:
        report.warn("2 totals differ from the sum of ages")

    with pytest.warns(HotspotsWarning, match="2 totals differ") as caught:
        loader()  # the warning is reported here, at the loader's caller
    assert report.notes == ["2 totals differ from the sum of ages"]
    assert caught[0].filename == __file__
    assert "2 totals differ" in report.summary()


def test_report_is_a_json_dict_kept_in_step_with_its_attributes() -> None:
    import json

    r = LoadReport("a.csv", rows_read=5)
    r.drop("no location", [2, 4])
    r.notes.append("1 repaired")
    r.rows_read += 1
    assert json.loads(json.dumps(r)) == {
        "source": "a.csv",
        "rows_read": 6,
        "dropped": {"no location": [2, 4]},
        "notes": ["1 repaired"],
    }
    assert LoadReport.from_dict(json.loads(json.dumps(r))) == r
    df = pd.DataFrame({"x": [1]})
    df.attrs["load_report"] = json.loads(json.dumps(r))  # as read back from Parquet
    back = get_load_report(df)
    assert isinstance(back, LoadReport) and (back.rows_kept, back.counts()) == (
        4,
        {"no location": 2},
    )


def _loaders(data_dir: Path) -> dict[str, Any]:
    from hotspots import load_boundary, read_police_api, read_police_csv
    from hotspots.provision import example_provision, read_provision

    def provision() -> Any:
        import tempfile

        services = example_provision("Medway", seed=0)
        folder = Path(tempfile.mkdtemp())
        frame = services.drop(columns="geometry").assign(
            easting=services.geometry.x, northing=services.geometry.y
        )
        frame.to_csv(folder / "provision.csv", index=False)
        return read_provision(folder / "provision.csv")

    crime = data_dir / "crime"
    return {
        "read_police_csv": lambda: read_police_csv(
            crime / "medway_street_crime_2018-06_derived.csv"
        ),
        "read_police_api": lambda: read_police_api(crime / "medway_street_crime_api_2018-06.json"),
        "load_boundary": lambda: load_boundary("Medway", level="ward", source="local"),
        "read_provision": provision,
    }


@pytest.mark.parametrize(
    "loader", ["read_police_csv", "read_police_api", "load_boundary", "read_provision"]
)
def test_each_loaders_result_round_trips_through_geoparquet(
    loader: str, data_dir: Path, tmp_path: Path
) -> None:
    import warnings

    import geopandas as gpd

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", HotspotsWarning)
        gdf = _loaders(data_dir)[loader]()
    before = get_load_report(gdf)
    assert isinstance(before, LoadReport)
    gdf.to_parquet(tmp_path / "out.parquet")
    gdf.to_feather(tmp_path / "out.feather")
    back = gpd.read_parquet(tmp_path / "out.parquet")
    after = get_load_report(back)
    assert after is not None
    assert (after.source, after.rows_read, after.dropped, after.notes) == (
        before.source,
        before.rows_read,
        before.dropped,
        before.notes,
    )
    assert len(back) == len(gdf) and back.crs == gdf.crs
