"""Every method of ``AsyncClient`` against the exchange running in the test's process: REST
straight into the ASGI app, streams over an in-process uvicorn."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import pytest

from openweex.client import (
    AsyncClient,
    DealEvent,
    InsufficientBalanceError,
    OrderEvent,
    OrderNotFoundError,
    OrderRequest,
    OrderStatus,
    PermissionDeniedError,
    StreamEvent,
    private_stream,
)

from .helpers import BTC, ETH
from .inproc import InProcess, in_process


@pytest.fixture
async def ex(tmp_path: Path) -> AsyncIterator[InProcess]:
    async with in_process(tmp_path / "data") as exchange:
        yield exchange


@pytest.fixture
async def pair(ex: InProcess) -> AsyncIterator[tuple[AsyncClient, AsyncClient]]:
    maker = await ex.new_user({"BTC": "5", "ETH": "10"})
    taker = await ex.new_user({"USDT": "500000"})
    async with ex.client(maker) as m, ex.client(taker) as t:
        yield m, t


async def test_public_and_market(pair: tuple[AsyncClient, AsyncClient]) -> None:
    maker, taker = pair
    assert await maker.get_server_time() > 0
    assert {c.coin_name.upper() for c in await maker.get_currencies()} >= {"BTC", "USDT"}
    assert BTC in [p.symbol for p in await maker.get_products()]
    assert (await maker.get_product(BTC)).quote_coin == "USDT"
    await maker.place_order(BTC, "sell", "limit", "1", price="30000")
    await taker.place_order(BTC, "buy", "market", "15000")
    ticker, tickers, trades, candles, book = await asyncio.gather(
        maker.get_ticker(BTC),
        maker.get_tickers(),
        maker.get_recent_trades(BTC, limit=10),
        maker.get_candles(BTC, "1min"),
        maker.get_depth(BTC, limit=5),
    )
    assert ticker.close == Decimal("30000") and len(tickers) >= 2
    assert trades[0].fill_quantity == Decimal("0.5")
    assert candles[-1].base_vol == Decimal("0.5")
    assert book.asks[0].price == Decimal("30000") and book.asks[0].quantity == Decimal("0.5")


async def test_trade_and_account(ex: InProcess, pair: tuple[AsyncClient, AsyncClient]) -> None:
    maker, taker = pair
    batch = await maker.place_batch_orders(
        BTC,
        [
            OrderRequest("sell", "0.1", price=str(40000 + i), client_order_id=f"a{i}")
            for i in range(3)
        ],
    )
    ids = [p.order_id for p in batch.placed]
    assert len(ids) == 3
    assert (await maker.get_order(client_order_id="a1")).order_id == ids[1]
    await taker.place_order(BTC, "buy", "limit", "0.1", price="40000", client_order_id="t1")
    assert (await maker.get_order(BTC, ids[0])).status is OrderStatus.FULL_FILL
    assert sorted(o.order_id for o in await maker.get_open_orders(BTC)) == sorted(ids[1:])
    assert await maker.cancel_order(BTC, ids[1]) == ids[1]
    assert await maker.cancel_batch_orders(BTC, [ids[2]]) == [ids[2]]
    history = await maker.get_order_history(BTC)
    assert {o.order_id for o in history} == set(ids)
    fills = await taker.get_fills(BTC)
    assert fills[0].fill_price == Decimal("40000") and fills[0].fee_ccy.upper() == "BTC"
    assert {a.coin_name.upper() for a in await taker.get_assets()} >= {"USDT", "BTC"}
    assert [b.biz_type for b in await taker.get_bills()][-1] == "deposit"
    assert await taker.get_transfer_records() == []
    with pytest.raises(InsufficientBalanceError):
        await taker.place_order(BTC, "buy", "limit", "100", price="40000")
    with pytest.raises(OrderNotFoundError):
        await taker.cancel_order(BTC, ids[0])


async def test_listen_keys_and_frozen_user(ex: InProcess) -> None:
    user = await ex.new_user({"USDT": "10"})
    async with ex.client(user) as c:
        key = await c.create_listen_key()
        assert await c.get_listen_keys() == [key]
        await c.keep_alive_listen_key(key)
        await c.close_listen_key(key)
        assert await c.get_listen_keys() == []
        await ex.admin(f"/accounts/{user.uid}/freeze")
        with pytest.raises(PermissionDeniedError) as info:
            await c.get_assets()
        assert info.value.code == "40013"


async def test_paging_across_pages(pair: tuple[AsyncClient, AsyncClient]) -> None:
    maker, taker = pair
    asks = [OrderRequest("sell", "0.01", price=str(3000 + i)) for i in range(5)]
    await maker.place_batch_orders(ETH, asks)
    await taker.place_order(ETH, "buy", "market", "1000")
    history = [o.order_id async for o in maker.iter_order_history(ETH, page_size=2)]
    assert history == [o.order_id for o in await maker.get_order_history(ETH)]
    assert len(history) == 5
    fills = [f.fill_id async for f in taker.iter_fills(ETH, page_size=2)]
    assert fills == [f.fill_id for f in await taker.get_fills(ETH)]
    assert len(fills) == 5
    bills = [b.bill_id async for b in taker.iter_bills(page_size=2)]
    assert bills == [b.bill_id for b in await taker.get_bills()]
    assert len(bills) > 4


async def test_private_stream_in_process(tmp_path: Path) -> None:
    async with in_process(tmp_path / "data", http=True) as ex:
        maker_user = await ex.new_user({"BTC": "1"})
        taker_user = await ex.new_user({"USDT": "100000"})
        async with (
            ex.client(maker_user) as maker,
            ex.client(taker_user) as taker,
            private_stream(maker) as events,
        ):
            await maker.place_order(BTC, "sell", "limit", "0.5", price="20000")
            await taker.place_order(BTC, "buy", "limit", "0.5", price="20000")
            seen: list[StreamEvent] = []
            async with asyncio.timeout(10):
                async for event in events:
                    seen.append(event)
                    if isinstance(event, DealEvent):
                        break
    orders = [e for e in seen if isinstance(e, OrderEvent)]
    assert orders and orders[0].price == Decimal("20000")
    deal = seen[-1]
    assert isinstance(deal, DealEvent) and deal.quantity == Decimal("0.5")


async def test_transfer_records_walked_whole(ex: InProcess) -> None:
    """Transfers made at once share milliseconds; the time-cursored walk returns each once."""
    user = await ex.new_user({"USDT": "1000"})
    body = {"uid": user.uid, "coin": "USDT", "amount": "1", "fromType": "SPOT", "toType": "FUNDING"}
    await asyncio.gather(*(ex.admin("/transfers", body) for _ in range(30)))
    async with ex.client(user) as c:
        whole = await c.get_transfer_records(limit=500)
        walked = [t async for t in c.iter_transfer_records(page_size=4)]
    assert len(whole) == 30 and len({t.trade_time for t in whole}) < 30  # shared ms
    assert [t.transfer_id for t in walked] == [t.transfer_id for t in whole]
