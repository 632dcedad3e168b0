"""The public surface: curated ``__all__``, frozen slotted models, no server imports."""

from __future__ import annotations

import ast
import dataclasses
from pathlib import Path

import openweex.client as sdk
from openweex.client import models

CLIENT_DIR = Path(sdk.__file__).parent


def test_all_names_exist_and_are_unique() -> None:
    assert len(sdk.__all__) == len(set(sdk.__all__))
    for name in sdk.__all__:
        assert hasattr(sdk, name), name


def test_the_sdk_imports_nothing_from_the_server() -> None:
    offenders = []
    for path in CLIENT_DIR.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom):
                module = node.module or ""
                if node.level > 1 or (
                    node.level == 0
                    and module.startswith("openweex")
                    and not module.startswith("openweex.client")
                ):
                    offenders.append(f"{path.name}: from {'.' * node.level}{module}")
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name.startswith("openweex") and not alias.name.startswith(
                        "openweex.client"
                    ):
                        offenders.append(f"{path.name}: import {alias.name}")
    assert offenders == []


def test_models_and_events_are_frozen_slotted_dataclasses() -> None:
    classes = [getattr(sdk, name) for name in sdk.__all__]
    data_classes = [c for c in classes if isinstance(c, type) and dataclasses.is_dataclass(c)]
    assert len(data_classes) >= 25
    for cls in data_classes:
        params = cls.__dataclass_params__  # type: ignore[attr-defined]
        assert params.frozen, cls
        assert "__slots__" in cls.__dict__, cls


def test_order_request_is_hashable_and_frozen() -> None:
    request = models.OrderRequest("buy", "1")
    assert hash(request) == hash(models.OrderRequest("buy", "1"))
