"""The load report every loader attaches: rows read, kept and dropped by reason.

A report is also a plain ``dict`` of JSON values (``source``, ``rows_read``, ``dropped``,
``notes`` ...) kept in step with its attributes, so a loader's result can be saved with
``to_parquet`` / ``to_feather`` (pandas writes ``attrs`` as JSON); reading it back gives
a plain dict that :func:`get_load_report` turns into a report again.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields
from typing import Any

from ._errors import HotspotsWarning

__all__ = ["LoadReport", "get_load_report"]


@dataclass(eq=True)
class LoadReport(dict):  # type: ignore[type-arg]
    """What a loader read, kept and dropped, and why.

    Attributes
    ----------
    source : str
        The file(s) or service read.
    rows_read : int
        Data rows found (header lines excluded).
    dropped : dict of str to list of int
        For each reason, the 1-based line numbers (in the source file, header = line 1)
        or record numbers (for JSON) of the rows dropped for it.
    notes : list of str
        Adjustments that kept rows but changed them (e.g. swapped lon/lat repaired).

    Examples
    --------
    >>> r = LoadReport("crimes.csv", rows_read=3)
    >>> r.drop("no location", [2])
    >>> r.rows_kept, r.n_dropped
    (2, 1)
    >>> import json; json.dumps(r)
    '{"source": "crimes.csv", "rows_read": 3, "dropped": {"no location": [2]}, "notes": []}'
    """

    source: str
    rows_read: int = 0
    dropped: dict[str, list[int]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def __setattr__(self, name: str, value: Any) -> None:
        # every dataclass field is mirrored as a dict item holding the same object, so
        # in-place changes (``dropped.setdefault(...)``) show in the dict as well
        object.__setattr__(self, name, value)
        if name in {f.name for f in fields(self)}:
            self[name] = value

    __hash__ = None  # type: ignore[assignment]

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> LoadReport:
        """Rebuild a report from its dict form (e.g. ``attrs`` read back from Parquet)."""
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})

    def drop(self, reason: str, rows: Iterable[int]) -> None:
        """Record ``rows`` as dropped for ``reason`` (no-op for an empty list)."""
        rows = [int(r) for r in rows]
        if rows:
            self.dropped.setdefault(reason, []).extend(rows)

    def warn(self, message: str, *, stacklevel: int = 2) -> None:
        """Keep ``message`` in :attr:`notes` and raise it as a HotspotsWarning.

        ``stacklevel`` counts as in :func:`warnings.warn` from the caller's frame.
        """
        self.notes.append(message)
        warnings.warn(message, HotspotsWarning, stacklevel=stacklevel + 1)

    @property
    def n_dropped(self) -> int:
        """Total number of rows dropped."""
        return sum(len(v) for v in self.dropped.values())

    @property
    def rows_kept(self) -> int:
        """Rows read minus rows dropped."""
        return self.rows_read - self.n_dropped

    def counts(self) -> dict[str, int]:
        """Number of rows dropped per reason."""
        return {k: len(v) for k, v in self.dropped.items()}

    def merge(self, other: LoadReport) -> LoadReport:
        """Return a report adding ``other`` to this one (row numbers kept as they are)."""
        out = LoadReport(
            source=f"{self.source}; {other.source}" if self.source else other.source,
            rows_read=self.rows_read + other.rows_read,
            dropped={k: list(v) for k, v in self.dropped.items()},
            notes=[*self.notes, *other.notes],
        )
        for k, v in other.dropped.items():
            out.dropped.setdefault(k, []).extend(v)
        return out

    def summary(self) -> str:
        """One human-readable paragraph, e.g. for a notebook or the command line."""
        parts = [f"{self.source}: read {self.rows_read:,}, kept {self.rows_kept:,}"]
        for reason, rows in self.dropped.items():
            shown = ", ".join(map(str, rows[:10])) + (" ..." if len(rows) > 10 else "")
            parts.append(f"dropped {len(rows):,} ({reason}; rows {shown})")
        parts.extend(self.notes)
        return "; ".join(parts)

    def __str__(self) -> str:
        return self.summary()


def get_load_report(obj: Any) -> LoadReport | None:
    """Return the :class:`LoadReport` attached to a loaded (Geo)DataFrame, if any.

    A report read back from Parquet/Feather (a plain dict) is rebuilt as a LoadReport.
    """
    attrs = getattr(obj, "attrs", {})
    report = attrs.get("load_report")
    if isinstance(report, LoadReport):
        return report
    if isinstance(report, Mapping) and "source" in report:
        return LoadReport.from_dict(report)
    return None
