"""pfs_v2 CreateBranch, InspectBranch, ListBranch, DeleteBranch."""

from __future__ import annotations

from collections.abc import Iterator

from betterproto.lib.google.protobuf import Empty
from pachyderm_sdk.api import pfs

from pachlite.server import messages, status
from pachlite.server.refs import (
    branch_ref,
    branch_subject,
    commit_ref,
    given,
    repo_name,
    repo_subject,
)
from pachlite.server.registry import Call, Message, Registry


def _subject(request: Message) -> status.Subject:
    return branch_subject(request.branch)


def _repo_subject(request: Message) -> status.Subject:
    return repo_subject(request.repo)


def register(served: Registry) -> None:
    @served.unary("pfs_v2.API", "CreateBranch", pfs.CreateBranchRequest, _subject)
    def create_branch(request: Message, call: Call) -> Message:
        if given(request.trigger):
            raise status.invalid("branch triggers are not supported by pachlite yet")
        target = branch_ref(request.branch)
        head = commit_ref(request.head) if given(request.head) else None
        provenance = [branch_ref(b) for b in request.provenance]
        call.client.create_branch(target, head=head, provenance=provenance)
        return Empty()

    @served.unary("pfs_v2.API", "InspectBranch", pfs.InspectBranchRequest, _subject)
    def inspect_branch(request: Message, call: Call) -> Message:
        return messages.branch_info(call.client.inspect_branch(branch_ref(request.branch)))

    @served.stream("pfs_v2.API", "ListBranch", pfs.ListBranchRequest, _repo_subject)
    def list_branch(request: Message, call: Call) -> Iterator[Message]:
        # No repo: every repo's branches, as pachd lists them. pachlite keeps no creation
        # time for branches, so the order is by repo and name, not pachd's newest first;
        # `reverse` turns it round.
        if request.repo is not None and request.repo.name:
            repos = [repo_name(request.repo)]
        else:
            repos = [r.name for r in call.client.list_repo(all_types=True)]
        infos = [info for name in repos for info in call.client.list_branch(name)]
        if request.reverse:
            infos.reverse()
        for info in infos:
            yield messages.branch_info(info)

    @served.unary("pfs_v2.API", "DeleteBranch", pfs.DeleteBranchRequest, _subject)
    def delete_branch(request: Message, call: Call) -> Message:
        call.client.delete_branch(branch_ref(request.branch), force=request.force)
        return Empty()
