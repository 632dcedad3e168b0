from __future__ import annotations

import errno
import io
import os
import random
from pathlib import Path

import pytest

from openweex.storage.appendfile import BLOCK
from openweex.storage.frames import frame_lists
from openweex.storage.journal import (
    FRAME_HEADER_SIZE,
    PREALLOCATE,
    SEGMENT_HEADER_SIZE,
    Journal,
    JournalCorrupt,
    JournalError,
    JournalFatal,
    encode_frame,
    segment_name,
)


def payload(seq: int) -> bytes:
    return f"record-{seq}-".encode() + bytes([seq % 251]) * (seq % 17)


def records(first: int, last: int) -> list[tuple[int, bytes]]:
    return [(seq, payload(seq)) for seq in range(first, last + 1)]


def write_journal(
    data_dir: Path, batches: list[list[tuple[int, bytes]]], **kw: int | bool
) -> Journal:
    jr = Journal.open(data_dir, **kw)  # type: ignore[arg-type]
    for batch in batches:
        jr.append_batch(batch)
    return jr


def only_segment(data_dir: Path) -> Path:
    (seg,) = sorted((data_dir / "journal").glob("journal-*.log"))
    return seg


def crash_and_reopen(jr: Journal, data_dir: Path) -> Journal:
    """Drop ``jr``'s files the way a killed process does (nothing cut or closed cleanly),
    then open the journal again."""
    jr._release_files()
    jr._closed = True
    return Journal.open(data_dir)


def frame_offsets(first: int, last: int) -> list[int]:
    """Byte offsets of records first..last in a single segment that starts at ``first``."""
    offsets = [SEGMENT_HEADER_SIZE]
    for seq in range(first, last + 1):
        offsets.append(offsets[-1] + FRAME_HEADER_SIZE + len(payload(seq)))
    return offsets


def test_round_trip(tmp_path: Path) -> None:
    jr = write_journal(tmp_path, [records(1, 1), records(2, 10), [(11, b"")], records(12, 40)])
    assert jr.last_seq == 40
    assert jr.first_seq == 1
    assert list(jr.read_from(1)) == [*records(1, 10), (11, b""), *records(12, 40)]
    assert list(jr.read_from(25)) == records(25, 40)
    assert list(jr.read_from(41)) == []
    jr.close()


def test_frame_bytes_on_disk(tmp_path: Path) -> None:
    write_journal(tmp_path, [records(7, 9)]).close()
    raw = only_segment(tmp_path).read_bytes()
    assert only_segment(tmp_path).name == segment_name(7) == "journal-00000000000000000007.log"
    assert raw[:8] == b"OWXJRNL\x00"
    expected = b"".join(encode_frame(seq, data) for seq, data in records(7, 9))
    assert raw[SEGMENT_HEADER_SIZE:] == expected


def test_empty_journal(tmp_path: Path) -> None:
    with Journal.open(tmp_path) as jr:
        assert jr.last_seq == 0
        assert jr.first_seq is None
        assert list(jr.read_from(1)) == []
        jr.append_batch([])
        assert jr.segment_paths() == []


def test_reopen_continues_seq(tmp_path: Path) -> None:
    write_journal(tmp_path, [records(1, 5)]).close()
    with Journal.open(tmp_path) as jr:
        assert jr.torn_tail is None
        assert jr.last_seq == 5
        with pytest.raises(ValueError):
            jr.append_batch([(7, b"gap")])
        with pytest.raises(ValueError):
            jr.append_batch([(5, b"again")])
        jr.append_batch(records(6, 8))
    with Journal.open(tmp_path) as jr:
        assert jr.last_seq == 8
        assert list(jr.read_from(1)) == records(1, 8)


def test_append_validation(tmp_path: Path) -> None:
    with Journal.open(tmp_path) as jr:
        with pytest.raises(ValueError):
            jr.append_batch([(0, b"x")])
        with pytest.raises(ValueError):
            jr.append_batch([(1, b"a"), (3, b"b")])
        jr.append_batch([(100, b"first")])  # an empty journal may start at any seq
        assert jr.last_seq == 100
        assert not jr.failed


@pytest.mark.parametrize("direct_io", [True, False])
def test_one_write_and_one_fsync_per_batch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, direct_io: bool
) -> None:
    fsyncs: list[int] = []
    jr = Journal.open(tmp_path, fsync=lambda fd: fsyncs.append(fd), direct_io=direct_io)
    jr.append_batch(records(1, 1))  # creates the segment
    writes: list[int] = []
    real_write = os.write
    real_pwrite = os.pwrite
    real_pwritev = os.pwritev

    def counting_write(fd: int, data: bytes) -> int:
        writes.append(fd)
        return real_write(fd, data)

    def counting_pwrite(fd: int, data: bytes, offset: int) -> int:
        writes.append(fd)
        return real_pwrite(fd, data, offset)

    def counting_pwritev(fd: int, buffers: list[memoryview], offset: int) -> int:
        writes.append(fd)
        return real_pwritev(fd, buffers, offset)

    monkeypatch.setattr(os, "write", counting_write)
    monkeypatch.setattr(os, "pwrite", counting_pwrite)
    monkeypatch.setattr(os, "pwritev", counting_pwritev)
    fsyncs.clear()
    jr.append_batch(records(2, 65))
    assert len(writes) == 1
    assert len(fsyncs) == 1
    assert writes == fsyncs  # the fd written is the fd synced
    jr.close()


def test_rotation_across_segments(tmp_path: Path) -> None:
    batches = [records(s, s + 2) for s in range(1, 300, 3)]
    jr = write_journal(tmp_path, batches, segment_size=400)
    paths = jr.segment_paths()
    assert len(paths) > 10
    seqs = [int(path.name[len("journal-") : -len(".log")]) for path in paths]
    assert seqs[0] == 1 and seqs == sorted(seqs)
    assert (seqs[1] - 1) % 3 == 0  # batches are never split
    assert list(jr.read_from(1)) == records(1, 300)
    assert all(path.stat().st_size <= 400 for path in paths[:-1])  # cut to their last record
    jr.close()
    assert paths[-1].stat().st_size <= 400  # ... and the last one once closed
    with Journal.open(tmp_path, segment_size=400) as jr:
        assert jr.last_seq == 300
        for start in (seqs[3], seqs[3] + 1, seqs[-1], 299):
            assert list(jr.read_from(start)) == records(start, 300)
        jr.append_batch(records(301, 310))
        assert list(jr.read_from(290)) == records(290, 310)


def test_oversized_batch_goes_in_one_segment(tmp_path: Path) -> None:
    jr = write_journal(tmp_path, [records(1, 2), records(3, 200)], segment_size=100)
    assert len(jr.segment_paths()) == 2
    assert list(jr.read_from(1)) == records(1, 200)
    jr.close()


def test_torn_tail_at_every_offset_of_last_record(tmp_path: Path) -> None:
    src = tmp_path / "src"
    write_journal(src, [records(1, 3), records(4, 6)]).close()
    full = only_segment(src).read_bytes()
    offsets = frame_offsets(1, 6)
    last_start, end = offsets[-2], offsets[-1]
    assert end == len(full)
    for cut in range(last_start, end):
        data_dir = tmp_path / f"cut{cut}"
        (data_dir / "journal").mkdir(parents=True)
        seg = data_dir / "journal" / segment_name(1)
        seg.write_bytes(full[:cut])
        with Journal.open(data_dir) as jr:
            if cut == last_start:
                assert jr.torn_tail is None
            else:
                assert jr.torn_tail is not None
                assert jr.torn_tail.offset == last_start
                assert jr.torn_tail.dropped_bytes == cut - last_start
            assert seg.stat().st_size == last_start
            assert jr.last_seq == 5
            assert list(jr.read_from(1)) == records(1, 5)
            jr.append_batch([(6, b"rewritten"), (7, b"next")])
        with Journal.open(data_dir) as jr:
            assert jr.torn_tail is None
            assert list(jr.read_from(5)) == [(5, payload(5)), (6, b"rewritten"), (7, b"next")]


@pytest.mark.parametrize("tail", [b"\x00" * 5000, b"\x00" * 3, b"garbage", "random"])
def test_zeros_or_garbage_at_the_end_are_cut(tmp_path: Path, tail: bytes | str) -> None:
    write_journal(tmp_path, [records(1, 4)]).close()
    seg = only_segment(tmp_path)
    size = seg.stat().st_size
    junk = random.Random(7).randbytes(3000) if tail == "random" else tail
    assert isinstance(junk, bytes)
    with seg.open("ab") as fh:
        fh.write(junk)
    with Journal.open(tmp_path) as jr:
        if junk.strip(b"\x00"):
            assert jr.torn_tail is not None
            assert jr.torn_tail.offset == size
            assert jr.torn_tail.dropped_bytes == len(junk)
        else:  # zeros are what the journal writes ahead of its records: not a torn write
            assert jr.torn_tail is None
        assert jr.last_seq == 4
        assert list(jr.read_from(1)) == records(1, 4)
    assert seg.stat().st_size == size


def blocks(nbytes: int) -> int:
    return nbytes + -nbytes % BLOCK


@pytest.mark.parametrize("direct_io", [True, False])
def test_the_segment_being_written_is_zero_filled_ahead(tmp_path: Path, direct_io: bool) -> None:
    jr = write_journal(tmp_path, [records(1, 4), records(5, 9)], direct_io=direct_io)
    seg = only_segment(tmp_path)
    end = SEGMENT_HEADER_SIZE + sum(len(encode_frame(*r)) for r in records(1, 9))
    data = seg.read_bytes()
    assert len(data) == blocks(SEGMENT_HEADER_SIZE + PREALLOCATE)  # the first batch's zeros
    assert not data[end:].strip(b"\x00")
    # a crash now: the next open finds the records, cuts the zeros, reports nothing torn
    jr2 = crash_and_reopen(jr, tmp_path)
    assert jr2.torn_tail is None and jr2.last_seq == 9
    assert seg.stat().st_size == end
    jr2.append_batch(records(10, 12))  # ... and continues in place, zero-filling again
    assert seg.stat().st_size == blocks(end + PREALLOCATE)
    jr2.close()  # a clean close leaves the file exact
    assert seg.stat().st_size == end + sum(len(encode_frame(*r)) for r in records(10, 12))
    with Journal.open(tmp_path) as jr3:
        assert list(jr3.read_from(1)) == records(1, 12)


def test_a_torn_write_into_the_zeros_is_a_torn_tail(tmp_path: Path) -> None:
    jr = write_journal(tmp_path, [records(1, 4)])
    seg = only_segment(tmp_path)
    end = SEGMENT_HEADER_SIZE + sum(len(encode_frame(*r)) for r in records(1, 4))
    frame = encode_frame(5, payload(5))
    with seg.open("r+b") as fh:  # half of the next record landed, the zeros after it stay
        fh.seek(end)
        fh.write(frame[: len(frame) // 2])
    jr2 = crash_and_reopen(jr, tmp_path)
    assert jr2.torn_tail is not None and jr2.torn_tail.offset == end
    assert jr2.last_seq == 4 and seg.stat().st_size == end
    jr2.close()


@pytest.mark.parametrize("then", ["repair", "append", "close"])
def test_a_deferred_repair_changes_nothing_until_asked(tmp_path: Path, then: str) -> None:
    """``defer_repair``: the torn tail stays on disk (reads stop before it) until
    :meth:`Journal.repair` or the first append cuts it; closing before that leaves it."""
    write_journal(tmp_path, [records(1, 4)]).close()
    seg = only_segment(tmp_path)
    end = seg.stat().st_size
    with seg.open("ab") as fh:
        fh.write(encode_frame(5, payload(5))[:-3])
    torn = seg.read_bytes()
    jr = Journal.open(tmp_path, defer_repair=True)
    assert jr.torn_tail is not None and jr.torn_tail.offset == end
    assert seg.read_bytes() == torn
    assert list(jr.read_from(1)) == records(1, 4) and jr.last_seq == 4
    if then == "repair":
        jr.repair()
        assert seg.stat().st_size == end
        jr.repair()  # idempotent
    elif then == "append":
        jr.append_batch(records(5, 6))
    jr.close()
    if then == "close":
        assert seg.read_bytes() == torn
    with Journal.open(tmp_path) as jr2:
        assert list(jr2.read_from(1)) == records(1, 6 if then == "append" else 4)


def test_a_deferred_removal_of_a_torn_segment_header(tmp_path: Path) -> None:
    write_journal(tmp_path, [records(1, 3)]).close()
    torn = tmp_path / "journal" / segment_name(4)
    torn.write_bytes(b"OWXJRN")
    with Journal.open(tmp_path, defer_repair=True) as jr:
        assert jr.torn_tail is not None and jr.torn_tail.path == torn
        assert torn.read_bytes() == b"OWXJRN" and jr.last_seq == 3
        jr.append_batch(records(4, 5))  # removes it first
        assert not torn.exists()
    with Journal.open(tmp_path) as jr:
        assert list(jr.read_from(1)) == records(1, 5)


def test_a_repair_that_cannot_be_synced_fails_the_journal(tmp_path: Path) -> None:
    write_journal(tmp_path, [records(1, 4)]).close()
    with only_segment(tmp_path).open("ab") as fh:
        fh.write(b"\x01\x02\x03")

    def failing(fd: int) -> None:
        raise OSError(errno.EIO, "Input/output error")

    jr = Journal.open(tmp_path, defer_repair=True, fsync=failing)
    with pytest.raises(JournalFatal, match="Input/output error"):
        jr.repair()
    assert jr.failed
    with pytest.raises(JournalFatal):
        jr.append_batch(records(5, 5))
    jr.close()
    with Journal.open(tmp_path) as jr2:
        assert list(jr2.read_from(1)) == records(1, 4)


def test_rotation_leaves_earlier_segments_exact(tmp_path: Path) -> None:
    jr = write_journal(tmp_path, [records(s, s + 2) for s in range(1, 300, 3)], segment_size=600)
    paths = jr.segment_paths()
    assert len(paths) > 3
    for path in paths[:-1]:
        data = path.read_bytes()
        assert data[-1:] != b"" and len(data) <= 600
        first = int(path.name[8:-4])
        got = list(frame_lists(io.BytesIO(data), SEGMENT_HEADER_SIZE, len(data), first))
        assert sum(len(chunk) for _, chunk in got) > 0  # every byte is a record: no zeros
    jr.close()
    with Journal.open(tmp_path, verify="last") as jr2:
        assert [r[0] for r in jr2.read_from(1)] == list(range(1, 301))


def test_flipped_byte_in_middle_record_is_corruption(tmp_path: Path) -> None:
    src = tmp_path / "src"
    write_journal(src, [records(s, s) for s in range(1, 6)]).close()
    full = only_segment(src).read_bytes()
    offsets = frame_offsets(1, 5)
    start, stop = offsets[2], offsets[3]  # record 3 of 5
    for pos in range(start, stop):
        data_dir = tmp_path / f"flip{pos}"
        (data_dir / "journal").mkdir(parents=True)
        seg = data_dir / "journal" / segment_name(1)
        damaged = bytearray(full)
        damaged[pos] ^= 0x40
        seg.write_bytes(bytes(damaged))
        with pytest.raises(JournalCorrupt) as err:
            Journal.open(data_dir)
        assert str(seg) in str(err.value)
        assert f"byte offset {start}:" in str(err.value)
        assert seg.read_bytes() == bytes(damaged)  # nothing was cut


def test_flipped_byte_in_last_record_of_earlier_segment(tmp_path: Path) -> None:
    jr = write_journal(tmp_path, [records(s, s + 1) for s in range(1, 40, 2)], segment_size=200)
    first = jr.segment_paths()[0]
    jr.close()
    raw = bytearray(first.read_bytes())
    raw[-1] ^= 0x01
    first.write_bytes(bytes(raw))
    with pytest.raises(JournalCorrupt, match=str(first)):
        Journal.open(tmp_path)


def test_truncated_earlier_segment_is_corruption(tmp_path: Path) -> None:
    jr = write_journal(tmp_path, [records(s, s + 1) for s in range(1, 40, 2)], segment_size=200)
    first = jr.segment_paths()[0]
    jr.close()
    os.truncate(first, first.stat().st_size - 3)
    with pytest.raises(JournalCorrupt, match="incomplete record"):
        Journal.open(tmp_path)


def test_missing_segment_is_a_gap(tmp_path: Path) -> None:
    jr = write_journal(tmp_path, [records(s, s + 1) for s in range(1, 40, 2)], segment_size=200)
    paths = jr.segment_paths()
    jr.close()
    paths[1].unlink()
    with pytest.raises(JournalCorrupt, match="gap"):
        Journal.open(tmp_path)


def test_out_of_order_seq_with_valid_checksum_is_corruption(tmp_path: Path) -> None:
    write_journal(tmp_path, [[(1, b"aaaa"), (2, b"bbbb"), (3, b"cccc")]]).close()
    seg = only_segment(tmp_path)
    raw = seg.read_bytes()
    last = SEGMENT_HEADER_SIZE + 2 * (FRAME_HEADER_SIZE + 4)
    seg.write_bytes(raw[:last] + encode_frame(4, b"cccc"))
    with pytest.raises(JournalCorrupt, match=f"byte offset {last}: record seq 4"):
        Journal.open(tmp_path)


def test_torn_segment_header_is_removed(tmp_path: Path) -> None:
    write_journal(tmp_path, [records(1, 3)]).close()
    torn = tmp_path / "journal" / segment_name(4)
    torn.write_bytes(b"OWXJRN")
    with Journal.open(tmp_path) as jr:
        assert jr.torn_tail is not None and jr.torn_tail.path == torn
        assert not torn.exists()
        assert jr.last_seq == 3
        jr.append_batch(records(4, 5))
    with Journal.open(tmp_path) as jr:
        assert list(jr.read_from(1)) == records(1, 5)


def test_empty_last_segment_is_reused(tmp_path: Path) -> None:
    write_journal(tmp_path, [records(1, 3)], segment_size=60).close()
    seg = only_segment(tmp_path)
    os.truncate(seg, SEGMENT_HEADER_SIZE + 1)  # only a byte of the first record remains
    with Journal.open(tmp_path, segment_size=60) as jr:
        assert jr.last_seq == 0
        assert jr.first_seq is None
        with pytest.raises(ValueError):
            jr.append_batch([(5, b"x")])  # the segment is named for seq 1
        jr.append_batch(records(1, 2))
        assert jr.segment_paths() == [seg]
    with Journal.open(tmp_path) as jr:
        assert list(jr.read_from(1)) == records(1, 2)


def test_bad_segment_header_with_records_is_corruption(tmp_path: Path) -> None:
    write_journal(tmp_path, [records(1, 3)]).close()
    seg = only_segment(tmp_path)
    raw = bytearray(seg.read_bytes())
    raw[9] ^= 0xFF  # version
    seg.write_bytes(bytes(raw))
    with pytest.raises(JournalCorrupt, match="byte offset 0"):
        Journal.open(tmp_path)


class FlakyFsync:
    def __init__(self) -> None:
        self.fail = False
        self.calls = 0

    def __call__(self, fd: int) -> None:
        self.calls += 1
        if self.fail:
            raise OSError(5, "Input/output error")
        os.fsync(fd)


def test_fsync_failure_is_fatal(tmp_path: Path) -> None:
    fsync = FlakyFsync()
    jr = Journal.open(tmp_path, fsync=fsync)
    jr.append_batch(records(1, 3))
    fsync.fail = True
    with pytest.raises(JournalFatal, match="Input/output error"):
        jr.append_batch(records(4, 4))
    assert jr.failed
    fsync.fail = False  # even if the disk "recovers", the journal stays failed
    with pytest.raises(JournalFatal):
        jr.append_batch(records(4, 4))
    with pytest.raises(JournalFatal):
        jr.append_batch(records(5, 5))
    with pytest.raises(JournalFatal):
        jr.read_from(1)
    with pytest.raises(JournalFatal):
        jr.drop_segments_before(2)
    jr.close()
    with Journal.open(tmp_path) as again:
        assert again.last_seq in (3, 4)  # the failed batch may or may not have landed
        assert list(again.read_from(1))[:3] == records(1, 3)


def test_fsync_failure_on_new_segment_is_fatal(tmp_path: Path) -> None:
    fsync = FlakyFsync()
    jr = Journal.open(tmp_path, fsync=fsync)
    fsync.fail = True
    with pytest.raises(JournalFatal):
        jr.append_batch(records(1, 1))
    with pytest.raises(JournalFatal):
        jr.append_batch(records(1, 1))
    jr.close()


@pytest.mark.parametrize("direct_io", [True, False])
def test_write_failure_is_fatal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, direct_io: bool
) -> None:
    jr = Journal.open(tmp_path, direct_io=direct_io)
    jr.append_batch(records(1, 2))

    def disk_full(*args: object) -> int:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "pwrite", disk_full)
    monkeypatch.setattr(os, "pwritev", disk_full)
    with pytest.raises(JournalFatal, match="No space"):
        jr.append_batch(records(3, 3))
    monkeypatch.undo()
    with pytest.raises(JournalFatal):
        jr.append_batch(records(3, 3))
    jr.close()


def test_drop_segments_before(tmp_path: Path) -> None:
    jr = write_journal(tmp_path, [records(s, s + 1) for s in range(1, 100, 2)], segment_size=200)
    paths = jr.segment_paths()
    starts = [int(p.name[8:-4]) for p in paths]
    assert jr.drop_segments_before(starts[3] - 1) == 2  # segment 2 still holds starts[3] - 1
    assert jr.first_seq == starts[2]
    assert [p.exists() for p in paths[:3]] == [False, False, True]
    with pytest.raises(ValueError, match="gone"):
        jr.read_from(1)
    assert list(jr.read_from(starts[2])) == records(starts[2], 100)
    assert jr.drop_segments_before(10**9) == len(paths) - 3  # never the active segment
    assert jr.segment_paths() == [paths[-1]]
    jr.append_batch(records(101, 101))
    jr.close()
    with Journal.open(tmp_path) as again:
        assert again.first_seq == starts[-1]
        assert list(again.read_from(starts[-1])) == records(starts[-1], 101)


def test_second_open_is_refused(tmp_path: Path) -> None:
    with Journal.open(tmp_path), pytest.raises(JournalError, match="already open"):
        Journal.open(tmp_path)
    Journal.open(tmp_path).close()


def test_closed_journal_refuses_work(tmp_path: Path) -> None:
    jr = Journal.open(tmp_path)
    jr.close()
    jr.close()
    with pytest.raises(JournalError, match="closed"):
        jr.append_batch(records(1, 1))


def test_read_from_detects_damage_after_open(tmp_path: Path) -> None:
    jr = write_journal(tmp_path, [records(1, 10)])
    seg = jr.segment_paths()[0]
    with seg.open("r+b") as fh:
        fh.seek(frame_offsets(1, 10)[4] + FRAME_HEADER_SIZE)
        fh.write(b"X")
    got = []
    with pytest.raises(JournalCorrupt, match=str(seg)):
        for record in jr.read_from(1):
            got.append(record)
    assert got == records(1, 4)
    jr.close()


def test_large_records_and_many_chunks(tmp_path: Path) -> None:
    big = [(1, os.urandom(3 * 1024 * 1024)), (2, b"small"), (3, os.urandom(1024 * 1024 + 5))]
    small = [(seq, payload(seq)) for seq in range(4, 60_000)]
    write_journal(tmp_path, [big, small]).close()
    with Journal.open(tmp_path) as jr:
        assert list(jr.read_from(1)) == big + small
        assert next(iter(jr.read_from(30_000))) == (30_000, payload(30_000))


def test_appends_use_fsync_where_there_is_no_fdatasync(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with Journal.open(tmp_path / "a") as jr:
        assert jr._opts.datasync is os.fdatasync
    monkeypatch.delattr(os, "fdatasync")
    with Journal.open(tmp_path / "b") as jr:
        assert jr._opts.datasync is os.fsync
        jr.append_batch(records(1, 6))
    with Journal.open(tmp_path / "b") as jr:
        assert list(jr.read_from(1)) == records(1, 6)
