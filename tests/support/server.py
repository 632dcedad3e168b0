"""Start the real ``openweex serve`` process on a free loopback port, for tests.

The server is launched exactly as a user would (``python -m openweex serve --port 0``); the
URL is read from the line it prints once it is ready.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

ADMIN_TOKEN = "test-admin-token"


@dataclass
class ServerProcess:
    data_dir: Path
    args: list[str] = field(default_factory=list)
    url: str = ""
    proc: subprocess.Popen[str] | None = None
    output: list[str] = field(default_factory=list)
    admin_token: str = ADMIN_TOKEN

    def start(self, timeout: float = 30.0) -> ServerProcess:
        cmd = [
            sys.executable,
            "-m",
            "openweex",
            "serve",
            "--port",
            "0",
            "--data-dir",
            str(self.data_dir),
            "--admin-token",
            self.admin_token,
            "--log-level",
            "warning",
            *self.args,
        ]
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        self.proc = subprocess.Popen(
            cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env
        )
        deadline = time.monotonic() + timeout
        assert self.proc.stdout is not None
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                break
            self.output.append(line)
            if "serving on http://" in line:
                self.url = line.strip().split("serving on ", 1)[1]
                return self
        self.stop()
        raise RuntimeError("server did not start:\n" + "".join(self.output))

    @property
    def ws_url(self) -> str:
        return self.url.replace("http://", "ws://") + "/ws"

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30.0) -> int:
        """Stop the process; returns its exit code."""
        if self.proc is None:
            return 0
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            code = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            code = self.proc.wait()
        if self.proc.stdout is not None:
            self.output.extend(self.proc.stdout.readlines())
            self.proc.stdout.close()
        self.proc = None
        return code

    def kill(self) -> None:
        self.stop(signal.SIGKILL)

    def admin(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        r = httpx.request(
            method,
            f"{self.url}/admin/v1{path}",
            json=body or {},
            headers={"X-Admin-Token": self.admin_token},
            timeout=30,
        )
        payload = r.json()
        assert payload["code"] == "00000", payload
        return payload["data"]

    def new_user(self, funds: dict[str, str] | None = None, **key_opts: Any) -> User:
        uid = self.admin("POST", "/accounts")["uid"]
        key = self.admin("POST", "/api-keys", {"uid": uid, "passphrase": "pass-" + uid, **key_opts})
        for coin, amount in (funds or {}).items():
            self.admin("POST", "/deposits", {"uid": uid, "coin": coin, "amount": amount})
        return User(uid, key["apiKey"], key["secretKey"], key["passphrase"])


@dataclass(frozen=True)
class User:
    uid: str
    api_key: str
    secret: str
    passphrase: str
