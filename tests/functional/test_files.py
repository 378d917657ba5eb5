"""Files: put (bytes, files, directories, streams, URLs), get, list, glob, diff, copy, delete."""

import http.server
import io
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from pachlite import Client
from pachlite.errors import Conflict, FetchFailed, FileNotFound, InvalidArgument, InvalidPath
from pachlite.model import DiffKind


def test_overwrite_is_the_default_and_append_appends(client: Client) -> None:
    client.create_repo("r")
    client.put_file_bytes("r@master:/log", b"one\n")
    client.put_file_bytes("r@master:/log", b"two\n")
    assert client.get_file("r@master:/log") == b"two\n"
    client.put_file_bytes("r@master:/log", b"three\n", append=True)
    assert client.get_file("r@master:/log") == b"two\nthree\n"
    assert client.get_file("r@master^:/log") == b"two\n"


def test_directories_are_implied(client: Client) -> None:
    client.create_repo("r")
    client.put_file_bytes("r@master:/a/b/c.txt", b"x")
    listing = client.list_file("r@master:/a")
    assert [(f.path, f.type.value) for f in listing] == [("/a/b/", "dir")]
    client.delete_file("r@master:/a/b/c.txt")
    assert client.list_file("r@master:/") == []


def test_put_local_file_directory_and_stream(client: Client, tmp_path: Path) -> None:
    client.create_repo("r")
    src = tmp_path / "src"
    (src / "nested").mkdir(parents=True)
    (src / "top.txt").write_bytes(b"top")
    (src / "nested" / "deep.bin").write_bytes(bytes(range(256)) * 10)
    client.put_file("r@master:/data", src, recursive=True)
    assert sorted(p for p, _, _ in client.walk_file("r@master:/")) == [
        "/data/nested/deep.bin",
        "/data/top.txt",
    ]
    client.put_file("r@master", src / "top.txt")  # no path: /<basename>
    client.put_file("r@master:/into/", src / "top.txt")  # trailing slash: into the dir
    client.put_file("r@master:/piped.txt", io.BytesIO(b"from a stream"))
    assert client.get_file("r@master:/top.txt") == b"top"
    assert client.get_file("r@master:/into/top.txt") == b"top"
    assert client.get_file("r@master:/piped.txt") == b"from a stream"
    with pytest.raises(InvalidArgument, match="pass -r"):
        client.put_file("r@master:/x", src)


def test_a_bad_name_in_a_directory_writes_nothing(client: Client, tmp_path: Path) -> None:
    client.create_repo("r")
    src = tmp_path / "src"
    src.mkdir()
    (src / "fine.txt").write_bytes(b"ok")
    (src / "bad[1].txt").write_bytes(b"no")
    with pytest.raises(InvalidPath, match="not allowed"):
        client.put_file("r@master:/", src, recursive=True)
    assert client.list_commit("r") == []
    assert list(client.store.objects.hashes()) == []


def test_get_file_to_disk_file_and_directory(client: Client, tmp_path: Path) -> None:
    client.create_repo("r")
    client.put_file_bytes("r@master:/d/a.txt", b"A")
    client.put_file_bytes("r@master:/d/sub/b.txt", b"B")
    client.get_file_to("r@master:/d/a.txt", tmp_path / "a.txt")
    assert (tmp_path / "a.txt").read_bytes() == b"A"
    client.get_file_to("r@master:/d", tmp_path / "out", recursive=True)
    assert (tmp_path / "out" / "sub" / "b.txt").read_bytes() == b"B"
    with pytest.raises(InvalidArgument, match="directory"):
        client.get_file_to("r@master:/d", tmp_path / "x")
    with pytest.raises(InvalidPath, match="directory"):
        client.get_file("r@master:/d")
    with pytest.raises(FileNotFound):
        client.get_file("r@master:/nope")


def test_glob_matches_files_and_directories(client: Client) -> None:
    client.create_repo("r")
    for path in ["/a.txt", "/b.csv", "/dir1/c.txt", "/dir2/dir3/d.txt"]:
        client.put_file_bytes(f"r@master:{path}", b"x")
    assert [f.path for f in client.glob_file("r@master:/*")] == [
        "/a.txt",
        "/b.csv",
        "/dir1/",
        "/dir2/",
    ]
    assert [f.path for f in client.glob_file("r@master:/*/*")] == ["/dir1/c.txt", "/dir2/dir3/"]
    assert [f.path for f in client.glob_file("r@master:/**.txt")] == [
        "/a.txt",
        "/dir1/c.txt",
        "/dir2/dir3/d.txt",
    ]
    assert [f.path for f in client.glob_file("r@master:/")] == ["/"]


def test_diff_between_parent_and_between_any_two_commits(client: Client) -> None:
    client.create_repo("r")
    first = client.put_file_bytes("r@master:/keep", b"1")
    client.put_file_bytes("r@master:/gone", b"1")
    client.put_file_bytes("r@master:/keep", b"2")
    client.delete_file("r@master:/gone")
    client.put_file_bytes("r@master:/new/file", b"3")
    diffs = client.diff_file("r@master", f"r@{first.id}")
    assert [(d.kind, d.path) for d in diffs] == [
        (DiffKind.MODIFIED, "/keep"),
        (DiffKind.ADDED, "/new/file"),
    ]
    last = client.diff_file("r@master")
    assert [(d.kind, d.path) for d in last] == [(DiffKind.ADDED, "/new/file")]


def test_copy_shares_data_across_repos(client: Client) -> None:
    client.create_repo("a")
    client.create_repo("b")
    client.put_file_bytes("a@master:/dir/x", b"payload")
    objects_before = len(list(client.store.objects.hashes()))
    client.copy_file("a@master:/dir", "b@master:/copied")
    client.copy_file("a@master:/dir/x", "b@master:/copied/x", append=True)
    assert client.get_file("b@master:/copied/x") == b"payloadpayload"
    assert len(list(client.store.objects.hashes())) == objects_before + 1


def test_delete_directory_needs_recursive(client: Client) -> None:
    client.create_repo("r")
    client.put_file_bytes("r@master:/d/x", b"1")
    with pytest.raises(Conflict, match="pass -r"):
        client.delete_file("r@master:/d")
    with pytest.raises(FileNotFound):
        client.delete_file("r@master:/nothing")
    client.delete_file("r@master:/d", recursive=True)
    assert client.list_file("r@master:/") == []


def test_inspect_file(client: Client) -> None:
    client.create_repo("r")
    client.put_file_bytes("r@master:/a/b", b"12345")
    info = client.inspect_file("r@master:/a/b")
    assert (info.path, info.type.value, info.size_bytes) == ("/a/b", "file", 5)
    assert info.hash == "5994471abb01112afcc18159f6cc74b4f511b99806da59b3caf5a9c173cacfc5"
    assert client.inspect_file("r@master:/a").size_bytes == 5


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path == "/data/file.csv":
            body = b"a,b\n1,2\n"
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        else:
            self.send_error(404)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def http_server() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_put_from_url(client: Client, http_server: str) -> None:
    client.create_repo("r")
    client.put_file("r@master", f"{http_server}/data/file.csv")
    assert client.get_file("r@master:/file.csv") == b"a,b\n1,2\n"
    with pytest.raises(FetchFailed, match="HTTP 404"):
        client.put_file("r@master:/x", f"{http_server}/missing")
    assert len(client.list_commit("r")) == 1
