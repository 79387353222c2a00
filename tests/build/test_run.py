"""Re-running chapters: parameter declarations, validation before any kernel, `rare-earths run`."""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import nbformat
import pytest

from support import DATA, ROOT, run_cli
from rare_earths.build.paths import chapter_path, parameters_cell
from rare_earths.params import CHAPTERS, chapter_parameters
from rare_earths.numbers import compute_numbers

sys.path.insert(0, str(ROOT / "scripts"))

CHAPTER_NOTEBOOKS = [c for c in CHAPTERS if chapter_path(c).is_file()]

#: One non-default setting per analytic chapter, chosen to move its glued numbers.
RERUNS = {
    "cost-gap": ["cost_gap_high=0.5", "market_price_usd_per_kg=60"],
    "rebuild": ["rebuild_total_usd_bn=400", "rebuild_years=20"],
    "pipeline": ["as_of=2026-01-15"],
    "shares": [],
    "reserves": [],
}


def _tree_digest(folder: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(folder)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_params_command_lists_the_declaration(chapter):
    listed = json.loads(run_cli("params", chapter, "--json", check=True).stdout)
    assert [p["name"] for p in listed] == [p.name for p in chapter_parameters(chapter)]
    for rec in listed:
        assert {"name", "type", "default", "unit", "allowed", "description"} <= rec.keys()


@pytest.mark.parametrize(
    "args, expected",
    [
        (["-p", "cost_gap_high=abc"], "cost_gap_high=abc: not a number"),
        (["-p", "cost_gap_high=7"], "cost_gap_high=7: must be a fraction between 0 and 5"),
        (["-p", "cost_gap_hgih=0.5"], "did you mean cost_gap_high?"),
        (["-p", "cost_gap_low=0.6"], "cost_gap_low must not exceed cost_gap_high"),
        (["-p", "volume_t="], "volume_t=: missing value"),
        (["-p", "as_of=2026-01-01"], "as_of: not a parameter of chapter 'cost-gap'"),
        (["-p", "cost_gap_high"], "expected NAME=VALUE"),
    ],
)
def test_bad_parameters_fail_before_any_kernel(tmp_path, args, expected):
    out = tmp_path / "run"
    result = run_cli("run", "cost-gap", *args, "--out", str(out), "--quiet")
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and expected in lines[0], result.stderr
    assert "Traceback" not in result.stderr
    assert not out.exists()


def test_malformed_date_is_named(tmp_path):
    result = run_cli("run", "pipeline", "-p", "as_of=2026-02-30", "--out", str(tmp_path / "x"))
    assert result.returncode == 2 and "as_of=2026-02-30" in result.stderr


def test_unknown_chapter_suggests(tmp_path):
    result = run_cli("run", "costgap", "--out", str(tmp_path / "x"))
    assert result.returncode == 2 and "did you mean cost-gap?" in result.stderr


def _glued(notebook: Path) -> dict[str, str]:
    nb = nbformat.read(notebook, as_version=4)
    out = {}
    for cell in nb.cells:
        for o in cell.get("outputs", []):
            name = o.get("metadata", {}).get("scrapbook", {}).get("name")
            if name:
                out[name] = next(v for k, v in o["data"].items() if k.endswith("text/markdown"))
    return out


@pytest.mark.parametrize("chapter", [c for c in RERUNS if chapter_path(c).is_file()])
def test_rerun_with_parameters_moves_glued_numbers_as_the_registry_says(tmp_path, chapter):
    from rare_earths.book import escape_markdown as _md_escape
    from rare_earths.params import parse_assignments

    before_chapters, before_data = _tree_digest(ROOT / "chapters"), _tree_digest(DATA)
    assignments = RERUNS[chapter]
    out = tmp_path / "run"
    args = [a for assignment in assignments for a in ("-p", assignment)]
    result = run_cli("run", chapter, *args, "--out", str(out), "--quiet")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(out.resolve())
    assert {p.name for p in out.iterdir()} == {f"{chapter}.ipynb", f"{chapter}.html", "params.json"}

    record = json.loads((out / "params.json").read_text())
    overrides = parse_assignments(assignments)
    assert record["chapter"] == chapter
    assert record["overrides"] == {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in overrides.items()}
    assert {"package_version", "data_version", "started_at", "parameters"} <= record.keys()

    glued = _glued(out / f"{chapter}.ipynb")
    assert glued, "the chapter glues no numbers"
    expected = {n.id: n for n in compute_numbers(overrides)}
    defaults = {n.id: n for n in compute_numbers({})}
    moved = 0
    for key, text in glued.items():
        if key in expected:  # the value as the registry displays it under the same parameters, typeset for prose
            from rare_earths.book.glue import typeset

            assert text == _md_escape(typeset(expected[key].display())), key
            moved += expected[key].display() != defaults[key].display()
    if assignments:
        assert moved > 0, "no glued number moved with the parameters"
    # Nothing the user wrote was touched.
    assert _tree_digest(ROOT / "chapters") == before_chapters
    assert _tree_digest(DATA) == before_data


def test_run_page_is_offline_and_renders(tmp_path):
    from browser_check import check_page, find_chromium
    from vega_offline import external_loads  # noqa: F401  (on sys.path via scripts/browser_check)

    out = tmp_path / "run"
    run_cli("run", "cost-gap", "-p", "cost_gap_high=0.5", "--out", str(out), "--quiet", check=True)
    page = (out / "cost-gap.html").read_text(encoding="utf-8")
    assert external_loads(page) == []
    assert "{glue" not in page and "{numref}" not in page  # MyST roles resolved for a page outside the book
    assert "27.50" in page  # 55 USD/kg x 0.5: the high extra cost per kg under the new gap
    if find_chromium() is None:
        import os

        if os.environ.get("CI"):
            pytest.fail("chromium is missing in CI")
        pytest.skip("chromium is not installed")
    assert check_page(out / "cost-gap.html", screenshots=ROOT / "test-artifacts" / "screenshots") == []


def test_runs_never_overwrite_and_do_not_clobber(tmp_path):
    out = tmp_path / "taken"
    out.mkdir()
    (out / "mine.txt").write_text("user file")
    result = run_cli("run", "cost-gap", "--out", str(out), "--quiet")
    assert result.returncode == 2 and "already exists" in result.stderr
    assert (out / "mine.txt").read_text() == "user file"


def test_default_location_gets_a_numbered_sibling(tmp_path, monkeypatch):
    from rare_earths.build import run as runner

    monkeypatch.setattr(runner, "book_root", lambda: tmp_path)
    target = tmp_path / "runs" / "cost-gap-abc"
    target.mkdir(parents=True)
    (target / "keep").write_text("x")
    staged = tmp_path / "runs" / ".staged"
    staged.mkdir()
    final = runner._publish(staged, target, explicit=False)
    assert final == target.with_name("cost-gap-abc-2")
    assert (target / "keep").read_text() == "x"


def test_failed_run_leaves_nothing_and_names_the_cell(tmp_path, monkeypatch):
    from rare_earths.build import run as runner

    broken = tmp_path / "cost-gap.ipynb"
    nb = nbformat.read(chapter_path("cost-gap"), as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell("raise ValueError('deliberate failure')"))
    nbformat.write(nb, broken)
    monkeypatch.setattr(runner, "chapter_path", lambda chapter: broken)
    from rare_earths.build import kernels

    started = []
    start = kernels.prelaunch
    monkeypatch.setattr(kernels, "prelaunch", lambda cwd, **kw: started.append(start(cwd, **kw)) or started[-1])
    out = tmp_path / "out"
    with pytest.raises(runner.RunError, match="failed in cell .*ValueError: deliberate failure"):
        runner.run_chapter("cost-gap", [], out=out, quiet=True)
    assert not out.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".partial")]
    # The kernel the run started is gone, and so are its connection file and sockets.
    assert len(started) == 1
    _token, kernel = started[0]
    assert kernel.process.poll() is not None
    assert not kernel.folder.exists()  # connection file and sockets removed with it


def test_preloaded_kernel_gives_the_outputs_of_a_plain_kernel(tmp_path):
    """`rare-earths run` starts its kernel early with the chapters' imports preloaded
    (rare_earths.build.kernel_preload); the executed notebook must equal a plain kernel's execution."""
    from nbclient import NotebookClient

    from rare_earths.build.paths import kernel_config

    out = tmp_path / "run"
    run_cli("run", "rebuild", "--out", str(out), "--quiet", check=True)
    ours = nbformat.read(str(out / "rebuild.ipynb"), as_version=4)
    plain = nbformat.read(str(chapter_path("rebuild")), as_version=4)
    NotebookClient(plain, timeout=300, kernel_name="python3", config=kernel_config(),
                   resources={"metadata": {"path": str(chapter_path("rebuild").parent)}}).execute()

    def outputs(nb):
        return [(c.source, [{k: v for k, v in o.items() if k != "execution_count"} for o in c.outputs])
                for c in nb.cells if c.cell_type == "code"]

    # nothing injected without -p (the saved notebook's Markdown has its roles resolved and a banner: code only)
    assert [c.source for c in ours.cells if c.cell_type == "code"] == [c.source for c in plain.cells if c.cell_type == "code"]
    assert outputs(ours) == outputs(plain)
    assert sum(len(o) for _, o in outputs(ours)) > 10  # glued values, figures, tables


def test_a_kernel_that_dies_at_start_is_one_error_line(tmp_path, monkeypatch):
    """If the kernel process exits before answering, the run fails with a RunError, leaves nothing
    behind and removes the kernel's folder."""
    import subprocess

    from rare_earths.build import kernels
    from rare_earths.build import run as runner

    started = []
    start = kernels.prelaunch

    def dying_kernel(cwd, **options):
        token, kernel = start(cwd, **options)
        kernel.process.kill()  # as if the kernel crashed while starting
        kernel.process.wait()
        started.append(kernel)
        return token, kernel

    monkeypatch.setattr(kernels, "prelaunch", dying_kernel)
    out = tmp_path / "out"
    with pytest.raises(runner.RunError, match="could not be executed"):
        runner.run_chapter("cost-gap", [], out=out, quiet=True)
    assert not out.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".partial")]
    assert started and not started[0].folder.exists()
    assert isinstance(started[0].process, subprocess.Popen)


def test_a_run_starts_its_kernel_before_importing_table_code(tmp_path):
    """Everything `rare-earths run` does before it launches the kernel (the data gate, parameter
    validation, choosing the folder) imports neither pandas nor numpy: the kernel's start-up, the
    longest step of a run, then overlaps the rest of the run's imports."""
    import subprocess

    script = (
        "import sys\n"
        "import rare_earths.build.kernels as kernels\n"
        "def stop(*args, **kwargs):\n"
        "    print(sorted(m for m in ('pandas', 'numpy', 'altair', 'papermill') if m in sys.modules))\n"
        "    raise SystemExit(0)\n"
        "kernels.prelaunch = stop\n"  # only in this throw-away process: where the run stands at the launch
        "from rare_earths.cli import main\n"
        f"main(['run', 'intro', '--out', {str(tmp_path / 'out')!r}, '--quiet', '-p', 'cost_gap_low=0.33'])\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]", f"imported before the kernel starts: {done.stdout.strip()}"
    assert not (tmp_path / "out").exists()
