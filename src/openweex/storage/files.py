"""Small file helpers with explicit durability.

Invariants:

* :func:`atomic_write` leaves either the old file or the complete new file at ``path``, never
  a mix: the data goes to a temporary file in the same directory, which is fsynced, renamed
  over ``path`` (``os.replace`` is atomic on POSIX), and then the directory is fsynced so the
  rename itself survives a crash.
* A temporary file that could not be completed is removed; temporary names start with ``.``
  and end with :data:`TEMP_SUFFIX`, so owners of a directory can sweep leftovers from a crash.
"""

from __future__ import annotations

import ctypes
import functools
import os
import secrets
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

TEMP_SUFFIX = ".tmp"
_SYNC_FILE_RANGE_WRITE = 2

FsyncFn = Callable[[int], None]


def datasync_function() -> FsyncFn:
    """What syncs a file's data without its timestamps: ``os.fdatasync``, or ``os.fsync``
    where there is none (macOS), which it weakens."""
    sync: FsyncFn = getattr(os, "fdatasync", os.fsync)
    return sync


def fsync_dir(path: str | os.PathLike[str], *, fsync: FsyncFn = os.fsync) -> None:
    """Fsync the directory ``path`` so that entries created, renamed or removed in it persist."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        fsync(fd)
    finally:
        os.close(fd)


def write_all(fd: int, data: bytes | memoryview, offset: int | None = None) -> None:
    """Write every byte of ``data`` to ``fd``, at its position or at file ``offset``
    (``os.write`` and ``os.pwrite`` may write less than asked)."""
    view = memoryview(data)
    while view:
        if offset is None:
            written = os.write(fd, view)
        else:
            written = os.pwrite(fd, view, offset)
            offset += written
        view = view[written:]


def atomic_write(path: str | os.PathLike[str], data: bytes, *, fsync: FsyncFn = os.fsync) -> None:
    """Replace ``path`` with ``data`` atomically and durably.

    Raises ``OSError`` if anything fails; ``path`` then still holds its previous content (or
    does not exist if it did not before).
    """
    target = Path(path)
    tmp = target.with_name(f".{target.name}.{secrets.token_hex(6)}{TEMP_SUFFIX}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    try:
        try:
            write_all(fd, data)
            fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    fsync_dir(target.parent, fsync=fsync)


def is_temp_name(name: str) -> bool:
    """True for names produced by :func:`atomic_write` for its temporary files."""
    return name.startswith(".") and name.endswith(TEMP_SUFFIX)


@functools.cache
def libc_function(name: str) -> Any | None:
    """A function of the C library (Linux only), or None where there is no such function."""
    if sys.platform != "linux":
        return None
    try:
        return getattr(ctypes.CDLL(None, use_errno=True), name)
    except (OSError, AttributeError):
        return None


@functools.cache
def _sync_file_range() -> Any | None:
    fn = libc_function("sync_file_range")
    if fn is not None:
        fn.argtypes = [ctypes.c_int, ctypes.c_longlong, ctypes.c_longlong, ctypes.c_uint]
        fn.restype = ctypes.c_int
    return fn


def can_start_writeback() -> bool:
    """True where :func:`start_writeback` does something (Linux)."""
    return _sync_file_range() is not None


def start_writeback(fd: int) -> None:
    """Start writing the file's dirty pages to the disk, without waiting for them.

    ``sync_file_range(SYNC_FILE_RANGE_WRITE)``: a later ``fsync`` of the file then has little
    left to write. It makes nothing durable by itself. Does nothing where it is not available.
    """
    fn = _sync_file_range()
    if fn is not None:
        fn(fd, 0, 0, _SYNC_FILE_RANGE_WRITE)  # an error only means nothing was started
