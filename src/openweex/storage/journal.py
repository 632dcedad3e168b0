"""Append-only journal of opaque byte records, with group commit.

On-disk format (all integers little-endian; see also ``docs/journal-format.md``)::

    <data_dir>/journal/journal-<first seq, 20 digits>.log     one file per segment
    <data_dir>/journal/LOCK                                   held (flock) while open

    segment = header record*
    header  = magic "OWXJRNL\\0" (8 bytes) | u32 version (=1) | u64 first seq
              | u32 CRC32 of the 20 preceding header bytes                     (24 bytes)
    record  = u32 CRC32 of the next 12 + length bytes | u32 payload length | u64 seq
              | payload                        (the checksum covers length, seq, payload)

Invariants:

* Sequence numbers are contiguous: every record's seq is the previous one's plus one, across
  segments; the first record of a segment has the seq in its file name and header. Seqs are
  in ``1 .. 2**64 - 1``; ``last_seq`` is 0 for a journal that never held a record.
* :meth:`Journal.append_batch` writes a whole batch with one ``write`` and makes it durable
  with one ``fsync`` before returning (group commit). A batch never spans two segments: the
  journal rotates to a new segment before a batch that would push the current one past
  ``segment_size`` (a single oversized batch may exceed it).
* Segments other than the last are complete: a batch is fsynced before the next segment is
  created, and creating a segment fsyncs the file and its directory.
* Any ``OSError`` while writing or syncing makes the journal failed: the error is re-raised as
  :class:`JournalFatal` and every later call raises :class:`JournalFatal` too. After a failed
  fsync the kernel may have dropped the dirty pages, so nothing written can be trusted.
* :meth:`Journal.open` validates every segment. Invalid bytes that run to the end of the last
  segment with no valid later record are a torn tail (a write cut short by a crash); they are
  truncated away (``ftruncate`` + ``fsync``) and reported in :attr:`Journal.torn_tail`. Any
  other invalid byte, a broken header, or a sequence gap raises :class:`JournalCorrupt`
  naming the file and byte offset. A damaged *last* record cannot be told from a torn write
  and is dropped the same way. Conversely, a crash that persisted a later part of an
  unsynced batch but not an earlier part is reported as corruption: when in doubt the
  journal refuses to start rather than drop a record (``docs/journal-format.md``).

A journal is used by one thread of one process at a time; the LOCK file enforces the process
part with ``flock``.
"""

from __future__ import annotations

import fcntl
import logging
import os
import re
import struct
import zlib
from bisect import bisect_right
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from openweex.storage.files import FsyncFn, fsync_dir, write_all

log = logging.getLogger(__name__)

SEGMENT_MAGIC = b"OWXJRNL\x00"
FORMAT_VERSION = 1
_SEGMENT_HEADER = struct.Struct("<8sIQI")
SEGMENT_HEADER_SIZE = _SEGMENT_HEADER.size
_FRAME = struct.Struct("<IIQ")
FRAME_HEADER_SIZE = _FRAME.size
_LEN_SEQ = struct.Struct("<IQ")
MAX_RECORD_SIZE = 16 * 1024 * 1024
MAX_SEQ = 2**64 - 1
DEFAULT_SEGMENT_SIZE = 64 * 1024 * 1024
JOURNAL_DIRNAME = "journal"
_READ_CHUNK = 1024 * 1024
_NAME_RE = re.compile(r"journal-(\d{20})\.log")

Record = tuple[int, bytes]
"""One journal record: ``(seq, payload)``."""


class JournalError(Exception):
    """Base class of journal errors."""


class JournalCorrupt(JournalError):
    """The journal on disk is damaged somewhere other than a torn tail; start must stop."""


class JournalFatal(JournalError):
    """A write or fsync failed; the journal refuses all further work."""


@dataclass(frozen=True, slots=True)
class TornTail:
    """What :meth:`Journal.open` cut off the end of the last segment."""

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


class _BadFrame(Exception):
    def __init__(self, offset: int, reason: str, last_good_seq: int = 0) -> None:
        super().__init__(f"offset {offset}: {reason}")
        self.offset = offset
        self.reason = reason
        self.last_good_seq = last_good_seq


class _OutOfOrder(_BadFrame):
    """A frame with a valid checksum but the wrong seq: never a torn tail."""


def segment_name(first_seq: int) -> str:
    """File name of the segment whose first record has ``first_seq``."""
    return f"journal-{first_seq:020d}.log"


def encode_frame(seq: int, payload: bytes) -> bytes:
    """The on-disk bytes of one record (header + payload)."""
    crc = zlib.crc32(payload, zlib.crc32(_LEN_SEQ.pack(len(payload), seq)))
    return _FRAME.pack(crc, len(payload), seq) + payload


def _segment_header(first_seq: int) -> bytes:
    head = struct.pack("<8sIQ", SEGMENT_MAGIC, FORMAT_VERSION, first_seq)
    return head + struct.pack("<I", zlib.crc32(head))


def _header_problem(raw: bytes, name_seq: int) -> str | None:
    if len(raw) < SEGMENT_HEADER_SIZE:
        return "incomplete segment header"
    magic, version, first_seq, crc = _SEGMENT_HEADER.unpack(raw)
    if magic != SEGMENT_MAGIC:
        return "bad segment magic"
    if crc != zlib.crc32(raw[: SEGMENT_HEADER_SIZE - 4]):
        return "segment header checksum mismatch"
    if version != FORMAT_VERSION:
        return f"unsupported journal format version {version}"
    if first_seq != name_seq:
        return f"header first seq {first_seq} does not match the file name"
    return None


def _parse(
    buf: bytes, base: int, expect: int, out: list[Record]
) -> tuple[int, int, _BadFrame | None]:
    """Parse the complete frames at the start of ``buf`` (file offset ``base``) into ``out``.

    Returns ``(consumed bytes, next expected seq, error)``; parsing stops at the first
    incomplete frame or at the first bad one, which is then returned as the error.
    """
    unpack = _FRAME.unpack_from
    crc32 = zlib.crc32
    append = out.append
    n = len(buf)
    i = 0
    while i + FRAME_HEADER_SIZE <= n:
        crc, length, seq = unpack(buf, i)
        stop = i + FRAME_HEADER_SIZE + length
        if stop > n:
            if length > MAX_RECORD_SIZE:
                return i, expect, _BadFrame(base + i, f"record length {length} over the limit")
            break
        if crc32(buf[i + 4 : stop]) != crc:
            return i, expect, _BadFrame(base + i, "record checksum mismatch")
        if seq != expect:
            bad = f"record seq {seq} where {expect} was expected"
            return i, expect, _OutOfOrder(base + i, bad)
        append((seq, buf[i + FRAME_HEADER_SIZE : stop]))
        expect += 1
        i = stop
    return i, expect, None


def _frame_lists(fh: BinaryIO, start: int, end: int, expect: int) -> Iterator[list[Record]]:
    """Yield lists of ``(seq, payload)`` for the frames in ``[start, end)`` of ``fh``.

    ``expect`` is the seq the first frame must carry. After yielding every good record before
    it, raises :class:`_BadFrame` (file offset of the offending frame, ``last_good_seq`` set)
    on bad framing or checksum, and :class:`_OutOfOrder` on a seq that breaks the sequence.
    """
    fh.seek(start)
    pos = start  # file offset of the next byte to read
    rest = b""  # unparsed bytes, starting at file offset pos - len(rest)
    need = FRAME_HEADER_SIZE
    while True:
        want = min(max(_READ_CHUNK, need), end - pos)
        data = fh.read(want) if want > 0 else b""
        base = pos - len(rest)
        if not data:
            if rest:
                what = "record" if len(rest) >= FRAME_HEADER_SIZE else "record header"
                raise _BadFrame(base, f"incomplete {what}", expect - 1)
            return
        pos += len(data)
        buf = rest + data if rest else data
        out: list[Record] = []
        used, expect, error = _parse(buf, base, expect, out)
        if out:
            yield out
        if error is not None:
            error.last_good_seq = expect - 1
            raise error
        rest = buf[used:]
        need = FRAME_HEADER_SIZE - len(rest)
        if len(rest) >= FRAME_HEADER_SIZE:
            need = FRAME_HEADER_SIZE + _FRAME.unpack_from(rest)[1] - len(rest)


def _later_valid_frame(data: bytes, after_seq: int) -> int | None:
    """Offset (>= 1) in ``data`` of a frame with a good checksum and a seq above ``after_seq``."""
    size = len(data)
    # Any valid frame has a non-zero seq byte, so it starts before the trailing zero run.
    limit = min(len(data.rstrip(b"\x00")), size - FRAME_HEADER_SIZE + 1)
    unpack = _FRAME.unpack_from
    for off in range(1, limit):
        crc, length, seq = unpack(data, off)
        stop = off + FRAME_HEADER_SIZE + length
        if seq <= after_seq or stop > size:
            continue
        if zlib.crc32(data[off + 4 : stop]) == crc:
            return off
    return None


@dataclass(frozen=True, slots=True)
class _Options:
    segment_size: int
    fsync: FsyncFn


def _scan_segment(
    path: Path, name_seq: int, expect: int | None, is_last: bool, opts: _Options
) -> tuple[_Segment | None, TornTail | None]:
    """Validate one segment; for the last one, cut a torn tail. ``None`` = segment removed."""
    size = path.stat().st_size
    with path.open("rb") as fh:
        problem = _header_problem(fh.read(SEGMENT_HEADER_SIZE), name_seq)
        if problem is not None:
            if is_last and size <= SEGMENT_HEADER_SIZE:
                path.unlink()
                fsync_dir(path.parent, fsync=opts.fsync)
                return None, TornTail(path, 0, size, problem)
            raise JournalCorrupt(f"journal corrupt: {path} at byte offset 0: {problem}")
        if expect is not None and name_seq != expect:
            raise JournalCorrupt(
                f"journal corrupt: {path} at byte offset 0: segment starts at seq {name_seq}, "
                f"expected {expect} (sequence gap or overlap between segments)"
            )
        seg = _Segment(path, name_seq, name_seq - 1, size)
        try:
            for records in _frame_lists(fh, SEGMENT_HEADER_SIZE, size, name_seq):
                seg.last_seq = records[-1][0]
        except _BadFrame as bad:
            seg.last_seq = bad.last_good_seq
            if not is_last or isinstance(bad, _OutOfOrder):
                raise _corrupt(path, bad) from None
            fh.seek(bad.offset)
            later = _later_valid_frame(fh.read(), seg.last_seq)
            if later is not None:
                raise JournalCorrupt(
                    f"journal corrupt: {path} at byte offset {bad.offset}: {bad.reason}, "
                    f"and a valid record follows at byte offset {bad.offset + later}"
                ) from None
            _truncate(path, bad.offset, opts.fsync)
            seg.size = bad.offset
            return seg, TornTail(path, bad.offset, size - bad.offset, bad.reason)
    return seg, None


def _corrupt(path: Path, bad: _BadFrame) -> JournalCorrupt:
    return JournalCorrupt(f"journal corrupt: {path} at byte offset {bad.offset}: {bad.reason}")


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
        match = _NAME_RE.fullmatch(entry.name)
        if match is not None:
            found.append((int(match.group(1)), entry))
    found.sort()
    return found


def _lock(jdir: Path) -> int:
    fd = os.open(jdir / "LOCK", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise JournalError(f"journal {jdir} is already open (LOCK is held)") from None
    return fd


class Journal:
    """An open journal directory. Create with :meth:`Journal.open`."""

    def __init__(
        self,
        jdir: Path,
        segments: list[_Segment],
        opts: _Options,
        lock_fd: int,
        torn_tail: TornTail | None,
    ) -> None:
        self._dir = jdir
        self._segments = segments
        self._opts = opts
        self._lock_fd: int | None = lock_fd
        self._fd: int | None = None
        self._failed: BaseException | None = None
        self._closed = False
        self.torn_tail = torn_tail
        """Set when :meth:`open` truncated a torn tail; ``None`` otherwise."""

    @classmethod
    def open(
        cls,
        data_dir: str | os.PathLike[str],
        *,
        segment_size: int = DEFAULT_SEGMENT_SIZE,
        fsync: FsyncFn = os.fsync,
    ) -> Journal:
        """Open (or create) ``<data_dir>/journal``, validating every segment.

        ``fsync`` replaces ``os.fsync`` for every file and directory sync (tests inject
        failures through it). Raises :class:`JournalCorrupt` on damage that is not a torn
        tail, :class:`JournalError` if another process holds the journal, ``OSError`` if the
        files cannot be read, created or synced.
        """
        if segment_size <= SEGMENT_HEADER_SIZE:
            raise ValueError("segment_size is too small")
        opts = _Options(segment_size, fsync)
        jdir = Path(data_dir) / JOURNAL_DIRNAME
        if not jdir.is_dir():
            jdir.mkdir(parents=True)
            fsync_dir(jdir.parent, fsync=fsync)
        lock_fd = _lock(jdir)
        try:
            segments, torn = cls._scan_all(jdir, opts)
        except BaseException:
            os.close(lock_fd)
            raise
        if torn is not None:
            log.warning(
                "journal: cut a torn tail of %d bytes at byte offset %d of %s (%s)",
                torn.dropped_bytes,
                torn.offset,
                torn.path,
                torn.reason,
            )
        return cls(jdir, segments, opts, lock_fd, torn)

    @staticmethod
    def _scan_all(jdir: Path, opts: _Options) -> tuple[list[_Segment], TornTail | None]:
        found = _list_segments(jdir)
        segments: list[_Segment] = []
        torn: TornTail | None = None
        for index, (name_seq, path) in enumerate(found):
            expect = segments[-1].last_seq + 1 if segments else None
            is_last = index == len(found) - 1
            seg, torn = _scan_segment(path, name_seq, expect, is_last, opts)
            if seg is not None:
                segments.append(seg)
        return segments, torn

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
    def failed(self) -> bool:
        """True after a write or fsync error; the journal is then unusable."""
        return self._failed is not None

    def segment_paths(self) -> list[Path]:
        """Paths of the current segments, oldest first."""
        return [seg.path for seg in self._segments]

    # ----------------------------------------------------------------- writing

    def append_batch(self, records: Sequence[tuple[int, bytes]]) -> None:
        """Append ``records`` (``(seq, payload)`` pairs) durably: one write, one fsync.

        Seqs must continue the journal without gaps (any seq >= 1 starts an empty journal).
        Raises ``ValueError`` for bad seqs or oversized payloads (nothing is written), and
        :class:`JournalFatal` if the write or fsync fails (now and on every later call).
        """
        self._check_usable()
        if not records:
            return
        data = self._encode_batch(records)
        try:
            fd = self._writable_fd(len(data), records[0][0])
            write_all(fd, data)
            self._opts.fsync(fd)
        except OSError as exc:
            raise self._fail(exc) from exc
        seg = self._segments[-1]
        seg.size += len(data)
        seg.last_seq = records[-1][0]

    def _encode_batch(self, records: Sequence[tuple[int, bytes]]) -> bytes:
        expect = self._segments[-1].last_seq + 1 if self._segments else records[0][0]
        if not 1 <= records[0][0] <= records[-1][0] <= MAX_SEQ:
            raise ValueError("seqs must be in 1 .. 2**64 - 1")
        pack_frame = _FRAME.pack
        pack_len_seq = _LEN_SEQ.pack
        crc32 = zlib.crc32
        parts: list[bytes] = []
        for seq, payload in records:
            if seq != expect:
                raise ValueError(f"record seq {seq} where {expect} was expected")
            if len(payload) > MAX_RECORD_SIZE:
                raise ValueError(f"record {seq} is over {MAX_RECORD_SIZE} bytes")
            size = len(payload)
            parts.append(pack_frame(crc32(payload, crc32(pack_len_seq(size, seq))), size, seq))
            parts.append(payload)
            expect += 1
        return b"".join(parts)

    def _writable_fd(self, nbytes: int, first_seq: int) -> int:
        """The fd of the segment that takes the next batch, rotating if needed."""
        seg = self._segments[-1] if self._segments else None
        must_rotate = seg is not None and (
            seg.last_seq >= seg.first_seq and seg.size + nbytes > self._opts.segment_size
        )
        if seg is None or must_rotate:
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None
            self._create_segment(first_seq)
        if self._fd is None:
            self._fd = os.open(self._segments[-1].path, os.O_WRONLY | os.O_APPEND)
        return self._fd

    def _create_segment(self, first_seq: int) -> None:
        path = self._dir / segment_name(first_seq)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_APPEND, 0o644)
        try:
            write_all(fd, _segment_header(first_seq))
            self._opts.fsync(fd)
        except BaseException:
            os.close(fd)
            raise
        self._fd = fd
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

    # ----------------------------------------------------------------- reading

    def read_from(self, seq: int) -> Iterator[tuple[int, bytes]]:
        """Iterate ``(seq, payload)`` of every record with a seq >= ``seq``, oldest first.

        Sees the records durable when called (later appends are not included). Raises
        ``ValueError`` if records at or after ``seq`` were already dropped, and
        :class:`JournalCorrupt` while iterating if the files turn out damaged.
        """
        self._check_usable()
        first = self.first_seq
        if first is not None and seq < first:
            raise ValueError(f"journal starts at seq {first}; records from {seq} are gone")
        segs = [_Segment(s.path, s.first_seq, s.last_seq, s.size) for s in self._segments]
        starts = [s.first_seq for s in segs]
        index = max(bisect_right(starts, seq) - 1, 0)
        return self._read_segments(segs[index:], seq)

    @staticmethod
    def _read_segments(segs: list[_Segment], seq: int) -> Iterator[tuple[int, bytes]]:
        for seg in segs:
            if seg.last_seq < seq:
                continue
            with seg.path.open("rb", buffering=0) as fh:
                chunks = _frame_lists(fh, SEGMENT_HEADER_SIZE, seg.size, seg.first_seq)
                try:
                    for records in chunks:
                        if records[0][0] < seq:
                            if records[-1][0] < seq:
                                continue
                            del records[: seq - records[0][0]]
                        yield from records
                except _BadFrame as bad:
                    raise _corrupt(seg.path, bad) from None

    # ----------------------------------------------------------------- housekeeping

    def drop_segments_before(self, seq: int) -> int:
        """Delete whole segments whose records all have a seq < ``seq``; return how many.

        Call it with ``snapshot_seq + 1`` once a snapshot is durable (the oldest snapshot
        kept, to keep falling back to it possible). The segment being written is never
        deleted. Segments go oldest first, so a crash leaves a suffix.
        """
        self._check_usable()
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
        """Release the files; idempotent. Everything appended is already durable."""
        self._closed = True
        for fd in (self._fd, self._lock_fd):
            if fd is not None:
                os.close(fd)
        self._fd = None
        self._lock_fd = None

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
