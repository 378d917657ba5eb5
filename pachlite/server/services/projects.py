"""pfs_v2 CreateProject, InspectProject(V2), ListProject, DeleteProject.

Texts as pachd's (src/internal/pfsdb/project.go, src/server/pfs/server/driver.go):
ALREADY_EXISTS 'project "X" already exists', NOT_FOUND 'project "X" not found',
FAILED_PRECONDITION "cannot delete project X: repo X/r still exists".
"""

from __future__ import annotations

from collections.abc import Iterator

import grpc
from betterproto.lib.google.protobuf import Empty
from pachyderm_sdk.api import pfs

from pachlite.errors import AlreadyExists
from pachlite.server import messages, status
from pachlite.server.refs import project_name
from pachlite.server.registry import Call, Message, Registry


def _named(project: Message | None) -> str:
    if project is None or not project.name:
        raise status.invalid("project name cannot be empty")
    return project_name(project)


def register(served: Registry) -> None:
    @served.unary("pfs_v2.API", "CreateProject", pfs.CreateProjectRequest)
    def create_project(request: Message, call: Call) -> Message:
        name = _named(request.project)
        try:
            call.client.create_project(name, request.description, update=request.update)
        except AlreadyExists as exc:
            raise status.Status(grpc.StatusCode.ALREADY_EXISTS, exc.message) from None
        return Empty()

    @served.unary("pfs_v2.API", "InspectProject", pfs.InspectProjectRequest)
    def inspect_project(request: Message, call: Call) -> Message:
        return messages.project_info(call.client.inspect_project(project_name(request.project)))

    @served.unary("pfs_v2.API", "InspectProjectV2", pfs.InspectProjectV2Request)
    def inspect_project_v2(request: Message, call: Call) -> Message:
        info = call.client.inspect_project(project_name(request.project))
        return pfs.InspectProjectV2Response(info=messages.project_info(info), defaults_json="{}")

    @served.stream("pfs_v2.API", "ListProject", pfs.ListProjectRequest)
    def list_project(request: Message, call: Call) -> Iterator[Message]:
        for info in call.client.list_project():
            yield messages.project_info(info)

    @served.unary("pfs_v2.API", "DeleteProject", pfs.DeleteProjectRequest)
    def delete_project(request: Message, call: Call) -> Message:
        call.client.delete_project(_named(request.project))
        return Empty()
