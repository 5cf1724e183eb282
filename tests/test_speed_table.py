"""The README's speed table is the one benchmarks/speed_table.py writes from the results."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _script(name: str = "speed_table") -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, ROOT / "benchmarks" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_readme_table_is_the_generated_one() -> None:
    st = _script()
    readme = (ROOT / "README.md").read_text()
    assert st.rewrite(readme, st.table()) == readme, "run benchmarks/speed_table.py --write"


def test_rows_say_how_they_were_measured(tmp_path: Path) -> None:
    st = _script()
    # a paired density result, a single-run grid result, an extrapolated reach peer
    (tmp_path / "density.json").write_text(
        json.dumps(
            {
                "peer": "sklearn",
                "cases": [
                    {
                        "case": "kde, 10 points, 5 cells",
                        "pairs": 3,
                        "ours_s_median": 2.0,
                        "peer_s_median": 5.0,
                        "ours_whole_call_s": [3.0, 4.0, 5.0],
                        "ratio_peer_over_ours_median": 2.4,
                    }
                ],
            }
        )
    )
    (tmp_path / "grid.json").write_text(
        json.dumps(
            {"case": "count_points, 7 points", "peer": "sjoin", "ours_s": 1.0, "peer_s": 3.0}
        )
    )
    (tmp_path / "reach.json").write_text(
        json.dumps(
            {
                "cases": [
                    {
                        "case": "iso, 3",
                        "ours_s": 1.0,
                        "peer": "recipe (extrapolated x5)",
                        "peer_s": 50.0,
                    },
                    {"case": "iso vector, 3", "ours_s": 2.0, "peer": "the same", "peer_s": 50.0},
                ]
            }
        )
    )
    rows = {(r["job"], r["size"]): r for r in st.rows(tmp_path)}
    density = rows[("kernel density (quartic)", "10 points, 5 cells")]
    # the median of paired ratios, not the ratio of medians (5 / 2 = 2.5)
    assert density["ratio"] == 2.4
    assert density["measured"] == "median of 3 paired runs (A B A B)"
    assert "whole call, grid built too: 4.00 s" in density["ours"]
    grid = rows[("count points into hexagons", "7 points")]
    assert grid["ratio"] == pytest.approx(3.0) and grid["measured"] == st.SINGLE
    for key in (("iso", "3"), ("iso vector", "3")):
        assert rows[key]["ratio"] is None and "50" not in rows[key]["peer"]
    # results that are not there are said to be missing, not invented
    assert rows[("gi_star", "-")]["measured"].startswith("missing")
    dbscan = [r for r in st.rows(tmp_path) if r["job"].startswith("cluster")]
    assert dbscan and dbscan[0]["ratio"] is None


def test_paired_cases_make_paired_rows(tmp_path: Path) -> None:
    st, harness = _script(), _script("_harness")
    runs = [{"seconds": s, "peak_mb": mb} for s, mb in ((1.0, 100.0), (2.0, 300.0), (4.0, 200.0))]
    peer = [{"seconds": s} for s in (3.0, 2.0, 20.0)]
    case = harness.paired_case("count", "7 points", "sjoin", runs, peer, peer_note="warm")
    # a grid result in the paired form, its old single-run keys still beside it
    (tmp_path / "grid.json").write_text(
        json.dumps({"quick": True, "ours_s": 1.0, "peer_s": 9.0, "paired": [case]})
    )
    first_failed = harness.paired_case(
        "gaps", "3 cells", "nx", [{"seconds": float("nan"), "error": "boom"}, {"seconds": 2.0}],
        [{"seconds": 1.0}, {"seconds": 5.0}],
    )  # fmt: skip
    all_failed = harness.paired_case(
        "gaps, warm", "3 cells", "nx", [{"seconds": 1.0}], [{"seconds": float("nan")}]
    )
    (tmp_path / "gaps.json").write_text(json.dumps({"paired": [first_failed, all_failed]}))
    no_numba = {"job": "gi", "size": "5 cells", "peer": "esda with numba"}
    (tmp_path / "gi_star.json").write_text(
        json.dumps({"paired": [{**no_numba, "not_measured": "numba not installed"}]})
    )
    rows = {(r["job"], r["size"]): r for r in st.rows(tmp_path)}
    grid = rows[("count", "7 points")]
    # the median of the pair-by-pair ratios (3, 1, 5), not the ratio of the medians (3 / 2)
    assert grid["ratio"] == 3.0
    # with the spread of the pairs' own ratios: the noise a rerun should fall within
    assert grid["measured"] == "median of 3 paired runs (A B A B); pairs 1.0x to 5.0x (quick sizes)"
    assert grid["ours"] == "2.00 s, 300 MB" and grid["peer"] == "sjoin: 3.00 s (warm)"
    gaps = rows[("gaps", "3 cells")]
    assert gaps["ratio"] == 2.5 and gaps["measured"] == "median of 1 paired run (A B A B)"
    assert first_failed["ours_errors"] == ["boom"]
    failed = rows[("gaps, warm", "3 cells")]
    assert failed["ratio"] is None and failed["measured"].startswith("not measured")
    gi = rows[("gi", "5 cells")]
    assert gi["ratio"] is None and gi["ours"] == "-"
    assert gi["measured"] == "not measured: numba not installed"
    with pytest.raises(ValueError, match="2 runs of ours against 1"):
        harness.paired([1.0, 2.0], [1.0])


def test_check_finds_rows_outside_their_stated_spread(tmp_path: Path) -> None:
    st, harness = _script(), _script("_harness")
    fresh = [
        harness.paired_case("count", "7 points", "sjoin", [{"seconds": 1.0}], [{"seconds": 3.1}]),
        harness.paired_case("read", "2 files", "pandas", [{"seconds": 1.0}], [{"seconds": 0.5}]),
    ]
    (tmp_path / "grid.json").write_text(json.dumps({"paired": fresh}))
    readme = "\n".join(
        [
            "intro",
            st.START,
            "| job | size | hotspots | peer | peer / hotspots | how measured |",
            "|---|---|---|---|---|---|",
            "| count | 7 points | 1 s | sjoin: 3 s | 3.0x | median of 3 paired runs; pairs 2.8x to 3.3x |",
            "| read | 2 files | 1 s | pandas: 1 s | 1.0x | median of 3 paired runs; pairs 0.9x to 1.1x |",
            "| gone | 1 row | 1 s | x: 1 s | 2.0x | median of 1 paired run (A B A B) |",
            "| none | 1 row | - | not measured | - | not measured: numba not installed |",
            st.END,
        ]
    )
    assert st.readme_rows(readme) == {
        ("count", "7 points"): (3.0, 2.8, 3.3),
        ("read", "2 files"): (1.0, 0.9, 1.1),
        ("gone", "1 row"): (2.0, 2.0, 2.0),
    }
    problems = st.check(readme, tmp_path)
    # 3.1x is inside 2.8x..3.3x; 0.5x is far below 0.9x; the third row has no fresh figure
    assert len(problems) == 2
    assert problems[0].startswith("read (2 files): 0.5x now, README 1.0x (pairs 0.9x to 1.1x)")
    assert problems[1] == "gone (1 row): no fresh ratio"
