"""Provenance: method, parameters, seed, sources and the period travel with results."""

from __future__ import annotations

import pandas as pd

from hotspots._provenance import attribution_text, get_provenance, record


def test_record_inherits_sources_and_reads_the_period_from_the_rows() -> None:
    crimes = pd.DataFrame({"month": pd.Categorical(["2018-05", "2018-06", None])})
    record(crimes, method="read", sources=["police"], period={"start": "2018-01", "end": "2018-12"})
    june = crimes[crimes["month"] == "2018-06"]
    out = record(pd.DataFrame(), method="count", parameters={"k": 1}, seed=3, inherit=june)
    prov = get_provenance(out)
    assert prov["sources"] == ["police"] and prov["seed"] == 3
    assert prov["period"] == {"start": "2018-06", "end": "2018-06"}  # not the stale 2018-01..12
    assert get_provenance(record(pd.DataFrame(), method="m", inherit=crimes))["period"] == {
        "start": "2018-05",
        "end": "2018-06",
    }
    text_months = pd.DataFrame({"month": ["2024-02", "bad", "2023-11-01"]})
    assert get_provenance(record(pd.DataFrame(), method="m", inherit=text_months))["period"] == {
        "start": "2023-11",
        "end": "2024-02",
    }
    assert get_provenance(object()) == {}


def test_attribution_text_names_the_licences() -> None:
    text = attribution_text(["police", "police", "Custom source"])
    assert "Open Government Licence" in text and "Custom source" in text
    assert text.count("Open Government Licence") == 1
