"""Progress bars for long steps (tqdm; silent when ``HOTSPOTS_PROGRESS=0``)."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from typing import TypeVar

__all__ = ["progress"]

T = TypeVar("T")


def progress(
    iterable: Iterable[T], *, desc: str, total: int | None = None, enabled: bool | None = None
) -> Iterator[T]:
    """Wrap ``iterable`` in a tqdm progress bar (auto-selects the notebook widget).

    Disabled when ``enabled`` is False, or when ``enabled`` is None and the environment
    variable ``HOTSPOTS_PROGRESS`` is ``0``.
    """
    if enabled is None:
        enabled = os.environ.get("HOTSPOTS_PROGRESS", "1").strip() not in {"0", "false", "no"}
    if not enabled:
        yield from iterable
        return
    from tqdm.auto import tqdm

    yield from tqdm(iterable, desc=desc, total=total, leave=False)
