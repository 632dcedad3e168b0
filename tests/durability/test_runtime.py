"""The single writer: responses only after fsync, group commit, fatal fsync errors, snapshot
cadence and journal retention."""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Iterable, Sequence
from pathlib import Path

import pytest

from openweex.datadir import check_data_dir
from openweex.domain.commands import Command
from openweex.domain.events import Event
from openweex.engine.ledger import ApiKeyRecord
from openweex.runtime import Runtime, RuntimeStopped
from openweex.storage.historywriter import HistoryWriter
from openweex.storage.journal import JournalFatal
from openweex.storage.writerproc import WriterProcess
from tests.durability.helpers import (
    MARKETS,
    close,
    copy_dir,
    crashing,
    expected_hash,
    make_commands,
    open_closed,
    running,
    state_of,
    submit_all,
)


class GatedFsync:
    """An fsync that can be held (to see what waits for it) or made to fail."""

    def __init__(self) -> None:
        self.gate = threading.Event()
        self.gate.set()
        self.entered = threading.Event()
        self.fail = False
        self.calls = 0

    def __call__(self, fd: int) -> None:
        self.calls += 1
        self.entered.set()
        self.gate.wait(10)
        if self.fail:
            raise OSError(5, "Input/output error")
        os.fsync(fd)


async def _until(cond: object, what: str) -> None:
    for _ in range(500):
        if callable(cond) and cond():
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"timed out waiting for {what}")


async def test_responses_wait_for_fsync_and_batches_share_one(tmp_path: Path) -> None:
    cmds = make_commands(200, 12)
    fsync = GatedFsync()
    # inline_batch=0: every batch goes to the worker thread, so the test can hold its fsync
    async with crashing(tmp_path / "d", fsync=fsync, inline_batch=0) as rt:
        await submit_all(rt, cmds[:100])
        delivered: list[int] = []
        rt.subscribe(lambda seq, *_: delivered.append(seq))
        fsync.gate.clear()
        fsync.entered.clear()
        first = asyncio.ensure_future(rt.submit(cmds[100]))
        await _until(fsync.entered.is_set, "the first fsync")
        rest = [asyncio.ensure_future(rt.submit(c)) for c in cmds[101:]]
        await asyncio.sleep(0.05)
        assert not first.done() and not any(f.done() for f in rest)
        assert delivered == [] and rt.applied_seq == 100  # nothing applied or published yet
        calls = fsync.calls
        fsync.gate.set()
        await asyncio.gather(first, *rest)
        assert fsync.calls == calls + 1  # the 99 waiting commands went in one fsync
        assert delivered == list(range(101, 201))
    assert state_of(tmp_path / "d")[0] == expected_hash(cmds)


class CountingFsync:
    """A real fsync that records which thread called it (and can be made slow)."""

    def __init__(self, delay_s: float = 0.0) -> None:
        self.threads: list[int] = []
        self.delay_s = delay_s
        self.real = True

    def __call__(self, fd: int) -> None:
        self.threads.append(threading.get_ident())
        if self.delay_s:
            time.sleep(self.delay_s)
        if self.real:
            os.fsync(fd)


async def test_small_batches_are_fsynced_inline_and_large_ones_on_a_thread(
    tmp_path: Path,
) -> None:
    cmds = make_commands(400, 21)
    fsync = CountingFsync()
    fsync.real = False  # a disk that is always fast: the choice must not depend on this host's
    loop_thread = threading.get_ident()
    async with crashing(tmp_path / "d", fsync=fsync) as rt:
        for cmd in cmds[:30]:  # one at a time: batches of one, journaled on the loop
            await rt.submit(cmd)
        assert fsync.threads and set(fsync.threads) == {loop_thread}
        fsync.threads.clear()
        await asyncio.gather(*(rt.submit(c) for c in cmds[30:]))  # a burst: grouped
        assert any(t != loop_thread for t in fsync.threads)
        assert len(fsync.threads) < len(cmds) - 30
    assert state_of(tmp_path / "d")[0] == expected_hash(cmds)


def _count_appends(rt: Runtime) -> list[int]:
    """The size of every journal append ``rt`` makes from now on."""
    appends: list[int] = []
    real_append = rt.journal.append_batch

    def counting(records: list[tuple[int, bytes]]) -> None:
        appends.append(len(records))
        real_append(records)

    rt.journal.append_batch = counting  # type: ignore[method-assign]
    return appends


async def _settled(rt: Runtime, cmds: list[Command]) -> None:
    """``rt`` after ``cmds``, with its flusher idle, and every journal write counting as fast
    (the direct path then depends on nothing but the order of events here)."""
    rt.inline_max_s = float("inf")
    await submit_all(rt, cmds)
    await asyncio.sleep(0.01)


async def test_a_lone_command_is_journaled_and_applied_in_the_callers_task(
    tmp_path: Path,
) -> None:
    cmds = make_commands(300, 25)
    delivered: list[int] = []
    # (no read-model timer that could wake the flusher at the wrong moment)
    async with crashing(tmp_path / "d", history_delay_ms=60_000.0) as rt:
        # The direct path is taken only while journal writes are fast (a moving average of
        # their time); on a loaded machine a few slow syncs would turn it off. This test is
        # about the path, not that choice (see the slow-disk test): the disk counts as fast.
        rt.subscribe(lambda seq, *_: delivered.append(seq))
        await _settled(rt, cmds[:50])  # the flusher is idle now
        ran: list[int] = []
        asyncio.get_running_loop().call_soon(ran.append, 1)
        await rt.submit(cmds[50])
        assert ran == [] and rt.applied_seq == 51  # durable and applied, no loop iteration
        # a burst right behind it queues up and shares fsyncs, in seq order
        appends = _count_appends(rt)
        outcomes = await asyncio.gather(*(rt.submit(c) for c in cmds[51:250]))
        assert len(outcomes) == 199 and rt.applied_seq == 250
        assert sum(appends) == 199 and len(appends) < 20
        for cmd in cmds[250:]:  # one at a time again
            await rt.submit(cmd)
            await asyncio.sleep(0)
    assert delivered == list(range(1, 301))  # every event, once, in the engine's order
    assert state_of(tmp_path / "d")[0] == expected_hash(cmds)


class _Callers:
    """Tasks that submit one command each and note, by name, when its outcome came back."""

    def __init__(self, rt: Runtime) -> None:
        self.rt = rt
        self.done: list[str] = []

    async def call(self, cmd: Command, name: str) -> None:
        await self.rt.submit(cmd)
        self.done.append(name)

    def start(self, cmd: Command, name: str) -> asyncio.Task[None]:
        return asyncio.get_running_loop().create_task(self.call(cmd, name))


async def _one_direct_one_queued(
    rt: Runtime, cmds: list[Command]
) -> tuple[list[int], _Callers, list[asyncio.Task[None]]]:
    """``rt`` after ``cmds[:50]`` and idle; then ``cmds[50]`` ("a") on the direct path and
    ``cmds[51]`` ("b") right behind it in the same loop iteration, queued (it wakes the
    flusher). Returns the journal appends from there on, the callers and their tasks, right
    after both ran."""
    await _settled(rt, cmds[:50])
    appends = _count_appends(rt)
    callers = _Callers(rt)
    tasks = [callers.start(cmds[50], "a"), callers.start(cmds[51], "b")]
    await asyncio.sleep(0)
    return appends, callers, tasks


async def test_a_woken_flusher_takes_the_commands_of_requests_already_read(
    tmp_path: Path,
) -> None:
    cmds = make_commands(60, 26)
    async with crashing(tmp_path / "d", history_delay_ms=60_000.0) as rt:
        appends, callers, tasks = await _one_direct_one_queued(rt, cmds)
        # c runs after the flusher woke up and before it takes the queue, like a request
        # read in the meantime: it shares b's fsync
        await asyncio.gather(*tasks, callers.start(cmds[52], "c"))
        assert appends == [1, 2]
        assert callers.done == ["a", "b", "c"]
        await asyncio.gather(*(callers.call(cmd, "rest") for cmd in cmds[53:]))
    assert state_of(tmp_path / "d")[0] == expected_hash(cmds)


async def test_callers_the_flusher_released_answer_before_the_next_direct_command(
    tmp_path: Path,
) -> None:
    cmds = make_commands(60, 27)
    async with crashing(tmp_path / "d", history_delay_ms=60_000.0) as rt:
        appends, callers, tasks = await _one_direct_one_queued(rt, cmds)
        # c starts after the flusher took [b] and before b's caller resumes (a request read
        # while b was fsynced). On the direct path its own fsync would come before b's
        # response; it queues instead, and b answers first.
        later: list[asyncio.Task[None]] = []
        asyncio.get_running_loop().call_soon(lambda: later.append(callers.start(cmds[52], "c")))
        await asyncio.gather(*tasks)
        await asyncio.gather(*later)
        assert appends == [1, 1, 1]
        assert callers.done == ["a", "b", "c"]
        for cmd in cmds[53:]:  # one at a time again: each on the direct path
            await rt.submit(cmd)
            await asyncio.sleep(0)
        assert appends[3:] == [1] * len(cmds[53:])
    assert state_of(tmp_path / "d")[0] == expected_hash(cmds)


async def test_a_slow_disk_keeps_the_journal_off_the_event_loop(tmp_path: Path) -> None:
    cmds = make_commands(90, 24)
    fsync = CountingFsync(delay_s=0.003)
    loop_thread = threading.get_ident()
    async with crashing(tmp_path / "d", fsync=fsync) as rt:
        for cmd in cmds[:20]:  # one at a time, on a disk that takes 3 ms per fsync
            await rt.submit(cmd)
        assert rt.write_seconds > rt.inline_max_s
        fsync.threads.clear()
        for cmd in cmds[20:40]:
            await rt.submit(cmd)
        assert fsync.threads and loop_thread not in fsync.threads
        fsync.delay_s, fsync.real = 0.0, False  # a fast disk again: inline after a few writes
        for cmd in cmds[40:]:
            await rt.submit(cmd)
        assert fsync.threads[-10:] == [loop_thread] * 10
    assert state_of(tmp_path / "d")[0] == expected_hash(cmds)


async def test_read_models_are_written_after_the_response_and_read_your_writes(
    tmp_path: Path,
) -> None:
    cmds = make_commands(120, 22)
    async with crashing(tmp_path / "d") as rt:
        await submit_all(rt, cmds[:-1])
        await rt.submit(cmds[-1])
        # acknowledged, and its events still wait in memory for the read models ...
        assert rt._store.applied_seq() < rt.applied_seq == len(cmds)
        # ... and any read through ``store`` writes them first
        assert rt.store.applied_seq() == rt.applied_seq
        assert rt._history == []
    _, rows = state_of(tmp_path / "d")
    assert rows["orders"]


def _count_store_writes(rt: Runtime, threads: list[int] | None = None) -> list[int]:
    """The seqs of the read-model transactions ``rt`` writes from now on (and the threads
    that write them, in ``threads``)."""
    writes: list[int] = []
    real_write = rt._store.write_runs

    def counting(seq: int, runs: Sequence[Iterable[Event]], *, wait: bool = True) -> None:
        writes.append(seq)
        if threads is not None:
            threads.append(threading.get_ident())
        real_write(seq, runs, wait=wait)

    rt._store.write_runs = counting  # type: ignore[method-assign]
    return writes


async def test_read_model_writes_are_coalesced_over_the_delay(tmp_path: Path) -> None:
    cmds = make_commands(60, 24)
    threads: list[int] = []
    async with crashing(tmp_path / "d", history_delay_ms=200.0) as rt:
        writes = _count_store_writes(rt, threads)
        started = time.monotonic()
        for cmd in cmds[:30]:  # one at a time: thirty batches
            await rt.submit(cmd)
        if time.monotonic() - started < 0.15:  # (a stalled machine may write in between)
            assert writes == []
        await _until(lambda: writes, "the delayed read-model write")
        assert writes == [30]  # everything that waited, in one transaction ...
        assert threads[0] != threading.get_ident()  # ... written next to the event loop
    async with crashing(tmp_path / "e", history_max_events=1, history_max_lag=1) as rt:
        writes = _count_store_writes(rt)
        for cmd in cmds[:20]:
            await rt.submit(cmd)
        # enough events piled up: each batch is handed over before the next one is delivered
        # (and with the writer at most one transaction behind, few of them are merged)
        assert len(writes) >= 10 and writes == sorted(writes)
    assert state_of(tmp_path / "d")[0] == expected_hash(cmds[:30])


async def test_a_failed_read_model_write_stops_the_runtime(tmp_path: Path) -> None:
    cmds = make_commands(200, 23)
    d = tmp_path / "d"
    rt = open_closed(d)
    async with asyncio.TaskGroup() as tg:
        runner = tg.create_task(rt.run())
        await submit_all(rt, cmds[:100])
        _ = rt.store  # everything so far is in the read models

        def broken(seq: int, runs: object, **_: object) -> None:
            raise OSError(28, "No space left on device")

        rt._store.write_runs = broken  # type: ignore[method-assign]
        with pytest.raises(RuntimeStopped):
            await submit_all(rt, cmds[100:])
            _ = rt.store
        await asyncio.wait_for(runner, 5)
    assert isinstance(rt.fatal, OSError)
    with pytest.raises(RuntimeStopped):
        await rt.submit(cmds[150])
    await rt.finish()
    # the journal has every acknowledged command: recovery writes the read models again
    got_hash, _ = state_of(d)
    assert got_hash in {expected_hash(cmds[:n]) for n in range(100, rt.seq + 1)}


async def test_fsync_failure_stops_the_runtime(tmp_path: Path) -> None:
    cmds = make_commands(300, 13)
    fsync = GatedFsync()
    d = tmp_path / "d"
    rt = open_closed(d, fsync=fsync)
    async with asyncio.TaskGroup() as tg:
        runner = tg.create_task(rt.run())
        await submit_all(rt, cmds[:200])
        before = rt.exchange.state_hash()
        fsync.fail = True
        with pytest.raises(RuntimeStopped):
            await submit_all(rt, cmds[200:250])
        await asyncio.wait_for(runner, 5)  # the flusher stopped by itself
    assert isinstance(rt.fatal, JournalFatal)
    assert rt.applied_seq == 200 and rt.exchange.state_hash() == before
    with pytest.raises(RuntimeStopped):
        await rt.submit(cmds[250])
    snaps = rt.snapshots.list()
    await rt.finish()  # no snapshot of a failed runtime
    assert rt.snapshots.list() == snaps
    got = state_of(d)[0]  # the failed batch may or may not have reached the disk
    assert got == expected_hash(cmds[:200]) or got == expected_hash(cmds[: rt.seq])


async def test_snapshots_by_count_by_time_and_at_shutdown(tmp_path: Path) -> None:
    cmds = make_commands(400, 14)
    d = tmp_path / "d"
    async with running(d, snapshot_every=100, snapshot_interval_ms=10**9) as rt:
        for cmd in cmds[:350]:
            await rt.submit(cmd)  # one command per batch: exact multiples
            if rt.applied_seq % 100 == 0:  # (a loaded machine must not run ahead of it)
                seq = rt.applied_seq
                await _until(lambda s=seq: rt.snapshot_seq == s, f"the snapshot at {seq}")
        assert rt.snapshots.list() == [100, 200, 300]
    assert rt.snapshots.list() == [200, 300, 350]  # and one at the clean shutdown
    async with running(d, snapshot_every=10**9, snapshot_interval_ms=100) as rt:
        await submit_all(rt, cmds[350:360])
        await _until(lambda: rt.snapshot_seq == 360, "the timed snapshot")  # while idle
        assert rt.snapshots.list()[-1] == 360
    assert state_of(d)[0] == expected_hash(cmds[:360])


async def test_a_failed_snapshot_is_logged_and_loses_nothing(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    cmds = make_commands(300, 15)
    d = tmp_path / "d"
    async with crashing(d) as rt:
        await submit_all(rt, cmds[:100])

        def full_disk(seq: int, payload: bytes) -> Path:
            raise OSError(28, "No space left on device")

        monkeypatch.setattr(rt.snapshots, "save", full_disk)
        with caplog.at_level(logging.ERROR):
            assert await rt.snapshot() == 0
        assert "snapshot at seq 100 failed" in caplog.text
        monkeypatch.undo()
        await submit_all(rt, cmds[100:])
        assert rt.fatal is None
        assert await rt.snapshot() == 300
    assert state_of(d)[0] == expected_hash(cmds)


async def test_journal_retention_keeps_what_the_oldest_snapshot_needs(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    cmds = make_commands(1500, 16)
    d = tmp_path / "d"
    opts = {"segment_size": 8 * 1024, "snapshot_every": 200, "journal_retention": "snapshots"}
    async with running(d, **opts) as rt:
        await submit_all(rt, cmds)
    oldest = rt.snapshots.list()[0]
    rt2 = open_closed(d)
    try:
        assert 0 < rt2.journal.origin_seq <= oldest  # old segments are gone...
        assert len(rt2.journal.segment_paths()) < 25
    finally:
        close(rt2)
    assert state_of(d)[0] == expected_hash(cmds)
    for snap in rt.snapshots.list()[1:]:  # ...and every kept snapshot can still be used
        (rt.snapshots.path_for(snap)).unlink()
    assert state_of(d)[0] == expected_hash(cmds)
    for f in d.glob("history.sqlite3*"):
        f.unlink()
    with caplog.at_level(logging.WARNING):
        rt3 = open_closed(d)  # starts, with a gap in history...
    try:
        live = [o for book in rt3.exchange.books.values() for o in book.live_orders()]
        assert live
        for o in live:  # ...but the orders still open are in it, as the engine has them
            row = rt3.store.get_order(o.uid, o.order_id, "")
            assert row is not None and row.status == o.status and row.price == o.price
    finally:
        close(rt3)
    assert "history before seq" in caplog.text
    assert "open orders of snapshot" in caplog.text
    assert check_data_dir(d, MARKETS).problems == []


async def test_close_drains_what_was_submitted(tmp_path: Path) -> None:
    cmds = make_commands(300, 17)
    d = tmp_path / "d"
    async with running(d) as rt:
        futs = [asyncio.ensure_future(rt.submit(c)) for c in cmds]
        await asyncio.sleep(0)
        await rt.close()
        with pytest.raises(RuntimeStopped):
            await rt.submit(cmds[0])
        await asyncio.gather(*futs)
    assert rt.snapshots.list() == [300]
    assert state_of(d)[0] == expected_hash(cmds)


def test_stamp_sets_the_time_of_every_command_type(tmp_path: Path) -> None:
    from openweex.domain.commands import COMMAND_TAGS
    from openweex.runtime import Runtime
    from tests.durability.helpers import MARKETS

    rt = Runtime.open(tmp_path / "d", MARKETS, clock=lambda: 1_234)
    try:
        for kind in COMMAND_TAGS:
            assert kind._fields[0] == "ts"  # the runtime's stamp relies on it
            cmd = kind(*([0] * len(kind._fields)))
            if "orders" in kind._fields:
                cmd = cmd._replace(orders=())
            stamped = rt.stamp_at(cmd, rt._now())  # the clock's time, as submit does
            assert type(stamped) is kind
            assert stamped == cmd._replace(ts=1_234)
    finally:
        close(rt)


def _plain(result: object) -> object:
    """A result comparable by value (an API key record is a plain object)."""
    if isinstance(result, ApiKeyRecord):
        return tuple(getattr(result, name) for name in ApiKeyRecord.__slots__)
    return result


async def test_submit_many_gives_each_outcome_in_order_in_shared_fsyncs(tmp_path: Path) -> None:
    cmds = make_commands(300, 15)
    fsync = CountingFsync()
    seen: list[int] = []
    async with running(tmp_path / "a", fsync=fsync) as rt:
        rt.subscribe(lambda seq, *_: seen.append(seq))
        assert await rt.submit_many([]) == []
        outcomes = await rt.submit_many(cmds[:200])
        calls = len(fsync.threads)
        outcomes += await rt.submit_many(cmds[200:])
        assert len(fsync.threads) == calls + 1  # 100 commands queued at once: one fsync
    assert seen == list(range(1, 301))
    # The same commands one by one, in another runtime: the same results and events.
    async with running(tmp_path / "b") as rt:
        one_by_one = [await rt.submit(c) for c in cmds]
    assert [(_plain(r), ev) for r, ev in outcomes] == [(_plain(r), ev) for r, ev in one_by_one]
    assert state_of(tmp_path / "a")[0] == expected_hash(cmds)


async def test_submit_many_stamps_its_commands_with_one_reading_of_the_clock(
    tmp_path: Path,
) -> None:
    readings: list[int] = []

    def clock() -> int:  # 7 ms later at each reading
        readings.append(1_700_000_000_000 + 7 * len(readings))
        return readings[-1]

    cmds = make_commands(60, 18)
    stamped: list[Command] = []
    rt = Runtime.open(tmp_path / "d", MARKETS, clock=clock)
    async with asyncio.TaskGroup() as tg:
        tg.create_task(rt.run())
        rt.subscribe(lambda seq, cmd, *_: stamped.append(cmd))
        await rt.submit_many(cmds[:50])
        await rt.submit(cmds[50])
        await rt.submit_many(cmds[51:])
        await rt.close()
    await rt.finish()
    first, lone, last = stamped[0].ts, stamped[50].ts, stamped[51].ts
    assert [cmd.ts for cmd in stamped] == [first] * 50 + [lone] + [last] * 9
    assert first < lone < last and {first, lone, last} <= set(readings)
    assert [rt.stamp_at(cmd, 0) for cmd in stamped] == [rt.stamp_at(cmd, 0) for cmd in cmds]


async def test_a_command_the_journal_cannot_encode_is_refused_and_takes_no_seq(
    tmp_path: Path,
) -> None:
    cmds = make_commands(40, 19)
    async with running(tmp_path / "d") as rt:
        await rt.submit_many(cmds[:20])
        with pytest.raises(TypeError):
            await rt.submit(("not", "a", "command"))  # type: ignore[arg-type]
        with pytest.raises(TypeError):
            await rt.submit_many([cmds[20], ("not", "a", "command")])  # type: ignore[list-item]
        outcomes = await rt.submit_many(cmds[21:])
        assert len(outcomes) == 19 and rt.fatal is None
    # cmds[20] was queued before the refused one: it is journaled and applied like the rest
    assert state_of(tmp_path / "d")[0] == expected_hash(cmds)


async def test_submit_many_after_a_fatal_error_raises_and_leaves_no_unread_errors(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    cmds = make_commands(200, 16)
    fsync = GatedFsync()
    rt = open_closed(tmp_path / "d", fsync=fsync, inline_batch=0)
    async with asyncio.TaskGroup() as tg:
        runner = tg.create_task(rt.run())
        await rt.submit_many(cmds[:100])
        fsync.fail = True
        with pytest.raises(RuntimeStopped):
            await rt.submit_many(cmds[100:150])
        await asyncio.wait_for(runner, 5)
        with pytest.raises(RuntimeStopped):
            await rt.submit_many(cmds[150:])
    assert rt.applied_seq == 100
    await rt.finish()
    gc.collect()  # unretrieved future exceptions are logged when the futures go away
    assert "exception was never retrieved" not in caplog.text


async def test_a_cancelled_submit_many_still_applies_what_it_queued(tmp_path: Path) -> None:
    cmds = make_commands(120, 17)
    fsync = GatedFsync()
    async with crashing(tmp_path / "d", fsync=fsync, inline_batch=0) as rt:
        await rt.submit_many(cmds[:100])
        fsync.gate.clear()
        fsync.entered.clear()
        task = asyncio.ensure_future(rt.submit_many(cmds[100:]))
        await _until(fsync.entered.is_set, "the fsync")
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        fsync.gate.set()
        await _until(lambda: rt.applied_seq == 120, "the cancelled commands applied")
    assert state_of(tmp_path / "d")[0] == expected_hash(cmds)


async def test_read_models_that_fall_behind_hold_the_flusher_back(tmp_path: Path) -> None:
    cmds = make_commands(1500, 18)
    lags: list[int] = []  # hand-overs waiting for the writer
    unwritten: list[int] = []  # hand-overs not written yet
    async with running(tmp_path / "d", history_delay_ms=1.0, history_max_lag=2) as rt:
        real_write = rt._store.write_runs

        def slow(seq: int, runs: Sequence[Iterable[Event]], *, wait: bool = True) -> None:
            time.sleep(0.02)  # a disk much slower than the journal's
            real_write(seq, runs, wait=wait)

        rt._store.write_runs = slow  # type: ignore[method-assign]

        def record(*_: object) -> None:
            writer = rt._writer
            if writer is not None:
                lags.append(writer.queued)
                unwritten.append(writer.outstanding)

        rt.subscribe(record)
        await submit_all(rt, cmds)
    # hand-overs not taken into a transaction: the limit, plus the one just handed over
    assert lags and max(lags) <= 3 and max(unwritten) > max(lags)
    # ... and besides them at most two transactions of as many: one written, one being sent
    assert max(unwritten) <= 3 * 3
    async with running(tmp_path / "e") as rt:  # the same without a slow disk
        await submit_all(rt, cmds)
    assert state_of(tmp_path / "d") == state_of(tmp_path / "e")


def test_the_history_writer_sends_the_next_transaction_while_one_is_written() -> None:
    """A transaction goes to the store without waiting for its commit; a put counts as
    written only once the store committed it (the next write returned, or a drain)."""
    log: list[object] = []
    hold_first, first_sent = threading.Event(), threading.Event()
    hold_drain, draining = threading.Event(), threading.Event()

    class Store:
        def write_runs(
            self, seq: int, runs: Sequence[Iterable[object]], *, wait: bool = True
        ) -> None:
            log.append(("write", seq, list(runs), wait))
            if seq == 1:
                first_sent.set()
                hold_first.wait(5)

        def drain(self) -> None:
            log.append("drain")
            draining.set()
            hold_drain.wait(5)

    writer = HistoryWriter(Store(), [].append)  # type: ignore[arg-type]
    writer.put(1, ["a"])  # type: ignore[list-item]
    assert first_sent.wait(5)
    assert (writer.queued, writer.outstanding) == (0, 1)  # taken, being written
    writer.put(2, ["b"])  # type: ignore[list-item]
    writer.put(3, ["c"])  # type: ignore[list-item]
    assert (writer.queued, writer.outstanding) == (2, 3)
    hold_first.set()
    assert draining.wait(5)  # the second write went out first, then nothing was left
    assert log == [("write", 1, ["a"], False), ("write", 3, ["b", "c"], False), "drain"]
    assert writer.outstanding == 2  # sent, not known to be committed
    assert writer.queued == 0
    writer.wait_queued_below(1)  # nothing waits to be taken: returns at once
    hold_drain.set()
    writer.wait()
    assert writer.outstanding == 0
    writer.close()


def test_the_history_writer_merges_what_queued_up_into_one_transaction() -> None:
    gate, entered = threading.Event(), threading.Event()
    writes: list[tuple[int, list[object]]] = []

    class Store:
        def write_runs(
            self, seq: int, runs: Sequence[Iterable[object]], *, wait: bool = True
        ) -> None:
            entered.set()
            gate.wait(5)
            writes.append((seq, list(runs)))  # the runs of every put, in order

        def drain(self) -> None:
            pass

    errors: list[BaseException] = []
    writer = HistoryWriter(Store(), errors.append)  # type: ignore[arg-type]
    writer.put(1, ["a"])  # type: ignore[list-item]
    assert entered.wait(5)  # the first transaction is being written
    for seq, ev in ((2, ["b", "c"]), (3, []), (5, ["d"])):
        writer.put(seq, ev)  # type: ignore[arg-type]
    assert writer.outstanding == 4
    gate.set()
    writer.wait()
    assert writes == [(1, ["a"]), (5, ["b", "c", "d"])]
    assert writer.outstanding == 0
    # Closing while a transaction is written: the queued ones are still written, merged.
    gate.clear()
    entered.clear()
    writer.put(6, ["e"])  # type: ignore[list-item]
    assert entered.wait(5)
    writer.put(7, ["f"])  # type: ignore[list-item]
    writer.put(8, ["g"])  # type: ignore[list-item]
    closing = threading.Thread(target=writer.close)
    closing.start()
    gate.set()
    closing.join(5)
    assert not closing.is_alive()
    assert writes[2:] == [(6, ["e"]), (8, ["f", "g"])]
    assert not errors


async def _writer_after(rt: Runtime, cmds: Sequence[Command]) -> WriterProcess:
    """Submit ``cmds``, wait until the read models have them; the store's writer process."""
    await submit_all(rt, cmds)
    _ = rt.store  # everything so far written by the child process
    child = rt._store._child  # type: ignore[attr-defined]
    assert isinstance(child, WriterProcess)
    return child


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="POSIX signals")
async def test_a_lost_read_model_process_is_replaced_and_nothing_is_missing(
    tmp_path: Path,
) -> None:
    cmds = make_commands(400, 23)
    async with running(tmp_path / "d", history_delay_ms=1.0) as rt:
        child = await _writer_after(rt, cmds[:200])
        first = child.pid
        assert first is not None
        os.kill(first, signal.SIGKILL)
        await submit_all(rt, cmds[200:])
        assert rt.store.applied_seq() == rt.applied_seq  # all written, by another child
        assert child.pid != first and child.replacements == 1
    assert rt.fatal is None
    rebuilt = copy_dir(tmp_path / "d", tmp_path / "e")
    for f in rebuilt.glob("history.sqlite3*"):
        f.unlink()  # read models made again from the journal alone
    assert state_of(tmp_path / "d") == state_of(rebuilt)


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="POSIX signals")
async def test_a_read_model_process_that_cannot_be_replaced_stops_the_runtime(
    tmp_path: Path,
) -> None:
    cmds = make_commands(400, 19)
    rt = open_closed(tmp_path / "d", history_delay_ms=1.0)
    async with asyncio.TaskGroup() as tg:
        runner = tg.create_task(rt.run())
        child = await _writer_after(rt, cmds[:200])
        assert child.pid is not None
        child._args = [sys.executable, "-c", "import sys; sys.exit(3)"]  # no replacement
        os.kill(child.pid, signal.SIGKILL)
        with pytest.raises(RuntimeStopped):
            for cmd in cmds[200:]:
                await rt.submit(cmd)
                _ = rt.store  # a history query waits for the writer: it learns of the loss
        await asyncio.wait_for(runner, 5)
    assert rt.fatal is not None
    rt.close_files()
    # The journal has every acknowledged command: a restart writes what the child missed.
    again = open_closed(tmp_path / "d")
    try:
        assert again.store.applied_seq() == again.applied_seq >= 200
    finally:
        close(again)
