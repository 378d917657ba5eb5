"""FileChanges: puts, appends, deletes and copies into one commit, applied together.

A gRPC `ModifyFile` stream (and anything else that edits a commit in several steps) must land
whole or not at all: bytes go to the object store as they arrive (content-addressed, so an
object nothing names yet harms nothing), and the tree changes in one transaction in `apply`.
A stream that fails before then leaves the commit as it was.
"""

from __future__ import annotations

from collections.abc import Iterable

from pachlite.errors import Conflict, InvalidArgument
from pachlite.paths import DEFAULT_PROJECT, validate_file_path, validate_path
from pachlite.uri import parse_commit_ref, parse_file_ref

TYPE_CHECKING = False  # mypy reads it as true; `typing` is not imported at run time
if TYPE_CHECKING:
    from pachlite.model import CommitInfo
    from pachlite.pfs import files
    from pachlite.pfs.store import Store


class FileChanges:
    """Changes to `target` (`repo@branch` or an open `repo@ID`), gathered in order; with no
    target, a file set (Pachyderm's word) that `extend` adds to another's changes.

    Made by `Client.file_changes`. Nothing is visible in the commit before `apply`.
    """

    def __init__(
        self,
        store: Store,
        target: str | None,
        commit_info: CommitInfoOf,
        project: str = DEFAULT_PROJECT,
    ) -> None:
        from pachlite.pfs import files

        self.project = project  # where a repo named without one is
        self._store = store
        self._ref = parse_commit_ref(target, project=self.project) if target is not None else None
        self._info = commit_info
        self._ops: list[files.Op] = []  # with "delete, then add" folded into one put
        self._as_sent: list[files.Op] = []  # unfolded, for when a fold cannot hold
        if self._ref is not None:
            files.check_writable(store, self._ref)  # refuse before any byte is stored

    def put(self, path: str, chunks: Iterable[bytes], *, append: bool = False) -> None:
        """A file's content from `chunks`, replacing it (or added to its end, `append`)."""
        path = validate_file_path(path)
        digest, size = self._store.objects.put_chunks(chunks)
        self._put_object(path, digest, size, append)

    def put_url(self, path: str, url: str, *, append: bool = False) -> None:
        """A file fetched from a URL (what pachlite's ingest reads: file, http, https)."""
        from pachlite.pfs import ingest

        digest, size = ingest.store_url(self._store.objects, url)
        self._put_object(validate_file_path(path), digest, size, append)

    def delete(self, path: str) -> None:
        """A file or directory with what it holds; a path that is not there is no error."""
        from pachlite.pfs import files

        self._add(files.Delete(validate_path(path), recursive=True, missing_ok=True))

    def copy(self, source: str, path: str, *, append: bool = False) -> None:
        """`repo@ref:/path` (a file or a directory) to `path` in this commit."""
        from pachlite.pfs import files
        from pachlite.pfs.refs import resolve_commit

        src = parse_file_ref(source, project=self.project)
        row = resolve_commit(self._store, src.commit)
        entry = files.entry_at(self._store, row, src.path or "/")
        path = validate_path(path)
        if entry.is_dir:
            if append:
                raise Conflict("cannot append a directory", "copy it without append")
            self._add(files.Copy(path, entry))
            return
        self._put_object(validate_file_path(path), entry.hash, entry.size, append)

    def extend(self, other: FileChanges) -> None:
        """`other`'s changes after these (another thread's are fine: they are plain values
        naming objects of the same store)."""
        self._ops.extend(other._ops)
        self._as_sent.extend(other._as_sent)

    def apply(self, message: str = "") -> CommitInfo:
        """Make every change in one transaction; returns the commit they landed in."""
        from pachlite.pfs import files

        if self._ref is None:
            raise InvalidArgument("a file set has no commit", "extend a commit's changes with it")
        if not self._ops:
            raise InvalidArgument("no changes to apply")
        try:
            row = files.modify(self._store, self._ref, self._ops, description=message)
        except Conflict:
            if self._ops == self._as_sent:
                raise
            # A folded put onto a path that is a directory: the delete must go first, on the
            # slower path that edits the tree (the failed attempt's transaction rolled back).
            row = files.modify(self._store, self._ref, self._as_sent, description=message)
        return self._info(row)

    def __len__(self) -> int:
        return len(self._ops)

    def _put_object(self, path: str, digest: str, size: int, append: bool) -> None:
        from pachlite.pfs import files

        put = files.Put(path, digest, size, append)
        last = self._ops[-1] if self._ops else None
        if append and isinstance(last, files.Delete) and last.path == path:
            # "delete, then add" is how Pachyderm's clients say "overwrite": one staged put
            # does the same and keeps puts into an open commit constant time.
            self._ops[-1] = files.Put(path, digest, size, append=False)
            self._as_sent.append(put)
            return
        self._add(put)

    def _add(self, op: files.Op) -> None:
        self._ops.append(op)
        self._as_sent.append(op)


if TYPE_CHECKING:
    from collections.abc import Callable

    from pachlite.pfs.records import CommitRecord

    CommitInfoOf = Callable[[CommitRecord], CommitInfo]
