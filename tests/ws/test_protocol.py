"""The ``/ws`` request protocol: PING, (UN)SUBSCRIPTION acks, errors, limits."""

from __future__ import annotations

import pytest
from websockets.exceptions import ConnectionClosed

from tests.support.server import ServerProcess
from tests.ws.support import PRIVATE, RestUser, WsClient

DEALS = "spot@public.deals.v3.api@BTCUSDT"


async def test_ping_in_every_spelling(ws_server: ServerProcess) -> None:
    c = await WsClient.open(ws_server.ws_url)
    try:
        assert await c.request("PING") == {"id": 0, "code": 0, "msg": "PONG"}
        assert await c.request("ping") == {"id": 0, "code": 0, "msg": "PONG"}
        assert await c.request("Ping", id=7) == {"id": 7, "code": 0, "msg": "PONG"}
        await c.send("ping")
        assert await c.reply() == {"id": 0, "code": 0, "msg": "PONG"}
    finally:
        await c.close()


@pytest.mark.parametrize(
    ("message", "code"),
    [
        ("not json", 1),
        ("[1, 2]", 1),
        ('{"params": []}', 1),
        ('{"method": 5}', 1),
        ('{"method": "SUBSCRIPTION"}', 1),
        ('{"method": "SUBSCRIPTION", "params": "x"}', 1),
        ('{"method": "SUBSCRIPTION", "params": []}', 1),
        ('{"method": "SUBSCRIPTION", "params": [1]}', 1),
        ('{"method": "FOO"}', 1),
        ('{"method": "SUBSCRIPTION", "params": ["spot@public.deals.v3.api@NOPE"]}', 2),
        ('{"method": "SUBSCRIPTION", "params": ["spot@public.nothing.v3.api@BTCUSDT"]}', 2),
        ('{"method": "SUBSCRIPTION", "params": ["spot@public.deals.v3.api"]}', 2),
        ('{"method": "SUBSCRIPTION", "params": ["spot@public.kline.v3.api@BTCUSDT@Hour2"]}', 2),
        ('{"method": "SUBSCRIPTION", "params": ["spot@public.kline.v3.api@BTCUSDT"]}', 2),
        ('{"method": "SUBSCRIPTION", "params": ["spot@public.limit.depth.v3.api@BTCUSDT@7"]}', 2),
        ('{"method": "UNSUBSCRIPTION", "params": ["nonsense"]}', 2),
        ('{"method": "SUBSCRIPTION", "params": ["spot@private.orders.v3.api"]}', 3),
    ],
)
async def test_bad_requests_get_an_error_and_the_connection_stays(
    ws_server: ServerProcess, message: str, code: int
) -> None:
    c = await WsClient.open(ws_server.ws_url)
    try:
        await c.send(message)
        reply = await c.reply()
        assert reply["id"] == 0 and reply["code"] == code and reply["msg"], reply
        assert await c.request("PING") == {"id": 0, "code": 0, "msg": "PONG"}
    finally:
        await c.close()


async def test_a_message_over_1_mib_closes_the_connection_with_1009(
    ws_server: ServerProcess,
) -> None:
    """1 MiB is read and answered (an error reply); one byte more closes with 1009."""
    c = await WsClient.open(ws_server.ws_url)
    try:
        await c.send("x" * (1 << 20))
        assert (await c.reply())["code"] == 1
        await c.send("x" * ((1 << 20) + 1))
        with pytest.raises(ConnectionClosed) as closed:
            await c.reply()
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 1009
    finally:
        await c.close()


async def test_acks_echo_params_and_id(ws_server: ServerProcess) -> None:
    c = await WsClient.open(ws_server.ws_url)
    try:
        params = [DEALS, "spot@public.kline.v3.api@ethusdt_spbl@Min5"]
        reply = await c.request("subscription", params, id=42)
        assert reply == {"id": 42, "code": 0, "msg": ",".join(params)}
        reply = await c.request("UNSUBSCRIPTION", params[::-1], id="u1")
        assert reply == {"id": "u1", "code": 0, "msg": ",".join(params[::-1])}
    finally:
        await c.close()


async def test_thirty_subscriptions_at_most(ws_server: ServerProcess) -> None:
    names = ["BTCUSDT", "ETHUSDT", "SOLUSDT"]
    kinds = ["deals", "increase.depth", "bookTicker"]
    channels = [f"spot@public.{k}.v3.api@{s}" for s in names for k in kinds]
    intervals = ["Min1", "Min5", "Min15", "Min30", "Min60", "Hour4", "Day1"]
    channels += [f"spot@public.kline.v3.api@{s}@{i}" for s in names for i in intervals]
    assert len(channels) == 30
    c = await WsClient.open(ws_server.ws_url)
    try:
        await c.subscribe(*channels[:29])
        await c.subscribe(channels[0], channels[29])  # one already there: 30 in all
        extra = "spot@public.deals.v3.api@ETHBTC"
        reply = await c.request("SUBSCRIPTION", [extra])
        assert reply["code"] == 4 and "30" in reply["msg"], reply
        await c.subscribe(channels[0])  # re-subscribing is still fine
        await c.request("UNSUBSCRIPTION", [channels[0]])
        await c.subscribe(extra)
        reply = await c.request("SUBSCRIPTION", [channels[0]])
        assert reply["code"] == 4, reply
    finally:
        await c.close()


async def test_symbol_forms_and_all_or_nothing(ws_server: ServerProcess) -> None:
    maker = RestUser(ws_server, {"BTC": "1"})
    taker = RestUser(ws_server, {"USDT": "100000"})
    spbl = "spot@public.deals.v3.api@BTCUSDT_SPBL"
    short = await WsClient.open(ws_server.ws_url)
    long = await WsClient.open(ws_server.ws_url)
    failed = await WsClient.open(ws_server.ws_url)
    try:
        await short.subscribe("spot@public.deals.v3.api@btcusdt")
        await long.subscribe(spbl)
        reply = await failed.request("SUBSCRIPTION", [DEALS, "spot@public.deals.v3.api@X"])
        assert reply["code"] == 2, reply
        maker.order(side="sell", orderType="limit", price="20000", quantity="0.01")
        taker.order(side="buy", orderType="limit", price="20000", quantity="0.01")
        got_short, got_long = await short.drain(), await long.drain()
        assert [f["c"] for f in got_short] == [DEALS]
        assert [f["c"] for f in got_long] == [spbl]
        # ``s`` is the symbol as the channel spells it (MEXC's form, or WEEX's)
        assert (got_short[0]["s"], got_long[0]["s"]) == ("BTCUSDT", "BTCUSDT_SPBL")
        assert got_short[0]["d"] == got_long[0]["d"]
        assert await failed.drain() == []
        await short.request("UNSUBSCRIPTION", [DEALS])
        maker.order(side="sell", orderType="limit", price="20000", quantity="0.01")
        taker.order(side="buy", orderType="limit", price="20000", quantity="0.01")
        assert await short.drain() == []
        assert len(await long.drain()) == 1
    finally:
        for c in (short, long, failed):
            await c.close()


async def test_private_channels_with_a_key(ws_server: ServerProcess) -> None:
    user = RestUser(ws_server, {"USDT": "10"})
    c = await WsClient.open(ws_server.ws_url, user.listen_key())
    try:
        await c.subscribe(*PRIVATE, DEALS)
        assert await c.drain() == []
    finally:
        await c.close()
