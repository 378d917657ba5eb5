"""The gRPC API through pachyderm-sdk: puts, a 1 GiB read and inspect_commit, each beside
what bounds it, measured in one run.

    python bench/sdk.py [--quick] [--json FILE]

One row per measure, against a real server (`python -m pachlite.server`) on a fresh store:

- put_file_from_bytes: 10,000 small files in one commit through the SDK's commit context, as
  its documentation shows (one ModifyFile stream per file; the finish included). Against the
  issue's target (2,000 files/s) and Pachyderm 1.x's ~100/s (pachyderm/pachyderm#2636).
- The same puts against a server that answers each call at once and stores nothing: the
  ceiling the SDK and grpc allow one client. And the SDK's own cost with no server at all:
  building and encoding the ModifyFileRequests it sends per file.
- The SDK's other documented ways to put many files: `put_files` of a local directory (one
  stream per file too) and one `modify_file` stream of 10,000 add_file requests.
- GetFile of a 1 GiB file through the SDK, against reading its object file directly
  (target >= 0.5x), and against reading and hashing it (what the server does: a damaged
  object is never sent whole).
- inspect_commit: median and p99 ms per call over 1,000 calls.

--quick: small sizes (a few seconds), for iteration; its figures mean little. Every row
records the load average when it began: on a shared machine, quote them with it.
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import io
import json
import os
import select
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

TARGET_FILES_S = 2_000.0
PACHYDERM_1X_FILES_S = 100.0  # pachyderm/pachyderm#2636
TARGET_READ_RATIO = 0.5


@dataclass(frozen=True)
class Sizes:
    files: int
    read_bytes: int
    inspects: int


FULL = Sizes(10_000, 1 << 30, 1_000)
QUICK = Sizes(500, 64 << 20, 100)


@dataclass(frozen=True)
class Row:
    measure: str
    figure: str  # the measured figure, with its unit
    ratio: str  # against what bounds or targets it
    value: float  # the figure as a number (files/s, x, ms)
    load: float


def payload(i: int) -> bytes:
    return f"record {i}\n".encode()


def load() -> float:
    return round(os.getloadavg()[0], 2)


# A server that answers at once ----------------------------------------------------------

NULL_SERVER = """
import sys, grpc
from concurrent.futures import ThreadPoolExecutor
from pachyderm_sdk.api import pfs
commit = bytes(pfs.Commit(id="0" * 32, branch=pfs.Branch.from_uri("null@master")))
def drain(requests, context):
    for _ in requests:
        pass
    return b""
calls = {
    "/pfs_v2.API/StartCommit": grpc.unary_unary_rpc_method_handler(lambda r, c: commit),
    "/pfs_v2.API/FinishCommit": grpc.unary_unary_rpc_method_handler(lambda r, c: b""),
    "/pfs_v2.API/ModifyFile": grpc.stream_unary_rpc_method_handler(drain),
}
class Handler(grpc.GenericRpcHandler):
    def service(self, details):
        return calls.get(details.method)
server = grpc.server(ThreadPoolExecutor(4), handlers=[Handler()])
port = server.add_insecure_port("127.0.0.1:0")
server.start()
print(port, flush=True)
server.wait_for_termination()
"""


class NullServer:
    def __enter__(self) -> NullServer:
        self.proc = subprocess.Popen(
            [sys.executable, "-c", NULL_SERVER], stdout=subprocess.PIPE, text=True
        )
        assert self.proc.stdout is not None
        ready, _, _ = select.select([self.proc.stdout], [], [], 60)
        self.port = int(self.proc.stdout.readline()) if ready else 0
        return self

    def sdk(self) -> Any:
        from pachyderm_sdk import Client

        return Client(host="127.0.0.1", port=self.port)

    def __exit__(self, *exc: object) -> None:
        self.proc.kill()
        self.proc.wait()
        assert self.proc.stdout is not None
        self.proc.stdout.close()


# Puts -----------------------------------------------------------------------------------


def put_from_bytes(sdk: Any, repo: str, files: int) -> float:
    """Seconds for `files` put_file_from_bytes in one commit, the finish included."""
    from pachyderm_sdk.api import pfs

    started = time.perf_counter()
    with sdk.pfs.commit(branch=pfs.Branch.from_uri(f"{repo}@master")) as commit:
        for i in range(files):
            commit.put_file_from_bytes(f"/f{i:06d}", payload(i))
    return time.perf_counter() - started


def put_files(sdk: Any, repo: str, files: int, scratch: Path) -> float:
    from pachyderm_sdk.api import pfs

    source = scratch / "local"
    source.mkdir()
    for i in range(files):
        (source / f"f{i:06d}").write_bytes(payload(i))
    started = time.perf_counter()
    with sdk.pfs.commit(branch=pfs.Branch.from_uri(f"{repo}@master")) as commit:
        commit.put_files(source=source, path="/")
    return time.perf_counter() - started


def one_stream(sdk: Any, repo: str, files: int) -> float:
    """One modify_file stream: set_commit, then an add_file per file."""
    from pachyderm_sdk.api import pfs

    def requests(commit: Any) -> Iterator[Any]:
        yield pfs.ModifyFileRequest(set_commit=commit)
        for i in range(files):
            yield pfs.ModifyFileRequest(add_file=pfs.AddFile(path=f"/f{i:06d}", raw=payload(i)))

    started = time.perf_counter()
    with sdk.pfs.commit(branch=pfs.Branch.from_uri(f"{repo}@master")) as commit:
        sdk.pfs.modify_file(requests(commit))
    return time.perf_counter() - started


def encode_only(files: int) -> float:
    """Seconds to build and encode what put_file_from_bytes sends per file (its requests,
    read through the same BytesIO), with no channel: the SDK's own floor."""
    from pachyderm_sdk.api import pfs

    commit = pfs.Commit(id="0" * 32, branch=pfs.Branch.from_uri("null@master"))
    started = time.perf_counter()
    for i in range(files):
        path, data = f"/f{i:06d}", io.BytesIO(payload(i)).read(19 << 20)
        for request in (
            pfs.ModifyFileRequest(set_commit=commit),
            pfs.ModifyFileRequest(delete_file=pfs.DeleteFile(path=path)),
            pfs.ModifyFileRequest(add_file=pfs.AddFile(path=path, raw=b"")),
            pfs.ModifyFileRequest(add_file=pfs.AddFile(path=path, raw=data)),
        ):
            bytes(request)
    return time.perf_counter() - started


def check_listed(sdk: Any, repo: str, files: int) -> None:
    from pachyderm_sdk.api import pfs

    head = pfs.File.from_uri(f"{repo}@master:/")
    listed = sum(1 for _ in sdk.pfs.list_file(file=head))
    assert listed == files, f"{repo}: {listed} files listed, {files} put"


def put_rows(server: Any, sizes: Sizes, scratch: Path) -> list[Row]:
    from pachyderm_sdk.api import pfs

    sdk, n = server.sdk(), sizes.files
    rows = []

    def files_row(measure: str, seconds: float) -> Row:
        rate = n / seconds
        ratio = f"{rate / TARGET_FILES_S:.2f}x the target, {rate / PACHYDERM_1X_FILES_S:.0f}x 1.x"
        return Row(measure, f"{rate:,.0f} files/s", ratio, round(rate), load())

    for repo in ("bytes", "dir", "stream"):
        sdk.pfs.create_repo(repo=pfs.Repo(name=repo))
    at = load()
    seconds = put_from_bytes(sdk, "bytes", n)
    check_listed(sdk, "bytes", n)
    rows.append(files_row(f"put_file_from_bytes, {n:,} files, one commit", seconds))
    rows[-1] = Row(**{**asdict(rows[-1]), "load": at})
    with NullServer() as null:
        at = load()
        ceiling = n / put_from_bytes(null.sdk(), "null", n)
    rows.append(
        Row(
            "  the same, to a server that stores nothing",
            f"{ceiling:,.0f} files/s",
            f"pachlite at {rows[0].value / ceiling:.2f}x this ceiling",
            round(ceiling),
            at,
        )
    )
    at = load()
    encoded = n / encode_only(n)
    rows.append(
        Row(
            "  the SDK encoding its 4 requests per file, no channel",
            f"{encoded:,.0f} files/s",
            f"pachlite at {rows[0].value / encoded:.2f}x this ceiling",
            round(encoded),
            at,
        )
    )
    at = load()
    seconds = put_files(sdk, "dir", n, scratch)
    check_listed(sdk, "dir", n)
    rows.append(Row(**{**asdict(files_row(f"put_files of a {n:,}-file directory", seconds)),
                       "load": at}))  # fmt: skip
    at = load()
    seconds = one_stream(sdk, "stream", n)
    check_listed(sdk, "stream", n)
    rows.append(Row(**{**asdict(files_row(f"one modify_file stream of {n:,} add_files", seconds)),
                       "load": at}))  # fmt: skip
    return rows


# Reads and latency ----------------------------------------------------------------------


def read_rows(server: Any, sizes: Sizes, scratch: Path) -> list[Row]:
    from pachyderm_sdk.api import pfs

    from pachlite.client import Client

    local = scratch / "big"
    block = os.urandom(1 << 20)
    with open(local, "wb") as out:
        for _ in range(sizes.read_bytes >> 20):
            out.write(block)
    with Client(server.root) as client:
        client.create_repo("big")
        client.put_file("big@master:/big", local)
        digest = client.inspect_file("big@master:/big").hash
        object_file = client.store.objects.path(digest)
    local.unlink()
    direct = min(read_direct(object_file) for _ in range(2))
    hashed = min(read_direct(object_file, hashed=True) for _ in range(2))
    sdk = server.sdk()
    at = load()
    file = pfs.File.from_uri("big@master:/big")
    through = min(read_sdk(sdk, file, sizes.read_bytes) for _ in range(2))
    mib = sizes.read_bytes >> 20
    return [
        Row(
            f"GetFile of {mib:,} MiB through the SDK",
            f"{mib / through:,.0f} MiB/s",
            f"{direct / through:.2f}x reading the object file ({mib / direct:,.0f} MiB/s),"
            f" {hashed / through:.2f}x reading and hashing it ({mib / hashed:,.0f} MiB/s);"
            f" target >= {TARGET_READ_RATIO}x",
            round(direct / through, 2),
            at,
        )
    ]


def read_direct(path: Path, *, hashed: bool = False) -> float:
    """Seconds to read the object file (from the page cache, as GetFile does right after),
    and with `hashed` to check its sha256 too, as GetFile does before its last message."""
    hasher = hashlib.sha256()
    started = time.perf_counter()
    with open(path, "rb") as source:
        while chunk := source.read(1 << 20):
            if hashed:
                hasher.update(chunk)
    return time.perf_counter() - started


def read_sdk(sdk: Any, file: Any, size: int) -> float:
    started = time.perf_counter()
    got = sum(len(message.value) for message in sdk.pfs.get_file(file=file))
    seconds = time.perf_counter() - started
    assert got == size, f"GetFile sent {got} bytes of {size}"
    return seconds


def latency_rows(server: Any, sizes: Sizes) -> list[Row]:
    from pachyderm_sdk.api import pfs

    sdk = server.sdk()
    commit = sdk.pfs.inspect_branch(branch=pfs.Branch.from_uri("bytes@master")).head
    for _ in range(20):  # a warm channel and thread, as a client in a loop has
        sdk.pfs.inspect_commit(commit=commit)
    at = load()
    times = []
    for _ in range(sizes.inspects):
        started = time.perf_counter()
        sdk.pfs.inspect_commit(commit=commit)
        times.append((time.perf_counter() - started) * 1000)
    median = statistics.median(times)
    p99 = statistics.quantiles(times, n=100)[98]
    return [
        Row(
            f"inspect_commit, {sizes.inspects:,} calls",
            f"median {median:.2f} ms, p99 {p99:.2f} ms",
            f"{1000 / median:,.0f} calls/s from one client",
            round(median, 3),
            at,
        )
    ]


# The run --------------------------------------------------------------------------------


def measure(sizes: Sizes, log: Callable[[str], None]) -> list[Row]:
    from tests.support.grpc_server import start_server

    with tempfile.TemporaryDirectory(prefix="bench-sdk-") as tmp:
        scratch = Path(tmp)
        server = start_server(scratch / "store")
        try:
            log("puts")
            rows = put_rows(server, sizes, scratch)
            log("inspect_commit")
            rows += latency_rows(server, sizes)
            log("GetFile")
            rows += read_rows(server, sizes, scratch)
        finally:
            server.stop()
    return rows


def table(rows: list[Row]) -> str:
    lines = ["| measure | figure | ratio | load |", "| --- | ---: | --- | ---: |"]
    lines += [f"| {r.measure} | {r.figure} | {r.ratio} | {r.load} |" for r in rows]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, for iteration")
    parser.add_argument("--json", type=Path, help="also write the rows to this file")
    args = parser.parse_args(argv)
    sizes = QUICK if args.quick else FULL

    def log(message: str) -> None:
        print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)

    started = time.monotonic()
    rows = measure(sizes, log)
    print(table(rows))
    print(f"\n{time.monotonic() - started:.0f} s in all, {datetime.date.today().isoformat()}")
    if args.json:
        record = {"sizes": asdict(sizes), "rows": [asdict(r) for r in rows]}
        args.json.write_text(json.dumps(record, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
