"""The pagination helpers across several pages of the real server's history endpoints."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import httpx
import pytest

from openweex.client import Client, OrderRequest, OrderStatus
from tests.support.server import ServerProcess

from .helpers import ETH, client_for

LEVELS = 7
PAGE = 3


class CountingTransport(httpx.HTTPTransport):
    """Counts the requests per path."""

    def __init__(self) -> None:
        super().__init__()
        self.paths: list[str] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.paths.append(request.url.path)
        return super().handle_request(request)

    def pages(self, suffix: str) -> int:
        return sum(1 for path in self.paths if path.endswith(suffix))


@pytest.fixture(scope="module")
def traded(live: ServerProcess) -> Iterator[tuple[Client, CountingTransport]]:
    """A maker whose LEVELS sell orders were each filled by one market buy of a taker."""
    maker = live.new_user({"ETH": "10"})
    taker = live.new_user({"USDT": "100000"})
    transport = CountingTransport()
    with client_for(live, maker, transport=transport) as m, client_for(live, taker) as t:
        asks = [OrderRequest("sell", "0.1", price=str(2000 + i)) for i in range(LEVELS)]
        assert len(m.place_batch_orders(ETH, asks).placed) == LEVELS
        bought = t.place_order(ETH, "buy", "market", "5000")
        assert t.get_order(ETH, bought.order_id).fill_quantity == Decimal("0.7")
        assert len(t.get_fills(ETH, order_id=bought.order_id)) == LEVELS
        yield m, transport


def test_order_history_pages(traded: tuple[Client, CountingTransport]) -> None:
    maker, transport = traded
    everything = maker.get_order_history(ETH, limit=100)
    assert len(everything) == LEVELS
    assert all(order.status is OrderStatus.FULL_FILL for order in everything)
    before = transport.pages("/trade/history")
    walked = list(maker.iter_order_history(ETH, page_size=PAGE))
    assert [o.order_id for o in walked] == [o.order_id for o in everything]
    assert transport.pages("/trade/history") - before == 4  # 3 + 3 + 1, then an empty page
    older = list(maker.iter_order_history(ETH, after=everything[1].order_id, page_size=PAGE))
    assert [o.order_id for o in older] == [o.order_id for o in everything[2:]]


def test_fill_pages(traded: tuple[Client, CountingTransport]) -> None:
    maker, transport = traded
    everything = maker.get_fills(ETH, limit=100)
    assert len(everything) == LEVELS
    before = transport.pages("/trade/fills")
    walked = list(maker.iter_fills(ETH, page_size=PAGE))
    assert [f.fill_id for f in walked] == [f.fill_id for f in everything]
    assert len({f.fill_id for f in walked}) == LEVELS
    assert transport.pages("/trade/fills") - before >= 3
    one_order = list(maker.iter_fills(ETH, order_id=everything[0].order_id, page_size=PAGE))
    assert [f.fill_id for f in one_order] == [everything[0].fill_id]


def test_bill_pages(traded: tuple[Client, CountingTransport]) -> None:
    maker, transport = traded
    everything = maker.get_bills(limit=100)
    assert len(everything) > 2 * PAGE
    before = transport.pages("/account/bills")
    walked = list(maker.iter_bills(page_size=PAGE))
    assert [b.bill_id for b in walked] == [b.bill_id for b in everything]
    assert transport.pages("/account/bills") - before > 2
    assert walked[-1].biz_type == "deposit"
