"""Serving benchmark: MLServer with inference in the main process vs in worker processes.

    python bench/serving.py [--model-dir DIR] [--workers 0,1,2] [--clients 1,8]
                            [--requests 200] [--images 1] [--rounds 1]
                            [--json FILE] [--plot FILE.png]

Serves one model with the project's runtime (steps.serving.UNetRuntime, settings written by
steps.serving.launcher) once per `parallel_workers` value, and for each sends the same Open
Inference Protocol request (--images FP32 images, the model's size) from 1 and from 8 concurrent
clients, each on its own keep-alive connection. Per combination: requests per second, p50 and
p99 latency, errors, the server's resident memory (main process and workers), and the ratios
to parallel_workers 0 at the same concurrency, all measured in this one run. The model is the
one `make run` released (the gitops repo .run/gitops.git and the pachlite store, as
`make serve` reads them) unless --model-dir names calibrate's output. The clients share the
machine with the server: on 2 cores they take CPU from it, equally for every row. --rounds
repeats the whole sweep (each worker count in turn, again), so drift in the machine's load
falls on every row alike; a row pools its rounds. The load average before and after is
printed; --json writes every figure, --plot a picture of requests per second and latency.
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

from steps.serving.launcher import ServeError, fetch_model, released_version, write_settings  # noqa: E402

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
    rss_mb: float  # the server's processes (main and workers) after the run

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
    root = os.environ.get("PACHLITE_ROOT") or str(REPO / ".pachlite")
    try:
        version = released_version(
            str(REPO / ".run" / "gitops.git"), "main", "gitops/serving", NAME
        )
        fetch_model(version, scratch / "model", root)
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

    def rss_mb(self) -> float:
        """Resident memory of the server and every process under it, in MiB."""
        total, pending = 0, [self.proc.pid]
        while pending:
            pid = pending.pop()
            try:
                status = Path(f"/proc/{pid}/status").read_text()
                total += int(next(ln.split()[1] for ln in status.splitlines()
                                  if ln.startswith("VmRSS:")))  # fmt: skip
                for task in Path(f"/proc/{pid}/task").iterdir():
                    pending += [int(c) for c in (task / "children").read_text().split()]
            except (OSError, StopIteration):
                continue
        return total / 1024

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


def pooled(results: list[Result]) -> list[Result]:
    """One row per (workers, clients): the rounds' requests, time and latencies together."""
    rows: dict[tuple[int, int], Result] = {}
    for r in results:
        key = (r.workers, r.clients)
        if key in rows:
            p = rows[key]
            r = Result(r.workers, r.clients, p.requests + r.requests, p.errors + r.errors,
                       p.seconds + r.seconds, p.latencies + r.latencies,
                       max(p.rss_mb, r.rss_mb))  # fmt: skip
        rows[key] = r
    return list(rows.values())


def table(results: list[Result]) -> list[list[str]]:
    base = {r.clients: r for r in results if r.workers == 0}
    rows = [["parallel_workers", "clients", "req/s", "p50 ms", "p99 ms", "errors", "RSS MiB",
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
            f"{1000 * r.percentile(0.99):.1f}", f"{r.errors}/{r.requests}", f"{r.rss_mb:.0f}",
            *ratio,
        ])  # fmt: skip
    return rows


def figures(results: list[Result]) -> list[dict[str, float | int]]:
    return [
        {"parallel_workers": r.workers, "clients": r.clients, "requests": r.requests,
         "errors": r.errors, "seconds": round(r.seconds, 3), "rps": round(r.rps, 2),
         "p50_ms": round(1000 * r.percentile(0.5), 1),
         "p99_ms": round(1000 * r.percentile(0.99), 1), "rss_mib": round(r.rss_mb)}
        for r in results
    ]  # fmt: skip


def plot(results: list[Result], out: Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    clients = sorted({r.clients for r in results})
    workers = sorted({r.workers for r in results})
    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    width = 0.8 / len(workers)
    for i, count in enumerate(workers):
        rows = [next(r for r in results if r.workers == count and r.clients == c) for c in clients]
        xs = [j + i * width for j in range(len(clients))]
        axes[0].bar(xs, [r.rps for r in rows], width, label=f"parallel_workers {count}")
        axes[1].bar(xs, [1000 * r.percentile(0.5) for r in rows], width, color=f"C{i}")
        axes[1].scatter(xs, [1000 * r.percentile(0.99) for r in rows], color="black", s=12,
                        zorder=3, label="p99" if i == 0 else None)  # fmt: skip
    for ax, label in zip(axes, ["requests per second", "p50 latency, ms (bar); p99 (dot)"],
                         strict=True):  # fmt: skip
        ax.set_xticks([j + width * (len(workers) - 1) / 2 for j in range(len(clients))])
        ax.set_xticklabels([f"{c} client{'s' if c > 1 else ''}" for c in clients])
        ax.set_ylabel(label)
    axes[0].legend(fontsize=8)
    axes[1].legend(fontsize=8)
    fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    plt.close(fig)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model-dir", help="calibrate's output (default: make run's release)")
    parser.add_argument("--workers", default="0,1,2", help="parallel_workers values to compare")
    parser.add_argument("--clients", default="1,8", help="concurrent clients")
    parser.add_argument("--requests", type=int, default=200, help="requests per combination")
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--images", type=int, default=1, help="images per request")
    parser.add_argument("--rounds", type=int, default=1, help="sweeps, interleaved")
    parser.add_argument("--json", type=Path, help="write the figures here")
    parser.add_argument("--plot", type=Path, help="draw requests/s and latency here (PNG)")
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
        for round_ in range(args.rounds):
            for count in workers:
                print(f"round {round_ + 1}, parallel_workers {count}: starting MLServer ...",
                      file=sys.stderr)  # fmt: skip
                server = Server(model_dir, count, scratch / f"workers-{count}-{round_}")
                try:
                    server.wait_ready()
                    drive(server.port, body, max(clients), args.warmup)  # every worker warm
                    for n in clients:
                        print(f"  {n} client(s), {args.requests} requests", file=sys.stderr)
                        errors, seconds, latencies = drive(server.port, body, n, args.requests)
                        rss = server.rss_mb()
                        results.append(
                            Result(count, n, args.requests, errors, seconds, latencies, rss)
                        )
                finally:
                    server.stop()
        results = pooled(results)
    load_after = os.getloadavg()
    print()
    print(f"MLServer serving steps.serving.UNetRuntime, {args.images} image(s) of "
          f"{size}x{size} per request, {os.cpu_count()} CPUs, {args.rounds} round(s) of "
          f"{args.requests} requests per row")  # fmt: skip
    rows = table(results)
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
    load = (
        "load average (1/5/15 min) before "
        + "/".join(f"{x:.2f}" for x in load_before)
        + ", after "
        + "/".join(f"{x:.2f}" for x in load_after)
    )
    print(load)
    if args.json:
        args.json.write_text(json.dumps({"image_size": size, "images": args.images,
                                         "rounds": args.rounds, "load": load,
                                         "rows": figures(results)}, indent=1) + "\n")  # fmt: skip
    if args.plot:
        plot(results, args.plot, f"MLServer, {size}x{size} U-Net, {os.cpu_count()} CPUs; {load}")


if __name__ == "__main__":
    main()
