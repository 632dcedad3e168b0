"""The real server: the client address is the socket's (never a header's), and an empty
stored admin token is replaced rather than locking the admin API out."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.server import ServerProcess
from tests.support.signing import SignedClient

ASSETS = "/api/spot/v1/account/assets"


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    srv = ServerProcess(tmp_path_factory.mktemp("addr") / "data", ["--no-rate-limits"]).start()
    yield srv
    srv.stop()


@pytest.mark.parametrize("header", ["X-Forwarded-For", "X-Real-IP", "Forwarded"])
def test_a_forwarding_header_does_not_pass_the_ip_whitelist(
    live: ServerProcess, header: str
) -> None:
    value = "for=10.9.9.9" if header == "Forwarded" else "10.9.9.9"
    for allowed, code in (("10.9.9.9", "40018"), ("127.0.0.1", "00000")):
        client = SignedClient(live.url, live.new_user({"USDT": "1"}, ipWhitelist=[allowed]))
        hdrs = {**client.headers("GET", ASSETS, "", b""), header: value}
        got = client.http.get(ASSETS, headers=hdrs).json()
        assert got["code"] == code, (allowed, got)


def test_an_empty_stored_admin_token_is_replaced(tmp_path: Path) -> None:
    d = tmp_path / "data"
    d.mkdir()
    (d / "admin-token").write_text("\n")
    env = {k: v for k, v in os.environ.items() if k != "OPENWEEX_ADMIN_TOKEN"}
    cmd = [sys.executable, "-m", "openweex", "serve", "--port", "0", "--data-dir", str(d)]
    out = subprocess.PIPE
    proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, text=True, env=env)
    try:
        assert proc.stdout is not None
        url = ""
        for line in proc.stdout:
            if "serving on http://" in line:
                url = line.strip().split("serving on ", 1)[1]
                break
        assert url, "the server did not start"
        token = (d / "admin-token").read_text().strip()
        assert len(token) >= 32
        assert stat.S_IMODE((d / "admin-token").stat().st_mode) == 0o600
        r = httpx.post(f"{url}/admin/v1/accounts", json={}, headers={"X-Admin-Token": token})
        assert r.json()["code"] == "00000", r.text
    finally:
        proc.terminate()
        assert proc.wait(30) == 0
