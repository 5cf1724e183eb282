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
def test_demo_end_to_end(tmp_path: Path, browser_ready: Any) -> None:
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
        _browser.assert_readable_map(browser_ready, path, SHOTS / f"demo_{name}.png")


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
                *("--quiet", "reach", "--services", str(csv)),
                *("--targets", str(out / "hotspots.gpkg"), "--out", str(out)),
            ]
        )
    assert code == 0
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
    assert (out / "provision_map.html").stat().st_size > 0


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
