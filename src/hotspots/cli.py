"""The ``hotspots`` command.

``hotspots demo`` runs the whole pipeline on the synthetic town, offline; the other
subcommands are the monthly job on a user's own files::

    hotspots demo --out outputs/demo
    hotspots hotspots 2024-*/2024-*-kent-street.csv --area Medway --crime-type "Violence and sexual offences" --out out/
    hotspots reach --services services.csv --targets out/hotspots.gpkg --network medway.graphml --out out/
    hotspots provision --provision provision.csv --hotspots out/hotspots.gpkg --out out/

User mistakes (a missing file, a bad column, a wrong CRS) print one readable line and exit
with status 2; unexpected failures keep their traceback and exit with status 1.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from ._errors import HotspotsError

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
    pv.add_argument("--service-type", action="append", dest="service_types")
    pv.add_argument("--seed", type=int, default=0)
    pv.add_argument("--out", type=Path, required=True)
    return parser


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
        handler(args, _Steps)
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
