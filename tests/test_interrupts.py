"""SIGTERM raises Terminated inside signals_as_exceptions(); signals wait out signals_deferred()."""

from __future__ import annotations

import os
import signal

import pytest

from fpgagan.interrupts import Terminated, signals_as_exceptions, signals_deferred


def test_sigterm_becomes_an_exception_and_the_old_handler_comes_back():
    before = signal.getsignal(signal.SIGTERM)
    with pytest.raises(Terminated) as exc, signals_as_exceptions():
        os.kill(os.getpid(), signal.SIGTERM)
        for _ in range(1000):
            pass
    assert exc.value.signum == signal.SIGTERM
    assert signal.getsignal(signal.SIGTERM) is before


def test_a_signal_during_a_deferred_block_is_raised_after_it():
    done = []
    with pytest.raises(Terminated), signals_as_exceptions():
        with signals_deferred():
            os.kill(os.getpid(), signal.SIGTERM)
            done.append("cleanup finished")
        for _ in range(1000):
            pass
    assert done == ["cleanup finished"]
