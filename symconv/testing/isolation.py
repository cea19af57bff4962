"""Run an implementation in a child process, so that a crash is a finding, not the end of the
test run.

Framework kernels can kill their process (onnxruntime and TensorFlow raise SIGFPE on some
degenerate sizes; a native kernel may segfault or hang).  :func:`isolated` wraps an
implementation ``fn(layer, x, w)`` so that it runs in a child: its result comes back, an
exception it raises comes back as a :class:`RuntimeError` naming it (a rejection, for the
kit), and a child that dies or does not answer within ``timeout`` seconds raises
:class:`~symconv.testing.assertions.ImplementationCrashed`, which the kit reports and shrinks
like a wrong value.

The child is forked from this process.  It first runs ``setup()`` (import the framework there,
not in the test process: a framework that has started threads is not safe to fork), then
forks a worker that answers the cases one at a time.  When a case kills the worker, the child
forks a new one from its own state, with ``setup`` done: a crash costs a fork, not a framework
import, which matters when Hypothesis shrinks a crash by crashing again.  POSIX only (it needs
``os.fork``).

>>> import os, signal
>>> import numpy as np
>>> from symconv import MaxPool
>>> from symconv.testing import ImplementationCrashed, expected
>>> def pool(layer, x, w):   # a kernel that dies where the window exceeds the input
...     if x.shape[-1] < layer.kernel[0]:
...         os.kill(os.getpid(), signal.SIGFPE)
...     return expected(layer, x).output
>>> with isolated(pool) as fn:
...     print(fn(MaxPool(kernel=2), np.array([[[1, 5, 2, 3]]]), None).tolist())
...     try:
...         fn(MaxPool(kernel=2), np.array([[[1]]]), None)
...     except ImplementationCrashed as err:
...         print(err)
...     print(fn(MaxPool(kernel=2), np.array([[[4, 2]]]), None).tolist())
[[[5, 3]]]
killed by SIGFPE
[[[4]]]
"""

from __future__ import annotations

import os
import signal
import time
import weakref
from collections.abc import Callable
from typing import Any

from symconv._params import fmt
from symconv.errors import InvalidSpecError, UnsupportedError

__all__ = ["Isolated", "isolated"]

#: The runners with a child: a later child closes its copies of their ends of the pipe, so
#: that closing one runner ends its child at once.
_LIVE: weakref.WeakSet[Isolated] = weakref.WeakSet()


def _death(status: int) -> str:
    """How a child ended, from its ``waitpid`` status: ``killed by SIGFPE``."""
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        try:
            return f"killed by {signal.Signals(sig).name}"
        except ValueError:
            return f"killed by signal {sig}"
    return f"exited with status {os.WEXITSTATUS(status)}"


def _serve(conn: Any, fn: Callable[..., Any]) -> None:
    """The worker: answer cases until the test process closes its end."""
    import faulthandler

    import numpy as np

    faulthandler.disable()  # a death is reported as ImplementationCrashed, not as a dump
    while True:
        try:
            request = conn.recv()
        except (EOFError, OSError):
            os._exit(0)
        if request is None:
            os._exit(0)
        layer, x, w = request
        try:
            reply: tuple[Any, ...] = ("ok", np.asarray(fn(layer, x, w)))
        except BaseException as exc:  # every exception is the answer
            reply = ("raised", type(exc).__name__, str(exc)[:1000])
        try:
            conn.send(reply)
        except Exception as exc:  # an answer that does not pickle
            conn.send(("raised", type(exc).__name__, f"the answer cannot be sent: {exc}"[:1000]))


def _zygote(conn: Any, fn: Callable[..., Any], setup: Callable[[], Any] | None) -> None:
    """The child: set up once, then fork workers, reporting each worker's death."""
    try:
        if setup is not None:
            setup()
    except BaseException as exc:  # reported to the test process
        conn.send(("setup", f"{type(exc).__name__}: {exc}"[:1000]))
        os._exit(1)
    while True:
        pid = os.fork()
        if pid == 0:
            _serve(conn, fn)
        conn.send(("worker", pid))
        _, status = os.waitpid(pid, 0)
        if os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0:
            os._exit(0)  # the test process closed the pipe
        try:
            conn.send(("crashed", _death(status)))
        except OSError:
            os._exit(0)


class Isolated:
    """An implementation run in a child process (see :func:`isolated`); call it as the
    implementation itself, ``close()`` it (or use it as a context manager) when done."""

    def __init__(self, fn: Callable[..., Any], setup: Callable[[], Any] | None = None,
                 timeout: float = 60.0, start_timeout: float = 600.0) -> None:
        if not hasattr(os, "fork"):
            raise UnsupportedError("isolated() needs os.fork (POSIX): run the implementation "
                                   "in the test process on this platform")
        for name, value in (("timeout", timeout), ("start_timeout", start_timeout)):
            if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
                raise InvalidSpecError(f"{name}={fmt(value)} must be a positive number of "
                                       "seconds")
        self.fn, self.setup = fn, setup
        self.timeout, self.start_timeout = float(timeout), float(start_timeout)
        self.__name__ = str(getattr(fn, "__name__", None) or type(fn).__name__)
        self._conn: Any = None
        self._zygote: int | None = None
        self._worker: int | None = None

    # ------------------------------------------------------------------ the child
    def _start(self) -> None:
        from multiprocessing import Pipe

        ours, theirs = Pipe()
        pid = os.fork()
        if pid == 0:  # the child: never returns
            try:
                ours.close()
                for other in list(_LIVE):  # other children's ends: they must see their EOF
                    if other._conn is not None:
                        other._conn.close()
                _zygote(theirs, self.fn, self.setup)
            finally:
                os._exit(1)
        theirs.close()
        self._conn, self._zygote, self._worker = ours, pid, None
        _LIVE.add(self)

    def _receive(self, timeout: float) -> tuple[Any, ...] | None:
        """The child's next message (``None``: none within ``timeout`` seconds)."""
        if not self._conn.poll(timeout):
            return None
        try:
            return tuple(self._conn.recv())
        except (EOFError, OSError):
            return ("gone",)

    def _ready(self) -> None:
        """Start the child if needed and wait for its worker."""
        if self._zygote is None:
            self._start()
        if self._worker is not None:
            return
        message = self._receive(self.start_timeout)
        if message is None or message[0] != "worker":
            self.close()
            if message is not None and message[0] == "setup":
                raise RuntimeError(f"isolated({self.__name__}): setup failed in the child: "
                                   f"{message[1]}")
            why = ("did not start within start_timeout="
                   f"{self.start_timeout:g} s" if message is None else "died while starting")
            raise RuntimeError(f"isolated({self.__name__}): the child {why}")
        self._worker = int(message[1])

    def __call__(self, layer: Any, x: Any, w: Any) -> Any:
        from symconv.testing.assertions import ImplementationCrashed

        self._ready()
        try:
            self._conn.send((layer, x, w))
        except (BrokenPipeError, OSError):
            self.close()
            raise ImplementationCrashed("the child process is gone") from None
        start = time.monotonic()
        message = self._receive(self.timeout)
        if message is None:  # no answer: kill the worker; the child reports its death
            assert self._worker is not None
            try:
                os.kill(self._worker, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self._receive(self.start_timeout)
            self._worker = None
            raise ImplementationCrashed(
                f"hung: no answer within {self.timeout:g} s "
                f"({time.monotonic() - start:.1f} s), killed")
        if message[0] == "ok":
            return message[1]
        if message[0] == "raised":
            raise RuntimeError(f"{message[1]}: {message[2]}")
        self._worker = None
        if message[0] == "crashed":
            raise ImplementationCrashed(str(message[1]))
        self.close()  # the child itself died
        raise ImplementationCrashed("the child process died")

    def close(self) -> None:
        """End the child and its worker (idempotent)."""
        _LIVE.discard(self)
        if self._conn is not None:
            self._conn.close()
            self._conn = None
        if self._zygote is not None:
            pid, self._zygote = self._zygote, None
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                done, _ = os.waitpid(pid, os.WNOHANG)
                if done:
                    break
                time.sleep(0.01)
            else:
                for victim in (self._worker, pid):
                    if victim is not None:
                        try:
                            os.kill(victim, signal.SIGKILL)
                        except ProcessLookupError:
                            pass
                os.waitpid(pid, 0)
        self._worker = None

    def __enter__(self) -> Isolated:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:  # interpreter shutdown
            pass


def isolated(fn: Callable[..., Any], *, setup: Callable[[], Any] | None = None,
             timeout: float = 60.0, start_timeout: float = 600.0) -> Isolated:
    """``fn(layer, x, w)`` run in a child process forked from this one (see the module docs).

    ``setup()`` runs once in the child before any case (import the framework there);
    ``timeout``: seconds a case may take before the worker is killed and the case reported
    as hung; ``start_timeout``: seconds for ``setup`` and each worker's start.  The result
    is the implementation, for :func:`~symconv.testing.check_implementation`; an exception
    ``fn`` raises comes back as :class:`RuntimeError` ``"ValueError: ..."`` (a rejection), a
    worker's death as :class:`~symconv.testing.assertions.ImplementationCrashed`.
    """
    return Isolated(fn, setup, timeout, start_timeout)
