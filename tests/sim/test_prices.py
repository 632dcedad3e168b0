"""Reference prices: the integer random walk, replay paths, CSV loading, the sample file."""

from __future__ import annotations

import gzip
import random
import statistics
from itertools import pairwise
from pathlib import Path

import pytest

from openweex.sim.config import sample_path
from openweex.sim.prices import (
    RandomWalk,
    ReplayError,
    Series,
    div_round,
    load_series,
    normal_int,
    to_ticks,
)
from openweex.sim.sample import generate


def test_normal_int_is_roughly_standard() -> None:
    rng = random.Random(5)
    draws = [normal_int(rng) / 2**20 for _ in range(20_000)]
    assert abs(statistics.fmean(draws)) < 0.03
    assert 0.97 < statistics.pstdev(draws) < 1.03
    assert all(isinstance(normal_int(rng), int) for _ in range(10))


def test_div_round_is_symmetric() -> None:
    assert [div_round(a, 4) for a in (-6, -5, -3, -2, 2, 3, 5, 6)] == [-2, -1, -1, -1, 1, 1, 1, 2]


def test_walk_is_seeded_integer_and_bounded() -> None:
    def path(seed: int) -> list[int]:
        walk = RandomWalk(6_000_000, 100_000, 100_000, random.Random(seed))
        return [walk.advance(t * 1000) for t in range(1, 3001)]

    a, b = path(3), path(3)
    assert a == b and a != path(4)
    assert all(type(p) is int and 300_000 <= p <= 120_000_000 for p in a)
    moves = [abs(y - x) for x, y in pairwise(a)]
    # 0.1% per minute -> about 0.013% per second: a few dollars per step at 60000.
    assert 200 < statistics.fmean(moves) < 1500


def test_walk_does_not_move_without_time_and_reverts() -> None:
    walk = RandomWalk(1000, 0, 10_000_000, random.Random(1), start=2000)  # 10%/minute pull
    assert walk.advance(0) == 2000
    assert walk.advance(60_000) == 1900
    assert walk.advance(60_000) == 1900
    tiny = RandomWalk(3, 50_000_000, 0, random.Random(1))
    assert all(tiny.advance(t * 60_000) >= 1 for t in range(1, 200))


def test_series_interpolates_loops_and_holds() -> None:
    s = Series([(0, 100), (1000, 200), (2000, 150)], 3000, interpolate=True)
    assert [s.at(t) for t in (0, 500, 1000, 1500, 2000, 2999)] == [100, 150, 200, 175, 150, 150]
    assert s.at(3500) == 150  # 500 ms into the second round, interpolated from 100 to 200
    s.loop = False
    assert s.at(10_000) == 150
    step = Series([(0, 100), (1000, 200)], 2000, interpolate=False, speed=10)
    assert [step.advance(t) for t in (0, 99, 100, 200)] == [100, 100, 200, 100]


def test_to_ticks_rounds_half_even_and_rejects_junk() -> None:
    assert to_ticks("60000.125", 2, "x") == 6000012
    assert to_ticks("60000.135", 2, "x") == 6000014
    assert to_ticks(" 0.05 ", 5, "x") == 5000
    for bad in ("abc", "nan", "0", "-1", "0.001"):
        with pytest.raises(ReplayError):
            to_ticks(bad, 2, "x")


def test_candle_path_visits_open_extremes_and_close(tmp_path: Path) -> None:
    f = tmp_path / "c.csv"
    f.write_text(
        "ts_ms,open,high,low,close,volume\n"
        "60000,100,110,95,105,1\n"  # rising: open, low, high, close
        "120000,105,108,90,92,2.5\n"  # falling: open, high, low, close
    )
    s = load_series(f, 0)
    assert [s.at(t) for t in (0, 15_000, 30_000, 45_000)] == [100, 95, 110, 105]
    assert [s.at(60_000 + t) for t in (0, 15_000, 30_000, 45_000)] == [105, 108, 90, 92]
    assert s.duration == 120_000 and s.interpolate


def test_headerless_files_and_trades(tmp_path: Path) -> None:
    c = tmp_path / "c.csv"
    c.write_text("0,1.5,1.5,1.5,1.5,0\n")
    assert load_series(c, 1).at(0) == 15
    t = tmp_path / "t.csv"
    t.write_text("ts_ms,price,qty,side\n1000,10.0,1,buy\n1500,11.0,2,sell\n3000,9.5,1,BUY\n")
    s = load_series(t, 1)
    assert not s.interpolate
    assert [s.at(x) for x in (0, 499, 500, 1999, 2000)] == [100, 100, 110, 110, 95]
    t.write_text("5,2,1,sell\n")
    assert load_series(t, 0).at(0) == 2


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "no rows"),
        ("ts_ms,open,high,low,close,volume\n", "no data rows"),
        ("a,b,c\n1,2,3\n", "header names neither"),
        ("1,2,3\n", "expected 6 columns"),
        ("0,10,9,8,10,1\n", "high/low"),
        ("0,10,11,8,10,1\n0,10,11,8,10,1\n", "increasing time"),
        ("0,10,11,8,10,-1\n", "non-negative"),
        ("x0,10,11,8,10,1\n", "header names neither"),
        ("ts_ms,price,qty,side\n1,2,3,hold\n", "side must be"),
        ("ts_ms,price,qty,side\n5,2,3,buy\n4,2,3,buy\n", "time order"),
        ("ts_ms,price,qty,side\n1.5,2,3,buy\n", "ts_ms must be"),
        # the row out of order is named, not the one before it
        ("0,10,11,8,10,1\n60000,10,11,8,10,1\n60000,10,11,8,10,1\n", r"bad\.csv:3: rows must"),
        ("h,open\n0,10,11,8,10,1\n\n-5,10,11,8,10,1\n", r"bad\.csv:4: ts_ms"),
        ("0,10,11,8,10,1\n120000,10,11,8,10,1\n60000,1,2,1,1,1\n", r"bad\.csv:3: rows must"),
        ("0,1e999999,1e999999,1e999999,1e999999,1\n", r"bad\.csv:1: price 1e999999 is too"),
        ("ts_ms,price,qty,side\n0,1e999999,1,buy\n", r"bad\.csv:2: price 1e999999 is too"),
        ("0,1e-999999,1,1,1,1\n", "at least one tick"),
        ("\u00b2,10,11,8,10,1\n", "header names neither"),
        ("ts_ms,price,qty,side\n\u00b2,2,3,buy\n", "ts_ms must be"),
        ('0,"10\x00",11,8,10,1\n', r"bad\.csv:1: not a number"),
    ],
)
def test_bad_files_are_reported(tmp_path: Path, text: str, message: str) -> None:
    f = tmp_path / "bad.csv"
    f.write_text(text)
    with pytest.raises(ReplayError, match=message):
        load_series(f, 2)


def test_oversized_fields_are_reported(tmp_path: Path) -> None:
    f = tmp_path / "big.csv"
    f.write_text("ts_ms,price,qty,side\n" + "9" * 5000 + ",2,3,buy\n")
    with pytest.raises(ReplayError, match=r"big\.csv:2: ts_ms must be"):
        load_series(f, 2)
    f.write_text("0,1,1,1,1,1\n0,1,2," + "1" * 200_000 + ",1,1\n")  # the csv module's limit
    with pytest.raises(ReplayError, match=r"big\.csv:2: not a CSV row: field larger"):
        load_series(f, 2)


def test_missing_file_is_reported(tmp_path: Path) -> None:
    with pytest.raises(ReplayError, match="cannot read"):
        load_series(tmp_path / "none.csv", 2)
    with pytest.raises(ReplayError, match="Is a directory"):
        load_series(tmp_path, 2)


def test_exact_rounding_of_long_prices() -> None:
    """Half to even on the exact value, however many digits it has."""
    assert to_ticks("60000.1250000000000000000000000000001", 2, "x") == 6000013
    assert to_ticks("60000.125", 2, "x") == 6000012
    assert to_ticks("0.0050000000000000000000000000000000001", 2, "x") == 1


def test_a_byte_order_mark_is_not_a_header(tmp_path: Path) -> None:
    f = tmp_path / "bom.csv"
    f.write_bytes(b"\xef\xbb\xbfts_ms,open,high,low,close,volume\n0,100,110,95,105,1\n")
    assert load_series(f, 0).at(0) == 100
    f.write_bytes(b"\xef\xbb\xbf0,100,110,95,105,1\n")  # no header: the first row is data
    assert load_series(f, 0).at(0) == 100


def test_gzipped_files_are_read_by_their_suffix(tmp_path: Path) -> None:
    text = b"ts_ms,open,high,low,close,volume\n0,100,110,95,105,1\n60000,105,108,90,92,2\n"
    plain, packed = tmp_path / "c.csv", tmp_path / "c.csv.gz"
    plain.write_bytes(text)
    packed.write_bytes(gzip.compress(text))
    a, b = load_series(plain, 0), load_series(packed, 0)
    assert (a.times, a.prices, a.duration) == (b.times, b.prices, b.duration)
    renamed = tmp_path / "c.csv.bin"
    renamed.write_bytes(gzip.compress(text))
    with pytest.raises(ReplayError, match=r"not UTF-8 text \(a gzipped file must end in \.gz\)"):
        load_series(renamed, 0)
    fake = tmp_path / "fake.gz"
    fake.write_bytes(text)
    with pytest.raises(ReplayError, match="not a gzip file"):
        load_series(fake, 0)
    cut = tmp_path / "cut.csv.gz"
    cut.write_bytes(gzip.compress(text)[:-12])
    with pytest.raises(ReplayError, match="gzip data is damaged"):
        load_series(cut, 0)
    (tmp_path / "bin.gz").write_bytes(gzip.compress(b"\x00\x9f\x92\x96"))
    with pytest.raises(ReplayError, match="not UTF-8 text"):
        load_series(tmp_path / "bin.gz", 0)


def test_shipped_sample_is_the_generators_output() -> None:
    path = sample_path()
    text = path.read_text()
    assert text == generate()
    assert path.stat().st_size < 300_000
    s = load_series(path, 2)
    assert s.duration == 24 * 60 * 60_000
    assert min(s.prices) > 5_000_000 and max(s.prices) < 7_000_000
