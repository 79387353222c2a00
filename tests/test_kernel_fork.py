"""Kernels forked from the build's fork server behave like freshly started ones."""

from __future__ import annotations

import os
import sys

import nbformat
import pytest

pytestmark = pytest.mark.skipif(not hasattr(os, "fork") or not os.path.isdir("/proc"), reason="needs fork and /proc")


@pytest.fixture
def server():
    from rare_earths.build.kernels import ForkServer

    srv = ForkServer().start()
    yield srv
    srv.stop()


def _run(server, *sources: str, **client_options) -> tuple[nbformat.NotebookNode, object]:
    from jupyter_client.manager import AsyncKernelManager
    from nbclient import NotebookClient

    from rare_earths.book.setup import kernel_config
    from rare_earths.build.kernels import provisioner_for

    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell(s) for s in sources]
    km = AsyncKernelManager(kernel_name="python3", config=kernel_config())
    km.provisioner = provisioner = provisioner_for(km, server)
    client = NotebookClient(nb, km=km, **{"timeout": 60, **client_options})
    try:
        client.execute(cleanup_kc=False)
        process = provisioner.process
    finally:
        client._cleanup_kernel()
    return nb, process


def _text(nb, index: int) -> str:
    return "".join(o.get("text", "") for o in nb.cells[index].outputs if o.output_type == "stream")


def test_forked_kernel_has_the_libraries_but_not_the_books_modules_and_stops(server, tmp_path):
    nb, process = _run(
        server,
        "import os, sys\nprint(os.getppid() != os.getpid(), 'pandas' in sys.modules, 'altair' in sys.modules)",
        "print(any(m.startswith('rare_earths') for m in sys.modules))",
        "print(os.getpgid(0) == os.getpid())",
        "import pandas as pd\nprint(pd.DataFrame({'a': [1, 2]}).a.sum())",
    )
    assert _text(nb, 0).split() == ["True", "True", "True"]  # preloaded third-party libraries
    assert _text(nb, 1).strip() == "False"  # the book's modules are each chapter's own imports (tracked)
    assert _text(nb, 2).strip() == "True"  # its own process group, like a Popen(start_new_session) kernel
    assert _text(nb, 3).strip() == "3"
    assert process.poll() is not None  # stopped with its manager
    with pytest.raises(ProcessLookupError):
        os.kill(process.pid, 0)


def test_interrupt_reaches_a_forked_kernel(server):
    nb, _ = _run(
        server,
        "import time\ntry:\n    time.sleep(30)\nexcept KeyboardInterrupt:\n    print('interrupted')",
        "print('still alive')",
        timeout=3, interrupt_on_timeout=True, allow_errors=True,
    )
    assert "interrupted" in _text(nb, 0)
    assert _text(nb, 1).strip() == "still alive"


def test_a_server_that_cannot_start_is_reported(tmp_path):
    from rare_earths.build.kernels import ForkServer, ForkServerError

    fake = tmp_path / "python"
    fake.write_text("#!/bin/sh\necho 'no such module' >&2\nexit 1\n")
    fake.chmod(0o755)
    srv = ForkServer(python=str(fake)).start()
    try:
        with pytest.raises(ForkServerError, match="did not start"):
            srv.fork(["-f", "x.json"], dict(os.environ), str(tmp_path))
    finally:
        srv.stop()


def test_build_without_fork_still_works(tmp_path):
    """`--no-fork` starts kernels the usual way (the build's cache tests cover the forked path)."""
    import json
    import shutil
    import subprocess

    from support import ROOT

    book = tmp_path / "book"
    book.mkdir()
    for name in ("_config.yml", "references.bib"):
        shutil.copy2(ROOT / name, book / name)
    shutil.copytree(ROOT / "_ext", book / "_ext", ignore=shutil.ignore_patterns("__pycache__"))
    (book / "intro.md").write_text("# Scratch\n", encoding="utf-8")
    (book / "_toc.yml").write_text("format: jb-book\nroot: intro\nchapters:\n  - file: one\n", encoding="utf-8")
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [nbformat.v4.new_markdown_cell("# One"), nbformat.v4.new_code_cell("import sys\nprint('pandas' in sys.modules)")]
    nbformat.write(nb, str(book / "one.ipynb"))
    report = tmp_path / "report.json"
    result = subprocess.run([sys.executable, "-m", "rare_earths.build", str(book), "--no-fork", "--no-render",
                             "--report", str(report)], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    assert json.loads(report.read_text())["executed"] == ["one.ipynb"]


def test_kernels_exit_when_the_server_dies():
    """No orphaned kernels: a forked kernel watches its parent, the server, and exits without it."""
    import time

    from jupyter_client.manager import AsyncKernelManager
    from jupyter_core.utils import run_sync

    from rare_earths.book.setup import kernel_config
    from rare_earths.build.kernels import ForkServer, provisioner_for

    srv = ForkServer().start()
    km = AsyncKernelManager(kernel_name="python3", config=kernel_config())
    km.provisioner = provisioner = provisioner_for(km, srv)
    try:
        run_sync(km.start_kernel)()
        process = provisioner.process
        assert process.poll() is None
        srv._proc.kill()  # the server dies (as when the build is killed)
        deadline = time.monotonic() + 15
        while process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.1)
        assert process.poll() is not None, "the forked kernel outlived its server"
    finally:
        run_sync(km.cleanup_resources)()
        srv.stop()


def test_build_falls_back_to_fresh_kernels_when_the_server_cannot_start(tmp_path, monkeypatch):
    """A fork server that does not come up costs the build its speed-up, not its result."""
    import asyncio

    from rare_earths import build
    from rare_earths.build import kernels as kernel_fork

    fake = tmp_path / "python"
    fake.write_text("#!/bin/sh\nexit 1\n")
    fake.chmod(0o755)
    real_init = kernel_fork.ForkServer.__init__
    monkeypatch.setattr(kernel_fork.ForkServer, "__init__", lambda self, python=None: real_init(self, str(fake)))
    seen = []

    async def fake_execute_one(job, settings, roots, excluded, fork_server=None):
        seen.append(fork_server)
        res = build.Result(job)
        res.error = "not executed in this test"
        return res

    monkeypatch.setattr(build, "_execute_one", fake_execute_one)
    messages = []

    class Job:
        rel, docname, seconds = "x.ipynb", "x", 0.0
        path = tmp_path / "x.ipynb"
        reason = "test"

    class Plan:
        jobs = [Job()]
        settings = type("S", (), {"jupyter_cache": tmp_path / "cache", "book": tmp_path, "build_dir": tmp_path / "_build"})()

    monkeypatch.setattr(build, "tracked_roots", lambda settings: ((), ()))
    executor = build.Executor(Plan(), {"notebooks": {}}, 1, messages.append, fork=True)
    asyncio.run(executor._run_all())
    assert seen == [None]
    assert any("starting kernels afresh" in m for m in messages)
