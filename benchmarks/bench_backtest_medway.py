"""Benchmark: rolling backtest of next-month hotspot forecasts on the real Medway months.

Reads the data.police.uk Medway street files (``crime/medway_street/*.csv`` under
``HOTSPOTS_DATA_DIR``: 30 months in five runs with gaps), counts on 250 m hexagons over
the Medway boundary and runs :func:`hotspots.backtest` for violence and sexual offences and
for drugs: every method (the plain count of recent months is the baseline), training
windows of 1, 3 and 6 months, hit rate / PAI / PEI at 1, 5 and 10 % coverage. Windows
crossing a gap are skipped (they are named in the output). Then ``forecast_cells(...,
method="auto")`` picks a method and window from the months before the last month, and its
choice is scored on that last month, which it never saw.

Run: ``.venv/bin/python benchmarks/bench_backtest_medway.py [--quick]``; writes
``benchmarks/results/backtest_medway.json`` and prints the table (markdown).
"""

from __future__ import annotations

import argparse
import time
import warnings

import geopandas as gpd
import pandas as pd
from _harness import DATA_DIR, write_results

import hotspots
from hotspots import HotspotsWarning

TYPES = {"violence": "Violence and sexual offences", "drugs": "Drugs"}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="one training window (3 months)")
    args = ap.parse_args()
    warnings.simplefilter("ignore", HotspotsWarning)
    t0 = time.perf_counter()
    files = sorted((DATA_DIR / "crime" / "medway_street").glob("*-street.csv"))
    inc = hotspots.read_police_csv(files)
    boundary = gpd.read_file(DATA_DIR / "boundaries" / "medway_boundary.geojson").to_crs(27700)
    cells = hotspots.hex_grid(boundary, cell_size=250)
    t_read = time.perf_counter() - t0
    months = sorted({str(m) for m in inc["month"]})
    windows = (3,) if args.quick else (1, 3, 6)
    tables = []
    result: dict[str, object] = {
        "months": months,
        "n_months": len(months),
        "cells": len(cells),
        "read_s": round(t_read, 1),
    }
    for key, name in TYPES.items():
        sub = inc[inc["crime_type"] == name]
        for w in windows:
            t1 = time.perf_counter()
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always", HotspotsWarning)
                bt = hotspots.backtest(sub, cells, train_months=w, months=months)
            skipped = bt.attrs["hotspots"].get("skipped_test_months", [])
            summary = (
                bt.groupby(["method", "coverage"])[["hit_rate", "pai", "pei"]].mean().reset_index()
            )
            summary["crime"] = key
            summary["train_months"] = w
            summary["test_months"] = bt["test_month"].nunique()
            tables.append(summary)
            result[f"{key}_w{w}_seconds"] = round(time.perf_counter() - t1, 1)
            result[f"{key}_w{w}_skipped"] = skipped
            result[f"{key}_w{w}_warnings"] = len(caught)
        # forecast_cells: choose on the months before the last, score on the last
        last = months[-1]
        f = hotspots.forecast_cells(sub, cells, month=last, months=months)
        actual = hotspots.count_points(sub[sub["month"].astype(str) == last], cells)["count"]
        p = f.attrs["hotspots"]["parameters"]
        result[f"{key}_auto"] = {
            "month": last,
            "method": p["method"],
            "train_months": p["train_months"],
            **{
                f"pai_{int(c * 100)}": round(
                    hotspots.pai(f["forecast_score"], actual, coverage=c), 2
                )
                for c in (0.01, 0.05, 0.1)
            },
        }
    table = pd.concat(tables, ignore_index=True)
    table = table[["crime", "train_months", "method", "coverage", "test_months", "hit_rate",
                   "pai", "pei"]]  # fmt: skip
    result["table"] = table.round(3).to_dict(orient="records")
    result["total_s"] = round(time.perf_counter() - t0, 1)
    write_results("backtest_medway", result)
    wide = table.pivot_table(
        index=["crime", "train_months", "method", "test_months"],
        columns="coverage",
        values=["hit_rate", "pai", "pei"],
    )
    wide.columns = pd.Index([f"{m} {int(c * 100)}%" for m, c in wide.columns])
    print(markdown(wide.round(2).reset_index()))
    print({k: v for k, v in result.items() if k != "table"})


def markdown(frame: pd.DataFrame) -> str:
    """A pipe table of ``frame`` (plain text, for the docs)."""
    head = "| " + " | ".join(map(str, frame.columns)) + " |"
    rule = "|" + "|".join("---" for _ in frame.columns) + "|"
    body = ["| " + " | ".join(map(str, row)) + " |" for row in frame.itertuples(index=False)]
    return "\n".join([head, rule, *body])


if __name__ == "__main__":
    main()
