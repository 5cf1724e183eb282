"""Calibration: how often a steady hot spot is called "Intensifying" by emerging_hotspots.

A 3x3 hot spot on a 10x10 grid of 100 m cells, at 3x or 5x a background of 0.5, 1 or 2
incidents per cell-month, constant over 12 or 24 months: any "Intensifying hot spot"
label on it is a false alarm. For each setting, over ``--runs`` simulated cubes (200 by
default), the share of planted cells labelled Intensifying (and of runs in which the
centre cell is) is measured for

* **ours**: ``emerging_hotspots`` as shipped (time windows of equal length at the start,
  ``edge="shift"``; Mann-Kendall variance corrected for the overlap of the windows);
* **peer**: the ArcGIS-style computation it replaced (analytic p-values;
  ``edge="truncate"``: the first period's window is shorter; plain Mann-Kendall), run on
  the same cubes. "ours" bins on exact permutation p-values (the default since
  space-time Gi* follows ``gi_star``'s rule).

Target: at most 5 % (plus Monte Carlo error) for ours. Writes
``benchmarks/results/emerging_calibration.json`` and, when matplotlib is installed,
``docs/guide/img/emerging_calibration.png``.

Run: ``.venv/bin/python benchmarks/bench_emerging_calibration.py [--runs 200]``.
"""

from __future__ import annotations

import argparse
import time
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from _harness import write_results
from shapely import box

from hotspots import HotspotsWarning
from hotspots.spacetime import (
    SpaceTimeCube,
    classify_emerging,
    emerging_hotspots,
    mann_kendall,
    space_time_gi,
)

SETTINGS = [(n_p, base, mult) for n_p in (12, 24) for base in (0.5, 1.0, 2.0) for mult in (3, 5)]
FIGURE = Path(__file__).resolve().parents[1] / "docs" / "guide" / "img" / "emerging_calibration.png"


def cells_10x10() -> gpd.GeoDataFrame:
    r, c = np.divmod(np.arange(100), 10)
    return gpd.GeoDataFrame(geometry=box(c * 100, r * 100, c * 100 + 100, r * 100 + 100), crs=27700)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=200)
    args = ap.parse_args()
    warnings.simplefilter("ignore", HotspotsWarning)
    cells = cells_10x10()
    r, c = np.divmod(np.arange(100), 10)
    hot = (abs(r - 4) <= 1) & (abs(c - 4) <= 1)
    rows = []
    t0 = time.perf_counter()
    for n_p, base, mult in SETTINGS:
        rng = np.random.default_rng(2024)
        lam = np.where(hot, base * mult, base)
        ours = np.zeros(100)
        peer = np.zeros(100)
        t_ours = t_peer = 0.0
        for _ in range(args.runs):
            counts = rng.poisson(lam[:, None], size=(100, n_p))
            periods = pd.period_range("2022-01", periods=n_p, freq="M")
            cube = SpaceTimeCube(cells=cells, periods=periods, counts=counts)
            t1 = time.perf_counter()
            ours += emerging_hotspots(cube)["category"].to_numpy() == "Intensifying hot spot"
            t2 = time.perf_counter()
            gi = space_time_gi(cube, edge="truncate", inference="analytic")
            _, mz, mp, _ = mann_kendall(gi.z)
            peer += classify_emerging(gi.bins, mz, mp) == "Intensifying hot spot"
            t3 = time.perf_counter()
            t_ours, t_peer = t_ours + t2 - t1, t_peer + t3 - t2
        rows.append({
            "months": n_p, "background": base, "multiple": mult, "runs": args.runs,
            "ours_per_cell": ours[hot].sum() / (args.runs * hot.sum()),
            "ours_centre": ours[44] / args.runs,
            "peer_per_cell": peer[hot].sum() / (args.runs * hot.sum()),
            "peer_centre": peer[44] / args.runs,
            "ours_ms_per_cube": 1000 * t_ours / args.runs,
            "peer_ms_per_cube": 1000 * t_peer / args.runs,
        })  # fmt: skip
        print({k: round(v, 3) if isinstance(v, float) else v for k, v in rows[-1].items()})
    table = pd.DataFrame(rows)
    mc = 2 * np.sqrt(0.05 * 0.95 / args.runs)
    result = {
        "runs": args.runs,
        "monte_carlo_2se_at_5pct": round(float(mc), 4),
        "max_ours_per_cell": float(table["ours_per_cell"].max()),
        "max_ours_centre": float(table["ours_centre"].max()),
        "max_peer_per_cell": float(table["peer_per_cell"].max()),
        "max_peer_centre": float(table["peer_centre"].max()),
        "seconds": round(time.perf_counter() - t0, 1),
        "table": table.round(4).to_dict(orient="records"),
    }
    write_results("emerging_calibration", result)
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return
    labels = [f"{n}m {b:g}/cell x{m}" for n, b, m in SETTINGS]
    x = np.arange(len(labels))
    fig, ax = plt.subplots(figsize=(9, 3.6))
    ax.bar(x - 0.2, 100 * table["peer_centre"], 0.4, label="before (ArcGIS-style windows)")
    ax.bar(x + 0.2, 100 * table["ours_centre"], 0.4, label="now")
    ax.axhline(5, color="k", lw=1, ls="--")
    ax.axhline(100 * (0.05 + mc), color="k", lw=0.5, ls=":")
    ax.set_xticks(x, labels, rotation=45, ha="right", fontsize=8)
    ax.set_ylabel('% of runs "Intensifying"')
    ax.set_title(f"Steady 3x3 hot spot, centre cell, {args.runs} runs per setting", fontsize=10)
    ax.legend(fontsize=8)
    fig.tight_layout()
    FIGURE.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(FIGURE, dpi=90)
    print(f"wrote {FIGURE}")


if __name__ == "__main__":
    main()
