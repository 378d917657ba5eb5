"""pfs_v2 CreateRepo, InspectRepo, ListRepo, DeleteRepo, DeleteRepos."""

from __future__ import annotations

from collections.abc import Iterator

from betterproto.lib.google.protobuf import Empty
from pachyderm_sdk.api import pfs

from pachlite.errors import RepoNotFound
from pachlite.model import RepoInfo
from pachlite.server import messages, status
from pachlite.server.refs import project_name, repo_name, repo_subject, repo_type
from pachlite.server.registry import Call, Message, Registry


def _subject(request: Message) -> status.Subject:
    return repo_subject(request.repo)


def _inspect(call: Call, repo: Message) -> RepoInfo:
    """The repo a `Repo` names, of the type it names (`spec`, `meta` or `user`)."""
    info = call.client.inspect_repo(repo_name(repo))
    if info.type != repo_type(repo):
        raise RepoNotFound(f"repo {info.name} is a {info.type} repo")
    return info


def register(served: Registry) -> None:
    @served.unary("pfs_v2.API", "CreateRepo", pfs.CreateRepoRequest, _subject)
    def create_repo(request: Message, call: Call) -> Message:
        if repo_type(request.repo) != "user":
            raise status.invalid("only user repos can be created; spec and meta repos "
                                 "belong to pipelines")  # fmt: skip
        call.client.create_repo(repo_name(request.repo), request.description, update=request.update)
        return Empty()

    @served.unary("pfs_v2.API", "InspectRepo", pfs.InspectRepoRequest, _subject)
    def inspect_repo(request: Message, call: Call) -> Message:
        return messages.repo_info(_inspect(call, request.repo), details=True)

    @served.stream("pfs_v2.API", "ListRepo", pfs.ListRepoRequest)
    def list_repo(request: Message, call: Call) -> Iterator[Message]:
        # As in pachd, a filter naming a project that does not exist is no error, and no
        # filter is every project; an empty type is every type.
        wanted = {project_name(p) for p in request.projects} if request.projects else None
        for info in call.client.list_repo(all_types=True):
            if wanted is not None and info.project not in wanted:
                continue
            if not request.type or info.type == request.type:
                yield messages.repo_info(info, details=False)

    @served.unary("pfs_v2.API", "DeleteRepo", pfs.DeleteRepoRequest, _subject)
    def delete_repo(request: Message, call: Call) -> Message:
        # A repo that does not exist is no error: `deleted` says nothing was (pachd's
        # deleteRepo in src/server/pfs/server/server_repo.go).
        try:
            _inspect(call, request.repo)
        except RepoNotFound:
            return pfs.DeleteRepoResponse(deleted=False)
        call.client.delete_repo(repo_name(request.repo), force=request.force)
        return pfs.DeleteRepoResponse(deleted=True)

    @served.unary("pfs_v2.API", "DeleteRepos", pfs.DeleteReposRequest)
    def delete_repos(request: Message, call: Call) -> Message:
        # As pachd's DeleteRepos (src/server/pfs/server/api_server.go): `all` is every
        # project's repos, else those of `projects`; neither deletes nothing. One transaction:
        # all of them go, or none. Newest first, so a repo goes before those it was made from.
        if request.all:
            wanted = None
        elif request.projects:
            wanted = {project_name(p) for p in request.projects}
        else:
            return pfs.DeleteReposResponse()
        doomed = [
            info
            for info in call.client.list_repo(all_types=True)
            if info.type == "user" and (wanted is None or info.project in wanted)
        ]
        doomed.sort(key=lambda info: info.created, reverse=True)
        with call.client.atomically():
            for info in doomed:
                call.client.delete_repo(info.name, force=request.force)
        return pfs.DeleteReposResponse(repos=[messages.repo(info.name) for info in doomed])
