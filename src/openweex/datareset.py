"""``openweex data reset``: delete the exchange state of a data directory, and only that.

It deletes what openweex itself keeps there (:func:`reset_plan` lists it: journal segments
and lock, snapshots, read models, ``markets.toml`` and the temporary files of their writers)
and keeps ``admin-token``. It deletes nothing when the directory holds anything else (files
of another program are never openweex's to delete) or while a server has it open (the
journal's lock is held).
"""

from __future__ import annotations

import argparse
import re
import stat
import sys
from dataclasses import dataclass, field
from pathlib import Path

from openweex.datadir import (
    MARKETS_FILE,
    READ_MODELS_FILE,
    TOKEN_FILE,
    fail,
    journal_locked,
    need_dir,
)
from openweex.storage.files import fsync_dir
from openweex.storage.frames import NAME_RE as SEGMENT_NAME
from openweex.storage.journal import JOURNAL_DIRNAME
from openweex.storage.snapshots import SNAPSHOTS_DIRNAME

# What openweex puts in a data directory, besides TOKEN_FILE (see the storage modules):
# journal segments and the lock a server holds; snapshots, and the temporary files of
# atomic_write (".<name>.<hex>.tmp") that a crash may leave; the SQLite read models with
# their side files; the remembered market configuration; the file of ``data disk``.
_JOURNAL_NAMES = re.compile(rf"{SEGMENT_NAME.pattern}|LOCK")
_SNAPSHOT_NAMES = re.compile(r"snapshot-\d{20}\.snap|\.snapshot-\d{20}\.snap\.[0-9a-f]+\.tmp")
_TOP_NAMES = re.compile(
    rf"{re.escape(READ_MODELS_FILE)}(-wal|-shm|-journal)?"
    rf"|{re.escape(MARKETS_FILE)}|\.{re.escape(MARKETS_FILE)}\.[0-9a-f]+\.tmp"
    r"|\.disk-test-\w+\.tmp"
)


@dataclass
class ResetPlan:
    """What ``reset`` deletes in a data directory, in order, and what it would not touch."""

    files: list[Path] = field(default_factory=list)
    dirs: list[Path] = field(default_factory=list)  # removed once their files are gone
    foreign: list[Path] = field(default_factory=list)  # anything openweex does not make
    token: bool = False  # TOKEN_FILE is there (and stays)


def _is_file(path: Path) -> bool:  # (a symbolic link is not one of ours)
    return stat.S_ISREG(path.lstat().st_mode)


def reset_plan(data_dir: Path) -> ResetPlan:
    """Sort the entries of ``data_dir``: openweex's state, the admin token, the rest.

    The state is listed source of truth first: journal segments, snapshots, read models,
    then ``markets.toml`` (the units the state is counted in) and last the journal's lock,
    so a reset cut short never leaves a state without the markets it is counted in.
    """
    plan = ResetPlan()
    inside: dict[str, list[Path]] = {JOURNAL_DIRNAME: [], SNAPSHOTS_DIRNAME: []}
    top: list[Path] = []
    for entry in sorted(data_dir.iterdir()):
        name = entry.name
        if name == TOKEN_FILE and _is_file(entry):
            plan.token = True
        elif name in inside and stat.S_ISDIR(entry.lstat().st_mode):
            names = _JOURNAL_NAMES if name == JOURNAL_DIRNAME else _SNAPSHOT_NAMES
            for f in sorted(entry.iterdir()):
                ours = names.fullmatch(f.name) and _is_file(f)
                (inside[name] if ours else plan.foreign).append(f)
            plan.dirs.append(entry)
        elif _TOP_NAMES.fullmatch(name) and _is_file(entry):
            top.append(entry)
        else:
            plan.foreign.append(entry)
    journal = inside[JOURNAL_DIRNAME]
    lock = [f for f in journal if f.name == "LOCK"]
    top.sort(key=lambda f: f.name == MARKETS_FILE)
    plan.files = [*(f for f in journal if f not in lock), *inside[SNAPSHOTS_DIRNAME], *top, *lock]
    return plan


def _plan_or_refuse(data_dir: Path) -> ResetPlan:
    """:func:`reset_plan`, exiting (status 2) when the directory holds anything else."""
    try:
        plan = reset_plan(data_dir)
    except OSError as exc:
        fail(f"cannot reset {data_dir}: {exc}")
    if not plan.foreign:
        return plan
    names = [str(f.relative_to(data_dir)) for f in plan.foreign]
    shown = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
    if plan.files or plan.dirs or plan.token:
        why = f"it holds files openweex does not make ({shown})"
    else:
        why = f"it does not look like an openweex data directory (it holds {shown})"
    fail(f"refusing to reset {data_dir}: {why}; nothing was deleted")


def _confirmed(data_dir: Path, plan: ResetPlan, yes: bool) -> bool:
    if yes:
        return True
    if not sys.stdin.isatty():
        print("openweex: refusing to reset without --yes (no terminal to ask)", file=sys.stderr)
        return False
    kept = f"; {TOKEN_FILE} stays" if plan.token else ""
    answer = input(
        f"Delete the exchange state in {data_dir} ({len(plan.files)} file(s): journal, "
        f"snapshots, read models, {MARKETS_FILE}){kept}? Type 'yes' to confirm: "
    )
    if answer.strip().lower() != "yes":
        print("aborted")
        return False
    return True


def cmd_reset(args: argparse.Namespace) -> int:
    d: Path = args.data_dir
    need_dir(d)
    _plan_or_refuse(d)  # before the lock, which may create journal/LOCK
    with journal_locked(d, "reset", "nothing was deleted"):
        plan = _plan_or_refuse(d)  # again: now no server can start on the directory
        if not plan.files and not plan.dirs:
            print(f"nothing to reset in {d}")
            return 0
        if not _confirmed(d, plan, args.yes):
            return 1
        try:
            for f in plan.files:
                f.unlink()
            for sub in plan.dirs:
                sub.rmdir()
            fsync_dir(d)
        except OSError as exc:
            fail(f"the reset of {d} stopped before its end: {exc} (run it again)")
    kept = f", {TOKEN_FILE} kept" if plan.token else ""
    print(f"reset {d}: {len(plan.files)} file(s) deleted{kept}")
    return 0
