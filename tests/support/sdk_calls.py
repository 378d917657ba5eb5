"""Small helpers for tests that drive the server through the real SDK."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import grpc
import pytest
from pachyderm_sdk.api import pfs

Name = Callable[[str], str]


def rpc_error(call: Callable[[], object]) -> grpc.RpcError:
    """The gRPC error `call` must raise."""
    with pytest.raises(grpc.RpcError) as raised:
        call()
    return raised.value


def master_of(sdk: Any, name: Name) -> pfs.Branch:
    """`master` of a new repo named `name("data")`."""
    repo = pfs.Repo(name=name("data"))
    sdk.pfs.create_repo(repo=repo)
    return pfs.Branch(repo=repo, name="master")
