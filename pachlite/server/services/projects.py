"""pfs_v2 InspectProject and ListProject: `default`, the one project until projects land.

Its `created_at` is the store's: when its first repo was created, or unset for an empty
store (pachlite records no creation time of its own for a root)."""

from __future__ import annotations

from collections.abc import Iterator

from pachyderm_sdk.api import pfs

from pachlite.server import messages
from pachlite.server.refs import check_project
from pachlite.server.registry import Call, Message, Registry


def default_project(call: Call) -> pfs.ProjectInfo:
    repos = call.client.list_repo(all_types=True)
    first = min((r.created for r in repos), default=None)
    return pfs.ProjectInfo(
        project=messages.project(),
        created_at=messages.timestamp(first),
        metadata=call.client.project_metadata(),
    )


def register(served: Registry) -> None:
    @served.unary("pfs_v2.API", "InspectProject", pfs.InspectProjectRequest)
    def inspect_project(request: Message, call: Call) -> Message:
        check_project(request.project)
        return default_project(call)

    @served.unary("pfs_v2.API", "InspectProjectV2", pfs.InspectProjectV2Request)
    def inspect_project_v2(request: Message, call: Call) -> Message:
        check_project(request.project)
        return pfs.InspectProjectV2Response(info=default_project(call), defaults_json="{}")

    @served.stream("pfs_v2.API", "ListProject", pfs.ListProjectRequest)
    def list_project(request: Message, call: Call) -> Iterator[Message]:
        yield default_project(call)
