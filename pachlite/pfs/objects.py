"""Content-addressed object storage: each distinct content is stored once, named by its SHA-256.

Writes go to a temporary file and are renamed into place, so an object is either whole or
absent, whatever moment a process dies at. Reads check the hash, so corruption is reported,
never returned. Objects are read-only files, which lets the worker hard-link them into /pfs.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from pachlite.errors import StoreCorrupt, StoreNotWritable, from_os_error
from pachlite.pfs.localfs import makedirs, write_all

TYPE_CHECKING = False  # mypy reads it as true; `typing` is not imported at run time

CHUNK = 1 << 20
SMALL_FILE = 8 << 20  # read whole below this; stream above
EMPTY_HASH = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"  # of b""

Progress = Callable[[int], None]

if TYPE_CHECKING:
    import hashlib
    from typing import BinaryIO


def sha256(data: bytes = b"") -> hashlib._Hash:
    """`hashlib.sha256`, imported on the first hash: loading OpenSSL costs a CLI start ~3 ms,
    and the verbs that only read metadata (`list repo`, `inspect commit`) never hash."""
    from hashlib import sha256

    return sha256(data)


def hash_bytes(data: bytes) -> str:
    return sha256(data).hexdigest()


class ObjectStore:
    def __init__(self, root: Path, *, durable: bool = False, read_only: bool = False) -> None:
        self.dir = root / "objects"
        self.tmp = root / "tmp"
        self.durable = durable
        self.read_only = read_only
        # The hot path (one small put after another) joins plain strings: pathlib costs more
        # than the write itself for a file of a few bytes.
        self._dir_str = str(self.dir)
        self._tmp_str = str(self.tmp)
        if read_only:
            return
        try:
            makedirs(self.tmp)
            if not (self.dir / "ff").is_dir():
                makedirs(self.dir)
                for i in range(256):
                    (self.dir / f"{i:02x}").mkdir(exist_ok=True)
        except OSError as exc:
            raise from_os_error(exc, f"creating the object store in {root}") from None

    def require_writable(self) -> None:
        if self.read_only:
            raise StoreNotWritable(
                f"the store {self.dir.parent} is read-only",
                "reads work; to change it, use a writable copy of the store",
            )

    def path(self, digest: str) -> Path:
        return self.dir / digest[:2] / digest[2:]

    def has(self, digest: str) -> bool:
        return os.path.exists(self._path_str(digest))

    def _path_str(self, digest: str) -> str:
        return f"{self._dir_str}/{digest[:2]}/{digest[2:]}"

    # -- writing ---------------------------------------------------------------------------

    def put_bytes(self, data: bytes, unsynced: list[str] | None = None) -> tuple[str, int]:
        """Store bytes. With `unsynced` (a durable store's batch), a new object is not fsynced
        here: its hash is appended, and the caller must `sync_objects` them before any
        metadata names them."""
        self.require_writable()
        digest = hash_bytes(data)
        if not self.has(digest):
            try:
                self._write_new(digest, (data,), sync=unsynced is None)
            except OSError as exc:
                raise from_os_error(exc, f"storing {len(data)} bytes") from None
            if unsynced is not None and self.durable:
                unsynced.append(digest)
        return digest, len(data)

    def put_file(
        self,
        source: str | os.PathLike[str],
        progress: Progress | None = None,
        unsynced: list[str] | None = None,
    ) -> tuple[str, int]:
        """Store a local file; small files are read whole in one read, large ones streamed.
        `unsynced` as for `put_bytes` (small files; a streamed one is synced here)."""
        fd = os.open(source, os.O_RDONLY | os.O_CLOEXEC)
        try:
            size = os.fstat(fd).st_size
            if size <= SMALL_FILE:
                data = _read_whole(fd, size)
            else:
                with os.fdopen(fd, "rb", closefd=False) as handle:
                    return self.put_stream(handle, progress)
        finally:
            os.close(fd)
        result = self.put_bytes(data, unsynced)
        if progress:
            progress(len(data))
        return result

    def sync_objects(self, digests: Iterable[str], workers: int = 8) -> None:
        """Make objects written with `unsynced` durable: fsync each one, then each fan-out
        directory holding them once. Several at a time, so the file system can commit them
        in groups rather than one journal commit per object."""
        if not self.durable:
            return
        digests = list(digests)
        if not digests:
            return
        from concurrent.futures import ThreadPoolExecutor

        def fsync_path(path: str) -> None:
            fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)

        folders = sorted({f"{self._dir_str}/{digest[:2]}" for digest in digests})
        try:
            with ThreadPoolExecutor(max_workers=workers) as pool:
                list(pool.map(fsync_path, [self._path_str(d) for d in digests]))
                list(pool.map(fsync_path, folders))
        except OSError as exc:
            raise from_os_error(exc, "syncing new objects to disk") from None

    def put_stream(self, stream: BinaryIO, progress: Progress | None = None) -> tuple[str, int]:
        return self.put_chunks(iter(lambda: stream.read(CHUNK), b""), progress)

    def put_chunks(
        self, chunks: Iterable[bytes], progress: Progress | None = None
    ) -> tuple[str, int]:
        """Stream chunks into a temporary file while hashing, then rename it into place."""
        self.require_writable()
        try:
            return self._put_chunks(_source(chunks), progress)
        except _SourceFailed as failed:  # reading the source failed, not the store
            raise failed.error from None
        except OSError as exc:
            raise from_os_error(exc, "storing data in the object store") from None

    def _put_chunks(self, chunks: Iterable[bytes], progress: Progress | None) -> tuple[str, int]:
        hasher = sha256()
        size = 0
        tmp = self._tmp_path()
        try:
            with open(tmp, "wb") as out:
                for chunk in chunks:
                    hasher.update(chunk)
                    out.write(chunk)
                    size += len(chunk)
                    if progress:
                        progress(len(chunk))
                if self.durable:
                    out.flush()
                    os.fsync(out.fileno())
            digest = hasher.hexdigest()
            if self.has(digest):
                tmp.unlink()
            else:
                os.chmod(tmp, 0o444)
                os.replace(tmp, self.path(digest))
                self._sync_dir(digest)
            return digest, size
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise

    def _write_new(self, digest: str, chunks: Iterable[bytes], *, sync: bool = True) -> None:
        """Write to a temporary name, then rename it to the hash: whole or absent. A durable
        store fsyncs the file and its folder unless `sync` is off (the caller syncs later)."""
        tmp = f"{self._tmp_str}/{_unique()}"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o444)
        try:
            for chunk in chunks:
                write_all(fd, chunk)
            if self.durable and sync:
                os.fsync(fd)
        except BaseException:
            os.close(fd)
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise
        os.close(fd)
        os.replace(tmp, self._path_str(digest))
        if sync:
            self._sync_dir(digest)

    def _tmp_path(self) -> Path:
        return self.tmp / _unique()

    def _sync_dir(self, digest: str) -> None:
        if self.durable:
            fd = os.open(self.path(digest).parent, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)

    # -- reading ---------------------------------------------------------------------------

    def read(self, digest: str) -> bytes:
        """The whole content, verified against its hash."""
        data = self._open(digest).read_bytes()
        if hash_bytes(data) != digest:
            raise _corrupt(digest)
        return data

    def iter_verified(self, digest: str, chunk_size: int = CHUNK) -> Iterator[bytes]:
        """Stream the content; raises StoreCorrupt after the last chunk if the hash differs."""
        hasher = sha256()
        with open(self._open(digest), "rb") as handle:
            while chunk := handle.read(chunk_size):
                hasher.update(chunk)
                yield chunk
        if hasher.hexdigest() != digest:
            raise _corrupt(digest)

    def copy_verified(self, digest: str, target: Path) -> None:
        """Write the object to a new file `target` (mode 0444), hashing every byte on the way:
        StoreCorrupt, and no `target` left, if the stored bytes do not match their hash."""
        hasher = sha256()
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o444)
        try:
            with open(self._open(digest), "rb") as source:
                while chunk := source.read(CHUNK):
                    hasher.update(chunk)
                    write_all(fd, chunk)
            if hasher.hexdigest() != digest:
                raise _corrupt(digest)
        except BaseException:
            os.close(fd)
            target.unlink(missing_ok=True)
            raise
        os.close(fd)

    def link_verified(self, digest: str, target: Path) -> None:
        """Hard-link the object at `target` once its hash checks; copy (verified) where a link
        is impossible (another file system, links not allowed)."""
        if not self.verify(digest):
            raise _corrupt(digest)
        try:
            os.link(self.path(digest), target)
        except OSError:
            self.copy_verified(digest, target)

    def verify(self, digest: str) -> bool:
        """Whether the object hashes to its name; StoreCorrupt if it is missing."""
        hasher = sha256()
        with open(self._open(digest), "rb") as handle:
            while chunk := handle.read(CHUNK):
                hasher.update(chunk)
        return hasher.hexdigest() == digest

    def _open(self, digest: str) -> Path:
        path = self.path(digest)
        if not path.exists():
            raise StoreCorrupt(
                f"object {digest[:12]} is missing from {self.dir}",
                "run `pachlite fsck` to list what is affected",
            )
        return path

    # -- listing ---------------------------------------------------------------------------

    def hashes(self) -> Iterator[str]:
        if not self.dir.is_dir():
            return
        for sub in sorted(self.dir.iterdir()):
            if sub.is_dir():
                for entry in os.scandir(sub):
                    yield sub.name + entry.name

    def stale_temp_files(self) -> list[Path]:
        return list(self.tmp.iterdir()) if self.tmp.is_dir() else []


def _read_whole(fd: int, size: int) -> bytes:
    """A file's content, in one read when it still has the size fstat gave; read on to the
    end when it does not (a file that grew, or a short read)."""
    data = os.read(fd, size + 1)  # one byte more tells a file that grew
    if len(data) == size:
        return data
    parts = [data]
    while more := os.read(fd, CHUNK):
        parts.append(more)
    return b"".join(parts)


class _SourceFailed(Exception):
    def __init__(self, error: OSError) -> None:
        super().__init__(str(error))
        self.error = error


def _source(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """The chunks, with the source's own OSErrors set apart from the store's."""
    it = iter(chunks)
    while True:
        try:
            chunk = next(it)
        except StopIteration:
            return
        except OSError as exc:
            raise _SourceFailed(exc) from exc
        yield chunk


def _corrupt(digest: str) -> StoreCorrupt:
    return StoreCorrupt(
        f"object {digest[:12]} does not match its hash (the stored data is corrupt)",
        "run `pachlite fsck` to list what is affected",
    )


def _unique() -> str:
    """A temporary file name no other writer picks: uuid4's 122 random bits, without `uuid`
    (it imports `platform`, ~2 ms of every start that opens a store)."""
    return os.urandom(16).hex()
