"""A bad request gets a status and the server keeps serving; it stops cleanly on a signal
and refuses, in one line, to start where it cannot."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import grpc
import pytest
from pachyderm_sdk.api import pfs

from tests.support.grpc_server import ServerProcess, run_server, signal, start_server

Name = Callable[[str], str]


def raw_call(server: ServerProcess, method: str, payload: bytes) -> grpc.RpcError:
    with grpc.insecure_channel(server.address) as channel:
        call = channel.unary_unary(method, request_serializer=None, response_deserializer=None)
        with pytest.raises(grpc.RpcError) as raised:
            call(payload, timeout=10)
    return raised.value


def test_a_message_that_does_not_parse_is_invalid_argument(
    server: ServerProcess, sdk: Any, name: Name
) -> None:
    error = raw_call(server, "/pfs_v2.API/InspectRepo", b"\xff\xff\xff\xff")
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "InspectRepoRequest" in error.details()
    # A streaming call too.
    error = raw_call(server, "/pfs_v2.API/ListRepo", b"\x0a\xff")
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    repo = pfs.Repo(name=name("after"))
    sdk.pfs.create_repo(repo=repo)
    assert sdk.pfs.repo_exists(repo)


def test_an_oversized_message_is_resource_exhausted(
    server: ServerProcess, sdk: Any, name: Name
) -> None:
    # Above pachd's 20 MiB limit (and above the 64 MiB grpc holds at most, below).
    error = raw_call(server, "/pfs_v2.API/InspectRepo", b"\x0a" + b"\x00" * (21 << 20))
    assert error.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert error.details() == "grpc: received message larger than max (22020097 vs. 20971520)"
    error = raw_call(server, "/pfs_v2.API/InspectRepo", b"\x0a" + b"\x00" * (65 << 20))
    assert error.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    repo = pfs.Repo(name=name("after"))
    sdk.pfs.create_repo(repo=repo)
    assert sdk.pfs.repo_exists(repo)


def test_a_request_missing_what_it_needs_is_invalid_argument(sdk: Any) -> None:
    with pytest.raises(grpc.RpcError) as raised:
        sdk.pfs.inspect_repo(repo=pfs.Repo(name=""))
    assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert raised.value.details() == "no repo specified"
    with pytest.raises(grpc.RpcError) as raised:
        sdk.pfs.create_repo(repo=pfs.Repo(name="no spaces allowed"))
    assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "\n" not in raised.value.details()


def test_sigint_stops_the_server_with_exit_0(tmp_path: Path) -> None:
    running = start_server(tmp_path / "store")
    try:
        assert running.sdk().get_version().additional.startswith("pachlite")
    finally:
        code = running.stop(signal.SIGINT)
    assert code == 0


def test_a_taken_address_is_one_line_and_exit_1(server: ServerProcess, tmp_path: Path) -> None:
    result = run_server(tmp_path / "other", "--address", server.address)
    assert result.returncode == 1
    err = result.stderr.decode().strip().splitlines()
    assert err == [
        f"pachlite server: cannot listen on {server.address}; is another server using it? "
        "pass --address HOST:PORT"
    ]


def test_a_bad_address_is_one_line_and_exit_2(tmp_path: Path) -> None:
    result = run_server(tmp_path / "store", "--address", "localhost")
    assert result.returncode == 2
    err = result.stderr.decode().strip().splitlines()
    assert err == ["pachlite server: address 'localhost' is not HOST:PORT; e.g. 127.0.0.1:30650"]
