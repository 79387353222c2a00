"""Stop a build or a run promptly on SIGINT (Ctrl-C) or SIGTERM, cleaning up as it goes.

Standard library only (:mod:`signal`). :class:`StopSignals` is a context manager for the main
thread that handles both signals while it is open:

* in *callback* mode (the build), the first signal records itself and calls the registered stop
  callbacks (cancel the executor, kill the render); the code then raises :class:`Interrupted` at
  its next :meth:`StopSignals.check`, so no exception lands in the middle of a manifest write;
* in *raising* mode (``rare-earths run``, whose work is one blocking papermill call), the handler
  raises :class:`Interrupted` in the main thread at once, and the caller's ``except`` and
  ``finally`` clauses stop the kernel and remove the partial folder.

:class:`Interrupted` is a :class:`SystemExit` whose code is 128 + the signal number (130 for
SIGINT, 143 for SIGTERM, as a shell reports a process stopped by that signal), so a command exits
with it and without a traceback; the one line saying what was stopped is printed by whoever
cleaned up.
"""

from __future__ import annotations

import signal
import threading
from typing import Callable

SIGNALS = (signal.SIGINT, signal.SIGTERM)


class Interrupted(SystemExit):
    """The work was stopped by a signal; ``code`` (the exit status) is 128 + its number."""

    def __init__(self, signum: int):
        super().__init__(128 + int(signum))
        self.signum = int(signum)

    @property
    def name(self) -> str:
        return signal.Signals(self.signum).name


class StopSignals:
    """Handle SIGINT and SIGTERM while open (main thread only; elsewhere it handles nothing).

    ``raising``: raise :class:`Interrupted` from the handler (see the module docstring); else
    only record the signal and call the :meth:`on_stop` callbacks. A second signal while
    stopping is ignored: the clean-up it would interrupt takes about a second.
    """

    def __init__(self, raising: bool = False, install: bool = True):
        self.raising, self.install = raising, install
        self.signum: int | None = None
        self._callbacks: list[Callable[[], None]] = []
        self._previous: dict[int, object] = {}

    def __enter__(self) -> "StopSignals":
        if self.install and threading.current_thread() is threading.main_thread():
            for signum in SIGNALS:
                self._previous[signum] = signal.signal(signum, self._handle)
        return self

    def __exit__(self, *exc) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)
        self._previous.clear()

    def _handle(self, signum: int, frame) -> None:  # noqa: ARG002 - signal handler signature
        if self.signum is not None:
            return
        self.signum = signum
        for callback in list(self._callbacks):
            try:
                callback()
            except Exception:  # noqa: BLE001 - stopping goes on with the other callbacks
                pass
        if self.raising:
            raise Interrupted(signum)

    def on_stop(self, callback: Callable[[], None]) -> None:
        """Call ``callback`` (without arguments) on the first signal; at once if one came already."""
        self._callbacks.append(callback)
        if self.signum is not None:
            callback()

    def check(self) -> None:
        """Raise :class:`Interrupted` if a signal came."""
        if self.signum is not None:
            raise Interrupted(self.signum)

    @property
    def stopped(self) -> bool:
        return self.signum is not None
