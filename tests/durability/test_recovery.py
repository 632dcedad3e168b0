"""Recovery is proven: random runs restart (snapshot + journal) to the uninterrupted state.

Every test compares with a run that never restarted: equal ``state_hash``, invariants hold,
and the read-model tables (orders, fills, bills, transfers) hold exactly the same rows.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import shutil
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from openweex.domain.commands import Command
from openweex.storage import codec
from openweex.storage.frames import frame_lists
from openweex.storage.journal import Journal, JournalCorrupt
from openweex.storage.readmodels import SqliteStore
from tests.durability.helpers import (
    close,
    crashing,
    expected_hash,
    make_commands,
    open_closed,
    running,
    state_of,
    submit_all,
)

N = 1500
State = tuple[str, dict[str, list[list[Any]]]]


async def reference(tmp_path: Path, cmds: list[Command], name: str = "ref") -> State:
    """State and read models of ``cmds`` run once, without a restart or snapshot."""
    d = tmp_path / name
    async with crashing(d, snapshot_every=10**9) as rt:
        await submit_all(rt, cmds, seed=99)
    got = state_of(d)
    assert got[0] == expected_hash(cmds)
    return got


@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_random_restarts_equal_the_uninterrupted_run(tmp_path: Path, seed: int) -> None:
    cmds = make_commands(N, seed)
    want = await reference(tmp_path, cmds)
    rnd = random.Random(seed)
    cuts = [*sorted(rnd.sample(range(1, N), 5)), N]
    d = tmp_path / "restarted"
    done = 0
    for i, cut in enumerate(cuts):
        ctx = running if i % 2 else crashing  # clean shutdowns and crash-like stops
        async with ctx(d, snapshot_every=rnd.choice((97, 250, 10**9))) as rt:
            report = rt.recovery
            assert report is not None and report.last_seq == done
            assert report.replayed == done - report.snapshot_seq
            await submit_all(rt, cmds[done:cut], seed=seed + i)
        done = cut
    assert state_of(d) == want


async def test_snapshot_in_the_middle(tmp_path: Path) -> None:
    cmds = make_commands(N, 4)
    want = await reference(tmp_path, cmds)
    d = tmp_path / "snap"
    async with crashing(d, snapshot_every=10**9) as rt:
        await submit_all(rt, cmds[:700])
        assert await rt.snapshot() == 700
        await submit_all(rt, cmds[700:])
    rt2 = open_closed(d)
    try:
        assert rt2.recovery is not None
        assert (rt2.recovery.snapshot_seq, rt2.recovery.replayed) == (700, N - 700)
    finally:
        close(rt2)
    assert state_of(d) == want


def _append_record(d: Path, seq: int, cmd: Command) -> tuple[Path, int, bytes]:
    """Journal ``cmd`` as if the process crashed after its fsync; returns its frame."""
    with Journal.open(d) as jr:
        assert jr.last_seq == seq - 1
        jr.append_batch([(seq, codec.encode(cmd))])
        seg = jr.segment_paths()[-1]
    data = seg.read_bytes()
    with seg.open("rb") as fh:
        *_, (offset, records) = frame_lists(fh, 24, len(data), int(seg.name[8:28]))
    start = len(data) - (16 + len(records[-1][1]))
    assert start >= offset
    return seg, start, data[start:]


@pytest.mark.parametrize("final_snapshot", [False, True])
async def test_torn_tail_at_every_offset_of_the_last_record(
    tmp_path: Path, final_snapshot: bool
) -> None:
    cmds = make_commands(300, 5)
    before = await reference(tmp_path, cmds[:-1], "before")
    after = await reference(tmp_path, cmds, "after")
    d = tmp_path / "torn"
    async with (running if final_snapshot else crashing)(d, snapshot_every=100) as rt:
        await submit_all(rt, cmds[:-1])
    seg, start, frame = _append_record(d, len(cmds), cmds[-1])
    for cut in range(len(frame)):
        with seg.open("r+b") as fh:
            fh.truncate(start)
            fh.seek(start)
            fh.write(frame[:cut])
        rt2 = open_closed(d)
        try:
            assert rt2.applied_seq == len(cmds) - 1
            assert (rt2.journal.torn_tail is not None) == (cut > 0)
        finally:
            close(rt2)
        assert seg.stat().st_size == start  # the torn tail was cut
        assert state_of(d) == before, cut
    with seg.open("ab") as fh:
        fh.write(frame)  # the whole record: journaled, then a crash before it was applied
    assert state_of(d) == after


async def _damaged_dir(tmp_path: Path) -> tuple[Path, list[Path], int]:
    """A journal of several segments with a snapshot in the middle one."""
    cmds = make_commands(1200, 6)
    d = tmp_path / "flip"
    async with crashing(d, snapshot_every=10**9, segment_size=16 * 1024) as rt:
        await submit_all(rt, cmds[:600])
        snap = await rt.snapshot()
        await submit_all(rt, cmds[600:])
    segs = sorted((d / "journal").glob("journal-*.log"))
    assert len(segs) >= 4
    return d, segs, snap


def _frame_at(seg: Path, index: int) -> tuple[int, int, int]:
    """(offset, size, seq) of the index-th frame of a segment."""
    size = seg.stat().st_size
    with seg.open("rb") as fh:
        offset = 24
        for _, records in frame_lists(fh, 24, size, int(seg.name[8:28])):
            for seq, payload in records:
                if index == 0:
                    return offset, 16 + len(payload), seq
                index -= 1
                offset += 16 + len(payload)
    raise AssertionError("no such frame")


def _flip(seg: Path, pos: int) -> bytes:
    raw = bytearray(seg.read_bytes())
    raw[pos] ^= 0x40
    seg.write_bytes(bytes(raw))
    return bytes(raw)


@pytest.mark.parametrize("where", ["last segment", "replayed segment"])
async def test_flipped_byte_in_the_middle_is_refused(tmp_path: Path, where: str) -> None:
    d, segs, snap = await _damaged_dir(tmp_path)
    seg = segs[-1] if where == "last segment" else segs[-2]
    offset, size, seq = _frame_at(seg, 3)
    assert seq > snap  # inside the part of the journal a start replays
    rnd = random.Random(7)
    for pos in sorted({offset, offset + size - 1, *rnd.sample(range(offset, offset + size), 6)}):
        damaged = _flip(seg, pos)
        with pytest.raises(JournalCorrupt) as err:
            open_closed(d)
        assert str(seg) in str(err.value)
        assert f"byte offset {offset}:" in str(err.value)
        assert seg.read_bytes() == damaged  # nothing was cut or rewritten
        _flip(seg, pos)
    state_of(d)  # and repaired, it opens again


async def test_damage_before_the_snapshot_is_not_read_at_start(tmp_path: Path) -> None:
    d, segs, snap = await _damaged_dir(tmp_path)
    offset, _, seq = _frame_at(segs[0], 2)
    assert seq < snap
    want = state_of(d)
    _flip(segs[0], offset + 20)
    assert state_of(d) == want  # the start never reads records the snapshot covers
    shutil.rmtree(d / "snapshots")
    with pytest.raises(JournalCorrupt, match=f"{segs[0]} at byte offset {offset}:"):
        open_closed(d)  # a full replay does read them


def _delete_read_models(d: Path) -> None:
    for f in d.glob("history.sqlite3*"):
        f.unlink()


@pytest.mark.parametrize("bulk", [False, True])
async def test_deleted_read_models_are_rebuilt(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, bulk: bool
) -> None:
    from openweex import recovery

    monkeypatch.setattr(recovery, "BULK_RECORDS", 100 if bulk else 10**9)
    cmds = make_commands(N, 8)
    want = await reference(tmp_path, cmds)
    d = tmp_path / "rebuild"
    async with running(d, snapshot_every=200) as rt:
        await submit_all(rt, cmds)
    _delete_read_models(d)
    rt2 = open_closed(d)
    try:
        assert rt2.recovery is not None and rt2.recovery.read_models_from == 0
        assert rt2.recovery.snapshot_seq == N
    finally:
        close(rt2)
    assert state_of(d) == want
    db = sqlite3.connect(d / "history.sqlite3")
    indexes = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='index'")}
    db.close()
    assert {"orders_uid", "orders_client_oid", "fills_uid", "fills_order"} <= indexes


async def test_read_models_behind_the_snapshots_are_caught_up(tmp_path: Path) -> None:
    cmds = make_commands(N, 9)
    want = await reference(tmp_path, cmds)
    d = tmp_path / "behind"
    saved = tmp_path / "saved"
    async with crashing(d, snapshot_every=10**9) as rt:
        await submit_all(rt, cmds[:400])
        await rt.snapshot()
        await submit_all(rt, cmds[400:500])
    saved.mkdir()
    for f in d.glob("history.sqlite3*"):
        shutil.copy(f, saved / f.name)
    async with crashing(d, snapshot_every=300) as rt:
        await submit_all(rt, cmds[500:])
    _delete_read_models(d)
    for f in saved.iterdir():
        shutil.copy(f, d / f.name)  # read models at seq 500, snapshots at 400, 800, 1100...
    rt2 = open_closed(d)
    try:
        assert rt2.recovery is not None and rt2.recovery.read_models_from == 500
    finally:
        close(rt2)
    assert state_of(d) == want


async def _older_journal(tmp_path: Path, cmds: list[Command], kept: int) -> tuple[State, Path]:
    """A data directory that ran ``cmds``, then got back a copy of its journal taken after
    the first ``kept``: read models newer than the journal. Returns the state of ``kept``
    commands and the directory."""
    want = await reference(tmp_path, cmds[:kept])
    d = tmp_path / "ahead"
    async with crashing(d) as rt:
        await submit_all(rt, cmds[:kept])
    saved = tmp_path / f"journal-{kept}"
    shutil.copytree(d / "journal", saved)
    async with crashing(d) as rt:
        await submit_all(rt, cmds[kept:])
    shutil.rmtree(d / "journal")
    shutil.copytree(saved, d / "journal")
    return want, d


async def test_read_models_ahead_of_the_journal_refuse_the_start(tmp_path: Path) -> None:
    """Records acknowledged once are missing from the journal: refused, nothing changed;
    with the read models moved away (the operator accepts the older journal), rebuilt."""
    from openweex.recovery import RecoveryError

    want, d = await _older_journal(tmp_path, make_commands(600, 10), 400)
    models = {p.name: p.read_bytes() for p in d.glob("history.sqlite3*")}
    with pytest.raises(RecoveryError, match=r"ahead of the journal .*acknowledged up to seq"):
        open_closed(d)
    assert {p.name: p.read_bytes() for p in d.glob("history.sqlite3*")} == models
    for p in d.glob("history.sqlite3*"):
        p.unlink()
    assert state_of(d) == want


async def test_a_refused_start_leaves_a_torn_tail_in_place(tmp_path: Path) -> None:
    """The start is refused after the journal was opened: the torn tail at its end is still
    there, byte for byte; the start that succeeds cuts it."""
    from openweex.recovery import RecoveryError

    want, d = await _older_journal(tmp_path, make_commands(500, 13), 300)
    seg = sorted((d / "journal").glob("journal-*.log"))[-1]
    seg.write_bytes(seg.read_bytes().rstrip(b"\x00") + b"\x07" * 11)  # a torn write
    before = {p.name: p.read_bytes() for p in (d / "journal").iterdir()}
    with pytest.raises(RecoveryError, match="ahead of the journal"):
        open_closed(d)
    assert {p.name: p.read_bytes() for p in (d / "journal").iterdir()} == before
    for p in d.glob("history.sqlite3*"):
        p.unlink()
    assert state_of(d) == want
    assert seg.read_bytes() == before[seg.name][:-11]


class FailingStore(SqliteStore):
    """Read models whose write fails once armed (a crash between fsync and the write)."""

    armed = False

    def write_runs(self, seq: int, runs: Any, *, wait: bool = True) -> None:
        if FailingStore.armed:
            raise OSError(28, "No space left on device")
        super().write_runs(seq, runs, wait=wait)


async def test_read_model_failure_after_fsync_stops_and_recovers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from openweex import runtime as runtime_mod
    from openweex.runtime import RuntimeStopped

    cmds = make_commands(800, 11)
    d = tmp_path / "failing"
    monkeypatch.setattr(runtime_mod, "SqliteStore", FailingStore)
    FailingStore.armed = False
    async with crashing(d) as rt:
        await submit_all(rt, cmds[:500])
        _ = rt.store  # everything so far is in the read models
        FailingStore.armed = True
        # acknowledged; the read models are written later (or, on a machine that stalls for
        # history_delay_ms in between, the write fails while these are still coming in)
        with contextlib.suppress(RuntimeStopped):
            await submit_all(rt, cmds[500:520])
        for _ in range(500):  # ... once the oldest unwritten batch waited history_delay_ms
            if rt.fatal is not None:
                break
            await asyncio.sleep(0.01)
        assert rt.fatal is not None
        with pytest.raises(RuntimeStopped):
            await rt.submit(cmds[520])
        journaled = rt.journal.last_seq
    FailingStore.armed = False
    assert journaled >= 501  # durable, applied, but never written to the read models
    monkeypatch.undo()
    want = await reference(tmp_path, cmds[:journaled])
    assert state_of(d) == want


async def test_a_missing_journal_is_refused(tmp_path: Path) -> None:
    from openweex.recovery import RecoveryError

    cmds = make_commands(300, 12)
    d = tmp_path / "d"
    async with crashing(d) as rt:
        await submit_all(rt, cmds)
    shutil.rmtree(d / "journal")
    with pytest.raises(RecoveryError, match="the journal is missing"):
        open_closed(d)  # read models, no journal: never wiped silently
    async with running(tmp_path / "e") as rt:
        await submit_all(rt, cmds)
    shutil.rmtree(tmp_path / "e" / "journal")
    with pytest.raises(RecoveryError, match="the journal is missing"):
        open_closed(tmp_path / "e")  # a snapshot, no journal
