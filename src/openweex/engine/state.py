"""Export, import and invariant checks of the whole exchange state.

The exported form is plain data (dicts with string keys, lists, ints, strings, bools) in a
canonical order, so that equal states export equally and :meth:`Exchange.state_hash` can
digest it. Resting orders are listed in book order (bids best first, then asks best first,
FIFO within a level) so that an import rebuilds identical queues.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from openweex.domain.orders import Status
from openweex.domain.values import Force, OrderType, Side
from openweex.engine.amounts import base_amount, notional
from openweex.engine.book import Order
from openweex.engine.ledger import Account, ApiKeyRecord, Balance

if TYPE_CHECKING:
    from openweex.engine.exchange import Exchange

STATE_VERSION = 1


def _order_row(o: Order) -> list[Any]:
    return [
        o.order_id,
        o.uid,
        int(o.side),
        int(o.order_type),
        int(o.force),
        o.price,
        o.quantity,
        o.remaining,
        o.hold,
        o.filled_qty,
        o.filled_quote,
        o.client_oid,
        o.ctime,
        int(o.status),
    ]


def export_state(ex: Exchange) -> dict[str, Any]:
    led = ex.ledger
    return {
        "version": STATE_VERSION,
        "counters": [
            ex.next_uid,
            ex.next_order_id,
            ex.next_trade_id,
            ex.next_transfer_id,
            led.next_bill_id,
            ex.last_ts,
        ],
        "accounts": [
            [
                a.uid,
                a.ctime,
                a.frozen,
                [
                    [c, b.available, b.frozen, b.locked, b.utime]
                    for c, b in sorted(a.balances.items())
                ],
            ]
            for _, a in sorted(ex.accounts.items())
        ],
        "api_keys": [
            [
                k.api_key,
                k.uid,
                k.secret,
                k.passphrase,
                list(k.permissions),
                list(k.ip_whitelist),
                k.ctime,
            ]
            for _, k in sorted(ex.api_keys.items())
        ],
        "listen_keys": [[k, u, exp] for k, (u, exp) in sorted(ex.listen_keys.items())],
        "books": {s: [_order_row(o) for o in ex.books[s].live_orders()] for s in sorted(ex.books)},
        "client_oids": [[u, c, oid] for (u, c), oid in sorted(ex.client_oids.items())],
        "fees": sorted([c, v] for c, v in led.fees.items()),
        "inflow": sorted([c, v] for c, v in led.inflow.items()),
        "outflow": sorted([c, v] for c, v in led.outflow.items()),
        "market": ex.market.export_state(),
    }


def import_state(ex: Exchange, data: dict[str, Any]) -> None:
    if data.get("version") != STATE_VERSION:
        raise ValueError(f"unsupported state version {data.get('version')!r}")
    (
        ex.next_uid,
        ex.next_order_id,
        ex.next_trade_id,
        ex.next_transfer_id,
        ex.ledger.next_bill_id,
        ex.last_ts,
    ) = data["counters"]
    for uid, ctime, frozen, balances in data["accounts"]:
        acct = Account(uid, ctime)
        acct.frozen = frozen
        for coin, avail, frz, locked, utime in balances:
            if coin not in ex.markets.coins:
                raise ValueError(f"user {uid} holds {coin}, a coin the markets do not list")
            acct.balances[coin] = Balance(avail, frz, locked, utime)
        ex.accounts[uid] = acct
    for key, uid, secret, pp, perms, ips, ctime in data["api_keys"]:
        ex.api_keys[key] = ApiKeyRecord(key, uid, secret, pp, tuple(perms), tuple(ips), ctime)
    ex.listen_keys = {k: (u, exp) for k, u, exp in data["listen_keys"]}
    for symbol, rows in data["books"].items():
        book = ex.books[symbol]
        for row in rows:
            (
                oid,
                uid,
                side,
                otype,
                force,
                price,
                qty,
                rem,
                hold,
                fq,
                fquote,
                coid,
                ctime,
                status,
            ) = row
            o = Order(
                oid,
                uid,
                symbol,
                Side(side),
                OrderType(otype),
                Force(force),
                price,
                qty,
                coid,
                ctime,
            )
            o.remaining, o.hold, o.filled_qty, o.filled_quote = rem, hold, fq, fquote
            o.status = Status(status)
            book.add(o)
            ex.orders[oid] = o
        book.touched.clear()
    ex.client_oids = {(u, c): oid for u, c, oid in data["client_oids"]}
    ex.ledger.fees = dict(data["fees"])
    ex.ledger.inflow = dict(data["inflow"])
    ex.ledger.outflow = dict(data["outflow"])
    ex.market.import_state(data["market"])


def check_invariants(ex: Exchange) -> None:
    holds: dict[tuple[int, str], int] = {}
    live = 0
    for symbol, book in ex.books.items():
        book.check()
        sym = ex.markets.symbols[symbol]
        for o in book.live_orders():
            live += 1
            assert ex.orders.get(o.order_id) is o, f"order {o.order_id} not indexed"
            assert o.status in (Status.NEW, Status.PARTIAL_FILL), f"order {o.order_id} status"
            assert o.remaining + o.filled_qty == o.quantity, f"order {o.order_id} quantities"
            coin = sym.quote if o.side is Side.BUY else sym.base
            want = (
                notional(sym, o.price, o.remaining)
                if o.side is Side.BUY
                else base_amount(sym, o.remaining)
            )
            assert o.hold == want, f"order {o.order_id} holds {o.hold}, needs {want}"
            holds[(o.uid, coin)] = holds.get((o.uid, coin), 0) + o.hold
    assert live == len(ex.orders), "order index has orders that are not in a book"
    totals: dict[str, int] = {}
    for uid, acct in ex.accounts.items():
        for coin, b in acct.balances.items():
            assert b.available >= 0 and b.frozen >= 0 and b.locked >= 0, f"negative {uid} {coin}"
            assert b.frozen == holds.get((uid, coin), 0), f"frozen {uid} {coin} != order holds"
            totals[coin] = totals.get(coin, 0) + b.available + b.frozen + b.locked
    led = ex.ledger
    for coin in set(totals) | set(led.fees) | set(led.inflow):
        have = totals.get(coin, 0) + led.fees.get(coin, 0)
        came = led.inflow.get(coin, 0) - led.outflow.get(coin, 0)
        assert have == came, f"{coin}: balances + fees {have} != in - out {came}"
