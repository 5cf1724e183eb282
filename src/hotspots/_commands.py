"""What each ``hotspots`` subcommand does (the argument parsing lives in :mod:`hotspots.cli`)."""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

from ._errors import DataError, HotspotsWarning
from ._mapstyle import rows as _rows

__all__ = ["run_demo", "run_hotspots", "run_provision", "run_reach"]

#: Crime types the demo and the monthly job treat as serious-violence related harm.
HARM_TYPES = ("Violence and sexual offences", "Drugs", "Possession of weapons", "Robbery")
YOUTH_TYPES = ("youth_service", "community_sport", "mentoring", "substance_misuse")


#: GeoPackage layer metadata key holding the layer's provenance (method, sources, period).
PROVENANCE_KEY = "hotspots_provenance"


def _map_options(args: Any) -> dict[str, Any]:
    """Keyword arguments every map written by the command line gets."""
    return {"offline": not getattr(args, "online_assets", False)}


def _title(args: Any, default: str, kind: str | None = None) -> str:
    """``--title`` (with the map's kind when a command writes several maps), else default."""
    title = getattr(args, "title", None)
    if not title:
        return default
    return f"{title}: {kind}" if kind else str(title)


def _write_layer(gdf: Any, path: Path, layer: str) -> None:
    """Write a layer that opens in QGIS/ArcGIS (GeoPackage), dropping non-scalar columns.

    The layer's provenance (method, parameters, data sources, period) is kept in the
    GeoPackage's layer metadata, so maps made later from the file still carry their
    sources and attributions.
    """
    import pandas as pd

    from ._provenance import get_provenance

    frame = gdf.copy()
    for col in frame.columns:
        if col == frame.geometry.name:
            continue
        if frame[col].dtype == object:
            frame[col] = frame[col].map(lambda v: v if v is None or isinstance(v, str) else str(v))
        elif isinstance(frame[col].dtype, pd.CategoricalDtype):
            frame[col] = frame[col].astype(str)
    prov = get_provenance(gdf)
    frame.attrs = {}
    metadata = {PROVENANCE_KEY: json.dumps(prov, default=str)} if prov else None
    frame.to_file(path, layer=layer, driver="GPKG", layer_metadata=metadata)


def _shown(args: Any, path: Path) -> Path:
    """Where ``path`` (written in the run's working folder) ends up once the run is done."""
    final = getattr(args, "final_out", None)
    if final is None:
        return path
    try:
        return Path(final) / path.relative_to(args.out)
    except ValueError:
        return path


def _summary_line(label: str, value: Any) -> str:
    return f"  {label:<62} {value}"


def run_demo(args: Any, steps_cls: Any) -> None:
    """The whole pipeline on the synthetic town, offline; maps into ``args.out``."""
    from . import maps
    from .cluster import dbscan_clusters
    from .density import kde
    from .grid import count_points, hex_grid
    from .hotspot import gi_star
    from .overlay import hotspot_gaps, provision_in_hotspots
    from .reach import coverage, isochrones
    from .siting import suggest_sites
    from .spacetime import emerging_hotspots, space_time_cube
    from .synthetic import synthetic_town

    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    steps = steps_cls(11, quiet=args.quiet)
    options = _map_options(args)
    minutes = float(args.minutes)

    town = steps.run(
        "Building the synthetic town (not a real place)", lambda: synthetic_town(args.seed)
    )
    harm = town.incidents[town.incidents["crime_type"].isin(HARM_TYPES)]
    last = str(harm["month"].max())
    month = harm[harm["month"] == last]
    grid = hex_grid(town.boundary, cell_size=args.cell_size)

    cells = steps.run(
        f"Counting {len(month):,} incidents of {last} on {len(grid):,} hexagons",
        lambda: count_points(month, grid, by="crime_type"),
    )
    hot = steps.run(
        "Getis-Ord Gi* (exact permutation p-values, FDR)",
        lambda: gi_star(cells, "count", permutations=999, fdr=True, seed=args.seed),
    )
    density = steps.run(
        "Quartic kernel density", lambda: kde(month, cell_size=50, area=town.boundary)
    )
    clusters = steps.run(
        "DBSCAN clusters (eps 100 m)", lambda: dbscan_clusters(month, eps=100, min_samples=15)
    )
    emerging = steps.run(
        "Emerging hot spots over all months",
        lambda: emerging_hotspots(space_time_cube(harm, grid), seed=args.seed),
    )
    youth = town.services[town.services["service_type"].isin(YOUTH_TYPES)]
    rings = steps.run(
        "Walking isochrones (5, 10, 15 min) from youth provision",
        lambda: isochrones(town.graph, youth, minutes=(5, 10, minutes)),
    )
    hot_cells = hot[hot["gi_bin"] >= 2]
    cover = steps.run(
        "Walking time from every hot spot to the nearest youth provision",
        lambda: coverage(hot_cells, youth, G=town.graph, minutes=minutes, weight="count"),
    )
    reach = cover.table  # every hot cell with its minutes; the summary's share comes with it
    check = steps.run(
        "Is community sport in the hot spots? (permutation test)",
        lambda: provision_in_hotspots(town.services, hot, permutations=999, seed=args.seed),
    )
    gaps = hotspot_gaps(
        hot, town.services, G=town.graph, minutes=minutes, service_types=list(YOUTH_TYPES)
    )
    candidates = town.areas.set_geometry(town.areas.representative_point())
    sites = steps.run(
        "Where would one new site cover most harm? (maximal covering)",
        lambda: (
            suggest_sites(
                candidates[["code", "name", "geometry"]],
                hot_cells,
                G=town.graph,
                minutes=minutes,
                n_sites=1,
                existing=youth,
            )
            if len(hot_cells)
            else None
        ),
    )

    def write_maps() -> dict[str, Path]:
        paths = {
            "hotspot_map": out / "hotspot_map.html",
            "tasking_map": out / "tasking_map.html",
            "reach_map": out / "reach_map.html",
            "provision_map": out / "provision_map.html",
        }
        where = {"area": town.boundary, "wards": town.areas, **options}
        maps.hotspot_map(
            hot,
            title=_title(
                args, f"Synthetic town: violence, drugs and weapons hot spots, {last}", "hot spots"
            ),
            kde=density,
            clusters=clusters.table,
            path=paths["hotspot_map"],
            internal=args.internal,
            **where,
        )
        tasking = {
            "top_n": 10,
            "incidents": month,
            "title": _title(args, f"Synthetic town: tasking, {last}", "tasking"),
            "internal": args.internal,
        }
        maps.tasking_map(hot, path=paths["tasking_map"], **tasking, **where)
        if args.briefing:
            from .briefing import save_tasking_pack

            save_tasking_pack(
                hot, out / "tasking_pack", area=town.boundary, wards=town.areas, **tasking
            )
        maps.reach_map(
            rings,
            targets=reach,
            services=youth,
            gaps=gaps,
            minutes=minutes,
            title=_title(args, "Synthetic town: walking time to youth provision", "reach"),
            path=paths["reach_map"],
            **where,
        )
        maps.provision_map(
            check.services,
            hotspots=hot,
            gaps=gaps,
            test=check.summary,
            title=_title(args, "Synthetic town: is provision in the hot spots?", "provision"),
            path=paths["provision_map"],
            **where,
        )
        gpkg = out / "demo.gpkg"
        gpkg.unlink(missing_ok=True)
        for layer, frame in (
            ("hotspots", hot),
            ("gaps", gaps),
            ("services", check.services),
            ("isochrones", rings),
            ("emerging", emerging),
        ):
            _write_layer(frame, gpkg, layer)
        return paths

    paths = steps.run("Writing maps and the GeoPackage", write_maps)
    summary = check.summary.set_index("service_type")
    lines = [
        "",
        f"Synthetic town (seed {args.seed}), harm in {last}: {len(month):,} incidents",
        _summary_line(
            "hot cells at 99 / 95 / 90 % confidence",
            " / ".join(str(int((hot["gi_bin"] == b).sum())) for b in (3, 2, 1)),
        ),
        _summary_line("DBSCAN clusters", len(clusters.table)),
        _summary_line(
            f"harm in 95 %+ hot cells within {minutes:g} min walk of youth provision",
            f"{cover.share:.0%}",
        ),
        _summary_line("hot spots with no youth provision in reach", len(gaps)),
    ]
    if "community_sport" in summary.index:
        row = summary.loc["community_sport"]
        lines.append(
            _summary_line(
                "community sport sessions in 95 %+ hot spots",
                f"{row['share_in_hotspots']:.0%} (area that is hot: {row['hot_share']:.0%}, p = {row['p_value']:.3f})",
            )
        )
    if sites is not None and len(sites):
        prov = sites.attrs.get("hotspots", {})
        lines.append(
            _summary_line(
                "best new site raises harm covered",
                f"{prov.get('coverage_existing', 0):.0%} -> {prov.get('coverage_with_new', 0):.0%}",
            )
        )
    lines.append(
        _summary_line(
            "emerging categories",
            ", ".join(
                f"{k}: {v}"
                for k, v in emerging["category"].value_counts().items()
                if k != "No pattern detected"
            )
            or "none",
        )
    )
    lines.append(f"\nMaps: {', '.join(str(_shown(args, p)) for p in paths.values())}")
    lines.append(
        f"Layers: {_shown(args, out / 'demo.gpkg')}   (finished in {steps.elapsed():.1f} s)"
    )
    text = "\n".join(lines)
    print(text)
    (out / "summary.txt").write_text(text.strip() + "\n", "utf-8")


def _load_incidents(paths: list[Path], args: Any) -> Any:
    from .police import read_police_csv

    area = _load_area(args.area) if args.area else None
    source: Any = paths[0] if len(paths) == 1 else paths
    crimes = read_police_csv(source, crime_types=args.crime_types, months=args.months, area=area)
    from ._report import get_load_report

    report = get_load_report(crimes)
    if report is not None:
        print(report.summary())
    return crimes, area


def _load_wards(spec: str | None) -> Any:
    """Ward boundaries of a district named by ``--area`` (None when there are none)."""
    from ._errors import HotspotsError

    if not spec or Path(spec).suffix:
        return None
    from .boundaries import load_boundary

    try:
        return load_boundary(spec, level="ward", source="local")
    except HotspotsError:
        return None


def _load_area(spec: str) -> Any:
    path = Path(spec)
    if path.suffix.lower() in {".gpkg", ".geojson", ".json", ".shp", ".parquet"}:
        area = _read_layer(path, "--area")
        return area.to_crs(27700) if area.crs.is_geographic else area
    from .boundaries import load_boundary, resolve_lads

    if resolve_lads(spec) is not None:
        return load_boundary(spec, level="lad")
    for level in ("ward", "msoa", "lsoa"):  # a smaller area the data folder holds
        try:
            return load_boundary(spec, level=level, source="local")
        except DataError:
            continue
    raise DataError(
        f"--area {spec!r} is not a district (LAD) name or code, nor a ward, MSOA or LSOA "
        "name or code in HOTSPOTS_DATA_DIR/boundaries, nor a polygon file (.gpkg, "
        ".geojson, .shp, .parquet). Check the spelling, or pass a polygon file."
    )


def _points_extent(points: Any, cell_size: float) -> Any:
    """Study area when none is given: the hull of where the points are dense.

    Points far from the rest (a stray or mistyped coordinate) are left out, with a
    warning naming them, so one point in the wrong county does not make a grid of
    hundreds of thousands of empty cells.
    """
    import geopandas as gpd
    import numpy as np
    import shapely

    from ._validate import dense_extent

    x, y = points.geometry.x.to_numpy(), points.geometry.y.to_numpy()
    box = dense_extent(x, y)
    keep = np.ones(len(x), dtype=bool)
    if box is not None:
        keep = (x >= box[0]) & (x <= box[2]) & (y >= box[1]) & (y <= box[3])
        stray = np.flatnonzero(~keep)
        if stray.size:
            where = points.iloc[stray[:5]]
            shown = ", ".join(
                f"{line} ({px:.0f}, {py:.0f})"
                for line, px, py in zip(
                    where.get("source_line", where.index),
                    where.geometry.x,
                    where.geometry.y,
                    strict=False,
                )
            )
            warnings.warn(
                f"{stray.size} incident(s) lie far from all the others and are left out of "
                f"the grid (source line and x, y: {shown}{' ...' if stray.size > 5 else ''}). "
                "Pass --area to choose the study area yourself.",
                HotspotsWarning,
                stacklevel=2,
            )
    hull = shapely.convex_hull(shapely.union_all(points.geometry.to_numpy()[keep]))
    return gpd.GeoDataFrame(geometry=[hull.buffer(cell_size)], crs=points.crs)


def run_hotspots(args: Any, steps_cls: Any) -> None:
    """Gi* hot spots and a tasking map from police.uk CSVs."""
    from . import maps
    from .grid import count_points, hex_grid
    from .hotspot import gi_star
    from .tasking import tasking_list

    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    steps = steps_cls(4, quiet=args.quiet)
    crimes, area = steps.run("Reading police data", lambda: _load_incidents(args.crimes, args))
    if len(crimes) == 0:
        raise DataError(
            "no incidents left after filtering; check --crime-type, --month and --area."
        )
    if area is None:
        area = _points_extent(crimes, args.cell_size)
    cells = steps.run(
        "Counting incidents on hexagons",
        lambda: count_points(crimes, hex_grid(area, cell_size=args.cell_size), by="crime_type"),
    )
    with warnings.catch_warnings():
        # kept in the result (attrs) and printed once below, rather than as tracebacks
        warnings.simplefilter("ignore", HotspotsWarning)
        hot = steps.run(
            "Getis-Ord Gi* (exact permutation p-values, FDR)",
            lambda: gi_star(cells, "count", permutations=args.permutations, seed=args.seed),
        )
        places = tasking_list(hot, crimes, top=args.top)

    def write() -> None:
        gpkg = out / "hotspots.gpkg"
        gpkg.unlink(missing_ok=True)
        _write_layer(hot, gpkg, "hotspots")
        hot.drop(columns=[], errors="ignore").to_parquet(out / "hotspots.parquet")
        table = places.drop(columns="geometry").assign(
            crime_mix=places["crime_mix"].map(
                lambda d: "; ".join(f"{k}: {v}" for k, v in d.items())
            ),
            cells=places["cells"].map(lambda c: " ".join(map(str, c))),
        )
        table.to_csv(out / "tasking_list.csv", index=False)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", HotspotsWarning)
            where = {"area": area, "wards": _load_wards(args.area), **_map_options(args)}
            maps.hotspot_map(
                hot,
                title=_title(args, "Hot spots (Getis-Ord Gi*)", "hot spots"),
                path=out / "hotspot_map.html",
                internal=args.internal,
                **where,
            )
            tasking = {
                "top_n": args.top,
                "incidents": crimes,
                "title": _title(args, "Tasking: top hot spots", "tasking"),
                "internal": args.internal,
            }
            maps.tasking_map(hot, path=out / "tasking_map.html", **tasking, **where)
            if args.briefing:
                from .briefing import save_tasking_pack

                save_tasking_pack(
                    hot, out / "tasking_pack", area=area, wards=where["wards"], **tasking
                )

    steps.run("Writing maps and layers", write)
    for note in hot.attrs.get("hotspots", {}).get("warnings", []):
        print(f"warning: {note}")
    print(
        "hot cells at 99 / 95 / 90 % confidence: "
        + " / ".join(str(int((hot["gi_bin"] == b).sum())) for b in (3, 2, 1))
    )
    if len(places):
        print(f"top {len(places)} places for tasking (incidents; kind):")
        for _, row in _rows(places):
            print(f"  {row['number']:>2}. {row['place']}  ({row['incidents']}; {row['kind']})")
    else:
        print("no places for tasking: no significant hot spot and no busy cell")
    shown = ", ".join(
        str(_shown(args, out / f))
        for f in ("hotspots.gpkg", "tasking_list.csv", "hotspot_map.html", "tasking_map.html")
    )
    print(f"wrote {shown}")


def _read_layer(path: Path, what: str) -> Any:
    """A GeoPackage/GeoParquet/GeoJSON/Shapefile layer with a CRS, or a DataError."""
    import geopandas as gpd

    from ._validate import refuse_foreign_file

    if not path.exists():
        raise DataError(f"{what}: file not found: {path}")
    allowed = {"parquet"} if path.suffix.lower() == ".parquet" else {"json", "sqlite", "zip"}
    refuse_foreign_file(path, f"a GIS layer (for {what})", allowed=allowed)
    try:
        layer = gpd.read_parquet(path) if path.suffix.lower() == ".parquet" else gpd.read_file(path)
    except Exception as exc:  # pyogrio/pyarrow raise their own types for foreign files
        raise DataError(
            f"{what}: {path} could not be read as a GIS layer ({type(exc).__name__}: "
            f"{str(exc).splitlines()[0] if str(exc) else ''}). Give a GeoPackage, GeoParquet, "
            "GeoJSON or Shapefile."
        ) from exc
    if not isinstance(layer, gpd.GeoDataFrame) or len(layer) == 0:
        raise DataError(f"{what}: {path} holds no features.")
    if layer.crs is None:
        raise DataError(f"{what}: {path} has no CRS; set one in GIS software first.")
    return layer


def _read_cells(path: Path) -> Any:
    """Cells from a GeoPackage/GeoParquet, with the provenance `_write_layer` stored."""
    cells = _read_layer(path, "cells")
    if path.suffix.lower() == ".gpkg":
        import pyogrio

        meta = pyogrio.read_info(path).get("layer_metadata") or {}
        if PROVENANCE_KEY in meta:
            cells.attrs["hotspots"] = json.loads(meta[PROVENANCE_KEY])
    return cells


def _file_source(kind: str, path: Path) -> str:
    return f"{kind}: {path.name} (supplied by the user)"


def _network(path: Path | None, mode: str) -> Any:
    if path is None:
        from ._streetgraph import DEFAULT_SPEED_KPH

        warnings.warn(
            "no --network given: travel times are straight-line distance x 1.3 at the "
            f"{mode} speed ({DEFAULT_SPEED_KPH[mode]:g} km/h), not street-network times.",
            HotspotsWarning,
            stacklevel=2,
        )
        return None
    from .network import load_network

    return load_network(path, mode=mode)


def _check_reach_args(args: Any) -> float:
    """Check every ``reach`` argument before anything is read or written; the minutes."""
    import math

    minutes = float(args.minutes)
    if not (math.isfinite(minutes) and minutes > 0):
        raise DataError(f"--minutes must be a positive number of minutes, got {args.minutes:g}.")
    for flag, path in (("--services", args.services), ("--targets", args.targets)):
        if not Path(path).is_file():
            raise DataError(f"{flag} {path}: no such file.")
    if args.network is not None and not Path(args.network).is_file():
        raise DataError(
            f"--network {args.network}: no such file. Give a GraphML, .osm or .osm.pbf "
            "file, or leave --network out for straight-line estimates."
        )
    if Path(args.out).exists() and not Path(args.out).is_dir():
        raise DataError(f"--out {args.out} is a file; give a folder for the outputs.")
    return minutes


def run_reach(args: Any, steps_cls: Any) -> None:
    """Minutes from each target to the nearest service, isochrones and gaps."""
    from . import maps
    from ._provenance import add_sources
    from ._streetgraph import DEFAULT_SPEED_KPH, check_direction
    from .provision import read_provision, select_service_types
    from .reach import coverage, isochrones

    minutes = _check_reach_args(args)
    direction = check_direction(getattr(args, "direction", "to_service"))
    out: Path = args.out
    steps = steps_cls(4, quiet=args.quiet)
    services = steps.run("Reading provision", lambda: read_provision(args.services))
    services = select_service_types(services, args.service_types or None)
    targets = _read_cells(args.targets).to_crs(services.crs)
    if "gi_bin" in targets.columns and not args.all_targets:
        targets = targets[targets["gi_bin"] >= 2]  # hot cells at 95 %+ from `hotspots hotspots`
        if len(targets) == 0:
            raise DataError(
                f"{args.targets} has no hot cells at 95 % confidence or more (gi_bin >= 2); "
                "pass --all-targets to measure every cell."
            )
    G = steps.run("Loading the street network", lambda: _network(args.network, args.mode))
    # without a network the straight-line estimate moves at the mode's speed
    speed = DEFAULT_SPEED_KPH[args.mode] if G is None else None
    cover = steps.run(
        "Travel times",
        lambda: coverage(
            targets, services, G=G, minutes=minutes, speed_kph=speed, direction=direction
        ),
    )
    times = cover.table
    rings = None
    if G is not None:
        levels = [m for m in (5.0, 10.0) if m < minutes] + [minutes]
        rings = steps.run(
            "Isochrones", lambda: isochrones(G, services, minutes=levels, direction=direction)
        )
    out.mkdir(parents=True, exist_ok=True)
    gpkg = out / "reach.gpkg"
    gpkg.unlink(missing_ok=True)
    _write_layer(times, gpkg, "travel_times")
    add_sources(services, [_file_source("Services", args.services)])
    add_sources(times, [_file_source("Targets", args.targets)])
    maps.reach_map(
        rings,
        targets=times,
        services=services,
        gaps=cover.uncovered,
        minutes=minutes,
        path=out / "reach_map.html",
        title=_title(args, f"Travel time to services ({args.mode})"),
        **_map_options(args),
    )
    way = "to the nearest service" if direction == "to_service" else "from the nearest service"
    print(
        f"{cover.share:.0%} of targets within {minutes:g} minutes {way} by {args.mode} "
        f"({cover.method}); {len(cover.uncovered)} uncovered"
    )
    print(f"wrote {_shown(args, gpkg)}, {_shown(args, out / 'reach_map.html')}")


def run_provision(args: Any, steps_cls: Any) -> None:
    """Overlay provision on hot spots; list the gaps."""
    from . import maps
    from ._provenance import add_sources
    from .overlay import hotspot_gaps, provision_in_hotspots
    from .provision import read_provision, select_service_types

    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    steps = steps_cls(3, quiet=args.quiet)
    provision = steps.run("Reading provision", lambda: read_provision(args.provision))
    # --service-type narrows the test as well as the gaps
    tested = select_service_types(provision, args.service_types or None)
    hot = _read_cells(args.hotspots).to_crs(provision.crs)
    G = _network(args.network, "walk")
    check = steps.run(
        "Provision in hot spots (permutation test)",
        lambda: provision_in_hotspots(tested, hot, seed=args.seed),
    )
    gaps = steps.run(
        "Hot spots without provision",
        lambda: hotspot_gaps(
            hot, provision, G=G, minutes=args.minutes, service_types=args.service_types
        ),
    )
    check.summary.to_csv(out / "provision_summary.csv", index=False)
    gpkg = out / "provision.gpkg"
    gpkg.unlink(missing_ok=True)
    _write_layer(gaps, gpkg, "gaps")
    _write_layer(check.services, gpkg, "services")
    add_sources(check.services, [_file_source("Provision", args.provision)])
    maps.provision_map(
        check.services,
        hotspots=hot,
        gaps=gaps,
        test=check.summary,
        path=out / "provision_map.html",
        title=_title(args, "Provision and hot spots"),
        **_map_options(args),
    )
    print(check.summary.to_string(index=False))
    print(json.dumps({"gaps": len(gaps)}))
