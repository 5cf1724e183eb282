"""Benchmark: co-location, bivariate local Moran, Knox / near-repeat and time profiles on
100k events, beside esda and pointpats, plus calibration under the null.

Events are town-like: 100,000 points over 20 x 15 km (half uniform, half around three
centres, snapped to 1 m), dates uniform over two years, crime types in Medway's mix.

Cases (each side in its own subprocess, time of the call only, imports excluded):

* Knox test, 200 m / 14 days, 99 permutations: ``knox_test`` vs
  ``pointpats.spacetime.Knox`` at growing sizes. pointpats keeps a Python set of
  temporal neighbours per event (about n^2 * 2 * 14 / 730 entries) and loops over events
  in Python per permutation, so it is run up to ``--peer-max`` events (default 20,000:
  at 50,000 those sets would hold ~1e8 Python ints, several GB on a shared machine) or
  the largest size that finishes within ``--peer-timeout`` seconds.
* Bivariate local Moran on 100k points, 8 nearest neighbours, row-standardised:
  ``bivariate_moran`` vs ``esda.Moran_Local_BV`` on the same weights, 99 permutations
  (both; esda without numba loops in Python).
* Co-location quotient on 100k points (k=8, Gaussian kernel, 999 permutations), the
  near-repeat table (4 x 4 bands, 99 permutations) and an aoristic time profile (30 %
  of incidents as windows): ours only; PySAL has no co-location quotient or near-repeat
  table (R's sfdep and Ratcliffe's Windows calculator are the usual tools).
* Calibration: share of 1,000 simulations with p <= 0.05 when there is nothing to find
  (CLQ between independently labelled points; Knox on a Poisson process), and the
  share finding a planted near-repeat pattern.

Run: ``.venv/bin/python benchmarks/bench_relate.py [--quick]``; JSON goes to
``benchmarks/results/relate.json``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from typing import Any

import numpy as np
from _harness import peak_mb, write_results

TOPIC = "relate"
DISTANCE, DAYS = 200.0, 14.0


def _events(n: int, seed: int = 0):  # type: ignore[no-untyped-def]
    import geopandas as gpd
    import pandas as pd

    rng = np.random.default_rng(seed)
    centres = np.array([[5000.0, 6000.0], [12000.0, 9000.0], [16000.0, 4000.0]])
    uni = rng.random(n) < 0.5
    c = centres[rng.integers(0, 3, n)]
    xy = np.where(
        uni[:, None],
        rng.uniform([0, 0], [20000, 15000], (n, 2)),
        c + rng.normal(0, 900, (n, 2)),
    )
    xy = np.round(np.clip(xy, 0, [20000, 15000]))
    kinds = np.array(["Violence", "Drugs", "Weapons", "Other"])
    kind = kinds[rng.choice(4, n, p=[0.4, 0.03, 0.01, 0.56])]
    start = pd.Timestamp("2023-01-01") + pd.to_timedelta(rng.uniform(0, 730 * 24, n), unit="h")
    window = rng.random(n) < 0.3
    end = start + pd.to_timedelta(np.where(window, rng.uniform(1, 14, n), 0), unit="h")
    return gpd.GeoDataFrame(
        {"crime_type": kind, "date": start.floor("D"), "datetime": start, "until": end},
        geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]),
        crs=27700,
    )


def _case(name: str, n: int, perms: int) -> dict[str, Any]:
    ev = _events(n)
    xy = np.column_stack([ev.geometry.x.to_numpy(), ev.geometry.y.to_numpy()])
    out: dict[str, Any] = {}
    if name == "peer_knox":
        from pointpats.spacetime import Knox

        t = ((ev["date"] - ev["date"].min()).dt.days.to_numpy(float)).reshape(-1, 1)
        np.random.seed(0)  # noqa: NPY002 - pointpats uses the global RandomState
        t0 = time.perf_counter()
        k = Knox(xy, t, delta=DISTANCE, tau=DAYS, permutations=perms)
        out = {"statistic": int(k.statistic_), "p": float(k.p_sim)}
    elif name == "ours_knox":
        from hotspots.nearrepeat import knox_test

        t0 = time.perf_counter()
        r = knox_test(ev, distance=DISTANCE, days=DAYS, permutations=perms, seed=0)
        out = {"statistic": r.statistic, "p": r.p_value}
    elif name in ("peer_bv", "ours_bv"):
        ev["x"] = np.random.default_rng(1).poisson(3, n).astype(float)
        ev["y"] = ev["x"] + np.random.default_rng(2).normal(0, 2, n)
        if name == "peer_bv":
            import esda
            import libpysal

            w = libpysal.weights.KNN.from_array(xy, k=8)
            t0 = time.perf_counter()
            bv = esda.Moran_Local_BV(ev["x"].to_numpy(), ev["y"].to_numpy(), w,
                                     permutations=perms, seed=0, keep_simulations=False)  # fmt: skip
            out = {"sum_i": float(np.sum(bv.Is)), "sig": int((bv.p_sim <= 0.05).sum())}
        else:
            from hotspots.relate import bivariate_moran

            t0 = time.perf_counter()
            r = bivariate_moran(ev, "x", "y", neighbours="knn", k=8, permutations=perms, seed=0)
            out = {"sum_i": float(r["bv_i"].sum()), "sig": int((r["bv_p_sim"] <= 0.05).sum())}
    elif name == "ours_clq":
        from hotspots.relate import colocation_quotient

        t0 = time.perf_counter()
        r = colocation_quotient(ev, "crime_type", "Violence", "Drugs", permutations=perms)
        out = {"clq": r.clq, "p": r.p_value}
    elif name == "ours_nrt":
        from hotspots.nearrepeat import near_repeat_table

        t0 = time.perf_counter()
        nr = near_repeat_table(ev, permutations=perms)
        out = {"pairs_within_400m": int(nr.observed.iloc[:-1].to_numpy().sum())}
    elif name == "ours_time":
        from hotspots.timeprofile import time_profile

        t0 = time.perf_counter()
        p = time_profile(ev, end="until", by="crime_type")
        out = {"total": float(p.to_numpy().sum())}
    else:
        raise SystemExit(f"unknown case {name}")
    out.update({"seconds": time.perf_counter() - t0, "peak_mb": peak_mb(), "n": n})
    return out


def _run(name: str, n: int, perms: int, timeout: float) -> dict[str, Any]:
    cmd = [sys.executable, __file__, "--case", name, "--n", str(n), "--perms", str(perms)]
    try:
        res = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"seconds": float("nan"), "error": f"did not finish in {timeout:.0f} s", "n": n}
    if res.returncode != 0:
        return {"seconds": float("nan"), "error": res.stderr[-300:], "n": n}
    return dict(json.loads(res.stdout.strip().splitlines()[-1]))


def _calibration(sims: int) -> dict[str, Any]:
    import geopandas as gpd
    import pandas as pd

    from hotspots.nearrepeat import knox_test
    from hotspots.relate import colocation_quotient

    rng = np.random.default_rng(123)
    clq_alarms = knox_alarms = nr_found = 0
    t0 = time.perf_counter()
    for s in range(sims):
        ev = _events(240, seed=1000 + s)
        ev["kind"] = np.repeat(["A", "B", "C"], [60, 30, 150])  # independent of place
        clq_alarms += (
            colocation_quotient(ev, "kind", "A", "B", permutations=99, seed=s).p_value <= 0.05
        )
        x, y = rng.uniform(0, 3000, 200), rng.uniform(0, 3000, 200)
        d = rng.integers(0, 365, 200)
        pois = gpd.GeoDataFrame({"date": pd.Timestamp("2024-01-01") + pd.to_timedelta(d, unit="D")},
                                geometry=gpd.points_from_xy(x, y), crs=27700)  # fmt: skip
        knox_alarms += (
            knox_test(pois, distance=100, days=7, permutations=99, seed=s).p_value <= 0.05
        )
        # planted: a third of 150 first incidents repeat within 100 m and 7 days
        x, y, d = x[:150], y[:150], d[:150]
        par = np.flatnonzero(rng.random(150) < 1 / 3)
        ang, r = rng.uniform(0, 2 * np.pi, par.size), rng.uniform(0, 100, par.size)
        xs = np.r_[x, x[par] + r * np.cos(ang)]
        ys = np.r_[y, y[par] + r * np.sin(ang)]
        ds = np.r_[d, d[par] + rng.integers(0, 8, par.size)]
        planted = gpd.GeoDataFrame({"date": pd.Timestamp("2024-01-01") + pd.to_timedelta(ds, unit="D")},
                                   geometry=gpd.points_from_xy(xs, ys), crs=27700)  # fmt: skip
        nr_found += (
            knox_test(planted, distance=100, days=7, permutations=99, seed=s).p_value <= 0.05
        )

    def share(k: int) -> dict[str, float]:
        p = k / sims
        return {"share": p, "se": float(np.sqrt(p * (1 - p) / sims)), "count": k}

    return {
        "simulations": sims,
        "clq_false_alarm": share(clq_alarms),
        "knox_false_alarm_poisson": share(knox_alarms),
        "knox_power_planted_near_repeat": share(nr_found),
        "seconds": time.perf_counter() - t0,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true", help="small sizes")
    ap.add_argument("--case")
    ap.add_argument("--n", type=int)
    ap.add_argument("--perms", type=int, default=99)
    ap.add_argument("--peer-timeout", type=float, default=600.0)
    ap.add_argument("--peer-max", type=int, default=20_000, help="largest Knox size for pointpats")
    args = ap.parse_args()
    if args.case:
        print(json.dumps(_case(args.case, args.n, args.perms)))
        return
    n = 10_000 if args.quick else 100_000
    rows: list[dict[str, Any]] = []

    def show(case: str, ours: dict[str, Any], peer: dict[str, Any] | None) -> None:
        ratio = (peer or {}).get("seconds", float("nan")) / ours["seconds"]
        ps = f"{peer['seconds']:8.2f}" if peer else "       -"
        print(f"{case:<46} {ours['seconds']:8.2f} {ps} {ratio:7.1f}", flush=True)
        rows.append({"case": case, "ours": ours, "peer": peer, "ratio_peer_over_ours_s": ratio})

    print(f"{'case':<46} {'ours s':>8} {'peer s':>8} {'ratio':>7}")
    sizes = [2_000, 10_000] if args.quick else [2_000, 10_000, 20_000, 50_000, 100_000]
    peer_ok = True
    for size in sizes:
        ours = _run("ours_knox", size, 99, 3600)
        run_peer = peer_ok and size <= args.peer_max
        peer = _run("peer_knox", size, 99, args.peer_timeout) if run_peer else None
        if peer is not None and not np.isfinite(peer["seconds"]):
            peer_ok = False
        if peer is not None and np.isfinite(peer["seconds"]):
            peer["same_statistic_and_p"] = (peer["statistic"], peer["p"]) == (
                ours["statistic"], ours["p"])  # fmt: skip
        show(f"Knox {size:,} events, 99 perms (vs pointpats)", ours, peer)
    ours = _run("ours_bv", n, 99, 3600)
    peer = _run("peer_bv", n, 99, args.peer_timeout)
    show(f"bivariate local Moran {n:,} pts, 99 perms (vs esda)", ours, peer)
    show(f"CLQ {n:,} pts, k=8, 999 perms", _run("ours_clq", n, 999, 3600), None)
    show(f"near-repeat table {n:,} events, 99 perms", _run("ours_nrt", n, 99, 3600), None)
    show(f"aoristic time profile {n:,} events", _run("ours_time", n, 0, 3600), None)
    calib = _calibration(100 if args.quick else 1000)
    print(json.dumps(calib, indent=1))
    write_results(TOPIC, {"topic": TOPIC, "quick": args.quick, "cases": rows, "calibration": calib})


if __name__ == "__main__":
    main()
