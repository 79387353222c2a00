"""Releases (rare_earths.releases, CHANGELOG.md, releases/): each version has a dated changelog
entry, release notes and a numbers snapshot; every moved number has its why."""

from __future__ import annotations

import json
import re
import shutil

import pytest

import rare_earths
from rare_earths import releases
from rare_earths.edition import read_citation_cff
from support import ROOT


def test_the_current_version_is_released_in_every_place():
    version = rare_earths.__version__
    assert releases.version_key(version)  # MAJOR.MINOR.PATCH
    cff = read_citation_cff()
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert re.search(rf'^version = "{re.escape(version)}"$', pyproject, flags=re.M)
    assert cff["version"] == version and cff["preferred-citation"]["version"] == version
    notes = releases.load_notes(version)
    assert str(notes["date"]) == cff["date-released"] == cff["preferred-citation"]["date-released"]
    assert version in releases.versions()


def test_changelog_has_a_dated_entry_for_every_release_newest_first():
    text = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    entries = re.findall(r"^## (\d+\.\d+\.\d+) — (\d{4}-\d{2}-\d{2})$", text, flags=re.M)
    assert [v for v, _ in entries] == releases.versions()[::-1]
    for version, date in entries:
        assert str(releases.load_notes(version)["date"]) == date


def test_the_numbers_equal_the_snapshot_of_this_version():
    # A number that moves needs a release (or, before it, `python -m rare_earths.releases snapshot --force`).
    assert releases.snapshot_drift() == []


def test_every_moved_number_has_its_why_and_old_and_new_values():
    newest = releases.release_changes()[0]
    previous = releases.load_snapshot(newest.previous)
    current = releases.load_snapshot(newest.version)
    # derived here, independently: a number moved when its printed value or its bounds changed
    expected = sorted(i for i in current if i in previous and any(
        previous[i][k] != current[i][k] and not (isinstance(previous[i][k], float) and isinstance(current[i][k], float)
                                                 and abs(previous[i][k] - current[i][k]) <= 1e-9 * abs(current[i][k]))
        for k in ("display", "low", "high", "value", "unit", "bound")))
    assert sorted(m.id for m in newest.moved) == expected and expected
    for move in newest.moved:
        assert move.why and move.old.startswith(previous[move.id]["display"]) and move.new.startswith(current[move.id]["display"])
    assert sorted(newest.added) == sorted(set(current) - set(previous))


def test_a_moved_number_without_a_why_is_refused(tmp_path):
    folder = tmp_path / "releases"
    shutil.copytree(releases.releases_dir(), folder)
    notes = releases.notes_path(rare_earths.__version__, folder)
    text = notes.read_text(encoding="utf-8")
    cut = text.index("  - numbers: [pipeline.suspension_days_left]")
    notes.write_text(text[:cut], encoding="utf-8")
    with pytest.raises(releases.ReleaseError) as err:
        releases.release_changes(folder)
    assert "pipeline.suspension_days_left" in str(err.value) and "without a why" in str(err.value)
    # and a why for a number that did not move is refused too
    notes.write_text(text + "  - numbers: [dataset.tables]\n    why: nothing moved\n", encoding="utf-8")
    with pytest.raises(releases.ReleaseError, match="did not move"):
        releases.release_changes(folder)


def test_a_snapshot_is_never_replaced_without_force(tmp_path):
    folder = tmp_path / "releases"
    folder.mkdir()
    path = releases.snapshot_path(rare_earths.__version__, folder)
    path.write_text("[]", encoding="utf-8")
    with pytest.raises(releases.ReleaseError, match="pass --force"):
        releases.write_snapshot(folder=folder)
    assert path.read_text(encoding="utf-8") == "[]"
    records = [{"id": "a.b", "value": 1.5}]
    releases.write_snapshot(force=True, folder=folder, records=records)
    assert json.loads(path.read_text(encoding="utf-8")) == records
