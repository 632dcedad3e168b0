"""``openweex serve`` refuses what it cannot use with a message and exit code 2 (never a
traceback, nothing written), and a Ctrl+C stops it cleanly."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path
from unittest import mock

import pytest

from tests.support.server import ADMIN_TOKEN, ServerProcess
from tests.support.signing import SignedClient

ENV = {k: v for k, v in os.environ.items() if k != "OPENWEEX_ADMIN_TOKEN"}


def serve(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """``openweex serve ARGS`` in ``cwd``, for a command that must not start."""
    cmd = [sys.executable, "-m", "openweex", "serve", *args]
    return subprocess.run(
        cmd, cwd=cwd, env=env or ENV, capture_output=True, text=True, timeout=30, check=False
    )


def assert_refused(done: subprocess.CompletedProcess[str], says: str) -> None:
    assert done.returncode == 2, done
    assert says in done.stderr, done.stderr
    assert "Traceback" not in done.stderr + done.stdout, done.stderr
    assert "serving on" not in done.stdout


def test_ctrl_c_stops_the_server_and_its_writer_cleanly(tmp_path: Path) -> None:
    """A terminal's Ctrl+C signals the whole foreground process group: the read-model
    writer must leave it to the server, which ends it after its last write."""
    data = tmp_path / "data"
    cmd = [sys.executable, "-m", "openweex", "serve", "--port", "0", "--data-dir", str(data)]
    cmd += ["--admin-token", ADMIN_TOKEN, "--log-level", "warning"]
    proc = subprocess.Popen(
        cmd,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=dict(ENV, PYTHONUNBUFFERED="1"),
        start_new_session=True,  # a process group of its own, as a shell's job
    )
    try:
        server = ServerProcess(data, proc=proc)
        assert proc.stdout is not None
        for line in proc.stdout:
            server.output.append(line)
            if "serving on http://" in line:
                server.url = line.strip().split("serving on ", 1)[1]
                break
        assert server.url, "".join(server.output)
        seller = SignedClient(server.url, server.new_user({"BTC": "1"}))
        order = {"symbol": "BTCUSDT_SPBL", "side": "sell", "orderType": "limit"}
        order |= {"force": "normal", "price": "30000", "quantity": "0.1"}
        placed = seller.post("/api/spot/v1/trade/orders", order)
        assert placed["code"] == "00000", placed
        history = seller.post("/api/spot/v1/trade/history", {"symbol": "BTCUSDT_SPBL"})
        assert history["code"] == "00000", history  # the writer process is running
        os.killpg(proc.pid, signal.SIGINT)
        code = proc.wait(30)
        output = "".join(server.output) + proc.stdout.read()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()
    assert code == 0, output
    assert "Traceback" not in output, output
    assert "starting another" not in output, output
    check = [sys.executable, "-m", "openweex", "data", "check", "--data-dir", str(data)]
    checked = subprocess.run(check, capture_output=True, text=True, timeout=60, check=False)
    assert checked.returncode == 0, checked.stdout + checked.stderr


@pytest.mark.parametrize("port", ["70000", "65536", "-1", "http"])
def test_a_port_out_of_range_is_refused(tmp_path: Path, port: str) -> None:
    done = serve("--port", port, "--data-dir", "data", cwd=tmp_path)
    assert_refused(done, "--port")
    assert not (tmp_path / "data").exists()


@pytest.mark.parametrize("every", ["0", "-5", "1e3", "10000000000"])
def test_snapshot_every_is_bounded(tmp_path: Path, every: str) -> None:
    done = serve("--snapshot-every", every, "--port", "0", "--data-dir", "data", cwd=tmp_path)
    assert_refused(done, "--snapshot-every")
    assert not (tmp_path / "data").exists()


@pytest.mark.parametrize(
    ("data_dir", "says"),
    [
        ("afile", "it is not a directory"),
        ("afile/data", "Not a directory"),
        ("/proc/openweex-data", "No such file or directory"),
    ],
)
def test_a_data_dir_that_cannot_be_used_is_refused(
    tmp_path: Path, data_dir: str, says: str
) -> None:
    if data_dir.startswith("/proc/") and not Path("/proc/self").exists():
        pytest.skip("no /proc here")
    (tmp_path / "afile").write_text("mine\n")
    done = serve("--port", "0", "--data-dir", data_dir, cwd=tmp_path)
    assert_refused(done, f"cannot use {data_dir} as the data directory: {says}")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["afile"]
    assert (tmp_path / "afile").read_text() == "mine\n"


@pytest.mark.parametrize(
    ("token", "says"),
    [
        (" sp ", "starts or ends with whitespace"),
        ("token\t", "starts or ends with whitespace"),
        ("tökén", "has characters that HTTP clients cannot send"),
        ("to\x7fken", "has characters that HTTP clients cannot send"),
    ],
)
@pytest.mark.parametrize("source", ["--admin-token", "OPENWEEX_ADMIN_TOKEN"])
def test_an_admin_token_http_cannot_carry_is_refused(
    tmp_path: Path, token: str, says: str, source: str
) -> None:
    if source == "--admin-token":
        done = serve("--port", "0", "--data-dir", "data", "--admin-token", token, cwd=tmp_path)
    else:
        env = dict(ENV, OPENWEEX_ADMIN_TOKEN=token)
        done = serve("--port", "0", "--data-dir", "data", cwd=tmp_path, env=env)
    assert_refused(done, f"the admin token ({source}) {says}")
    assert token not in done.stderr or not token  # a secret is never echoed
    assert not (tmp_path / "data").exists()


@pytest.mark.parametrize("source", ["--admin-token", "OPENWEEX_ADMIN_TOKEN"])
def test_an_empty_admin_token_is_none_given(tmp_path: Path, source: str) -> None:
    """An empty option or variable gives no token: the server makes one and stores it."""
    data = tmp_path / "data"
    env = {k: v for k, v in os.environ.items() if k != "OPENWEEX_ADMIN_TOKEN"}
    if source == "OPENWEEX_ADMIN_TOKEN":
        env["OPENWEEX_ADMIN_TOKEN"] = ""
    server = ServerProcess(data, admin_token="")
    with mock.patch.dict(os.environ, env, clear=True):
        server.start()
    try:
        stored = (data / "admin-token").read_text().strip()
        assert len(stored) >= 32
        server.admin_token = stored
        assert server.admin("POST", "/accounts")["uid"]
    finally:
        assert server.stop() == 0


def test_a_stored_admin_token_http_cannot_carry_is_refused(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "admin-token").write_text("tökén\n")
    done = serve("--port", "0", "--data-dir", "data", cwd=tmp_path)
    assert_refused(done, "the admin token (data/admin-token) has characters")
    assert sorted(p.name for p in data.iterdir()) == ["admin-token"]


@pytest.mark.parametrize("kind", ["directory", "binary"])
def test_an_admin_token_file_that_cannot_be_read_is_refused(tmp_path: Path, kind: str) -> None:
    data = tmp_path / "data"
    data.mkdir()
    if kind == "directory":
        (data / "admin-token").mkdir()
        says = "Is a directory"
    else:
        (data / "admin-token").write_bytes(b"\xff\xfe\n")
        says = "it is not text"
    done = serve("--port", "0", "--data-dir", "data", cwd=tmp_path)
    assert_refused(done, f"cannot read the admin token in data/admin-token: {says}")
    assert sorted(p.name for p in data.iterdir()) == ["admin-token"]


def test_an_admin_token_with_inner_spaces_works(tmp_path: Path) -> None:
    """Printable ASCII travels as it is, spaces inside included: the admin CLI can use it."""
    server = ServerProcess(tmp_path / "data", admin_token="a b~c").start()
    try:
        argv = [sys.executable, "-m", "openweex", "admin", "create-account", "--url", server.url]
        done = subprocess.run(
            [*argv, "--admin-token", server.admin_token],
            env=ENV,
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        assert '"uid"' in done.stdout
    finally:
        assert server.stop() == 0
