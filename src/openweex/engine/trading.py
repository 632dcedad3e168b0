"""Placing and cancelling orders, and settling fills.

What each order kind does:

* limit ``normal``: matches what it can at its price or better, the rest rests.
* limit ``post_only``: rejected (43115, nothing changes) if it would trade on arrival;
  otherwise it rests.
* limit ``ioc``: matches what it can, the rest is cancelled.
* limit ``fok``: rejected (43116, nothing changes) unless it can be filled completely now.
* market SELL: sells ``quantity`` lots through as many levels as needed; what the book
  cannot absorb is cancelled.
* market BUY: ``quantity`` is the quote amount to spend (see :mod:`.amounts`). It ends
  ``full_fill`` when the budget left cannot buy one more lot, ``cancelled`` when the book ran
  out first. ``force`` is ignored for market orders.

Events of a placement, in order: the freeze (``ENTRUST_PLACE``), the order as ``new``, then
per fill the trade, the maker's order update and both users' balance legs, then any release
of unused freeze and the taker's final order state.
"""

from __future__ import annotations

from typing import NamedTuple

from openweex.domain import errors
from openweex.domain.commands import CancelOrder, PlaceOrder
from openweex.domain.errors import Reject
from openweex.domain.events import OrderUpdate, Trade
from openweex.domain.markets import Markets, Symbol
from openweex.domain.orders import TRANSITIONS, IllegalTransition, Status, check_transition
from openweex.domain.values import Force, OrderType, Side, valid_client_oid
from openweex.engine.amounts import base_amount, fee, notional
from openweex.engine.book import Book, Fill, Order
from openweex.engine.ledger import Account, Ledger
from openweex.engine.marketdata import MarketData

BUY = Side.BUY
SELL = Side.SELL
LIMIT = OrderType.LIMIT
MARKET = OrderType.MARKET
NORMAL = Force.NORMAL
POST_ONLY = Force.POST_ONLY
FOK = Force.FOK
NEW = Status.NEW
PARTIAL = Status.PARTIAL_FILL
FULL = Status.FULL_FILL
CANCELLED = Status.CANCELLED


class OrderAck(NamedTuple):
    order_id: int
    client_oid: str


_new = tuple.__new__  # NamedTuple construction without its Python-level __new__


def order_event(o: Order, ts: int, maker: bool) -> OrderUpdate:
    return _new(
        OrderUpdate,
        (
            ts,
            o.uid,
            o.symbol,
            o.order_id,
            o.client_oid,
            o.side,
            o.order_type,
            o.force,
            o.price,
            o.quantity,
            o.status,
            o.filled_qty,
            o.filled_quote,
            o.ctime,
            maker,
        ),
    )


class Trading:
    """Order placement and cancellation over books, accounts and the ledger."""

    markets: Markets
    books: dict[str, Book]
    accounts: dict[int, Account]
    orders: dict[int, Order]
    client_oids: dict[tuple[int, str], int]
    ledger: Ledger
    market: MarketData
    next_order_id: int
    next_trade_id: int

    def _check_place(self, cmd: PlaceOrder, sym: Symbol | None) -> Reject | int:
        """Validate a placement; returns the amount to freeze or a rejection."""
        if sym is None:
            return errors.reject(errors.SYMBOL_NOT_FOUND, cmd.symbol)
        if sym.status != "online":
            return errors.reject(errors.PARAM_INVALID, f"{sym.symbol} is not trading")
        qty = cmd.quantity
        if qty <= 0:
            return errors.reject(errors.PARAM_INVALID, "quantity must be positive")
        market_buy = cmd.order_type is MARKET and cmd.side is BUY
        if cmd.order_type is LIMIT:
            if cmd.price <= 0:
                return errors.reject(errors.PARAM_INVALID, "price must be positive")
            if cmd.price > 10**18:
                return errors.reject(errors.PARAM_INVALID, "price is too large")
        if not market_buy:
            if qty < sym.min_trade:
                return errors.reject(errors.BELOW_MINIMUM)
            if qty > sym.max_trade:
                return errors.reject(errors.PARAM_INVALID, "quantity is above maxTradeAmount")
        coid = cmd.client_oid
        if coid:
            if not valid_client_oid(coid):
                return errors.reject(errors.CLIENT_OID_INVALID)
            if (cmd.uid, coid) in self.client_oids:
                return errors.reject(errors.DUPLICATE_CLIENT_OID, coid)
        if cmd.side is BUY:
            return qty if market_buy else notional(sym, cmd.price, qty)
        return base_amount(sym, qty)

    def place(self, cmd: PlaceOrder) -> OrderAck | Reject:
        sym = self.markets.symbols.get(cmd.symbol)
        hold = self._check_place(cmd, sym)
        if type(hold) is Reject:
            return hold
        assert sym is not None and isinstance(hold, int)
        acct = self.accounts.get(cmd.uid)
        if acct is None:
            return errors.reject(errors.ACCOUNT_NOT_FOUND)
        if acct.frozen:
            return errors.reject(errors.USER_FROZEN)
        side = cmd.side
        coin = sym.quote if side is BUY else sym.base
        bal = acct.balances.get(coin)
        if bal is None or bal.available < hold:
            return errors.reject(errors.INSUFFICIENT_BALANCE)
        book = self.books[sym.symbol]
        if cmd.order_type is LIMIT:
            if cmd.force is POST_ONLY and book.would_take(side, cmd.price):
                return errors.reject(errors.POST_ONLY_WOULD_TAKE)
            if cmd.force is FOK and not book.fillable(side, cmd.price, cmd.quantity):
                return errors.reject(errors.FOK_NOT_FILLABLE)
        return self._accept(cmd, sym, acct, book, coin, hold)

    def _accept(
        self, cmd: PlaceOrder, sym: Symbol, acct: Account, book: Book, coin: str, hold: int
    ) -> OrderAck:
        ts = cmd.ts
        oid = self.next_order_id
        self.next_order_id = oid + 1
        o = Order(
            oid,
            cmd.uid,
            sym.symbol,
            cmd.side,
            cmd.order_type,
            cmd.force,
            cmd.price if cmd.order_type is LIMIT else 0,
            cmd.quantity,
            cmd.client_oid,
            ts,
        )
        if cmd.client_oid:
            self.client_oids[(cmd.uid, cmd.client_oid)] = oid
        o.hold = hold
        ledger = self.ledger
        events = ledger.events
        ledger.freeze(acct, coin, hold, ts, "ENTRUST_PLACE")
        o.status = NEW
        events.append(order_event(o, ts, False))
        mult = sym.notional_mult
        if cmd.order_type is LIMIT:
            fills = book.match(o.side, o.price, o.remaining, -1, mult)
        elif o.side is SELL:
            fills = book.match(SELL, 0, o.remaining, -1, mult)
        else:
            o.remaining = 1 << 62
            fills = book.match(BUY, 0, o.remaining, hold, mult)
        if fills:
            self._settle(o, acct, sym, fills, ts)
        self._finish_taker(o, acct, book, sym, coin, ts)
        return OrderAck(oid, o.client_oid)

    def _finish_taker(
        self, o: Order, acct: Account, book: Book, sym: Symbol, coin: str, ts: int
    ) -> None:
        """Rest, complete or cancel the taker after matching; release unused freeze."""
        keep = 0
        if o.order_type is LIMIT:
            if o.remaining == 0:
                new = FULL
            elif o.force is NORMAL or o.force is POST_ONLY:
                new = PARTIAL if o.filled_qty else NEW
                keep = notional(sym, o.price, o.remaining) if o.side is BUY else o.hold
            else:
                new = CANCELLED
        elif o.side is SELL:
            new = FULL if o.remaining == 0 else CANCELLED
        else:
            o.remaining = 0
            new = FULL if o.filled_qty and (o.hold == 0 or book.ask_keys) else CANCELLED
        if new is not NEW:
            check_transition(o.status, new)
        o.status = new
        if o.status is CANCELLED:
            o.remaining = 0
        excess = o.hold - keep
        if excess:
            reason = "ENTRUST_CANCEL" if o.status is CANCELLED else "ENTRUST_UNFROZEN"
            self.ledger.release(acct, coin, excess, ts, reason)
            o.hold = keep
        if o.status is NEW or o.status is PARTIAL:
            book.add(o)
            self.orders[o.order_id] = o
            if o.status is PARTIAL:
                self.ledger.events.append(order_event(o, ts, False))
        else:
            self.ledger.events.append(order_event(o, ts, False))

    def _settle(
        self, taker: Order, tacct: Account, sym: Symbol, fills: list[Fill], ts: int
    ) -> None:
        ledger = self.ledger
        events = ledger.events
        accounts = self.accounts
        base, quote = sym.base, sym.quote
        trate, mrate = sym.taker_fee, sym.maker_fee
        taker_buys = taker.side is BUY
        symbol = sym.symbol
        on_trade = self.market.on_trade
        add_fee = ledger.add_fee
        for maker, q, price in fills:
            qamt = notional(sym, price, q)
            bamt = base_amount(sym, q)
            tid = self.next_trade_id
            self.next_trade_id = tid + 1
            macct = accounts[maker.uid]
            if taker_buys:
                tfee, mfee = fee(bamt, trate), fee(qamt, mrate)
            else:
                tfee, mfee = fee(qamt, trate), fee(bamt, mrate)
            events.append(
                _new(
                    Trade,
                    (
                        ts,
                        symbol,
                        tid,
                        price,
                        q,
                        qamt,
                        taker.side,
                        taker.uid,
                        taker.order_id,
                        taker.client_oid,
                        maker.uid,
                        maker.order_id,
                        maker.client_oid,
                        tfee,
                        mfee,
                        taker.uid == maker.uid,
                    ),
                )
            )
            on_trade(symbol, ts, tid, price, q, qamt, taker.side)
            taker.remaining -= q
            taker.filled_qty += q
            taker.filled_quote += qamt
            maker.filled_qty += q
            maker.filled_quote += qamt
            new = FULL if maker.remaining == 0 else PARTIAL
            if (maker.status, new) not in TRANSITIONS:
                raise IllegalTransition(f"{maker.status.wire} -> {new.wire}")
            maker.status = new
            if new is FULL:
                del self.orders[maker.order_id]
            events.append(order_event(maker, ts, True))
            if taker_buys:
                taker.hold -= qamt
                maker.hold -= bamt
                self._leg(tacct, quote, qamt, base, bamt, tfee, ts, "buy")
                self._leg(macct, base, bamt, quote, qamt, mfee, ts, "sell")
                add_fee(base, tfee)
                add_fee(quote, mfee)
            else:
                taker.hold -= bamt
                maker.hold -= qamt
                self._leg(tacct, base, bamt, quote, qamt, tfee, ts, "sell")
                self._leg(macct, quote, qamt, base, bamt, mfee, ts, "buy")
                add_fee(quote, tfee)
                add_fee(base, mfee)

    def _leg(
        self, acct: Account, pay: str, paid: int, get: str, got: int, fee: int, ts: int, biz: str
    ) -> None:
        """One side of a fill: pay from frozen, receive into available, pay the fee."""
        move = self.ledger.move
        move(acct, pay, 0, -paid, ts, "ENTRUST", "transaction", biz)
        move(acct, get, got, 0, ts, "ENTRUST", "transaction", biz)
        if fee:
            move(
                acct, get, -fee, 0, ts, "TRADE_FEE", "transaction", "deduction of handling fee", fee
            )

    def cancel(self, cmd: CancelOrder) -> int | Reject:
        oid = cmd.order_id
        if not oid and cmd.client_oid:
            oid = self.client_oids.get((cmd.uid, cmd.client_oid), 0)
        if not oid and not cmd.client_oid:
            return errors.reject(errors.ORDER_ID_REQUIRED)
        o = self.orders.get(oid)
        if o is None or o.uid != cmd.uid or (cmd.symbol and o.symbol != cmd.symbol):
            return errors.reject(errors.ORDER_NOT_FOUND)
        acct = self.accounts[o.uid]
        if acct.frozen:
            return errors.reject(errors.USER_FROZEN)
        self.cancel_order(o, acct, cmd.ts)
        return oid

    def cancel_order(self, o: Order, acct: Account, ts: int) -> None:
        sym = self.markets.symbols[o.symbol]
        self.books[o.symbol].remove(o)
        del self.orders[o.order_id]
        coin = sym.quote if o.side is BUY else sym.base
        if o.hold:
            self.ledger.release(acct, coin, o.hold, ts, "ENTRUST_CANCEL")
            o.hold = 0
        o.status = check_transition(o.status, CANCELLED)
        self.ledger.events.append(order_event(o, ts, False))
