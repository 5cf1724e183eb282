"""Benchmark: are Gi* hot spots calibrated on crime counts, and do they keep their power?

Each scenario simulates at least 200 maps on the real Medway 250 m hexagon grid (3,391 cells,
the distance band that gives each cell its 6 neighbours) and bins every map as
:func:`hotspots.gi_star` does with its defaults (two-sided p, Benjamini-Hochberg FDR at each
level). Inference compared side by side, on the same simulated maps:

* ``analytic``: the normal p-value (ArcGIS's ``GiPValue``; the library's bins before);
* ``sampled 999`` / ``sampled 9999``: conditional permutations, sampled;
* ``exact``: the conditional-permutation distribution counted exactly (the default now).

Scenarios:

1. **Null, real counts permuted**: one month of real Medway violence counted on the grid,
   the counts shuffled across cells (no spatial association, the real skew and zeros).
2. **Null, uniform points**: a uniform Poisson process over Medway at 0.5, 2 and 10
   incidents per (whole) cell; edge cells get their share by area (a fifth of the cells
   straddle the boundary or the water). Then 10 per cell with equal exposure (uniform
   over the cells), which separates the edge effect from the inference.
3. **Power, planted areas**: as 2, with four planted areas (a cell and its six
   neighbours, placed at random inside Medway) at 3x and 5x the background rate.
4. **Power, synthetic town**: :func:`hotspots.synthetic_town` seeds 0-9, 100 m hexagons,
   250 m band (the recovery test's set-up): planted cells found at 95 %.

Reported per scenario and inference: share of maps with **any** 95 % hot cell (target:
at most 5 % plus Monte Carlo error under the null), mean 95 % hot cells per map, and under
power the share of planted cells found at 95 % (target: at least 90 % at 5x and 2+ per
cell) and the share of unplanted cells found. Seconds per map show the cost.

Usage: ``python benchmarks/bench_calibration.py [--quick] [--maps N]``; writes
``benchmarks/results/calibration.json``.
"""

from __future__ import annotations

import argparse
import platform
import time
import warnings
from typing import Any

import numpy as np
from _harness import DATA_DIR, write_results

MONTH = "2024-01"
METHODS = ("analytic", "sampled 999", "sampled 9999", "exact")


def _medway() -> tuple[Any, Any, Any, Any]:
    import geopandas as gpd

    import hotspots as hs
    from hotspots.hotspot import build_weights, exposure_strata

    boundary = gpd.read_file(DATA_DIR / "boundaries" / "medway_boundary.geojson").to_crs(27700)
    cells = hs.hex_grid(boundary, cell_size=250)
    W, _ = build_weights(cells)
    share = (
        cells.geometry.intersection(boundary.union_all()).area / cells.geometry.area
    ).to_numpy()
    crimes = hs.read_police_csv(
        DATA_DIR / "crime" / "medway_street" / f"{MONTH}-medway-street.csv",
        crime_types=["Violence and sexual offences"],
    )
    counts = hs.count_points(crimes, cells)["count"].to_numpy(float)
    return W, share, counts, exposure_strata(cells, "area_share")


def _bins(y: np.ndarray, W: Any, method: str, seed: int, strata: Any = None) -> np.ndarray:
    from hotspots._fdr import gi_bins
    from hotspots.hotspot import gi_star_arrays

    if method == "analytic":
        res = gi_star_arrays(y, W, permutations=0)
        return gi_bins(res.z, res.p, fdr=True)
    if method == "exact":  # the default: within strata of area share
        res = gi_star_arrays(y, W, method="exact", strata=strata)
    elif method == "exact, no strata":
        res = gi_star_arrays(y, W, method="exact")
    else:
        res = gi_star_arrays(y, W, permutations=int(method.split()[1]), seed=seed, method="sampled")
    return gi_bins(res.z, res.p_perm, fdr=True)


def _run(
    maps: list[np.ndarray],
    W: Any,
    methods: tuple[str, ...],
    planted: list[np.ndarray] | None,
    strata: Any = None,
) -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = {}
    for method in methods:
        anyhot, n_hot, found, outside = [], [], [], []
        t0 = time.perf_counter()
        for r, y in enumerate(maps):
            hot = _bins(y, W, method, seed=r, strata=strata) >= 2
            anyhot.append(hot.any())
            n_hot.append(hot.sum())
            if planted is not None:
                mask = np.zeros(y.size, dtype=bool)
                mask[planted[r]] = True
                found.append(hot[mask].mean())
                outside.append(hot[~mask].mean())
        row = {
            "maps": len(maps),
            "any_hot95_share": float(np.mean(anyhot)),
            "hot95_cells_per_map": float(np.mean(n_hot)),
            "seconds_per_map": (time.perf_counter() - t0) / len(maps),
        }
        if planted is not None:
            row["planted_found_share"] = float(np.mean(found))
            row["unplanted_hot_share"] = float(np.mean(outside))
        out[method] = row
    return out


def _planted(W: Any, share: np.ndarray, rng: np.random.Generator, areas: int = 4) -> np.ndarray:
    """Cells of ``areas`` planted areas: a cell inside Medway with its six neighbours."""
    k = np.diff(W.indptr)
    inside = np.flatnonzero((k == 6) & (share > 0.999))
    inside = np.array([i for i in inside if (share[W[i].indices] > 0.999).all()])
    chosen: list[int] = []
    while len(chosen) < areas:
        c = int(rng.choice(inside))
        ring = set(W[c].indices.tolist()) | {c}
        near = ring | {j for i in ring for j in W[i].indices.tolist()}
        if not any(x in near for x in chosen):
            chosen.append(c)
    return np.unique(np.concatenate([[c, *W[c].indices] for c in chosen]))


def _synthetic_power(seeds: range, methods: tuple[str, ...]) -> dict[str, dict[str, float]]:
    from hotspots import grid
    from hotspots.hotspot import build_weights, exposure_strata
    from hotspots.synthetic import synthetic_town

    out: dict[str, list[float]] = {m: [] for m in methods}
    for seed in seeds:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            town = synthetic_town(seed)
            cells = grid.count_points(town.incidents, grid.hex_grid(town.boundary, cell_size=100))
        W, _ = build_weights(cells, distance=250)
        strata = exposure_strata(cells, "area_share")
        planted = cells.geometry.centroid.within(town.hotspots.geometry.union_all()).to_numpy()
        y = cells["count"].to_numpy(float)
        for method in methods:
            out[method].append(float((_bins(y, W, method, seed, strata) >= 2)[planted].mean()))
    return {m: {"towns": len(v), "planted_found_share": float(np.mean(v))} for m, v in out.items()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="40 maps per scenario")
    ap.add_argument("--maps", type=int, default=None, help="maps per scenario (default 200)")
    args = ap.parse_args()
    n_maps = args.maps or (40 if args.quick else 200)
    slow_maps = max(20, n_maps // 4)  # sampled 9999 costs ~1 s a map
    W, share, counts, strata = _medway()
    rng = np.random.default_rng(2024)
    result: dict[str, Any] = {
        "benchmark": "calibration",
        "quick": args.quick,
        "python": platform.python_version(),
        "grid": {"cells": int(W.shape[0]), "cell_size_m": 250, "month": MONTH},
    }
    print(f"Medway 250 m hexagons: {W.shape[0]} cells; {MONTH} violence: {counts.sum():.0f}")
    print(
        f"{'scenario':38s} {'method':13s} {'maps':>5s} {'any 95%':>8s} {'hot/map':>8s} "
        f"{'planted':>8s} {'s/map':>7s}"
    )

    def show(name: str, rows: dict[str, dict[str, float]]) -> None:
        for method, row in rows.items():
            planted = row.get("planted_found_share")
            print(
                f"{name:38s} {method:13s} {row['maps']:5.0f} {row['any_hot95_share']:8.1%} "
                f"{row['hot95_cells_per_map']:8.2f} "
                f"{'' if planted is None else f'{planted:8.1%}':>8s} {row['seconds_per_map']:7.3f}"
            )

    permuted = [rng.permutation(counts) for _ in range(n_maps)]
    rows = _run(permuted, W, ("analytic", "sampled 999", "exact", "exact, no strata"), None, strata)
    rows.update(_run(permuted[:slow_maps], W, ("sampled 9999",), None))
    result["null_permuted_real"] = rows
    show(f"null: {MONTH} counts permuted", rows)
    for rate in (0.5, 2.0, 10.0):
        maps = [rng.poisson(rate * share).astype(float) for _ in range(n_maps)]
        rows = _run(maps, W, ("analytic", "exact", "exact, no strata"), None, strata)
        result[f"null_uniform_{rate:g}"] = rows
        show(f"null: uniform {rate:g}/cell", rows)
    # the same at 10 a cell, but uniform over the cells rather than over Medway: every
    # cell gets the same exposure (edge cells are not part-empty)
    maps = [rng.poisson(10.0, share.size).astype(float) for _ in range(n_maps)]
    rows = _run(maps, W, ("analytic", "exact", "exact, no strata"), None, strata)
    result["null_uniform_10_equal_exposure"] = rows
    show("null: 10/cell, equal exposure", rows)
    for factor in (3, 5):
        for rate in (0.5, 2.0, 10.0):
            plants = [_planted(W, share, rng) for _ in range(n_maps)]
            maps = []
            for cells in plants:
                lam = rate * share
                lam[cells] *= factor
                maps.append(rng.poisson(lam).astype(float))
            methods: tuple[str, ...] = ("analytic", "exact", "exact, no strata")
            rows = _run(maps, W, methods, plants, strata)
            if rate == 2.0:
                rows.update(_run(maps[:slow_maps], W, ("sampled 999", "sampled 9999"), plants))
            result[f"power_{factor}x_{rate:g}"] = rows
            show(f"power: {factor}x over {rate:g}/cell", rows)
    towns = _synthetic_power(
        range(3 if args.quick else 10), ("analytic", "sampled 999", "exact", "exact, no strata")
    )
    result["power_synthetic_town"] = towns
    for method, row in towns.items():
        print(
            f"{'power: synthetic town (100 m hex)':38s} {method:13s} {row['towns']:5.0f} "
            f"{'':8s} {'':8s} {row['planted_found_share']:8.1%}"
        )
    mc = float(np.sqrt(0.05 * 0.95 / n_maps))
    result["notes"] = (
        f"Monte Carlo standard error of a 5 % share over {n_maps} maps: {mc:.3f}. "
        "'sampled 9999' runs on the first maps only (slow). Machine shared and noisy."
    )
    write_results("calibration", result)


if __name__ == "__main__":
    main()
