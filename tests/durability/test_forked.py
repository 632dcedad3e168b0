"""Snapshots written by a forked child: the child's isolation, and the runtime's use of it."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from openweex.engine.exchange import Exchange
from openweex.storage import codec, forked
from tests.durability.helpers import (
    MARKETS,
    crashing,
    expected_hash,
    make_commands,
    running,
    state_of,
    submit_all,
)

pytestmark = pytest.mark.skipif(not forked.available(), reason="forking is for Linux")


def test_the_childs_outcome_reaches_the_parent(tmp_path: Path) -> None:
    out = tmp_path / "out"
    forked.start(lambda: out.write_text(str(os.getpid()))).wait()
    assert out.read_text() != str(os.getpid())

    def full_disk() -> None:
        raise OSError(28, "No space left on device")

    with pytest.raises(forked.ChildFailed, match=r"OSError: .*No space left on device"):
        forked.start(full_disk).wait()


def test_the_child_works_at_a_lower_cpu_priority(tmp_path: Path) -> None:
    out = tmp_path / "out"
    parent = os.nice(0)
    forked.start(lambda: out.write_text(str(os.nice(0)))).wait()
    assert int(out.read_text()) == min(parent + forked.NICE_INCREMENT, 19)
    assert os.nice(0) == parent  # the parent keeps its own


def test_a_killed_child_is_a_failure() -> None:
    child = forked.start(lambda: time.sleep(30))
    os.kill(child.pid, signal.SIGKILL)
    with pytest.raises(forked.ChildFailed, match="killed by signal 9"):
        child.wait()


def test_the_child_ignores_the_signals_sent_to_the_group(tmp_path: Path) -> None:
    out = tmp_path / "out"

    def work() -> None:
        time.sleep(0.3)
        out.write_text("done")

    child = forked.start(work)
    time.sleep(0.1)
    os.kill(child.pid, signal.SIGTERM)
    os.kill(child.pid, signal.SIGINT)
    child.wait()
    assert out.read_text() == "done"


def test_the_child_holds_none_of_the_parents_descriptors() -> None:
    # A connection the parent closes must close now, not when a snapshot ends (a client
    # would wait for the end of a closed WebSocket, and a lock would outlive its holder).
    ours, theirs = socket.socketpair()
    child = forked.start(lambda: time.sleep(5))
    try:
        ours.close()
        theirs.settimeout(2)
        assert theirs.recv(1) == b""  # end of stream, with the child still running
    finally:
        theirs.close()
        os.kill(child.pid, signal.SIGKILL)
        with pytest.raises(forked.ChildFailed):
            child.wait()


def _gone(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] == "Z"  # a zombie nobody reaped
    except FileNotFoundError:
        return True


def test_the_child_dies_with_its_parent() -> None:
    script = (
        "import os, signal, sys, time\n"
        "from openweex.storage import forked\n"
        "child = forked.start(lambda: time.sleep(30))\n"
        "print(child.pid, flush=True)\n"
        "os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=30, check=False
    )
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    pid = int(proc.stdout)
    deadline = time.monotonic() + 10
    while not _gone(pid) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert _gone(pid)


async def test_snapshots_are_exported_by_a_child_as_of_their_seq(tmp_path: Path) -> None:
    cmds = make_commands(600, 31)
    d = tmp_path / "d"
    exporters: list[int] = []
    async with crashing(d, snapshot_every=10**9) as rt:
        assert rt.snapshot_in_child
        export = rt._export
        pid_file = tmp_path / "exporter"

        def slow_export() -> object:
            # in the child: proof of where it ran, and time for the parent to move on
            pid_file.write_text(str(os.getpid()))
            time.sleep(0.3)
            return export()

        rt._export = slow_export  # type: ignore[method-assign]
        await submit_all(rt, cmds[:300])
        snap = asyncio.ensure_future(rt.snapshot())
        await asyncio.sleep(0)  # the snapshot task forks...
        await submit_all(rt, cmds[300:])  # ...and the loop goes on while the child exports
        assert not snap.done()
        assert await snap == 300
        exporters.append(int(pid_file.read_text()))
        assert rt.applied_seq == 600
    assert exporters[0] != os.getpid()
    payload = rt.snapshots.load(300)
    restored = Exchange.from_state(MARKETS, codec.decode_state(payload))
    assert restored.state_hash() == expected_hash(cmds[:300])
    assert state_of(d)[0] == expected_hash(cmds)


async def test_the_final_snapshot_and_a_runtime_told_not_to_fork_export_in_process(
    tmp_path: Path,
) -> None:
    cmds = make_commands(200, 32)
    d = tmp_path / "d"
    pids: list[int] = []
    for in_child in (False, None):
        async with running(d, snapshot_every=10**9, snapshot_in_child=in_child) as rt:
            export = rt._export

            def recording_export(export: object = export) -> object:
                pids.append(os.getpid())  # only seen here when it ran in this process
                return export()  # type: ignore[operator]

            rt._export = recording_export  # type: ignore[method-assign]
            start = len(pids)
            await submit_all(rt, cmds[:100] if in_child is False else cmds[100:])
            await rt.snapshot()
            assert len(pids) == (start + 1 if in_child is False else start)
        assert pids[-1] == os.getpid()  # the clean shutdown's snapshot
    assert state_of(d)[0] == expected_hash(cmds)


async def test_a_failed_fork_falls_back_to_a_snapshot_in_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    cmds = make_commands(100, 33)
    d = tmp_path / "d"

    def no_fork(work: object) -> forked.Child:
        raise OSError(12, "Cannot allocate memory")

    async with crashing(d, snapshot_every=10**9) as rt:
        await submit_all(rt, cmds)
        monkeypatch.setattr(forked, "start", no_fork)
        with caplog.at_level("WARNING"):
            assert await rt.snapshot() == 100
        assert "cannot fork" in caplog.text
    assert rt.snapshots.list() == [100]
    assert state_of(d)[0] == expected_hash(cmds)


async def test_a_clean_shutdown_stops_a_snapshot_child_and_writes_the_final_one(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    cmds = make_commands(200, 34)
    d = tmp_path / "d"
    with caplog.at_level("INFO"):
        async with running(d, snapshot_every=10**9) as rt:
            await submit_all(rt, cmds[:100])
            export = rt._export

            def stuck_export() -> object:
                time.sleep(60)  # a child that would hold the shutdown up
                return export()

            rt._export = stuck_export  # type: ignore[method-assign]
            snap = asyncio.ensure_future(rt.snapshot())
            await asyncio.sleep(0.1)
            child = rt._snapshot_child
            assert child is not None
            rt._export = export  # type: ignore[method-assign]
            await submit_all(rt, cmds[100:])
        assert await snap == 0  # stopped
    assert rt.snapshot_seq == 200  # the final snapshot, in process
    assert "snapshot at seq 100 stopped: the final snapshot follows" in caplog.text
    assert "failed" not in caplog.text
    assert _gone(child.pid)
    assert rt.snapshots.list() == [200]
    assert state_of(d)[0] == expected_hash(cmds)


async def test_a_snapshot_that_fell_due_while_one_was_written_follows_it(tmp_path: Path) -> None:
    cmds = make_commands(300, 35)
    d = tmp_path / "d"
    async with crashing(d, snapshot_every=100, snapshot_interval_ms=10**9) as rt:
        export = rt._export

        def slow_export() -> object:
            time.sleep(0.3)
            return export()

        rt._export = slow_export  # type: ignore[method-assign]
        await submit_all(rt, cmds[:100])
        while rt._snapshot_task is None:
            await asyncio.sleep(0.01)
        await submit_all(rt, cmds[100:])  # due again while the first is being written...
        first = rt._snapshot_task
        await asyncio.wait([first])
        # ...and nothing more comes to start the next one: it starts when the first ends
        for _ in range(300):
            if rt.snapshot_seq == 300:
                break
            await asyncio.sleep(0.01)
        assert rt.snapshot_seq == 300
    assert rt.snapshots.list()[-1] == 300
    assert state_of(d)[0] == expected_hash(cmds)
