"""The README's two commands exist, CI runs exactly the test command, dependencies are pinned."""

from __future__ import annotations

import re

from support import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")


def _commands_in_readme() -> list[str]:
    blocks = re.findall(r"```(?:bash|sh|console)\n(.*?)```", README, flags=re.S)
    return [line.strip() for block in blocks for line in block.splitlines() if line.strip() and not line.startswith("#")]


def test_readme_names_build_and_test_commands():
    commands = _commands_in_readme()
    assert "bash scripts/build.sh" in commands
    assert "bash scripts/test.sh" in commands


def test_ci_runs_exactly_the_readme_test_command():
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    lines = [l.strip() for l in ci.splitlines() if l.strip() and not l.startswith("#")]
    assert "exec bash scripts/test.sh" in lines


def test_every_dependency_is_pinned_exactly():
    lines = [l for l in (ROOT / "requirements" / "constraints.txt").read_text().splitlines() if l and not l.startswith("#")]
    assert lines, "constraints file is empty"
    assert all(re.fullmatch(r"[A-Za-z0-9_.\-\[\]]+==[^\s=]+", l) for l in lines), [l for l in lines if "==" not in l]
    names = {l.split("==")[0].lower().replace("_", "-") for l in lines}
    for required in ("jupyter-book", "sphinx", "pandas", "pandera", "altair", "papermill", "nbval", "vl-convert-python"):
        assert required in names, required
    assert "jupyter-book==1.0.4.post1" in lines


def test_generated_files_are_current():
    """``scripts/generate.py --check`` (run by build.sh): the data package descriptor, references.bib and
    each chapter's list of glued keys are what the schema, the sources and the chapters make now."""
    import subprocess
    import sys

    done = subprocess.run([sys.executable, str(ROOT / "scripts" / "generate.py"), "--check"], capture_output=True,
                          text=True, cwd=ROOT, timeout=300)
    assert done.returncode == 0, done.stderr
