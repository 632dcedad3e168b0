"""A client that stops reading is dropped when its queue overflows; others keep receiving.

In-process server: send queue of 4,096 frames and a small socket send buffer, so that the
non-reading client backs up after about forty batches. The load is batches of 50 orders
(100 private frames each, all queued by one command). Every test runs twice: with frames
written directly to the transports (the server's own protocol) and through the ASGI send.
"""

from __future__ import annotations

from pathlib import Path

from openweex.api.ws.conn import WsConfig
from tests.ws.support import (
    PATHS,
    PRIVATE,
    AsyncRest,
    RawSubscriber,
    RestUser,
    WsClient,
    in_process,
    loads,
)

BATCH = [
    {"side": "buy", "orderType": "limit", "price": "1", "quantity": "0.001", "force": "normal"}
] * 50


@PATHS
async def test_slow_consumer_is_dropped_others_keep_up(tmp_path: Path, direct: bool) -> None:
    # room for forty batches: a reader that keeps up is never near the bound, while one that
    # never reads reaches it after about forty. The reader that keeps up shares this
    # process's GIL with the server and its read-model thread: with room for ten, it fell
    # that far behind in about one run of five.
    config = WsConfig(queue_size=4096, close_timeout_s=0.2)
    srv = in_process(tmp_path / "data", ws_config=config, sndbuf=8192, direct=direct)
    try:
        user = RestUser(srv, {"USDT": "1000000"})
        key = user.listen_key()
        fast = await WsClient.open(srv.ws_url, key, max_queue=None)  # never stops reading
        await fast.subscribe(*PRIVATE)
        slow = RawSubscriber(srv.url, f"/ws?listenKey={key}", PRIVATE)
        rest = AsyncRest(srv, user.user)
        hub = srv.api.hub if srv.api is not None else None
        sinks = srv.call(lambda: [c.sink is not None for c in hub.conns] if hub else [])
        assert sinks == [direct, direct]
        batches = 0
        while srv.call(lambda: hub.dropped_total if hub else 0) == 0:
            body = {"symbol": "BTCUSDT_SPBL", "orderList": BATCH}
            r = await rest.post("/api/spot/v1/trade/batch-orders", body)
            assert r["code"] == "00000", r
            batches += 1
            assert batches < 100, "the slow consumer was never dropped"
        for _ in range(2):  # the others go on
            await rest.post(
                "/api/spot/v1/trade/batch-orders", {"symbol": "BTCUSDT_SPBL", "orderList": BATCH}
            )
        await rest.close()
        got = await fast.drain(timeout=10)
        assert len(got) == 100 * (batches + 2)
        ids = [f["d"]["i"] for f in got if f["c"] == PRIVATE[0]]
        assert ids == sorted(ids, key=int) and len(set(ids)) == len(ids)
        assert srv.call(lambda: len(hub.conns) if hub else 0) == 1
        frames = slow.read_to_end()
        texts = [loads(p) for op, p in frames if op == 1]
        assert texts[0] == {"id": 0, "code": 0, "msg": ",".join(PRIVATE)}
        pushed = texts[1:]
        if pushed[-1].get("code") == 16:  # the notice, when the socket let it through
            assert "read fast enough" in pushed.pop()["msg"]
        # what it did get is the start of the stream, in order, with no gap
        assert 0 < len(pushed) < len(got)
        assert pushed == got[: len(pushed)]
        await fast.close()
    finally:
        srv.stop()
