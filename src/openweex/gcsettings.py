"""Garbage-collector settings for openweex's long-running processes."""

from __future__ import annotations

import gc

__all__ = ["THRESHOLDS", "tune_gc"]

# Allocations between young collections; young collections between middle ones; middle
# collections between full ones (see tune_gc).
THRESHOLDS = (50_000, 5, 1000)


def tune_gc() -> None:
    """Garbage-collector settings for a long-running process that allocates in bursts.

    Freezes what exists now (start-up: modules, and in the exchange the recovered book and
    accounts) and collects the young generation every 50,000 allocations instead of 700.
    The middle generation is collected every 5 young collections, the oldest after 1,000
    of those (every 5,000 young collections, as rarely as with 50 and 100).

    The exchange keeps many long-lived objects (resting orders, accounts) and allocates many
    short-lived ones (events): with Python's defaults, the full collections that the
    promoted short-lived objects bring about rescan the whole book. The read models' writer
    process decodes a transaction of up to thousands of rows at once, all alive until
    they are written: at the default threshold they are scanned and promoted again and
    again while they are decoded (half the decoding time, measured), for nothing,
    since they hold no reference cycles.

    Orders that come to rest after start-up survive into the middle generation, and a
    collection of it scans everything in it: with 50 young collections' worth of survivors
    (a growing book) that took up to 420-450 ms, measured; with 5, up to 70-100 ms, for the
    same throughput.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(*THRESHOLDS)
