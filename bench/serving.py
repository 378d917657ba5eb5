"""Serving benchmark: MLServer with inference in the main process vs in worker processes.

    python bench/serving.py [--model-dir DIR] [--workers 0,1,2] [--clients 1,8]
                            [--requests 200] [--images 1]

Serves one model with the project's runtime (steps.serving.UNetRuntime, settings written by
steps.serve) once per `parallel_workers` value, and for each sends the same Open Inference
Protocol request (--images FP32 images, the model's size) from 1 and from 8 concurrent
clients, each on its own keep-alive connection. Per combination: requests per second,
p50 and p99 latency, errors, and the ratios to parallel_workers 0 at the same concurrency,
all measured in this one run. The model is the one `make run` released (the gitops repo
.run/gitops.git and the pachlite store, as `make serve` reads them) unless --model-dir names
calibrate's output. The clients share the machine with the server: on 2 cores they take CPU
from it, equally for every row. The load average before and after is printed.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from steps.serve import ServeError, fetch_model, released_version, write_settings  # noqa: E402

NAME = "pets-unet"
LAUNCH = "import sys; from mlserver.cli import main; sys.argv[0] = 'mlserver'; main()"


@dataclass(frozen=True)
class Result:
    workers: int
    clients: int
    requests: int
    errors: int
    seconds: float
    latencies: list[float]

    @property
    def rps(self) -> float:
        return (self.requests - self.errors) / self.seconds

    def percentile(self, q: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def model_folder(args: argparse.Namespace, scratch: Path) -> Path:
    if args.model_dir:
        return Path(args.model_dir)
    env = {**os.environ, "PATH": f"{REPO / '.venv' / 'bin'}{os.pathsep}{os.environ['PATH']}"}
    env.setdefault("PACHLITE_ROOT", str(REPO / ".pachlite"))
    try:
        version = released_version(
            str(REPO / ".run" / "gitops.git"), "main", "gitops/serving", NAME
        )
        fetch_model(version, scratch / "model", env)
    except ServeError as e:
        raise SystemExit(f"bench/serving.py: {e} (or give --model-dir)") from None
    return scratch / "model"


def image_size(model_dir: Path) -> int:
    hyper = model_dir / "hyperparameters.json"
    if hyper.is_file():
        size = json.loads(hyper.read_text()).get("img_size")
        if size:
            return int(size)
    return 64


class Server:
    def __init__(self, model_dir: Path, workers: int, folder: Path) -> None:
        self.port = free_port()
        write_settings(folder, NAME, model_dir, None, self.port, free_port(), workers)
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        self.log = (folder / "mlserver.log").open("w")
        self.proc = subprocess.Popen(
            [sys.executable, "-c", LAUNCH, "start", str(folder)],
            cwd=folder, env=env, stdout=self.log, stderr=subprocess.STDOUT,
        )  # fmt: skip

    def wait_ready(self, seconds: float = 180) -> None:
        deadline = time.monotonic() + seconds
        url = f"http://127.0.0.1:{self.port}/v2/models/{NAME}/ready"
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit(f"mlserver exited; see {self.log.name}")
            try:
                with urllib.request.urlopen(url, timeout=2) as response:
                    if response.status == 200:
                        return
            except OSError:
                pass
            time.sleep(0.5)
        raise SystemExit(f"mlserver was not ready after {seconds:.0f} s; see {self.log.name}")

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()


def drive(port: int, body: bytes, clients: int, requests: int) -> tuple[int, float, list[float]]:
    """`requests` POSTs spread over `clients` threads; returns errors, seconds, latencies."""
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    remaining = iter(range(requests))
    path = f"/v2/models/{NAME}/infer"
    headers = {"Content-Type": "application/json"}

    def client() -> None:
        nonlocal errors
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        try:
            while True:
                with lock:
                    if next(remaining, None) is None:
                        return
                started = time.perf_counter()
                try:
                    connection.request("POST", path, body, headers)
                    response = connection.getresponse()
                    response.read()
                    ok = response.status == 200
                except (OSError, http.client.HTTPException):
                    ok = False
                    connection.close()
                    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
                elapsed = time.perf_counter() - started
                with lock:
                    latencies.append(elapsed)
                    errors += 0 if ok else 1
        finally:
            connection.close()

    threads = [threading.Thread(target=client) for _ in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors, time.perf_counter() - started, latencies


def request_body(size: int, images: int) -> bytes:
    values = [((i * 7919) % 1000) / 1000 for i in range(images * size * size * 3)]
    tensor = {"name": "images", "datatype": "FP32", "shape": [images, size, size, 3],
              "data": values}  # fmt: skip
    return json.dumps({"inputs": [tensor]}).encode()


def table(results: list[Result]) -> list[list[str]]:
    base = {r.clients: r for r in results if r.workers == 0}
    rows = [["parallel_workers", "clients", "req/s", "p50 ms", "p99 ms", "errors",
             "req/s vs 0", "p50 vs 0", "p99 vs 0"]]  # fmt: skip
    for r in results:
        b = base.get(r.clients)
        ratio = (
            [f"{r.rps / b.rps:.2f}x", f"{r.percentile(0.5) / b.percentile(0.5):.2f}x",
             f"{r.percentile(0.99) / b.percentile(0.99):.2f}x"]
            if b else ["-", "-", "-"]
        )  # fmt: skip
        rows.append([
            str(r.workers), str(r.clients), f"{r.rps:.1f}", f"{1000 * r.percentile(0.5):.1f}",
            f"{1000 * r.percentile(0.99):.1f}", f"{r.errors}/{r.requests}", *ratio,
        ])  # fmt: skip
    return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model-dir", help="calibrate's output (default: make run's release)")
    parser.add_argument("--workers", default="0,1,2", help="parallel_workers values to compare")
    parser.add_argument("--clients", default="1,8", help="concurrent clients")
    parser.add_argument("--requests", type=int, default=200, help="requests per combination")
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--images", type=int, default=1, help="images per request")
    args = parser.parse_args(argv)
    workers = [int(w) for w in args.workers.split(",")]
    clients = [int(c) for c in args.clients.split(",")]
    load_before = os.getloadavg()
    results: list[Result] = []
    with tempfile.TemporaryDirectory(prefix="reproml-serving-bench-") as tmp:
        scratch = Path(tmp)
        model_dir = model_folder(args, scratch)
        size = image_size(model_dir)
        body = request_body(size, args.images)
        for count in workers:
            print(f"parallel_workers {count}: starting MLServer ...", file=sys.stderr)
            server = Server(model_dir, count, scratch / f"workers-{count}")
            try:
                server.wait_ready()
                drive(server.port, body, max(clients), args.warmup)  # every worker warm
                for n in clients:
                    print(f"  {n} client(s), {args.requests} requests", file=sys.stderr)
                    errors, seconds, latencies = drive(server.port, body, n, args.requests)
                    results.append(Result(count, n, args.requests, errors, seconds, latencies))
            finally:
                server.stop()
    load_after = os.getloadavg()
    print()
    print(f"MLServer serving steps.serving.UNetRuntime, {args.images} image(s) of "
          f"{size}x{size} per request, {os.cpu_count()} CPUs")  # fmt: skip
    rows = table(results)
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
    print(
        "load average (1/5/15 min) before "
        + "/".join(f"{x:.2f}" for x in load_before)
        + ", after "
        + "/".join(f"{x:.2f}" for x in load_after)
    )


if __name__ == "__main__":
    main()
