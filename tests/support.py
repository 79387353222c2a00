"""What the tests share: where the book and its data are, the console command, CSV editing,
the check that a data problem names its file, line and column.

Importable from every test module (``pythonpath = ["tests"]`` in pyproject.toml), whatever its folder.
"""

from __future__ import annotations

import csv
import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data"
CLI = Path(sys.executable).parent / "rare-earths"


def run_cli(*args: str, env: dict | None = None, check: bool = False) -> subprocess.CompletedProcess:
    """Run the installed ``rare-earths`` console script, as a reader would."""
    full_env = {k: v for k, v in os.environ.items() if k != "RARE_EARTHS_DATA"}
    full_env.update(env or {})
    result = subprocess.run([str(CLI), *args], capture_output=True, text=True, env=full_env, timeout=300)
    if check and result.returncode != 0:
        raise AssertionError(f"rare-earths {' '.join(args)} failed ({result.returncode}):\n{result.stderr}")
    return result


def read_rows(path: Path) -> tuple[list[str], list[dict]]:
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        return list(reader.fieldnames or []), list(reader)


def write_rows(path: Path, header: list[str], rows: list[dict]) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=header)
        writer.writeheader()
        writer.writerows(rows)


def assert_problem_named(lines: list[str], file: str, column: str, line: int | None = None, text: str | None = None) -> None:
    """One of ``lines`` (problems as ``rare-earths validate`` prints them) names ``file``, CSV
    ``line`` (any, if None) and ``column``, and contains ``text``."""
    pattern = re.escape(file) + (rf":{line}:" if line else r"(:\d+)?:") + rf" column '{re.escape(column)}':"
    hits = [l for l in lines if re.match(pattern, l) and (text is None or text in l)]
    assert hits, f"no line names {file} / {column} / {text!r} in:\n" + "\n".join(lines)

#: Two build days: the book must come out the same on both, apart from its "built" date.
FIRST_DAY, LATER_DAY = "1798070400", "1830297600"  # 2026-12-24 and 2028-01-01 (SOURCE_DATE_EPOCH)


def build_book(out: Path, epoch: str) -> Path:
    """The product build of the real book (python -m rare_earths.build) into ``out``, strict."""
    env = dict(os.environ, SOURCE_DATE_EPOCH=epoch)
    result = subprocess.run(
        [sys.executable, "-m", "rare_earths.build", "--path-output", str(out), str(ROOT)],
        capture_output=True, text=True, timeout=1800, env=env,
    )
    log = result.stdout + result.stderr
    assert result.returncode == 0, f"strict build failed:\n{log[-6000:]}"
    assert not re.search(r"WARNING:", log), f"build printed warnings:\n{log[-6000:]}"
    return out / "_build" / "html"


def scratch_book(tmp_path: Path) -> Path:
    """A scratch book folder with the real _config.yml, references.bib, _ext/ and data/ (the
    chapters, intro and _toc.yml are the test's own)."""
    import shutil

    book = tmp_path / "book"
    book.mkdir()
    for name in ("_config.yml", "references.bib"):
        shutil.copy2(ROOT / name, book / name)
    shutil.copytree(ROOT / "_ext", book / "_ext", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(ROOT / "data", book / "data")
    return book


def validation_lines(folder) -> list[str]:
    """The lines `rare-earths validate --data FOLDER` prints for broken data (``str`` of each problem
    :func:`rare_earths.data.checks.validate_dataset` returns), computed in this process; fails when
    the data is accepted."""
    from rare_earths.data.checks import validate_dataset

    lines = [str(p) for p in validate_dataset(folder)]
    assert lines, "validate accepted broken data"
    return lines
