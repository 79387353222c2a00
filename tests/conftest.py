"""Shared fixtures: scratch copies of the real data folder (helpers are in support.py)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from support import DATA, FIRST_DAY, build_book


@pytest.fixture
def data_copy(tmp_path: Path) -> Path:
    """A scratch copy of data/ that a test may break; the real folder is never touched."""
    target = tmp_path / "data"
    shutil.copytree(DATA, target)
    return target


@pytest.fixture(scope="session")
def built_book(tmp_path_factory) -> Path:
    """The whole real book built once per test session into a scratch folder (never into _build/).

    Shared: every test that reads the built site (pages, browser checks) uses this one build."""
    return build_book(tmp_path_factory.mktemp("book"), FIRST_DAY)
