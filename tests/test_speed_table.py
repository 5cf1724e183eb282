"""The README's speed table is the one benchmarks/speed_table.py writes from the results."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "speed_table", ROOT / "benchmarks" / "speed_table.py"
    )
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
