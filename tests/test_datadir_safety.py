"""``openweex data ...`` never harms what it should not touch: a data directory a running
server uses, files openweex did not make, paths that are not directories.

Every refusal is one line on stderr and exit code 2, with nothing changed.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from openweex import cli, datadir, runtime, server
from openweex.cli import main
from tests.support.server import ServerProcess


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """``openweex ARGV`` in this process: exit code, stdout, stderr (with the message of an
    exit by message, which the interpreter would print)."""
    with pytest.raises(SystemExit) as done:
        main(list(argv))
    out = capsys.readouterr()
    code = done.value.code
    if isinstance(code, int):
        return code, out.out, out.err
    return 1, out.out, out.err + f"{code}\n"


def run_process(*argv: str) -> subprocess.CompletedProcess[str]:
    """``openweex ARGV`` as a command of its own, as an operator runs it."""
    cmd = [sys.executable, "-m", "openweex", *argv]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=60)


def one_line(err: str) -> str:
    assert "Traceback" not in err, err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    return lines[0]


def contents(d: Path) -> dict[str, bytes | None]:
    """Every path under ``d`` with its bytes (None for a directory or a link)."""
    found: dict[str, bytes | None] = {}
    for p in sorted(d.rglob("*")):
        plain = p.is_file() and not p.is_symlink()
        found[str(p.relative_to(d))] = p.read_bytes() if plain else None
    return found


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A data directory as a real server leaves it: journal, snapshot, read models,
    markets.toml, and the admin token it generated."""
    d = tmp_path_factory.mktemp("made") / "data"
    srv = ServerProcess(d, admin_token="")  # no token given: the server stores one
    env_token = os.environ.pop("OPENWEEX_ADMIN_TOKEN", None)
    try:
        srv.start()
    finally:
        if env_token is not None:
            os.environ["OPENWEEX_ADMIN_TOKEN"] = env_token
    try:
        srv.admin_token = (d / "admin-token").read_text().strip()
        uid = srv.admin("POST", "/accounts")["uid"]
        srv.admin("POST", "/deposits", {"uid": uid, "coin": "USDT", "amount": "25"})
    finally:
        assert srv.stop() == 0
    yield d


@pytest.fixture
def data_dir(made: Path, tmp_path: Path) -> Path:
    """A copy of ``made`` of the test's own."""
    d = tmp_path / "data"
    shutil.copytree(made, d)
    return d


@pytest.fixture(scope="module")
def export_file(made: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("export") / "state.json"
    proc = run_process("data", "export", str(out), "--data-dir", str(made))
    assert proc.returncode == 0, proc
    return out


# -- a directory in use ------------------------------------------------------------------------
def test_commands_refuse_a_directory_a_server_is_running_on(
    data_dir: Path, export_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    srv = ServerProcess(data_dir).start()
    try:
        uid = srv.admin("POST", "/accounts")["uid"]
        names = set(contents(data_dir))
        token = (data_dir / "admin-token").read_bytes()
        segments = {p: p.read_bytes() for p in (data_dir / "journal").glob("*.log")}
        proc = run_process("data", "reset", "--yes", "--data-dir", str(data_dir))
        assert proc.returncode == 2, proc
        line = one_line(proc.stderr)
        assert f"cannot reset {data_dir}: it is in use" in line
        assert "nothing was deleted" in line
        for argv, says in [
            (["import", str(export_file)], "nothing was written"),
            (["snapshot"], "already open"),
            (["export", str(tmp_path / "out.json")], "already open"),
            (["check"], "already open"),
        ]:
            code, _, err = run(capsys, "data", *argv, "--data-dir", str(data_dir))
            assert code == 2 and says in one_line(err), (argv, err)
        assert not (tmp_path / "out.json").exists()
        assert set(contents(data_dir)) == names
        assert (data_dir / "admin-token").read_bytes() == token
        assert {p: p.read_bytes() for p in segments} == segments
        assert srv.admin("GET", f"/accounts/{uid}")["uid"] == uid  # still serving, intact
    finally:
        assert srv.stop() == 0
    proc = run_process("data", "reset", "--yes", "--data-dir", str(data_dir))
    assert proc.returncode == 0, proc
    assert [p.name for p in data_dir.iterdir()] == ["admin-token"]


# -- only openweex's files ---------------------------------------------------------------------
def test_reset_refuses_a_directory_that_is_not_a_data_directory(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    d = tmp_path / "notours"
    d.mkdir()
    (d / "notes.txt").write_text("x\n")
    code, _, err = run(capsys, "data", "reset", "--yes", "--data-dir", str(d))
    assert code == 2
    line = one_line(err)
    assert "does not look like an openweex data directory" in line and "notes.txt" in line
    assert "nothing was deleted" in line
    assert contents(d) == {"notes.txt": b"x\n"}


@pytest.mark.parametrize(
    "extra",
    ["notes.txt", ".hidden", "journal/notes", "snapshots/old.snap", "backups/", "history.db"],
)
def test_reset_refuses_files_openweex_does_not_make(
    data_dir: Path, extra: str, capsys: pytest.CaptureFixture[str]
) -> None:
    path = data_dir / extra
    if extra.endswith("/"):
        path.mkdir()
    else:
        path.write_text("mine\n")
    before = contents(data_dir)
    code, _, err = run(capsys, "data", "reset", "--yes", "--data-dir", str(data_dir))
    assert code == 2
    line = one_line(err)
    assert "holds files openweex does not make" in line and extra.rstrip("/") in line
    assert contents(data_dir) == before


def test_reset_refuses_a_link_in_place_of_its_files(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    elsewhere = tmp_path / "precious.toml"
    elsewhere.write_text("keep me\n")
    (data_dir / "markets.toml").unlink()
    (data_dir / "markets.toml").symlink_to(elsewhere)
    before = contents(data_dir)
    code, _, err = run(capsys, "data", "reset", "--yes", "--data-dir", str(data_dir))
    assert code == 2 and "markets.toml" in one_line(err)
    assert contents(data_dir) == before and elsewhere.read_text() == "keep me\n"


def test_reset_deletes_what_openweex_makes_and_keeps_the_token(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    d = tmp_path / "data"
    ours = [
        "journal/journal-00000000000000000001.log",
        "journal/journal-00000000000000000301.log",
        "journal/LOCK",
        "snapshots/snapshot-00000000000000000300.snap",
        "snapshots/.snapshot-00000000000000000600.snap.0a1b2c3d4e5f.tmp",
        "history.sqlite3",
        "history.sqlite3-wal",
        "history.sqlite3-shm",
        "history.sqlite3-journal",
        "markets.toml",
        ".markets.toml.0a1b2c3d4e5f.tmp",
        ".disk-test-k2j_8x1q.tmp",
    ]
    for name in [*ours, "admin-token"]:
        (d / name).parent.mkdir(parents=True, exist_ok=True)
        (d / name).write_text(name)
    code, out, _ = run(capsys, "data", "reset", "--yes", "--data-dir", str(d))
    assert code == 0
    assert f"{len(ours)} file(s) deleted, admin-token kept" in out
    assert contents(d) == {"admin-token": b"admin-token"}


def test_reset_of_a_real_directory_and_of_one_already_reset(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    token = (data_dir / "admin-token").read_bytes()
    assert {"journal", "snapshots", "history.sqlite3", "markets.toml"} <= set(contents(data_dir))
    code, out, _ = run(capsys, "data", "reset", "--yes", "--data-dir", str(data_dir))
    assert code == 0 and "admin-token kept" in out
    assert contents(data_dir) == {"admin-token": token}
    code, out, _ = run(capsys, "data", "reset", "--yes", "--data-dir", str(data_dir))
    assert code == 0 and "nothing to reset" in out
    (data_dir / "admin-token").unlink()
    code, out, _ = run(capsys, "data", "reset", "--yes", "--data-dir", str(data_dir))
    assert code == 0 and "nothing to reset" in out


def test_reset_of_a_missing_directory(tmp_path: Path) -> None:
    proc = run_process("data", "reset", "--yes", "--data-dir", str(tmp_path / "nowhere"))
    assert proc.returncode == 2
    assert one_line(proc.stderr) == f"openweex: no data directory at {tmp_path / 'nowhere'}"
    assert not (tmp_path / "nowhere").exists()


def test_the_names_reset_knows_are_the_ones_the_server_writes() -> None:
    assert datadir.READ_MODELS_FILE == runtime.READ_MODELS_FILE
    assert datadir.MARKETS_FILE == cli.MARKETS_FILE
    assert datadir.TOKEN_FILE == server.TOKEN_FILE


# -- paths that are not directories, files that cannot be written ------------------------------
@pytest.mark.parametrize(
    "argv",
    [
        ["check"],
        ["snapshot"],
        ["reset", "--yes"],
        ["export", "OUT"],
        ["import", "EXPORT"],
        ["disk", "--seconds", "0.1", "--warmup", "0", "--idle", "0"],
    ],
)
def test_every_data_command_refuses_a_file_as_its_directory(
    argv: list[str], tmp_path: Path, export_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    afile = tmp_path / "afile"
    afile.write_text("x\n")
    argv = [{"OUT": str(tmp_path / "out.json"), "EXPORT": str(export_file)}.get(a, a) for a in argv]
    code, out, err = run(capsys, "data", *argv, "--data-dir", str(afile))
    assert code == 2 and one_line(err) == f"openweex: {afile} is not a directory"
    assert "check: ok" not in out
    assert afile.read_text() == "x\n" and not (tmp_path / "out.json").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["afile"]


@pytest.mark.parametrize("argv", [["check"], ["snapshot"], ["export", "OUT"]])
@pytest.mark.parametrize("holds", [[], ["notes.txt"]])
def test_reading_commands_refuse_a_directory_no_server_made(
    argv: list[str], holds: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An empty or unrelated directory is not called sound, and gets no journal."""
    d = tmp_path / "d"
    d.mkdir()
    for name in holds:
        (d / name).write_text("mine\n")
    before = contents(d)
    argv = [str(tmp_path / "out.json") if a == "OUT" else a for a in argv]
    code, out, err = run(capsys, "data", *argv, "--data-dir", str(d))
    assert code == 2 and "check: ok" not in out
    assert one_line(err) == f"openweex: {d} is not an openweex data directory (it has no journal/)"
    assert contents(d) == before and not (tmp_path / "out.json").exists()


@pytest.mark.parametrize(
    "argv", [["import", "EXPORT"], ["disk", "--seconds", "0.1", "--warmup", "0", "--idle", "0"]]
)
def test_a_data_directory_under_a_file_cannot_be_made(
    argv: list[str], tmp_path: Path, export_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    afile = tmp_path / "afile"
    afile.write_text("x\n")
    argv = [str(export_file) if a == "EXPORT" else a for a in argv]
    code, _, err = run(capsys, "data", *argv, "--data-dir", str(afile / "sub"))
    assert code == 2 and str(afile) in one_line(err)
    assert afile.read_text() == "x\n"


def test_export_to_a_path_that_cannot_be_written(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = contents(data_dir)
    for target, says in [
        (tmp_path / "nonexistent" / "dir" / "x.json", "does not exist"),
        (tmp_path, "is a directory"),
        (data_dir / "admin-token" / "x.json", "is not a directory"),
    ]:
        code, _, err = run(capsys, "data", "export", str(target), "--data-dir", str(data_dir))
        assert code == 2, err
        line = one_line(err)
        assert line.startswith(f"openweex: cannot write {target}: ") and says in line, line
    assert not (tmp_path / "nonexistent").exists()
    assert contents(data_dir) == before
    proc = run_process("data", "export", "/nonexistent/dir/x.json", "--data-dir", str(data_dir))
    assert proc.returncode == 2 and "/nonexistent/dir does not exist" in one_line(proc.stderr)


def test_export_writes_its_file_whole(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = data_dir.parent / "state.json"
    out.write_text("an older export")
    code, printed, _ = run(capsys, "data", "export", str(out), "--data-dir", str(data_dir))
    assert code == 0 and "exported seq" in printed
    assert out.read_text().startswith('{"format":"openweex-export"')
    assert [p.name for p in data_dir.parent.iterdir() if p.name.endswith(".tmp")] == []


@pytest.mark.parametrize(
    ("text", "code", "says"),
    [
        (None, 2, "cannot read"),
        ("[1]", 2, "is not an openweex export file"),
        ('{"format": "openweex-export", "version": 1}', 2, "is not an openweex export file"),
        ("{not json", 2, "cannot read"),
    ],
)
def test_import_of_a_file_that_is_not_an_export(
    tmp_path: Path, text: str | None, code: int, says: str, capsys: pytest.CaptureFixture[str]
) -> None:
    src = tmp_path / "state.json"
    if text is not None:
        src.write_text(text)
    got, _, err = run(capsys, "data", "import", str(src), "--data-dir", str(tmp_path / "new"))
    assert got == code and says in one_line(err)
    assert not (tmp_path / "new").exists()
