"""``rare-earths run`` stopped by SIGINT or SIGTERM once its kernel is up (issue 15): one line,
exit 130 or 143, no traceback, the kernel killed, and nothing left behind (no output folder, no
``.partial`` folder, no kernel folder)."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from support import CLI


def _kernel_pids(folder: Path) -> list[int]:
    """Live processes whose command line names a file in ``folder`` (the kernel's connection file)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if str(folder) in entry.joinpath("cmdline").read_bytes().decode(errors="replace"):
                state = entry.joinpath("stat").read_text().rsplit(")", 1)[1].split()[0]
                if state not in ("Z", "X"):
                    found.append(int(entry.name))
        except (OSError, IndexError):
            pass
    return found


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_signal_stops_a_run_and_leaves_nothing_behind(tmp_path: Path, signum: int):
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    out = tmp_path / "runs" / "stopped"
    env = {k: v for k, v in os.environ.items() if k != "RARE_EARTHS_DATA"}
    env["TMPDIR"] = str(tmp)
    process = subprocess.Popen([str(CLI), "run", "cost-gap", "--out", str(out), "--quiet"], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    kernels: list[int] = []
    while not kernels:
        assert process.poll() is None, f"the run ended before its kernel was seen:\n{process.stderr.read()}"
        assert time.monotonic() < deadline, "no kernel after 120 s"
        kernels = [pid for folder in tmp.glob("rare-earths-kernel-*") for pid in _kernel_pids(folder)]
        time.sleep(0.02)
    sent = time.monotonic()
    process.send_signal(signum)
    stdout, stderr = process.communicate(timeout=60)
    assert time.monotonic() - sent < 10, "the run did not stop promptly"
    assert process.returncode == 128 + signum, stderr
    assert stderr.strip().splitlines() == [
        f"run: interrupted ({signal.Signals(signum).name}): the kernel was stopped and nothing was written"], stderr
    assert stdout == ""
    assert not out.exists() and list(out.parent.iterdir()) == []  # no run folder, no .partial sibling
    deadline = time.monotonic() + 5
    while any(Path(f"/proc/{pid}").exists() and _kernel_pids(tmp) for pid in kernels) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _kernel_pids(tmp) == [], "the kernel outlived the run"
    assert list(tmp.iterdir()) == [], "kernel or kernelspec folders left behind"
