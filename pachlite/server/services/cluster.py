"""The calls a client makes about the server itself: versionpb_v2 GetVersion, admin_v2
InspectCluster, and auth_v2 and enterprise_v2 as a pachd with auth never activated answers
them (src/auth/auth.go: ErrNotActivated is UNIMPLEMENTED "the auth service is not
activated"; the SDK's `AuthServiceNotActivated.try_from` matches that text)."""

from __future__ import annotations

import platform
import sys
import uuid

import grpc
from betterproto.lib.google.protobuf import Empty
from pachyderm_sdk.api import admin, enterprise, version

import pachlite
from pachlite.server import status
from pachlite.server.refs import project_name
from pachlite.server.registry import Call, Message, Registry

AUTH_OFF = status.Status(grpc.StatusCode.UNIMPLEMENTED, "the auth service is not activated")


def pachlite_version() -> version.Version:
    """pachlite's own version, not a Pachyderm one: major.minor.micro from
    `pachlite.__version__` ("0.1.0" -> 0, 1, 0; anything after a '-' or '+' goes in
    `additional`), `additional` also saying it is pachlite, and the Python that runs it in
    `go_version`'s place, since nothing here is Go."""
    text = pachlite.__version__
    core, sep, extra = text.replace("+", "-").partition("-")
    parts = [int(p) if p.isdigit() else 0 for p in core.split(".")][:3]
    major, minor, micro = [*parts, 0, 0, 0][:3]
    return version.Version(
        major=major,
        minor=minor,
        micro=micro,
        additional=f"pachlite{'-' + extra if sep else ''}",
        platform=f"{sys.platform}/{platform.machine()}",
        go_version=f"python{platform.python_version()}",
    )


def register(served: Registry) -> None:
    cluster_id = uuid.uuid4().hex  # one per server run, as a fresh pachd's would be

    @served.unary("versionpb_v2.API", "GetVersion", Empty)
    def get_version(request: Message, call: Call) -> Message:
        return pachlite_version()

    @served.unary("admin_v2.API", "InspectCluster", admin.InspectClusterRequest)
    def inspect_cluster(request: Message, call: Call) -> Message:
        # A named current project must exist (admin.proto says so).
        if request.current_project is not None and request.current_project.name:
            call.client.inspect_project(project_name(request.current_project))
        # No version warnings: pachlite's version is not Pachyderm's, so comparing the SDK's
        # 2.12 with it would only warn about a mismatch that is by design.
        return admin.ClusterInfo(id=cluster_id, deployment_id="pachlite", warnings_ok=True)

    @served.unary("enterprise_v2.API", "GetState", enterprise.GetStateRequest)
    def get_state(request: Message, call: Call) -> Message:
        return enterprise.GetStateResponse(state=enterprise.State.NONE)

    served.refuse("auth_v2.API", AUTH_OFF)
