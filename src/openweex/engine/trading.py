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
per fill the trade, the maker's order update and the :class:`Settlement` of both users'
balance legs, then any release of unused freeze and the taker's final order state.
"""

from __future__ import annotations

from typing import Any, Final, NamedTuple

from openweex.domain import errors
from openweex.domain.commands import CancelOrder, PlaceOrder
from openweex.domain.errors import Reject
from openweex.domain.events import OrderUpdate, Settlement, Trade
from openweex.domain.markets import Markets, Symbol
from openweex.domain.orders import IllegalTransition, Status, check_transition
from openweex.domain.values import Force, OrderType, Side, valid_client_oid
from openweex.engine.amounts import base_amount, fee, notional
from openweex.engine.book import Book, Order
from openweex.engine.ledger import Account, Balance, Ledger
from openweex.engine.marketdata import MarketData
from openweex.engine.tuples import make

BUY: Final = Side.BUY
SELL: Final = Side.SELL
LIMIT: Final = OrderType.LIMIT
MARKET: Final = OrderType.MARKET
NORMAL: Final = Force.NORMAL
POST_ONLY: Final = Force.POST_ONLY
FOK: Final = Force.FOK
INIT: Final = Status.INIT
NEW: Final = Status.NEW
PARTIAL: Final = Status.PARTIAL_FILL
FULL: Final = Status.FULL_FILL
CANCELLED: Final = Status.CANCELLED
MAX_PRICE: Final = 10**18  # ticks
# A market buy is bounded by its budget, not by a quantity.
UNBOUNDED_LOTS: Final = 1 << 62


class OrderAck(NamedTuple):
    order_id: int
    client_oid: str


# Events and acks are built with tuples.make; module-level finals compile to direct references
# instead of lookups in the module's namespace.
_make: Final = make
_ORDER_UPDATE: Final = OrderUpdate
_TRADE: Final = Trade
_SETTLEMENT: Final = Settlement
_ORDER_ACK: Final = OrderAck


def order_update(
    o: Order,
    ts: object,
    uid: object,
    order_id: object,
    price: object,
    quantity: object,
    ctime: object,
    maker: bool,
) -> OrderUpdate:
    """The :class:`OrderUpdate` of ``o`` now, at ``ts``.

    ``uid``, ``order_id``, ``price``, ``quantity`` and ``ctime`` are those fields of ``o``,
    passed as the int objects the caller already holds (from its command or from the other
    events of a fill), so that no new ones are made for this event.
    """
    return _make(
        _ORDER_UPDATE,
        ts,
        uid,
        o.symbol,
        order_id,
        o.client_oid,
        o.side,
        o.order_type,
        o.force,
        price,
        quantity,
        o.status,
        o.filled_qty,
        o.filled_quote,
        ctime,
        maker,
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

    def _check_place(self, cmd: PlaceOrder, sym: Symbol) -> Reject | None:
        """Validate a placement's parameters; a rejection or None."""
        if sym.status != "online":
            return errors.reject(errors.PARAM_INVALID, f"{sym.symbol} is not trading")
        qty = cmd.quantity
        if qty <= 0:
            return errors.reject(errors.PARAM_INVALID, "quantity must be positive")
        otype = cmd.order_type
        if otype is LIMIT:
            price = cmd.price
            if price <= 0:
                return errors.reject(errors.PARAM_INVALID, "price must be positive")
            if price > MAX_PRICE:
                return errors.reject(errors.PARAM_INVALID, "price is too large")
        if otype is not MARKET or cmd.side is not BUY:
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
        return None

    def place(self, cmd: PlaceOrder) -> OrderAck | Reject:
        sym = self.markets.symbols.get(cmd.symbol)
        if sym is None:
            return errors.reject(errors.SYMBOL_NOT_FOUND, cmd.symbol)
        bad = self._check_place(cmd, sym)
        if bad is not None:
            return bad
        # The amount to freeze: a limit buy's notional, a market buy's budget, a sell's base.
        side = cmd.side
        qty = cmd.quantity
        if side is BUY:
            coin = sym.quote
            hold = qty if cmd.order_type is MARKET else notional(sym, cmd.price, qty)
        else:
            coin = sym.base
            hold = base_amount(sym, qty)
        # Looked up with the command's uid object, not a new int.
        raw: tuple[Any, ...] = cmd
        accounts_by_box: dict[Any, Account] = self.accounts
        acct = accounts_by_box.get(raw[1])
        if acct is None:
            return errors.reject(errors.ACCOUNT_NOT_FOUND)
        if acct.frozen:
            return errors.reject(errors.USER_FROZEN)
        bal = acct.balances.get(coin)
        if bal is None or bal.available < hold:
            return errors.reject(errors.INSUFFICIENT_BALANCE)
        book = self.books[sym.symbol]
        if cmd.order_type is LIMIT:
            force = cmd.force
            if force is POST_ONLY and book.would_take(side, cmd.price):
                return errors.reject(errors.POST_ONLY_WOULD_TAKE)
            if force is FOK and not book.fillable(side, cmd.price, qty):
                return errors.reject(errors.FOK_NOT_FILLABLE)
        return self._accept(cmd, sym, acct, book, bal, coin, hold)

    def _accept(
        self,
        cmd: PlaceOrder,
        sym: Symbol,
        acct: Account,
        book: Book,
        bal: Balance,
        coin: str,
        hold: int,
    ) -> OrderAck:
        # The command's fields as the objects they are, to put into events without making
        # new int objects for them.
        raw: tuple[Any, ...] = cmd
        tsb = raw[0]
        uidb = raw[1]
        ts = cmd.ts
        oid = self.next_order_id
        self.next_order_id = oid + 1
        oidb: object = oid
        uid = cmd.uid
        side = cmd.side
        otype = cmd.order_type
        force = cmd.force
        limit = otype is LIMIT
        coid = cmd.client_oid
        symbol = sym.symbol
        o = Order(
            oid,
            uid,
            symbol,
            side,
            otype,
            force,
            cmd.price if limit else 0,
            cmd.quantity,
            coid,
            ts,
        )
        if coid:
            self.client_oids[(uid, coid)] = oid
        o.hold = hold
        ledger = self.ledger
        ledger.freeze_balance(uidb, bal, coin, hold, ts, tsb, "ENTRUST_PLACE")
        o.status = NEW
        priceb = raw[6] if limit else 0
        qtyb = raw[7]
        ledger.events.append(order_update(o, tsb, uidb, oidb, priceb, qtyb, tsb, False))
        mult = sym.notional_mult
        if limit:
            fills = book.match(side, o.price, o.remaining, -1, mult)
        elif side is SELL:
            fills = book.match(SELL, 0, o.remaining, -1, mult)
        else:
            o.remaining = UNBOUNDED_LOTS
            fills = book.match(BUY, 0, UNBOUNDED_LOTS, hold, mult)
        boxed = (tsb, uidb, oidb, priceb, qtyb)
        if fills:
            self._settle(o, acct, sym, bal, fills, ts, boxed)
        self._finish_taker(o, book, sym, bal, coin, ts, boxed)
        return _make(_ORDER_ACK, oidb, coid)

    def _finish_taker(
        self,
        o: Order,
        book: Book,
        sym: Symbol,
        bal: Balance,
        coin: str,
        ts: int,
        boxed: tuple[object, object, object, object, object],
    ) -> None:
        """Rest, complete or cancel the taker after matching; release unused freeze.

        ``bal`` is the taker's balance of ``coin``, the coin its order froze. ``boxed`` holds
        the order's ts, uid, order id, price and quantity as the objects its events use.
        """
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
        if new is CANCELLED:
            o.remaining = 0
        excess = o.hold - keep
        ledger = self.ledger
        tsb, uidb, oidb, priceb, qtyb = boxed
        if excess:
            reason = "ENTRUST_CANCEL" if new is CANCELLED else "ENTRUST_UNFROZEN"
            ledger.freeze_balance(uidb, bal, coin, -excess, ts, tsb, reason)
            o.hold = keep
        if new is NEW or new is PARTIAL:
            book.add(o)
            orders_by_box: dict[Any, Order] = self.orders
            orders_by_box[oidb] = o
            if new is NEW:
                return
        ledger.events.append(order_update(o, tsb, uidb, oidb, priceb, qtyb, tsb, False))

    def _settle(
        self,
        taker: Order,
        tacct: Account,
        sym: Symbol,
        pay: Balance,
        fills: list[Order],
        ts: int,
        boxed: tuple[object, object, object, object, object],
    ) -> None:
        """Settle the fills of ``taker``: per fill the trade, the maker's order update and
        the settlement of the taker's legs (pay, receive, fee) and then the maker's.

        ``pay`` is the taker's balance of the coin it pays with (the one its order froze).
        Each maker's ``fill`` lots trade at its price; its fee is charged at the maker rate.
        ``boxed`` is as for :meth:`_finish_taker`.
        """
        tsb, t_uid_box, t_oid = boxed[0], boxed[1], boxed[2]
        ledger = self.ledger
        events = ledger.events
        # Looked up with int objects already made for the events.
        accounts_by_box: dict[Any, Account] = self.accounts
        orders_by_box: dict[Any, Order] = self.orders
        market = self.market
        trate = sym.taker_fee
        mrate = sym.maker_fee
        symbol = sym.symbol
        side = taker.side
        taker_buys = side is BUY
        if taker_buys:
            pay_coin, get_coin = sym.quote, sym.base
            t_biz = "buy"
        else:
            pay_coin, get_coin = sym.base, sym.quote
            t_biz = "sell"
        t_uid = taker.uid
        t_coid = taker.client_oid
        get = tacct.balances.get(get_coin)
        if get is None:
            get = tacct.balance(get_coin)
        tid = self.next_trade_id
        t_fees = 0
        m_fees = 0
        for maker in fills:
            q = maker.fill
            price = maker.price
            qamt = notional(sym, price, q)
            bamt = base_amount(sym, q)
            m_uid = maker.uid
            if taker_buys:
                t_paid, t_got = qamt, bamt
                tfee, mfee = fee(bamt, trate), fee(qamt, mrate)
            else:
                t_paid, t_got = bamt, qamt
                tfee, mfee = fee(qamt, trate), fee(bamt, mrate)
            t_fees += tfee
            m_fees += mfee
            # Each value goes into several events: make its int object once.
            price_b: object = price
            qamt_b: object = qamt
            bamt_b: object = bamt
            tfee_b: object = tfee
            mfee_b: object = mfee
            m_uid_b: object = m_uid
            m_oid_b: object = maker.order_id
            if taker_buys:
                paid_b, got_b = qamt_b, bamt_b
            else:
                paid_b, got_b = bamt_b, qamt_b
            macct = accounts_by_box[m_uid_b]
            trade: Trade = _make(
                _TRADE,
                tsb,
                symbol,
                tid,
                price_b,
                q,
                qamt_b,
                side,
                t_uid_box,
                t_oid,
                t_coid,
                m_uid_b,
                m_oid_b,
                maker.client_oid,
                tfee_b,
                mfee_b,
                t_uid == m_uid,
            )
            events.append(trade)
            market.on_trade_event(trade)
            tid += 1
            taker.remaining -= q
            taker.filled_qty += q
            taker.filled_quote += qamt
            maker.filled_qty += q
            maker.filled_quote += qamt
            new = FULL if maker.remaining == 0 else PARTIAL
            old = maker.status
            if old is not NEW and old is not PARTIAL and old is not INIT:
                raise IllegalTransition(f"{old.wire} -> {new.wire}")
            maker.status = new
            if new is FULL:
                del orders_by_box[m_oid_b]
            events.append(
                order_update(
                    maker, tsb, m_uid_b, m_oid_b, price_b, maker.quantity, maker.ctime, True
                )
            )
            taker.hold -= t_paid
            maker.hold -= t_got
            # The four balance legs (two with a fee each); one Settlement stands for them.
            pay.frozen -= t_paid
            pay.utime = ts
            get.available += t_got - tfee
            get.utime = ts
            m_pay = macct.balances[get_coin]
            m_pay.frozen -= t_got
            m_pay.utime = ts
            m_get = macct.balances.get(pay_coin)
            if m_get is None:
                m_get = macct.balance(pay_coin)
            m_get.available += t_paid - mfee
            m_get.utime = ts
            bill_id = ledger.next_bill_id
            ledger.next_bill_id = bill_id + 4 + (1 if tfee else 0) + (1 if mfee else 0)
            events.append(
                _make(
                    _SETTLEMENT,
                    tsb,
                    t_uid_box,
                    m_uid_b,
                    pay_coin,
                    get_coin,
                    paid_b,
                    got_b,
                    tfee_b,
                    mfee_b,
                    t_biz,
                    bill_id,
                    pay.available,
                    pay.frozen,
                    pay.locked,
                    get.available,
                    get.frozen,
                    get.locked,
                    m_pay.available,
                    m_pay.frozen,
                    m_pay.locked,
                    m_get.available,
                    m_get.frozen,
                    m_get.locked,
                )
            )
        self.next_trade_id = tid
        ledger.add_fee(get_coin, t_fees)
        ledger.add_fee(pay_coin, m_fees)

    def cancel(self, cmd: CancelOrder) -> int | Reject:
        # The command's uid and order id objects are used as keys and in the events.
        raw: tuple[Any, ...] = cmd
        oid = cmd.order_id
        coid = cmd.client_oid
        if oid:
            oidb = raw[3]
        elif coid:
            oid = self.client_oids.get((cmd.uid, coid), 0)
            oidb = oid
        else:
            return errors.reject(errors.ORDER_ID_REQUIRED)
        orders_by_box: dict[Any, Order] = self.orders
        o = orders_by_box.get(oidb)
        if o is None or o.uid != cmd.uid or (cmd.symbol and o.symbol != cmd.symbol):
            return errors.reject(errors.ORDER_NOT_FOUND)
        accounts_by_box: dict[Any, Account] = self.accounts
        uidb = raw[1]  # the order's uid: checked above
        acct = accounts_by_box[uidb]
        if acct.frozen:
            return errors.reject(errors.USER_FROZEN)
        self.cancel_order(o, acct, cmd.ts, raw[0], uidb, oidb)
        return oid

    def cancel_order(
        self, o: Order, acct: Account, ts: int, tsb: object, uidb: object, oidb: object
    ) -> None:
        """Cancel resting order ``o`` of ``acct``; ``tsb``, ``uidb`` and ``oidb`` are ``ts``,
        its uid and its order id as objects for the events."""
        sym = self.markets.symbols[o.symbol]
        self.books[o.symbol].remove(o)
        orders_by_box: dict[Any, Order] = self.orders
        del orders_by_box[oidb]
        ledger = self.ledger
        if o.hold:
            coin = sym.quote if o.side is BUY else sym.base
            b = acct.balances.get(coin)
            if b is None:
                b = acct.balance(coin)
            ledger.freeze_balance(uidb, b, coin, -o.hold, ts, tsb, "ENTRUST_CANCEL")
            o.hold = 0
        o.status = check_transition(o.status, CANCELLED)
        ledger.events.append(order_update(o, tsb, uidb, oidb, o.price, o.quantity, o.ctime, False))
