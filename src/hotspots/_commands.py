"""What each ``hotspots`` subcommand does (the argument parsing lives in :mod:`hotspots.cli`)."""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

from ._errors import DataError, HotspotsWarning

__all__ = ["run_demo", "run_hotspots", "run_provision", "run_reach"]

#: Crime types the demo and the monthly job treat as serious-violence related harm.
HARM_TYPES = ("Violence and sexual offences", "Drugs", "Possession of weapons", "Robbery")
YOUTH_TYPES = ("youth_service", "community_sport", "mentoring", "substance_misuse")


def _write_layer(gdf: Any, path: Path, layer: str) -> None:
    """Write a layer that opens in QGIS/ArcGIS (GeoPackage), dropping non-scalar columns."""
    import pandas as pd

    frame = gdf.copy()
    for col in frame.columns:
        if col == frame.geometry.name:
            continue
        if frame[col].dtype == object:
            frame[col] = frame[col].map(lambda v: v if v is None or isinstance(v, str) else str(v))
        elif isinstance(frame[col].dtype, pd.CategoricalDtype):
            frame[col] = frame[col].astype(str)
    frame.attrs = {}
    frame.to_file(path, layer=layer, driver="GPKG")


def _summary_line(label: str, value: Any) -> str:
    return f"  {label:<62} {value}"


def run_demo(args: Any, steps_cls: Any) -> None:
    """The whole pipeline on the synthetic town, offline; maps into ``args.out``."""
    from . import maps
    from .cluster import dbscan_clusters
    from .density import kde
    from .grid import count_points, hex_grid
    from .hotspot import gi_star
    from .provision import hotspot_gaps, provision_in_hotspots
    from .reach import coverage, isochrones
    from .siting import suggest_sites
    from .synthetic import synthetic_town
    from .trend import emerging_hotspots, space_time_cube

    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    steps = steps_cls(11, quiet=args.quiet)
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
        "Getis-Ord Gi* (999 permutations, FDR)",
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
        maps.hotspot_map(
            hot,
            title=f"Synthetic town: violence, drugs and weapons hot spots, {last}",
            kde=density,
            clusters=clusters.table,
            path=paths["hotspot_map"],
        )
        maps.tasking_map(
            hot,
            top_n=10,
            incidents=month,
            title=f"Synthetic town: tasking, {last}",
            path=paths["tasking_map"],
        )
        maps.reach_map(
            rings,
            targets=reach,
            services=youth,
            gaps=gaps,
            minutes=minutes,
            title="Synthetic town: walking time to youth provision",
            path=paths["reach_map"],
        )
        maps.provision_map(
            check.services,
            hotspots=hot,
            title="Synthetic town: is provision in the hot spots?",
            path=paths["provision_map"],
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
    lines.append(f"\nMaps: {', '.join(str(p) for p in paths.values())}")
    lines.append(f"Layers: {out / 'demo.gpkg'}   (finished in {steps.elapsed():.1f} s)")
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


def _load_area(spec: str) -> Any:
    path = Path(spec)
    if path.suffix.lower() in {".gpkg", ".geojson", ".json", ".shp", ".parquet"}:
        import geopandas as gpd

        if not path.exists():
            raise DataError(f"area file not found: {path}")
        area = gpd.read_parquet(path) if path.suffix == ".parquet" else gpd.read_file(path)
        if area.crs is None:
            raise DataError(f"{path} has no CRS; set one in GIS software first.")
        return area.to_crs(27700) if area.crs.is_geographic else area
    from .boundaries import load_boundary

    return load_boundary(spec, level="lad")


def run_hotspots(args: Any, steps_cls: Any) -> None:
    """Gi* hot spots and a tasking map from police.uk CSVs."""
    from . import maps
    from .grid import count_points, hex_grid
    from .hotspot import gi_star

    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    steps = steps_cls(4, quiet=args.quiet)
    crimes, area = steps.run("Reading police data", lambda: _load_incidents(args.crimes, args))
    if len(crimes) == 0:
        raise DataError(
            "no incidents left after filtering; check --crime-type, --month and --area."
        )
    if area is None:
        import geopandas as gpd

        area = gpd.GeoDataFrame(
            geometry=[crimes.union_all().convex_hull.buffer(args.cell_size)], crs=crimes.crs
        )
    cells = steps.run(
        "Counting incidents on hexagons",
        lambda: count_points(crimes, hex_grid(area, cell_size=args.cell_size), by="crime_type"),
    )
    hot = steps.run(
        f"Getis-Ord Gi* ({args.permutations} permutations, FDR)",
        lambda: gi_star(cells, "count", permutations=args.permutations, seed=args.seed),
    )

    def write() -> None:
        gpkg = out / "hotspots.gpkg"
        gpkg.unlink(missing_ok=True)
        _write_layer(hot, gpkg, "hotspots")
        hot.drop(columns=[], errors="ignore").to_parquet(out / "hotspots.parquet")
        maps.hotspot_map(hot, path=out / "hotspot_map.html")
        maps.tasking_map(hot, top_n=args.top, incidents=crimes, path=out / "tasking_map.html")

    steps.run("Writing maps and layers", write)
    print(
        "hot cells at 99 / 95 / 90 % confidence: "
        + " / ".join(str(int((hot["gi_bin"] == b).sum())) for b in (3, 2, 1))
    )
    print(f"wrote {out / 'hotspots.gpkg'}, {out / 'hotspot_map.html'}, {out / 'tasking_map.html'}")


def _read_cells(path: Path) -> Any:
    import geopandas as gpd

    if not path.exists():
        raise DataError(f"file not found: {path}")
    if path.suffix.lower() == ".parquet":
        return gpd.read_parquet(path)
    return gpd.read_file(path)


def _network(path: Path | None, mode: str) -> Any:
    if path is None:
        from ._routing import DEFAULT_SPEED_KPH

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
    from ._routing import DEFAULT_SPEED_KPH, check_direction
    from .provision import read_provision
    from .reach import coverage, isochrones

    minutes = _check_reach_args(args)
    direction = check_direction(getattr(args, "direction", "to_service"))
    out: Path = args.out
    steps = steps_cls(4, quiet=args.quiet)
    services = steps.run("Reading provision", lambda: read_provision(args.services))
    if args.service_types:
        known = sorted(set(services["service_type"].astype(str)))
        services = services[services["service_type"].isin(args.service_types)]
        if len(services) == 0:
            raise DataError(
                f"no service in {args.services} has --service-type {args.service_types}; "
                f"the file has {known}."
            )
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
    maps.reach_map(
        rings,
        targets=times,
        services=services,
        gaps=cover.uncovered,
        minutes=minutes,
        path=out / "reach_map.html",
    )
    way = "to the nearest service" if direction == "to_service" else "from the nearest service"
    print(
        f"{cover.share:.0%} of targets within {minutes:g} minutes {way} by {args.mode} "
        f"({cover.method}); {len(cover.uncovered)} uncovered"
    )
    print(f"wrote {gpkg}, {out / 'reach_map.html'}")


def run_provision(args: Any, steps_cls: Any) -> None:
    """Overlay provision on hot spots; list the gaps."""
    from . import maps
    from .provision import hotspot_gaps, provision_in_hotspots, read_provision

    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    steps = steps_cls(3, quiet=args.quiet)
    provision = steps.run("Reading provision", lambda: read_provision(args.provision))
    hot = _read_cells(args.hotspots).to_crs(provision.crs)
    G = _network(args.network, "walk")
    check = steps.run(
        "Provision in hot spots (permutation test)",
        lambda: provision_in_hotspots(provision, hot, seed=args.seed),
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
    maps.provision_map(check.services, hotspots=hot, path=out / "provision_map.html")
    print(check.summary.to_string(index=False))
    print(json.dumps({"gaps": len(gaps)}))
