"""The ``hotspots`` command.

``hotspots demo`` runs the whole pipeline on the synthetic town, offline; the other
subcommands are the monthly job on a user's own files::

    hotspots demo --out outputs/demo
    hotspots hotspots 2024-*/2024-*-kent-street.csv --area Medway --crime-type "Violence and sexual offences" --out out/
    hotspots reach --services services.csv --targets out/hotspots.gpkg --network medway.graphml --out out/
    hotspots provision --provision provision.csv --hotspots out/hotspots.gpkg --out out/

User mistakes (a missing file, a bad column, a wrong CRS) print one readable line and exit
with status 2; unexpected failures keep their traceback and exit with status 1.

Every option is checked before anything is written. Outputs are written into a fresh
folder beside ``--out`` and moved into it only when the run finishes, so an error or an
interrupt never leaves a half-written file or a mix of two runs; a subcommand's files
already in ``--out`` are replaced only with ``--overwrite`` (the other subcommands'
files are left alone, so one folder can hold the whole monthly job).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from ._errors import DataError, HotspotsError

__all__ = ["main"]

EXIT_USER_ERROR = 2


class _Steps:
    """Prints numbered steps with their duration (a progress report for long jobs)."""

    def __init__(self, total: int, *, quiet: bool = False) -> None:
        self.total = total
        self.done = 0
        self.quiet = quiet
        self.started = time.perf_counter()

    def run(self, label: str, func: Callable[[], Any]) -> Any:
        self.done += 1
        t0 = time.perf_counter()
        if not self.quiet:
            print(f"[{self.done}/{self.total}] {label} ...", end="", flush=True)
        try:
            result = func()
        except BaseException:
            if not self.quiet:
                print(" failed", flush=True)  # end the step's line before the error
            raise
        if not self.quiet:
            print(f" {time.perf_counter() - t0:.1f} s", flush=True)
        return result

    def elapsed(self) -> float:
        return time.perf_counter() - self.started


def _map_options(sub: argparse.ArgumentParser, *, briefing: bool = False) -> None:
    """Options of the maps a subcommand writes."""
    sub.add_argument("--title", help="heading of the maps (default: one per map)")
    sub.add_argument(
        "--online-assets",
        action="store_true",
        help="link Leaflet from its CDN instead of writing it into each page",
    )
    if briefing:
        sub.add_argument(
            "--internal",
            action="store_true",
            help="unsuppressed counts and crime mix, marked INTERNAL - NOT FOR PUBLICATION",
        )
        sub.add_argument(
            "--briefing",
            action="store_true",
            help="also write the tasking map and table as tasking_pack.png and .pdf",
        )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hotspots",
        description="Hotspot and service-coverage analysis: Gi* hot spots, clusters, "
        "street-network reach and provision gaps, with Folium maps.",
    )
    from . import __version__

    parser.add_argument("--version", action="version", version=f"hotspots {__version__}")
    parser.add_argument("--quiet", action="store_true", help="print only the summary")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    demo = sub.add_parser(
        "demo",
        help="run the whole pipeline on the synthetic town (offline) and write the maps",
        description="Run the whole pipeline on a seeded synthetic town (not a real place): "
        "hot spots, clusters, reach over its street network, the provision check, and maps.",
    )
    demo.add_argument("--out", type=Path, default=Path("outputs/demo"), help="output folder")
    demo.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    demo.add_argument(
        "--cell-size", type=float, default=150.0, help="hexagon size in metres (default 150)"
    )
    demo.add_argument(
        "--minutes", type=float, default=15.0, help="walking-time threshold (default 15)"
    )
    _map_options(demo, briefing=True)

    hs = sub.add_parser(
        "hotspots",
        help="Gi* hot spots and a tasking map from police.uk CSVs or an incident table",
        description="Count incidents on a hexagon grid, run Getis-Ord Gi* with FDR, and "
        "write a hotspot map, a tasking map and a GeoPackage of the cells.",
    )
    hs.add_argument("crimes", nargs="+", type=Path, help="police.uk street CSV(s), folder or zip")
    hs.add_argument("--area", help="LAD name or code (needs HOTSPOTS_DATA_DIR) or a polygon file")
    hs.add_argument("--crime-type", action="append", dest="crime_types", help="repeatable")
    hs.add_argument("--month", action="append", dest="months", help="YYYY-MM, repeatable")
    hs.add_argument("--cell-size", type=float, default=250.0, help="metres (default 250)")
    hs.add_argument("--permutations", type=int, default=999)
    hs.add_argument("--seed", type=int, default=0)
    hs.add_argument("--top", type=int, default=10, help="hot spots on the tasking map")
    hs.add_argument("--out", type=Path, required=True)
    _map_options(hs, briefing=True)

    rc = sub.add_parser(
        "reach",
        help="minutes from each target to the nearest service, isochrones and gaps",
        description="Travel time to the nearest service over a street network (GraphML, "
        ".osm or .osm.pbf), or straight-line x 1.3 when no network is given.",
    )
    rc.add_argument("--services", type=Path, required=True, help="provision CSV/XLSX")
    rc.add_argument(
        "--targets", type=Path, required=True, help="GeoPackage/GeoParquet of hot spots"
    )
    rc.add_argument("--network", type=Path, help="GraphML, .osm or .osm.pbf (optional)")
    rc.add_argument("--mode", choices=("walk", "bike", "drive"), default="walk")
    rc.add_argument("--minutes", type=float, default=15.0)
    rc.add_argument(
        "--direction",
        choices=("to_service", "from_service"),
        default="to_service",
        help="time from each target to the service (default) or from the service out",
    )
    rc.add_argument("--service-type", action="append", dest="service_types")
    rc.add_argument(
        "--all-targets",
        action="store_true",
        help="measure every target, not only hot cells (gi_bin >= 2) when the file has gi_bin",
    )
    rc.add_argument("--out", type=Path, required=True)
    _map_options(rc)

    pv = sub.add_parser(
        "provision",
        help="is provision in the hot spots? which hot spots have none within reach?",
        description="Overlay a provision map on Gi* hot spots: share of services in hot "
        "spots with a permutation test, and hot spots without suitable provision.",
    )
    pv.add_argument("--provision", type=Path, required=True, help="provision CSV/XLSX")
    pv.add_argument("--hotspots", type=Path, required=True, help="cells from `hotspots hotspots`")
    pv.add_argument("--network", type=Path, help="GraphML, .osm or .osm.pbf (optional)")
    pv.add_argument("--minutes", type=float, default=15.0)
    pv.add_argument(
        "--service-type",
        action="append",
        dest="service_types",
        help="only services of this type, in the test and the gaps (repeat for several)",
    )
    pv.add_argument("--seed", type=int, default=0)
    pv.add_argument("--out", type=Path, required=True)
    for command in sub.choices.values():
        command.add_argument(
            "--overwrite",
            action="store_true",
            help="replace this command's files in --out if they exist (default: refuse)",
        )
    _map_options(pv)
    return parser


#: Options checked before anything is read or written: name -> (smallest, inclusive?).
_LOWER_BOUNDS: dict[str, tuple[float, bool]] = {
    "top": (1, True),
    "permutations": (0, True),
    "cell_size": (0, False),
    "minutes": (0, False),
    "seed": (0, True),
}
#: Options naming an input file or folder that must exist.
_INPUT_PATHS = ("crimes", "services", "targets", "network", "provision", "hotspots")


def _check_args(args: argparse.Namespace) -> None:
    """Refuse bad option values and missing inputs before any output is written."""
    import math

    for name, (low, inclusive) in _LOWER_BOUNDS.items():
        value = getattr(args, name, None)
        if value is None:
            continue
        ok = math.isfinite(value) and (value >= low if inclusive else value > low)
        if not ok:
            bound = f"at least {low:g}" if inclusive else f"more than {low:g}"
            raise DataError(f"--{name.replace('_', '-')} must be {bound}, got {value:g}.")
    for name in _INPUT_PATHS:
        value = getattr(args, name, None)
        for path in value if isinstance(value, list) else [value]:
            if isinstance(path, Path) and not path.exists():
                raise DataError(f"--{name}: {path} does not exist (file not found).")
    out = getattr(args, "out", None)
    if isinstance(out, Path) and out.exists():
        if not out.is_dir():
            raise DataError(f"--out {out} is a file; give a folder name.")
        _refuse_overwrite(out, _OUTPUTS.get(args.command, ()), args.overwrite)


#: Files each subcommand writes into ``--out`` (checked before the run starts).
_OUTPUTS: dict[str, tuple[str, ...]] = {
    "demo": (
        "hotspot_map.html",
        "tasking_map.html",
        "reach_map.html",
        "provision_map.html",
        "demo.gpkg",
        "summary.txt",
        "tasking_pack.png",
        "tasking_pack.pdf",
    ),
    "hotspots": (
        "hotspots.gpkg",
        "hotspots.parquet",
        "tasking_list.csv",
        "hotspot_map.html",
        "tasking_map.html",
        "tasking_pack.png",
        "tasking_pack.pdf",
    ),
    "reach": ("reach.gpkg", "reach_map.html"),
    "provision": ("provision_summary.csv", "provision.gpkg", "provision_map.html"),
}


def _refuse_overwrite(out: Path, names: Sequence[str], overwrite: bool) -> None:
    existing = [n for n in names if (out / n).exists()]
    if existing and not overwrite:
        raise DataError(
            f"--out {out} already holds {', '.join(existing)} from an earlier run; pass "
            "--overwrite to replace them, or choose another folder."
        )


def _run_into(out: Path, run: Callable[[Path], None], *, overwrite: bool) -> None:
    """Run ``run(folder)`` on a fresh folder beside ``out``; move its files into ``out``
    only when the run has finished.

    An error or an interrupt leaves ``out`` as it was (no half-written GeoPackage, no mix
    of this run's layers with the last run's maps). Files of other subcommands in ``out``
    are kept, so ``hotspots``, ``reach`` and ``provision`` can share one folder.
    """
    import os
    import shutil
    import tempfile

    parent = out.absolute().parent
    parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{out.name}.partial-", dir=parent))
    try:
        run(work)
        made = sorted(p.name for p in work.iterdir())
        if out.exists():
            _refuse_overwrite(out, made, overwrite)
        out.mkdir(exist_ok=True)
        for name in made:
            target = out / name
            if target.is_dir():
                shutil.rmtree(target)
            os.replace(work / name, target)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    args = _parser().parse_args(argv)
    from . import _commands

    handler = {
        "demo": _commands.run_demo,
        "hotspots": _commands.run_hotspots,
        "reach": _commands.run_reach,
        "provision": _commands.run_provision,
    }[args.command]
    try:
        _check_args(args)
        final: Path = args.out
        args.final_out = final

        def run(folder: Path) -> None:
            args.out = folder
            handler(args, _Steps)

        _run_into(final, run, overwrite=args.overwrite)
    except HotspotsError as exc:
        print(f"hotspots: error: {exc}", file=sys.stderr)
        return EXIT_USER_ERROR
    except FileNotFoundError as exc:
        print(f"hotspots: error: file not found: {exc.filename or exc}", file=sys.stderr)
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        print("hotspots: interrupted", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
