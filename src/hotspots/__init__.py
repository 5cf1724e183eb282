"""hotspots: geospatial hotspot and service-coverage analysis.

Where is harm concentrated (Getis-Ord Gi*, local Moran, kernel density, DBSCAN/HDBSCAN),
who can reach help over the street network, and does provision sit where the harm is.

Functions are imported lazily, so ``import hotspots`` is quick; each lives in a module
named for its job (``hotspots.police``, ``hotspots.hotspot``, ``hotspots.reach`` ...).
"""

from __future__ import annotations

import importlib
from typing import Any

from ._errors import (
    CRSError,
    DataError,
    DependencyError,
    HotspotsError,
    HotspotsWarning,
    NetworkError,
    OfflineError,
)
from ._report import LoadReport, get_load_report

__version__ = "0.1.0"

# public name -> module that defines it
_LAZY: dict[str, str] = {
    # data in
    "read_police_csv": "police",
    "read_police_api": "police_api",
    "fetch_police_api": "police_api",
    "read_incidents": "incidents",
    "load_boundary": "boundaries",
    "load_imd": "context",
    "load_population": "context",
    "area_context": "context",
    "add_rates": "rates",
    "poisson_interval": "rates",
    "area_population": "rates",
    "count_in_lsoas": "context",
    "population_aged": "context",
    "read_police_dask": "national",
    "count_points_dask": "national",
    "synthetic_town": "synthetic",
    # cells and statistics
    "square_grid": "grid",
    "hex_grid": "grid",
    "count_points": "grid",
    "cells_from_index": "grid",
    "gi_star": "hotspot",
    "optimized_hotspots": "optimized",
    "local_moran": "hotspot",
    "kde": "density",
    "dbscan_clusters": "cluster",
    "hdbscan_clusters": "cluster",
    "Clusters": "cluster",
    "compare_periods": "periods",
    "space_time_cube": "spacetime",
    "space_time_gi": "spacetime",
    "emerging_hotspots": "spacetime",
    "hit_rate": "evaluate",
    "pai": "evaluate",
    "pei": "evaluate",
    "rri": "evaluate",
    "backtest": "evaluate",
    "tasking_list": "tasking",
    "forecast_cells": "forecast",
    # relations, repeats and timing
    "colocation_quotient": "relate",
    "bivariate_moran": "relate",
    "knox_test": "nearrepeat",
    "near_repeat_table": "nearrepeat",
    "time_profile": "timeprofile",
    "time_summary": "timeprofile",
    "time_profile_chart": "timeprofile",
    "aoristic_weights": "timeprofile",
    "concentration": "concentration",
    "concentration_curve": "concentration",
    "relation_map": "relate",
    # reach and provision
    "load_network": "network",
    "travel_times": "reach",
    "travel_time_matrix": "reach",
    "isochrones": "reach",
    "coverage": "reach",
    "Coverage": "reach",
    "read_provision": "provision",
    "provision_in_hotspots": "overlay",
    "hotspot_gaps": "overlay",
    "suggest_sites": "siting",
    "example_provision": "provision",
    "select_service_types": "provision",
    "read_postcodes": "postcodes",
    "place_postcodes": "postcodes",
    "normalise_postcode": "postcodes",
    # maps
    "hotspot_map": "maps",
    "tasking_map": "maps",
    "reach_map": "maps",
    "provision_map": "maps",
    "rate_map": "ratemap",
    "save_tasking_pack": "briefing",
}

__all__ = [
    "CRSError",
    "DataError",
    "DependencyError",
    "HotspotsError",
    "HotspotsWarning",
    "LoadReport",
    "NetworkError",
    "OfflineError",
    "__version__",
    "get_load_report",
    *_LAZY,
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'hotspots' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
