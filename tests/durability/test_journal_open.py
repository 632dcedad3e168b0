"""The journal as recovery opens it: only the last segment validated up front, earlier ones
checked while they are read; read-only opening; a journal that starts at seq N + 1."""

from __future__ import annotations

import os
import random
from pathlib import Path

import pytest

from openweex.storage.frames import SEGMENT_HEADER_SIZE
from openweex.storage.journal import Journal, JournalCorrupt, JournalError


def payload(seq: int) -> bytes:
    return f"record-{seq}-".encode() + bytes([seq % 251]) * (seq % 23)


def fill(d: Path, last: int, segment_size: int = 600, first: int = 1) -> list[Path]:
    with Journal.open(d, segment_size=segment_size) as jr:
        seq = first
        rnd = random.Random(last)
        while seq <= last:
            stop = min(last, seq + rnd.randint(0, 6))
            jr.append_batch([(s, payload(s)) for s in range(seq, stop + 1)])
            seq = stop + 1
        return jr.segment_paths()


def test_lazy_open_reads_the_same_records(tmp_path: Path) -> None:
    segs = fill(tmp_path, 400)
    assert len(segs) > 5
    with Journal.open(tmp_path, verify="last") as jr:
        assert (jr.first_seq, jr.last_seq, jr.origin_seq) == (1, 400, 0)
        for start in [1, 2, 57, 199, 200, 201, 399, 400, 401]:
            want = [(s, payload(s)) for s in range(start, 401)]
            assert list(jr.read_from(start)) == want, start
        jr.append_batch([(401, b"x")])
        assert list(jr.read_from(400))[-1] == (401, b"x")


def test_lazy_open_does_not_read_earlier_segments(tmp_path: Path) -> None:
    segs = fill(tmp_path, 300)
    raw = bytearray(segs[1].read_bytes())
    raw[SEGMENT_HEADER_SIZE + 20] ^= 0xFF  # damage inside a record of the second segment
    segs[1].write_bytes(bytes(raw))
    with pytest.raises(JournalCorrupt, match=f"{segs[1]} at byte offset {SEGMENT_HEADER_SIZE}:"):
        Journal.open(tmp_path)  # full validation finds it at open
    with Journal.open(tmp_path, verify="last") as jr:
        second = int(segs[2].name[8:28])
        assert next(iter(jr.read_from(second)))[0] == second  # after the damage: fine
        got = []
        with pytest.raises(JournalCorrupt, match=f"{segs[1]} at byte offset {SEGMENT_HEADER_SIZE}"):
            for record in jr.read_from(1):
                got.append(record)
        assert got == [(s, payload(s)) for s in range(1, int(segs[1].name[8:28]))]


@pytest.mark.parametrize("damage", ["truncated", "extra record", "garbage"])
def test_an_earlier_segment_must_end_where_the_next_begins(tmp_path: Path, damage: str) -> None:
    segs = fill(tmp_path, 200)
    victim, following = segs[1], int(segs[2].name[8:28])
    if damage == "truncated":
        # a whole record less: the framing is fine but the segment ends too early
        jr = Journal.open(tmp_path, verify="last")
        records = list(jr.read_from(int(victim.name[8:28])))
        jr.close()
        last_payload = records[following - int(victim.name[8:28]) - 1][1]
        os.truncate(victim, victim.stat().st_size - 16 - len(last_payload))
        match = "records missing"
    elif damage == "extra record":
        from openweex.storage.frames import encode_frame

        with victim.open("ab") as fh:
            fh.write(encode_frame(following, payload(following)))
        match = "overlap"
    else:
        with victim.open("ab") as fh:
            fh.write(b"\x00" * 5)
        match = "incomplete record header"
    with Journal.open(tmp_path, verify="last") as jr, pytest.raises(JournalCorrupt) as err:
        list(jr.read_from(1))
    assert match in str(err.value) and str(victim) in str(err.value)


def test_read_only_open_changes_nothing(tmp_path: Path) -> None:
    segs = fill(tmp_path, 100, segment_size=10**6)
    with segs[-1].open("ab") as fh:
        fh.write(b"\x01\x02\x03")
    size = segs[-1].stat().st_size
    with Journal.open(tmp_path, read_only=True) as jr:
        assert jr.torn_tail is not None and jr.torn_tail.dropped_bytes == 3
        assert jr.last_seq == 100
        assert list(jr.read_from(99)) == [(99, payload(99)), (100, payload(100))]
        with pytest.raises(JournalError, match="read-only"):
            jr.append_batch([(101, b"x")])
        with pytest.raises(JournalError, match="already open"):
            Journal.open(tmp_path)  # the lock is held even read-only
    assert segs[-1].stat().st_size == size
    with Journal.open(tmp_path / "missing", read_only=True) as jr:
        assert jr.last_seq == 0 and jr.segment_paths() == []
    assert not (tmp_path / "missing").exists()


def test_begin_at_starts_an_empty_journal_at_a_seq(tmp_path: Path) -> None:
    with Journal.open(tmp_path) as jr:
        jr.begin_at(501)
        assert (jr.last_seq, jr.first_seq, jr.origin_seq) == (500, None, 500)
        with pytest.raises(ValueError):
            jr.begin_at(900)
    with Journal.open(tmp_path, verify="last") as jr:
        assert (jr.last_seq, jr.origin_seq) == (500, 500)
        with pytest.raises(ValueError):
            jr.append_batch([(1, b"x")])
        jr.append_batch([(501, b"a"), (502, b"b")])
    with Journal.open(tmp_path) as jr:
        assert list(jr.read_from(501)) == [(501, b"a"), (502, b"b")]
        assert jr.first_seq == 501


def test_reads_start_near_the_wanted_seq(tmp_path: Path) -> None:
    """Large segments are indexed while validated, so a tail read skips the front."""
    with Journal.open(tmp_path) as jr:
        for first in range(1, 60_001, 1000):
            jr.append_batch([(s, b"p" * 100) for s in range(first, first + 1000)])
    with Journal.open(tmp_path) as jr:
        seg = jr._segments[-1]
        assert len(seg.marks) > 3
        offset, seq = seg.start_for(59_990)
        assert 0 < 59_990 - seq < 20_000 and offset > SEGMENT_HEADER_SIZE
        assert [s for s, _ in jr.read_from(59_990)] == list(range(59_990, 60_001))
