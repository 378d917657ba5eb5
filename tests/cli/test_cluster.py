"""The cluster path: `pachlite validate` and `pachlite deploy`.

deploy is exercised over real gRPC against a small server on 127.0.0.1 that speaks
Pachyderm's wire protocol (pachyderm-sdk's own messages) for the four calls deploy makes,
and keeps repos and pipelines in memory like pachd would.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from concurrent import futures
from pathlib import Path
from typing import Any

import grpc
import pytest
from pachyderm_sdk.api import pfs, pps

from pachlite.cluster.specs import check, request_json
from tests.support.cli import Cli
from tests.support.ports import free_port
from tests.support.repo import REPO_ROOT

PIPELINES = REPO_ROOT / "pipelines"


class FakePachd:
    """InspectRepo, CreateRepo, InspectPipeline and CreatePipelineV2, as pachd answers them."""

    def __init__(self) -> None:
        self.repos: set[str] = set()
        self.pipelines: dict[str, str] = {}  # name -> user spec JSON
        self.calls: list[str] = []

    def inspect_repo(self, request: pfs.InspectRepoRequest, context: Any) -> pfs.RepoInfo:
        self.calls.append(f"InspectRepo {request.repo.name}")
        if request.repo.name not in self.repos:
            context.abort(grpc.StatusCode.NOT_FOUND, f"repo {request.repo.name} not found")
        return pfs.RepoInfo(repo=request.repo)

    def create_repo(self, request: pfs.CreateRepoRequest, context: Any) -> bytes:
        self.calls.append(f"CreateRepo {request.repo.name}")
        self.repos.add(request.repo.name)
        return b""

    def inspect_pipeline(self, request: pps.InspectPipelineRequest, context: Any) -> Any:
        name = request.pipeline.name
        self.calls.append(f"InspectPipeline {name}")
        if name not in self.pipelines:
            context.abort(grpc.StatusCode.NOT_FOUND, f"pipeline {name} not found")
        return pps.PipelineInfo(pipeline=request.pipeline, user_spec_json=self.pipelines[name])

    def create_pipeline_v2(self, request: pps.CreatePipelineV2Request, context: Any) -> Any:
        spec = json.loads(request.create_pipeline_request_json)
        name = spec["pipeline"]["name"]
        self.calls.append(f"CreatePipelineV2 {name} update={request.update}")
        if name in self.pipelines and not request.update:
            context.abort(grpc.StatusCode.ALREADY_EXISTS, f"pipeline {name} already exists")
        for item in _pfs_repos(spec.get("input")):
            if item not in self.repos and item not in self.pipelines:
                context.abort(grpc.StatusCode.NOT_FOUND, f"input repo {item} not found")
        if not request.dry_run:
            self.pipelines[name] = request.create_pipeline_request_json
        return pps.CreatePipelineV2Response()

    def handlers(self) -> list[grpc.GenericRpcHandler]:
        def unary(fn: Any, message: Any) -> grpc.RpcMethodHandler:
            return grpc.unary_unary_rpc_method_handler(
                fn,
                request_deserializer=lambda data, m=message: m().parse(data),
                response_serializer=lambda reply: (
                    reply if isinstance(reply, bytes) else bytes(reply)
                ),
            )

        return [
            grpc.method_handlers_generic_handler(
                "pfs_v2.API",
                {
                    "InspectRepo": unary(self.inspect_repo, pfs.InspectRepoRequest),
                    "CreateRepo": unary(self.create_repo, pfs.CreateRepoRequest),
                },
            ),
            grpc.method_handlers_generic_handler(
                "pps_v2.API",
                {
                    "InspectPipeline": unary(self.inspect_pipeline, pps.InspectPipelineRequest),
                    "CreatePipelineV2": unary(self.create_pipeline_v2, pps.CreatePipelineV2Request),
                },
            ),
        ]


def _pfs_repos(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        if "pfs" in node:
            yield node["pfs"]["repo"]
        for key in ("cross", "union", "join", "group"):
            for child in node.get(key) or []:
                yield from _pfs_repos(child)


@pytest.fixture
def pachd() -> Iterator[tuple[FakePachd, str]]:
    fake = FakePachd()
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    server.add_generic_rpc_handlers(fake.handlers())
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    try:
        yield fake, f"grpc://127.0.0.1:{port}"
    finally:
        server.stop(grace=None)


def test_validate_checks_every_spec_and_orders_them(cli: Cli) -> None:
    result = cli("validate", str(PIPELINES), "-o", "json")
    report = json.loads(result.out)
    assert report["input_repos"] == ["pets"]
    order = report["pipelines"]
    assert sorted(order) == sorted(p.stem for p in PIPELINES.glob("*.yaml"))
    for request in check([PIPELINES]).pipelines:  # each after the pipelines it reads
        assert all(
            order.index(up) < order.index(request.name) for up in request.inputs if up in order
        )


def test_requests_from_every_spec_survive_pachyderm_sdk() -> None:
    for request in check([PIPELINES]).pipelines:
        message = pps.CreatePipelineRequest().from_json(request.request_json)
        assert message.pipeline.name == request.name
        assert message.transform.image.startswith("reproml/")
    flags = {"pipeline": {"name": "x"}, "datumTimeout": "600s", "update": True}
    assert json.loads(request_json(flags)) == {"pipeline": {"name": "x"}, "datumTimeout": "600s"}


def test_validate_refuses_a_cycle_across_files_and_a_duplicate(cli: Cli, tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(
        "pipeline: {name: a}\ninput: {pfs: {repo: b, glob: /}}\ntransform: {cmd: [cp]}\n"
    )
    (tmp_path / "b.yaml").write_text(
        "pipeline: {name: b}\ninput: {pfs: {repo: a, glob: /}}\ntransform: {cmd: [cp]}\n"
    )
    result = cli("validate", str(tmp_path), check=False)
    assert result.code == 2 and "cycle: a -> b -> a" in result.err
    assert len(result.err.strip().splitlines()) == 1 and "Traceback" not in result.err
    shutil.copy(tmp_path / "a.yaml", tmp_path / "c.yaml")
    result = cli("validate", str(tmp_path / "a.yaml"), str(tmp_path / "c.yaml"), check=False)
    assert result.code == 2 and "pipeline 'a' is defined twice" in result.err
    result = cli("validate", str(tmp_path / "missing"), check=False)
    assert result.code == 3 and "no such file or folder" in result.err


def test_deploy_creates_then_leaves_alone_then_updates(
    cli: Cli, pachd: tuple[FakePachd, str], tmp_path: Path
) -> None:
    fake, address = pachd
    first = cli("deploy", "--pachd", address, str(PIPELINES))
    lines = first.out.splitlines()
    assert lines[0].split() == ["created", "repo", "pets"]
    assert sum(line.split()[:2] == ["created", "pipeline"] for line in lines) == 10
    assert fake.repos == {"pets"} and len(fake.pipelines) == 10
    # Nothing changed: nothing written.
    fake.calls.clear()
    again = cli("deploy", "--pachd", address, str(PIPELINES))
    assert all(line.startswith("unchanged") for line in again.out.splitlines())
    assert not [c for c in fake.calls if c.startswith(("Create", "CreatePipelineV2"))]
    # A git push that changes one spec: only that pipeline is updated.
    specs = tmp_path / "pipelines"
    shutil.copytree(PIPELINES, specs)
    model = specs / "model.yaml"
    model.write_text(model.read_text().replace('PATIENCE: "3"', 'PATIENCE: "5"'))
    changed = cli("deploy", "--pachd", address, str(specs))
    assert "updated    pipeline model" in changed.out
    assert sum("updated" in line for line in changed.out.splitlines()) == 1
    assert "PATIENCE" in fake.pipelines["model"] and '"5"' in fake.pipelines["model"]


def test_deploy_to_an_unreachable_pachd_says_so_in_one_line(cli: Cli) -> None:
    address = f"grpc://127.0.0.1:{free_port()}"
    result = cli(
        "deploy", "--pachd", address, "--connect-timeout", "1", str(PIPELINES), check=False
    )
    assert result.code == 9
    assert result.err.strip() == (
        f"error: cannot reach pachd at {address} within 1s; check the address, that pachd runs, "
        "and a port-forward (pachctl port-forward)"
    )
    bad = cli("deploy", "--pachd", "http://example.org", str(PIPELINES), check=False)
    assert bad.code == 2 and "is not grpc://HOST:PORT" in bad.err
