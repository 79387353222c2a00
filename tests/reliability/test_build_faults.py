"""The build under faults: a data edit while a kernel runs, another data folder, damaged caches
and manifests, damaged output pages, SIGINT and SIGTERM (issue 15).

Each case states the fault, the one line the build prints about it, that nothing was lost, and
that the next build is correct without ``--force``. All run on a scratch book of two tiny
chapters (the real ``_config.yml``, ``_ext/`` and a copy of the data): ``chapters/one`` reads
``prices.csv`` and, when ``RR_TEST_HOLD`` names a folder, says so there (with its kernel's pid)
and waits for a ``go`` file; ``chapters/two`` imports a module beside it and shows one chart.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

from support import ROOT, read_rows, scratch_book, write_rows

ONE, TWO = "chapters/one.ipynb", "chapters/two.ipynb"

HOLD_CELL = """\
import os, pathlib, time
from rare_earths.data.load import load_table
prices = load_table("prices")
print("NOTE:", prices["note"].iloc[0])
hold = os.environ.get("RR_TEST_HOLD")
if hold:
    pathlib.Path(hold, "read").write_text(str(os.getpid()))
    for _ in range(1200):
        if pathlib.Path(hold, "go").exists():
            break
        time.sleep(0.05)
"""

CHART_CELL = """\
import altair as alt
import pandas as pd
import helper
from rare_earths.figures.charts import Figure, axis_title
data = pd.DataFrame({"x": ["a", "b"], "y": [1.0, helper.FACTOR]})
chart = alt.Chart(data).mark_bar().encode(x=alt.X("x:N", title="Item"), y=alt.Y("y:Q", title=axis_title("Size", "t")))
Figure(id="tiny", chart=chart, data=data,
       caption="A tiny chart. Source: USGS, MCS 2026 (data for 2025).", alt_text="Two bars: a at 1 and b at the helper factor.", sources=["usgs_mcs_2026_ree"], chapter="two").show()
"""


def _notebook(title: str, code: str) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [nbformat.v4.new_markdown_cell(f"# {title}\n\nA tiny chapter."), nbformat.v4.new_code_cell(code)]
    return nb


@pytest.fixture
def book(tmp_path: Path) -> Path:
    book = scratch_book(tmp_path)
    (book / "intro.md").write_text("# Tiny book\n\nTwo chapters.\n", encoding="utf-8")
    (book / "_toc.yml").write_text("format: jb-book\nroot: intro\nchapters:\n  - file: chapters/one\n"
                                   "  - file: chapters/two\n", encoding="utf-8")
    (book / "chapters").mkdir()
    nbformat.write(_notebook("One", HOLD_CELL), str(book / ONE))
    (book / "chapters" / "helper.py").write_text("FACTOR = 6\n", encoding="utf-8")
    nbformat.write(_notebook("Two", CHART_CELL), str(book / TWO))
    (tmp_path / "tmp").mkdir()
    return book


def _env(book: Path, **extra: str) -> dict:
    env = dict(os.environ, RARE_EARTHS_DATA=str(book / "data"), TMPDIR=str(book.parent / "tmp"))
    env.update(extra)
    return env


def start(book: Path, *args: str, **env: str) -> subprocess.Popen:
    report = book.parent / "report.json"
    report.unlink(missing_ok=True)
    return subprocess.Popen([sys.executable, "-m", "rare_earths.build", str(book), "--report", str(report), *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env(book, **env))


def run_build(book: Path, *args: str, **env: str) -> tuple[dict, str, int]:
    process = start(book, *args, **env)
    _, err = process.communicate(timeout=600)
    report = book.parent / "report.json"
    return (json.loads(report.read_text(encoding="utf-8")) if report.is_file() else {}), err, process.returncode


def built(book: Path, *args: str, **env: str) -> tuple[dict, str]:
    report, err, code = run_build(book, *args, **env)
    assert code == 0, err[-5000:]
    assert "Traceback" not in err and "WARNING:" not in err, err[-5000:]
    return report, err


def manifest(book: Path) -> dict:
    return json.loads((book / "_build" / ".rare_earths_deps.json").read_text(encoding="utf-8"))


def cached_outputs(book: Path, rel: str) -> str:
    """The text outputs jupyter-cache holds for a notebook (what the page would show)."""
    from jupyter_cache import get_cache

    cache = get_cache(str(book / "_build" / ".jupyter_cache"))
    record = cache.match_cache_notebook(nbformat.read(str(book / rel), as_version=4))
    nb = cache.get_cache_bundle(record.pk).nb
    return "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs)


def set_first_note(data: Path, note: str) -> None:
    header, rows = read_rows(data / "prices.csv")
    rows[0]["note"] = note
    write_rows(data / "prices.csv", header, rows)


def wait_for(path: Path, process: subprocess.Popen, timeout: float = 120) -> str:
    deadline = time.monotonic() + timeout
    while not path.exists():
        if process.poll() is not None:
            raise AssertionError(f"the build ended before {path.name}:\n{process.stderr.read()[-4000:]}")
        assert time.monotonic() < deadline, f"no {path.name} after {timeout} s"
        time.sleep(0.05)
    time.sleep(0.05)  # written, not only created
    return path.read_text(encoding="utf-8")


def error_lines(err: str) -> list[str]:
    return [line for line in err.splitlines() if line.strip()]


PROGRESS = ("build: executing", "build: executed", "build: done", "build: all ", "build: rendering")


def fault_lines(err: str) -> list[str]:
    """What the build said besides its progress lines and the render's own output."""
    return [line for line in error_lines(err) if line.startswith("build: ") and not line.startswith(PROGRESS)]


# ----------------------------------------------------------------------------- dependency keys


def test_data_edit_while_the_kernel_runs_is_never_recorded_as_built(book: Path):
    """The TOCTOU case: prices.csv is edited after the kernel read it (its modification time set
    back, so only its content tells). The build says so in one line, records the file as stale,
    and the next build re-executes the chapter and shows the new note."""
    hold = book.parent / "hold"
    hold.mkdir()
    prices = book / "data" / "prices.csv"
    before = prices.stat()
    process = start(book, "--no-render", "-j", "1", RR_TEST_HOLD=str(hold))
    wait_for(hold / "read", process)
    set_first_note(book / "data", "Edited while the kernel ran.")
    os.utime(prices, ns=(before.st_atime_ns, before.st_mtime_ns))
    (hold / "go").touch()
    _, err = process.communicate(timeout=300)
    assert process.returncode == 0, err[-4000:]
    assert fault_lines(err) == [f"build: {ONE}: {prices} changed while the notebook ran: it re-executes next build"], err
    assert "Edited while the kernel ran." not in cached_outputs(book, ONE)  # made from the old content

    report, _ = built(book, "--no-render")
    assert report["executed"] == [ONE] and report["reasons"][ONE] == "dependencies changed: data/prices.csv"
    assert "NOTE: Edited while the kernel ran." in cached_outputs(book, ONE)


def test_switching_the_data_folder_re_executes_the_chapters_that_read_data(book: Path, tmp_path: Path):
    built(book, "--no-render")
    other = tmp_path / "other-data"
    shutil.copytree(book / "data", other)
    set_first_note(other, "A note only in the other data folder.")
    report, _ = built(book, "--no-render", RARE_EARTHS_DATA=str(other))
    assert sorted(report["executed"]) == [ONE, TWO], report  # two reads sources.csv (the chart's citation)
    assert report["reasons"][ONE] == f"data folder changed (RARE_EARTHS_DATA): {book / 'data'} -> {other}"
    assert "NOTE: A note only in the other data folder." in cached_outputs(book, ONE)
    assert manifest(book)["notebooks"][ONE]["data"] == str(other)


# ----------------------------------------------------------------------------- damaged manifest and cache


DAMAGED_MANIFESTS = {
    "a list": "[]",
    "notebooks a list": '{"format": 2, "notebooks": [], "render": {}}',
    "render null": '{"format": 2, "notebooks": {}, "render": null}',
    "an entry that is a string": '{"format": 2, "notebooks": {"chapters/one.ipynb": "x"}, "render": {}}',
    "deps a list": ('{"format": 2, "notebooks": {"chapters/one.ipynb": {"code": "c", "env": "e", "key": "k", '
                    '"deps": ["a"], "cache_pk": 1}}, "render": {}}'),
    "truncated": '{"format": 2, "noteb',
    "NUL bytes": "\0\0\0",
    "an old format": '{"format": 1, "notebooks": {}, "render": {}}',
}


@pytest.mark.parametrize("text", DAMAGED_MANIFESTS.values(), ids=DAMAGED_MANIFESTS.keys())
def test_a_damaged_manifest_is_discarded_with_one_line(tmp_path: Path, text: str):
    from rare_earths.build.plan import load_manifest, read_settings

    settings = read_settings(ROOT, tmp_path)
    settings.build_dir.mkdir()
    settings.manifest_path.write_text(text, encoding="utf-8")
    notes: list[str] = []
    assert load_manifest(settings, notes) == {"format": 2, "notebooks": {}, "render": {}}
    assert len(notes) == 1 and notes[0].startswith(f"{settings.manifest_path} is damaged (")
    assert "discarded" in notes[0]


def test_damaged_manifest_and_cache_records_recover_without_force(book: Path):
    built(book, "--no-render")
    # The manifest a folder: one line, everything re-executes, the manifest is written again.
    path = book / "_build" / ".rare_earths_deps.json"
    path.unlink()
    path.mkdir()
    report, err = built(book, "--no-render")
    assert fault_lines(err) == ["build: _build/.rare_earths_deps.json is damaged (unreadable (IsADirectoryError)): "
                       "discarded; every notebook re-executes and the book re-renders in full"], err
    assert sorted(report["executed"]) == [ONE, TWO] and path.is_file()

    # A cache record's notebook edited: discarded with one line, only that notebook re-executes.
    from jupyter_cache import get_cache

    def record_files() -> dict[str, Path]:
        cache = get_cache(str(book / "_build" / ".jupyter_cache"))
        return {Path(r.uri).name: next((book / "_build" / ".jupyter_cache" / "executed" / r.hashkey).glob("*.ipynb"))
                for r in cache.list_cache_records()}

    edited = json.loads(record_files()["two.ipynb"].read_text(encoding="utf-8"))
    for cell in edited["cells"]:
        cell["outputs"] = []
    record_files()["two.ipynb"].write_text(json.dumps(edited), encoding="utf-8")
    report, err = built(book, "--no-render")
    assert fault_lines(err) == [
        f"build: {TWO}: its execution cache record is damaged (edited since it was stored): discarded"], err
    assert report["executed"] == [TWO]

    # A record's notebook deleted (jupyter-cache cannot remove such a record): the cache is cleared, in two lines.
    record_files()["one.ipynb"].unlink()
    report, err = built(book, "--no-render")
    assert fault_lines(err) == [
        f"build: {ONE}: its execution cache record is damaged (unreadable: KeyError): discarded",
        "build: _build/.jupyter_cache: a damaged record could not be removed on its own, so the execution cache "
        "is cleared; every notebook re-executes"], err
    assert sorted(report["executed"]) == [ONE, TWO]
    assert "NOTE:" in cached_outputs(book, ONE)


# ----------------------------------------------------------------------------- output pages


def test_render_repairs_missing_or_edited_pages_and_the_chart_bundle(book: Path):
    built(book)
    html = book / "_build" / "html"
    pages = {rel: (html / rel).read_bytes() for rel in ("chapters/one.html", "chapters/two.html")}
    bundle = next((html / "_static").glob("vega-offline-*.js"))
    whole = bundle.read_bytes()

    (html / "chapters" / "one.html").unlink()
    with (html / "chapters" / "two.html").open("a", encoding="utf-8") as fh:
        fh.write("<p>tampered</p>")
    bundle.write_bytes(whole[:5000])
    report, err = built(book)
    assert report["render"] == "full" and report["executed"] == []
    assert fault_lines(err) == [
        "build: output pages missing or edited since the last render (_static/" + bundle.name
        + ", chapters/one.html, chapters/two.html): re-rendering in full"], err
    for rel, content in pages.items():  # as rendered before (a warm render adds ?v= to one stylesheet link)
        assert re.sub(rb"\?v=[0-9a-f]+", b"", (html / rel).read_bytes()) == re.sub(rb"\?v=[0-9a-f]+", b"", content), rel
    assert bundle.read_bytes() == whole

    bundle.write_bytes(whole[:5000])  # and `--all` alone repairs the bundle too
    assert built(book, "--all")[0]["render"] == "full"
    assert bundle.read_bytes() == whole


# ----------------------------------------------------------------------------- interrupts


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")


def _processes_naming(text: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and entry.name != str(os.getpid()):
            try:
                if text in entry.joinpath("cmdline").read_bytes().decode(errors="replace") and _alive(int(entry.name)):
                    found.append(int(entry.name))
            except OSError:
                pass
    return found


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_signal_stops_the_build_kills_its_kernels_and_the_next_build_recovers(book: Path, signum: int):
    hold = book.parent / "hold"
    hold.mkdir()
    process = start(book, "-j", "1", RR_TEST_HOLD=str(hold))  # renders meanwhile (pipeline)
    kernel = int(wait_for(hold / "read", process))
    sent = time.monotonic()
    process.send_signal(signum)
    _, err = process.communicate(timeout=60)
    assert time.monotonic() - sent < 15, "the build did not stop promptly"
    assert process.returncode == 128 + signum, err[-4000:]
    lines = error_lines(err)
    assert lines[-1] == (f"build: interrupted ({signal.Signals(signum).name}): running notebooks and the render "
                         "stopped, their kernels killed; 0 notebook(s) finished before are kept, the rest execute "
                         "next build"), err[-3000:]
    assert "Traceback" not in err
    assert f"executing {TWO}" not in err  # nothing started after the signal
    deadline = time.monotonic() + 5
    while _alive(kernel) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(kernel), "the kernel outlived the build"
    assert _processes_naming(str(book)) == [], "a render or kernel process outlived the build"
    assert list((book.parent / "tmp").iterdir()) == []  # no kernel, sync or kernelspec folders left
    assert not (book / "_build" / ".rare_earths_deps.json").is_file() or manifest(book)["notebooks"] == {}

    if signum == signal.SIGINT:  # the next build (not forced) executes both
        report, _ = built(book, "--no-render")
        assert sorted(report["executed"]) == [ONE, TWO]
        assert "NOTE:" in cached_outputs(book, ONE)


def test_an_unreadable_execution_cache_database_is_discarded_with_one_line(tmp_path: Path):
    from jupyter_cache import get_cache

    from rare_earths.build.plan import _open_cache, read_settings

    settings = read_settings(ROOT, tmp_path)
    get_cache(str(settings.jupyter_cache)).list_cache_records()  # a cache with its database
    database = next(settings.jupyter_cache.glob("*.db"))
    database.write_bytes(b"not a database" * 100)
    notes: list[str] = []
    cache = _open_cache(settings, notes)
    assert cache.list_cache_records() == []
    assert len(notes) == 1 and notes[0].startswith(f"{settings.jupyter_cache} is damaged (")
    assert notes[0].endswith("): discarded; every notebook re-executes")
