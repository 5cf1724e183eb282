"""Exceptions and warnings raised by :mod:`hotspots`.

Every exception derives from :class:`HotspotsError` and also from the built-in
exception a caller would naturally catch (``ValueError`` for bad data, ``ImportError``
for a missing optional dependency ...), so ``except ValueError`` keeps working.
"""

from __future__ import annotations

__all__ = [
    "CRSError",
    "DataError",
    "DependencyError",
    "HotspotsError",
    "HotspotsWarning",
    "NetworkError",
    "OfflineError",
]


class HotspotsError(Exception):
    """Base class of every error raised by :mod:`hotspots`."""


class DataError(HotspotsError, ValueError):
    """Input data is unusable: missing columns, unparseable values, empty input.

    The message names the file, row and column where it can.
    """


class CRSError(HotspotsError, ValueError):
    """A coordinate reference system is missing, geographic where metres are needed,
    or differs between layers that must share one."""


class NetworkError(HotspotsError, RuntimeError):
    """A street network is unusable: empty, disconnected, or missing travel times."""


class OfflineError(HotspotsError, ConnectionError):
    """An online resource was needed but the network is unavailable or disabled.

    The message says which file to download and where to put it instead.
    """


class DependencyError(HotspotsError, ImportError):
    """An optional dependency is not installed; the message gives the install command."""


class HotspotsWarning(UserWarning):
    """Something was dropped, adjusted or is doubtful, but the result is still usable."""
