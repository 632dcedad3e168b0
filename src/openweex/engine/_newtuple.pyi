from typing import Any, TypeVar

_T = TypeVar("_T", bound=tuple[Any, ...])

def make(cls: type[_T], /, *items: object) -> _T: ...
