"""Deprivation (IMD) and population by LSOA, and rates per 1,000 residents.

The files are read from ``HOTSPOTS_DATA_DIR``:

* ``deprivation/imd2019_england_lsoa11.csv.gz`` (or the Kent and Medway subset
  ``deprivation/imd2019_kent_medway_lsoa11.csv`` when it covers the request) and
  ``deprivation/imd2025_england_lsoa21.csv.gz``;
* ``population/population_mid<YEAR>_lsoa11_kent_medway.csv``, falling back to
  ``population/population_mid<YEAR>_lsoa11_england_wales.csv.gz``.

Code vintages matter: IMD 2019 and the population estimates use **2011** LSOA codes;
the English Indices of Deprivation 2025 use **2021** LSOA codes. Most Kent and Medway
LSOAs kept their code in 2021, but split or merged ones did not. :func:`area_context`
joins each table on its own vintage (``load_boundary(level="lsoa")`` or
``level="lsoa21"``) and carries values across with the ONS best-fit lookup where the
vintages differ, stating the method; :func:`count_in_lsoas` counts incidents whose
police.uk LSOA codes are of either vintage. Rates and their intervals are in
:mod:`hotspots.rates`.
"""

from __future__ import annotations

import functools
import re
import warnings
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from . import config
from ._errors import DataError, HotspotsWarning
from ._provenance import record
from ._report import LoadReport
from ._validate import require_columns, require_geodataframe, snake_case
from .rates import add_rates  # re-exported: rates moved to hotspots.rates

if TYPE_CHECKING:
    import geopandas as gpd

__all__ = [
    "add_rates",
    "area_context",
    "count_in_lsoas",
    "load_imd",
    "load_population",
    "population_aged",
]

_IMD_FILES = {
    2019: (
        "deprivation/imd2019_kent_medway_lsoa11.csv",
        "deprivation/imd2019_england_lsoa11.csv.gz",
    ),
    2025: (None, "deprivation/imd2025_england_lsoa21.csv.gz"),
}
_LSOA_VINTAGE = {2019: 2011, 2025: 2021}
_LOOKUP = "lookups/lsoa11_to_lad21_england_wales.csv"
_CODE_RE = re.compile(r"^[EW]01\d{6}$")


def _read_csv(relative: str) -> tuple[pd.DataFrame, Path]:
    path = config.data_path(relative)
    return _read_cached(str(path), path.stat().st_mtime_ns).copy(), path


@functools.lru_cache(maxsize=8)
def _read_cached(path: str, mtime_ns: int) -> pd.DataFrame:
    """Read a CSV once per file version; code and name columns stay text."""
    try:
        head = pd.read_csv(path, nrows=0).columns
        text = {c: str for c in head if re.search(r"(code|name|CD|NM)$", str(c))}
        return pd.read_csv(path, dtype=text, keep_default_na=False)
    except (OSError, ValueError, pd.errors.ParserError) as exc:
        raise DataError(f"Could not read {path}: {exc}") from exc


def _to_int(df: pd.DataFrame, columns: Iterable[str], path: Path) -> pd.DataFrame:
    """Convert ``columns`` to integers, naming file line and column of a bad cell."""
    out = df.copy()
    for col in columns:
        if pd.api.types.is_integer_dtype(out[col]):
            out[col] = out[col].astype("int64")
            continue
        text = out[col].astype(str).str.strip()
        values = pd.to_numeric(text, errors="coerce")
        bad = values.isna() | (values.fillna(0) % 1 != 0)
        if bool(bad.any()):
            pos = int(np.flatnonzero(bad.to_numpy())[0])
            raise DataError(
                f"{path}: line {pos + 2}, column {col!r} holds {text.iloc[pos]!r}, not a whole "
                f"number ({int(bad.sum())} bad cell(s) in that column). Fix the file."
            )
        out[col] = values.astype("int64")
    return out


def _check_unique(codes: pd.Series, path: Path | str) -> None:
    dup = codes[codes.duplicated(keep=False)]
    if len(dup):
        raise DataError(
            f"{path} lists {dup.nunique()} LSOA code(s) more than once "
            f"({', '.join(sorted(dup.unique())[:10])}); each LSOA must appear once."
        )


def _lad_codes(areas: str | Iterable[str]) -> tuple[set[str] | None, set[str] | None]:
    """Split ``areas`` into (LAD codes, LSOA codes)."""
    from .boundaries import AREA_GROUPS, KNOWN_LADS, resolve_lads

    items = [areas] if isinstance(areas, str) else [str(a) for a in areas]
    if not items:
        raise DataError("areas is empty; give district names/codes or LSOA codes, or None.")
    lads: set[str] = set()
    lsoas: set[str] = set()
    for item in items:
        if _CODE_RE.match(item.strip()):
            lsoas.add(item.strip())
            continue
        codes = resolve_lads(item)
        if codes is None:
            import difflib

            close = difflib.get_close_matches(
                item, [*KNOWN_LADS.values(), *AREA_GROUPS], n=5, cutoff=0.6
            )
            hint = f" Did you mean: {', '.join(close)}?" if close else ""
            raise DataError(
                f"{item!r} is neither an LSOA code (E01...) nor a known district.{hint}"
            )
        lads.update(codes)
    return (lads or None), (lsoas or None)


def _filter_areas(
    df: pd.DataFrame, areas: str | Iterable[str] | None, lad_col: str | None
) -> pd.DataFrame:
    if areas is None:
        return df
    lads, lsoas = _lad_codes(areas)
    keep = pd.Series(False, index=df.index)
    if lsoas:
        keep |= df["lsoa_code"].isin(lsoas)
    if lads:
        if lad_col is not None:
            keep |= df[lad_col].isin(lads)
        else:
            lookup, _ = _read_csv(_LOOKUP)
            codes = set(lookup.loc[lookup["lad_21_code"].isin(lads), "lsoa_11_code"])
            keep |= df["lsoa_code"].isin(codes)
    return df[keep].reset_index(drop=True)


def load_imd(*, year: int = 2019, areas: str | Iterable[str] | None = None) -> pd.DataFrame:
    """Load the English Indices of Deprivation by LSOA.

    Parameters
    ----------
    year : {2019, 2025}
        2019 uses 2011 LSOA codes (they join to the boundaries); 2025 uses 2021 LSOA
        codes and adds scores.
    areas : str or iterable of str, optional
        District names/codes/groups (``"Medway"``, ``"Kent"``) and/or LSOA codes.

    Returns
    -------
    pandas.DataFrame
        ``lsoa_code``, ``imd_rank``, ``imd_decile``, then ``<domain>_rank`` and
        ``<domain>_decile`` (``income``, ``employment``, ``education``, ``health``,
        ``crime``, ``housing_and_access`` or ``housing_and_services``,
        ``environment``), plus ``*_score`` for 2025, and ``lad_code``/``lad_name``/
        ``lsoa_name`` when the file has them. Rank 1 is the most deprived.
        ``attrs["lsoa_vintage"]`` is 2011 or 2021.

    Examples
    --------
    >>> imd = load_imd(areas="Medway")  # doctest: +SKIP
    >>> len(imd), int(imd["imd_decile"].min())  # doctest: +SKIP
    (163, 1)
    """
    if year not in _IMD_FILES:
        raise DataError(f"IMD year must be one of {sorted(_IMD_FILES)}, got {year!r}.")
    subset, full = _IMD_FILES[year]
    relative = full
    root = config.data_dir()
    assert root is not None  # data_dir() raises instead of returning None
    if subset is not None and areas is not None and (root / subset).exists():
        lads, lsoas = _lad_codes(areas)
        sub, _ = _read_csv(subset)
        if set(lads or ()) <= set(sub["LAD_CD"]) and set(lsoas or ()) <= set(sub["LSOA11CD"]):
            relative = subset
    df, path = _read_csv(relative)
    rename = {
        "LSOA11CD": "lsoa_code",
        "lsoa11_code": "lsoa_code",
        "lsoa21_code": "lsoa_code",
        "LSOA11NM": "lsoa_name",
        "LAD_CD": "lad_code",
        "LAD_NM": "lad_name",
    }
    df = df.rename(columns={c: rename.get(c, snake_case(c)) for c in df.columns})
    require_columns(df, ["lsoa_code", "imd_rank", "imd_decile"], str(path))
    df["lsoa_code"] = df["lsoa_code"].str.strip()
    _check_unique(df["lsoa_code"], path)
    ints = [c for c in df.columns if c.endswith(("_rank", "_decile"))]
    df = _to_int(df, ints, path)
    for col in (c for c in df.columns if c.endswith("_score")):
        df[col] = pd.to_numeric(df[col], errors="coerce")
    lad_col = "lad_code" if "lad_code" in df.columns else None
    if year == 2025 and areas is not None and _lad_codes(areas)[0]:
        warnings.warn(
            "IMD 2025 has 2021 LSOA codes and no district column; districts were matched "
            "through the 2011 LSOA lookup, so LSOAs created in 2021 (new codes) are missed.",
            HotspotsWarning,
            stacklevel=2,
        )
    df = _filter_areas(df, areas, lad_col)
    first = [c for c in ("lsoa_code", "lsoa_name", "lad_code", "lad_name") if c in df.columns]
    df = df[first + [c for c in df.columns if c not in first]]
    df.attrs["lsoa_vintage"] = _LSOA_VINTAGE[year]
    df.attrs["load_report"] = LoadReport(source=str(path), rows_read=len(df))
    record(
        df,
        method="load_imd",
        parameters={"year": year, "areas": areas if isinstance(areas, str) else None},
        sources=["imd"],
        lsoa_vintage=_LSOA_VINTAGE[year],
    )
    return df


def _age_columns(df: pd.DataFrame) -> list[str]:
    return [c for c in df.columns if re.fullmatch(r"\d+\+?", str(c))]


def load_population(*, year: int = 2020, areas: str | Iterable[str] | None = None) -> pd.DataFrame:
    """Load ONS mid-year LSOA population estimates (2011 LSOA codes).

    Parameters
    ----------
    year : int
        Mid-year of the estimate; the data folder holds 2019 and 2020.
    areas : str or iterable of str, optional
        District names/codes/groups and/or LSOA codes.

    Returns
    -------
    pandas.DataFrame
        ``lsoa_code``, ``lsoa_name``, ``population`` (all ages), ``population_0_24``,
        ``population_10_24``, then the single-year columns ``"0"`` ... ``"89"``, ``"90+"``
        (see :func:`population_aged`), and ``lad_code``/``lad_name`` when known.

    Examples
    --------
    >>> pop = load_population(areas="Medway")  # doctest: +SKIP
    >>> int(pop["population"].sum())  # doctest: +SKIP
    279142
    """
    local = f"population/population_mid{year}_lsoa11_kent_medway.csv"
    national = f"population/population_mid{year}_lsoa11_england_wales.csv.gz"
    root = config.data_dir()
    assert root is not None
    relative = national
    if (root / local).exists():
        relative = local
        if areas is not None or not (root / national).exists():
            sub, _ = _read_csv(local)
            lads, lsoas = _lad_codes(areas) if areas is not None else (None, None)
            if not (
                set(lads or ()) <= set(sub["LAD_CD"])
                and set(lsoas or ()) <= set(sub["lsoa11_code"])
            ):
                relative = national
        else:
            relative = national
    if not (root / relative).exists():
        raise DataError(
            f"No mid-{year} population file: put {local} or {national} in "
            f"HOTSPOTS_DATA_DIR ({root})."
        )
    df, path = _read_csv(relative)
    rename = {
        "lsoa11_code": "lsoa_code",
        "lsoa11_name": "lsoa_name",
        "total_population": "population",
        "LAD_CD": "lad_code",
        "LAD_NM": "lad_name",
    }
    df = df.rename(columns=rename)
    require_columns(df, ["lsoa_code", "lsoa_name", "population", "0", "24"], str(path))
    df["lsoa_code"] = df["lsoa_code"].str.strip()
    _check_unique(df["lsoa_code"], path)
    ages = _age_columns(df)
    df = _to_int(df, ["population", *ages], path)
    mismatch = df["population"] != df[ages].sum(axis=1)
    report = LoadReport(source=str(path), rows_read=len(df))
    if bool(mismatch.any()):
        message = (
            f"{int(mismatch.sum())} LSOA(s) in {path} have a total that differs from the sum "
            f"of single years of age (e.g. {df.loc[mismatch, 'lsoa_code'].iloc[0]}); the "
            "published total is kept."
        )
        report.warn(message)
    df["population_0_24"] = population_aged(df, 0, 24)
    df["population_10_24"] = population_aged(df, 10, 24)
    lad_col = "lad_code" if "lad_code" in df.columns else None
    df = _filter_areas(df, areas, lad_col)
    first = [
        c
        for c in ("lsoa_code", "lsoa_name", "lad_code", "lad_name", "population")
        if c in df.columns
    ]
    first += ["population_0_24", "population_10_24"]
    df = df[first + [c for c in df.columns if c not in first]]
    df.attrs["load_report"] = report
    record(
        df,
        method="load_population",
        parameters={"year": year, "areas": areas if isinstance(areas, str) else None},
        sources=["population"],
        lsoa_vintage=2011,
    )
    return df


def population_aged(df: pd.DataFrame, min_age: int, max_age: int | None = None) -> pd.Series:
    """Sum the single-year-of-age columns from ``min_age`` to ``max_age`` inclusive.

    The oldest group is ``"90+"``: it is included when ``max_age`` is ``None`` (open
    ended). A finite band reaching 90 or above cannot be computed, because ``"90+"``
    cannot be split, and raises :class:`~hotspots.DataError`.

    Examples
    --------
    >>> df = pd.DataFrame({str(age): [1, 2] for age in range(90)} | {"90+": [7, 8]})
    >>> population_aged(df, 0, 24).tolist()
    [25, 50]
    >>> population_aged(df, 85).tolist()  # 85..89 and 90+
    [12, 18]
    """
    if int(min_age) != min_age or min_age < 0:
        raise DataError(f"min_age must be a whole number of years >= 0, got {min_age!r}.")
    if max_age is not None and (int(max_age) != max_age or max_age < min_age):
        raise DataError(f"max_age must be a whole number >= min_age, got {max_age!r}.")
    if max_age is not None and max_age >= 90:
        raise DataError(
            f"Ages {min_age}-{max_age} reach the '90+' group, which cannot be split; "
            "use max_age=None for an open-ended band (includes 90+) or a band ending by 89."
        )
    top = 89 if max_age is None else int(max_age)
    columns = [str(a) for a in range(int(min_age), min(top, 89) + 1)]
    if max_age is None:
        columns.append("90+")
    require_columns(df, columns, "population table")
    values = df[columns].apply(pd.to_numeric, errors="coerce")
    if bool(values.isna().any().any()):
        col = str(values.columns[values.isna().any()][0])
        raise DataError(f"population column {col!r} has missing or non-numeric values.")
    total: pd.Series = values.sum(axis=1)
    return total


def _lsoa_codes(areas: Any) -> pd.Series:
    if "code" in areas.columns:
        codes = areas["code"].astype(str).str.strip()
        is_lsoa = (
            bool(areas["level"].isin(["lsoa", "lsoa21"]).all())
            if "level" in areas.columns
            else bool(codes.str.match(_CODE_RE.pattern).all())
        )
        if is_lsoa:
            return codes  # type: ignore[no-any-return]
    for col in ("lsoa_code", "LSOA11CD", "lsoa11_code", "LSOA21CD", "lsoa21_code"):
        if col in areas.columns:
            found: pd.Series = areas[col].astype(str).str.strip()
            return found
    raise DataError(
        "areas has no LSOA code column (looked for 'code' with level 'lsoa', 'lsoa_code', "
        f"'LSOA11CD'); it has: {', '.join(map(str, areas.columns[:20]))}. Load LSOAs with "
        "load_boundary(..., level='lsoa')."
    )


def area_context(
    areas: gpd.GeoDataFrame, *, imd_year: int | None = None, population_year: int = 2020
) -> gpd.GeoDataFrame:
    """Join IMD and population to LSOA boundaries of either census vintage.

    IMD 2019 uses 2011 LSOA codes and IMD 2025 2021 codes; population estimates use
    2011 codes. Each table is joined on its own vintage: when ``areas`` are of the other
    vintage the values are carried across with the ONS best-fit lookup (2011 -> 2021),
    and the method is stated in ``attrs["hotspots"]["method_notes"]`` and the report:

    * a 2011 LSOA takes IMD 2025 from its best-fit 2021 LSOA;
    * a 2021 LSOA takes IMD 2019 from its 2011 parent (missing when it merges several);
    * a 2021 LSOA's population is its 2011 parent's, shared equally among the parts
      when the parent was split in 2021 (ONS split LSOAs into parts of similar
      population), summed over parents when merged. Parts of a split that the best-fit
      lookup does not list are tied to their parent by point in polygon.

    Parameters
    ----------
    areas : geopandas.GeoDataFrame
        LSOAs with a ``code`` column (``load_boundary(level="lsoa")`` or
        ``level="lsoa21"``) or an ``lsoa_code``/``LSOA11CD`` column.
    imd_year : {2019, 2025}, optional
        Default: 2019 for 2011 LSOAs, 2025 for 2021 LSOAs.
    population_year : int
        See :func:`load_population`.

    Returns
    -------
    geopandas.GeoDataFrame
        ``areas`` (same index, not modified) plus the IMD ranks/deciles and
        ``population``, ``population_0_24``, ``population_10_24``. Every row is kept:
        areas that fail to join have missing values (not zero), are named in a
        :class:`HotspotsWarning` and in ``attrs["load_report"].notes``;
        ``attrs["lsoa_vintage"]`` is 2011 or 2021.

    Examples
    --------
    >>> from hotspots import load_boundary  # doctest: +SKIP
    >>> ctx = area_context(load_boundary("Medway", level="lsoa"))  # doctest: +SKIP
    >>> int(ctx["population"].sum())  # doctest: +SKIP
    279142
    """
    from ._vintages import best_fit_lookup, carry_population, code_vintage, parents_2011

    gdf = require_geodataframe(areas, "areas")
    codes = _lsoa_codes(gdf)
    if len(gdf) == 0:
        raise DataError("areas is empty (0 rows); there is nothing to join.")
    valid = [c for c in codes.unique() if _CODE_RE.match(c)]
    if not valid:
        raise DataError(
            f"areas has no LSOA codes (E01…/W01…); first values: {list(codes[:5])}. Use LSOA "
            "boundaries, e.g. load_boundary(..., level='lsoa')."
        )
    level = str(gdf["level"].iloc[0]) if "level" in gdf.columns else None
    vintage = code_vintage(valid, level)
    if imd_year is None:
        imd_year = 2019 if vintage == 2011 else 2025
    if imd_year not in _IMD_FILES:
        raise DataError(f"imd_year must be one of {sorted(_IMD_FILES)}, got {imd_year!r}.")
    report = LoadReport(source=f"IMD {imd_year}; population mid-{population_year}")
    report.rows_read = len(gdf)
    methods: list[str] = []
    key_imd = codes.copy()  # the code under which each area is looked up in the IMD table
    key_pop: pd.Series | None = None
    carried: pd.DataFrame | None = None
    if vintage == 2011 and _LSOA_VINTAGE[imd_year] == 2021:
        lookup = best_fit_lookup(valid)
        key_imd = codes.map(lookup.set_index("lsoa11_code")["lsoa21_code"])
        methods.append(
            f"IMD {imd_year} (2021 LSOA codes) carried to these 2011 LSOAs by the ONS "
            f"best-fit lookup ({lookup.attrs['source']}): each takes its best-fit 2021 LSOA's values"
        )
    if vintage == 2021:
        lookup = best_fit_lookup(valid)
        parents, lost = parents_2011(gdf.assign(code=codes), lookup)
        if lost:
            report.notes.append(f"no 2011 parent found for {len(lost)} LSOA(s): {lost[:10]}")
        n_pip = int((parents["how"] == "point in polygon").sum())
        pop_all = load_population(year=population_year, areas=sorted(set(parents["lsoa11_code"])))
        carried = carry_population(
            parents, pop_all, ["population", "population_0_24", "population_10_24"]
        )
        key_pop = codes
        methods.append(
            f"mid-{population_year} population (2011 LSOAs) carried to these 2021 LSOAs by "
            f"the ONS best-fit lookup ({lookup.attrs['source']}): unchanged LSOAs keep their "
            "population, merged ones sum their parents, and a 2011 LSOA split in 2021 is "
            f"shared equally among its parts ({n_pip} part(s) not in the best-fit lookup "
            "were tied to their parent by point in polygon)"
        )
        if _LSOA_VINTAGE[imd_year] == 2011:
            n_par = parents.groupby("lsoa21_code")["lsoa11_code"].transform("size")
            single = parents[n_par == 1].set_index("lsoa21_code")["lsoa11_code"]
            key_imd = codes.map(single)
            methods.append(
                f"IMD {imd_year} (2011 LSOA codes) carried to these 2021 LSOAs from their "
                "2011 parent; an LSOA merged from several 2011 LSOAs gets no value"
            )
    imd_keys = sorted({str(k) for k in key_imd.dropna() if _CODE_RE.match(str(k))})
    imd = load_imd(year=imd_year, areas=imd_keys) if imd_keys else load_imd(year=imd_year)
    dup = codes[codes.duplicated()]
    if len(dup):
        message = (
            f"areas lists {dup.nunique()} LSOA code(s) more than once "
            f"({', '.join(sorted(dup.unique())[:10])}); each copy gets the same values, so "
            "totals over these rows double-count."
        )
        report.warn(message)
    out = gdf.copy()
    imd_cols = [
        c for c in imd.columns if c not in {"lsoa_code", "lsoa_name", "lad_code", "lad_name"}
    ]
    pop_cols = ["population", "population_0_24", "population_10_24"]
    clash = [c for c in [*imd_cols, *pop_cols] if c in out.columns]
    if clash:
        raise DataError(
            f"areas already has column(s) {clash}; drop or rename them before joining context."
        )
    added = {col: key_imd.map(imd.set_index("lsoa_code")[col]) for col in imd_cols}
    if carried is not None and key_pop is not None:
        for col in pop_cols:
            added[col] = key_pop.map(carried[col])
    else:
        pop = load_population(year=population_year, areas=valid)
        for col in pop_cols:
            added[col] = codes.map(pop.set_index("lsoa_code")[col])
    out = pd.concat([out, pd.DataFrame(added, index=out.index)], axis=1)
    for what, col in (("no IMD", "imd_rank"), ("no population", "population")):
        missing = out[col].isna().to_numpy()
        if missing.any():
            bad = list(codes[missing])
            # kept with missing values, so a note, not a drop: rows_kept stays rows_read
            report.warn(
                f"{len(bad)} of {len(out)} areas have {what} ({', '.join(bad[:10])}"
                f"{' ...' if len(bad) > 10 else ''}); their values are missing, not zero."
            )
    for note in methods:
        report.notes.append(note)
    out.attrs = dict(gdf.attrs)
    out.attrs["load_report"] = report
    out.attrs["lsoa_vintage"] = vintage
    return record(
        out,
        method="area_context",
        parameters={"imd_year": imd_year, "population_year": population_year},
        sources=["imd", "population"],
        inherit=gdf,
        lsoa_vintage=vintage,
        method_notes=methods,
    )


def count_in_lsoas(
    incidents: gpd.GeoDataFrame, lsoas: gpd.GeoDataFrame, *, name: str = "count"
) -> gpd.GeoDataFrame:
    """Count incidents per LSOA, whatever the vintage of their police.uk LSOA codes.

    An incident whose ``lsoa_code`` is one of ``lsoas`` is counted there (police.uk's
    own assignment). Any other incident (a code of the other census vintage, e.g. a
    2011 code against 2021 LSOAs, or no code) is placed by point in polygon; a point in
    no polygon (boundary generalisation) by its code through the ONS best-fit lookup.
    What happened is in ``attrs["load_report"]`` (rows are positions in ``incidents``,
    from 1): notes count each route; incidents placed nowhere are dropped as
    ``"outside every LSOA"``.

    Examples
    --------
    >>> import geopandas as gpd  # doctest: +SKIP
    >>> counts = count_in_lsoas(incidents, load_boundary("Medway", level="lsoa21"))  # doctest: +SKIP
    """
    from ._vintages import best_fit_lookup, code_vintage

    pts = require_geodataframe(incidents, "incidents")
    areas = require_geodataframe(lsoas, "lsoas")
    require_columns(pts, ["lsoa_code"], "incidents")
    codes = _lsoa_codes(areas)
    level = str(areas["level"].iloc[0]) if "level" in areas.columns and len(areas) else None
    vintage = code_vintage([c for c in codes.unique() if _CODE_RE.match(c)], level)
    pos_of = pd.Series(np.arange(len(areas)), index=codes.to_numpy())
    pos_of = pos_of[~pos_of.index.duplicated()]
    raw = pts["lsoa_code"].astype("string").fillna("").str.strip().to_numpy(dtype=object)
    pos = pd.Series(raw).map(pos_of).to_numpy(dtype=float)
    direct = ~np.isnan(pos)
    report = LoadReport(source="incidents -> LSOAs", rows_read=len(pts))
    rest = np.flatnonzero(~direct)
    pip_pos = np.full(len(rest), -1, dtype=np.int64)
    if len(rest):
        import geopandas as gpd

        frame = areas[[areas.geometry.name]].reset_index(drop=True)
        sub = pts.iloc[rest][[pts.geometry.name]].reset_index(drop=True)
        hits = gpd.sjoin(sub, frame, how="inner", predicate="intersects")
        # the first intersecting polygon in row order, as count_points assigns
        first = hits["index_right"].groupby(level=0).min()
        pip_pos[first.index.to_numpy()] = first.to_numpy()
    placed_pip = pip_pos >= 0
    other = rest[~placed_pip]
    lookup_pos = np.full(len(other), np.nan)
    if len(other):
        lookup = best_fit_lookup()
        src, dst = (
            ("lsoa11_code", "lsoa21_code") if vintage == 2021 else ("lsoa21_code", "lsoa11_code")
        )
        table = lookup.drop_duplicates(src).set_index(src)[dst]
        mapped = pd.Series(raw[other]).map(table)
        lookup_pos = mapped.map(pos_of).to_numpy(dtype=float)
    by_lookup = ~np.isnan(lookup_pos)
    final = np.full(len(pts), -1, dtype=np.int64)
    final[direct] = pos[direct].astype(np.int64)
    final[rest[placed_pip]] = pip_pos[placed_pip]
    final[other[by_lookup]] = lookup_pos[by_lookup].astype(np.int64)
    report.drop("outside every LSOA", np.flatnonzero(final < 0) + 1)
    n_other_vintage = int(sum(1 for c in raw[rest] if c))
    report.notes.append(
        f"{int(direct.sum()):,} incident(s) counted by their police.uk LSOA code; "
        f"{len(rest):,} had a code of another vintage or area ({n_other_vintage:,}) or none: "
        f"{int(placed_pip.sum()):,} placed by point in polygon, {int(by_lookup.sum()):,} by "
        f"the ONS best-fit lookup ({vintage} LSOAs)"
    )
    out = areas.copy()
    out[name] = np.bincount(final[final >= 0], minlength=len(areas)).astype(np.int64)
    out.attrs["load_report"] = report
    return record(
        out,
        method="count_in_lsoas",
        parameters={"name": name, "lsoa_vintage": vintage},
        inherit=pts,
        n_by_code=int(direct.sum()),
        n_by_point=int(placed_pip.sum()),
        n_by_lookup=int(by_lookup.sum()),
        n_outside=int((final < 0).sum()),
    )
