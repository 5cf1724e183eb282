"""Benchmark: binary spatial weights, ``hotspots._weights`` vs ``libpysal.graph``.

Both build the same kinds of weights on hexagon grids of ~10k and ~100k cells, in the
same process, warm (imports and grid excluded), median of ``--repeat`` runs:

* distance band at the largest nearest-neighbour distance (Gi*'s default),
* 8 nearest neighbours,
* queen contiguity.

Each row also says whether the two matrices are equal. On a regular hexagon grid many
neighbours are equally far, so k-nearest ties are broken differently (both are valid);
for contiguity libpysal matches vertices exactly, and adjacent hexagons computed in
floating point do not always share bit-identical vertices, so it finds only some of
the six neighbours (``_weights`` rounds vertices to 1 mm).

Usage: ``python benchmarks/bench_weights.py [--quick] [--repeat 5]``; writes
``benchmarks/results/weights.json``.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time
import warnings
from collections.abc import Callable
from typing import Any

from _harness import write_results


def _median_seconds(func: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    times = []
    out = None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = func()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


def _grid(n: int) -> Any:
    import geopandas as gpd
    from shapely.geometry import box

    from hotspots.grid import hex_grid

    side = 100.0 * n**0.5
    return hex_grid(gpd.GeoSeries([box(0, 0, side, side)], crs=27700), cell_size=100.0)


def _measure(cells: Any, repeat_all: int) -> list[dict[str, Any]]:
    from libpysal import graph

    from hotspots import _weights

    xy = cells.geometry.centroid.get_coordinates().to_numpy()
    geoms = cells.geometry
    band = _weights.min_threshold_distance(xy) * (1 + 1e-9)  # as build_weights does
    cases: list[tuple[str, Callable[[], Any], Callable[[], Any], int]] = [
        (
            "distance band",
            lambda: _weights.distance_band_weights(xy, band),
            lambda: graph.Graph.build_distance_band(xy, band, binary=True),
            repeat_all,
        ),
        (
            "knn k=8",
            lambda: _weights.knn_weights(xy, 8),
            lambda: graph.Graph.build_knn(xy, 8),
            repeat_all,
        ),
        (
            "queen contiguity",
            lambda: _weights.contiguity_weights(geoms.to_numpy()),
            lambda: graph.Graph.build_contiguity(geoms, rook=False, strict=False),
            max(1, repeat_all // 2),
        ),
    ]
    rows = []
    for label, ours, theirs, repeat in cases:
        t_ours, W = _median_seconds(ours, repeat)
        t_lib, G = _median_seconds(theirs, repeat)
        S = G.sparse.tocsr()
        row = {
            "cells": len(cells),
            "weights": label,
            "hotspots_s": round(t_ours, 4),
            "libpysal_graph_s": round(t_lib, 4),
            "libpysal_over_hotspots": round(t_lib / t_ours, 1),
            "hotspots_links": int(W.nnz),
            "libpysal_links": int(S.nnz),
            "equal": bool(abs(W - S).nnz == 0),
        }
        rows.append(row)
        print(
            f"{row['cells']:>7,} {label:<17} hotspots {t_ours:7.3f} s   libpysal.graph "
            f"{t_lib:7.3f} s   x{row['libpysal_over_hotspots']:<5} links "
            f"{row['hotspots_links']:,} / {row['libpysal_links']:,}"
            f"{'' if row['equal'] else '  (differ)'}",
            flush=True,
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="10k cells only")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    from libpysal import __version__ as libpysal_version

    rows = []
    for n in (10_000,) if args.quick else (10_000, 100_000):
        rows.extend(_measure(_grid(n), args.repeat))
    write_results(
        "weights",
        {
            "what": "binary weights build time, warm, median of repeats",
            "libpysal": libpysal_version,
            "python": platform.python_version(),
            "rows": rows,
        },
    )


if __name__ == "__main__":
    main()
