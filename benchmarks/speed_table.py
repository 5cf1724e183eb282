"""The README's speed table, generated from ``benchmarks/results/*.json`` (no figure typed by hand).

Run ``.venv/bin/python benchmarks/speed_table.py`` to print the table, ``--write`` to
rewrite it in ``README.md`` between ``<!-- speed-table:start -->`` and
``<!-- speed-table:end -->``; ``tests/test_speed_table.py`` checks the README holds exactly
what this script prints.

Every row says how it was measured. **Paired** rows come from benchmarks that run ours
and the peer in turn (A B A B ...) in the same run and give the median of the paired
ratios. Rows from older results that timed each side once are marked *single run, not
paired*; a peer time that a benchmark extrapolated (ran on part of the input and scaled)
is not shown as a time and gets no ratio; a row whose results are missing says so.

Most benchmarks list their comparisons under ``"paired"`` in their JSON, each made by
``_harness.paired_case``: ``job``, ``size``, ``peer`` (its exact configuration), ``pairs``,
the medians ``ours_s`` and ``peer_s``, ``ratio_peer_over_ours`` (the median of the pair by
pair ratios), optionally ``ours_peak_mb``/``peer_peak_mb`` and ``ours_note``/``peer_note``
(shown after the times), or ``not_measured`` (why not: shown instead of a time).
:func:`_paired_rows` reads those; the reader of each benchmark below reads the results
files written before the benchmark was paired.

A benchmark can also write its rows directly, as ``"speed_rows"`` in its JSON: a list of
objects with ``job``, ``size``, ``ours`` and ``peer`` (text as shown), ``ratio`` (peer time
over ours, a number, or null) and ``measured`` (how: e.g. ``"median of 3 pairs"``). Such
rows are used as they are, in place of the readers below.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import statistics
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
README = HERE.parent / "README.md"
START = "<!-- speed-table:start -->"
END = "<!-- speed-table:end -->"
SINGLE = "single run each, not paired"

Row = dict[str, Any]


def _s(seconds: float | None, mb: float | None = None) -> str:
    if seconds is None or (isinstance(seconds, float) and math.isnan(seconds)):
        return "not measured"
    text = f"{seconds:.2f} s" if seconds < 10 else f"{seconds:.1f} s"
    if mb is not None:
        text += f", {mb / 1024:.1f} GB" if mb >= 1024 else f", {mb:.0f} MB"
    return text


def _ratio(peer: float | None, ours: float | None) -> float | None:
    if peer is None or ours is None or not ours > 0 or math.isnan(peer):
        return None
    return peer / ours


def _row(job: str, size: str, ours: str, peer: str, ratio: float | None, measured: str) -> Row:
    return {
        "job": job,
        "size": size,
        "ours": ours,
        "peer": peer,
        "ratio": ratio,
        "measured": measured,
    }


def _missing(job: str, topic: str, what: str) -> Row:
    return _row(job, "-", "-", what, None, f"missing: no figure in results/{topic}.json")


def _paired_text(case: dict[str, Any]) -> str:
    pairs = case.get("pairs")
    if not pairs:
        return SINGLE
    text = f"median of {pairs} paired run{'s' if pairs > 1 else ''} (A B A B)"
    ours, peer = case.get("ours_runs_s"), case.get("peer_runs_s")
    if ours is None and isinstance(case.get("ours_s"), list):  # older paired results
        ours, peer = case.get("ours_s"), case.get("peer_s")
    ours, peer = ours or [], peer or []
    ratios = [
        p / o
        for o, p in zip(ours, peer, strict=False)
        if math.isfinite(o) and math.isfinite(p) and o > 0
    ]
    if len(ratios) > 1:  # the noise: how far the pairs' own ratios spread
        text += f"; pairs {min(ratios):.1f}x to {max(ratios):.1f}x"
    return text


def _paired_rows(cases: list[dict[str, Any]]) -> list[Row]:
    """Rows of a benchmark's ``"paired"`` list (see the module docstring)."""
    rows = []
    for c in cases:
        job, size, peer = c["job"], c["size"], c["peer"]
        if c.get("not_measured"):
            rows.append(_row(job, size, "-", peer, None, f"not measured: {c['not_measured']}"))
            continue
        if not c.get("pairs"):
            why = "; ".join(c.get("ours_errors", []) + c.get("peer_errors", []))[-120:]
            rows.append(_row(job, size, "-", peer, None, f"not measured: every pair failed {why}"))
            continue
        ours = _s(c["ours_s"], c.get("ours_peak_mb"))
        if c.get("ours_note"):
            ours += f" ({c['ours_note']})"
        peer_time = _s(c["peer_s"], c.get("peer_peak_mb"))
        if c.get("peer_note"):
            peer_time += f" ({c['peer_note']})"
        rows.append(
            _row(
                job, size, ours, f"{peer}: {peer_time}", c["ratio_peer_over_ours"], _paired_text(c)
            )
        )
    return rows


# ------------------------------------ one reader per benchmark, for results written before pairing
def _read_police_csv(d: dict[str, Any]) -> list[Row]:
    m = d.get("million")
    if not m:
        return [_missing("read police.uk CSVs", "read_police_csv", "pandas")]
    return [
        _row(
            "read police.uk CSVs",
            f"{m['rows']:,} rows, {m['files']} files",
            _s(m["ours_s"], m.get("ours_peak_mb")),
            "pandas read_csv + points_from_xy + to_crs: " + _s(m["peer_s"], m.get("peer_peak_mb")),
            _ratio(m["peer_s"], m["ours_s"]),
            SINGLE,
        )
    ]


def _gi_star(d: dict[str, Any]) -> list[Row]:
    rows = []
    fresh = d.get("fresh_10k")
    if fresh:
        o, e = fresh["ours"], fresh["esda"]
        rows.append(
            _row(
                "Gi* permutation p-values (ours counted exactly, esda 999 sampled), "
                "new Python process",
                f"{o['n']:,} cells",
                _s(o["wall_s"]),
                "esda G_Local(star=True) without numba (not installed; imports, weights "
                f"and permutations): {_s(e['wall_s'])}",
                _ratio(e["wall_s"], o["wall_s"]),
                SINGLE,
            )
        )
    warm = d.get("warm")
    if warm:
        run = warm.get("esda_permutations_run")
        same = run == warm.get("permutations")
        peer_s = warm["esda_s_measured"] if same else None
        peer = (
            f"esda without numba: {_s(peer_s)}"
            if same
            else f"esda without numba ran {run} permutations only ({_s(warm['esda_s_measured'])}); "
            "999 not measured"
        )
        rows.append(
            _row(
                "Gi* permutation p-values (ours counted exactly, esda "
                f"{warm['permutations']} sampled)",
                f"{warm['n']:,} cells",
                _s(warm["ours_s"]),
                peer,
                _ratio(peer_s, warm["ours_s"]),
                SINGLE,
            )
        )
    rows.append(
        _row(
            "Gi*, 999 permutations",
            "-",
            "-",
            "esda with numba",
            None,
            "not measured: numba is not installed here",
        )
    )
    return rows


def _grid(d: dict[str, Any]) -> list[Row]:
    if "ours_s" not in d:
        return [_missing("count points into cells", "grid", "geopandas sjoin")]
    return [
        _row(
            "count points into hexagons",
            d["case"].split(", ", 1)[1],
            _s(d["ours_s"], d.get("ours_peak_mb")),
            f"{d['peer']}: {_s(d['peer_s'], d.get('peer_peak_mb'))}",
            _ratio(d["peer_s"], d["ours_s"]),
            SINGLE,
        )
    ]


def _cluster(d: dict[str, Any]) -> list[Row]:
    rows = []
    for case in d.get("cases", []):
        o, p = case["ours"], case["peer_result"]
        name, size = case["case"].split(", ", 1)
        if name == "dbscan" and "distinct" not in size and "police" not in size:
            size += " (police.uk-like: many share a map point)"
        measured = _paired_text(case)
        if case.get("kept_from_earlier_run"):
            measured += ", from an earlier run"
        rows.append(
            _row(
                name.upper(),
                size,
                _s(o["seconds"], o.get("peak_mb")),
                f"{case['peer']}: {_s(p['seconds'], p.get('peak_mb'))}",
                case.get("ratio_peer_over_ours_s", _ratio(p["seconds"], o["seconds"])),
                measured,
            )
        )
    if not any("distinct" in c["case"] for c in d.get("cases", [])):
        rows.append(
            _missing("DBSCAN, distinct points", "cluster", "scikit-learn DBSCAN (not yet run)")
        )
    if not any(c["case"].startswith("hdbscan") for c in d.get("cases", [])):
        rows.append(_missing("HDBSCAN", "cluster", "scikit-learn HDBSCAN (not yet run)"))
    return rows


def _reach_like(d: dict[str, Any], topic: str) -> list[Row]:
    rows = []
    cases = d.get("cases", [])
    # a case may reuse another's extrapolated peer time ("the same recipe")
    scaled = {c.get("peer_s") for c in cases if "extrapolated" in str(c.get("peer", ""))}
    for case in cases:
        ours, peer_s = case.get("ours_s"), case.get("peer_s")
        peer = str(case.get("peer", ""))
        job, _, size = str(case["case"]).partition(", ")
        if peer_s is None:
            continue  # no peer for this case (e.g. our own union); not a comparison
        if "extrapolated" in peer or peer_s in scaled:
            rows.append(
                _row(
                    job,
                    size,
                    _s(ours),
                    peer.split(" (run on")[0] + ": only run on part of the input, not shown",
                    None,
                    "peer time extrapolated: no ratio",
                )
            )
            continue
        prep = case.get("one_off_graph_preparation_s")
        if prep is not None:
            first = ours + prep
            rows.append(
                _row(
                    f"{job} (first call: graph preparation included)",
                    size,
                    _s(first),
                    f"{peer}: {_s(peer_s)}",
                    _ratio(peer_s, first),
                    SINGLE,
                )
            )
            job += " (warm: graph arrays cached)"
        rows.append(
            _row(job, size, _s(ours), f"{peer}: {_s(peer_s)}", _ratio(peer_s, ours), SINGLE)
        )
    return rows or [_missing(topic, topic, "networkx")]


def _emerging(d: dict[str, Any]) -> list[Row]:
    if "ours_emerging_s" not in d:
        return [_missing("emerging hot spots", "emerging", "esda")]
    return [
        _row(
            "emerging hot spots",
            f"{d['n_cells']:,} cells x {d['n_periods']} months",
            _s(d["ours_emerging_s"]),
            f"{d['peer']}: {_s(d['peer_s'])}",
            _ratio(d["peer_s"], d["ours_emerging_s"]),
            SINGLE,
        )
    ]


def _national(d: dict[str, Any]) -> list[Row]:
    dask, memory = d.get("dask"), (d.get("memory") or [None])[-1]
    if not dask or not memory or memory.get("rows_read") != dask.get("rows_read"):
        return [_missing("national counts on Dask", "national", "in memory")]
    return [
        _row(
            "national counts on Dask",
            f"{dask['rows_read']:,} rows, {dask['cells']:,} cells",
            _s(dask["seconds"], dask.get("peak_mb")),
            f"the same in memory (pandas): {_s(memory['seconds'], memory.get('peak_mb'))}",
            _ratio(memory["seconds"], dask["seconds"]),
            SINGLE,
        )
    ]


def _density(d: dict[str, Any]) -> list[Row]:
    rows = []
    for case in d.get("cases", []):
        size = case["case"].partition(", ")[2]
        rows.append(
            _row(
                "kernel density (quartic)",
                size,
                f"{_s(case['ours_s_median'])} (whole call, grid built too: "
                f"{_s(statistics.median(case['ours_whole_call_s']))})",
                f"{d['peer']}: {_s(case['peer_s_median'])}",
                case["ratio_peer_over_ours_median"],
                _paired_text(case),
            )
        )
    if not rows:
        return [_missing("kernel density", "density", "scikit-learn KernelDensity")]
    return rows


def _medway_pipeline(d: dict[str, Any]) -> list[Row]:
    o, p, n = d["ours"], d["peer_read"], d["ours_counts"]
    pairs = f"median of {d['repeats']} paired runs (A B A B)"
    read_pairs = _paired_text(
        {
            "pairs": d["repeats"],
            "ours_runs_s": d.get("ours_read_runs_s"),
            "peer_runs_s": d.get("peer_read_runs_s"),
        }
    )
    size = f"30 real Medway months, {int(n['rows']):,} violence rows"
    return [
        _row(
            "read police.uk months (imports included)",
            size,
            _s(o["read_s"]),
            "pandas read_csv per file + points_from_xy + to_crs (no checks, no report): "
            + _s(p["read_s"]),
            1.0 / d["read_ratio_paired_median"],
            read_pairs,
        ),
        _row(
            "the monthly job: read, 250 m hexagons, Gi*, tasking list, two maps",
            f"{size}; {int(n['cells']):,} cells; tasking page {n['tasking_page_mb']} MB",
            _s(o["total_s"], o["peak_mb"]),
            "no single peer does the whole job",
            None,
            pairs,
        ),
    ]


def _synthetic(d: dict[str, Any]) -> list[Row]:
    return []  # building the synthetic town has no peer doing the same job


READERS: dict[str, Callable[[dict[str, Any]], list[Row]]] = {
    "read_police_csv": _read_police_csv,
    "medway_pipeline": _medway_pipeline,
    "gi_star": _gi_star,
    "grid": _grid,
    "cluster": _cluster,
    "reach": lambda d: _reach_like(d, "reach"),
    "gaps": lambda d: _reach_like(d, "gaps"),
    "emerging": _emerging,
    "density": _density,
    "national": _national,
    "synthetic": _synthetic,
}


def rows(results: Path = RESULTS) -> list[Row]:
    """Every row, in a fixed order (the order of :data:`READERS`)."""
    out: list[Row] = []
    for topic, reader in READERS.items():
        path = results / f"{topic}.json"
        if not path.exists():
            out.append(_missing(topic, topic, "-"))
            continue
        data = json.loads(path.read_text())
        quick = " (quick sizes)" if data.get("quick") else ""
        got = data.get("speed_rows") or (
            _paired_rows(data["paired"]) if "paired" in data else reader(data)
        )
        for row in got:
            out.append({**row, "measured": row["measured"] + quick})
    return out


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def table(results: Path = RESULTS) -> str:
    """The markdown table."""
    lines = [
        "| job | size | hotspots | peer (exact configuration): time | peer / hotspots | how measured |",
        "|---|---|---|---|---|---|",
    ]
    for r in rows(results):
        ratio = "-" if r["ratio"] is None else f"{r['ratio']:.1f}x"
        cells = [r["job"], r["size"], r["ours"], r["peer"], ratio, r["measured"]]
        lines.append("| " + " | ".join(_cell(str(c)) for c in cells) + " |")
    return "\n".join(lines) + "\n"


def rewrite(readme_text: str, new_table: str) -> str:
    """``readme_text`` with the part between the markers replaced by ``new_table``."""
    if START not in readme_text or END not in readme_text:
        raise SystemExit(f"README.md lacks the markers {START} ... {END}")
    head, rest = readme_text.split(START, 1)
    _, tail = rest.split(END, 1)
    return f"{head}{START}\n{new_table}{END}{tail}"


def readme_rows(readme_text: str) -> dict[tuple[str, str], tuple[float, float, float]]:
    """The README table's ratio and pair spread per (job, size): ``(ratio, low, high)``.

    Rows without a ratio are left out; a row without a spread has ``low = high = ratio``.
    """
    if START not in readme_text or END not in readme_text:
        raise SystemExit(f"README.md lacks the markers {START} ... {END}")
    body = readme_text.split(START, 1)[1].split(END, 1)[0]
    out: dict[tuple[str, str], tuple[float, float, float]] = {}
    for line in body.strip().splitlines()[2:]:
        cells = [c.strip() for c in line.strip().strip("|").split(" | ")]
        if len(cells) != 6 or not cells[4].endswith("x"):
            continue
        ratio = float(cells[4][:-1])
        found = re.search(r"pairs ([\d.]+)x to ([\d.]+)x", cells[5])
        low, high = (float(found[1]), float(found[2])) if found else (ratio, ratio)
        out[(cells[0], cells[1])] = (ratio, low, high)
    return out


def check(readme_text: str, results: Path = RESULTS, slack: float = 0.1) -> list[str]:
    """Rows of fresh ``results`` whose ratio falls outside the README's pair spread.

    ``slack`` widens each spread by that share on both sides (a 3-pair spread is a small
    sample of the noise). Returns one line per row that does not reproduce (or has gone).
    """
    stated = readme_rows(readme_text)
    fresh = {(r["job"], r["size"]): r for r in rows(results)}
    problems = []
    for key, (ratio, low, high) in stated.items():
        row = fresh.get(key)
        if row is None or row["ratio"] is None:
            problems.append(f"{key[0]} ({key[1]}): no fresh ratio")
            continue
        new = round(row["ratio"], 1)
        if not low * (1 - slack) <= new <= high * (1 + slack):
            problems.append(
                f"{key[0]} ({key[1]}): {new:.1f}x now, README {ratio:.1f}x "
                f"(pairs {low:.1f}x to {high:.1f}x)"
            )
    return problems


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--write", action="store_true", help="rewrite the table in README.md")
    ap.add_argument(
        "--check",
        action="store_true",
        help="compare fresh results with the README's table: exit 1 if a ratio falls "
        "outside its stated pair spread (widened by 10 %%)",
    )
    args = ap.parse_args(argv)
    if args.check:
        problems = check(README.read_text())
        for line in problems:
            print("outside the stated spread:", line)
        print(
            f"{len(readme_rows(README.read_text())) - len(problems)} rows reproduce, "
            f"{len(problems)} do not"
        )
        return 1 if problems else 0
    text = table()
    if args.write:
        README.write_text(rewrite(README.read_text(), text))
        print(f"wrote the speed table in {README}")
    else:
        print(text, end="")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
