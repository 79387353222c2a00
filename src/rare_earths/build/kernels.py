"""Kernels forked from a process that has already imported the chapters' heavy libraries.

A fresh IPython kernel spends about 1.4 s of CPU before a chapter's first line runs: starting
Python and ipykernel (0.65 s), then importing pandas and Altair (0.8 s). The build runs eight
chapters on two cores, so that start-up was about a third of all its work. :class:`ForkServer`
is a child process that imports those libraries once and then forks one kernel per request;
a forked kernel is ready in about 0.1 s. Only third-party modules are preloaded: the book's
own modules (``rare_earths``) are imported by each chapter itself, so the build's record of
which package modules a chapter imported stays exact.

:class:`ForkedKernelProvisioner` plugs the server into jupyter_client: it is a
``LocalProvisioner`` whose ``launch_kernel`` asks the server instead of ``Popen``; everything
else (connection file, CurveZMQ keys, ports, shutdown) is jupyter_client's own. The forked
kernel is a session leader like a ``Popen``-launched one, so signals reach its process group.

Used by :mod:`rare_earths.build` (``--no-fork`` turns it off). POSIX only; where ``fork`` is
missing the build uses ordinary kernels.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from typing import Any

#: Third-party modules the server imports before forking (what every chapter imports anyway).
PRELOAD = ("numpy", "pandas", "altair", "IPython", "IPython.display", "ipykernel.kernelapp", "ipykernel.ipkernel")

#: The kernelspec command this server can stand in for: ``python -m ipykernel_launcher ...``.
_LAUNCHER = ("-m", "ipykernel_launcher")


class ForkServerError(RuntimeError):
    """The fork server could not start or could not fork a kernel."""


class ForkServer:
    """A ``python -m rare_earths.build.kernels`` child that forks kernels on request (one per line)."""

    def __init__(self, python: str | None = None):
        self.python = python or sys.executable
        self._proc: subprocess.Popen | None = None
        self._lock = threading.Lock()
        self._ready = threading.Event()
        self._error: str | None = None

    def start(self) -> "ForkServer":
        """Start the server; returns at once (its imports run while the caller goes on)."""
        env = dict(os.environ)
        # Forking a process whose BLAS has started threads can deadlock the child.
        for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            env.setdefault(name, "1")
        self._proc = subprocess.Popen(
            [self.python, "-m", "rare_earths.build.kernels"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            env=env, text=True, bufsize=1, start_new_session=True,
        )
        threading.Thread(target=self._wait_ready, name="kernel-fork-ready", daemon=True).start()
        return self

    def _wait_ready(self) -> None:
        line = self._proc.stdout.readline() if self._proc and self._proc.stdout else ""
        if line.strip() != "ready":
            self._error = f"the kernel fork server did not start (it said {line.strip()!r})"
        self._ready.set()

    def wait_ready(self, timeout: float = 120) -> str | None:
        """Block until the server has imported its modules; None, or why it is unusable."""
        if not self._ready.wait(timeout=timeout):
            return f"the kernel fork server is not ready after {timeout:g} s"
        return self._error

    def fork(self, argv: list[str], env: dict[str, str], cwd: str) -> int:
        """Fork a kernel running ``ipykernel_launcher`` with ``argv``; returns its pid."""
        problem = self.wait_ready()
        if problem:
            raise ForkServerError(problem)
        with self._lock:  # one request and its answer at a time
            assert self._proc is not None and self._proc.stdin and self._proc.stdout
            try:
                self._proc.stdin.write(json.dumps({"argv": argv, "env": env, "cwd": cwd}) + "\n")
                self._proc.stdin.flush()
                answer = json.loads(self._proc.stdout.readline() or "{}")
            except (OSError, ValueError) as err:
                raise ForkServerError(f"the kernel fork server failed: {err}") from None
        if "pid" not in answer:
            raise ForkServerError(f"the kernel fork server could not fork: {answer.get('error', 'no answer')}")
        return int(answer["pid"])

    def stop(self) -> None:
        """Stop the server (kernels it forked are stopped by their managers, not here)."""
        proc, self._proc = self._proc, None
        if proc is None:
            return
        try:
            if proc.stdin:
                proc.stdin.close()  # the server exits at end of input
            proc.wait(timeout=5)
        except (OSError, subprocess.TimeoutExpired):
            proc.kill()
            proc.wait()
        finally:
            if proc.stdout:
                proc.stdout.close()


class _ForkedProcess:
    """The part of ``subprocess.Popen`` that jupyter_client's LocalProvisioner uses, for a pid
    that is not this process's child (the fork server is its parent and reaps it)."""

    stdin = stdout = stderr = None

    def __init__(self, pid: int):
        self.pid = pid
        self.returncode: int | None = None
        self._signalled: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None and not _running(self.pid):
            self.returncode = -self._signalled if self._signalled else 0
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(f"kernel {self.pid}", timeout)
            time.sleep(0.01)
        return self.returncode  # type: ignore[return-value]

    def send_signal(self, signum: int) -> None:
        if self.poll() is None:
            self._signalled = signum if signum in (signal.SIGKILL, signal.SIGTERM) else self._signalled
            os.kill(self.pid, signum)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)


def _running(pid: int) -> bool:
    """True while ``pid`` exists and is not a zombie waiting for its parent to reap it."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            state = fh.read().rsplit(b")", 1)[1].split()[0]
        return state not in (b"Z", b"X")
    except (OSError, IndexError):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True


def provisioner_for(km, server: ForkServer):
    """A provisioner for kernel manager ``km`` that launches through ``server`` (set it before start)."""
    from jupyter_client.provisioning import LocalProvisioner

    class ForkedKernelProvisioner(LocalProvisioner):  # type: ignore[misc, valid-type]
        async def launch_kernel(self, cmd: list[str], **kwargs: Any):
            if tuple(cmd[1:3]) != _LAUNCHER:  # not a plain ipykernel kernelspec: launch it the usual way
                return await super().launch_kernel(cmd, **kwargs)
            env = dict(kwargs.get("env") or os.environ)
            cwd = str(kwargs.get("cwd") or os.getcwd())
            import asyncio

            pid = await asyncio.get_running_loop().run_in_executor(None, server.fork, list(cmd[3:]), env, cwd)
            self.process = _ForkedProcess(pid)
            self.pid = self.pgid = pid  # the child calls setsid(): it leads its own process group
            self.cwd = cwd
            return self.connection_info

    import uuid

    km.kernel_id = km.kernel_id or str(uuid.uuid4())
    return ForkedKernelProvisioner(kernel_id=km.kernel_id, kernel_spec=km.kernel_spec, parent=km)


# ----------------------------------------------------------------------------- the server process


def _serve() -> None:  # pragma: no cover - runs in the server process; tested through the build
    import importlib

    # Start the kernels as `python -m ipykernel_launcher` would: without this process's folder on
    # sys.path (the kernel's shell puts its own working folder there) and without the book's
    # package, which `-m rare_earths.build.kernels` imported and each chapter imports itself.
    if sys.path and (sys.path[0] in ("", os.getcwd())):
        del sys.path[0]
    for name in [m for m in sys.modules if m == "rare_earths" or m.startswith("rare_earths.")]:
        del sys.modules[name]
    for name in PRELOAD:
        importlib.import_module(name)
    protocol_out = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)  # anything the libraries print goes to stderr, never into the protocol
    protocol_out.write("ready\n")

    def reap(*_):
        while True:
            try:
                pid, _status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return

    signal.signal(signal.SIGCHLD, reap)
    for line in sys.stdin:
        try:
            request = json.loads(line)
            pid = os.fork()
        except Exception as err:  # noqa: BLE001 - reported to the caller
            protocol_out.write(json.dumps({"error": f"{type(err).__name__}: {err}"}) + "\n")
            continue
        if pid == 0:
            _become_kernel(request, protocol_out)
        protocol_out.write(json.dumps({"pid": pid}) + "\n")


def _become_kernel(request: dict, protocol_out) -> None:  # pragma: no cover - the forked child
    code = 1
    try:
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        protocol_out.close()
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        os.close(devnull)
        os.setsid()  # like Popen(start_new_session=True): signals go to the kernel's own group
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        os.environ["JPY_PARENT_PID"] = str(os.getppid())
        import importlib.util

        from ipykernel.kernelapp import launch_new_instance

        # The kernel exits when its parent, this server, goes away (ipykernel read JPY_PARENT_PID
        # when the server imported it, so it is passed as an option).
        argv = [*request["argv"], f"--IPKernelApp.parent_handle={os.getppid()}"]
        sys.argv = [importlib.util.find_spec("ipykernel_launcher").origin, *argv]
        launch_new_instance(argv)
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 0
    except BaseException:  # noqa: BLE001
        import traceback

        traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


if __name__ == "__main__":  # pragma: no cover
    _serve()
