"""Scenario tables: resting orders, one incoming order, and everything that must follow.

Each :class:`Scenario` is worked out by hand from the rules in ``engine/trading.py`` and
``engine/amounts.py`` (fills at the maker's price, price-time priority, fees
ceil(amount x rate / 1e8) in the coin received, a market buy spends a QUOTE budget). All
numbers are decimal strings on the symbol's or coin's scale. Default BTCUSDT_SPBL: price
0.01 USDT, quantity 0.000001 BTC, minimum 0.0001 BTC, maker and taker fee 0.1%.

Arithmetic used below (BTCUSDT): 0.01 BTC at 100.00 is 1 USDT; the maker selling it pays
0.001 USDT and the buyer 0.00001 BTC in fees.
"""

from __future__ import annotations

from dataclasses import dataclass

from .helpers import BTC, ETHBTC, SOL


@dataclass(frozen=True)
class Resting:
    ref: str
    user: str
    side: str
    price: str
    qty: str


@dataclass(frozen=True)
class Incoming:
    user: str
    side: str
    price: str | None  # None: a market order
    qty: str  # lots, or the QUOTE amount of a market buy
    force: str = "normal"


Level = tuple[str, str]  # (price, qty)
Fill = tuple[str, str, str]  # (maker ref, price, qty)
Bal = tuple[str, str]  # (available, frozen)


@dataclass(frozen=True)
class Scenario:
    name: str
    funds: dict[str, dict[str, str]]
    resting: tuple[Resting, ...]
    incoming: Incoming
    fills: tuple[Fill, ...]
    bids: tuple[Level, ...]
    asks: tuple[Level, ...]
    status: str  # the taker's final REST status, or "rejected"
    balances: dict[str, dict[str, Bal]]
    fees: dict[str, str]
    symbol: str = BTC
    reject: str = ""  # the WEEX code when status == "rejected"
    self_trade: bool = False


A_BTC = {"alice": {"BTC": "1"}, "bob": {"USDT": "1000"}}
A_C_BTC = {"alice": {"BTC": "1"}, "carol": {"BTC": "1"}, "bob": {"USDT": "1000"}}
ONE_FILL_FEES = {"USDT": "0.001", "BTC": "0.00001"}
# alice sold 0.01 BTC at 100.00 to bob (maker alice, taker bob or the other way round).
ALICE_SOLD_ONE = {"BTC": ("0.99", "0"), "USDT": ("0.999", "0")}
BOB_BOUGHT_ONE = {"USDT": ("999", "0"), "BTC": ("0.00999", "0")}

SCENARIOS: list[Scenario] = [
    Scenario(
        name="limit buy fills one maker exactly",
        funds=A_BTC,
        resting=(Resting("a1", "alice", "sell", "100.00", "0.01"),),
        incoming=Incoming("bob", "buy", "100.00", "0.01"),
        fills=(("a1", "100.00", "0.01"),),
        bids=(),
        asks=(),
        status="full_fill",
        balances={"alice": ALICE_SOLD_ONE, "bob": BOB_BOUGHT_ONE},
        fees=ONE_FILL_FEES,
    ),
    Scenario(
        name="limit buy that does not cross rests as new",
        funds=A_BTC,
        resting=(Resting("a1", "alice", "sell", "101.00", "0.01"),),
        incoming=Incoming("bob", "buy", "100.00", "0.01"),
        fills=(),
        bids=(("100.00", "0.01"),),
        asks=(("101.00", "0.01"),),
        status="new",
        balances={"alice": {"BTC": ("0.99", "0.01")}, "bob": {"USDT": ("999", "1")}},
        fees={},
    ),
    Scenario(
        name="limit buy partly fills and the rest rests",
        funds=A_BTC,
        resting=(Resting("a1", "alice", "sell", "100.00", "0.01"),),
        incoming=Incoming("bob", "buy", "100.00", "0.03"),
        fills=(("a1", "100.00", "0.01"),),
        bids=(("100.00", "0.02"),),
        asks=(),
        status="partial_fill",
        balances={
            "alice": ALICE_SOLD_ONE,
            "bob": {"USDT": ("997", "2"), "BTC": ("0.00999", "0")},
        },
        fees=ONE_FILL_FEES,
    ),
    Scenario(
        # Frozen 0.025 x 101.50 = 2.5375; paid 1 + 0.015 x 101 = 2.515; 0.0225 released.
        name="limit buy sweeps two levels at maker prices, price improvement released",
        funds=A_C_BTC,
        resting=(
            Resting("a1", "alice", "sell", "100.00", "0.01"),
            Resting("a2", "alice", "sell", "101.00", "0.02"),
            Resting("c1", "carol", "sell", "102.00", "0.01"),
        ),
        incoming=Incoming("bob", "buy", "101.50", "0.025"),
        fills=(("a1", "100.00", "0.01"), ("a2", "101.00", "0.015")),
        bids=(),
        asks=(("101.00", "0.005"), ("102.00", "0.01")),
        status="full_fill",
        balances={
            "bob": {"USDT": ("997.485", "0"), "BTC": ("0.024975", "0")},
            # 0.999 + (1.515 - 0.001515)
            "alice": {"BTC": ("0.97", "0.005"), "USDT": ("2.512485", "0")},
            "carol": {"BTC": ("0.99", "0.01"), "USDT": ("0", "0")},
        },
        fees={"USDT": "0.002515", "BTC": "0.000025"},
    ),
    Scenario(
        name="limit sell sweeps bids and gets the makers' higher prices",
        funds=A_BTC,
        resting=(
            Resting("b1", "bob", "buy", "100.00", "0.01"),
            Resting("b2", "bob", "buy", "99.00", "0.01"),
        ),
        incoming=Incoming("alice", "sell", "99.00", "0.015"),
        fills=(("b1", "100.00", "0.01"), ("b2", "99.00", "0.005")),
        bids=(("99.00", "0.005"),),
        asks=(),
        status="full_fill",
        balances={
            # 1 + 0.495 received, fees 0.001 + 0.000495
            "alice": {"BTC": ("0.985", "0"), "USDT": ("1.493505", "0")},
            "bob": {"USDT": ("998.01", "0.495"), "BTC": ("0.014985", "0")},
        },
        fees={"USDT": "0.001495", "BTC": "0.000015"},
    ),
    Scenario(
        name="price then time priority: better price first, then FIFO within a level",
        funds=A_C_BTC,
        resting=(
            Resting("a1", "alice", "sell", "100.00", "0.01"),
            Resting("c1", "carol", "sell", "100.00", "0.01"),
            Resting("a2", "alice", "sell", "99.00", "0.005"),
        ),
        incoming=Incoming("bob", "buy", "100.00", "0.02"),
        fills=(("a2", "99.00", "0.005"), ("a1", "100.00", "0.01"), ("c1", "100.00", "0.005")),
        bids=(),
        asks=(("100.00", "0.005"),),
        status="full_fill",
        balances={
            # paid 0.495 + 1 + 0.5 = 1.995 of the 2 frozen; fees 500 + 1000 + 500 sats
            "bob": {"USDT": ("998.005", "0"), "BTC": ("0.01998", "0")},
            "alice": {"BTC": ("0.985", "0"), "USDT": ("1.493505", "0")},
            "carol": {"BTC": ("0.99", "0.005"), "USDT": ("0.4995", "0")},
        },
        fees={"USDT": "0.001995", "BTC": "0.00002"},
    ),
    Scenario(
        name="post_only buy below the ask rests",
        funds=A_BTC,
        resting=(Resting("a1", "alice", "sell", "101.00", "0.01"),),
        incoming=Incoming("bob", "buy", "100.00", "0.01", "post_only"),
        fills=(),
        bids=(("100.00", "0.01"),),
        asks=(("101.00", "0.01"),),
        status="new",
        balances={"alice": {"BTC": ("0.99", "0.01")}, "bob": {"USDT": ("999", "1")}},
        fees={},
    ),
    Scenario(
        name="post_only buy that would take is rejected",
        funds=A_BTC,
        resting=(Resting("a1", "alice", "sell", "101.00", "0.01"),),
        incoming=Incoming("bob", "buy", "101.00", "0.01", "post_only"),
        fills=(),
        bids=(),
        asks=(("101.00", "0.01"),),
        status="rejected",
        reject="43115",
        balances={"alice": {"BTC": ("0.99", "0.01")}, "bob": {"USDT": ("1000", "0")}},
        fees={},
    ),
    Scenario(
        name="post_only sell that would take is rejected",
        funds=A_BTC,
        resting=(Resting("b1", "bob", "buy", "100.00", "0.01"),),
        incoming=Incoming("alice", "sell", "99.50", "0.01", "post_only"),
        fills=(),
        bids=(("100.00", "0.01"),),
        asks=(),
        status="rejected",
        reject="43115",
        balances={"alice": {"BTC": ("1", "0")}, "bob": {"USDT": ("999", "1")}},
        fees={},
    ),
    Scenario(
        name="ioc buy fills what it can, the rest is cancelled",
        funds=A_BTC,
        resting=(Resting("a1", "alice", "sell", "100.00", "0.01"),),
        incoming=Incoming("bob", "buy", "100.00", "0.03", "ioc"),
        fills=(("a1", "100.00", "0.01"),),
        bids=(),
        asks=(),
        status="cancelled",
        balances={"alice": ALICE_SOLD_ONE, "bob": BOB_BOUGHT_ONE},
        fees=ONE_FILL_FEES,
    ),
    Scenario(
        name="ioc buy that cannot match is cancelled and keeps nothing frozen",
        funds=A_BTC,
        resting=(Resting("a1", "alice", "sell", "101.00", "0.01"),),
        incoming=Incoming("bob", "buy", "100.00", "0.01", "ioc"),
        fills=(),
        bids=(),
        asks=(("101.00", "0.01"),),
        status="cancelled",
        balances={"alice": {"BTC": ("0.99", "0.01")}, "bob": {"USDT": ("1000", "0")}},
        fees={},
    ),
    Scenario(
        name="ioc sell fills what it can, the rest is cancelled",
        funds=A_BTC,
        resting=(Resting("b1", "bob", "buy", "100.00", "0.01"),),
        incoming=Incoming("alice", "sell", "100.00", "0.02", "ioc"),
        fills=(("b1", "100.00", "0.01"),),
        bids=(),
        asks=(),
        status="cancelled",
        balances={"alice": ALICE_SOLD_ONE, "bob": BOB_BOUGHT_ONE},
        fees=ONE_FILL_FEES,
    ),
    Scenario(
        name="fok buy fills completely across two levels",
        funds=A_BTC,
        resting=(
            Resting("a1", "alice", "sell", "100.00", "0.01"),
            Resting("a2", "alice", "sell", "101.00", "0.01"),
        ),
        incoming=Incoming("bob", "buy", "101.00", "0.015", "fok"),
        fills=(("a1", "100.00", "0.01"), ("a2", "101.00", "0.005")),
        bids=(),
        asks=(("101.00", "0.005"),),
        status="full_fill",
        balances={
            # paid 1 + 0.505 of 1.515 frozen
            "bob": {"USDT": ("998.495", "0"), "BTC": ("0.014985", "0")},
            "alice": {"BTC": ("0.98", "0.005"), "USDT": ("1.503495", "0")},
        },
        fees={"USDT": "0.001505", "BTC": "0.000015"},
    ),
    Scenario(
        name="fok buy that cannot fill completely within its limit is rejected",
        funds=A_BTC,
        resting=(
            Resting("a1", "alice", "sell", "100.00", "0.01"),
            Resting("a2", "alice", "sell", "102.00", "0.01"),
        ),
        incoming=Incoming("bob", "buy", "101.00", "0.015", "fok"),
        fills=(),
        bids=(),
        asks=(("100.00", "0.01"), ("102.00", "0.01")),
        status="rejected",
        reject="43116",
        balances={"alice": {"BTC": ("0.98", "0.02")}, "bob": {"USDT": ("1000", "0")}},
        fees={},
    ),
    Scenario(
        name="fok buy for exactly the liquidity within its limit fills",
        funds=A_BTC,
        resting=(
            Resting("a1", "alice", "sell", "100.00", "0.01"),
            Resting("a2", "alice", "sell", "101.00", "0.01"),
            Resting("a3", "alice", "sell", "102.00", "0.01"),
        ),
        incoming=Incoming("bob", "buy", "101.00", "0.02", "fok"),
        fills=(("a1", "100.00", "0.01"), ("a2", "101.00", "0.01")),
        bids=(),
        asks=(("102.00", "0.01"),),
        status="full_fill",
        balances={
            # paid 1 + 1.01 of 2.02 frozen
            "bob": {"USDT": ("997.99", "0"), "BTC": ("0.01998", "0")},
            "alice": {"BTC": ("0.97", "0.01"), "USDT": ("2.00799", "0")},
        },
        fees={"USDT": "0.00201", "BTC": "0.00002"},
    ),
    Scenario(
        name="fok buy one lot more than the liquidity within its limit is rejected",
        funds=A_BTC,
        resting=(
            Resting("a1", "alice", "sell", "100.00", "0.01"),
            Resting("a2", "alice", "sell", "101.00", "0.01"),
            Resting("a3", "alice", "sell", "102.00", "0.01"),
        ),
        incoming=Incoming("bob", "buy", "101.00", "0.020001", "fok"),
        fills=(),
        bids=(),
        asks=(("100.00", "0.01"), ("101.00", "0.01"), ("102.00", "0.01")),
        status="rejected",
        reject="43116",
        balances={"alice": {"BTC": ("0.97", "0.03")}, "bob": {"USDT": ("1000", "0")}},
        fees={},
    ),
    Scenario(
        name="fok sell larger than the bids is rejected",
        funds=A_BTC,
        resting=(Resting("b1", "bob", "buy", "100.00", "0.01"),),
        incoming=Incoming("alice", "sell", "100.00", "0.02", "fok"),
        fills=(),
        bids=(("100.00", "0.01"),),
        asks=(),
        status="rejected",
        reject="43116",
        balances={"alice": {"BTC": ("1", "0")}, "bob": {"USDT": ("999", "1")}},
        fees={},
    ),
    Scenario(
        name="market sell walks the bids",
        funds=A_BTC,
        resting=(
            Resting("b1", "bob", "buy", "100.00", "0.01"),
            Resting("b2", "bob", "buy", "99.00", "0.01"),
        ),
        incoming=Incoming("alice", "sell", None, "0.015"),
        fills=(("b1", "100.00", "0.01"), ("b2", "99.00", "0.005")),
        bids=(("99.00", "0.005"),),
        asks=(),
        status="full_fill",
        balances={
            "alice": {"BTC": ("0.985", "0"), "USDT": ("1.493505", "0")},
            "bob": {"USDT": ("998.01", "0.495"), "BTC": ("0.014985", "0")},
        },
        fees={"USDT": "0.001495", "BTC": "0.000015"},
    ),
    Scenario(
        name="market sell larger than the book: the rest is cancelled and released",
        funds=A_BTC,
        resting=(Resting("b1", "bob", "buy", "100.00", "0.01"),),
        incoming=Incoming("alice", "sell", None, "0.03"),
        fills=(("b1", "100.00", "0.01"),),
        bids=(),
        asks=(),
        status="cancelled",
        balances={"alice": ALICE_SOLD_ONE, "bob": BOB_BOUGHT_ONE},
        fees=ONE_FILL_FEES,
    ),
    Scenario(
        # 1.5 USDT: 0.01 at 100 costs 1; 0.5 buys floor(0.5 / 0.000101) = 4950 lots at
        # 101 for 0.49995; the 0.00005 left cannot buy one more lot and is released.
        name="market buy stops when its budget cannot buy one more lot (full_fill)",
        funds=A_BTC,
        resting=(
            Resting("a1", "alice", "sell", "100.00", "0.01"),
            Resting("a2", "alice", "sell", "101.00", "0.01"),
        ),
        incoming=Incoming("bob", "buy", None, "1.5"),
        fills=(("a1", "100.00", "0.01"), ("a2", "101.00", "0.00495")),
        bids=(),
        asks=(("101.00", "0.00505"),),
        status="full_fill",
        balances={
            # BTC fees: 1000 + ceil(495000 / 1000) = 1495 sats
            "bob": {"USDT": ("998.50005", "0"), "BTC": ("0.01493505", "0")},
            # USDT fees: 0.001 + ceil(0.49995 / 1000) = 0.001 + 0.00049995
            "alice": {"BTC": ("0.98", "0.00505"), "USDT": ("1.49845005", "0")},
        },
        fees={"USDT": "0.00149995", "BTC": "0.00001495"},
    ),
    Scenario(
        name="market buy that exhausts the book is cancelled, the budget left released",
        funds=A_BTC,
        resting=(Resting("a1", "alice", "sell", "100.00", "0.01"),),
        incoming=Incoming("bob", "buy", None, "5"),
        fills=(("a1", "100.00", "0.01"),),
        bids=(),
        asks=(),
        status="cancelled",
        balances={"alice": ALICE_SOLD_ONE, "bob": BOB_BOUGHT_ONE},
        fees=ONE_FILL_FEES,
    ),
    Scenario(
        name="market buy that spends its budget exactly on the last lot is full_fill",
        funds=A_BTC,
        resting=(Resting("a1", "alice", "sell", "100.00", "0.01"),),
        incoming=Incoming("bob", "buy", None, "1"),
        fills=(("a1", "100.00", "0.01"),),
        bids=(),
        asks=(),
        status="full_fill",
        balances={"alice": ALICE_SOLD_ONE, "bob": BOB_BOUGHT_ONE},
        fees=ONE_FILL_FEES,
    ),
    Scenario(
        name="market buy too small for one lot is cancelled, book untouched",
        funds=A_BTC,
        resting=(Resting("a1", "alice", "sell", "100.00", "0.01"),),
        incoming=Incoming("bob", "buy", None, "0.00005"),
        fills=(),
        bids=(),
        asks=(("100.00", "0.01"),),
        status="cancelled",
        balances={"alice": {"BTC": ("0.99", "0.01")}, "bob": {"USDT": ("1000", "0")}},
        fees={},
    ),
    Scenario(
        name="market buy into an empty book is cancelled, everything released",
        funds=A_BTC,
        resting=(),
        incoming=Incoming("bob", "buy", None, "5"),
        fills=(),
        bids=(),
        asks=(),
        status="cancelled",
        balances={"bob": {"USDT": ("1000", "0"), "BTC": ("0", "0")}},
        fees={},
    ),
    Scenario(
        name="market sell into an empty book is cancelled, everything released",
        funds=A_BTC,
        resting=(),
        incoming=Incoming("alice", "sell", None, "0.01"),
        fills=(),
        bids=(),
        asks=(),
        status="cancelled",
        balances={"alice": {"BTC": ("1", "0"), "USDT": ("0", "0")}},
        fees={},
    ),
    Scenario(
        name="self-trade is allowed and flagged",
        funds={"alice": {"BTC": "1", "USDT": "1000"}},
        resting=(Resting("a1", "alice", "sell", "100.00", "0.01"),),
        incoming=Incoming("alice", "buy", "100.00", "0.01"),
        fills=(("a1", "100.00", "0.01"),),
        bids=(),
        asks=(),
        status="full_fill",
        balances={"alice": {"BTC": ("0.99999", "0"), "USDT": ("999.999", "0")}},
        fees=ONE_FILL_FEES,
        self_trade=True,
    ),
    Scenario(
        # notional 10001 x 123 = 1230123 units: maker fee ceil(1230.123) = 1231 units;
        # base 123 lots = 12300 sats: taker fee ceil(12.3) = 13 sats.
        name="fees are rounded UP to the received coin's smallest unit",
        funds=A_BTC,
        resting=(Resting("a1", "alice", "sell", "100.01", "0.000123"),),
        incoming=Incoming("bob", "buy", "100.01", "0.000123"),
        fills=(("a1", "100.01", "0.000123"),),
        bids=(),
        asks=(),
        status="full_fill",
        balances={
            "alice": {"BTC": ("0.999877", "0"), "USDT": ("0.01228892", "0")},
            "bob": {"USDT": ("999.98769877", "0"), "BTC": ("0.00012287", "0")},
        },
        fees={"USDT": "0.00001231", "BTC": "0.00000013"},
    ),
    Scenario(
        # SOLUSDT: maker 0.08%, taker 0.1%. 0.071 SOL at 12.345 = 0.876495 USDT.
        # taker (seller) fee ceil(87649.5) = 87650 units; maker fee 0.071 x 0.0008 SOL.
        name="SOLUSDT taker sell at the bid's better price, fee rounded up",
        symbol=SOL,
        funds={"alice": {"SOL": "1"}, "bob": {"USDT": "10"}},
        resting=(Resting("b1", "bob", "buy", "12.345", "0.071"),),
        incoming=Incoming("alice", "sell", "12.000", "0.071"),
        fills=(("b1", "12.345", "0.071"),),
        bids=(),
        asks=(),
        status="full_fill",
        balances={
            "alice": {"SOL": ("0.929", "0"), "USDT": ("0.8756185", "0")},
            "bob": {"USDT": ("9.123505", "0"), "SOL": ("0.0709432", "0")},
        },
        fees={"USDT": "0.0008765", "SOL": "0.0000568"},
    ),
    Scenario(
        # ETHBTC: 0.123 ETH at 0.05001 = 0.00615123 BTC; frozen 0.123 x 0.051 = 0.006273.
        name="ETHBTC: quote coin BTC, fee rounded up, improvement released",
        symbol=ETHBTC,
        funds={"alice": {"ETH": "1"}, "bob": {"BTC": "1"}},
        resting=(Resting("a1", "alice", "sell", "0.05001", "0.5"),),
        incoming=Incoming("bob", "buy", "0.05100", "0.123"),
        fills=(("a1", "0.05001", "0.123"),),
        bids=(),
        asks=(("0.05001", "0.377"),),
        status="full_fill",
        balances={
            "bob": {"BTC": ("0.99384877", "0"), "ETH": ("0.122877", "0")},
            "alice": {"ETH": ("0.5", "0.377"), "BTC": ("0.00614507", "0")},
        },
        fees={"BTC": "0.00000616", "ETH": "0.000123"},
    ),
]
