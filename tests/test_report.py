"""The load report: nothing lost silently."""

from __future__ import annotations

import pandas as pd
import pytest

from hotspots import HotspotsWarning
from hotspots._report import LoadReport, get_load_report


def test_counts_merge_and_summary() -> None:
    a = LoadReport("a.csv", rows_read=20)
    a.drop("no location", [3, 5])
    a.drop("no location", [])
    a.drop("duplicate crime id", list(range(2, 16)))
    b = LoadReport("b.csv", rows_read=4, notes=["2 rows had swapped longitude/latitude"])
    b.drop("no location", [2])
    both = a.merge(b)
    assert (a.rows_kept, a.n_dropped) == (4, 16)
    assert both.rows_read == 24 and both.counts() == {"no location": 3, "duplicate crime id": 14}
    text = str(both)
    assert text.startswith("a.csv; b.csv: read 24, kept 7")
    assert "rows 3, 5, 2" in text and "..." in text and "swapped" in text
    assert a.counts() == {"no location": 2, "duplicate crime id": 14}  # merge copies


def test_get_load_report_only_returns_reports() -> None:
    df = pd.DataFrame({"x": [1]})
    assert get_load_report(df) is None and get_load_report(object()) is None
    df.attrs["load_report"] = "not a report"
    assert get_load_report(df) is None
    df.attrs["load_report"] = LoadReport("x", rows_read=1)
    assert get_load_report(df).rows_kept == 1  # type: ignore[union-attr]


def test_warn_keeps_the_note_and_points_at_the_loaders_caller() -> None:
    report = LoadReport("pop.csv", rows_read=3)

    def loader() -> None:
        report.warn("2 totals differ from the sum of ages")

    with pytest.warns(HotspotsWarning, match="2 totals differ") as caught:
        loader()  # the warning is reported here, at the loader's caller
    assert report.notes == ["2 totals differ from the sum of ages"]
    assert caught[0].filename == __file__
    assert "2 totals differ" in report.summary()
