"""Command-line entry point."""

from __future__ import annotations


def main() -> None:
    raise SystemExit("openweex: not implemented yet")
