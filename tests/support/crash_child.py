"""A writer that never stops on its own: the crash test SIGKILLs it at a random moment.

After each commit is finished it prints `FINISHED <repo> <id> <digest>`, where the digest covers
the (path, content hash) pairs the commit must hold. Anything printed is a promise the store
must keep after the kill.
"""

from __future__ import annotations

import hashlib
import os
import random
import sys
from pathlib import Path

from pachlite import Client


def digest(state: dict[str, str]) -> str:
    return hashlib.sha256(repr(sorted(state.items())).encode()).hexdigest()


def main(root: str, seed: int, scratch: str) -> None:
    rng = random.Random(seed)
    client = Client(root)
    repo = "data"
    if repo not in [r.name for r in client.list_repo()]:
        client.create_repo(repo)
    branches = [b for b in client.list_branch(repo) if b.name == "master" and b.head]
    if branches and not client.inspect_commit(f"{repo}@master").is_finished:
        # Left open by the previous kill: it is still open, and finishing it is allowed.
        client.finish_commit(f"{repo}@master")
    state: dict[str, str] = {
        path: file_hash for path, _, file_hash in _walk(client, f"{repo}@master")
    }
    step = 0
    while True:
        step += 1
        kind = rng.choice(["single", "batch", "directory", "delete"])
        if kind == "single":
            data = os.urandom(rng.randint(0, 200_000))
            path = f"/single/{rng.randint(0, 30)}.bin"
            info = client.put_file_bytes(f"{repo}@master:{path}", data)
            state[path] = hashlib.sha256(data).hexdigest()
        elif kind == "batch":
            client.start_commit(f"{repo}@master", description=f"batch {step}")
            for _ in range(rng.randint(1, 20)):
                data = os.urandom(rng.randint(0, 50_000))
                path = f"/batch/{rng.randint(0, 100)}.bin"
                client.put_file_bytes(f"{repo}@master:{path}", data)
                state[path] = hashlib.sha256(data).hexdigest()
            info = client.finish_commit(f"{repo}@master")
        elif kind == "directory":
            target = f"/dirs/{step % 5}"
            had = any(p.startswith(target + "/") for p in state)
            for path in [p for p in state if p.startswith(target + "/")]:
                del state[path]
            local = Path(scratch) / f"dir{seed}-{step}"
            local.mkdir(parents=True)
            for i in range(rng.randint(1, 40)):
                data = os.urandom(rng.randint(0, 100_000))
                (local / f"{i}.bin").write_bytes(data)
                state[f"{target}/{i}.bin"] = hashlib.sha256(data).hexdigest()
            with client.commit(f"{repo}@master") as opened:
                if had:
                    client.delete_file(f"{repo}@master:{target}", recursive=True)
                client.put_file(f"{repo}@master:{target}", local, recursive=True)
            info = client.inspect_commit(f"{repo}@{opened.id}")
        else:
            if not state:
                continue
            path = rng.choice(sorted(state))
            info = client.delete_file(f"{repo}@master:{path}")
            del state[path]
        print(f"FINISHED {repo} {info.id} {digest(state)}", flush=True)


def _walk(client: Client, ref: str) -> list[tuple[str, int, str]]:
    try:
        return list(client.walk_file(f"{ref}:/"))
    except Exception:  # no commit yet
        return []


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), sys.argv[3])
