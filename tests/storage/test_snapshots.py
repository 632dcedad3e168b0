from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest

from openweex.storage.files import atomic_write, fsync_dir
from openweex.storage.snapshots import (
    HEADER_SIZE,
    SnapshotCorrupt,
    SnapshotStore,
    decode_snapshot,
    encode_snapshot,
    snapshot_name,
)


def test_atomic_write_replaces_content(tmp_path: Path) -> None:
    target = tmp_path / "state.bin"
    atomic_write(target, b"one")
    atomic_write(target, b"two")
    assert target.read_bytes() == b"two"
    assert os.listdir(tmp_path) == ["state.bin"]
    fsync_dir(tmp_path)


def test_atomic_write_failure_keeps_old_content(tmp_path: Path) -> None:
    target = tmp_path / "state.bin"
    atomic_write(target, b"old")

    def broken_fsync(fd: int) -> None:
        raise OSError(5, "Input/output error")

    with pytest.raises(OSError):
        atomic_write(target, b"new", fsync=broken_fsync)
    assert target.read_bytes() == b"old"
    assert os.listdir(tmp_path) == ["state.bin"]


def test_encode_decode_snapshot() -> None:
    data = encode_snapshot(42, b"payload")
    assert len(data) == HEADER_SIZE + 7
    assert decode_snapshot(data) == (42, b"payload")
    assert decode_snapshot(data, 42) == (42, b"payload")
    with pytest.raises(SnapshotCorrupt, match="file name"):
        decode_snapshot(data, 43)
    for pos in range(len(data)):
        damaged = bytearray(data)
        damaged[pos] ^= 0x10
        with pytest.raises(SnapshotCorrupt):
            decode_snapshot(bytes(damaged), 42)
    with pytest.raises(SnapshotCorrupt):
        decode_snapshot(data[:-1])
    with pytest.raises(SnapshotCorrupt):
        decode_snapshot(data[:10])


def test_save_latest_and_keep(tmp_path: Path) -> None:
    store = SnapshotStore(tmp_path, keep=3)
    assert store.latest() is None
    assert store.list() == []
    for seq in (10, 20, 30, 40, 50):
        path = store.save(seq, f"state@{seq}".encode())
        assert path.name == snapshot_name(seq)
    assert store.list() == [30, 40, 50]
    assert store.latest() == (50, b"state@50")
    assert store.load(40) == b"state@40"
    assert (tmp_path / "snapshots" / "snapshot-00000000000000000050.snap").exists()


def test_corrupt_newest_falls_back(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    store = SnapshotStore(tmp_path)
    store.save(1, b"a" * 100)
    store.save(2, b"b" * 100)
    store.save(3, b"c" * 100)
    newest = store.path_for(3)
    raw = bytearray(newest.read_bytes())
    raw[-5] ^= 0x01
    newest.write_bytes(bytes(raw))
    with caplog.at_level(logging.WARNING):
        assert store.latest() == (2, b"b" * 100)
    assert str(newest) in caplog.text
    os.truncate(store.path_for(2), 30)
    assert store.latest() == (1, b"a" * 100)
    store.path_for(1).rename(store.path_for(9))  # seq in the header no longer matches
    assert store.latest() is None
    with pytest.raises(SnapshotCorrupt):
        store.load(3)


def test_leftover_temp_files_are_swept(tmp_path: Path) -> None:
    store = SnapshotStore(tmp_path)
    store.save(5, b"x")
    leftover = store.directory / f".{snapshot_name(6)}.abcdef.tmp"
    leftover.write_bytes(b"half")
    store = SnapshotStore(tmp_path)
    assert not leftover.exists()
    assert store.list() == [5]


def test_bad_arguments(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        SnapshotStore(tmp_path, keep=0)
    with pytest.raises(ValueError):
        SnapshotStore(tmp_path).save(-1, b"")
