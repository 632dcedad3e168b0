from __future__ import annotations

import errno
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from openweex.storage import appendfile as appendfile_mod
from openweex.storage.appendfile import BLOCK, AppendFile

from .helpers import O_DIRECT, direct_io_here


def open_flags(fd: int) -> int:
    """The fd's file status flags as the kernel holds them (Linux)."""
    for line in Path(f"/proc/self/fdinfo/{fd}").read_text().splitlines():
        if line.startswith("flags:"):
            return int(line.split()[1], 8)
    raise AssertionError("no flags line")


def new_file(path: Path, content: bytes = b"") -> Path:
    path.write_bytes(content)
    return path


def test_direct_appends_rewrite_the_last_block_and_keep_what_was_there(tmp_path: Path) -> None:
    path = new_file(tmp_path / "f", b"head")
    f = AppendFile(path, 4)
    assert f.direct == direct_io_here(tmp_path)
    if f.direct:
        assert open_flags(f.fd) & O_DIRECT
    reached = f.append(b"-one")
    assert f.end == 8
    assert reached == (BLOCK if f.direct else 8)
    f.append(b"-two")
    os.fdatasync(f.fd)
    f.close()
    data = path.read_bytes()
    assert data[:12] == b"head-one-two"
    assert not data[12:].strip(b"\0")


@pytest.mark.parametrize("direct", [True, False])
def test_zeros_until_fills_ahead_in_whole_blocks(tmp_path: Path, direct: bool) -> None:
    path = new_file(tmp_path / "f")
    f = AppendFile(path, 0, direct=direct)
    reached = f.append(b"x" * 10, zeros_until=3 * BLOCK + 5)
    size = path.stat().st_size
    if f.direct:
        assert reached == size == 4 * BLOCK
    else:
        assert reached == size == 3 * BLOCK + 5
    assert f.append(b"y" * 10) == (BLOCK if f.direct else 20)  # inside the zeros: no growth
    assert path.stat().st_size == size
    f.close()
    assert path.read_bytes()[:20] == b"x" * 10 + b"y" * 10
    assert not path.read_bytes()[20:].strip(b"\0")


def test_an_append_longer_than_the_buffer_goes_in_pieces(tmp_path: Path) -> None:
    path = new_file(tmp_path / "f", b"ab")
    f = AppendFile(path, 2)
    big = bytes(range(256)) * ((3 * appendfile_mod._BUFFER) // 256 + 7)
    f.append(big)
    f.append(b"end")
    f.close()
    assert path.read_bytes()[: 2 + len(big) + 3] == b"ab" + big + b"end"


def test_reopening_at_an_unaligned_end_continues_the_last_block(tmp_path: Path) -> None:
    path = new_file(tmp_path / "f")
    first = os.urandom(BLOCK + 123)
    f = AppendFile(path, 0)
    f.append(first)
    f.close()
    g = AppendFile(path, len(first))  # a restart: the tail is read back from the file
    g.append(b"more")
    g.close()
    assert path.read_bytes()[: len(first) + 4] == first + b"more"


def test_an_end_past_the_file_is_refused(tmp_path: Path) -> None:
    path = new_file(tmp_path / "f", b"short")
    if not direct_io_here(tmp_path):
        pytest.fail("this test needs a filesystem with direct I/O")
    with pytest.raises(OSError, match="ends before"):
        AppendFile(path, 100)


@settings(max_examples=40, deadline=None)
@given(
    st.binary(max_size=300),
    st.lists(st.tuples(st.binary(max_size=2 * BLOCK + 17), st.integers(0, 3 * BLOCK)), max_size=12),
    st.booleans(),
)
def test_any_appends_leave_the_bytes_then_zeros(
    start: bytes, appends: list[tuple[bytes, int]], direct: bool
) -> None:
    with tempfile.TemporaryDirectory() as d:
        path = new_file(Path(d) / "f", start)
        f = AppendFile(path, len(start), direct=direct)
        expect = bytearray(start)
        zeros_to = len(start)
        for data, ahead in appends:
            zeros_until = len(expect) + len(data) + ahead if ahead % 2 else 0
            reached = f.append(data, zeros_until)
            expect += data
            assert f.end == len(expect)
            assert reached >= max(len(expect), zeros_until)
            zeros_to = max(zeros_to, reached)
        f.close()
        on_disk = path.read_bytes()
        assert on_disk[: len(expect)] == expect
        assert len(on_disk) >= zeros_to
        assert not on_disk[len(expect) :].strip(b"\0")


def test_rewind_starts_over_at_offset_zero(tmp_path: Path) -> None:
    path = new_file(tmp_path / "f")
    f = AppendFile(path, 0)
    f.append(b"a" * 5000)
    f.rewind()
    assert f.end == 0
    f.append(b"b" * 10)
    f.close()
    assert path.read_bytes()[:10] == b"b" * 10


# ----------------------------------------------------------------- falling back


def test_no_o_direct_on_the_platform(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delattr(os, "O_DIRECT", raising=False)
    f = AppendFile(new_file(tmp_path / "f", b"abc"), 3)
    assert not f.direct
    f.append(b"def")
    f.close()
    assert (tmp_path / "f").read_bytes() == b"abcdef"


def test_a_filesystem_that_refuses_o_direct(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_open = os.open

    def no_direct(path: str, flags: int, *args: int) -> int:
        if flags & O_DIRECT:
            raise OSError(errno.EINVAL, "Invalid argument")
        return real_open(path, flags, *args)

    monkeypatch.setattr(os, "open", no_direct)
    f = AppendFile(new_file(tmp_path / "f", b"abc"), 3)
    assert not f.direct
    assert not open_flags(f.fd) & O_DIRECT
    f.append(b"def", zeros_until=10)
    f.close()
    assert (tmp_path / "f").read_bytes() == b"abcdef" + bytes(4)


def test_other_errors_opening_are_raised(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        AppendFile(tmp_path / "missing", 0)


def failing_pwritev(
    monkeypatch: pytest.MonkeyPatch, code: int, times: int
) -> Callable[[], list[int]]:
    real = os.pwritev
    calls: list[int] = []

    def pwritev(fd: int, buffers: list[memoryview], offset: int) -> int:
        calls.append(fd)
        if len(calls) <= times:
            raise OSError(code, os.strerror(code))
        return real(fd, buffers, offset)

    monkeypatch.setattr(os, "pwritev", pwritev)
    return lambda: calls


def test_einval_on_the_first_direct_write_falls_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = new_file(tmp_path / "f", b"abc")
    f = AppendFile(path, 3)
    if not f.direct:
        pytest.fail("this test needs a filesystem with direct I/O")
    calls = failing_pwritev(monkeypatch, errno.EINVAL, 1)
    assert f.append(b"def") == 6  # written again through the page cache
    assert not f.direct and len(calls()) == 1
    assert not open_flags(f.fd) & O_DIRECT
    f.close()
    assert path.read_bytes() == b"abcdef"


def test_einval_after_a_direct_write_succeeded_is_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = new_file(tmp_path / "f")
    f = AppendFile(path, 0)
    if not f.direct:
        pytest.fail("this test needs a filesystem with direct I/O")
    f.append(b"abc")
    failing_pwritev(monkeypatch, errno.EINVAL, 1)
    with pytest.raises(OSError) as info:
        f.append(b"def")
    assert info.value.errno == errno.EINVAL
    assert f.direct
    f.close()


def test_other_write_errors_are_raised(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    f = AppendFile(new_file(tmp_path / "f"), 0)
    failing_pwritev(monkeypatch, errno.ENOSPC, 1)
    monkeypatch.setattr(os, "pwrite", lambda *a: (_ for _ in ()).throw(OSError(errno.ENOSPC, "")))
    with pytest.raises(OSError) as info:
        f.append(b"abc")
    assert info.value.errno == errno.ENOSPC
    f.close()


@pytest.mark.parametrize(("returned", "ok"), [(BLOCK, True), (100, False), (0, False)])
def test_short_direct_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, returned: int, ok: bool
) -> None:
    path = new_file(tmp_path / "f")
    f = AppendFile(path, 0)
    if not f.direct:
        pytest.fail("this test needs a filesystem with direct I/O")
    real = os.pwritev
    short = [True]

    def pwritev(fd: int, buffers: list[memoryview], offset: int) -> int:
        if short[0]:  # the first call writes only ``returned`` bytes
            short[0] = False
            if returned == BLOCK:
                return real(fd, [buffers[0][:returned]], offset)
            return returned  # what a failing device might answer
        return real(fd, buffers, offset)

    monkeypatch.setattr(os, "pwritev", pwritev)
    data = os.urandom(2 * BLOCK + 10)
    if ok:
        f.append(data)  # the rest goes in a second write
        f.close()
        assert path.read_bytes()[: len(data)] == data
    else:
        with pytest.raises(OSError, match="short direct write"):
            f.append(data)
        f.close()
