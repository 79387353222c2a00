"""Kernels that start fast, plugged into jupyter_client through its public provisioner API.

A fresh IPython kernel spends about 1.4 s of CPU before a chapter's first line runs: starting
Python and ipykernel (0.65 s), then importing pandas and Altair (0.8 s). Two ways around it,
both handed to jupyter_client as a *kernel provisioner* (``jupyter_client.kernel_provisioners``
entry point ``rare-earths-prelaunched``, chosen by a kernelspec that this module writes into a
private folder):

* **forked** (the build): :class:`ForkServer` is a child process that imports those libraries
  once and then forks one kernel per request; a forked kernel is ready in about 0.1 s. Only
  third-party modules are preloaded, so the build's record of which package modules a chapter
  imported stays exact.
* **prelaunched** (``rare-earths run``): the kernel is started with :mod:`subprocess` before
  jupyter_client or papermill are even imported, so its start-up overlaps with theirs; the
  provisioner then hands that process to the kernel manager.

Either way the kernel talks over Unix sockets (``ipc`` transport) in a private temporary folder
(no TCP port, nothing to encrypt), and the provisioner implements every method of
``KernelProvisionerBase`` itself (poll, wait, signals, kill, cleanup): nothing of
jupyter_client's own provisioners is touched. POSIX only; without ``fork`` the build starts
ordinary kernels.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, Callable

#: Third-party modules the fork server imports before forking (what every chapter imports anyway).
PRELOAD = ("numpy", "pandas", "altair", "IPython", "IPython.display", "ipykernel.kernelapp", "ipykernel.ipkernel")

#: The provisioner's entry-point name (pyproject.toml) and the kernelspec that selects it.
PROVISIONER = "rare-earths-prelaunched"
KERNEL_NAME = "rare-earths-prelaunched"


class ForkServerError(RuntimeError):
    """The fork server could not start or could not fork a kernel."""


# ----------------------------------------------------------------------------- connection files


def write_ipc_connection(folder: Path) -> tuple[Path, dict]:
    """A connection file for a kernel on Unix sockets in ``folder``; returns (path, info)."""
    info = {"transport": "ipc", "ip": str(folder / "ipc"), "shell_port": 1, "iopub_port": 2, "stdin_port": 3,
            "control_port": 4, "hb_port": 5, "key": secrets.token_hex(32), "signature_scheme": "hmac-sha256",
            "kernel_name": KERNEL_NAME}
    path = folder / "kernel.json"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(info, fh)
    return path, info


# ----------------------------------------------------------------------------- processes


class ForkedProcess:
    """What the provisioner needs of a process, for a pid that is not this process's child
    (the fork server is its parent and reaps it)."""

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


class Launch:
    """One kernel process handed to the provisioner: the process, its connection info, its folder."""

    def __init__(self, process, info: dict, folder: Path):
        self.process, self.info, self.folder = process, info, folder

    def cleanup(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)


#: Launchers by token (the kernelspec's provisioner config names one): ``launch(env, cwd) -> Launch``.
_LAUNCHERS: dict[str, Callable[[dict, str], Launch]] = {}


def register_launcher(launch: Callable[[dict, str], Launch]) -> str:
    token = secrets.token_hex(8)
    _LAUNCHERS[token] = launch
    return token


def unregister_launcher(token: str) -> None:
    _LAUNCHERS.pop(token, None)


def kernel_manager(token: str, spec_folder: Path, config=None, manager_class=None):
    """A jupyter_client kernel manager whose kernel comes from the launcher ``token``.

    Writes a kernelspec into ``spec_folder/kernels`` that selects this module's provisioner
    (with the token as its config) and points a ``KernelSpecManager`` there.
    """
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import AsyncKernelManager

    spec_dir = Path(spec_folder) / "kernels" / KERNEL_NAME
    spec_dir.mkdir(parents=True, exist_ok=True)
    (spec_dir / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Python 3 (rare-earths, prelaunched)", "language": "python",
        "metadata": {"kernel_provisioner": {"provisioner_name": PROVISIONER, "config": {"token": token}}},
    }), encoding="utf-8")
    ksm = KernelSpecManager(kernel_dirs=[str(Path(spec_folder) / "kernels")], ensure_native_kernel=False)
    cls = manager_class or AsyncKernelManager
    return cls(kernel_name=KERNEL_NAME, kernel_spec_manager=ksm, config=config)


def _provisioner_class():
    from jupyter_client.provisioning import KernelProvisionerBase
    from traitlets import Unicode

    class PrelaunchedKernelProvisioner(KernelProvisionerBase):
        """Hands jupyter_client a kernel from a registered launcher (see the module docstring)."""

        token = Unicode(config=True, help="the launcher this kernel comes from (rare_earths.build.kernels)")

        def __init__(self, **kwargs: Any):
            super().__init__(**kwargs)
            self._launch: Launch | None = None

        @property
        def has_process(self) -> bool:
            return self._launch is not None

        @property
        def launched(self) -> Launch | None:
            """The kernel process handed over (None before launch)."""
            return self._launch

        async def pre_launch(self, **kwargs: Any) -> dict[str, Any]:
            kwargs = await super().pre_launch(**kwargs)
            kwargs["cmd"] = list(self.kernel_spec.argv)  # not run: the launcher starts the kernel
            return kwargs

        async def launch_kernel(self, cmd: list[str], **kwargs: Any):
            if self.token not in _LAUNCHERS:
                raise RuntimeError(f"no kernel launcher registered under {self.token!r}")
            import asyncio

            env = dict(kwargs.get("env") or os.environ)
            cwd = str(kwargs.get("cwd") or os.getcwd())
            self._launch = await asyncio.get_running_loop().run_in_executor(None, _LAUNCHERS[self.token], env, cwd)
            info = dict(self._launch.info)
            info["key"] = str(info["key"]).encode()
            self.connection_info = info
            return info

        async def poll(self) -> int | None:
            return None if self._launch is None else self._launch.process.poll()

        async def wait(self) -> int | None:
            if self._launch is None:
                return None
            import asyncio

            while self._launch.process.poll() is None:
                await asyncio.sleep(0.01)
            return self._launch.process.poll()

        async def send_signal(self, signum: int) -> None:
            if self._launch is not None and self._launch.process.poll() is None:
                try:  # the kernel leads its own process group: signal all of it
                    os.killpg(self._launch.process.pid, signum)
                except OSError:
                    self._launch.process.send_signal(signum)

        async def kill(self, restart: bool = False) -> None:
            await self.send_signal(signal.SIGKILL)

        async def terminate(self, restart: bool = False) -> None:
            await self.send_signal(signal.SIGTERM)

        async def cleanup(self, restart: bool = False) -> None:
            if self._launch is not None and not restart:
                self._launch.cleanup()

    return PrelaunchedKernelProvisioner


def __getattr__(name: str):
    # The entry point names this class; built on first use so importing this module stays light.
    if name == "PrelaunchedKernelProvisioner":
        cls = _provisioner_class()
        globals()[name] = cls
        return cls
    raise AttributeError(name)


# ----------------------------------------------------------------------------- prelaunched (run)


def prelaunch(cwd: Path, extensions: tuple[str, ...] = ()) -> tuple[str, Launch]:
    """Start a kernel now, with :mod:`subprocess`; returns (launcher token, launch).

    The kernel watches this process (``JPY_PARENT_PID``), so it exits with it; ``extensions``
    are IPython extensions it loads while starting (named, not imported here).
    """
    folder = Path(tempfile.mkdtemp(prefix="rare-earths-kernel-"))
    connection_file, info = write_ipc_connection(folder)
    command = [sys.executable, "-m", "ipykernel_launcher", "-f", str(connection_file),
               "--HistoryManager.enabled=False"]  # a run needs no input history in ~/.ipython
    if extensions:
        command.append(f"--IPKernelApp.extensions={list(extensions)!r}")
    env = dict(os.environ, JPY_PARENT_PID=str(os.getpid()))
    process = subprocess.Popen(command, cwd=str(cwd), env=env, stdin=subprocess.DEVNULL, start_new_session=True)
    launch = Launch(process, info, folder)
    token = register_launcher(lambda env, cwd: launch)
    return token, launch


# ----------------------------------------------------------------------------- forked (build)


class ForkServer:
    """A ``python -m rare_earths.build.kernels`` child that forks kernels on request (one per line)."""

    def __init__(self, python: str | None = None):
        self.python = python or sys.executable
        self._proc: subprocess.Popen | None = None
        self._lock = threading.Lock()
        self._ready = threading.Event()
        self._error: str | None = None
        self.token: str | None = None
        self._launches: list[Launch] = []  # every kernel forked, so stop() leaves none behind

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
        self.token = register_launcher(self.launch)
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

    def launch(self, env: dict, cwd: str) -> Launch:
        """A forked kernel on Unix sockets in a new private folder (the provisioner's launcher)."""
        folder = Path(tempfile.mkdtemp(prefix="rare-earths-kernel-"))
        try:
            connection_file, info = write_ipc_connection(folder)
            pid = self.fork(["-f", str(connection_file)], env, cwd)
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        launch = Launch(ForkedProcess(pid), info, folder)
        self._launches.append(launch)
        return launch

    def stop(self) -> None:
        """Stop the server (kernels it forked are stopped by their managers, not here)."""
        if self.token:
            unregister_launcher(self.token)
        # A kernel whose manager was cancelled before it took the kernel over (an interrupted
        # build) is stopped here; for the others this finds them stopped and cleaned up already.
        launches, self._launches = self._launches, []
        for launch in launches:
            try:
                if launch.process.poll() is None:
                    launch.process.kill()
                    launch.process.wait(timeout=5)
            except (OSError, subprocess.TimeoutExpired):
                pass
            launch.cleanup()
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
