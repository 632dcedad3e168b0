"""Operator commands through the real command line: ``openweex data check | snapshot |
export | import``, and ``openweex serve`` refusing a corrupt journal."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from openweex.cli import main
from openweex.storage import codec
from openweex.storage.snapshots import SnapshotStore
from tests.durability.helpers import (
    MARKETS,
    crashing,
    expected_hash,
    make_commands,
    running,
    state_of,
    submit_all,
)


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    with pytest.raises(SystemExit) as done:
        main(list(argv))
    out = capsys.readouterr()
    code = done.value.code
    return (code if isinstance(code, int) else 1), out.out + out.err


async def _filled(d: Path, n: int = 800, seed: int = 20, clean: bool = True) -> list[object]:
    """A data directory of ``n`` commands with snapshots at 300 and 600 (and at ``n`` when
    shut down cleanly)."""
    cmds = make_commands(n, seed)
    async with (running if clean else crashing)(d, snapshot_every=10**9) as rt:
        for first in range(0, n, 300):
            await submit_all(rt, cmds[first : first + 300])
            if first + 300 < n:
                assert await rt.snapshot() == first + 300
    return list(cmds)


async def test_check_a_healthy_data_dir(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    d = tmp_path / "d"
    cmds = await _filled(d)
    before = {p: p.read_bytes() for p in d.rglob("*") if p.is_file()}
    code, out = cli(capsys, "data", "check", "--data-dir", str(d))
    assert code == 0, out
    snaps = SnapshotStore(d).list()
    assert snaps == [300, 600, 800]
    for text in ("records 1..800", *(f"snapshot {s}: ok" for s in snaps), "invariants: ok"):
        assert text in out
    assert "open orders agree with the engine" in out
    assert f"state hash: {expected_hash(cmds)}" in out  # type: ignore[arg-type]
    assert out.rstrip().endswith("check: ok")
    after = {p: p.read_bytes() for p in d.rglob("*") if p.is_file()}
    assert after == before  # a check changes nothing


async def test_check_reports_a_torn_tail_without_cutting_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    d = tmp_path / "d"
    await _filled(d, clean=False)
    (seg,) = (d / "journal").glob("journal-*.log")
    size = seg.stat().st_size
    with seg.open("ab") as fh:
        fh.write(b"\x07" * 11)
    code, out = cli(capsys, "data", "check", "--data-dir", str(d))
    assert code == 0, out
    assert f"torn tail of 11 byte(s) at byte offset {size} of {seg}" in out
    assert "read models: up to date" in out
    assert seg.stat().st_size == size + 11


async def test_check_reports_corruption_with_file_and_offset(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    d = tmp_path / "d"
    await _filled(d)
    (seg,) = (d / "journal").glob("journal-*.log")
    raw = bytearray(seg.read_bytes())
    raw[len(raw) // 2] ^= 0x01
    seg.write_bytes(bytes(raw))
    code, out = cli(capsys, "data", "check", "--data-dir", str(d))
    assert code == 1
    assert f"PROBLEM: journal corrupt: {seg} at byte offset " in out
    assert "check: 1 problem(s)" in out


async def test_check_finds_a_snapshot_that_disagrees_with_the_journal(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    d = tmp_path / "d"
    await _filled(d)
    store = SnapshotStore(d)
    seq = store.list()[1]
    state = codec.decode_state(store.load(seq))
    state["counters"][5] += 1  # a well-formed snapshot of a state the journal never had
    store.save(seq, codec.encode_state(state))
    code, out = cli(capsys, "data", "check", "--data-dir", str(d))
    assert code == 1
    assert f"{store.path_for(seq)} differs from the replayed journal" in out


async def test_snapshot_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    d = tmp_path / "d"
    cmds = await _filled(d, clean=False)
    snaps = SnapshotStore(d).list()
    assert snaps == [300, 600]
    code, out = cli(capsys, "data", "snapshot", "--data-dir", str(d))
    assert code == 0 and "snapshot written at seq 800" in out
    assert SnapshotStore(d).list() == [*snaps, 800]
    code, out = cli(capsys, "data", "snapshot", "--data-dir", str(d))
    assert code == 0 and "already current" in out
    assert state_of(d)[0] == expected_hash(cmds)  # type: ignore[arg-type]


async def test_export_import_round_trip_and_continue(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src, dst, out_file = tmp_path / "src", tmp_path / "new" / "dst", tmp_path / "state.json"
    cmds = make_commands(1200, 21)
    async with crashing(dst):  # a server started once on the target, without any command
        pass
    async with crashing(src, snapshot_every=10**9) as rt:
        await submit_all(rt, cmds[:700])
    code, out = cli(capsys, "data", "export", str(out_file), "--data-dir", str(src))
    assert code == 0 and "exported seq 700" in out
    code, out = cli(capsys, "data", "import", str(out_file), "--data-dir", str(dst))
    assert code == 0 and "at seq 700" in out, out
    assert [p.name for p in (dst / "journal").glob("*.log")] == ["journal-00000000000000000701.log"]
    assert state_of(dst) == state_of(src)
    code, out = cli(capsys, "data", "check", "--data-dir", str(dst))
    assert code == 0, out
    for d in (src, dst):  # both go on with the same commands, at the same seqs
        async with crashing(d) as rt:
            assert rt.seq == 700
            await submit_all(rt, cmds[700:])
    assert state_of(dst) == state_of(src)
    assert state_of(dst)[0] == expected_hash(cmds)
    with pytest.raises(SystemExit) as refused:
        main(["data", "import", str(out_file), "--data-dir", str(dst)])
    assert refused.value.code == 2 and "not empty" in capsys.readouterr().err
    doc = json.loads(out_file.read_text())
    doc["state_hash"] = "0" * 64
    out_file.write_text(json.dumps(doc))
    with pytest.raises(SystemExit) as refused:
        main(["data", "import", str(out_file), "--data-dir", str(tmp_path / "other")])
    assert refused.value.code == 2 and "does not reproduce" in capsys.readouterr().err
    assert not (tmp_path / "other").exists()


async def test_serve_refuses_a_corrupt_journal_with_one_line(tmp_path: Path) -> None:
    d = tmp_path / "d"
    await _filled(d, n=400)
    (seg,) = (d / "journal").glob("journal-*.log")
    raw = bytearray(seg.read_bytes())
    raw[len(raw) // 3] ^= 0x10
    seg.write_bytes(bytes(raw))
    for argv in (["serve", "--port", "0"], ["data", "snapshot"]):
        proc = subprocess.run(
            [sys.executable, "-m", "openweex", *argv, "--data-dir", str(d)],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert proc.returncode == 2, proc
        assert "Traceback" not in proc.stderr + proc.stdout
        lines = proc.stderr.strip().splitlines()
        assert len(lines) == 1, proc.stderr
        assert f"journal corrupt: {seg} at byte offset" in lines[0]


async def test_damaged_read_models_are_named_by_serve_and_check(tmp_path: Path) -> None:
    """A read-model file that is not a database: serve refuses in one line saying how they
    are rebuilt, check reports it as a problem (exit 1); moved away, both are fine."""
    d = tmp_path / "d"
    await _filled(d, n=100)
    models = d / "history.sqlite3"
    with models.open("r+b") as fh:
        fh.write(b"not a database at all" * 40)

    def openweex(*argv: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "openweex", *argv, "--data-dir", str(d)],
            capture_output=True,
            text=True,
            timeout=60,
        )

    served = openweex("serve", "--port", "0")
    assert served.returncode == 2 and "Traceback" not in served.stderr + served.stdout
    (line,) = served.stderr.strip().splitlines()
    assert line.startswith(f"openweex: cannot start: the read models {models} cannot be read")
    assert "rebuilt from the journal once history.sqlite3" in line
    checked = openweex("data", "check")
    assert checked.returncode == 1, checked
    assert f"PROBLEM: read models {models} cannot be read" in checked.stdout
    for side in d.glob("history.sqlite3*"):
        side.rename(tmp_path / side.name)
    assert openweex("data", "check").returncode == 0


async def test_check_refuses_while_the_journal_is_in_use(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    d = tmp_path / "d"
    await _filled(d, n=100)
    async with running(d):
        code, out = cli(capsys, "data", "check", "--data-dir", str(d))
    assert code == 2 and "already open" in out
    code, out = cli(capsys, "data", "check", "--data-dir", str(tmp_path / "nowhere"))
    assert code == 2 and "no data directory" in out


@pytest.mark.parametrize("lock_there", [True, False])
async def test_check_reads_a_read_only_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, lock_there: bool
) -> None:
    """A read-only copy or mount (a backup being verified): the lock is taken with the file
    opened for reading, or not at all where no lock file can be made (no server can run
    there either)."""
    import errno

    from openweex.datadir import check_data_dir
    from openweex.storage import journal as journal_mod

    d = tmp_path / "d"
    await _filled(d, n=100)
    if not lock_there:
        (d / "journal" / "LOCK").unlink()
    real_open = os.open
    writes = os.O_WRONLY | os.O_RDWR | os.O_CREAT

    def read_only_fs(path: Any, flags: int, *args: Any) -> int:
        if flags & writes:
            raise OSError(errno.EROFS, "Read-only file system", str(path))
        return real_open(path, flags, *args)

    monkeypatch.setattr(journal_mod.os, "open", read_only_fs)
    report = check_data_dir(d, MARKETS)
    assert report.problems == [], report.lines
    assert (d / "journal" / "LOCK").exists() is lock_there
