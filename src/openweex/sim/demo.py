"""``openweex serve --demo``: a funded demo trader, market makers and takers on every symbol.

At startup (inside the server's task group, once the runtime runs) the demo starter

1. finds the demo trader (the account of the API key whose name starts with
   :data:`DEMO_KEY_PREFIX`) or opens one: a new account, deposits of ``[sim.demo_funds]``
   (each checked: a refused one raises :class:`DemoError`, before the key is made, so a
   restart does not take a half-funded account for the demo trader) and a key with a random
   secret and passphrase and both permissions;
2. prints the trader's uid, API key, secret key and passphrase (the same ones after a
   restart on the same data directory);
3. sets up the simulation (:mod:`openweex.sim.simulation`) and starts its tick loop as a
   task of the server's task group. The loop ends when the runtime closes, so SIGINT and
   SIGTERM stop the server as usual.
"""

from __future__ import annotations

import asyncio
import secrets
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from openweex.domain.commands import CreateAccount, CreateApiKey, Deposit
from openweex.domain.errors import Reject
from openweex.domain.markets import Markets
from openweex.domain.values import format_units
from openweex.engine.exchange import PERMISSIONS, Exchange
from openweex.sim.config import SimConfig, load_sim_config
from openweex.sim.simulation import Simulation, Submit, run_forever, runtime_submitter

if TYPE_CHECKING:
    from openweex.api.app import Api

DEMO_KEY_PREFIX = "ow_demo_"

Starter = Callable[["Api", asyncio.TaskGroup], Awaitable[None]]


class DemoError(RuntimeError):
    """The demo trader could not be set up (a deposit was refused)."""


@dataclass(frozen=True)
class DemoTrader:
    uid: int
    api_key: str
    secret: str
    passphrase: str


def find_demo_trader(ex: Exchange) -> DemoTrader | None:
    """The demo trader of this exchange state, if one was ever created (the oldest)."""
    keys = [k for k in ex.api_keys.values() if k.api_key.startswith(DEMO_KEY_PREFIX)]
    if not keys:
        return None
    rec = min(keys, key=lambda k: (k.ctime, k.api_key))
    return DemoTrader(rec.uid, rec.api_key, rec.secret, rec.passphrase)


async def ensure_demo_trader(
    ex: Exchange, submit: Submit, funds: dict[str, int]
) -> tuple[DemoTrader, bool]:
    """The existing demo trader, or a new funded one; ``True`` when it was just created."""
    found = find_demo_trader(ex)
    if found is not None:
        return found, False
    (uid,) = await submit([CreateAccount(0)])
    assert isinstance(uid, int)
    deposits = [Deposit(0, uid, c, amount) for c, amount in funds.items()]
    for cmd, result in zip(deposits, await submit(deposits), strict=True):
        if isinstance(result, Reject):
            coin = ex.markets.coins.get(cmd.coin)
            amount = format_units(cmd.amount, coin.scale) if coin else f"{cmd.amount} units of"
            raise DemoError(
                f"the deposit of {amount} {cmd.coin} to the demo trader (uid {uid}) was"
                f" refused: {result.msg} ({result.code})"
            )
    trader = DemoTrader(
        uid,
        DEMO_KEY_PREFIX + secrets.token_hex(12),
        secrets.token_hex(32),
        "demo-" + secrets.token_hex(4),
    )
    key = CreateApiKey(0, uid, trader.api_key, trader.secret, trader.passphrase, PERMISSIONS, ())
    (made,) = await submit([key])
    if isinstance(made, Reject):
        raise DemoError(f"the demo trader's API key was refused: {made.msg} ({made.code})")
    return trader, True


def credentials_text(trader: DemoTrader, created: bool) -> str:
    """The lines printed at startup (one ``demo <field>: <value>`` per line)."""
    state = "created and funded" if created else "existing account"
    return (
        f"demo trader ({state}):\n"
        f"demo uid: {trader.uid}\n"
        f"demo api key: {trader.api_key}\n"
        f"demo secret key: {trader.secret}\n"
        f"demo passphrase: {trader.passphrase}\n"
    )


def build_simulation(
    markets: Markets,
    *,
    seed: int = 1,
    config: str | Path | None = None,
    replay: str | None = None,
    replay_speed: int | None = None,
    replay_symbol: str | None = None,
) -> tuple[SimConfig, Simulation]:
    """Read the configuration and the replay files; raises ``SimConfigError`` (of which
    ``ReplayError``, for a replay file, is a kind). ``replay_speed`` None: the file's."""
    cfg = load_sim_config(
        markets,
        Path(config) if config is not None else None,
        replay=replay,
        replay_speed=replay_speed,
        replay_symbol=replay_symbol,
    )
    return cfg, Simulation(markets, cfg, seed)


def demo_starter(
    markets: Markets,
    *,
    seed: int = 1,
    config: str | Path | None = None,
    replay: str | None = None,
    replay_speed: int | None = None,
    replay_symbol: str | None = None,
    out: TextIO | None = None,
) -> Starter:
    """The ``--demo`` startup hook. The configuration and replay files are read here, at
    once: ``SimConfigError`` (or ``ReplayError``) when they cannot be used, before the
    server opens anything. The hook raises :class:`DemoError` when a deposit is refused."""
    cfg, sim = build_simulation(
        markets,
        seed=seed,
        config=config,
        replay=replay,
        replay_speed=replay_speed,
        replay_symbol=replay_symbol,
    )

    async def start(api: Api, tg: asyncio.TaskGroup) -> None:
        runtime = api.runtime
        submit = runtime_submitter(runtime)
        trader, created = await ensure_demo_trader(runtime.exchange, submit, cfg.demo_funds)
        await sim.setup(runtime.exchange, submit)
        stream = out if out is not None else sys.stdout
        stream.write(credentials_text(trader, created))
        replays = [s.sym.symbol for s in sim.symbols if s.cfg.replay is not None]
        note = f", replaying {', '.join(replays)}" if replays else ""
        stream.write(f"market simulation: {len(sim.symbols)} symbol(s), seed {seed}{note}\n")
        stream.flush()
        tg.create_task(run_forever(sim, runtime, submit), name="market-sim")

    return start
