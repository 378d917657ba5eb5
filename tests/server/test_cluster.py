"""What a client asks about the server: version, cluster, auth and enterprise off."""

from __future__ import annotations

from typing import Any

import grpc
import pytest
from pachyderm_sdk.api import enterprise
from pachyderm_sdk.errors import AuthServiceNotActivated

import pachlite
from tests.support.grpc_server import ServerProcess


def test_get_version_is_pachlites_version(sdk: Any) -> None:
    version = sdk.get_version()
    major, minor, micro = (int(p) for p in pachlite.__version__.split(".")[:3])
    assert (version.major, version.minor, version.micro) == (major, minor, micro)
    assert version.additional.startswith("pachlite")
    assert version.go_version.startswith("python")


def test_inspect_cluster_answers_without_warnings(sdk: Any) -> None:
    info = sdk.admin.inspect_cluster()
    assert info.id
    assert info.warnings_ok
    assert list(info.warnings) == []


def test_auth_answers_as_a_cluster_without_auth(sdk: Any, server: ServerProcess) -> None:
    # The SDK's interceptor knows pachd's answer and raises its own error for it.
    with pytest.raises(AuthServiceNotActivated):
        sdk.auth.who_am_i()
    with pytest.raises(AuthServiceNotActivated):
        sdk.auth.get_configuration()
    with grpc.insecure_channel(server.address) as channel:
        who_am_i = channel.unary_unary("/auth_v2.API/WhoAmI")
        with pytest.raises(grpc.RpcError) as raised:
            who_am_i(b"", timeout=10)
    assert raised.value.code() == grpc.StatusCode.UNIMPLEMENTED
    assert raised.value.details() == "the auth service is not activated"


def test_enterprise_state_is_none(sdk: Any) -> None:
    assert sdk.enterprise.get_state().state == enterprise.State.NONE


def test_a_call_not_served_yet_is_unimplemented(sdk: Any) -> None:
    with pytest.raises(grpc.RpcError) as raised:
        list(sdk.pps.list_pipeline())
    assert raised.value.code() == grpc.StatusCode.UNIMPLEMENTED


def test_projects_answer_default_only(sdk: Any) -> None:
    from pachyderm_sdk.api import pfs

    assert [p.project.name for p in sdk.pfs.list_project()] == ["default"]
    assert sdk.pfs.inspect_project(project=pfs.Project(name="default")).project.name == "default"
    assert sdk.pfs.project_exists(pfs.Project(name="default"))
    assert not sdk.pfs.project_exists(pfs.Project(name="elsewhere"))
    with pytest.raises(grpc.RpcError) as raised:
        sdk.pfs.inspect_project(project=pfs.Project(name="elsewhere"))
    assert raised.value.code() == grpc.StatusCode.NOT_FOUND
    assert raised.value.details() == 'project "elsewhere" not found'
