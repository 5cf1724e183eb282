"""Benchmark: DBSCAN on 200k incidents and HDBSCAN on 50k, peak memory and time.

Incidents are made like police.uk data: 20,000 anonymised "snap points" placed around
the real Medway June 2018 crime locations (300 m jitter), and 200,000 incidents drawn
from them (so many share coordinates). DBSCAN is also run on 200,000 distinct points
(the same places, each incident jittered on its own), where merging shared points gains
nothing. Each case runs in its own subprocess and reports its peak resident memory
(ru_maxrss); every case runs ours and the peer in turn ``--pairs`` times (A B A B ...,
default 3) and gives the median of the paired ratios.

Peers: scikit-learn ``DBSCAN`` and ``HDBSCAN`` called directly on all coordinates.
Target: peak memory under 4 GB for ours.

HDBSCAN runs on 50,000 incidents by default (``--hdbscan-n``; police.uk-like, as the
first DBSCAN case): scikit-learn's HDBSCAN builds its minimum spanning tree with Prim's
algorithm, O(n²) time (O(n) memory), and ``hdbscan_clusters`` makes that same call, so
200,000 points take minutes a run for both on a 2-core machine, too long for paired runs,
without telling anything new. The whole script takes about 4 minutes at full size.

Run: ``.venv/bin/python benchmarks/bench_cluster.py [--quick] [--pairs N] [--skip-hdbscan]``;
JSON goes to ``benchmarks/results/cluster.json``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from typing import Any

import numpy as np
from _harness import DATA_DIR, RESULTS_DIR, peak_mb, run_child, write_results

TOPIC = "cluster"
EPS, MIN_SAMPLES = 100.0, 50
MIN_CLUSTER_SIZE = 200
#: The peers' exact configuration (scikit-learn's defaults otherwise).
PEERS = {
    "dbscan": f"DBSCAN(eps={EPS:g}, min_samples={MIN_SAMPLES})",
    "hdbscan": f"HDBSCAN(min_cluster_size={MIN_CLUSTER_SIZE}, copy=True)",
}


def _inputs(n: int, distinct: bool = False):  # type: ignore[no-untyped-def]
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
    if distinct:  # every incident at its own place (a force's own extract, say)
        at = rng.integers(0, len(real), n)
        x = real.x.to_numpy()[at] + rng.normal(0, 300, n)
        y = real.y.to_numpy()[at] + rng.normal(0, 300, n)
        return gpd.GeoDataFrame(
            {"crime_type": df["Crime type"].to_numpy()[use % len(df)]},
            geometry=gpd.points_from_xy(x, y),
            crs=27700,
        )
    return gpd.GeoDataFrame(
        {"crime_type": df["Crime type"].to_numpy()[use % len(df)]},
        geometry=gpd.points_from_xy(sx[use], sy[use]),
        crs=27700,
    )


def _case(name: str, n: int, distinct: bool = False) -> dict[str, float]:
    import shapely
    from sklearn.cluster import DBSCAN, HDBSCAN

    from hotspots.cluster import dbscan_clusters, hdbscan_clusters

    pts = _inputs(n, distinct)
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


def _run(name: str, n: int, distinct: bool) -> dict[str, Any]:
    extra = ["--distinct"] if distinct else []
    return run_child(__file__, "--case", name, "--n", n, *extra, check=False)


def _paired(method: str, size: int, distinct: bool, pairs: int) -> dict[str, Any]:
    """Ours and the peer in turn (A B A B ...); medians and the median paired ratio."""
    ours_runs, peer_runs = [], []
    for _ in range(pairs):
        ours_runs.append(_run(f"ours_{method}", size, distinct))
        peer_runs.append(_run(f"peer_{method}", size, distinct))
    ratios = [p["seconds"] / o["seconds"] for o, p in zip(ours_runs, peer_runs, strict=True)]
    kind = "distinct points" if distinct else "police.uk-like (shared map points)"
    ours = dict(ours_runs[0], seconds=statistics.median(o["seconds"] for o in ours_runs))
    peer = dict(peer_runs[0], seconds=statistics.median(p["seconds"] for p in peer_runs))
    ours["peak_mb"] = max(o["peak_mb"] for o in ours_runs)
    peer["peak_mb"] = max(p["peak_mb"] for p in peer_runs)
    return {
        "case": f"{method}, {size:,} points, {kind}",
        "peer": f"sklearn.cluster.{PEERS[method]} on all coordinates",
        "ours": ours,
        "peer_result": peer,
        "pairs": pairs,
        "ours_runs_s": [o["seconds"] for o in ours_runs],
        "peer_runs_s": [p["seconds"] for p in peer_runs],
        "ratio_peer_over_ours_s": statistics.median(ratios),
        "target_peak_mb": 4096.0,
        "pass": bool(ours["peak_mb"] < 4096.0),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true", help="small sizes")
    ap.add_argument("--case")
    ap.add_argument("--n", type=int)
    ap.add_argument("--distinct", action="store_true")
    ap.add_argument("--pairs", type=int, default=3, help="paired runs per case")
    ap.add_argument(
        "--skip-hdbscan",
        action="store_true",
        help="keep the paired HDBSCAN case of the last results/cluster.json",
    )
    ap.add_argument("--hdbscan-n", type=int, default=50_000)
    args = ap.parse_args()
    if args.case:
        print(json.dumps(_case(args.case, args.n, args.distinct)))
        return
    n = 20_000 if args.quick else 200_000
    rows = [_paired("dbscan", n, False, args.pairs), _paired("dbscan", n, True, args.pairs)]
    if args.skip_hdbscan:
        old = RESULTS_DIR / f"{TOPIC}.json"
        kept = json.loads(old.read_text()).get("cases", []) if old.exists() else []
        rows += [
            dict(c, kept_from_earlier_run=True)
            for c in kept
            if c["case"].startswith("hdbscan") and c.get("pairs")  # no single-run rows
        ]
    else:
        size = n if args.quick else args.hdbscan_n
        rows.append(_paired("hdbscan", size, False, args.pairs))
    print(f"{'case':<52} {'ours s':>8} {'peer s':>8} {'ratio':>6} {'ours MB':>8} {'peer MB':>8}")
    for row in rows:
        o, p = row["ours"], row["peer_result"]
        print(
            f"{row['case']:<52} {o['seconds']:8.2f} {p['seconds']:8.2f} "
            f"{row['ratio_peer_over_ours_s']:6.1f} {o['peak_mb']:8.0f} {p['peak_mb']:8.0f}"
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
