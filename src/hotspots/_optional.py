"""Import optional dependencies with an install hint."""

from __future__ import annotations

import importlib
from types import ModuleType

from ._errors import DependencyError

__all__ = ["import_optional"]


def import_optional(module: str, *, extra: str, purpose: str) -> ModuleType:
    """Import ``module`` or raise :class:`DependencyError` saying how to install it.

    Parameters
    ----------
    module : str
        Importable module name, e.g. ``"pyrosm"``.
    extra : str
        The ``hotspots`` extra that provides it, e.g. ``"osm"``.
    purpose : str
        What it is needed for, shown in the message.
    """
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise DependencyError(
            f"{purpose} needs the optional package {module!r}. Install it with "
            f"`pip install 'hotspots[{extra}]'` (or `pip install {module}`)."
        ) from exc
