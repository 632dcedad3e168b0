from __future__ import annotations

import os
from pathlib import Path

O_DIRECT = getattr(os, "O_DIRECT", 0)


def direct_io_here(directory: Path) -> bool:
    """Whether this filesystem opens files for direct I/O (the fallback is tested apart)."""
    if not O_DIRECT:
        return False
    probe = directory / ".probe"
    probe.touch()
    try:
        os.close(os.open(probe, os.O_WRONLY | O_DIRECT))
    except OSError:
        return False
    finally:
        probe.unlink()
    return True
