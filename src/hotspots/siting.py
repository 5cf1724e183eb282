"""Where would one (or a few) new sites cover most harm? Maximal covering location.

:func:`suggest_sites` chooses new sites among candidates (ward centres, community venues,
schools ...) so that, with the services already there kept fixed, the most demand (hot
spots weighted by harm, incidents or young residents) lies within a travel-time threshold.
The optimisation is the maximal covering location problem (Church & ReVelle 1974), over
street-network times or, without a network, the labelled straight-line estimate of
:func:`hotspots.travel_times`. It is the integer programme of PySAL spopt's ``MCLP``
(maximise covered weight; ``p`` facilities; fixed ones kept), built directly in PuLP and
solved with CBC: importing spopt costs about a second (it loads matplotlib), the model
is a few lines, and the tests check the optimum against spopt's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

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

if TYPE_CHECKING:
    import geopandas as gpd
    import networkx as nx

__all__ = ["suggest_sites"]


def _cost_matrix(G: Any, facilities: Any, demand: Any) -> np.ndarray:
    """Minutes from every demand point (rows) to every facility (columns), in one call."""
    from .reach import travel_time_matrix

    if len(facilities) == 0:
        return np.zeros((len(demand), 0))
    return travel_time_matrix(G, facilities, demand).to_numpy(dtype=float)


def _max_covering(covers: np.ndarray, w: np.ndarray, p: int, fixed: int) -> list[int]:
    """Facilities (columns of ``covers``) of an optimal maximal covering solution.

    Maximise ``sum_i w_i y_i`` subject to ``y_i <= sum_{j covers i} x_j``,
    ``sum_j x_j = p``, ``x_j = 1`` for the first ``fixed`` columns, binary ``x`` and ``y``
    (Church & ReVelle 1974; spopt's ``MCLP.from_cost_matrix`` builds the same model).
    """
    import pulp

    n_dem, n_fac = covers.shape
    model = pulp.LpProblem("mclp", pulp.LpMaximize)
    x = [pulp.LpVariable(f"x_{j}", cat="Binary") for j in range(n_fac)]
    y = [pulp.LpVariable(f"y_{i}", cat="Binary") for i in range(n_dem)]
    model += pulp.lpSum(float(w[i]) * y[i] for i in range(n_dem))
    for i in range(n_dem):
        model += pulp.lpSum(x[j] for j in np.flatnonzero(covers[i])) >= y[i]
    model += pulp.lpSum(x) == p
    for j in range(fixed):
        model += x[j] == 1
    status = model.solve(pulp.PULP_CBC_CMD(msg=False))
    if pulp.LpStatus[status] != "Optimal":
        raise DataError(f"the covering problem has no optimal solution ({pulp.LpStatus[status]}).")
    return [j for j in range(n_fac) if (x[j].value() or 0) > 0.5]


def suggest_sites(
    candidates: gpd.GeoDataFrame,
    demand: gpd.GeoDataFrame,
    *,
    G: nx.MultiDiGraph | None = None,
    minutes: float = 15.0,
    n_sites: int = 1,
    existing: gpd.GeoDataFrame | None = None,
    weight: str | None = "count",
) -> gpd.GeoDataFrame:
    """Where would ``n_sites`` new sites cover most demand? (maximal covering location)

    Solves the maximal covering location problem (Church & ReVelle 1974), the model of
    PySAL ``spopt.locate.MCLP``, with PuLP's CBC: choose ``n_sites`` candidates that, together with the
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
    covers = cost <= minutes
    solution = _max_covering(covers, w, n_existing + n_sites, n_existing)
    chosen = [j for j in solution if j >= n_existing]

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
        method="maximal covering location (MCLP, PuLP CBC)",
        parameters={"minutes": minutes, "n_sites": n_sites, "weight": weight},
        inherit=demand,
        coverage_existing=base / total if total > 0 else float("nan"),
        coverage_with_new=float(out["covered_after"].iloc[-1]) / total if total > 0 else 0.0,
        network="street network" if G is not None else "straight-line",
    )
