"""Listen keys for private WebSocket streams: ``/api/v3/userDataStream``.

Responses are the bare ``{"listenKey": ...}`` objects of the contract (no envelope); errors
use the WEEX error envelope. A key lives 60 minutes from creation or its last PUT; DELETE
closes it and its connections; at most 60 live keys per user.
"""

from __future__ import annotations

import secrets
from typing import Any

from openweex.api import schemas
from openweex.api.params import fail, opt_str
from openweex.api.routing import READ, Ctx, Param, route
from openweex.domain import errors
from openweex.domain.commands import CreateListenKey, DeleteListenKey, KeepAliveListenKey
from openweex.domain.errors import Reject

PATH = "/api/v3/userDataStream"
LISTEN_KEY = Param("listenKey", required=True, description="a key of this user")


def _key_param(ctx: Ctx) -> str:
    key = opt_str(ctx.params, "listenKey")
    if key is None:
        raise fail(errors.PARAM_REQUIRED, "listenKey")
    return key


@route("POST", PATH, permission=READ, raw=True, response=schemas.LISTEN_KEY)
async def create_listen_key(ctx: Ctx) -> Any:
    """Create a listen key (valid 60 minutes)."""
    key = secrets.token_hex(32)
    result, _ = await ctx.api.runtime.submit(CreateListenKey(0, ctx.uid, key))
    return result if isinstance(result, Reject) else {"listenKey": result}


@route("GET", PATH, permission=READ, raw=True, response=schemas.LISTEN_KEYS)
async def list_listen_keys(ctx: Ctx) -> Any:
    """All valid listen keys of the user."""
    # sorted: the same list before and after a restart (a snapshot keeps no creation order)
    return {"listenKey": sorted(ctx.api.runtime.exchange.live_listen_keys(ctx.uid, ctx.now))}


@route("PUT", PATH, permission=READ, raw=True, params=(LISTEN_KEY,), response=schemas.LISTEN_KEY)
async def keepalive_listen_key(ctx: Ctx) -> Any:
    """Extend a listen key by 60 minutes from now."""
    result, _ = await ctx.api.runtime.submit(KeepAliveListenKey(0, ctx.uid, _key_param(ctx)))
    return result if isinstance(result, Reject) else {"listenKey": result}


@route("DELETE", PATH, permission=READ, raw=True, params=(LISTEN_KEY,), response=schemas.LISTEN_KEY)
async def delete_listen_key(ctx: Ctx) -> Any:
    """Close a listen key and every connection using it."""
    result, _ = await ctx.api.runtime.submit(DeleteListenKey(0, ctx.uid, _key_param(ctx)))
    return result if isinstance(result, Reject) else {"listenKey": result}
