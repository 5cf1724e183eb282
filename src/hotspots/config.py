"""Settings read from the environment.

=====================  ==============================================================
variable               meaning
=====================  ==============================================================
``HOTSPOTS_DATA_DIR``  folder holding reference data (boundaries, crime, deprivation,
                       population ...) in the layout described in ``boundaries/README.md``
``HOTSPOTS_CACHE_DIR`` folder for cached downloads (default: ``~/.cache/hotspots``)
``HOTSPOTS_OFFLINE``   ``1``/``true``/``yes`` forbids every network access
=====================  ==============================================================

The functions read the environment on every call, so a notebook can change a setting
with ``os.environ[...] = ...`` without restarting.
"""

from __future__ import annotations

import os
from pathlib import Path

from ._errors import DataError

__all__ = ["cache_dir", "data_dir", "data_path", "is_offline"]

_TRUE = {"1", "true", "yes", "on"}


def data_dir(*, required: bool = True) -> Path | None:
    """Return the reference-data folder named by ``HOTSPOTS_DATA_DIR``.

    Parameters
    ----------
    required : bool, default True
        Raise :class:`~hotspots.DataError` when the variable is unset or the folder is
        missing; otherwise return ``None``.

    Returns
    -------
    pathlib.Path or None
    """
    value = os.environ.get("HOTSPOTS_DATA_DIR", "").strip()
    if not value:
        if required:
            raise DataError(
                "HOTSPOTS_DATA_DIR is not set. Point it at a folder of reference data, "
                "e.g. `export HOTSPOTS_DATA_DIR=$PWD/../shared/data` (see boundaries/README.md)."
            )
        return None
    path = Path(value).expanduser()
    if not path.is_dir():
        if required:
            where = "" if path.is_absolute() else f" (relative paths start from {Path.cwd()})"
            raise DataError(f"HOTSPOTS_DATA_DIR={value!r} is not a folder{where}.")
        return None
    return path


def data_path(relative: str | os.PathLike[str]) -> Path:
    """Return the path of a file inside ``HOTSPOTS_DATA_DIR``, checking it exists.

    Parameters
    ----------
    relative : str or path-like
        Path relative to the data folder, e.g. ``"crime/medway_street_crime_api_2018-06.json"``.

    Returns
    -------
    pathlib.Path

    Raises
    ------
    DataError
        If the data folder or the file is missing; the message says what to put where.
    """
    root = data_dir(required=True)
    assert root is not None  # required=True raises instead of returning None
    path = root / relative
    if not path.exists():
        raise DataError(f"{relative} was not found in HOTSPOTS_DATA_DIR ({root}).")
    return path


def cache_dir() -> Path:
    """Return (and create) the download cache folder, ``HOTSPOTS_CACHE_DIR``."""
    value = os.environ.get("HOTSPOTS_CACHE_DIR", "").strip()
    path = Path(value).expanduser() if value else Path.home() / ".cache" / "hotspots"
    path.mkdir(parents=True, exist_ok=True)
    return path


def is_offline() -> bool:
    """Return True when ``HOTSPOTS_OFFLINE`` forbids network access."""
    return os.environ.get("HOTSPOTS_OFFLINE", "").strip().lower() in _TRUE
