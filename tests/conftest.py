"""Shared fixtures: scratch copies of the real data folder (helpers are in support.py)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from support import DATA


@pytest.fixture
def data_copy(tmp_path: Path) -> Path:
    """A scratch copy of data/ that a test may break; the real folder is never touched."""
    target = tmp_path / "data"
    shutil.copytree(DATA, target)
    return target
