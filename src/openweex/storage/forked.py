"""Work done by a forked copy of the process, for snapshots that never pause the event loop.

Exporting the engine state walks every resting order and account: about 0.8 us an order,
0.8 s for a book of a million orders. Done on the event loop (the state must not change while
it is read) that is a pause of every request and stream for as long. A forked child instead
sees the memory of the moment of the fork, copy-on-write, and exports, encodes and writes at
its leisure while the parent goes on; the parent's pause is the fork itself (4-6 ms for a
process of 270 MB, under 1 ms for a small one).

The child runs nothing of the parent's but the work it is given: it blocks the signals a
terminal or a supervisor sends to the whole group (the parent decides what to do about them),
asks the kernel to kill it if the parent dies (Linux), closes every inherited file descriptor
(sockets, the journal and its lock, SQLite files: the parent's connections close when the
parent closes them, and a lock dies with the parent), turns the garbage collector off (what
it builds holds no cycles, and it lives for a second), and leaves with ``os._exit``: no
``atexit`` handler, no buffered output of the parent flushed twice, no destructor of the
parent's objects. Its outcome is its exit status, with the error's text on a pipe.

The child runs at a lower CPU priority (:data:`NICE_INCREMENT` added to its nice value): where
it shares a core with the exchange, the exchange gets about nine tenths of it while both want
it. At the parent's priority a snapshot of a large book took half of that core for seconds,
and one order at a time at 1,000/s waited up to 800 ms while it ran (docs/performance.md,
"Snapshots at a lower CPU priority"). Not the lowest (``SCHED_IDLE``, nice 19): under
sustained full load a child there would get next to nothing and the snapshot would wait for
the load to end, while at +10 it still finishes, about ten times slower.

Memory: pages the child reads (a resting order's reference count changes when the export
reads it) are copied for it; at most the state's size again, for the child's lifetime.
"""

from __future__ import annotations

import contextlib
import gc
import os
import signal
import sys
import warnings
from collections.abc import Callable

from openweex.storage.files import libc_function

__all__ = ["NICE_INCREMENT", "Child", "ChildFailed", "available", "lower_priority", "start"]

_PR_SET_PDEATHSIG = 1
NICE_INCREMENT = 10  # the child's nice value over its parent's (see the module's docstring)
# Signals sent to a whole process group (a terminal's ^C, a supervisor's stop): the parent
# handles them, and a snapshot halfway written is worth finishing.
_BLOCKED = {signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT}


class ChildFailed(OSError):
    """The child exited with an error, or was killed, before its work was done."""


def available() -> bool:
    """True where work can be forked off (Linux): elsewhere it is done in the process."""
    return sys.platform == "linux" and hasattr(os, "fork")


class Child:
    """A forked child doing one piece of work; :meth:`wait` for its outcome."""

    def __init__(self, pid: int, fd: int) -> None:
        self.pid = pid
        self._fd = fd

    def kill(self) -> None:
        """Stop the child now (its work is lost; :meth:`wait` then raises)."""
        with contextlib.suppress(ProcessLookupError):  # (not reaped yet: the pid is its own)
            os.kill(self.pid, signal.SIGKILL)

    def wait(self) -> None:
        """Block until the child exits; raise :class:`ChildFailed` unless its work was done."""
        with os.fdopen(self._fd, "rb") as pipe:
            message = pipe.read()  # end of file: the child exited (or closed it to exit)
        _, status = os.waitpid(self.pid, 0)
        code = os.waitstatus_to_exitcode(status)
        if code == 0:
            return
        text = message.decode(errors="replace").strip()
        if code < 0:
            text = f"killed by signal {-code}" + (f" ({text})" if text else "")
        raise ChildFailed(text or f"exited with status {code}")


def start(work: Callable[[], None]) -> Child:
    """Fork; the child runs ``work()`` and exits. Call from the thread that owns the state.

    Nothing may change the state between the caller's decision and this call, and ``work``
    must read nothing but memory (and write only the files it opens itself).
    """
    # libc's prctl, loaded here in the parent: the child imports and loads nothing
    prctl: Callable[..., int] | None = libc_function("prctl")
    parent = os.getpid()
    read_fd, write_fd = os.pipe()
    try:
        with warnings.catch_warnings():
            # Python 3.12+ warns that a forked child of a threaded process may deadlock on a
            # lock another thread held; the child here takes none of them (see above).
            warnings.simplefilter("ignore", DeprecationWarning)
            pid = os.fork()
    except BaseException:
        os.close(read_fd)
        os.close(write_fd)
        raise
    if pid == 0:  # pragma: no cover - the child's lines run in the child (exit status tested)
        _run_child(work, write_fd, parent, prctl)
    os.close(write_fd)
    return Child(pid, read_fd)


def _run_child(
    work: Callable[[], None], fd: int, parent: int, prctl: Callable[..., int] | None
) -> None:  # pragma: no cover - runs in the child
    status = 1
    try:
        signal.pthread_sigmask(signal.SIG_BLOCK, _BLOCKED)
        if prctl is not None:
            prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
            if os.getppid() != parent:  # the parent died before the request took effect
                os._exit(1)
        os.closerange(3, fd)
        os.closerange(fd + 1, max(os.sysconf("SC_OPEN_MAX"), fd + 1))
        lower_priority()
        gc.disable()
        work()
        status = 0
    except BaseException as exc:
        with contextlib.suppress(Exception):  # (the parent still sees the exit status)
            os.write(fd, f"{type(exc).__name__}: {exc}".encode(errors="replace"))
    finally:
        os._exit(status)


def lower_priority() -> None:
    """Lower the calling process's CPU priority by :data:`NICE_INCREMENT` (nice is capped at
    19)."""
    with contextlib.suppress(OSError):
        os.nice(NICE_INCREMENT)
