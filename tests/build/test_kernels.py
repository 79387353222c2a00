"""Kernels from rare_earths.build.kernels (forked or prelaunched) behave like freshly started ones,
through jupyter_client's public provisioner API."""

from __future__ import annotations

import asyncio
import os
import sys
import time

import nbformat
import pytest

pytestmark = pytest.mark.skipif(not hasattr(os, "fork") or not os.path.isdir("/proc"), reason="needs fork and /proc")


@pytest.fixture
def server():
    from rare_earths.build.kernels import ForkServer

    srv = ForkServer().start()
    yield srv
    srv.stop()


def _notebook(*sources: str):
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell(s) for s in sources]
    return nb


def _run(token: str, tmp_path, *sources: str, **client_options):
    """Execute cells in a kernel from launcher ``token``; (notebook, the launch it ran in)."""
    from nbclient import NotebookClient

    from rare_earths.build.kernels import kernel_manager
    from rare_earths.build.paths import kernel_config

    nb = _notebook(*sources)
    km = kernel_manager(token, tmp_path / "spec", config=kernel_config())
    client = NotebookClient(nb, km=km, **{"timeout": 60, **client_options})

    async def go():
        try:
            await client.async_execute()
            return km.provisioner.launched
        finally:
            if client.kc is not None:
                client.kc.stop_channels()
            await km.shutdown_kernel(now=True)

    return nb, asyncio.run(go())


def _text(nb, index: int) -> str:
    return "".join(o.get("text", "") for o in nb.cells[index].outputs if o.output_type == "stream")


def test_manager_selects_the_provisioner_through_its_entry_point(server, tmp_path):
    from rare_earths.build.kernels import PROVISIONER, kernel_manager

    km = kernel_manager(server.token, tmp_path)
    spec = km.kernel_spec
    assert spec.metadata["kernel_provisioner"] == {"provisioner_name": PROVISIONER, "config": {"token": server.token}}
    from importlib.metadata import entry_points

    names = {ep.name: ep.value for ep in entry_points(group="jupyter_client.kernel_provisioners")}
    assert names[PROVISIONER] == "rare_earths.build.kernels:PrelaunchedKernelProvisioner"


def test_forked_kernel_has_the_libraries_but_not_the_books_modules(server, tmp_path):
    nb, _ = _run(
        server.token, tmp_path,
        "import os, sys\nprint(os.getppid() != os.getpid(), 'pandas' in sys.modules, 'altair' in sys.modules)",
        "print(any(m.startswith('rare_earths') for m in sys.modules))",
        "print(os.getpgid(0) == os.getpid())",
        "import pandas as pd\nprint(pd.DataFrame({'a': [1, 2]}).a.sum())",
        "print(os.getcwd())",
    )
    assert _text(nb, 0).split() == ["True", "True", "True"]  # preloaded third-party libraries
    assert _text(nb, 1).strip() == "False"  # the book's modules are each chapter's own imports (tracked)
    assert _text(nb, 2).strip() == "True"  # its own process group, like a Popen(start_new_session) kernel
    assert _text(nb, 3).strip() == "3"


def test_forked_kernel_stops_with_its_manager_and_leaves_no_folder(server, tmp_path):
    from rare_earths.build.kernels import kernel_manager

    async def go():
        km = kernel_manager(server.token, tmp_path / "spec")
        await km.start_kernel(cwd=str(tmp_path))
        launch = km.provisioner.launched
        pid, folder = launch.process.pid, launch.folder
        assert await km.is_alive() and folder.is_dir()
        await km.shutdown_kernel(now=True)
        return pid, folder

    pid, folder = asyncio.run(go())
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.05)
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    assert not folder.exists()  # sockets and connection file removed


def test_interrupt_reaches_a_forked_kernel(server, tmp_path):
    nb, _ = _run(
        server.token, tmp_path,
        "import time\ntry:\n    time.sleep(30)\nexcept KeyboardInterrupt:\n    print('interrupted')",
        "print('still alive')",
        timeout=3, interrupt_on_timeout=True, allow_errors=True,
    )
    assert "interrupted" in _text(nb, 0)
    assert _text(nb, 1).strip() == "still alive"


def test_prelaunched_kernel_is_adopted_and_runs_the_cells(tmp_path):
    from rare_earths.build.kernels import prelaunch, unregister_launcher

    token, launch = prelaunch(tmp_path)
    try:
        nb, _ = _run(token, tmp_path, "import os\nprint(os.getpid())")
        assert int(_text(nb, 0)) == launch.process.pid  # the cells ran in the process started first
    finally:
        unregister_launcher(token)
        if launch.process.poll() is None:
            launch.process.kill()
        launch.cleanup()


def test_unknown_launcher_is_a_clear_error(tmp_path):
    from rare_earths.build.kernels import kernel_manager

    km = kernel_manager("no-such-token", tmp_path)
    with pytest.raises(RuntimeError, match="no kernel launcher registered"):
        asyncio.run(km.start_kernel())


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


def test_kernels_exit_when_the_server_dies(tmp_path):
    """No orphaned kernels: a forked kernel watches its parent, the server, and exits without it."""
    from rare_earths.build.kernels import ForkServer

    srv = ForkServer().start()
    try:
        launch = srv.launch(dict(os.environ), str(tmp_path))
        assert launch.process.poll() is None
        srv.stop()  # the server goes away (as when the build is killed)
        deadline = time.monotonic() + 15
        while launch.process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.1)
        assert launch.process.poll() is not None, "the forked kernel outlived its server"
        launch.cleanup()
    finally:
        srv.stop()


def test_build_without_fork_still_works(tmp_path):
    """`--no-fork` starts kernels the usual way (the build tests cover the forked path)."""
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
    nb = _notebook("import sys\nprint('pandas' in sys.modules)")
    nb.cells.insert(0, nbformat.v4.new_markdown_cell("# One"))
    nbformat.write(nb, str(book / "one.ipynb"))
    report = tmp_path / "report.json"
    result = subprocess.run([sys.executable, "-m", "rare_earths.build", str(book), "--no-fork", "--no-render",
                             "--report", str(report)], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    assert json.loads(report.read_text())["executed"] == ["one.ipynb"]


def test_build_falls_back_to_fresh_kernels_when_the_server_cannot_start(tmp_path, monkeypatch):
    """A fork server that does not come up costs the build its speed-up, not its result."""
    from rare_earths.build import execute, kernels

    fake = tmp_path / "python"
    fake.write_text("#!/bin/sh\nexit 1\n")
    fake.chmod(0o755)
    real_init = kernels.ForkServer.__init__
    monkeypatch.setattr(kernels.ForkServer, "__init__", lambda self, python=None: real_init(self, str(fake)))
    seen = []

    async def fake_execute(job, settings, roots, excluded, server=None, spec_folder=None):
        seen.append(server)
        res = execute.Result(job)
        res.error = "not executed in this test"
        return res

    monkeypatch.setattr(execute, "execute_notebook", fake_execute)
    messages = []

    class Job:
        rel, docname, seconds = "x.ipynb", "x", 0.0
        path = tmp_path / "x.ipynb"
        reason = "test"

    class Plan:
        jobs = [Job()]
        settings = type("S", (), {"jupyter_cache": tmp_path / "cache", "book": tmp_path, "build_dir": tmp_path / "_build"})()

    monkeypatch.setattr(execute, "tracked_roots", lambda settings: ((), ()))
    executor = execute.Executor(Plan(), {"notebooks": {}}, 1, messages.append, fork=True)
    asyncio.run(executor._run_all())
    assert seen == [None]
    assert any("starting kernels afresh" in m for m in messages)
