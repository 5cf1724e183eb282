"""Change over time, gathered under one name for older code.

Period comparison lives in :mod:`hotspots.periods`, space-time statistics (cube,
space-time Gi*, emerging hot spots) in :mod:`hotspots.spacetime`; import from there.
"""

from __future__ import annotations

from .periods import compare_periods
from .spacetime import (
    SpaceTimeCube,
    SpaceTimeGi,
    classify_emerging,
    emerging_hotspots,
    mann_kendall,
    space_time_cube,
    space_time_gi,
)

__all__ = [
    "SpaceTimeCube",
    "SpaceTimeGi",
    "classify_emerging",
    "compare_periods",
    "emerging_hotspots",
    "mann_kendall",
    "space_time_cube",
    "space_time_gi",
]
