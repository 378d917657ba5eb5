"""A store made before projects opens with its repos in `default` (migration 0005)."""

from pathlib import Path

from pachlite.client import Client
from pachlite.pfs.db import Database
from pachlite.pfs.migrations import MIGRATIONS


def test_repos_of_a_store_made_before_projects_are_in_default(tmp_path: Path) -> None:
    root = tmp_path / "store"
    root.mkdir()
    db = Database(root / "meta.sqlite", migrate=False)
    db.execute("CREATE TABLE migrations (name TEXT PRIMARY KEY, applied REAL)")
    before = [(name, script) for name, script in MIGRATIONS if name < "0005"]
    for name, script in before:
        for statement in (s.strip() for s in script.split(";") if s.strip()):
            db.execute(statement)
        db.execute("INSERT INTO migrations VALUES (?, 0)", (name,))
    db.execute("INSERT INTO repos (name, created) VALUES ('old', 1000.0)")
    db.close()
    with Client(root) as client:
        assert [r.name for r in client.list_repo(projects=["default"])] == ["old"]
        assert client.inspect_project("default").created == 1000.0
        client.put_file_bytes("old@master:/a.txt", b"still here")
        client.create_project("p")
        client.create_repo("p/old")
        assert {(r.project, r.short_name) for r in client.list_repo()} == {
            ("default", "old"),
            ("p", "old"),
        }
        assert client.get_file("old@master:/a.txt") == b"still here"
