"""The content-addressed object store on a real directory."""

import hashlib
import io
import os
from pathlib import Path

import pytest

from pachlite.errors import StoreCorrupt
from pachlite.pfs.objects import SMALL_FILE, ObjectStore


def test_same_content_is_stored_once(tmp_path: Path) -> None:
    store = ObjectStore(tmp_path)
    a = store.put_bytes(b"hello")
    b = store.put_stream(io.BytesIO(b"hello"))
    assert a == b == (hashlib.sha256(b"hello").hexdigest(), 5)
    assert len(list(store.hashes())) == 1
    assert store.read(a[0]) == b"hello"


def test_large_files_are_streamed_and_match_small_path(tmp_path: Path) -> None:
    store = ObjectStore(tmp_path / "s")
    data = os.urandom(SMALL_FILE + 12345)
    source = tmp_path / "big.bin"
    source.write_bytes(data)
    seen: list[int] = []
    digest, size = store.put_file(source, seen.append)
    assert (digest, size) == (hashlib.sha256(data).hexdigest(), len(data))
    assert sum(seen) == len(data)
    assert b"".join(store.iter_verified(digest)) == data


def test_objects_are_read_only_files(tmp_path: Path) -> None:
    store = ObjectStore(tmp_path)
    digest, _ = store.put_bytes(b"x")
    assert not os.access(store.path(digest), os.W_OK) or os.geteuid() == 0
    assert oct(store.path(digest).stat().st_mode & 0o777) == oct(0o444)


def test_corruption_is_detected_on_read(tmp_path: Path) -> None:
    store = ObjectStore(tmp_path)
    digest, _ = store.put_bytes(b"precious data")
    path = store.path(digest)
    path.chmod(0o644)
    path.write_bytes(b"precious dat4")
    with pytest.raises(StoreCorrupt, match="does not match its hash"):
        store.read(digest)
    with pytest.raises(StoreCorrupt):
        list(store.iter_verified(digest))
    assert not store.verify(digest)


def test_missing_object_is_reported(tmp_path: Path) -> None:
    store = ObjectStore(tmp_path)
    with pytest.raises(StoreCorrupt, match="missing"):
        store.read("ab" * 32)


def test_failed_stream_leaves_no_temporary_file(tmp_path: Path) -> None:
    store = ObjectStore(tmp_path)

    def chunks():  # type: ignore[no-untyped-def]
        yield b"partial"
        raise OSError("network dropped")

    with pytest.raises(OSError, match="network dropped"):
        store.put_chunks(chunks())
    assert store.stale_temp_files() == []
    assert list(store.hashes()) == []
