"""Input checks of ``POST /admin/v1/api-keys`` and of the ``--uid`` options of the admin CLI."""

from __future__ import annotations

import argparse
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from openweex.cli import main
from openweex.cli_admin import PATH_UID_MAX, UID_MAX
from tests.support.server import ServerProcess, User
from tests.support.signing import SignedClient

from .test_live_admin import cli

ASSETS = "/api/spot/v1/account/assets"


def post(live: ServerProcess, path: str, body: Any) -> Any:
    h = {"X-Admin-Token": live.admin_token}
    return httpx.post(live.url + "/admin/v1" + path, json=body, headers=h, timeout=30).json()


def new_uid(live: ServerProcess) -> str:
    uid = post(live, "/accounts", {})["data"]["uid"]
    assert isinstance(uid, str)
    return uid


def create_key(live: ServerProcess, uid: str, **fields: Any) -> Any:
    return post(live, "/api-keys", {"uid": uid, "passphrase": "pp", **fields})


def signed(live: ServerProcess, key: dict[str, Any], base_url: str | None = None) -> SignedClient:
    user = User(key["uid"], key["apiKey"], key["secretKey"], key["passphrase"])
    return SignedClient(base_url or live.url, user)


# -- permissions ------------------------------------------------------------------------------
def test_permissions_absent_means_both(live: ServerProcess) -> None:
    r = create_key(live, new_uid(live))
    assert r["code"] == "00000" and r["data"]["permissions"] == ["SPOT_ACCOUNT_R", "SPOT_TRADE"]
    r = create_key(live, new_uid(live), permissions=None)
    assert r["code"] == "00000" and r["data"]["permissions"] == ["SPOT_ACCOUNT_R", "SPOT_TRADE"]


def test_permissions_empty_list_refused(live: ServerProcess) -> None:
    uid = new_uid(live)
    r = create_key(live, uid, permissions=[])
    assert r["code"] == "40017" and "permissions" in r["msg"], r
    h = {"X-Admin-Token": live.admin_token}
    info = httpx.get(f"{live.url}/admin/v1/accounts/{uid}", headers=h, timeout=30).json()
    assert info["data"]["apiKeys"] == []


def test_cli_permissions_flag_needs_a_value(
    live: ServerProcess, capsys: pytest.CaptureFixture[str]
) -> None:
    uid = new_uid(live)
    code, err = cli(capsys, live, "create-key", "--uid", uid, "--passphrase", "p", "--permissions")
    assert code == 2 and "--permissions" in err


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        (["SPOT_TRADE", "SPOT_TRADE"], ["SPOT_TRADE"]),
        (["SPOT_ACCOUNT_R", "SPOT_ACCOUNT_R", "SPOT_ACCOUNT_R"], ["SPOT_ACCOUNT_R"]),
        (["SPOT_TRADE", "SPOT_ACCOUNT_R", "SPOT_TRADE"], ["SPOT_ACCOUNT_R", "SPOT_TRADE"]),
        (["SPOT_TRADE", "SPOT_ACCOUNT_R"], ["SPOT_ACCOUNT_R", "SPOT_TRADE"]),
    ],
)
def test_permissions_stored_once_in_canonical_order(
    live: ServerProcess, given: list[str], stored: list[str]
) -> None:
    r = create_key(live, new_uid(live), permissions=given)
    assert r["code"] == "00000" and r["data"]["permissions"] == stored, r


def test_unknown_permission_still_refused(live: ServerProcess) -> None:
    r = create_key(live, new_uid(live), permissions=["SPOT_TRADE", "ROOT"])
    assert r["code"] == "40017" and "ROOT" in r["msg"], r


# -- ipWhitelist ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "entry",
    [
        "not-an-ip",
        "",
        "   ",
        "localhost",
        "10.0.0.0/8",
        "127.0.0.1 127.0.0.2",
        "127.0. 0.1",
        "127.0.0.1:80",
        "256.0.0.1",
        "fe80::1%a b",
        "fe80::1%eth0\x00",
    ],
)
def test_ip_whitelist_entry_refused(live: ServerProcess, entry: str) -> None:
    r = create_key(live, new_uid(live), ipWhitelist=["127.0.0.1", entry])
    assert r["code"] == "40017" and "ipWhitelist" in r["msg"], r
    assert repr(entry.strip()) in r["msg"], r


def test_ip_whitelist_normalised_and_deduplicated(live: ServerProcess) -> None:
    given = [" 127.0.0.1 ", "127.0.0.1", "2001:DB8:0:0:0:0:0:1", "2001:db8::1", "::FFFF:10.1.2.3"]
    r = create_key(live, new_uid(live), ipWhitelist=given)
    assert r["code"] == "00000", r
    assert r["data"]["ipWhitelist"] == ["127.0.0.1", "2001:db8::1", "::ffff:10.1.2.3"]


def test_ip_whitelist_empty_list_means_any_address(live: ServerProcess) -> None:
    r = create_key(live, new_uid(live), ipWhitelist=[])
    assert r["code"] == "00000" and r["data"]["ipWhitelist"] == [], r
    assert signed(live, r["data"]).get(ASSETS)["code"] == "00000"


def test_ip_whitelist_padded_entry_admits_the_address(live: ServerProcess) -> None:
    r = create_key(live, new_uid(live), ipWhitelist=["  127.0.0.1\t"])
    assert r["code"] == "00000", r
    assert signed(live, r["data"]).get(ASSETS)["code"] == "00000"
    r = create_key(live, new_uid(live), ipWhitelist=["127.0.0.2"])
    assert signed(live, r["data"]).get(ASSETS)["code"] == "40018"


def _dual_stack() -> bool:
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as s:
            s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
            s.bind(("::", 0))
    except (OSError, AttributeError):
        return False
    return True


@pytest.fixture
def dual(tmp_path: Path) -> Iterator[ServerProcess]:
    if not _dual_stack():
        pytest.skip("no dual-stack IPv6 socket here")
    srv = ServerProcess(tmp_path / "data", ["--no-rate-limits", "--host", "::"]).start()
    yield srv
    srv.stop()


def test_ip_whitelist_written_like_the_client_address(dual: ServerProcess) -> None:
    """On a dual-stack socket an IPv4 client is seen as ``::ffff:a.b.c.d``; any spelling of
    that address (and of ``::1``) in the whitelist admits it."""
    port = dual.url.rsplit(":", 1)[1]
    v4, v6 = f"http://127.0.0.1:{port}", f"http://[::1]:{port}"
    for entry in ["::FFFF:127.0.0.1", "::ffff:7f00:1", "0:0:0:0:0:FFFF:7F00:0001"]:
        r = create_key(dual, new_uid(dual), ipWhitelist=[entry])
        assert r["data"]["ipWhitelist"] == ["::ffff:127.0.0.1"], r
        assert signed(dual, r["data"], v4).get(ASSETS)["code"] == "00000", entry
        assert signed(dual, r["data"], v6).get(ASSETS)["code"] == "40018", entry
    r = create_key(dual, new_uid(dual), ipWhitelist=["0:0:0:0:0:0:0:1"])
    assert r["data"]["ipWhitelist"] == ["::1"], r
    assert signed(dual, r["data"], v6).get(ASSETS)["code"] == "00000"


# -- passphrase -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "passphrase", ["a\x00b", "a\tb", "a\nb", "a\rb", "a\x1bb", "a\x7fb", "\x00", "a\x01"]
)
def test_passphrase_with_control_character_refused(live: ServerProcess, passphrase: str) -> None:
    r = create_key(live, new_uid(live), passphrase=passphrase)
    assert r["code"] == "40017" and "passphrase" in r["msg"], r


@pytest.mark.parametrize("passphrase", ["pässword", "密码", "smile\u263a"])
def test_passphrase_not_ascii_refused(live: ServerProcess, passphrase: str) -> None:
    r = create_key(live, new_uid(live), passphrase=passphrase)
    assert r["code"] == "40017" and "ASCII" in r["msg"], r


def test_passphrase_length(live: ServerProcess) -> None:
    r = create_key(live, new_uid(live), passphrase="p" * 65)
    assert r["code"] == "40017" and "passphrase" in r["msg"] and "64" in r["msg"], r
    r = create_key(live, new_uid(live), passphrase="p" * 64)
    assert r["code"] == "00000" and r["data"]["passphrase"] == "p" * 64, r
    assert signed(live, r["data"]).get(ASSETS)["code"] == "00000"
    r = create_key(live, new_uid(live), passphrase="  with inner spaces ~!  ")
    assert r["code"] == "00000" and r["data"]["passphrase"] == "with inner spaces ~!", r


# -- --uid of the admin CLI -------------------------------------------------------------------
def test_cli_uid_cannot_change_the_url(
    live: ServerProcess, capsys: pytest.CaptureFixture[str]
) -> None:
    uid = new_uid(live)
    code, _ = cli(capsys, live, "freeze", "--uid", uid)
    assert code == 0
    for name, trick in [("freeze", "unfreeze?"), ("account", "freeze?")]:
        code, err = cli(capsys, live, name, "--uid", f"{uid}/{trick}")
        assert code == 2 and "--uid" in err, err
    code, info = cli(capsys, live, "account", "--uid", uid)
    assert code == 0 and info["frozen"] is True
    code, _ = cli(capsys, live, "unfreeze", "--uid", f" {uid}")
    assert code == 0
    code, info = cli(capsys, live, "account", "--uid", uid)
    assert code == 0 and info["uid"] == uid and info["frozen"] is False


BODY_UID_COMMANDS = [
    ["create-key", "--passphrase", "p"],
    ["deposit", "--coin", "USDT", "--amount", "1"],
    ["withdraw", "--coin", "USDT", "--amount", "1"],
    ["transfer", "--coin", "USDT", "--amount", "1", "--from-type", "SPOT", "--to-type", "X"],
]
PATH_UID_COMMANDS = [["freeze"], ["unfreeze"], ["account"]]


@pytest.mark.parametrize("args", BODY_UID_COMMANDS + PATH_UID_COMMANDS)
@pytest.mark.parametrize("uid", ["abc", "1/unfreeze?", "1.5", ""])
def test_cli_uid_must_be_a_number(
    live: ServerProcess, capsys: pytest.CaptureFixture[str], args: list[str], uid: str
) -> None:
    code, err = cli(capsys, live, *args, "--uid", uid)
    assert code == 2 and "--uid" in err and "not a whole number" in err, err


def test_cli_uid_sent_as_a_number(live: ServerProcess, capsys: pytest.CaptureFixture[str]) -> None:
    uid = new_uid(live)
    code, key = cli(capsys, live, "create-key", "--uid", uid, "--passphrase", "p")
    assert code == 0 and key["uid"] == uid
    code, bill = cli(capsys, live, "deposit", "--uid", uid, "--coin", "USDT", "--amount", "5")
    assert code == 0 and bill["uid"] == uid and bill["quantity"] == "5"
    code, bill = cli(capsys, live, "withdraw", "--uid", uid, "--coin", "USDT", "--amount", "1")
    assert code == 0 and bill["uid"] == uid
    move = ["--coin", "USDT", "--amount", "1", "--from-type", "SPOT", "--to-type", "CONTRACT"]
    code, rec = cli(capsys, live, "transfer", "--uid", uid, *move)
    assert code == 0 and rec["amount"] == "1"


@pytest.mark.parametrize("args", BODY_UID_COMMANDS + PATH_UID_COMMANDS)
@pytest.mark.parametrize("uid", ["-5", "-1", "99999999999999999999", "1" + "0" * 30])
def test_cli_uid_out_of_range_is_refused_before_any_request(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, args: list[str], uid: str
) -> None:
    def no_request(*_: Any, **__: Any) -> Any:
        raise AssertionError("a request was sent")

    monkeypatch.setattr(httpx, "request", no_request)
    argv = ["admin", *args, "--uid", uid, "--url", "http://127.0.0.1:9", "--admin-token", "t"]
    with pytest.raises(SystemExit) as done:
        main(argv)
    err = capsys.readouterr().err
    top = PATH_UID_MAX if args in PATH_UID_COMMANDS else UID_MAX
    assert done.value.code == 2, err
    assert f"argument --uid: must be a uid from 0 to {top}: '{uid}'" in err, err


def test_cli_uid_range_is_the_servers(
    live: ServerProcess, capsys: pytest.CaptureFixture[str]
) -> None:
    # the largest uid the CLI lets through reaches the server, which looks the account up
    deposit = ["deposit", "--coin", "USDT", "--amount", "1"]
    code, err = cli(capsys, live, *deposit, "--uid", str(UID_MAX))
    assert code == 1 and "error 40040" in err, err
    for name in ("freeze", "unfreeze", "account"):
        code, err = cli(capsys, live, name, "--uid", str(PATH_UID_MAX))
        assert code == 1 and "error 40040" in err, err
    # one more, which the CLI refuses, the server refuses too
    body = {"uid": UID_MAX + 1, "coin": "USDT", "amount": "1"}
    assert post(live, "/deposits", body)["code"] == "40017"
    assert post(live, f"/accounts/{PATH_UID_MAX + 1}/freeze", {})["code"] == "40404"
    for args, top in ((deposit, UID_MAX), (["freeze"], PATH_UID_MAX)):
        code, err = cli(capsys, live, *args, "--uid", str(top + 1))
        assert code == 2 and "must be a uid from 0 to" in err, err


@pytest.mark.parametrize(
    ("token", "says"),
    [
        ("tökén", "printable ASCII"),
        (" sp ", "whitespace"),
        ("tab\there", "printable ASCII"),
    ],
)
def test_cli_admin_token_that_http_cannot_carry_is_refused(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, token: str, says: str
) -> None:
    """Refused with a message, before any request (an HTTP client would fail to send it, or
    drop its spaces and be told the token is wrong)."""

    def no_request(*_: Any, **__: Any) -> Any:
        raise AssertionError("a request was sent")

    monkeypatch.setattr(httpx, "request", no_request)
    with pytest.raises(SystemExit) as done:
        main(["admin", "create-account", "--url", "http://127.0.0.1:9", "--admin-token", token])
    message = str(done.value.code)
    assert message.startswith("openweex: the admin token (--admin-token)") and says in message
    assert token not in message  # a secret is never echoed


def test_cli_admin_token_file_that_cannot_be_read(tmp_path: Path) -> None:
    (tmp_path / "admin-token").mkdir()
    with pytest.raises(SystemExit) as done:
        main(["admin", "create-account", "--url", "http://127.0.0.1:9", "--data-dir",
              str(tmp_path), "--admin-token", ""])  # fmt: skip
    assert str(done.value.code).startswith("openweex: cannot read the admin token in ")


def test_bounded_numbers_take_any_size_of_int() -> None:
    from openweex.cli_admin import bounded_number

    parse = bounded_number(int, "0 or more", 0)
    assert parse("1" + "0" * 400) == 10**400
    with pytest.raises(argparse.ArgumentTypeError):
        parse("-" + "1" * 400)
    floats = bounded_number(float, "a finite number", 0)
    for text in ("inf", "nan", "1e400"):
        with pytest.raises(argparse.ArgumentTypeError):
            floats(text)
