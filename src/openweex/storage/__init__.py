"""Durable storage primitives: the command journal, snapshots and atomic file writes.

Everything here is synchronous library code with no event loop. The journal is the source
of truth (:mod:`openweex.storage.journal`), snapshots only bound recovery time
(:mod:`openweex.storage.snapshots`), and :mod:`openweex.storage.codec` turns engine commands
and plain snapshot data into bytes.
"""
