"""Journal benchmark: raw fsync reference, group-commit appends, and replay throughput.

Run ``python bench/bench_journal.py`` (``--help`` for options). Everything runs in one fresh
temporary directory (``--dir`` picks the filesystem), removed at the end. Measured:

a. the disk itself: ``write`` + ``fsync`` of 1 and of 64 records per fsync;
b. ``Journal.append_batch`` with batches of 1, 64 and 256 records (one fsync per batch);
c. reopening (validating) and ``read_from`` over 1,000,000 records, and the command codec.

Time columns are per operation: one write + fsync (a, b), one record or command (c); only the
fsync cases have per-operation percentiles.
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from openweex.domain.commands import PlaceOrder
from openweex.domain.values import Force, OrderType, Side
from openweex.storage import codec
from openweex.storage.journal import Journal


@dataclass
class Row:
    case: str
    ops: int
    records: int
    seconds: float
    latencies: list[float]  # seconds per operation; empty when only the mean is known
    mean: float

    def cells(self) -> list[str]:
        lat = sorted(self.latencies)
        return [
            self.case,
            f"{self.ops:,}",
            f"{self.records:,}",
            f"{self.records / self.seconds:,.0f}" if self.seconds else "-",
            _fmt_latency(self.mean),
            _fmt_latency(_percentile(lat, 50)),
            _fmt_latency(_percentile(lat, 99)),
        ]


def _percentile(sorted_values: list[float], pct: float) -> float | None:
    if not sorted_values:
        return None
    index = min(len(sorted_values) - 1, round(pct / 100 * (len(sorted_values) - 1)))
    return sorted_values[index]


def _fmt_latency(value: float | None) -> str:
    if value is None:
        return "-"
    if value >= 1e-3:
        return f"{value * 1e3:.2f} ms"
    return f"{value * 1e6:.2f} us"


def print_table(rows: list[Row]) -> None:
    header = ["case", "ops", "records", "records/s", "mean/op", "p50/op", "p99/op"]
    table = [header] + [row.cells() for row in rows]
    widths = [max(len(line[i]) for line in table) for i in range(len(header))]
    for n, line in enumerate(table):
        cells = [line[0].ljust(widths[0])] + [
            c.rjust(w) for c, w in zip(line[1:], widths[1:], strict=True)
        ]
        print("  ".join(cells))
        if n == 0:
            print("  ".join("-" * w for w in widths))


def bench_raw(workdir: Path, per_fsync: int, record: bytes, seconds: float, max_ops: int) -> Row:
    """write() + fsync() of ``per_fsync`` records at a time, on a plain file."""
    chunk = record * per_fsync
    path = workdir / f"raw-{per_fsync}.bin"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    latencies: list[float] = []
    start = time.perf_counter()
    try:
        while len(latencies) < max_ops and time.perf_counter() - start < seconds:
            os.write(fd, chunk)
            t0 = time.perf_counter()
            os.fsync(fd)
            latencies.append(time.perf_counter() - t0)
    finally:
        os.close(fd)
    elapsed = time.perf_counter() - start
    path.unlink()
    ops = len(latencies)
    name = f"raw write+fsync, {per_fsync}/fsync"
    return Row(name, ops, ops * per_fsync, elapsed, latencies, elapsed / max(ops, 1))


def bench_append(workdir: Path, batch: int, record: bytes, seconds: float, max_ops: int) -> Row:
    """``Journal.append_batch`` with ``batch`` records per call (one fsync each)."""
    data_dir = workdir / f"append-{batch}"
    latencies: list[float] = []
    with Journal.open(data_dir) as jr:
        seq = 1
        start = time.perf_counter()
        while len(latencies) < max_ops and time.perf_counter() - start < seconds:
            records = [(s, record) for s in range(seq, seq + batch)]
            t0 = time.perf_counter()
            jr.append_batch(records)
            latencies.append(time.perf_counter() - t0)
            seq += batch
        elapsed = time.perf_counter() - start
    shutil.rmtree(data_dir)
    ops = len(latencies)
    name = f"Journal.append_batch({batch})"
    return Row(name, ops, ops * batch, elapsed, latencies, elapsed / max(ops, 1))


def bench_replay(workdir: Path, count: int, record: bytes) -> list[Row]:
    """Fill a journal with ``count`` records, then time open (validation) and read_from."""
    data_dir = workdir / "replay"
    with Journal.open(data_dir) as jr:
        start = time.perf_counter()
        for first in range(1, count + 1, 4096):
            last = min(count, first + 4095)
            jr.append_batch([(s, record) for s in range(first, last + 1)])
        fill = time.perf_counter() - start
    start = time.perf_counter()
    jr = Journal.open(data_dir)
    opened = time.perf_counter() - start
    start = time.perf_counter()
    seen = 0
    for _seq, _payload in jr.read_from(1):
        seen += 1
    read = time.perf_counter() - start
    jr.close()
    shutil.rmtree(data_dir)
    assert seen == count, (seen, count)
    return [
        Row("fill: append_batch(4096), per record", count, count, fill, [], fill / count),
        Row("Journal.open (validate all), per record", count, count, opened, [], opened / count),
        Row("read_from(1), per record", count, count, read, [], read / count),
    ]


def bench_codec(count: int) -> list[Row]:
    """Encode and decode a typical PlaceOrder ``count`` times."""
    cmd = PlaceOrder(
        1_700_000_000_000,
        12345,
        "BTCUSDT",
        Side.BUY,
        OrderType.LIMIT,
        Force.NORMAL,
        6_543_210,
        1000,
        "client-oid-0001",
    )
    data = codec.encode(cmd)
    rows = []
    cases: list[tuple[str, Callable[[], object]]] = [
        (f"codec.encode PlaceOrder ({len(data)} B)", lambda: codec.encode(cmd)),
        ("codec.decode PlaceOrder", lambda: codec.decode(data)),
    ]
    for name, fn in cases:
        start = time.perf_counter()
        for _ in range(count):
            fn()
        elapsed = time.perf_counter() - start
        rows.append(Row(name, count, count, elapsed, [], elapsed / count))
    return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dir", help="directory on the filesystem to test (default: temp)")
    parser.add_argument("--record-size", type=int, default=100, help="payload bytes")
    parser.add_argument("--seconds", type=float, default=3.0, help="time limit per fsync case")
    parser.add_argument("--max-fsyncs", type=int, default=20_000, help="fsync limit per case")
    parser.add_argument("--read-records", type=int, default=1_000_000)
    parser.add_argument("--codec-ops", type=int, default=200_000)
    args = parser.parse_args(argv)

    record = bytes(range(256))[: args.record_size].ljust(args.record_size, b"r")
    workdir = Path(tempfile.mkdtemp(prefix="openweex-bench-", dir=args.dir))
    print(f"directory: {workdir}   record payload: {args.record_size} bytes")
    rows: list[Row] = []
    try:
        for per_fsync in (1, 64):
            rows.append(bench_raw(workdir, per_fsync, record, args.seconds, args.max_fsyncs))
        for batch in (1, 64, 256):
            rows.append(bench_append(workdir, batch, record, args.seconds, args.max_fsyncs))
        rows.extend(bench_replay(workdir, args.read_records, record))
        rows.extend(bench_codec(args.codec_ops))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print()
    print_table(rows)


if __name__ == "__main__":
    main()
