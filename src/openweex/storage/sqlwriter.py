"""The read models' SQLite writer process: ``python -m openweex.storage.sqlwriter PATH LIMIT``.

Started by :class:`openweex.storage.writerproc.WriterProcess`. Reads messages from stdin (a
:data:`~openweex.storage.writerproc.REQUEST` header, then JSON): per transaction its seq and
rows, which it writes in one transaction. Answers each message on stdout: an empty success,
or the error; after a failed transaction every later one gets that error too (none is
skipped). Ends when stdin closes.
"""

from __future__ import annotations

import sys

import orjson

from openweex.gcsettings import tune_gc
from openweex.storage.readmodels import SqliteStore, connect, write_rows
from openweex.storage.writerproc import REPLY, REQUEST


def main(argv: list[str] | None = None) -> int:
    path, limit = argv if argv is not None else sys.argv[1:]
    db = connect(path, int(limit), SqliteStore.CACHE_KIB, create=False)
    tune_gc()  # a transaction's rows are decoded at once: see tune_gc
    inp, out = sys.stdin.buffer, sys.stdout.buffer
    failed = b""  # after a failed transaction every later one is refused: none is skipped
    try:
        while len(head := inp.read(REQUEST.size)) == REQUEST.size:
            (size,) = REQUEST.unpack(head)
            payload = inp.read(size)
            if not failed:
                try:
                    seq, orders, fills, bills, transfers = orjson.loads(payload)
                    write_rows(db, seq, orders, fills, bills, transfers)
                except Exception as exc:  # the parent stops the runtime on it
                    failed = f"{type(exc).__name__}: {exc}".encode()
            # One answer per message: done, or the failure (again for every later message).
            out.write(REPLY.pack(len(failed), 1) + failed if failed else REPLY.pack(0, 0))
            out.flush()
    finally:
        db.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
