"""The one wrapper every call goes through, on an in-process server with handlers of its
own: a bug is INTERNAL in one line and the next call is served."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
import pytest
from pachyderm_sdk.api import pfs

from pachlite.errors import RepoNotFound
from pachlite.server.app import Server
from pachlite.server.refs import repo_subject
from pachlite.server.registry import Call, Registry


def made_registry() -> Registry:
    served = Registry()

    @served.unary("test.API", "Broken", pfs.InspectRepoRequest)
    def broken(request: Any, call: Call) -> Any:
        return 1 / 0

    @served.unary("test.API", "Echo", pfs.InspectRepoRequest, lambda r: repo_subject(r.repo))
    def echo(request: Any, call: Call) -> Any:
        if request.repo.name == "missing":
            raise RepoNotFound("repo 'missing' not found")
        return pfs.Repo(name=request.repo.name)

    @served.stream("test.API", "Many", pfs.InspectRepoRequest)
    def many(request: Any, call: Call) -> Iterator[Any]:
        yield pfs.Repo(name="one")
        raise RuntimeError("after one")

    return served


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    running = Server(tmp_path / "store", "127.0.0.1:0", made_registry())
    running.start()
    try:
        yield running
    finally:
        running.stop(grace=1)


def call(server: Server, method: str, request: Any, *, stream: bool = False) -> Any:
    with grpc.insecure_channel(server.bound) as channel:
        make = channel.unary_stream if stream else channel.unary_unary
        rpc = make(
            f"/test.API/{method}",
            request_serializer=bytes,
            response_deserializer=pfs.Repo.FromString,
        )
        answer = rpc(request, timeout=10)
        return list(answer) if stream else answer


def test_a_bug_is_internal_in_one_line_and_the_server_keeps_serving(server: Server) -> None:
    with pytest.raises(grpc.RpcError) as raised:
        call(server, "Broken", pfs.InspectRepoRequest(repo=pfs.Repo(name="x")))
    assert raised.value.code() == grpc.StatusCode.INTERNAL
    assert raised.value.details() == (
        "internal error in /test.API/Broken: ZeroDivisionError: division by zero"
    )
    assert call(server, "Echo", pfs.InspectRepoRequest(repo=pfs.Repo(name="x"))).name == "x"


def test_an_error_gets_the_names_of_the_request(server: Server) -> None:
    with pytest.raises(grpc.RpcError) as raised:
        call(server, "Echo", pfs.InspectRepoRequest(repo=pfs.Repo(name="missing")))
    assert raised.value.code() == grpc.StatusCode.NOT_FOUND
    assert raised.value.details() == "repo default/missing not found"


def test_a_stream_that_fails_sends_nothing_but_the_error(server: Server) -> None:
    with pytest.raises(grpc.RpcError) as raised:
        call(server, "Many", pfs.InspectRepoRequest(), stream=True)
    assert raised.value.code() == grpc.StatusCode.INTERNAL


def test_an_unregistered_method_is_unimplemented(server: Server) -> None:
    with pytest.raises(grpc.RpcError) as raised:
        call(server, "Nothing", pfs.InspectRepoRequest())
    assert raised.value.code() == grpc.StatusCode.UNIMPLEMENTED


def test_a_name_registered_twice_is_refused() -> None:
    served = made_registry()
    with pytest.raises(ValueError, match="registered twice"):
        served.unary("test.API", "Echo", pfs.InspectRepoRequest)(lambda r, c: r)
