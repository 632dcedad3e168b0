"""The read models' SQLite writer process: ``python -m openweex.storage.sqlwriter PATH LIMIT``.

Started by :class:`openweex.storage.readmodels.WriterProcess`. Reads messages from stdin (a
:data:`~openweex.storage.readmodels.FRAME` header, then the rows of one transaction as
JSON), writes each in one transaction and answers on stdout: an empty success, or the error.
Ends when stdin closes.
"""

from __future__ import annotations

import json
import sys

import orjson

from openweex.storage.readmodels import FRAME, SqliteStore, connect, write_rows


def main(argv: list[str] | None = None) -> int:
    path, limit = argv if argv is not None else sys.argv[1:]
    db = connect(path, int(limit), SqliteStore.CACHE_KIB, create=False)
    inp, out = sys.stdin.buffer, sys.stdout.buffer
    try:
        while len(head := inp.read(FRAME.size)) == FRAME.size:
            size, exact = FRAME.unpack(head)
            payload = inp.read(size)
            try:
                seq, orders, fills, bills, transfers = (
                    json.loads(payload) if exact else orjson.loads(payload)
                )
                write_rows(db, seq, orders, fills, bills, transfers)
            except Exception as exc:  # the parent stops the runtime on it
                text = f"{type(exc).__name__}: {exc}".encode()
                out.write(FRAME.pack(len(text), 1) + text)
            else:
                out.write(FRAME.pack(0, 0))
            out.flush()
    finally:
        db.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
