"""Makers and takers on a bare engine: ladders, invariants, rejections, inventory limits."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import given
from hypothesis import strategies as st

from openweex.domain.commands import (
    CancelBatch,
    CreateAccount,
    Deposit,
    PlaceBatch,
    PlaceOrder,
    Withdraw,
)
from openweex.domain.errors import Reject
from openweex.domain.values import Force, OrderType, Side
from openweex.engine.exchange import Result
from openweex.sim.config import DEC, load_sim_config
from openweex.sim.makers import ladder
from openweex.sim.simulation import exchange_submitter, run_ticks
from tests.sim.helpers import MARKETS, bare_sim, sim_config

BTC = "BTCUSDT_SPBL"


def flat(results: list[Result]) -> list[Result]:
    """Results with each batch's per-order results spliced in."""
    out: list[Result] = []
    for r in results:
        out.extend(r if type(r) is tuple else [r])
    return out


BTC_CFG = load_sim_config(MARKETS).makers[0]


@given(
    ref=st.integers(1, 10**12),
    inventory=st.integers(-(10**8), 10**8),
    spread=st.integers(0, DEC // 10),
    step=st.integers(0, DEC // 10),
)
def test_ladder_is_sorted_uncrossed_and_positive(
    ref: int, inventory: int, spread: int, step: int
) -> None:
    cfg = replace(BTC_CFG, spread=spread, level_step=step)
    lad = ladder(cfg, ref, inventory)
    assert all(p > 0 for p in lad.bids + lad.asks)
    assert list(lad.bids) == sorted(lad.bids, reverse=True)
    assert list(lad.asks) == sorted(lad.asks)
    if lad.bids and lad.asks:
        assert lad.bids[0] < lad.asks[0]
    assert len(lad.asks) == (cfg.levels if inventory > -cfg.max_inventory else 0)
    assert len(lad.bids) <= (cfg.levels if inventory < cfg.max_inventory else 0)


def test_ladder_brackets_the_reference_and_skews_with_inventory() -> None:
    flat = ladder(BTC_CFG, 6_000_000, 0)
    assert flat.bids[0] < 6_000_000 < flat.asks[0]
    assert (
        flat.asks[0] - flat.bids[0] <= 6_000_000 * (BTC_CFG.spread + 2 * BTC_CFG.level_step) // DEC
    )
    long = ladder(BTC_CFG, 6_000_000, BTC_CFG.max_inventory // 2)
    short = ladder(BTC_CFG, 6_000_000, -BTC_CFG.max_inventory // 2)
    assert long.asks[0] < flat.asks[0] < short.asks[0]
    assert ladder(BTC_CFG, 6_000_000, BTC_CFG.max_inventory).bids == ()
    assert ladder(BTC_CFG, 6_000_000, -BTC_CFG.max_inventory).asks == ()


async def test_first_tick_quotes_both_sides_of_every_book() -> None:
    sim, ex, _ = await bare_sim(seed=2)
    cmds = sim.tick(ex)
    batches = [c for c in cmds if type(c) is PlaceBatch]
    assert len(batches) == len(MARKETS.symbols)
    for b in batches:
        assert all(o.force is Force.POST_ONLY and o.order_type is OrderType.LIMIT for o in b.orders)
    results = await exchange_submitter(ex, lambda: 1)(cmds)
    for r in results:
        assert not isinstance(r, Reject)
    for name, book in ex.books.items():
        assert len(book.bid_prices) == 10 and len(book.ask_keys) == 10, name


async def test_many_ticks_keep_every_invariant() -> None:
    sim, ex, clock = await bare_sim(seed=11, config=sim_config(taker_probability=DEC // 2))
    submit = exchange_submitter(ex, clock)
    for _ in range(1500):
        results = await submit(sim.tick(ex))
        assert not [r for r in flat(results) if isinstance(r, Reject)]
        ex.check_invariants()
    for s in sim.symbols:
        assert ex.market.last_price(s.sym.symbol) > 0
        book = ex.books[s.sym.symbol]
        assert book.best_bid() and book.best_ask()
        trades = ex.market.recent_trades(s.sym.symbol, 1000)
        assert len(trades) > 100
        assert not any(o.uid == s.taker.uid for o in book.live_orders() if s.taker is not None), (
            "takers never rest"
        )


async def test_quiet_market_costs_no_commands() -> None:
    cfg = sim_config(taker_probability=0, volatility=0)
    sim, ex, clock = await bare_sim(config=cfg)
    await run_ticks(sim, ex, exchange_submitter(ex, clock), 1)
    assert all(sim.tick(ex) == [] for _ in range(50))


async def test_crossing_user_orders_reject_quotes_harmlessly() -> None:
    cfg = sim_config(taker_probability=0, volatility=0)
    sim, ex, clock = await bare_sim(config=cfg)
    submit = exchange_submitter(ex, clock)
    (uid,) = await submit([CreateAccount(0)])
    assert isinstance(uid, int)
    await submit([Deposit(0, uid, "USDT", 10**16)])
    # A user bids far above the reference before the makers quote: some asks would cross.
    high_bid = PlaceOrder(0, uid, BTC, Side.BUY, OrderType.LIMIT, Force.NORMAL, 6_003_000, 1000, "")
    assert not isinstance((await submit([high_bid]))[0], Reject)
    results = flat(await submit(sim.tick(ex)))
    assert [r.code for r in results if isinstance(r, Reject)] == ["43115"]
    ex.check_invariants()
    book = ex.books[BTC]
    assert book.best_bid() == 6_003_000 < book.best_ask()
    # The next refreshes retry and are rejected again, never crossing.
    for _ in range(10):
        await submit(sim.tick(ex))
        ex.check_invariants()


async def test_inventory_limit_stops_one_side_and_skews() -> None:
    cfg = sim_config(taker_probability=0, volatility=0, max_inventory=100_000)
    sim, ex, clock = await bare_sim(config=cfg)
    submit = exchange_submitter(ex, clock)
    await submit(sim.tick(ex))
    maker = sim.symbols[0].maker
    assert maker is not None
    (uid,) = await submit([CreateAccount(0)])
    assert isinstance(uid, int)
    await submit([Deposit(0, uid, "BTC", 10**8)])
    # A user sells 0.2 BTC into the bids: the maker ends long beyond its 0.1 BTC limit.
    sell = PlaceOrder(0, uid, BTC, Side.SELL, OrderType.MARKET, Force.NORMAL, 0, 200_000, "")
    await submit([sell])
    assert maker.inventory(ex) >= 100_000
    for _ in range(3):
        await submit(sim.tick(ex))
    mine = [o for o in ex.books[BTC].live_orders() if o.uid == maker.uid]
    assert mine and all(o.side is Side.SELL for o in mine)
    best_ask = min(o.price for o in mine)
    assert best_ask < ladder(maker.cfg, 6_000_000, 0).asks[0]  # skewed down to sell


async def test_makers_top_up_quote_when_it_runs_short() -> None:
    cfg = sim_config(taker_probability=0, volatility=0)
    sim, ex, clock = await bare_sim(config=cfg)
    submit = exchange_submitter(ex, clock)
    maker = sim.symbols[0].maker
    assert maker is not None
    bal = ex.accounts[maker.uid].balances["USDT"]
    await submit([Withdraw(0, maker.uid, "USDT", bal.available - 1)])
    cmds = sim.tick(ex)
    assert any(type(c) is Deposit and c.coin == "USDT" for c in cmds)
    assert not [r for r in flat(await submit(cmds)) if isinstance(r, Reject)]
    assert len(ex.books[BTC].bid_prices) == cfg.makers[0].levels
    ex.check_invariants()


async def test_makers_without_base_stop_offering() -> None:
    cfg = sim_config(taker_probability=0, volatility=0)
    sim, ex, clock = await bare_sim(config=cfg)
    submit = exchange_submitter(ex, clock)
    maker = sim.symbols[0].maker
    assert maker is not None
    bal = ex.accounts[maker.uid].balances["BTC"]
    await submit([Withdraw(0, maker.uid, "BTC", bal.available - 1)])
    assert maker.inventory(ex) <= -maker.cfg.max_inventory
    cmds = sim.tick(ex)
    assert not any(type(c) is Deposit for c in cmds)
    assert not [r for r in flat(await submit(cmds)) if isinstance(r, Reject)]
    assert ex.books[BTC].ask_keys == [] and len(ex.books[BTC].bid_prices) == 10


async def test_cancels_come_before_places() -> None:
    sim, ex, clock = await bare_sim(seed=4, config=sim_config(volatility=2_000_000))
    submit = exchange_submitter(ex, clock)
    seen_cancel = False
    for _ in range(60):
        cmds = sim.tick(ex)
        kinds = [type(c) for c in cmds]
        for i, k in enumerate(kinds):
            if k is CancelBatch:
                seen_cancel = True
                assert PlaceBatch not in kinds[:i] or any(
                    type(c) is PlaceBatch and c.uid != cmds[i].uid for c in cmds[:i]
                )
        await submit(cmds)
        ex.check_invariants()
    assert seen_cancel
