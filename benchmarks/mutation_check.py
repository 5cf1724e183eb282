"""Mutation check: do the tests catch small, plausible bugs?

Each mutant is a small textual change to one source file (the kind of slip a tired
maintainer makes: ``min`` for ``max``, a bound off by one, a check dropped). The script
copies the project (``src``, ``tests``, ``pyproject.toml``) to a temporary folder once,
applies one mutant at a time to the copy - never to the working tree - and runs only the
test files that concern it, with the copy's ``src`` first on ``PYTHONPATH``. A mutant is

* **killed** when those tests fail (what we want),
* **survived** when they pass (a hole in the tests),
* **not applicable** when its text is no longer in the source (the code moved; update
  the mutant), or **error** when the tests could not run at all.

Usage::

    HOTSPOTS_OFFLINE=1 HOTSPOTS_DATA_DIR=../shared/data python benchmarks/mutation_check.py
    python benchmarks/mutation_check.py --only pei_rank_by_count --only iso_dates_dayfirst
    python benchmarks/mutation_check.py --list

Results go to ``benchmarks/results/mutation_check.json`` (with ``--only``, the mutants run
replace their earlier results there); the exit status is 1 when any mutant survived.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "mutation_check.json"


@dataclass(frozen=True)
class Mutant:
    """One deliberate bug: ``edits`` are (old, new) replacements in ``path`` (each ``old``
    must occur exactly once), checked by the test files ``tests``."""

    name: str
    path: str
    edits: tuple[tuple[str, str], ...]
    tests: tuple[str, ...]
    why: str = ""
    extra: tuple[str, ...] = field(default=())  # extra pytest arguments (e.g. -k)


M = Mutant
MUTANTS: tuple[Mutant, ...] = (
    # ---- the eight deliberate bugs that once survived the whole suite ----------------
    M(
        "pei_rank_by_count",
        "src/hotspots/evaluate.py",
        (("best = _captured(c / a, c, a, coverage)", "best = _captured(c, c, a, coverage)"),),
        ("tests/test_evaluate.py",),
        "PEI's best possible map ranks cells by count instead of density",
    ),
    M(
        "backtest_kernel_changed",
        "src/hotspots/density.py",
        (
            (
                "3.0 / (math.pi * bandwidth**2) * (1.0 - u * u) ** 2",
                "2.0 / (math.pi * bandwidth**2) * (1.0 - u * u)",
            ),
        ),
        ("tests/test_evaluate.py", "tests/test_forecast.py"),
        "the backtest's quartic kernel replaced by an Epanechnikov kernel",
    ),
    M(
        "backtest_trains_on_test_month",
        "src/hotspots/_forecast.py",
        (
            (
                "train_counts = mc.counts[:, lo:t0].sum(axis=1)",
                "train_counts = mc.counts[:, lo + 1 : t0 + 1].sum(axis=1)",
            ),
            (
                "in_train = mc.inside & (mc.month_index >= lo) & (mc.month_index < t0)",
                "in_train = mc.inside & (mc.month_index > lo) & (mc.month_index <= t0)",
            ),
        ),
        ("tests/test_evaluate.py", "tests/test_forecast.py"),
        "the training window slides one month forward onto the test month",
    ),
    M(
        "emerging_fdr_never_applied",
        "src/hotspots/spacetime.py",
        (("bins = gi_bins(z, p, fdr=fdr)", "bins = gi_bins(z, p, fdr=False)"),),
        ("tests/test_spacetime.py",),
        "emerging hot spots ignore fdr=True",
    ),
    M(
        "optimized_cell_size_min",
        "src/hotspots/optimized.py",
        (
            (
                "cell_size = float(round(max(mean_nn, floor)))",
                "cell_size = float(round(min(mean_nn, floor)))",
            ),
        ),
        ("tests/test_optimized.py",),
        "optimized hot spots' cell size takes the smaller of NN distance and extent/100",
    ),
    M(
        "provision_age_containment",
        "src/hotspots/overlay.py",
        (("keep &= (amin <= hi) & (amax >= lo)", "keep &= (amin >= lo) & (amax <= hi)"),),
        ("tests/test_provision.py",),
        "the age filter keeps services whose ages lie inside the range, not overlap it",
    ),
    M(
        "one_way_point_infinite",
        "src/hotspots/_routing.py",
        (
            (
                "at_u = np.where(f <= 0.0, 0.0, f * tf) + access",
                "at_u = f * tf + access",
            ),
            (
                "at_v = np.where(f >= 1.0, 0.0, (1.0 - f) * tb) + access",
                "at_v = (1.0 - f) * tb + access",
            ),
        ),
        ("tests/test_reach.py", "tests/test_network.py", "tests/test_routing_ends.py"),
        "a place at the end of a one-way street gets 0 x inf = NaN -> an infinite time",
    ),
    M(
        "isochrone_pieces_reversed",
        "src/hotspots/_routing.py",
        (
            (
                "r_u = np.clip((t_s - du) / tb, 0.0, 1.0)",
                "r_u = np.clip((t_s - du) / tf, 0.0, 1.0)",
            ),
            (
                "r_v = np.clip((t_s - dv) / tf, 0.0, 1.0)",
                "r_v = np.clip((t_s - dv) / tb, 0.0, 1.0)",
            ),
        ),
        ("tests/test_reach.py",),
        "isochrone pieces of a street measured in the wrong travel direction",
    ),
    M(
        "street_vertices_not_turned_round",
        "src/hotspots/_streetgraph.py",
        (("        flip ^= back", "        flip |= back"),),
        ("tests/test_streetgraph.py", "tests/test_reach.py"),
        "a street whose edge geometry is drawn from v to u is read backwards",
    ),
    M(
        "parallel_edges_first_not_cheapest",
        "src/hotspots/_streetgraph.py",
        (
            (
                "return pu[starts], pv[starts], np.minimum.reduceat(pt, starts)",
                "return pu[starts], pv[starts], pt[starts]",
            ),
        ),
        ("tests/test_streetgraph.py", "tests/test_reach.py"),
        "between two junctions joined by parallel streets the first, not the quickest, is used",
    ),
    M(
        "snapping_doubt_left_unresolved",
        "src/hotspots/_snapping.py",
        (("        unsure = unsure[unsure2]", "        unsure = unsure[:0]"),),
        ("tests/test_reach.py", "tests/test_streetgraph.py"),
        "points where a nearer street piece may exist are not looked at again",
    ),
    M(
        "grid_tiles_without_margin",
        "src/hotspots/grid.py",
        (("tile=max(40.0 * size, 500.0), pad=size)", "tile=max(40.0 * size, 500.0), pad=0.0)"),),
        ("tests/test_grid.py",),
        "cells on a tile's edge are compared with the wrong part of the area",
    ),
    # ---- loaders, validation, outputs, cache ------------------------------------------
    M(
        "iso_dates_dayfirst",
        "src/hotspots/incidents.py",
        (
            (
                'out[iso] = pd.to_datetime(text[iso], format="ISO8601", errors="coerce")',
                'out[iso] = pd.to_datetime(text[iso], dayfirst=True, format="mixed", '
                'errors="coerce")',
            ),
        ),
        ("tests/test_incidents.py",),
        "ISO dates read day first (2018-04-03 -> 3 March)",
    ),
    M(
        "ambiguous_dates_accepted",
        "src/hotspots/incidents.py",
        (
            (
                "if not day_first.any() and not month_first.any() and ambiguous.any():",
                "if False:",
            ),
        ),
        ("tests/test_incidents.py",),
        "03/04/2018 silently read day first when nothing says which",
    ),
    M(
        "null_island_kept",
        "src/hotspots/incidents.py",
        (("null = finite & (xs == 0) & (ys == 0)", "null = finite & (xs == 0) & (ys == 1)"),),
        ("tests/test_incidents.py",),
        "(0, 0) coordinates kept",
    ),
    M(
        "degree_rows_in_bng_kept",
        "src/hotspots/incidents.py",
        (("problems[DEGREES_AS_METRES] = degree_like", "pass"),),
        ("tests/test_incidents.py",),
        "a few lon/lat rows in an easting/northing file placed in the sea off Scilly",
    ),
    M(
        "swapped_rows_kept",
        "src/hotspots/incidents.py",
        (("ok & ~inside & inside_swapped, dtype=bool", "ok & ~ok, dtype=bool"),),
        ("tests/test_incidents.py",),
        "eastings and northings typed the wrong way round kept",
    ),
    M(
        "duplicate_after_dropped_row",
        "src/hotspots/incidents.py",
        (('seen = ids.where(ok, "")', "seen = ids"),),
        ("tests/test_incidents.py",),
        "a row repeating the id of a dropped row is dropped as a duplicate",
    ),
    M(
        "month_first_ignored",
        "src/hotspots/incidents.py",
        (("dayfirst=not month_first.any(),", "dayfirst=True,"),),
        ("tests/test_incidents.py",),
        "04/25/2018 style (month-first) columns read day first",
    ),
    M(
        "metres_in_degree_crs_kept",
        "src/hotspots/incidents.py",
        (("problems[METRES_AS_DEGREES] = metres", "pass"),),
        ("tests/test_incidents.py",),
        "a few easting/northing rows in a lon/lat file kept",
    ),
    M(
        "html_not_recognised",
        "src/hotspots/_validate.py",
        (
            (
                'if text.startswith((b"<!doctype html", b"<html", b"<head", b"<body")):',
                "if False:",
            ),
        ),
        ("tests/test_validate.py", "tests/test_incidents.py"),
        "a saved login page read as data",
    ),
    M(
        "report_rows_kept_sign",
        "src/hotspots/_report.py",
        (("return self.rows_read - self.n_dropped", "return self.rows_read + self.n_dropped"),),
        ("tests/test_report.py",),
        "rows kept counts the dropped rows as kept",
    ),
    M(
        "report_not_mirrored",
        "src/hotspots/_report.py",
        (("            self[name] = value", "            pass"),),
        ("tests/test_report.py",),
        "the load report's dict form is not kept in step (Parquet round trip loses it)",
    ),
    M(
        "http_caches_html",
        "src/hotspots/_http.py",
        (
            (
                'if head.startswith((b"<!doctype html", b"<html")) or "html" in content_type:',
                "if False:",
            ),
        ),
        ("tests/test_http.py",),
        "a proxy's HTML page served with status 200 is cached",
    ),
    M(
        "http_no_checksum",
        "src/hotspots/_http.py",
        (
            (
                'if hashlib.sha256(body).hexdigest() != entry["sha256"]:',
                "if False:",
            ),
        ),
        ("tests/test_http.py",),
        "a corrupt cache entry is returned instead of fetched again",
    ),
    M(
        "http_never_expires",
        "src/hotspots/_http.py",
        (("if entry[2] <= _max_age_seconds(max_age):", "if True:"),),
        ("tests/test_http.py",),
        "cached answers never expire",
    ),
    M(
        "http_write_in_place",
        "src/hotspots/_http.py",
        (
            (
                'fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.", suffix=".tmp")',
                "fd, tmp = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC), str(path)",
            ),
        ),
        ("tests/test_http.py",),
        "cache entries written in place (readers can see half an entry)",
    ),
    M(
        "cli_top_zero_allowed",
        "src/hotspots/cli.py",
        (('"top": (1, True),', '"top": (0, True),'),),
        ("tests/test_cli.py",),
        "--top 0 accepted, failing only after outputs were written",
    ),
    M(
        "cli_overwrites_silently",
        "src/hotspots/cli.py",
        (("if existing and not overwrite:", "if False:"),),
        ("tests/test_cli.py",),
        "an existing output folder replaced without --overwrite",
    ),
    M(
        "cli_writes_in_place",
        "src/hotspots/cli.py",
        (("            args.out = folder\n", "            args.out = final\n"),),
        ("tests/test_cli.py",),
        "outputs written straight into --out (an interrupt leaves half a run)",
    ),
    M(
        "area_ward_not_tried",
        "src/hotspots/_commands.py",
        (('for level in ("ward", "msoa", "lsoa"):', "for level in ():"),),
        ("tests/test_cli.py",),
        "a ward name as --area is refused",
    ),
    M(
        "gi_star_negative_accepted",
        "src/hotspots/hotspot.py",
        (("negative = y < 0", "negative = y < -1e300"),),
        ("tests/test_hotspot_input.py",),
        "Gi* run on negative counts",
    ),
    M(
        "stray_point_grid",
        "src/hotspots/_validate.py",
        (
            ("np.percentile(x[finite], [5, 95])", "np.percentile(x[finite], [0, 100])"),
            ("np.percentile(y[finite], [5, 95])", "np.percentile(y[finite], [0, 100])"),
        ),
        ("tests/test_validate.py", "tests/test_cli.py"),
        "one stray point stretches the study area (a grid of 100,000+ empty cells)",
    ),
    M(
        "weights_band_exclusive",
        "src/hotspots/_weights.py",
        (
            (
                'pairs = _tree(xy).query_pairs(r=float(distance), output_type="ndarray")',
                "pairs = _tree(xy).query_pairs(r=float(distance) * (1 - 1e-9), "
                'output_type="ndarray")',
            ),
        ),
        ("tests/test_hotspot.py", "tests/test_weights.py"),
        "a neighbour exactly at the distance band left out",
    ),
    M(
        "count_points_boundary",
        "src/hotspots/grid.py",
        (
            (
                "out[name] = np.bincount(pos[inside], minlength=m).astype(np.int64)",
                "out[name] = np.bincount(pos[inside], minlength=m).astype(np.int64) "
                "- (np.arange(m) == 0)",
            ),
        ),
        ("tests/test_grid.py",),
        "the first cell's count off by one",
    ),
)


def _copy_project(dest: Path) -> None:
    for name in ("src", "tests"):
        shutil.copytree(
            ROOT / name,
            dest / name,
            ignore=shutil.ignore_patterns("__pycache__", "*.pyc", ".pytest_cache"),
        )
    for name in ("pyproject.toml",):
        shutil.copy2(ROOT / name, dest / name)


def _run_tests(copy: Path, mutant: Mutant, timeout: float) -> tuple[str, float, str]:
    tests = [t for t in mutant.tests if (copy / t).exists()]
    if not tests:
        return "error", 0.0, f"none of the test files exist: {list(mutant.tests)}"
    env = dict(os.environ)
    env["PYTHONPATH"] = str(copy / "src") + os.pathsep + env.get("PYTHONPATH", "")
    env.setdefault("HOTSPOTS_OFFLINE", "1")
    cmd = [
        sys.executable,
        "-m",
        "pytest",
        "-q",
        "-x",
        "-p",
        "no:xdist",
        "-p",
        "no:cacheprovider",
        "--no-header",
        *mutant.extra,
        *tests,
    ]
    t0 = time.perf_counter()
    try:
        res = subprocess.run(
            cmd, cwd=copy, env=env, capture_output=True, text=True, timeout=timeout
        )
    except subprocess.TimeoutExpired:
        return "killed (timeout)", time.perf_counter() - t0, ""
    seconds = time.perf_counter() - t0
    tail = (res.stdout.strip().splitlines() or [""])[-1]
    if res.returncode == 0:
        return "survived", seconds, tail
    if res.returncode == 1:
        return "killed", seconds, tail
    return "error", seconds, (res.stdout + res.stderr)[-400:]


def _check_copy_is_imported(copy: Path) -> None:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(copy / "src")
    out = subprocess.run(
        [sys.executable, "-c", "import hotspots; print(hotspots.__file__)"],
        cwd=copy,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    if not Path(out).resolve().is_relative_to(copy.resolve()):
        raise SystemExit(f"the copy's package is not the one imported ({out}); aborting")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", action="append", help="run only these mutants (repeatable)")
    parser.add_argument("--list", action="store_true", help="list the mutants and exit")
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds per mutant")
    args = parser.parse_args(argv)
    chosen = [m for m in MUTANTS if not args.only or m.name in args.only]
    if args.list:
        for m in chosen:
            print(f"{m.name:<32} {m.path:<28} {m.why}")
        return 0
    unknown = set(args.only or ()) - {m.name for m in MUTANTS}
    if unknown:
        parser.error(f"unknown mutant(s): {sorted(unknown)}")
    results = []
    with tempfile.TemporaryDirectory(prefix="hotspots-mutants-") as tmp:
        copy = Path(tmp)
        _copy_project(copy)
        _check_copy_is_imported(copy)
        for m in chosen:
            target = copy / m.path
            original = target.read_text("utf-8") if target.exists() else None
            text = original
            missing = [old for old, _ in m.edits if text is None or text.count(old) != 1]
            if text is None or missing:
                status, seconds, detail = "not applicable", 0.0, f"text not found: {missing[0]!r}"
            else:
                for old, new in m.edits:
                    text = text.replace(old, new)
                target.write_text(text, "utf-8")
                try:
                    status, seconds, detail = _run_tests(copy, m, args.timeout)
                finally:
                    target.write_text(original, "utf-8")
            results.append(
                {
                    "mutant": m.name,
                    "file": m.path,
                    "status": status,
                    "seconds": round(seconds, 1),
                    "tests": list(m.tests),
                    "why": m.why,
                    "detail": detail,
                }
            )
            print(f"{status:<16} {m.name:<32} {seconds:6.1f} s  {m.why}", flush=True)
    killed = sum(r["status"].startswith("killed") for r in results)
    survived = [r["mutant"] for r in results if r["status"] == "survived"]
    print(f"\n{killed} of {len(results)} mutants killed; survived: {survived or 'none'}")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    if args.only and RESULTS.exists():  # rerun mutants replace their earlier results
        fresh = {r["mutant"] for r in results}
        earlier = json.loads(RESULTS.read_text("utf-8")).get("results", [])
        order = [m.name for m in MUTANTS]
        results = sorted(
            [r for r in earlier if r["mutant"] not in fresh and r["mutant"] in order] + results,
            key=lambda r: order.index(r["mutant"]),
        )
    RESULTS.write_text(json.dumps({"results": results}, indent=1) + "\n", "utf-8")
    return 1 if survived else 0


if __name__ == "__main__":
    sys.exit(main())
