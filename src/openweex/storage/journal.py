"""Append-only journal of opaque byte records, with group commit.

Files (record and header layout in :mod:`openweex.storage.frames` and
``docs/journal-format.md``)::

    <data_dir>/journal/journal-<first seq, 20 digits>.log     one file per segment
    <data_dir>/journal/LOCK                                   held (flock) while open

Invariants:

* Sequence numbers are contiguous: every record's seq is the previous one's plus one, across
  segments; the first record of a segment has the seq in its file name and header. Seqs are
  in ``1 .. 2**64 - 1``; ``last_seq`` is 0 for a journal that never held a record, and
  ``first seq - 1`` of a journal that starts with an empty segment (see :meth:`begin_at`).
* :meth:`Journal.append_batch` writes a whole batch (one ``write``, or one per MiB with direct
  I/O) and makes it durable with one ``fdatasync`` before returning (group commit). Appends
  use direct I/O where the filesystem allows it (:mod:`openweex.storage.appendfile`: whole
  aligned blocks, the last partial block rewritten with the bytes already in it), which
  leaves the sync only the disk's cache to flush. A batch never spans two segments:
  the journal rotates to a new segment before a batch that would push the current one past
  ``segment_size`` (a single oversized batch may exceed it).
* The segment being written is zero-filled ahead of the records (:data:`PREALLOCATE` bytes at
  a time, up to a block boundary, in the same write as a batch). A batch then overwrites
  blocks that already exist, so its ``fdatasync`` flushes just those blocks: the file's size
  and block map do not change and the filesystem has no metadata to commit, which keeps an
  append's sync short and independent of other files' writes. The zeros after the last
  record are not a torn tail (a zero frame header never checks out); :meth:`Journal.open`
  cuts them silently (or :meth:`Journal.repair`, see below).
* Segments other than the last are complete and exact: before the journal rotates, the
  current segment is cut to its last record and fsynced; creating a segment fsyncs the file
  and its directory. A clean :meth:`Journal.close` also cuts the zeros.
* Any ``OSError`` while writing or syncing makes the journal failed: the error is re-raised as
  :class:`JournalFatal` and every later call raises :class:`JournalFatal` too. After a failed
  fsync the kernel may have dropped the dirty pages, so nothing written can be trusted.
* :meth:`Journal.open` validates the last segment, and with ``verify="all"`` (the default)
  every segment. Invalid bytes that run to the end of the last segment with no valid later
  record are a torn tail (a write cut short by a crash); they are truncated away
  (``ftruncate`` + ``fsync``) and reported in :attr:`Journal.torn_tail`. With
  ``defer_repair`` the cut waits for :meth:`Journal.repair` or the first write: recovery
  checks the records first, and a start it refuses leaves the files as they were. Any other invalid
  byte, a broken header, or a sequence gap raises :class:`JournalCorrupt` naming the file and
  byte offset. A damaged *last* record cannot be told from a torn write and is dropped the
  same way. Conversely, a crash that persisted a later part of an unsynced batch but not an
  earlier part is reported as corruption: when in doubt the journal refuses to start rather
  than drop a record (``docs/journal-format.md``).
* With ``verify="last"`` the earlier segments are only checked when they are read: reading
  checks every frame, and that a segment ends exactly where the next one starts, and raises
  :class:`JournalCorrupt` (file and offset) otherwise. Recovery uses this so that the
  records before the snapshot are never read.
* Reading always checks checksums; a reader never sees bytes that were not written whole.

A journal is written by one process at a time (the LOCK file, ``flock``); appends and segment
drops are serialised by a lock, so they may run on different threads.
"""

from __future__ import annotations

import errno
import fcntl
import logging
import os
import threading
from bisect import bisect_right
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from openweex.storage.appendfile import BLOCK, AppendFile
from openweex.storage.files import FsyncFn, datasync_function, fsync_dir, write_all
from openweex.storage.frames import (
    FRAME_HEADER_SIZE,
    MAX_RECORD_SIZE,
    MAX_SEQ,
    NAME_RE,
    SEGMENT_HEADER_SIZE,
    SEGMENT_MAGIC,
    BadFrame,
    OutOfOrder,
    Record,
    encode_frame,
    encode_frames,
    frame_lists,
    header_problem,
    later_valid_frame,
    segment_header,
    segment_name,
)

__all__ = [
    "DEFAULT_SEGMENT_SIZE",
    "FRAME_HEADER_SIZE",
    "JOURNAL_DIRNAME",
    "MAX_RECORD_SIZE",
    "MAX_SEQ",
    "SEGMENT_HEADER_SIZE",
    "SEGMENT_MAGIC",
    "Journal",
    "JournalCorrupt",
    "JournalError",
    "JournalFatal",
    "Record",
    "TornTail",
    "encode_frame",
    "segment_name",
]

log = logging.getLogger(__name__)

DEFAULT_SEGMENT_SIZE = 16 * 1024 * 1024  # bounds what a start validates up front
PREALLOCATE = 1024 * 1024  # zeros written ahead of the records of the segment being written
JOURNAL_DIRNAME = "journal"
Verify = Literal["all", "last"]


class JournalError(Exception):
    """Base class of journal errors."""


class JournalCorrupt(JournalError):
    """The journal on disk is damaged somewhere other than a torn tail; start must stop."""


class JournalFatal(JournalError):
    """A write or fsync failed; the journal refuses all further work."""


@dataclass(frozen=True, slots=True)
class TornTail:
    """What :meth:`Journal.open` cut off the end of the last segment (or would cut, read-only)."""

    path: Path
    offset: int
    dropped_bytes: int
    reason: str


@dataclass(slots=True)
class _Segment:
    path: Path
    first_seq: int
    last_seq: int  # first_seq - 1 while the segment holds no record
    size: int
    marks: list[tuple[int, int]] = field(default_factory=list)  # (seq, offset) of some frames

    def copy(self) -> _Segment:
        return _Segment(self.path, self.first_seq, self.last_seq, self.size, self.marks)

    def start_for(self, seq: int) -> tuple[int, int]:
        """``(file offset, seq)`` of a frame at or before ``seq`` to start reading from."""
        index = bisect_right(self.marks, (seq, MAX_SEQ + 1)) - 1
        if index < 0:
            return SEGMENT_HEADER_SIZE, self.first_seq
        mark_seq, offset = self.marks[index]
        return offset, mark_seq


@dataclass(frozen=True, slots=True)
class _Options:
    segment_size: int
    fsync: FsyncFn
    datasync: FsyncFn  # appends: the data (and the size, if it changed), not the timestamps
    read_only: bool
    direct_io: bool  # appends bypass the page cache where the filesystem allows it


def _corrupt(path: Path, bad: BadFrame) -> JournalCorrupt:
    return JournalCorrupt(f"journal corrupt: {path} at byte offset {bad.offset}: {bad.reason}")


@dataclass(frozen=True, slots=True)
class _Repair:
    """A change :meth:`Journal.open` found the last segment needs: cut it at ``offset``
    (a torn tail, or the zeros written ahead of its records), or remove it (``None``: it
    never got a whole header)."""

    path: Path
    offset: int | None

    def apply(self, fsync: FsyncFn) -> None:
        if self.offset is None:
            self.path.unlink(missing_ok=True)
            fsync_dir(self.path.parent, fsync=fsync)
        else:
            _truncate(self.path, self.offset, fsync)


def _scan_segment(
    path: Path, name_seq: int, expect: int | None, is_last: bool, repairs: list[_Repair]
) -> tuple[_Segment | None, TornTail | None]:
    """Validate one segment; for the last one, note in ``repairs`` how to cut a torn tail
    (nothing on disk changes here). ``None`` = the segment is to be removed."""
    size = path.stat().st_size
    with path.open("rb") as fh:
        problem = header_problem(fh.read(SEGMENT_HEADER_SIZE), name_seq)
        if problem is not None:
            if is_last and size <= SEGMENT_HEADER_SIZE:
                repairs.append(_Repair(path, None))
                return None, TornTail(path, 0, size, problem)
            raise JournalCorrupt(f"journal corrupt: {path} at byte offset 0: {problem}")
        if expect is not None and name_seq != expect:
            raise JournalCorrupt(
                f"journal corrupt: {path} at byte offset 0: segment starts at seq {name_seq}, "
                f"expected {expect} (sequence gap or overlap between segments)"
            )
        seg = _Segment(path, name_seq, name_seq - 1, size)
        try:
            for offset, records in frame_lists(fh, SEGMENT_HEADER_SIZE, size, name_seq):
                seg.marks.append((records[0][0], offset))
                seg.last_seq = records[-1][0]
        except BadFrame as bad:
            seg.last_seq = bad.last_good_seq
            if not is_last or isinstance(bad, OutOfOrder):
                raise _corrupt(path, bad) from None
            fh.seek(bad.offset)
            rest = fh.read()
            later = later_valid_frame(rest, seg.last_seq)
            if later is not None:
                raise JournalCorrupt(
                    f"journal corrupt: {path} at byte offset {bad.offset}: {bad.reason}, "
                    f"and a valid record follows at byte offset {bad.offset + later}"
                ) from None
            repairs.append(_Repair(path, bad.offset))
            seg.size = bad.offset
            if not rest.strip(b"\x00"):
                return seg, None  # the zeros written ahead of the records: nothing was torn
            return seg, TornTail(path, bad.offset, size - bad.offset, bad.reason)
    return seg, None


def _lazy_segment(path: Path, name_seq: int, next_first: int) -> _Segment:
    """A segment that is not the last, with only its header checked (``verify="last"``)."""
    with path.open("rb") as fh:
        problem = header_problem(fh.read(SEGMENT_HEADER_SIZE), name_seq)
    if problem is not None:
        raise JournalCorrupt(f"journal corrupt: {path} at byte offset 0: {problem}")
    return _Segment(path, name_seq, next_first - 1, path.stat().st_size)


def _scan_all(
    jdir: Path, verify: Verify, repairs: list[_Repair]
) -> tuple[list[_Segment], TornTail | None]:
    found = _list_segments(jdir)
    segments: list[_Segment] = []
    torn: TornTail | None = None
    if verify == "all":
        for index, (name_seq, path) in enumerate(found):
            expect = segments[-1].last_seq + 1 if segments else None
            seg, torn = _scan_segment(path, name_seq, expect, index == len(found) - 1, repairs)
            if seg is not None:
                segments.append(seg)
        return segments, torn
    is_last = True
    while found:
        name_seq, path = found.pop()
        seg, cut = _scan_segment(path, name_seq, None, is_last, repairs)
        torn, is_last = torn or cut, False  # a segment before a removed one was complete
        if seg is not None:
            segments.append(seg)
            break
    for name_seq, path in reversed(found):
        segments.append(_lazy_segment(path, name_seq, segments[-1].first_seq))
    segments.reverse()
    return segments, torn


def _truncate(path: Path, offset: int, fsync: FsyncFn) -> None:
    fd = os.open(path, os.O_WRONLY)
    try:
        os.ftruncate(fd, offset)
        fsync(fd)
    finally:
        os.close(fd)


def _list_segments(jdir: Path) -> list[tuple[int, Path]]:
    found = []
    for entry in jdir.iterdir():
        match = NAME_RE.fullmatch(entry.name)
        if match is not None:
            found.append((int(match.group(1)), entry))
    found.sort()
    return found


def lock_journal(jdir: Path) -> int:
    """Take the lock of journal directory ``jdir`` (its ``LOCK`` file, created if needed),
    the one every opener of the journal holds while it has it open; returns its descriptor
    (closing it releases the lock). :class:`JournalError` when another process holds it."""
    return _locked(os.open(jdir / "LOCK", os.O_RDWR | os.O_CREAT, 0o644), jdir)


def _locked(fd: int, jdir: Path) -> int:
    """``fd`` (of ``jdir``'s ``LOCK``) once locked; closed, and :class:`JournalError`, when
    another process holds the lock."""
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise JournalError(f"journal {jdir} is already open (LOCK is held)") from None
    return fd


def _lock_to_read(jdir: Path) -> int | None:
    """:func:`lock_journal` for a reader, which may work on a read-only copy or mount: the
    ``LOCK`` file is opened for reading (a lock does not need more). None when there is
    none and none can be made there: then no server can have the journal open either."""
    try:
        fd = os.open(jdir / "LOCK", os.O_RDONLY)
    except FileNotFoundError:
        try:
            return lock_journal(jdir)
        except OSError as exc:
            if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
                return None
            raise
    return _locked(fd, jdir)


def _read_segment(seg: _Segment, seq: int) -> Iterator[list[Record]]:
    """Records of ``seg`` with a seq >= ``seq``, checking that it ends at ``seg.last_seq``."""
    start, expect = seg.start_for(seq)
    last = expect - 1
    with seg.path.open("rb", buffering=0) as fh:
        try:
            for offset, records in frame_lists(fh, start, seg.size, expect):
                last = records[-1][0]
                if last > seg.last_seq:
                    raise _overlap(seg, offset, records)
                if records[0][0] < seq:
                    if last < seq:
                        continue
                    del records[: seq - records[0][0]]
                yield records
        except BadFrame as bad:
            raise _corrupt(seg.path, bad) from None
    if last < seg.last_seq:
        raise JournalCorrupt(
            f"journal corrupt: {seg.path} at byte offset {seg.size}: the segment ends at seq "
            f"{last}, but the next segment starts at seq {seg.last_seq + 1} (records missing)"
        )


def _overlap(seg: _Segment, offset: int, records: list[Record]) -> JournalCorrupt:
    for seq, payload in records:
        if seq > seg.last_seq:
            break
        offset += FRAME_HEADER_SIZE + len(payload)
    return JournalCorrupt(
        f"journal corrupt: {seg.path} at byte offset {offset}: record seq {seg.last_seq + 1} "
        "is also the first seq of the next segment (overlap between segments)"
    )


class Journal:
    """An open journal directory. Create with :meth:`Journal.open`."""

    def __init__(
        self,
        jdir: Path,
        segments: list[_Segment],
        opts: _Options,
        lock_fd: int | None,
        torn_tail: TornTail | None,
        repairs: list[_Repair],
    ) -> None:
        self._dir = jdir
        self._segments = segments
        self._opts = opts
        self._lock_fd = lock_fd
        self._file: AppendFile | None = None  # the segment being written, once opened
        self._allocated = 0  # the size of the file behind _file: its records, then zeros
        self._failed: BaseException | None = None
        self._closed = False
        self._mutex = threading.Lock()
        self._repairs = repairs  # what open() found to cut, not cut yet (see repair())
        self.torn_tail = torn_tail
        """Set when :meth:`open` found a torn tail (cut by :meth:`repair`, or at open)."""

    @classmethod
    def open(
        cls,
        data_dir: str | os.PathLike[str],
        *,
        segment_size: int = DEFAULT_SEGMENT_SIZE,
        fsync: FsyncFn = os.fsync,
        verify: Verify = "all",
        read_only: bool = False,
        direct_io: bool = True,
        defer_repair: bool = False,
    ) -> Journal:
        """Open (or create) ``<data_dir>/journal``, validating the segments.

        ``verify="all"`` checks every segment now; ``"last"`` only the last one, the others
        when they are read. ``fsync`` replaces ``os.fsync`` for every file and directory sync,
        and ``os.fdatasync`` for appends (tests inject failures through it). ``read_only``
        changes nothing on disk: a torn tail is reported but not cut (reads stop before it)
        and appends are refused. ``defer_repair`` leaves a torn tail (and the zeros after the
        last record) on disk until :meth:`repair` or the first write, so that a caller that
        refuses to go on after looking at the records changes nothing. ``direct_io`` writes
        appends with direct I/O where the
        filesystem allows it (:mod:`openweex.storage.appendfile`). Raises
        :class:`JournalCorrupt` on damage that is not a torn tail, :class:`JournalError` if
        another process holds the journal, ``OSError`` if the files cannot be read, created
        or synced.
        """
        if segment_size <= SEGMENT_HEADER_SIZE:
            raise ValueError("segment_size is too small")
        datasync = datasync_function() if fsync is os.fsync else fsync
        opts = _Options(segment_size, fsync, datasync, read_only, direct_io)
        jdir = Path(data_dir) / JOURNAL_DIRNAME
        if not jdir.is_dir():
            if read_only:
                return cls(jdir, [], opts, None, None, [])
            jdir.mkdir(parents=True)
            fsync_dir(jdir.parent, fsync=fsync)
        lock_fd = _lock_to_read(jdir) if read_only else lock_journal(jdir)
        repairs: list[_Repair] = []
        try:
            segments, torn = _scan_all(jdir, verify, repairs)
        except BaseException:
            if lock_fd is not None:
                os.close(lock_fd)
            raise
        if torn is not None:
            log.warning(
                "journal: found a torn tail of %d bytes at byte offset %d of %s (%s)",
                torn.dropped_bytes,
                torn.offset,
                torn.path,
                torn.reason,
            )
        journal = cls(jdir, segments, opts, lock_fd, torn, [] if read_only else repairs)
        if not defer_repair:
            try:
                journal.repair()
            except BaseException:
                journal.close()
                raise
        return journal

    def repair(self) -> None:
        """Cut what :meth:`open` found at the end of the last segment: a torn tail, the
        zeros after the last record, a segment without a whole header. Idempotent; the
        first write does it too. Raises :class:`JournalFatal` if the cut cannot be made
        durable (the journal is then failed, as after a failed append)."""
        with self._mutex:
            self._check_usable()
            self._apply_repairs()

    def _apply_repairs(self) -> None:
        try:
            while self._repairs:
                self._repairs[0].apply(self._opts.fsync)
                done = self._repairs.pop(0)
                if self.torn_tail is not None and done.path == self.torn_tail.path:
                    log.warning("journal: cut the torn tail of %s", done.path)
        except OSError as exc:
            raise self._fail(exc) from exc

    # ----------------------------------------------------------------- properties

    @property
    def directory(self) -> Path:
        """The ``<data_dir>/journal`` directory."""
        return self._dir

    @property
    def last_seq(self) -> int:
        """Seq of the newest durable record; 0 if the journal never held one."""
        return self._segments[-1].last_seq if self._segments else 0

    @property
    def first_seq(self) -> int | None:
        """Seq of the oldest record still on disk, or ``None`` if there is none."""
        for seg in self._segments:
            if seg.last_seq >= seg.first_seq:
                return seg.first_seq
        return None

    @property
    def origin_seq(self) -> int:
        """The seq the journal continues from: the oldest segment's first seq minus one.

        0 when the journal holds the whole history. A state at this seq (a snapshot) plus
        every record gives the current state.
        """
        return self._segments[0].first_seq - 1 if self._segments else 0

    @property
    def failed(self) -> bool:
        """True after a write or fsync error; the journal is then unusable."""
        return self._failed is not None

    def segment_paths(self) -> list[Path]:
        """Paths of the current segments, oldest first."""
        return [seg.path for seg in self._segments]

    def size_bytes(self) -> int:
        """Bytes in all segments (up to the valid end of the last one)."""
        return sum(seg.size for seg in self._segments)

    # ----------------------------------------------------------------- writing

    def append_batch(self, records: Sequence[tuple[int, bytes]]) -> None:
        """Append ``records`` (``(seq, payload)`` pairs) durably: one write, one fsync.

        Seqs must continue the journal without gaps (any seq >= 1 starts an empty journal).
        Raises ``ValueError`` for bad seqs or oversized payloads (nothing is written), and
        :class:`JournalFatal` if the write or fsync fails (now and on every later call).
        """
        with self._mutex:
            self._check_writable()
            if not records:
                return
            expect = self._segments[-1].last_seq + 1 if self._segments else records[0][0]
            if not 1 <= records[0][0] <= records[-1][0] <= MAX_SEQ:
                raise ValueError("seqs must be in 1 .. 2**64 - 1")
            data = encode_frames(records, expect)
            size = len(data)
            try:
                file = self._writable_file(size, records[0][0])
                seg = self._segments[-1]
                end = seg.size + size
                ahead = 0
                if end > self._allocated:
                    ahead = max(end, min(seg.size + PREALLOCATE, self._opts.segment_size))
                    ahead += -ahead % BLOCK  # whole blocks, as direct I/O writes them
                self._allocated = max(self._allocated, file.append(data, ahead))
                self._opts.datasync(file.fd)
            except OSError as exc:
                raise self._fail(exc) from exc
            seg.size = end
            seg.last_seq = records[-1][0]

    def begin_at(self, first_seq: int) -> None:
        """Start an empty journal at ``first_seq``: the state before it comes from elsewhere.

        Creates the (empty) first segment, so that ``last_seq`` is ``first_seq - 1`` and the
        next append must carry ``first_seq``. Used when a data directory starts from an
        imported state; raises ``ValueError`` if the journal already has a segment.
        """
        with self._mutex:
            self._check_writable()
            if self._segments:
                raise ValueError("the journal is not empty")
            if not 1 <= first_seq <= MAX_SEQ:
                raise ValueError("seqs must be in 1 .. 2**64 - 1")
            try:
                self._create_segment(first_seq)
            except OSError as exc:
                raise self._fail(exc) from exc

    def _writable_file(self, nbytes: int, first_seq: int) -> AppendFile:
        """The segment file that takes the next batch, rotating if needed."""
        seg = self._segments[-1] if self._segments else None
        must_rotate = seg is not None and (
            seg.last_seq >= seg.first_seq and seg.size + nbytes > self._opts.segment_size
        )
        if seg is None or must_rotate:
            self._close_segment()
            self._create_segment(first_seq)
        if self._file is None:
            last = self._segments[-1]
            self._file = AppendFile(last.path, last.size, direct=self._opts.direct_io)
            self._allocated = os.fstat(self._file.fd).st_size
        return self._file

    def _close_segment(self) -> None:
        """Close the segment being written, cut to its last record (durably)."""
        file, self._file = self._file, None
        if file is None:
            return
        try:
            if self._allocated > self._segments[-1].size:
                os.ftruncate(file.fd, self._segments[-1].size)
                self._opts.fsync(file.fd)
        finally:
            file.close()

    def _create_segment(self, first_seq: int) -> None:
        path = self._dir / segment_name(first_seq)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        try:
            write_all(fd, segment_header(first_seq))
            self._opts.fsync(fd)
        finally:
            os.close(fd)  # appends open it again (see _writable_file)
        self._segments.append(_Segment(path, first_seq, first_seq - 1, SEGMENT_HEADER_SIZE))
        fsync_dir(self._dir, fsync=self._opts.fsync)

    def _fail(self, exc: OSError) -> JournalFatal:
        self._failed = exc
        log.critical("journal: write or fsync failed, refusing further work: %s", exc)
        return JournalFatal(f"journal write or fsync failed: {exc}")

    def _check_usable(self) -> None:
        if self._failed is not None:
            raise JournalFatal(f"journal failed earlier: {self._failed}")
        if self._closed:
            raise JournalError("journal is closed")

    def _check_writable(self) -> None:
        self._check_usable()
        if self._opts.read_only:
            raise JournalError("journal is open read-only")
        if self._repairs:
            self._apply_repairs()

    # ----------------------------------------------------------------- reading

    def read_from(self, seq: int) -> Iterator[tuple[int, bytes]]:
        """Iterate ``(seq, payload)`` of every record with a seq >= ``seq``, oldest first.

        Sees the records durable when called (later appends are not included). Raises
        ``ValueError`` if records at or after ``seq`` were already dropped, and
        :class:`JournalCorrupt` while iterating if the files turn out damaged.
        """
        chunks = self.read_chunks(seq)
        return (record for chunk in chunks for record in chunk)

    def read_chunks(self, seq: int) -> Iterator[list[Record]]:
        """Like :meth:`read_from`, in lists of consecutive records (cheaper per record)."""
        self._check_usable()
        first = self.first_seq
        if first is not None and seq < first:
            raise ValueError(f"journal starts at seq {first}; records from {seq} are gone")
        with self._mutex:
            segs = [seg.copy() for seg in self._segments]
        return self._read_segments(segs, seq)

    @staticmethod
    def _read_segments(segs: list[_Segment], seq: int) -> Iterator[list[Record]]:
        for seg in segs:
            if seg.last_seq >= seq:
                yield from _read_segment(seg, seq)

    # ----------------------------------------------------------------- housekeeping

    def drop_segments_before(self, seq: int) -> int:
        """Delete whole segments whose records all have a seq < ``seq``; return how many.

        Call it with ``snapshot_seq + 1`` once a snapshot is durable (the oldest snapshot
        kept, to keep falling back to it possible). The segment being written is never
        deleted. Segments go oldest first, so a crash leaves a suffix.
        """
        with self._mutex:
            self._check_writable()
            dropped = 0
            while len(self._segments) > 1 and self._segments[1].first_seq <= seq:
                self._segments[0].path.unlink()
                del self._segments[0]
                dropped += 1
            if dropped:
                try:
                    fsync_dir(self._dir, fsync=self._opts.fsync)
                except OSError as exc:
                    raise self._fail(exc) from exc
            return dropped

    def close(self) -> None:
        """Release the files; idempotent. Everything appended is already durable.

        The zeros written ahead of the last record are cut (unless the journal failed: the
        next open cuts them).
        """
        with self._mutex:
            if self._closed:
                return
            self._closed = True
            try:
                if self._failed is None:
                    self._close_segment()
            except OSError as exc:
                log.warning("journal: could not cut the preallocated end of a segment: %s", exc)
            finally:
                self._release_files()

    def _release_files(self) -> None:
        """Close the segment being written and the lock, as they are (nothing is cut)."""
        file, self._file = self._file, None
        lock_fd, self._lock_fd = self._lock_fd, None
        if file is not None:
            file.close()
        if lock_fd is not None:
            os.close(lock_fd)

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
