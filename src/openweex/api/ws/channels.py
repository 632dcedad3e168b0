"""Channel names of ``/ws`` and their parsing.

Private channels (need ``/ws?listenKey=KEY``), exactly these strings:

* ``spot@private.orders.v3.api``: every state change of the user's orders;
* ``spot@private.deals.v3.api``: every fill of the user's orders;
* ``spot@private.account.v3.api``: every balance change of the user.

Public channels (MEXC v3 names), ``SYMBOL`` being the symbol name (``BTCUSDT``) or the WEEX
symbol (``BTCUSDT_SPBL``), matched case-insensitively:

* ``spot@public.deals.v3.api@SYMBOL``
* ``spot@public.kline.v3.api@SYMBOL@INTERVAL`` with INTERVAL one of
  :data:`~openweex.engine.marketdata.KLINE_INTERVALS` (``Min1`` ... ``Month1``)
* ``spot@public.increase.depth.v3.api@SYMBOL``
* ``spot@public.limit.depth.v3.api@SYMBOL@LEVELS`` with LEVELS 5, 10 or 20
* ``spot@public.bookTicker.v3.api@SYMBOL``

A public subscription is keyed by its canonical text: the channel with the symbol part
upper-cased, in the form it was given (with or without ``_SPBL``). Push frames carry that
canonical text in ``c``, so a client that subscribed ``...@BTCUSDT_SPBL`` sees ``c`` end with
``@BTCUSDT_SPBL``, and ``s`` is the symbol as the channel spells it (``BTCUSDT_SPBL``, or
``BTCUSDT`` for ``...@btcusdt``). Private frames carry the REST name (``BTCUSDT_SPBL``).
"""

from __future__ import annotations

from typing import NamedTuple

from openweex.domain.markets import Markets
from openweex.engine.marketdata import KLINE_INTERVALS

PRIVATE_ORDERS = "spot@private.orders.v3.api"
PRIVATE_DEALS = "spot@private.deals.v3.api"
PRIVATE_ACCOUNT = "spot@private.account.v3.api"
PRIVATE_CHANNELS = frozenset({PRIVATE_ORDERS, PRIVATE_DEALS, PRIVATE_ACCOUNT})

PUBLIC_DEALS = "spot@public.deals.v3.api"
PUBLIC_KLINE = "spot@public.kline.v3.api"
PUBLIC_INCREASE_DEPTH = "spot@public.increase.depth.v3.api"
PUBLIC_LIMIT_DEPTH = "spot@public.limit.depth.v3.api"
PUBLIC_BOOK_TICKER = "spot@public.bookTicker.v3.api"

LIMIT_DEPTH_LEVELS = ("5", "10", "20")
_WITH_ARG = frozenset({PUBLIC_KLINE, PUBLIC_LIMIT_DEPTH})
_PUBLIC = frozenset(
    {PUBLIC_DEALS, PUBLIC_KLINE, PUBLIC_INCREASE_DEPTH, PUBLIC_LIMIT_DEPTH, PUBLIC_BOOK_TICKER}
)


class Topic(NamedTuple):
    """What a subscription is about, independent of how the channel was spelled.

    ``kind`` is the channel's base name (one of the constants above); ``symbol`` the engine
    symbol (``BTCUSDT_SPBL``), empty for private channels; ``arg`` the kline interval
    (``Min1``) or the number of depth levels (``"5"``), empty otherwise.
    """

    kind: str
    symbol: str = ""
    arg: str = ""

    @property
    def private(self) -> bool:
        return not self.symbol


class Channel(NamedTuple):
    topic: Topic
    text: str  # canonical channel text, used as ``c`` in push frames


def parse_channel(text: str, markets: Markets) -> Channel | str:
    """The channel named by ``text``, or a message saying why it is not one."""
    if text in PRIVATE_CHANNELS:
        return Channel(Topic(text), text)
    parts = text.split("@")
    if len(parts) < 3:
        return f"unknown channel {text}"
    kind = f"{parts[0]}@{parts[1]}"
    if kind not in _PUBLIC:
        return f"unknown channel {text}"
    want = 4 if kind in _WITH_ARG else 3
    if len(parts) != want:
        return f"malformed channel {text}"
    sym = markets.find_symbol(parts[2])
    if sym is None:
        return f"unknown symbol {parts[2]} in channel {text}"
    arg = parts[3] if want == 4 else ""
    if kind == PUBLIC_KLINE and arg not in KLINE_INTERVALS:
        return f"unknown kline interval {arg} in channel {text}"
    if kind == PUBLIC_LIMIT_DEPTH and arg not in LIMIT_DEPTH_LEVELS:
        return f"depth levels must be 5, 10 or 20 in channel {text}"
    canonical = f"{kind}@{parts[2].strip().upper()}" + (f"@{arg}" if arg else "")
    return Channel(Topic(kind, sym.symbol, arg), canonical)
