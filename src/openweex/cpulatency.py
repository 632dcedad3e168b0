"""Keep the CPUs out of slow idle states while the server runs (Linux PM QoS).

An order at light load waits for three wake-ups of the server's thread: its request
arriving, the journal's write and the journal's sync. When nothing else runs, the CPU goes
idle in between, and on a virtual machine an idle CPU is halted and handed back to the
host: waking it costs tens of microseconds each time. Writing a limit to
``/dev/cpu_dma_latency`` asks the kernel to use only idle states that wake up within that
many microseconds, for as long as the file stays open (the request ends when the process
does, however it ends: snapshot children close every inherited descriptor but their pipe
as they start, and the read-model writer process is started without them). 0 leaves only
polling: the lowest latency, at the price of CPUs that look busy (and use power) while
idle. The request covers every CPU of the machine, not just the server's; writing to the
device usually needs root.

See ``docs/performance.md`` ("CPU wake-ups") for what it changes.
"""

from __future__ import annotations

import os
import struct
from pathlib import Path

__all__ = ["DEVICE", "CpuLatencyRequest"]

DEVICE = Path("/dev/cpu_dma_latency")
MAX_MICROSECONDS = 2_000_000_000  # the kernel's own default: no limit


class CpuLatencyRequest:
    """A PM QoS CPU latency request of ``microseconds``, held until :meth:`release`.

    Raises ``OSError`` (with ``filename`` set to the device) if the device cannot be opened
    or written, ``ValueError`` for a limit out of range.
    """

    def __init__(self, microseconds: int, device: Path = DEVICE) -> None:
        if not 0 <= microseconds <= MAX_MICROSECONDS:
            raise ValueError(f"the CPU wake-up limit must be 0 to {MAX_MICROSECONDS:,} us")
        self.microseconds = microseconds
        self.device = device
        self._fd: int | None = os.open(device, os.O_WRONLY | os.O_CLOEXEC)
        try:
            if os.write(self._fd, struct.pack("=i", microseconds)) != 4:
                raise OSError(f"short write to {device}")
        except OSError as exc:
            self.release()
            exc.filename = exc.filename or str(device)
            raise

    @property
    def held(self) -> bool:
        return self._fd is not None

    def release(self) -> None:
        """End the request; idempotent."""
        fd, self._fd = self._fd, None
        if fd is not None:
            os.close(fd)

    def __enter__(self) -> CpuLatencyRequest:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()
