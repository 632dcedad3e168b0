"""The admin HTTP API and the ``openweex admin`` command line against the real server."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import httpx
import pytest

from openweex.cli import main
from tests.support.server import ServerProcess, User
from tests.support.signing import SignedClient

ADMIN_CALLS = [
    ("POST", "/admin/v1/accounts"),
    ("POST", "/admin/v1/api-keys"),
    ("POST", "/admin/v1/deposits"),
    ("POST", "/admin/v1/withdrawals"),
    ("POST", "/admin/v1/transfers"),
    ("POST", "/admin/v1/accounts/10001/freeze"),
    ("POST", "/admin/v1/accounts/10001/unfreeze"),
    ("GET", "/admin/v1/accounts/10001"),
    ("POST", "/admin/v1/snapshot"),
]


@pytest.mark.parametrize(("method", "path"), ADMIN_CALLS)
@pytest.mark.parametrize(("token", "code"), [(None, "40001"), ("wrong", "40006"), ("", "40001")])
def test_admin_token_required(
    live: ServerProcess, method: str, path: str, token: str | None, code: str
) -> None:
    headers = {} if token is None else {"X-Admin-Token": token}
    r = httpx.request(method, live.url + path, json={}, headers=headers)
    payload = r.json()
    assert r.status_code == 401 and payload["code"] == code and payload["data"] is None


def cli(capsys: pytest.CaptureFixture[str], live: ServerProcess, *args: str) -> tuple[int, Any]:
    argv = ["admin", *args, "--url", live.url, "--admin-token", live.admin_token]
    with pytest.raises(SystemExit) as done:
        main(argv)
    out, err = capsys.readouterr()
    code = int(done.value.code or 0)
    return code, (json.loads(out) if code == 0 else err)


def provision(capsys: pytest.CaptureFixture[str], live: ServerProcess) -> SignedClient:
    """create-account, create-key (read-only, IP-fenced to loopback) and deposit by the CLI."""
    code, acct = cli(capsys, live, "create-account")
    assert code == 0 and acct["uid"].isdigit()
    uid = acct["uid"]
    args = ["--uid", uid, "--passphrase", "pp-1", "--permissions", "SPOT_ACCOUNT_R"]
    code, key = cli(capsys, live, "create-key", *args, "--ip", "127.0.0.1")
    assert code == 0 and key["permissions"] == ["SPOT_ACCOUNT_R"]
    assert key["ipWhitelist"] == ["127.0.0.1"] and key["passphrase"] == "pp-1"
    assert set(key) >= {"apiKey", "secretKey", "passphrase", "permissions"}
    code, bill = cli(capsys, live, "deposit", "--uid", uid, "--coin", "USDT", "--amount", "1000")
    assert code == 0 and bill["quantity"] == "1000" and bill["bizType"] == "deposit"
    return SignedClient(live.url, User(uid, key["apiKey"], key["secretKey"], key["passphrase"]))


def test_admin_cli_funds(live: ServerProcess, capsys: pytest.CaptureFixture[str]) -> None:
    client = provision(capsys, live)
    uid = client.user.uid
    code, bill = cli(capsys, live, "withdraw", "--uid", uid, "--coin", "usdt", "--amount", "10.5")
    assert code == 0 and bill["quantity"] == "-10.5"
    code, err = cli(capsys, live, "withdraw", "--uid", uid, "--coin", "USDT", "--amount", "5000")
    assert code == 1 and "43012" in err
    move = ["--coin", "USDT", "--amount", "1", "--from-type", "SPOT", "--to-type", "CONTRACT"]
    code, rec = cli(capsys, live, "transfer", "--uid", uid, *move)
    assert code == 0 and rec["amount"] == "1" and rec["toType"] == "CONTRACT"
    [usdt] = client.get("/api/spot/v1/account/assets")["data"]
    assert usdt["available"] == "988.5"
    transfers = client.get("/api/spot/v1/account/transferRecords")["data"]
    assert [t["amount"] for t in transfers] == ["1"]
    # filters: in any case; a value that is no account type is refused, never "no records"
    path = "/api/spot/v1/account/transferRecords"
    assert client.get(path, {"fromType": "spot"})["data"] == transfers
    assert client.get(path, {"fromType": "exchange"})["data"] == transfers  # Bitget v1's SPOT
    assert client.get(path, {"fromType": "Contract"})["data"] == []
    refused = client.get(path, {"fromType": "spott"})
    assert refused["code"] == "40017" and "fromType" in refused["msg"], refused
    # assets of one coin (Bitget v1's ``coin``): one the user holds, one it does not, none
    assert client.get("/api/spot/v1/account/assets", {"coin": "usdt"})["data"] == [usdt]
    assert client.get("/api/spot/v1/account/assets", {"coin": "BTC"})["data"] == []
    refused = client.get("/api/spot/v1/account/assets", {"coin": "DOGE"})
    assert refused["code"] == "40017" and "DOGE" in refused["msg"], refused
    bizs = [b["bizType"] for b in client.post("/api/spot/v1/account/bills", {})["data"]]
    assert bizs == ["transfer-out", "withdraw", "deposit"]


def test_admin_cli_freeze_and_permissions(
    live: ServerProcess, capsys: pytest.CaptureFixture[str]
) -> None:
    client = provision(capsys, live)
    uid = client.user.uid
    order = {"symbol": "BTCUSDT_SPBL", "side": "buy", "orderType": "limit", "force": "normal"}
    r = client.post("/api/spot/v1/trade/orders", {**order, "price": "1", "quantity": "1"})
    assert r["code"] == "40014"  # a read-only key cannot place
    code, frozen = cli(capsys, live, "freeze", "--uid", uid)
    assert code == 0 and frozen == {"uid": uid, "frozen": True}
    assert client.get("/api/spot/v1/account/assets")["code"] == "40013"
    code, info = cli(capsys, live, "account", "--uid", uid)
    assert code == 0 and info["frozen"] is True and client.user.secret not in json.dumps(info)
    code, _ = cli(capsys, live, "unfreeze", "--uid", uid)
    assert code == 0 and client.get("/api/spot/v1/account/assets")["code"] == "00000"


def test_admin_cli_errors(live: ServerProcess, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(["admin", "create-account", "--url", live.url, "--admin-token", "wrong"])
    assert done.value.code == 1 and "40006" in capsys.readouterr().err
    with pytest.raises(SystemExit) as done:
        main(["admin", "create-account", "--url", "http://127.0.0.1:9", "--admin-token", "x"])
    assert done.value.code == 2 and "cannot reach" in capsys.readouterr().err
    code, err = cli(capsys, live, "deposit", "--uid", "abc", "--coin", "USDT", "--amount", "1")
    assert code == 2 and "--uid" in err
    code, err = cli(capsys, live, "deposit", "--uid", "1", "--coin", "NOPE", "--amount", "1")
    assert code == 1 and "40017" in err


def test_admin_cli_as_a_process(live: ServerProcess) -> None:
    env_cmd = [sys.executable, "-m", "openweex", "admin", "create-account", "--url", live.url]
    done = subprocess.run(
        env_cmd,
        capture_output=True,
        text=True,
        timeout=60,
        env={**__import__("os").environ, "OPENWEEX_ADMIN_TOKEN": live.admin_token},
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["uid"].isdigit()


def test_admin_api_validation(live: ServerProcess) -> None:
    h = {"X-Admin-Token": live.admin_token}

    def post(path: str, body: Any) -> Any:
        return httpx.post(live.url + "/admin/v1" + path, json=body, headers=h).json()

    uid = post("/accounts", {})["data"]["uid"]
    assert post("/api-keys", {"uid": uid})["code"] == "40019"
    assert (
        post("/api-keys", {"uid": uid, "passphrase": "p", "permissions": ["ROOT"]})["code"]
        == "40017"
    )
    assert post("/api-keys", {"uid": "99999", "passphrase": "p"})["code"] == "40040"
    assert post("/deposits", {"uid": uid, "coin": "USDT", "amount": "-1"})["code"] == "40017"
    assert (
        post("/deposits", {"uid": uid, "coin": "USDT", "amount": "0.0000000001"})["code"] == "40017"
    )
    assert (
        post(
            "/transfers",
            {"uid": uid, "coin": "USDT", "amount": "1", "fromType": "CONTRACT", "toType": "MARGIN"},
        )["code"]
        == "40017"
    )
    r = httpx.post(live.url + "/admin/v1/accounts/99999/freeze", json={}, headers=h)
    assert r.status_code == 400 and r.json()["code"] == "40040"
    r = httpx.post(live.url + "/admin/v1/accounts/abc/freeze", json={}, headers=h)
    assert r.status_code == 404 and r.json()["code"] == "40404"


def test_an_admin_bill_is_the_bill_account_bills_shows(live: ServerProcess) -> None:
    user = live.new_user()
    client = SignedClient(live.url, user)
    made = [
        live.admin("POST", "/deposits", {"uid": user.uid, "coin": "USDT", "amount": "25.5"}),
        live.admin("POST", "/withdrawals", {"uid": user.uid, "coin": "USDT", "amount": "0.5"}),
    ]
    listed = {b["billId"]: b for b in client.post("/api/spot/v1/account/bills", {})["data"]}
    for bill in made:
        assert {k: bill[k] for k in listed[bill["billId"]]} == listed[bill["billId"]]
        assert bill["uid"] == user.uid
    assert [b["available"] for b in made] == ["25.5", "25"]
