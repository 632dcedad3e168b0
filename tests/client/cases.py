"""One row per endpoint: how the SDK is called, what must reach the server, what it parses.

Shared by the sync and async endpoint tests. ``call`` works on both clients (it returns
a value or a coroutine).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from openweex.client import (
    Asset,
    BatchPlaceResult,
    Bill,
    Candle,
    CandlePeriod,
    Currency,
    Fill,
    Force,
    MarketTrade,
    Order,
    OrderBook,
    OrderRequest,
    OrderStatus,
    OrderType,
    PlacedOrder,
    Product,
    Side,
    Ticker,
    TransferRecord,
)

from . import golden

SYM = "BTCUSDT_SPBL"
PUB = "/api/spot/v1/public"
MKT = "/api/spot/v1/market"
ACC = "/api/spot/v1/account"
TRD = "/api/spot/v1/trade"
UDS = "/api/v3/userDataStream"
LK = "pqia91ma19a5s61cv6a81va65sdf19v8a65a1a5s61cv6a81va65sdf19v8a65a1"


@dataclass(frozen=True)
class Case:
    id: str
    call: Callable[[Any], Any]
    method: str
    path: str
    query: dict[str, str]
    body: Any
    reply: str
    check: Callable[[Any], None]


def _time(r: Any) -> None:
    assert r == 1622097118134


def _currencies(r: Any) -> None:
    assert [type(c) for c in r] == [Currency, Currency]
    btc = r[0]
    assert (btc.coin_id, btc.coin_name, btc.transfer) == ("1", "BTC", True)
    chain = btc.chains[0]
    assert chain.chain is None and chain.need_tag is False and chain.withdrawable is True
    assert chain.withdraw_fee == Decimal("0.005") and chain.deposit_confirm == 1
    assert r[1].chains[0].chain == "ERC20"
    assert r[1].chains[0].browser_url == "https://ropsten.etherscan.io/tx/"


def _products(r: Any) -> None:
    assert len(r) == 2 and all(isinstance(p, Product) for p in r)
    p = r[0]
    assert (p.symbol, p.symbol_name, p.base_coin, p.quote_coin) == (SYM, "BTCUSDT", "BTC", "USDT")
    assert p.min_trade_amount == Decimal("0.0001") and p.max_trade_amount == Decimal("10000")
    assert p.taker_fee_rate == Decimal("0.001") and p.maker_fee_rate == Decimal("0.001")
    assert (p.price_scale, p.quantity_scale, p.status) == (4, 8, "online")


def _product(r: Any) -> None:
    assert isinstance(r, Product) and r.symbol == SYM and r.quantity_scale == 8


def _ticker(r: Any) -> None:
    assert isinstance(r, Ticker)
    assert r.symbol == "BTCUSDT" and r.close == Decimal("34413.1") and r.ts == 1625125755277
    assert r.high_24h == r.low_24h == Decimal("34413.1") and r.usdt_vol == 0


def _tickers(r: Any) -> None:
    assert len(r) == 1 and isinstance(r[0], Ticker) and r[0].base_vol == 0


def _trades(r: Any) -> None:
    assert [type(t) for t in r] == [MarketTrade, MarketTrade]
    assert r[0].trade_id == "781698148534505473" and r[0].side is Side.BUY
    assert r[0].fill_price == Decimal("2.38735") and r[0].fill_quantity == Decimal("2470.6224")
    assert r[0].fill_time == 1622097282536 and r[1].side is Side.SELL


def _candles(r: Any) -> None:
    assert [type(c) for c in r] == [Candle, Candle]
    c = r[0]
    assert c.ts == 1622091360000 and c.open == Decimal("2.34517") and c.high == Decimal("2.34771")
    assert c.low == Decimal("2.34214") and c.close == Decimal("2.34555")
    assert c.base_vol == Decimal("80862.6823") and c.quote_vol == Decimal("189631.101357091")
    assert r[1].ts > r[0].ts


def _depth(r: Any) -> None:
    assert isinstance(r, OrderBook) and r.timestamp == 1622102974025
    assert (r.asks[0].price, r.asks[0].quantity) == (Decimal("38084.5"), Decimal("0.0039"))
    assert r.bids[0].quantity == Decimal("0.4993000000000000") and len(r.bids) == 4


def _assets(r: Any) -> None:
    assert len(r) == 1 and isinstance(r[0], Asset)
    a = r[0]
    assert (a.coin_id, a.coin_name, a.available, a.frozen, a.lock) == (
        "10012",
        "usdt",
        Decimal(0),
        Decimal(0),
        Decimal(0),
    )
    assert a.u_time == 1622697148000  # seconds on the wire, ms in the model


def _bills(r: Any) -> None:
    b = r[0]
    assert isinstance(b, Bill) and b.bill_id == "1291" and b.c_time == 1622697148000
    assert (b.group_type, b.biz_type, b.quantity, b.balance, b.fees) == (
        "deposit",
        "transfer-in",
        Decimal(1),
        Decimal(1),
        Decimal(0),
    )


def _transfers(r: Any) -> None:
    t = r[0]
    assert isinstance(t, TransferRecord) and t.amount == Decimal("1000.00000000")
    assert (t.to_type, t.from_type, t.from_symbol, t.to_symbol) == (
        "USD_MIX",
        "CONTRACT",
        "BTC/USD",
        "",
    )
    assert t.trade_time == 1631070374488 and t.status == "SUCCESS"


def _placed(r: Any) -> None:
    assert r == PlacedOrder(order_id="1001", client_order_id="hgXjh89AsxleMSw")


def _batch(r: Any) -> None:
    assert isinstance(r, BatchPlaceResult) and r.failed == ()
    assert r.placed == (PlacedOrder("1001", "hgXjh89AsxleMSw"),)


def _cancelled(r: Any) -> None:
    assert r == "1001"


def _cancelled_batch(r: Any) -> None:
    assert r == ["1001", "1002"]


def _order(r: Any) -> None:
    assert isinstance(r, Order)
    assert (r.order_id, r.client_order_id, r.symbol) == ("2222222", "xxxxxxx", "btcusdt_spbl")
    assert r.price == Decimal("34245.12") and r.quantity == 1
    assert (r.order_type, r.side, r.status) == (OrderType.LIMIT, Side.BUY, OrderStatus.NEW)
    assert r.c_time == 1622697148000 and r.force is None and r.account_id == "10012"


def _open_orders(r: Any) -> None:
    assert len(r) == 1 and r[0].price == Decimal("34829.12")


def _history(r: Any) -> None:
    assert len(r) == 1 and r[0].fill_total_amount == Decimal("34982.12")


def _fills(r: Any) -> None:
    f = r[0]
    assert isinstance(f, Fill) and (f.fill_id, f.order_id) == ("102211", "100021")
    assert f.fees == Decimal("0.0001") and f.fee_ccy == "btc" and f.side is Side.BUY


def _listen_key(r: Any) -> None:
    assert r == LK


def _listen_keys(r: Any) -> None:
    assert len(r) == 3 and r[0].startswith("c285bc")


def _none(r: Any) -> None:
    assert r is None


BATCH = [
    OrderRequest(Side.BUY, Decimal("0.5"), OrderType.LIMIT, Decimal("30000"), client_order_id="a1"),
    OrderRequest("sell", "10", "market"),
]

CASES = [
    Case("time", lambda c: c.get_server_time(), "GET", f"{PUB}/time", {}, None, golden.TIME, _time),
    Case(
        "currencies",
        lambda c: c.get_currencies(),
        "GET",
        f"{PUB}/currencies",
        {},
        None,
        golden.CURRENCIES,
        _currencies,
    ),
    Case(
        "products",
        lambda c: c.get_products(),
        "GET",
        f"{PUB}/products",
        {},
        None,
        golden.PRODUCTS,
        _products,
    ),
    Case(
        "product",
        lambda c: c.get_product(SYM),
        "GET",
        f"{PUB}/product",
        {"symbol": SYM},
        None,
        golden.PRODUCT,
        _product,
    ),
    Case(
        "ticker",
        lambda c: c.get_ticker(SYM),
        "GET",
        f"{MKT}/ticker",
        {"symbol": SYM},
        None,
        golden.TICKER,
        _ticker,
    ),
    Case(
        "tickers",
        lambda c: c.get_tickers(),
        "GET",
        f"{MKT}/tickers",
        {},
        None,
        golden.TICKERS,
        _tickers,
    ),
    Case(
        "recent_trades",
        lambda c: c.get_recent_trades(SYM, limit=2),
        "GET",
        f"{MKT}/fills",
        {"symbol": SYM, "limit": "2"},
        None,
        golden.MARKET_FILLS,
        _trades,
    ),
    Case(
        "candles",
        lambda c: c.get_candles(SYM, CandlePeriod.MIN1, after=1622091300000, limit=2),
        "GET",
        f"{MKT}/candles",
        {"symbol": SYM, "period": "1min", "after": "1622091300000", "limit": "2"},
        None,
        golden.CANDLES,
        _candles,
    ),
    Case(
        "depth",
        lambda c: c.get_depth(SYM, merge="step1", limit=20),
        "GET",
        f"{MKT}/depth",
        {"symbol": SYM, "type": "step1", "limit": "20"},
        None,
        golden.DEPTH,
        _depth,
    ),
    Case(
        "assets",
        lambda c: c.get_assets(),
        "GET",
        f"{ACC}/assets",
        {},
        None,
        golden.ASSETS,
        _assets,
    ),
    Case(
        "bills",
        lambda c: c.get_bills(coin_id=22, group_type="deposit", after="1300", limit=100),
        "POST",
        f"{ACC}/bills",
        {},
        {"coinId": 22, "groupType": "deposit", "after": "1300", "limit": 100},
        golden.BILLS,
        _bills,
    ),
    Case(
        "transfer_records",
        lambda c: c.get_transfer_records(coin_id=1, from_type="CONTRACT", limit=10),
        "GET",
        f"{ACC}/transferRecords",
        {"coinId": "1", "fromType": "CONTRACT", "limit": "10"},
        None,
        golden.TRANSFER_RECORDS,
        _transfers,
    ),
    Case(
        "place_order",
        lambda c: c.place_order(
            SYM,
            Side.BUY,
            OrderType.LIMIT,
            Decimal("0.01"),
            price=Decimal("30000.5"),
            force=Force.POST_ONLY,
            client_order_id="hgXjh89AsxleMSw",
        ),
        "POST",
        f"{TRD}/orders",
        {},
        {
            "symbol": SYM,
            "side": "buy",
            "orderType": "limit",
            "force": "post_only",
            "price": "30000.5",
            "quantity": "0.01",
            "clientOrderId": "hgXjh89AsxleMSw",
        },
        golden.PLACE_ORDER,
        _placed,
    ),
    Case(
        "batch_orders",
        lambda c: c.place_batch_orders(SYM, BATCH),
        "POST",
        f"{TRD}/batch-orders",
        {},
        {
            "symbol": SYM,
            "orderList": [
                {
                    "side": "buy",
                    "orderType": "limit",
                    "force": "normal",
                    "price": "30000",
                    "quantity": "0.5",
                    "clientOrderId": "a1",
                },
                {"side": "sell", "orderType": "market", "force": "normal", "quantity": "10"},
            ],
        },
        golden.BATCH_ORDERS,
        _batch,
    ),
    Case(
        "cancel_order",
        lambda c: c.cancel_order(SYM, "1001"),
        "POST",
        f"{TRD}/cancel-order",
        {},
        {"symbol": SYM, "orderId": "1001"},
        golden.CANCEL_ORDER,
        _cancelled,
    ),
    Case(
        "cancel_batch_orders",
        lambda c: c.cancel_batch_orders(SYM, ["1001", "1002"]),
        "POST",
        f"{TRD}/cancel-batch-orders",
        {},
        {"symbol": SYM, "orderIds": ["1001", "1002"]},
        golden.CANCEL_BATCH,
        _cancelled_batch,
    ),
    Case(
        "get_order",
        lambda c: c.get_order(SYM, "2222222"),
        "POST",
        f"{TRD}/orderInfo",
        {},
        {"symbol": SYM, "orderId": "2222222"},
        golden.ORDER_INFO,
        _order,
    ),
    Case(
        "get_order_by_client_id",
        lambda c: c.get_order(client_order_id="xxxxxxx"),
        "POST",
        f"{TRD}/orderInfo",
        {},
        {"clientOrderId": "xxxxxxx"},
        golden.ORDER_INFO,
        _order,
    ),
    Case(
        "open_orders",
        lambda c: c.get_open_orders(SYM),
        "POST",
        f"{TRD}/open-orders",
        {},
        {"symbol": SYM},
        golden.OPEN_ORDERS,
        _open_orders,
    ),
    Case(
        "order_history",
        lambda c: c.get_order_history(SYM, after="2222223", limit=500),
        "POST",
        f"{TRD}/history",
        {},
        {"symbol": SYM, "after": "2222223", "limit": 500},
        golden.HISTORY,
        _history,
    ),
    Case(
        "fills",
        lambda c: c.get_fills(SYM, order_id="100021", before="102200", limit=5),
        "POST",
        f"{TRD}/fills",
        {},
        {"symbol": SYM, "orderId": "100021", "before": "102200", "limit": 5},
        golden.FILLS,
        _fills,
    ),
    Case(
        "create_listen_key",
        lambda c: c.create_listen_key(),
        "POST",
        UDS,
        {},
        {},
        golden.LISTEN_KEY,
        _listen_key,
    ),
    Case(
        "get_listen_keys",
        lambda c: c.get_listen_keys(),
        "GET",
        UDS,
        {},
        None,
        golden.LISTEN_KEYS,
        _listen_keys,
    ),
    Case(
        "keep_alive_listen_key",
        lambda c: c.keep_alive_listen_key(LK),
        "PUT",
        UDS,
        {"listenKey": LK},
        None,
        golden.LISTEN_KEY,
        _none,
    ),
    Case(
        "close_listen_key",
        lambda c: c.close_listen_key(LK),
        "DELETE",
        UDS,
        {"listenKey": LK},
        None,
        golden.LISTEN_KEY,
        _none,
    ),
]
