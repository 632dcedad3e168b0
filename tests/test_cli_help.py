"""The command line explains itself: every command and option has a help text."""

from __future__ import annotations

import argparse

import pytest

from openweex.cli import build_parser


def _commands(
    parser: argparse.ArgumentParser, path: tuple[str, ...] = ("openweex",)
) -> list[tuple[tuple[str, ...], argparse.ArgumentParser]]:
    found = [(path, parser)]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                found += _commands(sub, (*path, name))
    return found


def test_every_option_and_argument_has_a_help_text() -> None:
    missing = [
        f"{' '.join(path)} {'/'.join(action.option_strings) or action.dest}"
        for path, parser in _commands(build_parser())
        for action in parser._actions
        if not action.help
        and not isinstance(action, argparse._HelpAction | argparse._SubParsersAction)
    ]
    assert missing == []
    assert len(_commands(build_parser())) > 30  # the whole tree was walked


def test_the_top_level_help_is_for_users(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        build_parser().parse_args(["--help"])
    assert done.value.code == 0
    text = capsys.readouterr().out
    assert "WEEX spot API" in text and "openweex serve" in text
    assert "``" not in text and ":mod:" not in text  # no source markup
    commands = {path[-1] for path, _ in _commands(build_parser())}
    for line in text.split("examples:")[1].splitlines():  # the examples name real commands
        words = line.split()
        if words[:1] == ["openweex"] and len(words) > 1:
            assert words[1] in commands


def test_log_levels_are_checked() -> None:
    args = build_parser().parse_args(["serve", "--log-level", "DEBUG"])
    assert args.log_level == "debug"
    with pytest.raises(SystemExit):
        build_parser().parse_args(["serve", "--log-level", "verbose"])
