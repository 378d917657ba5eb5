"""Real file systems for the tests: a read-only bind mount and a small tmpfs.

Both need mount(2), which root has here. Where it is refused (an unprivileged CI runner),
the read-only store falls back to file modes (a non-root process, or root without
CAP_DAC_OVERRIDE, cannot write a store whose files and directories are not writable), and a
full disk cannot be made for real, so those tests skip and say why.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

# Root bypasses file modes; without these two capabilities it obeys them like anyone.
NO_DAC = ("setpriv", "--bounding-set", "-dac_override,-dac_read_search")


def _mount(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["mount", *args], capture_output=True, text=True, check=False)


def _umount(path: Path) -> None:
    subprocess.run(["umount", "-l", str(path)], capture_output=True, check=False)


def obeying_modes() -> tuple[str, ...]:
    """A command prefix that makes a process obey file modes (empty when not root)."""
    if os.geteuid() != 0:
        return ()
    if shutil.which("setpriv") is None:
        pytest.skip("running as root without setpriv: file modes cannot be made to bind")
    return NO_DAC


@contextmanager
def tmpfs(where: Path, size: str) -> Iterator[Path]:
    """A tmpfs of `size` mounted at `where` for the block; skips the test if not allowed."""
    where.mkdir(parents=True, exist_ok=True)
    done = _mount("-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs", str(where))
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({done.stderr.strip()}): no real full disk")
    try:
        yield where
    finally:
        _umount(where)


def grow(where: Path, size: str) -> None:
    """Give a mounted tmpfs more room (free space on a full disk)."""
    done = _mount("-o", f"remount,size={size}", str(where))
    assert done.returncode == 0, done.stderr


@contextmanager
def read_only_view(
    source: Path, where: Path, by: str = "mount"
) -> Iterator[tuple[Path, tuple[str, ...]]]:
    """`source` seen read-only at `where`, and the command prefix to run pachlite with.

    by="mount": a read-only bind mount (the prefix is empty: even root cannot write), or file
    modes where mount(2) is refused. by="modes": `where` is a copy with every write bit
    cleared, and the prefix makes the process obey file modes.
    """
    where.mkdir(parents=True, exist_ok=True)
    bound = _mount("--bind", str(source), str(where)) if by == "mount" else None
    if bound is not None and bound.returncode == 0:
        if _mount("-o", "remount,ro,bind", str(where)).returncode == 0:
            try:
                yield where, ()
            finally:
                _umount(where)
            return
        _umount(where)
    prefix = obeying_modes()
    shutil.copytree(source, where, dirs_exist_ok=True, symlinks=True)
    for path in [where, *where.rglob("*")]:
        path.chmod(path.stat().st_mode & ~0o222)
    try:
        yield where, prefix
    finally:
        for path in [where, *where.rglob("*")]:
            path.chmod(path.stat().st_mode | 0o200)
