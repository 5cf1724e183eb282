"""Every example in the docstrings runs and prints what it says (the API reference shows them)."""

from __future__ import annotations

import doctest
import importlib
import pkgutil
from pathlib import Path

import pytest

import hotspots

MODULES = sorted(
    name
    for _, name, _ in pkgutil.iter_modules(hotspots.__path__, prefix="hotspots.")
    if name != "hotspots.__main__"
)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str, data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(data_dir.parent)  # examples that name files do so relative to here
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples failed in {name}"
