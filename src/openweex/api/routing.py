"""The route table and the request context handed to every endpoint.

Endpoints are plain async functions registered with :func:`route`. They return the
``data`` of the WEEX envelope, or a :class:`~openweex.domain.errors.Reject`. Public
endpoints get ``ctx.key = None``; private ones run only after authentication and the
permission check, and get the caller's API key record.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from openweex.engine.ledger import ApiKeyRecord

if TYPE_CHECKING:
    from openweex.api.app import Api

# An ``{name:int}`` path segment is 1 to this many digits; any other segment is not found.
PATH_INT_DIGITS = 18

READ = "SPOT_ACCOUNT_R"
TRADE = "SPOT_TRADE"


@dataclass(slots=True)
class Ctx:
    api: Api
    params: dict[str, Any]
    now: int
    key: ApiKeyRecord | None
    client_ip: str

    @property
    def uid(self) -> int:
        assert self.key is not None
        return self.key.uid


Handler = Callable[[Ctx], Awaitable[Any]]

# Parameter kinds: how a value is written (a query value is always text; a JSON body may
# carry a number where text is expected and the other way round, see api/params.py).
STRING = "string"
INTEGER = "integer"  # a whole number, as a JSON number or a string of digits
DECIMAL = "decimal"  # a plain non-negative decimal, as a string or a JSON number
ARRAY = "array"


@dataclass(frozen=True, slots=True)
class Param:
    """One request parameter, as the endpoint reads it.

    The rules written here are the ones the endpoint enforces, taken from the constants its
    parsing uses: ``enum`` (matched case-insensitively unless said otherwise), ``minimum``
    and ``maximum`` (a value outside is refused), ``pattern`` and ``max_length`` (a string
    that breaks them is refused), ``min_items``/``max_items`` of a list, whose items are
    ``items`` (one parameter) or objects of the parameters in ``fields``. ``cap``: larger
    values are accepted and answered as this one (the most rows a page holds). ``default``
    is what an absent value means.
    """

    name: str
    kind: str = STRING
    required: bool = False
    description: str = ""
    enum: tuple[str, ...] = ()
    minimum: int | None = None
    maximum: int | None = None
    cap: int | None = None
    default: int | str | None = None
    pattern: str | None = None
    max_length: int | None = None
    items: Param | None = None
    fields: tuple[Param, ...] = ()
    min_items: int | None = None
    max_items: int | None = None


@dataclass(frozen=True, slots=True)
class RouteSpec:
    method: str
    path: str
    handler: Handler
    permission: str | None  # None: public
    private: bool
    summary: str
    raw: bool = False  # respond with ``data`` itself instead of the WEEX envelope
    params: tuple[Param, ...] = field(default=())
    response: dict[str, Any] = field(default_factory=dict)  # JSON Schema of ``data``
    description: str = ""  # the handler's docstring, when longer than its summary


ROUTES: list[RouteSpec] = []


def route(
    method: str,
    path: str,
    *,
    permission: str | None = None,
    private: bool = False,
    raw: bool = False,
    params: tuple[Param, ...] = (),
    response: dict[str, Any],
) -> Callable[[Handler], Handler]:
    """Register an endpoint. ``private`` endpoints need the ACCESS-* headers. ``response``
    is the JSON Schema of what it answers on success (``data``, or the whole body when
    ``raw``); ``/openapi.json`` publishes it and the tests hold every answer to it."""

    def deco(fn: Handler) -> Handler:
        doc = inspect.cleandoc(fn.__doc__ or "")
        summary = doc.partition("\n")[0]
        ROUTES.append(
            RouteSpec(
                method,
                path,
                fn,
                permission,
                private or permission is not None,
                summary or path,
                raw,
                params,
                response,
                doc if doc != summary else "",
            )
        )
        return fn

    return deco
