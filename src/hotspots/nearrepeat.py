"""Do incidents repeat near earlier ones: the Knox test and a near-repeat table.

Both count pairs of incidents that are close in space and in time and compare the
count with what shuffling the dates among the same places gives (Monte Carlo
permutation, as Ratcliffe's Near Repeat Calculator and pointpats' ``Knox``). They need
the date of each incident (force extracts): data.police.uk months are too coarse and
are refused with a :class:`~hotspots.DataError`.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from scipy import stats
from scipy.spatial import cKDTree

from . import _provenance
from ._errors import DataError
from ._times import days_since, event_times
from ._validate import require_geodataframe, require_nonempty, require_points, require_projected

if TYPE_CHECKING:
    import geopandas as gpd

__all__ = ["KnoxResult", "NearRepeat", "knox_test", "near_repeat_table"]


@dataclass(frozen=True)
class KnoxResult:
    """Result of :func:`knox_test`.

    Attributes
    ----------
    statistic : int
        Pairs of incidents within ``distance`` metres and ``days`` days of each other.
    expected : float
        Pairs expected close in both if space and time were independent
        (``close in space * close in time / all pairs``).
    ratio : float
        ``statistic / expected`` (Knox ratio; above 1: near repeats).
    p_value : float
        Permutation pseudo p-value, one-sided (more close pairs than by chance).
    p_poisson : float
        Analytic p-value with a Poisson count of mean ``expected``.
    table : pandas.DataFrame
        2 x 2 pair counts (close / not close in space x in time).
    n : int
        Incidents.
    provenance : dict
    """

    statistic: int
    expected: float
    ratio: float
    p_value: float
    p_poisson: float
    table: pd.DataFrame
    n: int
    provenance: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class NearRepeat:
    """Result of :func:`near_repeat_table`: space bands (rows) x time bands (columns).

    Attributes
    ----------
    observed, expected, ratio, p_value : pandas.DataFrame
        Pair counts, their mean over the permutations, observed / expected (the Knox
        ratio) and the pseudo p-value ``(simulations >= observed + 1) / (permutations +
        1)`` of each cell.
    permutations : int
    provenance : dict
    """

    observed: pd.DataFrame
    expected: pd.DataFrame
    ratio: pd.DataFrame
    p_value: pd.DataFrame
    permutations: int
    provenance: dict[str, Any] = field(default_factory=dict)

    def significant(self, alpha: float = 0.05) -> pd.DataFrame:
        """Cells with more pairs than expected at level ``alpha``, strongest first."""
        rows = [
            {
                "space": s,
                "time": t,
                "observed": int(self.observed.loc[s, t]),
                "expected": float(self.expected.loc[s, t]),
                "ratio": float(self.ratio.loc[s, t]),
                "p_value": float(self.p_value.loc[s, t]),
            }
            for s in self.observed.index
            for t in self.observed.columns
            if self.p_value.loc[s, t] <= alpha and self.ratio.loc[s, t] > 1
        ]
        cols = ["space", "time", "observed", "expected", "ratio", "p_value"]
        return pd.DataFrame(rows, columns=cols).sort_values("ratio", ascending=False)

    def summary(self, alpha: float = 0.05) -> str:
        """Plain-language lines naming the significant near-repeat cells."""
        sig = self.significant(alpha)
        if sig.empty:
            return f"No space-time band has more pairs than chance at {1 - alpha:.0%}."
        lines = [
            f"{r.space}, {r.time}: {r.ratio:.1f} times the expected pairs (p = {r.p_value:.3g})"
            for r in sig.itertuples()
        ]
        return "\n".join(lines)


def _prepare(incidents: Any, time_column: str, what: str) -> tuple[Any, np.ndarray, np.ndarray]:
    gdf = require_geodataframe(incidents, "incidents")
    require_projected(gdf, "incidents")
    require_nonempty(gdf, "incidents")
    require_points(gdf, "incidents")
    ts = event_times(gdf, time_column, what=what, arg="time_column")
    if len(gdf) < 3:
        raise DataError(f"{what} needs at least 3 incidents, got {len(gdf)}.")
    xy = np.column_stack([gdf.geometry.x.to_numpy(), gdf.geometry.y.to_numpy()])
    return gdf, xy, days_since(ts)


def _positive(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | np.number):
        raise DataError(f"{name} must be a positive number, got {value!r}.")
    if not (np.isfinite(value) and value > 0):
        raise DataError(f"{name} must be a positive number, got {value!r}.")
    return float(value)


def _permutations(n: int, permutations: int, seed: int | None) -> Iterator[np.ndarray]:
    """Shuffles of the dates. numpy's ``RandomState(seed).permutation`` stream: the one
    pointpats' ``Knox`` draws after ``numpy.random.seed(seed)``, so p-values agree."""
    rs = np.random.RandomState(seed)
    ids = np.arange(n)
    for _ in range(permutations):
        yield rs.permutation(ids)


def _pairs_within_days(t: np.ndarray, days: float) -> int:
    """All unordered pairs with ``|t_i - t_j| <= days``, from the sorted times."""
    s = np.sort(t)
    return int((np.searchsorted(s, s + days, side="right") - np.arange(s.size) - 1).sum())


def knox_test(
    incidents: gpd.GeoDataFrame,
    *,
    distance: float,
    days: float,
    time_column: str = "date",
    permutations: int = 999,
    seed: int | None = 0,
) -> KnoxResult:
    """Knox test of space-time interaction: do incidents close in space happen close
    in time more often than chance?

    Parameters
    ----------
    incidents : geopandas.GeoDataFrame
        Incident points in a projected CRS with a date (or date-time) column.
    distance : float
        Pairs at most this many metres apart are close in space.
    days : float
        Pairs at most this many days apart are close in time.
    time_column : str, default "date"
        Column of dates or date-times (datetime64 or text pandas can parse). A
        data.police.uk ``month`` is refused: months are too coarse.
    permutations : int, default 999
        Random shuffles of the dates among the incidents for ``p_value``.
    seed : int or None, default 0
        Seed of the shuffles.

    Returns
    -------
    KnoxResult

    Notes
    -----
    Same counts as :class:`pointpats.spacetime.Knox` (both bounds inclusive) and the same
    permutation scheme; the shuffles come from ``numpy.random.RandomState(seed)``, the
    stream pointpats uses after ``numpy.random.seed(seed)``, so with the same seed the
    p-values are equal, not only close.

    Examples
    --------
    >>> import geopandas as gpd, pandas as pd
    >>> inc = gpd.GeoDataFrame(
    ...     {"date": pd.to_datetime(["2024-01-01", "2024-01-03", "2024-03-01", "2024-05-09"])},
    ...     geometry=gpd.points_from_xy([0, 50, 60, 5000], [0, 0, 0, 0]), crs=27700)
    >>> res = knox_test(inc, distance=100, days=7, permutations=99)
    >>> res.statistic, int(res.table.loc["close in space", "close in time"])
    (1, 1)
    """
    gdf, xy, t = _prepare(incidents, time_column, "the Knox test")
    distance = _positive(distance, "distance")
    days = _positive(days, "days")
    if isinstance(permutations, bool) or not isinstance(permutations, int) or permutations < 0:
        raise DataError(f"permutations must be an integer >= 0, got {permutations!r}.")
    n = len(t)
    pairs = cKDTree(xy).query_pairs(r=distance, output_type="ndarray")
    i, j = pairs[:, 0], pairs[:, 1]
    ns = len(pairs)
    nt = _pairs_within_days(t, days)
    nst = int((np.abs(t[i] - t[j]) <= days).sum())
    total = n * (n - 1) / 2
    expected = ns * nt / total
    exceed = 0
    for perm in _permutations(n, permutations, seed):
        tp = t[perm]
        if int((np.abs(tp[i] - tp[j]) <= days).sum()) >= nst:
            exceed += 1
    p_sim = (exceed + 1) / (permutations + 1) if permutations else float("nan")
    p_poisson = float(1 - stats.poisson.cdf(nst, expected)) if expected > 0 else float("nan")
    table = pd.DataFrame(
        [[nst, ns - nst], [nt - nst, int(total - ns - nt + nst)]],
        index=["close in space", "not close in space"],
        columns=["close in time", "not close in time"],
    )
    ratio = nst / expected if expected > 0 else float("nan")
    params = {"distance": distance, "days": days, "time_column": time_column,
              "permutations": permutations}  # fmt: skip
    prov: dict[str, Any] = {
        "method": "Knox test (permutation of dates, as pointpats Knox)",
        "parameters": params,
        "seed": seed,
        "sources": _provenance.get_provenance(gdf).get("sources", []),
    }
    table.attrs["hotspots"] = prov
    return KnoxResult(
        statistic=nst, expected=float(expected), ratio=float(ratio), p_value=float(p_sim),
        p_poisson=p_poisson, table=table, n=n, provenance=prov,
    )  # fmt: skip


def _band_labels(edges: np.ndarray, unit: str, zero: str | None) -> list[str]:
    integer = bool(np.all(edges == np.round(edges)))
    labels = [] if zero is None else [zero]
    lo = 0.0
    for k, e in enumerate(edges):
        if integer:
            start = (1 if zero is not None else 0) if k == 0 else int(lo) + 1
            labels.append(f"{start} to {int(e)} {unit}")
        else:
            labels.append(f"{lo:g} to {e:g} {unit}")
        lo = float(e)
    labels.append(f"more than {edges[-1]:g} {unit}")
    return labels


def _edges(values: Sequence[float], name: str) -> np.ndarray:
    try:
        edges = np.asarray(values, dtype=float).ravel()
    except (TypeError, ValueError) as exc:
        raise DataError(f"{name} must be a list of increasing positive numbers.") from exc
    if edges.size == 0 or not np.all(np.isfinite(edges)) or edges[0] <= 0:
        raise DataError(f"{name} must be a list of increasing positive numbers, got {values!r}.")
    if np.any(np.diff(edges) <= 0):
        raise DataError(f"{name} must increase, got {values!r}.")
    return edges


def near_repeat_table(
    incidents: gpd.GeoDataFrame,
    *,
    distance_bands: Sequence[float] = (100, 200, 300, 400),
    day_bands: Sequence[float] = (7, 14, 21, 28),
    same_location: bool = True,
    time_column: str = "date",
    permutations: int = 99,
    seed: int | None = 0,
) -> NearRepeat:
    """Near Repeat Calculator-style table: pairs of incidents by distance and days apart,
    against what shuffling the dates gives.

    Parameters
    ----------
    incidents : geopandas.GeoDataFrame
        Incident points in a projected CRS with a date column.
    distance_bands : sequence of float, default (100, 200, 300, 400)
        Upper edges of the space bands in metres (each band includes its upper edge); a
        last row holds the pairs further apart.
    day_bands : sequence of float, default (7, 14, 21, 28)
        Upper edges of the time bands in days (inclusive; "0 to 7 days", "8 to 14
        days" ... for whole days); a last column holds the pairs further apart.
    same_location : bool, default True
        Give pairs at exactly the same place their own first row, as the calculator.
    time_column : str, default "date"
        Column of dates; police.uk months are refused as too coarse.
    permutations : int, default 99
        Shuffles of the dates (the calculator suggests 20 for p < 0.05 and 99 for 0.01).
    seed : int or None, default 0
        Seed of the shuffles.

    Returns
    -------
    NearRepeat
        ``observed``, ``expected``, ``ratio`` and ``p_value`` tables and a ``summary()``.

    Examples
    --------
    >>> import geopandas as gpd, pandas as pd
    >>> inc = gpd.GeoDataFrame(
    ...     {"date": pd.to_datetime(["2024-01-01", "2024-01-03", "2024-03-01", "2024-05-09"])},
    ...     geometry=gpd.points_from_xy([0, 50, 60, 5000], [0, 0, 0, 0]), crs=27700)
    >>> nr = near_repeat_table(inc, distance_bands=[100], day_bands=[7], permutations=9)
    >>> int(nr.observed.loc["1 to 100 m", "0 to 7 days"])
    1
    """
    gdf, xy, t = _prepare(incidents, time_column, "a near-repeat table")
    s_edges = _edges(distance_bands, "distance_bands")
    t_edges = _edges(day_bands, "day_bands")
    if isinstance(permutations, bool) or not isinstance(permutations, int) or permutations < 1:
        raise DataError(f"permutations must be an integer >= 1, got {permutations!r}.")
    n = len(t)
    pairs = cKDTree(xy).query_pairs(r=float(s_edges[-1]), output_type="ndarray")
    # int32 indices: half the memory traffic of each shuffle's gathers
    i, j = pairs[:, 0].astype(np.int32), pairs[:, 1].astype(np.int32)
    del pairs
    d = np.hypot(xy[i, 0] - xy[j, 0], xy[i, 1] - xy[j, 1])
    s_bin = np.searchsorted(s_edges, d, side="left")  # (e_{k-1}, e_k] -> k
    s_bin = np.minimum(s_bin, s_edges.size - 1)  # rounding at the outer edge
    n_rows = s_edges.size + int(same_location)
    if same_location:
        s_bin = np.where(d == 0, 0, s_bin + 1)
    n_cols = t_edges.size + 1
    flat_s = (s_bin * n_cols).astype(np.int32)
    del d, s_bin

    def counts(tt: np.ndarray) -> np.ndarray:
        t_bin = np.searchsorted(t_edges, np.abs(tt[i] - tt[j]), side="left")
        return np.bincount(flat_s + t_bin, minlength=n_rows * n_cols).reshape(n_rows, n_cols)

    # the row of pairs beyond the last distance band: all pairs per time band (which
    # shuffling the dates does not change) minus those within it
    s = np.sort(t)
    within = np.array(
        [(np.searchsorted(s, s + e, side="right") - np.arange(n) - 1).sum() for e in t_edges]
    )
    all_t = np.diff(np.concatenate([[0], within, [n * (n - 1) // 2]]))

    def full(c: np.ndarray) -> np.ndarray:
        return np.vstack([c, all_t - c.sum(axis=0)])

    obs = full(counts(t))
    sims = np.stack([full(counts(t[p])) for p in _permutations(n, permutations, seed)])
    exp = sims.mean(axis=0)
    p = ((sims >= obs[None]).sum(axis=0) + 1.0) / (permutations + 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(exp > 0, obs / np.where(exp > 0, exp, 1.0), np.nan)
    rows = _band_labels(s_edges, "m", "same location" if same_location else None)
    cols = _band_labels(t_edges, "days", None)
    if np.all(t_edges == np.round(t_edges)):
        cols[0] = f"0 to {int(t_edges[0])} days"

    def frame(values: np.ndarray) -> pd.DataFrame:
        return pd.DataFrame(values, index=pd.Index(rows, name="space"),
                            columns=pd.Index(cols, name="time"))  # fmt: skip

    params = {
        "distance_bands": s_edges.tolist(),
        "day_bands": t_edges.tolist(),
        "same_location": same_location,
        "time_column": time_column,
        "permutations": permutations,
    }
    observed = frame(obs.astype(np.int64))
    _provenance.record(
        observed, method="Near-repeat table (Knox ratios by band, permuted dates)",
        parameters=params, seed=seed, inherit=gdf,
    )  # fmt: skip
    return NearRepeat(
        observed=observed, expected=frame(exp), ratio=frame(ratio), p_value=frame(p),
        permutations=permutations, provenance=_provenance.get_provenance(observed),
    )  # fmt: skip
