"""`pachlite deploy`: the checked specs onto a real Pachyderm, through pachyderm-sdk.

Input repos are created if missing; each pipeline, in dependency order, is created, or
updated (without reprocessing) when its spec differs from the one pachd holds, or left alone.
Run again with nothing changed, it changes nothing: what the gitops PostSync job relies on.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any
from urllib.parse import urlsplit

from pachlite.cluster.specs import Checked, PipelineRequest
from pachlite.errors import InvalidArgument, PachliteError, Timeout, Unavailable

CONNECT_TIMEOUT = 10.0


@dataclass(frozen=True)
class Address:
    host: str
    port: int
    tls: bool

    def __str__(self) -> str:
        return f"{'grpcs' if self.tls else 'grpc'}://{self.host}:{self.port}"


def parse_address(text: str) -> Address:
    parts = urlsplit(text if "://" in text else f"grpc://{text}")
    if parts.scheme not in ("grpc", "grpcs") or not parts.hostname:
        raise InvalidArgument(
            f"pachd address {text!r} is not grpc://HOST:PORT", "e.g. grpc://localhost:30650"
        )
    try:
        port = parts.port or 30650
    except ValueError:
        raise InvalidArgument(f"pachd address {text!r} has an invalid port") from None
    return Address(parts.hostname, port, parts.scheme == "grpcs")


def connect(address: Address, timeout: float = CONNECT_TIMEOUT) -> Any:
    """A pachyderm-sdk Client whose channel is up, or Unavailable in one line."""
    try:
        import grpc
        from pachyderm_sdk import Client
    except ImportError:
        raise InvalidArgument(
            "pachyderm-sdk is not installed", "install it: pip install pachyderm-sdk==2.12.2"
        ) from None
    client = Client(host=address.host, port=address.port, tls=address.tls)
    try:
        grpc.channel_ready_future(client._channel).result(timeout=timeout)
    except grpc.FutureTimeoutError:
        client._channel.close()
        raise Unavailable(
            f"cannot reach pachd at {address} within {timeout:g}s",
            "check the address, that pachd runs, and a port-forward (pachctl port-forward)",
        ) from None
    return client


def _code(error: Exception) -> str:
    code = getattr(error, "code", None)
    return str(code() if callable(code) else code or "")


def _not_found(error: Exception) -> bool:
    return "NOT_FOUND" in _code(error) or "not found" in str(error).lower()


def _as_error(what: str, error: Exception) -> PachliteError:
    details = error.details() if hasattr(error, "details") else str(error)
    if "UNAVAILABLE" in _code(error):
        return Unavailable(f"pachd became unreachable during {what}: {details}")
    return InvalidArgument(f"pachd refused {what}: {details}")


def _rpc(what: str, call: Callable[[], Any]) -> Any:
    import grpc

    try:
        return call()
    except grpc.RpcError as e:
        raise _as_error(what, e) from None


@dataclass(frozen=True)
class Outcome:
    kind: str  # "repo" or "pipeline"
    name: str
    action: str  # created, updated, unchanged


def same_spec(current_json: str, request: PipelineRequest) -> bool:
    try:
        current = json.loads(current_json or "{}")
    except ValueError:
        return False
    return bool(current) and current == json.loads(request.request_json)


def deploy(client: Any, checked: Checked, *, dry_run: bool = False) -> list[Outcome]:
    import grpc
    from pachyderm_sdk.api import pfs, pps

    outcomes: list[Outcome] = []
    project = pfs.Project(name="default")
    for name in checked.input_repos:
        repo = pfs.Repo(name=name, type="user", project=project)
        try:
            client.pfs.inspect_repo(repo=repo)
            outcomes.append(Outcome("repo", name, "unchanged"))
            continue
        except grpc.RpcError as e:
            if not _not_found(e):
                raise _as_error(f"inspect repo {name}", e) from None
        if not dry_run:
            _rpc(f"create repo {name}", partial(client.pfs.create_repo, repo=repo))
        outcomes.append(Outcome("repo", name, "created"))
    for request in checked.pipelines:
        pipeline = pps.Pipeline(name=request.name, project=project)
        try:
            info = client.pps.inspect_pipeline(pipeline=pipeline, details=True)
        except grpc.RpcError as e:
            if not _not_found(e):
                raise _as_error(f"inspect pipeline {request.name}", e) from None
            info = None
        if info is not None and same_spec(info.user_spec_json, request):
            outcomes.append(Outcome("pipeline", request.name, "unchanged"))
            continue
        update = info is not None
        _rpc(
            f"{'update' if update else 'create'} pipeline {request.name}",
            partial(
                client.pps.create_pipeline_v2,
                create_pipeline_request_json=request.request_json,
                update=update,
                reprocess=False,
                dry_run=dry_run,
            ),
        )
        outcomes.append(Outcome("pipeline", request.name, "updated" if update else "created"))
    return outcomes


def wait_for_deployment(target: str, timeout: float, poll: float = 5.0) -> None:
    """Inside a cluster: block until Deployment NAMESPACE/NAME has an available replica."""
    namespace, _, name = target.partition("/")
    if not namespace or not name:
        raise InvalidArgument(f"--wait-for-deployment {target!r} is not NAMESPACE/NAME")
    try:
        from kubernetes import client as k8s
        from kubernetes import config
        from kubernetes.client.exceptions import ApiException
        from kubernetes.config.config_exception import ConfigException
    except ImportError:
        raise InvalidArgument("the kubernetes package is not installed") from None
    try:
        config.load_incluster_config()
    except ConfigException:
        raise Unavailable(
            "--wait-for-deployment works only inside a Kubernetes pod",
            "leave it out when running outside the cluster",
        ) from None
    apps = k8s.AppsV1Api()
    deadline = time.monotonic() + timeout
    while True:
        try:
            status = apps.read_namespaced_deployment(name, namespace).status
            if status is not None and (status.available_replicas or 0) > 0:
                return
        except ApiException as e:
            if e.status not in (404, 503):
                raise Unavailable(f"cannot read deployment {target}: {e.reason}") from None
        if time.monotonic() > deadline:
            raise Timeout(f"deployment {target} not available after {timeout:g}s")
        time.sleep(poll)
