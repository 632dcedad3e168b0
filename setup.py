"""Build script: compiles the engine and domain modules to C with mypyc when it can.

The package is plain Python and works as such; compiling the hot, fully typed modules, plus
one small hand-written C helper (``engine/_newtuple.c``, which builds the engine's events),
makes the matching engine about three times as fast. Compilation is skipped, and the
pure-Python modules are installed, when:

* the build is an editable install (``pip install -e``), so that edits take effect at once;
* ``OPENWEEX_PURE_PYTHON=1`` is set;
* mypyc or a C compiler is not available, or the compilation fails.
"""

from __future__ import annotations

import os
import sys
from typing import Any

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

COMPILED = [
    "src/openweex/domain/errors.py",
    "src/openweex/domain/markets.py",
    "src/openweex/domain/orders.py",
    "src/openweex/domain/values.py",
    "src/openweex/engine/amounts.py",
    "src/openweex/engine/book.py",
    "src/openweex/engine/exchange.py",
    "src/openweex/engine/ledger.py",
    "src/openweex/engine/marketdata.py",
    "src/openweex/engine/state.py",
    "src/openweex/engine/trading.py",
    "src/openweex/storage/rows.py",
]


class OptionalBuildExt(build_ext):
    """Build the C extensions if possible; otherwise keep the pure-Python package."""

    def run(self) -> None:
        try:
            super().run()
        except Exception as exc:  # no compiler, missing headers, ...
            self._skip(exc)

    def build_extension(self, ext: Any) -> None:
        try:
            super().build_extension(ext)
        except Exception as exc:
            self._skip(exc)
            raise

    def _skip(self, exc: Exception) -> None:
        sys.stderr.write(
            f"openweex: building the compiled engine failed ({exc}); "
            "installing the pure-Python engine\n"
        )
        self.extensions = []


# Hand-written C helpers of the compiled engine (each has a pure-Python fallback).
C_EXTENSIONS = [
    Extension("openweex.engine._newtuple", ["src/openweex/engine/_newtuple.c"]),
]


def ext_modules() -> list[Any]:
    if os.environ.get("OPENWEEX_PURE_PYTHON") or "editable_wheel" in sys.argv:
        return []
    try:
        from mypyc.build import mypycify
    except ImportError:
        return []
    try:
        return [*C_EXTENSIONS, *mypycify(COMPILED, opt_level="3")]
    except Exception as exc:  # a type error or an unsupported construct
        sys.stderr.write(f"openweex: mypyc could not compile the engine ({exc})\n")
        return []


setup(ext_modules=ext_modules(), cmdclass={"build_ext": OptionalBuildExt})
