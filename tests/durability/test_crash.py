"""SIGKILL a real server under load, a few dozen times; everything acknowledged survives.

The long version (1,000+ kills) is ``bench/bench_crash.py``; see :mod:`tests.durability.crash`
for what is checked.
"""

from __future__ import annotations

import os
from pathlib import Path

from tests.durability.crash import CrashRun

KILLS = int(os.environ.get("OPENWEEX_CRASH_KILLS", "20"))


def test_sigkill_under_load_loses_nothing_acknowledged(tmp_path: Path) -> None:
    run = CrashRun(tmp_path / "data", seed=2024, snapshot_every=300)
    run.start()
    try:
        for _ in range(KILLS):
            run.cycle()
        out = run.finish()
    finally:
        run.server.stop()
    stats, known = run.stats, run.known
    assert stats.kills == KILLS
    assert len(known.orders) > 5 * KILLS and known.cancels and known.fills, stats
    assert "snapshot" in out and "check: ok" in out
