"""The dependency rule, checked by walking the imports of src/openweex with ``ast``.

* ``openweex.domain`` imports from openweex only ``openweex.domain``; ``openweex.engine``
  only ``openweex.domain`` and ``openweex.engine``. Neither imports anything that does I/O,
  reads a clock or randomness, or runs tasks (asyncio, json, sqlite3, os, socket, http, io,
  pathlib, time, datetime, random, threading, subprocess, ...), nor a web library, and
  neither loads modules dynamically.
* ``openweex.client`` (the SDK) imports nothing from openweex outside ``openweex.client``:
  not the server packages, not even ``openweex.domain``.
* ``openweex.storage`` imports from openweex only ``domain``, ``engine``, ``storage`` and
  ``gcsettings`` (never the runtime, the API or the server); ``openweex.gcsettings`` imports
  nothing from openweex (the read models' writer process starts from those two).

Imports are counted wherever they appear (module level, inside functions, under
``TYPE_CHECKING``); relative imports are resolved against the importing module's package.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = SRC / "openweex"

# Top-level modules that domain/ and engine/ must never import.
FORBIDDEN_TOP = frozenset(
    {
        "asyncio",
        "json",
        "sqlite3",
        "os",
        "socket",
        "http",
        "io",
        "pathlib",
        "time",
        "datetime",
        "random",
        "threading",
        "subprocess",
        "multiprocessing",
        "concurrent",
        "shutil",
        "tempfile",
        "urllib",
        "logging",
        "secrets",
        "uuid",
        "importlib",
        "starlette",
        "uvicorn",
        "httpx",
        "websockets",
    }
)
# openweex-internal imports each layer may use.
ALLOWED_INTERNAL = {
    "openweex.domain": ("openweex.domain",),
    "openweex.engine": ("openweex.domain", "openweex.engine"),
    "openweex.client": ("openweex.client",),
    "openweex.storage": (
        "openweex.domain",
        "openweex.engine",
        "openweex.storage",
        "openweex.gcsettings",
    ),
    "openweex.gcsettings": (),
}
PURE_LAYERS = ("openweex.domain", "openweex.engine")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def is_package(path: Path) -> bool:
    return path.name == "__init__.py"


def _within(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def imported_names(source: str, module: str, package: bool) -> list[tuple[int, str]]:
    """(line, module name) of every import in ``source``; ``from X import Y`` yields both X
    and X.Y (Y may be a submodule). Dynamic imports (``__import__``,
    ``importlib.import_module``) yield the pseudo-name ``<dynamic>``."""
    tree = ast.parse(source)
    own_package = module if package else module.rpartition(".")[0]
    out: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base_parts = own_package.split(".")
                if node.level > 1:
                    base_parts = base_parts[: -(node.level - 1)]
                base = ".".join(base_parts)
                base = f"{base}.{node.module}" if node.module else base
            else:
                base = node.module or ""
            out.append((node.lineno, base))
            out.extend((node.lineno, f"{base}.{alias.name}") for alias in node.names)
        elif isinstance(node, ast.Call):
            func = node.func
            name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
            if name in ("__import__", "import_module"):
                out.append((node.lineno, "<dynamic>"))
    return out


def violations(module: str, names: list[tuple[int, str]]) -> list[str]:
    """Why each import of ``module`` breaks the layering (empty: none)."""
    layer = next((p for p in ALLOWED_INTERNAL if _within(module, p)), None)
    if layer is None:
        return []
    bad: list[str] = []
    for line, name in names:
        where = f"{module}:{line} imports {name}"
        if name == "<dynamic>":
            if layer in PURE_LAYERS:
                bad.append(f"{where} (dynamic import)")
            continue
        if _within(name, "openweex"):
            if name == "openweex":
                continue  # the parent package itself is always imported first anyway
            if not any(_within(name, allowed) for allowed in ALLOWED_INTERNAL[layer]):
                bad.append(where)
        elif layer in PURE_LAYERS and name.split(".")[0] in FORBIDDEN_TOP:
            bad.append(where)
    return bad


def source_files() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def check_file(path: Path) -> list[str]:
    module = module_name(path)
    return violations(module, imported_names(path.read_text(), module, is_package(path)))


def test_source_tree_is_found() -> None:
    names = {module_name(p) for p in source_files()}
    assert {"openweex.domain.values", "openweex.engine.exchange"} <= names
    assert any(_within(n, "openweex.client") for n in names)


@pytest.mark.parametrize("layer", ["domain", "engine", "client", "storage", "gcsettings.py"])
def test_layer_imports(layer: str) -> None:
    files = [PACKAGE / layer] if layer.endswith(".py") else sorted((PACKAGE / layer).rglob("*.py"))
    assert files, f"no source files under {layer}/"
    bad = [v for path in files for v in check_file(path)]
    assert not bad, "layering broken:\n" + "\n".join(bad)


def test_domain_does_not_import_engine() -> None:
    for path in sorted((PACKAGE / "domain").rglob("*.py")):
        module = module_name(path)
        for line, name in imported_names(path.read_text(), module, is_package(path)):
            assert not _within(name, "openweex.engine"), f"{module}:{line} imports {name}"


def test_client_import_loads_no_server_module() -> None:
    """At run time too: importing the SDK loads no openweex module outside it."""
    code = (
        "import sys, openweex.client\n"
        "print('\\n'.join(m for m in sys.modules if m.startswith('openweex')))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.split()
    loaded = [m for m in out if m != "openweex" and not _within(m, "openweex.client")]
    assert not loaded, f"openweex.client loads {loaded}"


def test_engine_import_loads_only_domain_and_engine() -> None:
    code = (
        "import sys, openweex.engine.exchange\n"
        "print('\\n'.join(m for m in sys.modules if m.startswith('openweex')))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.split()
    allowed = ALLOWED_INTERNAL["openweex.engine"]
    loaded = [m for m in out if m != "openweex" and not any(_within(m, a) for a in allowed)]
    assert not loaded, f"openweex.engine loads {loaded}"


# -- the checker itself can fail ------------------------------------------------------------


@pytest.mark.parametrize(
    ("module", "package", "source"),
    [
        ("openweex.engine.book", False, "import os\n"),
        ("openweex.engine.book", False, "import os.path\n"),
        ("openweex.engine.book", False, "from json import dumps\n"),
        ("openweex.domain.values", False, "def f():\n    import time\n"),
        ("openweex.engine.book", False, "from openweex.storage import journal\n"),
        ("openweex.engine.book", False, "from ..api import wire\n"),
        ("openweex.engine", True, "from ..runtime import Runtime\n"),
        ("openweex.engine.book", False, "from openweex import cli\n"),
        ("openweex.domain.values", False, "from openweex.engine import book\n"),
        ("openweex.domain.values", False, "from ..engine.book import Book\n"),
        ("openweex.engine.book", False, "import starlette.responses\n"),
        ("openweex.engine.book", False, "m = __import__('o' + 's')\n"),
        ("openweex.engine.book", False, "import importlib\nimportlib.import_module('os')\n"),
        ("openweex.client.sync", False, "from openweex.domain.values import Side\n"),
        ("openweex.client.sync", False, "from openweex import domain\n"),
        ("openweex.client.sync", False, "from .. import api\n"),
        ("openweex.client", True, "from ..engine import exchange\n"),
        ("openweex.storage.sqlwriter", False, "from openweex.runtime import Runtime\n"),
        ("openweex.storage.readmodels", False, "from ..api import wire\n"),
        ("openweex.gcsettings", False, "from openweex.storage import codec\n"),
    ],
)
def test_checker_flags(module: str, package: bool, source: str) -> None:
    assert violations(module, imported_names(source, module, package))


@pytest.mark.parametrize(
    ("module", "package", "source"),
    [
        ("openweex.engine.book", False, "from openweex.domain.values import Side\n"),
        ("openweex.engine.book", False, "from .ledger import Ledger\n"),
        ("openweex.engine", True, "from .book import Book\nfrom ..domain import errors\n"),
        ("openweex.engine.book", False, "import hashlib\nfrom bisect import insort\n"),
        ("openweex.domain.markets", False, "import tomllib\n"),
        ("openweex.client.sync", False, "import json\nimport httpx\nfrom ._core import Core\n"),
        ("openweex.client.sync", False, "from openweex.client.models import Order\n"),
        ("openweex.storage.journal", False, "import os\nfrom openweex.engine import state\n"),
        ("openweex.storage.sqlwriter", False, "from openweex.gcsettings import tune_gc\n"),
        ("openweex.gcsettings", False, "import gc\n"),
    ],
)
def test_checker_allows(module: str, package: bool, source: str) -> None:
    assert violations(module, imported_names(source, module, package)) == []
