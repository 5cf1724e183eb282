"""Street networks for travel-time analysis: OpenStreetMap (osmnx, pyrosm), GraphML.

:func:`load_network` turns an area, a local OpenStreetMap extract, a GraphML file or an
existing graph into one kind of graph every other module can use: an osmnx-compatible
``networkx.MultiDiGraph`` in a projected CRS (EPSG:27700 inside Great Britain, else the
UTM zone), with ``length`` (metres) and ``travel_time`` (seconds) on every edge and the
travel mode in ``G.graph["mode"]`` and ``G.graph["speed_kph"]``.

OpenStreetMap data is © OpenStreetMap contributors, ODbL 1.0; graphs built from it
carry ``G.graph["sources"] == ["osm"]`` so maps and reports print the attribution.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import config
from ._errors import CRSError, DataError, HotspotsWarning, NetworkError, OfflineError
from ._optional import import_optional

if TYPE_CHECKING:
    import geopandas as gpd
    import networkx as nx
    from shapely.geometry.base import BaseGeometry

__all__ = ["DEFAULT_SPEED_KPH", "DRIVE_SPEED_KPH", "load_network"]

#: Default speeds (km/h) for walking and cycling.
DEFAULT_SPEED_KPH: dict[str, float] = {"walk": 4.8, "bike": 15.0}
#: Fallback driving speeds (km/h) by OSM ``highway`` type, for edges without ``maxspeed``.
#: Motorways: the national speed limit, 70 mph (112.7 km/h). Trunk roads: 80 km/h, below
#: the 60-70 mph limits because most trunk mileage in towns has junctions, roundabouts
#: and lower posted limits (where OSM gives ``maxspeed`` it is used instead). Links and
#: the rest: typical UK urban speeds, below their limits for junctions and traffic.
DRIVE_SPEED_KPH: dict[str, float] = {
    "motorway": 112.7,
    "motorway_link": 64.0,
    "trunk": 80.0,
    "trunk_link": 56.0,
    "primary": 48.0,
    "primary_link": 40.0,
    "secondary": 48.0,
    "secondary_link": 40.0,
    "tertiary": 40.0,
    "tertiary_link": 32.0,
    "unclassified": 32.0,
    "residential": 32.0,
    "living_street": 16.0,
    "service": 16.0,
}
_DRIVE_FALLBACK_KPH = 32.0
_MODES = ("walk", "bike", "drive")
_OSMNX_TYPE = {"walk": "walk", "bike": "bike", "drive": "drive"}
_PYROSM_TYPE = {"walk": "walking", "bike": "cycling", "drive": "driving"}
_XML_SUFFIXES = (".osm", ".osm.bz2", ".osm.xml", ".xml")
_PBF_SUFFIXES = (".osm.pbf", ".pbf")
_GRAPHML_SUFFIXES = (".graphml",)
# lon/lat box where EPSG:27700 is the right projection (Great Britain, not Ireland)
_GB_BOX = (-8.7, 49.8, 1.9, 61.0)


def load_network(
    source: str | os.PathLike[str] | gpd.GeoDataFrame | gpd.GeoSeries | BaseGeometry | nx.Graph,
    *,
    mode: str = "walk",
    speed_kph: float | None = None,
    network_type: str | None = None,
    retain_all: bool = False,
) -> nx.MultiDiGraph:
    """Load a street network as a projected graph with travel times.

    Parameters
    ----------
    source : str, path, GeoDataFrame, shapely geometry or networkx graph
        * a ``.graphml`` file (e.g. saved with ``osmnx.save_graphml``);
        * a local OpenStreetMap extract: ``.osm``, ``.osm.xml``, ``.osm.bz2`` (read by
          osmnx) or ``.osm.pbf`` (read by pyrosm, ``pip install 'hotspots[osm]'``);
        * an area to download from OpenStreetMap through osmnx: a place name
          (``"Chatham, Kent, England"``) or polygon(s) as a GeoDataFrame/GeoSeries or a
          shapely geometry (a bare geometry is taken to be longitude/latitude).
          Downloads are cached in ``HOTSPOTS_CACHE_DIR/networks/``;
        * a networkx graph (copied, validated and projected if geographic).
    mode : {"walk", "bike", "drive"}, default "walk"
        Travel mode, which sets the network filter and the speeds.
    speed_kph : float, optional
        Constant speed. Default 4.8 km/h walking, 15 km/h cycling; driving uses the
        OSM ``maxspeed`` where given, else :data:`DRIVE_SPEED_KPH` by road type.
    network_type : str, optional
        Override the OSM filter: an osmnx ``network_type`` ("walk", "bike", "drive",
        "all" ...) for downloads, or a pyrosm one ("walking", "cycling", "driving",
        "all") for ``.osm.pbf`` files. Defaults follow ``mode``.
    retain_all : bool, default False
        Keep every disconnected piece. By default only the largest strongly connected
        component is kept, so that every node can reach every other; what is dropped is
        reported with a :class:`~hotspots.HotspotsWarning`.

    Returns
    -------
    networkx.MultiDiGraph
        Projected (``G.graph["crs"]``), with ``length`` (m) and ``travel_time`` (s) on
        every edge, ``G.graph["mode"]``, ``G.graph["speed_kph"]`` (for driving, the
        length-weighted mean speed), ``G.graph["hotspots_source"]`` and
        ``G.graph["sources"]`` (``["osm"]`` for OpenStreetMap data).

    Raises
    ------
    DataError
        Missing file, unsupported file type, bad ``mode`` or ``speed_kph``.
    OfflineError
        A download is needed but ``HOTSPOTS_OFFLINE`` is set or the network is down.
    NetworkError
        The network is empty (no edges).
    CRSError
        A graph without ``G.graph["crs"]``.

    Examples
    --------
    >>> from hotspots.synthetic import synthetic_town
    >>> G = load_network(synthetic_town(0, size_km=1, n_incidents=0, n_hotspots=0).graph,
    ...                  mode="bike")
    >>> G.graph["mode"], G.graph["speed_kph"], G.graph["crs"]
    ('bike', 15.0, 'EPSG:27700')
    """
    import networkx as nx

    if mode not in _MODES:
        raise DataError(f"mode must be one of {_MODES}, got {mode!r}.")
    if speed_kph is not None:
        ok = isinstance(speed_kph, (int, float)) and not isinstance(speed_kph, bool)
        if not ok or not math.isfinite(speed_kph) or speed_kph <= 0:
            raise DataError(f"speed_kph must be a positive number, got {speed_kph!r}.")
    if network_type is not None and not isinstance(network_type, str):
        raise DataError(f"network_type must be a string, got {network_type!r}.")

    if isinstance(source, nx.Graph):
        G, label, sources = _from_graph(source)
    elif isinstance(source, (str, os.PathLike)) and _looks_like_path(source):
        G, label, sources = _from_file(Path(source), mode, network_type)
    elif isinstance(source, str):
        if not source.strip():
            raise DataError("source is an empty string; give a place name, a file or a polygon.")
        G, label, sources = _download({"place": source.strip()}, mode, network_type)
    else:
        G, label, sources = _download({"polygon": _polygon_wkt(source)}, mode, network_type)
    return _finish(
        G,
        mode=mode,
        speed_kph=speed_kph,
        retain_all=retain_all,
        label=label,
        sources=sources,
        warn_projection=isinstance(source, nx.Graph),
    )


# --------------------------------------------------------------------------- sources


def _looks_like_path(source: str | os.PathLike[str]) -> bool:
    if not isinstance(source, str):
        return True
    if "\x00" in source:
        raise DataError("source contains a NUL character; give a place name or a file path.")
    if os.sep in source or "/" in source or Path(source).exists():
        return True
    return re.search(r"\.[A-Za-z0-9]{1,8}$", source.strip()) is not None


def _suffix(path: Path) -> str:
    name = path.name.lower()
    for s in (*_PBF_SUFFIXES, *_XML_SUFFIXES, *_GRAPHML_SUFFIXES):
        if name.endswith(s):
            return s
    return path.suffix.lower()


def _from_file(path: Path, mode: str, network_type: str | None) -> tuple[Any, str, list[str]]:
    import osmnx as ox

    suffix = _suffix(path)
    known = (*_PBF_SUFFIXES, *_XML_SUFFIXES, *_GRAPHML_SUFFIXES)
    if suffix not in known:
        raise DataError(
            f"{path}: unsupported network file type {suffix or '(none)'!r}. Use a GraphML "
            "file (osmnx.save_graphml), an OpenStreetMap extract (.osm, .osm.xml, "
            ".osm.bz2, .osm.pbf), or a place name / polygon to download."
        )
    if not path.is_file():
        raise DataError(f"network file {path} does not exist (or is not a file).")
    if suffix in _GRAPHML_SUFFIXES:
        try:
            G = ox.load_graphml(path)
        except Exception as exc:
            raise DataError(f"{path}: could not read GraphML ({exc}).") from exc
        sources = G.graph.get("sources")
        if isinstance(sources, str):  # GraphML stores graph attributes as text
            sources = _parse_list(sources)
        return G, f"GraphML file {path.name}", list(sources or ["osm"])
    if suffix in _XML_SUFFIXES:
        if network_type is not None:
            warnings.warn(
                "network_type is ignored for .osm XML files: osmnx reads every way in the "
                "file; filter the extract beforehand if needed.",
                HotspotsWarning,
                stacklevel=3,
            )
        try:
            # only walkers ignore one-way streets (as osmnx's own walk network does);
            # cyclists keep them, the same as for downloads and .osm.pbf files
            G = ox.graph_from_xml(
                path, bidirectional=mode == "walk", simplify=True, retain_all=True
            )
        except Exception as exc:
            raise DataError(f"{path}: could not read OpenStreetMap XML ({exc}).") from exc
        return G, f"OpenStreetMap extract {path.name}", ["osm"]
    return _from_pbf(path, mode, network_type), f"OpenStreetMap extract {path.name}", ["osm"]


def _from_pbf(path: Path, mode: str, network_type: str | None) -> Any:
    pyrosm = import_optional("pyrosm", extra="osm", purpose="Reading .osm.pbf extracts")
    ntype = network_type or _PYROSM_TYPE[mode]
    try:
        osm = pyrosm.OSM(str(path))
        nodes, edges = osm.get_network(network_type=ntype, nodes=True)
    except Exception as exc:
        raise DataError(f"{path}: could not read the PBF extract with pyrosm ({exc}).") from exc
    if edges is None or nodes is None or len(edges) == 0:
        raise NetworkError(
            f"{path}: the extract holds no {ntype!r} streets; check the file covers the "
            "area, or pass another network_type."
        )
    G = osm.to_graph(
        nodes,
        edges,
        graph_type="networkx",
        network_type=ntype,
        force_bidirectional=mode == "walk",
        retain_all=True,
        osmnx_compatible=True,
    )
    for _, data in G.nodes(data=True):
        data.pop("geometry", None)  # osmnx rebuilds node geometry from x/y
    G.graph.pop("name", None)
    return G


def _from_graph(G: Any) -> tuple[Any, str, list[str]]:
    import networkx as nx

    if G.is_directed() and G.is_multigraph():
        H = G.copy()
    elif G.is_directed():
        H = nx.MultiDiGraph(G)
    else:
        H = nx.MultiDiGraph(G.to_directed())
    H.graph.update(G.graph)
    sources = G.graph.get("sources") or []
    if isinstance(sources, str):
        sources = _parse_list(sources)
    label = str(G.graph.get("hotspots_source") or f"networkx graph ({type(G).__name__})")
    return H, label, list(sources)


def _parse_list(text: str) -> list[str]:
    try:
        value = json.loads(text.replace("'", '"'))
    except ValueError:
        return [text]
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def _polygon_wkt(source: Any) -> str:
    import geopandas as gpd
    import shapely
    from shapely.geometry.base import BaseGeometry

    if isinstance(source, (gpd.GeoDataFrame, gpd.GeoSeries)):
        if len(source) == 0:
            raise DataError("the area to download is empty (0 rows).")
        if source.crs is None:
            raise CRSError(
                "the area to download has no CRS; set it, e.g. `area.set_crs(27700)` for "
                "British National Grid or `area.set_crs(4326)` for longitude/latitude."
            )
        geom = shapely.union_all(source.to_crs(4326).geometry.to_numpy())
    elif isinstance(source, BaseGeometry):
        geom = source
        minx, miny, maxx, maxy = geom.bounds
        if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
            raise CRSError(
                "a bare shapely geometry is taken as longitude/latitude, but its bounds "
                f"{geom.bounds} are not degrees. Pass a GeoDataFrame with its CRS instead."
            )
    else:
        raise DataError(
            f"cannot load a network from {type(source).__name__}. Give a place name, a "
            "polygon (GeoDataFrame or shapely), a .graphml/.osm/.osm.pbf file or a graph."
        )
    if not geom.is_valid:  # e.g. a boundary whose parts touch: repair it
        geom = shapely.make_valid(geom)
    if geom.geom_type == "GeometryCollection":  # boundary files can mix in lines: no area
        geom = shapely.union_all(
            [g for g in shapely.get_parts(geom) if g.geom_type in ("Polygon", "MultiPolygon")]
        )
    if geom.is_empty or geom.geom_type not in ("Polygon", "MultiPolygon"):
        raise DataError(f"the area to download must be a polygon, got {geom.geom_type}.")
    # full precision: rounding a detailed boundary can make it self-intersect
    return str(shapely.to_wkt(geom, rounding_precision=-1))


def _download(
    query: dict[str, str], mode: str, network_type: str | None
) -> tuple[Any, str, list[str]]:
    import osmnx as ox
    import shapely

    ntype = network_type or _OSMNX_TYPE[mode]
    key = json.dumps({**query, "network_type": ntype, "v": 1}, sort_keys=True)
    digest = hashlib.sha256(key.encode()).hexdigest()[:24]
    path = config.cache_dir() / "networks" / f"{digest}.graphml"
    what = query.get("place") or "the given polygon"
    label = f"OpenStreetMap via osmnx ({what}, network_type={ntype})"
    if path.is_file():
        try:
            return ox.load_graphml(path), label + f" [cache {path.name}]", ["osm"]
        except Exception as exc:  # a broken cache file: drop it and download again
            path.unlink(missing_ok=True)
            warnings.warn(
                f"the cached street network {path} could not be read ({exc}); it was "
                "removed and the network is downloaded again.",
                HotspotsWarning,
                stacklevel=3,
            )
    if config.is_offline():
        raise OfflineError(
            f"downloading the street network for {what} needs the internet, but "
            "HOTSPOTS_OFFLINE is set. Either download it once online and save it with "
            "`osmnx.save_graphml(G, 'area.graphml')`, then call "
            "`load_network('area.graphml')`; or download an .osm.pbf extract covering "
            "the area (e.g. from Geofabrik, download.geofabrik.de) and pass its path."
        )
    try:
        if "place" in query:
            G = ox.graph_from_place(query["place"], network_type=ntype, retain_all=True)
        else:
            poly = shapely.from_wkt(query["polygon"])
            G = ox.graph_from_polygon(poly, network_type=ntype, retain_all=True)
    except (ConnectionError, OSError) as exc:
        raise OfflineError(
            f"could not download the street network for {what} ({exc}). Save a GraphML "
            "file with `osmnx.save_graphml` or use a local .osm.pbf extract instead."
        ) from exc
    except Exception as exc:
        raise NetworkError(f"osmnx could not build a network for {what}: {exc}") from exc
    _save_atomic(G, path)
    return G, label, ["osm"]


def _save_atomic(G: Any, path: Path) -> None:
    """Write ``G`` as GraphML to ``path`` in one step: a reader never sees half a file."""
    import tempfile

    import osmnx as ox

    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.", suffix=".graphml")
    os.close(fd)
    try:
        ox.save_graphml(G, tmp)
        os.replace(tmp, path)
    finally:
        Path(tmp).unlink(missing_ok=True)


# --------------------------------------------------------------------------- finishing


def _finish(
    G: Any,
    *,
    mode: str,
    speed_kph: float | None,
    retain_all: bool,
    label: str,
    sources: list[str],
    warn_projection: bool = False,
) -> nx.MultiDiGraph:
    import networkx as nx
    import osmnx as ox
    import pyproj

    if G.number_of_nodes() == 0 or G.number_of_edges() == 0:
        raise NetworkError(
            f"the street network from {label} is empty ({G.number_of_nodes()} nodes, "
            f"{G.number_of_edges()} edges); check the area, file or network_type."
        )
    crs_value = G.graph.get("crs")
    if crs_value is None:
        raise CRSError(
            f"the graph from {label} has no CRS (G.graph['crs']). Set it, e.g. "
            "G.graph['crs'] = 'EPSG:4326' for longitude/latitude node coordinates."
        )
    for n, d in G.nodes(data=True):
        if "x" not in d or "y" not in d:
            raise NetworkError(f"node {n!r} of {label} has no x/y coordinates.")
        break
    try:
        crs = pyproj.CRS.from_user_input(crs_value)
    except pyproj.exceptions.CRSError as exc:
        raise CRSError(f"the graph from {label} has an unreadable CRS {crs_value!r}.") from exc

    note = ""
    if crs.is_geographic:
        xs = [float(d["x"]) for _, d in G.nodes(data=True)]
        ys = [float(d["y"]) for _, d in G.nodes(data=True)]
        cx, cy = sum(xs) / len(xs), sum(ys) / len(ys)
        in_gb = _GB_BOX[0] <= cx <= _GB_BOX[2] and _GB_BOX[1] <= cy <= _GB_BOX[3]
        in_gb = in_gb and not (cx < -5.3 and 54.0 < cy < 55.4)  # Northern Ireland
        G = ox.project_graph(G, to_crs="EPSG:27700" if in_gb else None)
        target = pyproj.CRS.from_user_input(G.graph["crs"])
        note = f"projected from {crs.to_string()} to {target.to_string()}"
        if warn_projection:
            warnings.warn(
                f"the graph from {label} is in {crs.to_string()} (degrees); {note} so "
                "lengths and travel times are in metres and seconds.",
                HotspotsWarning,
                stacklevel=3,
            )
        crs = target
    else:
        units = {ax.unit_name for ax in crs.axis_info}
        if units and not units <= {"metre", "meter", "m"}:
            raise CRSError(
                f"the graph from {label} is in {crs.to_string()}, whose unit is not the metre;"
                " project it with osmnx.project_graph(G, to_crs=...) first."
            )
    epsg = crs.to_epsg()
    G.graph["crs"] = f"EPSG:{epsg}" if epsg else crs.to_wkt()

    G = _keep_connected(G, retain_all=retain_all, label=label)
    _ensure_lengths(G)
    kph = _add_travel_times(G, mode=mode, speed_kph=speed_kph)
    G.graph["mode"] = mode
    G.graph["speed_kph"] = kph
    G.graph["hotspots_source"] = f"{label}; {note}" if note else label
    G.graph["sources"] = list(dict.fromkeys(sources))
    return nx.MultiDiGraph(G) if not isinstance(G, nx.MultiDiGraph) else G


def _keep_connected(G: Any, *, retain_all: bool, label: str) -> Any:
    import networkx as nx

    comps = list(nx.strongly_connected_components(G))
    if len(comps) <= 1:
        return G
    if retain_all:
        warnings.warn(
            f"the street network from {label} has {len(comps)} strongly connected pieces "
            "(kept, retain_all=True); places on different pieces cannot reach each other.",
            HotspotsWarning,
            stacklevel=4,
        )
        return G
    largest = max(comps, key=len)
    dropped = G.number_of_nodes() - len(largest)
    warnings.warn(
        f"the street network from {label} has {len(comps)} strongly connected pieces; kept "
        f"the largest ({len(largest):,} nodes) and dropped {len(comps) - 1:,} others "
        f"({dropped:,} nodes). Pass retain_all=True to keep them.",
        HotspotsWarning,
        stacklevel=4,
    )
    H = G.subgraph(largest).copy()
    H.graph["nodes_dropped_disconnected"] = dropped
    return H


def _ensure_lengths(G: Any) -> None:
    """Give every edge a finite, positive ``length`` in metres where it has one to give.

    Missing, negative or zero lengths are replaced by the geometry's length, else the
    straight distance between the nodes (zero only where the two nodes coincide).
    """
    nodes = G.nodes
    for u, v, d in G.edges(data=True):
        value = d.get("length")
        try:
            length = float(value)
        except (TypeError, ValueError):
            length = math.nan
        if not math.isfinite(length) or length <= 0:
            # a zero length between two places apart would make a 0-minute trip
            geom = d.get("geometry")
            if geom is not None and hasattr(geom, "length"):
                drawn = float(geom.length)
            else:
                drawn = math.hypot(
                    float(nodes[u]["x"]) - float(nodes[v]["x"]),
                    float(nodes[u]["y"]) - float(nodes[v]["y"]),
                )
            length = drawn
        d["length"] = length


def _first(value: Any) -> Any:
    return value[0] if isinstance(value, list) and value else value


def _add_travel_times(G: Any, *, mode: str, speed_kph: float | None) -> float:
    """Set ``speed_kph`` (drive) and ``travel_time`` (s) on every edge; return the speed."""
    if mode != "drive" or speed_kph is not None:
        kph = float(speed_kph if speed_kph is not None else DEFAULT_SPEED_KPH[mode])
        ms = kph / 3.6
        for _, _, d in G.edges(data=True):
            d["travel_time"] = d["length"] / ms
            if mode == "drive":
                d["speed_kph"] = kph
        return kph
    import osmnx as ox

    for _, _, d in G.edges(data=True):
        d.setdefault("highway", "unclassified")
    try:
        ox.add_edge_speeds(G, hwy_speeds=DRIVE_SPEED_KPH, fallback=_DRIVE_FALLBACK_KPH)
        ox.add_edge_travel_times(G)
    except Exception:  # unparseable maxspeed values etc.: use the table only
        for _, _, d in G.edges(data=True):
            d["speed_kph"] = DRIVE_SPEED_KPH.get(str(_first(d.get("highway"))), _DRIVE_FALLBACK_KPH)
            d["travel_time"] = d["length"] / (d["speed_kph"] / 3.6)
    total_len = sum(d["length"] for _, _, d in G.edges(data=True))
    total_time = sum(d["travel_time"] for _, _, d in G.edges(data=True))
    return float(total_len / total_time * 3.6) if total_time > 0 else _DRIVE_FALLBACK_KPH
