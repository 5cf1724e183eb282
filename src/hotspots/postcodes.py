"""Postcodes to grid references: OS Code-Point Open, or an ONS Postcode Directory extract.

A provision sheet often gives a postcode and no coordinates. :func:`read_postcodes`
reads a postcode lookup and :func:`place_postcodes` places postcodes on it, saying for
each one whether it was found, is terminated, or has no position.

Lookups read:

* **OS Code-Point Open** CSVs as Ordnance Survey ships them: no header row, columns
  ``PC, PQ, EA, NO, CY, RH, LH, CC, DC, WC`` (postcode, positional quality, easting,
  northing ...). Positional quality 90 means "no coordinates". Code-Point Open lists
  live postcodes only, so a terminated postcode is simply unknown there.
* An **ONS Postcode Directory** (ONSPD / NSPL) CSV extract with its header: the postcode
  from ``pcds`` (or ``pcd``, ``pcd2``, ``postcode``), the position from ``oseast1m`` /
  ``osnrth1m`` (or ``easting`` / ``northing``), and ``doterm`` (date of termination)
  marking terminated postcodes, which are reported, not placed.

Postcodes are compared after normalising: upper case, every space removed, then one
space before the last three characters (``"me4 4ug"``, ``"ME44UG"`` and ``"ME4  4UG"``
are all ``"ME4 4UG"``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ._errors import DataError

__all__ = ["normalise_postcode", "place_postcodes", "read_postcodes"]

_CODEPOINT_COLUMNS = ("PC", "PQ", "EA", "NO", "CY", "RH", "LH", "CC", "DC", "WC")
_ONSPD_POSTCODE = ("pcds", "pcd", "pcd2", "postcode")
_ONSPD_EAST = ("oseast1m", "easting")
_ONSPD_NORTH = ("osnrth1m", "northing")
#: Code-Point Open positional quality meaning "no coordinates".
_NO_POSITION = 90


def normalise_postcode(values: Any) -> pd.Series:
    """Upper case, spaces removed, one space before the inward code (last 3 characters).

    Parameters
    ----------
    values : array-like of str
        Postcodes as typed; missing values become ``""``.

    Returns
    -------
    pandas.Series of str

    Examples
    --------
    >>> normalise_postcode(["me4 4ug", " ME44UG ", "ME4  4UG", "ME10 1AA", ""]).tolist()
    ['ME4 4UG', 'ME4 4UG', 'ME4 4UG', 'ME10 1AA', '']
    """
    s = pd.Series(values, dtype=object).fillna("").astype(str)
    s = s.str.upper().str.replace(r"\s+", "", regex=True)
    return s.where(s.str.len() < 5, s.str[:-3] + " " + s.str[-3:])


def _files(path: Path) -> list[Path]:
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.suffix.lower() == ".csv" and p.is_file())
        # Code-Point Open ships documentation CSVs (column headers) beside the data
        files = [p for p in files if not p.name.lower().startswith("codepoint_doc")]
        if not files:
            raise DataError(f"no postcode CSV files in {path}.")
        return files
    if not path.exists():
        raise DataError(f"postcode file not found: {path}")
    return [path]


def _read_one(path: Path) -> pd.DataFrame:
    head = pd.read_csv(path, nrows=0, dtype=str)
    names = [str(c).strip().lower() for c in head.columns]
    pc = next((c for c in _ONSPD_POSTCODE if c in names), None)
    ea = next((c for c in _ONSPD_EAST if c in names), None)
    no = next((c for c in _ONSPD_NORTH if c in names), None)
    if pc and ea and no:  # an ONS Postcode Directory extract (header row)
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        frame.columns = names
        east = pd.to_numeric(frame[ea], errors="coerce").astype(float)
        north = pd.to_numeric(frame[no], errors="coerce").astype(float)
        term = frame["doterm"].str.strip() != "" if "doterm" in names else False
        return pd.DataFrame(
            {
                "postcode": normalise_postcode(frame[pc]),
                "easting": east,
                "northing": north,
                "terminated": np.broadcast_to(term, len(frame)).copy(),
            }
        )
    if len(head.columns) != len(_CODEPOINT_COLUMNS):
        raise DataError(
            f"{path.name} is neither an OS Code-Point Open CSV (no header, 10 columns "
            "PC, PQ, EA, NO, ...) nor an ONS Postcode Directory extract (a header with "
            "pcds, oseast1m and osnrth1m)."
        )
    frame = pd.read_csv(path, header=None, names=list(_CODEPOINT_COLUMNS), dtype=str)
    quality = pd.to_numeric(frame["PQ"], errors="coerce")
    east = pd.to_numeric(frame["EA"], errors="coerce").astype(float)
    north = pd.to_numeric(frame["NO"], errors="coerce").astype(float)
    no_pos = (quality == _NO_POSITION).to_numpy()
    return pd.DataFrame(
        {
            "postcode": normalise_postcode(frame["PC"]),
            "easting": east.mask(no_pos),
            "northing": north.mask(no_pos),
            "terminated": False,
        }
    )


def read_postcodes(path: str | Path | None = None) -> pd.DataFrame:
    """Read a postcode lookup: OS Code-Point Open CSVs or an ONS Postcode Directory extract.

    Parameters
    ----------
    path : str or Path, optional
        A CSV file, or a folder of them (Code-Point Open ships one per postcode area).
        Default: ``postcodes/`` in ``HOTSPOTS_DATA_DIR``.

    Returns
    -------
    pandas.DataFrame
        Indexed by normalised postcode, columns ``easting``, ``northing`` (British National
        Grid metres; NaN where the source gives no position) and ``terminated`` (bool).
        ``attrs["source"]`` names the files.

    Raises
    ------
    DataError
        Missing file or folder, or a CSV of neither layout.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "pc.csv"
    >>> _ = f.write_text('"ME4 4UG",10,576338,168979,"E92000001","","","","E06000035",""\\n')
    >>> read_postcodes(f).loc["ME4 4UG", ["easting", "northing"]].tolist()
    [576338.0, 168979.0]
    """
    if path is None:
        from .config import data_path

        path = data_path("postcodes")
    files = _files(Path(path))
    table = pd.concat([_read_one(p) for p in files], ignore_index=True)
    table = table.loc[table["postcode"] != ""]
    # a live entry wins over a terminated one of the same postcode (ONSPD keeps both
    # when a postcode was reused)
    table = table.sort_values("terminated", kind="stable").drop_duplicates("postcode")
    out = table.set_index("postcode")[["easting", "northing", "terminated"]]
    out.attrs["source"] = ", ".join(str(p) for p in files)
    return out


def place_postcodes(postcodes: Any, lookup: pd.DataFrame) -> pd.DataFrame:
    """Easting and northing of each postcode, and why one could not be placed.

    Parameters
    ----------
    postcodes : array-like of str
        As typed (normalised here).
    lookup : pandas.DataFrame
        From :func:`read_postcodes`.

    Returns
    -------
    pandas.DataFrame
        One row per input (same order): ``postcode`` (normalised), ``easting``,
        ``northing`` (NaN when not placed) and ``status``: ``"placed"``, ``"blank"``,
        ``"unknown"`` (not in the lookup), ``"terminated"`` or ``"no position"``.

    Examples
    --------
    >>> table = pd.DataFrame(
    ...     {"easting": [576338.0], "northing": [168979.0], "terminated": [False]},
    ...     index=pd.Index(["ME4 4UG"], name="postcode"),
    ... )
    >>> place_postcodes(["me44ug", "ZZ1 1ZZ", ""], table)["status"].tolist()
    ['placed', 'unknown', 'blank']
    """
    pc = normalise_postcode(postcodes).reset_index(drop=True)
    pos = lookup.index.get_indexer(pd.Index(pc))
    found = pos >= 0
    take = np.maximum(pos, 0)
    east = np.where(found, lookup["easting"].to_numpy(dtype=float)[take], np.nan)
    north = np.where(found, lookup["northing"].to_numpy(dtype=float)[take], np.nan)
    terminated = found & lookup["terminated"].to_numpy(dtype=bool)[take]
    status = np.select(
        [
            (pc == "").to_numpy(),
            ~found,
            terminated,
            ~(np.isfinite(east) & np.isfinite(north)),
        ],
        ["blank", "unknown", "terminated", "no position"],
        default="placed",
    )
    placed = status == "placed"
    return pd.DataFrame(
        {
            "postcode": pc,
            "easting": np.where(placed, east, np.nan),
            "northing": np.where(placed, north, np.nan),
            "status": status,
        }
    )
