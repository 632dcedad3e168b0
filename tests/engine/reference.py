"""A naive reference exchange: the oracle of the model-based tests.

It implements the semantics written in the docstrings of ``engine/trading.py``,
``engine/amounts.py`` and ``engine/exchange.py`` in the plainest way we could think of, and
shares no code with the engine beyond the domain vocabulary (commands, enums, market
configuration, error codes):

* resting orders are one flat list; the opposite side is re-sorted by (price, arrival) on
  every use; nothing is indexed or cached;
* every amount is computed from decimal values with :class:`fractions.Fraction`
  (price x quantity scaled to the quote coin, quantity scaled to the base coin), and asserted
  to be a whole number of the coin's smallest unit;
* fee = ceil(amount x rate) in the coin received, via ``math.ceil`` of a Fraction;
* every fill trades at the maker's price; price-time priority; self-trades allowed;
* a limit buy freezes price x quantity, a sell its base quantity, a market buy its quote
  budget; a market buy at a maker of price p may buy floor(budget left / cost of one lot at
  p) lots; it ends ``full_fill`` when it bought something and then either spent the budget
  exactly or met a maker it could not afford one lot of, and ``cancelled`` otherwise (the
  book ran out first, or it bought nothing);
* a rejected command changes nothing.

Checks run in a fixed order (the first failing one gives the code): symbol, trading status,
quantity > 0, limit price > 0 and not absurd, min/max quantity (not for a market buy),
clientOrderId format and uniqueness (per user, over all that user's accepted orders ever),
account, frozen user, available balance, post-only would take, FOK fillable.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

from openweex.domain import errors
from openweex.domain.commands import (
    CancelBatch,
    CancelOrder,
    Command,
    CreateAccount,
    Deposit,
    PlaceBatch,
    PlaceOrder,
    SetUserFrozen,
    Transfer,
    Withdraw,
)
from openweex.domain.markets import Markets, Symbol
from openweex.domain.orders import Status
from openweex.domain.values import Force, OrderType, Side

OK = "ok"
ACCOUNT_TYPES = {"SPOT", "CONTRACT", "USD_MIX", "USDT_MIX", "MARGIN", "FUNDING"}
COID_CHARS = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")
MAX_AMOUNT = 10**30
MAX_PRICE = 10**18
MAX_BATCH = 50
# A normalised result: ("ok", value) or ("reject", code), or a tuple of those for batches.
Outcome = tuple[str, object] | tuple[tuple[str, object], ...]


@dataclass
class RefOrder:
    order_id: int
    uid: int
    symbol: str
    side: Side
    order_type: OrderType
    force: Force
    price: int
    quantity: int
    client_oid: str
    arrival: int
    remaining: int
    hold: int = 0
    filled_qty: int = 0
    filled_quote: int = 0
    status: Status = Status.NEW


@dataclass(frozen=True)
class RefFill:
    trade_id: int
    taker_order_id: int
    taker_uid: int
    maker_order_id: int
    maker_uid: int
    price: int
    qty: int
    quote: int
    taker_fee: int
    maker_fee: int
    self_trade: bool


class RefExchange:
    def __init__(self, markets: Markets, first_uid: int, first_order_id: int) -> None:
        self.markets = markets
        self.users: dict[int, bool] = {}  # uid -> frozen
        self.avail: dict[tuple[int, str], int] = {}
        self.frozen: dict[tuple[int, str], int] = {}
        self.resting: list[RefOrder] = []
        self.coids: dict[tuple[int, str], int] = {}
        self.fees: dict[str, int] = {}
        self.inflow: dict[str, int] = {}
        self.outflow: dict[str, int] = {}
        self.next_uid = first_uid
        self.next_order_id = first_order_id
        self.next_trade_id = 1
        self.arrivals = 0
        # What the last command did: fills and the final state of every order it touched.
        self.fills: list[RefFill] = []
        self.touched: dict[int, tuple[Status, int, int]] = {}

    # -- amounts -----------------------------------------------------------------------
    def _scale(self, coin: str) -> int:
        return 10 ** self.markets.coins[coin].scale

    def quote_of(self, sym: Symbol, price: int, lots: int) -> int:
        value = (
            Fraction(price, 10**sym.price_scale)
            * Fraction(lots, 10**sym.quantity_scale)
            * self._scale(sym.quote)
        )
        assert value.denominator == 1, "notional off the quote coin's scale"
        return int(value)

    def base_of(self, sym: Symbol, lots: int) -> int:
        value = Fraction(lots, 10**sym.quantity_scale) * self._scale(sym.base)
        assert value.denominator == 1
        return int(value)

    @staticmethod
    def fee(amount: int, rate: int) -> int:
        return math.ceil(Fraction(amount) * Fraction(rate, 10**8))

    def _hold_for(self, sym: Symbol, o: RefOrder | PlaceOrder, lots: int) -> int:
        if o.side is Side.SELL:
            return self.base_of(sym, lots)
        return self.quote_of(sym, o.price, lots)

    def _move(self, uid: int, coin: str, d_avail: int, d_frozen: int) -> None:
        key = (uid, coin)
        self.avail[key] = self.avail.get(key, 0) + d_avail
        self.frozen[key] = self.frozen.get(key, 0) + d_frozen
        assert self.avail[key] >= 0 and self.frozen[key] >= 0, "reference went negative"

    # -- views -------------------------------------------------------------------------
    def balances(self) -> dict[tuple[int, str], tuple[int, int]]:
        keys = set(self.avail) | set(self.frozen)
        out = {k: (self.avail.get(k, 0), self.frozen.get(k, 0)) for k in keys}
        return {k: v for k, v in out.items() if v != (0, 0)}

    def side_sorted(self, symbol: str, side: Side) -> list[RefOrder]:
        """Resting orders of one side, best first, then by arrival."""
        orders = [o for o in self.resting if o.symbol == symbol and o.side is side]
        if side is Side.BUY:
            return sorted(orders, key=lambda o: (-o.price, o.arrival))
        return sorted(orders, key=lambda o: (o.price, o.arrival))

    def book_order_ids(self, symbol: str) -> list[int]:
        bids = self.side_sorted(symbol, Side.BUY)
        asks = self.side_sorted(symbol, Side.SELL)
        return [o.order_id for o in bids + asks]

    def open_orders(self) -> list[tuple[object, ...]]:
        return sorted(
            (
                o.order_id,
                o.uid,
                o.symbol,
                o.side,
                o.price,
                o.quantity,
                o.remaining,
                o.hold,
                o.filled_qty,
                o.filled_quote,
                o.status,
                o.client_oid,
            )
            for o in self.resting
        )

    # -- commands ----------------------------------------------------------------------
    def apply(self, cmd: Command) -> Outcome:
        self.fills = []
        self.touched = {}
        if isinstance(cmd, CreateAccount):
            uid = self.next_uid
            self.next_uid += 1
            self.users[uid] = False
            return (OK, uid)
        if isinstance(cmd, PlaceOrder):
            return self.place(cmd)
        if isinstance(cmd, CancelOrder):
            return self.cancel(cmd)
        if isinstance(cmd, PlaceBatch):
            if len(cmd.orders) > MAX_BATCH:
                return ("reject", errors.BATCH_TOO_LARGE)
            out: list[tuple[str, object]] = []
            for o in cmd.orders:
                if o.uid != cmd.uid:
                    out.append(("reject", errors.PARAM_INVALID))
                else:
                    out.append(self.place(o))  # type: ignore[arg-type]
            return tuple(out)
        if isinstance(cmd, CancelBatch):
            if len(cmd.order_ids) > MAX_BATCH:
                return ("reject", errors.BATCH_TOO_LARGE)
            return tuple(
                self.cancel(CancelOrder(cmd.ts, cmd.uid, cmd.symbol, oid, ""))  # type: ignore[misc]
                for oid in cmd.order_ids
            )
        if isinstance(cmd, SetUserFrozen):
            if cmd.uid not in self.users:
                return ("reject", errors.ACCOUNT_NOT_FOUND)
            self.users[cmd.uid] = cmd.frozen
            return (OK, cmd.frozen)
        if isinstance(cmd, Deposit | Withdraw | Transfer):
            return self.funds(cmd)
        raise NotImplementedError(type(cmd).__name__)

    def funds(self, cmd: Deposit | Withdraw | Transfer) -> tuple[str, object]:
        if cmd.uid not in self.users:
            return ("reject", errors.ACCOUNT_NOT_FOUND)
        if cmd.coin not in self.markets.coins or not 0 < cmd.amount <= MAX_AMOUNT:
            return ("reject", errors.PARAM_INVALID)
        key = (cmd.uid, cmd.coin)
        incoming = isinstance(cmd, Deposit)
        if isinstance(cmd, Transfer):
            src, dst = cmd.from_type.upper(), cmd.to_type.upper()
            if (
                src not in ACCOUNT_TYPES
                or dst not in ACCOUNT_TYPES
                or src == dst
                or "SPOT" not in (src, dst)
            ):
                return ("reject", errors.PARAM_INVALID)
            incoming = dst == "SPOT"
        if incoming:
            self._move(cmd.uid, cmd.coin, cmd.amount, 0)
            self.inflow[cmd.coin] = self.inflow.get(cmd.coin, 0) + cmd.amount
        else:
            if self.avail.get(key, 0) < cmd.amount:
                return ("reject", errors.INSUFFICIENT_BALANCE)
            self._move(cmd.uid, cmd.coin, -cmd.amount, 0)
            self.outflow[cmd.coin] = self.outflow.get(cmd.coin, 0) + cmd.amount
        return (OK, None)

    # -- placing -----------------------------------------------------------------------
    def _crosses(self, side: Side, limit: int, maker_price: int) -> bool:
        return maker_price <= limit if side is Side.BUY else maker_price >= limit

    def _check(self, cmd: PlaceOrder) -> str | None:
        sym = self.markets.symbols.get(cmd.symbol)
        if sym is None:
            return errors.SYMBOL_NOT_FOUND
        if sym.status != "online" or cmd.quantity <= 0:
            return errors.PARAM_INVALID
        is_limit = cmd.order_type is OrderType.LIMIT
        if is_limit and not 0 < cmd.price <= MAX_PRICE:
            return errors.PARAM_INVALID
        if is_limit or cmd.side is Side.SELL:
            if cmd.quantity < sym.min_trade:
                return errors.BELOW_MINIMUM
            if cmd.quantity > sym.max_trade:
                return errors.PARAM_INVALID
        coid = cmd.client_oid
        if coid:
            if len(coid) > 40 or not set(coid) <= COID_CHARS:
                return errors.CLIENT_OID_INVALID
            if (cmd.uid, coid) in self.coids:
                return errors.DUPLICATE_CLIENT_OID
        if cmd.uid not in self.users:
            return errors.ACCOUNT_NOT_FOUND
        if self.users[cmd.uid]:
            return errors.USER_FROZEN
        coin = sym.quote if cmd.side is Side.BUY else sym.base
        if self.avail.get((cmd.uid, coin), 0) < self._freeze_of(sym, cmd):
            return errors.INSUFFICIENT_BALANCE
        if not is_limit:
            return None
        makers = [
            m
            for m in self.side_sorted(cmd.symbol, _other(cmd.side))
            if self._crosses(cmd.side, cmd.price, m.price)
        ]
        if cmd.force is Force.POST_ONLY and makers:
            return errors.POST_ONLY_WOULD_TAKE
        if cmd.force is Force.FOK and sum(m.remaining for m in makers) < cmd.quantity:
            return errors.FOK_NOT_FILLABLE
        return None

    def _freeze_of(self, sym: Symbol, cmd: PlaceOrder) -> int:
        if cmd.order_type is OrderType.MARKET and cmd.side is Side.BUY:
            return cmd.quantity
        return self._hold_for(sym, cmd, cmd.quantity)

    def place(self, cmd: PlaceOrder) -> tuple[str, object]:
        code = self._check(cmd)
        if code is not None:
            return ("reject", code)
        sym = self.markets.symbols[cmd.symbol]
        o = RefOrder(
            order_id=self.next_order_id,
            uid=cmd.uid,
            symbol=cmd.symbol,
            side=cmd.side,
            order_type=cmd.order_type,
            force=cmd.force,
            price=cmd.price,
            quantity=cmd.quantity,
            client_oid=cmd.client_oid,
            arrival=self.arrivals,
            remaining=cmd.quantity,
        )
        self.next_order_id += 1
        self.arrivals += 1
        if o.client_oid:
            self.coids[(o.uid, o.client_oid)] = o.order_id
        pay = sym.quote if o.side is Side.BUY else sym.base
        o.hold = self._freeze_of(sym, cmd)
        self._move(o.uid, pay, -o.hold, o.hold)
        market_buy = o.order_type is OrderType.MARKET and o.side is Side.BUY
        budget_stop = self._match(o, sym, market_buy)
        self._finish(o, sym, pay, market_buy, budget_stop)
        return (OK, o.order_id)

    def _match(self, o: RefOrder, sym: Symbol, market_buy: bool) -> bool:
        """Fill ``o`` against the opposite side, re-sorting it before every fill; True when a
        market buy stopped because its budget could not buy one lot of the best maker."""
        while o.order_type is OrderType.MARKET or o.remaining > 0:
            makers = self.side_sorted(o.symbol, _other(o.side))
            if not makers:
                return False
            maker = makers[0]
            if o.order_type is OrderType.LIMIT and not self._crosses(o.side, o.price, maker.price):
                return False
            if market_buy:
                can = o.hold // self.quote_of(sym, maker.price, 1)
                if can == 0:
                    return True
                qty = min(maker.remaining, can)
            elif o.remaining == 0:
                return False
            else:
                qty = min(maker.remaining, o.remaining)
            self._fill(o, maker, sym, qty)
        return False

    def _fill(self, taker: RefOrder, maker: RefOrder, sym: Symbol, qty: int) -> None:
        price = maker.price
        quote = self.quote_of(sym, price, qty)
        base = self.base_of(sym, qty)
        buyer, seller = (taker, maker) if taker.side is Side.BUY else (maker, taker)
        buyer_rate = sym.taker_fee if buyer is taker else sym.maker_fee
        seller_rate = sym.taker_fee if seller is taker else sym.maker_fee
        buyer_fee = self.fee(base, buyer_rate)
        seller_fee = self.fee(quote, seller_rate)
        # Buyer pays quote from frozen, gets base less fee; seller the other way round.
        self._move(buyer.uid, sym.quote, 0, -quote)
        buyer.hold -= quote
        self._move(buyer.uid, sym.base, base - buyer_fee, 0)
        self._move(seller.uid, sym.base, 0, -base)
        seller.hold -= base
        self._move(seller.uid, sym.quote, quote - seller_fee, 0)
        self.fees[sym.base] = self.fees.get(sym.base, 0) + buyer_fee
        self.fees[sym.quote] = self.fees.get(sym.quote, 0) + seller_fee
        for order in (taker, maker):
            order.filled_qty += qty
            order.filled_quote += quote
        taker.remaining -= qty
        maker.remaining -= qty
        maker.status = Status.FULL_FILL if maker.remaining == 0 else Status.PARTIAL_FILL
        if maker.remaining == 0:
            self.resting.remove(maker)
        self.touched[maker.order_id] = (maker.status, maker.filled_qty, maker.filled_quote)
        self.fills.append(
            RefFill(
                trade_id=self.next_trade_id,
                taker_order_id=taker.order_id,
                taker_uid=taker.uid,
                maker_order_id=maker.order_id,
                maker_uid=maker.uid,
                price=price,
                qty=qty,
                quote=quote,
                taker_fee=buyer_fee if buyer is taker else seller_fee,
                maker_fee=buyer_fee if buyer is maker else seller_fee,
                self_trade=taker.uid == maker.uid,
            )
        )
        self.next_trade_id += 1

    def _finish(
        self, o: RefOrder, sym: Symbol, pay: str, market_buy: bool, budget_stop: bool
    ) -> None:
        keep = 0
        if market_buy:
            done = o.filled_qty > 0 and (o.hold == 0 or budget_stop)
            o.status = Status.FULL_FILL if done else Status.CANCELLED
        elif o.order_type is OrderType.MARKET:
            o.status = Status.FULL_FILL if o.remaining == 0 else Status.CANCELLED
        elif o.remaining == 0:
            o.status = Status.FULL_FILL
        elif o.force in (Force.NORMAL, Force.POST_ONLY):
            o.status = Status.PARTIAL_FILL if o.filled_qty else Status.NEW
            keep = self._hold_for(sym, o, o.remaining)
            self.resting.append(o)
        else:
            o.status = Status.CANCELLED
        self._move(o.uid, pay, o.hold - keep, keep - o.hold)
        o.hold = keep
        self.touched[o.order_id] = (o.status, o.filled_qty, o.filled_quote)

    # -- cancelling --------------------------------------------------------------------
    def cancel(self, cmd: CancelOrder) -> tuple[str, object]:
        if not cmd.order_id and not cmd.client_oid:
            return ("reject", errors.ORDER_ID_REQUIRED)
        oid = cmd.order_id or self.coids.get((cmd.uid, cmd.client_oid), 0)
        found = [o for o in self.resting if o.order_id == oid]
        if not found:
            return ("reject", errors.ORDER_NOT_FOUND)
        o = found[0]
        if o.uid != cmd.uid or (cmd.symbol and cmd.symbol != o.symbol):
            return ("reject", errors.ORDER_NOT_FOUND)
        if self.users[o.uid]:
            return ("reject", errors.USER_FROZEN)
        sym = self.markets.symbols[o.symbol]
        pay = sym.quote if o.side is Side.BUY else sym.base
        self._move(o.uid, pay, o.hold, -o.hold)
        o.hold = 0
        o.remaining = 0
        o.status = Status.CANCELLED
        self.resting.remove(o)
        self.touched[o.order_id] = (o.status, o.filled_qty, o.filled_quote)
        return (OK, o.order_id)


def _other(side: Side) -> Side:
    return Side.SELL if side is Side.BUY else Side.BUY
