"""Content-addressed object storage: each distinct content is stored once, named by its SHA-256.

Writes go to a temporary file and are renamed into place, so an object is either whole or
absent, whatever moment a process dies at. Reads check the hash, so corruption is reported,
never returned. Objects are read-only files, which lets the worker hard-link them into /pfs.
"""

from __future__ import annotations

import hashlib
import os
import uuid
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import BinaryIO

from pachlite.errors import StoreCorrupt

CHUNK = 1 << 20
SMALL_FILE = 8 << 20  # read whole below this; stream above
EMPTY_HASH = hashlib.sha256(b"").hexdigest()

Progress = Callable[[int], None]


def hash_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class ObjectStore:
    def __init__(self, root: Path, *, durable: bool = False) -> None:
        self.dir = root / "objects"
        self.tmp = root / "tmp"
        self.durable = durable
        self.tmp.mkdir(parents=True, exist_ok=True)
        if not (self.dir / "ff").is_dir():
            for i in range(256):
                (self.dir / f"{i:02x}").mkdir(parents=True, exist_ok=True)

    def path(self, digest: str) -> Path:
        return self.dir / digest[:2] / digest[2:]

    def has(self, digest: str) -> bool:
        return os.path.exists(self.path(digest))

    # -- writing ---------------------------------------------------------------------------

    def put_bytes(self, data: bytes) -> tuple[str, int]:
        digest = hash_bytes(data)
        if not self.has(digest):
            self._write_new(digest, (data,))
        return digest, len(data)

    def put_file(
        self, source: str | os.PathLike[str], progress: Progress | None = None
    ) -> tuple[str, int]:
        """Store a local file; small files are read once, large ones streamed."""
        with open(source, "rb") as handle:
            size = os.fstat(handle.fileno()).st_size
            if size <= SMALL_FILE:
                data = handle.read()
                result = self.put_bytes(data)
                if progress:
                    progress(len(data))
                return result
            return self.put_stream(handle, progress)

    def put_stream(self, stream: BinaryIO, progress: Progress | None = None) -> tuple[str, int]:
        return self.put_chunks(iter(lambda: stream.read(CHUNK), b""), progress)

    def put_chunks(
        self, chunks: Iterable[bytes], progress: Progress | None = None
    ) -> tuple[str, int]:
        """Stream chunks into a temporary file while hashing, then rename it into place."""
        hasher = hashlib.sha256()
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

    def _write_new(self, digest: str, chunks: Iterable[bytes]) -> None:
        tmp = self._tmp_path()
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o444)
        try:
            for chunk in chunks:
                view = memoryview(chunk)
                while view:
                    view = view[os.write(fd, view) :]
            if self.durable:
                os.fsync(fd)
        except BaseException:
            os.close(fd)
            tmp.unlink(missing_ok=True)
            raise
        os.close(fd)
        os.replace(tmp, self.path(digest))
        self._sync_dir(digest)

    def _tmp_path(self) -> Path:
        return self.tmp / uuid.uuid4().hex

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
        hasher = hashlib.sha256()
        with open(self._open(digest), "rb") as handle:
            while chunk := handle.read(chunk_size):
                hasher.update(chunk)
                yield chunk
        if hasher.hexdigest() != digest:
            raise _corrupt(digest)

    def verify(self, digest: str) -> bool:
        try:
            for _ in self.iter_verified(digest):
                pass
        except StoreCorrupt:
            return False
        return True

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
        for sub in sorted(self.dir.iterdir()):
            if sub.is_dir():
                for entry in os.scandir(sub):
                    yield sub.name + entry.name

    def stale_temp_files(self) -> list[Path]:
        return list(self.tmp.iterdir())


def _corrupt(digest: str) -> StoreCorrupt:
    return StoreCorrupt(
        f"object {digest[:12]} does not match its hash (the stored data is corrupt)",
        "run `pachlite fsck` to list what is affected",
    )
