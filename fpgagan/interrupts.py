"""SIGINT and SIGTERM as exceptions, so ``finally`` blocks stop child compilers and remove partial
folders whichever way a run is stopped.

Python already turns SIGINT into ``KeyboardInterrupt``; :func:`signals_as_exceptions` makes
SIGTERM (and SIGHUP, a closed terminal) raise :class:`Terminated` the same way, for the length of
a ``with`` block in the main thread.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator

_HELD = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
# the conventional exit status of a process stopped by a signal: 128 + signal number
EXIT_SIGINT = 128 + signal.SIGINT
EXIT_SIGTERM = 128 + signal.SIGTERM


class Terminated(BaseException):  # noqa: N818 (like KeyboardInterrupt: not an error, a stop)
    """SIGTERM or SIGHUP arrived; raised in the main thread like ``KeyboardInterrupt``."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def _raise_terminated(signum: int, _frame) -> None:
    raise Terminated(signum)


@contextlib.contextmanager
def signals_as_exceptions() -> Iterator[None]:
    """Within the block, SIGINT raises KeyboardInterrupt and SIGTERM/SIGHUP raise Terminated.

    Outside the main thread (where Python cannot install handlers) it does nothing.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    wanted = dict.fromkeys(_HELD, _raise_terminated) | {signal.SIGINT: signal.default_int_handler}
    previous = {sig: signal.signal(sig, handler) for sig, handler in wanted.items()}
    try:
        yield
    finally:
        _restore(previous)


@contextlib.contextmanager
def signals_deferred() -> Iterator[None]:
    """Hold SIGINT, SIGTERM and SIGHUP back while the block runs (a cleanup that must finish).

    A signal that arrives meanwhile is handed to the handler it would have met, when the block
    ends.  (Handlers are swapped rather than the signals masked: a mask is per thread, and a
    process-directed signal goes to any thread that does not mask it.)
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    pending: list[int] = []

    def hold(signum: int, _frame) -> None:
        pending.append(signum)

    previous = {sig: signal.signal(sig, hold) for sig in _HELD}
    try:
        yield
    finally:
        _restore(previous)
        if pending:
            _deliver(pending[0], previous[pending[0]])


def _restore(previous: dict) -> None:
    for sig, handler in previous.items():
        if handler is not None:  # None: a handler installed outside Python, left as found
            signal.signal(sig, handler)


def _deliver(signum: int, handler) -> None:
    """What ``handler`` (a saved signal disposition) would have done with ``signum``."""
    if callable(handler):
        handler(signum, None)
    elif handler == signal.SIG_DFL:
        signal.raise_signal(signum)
