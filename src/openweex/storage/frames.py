"""Byte layout of journal segments: segment headers and checksummed record frames.

On-disk format (all integers little-endian; see also ``docs/journal-format.md``)::

    segment = header record*
    header  = magic "OWXJRNL\\0" (8 bytes) | u32 version (=1) | u64 first seq
              | u32 CRC32 of the 20 preceding header bytes                     (24 bytes)
    record  = u32 CRC32 of the next 12 + length bytes | u32 payload length | u64 seq
              | payload                        (the checksum covers length, seq, payload)

This module only encodes and parses bytes; :mod:`openweex.storage.journal` owns the files.
Parsing is strict: a frame is accepted only with a good checksum and the expected seq, so a
reader never yields a record that was not written whole.
"""

from __future__ import annotations

import re
import struct
import zlib
from collections.abc import Iterator, Sequence
from typing import BinaryIO

SEGMENT_MAGIC = b"OWXJRNL\x00"
FORMAT_VERSION = 1
_SEGMENT_HEADER = struct.Struct("<8sIQI")
SEGMENT_HEADER_SIZE = _SEGMENT_HEADER.size
_FRAME = struct.Struct("<IIQ")
FRAME_HEADER_SIZE = _FRAME.size
_LEN_SEQ = struct.Struct("<IQ")
MAX_RECORD_SIZE = 16 * 1024 * 1024
MAX_SEQ = 2**64 - 1
READ_CHUNK = 1024 * 1024
NAME_RE = re.compile(r"journal-(\d{20})\.log")

Record = tuple[int, bytes]
"""One journal record: ``(seq, payload)``."""


class BadFrame(Exception):
    """An invalid frame at file ``offset``; ``last_good_seq`` is the seq of the one before."""

    def __init__(self, offset: int, reason: str, last_good_seq: int = 0) -> None:
        super().__init__(f"offset {offset}: {reason}")
        self.offset = offset
        self.reason = reason
        self.last_good_seq = last_good_seq


class OutOfOrder(BadFrame):
    """A frame with a valid checksum but the wrong seq: never a torn tail."""


def segment_name(first_seq: int) -> str:
    """File name of the segment whose first record has ``first_seq``."""
    return f"journal-{first_seq:020d}.log"


def encode_frame(seq: int, payload: bytes) -> bytes:
    """The on-disk bytes of one record (header + payload)."""
    crc = zlib.crc32(payload, zlib.crc32(_LEN_SEQ.pack(len(payload), seq)))
    return _FRAME.pack(crc, len(payload), seq) + payload


def encode_frames(records: Sequence[Record], expect: int) -> bytes:
    """The bytes of consecutive records; raises ``ValueError`` on a seq that is not ``expect``,
    ``expect + 1``, ... or on an oversized payload."""
    pack_frame = _FRAME.pack
    pack_len_seq = _LEN_SEQ.pack
    crc32 = zlib.crc32
    parts: list[bytes] = []
    for seq, payload in records:
        if seq != expect:
            raise ValueError(f"record seq {seq} where {expect} was expected")
        size = len(payload)
        if size > MAX_RECORD_SIZE:
            raise ValueError(f"record {seq} is over {MAX_RECORD_SIZE} bytes")
        parts.append(pack_frame(crc32(payload, crc32(pack_len_seq(size, seq))), size, seq))
        parts.append(payload)
        expect += 1
    return b"".join(parts)


def segment_header(first_seq: int) -> bytes:
    head = struct.pack("<8sIQ", SEGMENT_MAGIC, FORMAT_VERSION, first_seq)
    return head + struct.pack("<I", zlib.crc32(head))


def header_problem(raw: bytes, name_seq: int) -> str | None:
    """What is wrong with a segment header read from the file named for ``name_seq``."""
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


def parse(
    buf: bytes, base: int, expect: int, out: list[Record]
) -> tuple[int, int, BadFrame | None]:
    """Parse the complete frames at the start of ``buf`` (file offset ``base``) into ``out``.

    Returns ``(consumed bytes, next expected seq, error)``; parsing stops at the first
    incomplete frame or at the first bad one, which is then returned as the error.
    """
    unpack = _FRAME.unpack_from
    crc32 = zlib.crc32
    append = out.append
    view = memoryview(buf)
    n = len(buf)
    i = 0
    while i + FRAME_HEADER_SIZE <= n:
        crc, length, seq = unpack(buf, i)
        stop = i + FRAME_HEADER_SIZE + length
        if stop > n:
            if length > MAX_RECORD_SIZE:
                return i, expect, BadFrame(base + i, f"record length {length} over the limit")
            break
        if crc32(view[i + 4 : stop]) != crc:
            return i, expect, BadFrame(base + i, "record checksum mismatch")
        if seq != expect:
            bad = f"record seq {seq} where {expect} was expected"
            return i, expect, OutOfOrder(base + i, bad)
        append((seq, buf[i + FRAME_HEADER_SIZE : stop]))
        expect += 1
        i = stop
    return i, expect, None


def frame_lists(
    fh: BinaryIO, start: int, end: int, expect: int
) -> Iterator[tuple[int, list[Record]]]:
    """Yield ``(file offset of the first frame, [(seq, payload), ...])`` for ``[start, end)``.

    ``start`` must be the offset of a frame and ``expect`` the seq it must carry. After
    yielding every good record before it, raises :class:`BadFrame` (file offset of the
    offending frame, ``last_good_seq`` set) on bad framing, a checksum mismatch or bytes left
    over at ``end``, and :class:`OutOfOrder` on a seq that breaks the sequence.
    """
    fh.seek(start)
    pos = start  # file offset of the next byte to read
    rest = b""  # unparsed bytes, starting at file offset pos - len(rest)
    need = FRAME_HEADER_SIZE
    while True:
        want = min(max(READ_CHUNK, need), end - pos)
        data = fh.read(want) if want > 0 else b""
        base = pos - len(rest)
        if not data:
            if rest:
                what = "record" if len(rest) >= FRAME_HEADER_SIZE else "record header"
                raise BadFrame(base, f"incomplete {what}", expect - 1)
            return
        pos += len(data)
        buf = rest + data if rest else data
        out: list[Record] = []
        used, expect, error = parse(buf, base, expect, out)
        if out:
            yield base, out
        if error is not None:
            error.last_good_seq = expect - 1
            raise error
        rest = buf[used:]
        need = FRAME_HEADER_SIZE - len(rest)
        if len(rest) >= FRAME_HEADER_SIZE:
            need = FRAME_HEADER_SIZE + _FRAME.unpack_from(rest)[1] - len(rest)


def later_valid_frame(data: bytes, after_seq: int) -> int | None:
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
