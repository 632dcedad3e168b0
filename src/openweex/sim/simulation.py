"""The simulation as a deterministic step function: ``tick(exchange) -> commands``.

A :class:`Simulation` holds, per symbol, a reference price source, a maker and a taker,
each with its own ``random.Random`` seeded from ``(seed, run, symbol, role)`` (so adding a
symbol does not change the others' draws). ``run`` is read from the engine state when the
simulation is set up (its next order id and next trade id), so a restart on a data directory
does not draw the previous run's numbers again, while the same starting state still gives
the same run. :meth:`Simulation.tick` reads the engine state it needs (its own resting
orders, its balances), advances simulated time by ``tick_ms`` and returns the commands of
that tick; it never touches a clock, the disk or the network. Given the same seed,
configuration and engine state, a tick returns the same commands; so a run from the same
starting state, whose ticks are applied one after the other with nothing else trading,
produces the same command sequence (ignoring the ``ts`` the writer stamps).

Simulated time starts at 0 and is ``ticks x tick_ms``; a maker refreshes when it is due
(every ``refresh_ms`` of simulated time), and the reference source is read at that moment.
How fast simulated time passes in the real world is the timing layer's business
(:func:`run_forever` runs one tick every ``tick_ms`` of wall time; :func:`run_ticks` runs
them back to back, for tests and replays).

Accounts. The simulation finds its accounts by API key names that it owns,
``owsim-maker-<SYMBOL>`` and ``owsim-taker-<SYMBOL>``, so a restart on the same data reuses
them. Those keys have no permissions and an IP whitelist that matches nothing: the accounts
cannot be used over the API. A new account is funded once, with deposits. The orders that
the maker of a symbol without a maker now (``enabled = false`` since an earlier run) left on
its book are cancelled at setup, so no stale quote stays behind.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from openweex.domain.commands import (
    CancelBatch,
    Command,
    CreateAccount,
    CreateApiKey,
    Deposit,
    PlaceBatch,
)
from openweex.domain.markets import Markets, Symbol
from openweex.engine.exchange import MAX_BATCH, Exchange, Result
from openweex.runtime import Runtime, RuntimeStopped
from openweex.sim.config import MakerConfig, SimConfig, check_engine_limits
from openweex.sim.makers import Maker
from openweex.sim.prices import PriceSource, RandomWalk, load_series
from openweex.sim.takers import Taker

log = logging.getLogger(__name__)

Submit = Callable[[Sequence[Command]], Awaitable[list[Result]]]
KEY_PREFIX = "owsim-"
NO_IP = ("none",)  # an IP whitelist that matches no client


@dataclass
class SymbolSim:
    cfg: MakerConfig
    sym: Symbol
    source: PriceSource
    maker: Maker | None = None
    taker: Taker | None = None
    ref: int = 0
    next_refresh: int = 0


def run_id(ex: Exchange) -> str:
    """What tells runs on one data directory apart, from its state: the next order and trade
    ids (the same state gives the same id, and every run that trades moves them)."""
    return f"{ex.next_order_id}:{ex.next_trade_id}"


def _source(markets: Markets, cfg: MakerConfig, sym: Symbol) -> PriceSource:
    """The reference source; a replay is loaded and checked against the engine's limits
    (raises :class:`~openweex.sim.prices.ReplayError` or ``SimConfigError``)."""
    if cfg.replay is not None:
        spec = cfg.replay
        series = load_series(spec.path, sym.price_scale, spec.speed, spec.loop)
        check_engine_limits(markets, sym, cfg, max(series.prices), f"the replay of {spec.path}")
        return series
    # The generator is seeded for the run in Simulation.setup.
    return RandomWalk(cfg.price, cfg.volatility, cfg.reversion, random.Random(0))


class Simulation:
    """Makers and takers of every configured symbol; see the module docstring."""

    def __init__(self, markets: Markets, config: SimConfig, seed: int) -> None:
        self.markets = markets
        self.config = config
        self.seed = seed
        self.ticks = 0
        self.elapsed_ms = 0  # simulated time of the next tick
        self.now_ms = 0  # simulated time of the latest tick
        self.run = ""  # set by setup()
        self.symbols = [
            SymbolSim(m, markets.symbols[m.symbol], _source(markets, m, markets.symbols[m.symbol]))
            for m in config.makers
        ]

    def _rng(self, symbol: str, role: str) -> random.Random:
        return random.Random(f"{self.seed}:{self.run}:{symbol}:{role}")

    # -- accounts --------------------------------------------------------------------------
    async def _account(
        self, ex: Exchange, submit: Submit, key: str, funding: dict[str, int]
    ) -> int:
        """The uid behind API key ``key``; a new, funded account when there is none."""
        rec = ex.api_keys.get(key)
        if rec is not None:
            return rec.uid
        (uid,) = await submit([CreateAccount(0)])
        assert isinstance(uid, int)
        secret = f"{random.Random(f'{self.seed}:{key}').getrandbits(128):032x}"
        cmds: list[Command] = [CreateApiKey(0, uid, key, secret, "sim", (), NO_IP)]
        cmds += [Deposit(0, uid, c, amount) for c, amount in funding.items() if amount > 0]
        await submit(cmds)
        return uid

    async def setup(self, ex: Exchange, submit: Submit) -> None:
        """Seed the generators for this run, find or create (and fund) the accounts, start
        walks at the last traded price, cancel what disabled makers left on the books."""
        self.run = run_id(ex)
        for s in self.symbols:
            name = s.sym.symbol
            walk = s.source
            if isinstance(walk, RandomWalk):
                walk.rng = self._rng(name, "price")
                last = ex.market.last_price(name)
                if last > 0:
                    walk.price = min(max(last, walk.low), walk.high)
            s.ref = s.source.advance(0)
            maker = Maker(s.cfg, s.sym, 0, self._rng(name, "maker"))
            taker = Taker(s.cfg, s.sym, 0, self._rng(name, "taker"))
            maker.uid = await self._account(
                ex, submit, f"{KEY_PREFIX}maker-{name}", maker.funding(s.ref)
            )
            taker.uid = await self._account(
                ex, submit, f"{KEY_PREFIX}taker-{name}", taker.funding(s.ref)
            )
            s.maker, s.taker = maker, taker
        await self._cancel_stale_quotes(ex, submit)

    async def _cancel_stale_quotes(self, ex: Exchange, submit: Submit) -> None:
        """Cancel the resting orders of the makers of symbols that have no maker in this
        configuration (disabled since an earlier run): nobody would ever move them."""
        active = {s.sym.symbol for s in self.symbols}
        cmds: list[Command] = []
        for name in self.markets.symbols:
            rec = ex.api_keys.get(f"{KEY_PREFIX}maker-{name}")
            if name in active or rec is None:
                continue
            ids = [o.order_id for o in ex.books[name].live_orders() if o.uid == rec.uid]
            for i in range(0, len(ids), MAX_BATCH):
                cmds.append(CancelBatch(0, rec.uid, name, tuple(ids[i : i + MAX_BATCH])))
        if cmds:
            await submit(cmds)

    @property
    def uids(self) -> set[int]:
        """Every account the simulation trades with (after :meth:`setup`)."""
        out = {s.maker.uid for s in self.symbols if s.maker is not None}
        return out | {s.taker.uid for s in self.symbols if s.taker is not None}

    # -- the step function -------------------------------------------------------------------
    def tick(self, ex: Exchange) -> list[Command]:
        """The commands of the next tick, computed from ``ex`` as it is now."""
        now = self.now_ms = self.elapsed_ms
        out: list[Command] = []
        for s in self.symbols:
            if s.maker is None or s.taker is None:
                raise RuntimeError("Simulation.setup() must run before tick()")
            if now >= s.next_refresh:
                s.ref = s.source.advance(now)
                s.next_refresh = now + s.cfg.refresh_ms
                out += s.maker.step(ex, s.ref)
            out += s.taker.step(ex, s.ref, s.maker.inventory(ex))
        self.ticks += 1
        self.elapsed_ms += self.config.tick_ms
        return out


# -- submitting and timing -------------------------------------------------------------------
def runtime_submitter(runtime: Runtime) -> Submit:
    """Submit a tick's commands to the runtime, in order, in one group commit."""

    async def submit(cmds: Sequence[Command]) -> list[Result]:
        if not cmds:
            return []
        return [result for result, _ in await runtime.submit_many(cmds)]

    return submit


def exchange_submitter(ex: Exchange, clock: Callable[[], int]) -> Submit:
    """Apply commands straight to an engine, stamped with ``clock()`` (tests, tools)."""

    async def submit(cmds: Sequence[Command]) -> list[Result]:
        out: list[Result] = []
        for cmd in cmds:
            ts = clock()
            if type(cmd) is PlaceBatch:
                cmd = cmd._replace(orders=tuple(o._replace(ts=ts) for o in cmd.orders))
            out.append(ex.apply(cmd._replace(ts=ts))[0])
        return out

    return submit


async def run_ticks(sim: Simulation, ex: Exchange, submit: Submit, n: int) -> None:
    """Run ``n`` ticks back to back, each applied before the next is computed."""
    for _ in range(n):
        await submit(sim.tick(ex))


def _stopping(runtime: Runtime) -> bool:
    # The runtime has no public "closing" flag; it refuses commands once closing.
    return runtime.closing


async def run_forever(sim: Simulation, runtime: Runtime, submit: Submit) -> None:
    """One tick every ``tick_ms`` of wall time until the runtime closes.

    Late ticks are not made up for: under load simulated time runs slower than the clock.
    An unexpected error stops the simulation (logged), never the exchange.
    """
    period = sim.config.tick_ms
    next_at = time.monotonic_ns() // 1_000_000
    try:
        while not _stopping(runtime):
            await submit(sim.tick(runtime.exchange))
            now = time.monotonic_ns() // 1_000_000
            next_at = max(next_at + period, now)
            await asyncio.sleep((next_at - now) / 1000)
    except RuntimeStopped:
        return
    except Exception:
        log.exception("the market simulation stopped after an error")
