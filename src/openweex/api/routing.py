"""The route table and the request context handed to every endpoint.

Endpoints are plain async functions registered with :func:`route`. They return the
``data`` of the WEEX envelope, or a :class:`~openweex.domain.errors.Reject`. Public
endpoints get ``ctx.key = None``; private ones run only after authentication and the
permission check, and get the caller's API key record.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from openweex.engine.ledger import ApiKeyRecord

if TYPE_CHECKING:
    from openweex.api.app import Api

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


@dataclass(frozen=True, slots=True)
class RouteSpec:
    method: str
    path: str
    handler: Handler
    permission: str | None  # None: public
    private: bool
    summary: str
    raw: bool = False  # respond with ``data`` itself instead of the WEEX envelope
    params: tuple[tuple[str, str, bool], ...] = field(default=())  # (name, type, required)


ROUTES: list[RouteSpec] = []


def route(
    method: str,
    path: str,
    *,
    permission: str | None = None,
    private: bool = False,
    raw: bool = False,
    params: tuple[tuple[str, str, bool], ...] = (),
) -> Callable[[Handler], Handler]:
    """Register an endpoint. ``private`` endpoints need the ACCESS-* headers."""

    def deco(fn: Handler) -> Handler:
        summary = (fn.__doc__ or "").strip().splitlines()[0] if fn.__doc__ else path
        ROUTES.append(
            RouteSpec(
                method,
                path,
                fn,
                permission,
                private or permission is not None,
                summary,
                raw,
                params,
            )
        )
        return fn

    return deco
