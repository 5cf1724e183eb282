"""LSOA code vintages (2011 and 2021 census) and the ONS best-fit lookup between them.

Most LSOAs kept their code in 2021. Some 2011 LSOAs were split (their code disappears;
two or more new codes appear), a few were merged. The ONS *best-fit* lookup gives each
2011 LSOA exactly one 2021 LSOA; the other parts of a split have no row in it, so they
are tied to their 2011 parent here by point in polygon (the 2011 LSOA that contains the
part's representative point).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from . import config
from ._errors import DataError

__all__ = ["best_fit_lookup", "code_vintage", "parents_2011"]

_FILES = (
    "lookups/kent_medway_lsoa11_to_lsoa21_best_fit.csv",
    "lookups/ons_lsoa11_to_lsoa21_best_fit_lad22_ew_v2.csv.gz",
)


@functools.lru_cache(maxsize=4)
def _read(relative: str) -> pd.DataFrame:
    path = config.data_path(relative)
    try:
        df = pd.read_csv(path, dtype=str, encoding="utf-8-sig", keep_default_na=False)
    except (OSError, ValueError) as exc:
        raise DataError(f"Could not read the LSOA lookup {path}: {exc}") from exc
    missing = [c for c in ("LSOA11CD", "LSOA21CD") if c not in df.columns]
    if missing:
        raise DataError(f"{path} has no column(s) {missing}; is it the ONS best-fit lookup?")
    out = df[["LSOA11CD", "LSOA21CD"]].rename(
        columns={"LSOA11CD": "lsoa11_code", "LSOA21CD": "lsoa21_code"}
    )
    out = pd.DataFrame({c: out[c].str.strip() for c in out.columns})
    out.attrs["source"] = relative
    return out


def best_fit_lookup(codes: Iterable[str] = ()) -> pd.DataFrame:
    """The ONS LSOA 2011 -> 2021 best-fit lookup (``lsoa11_code``, ``lsoa21_code``).

    The Kent and Medway subset is used when it holds every code in ``codes``, else the
    England and Wales file. ``attrs["source"]`` names the file.
    """
    wanted = set(codes)
    root = config.data_dir()
    assert root is not None  # data_dir() raises instead
    best: pd.DataFrame | None = None
    best_n = -1
    for relative in _FILES:
        if not (root / relative).exists():
            continue
        table = _read(relative)
        # parts of a split that the best-fit lookup omits are in no file: take the
        # first (smallest) file that knows as many of the codes as any
        n = len(wanted & (set(table["lsoa11_code"]) | set(table["lsoa21_code"])))
        if n > best_n:
            best, best_n = table, n
    if best is None:
        raise DataError(
            f"No LSOA 2011 -> 2021 lookup in HOTSPOTS_DATA_DIR ({root}); put the ONS best-fit "
            f"lookup at {_FILES[-1]}."
        )
    return best


def code_vintage(codes: Iterable[str], level: str | None = None) -> int:
    """2011 or 2021: the census vintage of a set of LSOA codes.

    ``level`` ``"lsoa21"`` (from :func:`~hotspots.load_boundary`) means 2021 and
    ``"lsoa"`` 2011. Otherwise the codes decide: any code that exists only in 2021 (or
    only in 2011) settles it; codes common to both (unchanged LSOAs) read as 2011.
    """
    if level == "lsoa21":
        return 2021
    if level == "lsoa":
        return 2011
    have = set(codes)
    lookup = best_fit_lookup(have)
    codes11, codes21 = set(lookup["lsoa11_code"]), set(lookup["lsoa21_code"])
    if have - codes11 - codes21:
        # parts of a split are in no best-fit column: IMD 2025 lists every 2021 code
        from .context import load_imd

        codes21 |= set(load_imd(year=2025)["lsoa_code"])
    only21, only11 = codes21 - codes11, codes11 - codes21
    n21, n11 = len(have & only21), len(have & only11)
    if n21 and n11:
        raise DataError(
            f"the LSOA codes mix vintages: {n11} exist only in 2011 (e.g. "
            f"{sorted(have & only11)[0]}) and {n21} only in 2021 (e.g. "
            f"{sorted(have & only21)[0]}). Use one set of boundaries, e.g. "
            "load_boundary(..., level='lsoa21')."
        )
    return 2021 if n21 else 2011


def parents_2011(areas21: Any, lookup: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """Each 2021 LSOA's 2011 parent(s): ``lsoa21_code``, ``lsoa11_code``, ``how``.

    ``how`` is ``"best fit"`` (a row of the ONS lookup) or ``"point in polygon"`` (a part
    of a split, absent from the best-fit lookup, tied to the 2011 LSOA containing its
    representative point; needs ``areas21`` geometries and the 2011 boundaries). The
    second value lists 2021 codes that found no parent.
    """
    codes = pd.Index(areas21["code"].astype(str))
    fit = lookup[lookup["lsoa21_code"].isin(codes)][["lsoa21_code", "lsoa11_code"]]
    fit = fit.assign(how="best fit")
    orphans = [c for c in codes.unique() if c not in set(fit["lsoa21_code"])]
    found: list[pd.DataFrame] = [fit]
    lost: list[str] = []
    if orphans:
        from .boundaries import load_boundary

        lads = sorted({str(v) for v in areas21.get("lad_code", pd.Series()).dropna()})
        try:
            old = (
                pd.concat([load_boundary(lad, level="lsoa", source="local") for lad in lads])
                if lads
                else load_boundary(None, level="lsoa", source="local")
            )
        except DataError:
            return fit.reset_index(drop=True), orphans
        rows = areas21[areas21["code"].astype(str).isin(orphans)]
        pts = rows.geometry.to_crs(old.crs).representative_point().to_numpy()
        import shapely

        geoms = old.geometry.to_numpy()
        tree = shapely.STRtree(geoms)
        pairs = tree.query(pts, predicate="within")
        first = pd.Series(pairs[1], index=pairs[0]).groupby(level=0).first()
        for i, code in enumerate(rows["code"].astype(str)):
            if i in first.index:
                parent = str(old["code"].iloc[int(first[i])])
                found.append(
                    pd.DataFrame(
                        {
                            "lsoa21_code": [code],
                            "lsoa11_code": [parent],
                            "how": ["point in polygon"],
                        }
                    )
                )
            else:
                lost.append(code)
    out = pd.concat(found, ignore_index=True).drop_duplicates(["lsoa21_code", "lsoa11_code"])
    return out.reset_index(drop=True), lost


def carry_population(
    parents: pd.DataFrame, population: pd.DataFrame, columns: list[str]
) -> pd.DataFrame:
    """Population of 2021 LSOAs from their 2011 parents.

    A 2011 LSOA's population is shared equally among its 2021 parts (ONS split LSOAs
    whose population outgrew the limit into parts of similar size); a 2021 LSOA with
    several 2011 parents (a merge) gets their sum. Returns one row per ``lsoa21_code``.
    """
    n_parts = parents.groupby("lsoa11_code")["lsoa21_code"].transform("nunique")
    pop = population.set_index("lsoa_code")[columns]
    share = pop.reindex(parents["lsoa11_code"]).to_numpy(dtype=float) / n_parts.to_numpy()[:, None]
    frame = pd.DataFrame(share, columns=columns)
    frame["lsoa21_code"] = parents["lsoa21_code"].to_numpy()
    summed = frame.groupby("lsoa21_code")[columns].sum(min_count=1)
    summed["n_parents"] = parents.groupby("lsoa21_code").size()
    summed["split_parts"] = n_parts.groupby(parents["lsoa21_code"].to_numpy()).max()
    return summed.astype({"n_parents": "int64"}).assign(
        split_parts=lambda d: d["split_parts"].astype(np.int64)
    )
