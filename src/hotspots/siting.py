"""Where would one (or a few) new sites cover most harm? Maximal covering location.

:func:`suggest_sites` chooses new sites among candidates (ward centres, community venues,
schools ...) so that, with the services already there kept fixed, the most demand (hot
spots weighted by harm, incidents or young residents) lies within a travel-time threshold.
The optimisation is PySAL spopt's maximal covering location problem (Church & ReVelle
1974), over street-network times or, without a network, the labelled straight-line
estimate of :func:`hotspots.travel_times`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ._errors import DataError
from ._provenance import record
from ._validate import (
    require_columns,
    require_geodataframe,
    require_nonempty,
    require_projected,
    require_same_crs,
)

__all__ = ["suggest_sites"]


def _cost_matrix(G: Any, facilities: Any, demand: Any) -> np.ndarray:
    """Minutes from every demand point (rows) to every facility (columns), in one call."""
    from .reach import travel_time_matrix

    if len(facilities) == 0:
        return np.zeros((len(demand), 0))
    return travel_time_matrix(G, facilities, demand).to_numpy(dtype=float)


def suggest_sites(
    candidates: Any,
    demand: Any,
    *,
    G: Any = None,
    minutes: float = 15.0,
    n_sites: int = 1,
    existing: Any = None,
    weight: str | None = "count",
) -> Any:
    """Where would ``n_sites`` new sites cover most demand? (maximal covering location)

    Solves the maximal covering location problem (Church & ReVelle 1974) with PySAL
    ``spopt.locate.MCLP``: choose ``n_sites`` candidates that, together with the
    ``existing`` services (kept fixed), cover the most demand weight within
    ``minutes``.

    Parameters
    ----------
    candidates : GeoDataFrame
        Possible new sites (points).
    demand : GeoDataFrame
        What should be covered: hot cells (polygons, through a representative point),
        incidents or population points.
    G : networkx.MultiDiGraph, optional
        Street network; without it, straight-line distance x 1.3 at walking pace.
    minutes : float, default 15
    n_sites : int, default 1
    existing : GeoDataFrame, optional
        Services already there; the solution keeps them.
    weight : str or None, default "count"
        Demand column to cover (None: each demand row counts 1).

    Returns
    -------
    geopandas.GeoDataFrame
        The chosen candidates (same index as ``candidates``), ordered by the coverage
        each adds: ``rank``, ``gain`` (demand weight newly covered, in that order),
        ``covered_after`` (cumulative), ``share_after``. ``attrs["hotspots"]`` records
        coverage with the existing services alone and with the new sites.
    """
    import pulp
    from spopt.locate import MCLP

    candidates = require_geodataframe(candidates, "candidates")
    demand = require_geodataframe(demand, "demand")
    require_nonempty(candidates, "candidates")
    require_nonempty(demand, "demand")
    require_projected(demand, "demand")
    require_same_crs(demand, candidates, ("demand", "candidates"))
    if n_sites < 1 or n_sites > len(candidates):
        raise DataError(f"n_sites must be between 1 and {len(candidates)}, got {n_sites}.")
    if weight is None:
        w = np.ones(len(demand))
    else:
        require_columns(demand, [weight], "demand")
        w = pd.to_numeric(demand[weight], errors="coerce").to_numpy(dtype=float)
        if np.isnan(w).any() or (w < 0).any():
            raise DataError(f"demand column {weight!r} must be non-negative numbers.")
    facilities = candidates[["geometry"]]
    n_existing = 0
    if existing is not None and len(existing):
        existing = require_geodataframe(existing, "existing")
        require_same_crs(demand, existing, ("demand", "existing"))
        facilities = pd.concat([existing[["geometry"]], facilities], ignore_index=True)
        n_existing = len(existing)
    cost = _cost_matrix(G, facilities, demand)
    cost = np.where(np.isfinite(cost), cost, 1e9)
    predefined = np.zeros(len(facilities), dtype=int)
    predefined[:n_existing] = 1
    model = MCLP.from_cost_matrix(
        cost,
        w,
        service_radius=float(minutes),
        p_facilities=n_existing + n_sites,
        predefined_facilities_arr=predefined if n_existing else None,
    )
    model.solve(pulp.PULP_CBC_CMD(msg=False))
    chosen = [j for j in range(n_existing, len(facilities)) if model.fac_vars[j].value() > 0.5]

    covers = cost <= minutes
    covered = covers[:, :n_existing].any(axis=1) if n_existing else np.zeros(len(w), bool)
    base = float(w[covered].sum())
    order, gains = [], []
    remaining = list(chosen)
    while remaining:  # report the chosen sites in order of the coverage each adds
        best = max(remaining, key=lambda j: float(w[covers[:, j] & ~covered].sum()))
        gains.append(float(w[covers[:, best] & ~covered].sum()))
        covered = covered | covers[:, best]
        order.append(best)
        remaining.remove(best)
    total = float(w.sum())
    out = candidates.iloc[[j - n_existing for j in order]].copy()
    out["rank"] = np.arange(1, len(out) + 1)
    out["gain"] = gains
    out["covered_after"] = base + np.cumsum(gains)
    out["share_after"] = out["covered_after"] / total if total > 0 else np.nan
    return record(
        out,
        method="maximal covering location (spopt MCLP)",
        parameters={"minutes": minutes, "n_sites": n_sites, "weight": weight},
        inherit=demand,
        coverage_existing=base / total if total > 0 else float("nan"),
        coverage_with_new=float(out["covered_after"].iloc[-1]) / total if total > 0 else 0.0,
        network="street network" if G is not None else "straight-line",
    )
