"""Offline operations on a data directory: check, snapshot, reset, export, import.

Run them while the server is stopped (the journal lock refuses a second opener).
Export writes the whole exchange state (accounts, balances, API keys, open orders, market
data) plus the history read models (orders, fills, bills, transfers) into one JSON file;
import loads such a file into an empty data directory, so that the result has the same
``state_hash``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import sqlite3
import sys
from pathlib import Path
from typing import Any

from openweex.recovery import RecoveryError
from openweex.storage.journal import JournalCorrupt, JournalError
from openweex.storage.snapshots import SnapshotStore

EXPORT_FORMAT = "openweex-export"
EXPORT_VERSION = 1


def _markets(args: argparse.Namespace) -> Any:
    from openweex.cli import load_markets

    return load_markets(getattr(args, "config", None))


def _open(args: argparse.Namespace) -> Any:
    from openweex.runtime import Runtime

    if not args.data_dir.exists():
        raise SystemExit(f"openweex: no data directory at {args.data_dir}")
    try:
        return Runtime.open(args.data_dir, _markets(args))
    except JournalCorrupt as exc:
        raise SystemExit(f"openweex: journal is corrupt: {exc}") from exc
    except (JournalError, RecoveryError) as exc:
        raise SystemExit(f"openweex: {exc}") from exc


def cmd_check(args: argparse.Namespace) -> int:
    snaps = SnapshotStore(args.data_dir)
    bad = 0
    for seq in snaps.list():
        try:
            snaps.load(seq)
            print(f"snapshot {seq}: ok")
        except Exception as exc:
            bad += 1
            print(f"snapshot {seq}: BAD ({exc})")
    rt = _open(args)
    try:
        ex = rt.exchange
        ex.check_invariants()
        rec = rt.recovery
        print(
            f"journal: {len(rt.journal.segment_paths())} segment(s), last seq {rt.journal.last_seq}"
        )
        if rec is not None and rec.torn_tail:
            print(f"journal: cut a torn tail ({rec.torn_tail})")
        if rec is not None:
            print(
                f"recovery: snapshot {rec.snapshot_seq} + {rec.replayed} records "
                f"in {rec.seconds:.2f}s"
            )
        print(f"read models: applied seq {rt.store.applied_seq()}")
        print(
            f"accounts: {len(ex.accounts)}, open orders: {len(ex.orders)}, "
            f"api keys: {len(ex.api_keys)}"
        )
        print(f"state hash: {ex.state_hash()}")
        print("invariants: ok")
    finally:
        rt.journal.close()
        rt.store.close()
    return 1 if bad else 0


def cmd_snapshot(args: argparse.Namespace) -> int:
    rt = _open(args)

    async def go() -> int:
        seq: int = await rt.snapshot()
        return seq

    try:
        seq = asyncio.run(go())
        print(f"snapshot written at seq {seq}")
    finally:
        rt.journal.close()
        rt.store.close()
    return 0


def cmd_reset(args: argparse.Namespace) -> int:
    d: Path = args.data_dir
    if not d.exists():
        print(f"nothing to reset at {d}")
        return 0
    if not args.yes:
        if not sys.stdin.isatty():
            print("openweex: refusing to reset without --yes (no terminal to ask)", file=sys.stderr)
            return 1
        answer = input(f"Delete everything in {d}? Type 'yes' to confirm: ")
        if answer.strip().lower() != "yes":
            print("aborted")
            return 1
    for child in d.iterdir():
        if child.name == "admin-token":
            continue
        if child.is_dir():
            shutil.rmtree(child)
        else:
            child.unlink()
    print(f"reset {d}")
    return 0


def _table(db: sqlite3.Connection, name: str) -> list[list[Any]]:
    return [list(r) for r in db.execute(f"SELECT * FROM {name} ORDER BY 1")]


def cmd_export(args: argparse.Namespace) -> int:
    rt = _open(args)
    try:
        db = sqlite3.connect(str(args.data_dir / "history.sqlite3"))
        doc = {
            "format": EXPORT_FORMAT,
            "version": EXPORT_VERSION,
            "seq": rt.applied_seq,
            "state_hash": rt.exchange.state_hash(),
            "state": rt.exchange.export_state(),
            "history": {t: _table(db, t) for t in ("orders", "fills", "bills", "transfers")},
        }
        db.close()
    finally:
        rt.journal.close()
        rt.store.close()
    args.file.write_text(json.dumps(doc, separators=(",", ":")))
    print(f"exported seq {doc['seq']} to {args.file} (state hash {doc['state_hash']})")
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    from openweex.domain.commands import CreateAccount
    from openweex.engine.exchange import Exchange
    from openweex.storage import codec

    doc = json.loads(args.file.read_text())
    if doc.get("format") != EXPORT_FORMAT or doc.get("version") != EXPORT_VERSION:
        raise SystemExit("openweex: not an openweex export file")
    d: Path = args.data_dir
    if (d / "journal").exists() and any((d / "journal").glob("*.log")):
        raise SystemExit(f"openweex: {d} is not empty (reset it first)")
    ex = Exchange.from_state(_markets(args), doc["state"])
    if ex.state_hash() != doc["state_hash"]:
        raise SystemExit("openweex: the export file does not reproduce its state hash")
    rt = _open(args)
    try:
        # A first journal record anchors the imported snapshot at seq 1.
        rt.journal.append_batch([(1, codec.encode(CreateAccount(ex.last_ts)))])
        rt.snapshots.save(1, codec.encode_data(doc["state"]))
        db = sqlite3.connect(str(d / "history.sqlite3"))
        for table, rows in doc["history"].items():
            if rows:
                marks = ",".join("?" * len(rows[0]))
                db.executemany(f"INSERT OR REPLACE INTO {table} VALUES ({marks})", rows)
        db.execute("INSERT OR REPLACE INTO meta VALUES ('applied_seq', 1)")
        db.commit()
        db.close()
    finally:
        rt.journal.close()
        rt.store.close()
    print(f"imported {args.file} into {d} (state hash {doc['state_hash']})")
    return 0
