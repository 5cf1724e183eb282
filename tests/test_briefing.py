"""The static briefing pack: the tasking map and table on one A4 landscape page."""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import pytest
from pypdf import PdfReader

from hotspots import CRSError, DataError, HotspotsWarning, maps, tasking_list
from hotspots.briefing import save_tasking_pack

from .test_maps import make_cells


def test_pack_holds_the_tasking_maps_places(tmp_path: Path) -> None:
    cells = make_cells()
    cells["place"] = [f"Street {i}" for i in range(len(cells))]
    written = save_tasking_pack(cells, tmp_path / "pack.html", top_n=5, title="Week 23")
    assert sorted(written) == ["pdf", "png"]
    assert written["pdf"] == tmp_path / "pack.pdf"  # the suffix given is replaced
    reader = PdfReader(written["pdf"])
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert (float(box.width), float(box.height)) == pytest.approx((841.7, 595.4), abs=1)
    text = reader.pages[0].extract_text()
    # the pack and the tasking map number the same places, those of tasking_list
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", HotspotsWarning)  # fewer than 5 places qualify
        places = list(tasking_list(cells, top=5)["place"])
        page = maps.tasking_map(cells, top_n=5, tiles=None).get_root().render()
    assert places
    for place in places:
        assert place in text
    assert re.findall(r"<tr><td>\d+</td><td>([^<]+)</td>", page) == places
    assert "Week 23" in text and "Counts under 5" in text


def test_pack_suppresses_small_counts_unless_internal(tmp_path: Path) -> None:
    cells = make_cells()
    shared = PdfReader(save_tasking_pack(cells, tmp_path / "a", formats=["pdf"])["pdf"])
    internal = PdfReader(
        save_tasking_pack(cells, tmp_path / "b", formats=["pdf"], internal=True)["pdf"]
    )
    assert "<5" in shared.pages[0].extract_text()
    text = internal.pages[0].extract_text()
    assert "NOT FOR PUBLICATION" in text and "<5" not in text


def test_pack_refuses_degrees_and_unknown_formats(tmp_path: Path) -> None:
    with pytest.raises(CRSError, match="projected CRS"):
        save_tasking_pack(make_cells().to_crs(4326), tmp_path / "x")
    with pytest.raises(DataError, match="formats must be"):
        save_tasking_pack(make_cells(), tmp_path / "x", formats=["svg"])
