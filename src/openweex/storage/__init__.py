"""Durable storage: the command journal, snapshots, the command codec and the read models.

The journal is the source of truth (:mod:`openweex.storage.journal`, byte layout in
:mod:`openweex.storage.frames`); snapshots only bound recovery time
(:mod:`openweex.storage.snapshots`); :mod:`openweex.storage.codec` turns engine commands and
engine state into bytes; :mod:`openweex.storage.readmodels` keeps the history tables behind
the ``HistoryStore`` protocol. Everything here is synchronous library code with no event
loop; ``docs/durability.md`` describes how the runtime uses it.
"""
