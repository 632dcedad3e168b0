"""A grid bot built on the openweex SDK (sync client, polling).

It lays a grid of price levels ``--step`` apart (relative to the mid price) around the
current mid: ``--levels`` buy orders below it and as many sell orders above it, ``--size``
each. Every ``--poll`` seconds it compares its orders with the open orders on the exchange;
for an order that is gone it asks the exchange what happened: a filled buy at level k is
answered by a sell at level k+1, a filled sell at level k by a buy at level k-1 (so every
round trip earns one step); an order cancelled by someone else is placed again. It stops
after ``--duration`` seconds (or Ctrl-C) and cancels its orders.

    openweex serve --demo          # prints the URL and the demo trader's credentials
    export OPENWEEX_URL=http://127.0.0.1:8080 OPENWEEX_API_KEY=... \\
           OPENWEEX_SECRET_KEY=... OPENWEEX_PASSPHRASE=...
    python examples/grid_bot.py --symbol ETHUSDT_SPBL --levels 5 --step 0.001 --duration 60
"""

from __future__ import annotations

import argparse
import os
import secrets
import time
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from openweex.client import (
    ApiError,
    Client,
    InsufficientBalanceError,
    OrderRejectedError,
    OrderStatus,
    Product,
    Side,
)


@dataclass(frozen=True)
class Slot:
    """One grid order: its level (negative below the centre) and side."""

    level: int
    side: Side


@dataclass
class GridBot:
    client: Client
    product: Product
    center: Decimal
    step: Decimal
    size: Decimal
    orders: dict[str, Slot] = field(default_factory=dict)  # order id -> slot
    placed: int = 0
    fills: int = 0
    run_id: str = field(default_factory=lambda: secrets.token_hex(3))

    @property
    def symbol(self) -> str:
        return self.product.symbol

    def price(self, level: int) -> Decimal:
        tick = Decimal(1).scaleb(-self.product.price_scale)
        return (self.center * (1 + self.step * level)).quantize(tick, rounding=ROUND_HALF_UP)

    def place(self, slot: Slot) -> None:
        self.placed += 1
        price = self.price(slot.level)
        try:
            placed = self.client.place_order(
                self.symbol,
                slot.side,
                "limit",
                self.size,
                price=price,
                client_order_id=f"grid{self.run_id}-{self.placed}",
            )
        except (InsufficientBalanceError, OrderRejectedError) as exc:
            print(f"  {slot.side.value} at level {slot.level} ({price}) not placed: {exc.msg}")
            return
        self.orders[placed.order_id] = slot
        print(f"{slot.side.value} {self.size} @ {price} (level {slot.level})")

    def lay(self, levels: int) -> None:
        for k in range(1, levels + 1):
            self.place(Slot(-k, Side.BUY))
            self.place(Slot(k, Side.SELL))

    def check(self) -> None:
        """Handle the orders that are no longer open."""
        still_open = {o.order_id for o in self.client.get_open_orders(self.symbol)}
        for order_id in [i for i in self.orders if i not in still_open]:
            slot = self.orders.pop(order_id)
            status = self.client.get_order(self.symbol, order_id).status
            if status is OrderStatus.FULL_FILL:
                self.fills += 1
                print(f"filled: {slot.side.value} at level {slot.level}")
                if slot.side is Side.BUY:
                    self.place(Slot(slot.level + 1, Side.SELL))
                else:
                    self.place(Slot(slot.level - 1, Side.BUY))
            elif status is OrderStatus.CANCELLED:
                self.place(slot)

    def close(self) -> None:
        ids = list(self.orders)
        for start in range(0, len(ids), 50):
            try:
                self.client.cancel_batch_orders(self.symbol, ids[start : start + 50])
            except ApiError as exc:
                print(f"cancel failed: {exc.msg}")
        self.orders.clear()


def center_price(client: Client, symbol: str, wait: float = 10.0) -> Decimal:
    """Mid of the best bid and ask, else the last price; waits up to ``wait`` seconds for a
    book that is still empty (a server that has just started)."""
    deadline = time.monotonic() + wait
    while True:
        book = client.get_depth(symbol, limit=1)
        if book.bids and book.asks:
            return (book.bids[0].price + book.asks[0].price) / 2
        last = client.get_ticker(symbol).close
        if last > 0:
            return last
        if time.monotonic() > deadline:
            raise SystemExit(f"{symbol} has no price yet: pass --center")
        time.sleep(0.5)


def run(args: argparse.Namespace) -> None:
    with Client(args.url, args.api_key, args.secret_key, args.passphrase) as client:
        product = client.get_product(args.symbol)
        center = args.center or center_price(client, args.symbol)
        bot = GridBot(client, product, center, args.step, args.size)
        print(f"grid around {center}, step {args.step}, {args.levels} levels per side")
        deadline = time.monotonic() + args.duration
        try:
            bot.lay(args.levels)
            while (left := deadline - time.monotonic()) > 0:
                time.sleep(min(args.poll, left))
                bot.check()
        finally:
            bot.close()
        print(f"done: placed {bot.placed} orders, {bot.fills} fills")


def parse_args() -> argparse.Namespace:
    env = os.environ.get
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--url", default=env("OPENWEEX_URL", "http://127.0.0.1:8080"))
    p.add_argument("--api-key", default=env("OPENWEEX_API_KEY"))
    p.add_argument("--secret-key", default=env("OPENWEEX_SECRET_KEY"))
    p.add_argument("--passphrase", default=env("OPENWEEX_PASSPHRASE"))
    p.add_argument("--symbol", default="ETHUSDT_SPBL")
    p.add_argument("--levels", type=int, default=5, help="orders per side")
    p.add_argument("--step", type=Decimal, default=Decimal("0.001"), help="relative (0.1%%)")
    p.add_argument("--size", type=Decimal, default=Decimal("0.01"), help="base quantity")
    p.add_argument("--center", type=Decimal, help="centre price (default: the mid)")
    p.add_argument("--poll", type=float, default=1.0, help="seconds between checks")
    p.add_argument("--duration", type=float, default=60.0, help="seconds to run")
    args = p.parse_args()
    if not (args.api_key and args.secret_key and args.passphrase):
        p.error("give --api-key, --secret-key and --passphrase (or the OPENWEEX_* variables)")
    return args


def main() -> None:
    args = parse_args()
    try:
        run(args)
    except KeyboardInterrupt:
        print("interrupted")
    except ApiError as exc:
        raise SystemExit(f"error {exc.code}: {exc.msg}") from None


if __name__ == "__main__":
    main()
