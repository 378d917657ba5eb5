"""Bad messages to every method the server serves, sent as raw bytes: INVALID_ARGUMENT for
bytes that are not the request, RESOURCE_EXHAUSTED past pachd's 20 MiB in a client stream,
UNIMPLEMENTED for methods it does not serve, and the server keeps serving after each.
(tests/server/test_robustness.py has the first unary and streaming cases and the oversized
unary one.)"""

from __future__ import annotations

import socket
from collections.abc import Iterator

import grpc
import pytest
from pachyderm_sdk.api import pfs

from tests.support.grpc_raw import Served, malformed, raw_call, served_methods
from tests.support.grpc_server import ServerProcess, start_server

METHODS = served_methods()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    running = start_server(tmp_path_factory.mktemp("messages") / "store")
    try:
        yield running
    finally:
        assert running.stop() == 0, "the server exited non-zero on SIGTERM"


def still_serving(server: ServerProcess, name: str) -> None:
    sdk = server.sdk()
    sdk.pfs.create_repo(repo=pfs.Repo(name=name))
    assert sdk.pfs.repo_exists(pfs.Repo(name=name))


@pytest.mark.parametrize("method", METHODS, ids=lambda m: m.name)
def test_bytes_that_are_not_the_request_are_invalid_argument(
    server: ServerProcess, method: Served
) -> None:
    for what, payload in malformed(method).items():
        error = raw_call(server.address, method, payload)
        assert error is not None, f"{what}: answered"
        assert error.code() == grpc.StatusCode.INVALID_ARGUMENT, (what, error.details())
        assert error.details().startswith(f"invalid {method.request}: it does not parse")
        assert "\n" not in error.details()
    assert server.proc.poll() is None


def test_after_every_bad_message_the_server_still_serves(server: ServerProcess) -> None:
    for method in METHODS:
        for payload in malformed(method).values():
            raw_call(server.address, method, payload)
    still_serving(server, "after-malformed")


def test_a_bad_message_late_in_a_modify_file_stream_writes_nothing(
    server: ServerProcess,
) -> None:
    sdk = server.sdk()
    branch = pfs.Branch.from_uri("late@master")
    sdk.pfs.create_repo(repo=branch.repo)
    commit = sdk.pfs.start_commit(branch=branch)
    good = [
        bytes(pfs.ModifyFileRequest(set_commit=commit)),
        bytes(pfs.ModifyFileRequest(add_file=pfs.AddFile(path="/a", raw=b"alpha"))),
    ]
    modify = next(m for m in METHODS if m.name == "/pfs_v2.API/ModifyFile")
    error = raw_call(server.address, modify, *good, b"\x12\x64abc")
    assert error is not None and error.code() == grpc.StatusCode.INVALID_ARGUMENT
    # An oversized message after good ones is refused before it is read whole.
    error = raw_call(server.address, modify, *good, b"\x12" + b"\x00" * (21 << 20))
    assert error is not None and error.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    sdk.pfs.finish_commit(commit=commit)
    assert list(sdk.pfs.list_file(file=pfs.File(commit=commit, path="/"))) == []
    # A file of many messages, each under the limit, is not oversized.
    with sdk.pfs.commit(branch=branch) as after:
        after.put_file_from_bytes("/big", b"b" * (25 << 20))
    assert sdk.pfs.inspect_file(file=pfs.File(commit=after, path="/big")).size_bytes == 25 << 20


@pytest.mark.parametrize(
    "name", ["/pfs_v2.API/NoSuchCall", "/nothing.API/Call", "/pps_v2.API/NoSuchCall", "/", "x"]
)
def test_a_method_not_served_is_unimplemented(server: ServerProcess, name: str) -> None:
    error = raw_call(server.address, Served(name, "unary", "", None), b"")
    assert error is not None and error.code() == grpc.StatusCode.UNIMPLEMENTED
    still_serving(server, f"after-unimplemented-{abs(hash(name))}")


def test_bytes_that_are_not_http2_close_that_connection_only(server: ServerProcess) -> None:
    for junk in (b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", b"\x00" * 4096, b"PRI * HTTP/2.0\r\n"):
        with socket.create_connection(("127.0.0.1", server.port), timeout=10) as raw:
            raw.sendall(junk)
            raw.settimeout(5)
            try:
                while raw.recv(4096):
                    pass
            except (TimeoutError, ConnectionResetError):
                pass
    still_serving(server, "after-junk")
