"""pfs_v2 InspectCommitSet (with `wait`), ListCommitSet, SquashCommitSet, DropCommitSet, and
SquashCommit and DropCommit (one commit and, with `recursive`, those made from it).

pachd's rules and texts (src/server/pfs/server/server_commit_set.go, src/server/pfs/pfs.go):
a set is listed with the commits of other sets it was made from, provenance first; a squash
or drop is refused while another set was made from this one, a squash of a commit with no
children (that would lose data) or with an unfinished child, a drop of a commit with
children. A set with no commits squashes and drops as a no-op, as in pachd. The checks run
here so the texts are pachd's; pachlite's engine checks again in its own transaction (and
refuses a squash of a branch head or of an open commit, docs/api.md).

The squash and drop handlers are module functions taking (request, call), so a transaction
can run them as the calls do.
"""

from __future__ import annotations

from collections.abc import Iterator

import grpc
from betterproto.lib.google.protobuf import Empty
from pachyderm_sdk.api import pfs

from pachlite.errors import CommitNotFound
from pachlite.model import CommitInfo
from pachlite.paths import is_commit_id
from pachlite.server import messages, status
from pachlite.server.refs import commit_ref, commit_subject, given, shown_repo
from pachlite.server.registry import Call, Message, Registry
from pachlite.server.services.commits import wait_for

API = "pfs_v2.API"


def _unknown(text: str) -> status.Status:
    return status.Status(grpc.StatusCode.UNKNOWN, text)


def _shown(info: CommitInfo) -> str:
    return f"{shown_repo(messages.repo(info.repo))}@{info.id}"


def _commit_subject(request: Message) -> status.Subject:
    return commit_subject(request.commit)


def _not_found(set_id: str) -> status.Status:
    return status.Status(grpc.StatusCode.NOT_FOUND, f"no commits found for commitset {set_id}")


def set_commits(call: Call, set_id: str) -> list[CommitInfo]:
    """The commits of a set, oldest first; none for an unknown set."""
    if not is_commit_id(set_id):
        return []
    try:
        return call.client.list_commit(set_id)
    except CommitNotFound:
        return []


def with_provenance(call: Call, commits: list[CommitInfo]) -> list[CommitInfo]:
    """The set's commits and every commit of other sets they were made from, each after
    its provenance (pachd's inspectCommitSetImmediateTx with aliases, topologically sorted)."""
    known = {c.uri: c for c in commits}
    extra: list[CommitInfo] = []
    pending = [p for c in commits for p in c.direct_provenance]
    while pending:
        uri = pending.pop(0)
        if uri in known:
            continue
        info = call.client.inspect_commit(uri)
        known[uri] = info
        extra.append(info)
        pending.extend(info.direct_provenance)
    extra.sort(key=lambda c: c.started)
    return _topological([*extra, *commits])


def _topological(commits: list[CommitInfo]) -> list[CommitInfo]:
    by_uri = {c.uri: c for c in commits}
    done: set[str] = set()
    ordered: list[CommitInfo] = []

    def visit(info: CommitInfo) -> None:
        if info.uri in done:
            return
        done.add(info.uri)
        for upstream in info.direct_provenance:
            if upstream in by_uri:
                visit(by_uri[upstream])
        ordered.append(info)

    for info in commits:
        visit(info)
    return ordered


def _set_id(request: Message) -> str:
    commit_set = request.commit_set
    set_id = str(commit_set.id) if commit_set is not None else ""
    if not set_id:
        raise status.invalid("no commit set specified")
    return set_id


def inspect_commit_set(request: Message, call: Call) -> Iterator[Message]:
    set_id = request.commit_set.id if request.commit_set is not None else ""
    found = with_provenance(call, set_commits(call, set_id))
    if not found:
        raise _not_found(set_id)
    if not request.wait:
        for info in found:
            yield messages.commit_info(info)
        return
    # pachd sends the finished ones first, then each open one as it finishes.
    for info in found:
        if info.is_finished:
            yield messages.commit_info(info)
    for info in found:
        if not info.is_finished:
            yield messages.commit_info(wait_for(call, info.uri, pfs.CommitState.FINISHED))


def list_commit_set(request: Message, call: Call) -> Iterator[Message]:
    """Every set, the newest commit's first (pachd orders by its newest commit)."""
    project = request.project.name if given(request.project) else None
    seen: set[str] = set()
    for newest in call.client.list_commit(None):
        if newest.id in seen:
            continue
        seen.add(newest.id)
        found = with_provenance(call, set_commits(call, newest.id))
        infos = [messages.commit_info(c) for c in found]
        if not infos or (project is not None and infos[-1].commit.repo.project.name != project):
            continue
        yield pfs.CommitSetInfo(commit_set=pfs.CommitSet(id=newest.id), commits=infos)


def _refuse_subvenance(call: Call, set_id: str, commits: list[CommitInfo]) -> None:
    """pachd's ErrSquashWithSubvenance: other sets made (directly or not) from this one."""
    others: set[str] = set()
    frontier = commits
    while frontier:
        found = {
            c.id
            for info in frontier
            for c in call.client.commit_subvenance(info.uri)
            if c.id != set_id and c.id not in others
        }
        others |= found
        frontier = [c for other in sorted(found) for c in set_commits(call, other)]
    if others:
        listed = " ".join(f'id:"{other}"' for other in sorted(others))
        raise _unknown(
            f'commit set "id:\\"{set_id}\\"" cannot be dropped because it has subvenant '
            f"commit sets: [{listed}]"
        )


def _refuse_squash(call: Call, commits: list[CommitInfo]) -> None:
    """pachd's squash checks, in its order: every commit has a child, every child finished."""
    for info in commits:
        if not info.children:
            raise _unknown(
                "cannot squash a commit that has no children as that would cause data loss, "
                f"use the drop operation instead: {_shown(info)}"
            )
    for info in commits:
        for child in info.children:
            child_info = call.client.inspect_commit(f"{info.repo}@{child}")
            if not child_info.is_finished:
                raise _unknown(f"cannot squash until child commit {_shown(child_info)} is finished")


def _refuse_drop(commits: list[CommitInfo]) -> None:
    for info in commits:
        if info.children:
            raise _unknown(f"cannot drop a commit that has children: {_shown(info)}")


def squash_commit_set(request: Message, call: Call) -> Message:
    """SquashCommitSet: the set's commits go; their children keep their content."""
    set_id = _set_id(request)
    commits = _topological(set_commits(call, set_id))
    if not commits:
        return Empty()
    _refuse_subvenance(call, set_id, commits)
    _refuse_squash(call, commits)
    call.client.squash_commit(set_id)
    return Empty()


def drop_commit_set(request: Message, call: Call) -> Message:
    """DropCommitSet: the set's commits go, and branch heads move back to their parents."""
    if not given(request.commit_set):
        raise status.invalid(
            "validate request: invalid DropCommitSetRequest.CommitSet: value is required"
        )
    set_id = _set_id(request)
    commits = _topological(set_commits(call, set_id))
    if not commits:
        return Empty()
    _refuse_subvenance(call, set_id, commits)
    _refuse_drop(commits)
    call.client.delete_commit(set_id)
    return Empty()


def _with_subvenance(request: Message, call: Call, verb: str) -> list[CommitInfo]:
    """SquashCommit's and DropCommit's commits: the one named and, with `recursive`, every
    commit made from it (pachd refuses those without `recursive`)."""
    info = call.client.inspect_commit(commit_ref(request.commit))
    commits = [info, *call.client.commit_subvenance(info.uri)]
    if len(commits) > 1 and not request.recursive:
        raise _unknown(f"cannot {verb} commit ({_shown(info)}) with subvenance without recursive")
    return commits


def squash_commit(request: Message, call: Call) -> Message:
    commits = _with_subvenance(request, call, "squash")
    _refuse_squash(call, commits)
    call.client.squash_one_commit(commits[0].uri, recursive=request.recursive)
    return pfs.SquashCommitResponse()


def drop_commit(request: Message, call: Call) -> Message:
    commits = _with_subvenance(request, call, "drop")
    _refuse_drop(commits)
    call.client.delete_one_commit(commits[0].uri, recursive=request.recursive)
    return pfs.DropCommitResponse()


def register(served: Registry) -> None:
    served.stream(API, "InspectCommitSet", pfs.InspectCommitSetRequest,
                  lazy=True)(inspect_commit_set)  # fmt: skip
    served.stream(API, "ListCommitSet", pfs.ListCommitSetRequest)(list_commit_set)
    served.unary(API, "SquashCommitSet", pfs.SquashCommitSetRequest)(squash_commit_set)
    served.unary(API, "DropCommitSet", pfs.DropCommitSetRequest)(drop_commit_set)
    served.unary(API, "SquashCommit", pfs.SquashCommitRequest, _commit_subject)(squash_commit)
    served.unary(API, "DropCommit", pfs.DropCommitRequest, _commit_subject)(drop_commit)
