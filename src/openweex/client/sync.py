"""The synchronous REST client: one method per endpoint of the WEEX spot contract."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from types import TracebackType
from typing import Self, TypeVar

import httpx

from . import _calls
from ._base import (
    BaseClient,
    first_order,
    http_timeout,
    placed_from,
    placement_not_landed,
    placement_unknown,
)
from ._core import Call, build_request, decode_response, transport_error
from ._wire import Amount
from .enums import CandlePeriod, Force, OrderType, Side
from .errors import ListenKeyNotFoundError, OpenWeexError, OrderNotFoundError, TransportError
from .models import (
    Asset,
    BatchPlaceResult,
    Bill,
    Candle,
    Currency,
    Fill,
    MarketTrade,
    Order,
    OrderBook,
    OrderRequest,
    PlacedOrder,
    Product,
    Ticker,
    TransferRecord,
)
from .paging import MAX_PAGE_SIZE, paginate, paginate_by_time
from .throttle import RetryPolicy, Throttle

T = TypeVar("T")


class Client(BaseClient):
    """Synchronous WEEX spot client on ``httpx.Client``.

    ``base_url`` is the server root (``http://127.0.0.1:8080`` for a local openweex).
    Private endpoints need ``api_key``, ``secret_key`` and ``passphrase``. ``throttle=True``
    spaces requests by the contract's per-endpoint limits (or pass a :class:`Throttle`).
    ``retry`` governs retries of idempotent calls. ``transport``, ``sleep`` and ``clock`` (Unix
    ms, used for ACCESS-TIMESTAMP) can be injected, e.g. for tests. Use as a context manager
    or call :meth:`close`.
    """

    def __init__(
        self,
        base_url: str,
        api_key: str | None = None,
        secret_key: str | None = None,
        passphrase: str | None = None,
        *,
        timeout: float | httpx.Timeout | None = None,
        transport: httpx.BaseTransport | None = None,
        throttle: bool | Throttle = False,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], int] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(
            base_url, api_key, secret_key, passphrase, throttle=throttle, retry=retry, clock=clock
        )
        self._sleep = sleep
        self._http = httpx.Client(
            base_url=self.base_url,
            timeout=http_timeout(timeout),
            transport=transport,
            headers=self.default_headers(headers),
        )

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the underlying HTTP connections."""
        self._http.close()

    def _send(self, call: Call[T]) -> T:
        delay = self.throttle_delay(call.endpoint)
        if delay > 0:
            self._sleep(delay)
        request = build_request(self._http, call)
        try:
            response = self._http.send(request, auth=self.auth_for(call.endpoint))
        except httpx.TransportError as exc:
            raise transport_error(exc, call.endpoint) from exc
        return call.parse(decode_response(response))

    def _execute(self, call: Call[T]) -> T:
        attempt = 0
        lost = False  # an earlier attempt's answer was lost after the request went out
        while True:
            try:
                return self._send(call)
            except OpenWeexError as exc:
                exc.after_lost_answer = lost
                if not self.may_retry(call.endpoint, exc, attempt):
                    raise
                lost = lost or (isinstance(exc, TransportError) and exc.request_sent)
                self._sleep(self.retry_delay(exc, attempt))
                attempt += 1

    # -- public ------------------------------------------------------------------------

    def get_server_time(self) -> int:
        """``GET /api/spot/v1/public/time``: the server clock in Unix ms."""
        return self._execute(_calls.server_time())

    def get_currencies(self) -> list[Currency]:
        """``GET /api/spot/v1/public/currencies``: every coin and its chains."""
        return self._execute(_calls.currencies())

    def get_products(self) -> list[Product]:
        """``GET /api/spot/v1/public/products``: every trading pair's configuration."""
        return self._execute(_calls.products())

    def get_product(self, symbol: str) -> Product:
        """``GET /api/spot/v1/public/product?symbol=``: one trading pair's configuration."""
        return self._execute(_calls.product(symbol))

    # -- market ------------------------------------------------------------------------

    def get_ticker(self, symbol: str) -> Ticker:
        """``GET /api/spot/v1/market/ticker?symbol=``: the 24 h ticker of one symbol."""
        return self._execute(_calls.ticker(symbol))

    def get_tickers(self) -> list[Ticker]:
        """``GET /api/spot/v1/market/tickers``: the 24 h tickers of all symbols."""
        return self._execute(_calls.tickers())

    def get_recent_trades(self, symbol: str, limit: int | None = None) -> list[MarketTrade]:
        """``GET /api/spot/v1/market/fills``: the latest public trades, newest first."""
        return self._execute(_calls.recent_trades(symbol, limit))

    def get_candles(
        self,
        symbol: str,
        period: CandlePeriod | str,
        *,
        after: int | None = None,
        before: int | None = None,
        limit: int | None = None,
    ) -> list[Candle]:
        """``GET /api/spot/v1/market/candles``: candles, oldest first (after/before in ms)."""
        return self._execute(_calls.candles(symbol, period, after, before, limit))

    def get_depth(
        self, symbol: str, *, merge: str = "step0", limit: int | None = None
    ) -> OrderBook:
        """``GET /api/spot/v1/market/depth``: the order book (``merge`` is the ``type``,
        step0..step5)."""
        return self._execute(_calls.depth(symbol, merge, limit))

    # -- account -----------------------------------------------------------------------

    def get_assets(self, coin: str | None = None) -> list[Asset]:
        """``GET /api/spot/v1/account/assets``: balances (available, frozen, lock); with
        ``coin``, only that coin's (an empty list if the account holds none of it)."""
        return self._execute(_calls.assets(coin))

    def get_bills(
        self,
        *,
        coin_id: int | None = None,
        group_type: str | None = None,
        biz_type: str | None = None,
        after: str | None = None,
        before: str | None = None,
        limit: int | None = None,
    ) -> list[Bill]:
        """``POST /api/spot/v1/account/bills``: ledger entries, newest first (billId cursors;
        with ``before`` alone, the entries right above it, oldest first)."""
        return self._execute(_calls.bills(coin_id, group_type, biz_type, after, before, limit))

    def get_transfer_records(
        self,
        *,
        coin_id: int | None = None,
        from_type: str | None = None,
        after: int | None = None,
        before: int | None = None,
        limit: int | None = None,
    ) -> list[TransferRecord]:
        """``GET /api/spot/v1/account/transferRecords``: transfers (tradeTime cursors)."""
        return self._execute(_calls.transfer_records(coin_id, from_type, after, before, limit))

    # -- trade -------------------------------------------------------------------------

    def place_order(
        self,
        symbol: str,
        side: Side | str,
        order_type: OrderType | str,
        quantity: Amount,
        *,
        price: Amount | None = None,
        force: Force | str = Force.NORMAL,
        client_order_id: str | None = None,
    ) -> PlacedOrder:
        """``POST /api/spot/v1/trade/orders``: place one order. Never retried.

        ``quantity`` is the base amount, except for a market BUY (quote amount to spend).
        On a transport failure the SDK looks the order up by ``client_order_id`` (when
        given): found, it is returned; otherwise :class:`OrderPlacementError` says whether
        it did not land (``landed=False``) or is unknown (``landed=None``).
        """
        call = _calls.place_order(symbol, side, order_type, quantity, price, force, client_order_id)
        try:
            return self._execute(call)
        except TransportError as exc:
            return self._recover_placement(symbol, client_order_id, call, exc)

    def _recover_placement(
        self,
        symbol: str,
        client_order_id: str | None,
        call: Call[PlacedOrder],
        exc: TransportError,
    ) -> PlacedOrder:
        if not exc.request_sent:
            raise placement_not_landed(exc, client_order_id) from exc
        if client_order_id is None:
            raise placement_unknown(exc, client_order_id) from exc
        try:
            orders = self._execute(_calls.order_info(symbol, None, client_order_id))
        except OrderNotFoundError:
            orders = []
        except OpenWeexError as check_error:
            raise placement_unknown(exc, client_order_id) from check_error
        placed = placed_from(orders, client_order_id, call.body or {})
        if placed is None:
            raise placement_not_landed(exc, client_order_id) from exc
        return placed

    def place_batch_orders(self, symbol: str, orders: Sequence[OrderRequest]) -> BatchPlaceResult:
        """``POST /api/spot/v1/trade/batch-orders``: place up to 50 orders. Never retried."""
        return self._execute(_calls.batch_orders(symbol, orders))

    def cancel_order(self, symbol: str, order_id: str) -> str:
        """``POST /api/spot/v1/trade/cancel-order``: cancel one order; returns its id."""
        return self._execute(_calls.cancel_order(symbol, order_id))

    def cancel_batch_orders(self, symbol: str, order_ids: Sequence[str]) -> list[str]:
        """``POST /api/spot/v1/trade/cancel-batch-orders``: cancel up to 50 orders."""
        return self._execute(_calls.cancel_batch(symbol, order_ids))

    def get_order(
        self,
        symbol: str | None = None,
        order_id: str | None = None,
        *,
        client_order_id: str | None = None,
    ) -> Order:
        """``POST /api/spot/v1/trade/orderInfo``: one order by id or clientOrderId.

        Raises :class:`OrderNotFoundError` when the server answers 43001 or an empty list.
        """
        orders = self._execute(_calls.order_info(symbol, order_id, client_order_id))
        return first_order(orders, order_id or client_order_id)

    def get_open_orders(self, symbol: str | None = None) -> list[Order]:
        """``POST /api/spot/v1/trade/open-orders``: unfilled and partially filled orders."""
        return self._execute(_calls.open_orders(symbol))

    def get_order_history(
        self,
        symbol: str,
        *,
        after: str | None = None,
        before: str | None = None,
        limit: int | None = None,
    ) -> list[Order]:
        """``POST /api/spot/v1/trade/history``: finished orders, newest first (orderId
        cursors; with ``before`` alone, the orders right above it, oldest first)."""
        return self._execute(_calls.order_history(symbol, after, before, limit))

    def get_fills(
        self,
        symbol: str,
        *,
        order_id: str | None = None,
        after: str | None = None,
        before: str | None = None,
        limit: int | None = None,
    ) -> list[Fill]:
        """``POST /api/spot/v1/trade/fills``: the user's trades, newest first (fillId
        cursors; with ``before`` alone, the trades right above it, oldest first)."""
        return self._execute(_calls.fills(symbol, order_id, after, before, limit))

    # -- listen keys -------------------------------------------------------------------

    def create_listen_key(self) -> str:
        """``POST /api/v3/userDataStream``: a new listen key (valid 60 min)."""
        return self._execute(_calls.create_listen_key())

    def get_listen_keys(self) -> list[str]:
        """``GET /api/v3/userDataStream``: every valid listen key of the user."""
        return self._execute(_calls.listen_keys())

    def keep_alive_listen_key(self, listen_key: str) -> None:
        """``PUT /api/v3/userDataStream?listenKey=``: extend the key by 60 min."""
        self._execute(_calls.keep_alive_listen_key(listen_key))

    def close_listen_key(self, listen_key: str) -> None:
        """``DELETE /api/v3/userDataStream?listenKey=``: invalidate the key.

        Repeated when its answer is lost (it is idempotent); a key the repeat finds gone was
        closed by the attempt whose answer was lost, so that is no error.
        """
        try:
            self._execute(_calls.close_listen_key(listen_key))
        except ListenKeyNotFoundError as exc:
            if not exc.after_lost_answer:
                raise

    # -- pagination --------------------------------------------------------------------

    def iter_order_history(
        self, symbol: str, *, after: str | None = None, page_size: int = MAX_PAGE_SIZE
    ) -> Iterator[Order]:
        """Every finished order, newest first, across pages of ``POST .../trade/history``."""

        def fetch(cursor: str | None, limit: int) -> list[Order]:
            return self.get_order_history(symbol, after=cursor, limit=limit)

        return paginate(fetch, lambda order: order.order_id, after=after, limit=page_size)

    def iter_fills(
        self,
        symbol: str,
        *,
        order_id: str | None = None,
        after: str | None = None,
        page_size: int = MAX_PAGE_SIZE,
    ) -> Iterator[Fill]:
        """Every own trade, newest first, across pages of ``POST .../trade/fills``."""

        def fetch(cursor: str | None, limit: int) -> list[Fill]:
            return self.get_fills(symbol, order_id=order_id, after=cursor, limit=limit)

        return paginate(fetch, lambda fill: fill.fill_id, after=after, limit=page_size)

    def iter_transfer_records(
        self,
        *,
        coin_id: int | None = None,
        from_type: str | None = None,
        page_size: int = MAX_PAGE_SIZE,
    ) -> Iterator[TransferRecord]:
        """Every transfer, newest first, across pages of ``GET .../account/transferRecords``
        (by ``tradeTime``; the records sharing a page's last millisecond are all fetched)."""

        def fetch(after: int | None, before: int | None, limit: int) -> list[TransferRecord]:
            return self.get_transfer_records(
                coin_id=coin_id, from_type=from_type, after=after, before=before, limit=limit
            )

        return paginate_by_time(fetch, lambda record: record.trade_time, limit=page_size)

    def iter_bills(
        self,
        *,
        coin_id: int | None = None,
        group_type: str | None = None,
        biz_type: str | None = None,
        after: str | None = None,
        page_size: int = MAX_PAGE_SIZE,
    ) -> Iterator[Bill]:
        """Every ledger entry, newest first, across pages of ``POST .../account/bills``."""

        def fetch(cursor: str | None, limit: int) -> list[Bill]:
            return self.get_bills(
                coin_id=coin_id, group_type=group_type, biz_type=biz_type, after=cursor, limit=limit
            )

        return paginate(fetch, lambda bill: bill.bill_id, after=after, limit=page_size)
