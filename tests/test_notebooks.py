"""Run every notebook top to bottom (as a user would, from ``notebooks/``) and open each
map it writes in headless Chromium. The notebooks are stored without outputs."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import nbformat
import pytest
from nbclient import NotebookClient

from . import _browser

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
SHOTS = Path(__file__).resolve().parents[1] / "outputs" / "screenshots"
PATHS = sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))

pytestmark = pytest.mark.slow


def test_notebooks_found_and_stored_without_outputs() -> None:
    assert len(PATHS) >= 4
    for path in PATHS:
        nb = nbformat.read(path, as_version=4)
        stale = [c for c in nb.cells if c.cell_type == "code" and (c.outputs or c.execution_count)]
        assert not stale, f"{path.name} is stored with outputs; clear them before committing"


@pytest.mark.parametrize("path", PATHS, ids=[p.stem for p in PATHS])
def test_notebook_runs_and_its_maps_open(path: Path, data_dir: Path, browser_optional: Any) -> None:
    prefix = path.name[:3]  # "01_": each notebook names its maps after itself
    started = time.time()
    nb = nbformat.read(path, as_version=4)
    NotebookClient(
        nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(NOTEBOOKS)}}
    ).execute()
    written = sorted(
        p for p in (NOTEBOOKS / "outputs").glob(f"{prefix}*.html") if p.stat().st_mtime >= started
    )
    assert written, f"{path.name} wrote no map to notebooks/outputs/"
    for html in written:
        assert html.stat().st_size < 3_000_000, f"{html.name} is over 3 MB"
        if browser_optional is not None:
            _browser.assert_readable_map(
                browser_optional, html, SHOTS / f"notebook_{html.stem}.png"
            )
