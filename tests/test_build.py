"""Which engine build the tests run against.

``scripts/check`` runs the suite on the editable (pure-Python) install, then runs the engine
and read-model tests again against a mypyc-compiled copy with ``OPENWEEX_EXPECT_COMPILED=1``.
This test makes sure each run really uses the build it claims to.
"""

from __future__ import annotations

import os

from openweex.engine import book, exchange, trading
from openweex.storage import rows


def test_engine_build_is_the_expected_one() -> None:
    expect_compiled = os.environ.get("OPENWEEX_EXPECT_COMPILED") == "1"
    for module in (book, exchange, trading, rows):
        path = module.__file__ or ""
        assert path.endswith(".py") is not expect_compiled, path
