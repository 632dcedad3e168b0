"""The third-party Bitget spot v1 client ``python-bitget`` (module ``pybitget``) against the real
server, with only its base URL changed: a bot written for Bitget spot v1 must work unchanged.

One server for the module; every test opens its own accounts (and cancels what they leave
resting), so tests do not see each other's orders or balances. The market-data tests read a
symbol no other test trades.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pybitget.client
import pytest
from loguru import logger
from pybitget import Client
from pybitget.exceptions import BitgetAPIException

from tests.support.server import ServerProcess, User

BTC = "BTCUSDT_SPBL"
ETH = "ETHUSDT_SPBL"  # traded only by the ``market`` fixture
FUNDS = {"USDT": "100000", "BTC": "10"}
NOT_FOUND = "Request path not found"


# --------------------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def srv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """One real ``openweex serve --no-rate-limits``; pybitget pointed at it, and quiet."""
    server = ServerProcess(tmp_path_factory.mktemp("pybitget") / "data", ["--no-rate-limits"])
    server.start()
    try:
        with pytest.MonkeyPatch.context() as mp:
            # client.py does ``from pybitget.enums import *``: its own API_URL is the one read
            mp.setattr(pybitget.client, "API_URL", server.url)
            mp.setenv("no_proxy", "127.0.0.1,localhost")  # requests: loopback only
            logger.disable("pybitget")  # "pls check args" when pybitget refuses its arguments
            try:
                yield server
            finally:
                logger.enable("pybitget")
    finally:
        server.stop()


@dataclass
class Account:
    user: User
    client: Client

    def assets(self) -> dict[str, tuple[str, str]]:
        """coin -> (available, frozen)."""
        return {
            a["coinName"]: (a["available"], a["frozen"])
            for a in ok(self.client.spot_get_account_assets())
        }

    def order(self, order_id: str, symbol: str = BTC) -> dict[str, Any]:
        orders = ok(self.client.spot_get_order_details(symbol, order_id))
        assert len(orders) == 1, orders
        return orders[0]

    def place(self, *args: Any, symbol: str = BTC, **kwargs: Any) -> str:
        """Place an order; its orderId."""
        return ok(self.client.spot_place_order(symbol, *args, **kwargs))["orderId"]


def _account(srv: ServerProcess, funds: dict[str, str]) -> Account:
    user = srv.new_user(funds)
    return Account(user, Client(user.api_key, user.secret, user.passphrase))


def _cancel_all(account: Account) -> None:
    by_symbol: dict[str, list[str]] = {}
    for o in ok(account.client.spot_get_open_orders()):
        by_symbol.setdefault(o["symbol"], []).append(o["orderId"])
    for symbol, ids in by_symbol.items():
        account.client.spot_cancel_batch_orders(symbol, ids)


@pytest.fixture
def trader(srv: ServerProcess) -> Iterator[Account]:
    """A fresh account with 100000 USDT and 10 BTC; its resting orders are cancelled after."""
    account = _account(srv, FUNDS)
    yield account
    _cancel_all(account)


@pytest.fixture
def maker(srv: ServerProcess) -> Iterator[Account]:
    """A second fresh account (the counterparty), with the same funds and cleanup."""
    account = _account(srv, FUNDS)
    yield account
    _cancel_all(account)


@pytest.fixture(scope="module")
def market(srv: ServerProcess) -> Account:
    """ETHUSDT_SPBL with two trades (0.5 @ 2000, then 0.1 @ 2100) and a book of one ask
    (0.2 @ 2100) and one bid (0.4 @ 1900). Returns the taker.

    The tests read today's and this week's candles and the price at 00:00 UTC: close to
    midnight UTC, the trades are made after it, so that the module's tests see one day."""
    to_midnight = DAY_MS - now_ms() % DAY_MS
    if to_midnight < 30_000:
        time.sleep(to_midnight / 1000 + 0.1)
    mm = _account(srv, {"USDT": "100000", "ETH": "10"})
    taker = _account(srv, {"USDT": "100000"})
    mm.place("0.5", "sell", "limit", "normal", price="2000", symbol=ETH)
    mm.place("0.3", "sell", "limit", "normal", price="2100", symbol=ETH)
    mm.place("0.4", "buy", "limit", "normal", price="1900", symbol=ETH)
    taker.place("0.5", "buy", "limit", "normal", price="2000", symbol=ETH)
    taker.place("0.1", "buy", "limit", "normal", price="2100", symbol=ETH)
    return taker


# --------------------------------------------------------------------------- helpers
def ok(response: Any) -> Any:
    """The ``data`` of a success envelope, as pybitget hands it back."""
    assert isinstance(response, dict), response
    assert response["code"] == "00000", response
    assert response["msg"] == "success", response
    assert isinstance(response["requestTime"], int), response
    return response["data"]


def api_error(call: Callable[..., Any], *args: Any, **kwargs: Any) -> BitgetAPIException:
    """The exception pybitget raises for an error answer (any HTTP status but 2xx)."""
    with pytest.raises(BitgetAPIException) as info:
        call(*args, **kwargs)
    err = info.value
    body = err.response.json()
    assert body["code"] == err.code and body["msg"] == err.message, body
    assert isinstance(body["requestTime"], int) and body["data"] is None, body
    return err


def without(item: dict[str, Any], *keys: str) -> dict[str, Any]:
    return {k: v for k, v in item.items() if k not in keys}


def now_ms() -> int:
    return time.time_ns() // 1_000_000


# --------------------------------------------------------------------------- public
BTC_PRODUCT = {
    "symbol": "BTCUSDT_SPBL",
    "symbolName": "BTCUSDT",
    "baseCoin": "BTC",
    "quoteCoin": "USDT",
    "minTradeAmount": "0.0001",
    "maxTradeAmount": "10000",
    "takerFeeRate": "0.001",
    "makerFeeRate": "0.001",
    "priceScale": "2",
    "quantityScale": "6",
    "status": "online",
}


def test_server_time(srv: ServerProcess) -> None:
    before = now_ms()
    server_time = ok(Client("", "", "").spot_get_server_time())
    assert isinstance(server_time, int)
    assert before - 1000 <= server_time <= now_ms() + 1000


def test_coin_list(srv: ServerProcess) -> None:
    coins = {c["coinName"]: c for c in ok(Client("", "", "").spot_get_coin_list())}
    assert (coins["BTC"]["coinId"], coins["USDT"]["coinId"]) == ("1", "2")
    assert coins["BTC"]["transfer"] == "true"
    assert [ch["chain"] for ch in coins["USDT"]["chains"]] == ["ERC20", "TRC20"]
    assert coins["USDT"]["chains"][0]["withdrawFee"] == "1"


def test_products_and_single_product(srv: ServerProcess) -> None:
    c = Client("", "", "")
    products = ok(c.spot_get_symbols())
    assert BTC_PRODUCT in products
    assert {p["symbol"] for p in products} >= {BTC, ETH}
    # public/product answers a list of the one product (the WEEX contract), not the object
    assert ok(c.spot_get_symbol(BTC)) == [BTC_PRODUCT]
    assert ok(c.spot_get_symbol("btcusdt_spbl")) == [BTC_PRODUCT]
    err = api_error(c.spot_get_symbol, "NOPE_SPBL")
    assert (err.status_code, err.code) == (400, "40102")


# --------------------------------------------------------------------------- market data
ETH_TICKER = {
    "symbol": "ETHUSDT",
    "high24h": "2100",
    "low24h": "2000",
    "close": "2100",
    "quoteVol": "1210",
    "baseVol": "0.6",
    "usdtVol": "1210",
    # Bitget v1 names, beyond the WEEX contract
    "openUtc0": "2000",
    "changeUtc": "0.05",
    "change": "0.05",
    "buyOne": "1900",
    "bidSz": "0.4",
    "sellOne": "2100",
    "askSz": "0.2",
}


def test_tickers(market: Account) -> None:
    c = market.client
    tickers = {t["symbol"]: t for t in ok(c.spot_get_tickers())}
    assert without(tickers["ETHUSDT"], "ts") == ETH_TICKER
    assert {"BTCUSDT", "ETHUSDT"} <= set(tickers)
    one = ok(c.spot_get_ticker(ETH))
    assert without(one, "ts") == ETH_TICKER
    assert abs(int(one["ts"]) - now_ms()) < 5000


def test_market_trades(market: Account) -> None:
    trades = ok(market.client.spot_get_market_trades(ETH))
    assert [(t["fillPrice"], t["fillQuantity"], t["side"]) for t in trades] == [
        ("2100", "0.1", "buy"),
        ("2000", "0.5", "buy"),
    ]
    assert {t["symbol"] for t in trades} == {ETH}
    assert int(trades[0]["tradeId"]) > int(trades[1]["tradeId"])
    newest = ok(market.client.spot_get_market_trades(ETH, limit=1))
    assert newest == trades[:1]


DAY_MS = 86_400_000


def test_candles_with_bitget_period_names(market: Account) -> None:
    c = market.client
    day = ok(c.spot_get_candle_data(ETH, "1day"))
    assert day == ok(c.spot_get_candle_data(ETH, "1d"))
    week = ok(c.spot_get_candle_data(ETH, "1week"))
    assert week == ok(c.spot_get_candle_data(ETH, "7d"))
    values = {
        "open": "2000",
        "high": "2100",
        "low": "2000",
        "close": "2100",
        "quoteVol": "1210",
        "baseVol": "0.6",
        "usdtVol": "1210",
    }
    assert [without(k, "ts") for k in day] == [values]
    assert [without(k, "ts") for k in week] == [values]
    day_start = int(day[0]["ts"])
    assert day_start % DAY_MS == 0 and day_start <= now_ms() < day_start + DAY_MS
    week_start = int(week[0]["ts"])
    assert week_start % DAY_MS == 0 and week_start <= day_start < week_start + 7 * DAY_MS
    # a range that ends before today has no daily candle
    assert ok(c.spot_get_candle_data(ETH, "1day", after=0, before=day_start - 1)) == []
    err = api_error(c.spot_get_candle_data, ETH, "1M")  # Bitget-only period
    assert (err.status_code, err.code) == (400, "40017")


def test_depth(market: Account) -> None:
    c = market.client
    depth = ok(c.spot_get_depth(ETH))  # pybitget's defaults: limit='150', type='step0'
    assert (depth["asks"], depth["bids"]) == ([["2100", "0.2"]], [["1900", "0.4"]])
    assert isinstance(depth["timestamp"], str)
    merged = ok(c.spot_get_depth(ETH, limit="5", type="step5"))
    # steps of 10^5 ticks (1000 USDT): bids round down, asks round up
    assert (merged["asks"], merged["bids"]) == ([["3000", "0.2"]], [["1000", "0.4"]])


# --------------------------------------------------------------------------- account
def test_assets(trader: Account) -> None:
    c = trader.client
    assets = ok(c.spot_get_account_assets())
    assert [without(a, "uTime") for a in assets] == [
        {"coinId": "1", "coinName": "btc", "available": "10", "frozen": "0", "lock": "0"},
        {"coinId": "2", "coinName": "usdt", "available": "100000", "frozen": "0", "lock": "0"},
    ]
    assert ok(c.spot_get_account_assets("USDT")) == assets[1:]
    assert ok(c.spot_get_account_assets("eth")) == []


def test_bills(trader: Account) -> None:
    c = trader.client
    bills = ok(c.spot_get_bills())
    assert [(b["coinName"], b["groupType"], b["bizType"], b["quantity"]) for b in bills] == [
        ("btc", "deposit", "deposit", "10"),
        ("usdt", "deposit", "deposit", "100000"),
    ]
    usdt = ok(c.spot_get_bills(coinId=2))
    assert usdt == bills[1:]
    assert ok(c.spot_get_bills(after=bills[0]["billId"])) == bills[1:]
    assert ok(c.spot_get_bills(groupType="Deposit", limit=1)) == bills[:1]  # pybitget's casing
    assert ok(c.spot_get_bills(groupType="transaction")) == []
    err = api_error(c.spot_get_bills, bizType="transfer in")  # pybitget's docstring spelling
    assert (err.status_code, err.code) == (400, "40017")


def test_transfer_records_with_bitget_spot_name(srv: ServerProcess, trader: Account) -> None:
    transfer = {"uid": trader.user.uid, "coin": "USDT", "amount": "5"}
    srv.admin("POST", "/transfers", {**transfer, "fromType": "SPOT", "toType": "USDT_MIX"})
    c = trader.client
    records = ok(c.spot_get_transfer_list())
    assert [without(r, "tradeTime", "transferId") for r in records] == [
        {
            "coinName": "usdt",
            "status": "SUCCESS",
            "toType": "USDT_MIX",
            "toSymbol": "",
            "fromType": "SPOT",
            "fromSymbol": "",
            "amount": "5",
        }
    ]
    # Bitget v1 (and pybitget's docstring) call the spot account "exchange"
    assert ok(c.spot_get_transfer_list(fromType="exchange")) == records
    assert ok(c.spot_get_transfer_list(fromType="EXCHANGE", coinId=2, limit=1)) == records
    assert ok(c.spot_get_transfer_list(fromType="USDT_MIX")) == []
    assert trader.assets()["usdt"] == ("99995", "0")


# --------------------------------------------------------------------------- orders lifecycle
def test_limit_sell_then_crossing_buy(trader: Account, maker: Account) -> None:
    sell = maker.place("0.5", "sell", "limit", "normal", price="30000")
    assert maker.order(sell)["status"] == "new"
    assert maker.assets()["btc"] == ("9.5", "0.5")

    placed = ok(
        trader.client.spot_place_order(
            BTC, "0.2", "buy", "limit", "normal", price="30000", clientOrderId="pb-buy-1"
        )
    )
    assert placed["clientOrderId"] == "pb-buy-1"
    buy = placed["orderId"]
    assert without(trader.order(buy), "cTime") == {
        "accountId": trader.user.uid,
        "symbol": "btcusdt_spbl",
        "orderId": buy,
        "clientOrderId": "pb-buy-1",
        "price": "30000",
        "quantity": "0.2",
        "orderType": "limit",
        "side": "buy",
        "status": "full_fill",
        "fillPrice": "30000",
        "fillQuantity": "0.2",
        "fillTotalAmount": "6000",
    }
    resting = maker.order(sell)
    assert (resting["status"], resting["fillQuantity"], resting["fillTotalAmount"]) == (
        "partial_fill",
        "0.2",
        "6000",
    )

    fills = ok(trader.client.spot_get_transaction_details(BTC, orderId=buy))
    assert [without(f, "cTime", "fillId") for f in fills] == [
        {
            "accountId": trader.user.uid,
            "symbol": "btcusdt_spbl",
            "orderId": buy,
            "orderType": "limit",
            "side": "buy",
            "fillPrice": "30000",
            "fillQuantity": "0.2",
            "fillTotalAmount": "6000",
            "feeCcy": "btc",
            "fees": "0.0002",
        }
    ]
    maker_fills = ok(maker.client.spot_get_transaction_details(BTC))
    assert [
        (f["orderId"], f["side"], f["fillQuantity"], f["feeCcy"], f["fees"]) for f in maker_fills
    ] == [(sell, "sell", "0.2", "usdt", "6")]
    # balances move by exactly the traded amounts less the 0.1% fees
    assert trader.assets() == {"btc": ("10.1998", "0"), "usdt": ("94000", "0")}
    assert maker.assets() == {"btc": ("9.5", "0.3"), "usdt": ("105994", "0")}

    assert ok(maker.client.spot_cance_order(BTC, sell)) == sell
    cancelled = maker.order(sell)
    assert (cancelled["status"], cancelled["fillQuantity"]) == ("cancelled", "0.2")
    assert maker.assets()["btc"] == ("9.8", "0")


def test_market_orders(trader: Account, maker: Account) -> None:
    maker.place("0.1", "sell", "limit", "normal", price="30000")
    maker.place("0.1", "buy", "limit", "normal", price="29000")
    # a market buy's quantity is the USDT to spend; a market sell's is the BTC to sell
    buy = trader.place("3000", "buy", "market", "normal")
    sell = trader.place("0.05", "sell", "market", "normal")
    got = [trader.order(o) for o in (buy, sell)]
    assert [(o["orderType"], o["price"], o["quantity"], o["status"]) for o in got] == [
        ("market", "0", "3000", "full_fill"),
        ("market", "0", "0.05", "full_fill"),
    ]
    assert [(o["fillPrice"], o["fillQuantity"], o["fillTotalAmount"]) for o in got] == [
        ("30000", "0.1", "3000"),
        ("29000", "0.05", "1450"),
    ]
    # + 0.1 - 0.0001 fee - 0.05 BTC; - 3000 + 1450 - 1.45 fee USDT
    assert trader.assets() == {"btc": ("10.0499", "0"), "usdt": ("98448.55", "0")}


def test_partial_fill_then_cancel(trader: Account, maker: Account) -> None:
    maker.place("0.1", "sell", "limit", "normal", price="30000")
    buy = trader.place("0.3", "buy", "limit", "normal", price="30000")
    order = trader.order(buy)
    assert (order["status"], order["fillQuantity"], order["fillTotalAmount"]) == (
        "partial_fill",
        "0.1",
        "3000",
    )
    assert [o["orderId"] for o in ok(trader.client.spot_get_open_orders(BTC))] == [buy]
    assert trader.assets()["usdt"] == ("91000", "6000")  # 0.2 left at 30000 is frozen

    assert ok(trader.client.spot_cance_order(BTC, buy)) == buy
    order = trader.order(buy)
    assert (order["status"], order["fillQuantity"]) == ("cancelled", "0.1")
    assert trader.assets() == {"btc": ("10.0999", "0"), "usdt": ("97000", "0")}
    assert ok(trader.client.spot_get_open_orders(BTC)) == []


def test_time_in_force(trader: Account, maker: Account) -> None:
    maker.place("0.1", "sell", "limit", "normal", price="30000")
    ioc = trader.place("0.3", "buy", "limit", "ioc", price="30000")
    order = trader.order(ioc)
    assert (order["status"], order["fillQuantity"]) == ("cancelled", "0.1")

    maker.place("0.1", "sell", "limit", "normal", price="30000")
    err = api_error(
        trader.client.spot_place_order, BTC, "0.3", "buy", "limit", "fok", price="30000"
    )
    assert (err.status_code, err.code) == (400, "43116")
    err = api_error(
        trader.client.spot_place_order, BTC, "0.05", "buy", "limit", "post_only", price="30000"
    )
    assert (err.status_code, err.code) == (400, "43115")
    # pybitget's docstring spells it postOnly
    rests = trader.place("0.05", "buy", "limit", "postOnly", price="29000")
    assert trader.order(rests)["status"] == "new"
    assert trader.assets()["btc"] == ("10.0999", "0")  # only the IOC filled


# --------------------------------------------------------------------------- batch
BATCH = [
    {
        "side": "buy",
        "orderType": "limit",
        "force": "normal",
        "price": "20000",
        "quantity": "0.001",
        "clientOrderId": "pb-b1",
    },
    {
        "side": "sell",
        "orderType": "limit",
        "force": "post_only",
        "price": "40000",
        "quantity": "0.001",
    },
    # JSON numbers, as a Python bot would pass them
    {
        "side": "buy",
        "orderType": "limit",
        "force": "normal",
        "price": 20000,
        "quantity": 0.002,
        "clientOrderId": "pb-b2",
    },
]


def test_batch_orders(trader: Account) -> None:
    c = trader.client
    result = ok(c.spot_place_batch_orders(BTC, BATCH))
    assert result["failure"] == []
    assert [r["clientOrderId"] for r in result["resultList"]] == ["pb-b1", "", "pb-b2"]
    ids = [r["orderId"] for r in result["resultList"]]
    assert [
        (o["orderId"], o["side"], o["price"], o["quantity"], o["status"])
        for o in ok(c.spot_get_open_orders(BTC))
    ] == [
        (ids[2], "buy", "20000", "0.002", "new"),
        (ids[1], "sell", "40000", "0.001", "new"),
        (ids[0], "buy", "20000", "0.001", "new"),
    ]

    # one item refused (its clientOrderId is taken), the other placed
    again = ok(c.spot_place_batch_orders(BTC, [BATCH[0], dict(BATCH[0], clientOrderId="pb-b3")]))
    assert [r["clientOrderId"] for r in again["resultList"]] == ["pb-b3"]
    assert [(f["clientOrderId"], f["errorCode"]) for f in again["failure"]] == [("pb-b1", "43118")]

    err = api_error(c.spot_place_batch_orders, BTC, [BATCH[1]] * 51)
    assert (err.status_code, err.code) == (400, "40912")
    assert len(ok(c.spot_get_open_orders(BTC))) == 4


# --------------------------------------------------------------------------- cancel
def test_cancel_order(trader: Account) -> None:
    c = trader.client
    first = trader.place("0.001", "buy", "limit", "normal", price="20000")
    second = trader.place("0.001", "buy", "limit", "normal", price="20001")
    assert ok(c.spot_cance_order(BTC, first)) == first
    assert trader.order(first)["status"] == "cancelled"
    err = api_error(c.spot_cance_order, BTC, first)  # already cancelled
    assert (err.status_code, err.code) == (400, "43001")
    err = api_error(c.spot_cance_order, BTC, "42")
    assert (err.status_code, err.code) == (400, "43001")
    assert ok(c.spot_cance_order(BTC, int(second))) == second  # orderId as a JSON number
    assert trader.assets()["usdt"] == ("100000", "0")


def test_cancel_batch_orders(trader: Account) -> None:
    c = trader.client
    ids = [trader.place("0.001", "buy", "limit", "normal", price=str(20000 + i)) for i in range(4)]
    # the unknown id is left out of the answer
    assert sorted(ok(c.spot_cancel_batch_orders(BTC, [*ids[:2], "42"]))) == sorted(ids[:2])
    assert sorted(ok(c.spot_cancel_batch_orders(BTC, [int(i) for i in ids[2:]]))) == sorted(ids[2:])
    assert {trader.order(i)["status"] for i in ids} == {"cancelled"}
    assert ok(c.spot_get_open_orders(BTC)) == []
    err = api_error(c.spot_cancel_batch_orders, BTC, ["1"] * 51)
    assert (err.status_code, err.code) == (400, "40912")


# --------------------------------------------------------------------------- queries
def test_order_details(trader: Account) -> None:
    c = trader.client
    oid = trader.place("0.001", "buy", "limit", "normal", price="20000", clientOrderId="pb-q1")
    assert ok(c.spot_get_order_details(BTC, oid, clientOrderId="pb-q1")) == [trader.order(oid)]
    assert trader.order(oid, symbol="btcusdt_spbl")["clientOrderId"] == "pb-q1"
    # pybitget requires orderId: without it, it refuses locally and sends nothing
    assert c.spot_get_order_details(BTC, None, clientOrderId="pb-q1") is False
    err = api_error(c.spot_get_order_details, BTC, "123")
    assert (err.status_code, err.code) == (400, "43001")


def test_open_orders(trader: Account) -> None:
    c = trader.client
    oid = trader.place("0.001", "buy", "limit", "normal", price="20000")
    mine = ok(c.spot_get_open_orders(BTC))
    assert [(o["orderId"], o["status"], o["fillQuantity"]) for o in mine] == [(oid, "new", "0")]
    assert ok(c.spot_get_open_orders()) == mine  # pybitget's default symbol='': all symbols
    assert ok(c.spot_get_open_orders(ETH)) == []


def test_order_history_paging(trader: Account) -> None:
    c = trader.client
    ids = [trader.place("0.001", "buy", "limit", "normal", price=str(20000 + i)) for i in range(4)]
    ok(c.spot_cancel_batch_orders(BTC, ids))
    history = ok(c.spot_get_order_history(BTC))  # closed orders, newest first
    assert [o["orderId"] for o in history] == ids[::-1]
    assert {o["status"] for o in history} == {"cancelled"}
    assert [o["orderId"] for o in ok(c.spot_get_order_history(BTC, limit=2))] == [ids[3], ids[2]]
    assert [o["orderId"] for o in ok(c.spot_get_order_history(BTC, after=ids[2], limit=1))] == [
        ids[1]
    ]
    # before alone: the records right above, oldest first
    assert [o["orderId"] for o in ok(c.spot_get_order_history(BTC, before=ids[1]))] == [
        ids[2],
        ids[3],
    ]


def test_transaction_details_paging(trader: Account, maker: Account) -> None:
    c = trader.client
    for price in ("30000", "30001", "30002"):
        maker.place("0.01", "sell", "limit", "normal", price=price)
    trader.place("0.03", "buy", "limit", "normal", price="30002")
    fills = ok(c.spot_get_transaction_details(BTC))
    assert [(f["fillPrice"], f["fillQuantity"], f["fillTotalAmount"]) for f in fills] == [
        ("30002", "0.01", "300.02"),
        ("30001", "0.01", "300.01"),
        ("30000", "0.01", "300"),
    ]
    ids = [f["fillId"] for f in fills]
    assert ok(c.spot_get_transaction_details(BTC, after=ids[0], limit=1)) == fills[1:2]
    assert ok(c.spot_get_transaction_details(BTC, limit=2)) == fills[:2]
    # pybitget sends nothing without a symbol
    assert c.spot_get_transaction_details() is False


# --------------------------------------------------------------------------- signing
def test_signing_with_server_time(trader: Account) -> None:
    u = trader.user
    c = Client(u.api_key, u.secret, u.passphrase, use_server_time=True)
    # GET with a query string, and POST with a JSON body
    assert [a["available"] for a in ok(c.spot_get_account_assets("btc"))] == ["10"]
    oid = ok(c.spot_place_order(BTC, "0.001", "buy", "limit", "normal", price="20000"))["orderId"]
    assert [o["orderId"] for o in ok(c.spot_get_open_orders(BTC))] == [oid]
    assert ok(c.spot_cance_order(BTC, oid)) == oid


def test_signing_with_local_time(trader: Account) -> None:
    c = trader.client
    assert ok(c.spot_get_transfer_list(limit=1)) == []  # GET with a query string
    assert ok(c.spot_get_bills(limit=1))[0]["quantity"] == "10"  # POST with a JSON body


@pytest.mark.parametrize(
    ("secret", "passphrase", "key", "code"),
    [
        ("0" * 64, None, None, "40009"),  # wrong secret: the signature does not match
        (None, "nope", None, "40012"),  # wrong passphrase
        (None, None, "no-such-key", "40006"),
    ],
    ids=["40009-wrong-secret", "40012-wrong-passphrase", "40006-unknown-key"],
)
def test_signing_errors(
    trader: Account, secret: str | None, passphrase: str | None, key: str | None, code: str
) -> None:
    u = trader.user
    c = Client(key or u.api_key, secret or u.secret, passphrase or u.passphrase)
    err = api_error(c.spot_get_account_assets)
    assert (err.status_code, err.code) == (400, code)
    err = api_error(c.spot_get_open_orders, BTC)
    assert (err.status_code, err.code) == (400, code)


# --------------------------------------------------------------------------- errors
@pytest.mark.parametrize(
    ("args", "kwargs", "code"),
    [
        (("0.00001", "buy", "limit", "normal"), {"price": "25000"}, "45110"),  # < minTradeAmount
        (("9000", "buy", "limit", "normal"), {"price": "25000"}, "43012"),  # insufficient balance
        (("0.001", "buy", "limit", "normal"), {"price": "25000", "clientOrderId": "a b"}, "40305"),
        (
            ("0.001", "buy", "limit", "normal"),
            {"price": "25000", "clientOrderId": "pb-dup"},
            "43118",
        ),
    ],
    ids=[
        "45110-below-minimum",
        "43012-insufficient-balance",
        "40305-bad-client-oid",
        "43118-duplicate-client-oid",
    ],
)
def test_order_errors(
    trader: Account, args: tuple[str, ...], kwargs: dict[str, str], code: str
) -> None:
    trader.place("0.001", "buy", "limit", "normal", price="20000", clientOrderId="pb-dup")
    err = api_error(trader.client.spot_place_order, BTC, *args, **kwargs)
    assert (err.status_code, err.code) == (400, code)
    assert len(ok(trader.client.spot_get_open_orders(BTC))) == 1  # nothing else placed


BITGET_ONLY: list[tuple[str, Callable[[Client], Any]]] = [
    ("api-key-info", lambda c: c.spot_get_ApiKeyInfo()),
    ("vip-fee-rate", lambda c: c.spot_get_vip_fee_rate()),
    ("wallet-transfer", lambda c: c.spot_transfer("spot", "mix_usdt", "1", "USDT")),
    ("wallet-deposit-address", lambda c: c.spot_get_depositAddress("USDT", "trc20")),
    ("wallet-withdrawal", lambda c: c.spot_withdrawal("USDT", "addr", "trc20", "10")),
    ("sub-account-assets", lambda c: c.spot_get_sub_account_assets()),
    (
        "plan-order",
        lambda c: c.spot_place_plan_order(BTC, "buy", "1", "1", "market_price", "limit"),
    ),
    ("plan-orders", lambda c: c.spot_get_plan_orders(BTC)),
]


@pytest.mark.parametrize("call", [c for _, c in BITGET_ONLY], ids=[n for n, _ in BITGET_ONLY])
def test_bitget_only_endpoints_answer_40404(trader: Account, call: Callable[[Client], Any]) -> None:
    err = api_error(call, trader.client)
    assert (err.status_code, err.code, err.message) == (404, "40404", NOT_FOUND)
