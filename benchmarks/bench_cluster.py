"""Benchmark: DBSCAN and HDBSCAN on 200k incidents, peak memory and time.

Incidents are made like police.uk data: 20,000 anonymised "snap points" placed around
the real Medway June 2018 crime locations (300 m jitter), and 200,000 incidents drawn
from them (so many share coordinates). Each case runs in its own subprocess and reports
its peak resident memory (ru_maxrss).

Peers: scikit-learn ``DBSCAN`` and ``HDBSCAN`` called directly on all coordinates.
Target: peak memory under 4 GB for ours.

HDBSCAN runs on 50,000 incidents by default (``--hdbscan-n``): scikit-learn's HDBSCAN
builds its minimum spanning tree with Prim's algorithm, O(n²) time (O(n) memory), and
``hdbscan_clusters`` makes that same call, so 200,000 points take many minutes for
both on a shared 2-core machine without telling anything new.

Run: ``.venv/bin/python benchmarks/bench_cluster.py [--quick]``; JSON goes to
``benchmarks/results/cluster.json``.
"""

from __future__ import annotations

import argparse
import json
import time
from typing import Any

import numpy as np
from _harness import DATA_DIR, peak_mb, run_child, write_results

TOPIC = "cluster"
EPS, MIN_SAMPLES = 100.0, 50
MIN_CLUSTER_SIZE = 200


def _inputs(n: int):  # type: ignore[no-untyped-def]
    import geopandas as gpd
    import pandas as pd

    df = pd.read_csv(DATA_DIR / "crime" / "medway_street_crime_2018-06_derived.csv")
    real = gpd.GeoSeries(gpd.points_from_xy(df["Longitude"], df["Latitude"]), crs=4326)
    real = real.to_crs(27700)
    rng = np.random.default_rng(11)
    n_snap = max(1000, n // 10)
    pick = rng.integers(0, len(real), n_snap)
    sx = np.round(real.x.to_numpy()[pick] + rng.normal(0, 300, n_snap))
    sy = np.round(real.y.to_numpy()[pick] + rng.normal(0, 300, n_snap))
    use = rng.integers(0, n_snap, n)
    return gpd.GeoDataFrame(
        {"crime_type": df["Crime type"].to_numpy()[use % len(df)]},
        geometry=gpd.points_from_xy(sx[use], sy[use]),
        crs=27700,
    )


def _case(name: str, n: int) -> dict[str, float]:
    import shapely
    from sklearn.cluster import DBSCAN, HDBSCAN

    from hotspots.cluster import dbscan_clusters, hdbscan_clusters

    pts = _inputs(n)
    xy = shapely.get_coordinates(pts.geometry.to_numpy())
    # imports above and outside the timer: time the clustering only
    base = peak_mb()
    t0 = time.perf_counter()
    if name == "ours_dbscan":
        labels = dbscan_clusters(pts, eps=EPS, min_samples=MIN_SAMPLES).labels.to_numpy()
    elif name == "peer_dbscan":
        labels = DBSCAN(eps=EPS, min_samples=MIN_SAMPLES).fit(xy).labels_
    elif name == "ours_hdbscan":
        labels = hdbscan_clusters(pts, min_cluster_size=MIN_CLUSTER_SIZE).labels.to_numpy()
    else:
        labels = HDBSCAN(min_cluster_size=MIN_CLUSTER_SIZE, copy=True).fit(xy).labels_
    seconds = time.perf_counter() - t0
    peak = peak_mb()
    return {
        "seconds": seconds,
        "peak_mb": peak,
        "before_mb": base,
        "n_clusters": int(labels.max()) + 1,
        "n_noise": int((labels < 0).sum()),
    }


def _run(name: str, n: int) -> dict[str, Any]:
    return run_child(__file__, "--case", name, "--n", n, check=False)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true", help="small sizes")
    ap.add_argument("--case")
    ap.add_argument("--n", type=int)
    ap.add_argument("--skip-hdbscan", action="store_true")
    ap.add_argument("--hdbscan-n", type=int, default=50_000)
    args = ap.parse_args()
    if args.case:
        print(json.dumps(_case(args.case, args.n)))
        return
    n = 20_000 if args.quick else 200_000
    target_mb = 4096.0
    methods = ["dbscan"] if args.skip_hdbscan else ["dbscan", "hdbscan"]
    rows = []
    print(
        f"{'case':<34} {'ours s':>8} {'peer s':>8} {'ratio':>6} "
        f"{'ours MB':>8} {'peer MB':>8} {'target MB':>9} {'pass':>5}"
    )
    for m in methods:
        size = n if m == "dbscan" or args.quick else args.hdbscan_n
        ours = _run(f"ours_{m}", size)
        peer = _run(f"peer_{m}", size)
        ok = bool(ours["peak_mb"] < target_mb)
        row = {
            "case": f"{m}, {size:,} points",
            "peer": f"sklearn.cluster.{m.upper()} on all coordinates",
            "ours": ours,
            "peer_result": peer,
            "ratio_peer_over_ours_s": peer["seconds"] / ours["seconds"],
            "target_peak_mb": target_mb,
            "pass": ok,
        }
        rows.append(row)
        print(
            f"{row['case']:<34} {ours['seconds']:8.2f} {peer['seconds']:8.2f} "
            f"{row['ratio_peer_over_ours_s']:6.1f} {ours['peak_mb']:8.0f} "
            f"{peer['peak_mb']:8.0f} {target_mb:9.0f} {ok!s:>5}"
        )
    result = {
        "topic": TOPIC,
        "quick": args.quick,
        "parameters": {
            "eps": EPS,
            "min_samples": MIN_SAMPLES,
            "min_cluster_size": MIN_CLUSTER_SIZE,
        },
        "cases": rows,
    }
    write_results(TOPIC, result)


if __name__ == "__main__":
    main()
