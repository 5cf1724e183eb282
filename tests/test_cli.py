"""The ``hotspots`` command: the README's demo end to end (maps checked in Chromium), the
monthly subcommands on the real Medway data, and readable errors for user mistakes."""

from __future__ import annotations

import re
import warnings
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest

from hotspots import HotspotsWarning
from hotspots.cli import _Steps, main
from hotspots.provision import example_provision

from . import _browser

SHOTS = Path(__file__).resolve().parents[1] / "outputs" / "screenshots"
MEDWAY_CSV = "crime/medway_street_crime_2018-06_derived.csv"


def _summary_value(text: str, label: str) -> str:
    match = re.search(rf"^\s+{re.escape(label)}\s+(.+)$", text, flags=re.M)
    assert match, f"{label!r} not in summary:\n{text}"
    return match.group(1).strip()


@pytest.mark.slow
def test_demo_end_to_end(tmp_path: Path, browser_optional: Any) -> None:
    out = tmp_path / "demo"
    assert main(["--quiet", "demo", "--out", str(out)]) == 0
    text = (out / "summary.txt").read_text("utf-8")
    assert "Synthetic town" in text

    # the GeoPackage opens and agrees with the printed summary
    layers = {name for name, _ in pyogrio.list_layers(out / "demo.gpkg")}
    assert layers == {"hotspots", "gaps", "services", "isochrones", "emerging"}
    hot = gpd.read_file(out / "demo.gpkg", layer="hotspots")
    assert hot.crs.to_epsg() == 27700
    counts = " / ".join(str(int((hot["gi_bin"] == b).sum())) for b in (3, 2, 1))
    assert _summary_value(text, "hot cells at 99 / 95 / 90 % confidence") == counts
    gaps = gpd.read_file(out / "demo.gpkg", layer="gaps")
    assert _summary_value(text, "hot spots with no youth provision in reach") == str(len(gaps))
    assert (gaps["minutes_to_service"] > 15).all() and (gaps["gi_bin"] >= 2).all()
    rings = gpd.read_file(out / "demo.gpkg", layer="isochrones")
    assert sorted(rings["minutes"].unique().tolist()) == [5, 10, 15]

    # every map a reader gets: no console error, legend, layers, title, attribution
    for name in ("hotspot_map", "tasking_map", "reach_map", "provision_map"):
        path = out / f"{name}.html"
        assert path.stat().st_size < 3_000_000
        if browser_optional is not None:
            _browser.assert_readable_map(browser_optional, path, SHOTS / f"demo_{name}.png")


def test_user_mistake_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["hotspots", str(tmp_path / "missing.csv"), "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("hotspots: error:") and "missing.csv" in err
    assert "Traceback" not in err and err.count("\n") == 1


def test_step_line_is_ended_when_a_step_fails(capsys: pytest.CaptureFixture[str]) -> None:
    steps = _Steps(2)

    def fail() -> None:
        raise ValueError("boom")

    assert steps.run("first", lambda: 1) == 1
    with pytest.raises(ValueError):
        steps.run("second", fail)
    out = capsys.readouterr().out
    assert out.splitlines() == [out.splitlines()[0], "[2/2] second ... failed"]
    assert out.splitlines()[0].startswith("[1/2] first ... ") and out.endswith("\n")


def test_monthly_job_on_medway(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "job"
    violence = "Violence and sexual offences"
    with pytest.warns(HotspotsWarning, match="duplicate crime id"):  # one, in the real file
        code = main(
            [
                *("--quiet", "hotspots", str(data_dir / MEDWAY_CSV), "--area", "Medway"),
                *("--crime-type", violence, "--permutations", "99", "--out", str(out)),
            ]
        )
    assert code == 0, capsys.readouterr().err
    cells = gpd.read_file(out / "hotspots.gpkg", layer="hotspots")
    parquet = gpd.read_parquet(out / "hotspots.parquet")
    assert len(parquet) == len(cells) and parquet.crs == cells.crs
    raw = pd.read_csv(data_dir / MEDWAY_CSV)
    located = raw[(raw["Crime type"] == violence) & raw["Longitude"].notna()]
    # every located violence record in Medway lands in a cell (none lost silently);
    # the load report accounts for any dropped outside the boundary
    printed = capsys.readouterr().out
    kept = int(re.search(r"kept ([\d,]+)", printed).group(1).replace(",", ""))  # type: ignore[union-attr]
    assert int(cells["count"].sum()) == kept <= len(located)
    # the command's bins are those of the library's Gi* (checked against esda) on its cells
    from hotspots import gi_star

    plain = cells[["count", "area_share", "geometry"]]
    expected = gi_star(plain, "count", permutations=99, seed=0)
    assert cells["gi_bin"].tolist() == expected["gi_bin"].tolist()
    assert int((cells["gi_bin"] >= 2).sum()) == int(expected["gi_hot"].sum())
    assert (cells["gi_bin"] >= 2).sum() > 0
    # the tasking list names places with incidents only, and is printed
    listing = pd.read_csv(out / "tasking_list.csv")
    assert len(listing) == 10 and (listing["incidents"] > 0).all()
    assert "top 10 places for tasking" in printed

    # reach: only the 95 %+ hot cells are targets; straight line offline, and said so
    services = example_provision("Medway", seed=0)
    csv = tmp_path / "provision.csv"
    frame = services.drop(columns="geometry").assign(
        easting=services.geometry.x, northing=services.geometry.y
    )
    frame.to_csv(csv, index=False)
    with pytest.warns(Warning, match="straight-line"):
        code = main(
            [
                *("--quiet", "reach", "--services", str(csv), "--mode", "drive"),
                *("--targets", str(out / "hotspots.gpkg"), "--out", str(out)),
                *("--title", "Medway: driving time to provision"),
            ]
        )
    assert code == 0
    page = (out / "reach_map.html").read_text("utf-8")
    banner = page[page.index('id="hs-caveat"') :].split("</div>")[0]
    assert "at 30 km/h" in banner and "walking" not in banner  # the speed the times used
    assert "Medway: driving time to provision" in page
    # sources carried from the hot spots GeoPackage and the services file; no local paths
    assert "data.police.uk" in page and "provision.csv (supplied by the user)" in page
    assert "not recorded" not in page and str(tmp_path) not in page
    times = gpd.read_file(out / "reach.gpkg", layer="travel_times")
    assert len(times) == int((cells["gi_bin"] >= 2).sum())
    assert (times["method"] == "straight-line").all()
    assert "straight-line" in capsys.readouterr().out

    # provision check on the same hot spots
    with pytest.warns(Warning, match="straight-line"):
        code = main(
            [
                *("--quiet", "provision", "--provision", str(csv)),
                *("--hotspots", str(out / "hotspots.gpkg"), "--out", str(out)),
            ]
        )
    assert code == 0
    summary = pd.read_csv(out / "provision_summary.csv")
    assert set(summary["service_type"]) <= set(services["service_type"]) | {"all"}
    page = (out / "provision_map.html").read_text("utf-8")
    assert "data.police.uk" in page and "provision.csv (supplied by the user)" in page
    assert "Data sources: not recorded" not in page and str(tmp_path) not in page


def test_too_few_incidents_is_said_on_the_command_line_and_the_map(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "few"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", HotspotsWarning)
        code = main(
            [
                *("--quiet", "hotspots", str(data_dir / MEDWAY_CSV), "--area", "Medway"),
                *("--crime-type", "Possession of weapons", "--out", str(out)),
            ]
        )
    assert code == 0
    raw = pd.read_csv(data_dir / MEDWAY_CSV)
    n = int((raw["Crime type"] == "Possession of weapons").sum())
    assert n < 30  # the guard's minimum
    printed = capsys.readouterr().out
    assert re.search(r"warning: Only \d+ incidents", printed)
    page = (out / "hotspot_map.html").read_text(encoding="utf-8")
    assert f"Only {n} incidents" in page and "needed for a meaningful hot spot test" in page


def test_version_and_help(capsys: pytest.CaptureFixture[str]) -> None:
    import hotspots

    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out.strip() == f"hotspots {hotspots.__version__}"
    with pytest.raises(SystemExit) as exit_info:
        main(["demo", "--help"])
    assert exit_info.value.code == 0
    assert "synthetic town" in capsys.readouterr().out


def test_python_dash_m_runs_the_command() -> None:
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-m", "hotspots", "reach", "--services", "nowhere.csv"],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 2  # argparse: --targets and --out are required
    assert "required" in done.stderr and "Traceback" not in done.stderr


# ------------------------------------------------ outputs: checked first, moved in last
def _job(data_dir: Path, out: Path, *extra: str) -> list[str]:
    return [
        *("--quiet", "hotspots", str(data_dir / MEDWAY_CSV), "--area", "Medway"),
        *("--crime-type", "Drugs", "--permutations", "0", "--out", str(out), *extra),
    ]


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--top", "0", "--top must be at least 1, got 0"),
        ("--permutations", "-5", "--permutations must be at least 0, got -5"),
        ("--cell-size", "0", "--cell-size must be more than 0, got 0"),
        ("--cell-size", "nan", "--cell-size must be more than 0, got nan"),
    ],
)
def test_bad_option_fails_before_anything_is_read_or_written(
    option: str,
    value: str,
    message: str,
    data_dir: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = tmp_path / "job"
    assert main([*_job(data_dir, out), option, value]) == 2
    captured = capsys.readouterr()
    assert captured.err == f"hotspots: error: {message}.\n"
    assert captured.out == ""  # no step ran
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # no folder, no partial files


def test_earlier_outputs_are_kept_unless_overwrite(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "job"
    out.mkdir()
    (out / "hotspots.gpkg").write_text("last month's layer")
    (out / "reach.gpkg").write_text("another command's layer")
    assert main(_job(data_dir, out)) == 2
    err = capsys.readouterr().err
    assert "already holds hotspots.gpkg from an earlier run; pass --overwrite" in err
    assert (out / "hotspots.gpkg").read_text() == "last month's layer"
    assert main([*_job(data_dir, out), "--overwrite"]) == 0
    assert pyogrio.list_layers(out / "hotspots.gpkg")[0][0] == "hotspots"
    assert (out / "reach.gpkg").read_text() == "another command's layer"  # not ours: kept
    assert sorted(p.name for p in out.iterdir()) == [
        "hotspot_map.html",
        "hotspots.gpkg",
        "hotspots.parquet",
        "reach.gpkg",
        "tasking_list.csv",
        "tasking_map.html",
    ]
    assert [p.name for p in tmp_path.iterdir()] == ["job"]  # no working folder left


def test_interrupted_run_leaves_the_folder_as_it_was(
    data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from hotspots import maps

    out = tmp_path / "job"
    out.mkdir()
    (out / "tasking_map.html").write_text("last month's map")

    def interrupted(*args: Any, **kwargs: Any) -> None:
        raise KeyboardInterrupt  # Ctrl-C after the GeoPackage and the first map

    monkeypatch.setattr(maps, "tasking_map", interrupted)
    assert main([*_job(data_dir, out), "--overwrite"]) == 130
    assert [p.name for p in out.iterdir()] == ["tasking_map.html"]
    assert (out / "tasking_map.html").read_text() == "last month's map"
    assert [p.name for p in tmp_path.iterdir()] == ["job"]


def test_area_by_ward_name_and_unknown_area(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from hotspots import _commands

    ward = _commands._load_area("Gillingham North")
    wards = gpd.read_file(data_dir / "boundaries/medway_wards_2013.geojson").to_crs(27700)
    expected = wards.loc[wards["WD13NM"] == "Gillingham North"].geometry.iloc[0]
    assert len(ward) == 1 and abs(ward.geometry.iloc[0].area - expected.area) < 1.0
    code = main([*_job(data_dir, tmp_path / "o")[:4], "Nowhere Ward", "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert code == 2 and "download LAD" not in err
    assert "--area 'Nowhere Ward' is not a district (LAD) name or code, nor a ward" in err


def test_web_page_given_as_hotspots_is_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    services = example_provision("Medway", seed=0)
    csv = tmp_path / "provision.csv"
    services.drop(columns="geometry").assign(
        easting=services.geometry.x, northing=services.geometry.y
    ).to_csv(csv, index=False)
    page = tmp_path / "hotspots.gpkg"
    page.write_text("<!DOCTYPE html><html><body>Session expired</body></html>")
    code = main(
        [
            "provision",
            "--provision",
            str(csv),
            "--hotspots",
            str(page),
            "--out",
            str(tmp_path / "o"),
        ]
    )
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err
    assert f"{page}: this is an HTML web page" in err
    assert not (tmp_path / "o").exists()


def test_stray_point_does_not_stretch_the_grid(data_dir: Path, tmp_path: Path) -> None:
    raw = pd.read_csv(data_dir / MEDWAY_CSV)
    drugs = raw[(raw["Crime type"] == "Drugs") & raw["Longitude"].notna()]
    stray = drugs.iloc[[0]].assign(Longitude=-3.19, Latitude=55.95, **{"Crime ID": "x"})
    path = tmp_path / "2018-06-kent-street.csv"
    pd.concat([drugs, stray]).to_csv(path, index=False)
    out = tmp_path / "job"
    with pytest.warns(HotspotsWarning) as caught:
        code = main(["--quiet", "hotspots", str(path), "--permutations", "0", "--out", str(out)])
    assert code == 0
    messages = [str(w.message) for w in caught]
    edinburgh = len(drugs) + 2  # the last line: a header line, then the Medway rows
    assert any(
        m.startswith(
            f"1 incident(s) lie far from all the others and are left out of the grid (source line and x, y: {edinburgh} ("
        )
        for m in messages
    ), messages
    assert any(m.startswith("1 of 75 points fall outside every polygon") for m in messages)
    cells = gpd.read_file(out / "hotspots.gpkg")
    # the grid covers the Medway points' hull (plus one cell), not Kent to Edinburgh
    pts = gpd.GeoSeries(gpd.points_from_xy(drugs["Longitude"], drugs["Latitude"]), crs=4326).to_crs(
        27700
    )
    hull = pts.union_all().convex_hull.buffer(250)
    assert cells.union_all().intersects(hull) and cells.total_bounds[3] < hull.bounds[3] + 500
    assert len(cells) < 3 * hull.area / (250**2 * 3**0.5 / 2)
    assert int(cells["count"].sum()) == len(drugs)
