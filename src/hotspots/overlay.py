"""Provision overlaid on hot spots: is it in them, and which hot spots lack it?

* :func:`provision_in_hotspots` -- do services sit in the hot spots, more than chance
  (a permutation test)?
* :func:`hotspot_gaps` -- which hot spots have no suitable service within reach?

Provision maps are read by :func:`hotspots.read_provision` (:mod:`hotspots.provision`);
:func:`hotspots.siting.suggest_sites` answers the next question: where would one (or a
few) new sites cover most harm?
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ._errors import DataError, HotspotsWarning
from ._provenance import record
from ._validate import (
    require_columns,
    require_geodataframe,
    require_nonempty,
    require_projected,
    require_same_crs,
)
from .provision import MAX_AGE, known_service_types

if TYPE_CHECKING:
    import geopandas as gpd
    import networkx as nx

__all__ = ["ProvisionCheck", "hotspot_gaps", "provision_in_hotspots"]


def _hot_mask(hotspots: Any, min_bin: int) -> np.ndarray:
    require_columns(hotspots, ["gi_bin"], "hotspots")
    return np.asarray(hotspots["gi_bin"].to_numpy(dtype=float) >= min_bin)


def _check_layers(provision: Any, hotspots: Any) -> tuple[Any, Any]:
    provision = require_geodataframe(provision, "provision")
    hotspots = require_geodataframe(hotspots, "hotspots")
    require_nonempty(hotspots, "hotspots")
    require_projected(hotspots, "hotspots")
    require_projected(provision, "provision")
    require_same_crs(hotspots, provision, ("hotspots", "provision"))
    require_columns(provision, ["service_type"], "provision")
    return provision, hotspots


@dataclass(frozen=True)
class ProvisionCheck:
    """Result of :func:`provision_in_hotspots`.

    Attributes
    ----------
    services : geopandas.GeoDataFrame
        The provision with ``gi_bin`` (bin of the cell it is in; 0 outside every cell),
        ``distance_m`` (or ``minutes``) to the nearest hot cell and ``in_hotspot``.
    summary : pandas.DataFrame
        Per service type and overall (``"all"``): ``n_services``, ``n_in_hotspots``,
        ``share_in_hotspots``, ``hot_share`` (share of the area, or of the candidate
        venues, that counts as "in a hot spot"), ``ratio`` (share / hot share) and
        ``p_value`` of the one-sided permutation test "more concentrated in hot spots
        than chance".
    """

    services: Any
    summary: pd.DataFrame


def provision_in_hotspots(
    provision: gpd.GeoDataFrame,
    hotspots: gpd.GeoDataFrame,
    *,
    within_m: float = 0.0,
    minutes: float | None = None,
    G: nx.MultiDiGraph | None = None,
    min_bin: int = 2,
    candidates: gpd.GeoDataFrame | None = None,
    permutations: int = 999,
    seed: int = 0,
) -> ProvisionCheck:
    """Do services sit in (or near) the hot spots, and more than chance would put them?

    Parameters
    ----------
    provision : GeoDataFrame
        Service points (see :func:`read_provision`).
    hotspots : GeoDataFrame
        Cells from :func:`hotspots.gi_star` (``gi_bin``); together they define the study
        area.
    within_m : float, default 0
        A service within this many metres of a hot cell counts as "in" it.
    minutes : float, optional
        Use travel time instead: a service within ``minutes`` over ``G`` (or, when
        ``G`` is None, straight-line x 1.3 at walking pace) of a hot cell counts as in.
    G : networkx.MultiDiGraph, optional
        Street network for ``minutes``.
    min_bin : int, default 2
        Lowest ``gi_bin`` that counts as hot (2 = 95 % confidence).
    candidates : GeoDataFrame, optional
        Venues where services could have been (schools, halls ...). The permutation test
        then draws relocated services from these; otherwise from anywhere in the area.
    permutations : int, default 999
        Random relocations for the test.
    seed : int, default 0

    Returns
    -------
    ProvisionCheck

    Notes
    -----
    The test statistic is the number of services of a type in hot spots. Under the null,
    each service is relocated independently, uniformly at random over the study area
    (cells' union) or over the candidate venues; the one-sided p-value is
    ``(1 + #{relocated >= observed}) / (1 + permutations)``.
    """
    provision, hotspots = _check_layers(provision, hotspots)
    hot = _hot_mask(hotspots, min_bin)
    rng = np.random.default_rng(seed)
    services = provision.copy()
    study = hotspots.geometry.union_all()
    hot_geom = hotspots.geometry[hot].union_all() if hot.any() else None

    cell_of = _cell_lookup(hotspots, provision.geometry)
    services["gi_bin"] = np.where(
        cell_of >= 0, hotspots["gi_bin"].to_numpy()[np.maximum(cell_of, 0)], 0
    ).astype(int)
    services["outside_area"] = cell_of < 0

    if minutes is not None:
        scores, inside_fn = _reach_to_hot(G, hotspots, hot, services, minutes)
        services["minutes"] = scores
    else:
        if hot_geom is None:
            dist = np.full(len(services), np.inf)
        else:
            dist = services.geometry.distance(hot_geom).to_numpy()
        services["distance_m"] = dist
        zone = hot_geom.buffer(within_m) if (hot_geom is not None and within_m > 0) else hot_geom

        def inside_fn(xy: np.ndarray) -> np.ndarray:
            import shapely

            if zone is None:
                return np.zeros(len(xy), dtype=bool)
            return np.asarray(shapely.contains_xy(zone, xy[:, 0], xy[:, 1]))

        services["in_hotspot"] = dist <= within_m
    if minutes is not None:
        services["in_hotspot"] = services["minutes"].to_numpy() <= minutes
    n_outside = int(services["outside_area"].sum())
    if n_outside:
        warnings.warn(
            f"{n_outside} service(s) lie outside every hotspot cell (the study area); "
            "they count as not in a hot spot and are listed by `outside_area`.",
            HotspotsWarning,
            stacklevel=2,
        )

    # Null distribution: where relocated services land.
    if candidates is not None:
        cand = require_geodataframe(candidates, "candidates")
        require_same_crs(hotspots, cand, ("hotspots", "candidates"))
        require_nonempty(cand, "candidates")
        cand_xy = np.column_stack([cand.geometry.x, cand.geometry.y])
        cand_in = inside_fn(cand_xy)
        hot_share = float(cand_in.mean())

        def draw(n: int) -> np.ndarray:
            return np.asarray(cand_in[rng.integers(0, len(cand_in), size=(permutations, n))])

    else:
        sample = _random_points(hotspots, 20_000, rng)
        sample_in = inside_fn(sample)
        hot_share = float(sample_in.mean())

        def draw(n: int) -> np.ndarray:
            pts = _random_points(hotspots, permutations * n, rng)
            return np.asarray(inside_fn(pts)).reshape(permutations, n)

    rows = []
    groups = [("all", services), *services.groupby("service_type", observed=True)]
    for stype, frame in groups:
        n = len(frame)
        observed = int(frame["in_hotspot"].sum())
        if permutations > 0 and n > 0:
            null = draw(n).sum(axis=1)
            p_value = (1 + int((null >= observed).sum())) / (1 + permutations)
        else:
            p_value = float("nan")
        share = observed / n if n else float("nan")
        rows.append(
            {
                "service_type": stype,
                "n_services": n,
                "n_in_hotspots": observed,
                "share_in_hotspots": share,
                "hot_share": hot_share,
                "ratio": share / hot_share if hot_share > 0 else float("nan"),
                "p_value": p_value,
            }
        )
    summary = pd.DataFrame(rows)
    params = {
        "within_m": within_m,
        "minutes": minutes,
        "min_bin": min_bin,
        "permutations": permutations,
        "null": "candidate venues" if candidates is not None else "uniform over the area",
    }
    record(
        services,
        method="provision in hot spots",
        parameters=params,
        seed=seed,
        inherit=hotspots,
        study_area_km2=float(study.area) / 1e6,
    )
    summary.attrs["hotspots"] = dict(services.attrs["hotspots"])
    return ProvisionCheck(services=services, summary=summary)


def _cell_lookup(cells: Any, points: Any) -> np.ndarray:
    """Positional index of the cell containing each point (-1 if none)."""
    import shapely

    tree = shapely.STRtree(cells.geometry.to_numpy())
    pidx, cidx = tree.query(points.to_numpy(), predicate="intersects")
    out = np.full(len(points), -1, dtype=np.int64)
    # first cell wins for points on a shared edge (deterministic: lowest position)
    order = np.lexsort((cidx, pidx))[::-1]
    out[pidx[order]] = cidx[order]
    return out


def _random_points(cells: Any, n: int, rng: np.random.Generator) -> np.ndarray:
    """Uniform random points over the union of ``cells`` (cells chosen by area)."""
    import shapely

    geoms = cells.geometry.to_numpy()
    areas = shapely.area(geoms)
    bounds = shapely.bounds(geoms)
    out = np.empty((0, 2))
    need = n
    while need > 0:
        k = int(need * 1.4) + 16
        pick = rng.choice(len(geoms), size=k, p=areas / areas.sum())
        b = bounds[pick]
        xs = b[:, 0] + rng.random(k) * (b[:, 2] - b[:, 0])
        ys = b[:, 1] + rng.random(k) * (b[:, 3] - b[:, 1])
        ok = shapely.contains_xy(geoms[pick], xs, ys)
        out = np.vstack([out, np.column_stack([xs[ok], ys[ok]])])
        need = n - len(out)
    return out[:n]


def _reach_to_hot(
    G: Any, hotspots: Any, hot: np.ndarray, services: Any, minutes: float
) -> tuple[np.ndarray, Any]:
    """Minutes from each service to the nearest hot cell, and a test for random points."""
    import geopandas as gpd

    from .reach import travel_times

    if not hot.any():
        return np.full(len(services), np.inf), lambda xy: np.zeros(len(xy), dtype=bool)
    hot_points = gpd.GeoDataFrame(
        geometry=hotspots.geometry[hot].representative_point(), crs=hotspots.crs
    )

    def times(points: Any) -> np.ndarray:
        res = travel_times(G, hot_points, points)
        return np.asarray(res["minutes"].to_numpy(dtype=float))

    def inside(xy: np.ndarray) -> np.ndarray:
        pts = gpd.GeoDataFrame(geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=hotspots.crs)
        return times(pts) <= minutes

    return times(services[["geometry"]]), inside


def _suitable(
    provision: Any, service_types: Any, ages: tuple[int, int] | None
) -> tuple[Any, np.ndarray]:
    keep = np.ones(len(provision), dtype=bool)
    if service_types is not None:
        keep &= provision["service_type"].isin(known_service_types(service_types)).to_numpy()
    if ages is not None:
        lo, hi = ages
        if lo > hi:
            raise DataError(f"ages=({lo}, {hi}): the first age must not exceed the second.")
        require_columns(provision, ["target_age_min", "target_age_max"], "provision")
        amin = provision["target_age_min"].to_numpy(dtype=float, na_value=0)
        amax = provision["target_age_max"].to_numpy(dtype=float, na_value=MAX_AGE)
        keep &= (amin <= hi) & (amax >= lo)
    return provision.loc[keep], keep


def hotspot_gaps(
    hotspots: gpd.GeoDataFrame,
    provision: gpd.GeoDataFrame,
    *,
    G: nx.MultiDiGraph | None = None,
    minutes: float = 15.0,
    service_types: str | list[str] | None = None,
    ages: tuple[int, int] | None = (10, 24),
    min_bin: int = 2,
    harm: str = "count",
    incidents: gpd.GeoDataFrame | None = None,
) -> gpd.GeoDataFrame:
    """Hot spots with no suitable provision within ``minutes``, ranked by harm.

    Parameters
    ----------
    hotspots : GeoDataFrame
        Cells with ``gi_bin`` (from :func:`hotspots.gi_star`).
    provision : GeoDataFrame
        Services (see :func:`read_provision`).
    G : networkx.MultiDiGraph, optional
        Street network; without it, straight-line distance x 1.3 at walking pace
        (labelled ``method="straight-line"``).
    minutes : float, default 15
    service_types : str or list of str, optional
        Which types count as suitable (default: all).
    ages : (int, int) or None, default (10, 24)
        A service is suitable when its target ages overlap this range.
    min_bin : int, default 2
        Lowest ``gi_bin`` that counts as a hot spot (2 = 95 % confidence).
    harm : str, default "count"
        Column ranking the gaps (worst first); ties broken by ``gi_z``.
    incidents : GeoDataFrame, optional
        Incidents with police.uk's ``location`` ("On or near ..."): the commonest one in
        each gap names its street in ``place``, as on the tasking map.

    Returns
    -------
    geopandas.GeoDataFrame
        The hot cells without suitable provision within the threshold, with ``place``
        (the cell's own ``place`` column if it has one, else the street from
        ``incidents``, the Ordnance Survey grid reference of the cell and its id),
        ``minutes_to_service``, ``nearest_service`` (name) and ``method``; same index
        as ``hotspots``, worst first.
    """
    provision, hotspots = _check_layers(provision, hotspots)
    if minutes <= 0:
        raise DataError(f"minutes must be positive, got {minutes}.")
    require_columns(hotspots, [harm], "hotspots")
    suitable, _ = _suitable(provision, service_types, ages)
    hot = hotspots.loc[_hot_mask(hotspots, min_bin)]
    params = {
        "minutes": minutes,
        "service_types": service_types,
        "ages": ages,
        "min_bin": min_bin,
        "n_suitable_services": len(suitable),
    }
    if len(suitable) == 0:
        warnings.warn(
            "no service matches the requested types and ages, so every hot spot is a gap.",
            HotspotsWarning,
            stacklevel=2,
        )
        out = hot.copy()
        out["minutes_to_service"] = np.inf
        out["nearest_service"] = None
        out["method"] = "network" if G is not None else "straight-line"
    else:
        from .reach import travel_times

        tt = travel_times(G, suitable, hot)
        out = hot.copy()
        out["minutes_to_service"] = tt["minutes"].to_numpy(dtype=float)
        nearest = tt["nearest_service"]
        names = suitable["name"] if "name" in suitable.columns else pd.Series(suitable.index)
        out["nearest_service"] = nearest.map(names).to_numpy()
        out["method"] = tt["method"].to_numpy() if "method" in tt.columns else "network"
    gaps = out.loc[~(out["minutes_to_service"].to_numpy() <= minutes)]
    sort_cols = [harm] + (["gi_z"] if "gi_z" in gaps.columns else [])
    gaps = gaps.sort_values(sort_cols, ascending=False, kind="mergesort")
    gaps.insert(0, "place", _places(gaps, incidents))
    return record(gaps, method="hot spots without provision", parameters=params, inherit=hotspots)


def _places(cells: Any, incidents: Any) -> list[str]:
    """Street (commonest police.uk location) and grid reference of each cell, as the
    tasking map names its cells."""
    from ._places import incidents_by_cell, place_texts

    if len(cells) == 0:
        return []
    located = incidents_by_cell(cells, incidents)[1] if incidents is not None else {}
    return place_texts(cells, located, True)
