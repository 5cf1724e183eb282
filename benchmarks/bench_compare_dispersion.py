"""Calibration: false alarms of compare_periods' overall test on over-dispersed counts.

22 areas with no change between two equal periods: area levels drawn from a gamma
distribution (mean 200), each area-period rate drawn again from a gamma with shape ``k``
(negative-binomial counts; smaller ``k`` = more over-dispersed; ``k = inf`` is Poisson).
For 2,000 simulated tables the share with overall p < 0.05 is measured for

* the exact Poisson test (``test="poisson"``, the peer: what the function did before),
* one dispersion for all areas applied to the total,
* ``test="quasipoisson"`` as shipped (the total's own cluster-robust dispersion).

Run: ``.venv/bin/python benchmarks/bench_compare_dispersion.py``; writes
``benchmarks/results/compare_dispersion.json``.
"""

from __future__ import annotations

import time

import numpy as np
from _harness import write_results

from hotspots.periods import _poisson_test, _total_dispersion, dispersion

RUNS = 2000
AREAS = 22


def main() -> None:
    rng = np.random.default_rng(0)
    rows = []
    t0 = time.perf_counter()
    for k in (2.0, 10.0, float("inf")):
        hits = {"poisson": 0, "area_dispersion": 0, "quasipoisson": 0}
        for _ in range(RUNS):
            mu = rng.gamma(2.0, 100.0, AREAS)
            lam_b = mu if np.isinf(k) else rng.gamma(k, mu / k)
            lam_a = mu if np.isinf(k) else rng.gamma(k, mu / k)
            b, a = rng.poisson(lam_b), rng.poisson(lam_a)
            tb, ta = int(b.sum()), int(a.sum())
            hits["poisson"] += _poisson_test(tb, ta, 1, 1)[3] < 0.05
            hits["area_dispersion"] += (
                _poisson_test(tb, ta, 1, 1, max(dispersion(b, a), 1))[3] < 0.05
            )
            hits["quasipoisson"] += (
                _poisson_test(tb, ta, 1, 1, max(_total_dispersion(b, a), 1))[3] < 0.05
            )
        row = {"shape_k": k, **{m: v / RUNS for m, v in hits.items()}}
        rows.append(row)
        print(row)
    write_results(
        "compare_dispersion",
        {"runs": RUNS, "areas": AREAS, "rows": rows, "seconds": round(time.perf_counter() - t0, 1)},
    )


if __name__ == "__main__":
    main()
