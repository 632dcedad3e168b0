"""Liquidity for a sandbox: market makers, background takers, random-walk and replayed prices.

The simulation is a deterministic step function (:class:`~openweex.sim.simulation.Simulation`)
that turns a tick into ordinary engine commands; :mod:`openweex.sim.demo` wires it into
``openweex serve --demo``. See ``docs/sandbox.md``.
"""

from openweex.sim.config import MakerConfig, SimConfig, SimConfigError, load_sim_config
from openweex.sim.simulation import (
    Simulation,
    exchange_submitter,
    run_forever,
    run_ticks,
    runtime_submitter,
)

__all__ = [
    "MakerConfig",
    "SimConfig",
    "SimConfigError",
    "Simulation",
    "exchange_submitter",
    "load_sim_config",
    "run_forever",
    "run_ticks",
    "runtime_submitter",
]
