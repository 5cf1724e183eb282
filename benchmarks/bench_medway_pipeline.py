"""Benchmark: the whole monthly job on the 30 real Medway months, stage by stage.

read (all 30 months of ``crime/medway_street/``, violence only) -> 250 m hexagons over
Medway -> Gi* (exact permutation p-values, FDR) on the latest month -> tasking list ->
hot spot and tasking maps (Leaflet written into the pages). Each stage is timed in one
fresh process; the reading stage is also run side by side with plain pandas +
geopandas (``read_csv`` per file, ``points_from_xy``, ``to_crs``) in its own process,
which reads but checks nothing (no load report, no month gaps, no duplicate ids).

Usage: ``python benchmarks/bench_medway_pipeline.py [--repeats N]``; writes
``benchmarks/results/medway_pipeline.json``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path

from _harness import DATA_DIR, peak_mb, run_child, write_results

MEDWAY = DATA_DIR / "crime" / "medway_street"
VIOLENCE = "Violence and sexual offences"


def ours() -> dict[str, float]:
    """The pipeline with hotspots, each stage timed."""
    t: dict[str, float] = {}
    t0 = time.perf_counter()
    import hotspots as hs

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        crimes = hs.read_police_csv(MEDWAY, crime_types=[VIOLENCE])
        t["read_s"] = time.perf_counter() - t0
        t1 = time.perf_counter()
        area = hs.load_boundary("Medway", level="lad")
        latest = crimes[crimes["month"] == crimes["month"].max()]
        cells = hs.count_points(latest, hs.hex_grid(area, cell_size=250))
        t["cells_s"] = time.perf_counter() - t1
        t2 = time.perf_counter()
        hot = hs.gi_star(cells, "count", seed=0)
        t["gi_star_s"] = time.perf_counter() - t2
        t3 = time.perf_counter()
        places = hs.tasking_list(hot, latest)
        t["tasking_list_s"] = time.perf_counter() - t3
        t4 = time.perf_counter()
        with tempfile.TemporaryDirectory() as out:
            hs.hotspot_map(hot, path=Path(out) / "hotspot_map.html", offline=True, area=area)
            hs.tasking_map(
                hot, incidents=latest, path=Path(out) / "tasking_map.html", offline=True, area=area
            )
            page_mb = (Path(out) / "tasking_map.html").stat().st_size / 1e6
        t["maps_s"] = time.perf_counter() - t4
    t["total_s"] = time.perf_counter() - t0
    t.update(
        rows=float(len(crimes)),
        cells=float(len(cells)),
        hot_95=float((hot["gi_bin"] >= 2).sum()),
        places=float(len(places)),
        tasking_page_mb=round(page_mb, 2),
        peak_mb=peak_mb(),
    )
    return t


def peer_read() -> dict[str, float]:
    """Reading only: plain pandas + geopandas, the same files and crime type."""
    t0 = time.perf_counter()
    import geopandas as gpd
    import pandas as pd

    files = sorted(MEDWAY.glob("*-street.csv*"))
    df = pd.concat([pd.read_csv(f) for f in files], ignore_index=True)
    df = df[(df["Crime type"] == VIOLENCE) & df["Longitude"].notna()]
    pts = gpd.points_from_xy(df["Longitude"], df["Latitude"], crs="EPSG:4326")
    gdf = gpd.GeoDataFrame(df, geometry=pts).to_crs(27700)
    return {"read_s": time.perf_counter() - t0, "rows": float(len(gdf)), "peak_mb": peak_mb()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--case", choices=["ours", "peer"])
    args = parser.parse_args()
    if args.case:
        print(json.dumps(ours() if args.case == "ours" else peer_read()))
        return
    runs: dict[str, list[dict[str, float]]] = {"ours": [], "peer": []}
    for _ in range(args.repeats):  # A B A B ...: both see the same machine state
        for case in ("ours", "peer"):
            runs[case].append(run_child(__file__, "--case", case))

    def median(case: str, key: str) -> float:
        return round(statistics.median(r[key] for r in runs[case]), 3)

    stages = ("read_s", "cells_s", "gi_star_s", "tasking_list_s", "maps_s", "total_s")
    ratios = [o["read_s"] / p["read_s"] for o, p in zip(runs["ours"], runs["peer"], strict=True)]
    result = {
        "benchmark": "medway_pipeline",
        "python": sys.version.split()[0],
        "repeats": args.repeats,
        "data": "30 real data.police.uk months of Medway street crime, violence only",
        "ours": {k: median("ours", k) for k in (*stages, "peak_mb")},
        "ours_counts": {
            k: runs["ours"][0][k] for k in ("rows", "cells", "hot_95", "places", "tasking_page_mb")
        },
        "peer_read": {k: median("peer", k) for k in ("read_s", "rows", "peak_mb")},
        "read_ratio_paired_median": round(statistics.median(ratios), 2),
        "ours_read_runs_s": [r["read_s"] for r in runs["ours"]],
        "peer_read_runs_s": [r["read_s"] for r in runs["peer"]],
        "ours_total_runs_s": [r["total_s"] for r in runs["ours"]],
        "notes": (
            "Each case in a fresh process, imports included in read_s; ours and the peer "
            "alternate. The peer reads only (no checks, no report); every later stage has "
            "no plain-library equivalent in one call."
        ),
    }
    write_results("medway_pipeline", result)
    o = result["ours"]
    print(
        f"Medway pipeline: read {o['read_s']:.2f}s (plain pandas+geopandas "
        f"{result['peer_read']['read_s']:.2f}s, paired ratio "
        f"{result['read_ratio_paired_median']:.2f}), cells {o['cells_s']:.2f}s, Gi* "
        f"{o['gi_star_s']:.2f}s, tasking list {o['tasking_list_s']:.2f}s, maps "
        f"{o['maps_s']:.2f}s; total {o['total_s']:.2f}s, peak {o['peak_mb']:.0f} MB"
    )


if __name__ == "__main__":
    main()
