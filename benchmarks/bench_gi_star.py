"""Benchmark: Getis-Ord Gi* permutation p-values, hotspots vs esda with and without numba.

The peer is esda ``G_Local(star=True, transform="B", permutations=..., seed=0)`` with its
defaults otherwise (``n_jobs=-1``: joblib worker processes on every core;
``keep_simulations=True``), run two ways: **with numba** (esda's permutation loops
compiled; the ``bench`` extra installs it) and **without numba**: its process and
esda's worker processes find, first on ``PYTHONPATH``, a ``numba`` that raises
``ModuleNotFoundError`` on import, so esda and libpysal take the fallbacks they take when
numba is not installed (their pure-Python loops). (``NUMBA_DISABLE_JIT=1`` does not do
that: esda 2.9 then hands numba's ``boolean`` type to numpy and fails.) hotspots counts
each cell's permutation distribution exactly, on one core.

Every figure is paired: ours and the peer run in turn (A B A B ..., ``--pairs`` times,
default 3, with ``--quick`` 1) and the ratio is the median of the pair-by-pair ratios
peer / ours.

(a) **New Python process**, ~10,300 hexagon cells (``--quick``: ~2,000), 999
    permutations: each run a fresh process, timed from before its imports to the end of
    its first Gi* (imports, cells, weights, Gi*): ``gi_star`` against esda on libpysal
    ``DistanceBand`` weights of the cell centroids. ours / esda without numba and ours /
    esda with numba are paired separately; with numba that first call includes the JIT
    compile. The same processes then make the same call again (weights and Gi*): the
    second-call figure, numba compiled.
(b) **Warm**, 100,000 cells (``--quick``: 20,000) of a hexagonal lattice, the same sparse
    weights given to both: ``gi_star_arrays`` against ``G_Local`` in one process, each
    side called once before the paired runs (reported: with numba that first call
    compiles). With numba at 999 permutations; without numba at 99 permutations, for both
    sides (999 take esda minutes a call without numba, too long for paired runs; no time
    is scaled from another permutation count).

Without numba installed, the rows with numba say "not measured: numba not installed".

Usage: ``python benchmarks/bench_gi_star.py [--quick] [--pairs N]``; writes
``benchmarks/results/gi_star.json``.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import importlib.util
import json
import os
import platform
import tempfile
import time
from pathlib import Path
from typing import Any

from _harness import alternate, paired_case, peak_mb, run_child, write_results

TOPIC = "gi_star"
PERMS = 999
#: Permutations of the warm case without numba (for both sides).
PLAIN_PERMS = 99
#: Distance band of the fresh-process esda weights: the centre spacing of 100 m hexagons.
BAND_M = 100.0 * 1.0746 * 1.0001
JOB = "Gi* permutation p-values (ours counted exactly, esda {} sampled)"


def _version(name: str) -> str | None:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return None


def _env(hide_numba: Path | None) -> dict[str, str]:
    """This environment with numba's JIT on, or numba hidden by the stub in ``hide_numba``."""
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_DISABLE_JIT"}
    if hide_numba is None:
        return env
    path = os.pathsep.join(p for p in (str(hide_numba), env.get("PYTHONPATH")) if p)
    return {**env, "PYTHONPATH": path}


def _numba_stub(folder: Path) -> Path:
    """Write in ``folder`` a ``numba`` package whose import fails as a missing one does."""
    (folder / "numba").mkdir()
    (folder / "numba" / "__init__.py").write_text(
        "raise ModuleNotFoundError(\"No module named 'numba'\", name='numba')\n"
    )
    return folder


def _jit_on() -> bool:
    """Whether this process runs esda's loops compiled (numba imported, JIT on)."""
    import sys

    return "numba" in sys.modules and os.environ.get("NUMBA_DISABLE_JIT", "0") == "0"


# ------------------------------------------------------------------ cases (in a child)
def case_fresh(side: str, n: int, perms: int, again: bool) -> dict[str, Any]:
    """A new process: imports, ~``n`` hexagon cells, weights and Gi*, timed from the start."""
    t0 = time.perf_counter()
    import warnings

    warnings.filterwarnings("ignore")
    import geopandas as gpd
    import numpy as np
    from shapely.geometry import box

    from hotspots.grid import hex_grid

    def gi() -> Any:
        if side == "ours":
            from hotspots.hotspot import gi_star

            return gi_star(cells, "count", permutations=perms, seed=0)
        import esda
        import libpysal

        xy = cells.geometry.centroid.get_coordinates().to_numpy()
        w = libpysal.weights.DistanceBand(xy, threshold=BAND_M, silence_warnings=True)
        y = cells["count"].to_numpy(float)
        return esda.getisord.G_Local(y, w, star=True, transform="B", permutations=perms, seed=0)

    side_m = 100.0 * n**0.5
    cells = hex_grid(gpd.GeoSeries([box(0, 0, side_m, side_m)], crs=27700), cell_size=100.0)
    cells["count"] = np.random.default_rng(0).poisson(2.0, len(cells))
    t1 = time.perf_counter()
    gi()
    t2 = time.perf_counter()
    out: dict[str, Any] = {
        "n": len(cells),
        "seconds": t2 - t0,
        "setup_s": t1 - t0,
        "gi_s": t2 - t1,
        "numba_jit": _jit_on(),
    }
    if again:
        t3 = time.perf_counter()
        gi()
        out["second_s"] = time.perf_counter() - t3
    out["peak_mb"] = peak_mb()
    return out


def case_warm(n: int, perms: int, pairs: int) -> dict[str, Any]:
    """One process: a first call of each side, then ``pairs`` paired calls."""
    import warnings

    import esda
    import libpysal
    import numpy as np
    import scipy.sparse as sp
    from scipy.spatial import cKDTree

    from hotspots.hotspot import gi_star_arrays

    # hexagonal lattice of n points, 1 unit apart: 6 neighbours within the band
    side = int(np.ceil(np.sqrt(n)))
    i, j = np.meshgrid(np.arange(side), np.arange(side))
    xy = np.column_stack([(i + 0.5 * (j % 2)).ravel(), (j * np.sqrt(3) / 2).ravel()])[:n]
    pairs_ij = cKDTree(xy).query_pairs(1.0001, output_type="ndarray")
    r = np.r_[pairs_ij[:, 0], pairs_ij[:, 1]]
    c = np.r_[pairs_ij[:, 1], pairs_ij[:, 0]]
    W = sp.csr_matrix((np.ones(r.size), (r, c)), shape=(n, n))
    y = np.random.default_rng(0).poisson(2.0, n).astype(float)
    warnings.filterwarnings("ignore")
    w = libpysal.weights.WSP(W).to_W(silence_warnings=True)
    got: dict[str, Any] = {}

    def ours() -> dict[str, float]:
        t = time.perf_counter()
        got["ours"] = gi_star_arrays(y, W, permutations=perms, seed=0)
        return {"seconds": time.perf_counter() - t}

    def peer() -> dict[str, float]:
        t = time.perf_counter()
        got["peer"] = esda.getisord.G_Local(
            y, w, star=True, transform="B", permutations=perms, seed=0
        )
        return {"seconds": time.perf_counter() - t}

    ours_first, peer_first = ours()["seconds"], peer()["seconds"]
    ours_runs, peer_runs = alternate(pairs, ours, peer)
    return {
        "n": n,
        "permutations": perms,
        "numba_jit": _jit_on(),
        "ours_first_s": ours_first,
        "peer_first_s": peer_first,
        "ours": [o["seconds"] for o in ours_runs],
        "peer": [p["seconds"] for p in peer_runs],
        "max_abs_z_difference": float(np.nanmax(np.abs(got["ours"].z - got["peer"].Zs))),
        "peak_mb": peak_mb(),
    }


# ------------------------------------------------------------------ driver
def _runs(values: list[float]) -> list[dict[str, float]]:
    return [{"seconds": v} for v in values]


def measure(args: argparse.Namespace, hidden: Path) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Every paired case, and the warm runs as the children gave them.

    ``hidden`` holds the ``numba`` stub (:func:`_numba_stub`) for the runs without numba.
    """
    n_fresh = 2_000 if args.quick else 10_000
    n_warm = 20_000 if args.quick else 100_000
    numba = _version("numba") if importlib.util.find_spec("numba") else None
    esda = f"esda {_version('esda')} G_Local(star=True, transform='B', permutations={{}}, seed=0)"
    plain = (
        "without numba (hidden from esda and its workers, as if not installed)"
        if numba
        else "without numba (not installed)"
    )
    jit = f"with numba {numba}"
    no_numba = "numba not installed"

    def fresh(side: str, jit_on: bool) -> dict[str, Any]:
        env = _env(None if jit_on else hidden)
        extra = ["--again"] if jit_on else []  # the second call: numba compiled
        return run_child(
            __file__, "--case", side, "--n", n_fresh, "--perms", PERMS, *extra, env=env
        )

    cases: list[dict[str, Any]] = []
    # (a) a new process per run
    job = JOB.format(PERMS) + ", new Python process: imports, cells, weights, Gi*"
    job2 = JOB.format(PERMS) + ", second call in that process: weights, Gi*"
    weights = "on libpysal DistanceBand weights of the cell centroids"
    print(f"(a) new process, ~{n_fresh:,} cells: ours / esda {plain}", flush=True)
    o, p = alternate(args.pairs, lambda: fresh("ours", False), lambda: fresh("esda", False))
    assert not any(r["numba_jit"] for r in p), p
    n_cells = f"{int(o[0]['n']):,} cells"
    cases.append(paired_case(job, n_cells, f"{esda.format(PERMS)} {weights}, {plain}", o, p))
    peer_jit = f"{esda.format(PERMS)} {weights}, {jit}"
    if numba:
        print(f"(a) new process, ~{n_fresh:,} cells: ours / esda {jit}", flush=True)
        o, p = alternate(args.pairs, lambda: fresh("ours", True), lambda: fresh("esda", True))
        assert all(r["numba_jit"] for r in p), p
        first = "first call: JIT compile included"
        cases.append(paired_case(job, n_cells, peer_jit, o, p, peer_note=first))
        cases.append(
            paired_case(job2, n_cells, peer_jit, o, p, key="second_s", peer_note="compiled")
        )
    else:
        for j in (job, job2):
            cases.append({"job": j, "size": n_cells, "peer": peer_jit, "not_measured": no_numba})

    # (b) warm: one process per peer configuration, the two sides alternating in it
    size = f"{n_warm:,} cells"
    lattice = "the same sparse weights (hexagonal lattice, 6 neighbours)"
    warm: dict[str, Any] = {}
    for key, perms, jit_on in (("with_numba", PERMS, True), ("without_numba", PLAIN_PERMS, False)):
        peer = f"{esda.format(perms)} on {lattice}, {jit if jit_on else plain}"
        job = JOB.format(perms) + ", warm: weights given, each side called once before"
        if perms != PERMS:
            job += f"; {perms}, not {PERMS}, so that esda without numba's paired runs stay short"
        if jit_on and not numba:
            cases.append({"job": job, "size": size, "peer": peer, "not_measured": no_numba})
            continue
        print(f"(b) warm, {n_warm:,} cells, {perms} permutations: ours / esda {key}", flush=True)
        res = run_child(
            __file__,
            "--case", "warm", "--n", n_warm, "--perms", perms, "--pairs", args.pairs,
            env=_env(None if jit_on else hidden),
        )  # fmt: skip
        assert res["numba_jit"] == jit_on, res
        warm[key] = res
        note = f"after a first call of {res['peer_first_s']:.2f} s"
        if jit_on:
            note += ", JIT compile included"
        cases.append(
            paired_case(
                job,
                size,
                peer,
                _runs(res["ours"]),
                _runs(res["peer"]),
                peer_note=note,
                ours_first_call_s=res["ours_first_s"],
                peer_first_call_s=res["peer_first_s"],
                max_abs_z_difference=res["max_abs_z_difference"],
            )
        )
    return cases, warm


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small sizes")
    ap.add_argument("--pairs", type=int, default=None, help="A/B pairs per figure (3; --quick: 1)")
    ap.add_argument("--case", help=argparse.SUPPRESS)
    ap.add_argument("--n", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--perms", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--again", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.pairs is None:  # numba's compile, a fixed cost at any size, dominates quick runs
        args.pairs = 1 if args.quick else 3
    if args.case in ("ours", "esda"):
        print(json.dumps(case_fresh(args.case, args.n, args.perms, args.again)))
        return
    if args.case == "warm":
        print(json.dumps(case_warm(args.n, args.perms, args.pairs)))
        return
    with tempfile.TemporaryDirectory() as tmp:
        cases, warm = measure(args, _numba_stub(Path(tmp)))
    for c in cases:
        print(f"{c['job']}, {c['size']}\n  peer: {c['peer']}")
        if c.get("not_measured"):
            print(f"  not measured: {c['not_measured']}")
            continue
        print(
            f"  ours {c['ours_s']:.2f} s, esda {c['peer_s']:.2f} s"
            + (f" ({c['peer_note']})" if c.get("peer_note") else "")
            + f", esda/ours {c['ratio_peer_over_ours']:.1f} (median of {c['pairs']} pairs)"
        )
    result = {
        "benchmark": TOPIC,
        "quick": args.quick,
        "python": platform.python_version(),
        "machine": platform.machine(),
        "numba": _version("numba") if importlib.util.find_spec("numba") else None,
        "esda": _version("esda"),
        "warm": warm,
        "paired": cases,
        "notes": "esda's G_Local defaults to n_jobs=-1 (joblib worker processes on every "
        "core); hotspots runs on one core. Each figure is the median of paired runs; no "
        "time is scaled from another size or permutation count.",
    }
    write_results(TOPIC, result)


if __name__ == "__main__":
    main()
