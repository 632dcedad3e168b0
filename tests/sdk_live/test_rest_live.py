"""Every method of the sync ``Client`` against the real server over loopback."""

from __future__ import annotations

import time
from decimal import ROUND_HALF_EVEN, Decimal

import pytest

from openweex.client import (
    Client,
    Force,
    ListenKeyNotFoundError,
    OrderRequest,
    OrderStatus,
    OrderType,
    Side,
)
from tests.support.server import ServerProcess, User

from .helpers import BTC, client_for


def test_public_endpoints(live: ServerProcess) -> None:
    with Client(live.url) as c:
        assert abs(c.get_server_time() - time.time() * 1000) < 5000
        coins = {currency.coin_name.upper() for currency in c.get_currencies()}
        assert {"BTC", "USDT", "ETH"} <= coins
        symbols = [product.symbol for product in c.get_products()]
        assert BTC in symbols and "ETHUSDT_SPBL" in symbols
        product = c.get_product(BTC)
        assert (product.base_coin, product.quote_coin) == ("BTC", "USDT")
        assert product.min_trade_amount > 0 and product.price_scale >= 0


def _trade(maker: Client, taker: Client) -> tuple[str, str]:
    """The maker rests 0.5 BTC at 30000; the taker buys 0.2 of it. Returns both order ids."""
    sell = maker.place_order(BTC, Side.SELL, OrderType.LIMIT, "0.5", price="30000")
    buy = taker.place_order(BTC, "buy", "limit", Decimal("0.2"), price=Decimal("30000"))
    return sell.order_id, buy.order_id


def test_market_endpoints_after_a_trade(client: Client, counterparty: Client) -> None:
    _trade(client, counterparty)
    ticker = client.get_ticker(BTC)
    assert ticker.close == Decimal("30000")
    assert ticker.base_vol >= Decimal("0.2")
    assert any(t.close == Decimal("30000") for t in client.get_tickers())
    trades = client.get_recent_trades(BTC, limit=5)
    assert trades[0].fill_price == Decimal("30000")
    assert trades[0].fill_quantity == Decimal("0.2")
    assert trades[0].side is Side.BUY
    candles = client.get_candles(BTC, "1min", limit=5)
    assert candles and candles[-1].close == Decimal("30000")
    book = client.get_depth(BTC, limit=5)
    assert any(level.price == Decimal("30000") for level in book.asks)
    assert book.timestamp > 0
    assert book.version is not None and int(book.version) > 0  # the increase.depth ``r``
    # the best ask (0.3 BTC left at 30000) as the ticker's Bitget v1 extras give it
    ticker = client.get_ticker(BTC)
    assert (ticker.best_ask, ticker.ask_size) == (book.asks[0].price, book.asks[0].quantity)
    assert ticker.best_ask == Decimal("30000") and ticker.open_utc0 is not None
    assert ticker.change_24h is not None and ticker.change_utc is not None
    if ticker.open_utc0:  # the change since 00:00 UTC, from the ticker's own prices
        want = (ticker.close - ticker.open_utc0) / ticker.open_utc0
        assert ticker.change_utc == want.quantize(Decimal("1e-6"), ROUND_HALF_EVEN)


def test_orders_lifecycle(client: Client, counterparty: Client) -> None:
    sell_id, buy_id = _trade(client, counterparty)
    order = client.get_order(BTC, sell_id)
    assert order.status is OrderStatus.PARTIAL_FILL
    assert order.fill_quantity == Decimal("0.2") and order.fill_price == Decimal("30000")
    assert [o.order_id for o in client.get_open_orders(BTC)] == [sell_id]
    assert [o.order_id for o in client.get_open_orders()] == [sell_id]  # openweex: any symbol
    assert counterparty.get_order(BTC, buy_id).status is OrderStatus.FULL_FILL
    fills = client.get_fills(BTC, order_id=sell_id)
    assert len(fills) == 1
    assert fills[0].side is Side.SELL and fills[0].fill_quantity == Decimal("0.2")
    assert fills[0].fees > 0 and fills[0].fee_ccy
    assert client.cancel_order(BTC, sell_id) == sell_id
    assert client.get_open_orders(BTC) == []
    history = client.get_order_history(BTC)
    assert history[0].order_id == sell_id and history[0].status is OrderStatus.CANCELLED


def test_client_order_ids_and_forces(client: Client) -> None:
    placed = client.place_order(
        BTC, "buy", "limit", "0.01", price="1000", force=Force.POST_ONLY, client_order_id="my-1"
    )
    assert placed.client_order_id == "my-1"
    by_client_id = client.get_order(client_order_id="my-1")
    assert by_client_id.order_id == placed.order_id
    assert by_client_id.client_order_id == "my-1"
    client.cancel_order(BTC, placed.order_id)


def test_batches(client: Client) -> None:
    requests = [
        OrderRequest("buy", "0.01", price=str(1000 + i), client_order_id=f"b-{i}") for i in range(3)
    ]
    result = client.place_batch_orders(BTC, requests)
    assert [p.client_order_id for p in result.placed] == ["b-0", "b-1", "b-2"]
    assert result.failed == ()
    ids = [p.order_id for p in result.placed]
    assert sorted(o.order_id for o in client.get_open_orders(BTC)) == sorted(ids)
    assert sorted(client.cancel_batch_orders(BTC, ids)) == sorted(ids)
    assert client.get_open_orders(BTC) == []


def test_batch_with_a_refused_order(client: Client) -> None:
    requests = [
        OrderRequest("buy", "0.01", price="1000", client_order_id="ok-1"),
        OrderRequest("buy", "1000", price="1000", client_order_id="too-big"),
    ]
    result = client.place_batch_orders(BTC, requests)
    assert [p.client_order_id for p in result.placed] == ["ok-1"]
    assert [f.client_order_id for f in result.failed] == ["too-big"]
    assert result.failed[0].error_code == "43012"


def test_account_endpoints(live: ServerProcess, user: User, client: Client) -> None:
    assets = {a.coin_name.upper(): a for a in client.get_assets()}
    assert assets["USDT"].available == Decimal("100000")
    assert assets["BTC"].available == Decimal("10")
    client.place_order(BTC, "buy", "limit", "0.5", price="1000")
    usdt = {a.coin_name.upper(): a for a in client.get_assets()}["USDT"]
    assert usdt.frozen == Decimal("500") and usdt.available == Decimal("99500")
    assert client.get_assets(coin="usdt") == [usdt]
    assert client.get_assets(coin="ETH") == []
    bills = client.get_bills()
    assert {b.biz_type for b in bills} >= {"deposit"}
    assert all(b.bill_id for b in bills)
    usdt_id = int(assets["USDT"].coin_id)
    assert {b.coin_id for b in client.get_bills(coin_id=usdt_id)} == {str(usdt_id)}
    live.admin(
        "POST",
        "/transfers",
        {"uid": user.uid, "coin": "USDT", "amount": "7", "fromType": "SPOT", "toType": "FUNDING"},
    )
    records = client.get_transfer_records()
    assert [r.amount for r in records] == [Decimal("7")]
    assert records[0].coin_name.upper() == "USDT"
    assert records[0].transfer_id is not None and records[0].transfer_id.isdigit()


def test_listen_keys(live: ServerProcess, user: User) -> None:
    with client_for(live, user) as c:
        key = c.create_listen_key()
        assert key in c.get_listen_keys()
        c.keep_alive_listen_key(key)
        c.close_listen_key(key)
        assert key not in c.get_listen_keys()
        with pytest.raises(ListenKeyNotFoundError) as gone:
            c.keep_alive_listen_key(key)
        assert gone.value.code == "40042"


def test_readme_example(live: ServerProcess, user: User) -> None:
    """The SDK example of README.md, as written there (with this test's credentials)."""
    c = Client(live.url, api_key=user.api_key, secret_key=user.secret, passphrase=user.passphrase)
    assert c.get_server_time() > 0
    placed = c.place_order("BTCUSDT_SPBL", "buy", "limit", Decimal("0.01"), price=Decimal("60000"))
    assert c.get_order("BTCUSDT_SPBL", placed.order_id).order_id == placed.order_id
    assert c.get_depth("BTCUSDT_SPBL").bids
    c.cancel_order("BTCUSDT_SPBL", placed.order_id)  # the books are shared by the tests
    c.close()
