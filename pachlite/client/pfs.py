"""The PFS half of `pachlite.Client`: repos, branches, commits, files, fsck."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from pachlite.errors import Conflict, InvalidArgument, from_os_error
from pachlite.model import Origin
from pachlite.paths import (
    DEFAULT_PROJECT,
    is_commit_id,
    join,
    validate_file_path,
    validate_key,
    validate_path,
)
from pachlite.pfs.localfs import makedirs
from pachlite.uri import CommitRef, FileRef, parse_branch_ref, parse_commit_ref, parse_file_ref

TYPE_CHECKING = False  # mypy reads it as true; `typing` is not imported at run time

# Each verb imports the pfs modules it runs (branches, commits, files, provenance, job
# records...), so `list repo` loads the repo functions only; ingest (threads, urllib), fsck and
# backup likewise. tests/cli/test_startup_imports.py checks what a light verb loads.
if TYPE_CHECKING:
    from typing import BinaryIO

    from pachlite.client.changes import FileChanges
    from pachlite.model import (
        BackupInfo,
        BranchInfo,
        CommitInfo,
        FileDiff,
        FileInfo,
        FsckReport,
        ProjectInfo,
        ProvenanceNode,
        RepoInfo,
    )
    from pachlite.pfs import files, ingest
    from pachlite.pfs.records import CommitRecord
    from pachlite.pfs.store import Store

Progress = Callable[[int], None]


class PfsVerbs:
    store: Store
    # The project a repo or pipeline named without one is in, as pachctl's context project.
    project: str = DEFAULT_PROJECT

    # -- projects --------------------------------------------------------------------------

    def create_project(
        self, name: str, description: str = "", *, update: bool = False
    ) -> ProjectInfo:
        from pachlite.pfs import projects

        return projects.create_project(self.store, name, description=description, update=update)

    def list_project(self) -> list[ProjectInfo]:
        from pachlite.pfs import projects

        return projects.list_projects(self.store)

    def inspect_project(self, name: str) -> ProjectInfo:
        from pachlite.pfs import projects

        return projects.inspect_project(self.store, name)

    def delete_project(self, name: str) -> None:
        from pachlite.pfs import projects

        projects.delete_project(self.store, name)

    # -- repos -----------------------------------------------------------------------------

    def create_repo(self, name: str, description: str = "", *, update: bool = False) -> RepoInfo:
        from pachlite.pfs import repos

        return repos.create_repo(
            self.store, self._key(name), description=description, update=update
        )

    def list_repo(
        self, *, all_types: bool = False, projects: list[str] | None = None
    ) -> list[RepoInfo]:
        """Repos of `projects`; None lists every project's."""
        from pachlite.pfs import repos

        return repos.list_repos(self.store, all_types=all_types, projects=projects)

    def inspect_repo(self, name: str) -> RepoInfo:
        from pachlite.pfs import repos

        return repos.inspect_repo(self.store, self._key(name))

    def delete_repo(self, name: str, *, force: bool = False) -> None:
        from pachlite.pfs import repos

        repos.delete_repo(self.store, self._key(name), force=force)

    # -- branches --------------------------------------------------------------------------

    def create_branch(
        self, branch: str, *, head: str | None = None, provenance: list[str] | tuple[str, ...] = ()
    ) -> BranchInfo:
        """`head` is a commit of the same repo: `repo@ref`, or just `ref` (`master^`, an ID)."""
        from pachlite.pfs import branches

        repo, name = parse_branch_ref(branch, project=self.project)
        head_ref = None
        if head:
            head_ref = parse_commit_ref(
                head if "@" in head else f"{repo}@{head}", project=self.project
            )
        upstream = (
            [parse_branch_ref(p, project=self.project) for p in provenance] if provenance else None
        )
        return branches.create_branch(self.store, repo, name, head=head_ref, provenance_of=upstream)

    def list_branch(self, repo: str) -> list[BranchInfo]:
        from pachlite.pfs import branches

        return branches.list_branches(self.store, self._key(repo))

    def inspect_branch(self, branch: str) -> BranchInfo:
        from pachlite.pfs import branches

        return branches.inspect_branch(self.store, *parse_branch_ref(branch, project=self.project))

    def delete_branch(self, branch: str, *, force: bool = False) -> None:
        from pachlite.pfs import branches

        branches.delete_branch(
            self.store, *parse_branch_ref(branch, project=self.project), force=force
        )

    # -- commits ---------------------------------------------------------------------------

    def start_commit(
        self, branch: str, *, parent: str | None = None, description: str = ""
    ) -> CommitInfo:
        """Open a commit on `repo@branch` (or a detached one on `repo`)."""
        from pachlite.pfs import commits

        ref = parse_commit_ref(branch, project=self.project)
        if ref.commit or ref.ancestors or ref.nth is not None:
            raise InvalidArgument(f"{branch} is not a branch", "start commits on repo@branch")
        parent_ref = None
        if parent:
            parent_ref = parse_commit_ref(
                parent if "@" in parent else f"{ref.repo}@{parent}", project=self.project
            )
        row = commits.start_commit(
            self.store, ref.repo, ref.branch, parent=parent_ref, description=description
        )
        return self._commit_info(row)

    def finish_commit(
        self,
        commit: str,
        *,
        description: str | None = None,
        error: str | None = None,
        force: bool = False,
    ) -> CommitInfo:
        from pachlite.pfs import commits

        row = commits.finish_commit(
            self.store, self._commit_ref(commit), description=description, error=error, force=force
        )
        return self._commit_info(row)

    def inspect_commit(self, commit: str) -> CommitInfo:
        from pachlite.pfs.refs import resolve_commit

        row = resolve_commit(self.store, self._commit_ref(commit))
        return self._commit_info(row)

    def commit_provenance(self, commit: str, depth: int = -1) -> ProvenanceNode:
        """The full provenance tree of a commit, down to commits made by people."""
        from pachlite.pfs import provenance
        from pachlite.pfs.refs import resolve_commit

        row = resolve_commit(self.store, self._commit_ref(commit))
        return provenance.provenance_tree(self.store, row, depth)

    def commit_subvenance(self, commit: str) -> list[CommitInfo]:
        """Every commit made, directly or not, from this one."""
        from pachlite.pfs import provenance
        from pachlite.pfs.refs import resolve_commit

        row = resolve_commit(self.store, self._commit_ref(commit))
        return [self._commit_info(r) for r in provenance.full_subvenance(self.store, row)]

    def list_commit(
        self, target: str | None = None, *, number: int = 0, origin: str | None = None
    ) -> list[CommitInfo]:
        """Commits of `repo`, of a branch's history (`repo@branch`), or of a commit set ID."""
        from pachlite.pfs import commits

        kind = Origin(origin.upper()) if origin else None
        if target is None:
            return self._with_jobs(commits.list_commits(self.store, number=number, origin=kind))
        if is_commit_id(target):
            return self._with_jobs(
                commits.list_commits(self.store, set_id=target, number=number, origin=kind)
            )
        ref = parse_commit_ref(target, project=self.project)
        if ref.ref:
            return self._with_jobs(
                commits.list_commits(self.store, ref=ref, number=number, origin=kind)
            )
        return self._with_jobs(
            commits.list_commits(self.store, repo=ref.repo, number=number, origin=kind)
        )

    def commit_ids(self, repo: str) -> list[str]:
        """The IDs of `repo`'s commits, oldest first, read from one index and no commit
        itself: how a subscriber notices new commits cheaply."""
        from pachlite.pfs import commits

        return commits.commit_ids(self.store, repo)

    def store_version(self) -> int:
        """A number that changes whenever another connection commits a change to the
        store (SQLite's data_version): one cheap query to poll for news."""
        from pachlite.pfs import commits

        return commits.data_version(self.store)

    def wait_commit(self, commit: str, *, timeout: float | None = None) -> list[CommitInfo]:
        from pachlite.pfs import commits

        return self._with_jobs(commits.wait_commit(self.store, self._commit_ref(commit), timeout))

    def clear_commit(self, commit: str) -> CommitInfo:
        """Undo what an open commit changed so far: its content is its parent's again."""
        from pachlite.pfs import commits

        return self._commit_info(commits.clear_commit(self.store, self._commit_ref(commit)))

    def squash_commit(self, commit: str) -> list[str]:
        """Squash the commit set of `commit` (a set ID or `repo@ref`)."""
        from pachlite.pfs import commitsets

        return commitsets.squash_commit_set(self.store, self._set_id(commit))

    def delete_commit(self, commit: str) -> list[str]:
        """Drop the commit set of `commit` (a set ID or `repo@ref`)."""
        from pachlite.pfs import commitsets

        return commitsets.delete_commit_set(self.store, self._set_id(commit))

    def squash_one_commit(self, commit: str, *, recursive: bool = False) -> list[str]:
        """Squash one commit, not its set; with recursive, every commit made from it too."""
        from pachlite.pfs import commitsets

        return commitsets.squash_commit(self.store, self._commit_ref(commit), recursive=recursive)

    def delete_one_commit(self, commit: str, *, recursive: bool = False) -> list[str]:
        """Drop one commit, not its set; with recursive, every commit made from it too."""
        from pachlite.pfs import commitsets

        return commitsets.delete_commit(self.store, self._commit_ref(commit), recursive=recursive)

    @contextmanager
    def commit(self, branch: str, description: str = "") -> Iterator[CommitInfo]:
        """Open a commit for the block and finish it after (left open if the block fails)."""
        info = self.start_commit(branch, description=description)
        yield info
        self.finish_commit(f"{info.repo}@{info.id}")

    # -- files -----------------------------------------------------------------------------

    def put_file_bytes(
        self, target: str, data: bytes, *, append: bool = False, message: str = ""
    ) -> CommitInfo:
        from pachlite.pfs import files

        file_ref = parse_file_ref(target, project=self.project)
        path = validate_file_path(file_ref.path)
        files.check_writable(self.store, file_ref.commit)
        digest, size = self.store.objects.put_bytes(data)
        return self._modify(file_ref.commit, [files.Put(path, digest, size, append)], message)

    def put_file(
        self,
        target: str,
        source: str | os.PathLike[str] | BinaryIO,
        *,
        append: bool = False,
        recursive: bool = False,
        message: str = "",
        progress: Progress | None = None,
    ) -> CommitInfo:
        """Put a local file, a directory (recursive), a URL, or an open binary stream.

        The target path follows pachctl: none means `/<basename of source>`, and a path
        ending in '/' means "into this directory".
        """
        from pachlite.pfs import files, ingest

        file_ref = parse_file_ref(target, project=self.project)
        files.check_writable(self.store, file_ref.commit)
        objects = self.store.objects
        if not isinstance(source, str | os.PathLike):
            path = validate_file_path(file_ref.path)
            digest, size = ingest.store_stream(objects, source, progress)
            ops: list[files.Op] = [files.Put(path, digest, size, append)]
        elif ingest.is_url(str(source)):
            path = _target(file_ref.path, ingest.url_basename(str(source)))
            digest, size = ingest.store_url(objects, str(source), progress)
            ops = [files.Put(path, digest, size, append)]
        elif os.path.isdir(source):
            if not recursive:
                raise InvalidArgument(f"{source} is a directory", "pass -r to put it recursively")
            dest = validate_path(file_ref.path or "/" + os.path.basename(os.path.abspath(source)))
            planned = ingest.plan_directory(source, dest)
            ops = list(ingest.store_files(objects, planned, append=append, progress=progress))
        else:
            path = _target(file_ref.path, os.path.basename(source))
            item = ingest.local_file(str(source), path)
            ops = list(ingest.store_files(objects, [item], append=append, progress=progress))
        return self._modify(file_ref.commit, ops, message)

    def plan_put(self, source: str | os.PathLike[str], target: str) -> list[ingest.LocalFile]:
        """The files a recursive put would store (for sizing progress bars)."""
        from pachlite.pfs import ingest

        file_ref = parse_file_ref(target, project=self.project)
        dest = validate_path(file_ref.path or "/" + os.path.basename(os.path.abspath(source)))
        return ingest.plan_directory(source, dest)

    def put_planned(
        self,
        target: str,
        planned: list[ingest.LocalFile],
        *,
        append: bool = False,
        message: str = "",
        progress: Progress | None = None,
    ) -> CommitInfo:
        """Put the files `plan_put` listed for `target`, as `put_file(recursive=True)` would,
        without walking and opening the tree a second time (the CLI plans first, to size its
        progress bar)."""
        from pachlite.pfs import files, ingest

        file_ref = parse_file_ref(target, project=self.project)
        files.check_writable(self.store, file_ref.commit)
        objects = self.store.objects
        ops: list[files.Op] = list(
            ingest.store_files(objects, planned, append=append, progress=progress)
        )
        return self._modify(file_ref.commit, ops, message)

    def delete_file(self, target: str, *, recursive: bool = False, message: str = "") -> CommitInfo:
        from pachlite.pfs import files

        file_ref = parse_file_ref(target, project=self.project)
        path = validate_path(file_ref.path or "/")
        return self._modify(file_ref.commit, [files.Delete(path, recursive)], message)

    def file_changes(self, commit: str | None) -> FileChanges:
        """Puts, deletes and copies into `repo@branch` or an open `repo@ID`, applied together
        by `apply()` (nothing lands if it is never called); with None, a file set for
        another commit's changes to `extend` with."""
        from pachlite.client.changes import FileChanges

        return FileChanges(self.store, commit, self._commit_info, self.project)

    def copy_file(self, source: str, target: str, *, append: bool = False) -> CommitInfo:
        from pachlite.pfs import files
        from pachlite.pfs.refs import resolve_commit

        src = parse_file_ref(source, project=self.project)
        row = resolve_commit(self.store, src.commit)
        entry = files.entry_at(self.store, row, src.path or "/")
        dst = parse_file_ref(target, project=self.project)
        path = validate_path(dst.path or src.path or "/")
        if entry.is_dir:
            if append:
                raise Conflict("cannot append a directory", "copy it without -a")
            return self._modify(dst.commit, [files.Copy(path, entry)], "")
        path = validate_file_path(path)
        return self._modify(dst.commit, [files.Put(path, entry.hash, entry.size, append)], "")

    def get_file(self, target: str) -> bytes:
        """A file's whole content, verified against its hash."""
        from pachlite.pfs import files

        row, path = self._read_ref(target)
        entry = files.entry_at(self.store, row, path)
        files.require_file(entry, path)
        return self.store.objects.read(entry.hash)

    def iter_file(self, target: str) -> Iterator[bytes]:
        """A file's content in chunks; raises StoreCorrupt at the end if it was damaged."""
        from pachlite.pfs import files

        row, path = self._read_ref(target)
        entry = files.entry_at(self.store, row, path)
        files.require_file(entry, path)
        return self.store.objects.iter_verified(entry.hash)

    def get_file_to(
        self,
        target: str,
        local_path: str | os.PathLike[str],
        *,
        recursive: bool = False,
        progress: Progress | None = None,
    ) -> list[Path]:
        """Write a file (or, with recursive, a directory) to disk; each file lands whole."""
        from pachlite.pfs import files

        row, path = self._read_ref(target)
        entry = files.entry_at(self.store, row, path)
        local = Path(local_path)
        if not entry.is_dir:
            _write_verified(self.store, entry.hash, local, progress)
            return [local]
        if not recursive:
            raise InvalidArgument(f"{path} is a directory", "pass -r to get it with its content")
        written = []
        for file_path, file_entry in files.walk_files(self.store, row, path):
            rel = os.path.relpath(file_path, path)
            destination = local / rel
            _write_verified(self.store, file_entry.hash, destination, progress)
            written.append(destination)
        return written

    def inspect_file(self, target: str) -> FileInfo:
        from pachlite.pfs import files

        row, path = self._read_ref(target)
        return files.file_info(row, path, files.entry_at(self.store, row, path))

    def list_file(self, target: str) -> list[FileInfo]:
        from pachlite.pfs import files

        file_ref = parse_file_ref(target, project=self.project)
        return files.list_file(self.store, file_ref.commit, file_ref.path or "/")

    def glob_file(self, target: str) -> list[FileInfo]:
        """`repo@ref:pattern`: every file and directory the glob matches."""
        from pachlite.pfs import files

        commit_text, _, pattern = target.partition(":")
        ref = parse_commit_ref(commit_text, default_branch="master", project=self.project)
        return files.glob_file(self.store, ref, pattern or "/")

    def diff_file(self, new: str, old: str | None = None) -> list[FileDiff]:
        from pachlite.pfs import files

        new_ref = parse_file_ref(new, project=self.project)
        old_ref = parse_file_ref(old, project=self.project) if old else None
        return files.diff_file(
            self.store,
            new_ref.commit,
            new_ref.path or "/",
            old_ref.commit if old_ref else None,
            (old_ref.path or None) if old_ref else None,
        )

    def walk_file(self, target: str) -> Iterator[tuple[str, int, str]]:
        """(path, size, hash) of every file at or under a path."""
        from pachlite.pfs import files

        row, path = self._read_ref(target)
        for file_path, entry in files.walk_files(self.store, row, path):
            yield file_path, entry.size, entry.hash

    # -- maintenance -----------------------------------------------------------------------

    def fsck(self) -> FsckReport:
        from pachlite.pfs.fsck import fsck

        return fsck(self.store)

    def backup(self, destination: str | os.PathLike[str]) -> BackupInfo:
        """A consistent copy of the store's metadata in a new file, taken while other
        processes keep working (restore it with `pachlite.client.restore_store`)."""
        from pachlite.pfs import backup

        return backup.backup(self.store, Path(destination))

    # -- helpers ---------------------------------------------------------------------------

    def _key(self, name: str, kind: str = "repo") -> str:
        """A repo or pipeline's key: `project/name` as given, or `name` in `self.project`."""
        return validate_key(kind, name, self.project)

    def _modify(self, ref: CommitRef, ops: list[files.Op], message: str) -> CommitInfo:
        from pachlite.pfs import files

        row = files.modify(self.store, ref, ops, description=message)
        return self._commit_info(row)

    def _commit_info(self, commit: CommitRecord) -> CommitInfo:
        from pachlite.pfs import commits
        from pachlite.worker import job_info

        return job_info.made_by(self.store, commits.commit_info(self.store, commit))

    def _with_jobs(self, infos: list[CommitInfo]) -> list[CommitInfo]:
        """Commits with what made them, for those a job made."""
        from pachlite.worker import job_info

        return [job_info.made_by(self.store, info) for info in infos]

    def _commit_ref(self, text: str) -> CommitRef:
        ref = parse_commit_ref(text, project=self.project)
        if not ref.ref:
            raise InvalidArgument(f"{text!r} names a repo, not a commit", f"write {text}@master")
        return ref

    def _read_ref(self, target: str) -> tuple[CommitRecord, str]:
        from pachlite.pfs.refs import resolve_commit

        file_ref: FileRef = parse_file_ref(target, project=self.project)
        row = resolve_commit(self.store, file_ref.commit)
        return row, validate_path(file_ref.path or "/")

    def _set_id(self, commit: str) -> str:
        from pachlite.pfs.refs import resolve_commit

        if is_commit_id(commit):
            return commit
        return resolve_commit(self.store, self._commit_ref(commit)).commit_id


def _target(given: str, source_name: str) -> str:
    if not given:
        return validate_file_path("/" + source_name)
    if given.endswith("/"):
        return validate_file_path(join(given, source_name))
    return validate_file_path(given)


def _write_verified(
    store: Store, digest: str, destination: Path, progress: Progress | None
) -> None:
    """Write to a temporary name beside the destination; rename only once the hash checks.
    A local file that cannot be written (full disk, no permission, a path too long) is one
    line naming it."""
    tmp = destination.with_name(f".{destination.name}.pachlite-tmp")
    try:
        makedirs(destination.parent)
        with open(tmp, "wb") as out:
            for chunk in store.objects.iter_verified(digest):
                out.write(chunk)
                if progress:
                    progress(len(chunk))
        os.replace(tmp, destination)
    except OSError as exc:
        raise from_os_error(exc, f"writing {destination}") from None
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
