"""A small market maker built on the openweex SDK (async client + private stream).

It keeps one bid and one ask around the mid price of the book, ``--spread`` apart (relative),
``--size`` each, as post-only orders so that it never takes liquidity. Every ``--refresh``
seconds it re-reads the book and re-quotes a side whose price is off by more than a quarter
of the spread. Fills arrive over the private WebSocket stream: they update the position, and
a filled quote is replaced at once. When the position reaches ``--max-position`` the side
that would grow it is not quoted. It stops after ``--duration`` seconds (or Ctrl-C) and
cancels its orders.

    openweex serve --demo          # prints the URL and the demo trader's credentials
    export OPENWEEX_URL=http://127.0.0.1:8080 OPENWEEX_API_KEY=... \\
           OPENWEEX_SECRET_KEY=... OPENWEEX_PASSPHRASE=...
    python examples/market_maker.py --symbol BTCUSDT_SPBL --duration 60
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import secrets
import time
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from openweex.client import (
    ApiError,
    AsyncClient,
    DealEvent,
    Force,
    InsufficientBalanceError,
    OrderEvent,
    OrderRejectedError,
    Product,
    Side,
    Stream,
    StreamOrderStatus,
    private_stream,
)

FINISHED = (
    StreamOrderStatus.FILLED,
    StreamOrderStatus.CANCELED,
    StreamOrderStatus.PARTIALLY_CANCELED,
)


@dataclass
class Quote:
    """One resting quote of ours."""

    order_id: str
    price: Decimal


@dataclass
class Stats:
    placed: int = 0
    fills: int = 0
    bought: Decimal = Decimal(0)
    sold: Decimal = Decimal(0)

    @property
    def position(self) -> Decimal:
        return self.bought - self.sold


@dataclass
class MarketMaker:
    client: AsyncClient
    product: Product
    spread: Decimal
    size: Decimal
    max_position: Decimal
    quotes: dict[Side, Quote] = field(default_factory=dict)
    stats: Stats = field(default_factory=Stats)
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    run_id: str = field(default_factory=lambda: secrets.token_hex(3))
    mine: set[str] = field(default_factory=set)  # every order id we placed

    @property
    def symbol(self) -> str:
        return self.product.symbol

    def tick(self) -> Decimal:
        return Decimal(1).scaleb(-self.product.price_scale)

    async def mid(self) -> Decimal | None:
        """Mid of the best bid and ask; the last price when a side is empty."""
        book = await self.client.get_depth(self.symbol, limit=1)
        if book.bids and book.asks:
            return (book.bids[0].price + book.asks[0].price) / 2
        last = (await self.client.get_ticker(self.symbol)).close
        return last if last > 0 else None

    def target(self, side: Side, mid: Decimal) -> Decimal:
        """Our price on ``side``: half the spread away from the mid, rounded outwards."""
        half = mid * self.spread / 2
        if side is Side.BUY:
            return (mid - half).quantize(self.tick(), rounding=ROUND_FLOOR)
        return (mid + half).quantize(self.tick(), rounding=ROUND_CEILING)

    def wanted(self, side: Side) -> bool:
        """Whether to quote ``side`` given the position limit."""
        if side is Side.BUY:
            return self.stats.position < self.max_position
        return self.stats.position > -self.max_position

    async def place(self, side: Side, price: Decimal) -> None:
        self.stats.placed += 1
        client_id = f"mm{self.run_id}-{self.stats.placed}"
        try:
            placed = await self.client.place_order(
                self.symbol,
                side,
                "limit",
                self.size,
                price=price,
                force=Force.POST_ONLY,
                client_order_id=client_id,
            )
        except (OrderRejectedError, InsufficientBalanceError) as exc:
            print(f"  {side.value} at {price} not placed: {exc.msg}")
            return
        self.quotes[side] = Quote(placed.order_id, price)
        self.mine.add(placed.order_id)
        print(f"quote {side.value} {self.size} @ {price} (order {placed.order_id})")

    async def cancel(self, side: Side) -> None:
        quote = self.quotes.pop(side, None)
        if quote is not None:
            with contextlib.suppress(ApiError):  # already filled or cancelled
                await self.client.cancel_order(self.symbol, quote.order_id)

    async def requote(self) -> None:
        mid = await self.mid()
        if mid is None:
            print("no price yet: the book and the tape are empty")
            return
        tolerance = mid * self.spread / 4
        for side in (Side.BUY, Side.SELL):
            price = self.target(side, mid)
            quote = self.quotes.get(side)
            if not self.wanted(side):
                await self.cancel(side)
            elif quote is None:
                await self.place(side, price)
            elif abs(quote.price - price) > tolerance:
                await self.cancel(side)
                await self.place(side, price)

    def on_event(self, event: object) -> None:
        """Fills update the position; a finished quote is forgotten and re-placed soon."""
        ours = {q.order_id: side for side, q in self.quotes.items()}
        if isinstance(event, DealEvent) and event.order_id in self.mine:
            self.stats.fills += 1
            if event.side is Side.BUY:
                self.stats.bought += event.quantity
            else:
                self.stats.sold += event.quantity
            print(
                f"fill {event.side.value} {event.quantity} @ {event.price}"
                f" (position {self.stats.position})"
            )
        elif isinstance(event, OrderEvent) and event.order_id in ours and event.status in FINISHED:
            self.quotes.pop(ours[event.order_id], None)
            self.wake.set()

    async def quote_loop(self, duration: float, refresh: float) -> None:
        deadline = time.monotonic() + duration
        while (left := deadline - time.monotonic()) > 0:
            await self.requote()
            self.wake.clear()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(min(refresh, left)):
                    await self.wake.wait()

    async def close(self) -> None:
        for side in list(self.quotes):
            await self.cancel(side)


async def listen(maker: MarketMaker, events: Stream) -> None:
    async for event in events:
        maker.on_event(event)


async def run(args: argparse.Namespace) -> None:
    async with AsyncClient(args.url, args.api_key, args.secret_key, args.passphrase) as client:
        maker = MarketMaker(
            client,
            await client.get_product(args.symbol),
            args.spread,
            args.size,
            args.max_position,
        )
        async with private_stream(client) as events:
            listener = asyncio.create_task(listen(maker, events))
            try:
                await maker.quote_loop(args.duration, args.refresh)
            finally:
                listener.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await listener
                await maker.close()
        s = maker.stats
        print(
            f"done: placed {s.placed} orders, {s.fills} fills, bought {s.bought},"
            f" sold {s.sold}, position {s.position}"
        )


def parse_args() -> argparse.Namespace:
    env = os.environ.get
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--url", default=env("OPENWEEX_URL", "http://127.0.0.1:8080"))
    p.add_argument("--api-key", default=env("OPENWEEX_API_KEY"))
    p.add_argument("--secret-key", default=env("OPENWEEX_SECRET_KEY"))
    p.add_argument("--passphrase", default=env("OPENWEEX_PASSPHRASE"))
    p.add_argument("--symbol", default="BTCUSDT_SPBL")
    p.add_argument("--spread", type=Decimal, default=Decimal("0.002"), help="relative (0.2%%)")
    p.add_argument("--size", type=Decimal, default=Decimal("0.001"), help="base quantity")
    p.add_argument("--max-position", type=Decimal, default=Decimal("0.01"), help="base")
    p.add_argument("--refresh", type=float, default=2.0, help="seconds between re-quotes")
    p.add_argument("--duration", type=float, default=60.0, help="seconds to run")
    args = p.parse_args()
    if not (args.api_key and args.secret_key and args.passphrase):
        p.error("give --api-key, --secret-key and --passphrase (or the OPENWEEX_* variables)")
    return args


def main() -> None:
    args = parse_args()
    try:
        asyncio.run(run(args))
    except KeyboardInterrupt:
        print("interrupted")
    except ApiError as exc:
        raise SystemExit(f"error {exc.code}: {exc.msg}") from None


if __name__ == "__main__":
    main()
