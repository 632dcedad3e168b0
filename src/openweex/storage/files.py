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

import os
import secrets
from collections.abc import Callable
from pathlib import Path

TEMP_SUFFIX = ".tmp"

FsyncFn = Callable[[int], None]


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
