"""``openweex serve --cpu-wake-latency-us``: a PM QoS request held while the server runs."""

from __future__ import annotations

import asyncio
import io
import os
import signal
import struct
import subprocess
import sys
from pathlib import Path

import pytest

from openweex.cpulatency import DEVICE, MAX_MICROSECONDS, CpuLatencyRequest
from openweex.domain.markets import default_markets
from openweex.server import ServeOptions, serve
from tests.support.server import ServerProcess


def fake_device(tmp_path: Path) -> Path:
    device = tmp_path / "cpu_dma_latency"
    device.write_bytes(b"")
    return device


def open_on(device: Path) -> bool:
    """Whether this process has ``device`` open."""
    fds = Path("/proc/self/fd")
    return any(os.path.realpath(fd) == str(device.resolve()) for fd in fds.iterdir())


def test_the_request_is_written_and_held_until_released(tmp_path: Path) -> None:
    device = fake_device(tmp_path)
    with CpuLatencyRequest(25, device) as request:
        assert request.held and open_on(device)
        assert device.read_bytes() == struct.pack("=i", 25)
    assert not request.held and not open_on(device)
    request.release()  # idempotent


@pytest.mark.parametrize("value", [-1, MAX_MICROSECONDS + 1])
def test_a_limit_out_of_range_is_refused(tmp_path: Path, value: int) -> None:
    with pytest.raises(ValueError, match="0 to"):
        CpuLatencyRequest(value, fake_device(tmp_path))


def test_a_missing_device_names_it(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError) as info:
        CpuLatencyRequest(0, tmp_path / "no-such-device")
    assert info.value.filename == str(tmp_path / "no-such-device")


def test_serve_holds_the_request_while_it_serves(tmp_path: Path) -> None:
    device = fake_device(tmp_path)
    out = io.StringIO()
    opts = ServeOptions(
        port=0, data_dir=tmp_path / "data", cpu_wake_latency_us=3, cpu_latency_device=device
    )
    seen: list[bool] = []

    async def run() -> int:
        task = asyncio.create_task(serve(default_markets(), opts, out))
        while "serving on" not in out.getvalue():
            assert not task.done(), out.getvalue()
            await asyncio.sleep(0.01)
        seen.append(open_on(device))
        os.kill(os.getpid(), signal.SIGTERM)  # serve's own handler stops it gracefully
        return await task

    assert asyncio.run(run()) == 0
    assert seen == [True]
    assert not open_on(device)
    assert device.read_bytes() == struct.pack("=i", 3)
    assert f"CPU wake-up latency held at 3 us or less ({device})" in out.getvalue()


def test_serve_refuses_to_start_without_the_device(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    opts = ServeOptions(
        port=0,
        data_dir=tmp_path / "data",
        cpu_wake_latency_us=0,
        cpu_latency_device=tmp_path / "missing",
    )
    assert asyncio.run(serve(default_markets(), opts, io.StringIO())) == 2
    err = capsys.readouterr().err
    assert "cannot limit the CPUs' wake-up latency" in err and "missing" in err
    assert not (tmp_path / "data").exists()  # nothing was started or written


def current_limit() -> int:
    return int(struct.unpack("=i", DEVICE.read_bytes()[:4])[0])


def test_the_real_server_with_the_real_device(tmp_path: Path) -> None:
    """As a user would run it: where this process may write the device, the kernel's limit
    is the one asked for while the server runs and back afterwards; elsewhere the server
    refuses to start and says why."""
    srv = ServerProcess(tmp_path / "data", ["--cpu-wake-latency-us", "7"])
    if not os.access(DEVICE, os.R_OK | os.W_OK):
        cmd = [sys.executable, "-m", "openweex", "serve", "--port", "0", "--data-dir",
               str(tmp_path / "data"), "--cpu-wake-latency-us", "7"]  # fmt: skip
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
        assert done.returncode == 2
        assert "cannot limit the CPUs' wake-up latency" in done.stderr
        return
    before = current_limit()
    srv.start()
    try:
        assert any("CPU wake-up latency held at 7 us" in line for line in srv.output)
        assert current_limit() <= 7
    finally:
        assert srv.stop() == 0
    assert current_limit() == before


def test_a_refused_device_says_it_needs_root(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    real_open = os.open

    def refused(path: str | os.PathLike[str], flags: int, *args: int) -> int:
        if Path(path) == tmp_path / "device":
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, flags, *args)

    monkeypatch.setattr(os, "open", refused)
    opts = ServeOptions(
        port=0, data_dir=tmp_path / "data", cpu_wake_latency_us=0,
        cpu_latency_device=tmp_path / "device",
    )  # fmt: skip
    assert asyncio.run(serve(default_markets(), opts, io.StringIO())) == 2
    err = capsys.readouterr().err
    assert "Permission denied" in err and "usually needs root" in err
    assert not (tmp_path / "data").exists()


@pytest.mark.parametrize(
    ("value", "message"),
    [("-1", "must be 0 to 2000000000"), ("2000000001", "must be 0 to 2000000000"),
     ("1.5", "not a whole number"), ("x", "not a whole number")],
)  # fmt: skip
def test_the_option_refuses_bad_values(
    capsys: pytest.CaptureFixture[str], value: str, message: str
) -> None:
    from openweex.cli import main

    with pytest.raises(SystemExit) as info:
        main(["serve", "--cpu-wake-latency-us", value])
    assert info.value.code == 2
    assert message in capsys.readouterr().err
