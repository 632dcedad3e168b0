"""Snapshot files: the engine state as of one journal seq, written atomically.

On-disk format (integers little-endian)::

    <data_dir>/snapshots/snapshot-<seq, 20 digits>.snap

    header  = magic "OWXSNAP\\0" (8 bytes) | u32 version (=1) | u32 flags (=0)
              | u64 seq | u64 payload length | SHA-256 digest (32 bytes)       (64 bytes)
    file    = header payload

The digest covers the 32 header bytes before it and the payload, so a damaged seq, length or
payload is detected. The payload is opaque here (see :mod:`openweex.storage.codec`).

Invariants:

* A snapshot file is either complete and valid or ignored: files are written with
  :func:`openweex.storage.files.atomic_write`, and :meth:`SnapshotStore.latest` validates
  magic, version, seq (against the file name), length and digest before trusting one.
* :meth:`SnapshotStore.save` keeps the newest ``keep`` snapshots and deletes older ones only
  after the new one is durable, so there is always a valid snapshot once one was saved.
* A corrupt newest snapshot is skipped with a warning and the previous one is used; the
  journal must still hold every record after the snapshot that is used.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import struct
from pathlib import Path

from openweex.storage.files import FsyncFn, atomic_write, fsync_dir, is_temp_name

log = logging.getLogger(__name__)

SNAPSHOT_MAGIC = b"OWXSNAP\x00"
FORMAT_VERSION = 1
_HEAD = struct.Struct("<8sIIQQ")
_DIGEST_SIZE = 32
HEADER_SIZE = _HEAD.size + _DIGEST_SIZE
SNAPSHOTS_DIRNAME = "snapshots"
DEFAULT_KEEP = 3
_NAME_RE = re.compile(r"snapshot-(\d{20})\.snap")


class SnapshotCorrupt(Exception):
    """A snapshot file failed validation."""


def snapshot_name(seq: int) -> str:
    """File name of the snapshot taken at ``seq``."""
    return f"snapshot-{seq:020d}.snap"


def encode_snapshot(seq: int, payload: bytes) -> bytes:
    """The complete file content of a snapshot (header + payload)."""
    head = _HEAD.pack(SNAPSHOT_MAGIC, FORMAT_VERSION, 0, seq, len(payload))
    digest = hashlib.sha256(head)
    digest.update(payload)
    return head + digest.digest() + payload


def decode_snapshot(data: bytes, expected_seq: int | None = None) -> tuple[int, bytes]:
    """Validate snapshot file content; return ``(seq, payload)`` or raise SnapshotCorrupt."""
    if len(data) < HEADER_SIZE:
        raise SnapshotCorrupt("file shorter than the snapshot header")
    magic, version, _flags, seq, length = _HEAD.unpack_from(data)
    if magic != SNAPSHOT_MAGIC:
        raise SnapshotCorrupt("bad snapshot magic")
    if version != FORMAT_VERSION:
        raise SnapshotCorrupt(f"unsupported snapshot format version {version}")
    if expected_seq is not None and seq != expected_seq:
        raise SnapshotCorrupt(f"header seq {seq} does not match the file name")
    if len(data) != HEADER_SIZE + length:
        raise SnapshotCorrupt(f"payload is {len(data) - HEADER_SIZE} bytes, header says {length}")
    digest = hashlib.sha256(memoryview(data)[: _HEAD.size])
    digest.update(memoryview(data)[HEADER_SIZE:])
    if digest.digest() != data[_HEAD.size : HEADER_SIZE]:
        raise SnapshotCorrupt("snapshot digest mismatch")
    return seq, data[HEADER_SIZE:]


class SnapshotStore:
    """The ``<data_dir>/snapshots`` directory (``read_only``: never created nor changed)."""

    def __init__(
        self,
        data_dir: str | os.PathLike[str],
        *,
        keep: int = DEFAULT_KEEP,
        fsync: FsyncFn = os.fsync,
        read_only: bool = False,
    ) -> None:
        if keep < 1:
            raise ValueError("keep must be at least 1")
        self._dir = Path(data_dir) / SNAPSHOTS_DIRNAME
        self._keep = keep
        self._fsync = fsync
        self._read_only = read_only
        if read_only:
            return
        if not self._dir.is_dir():
            self._dir.mkdir(parents=True)
            fsync_dir(self._dir.parent, fsync=fsync)
        self._sweep_temp_files()

    @property
    def directory(self) -> Path:
        return self._dir

    def path_for(self, seq: int) -> Path:
        """Where the snapshot at ``seq`` lives (whether or not it exists)."""
        return self._dir / snapshot_name(seq)

    def list(self) -> list[int]:
        """Seqs of the snapshot files present, oldest first (not validated)."""
        seqs: list[int] = []
        if not self._dir.is_dir():
            return seqs
        for entry in self._dir.iterdir():
            match = _NAME_RE.fullmatch(entry.name)
            if match is not None:
                seqs.append(int(match.group(1)))
        seqs.sort()
        return seqs

    def save(self, seq: int, payload: bytes) -> Path:
        """Write the snapshot at ``seq`` durably, then prune all but the newest ``keep``."""
        if self._read_only:
            raise OSError("the snapshot store is open read-only")
        if not 0 <= seq < 2**64:
            raise ValueError("snapshot seq must be in 0 .. 2**64 - 1")
        path = self.path_for(seq)
        atomic_write(path, encode_snapshot(seq, payload), fsync=self._fsync)
        self._prune()
        return path

    def load(self, seq: int) -> bytes:
        """The payload of the snapshot at ``seq``; raises SnapshotCorrupt if it is invalid."""
        data = self.path_for(seq).read_bytes()
        return decode_snapshot(data, seq)[1]

    def latest(self, at_most: int | None = None) -> tuple[int, bytes] | None:
        """``(seq, payload)`` of the newest valid snapshot, or ``None`` if there is none.

        With ``at_most``, only snapshots at or below that seq are considered. Invalid or
        unreadable snapshots are skipped with a warning.
        """
        for seq in reversed(self.list()):
            if at_most is not None and seq > at_most:
                continue
            path = self.path_for(seq)
            try:
                return seq, self.load(seq)
            except (SnapshotCorrupt, OSError) as exc:
                log.warning("snapshot %s is unusable, trying an older one: %s", path, exc)
        return None

    def _prune(self) -> None:
        old = self.list()[: -self._keep]
        for seq in old:
            self.path_for(seq).unlink(missing_ok=True)
        if old:
            fsync_dir(self._dir, fsync=self._fsync)

    def _sweep_temp_files(self) -> None:
        for entry in self._dir.iterdir():
            if is_temp_name(entry.name):
                entry.unlink(missing_ok=True)
