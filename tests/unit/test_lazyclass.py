"""`pachlite.lazyclass.dataclass`: from its first instance on, a class is the real dataclass."""

from __future__ import annotations

import dataclasses
import pickle
import sys
import threading

import pytest

from pachlite.lazyclass import dataclass
from pachlite.model import FileInfo, FileType, RepoInfo


def test_a_class_is_made_a_dataclass_by_its_first_instance() -> None:
    @dataclass(frozen=True)
    class Point:
        x: int
        y: int = 0
        tags: list[str] = dataclasses.field(default_factory=list)

    assert not dataclasses.is_dataclass(Point)  # nothing generated at definition
    p = Point(1)
    assert dataclasses.is_dataclass(Point)
    assert p == Point(1, 0, []) and p != Point(2)
    assert repr(p) == "test_a_class_is_made_a_dataclass_by_its_first_instance.<locals>." + (
        "Point(x=1, y=0, tags=[])"
    )
    assert Point(1).tags is not Point(1).tags
    assert [f.name for f in dataclasses.fields(Point)] == ["x", "y", "tags"]
    assert dataclasses.replace(p, y=5) == Point(1, 5)
    assert dataclasses.asdict(p) == {"x": 1, "y": 0, "tags": []}
    with pytest.raises(dataclasses.FrozenInstanceError):
        p.x = 3  # type: ignore[misc]


def test_a_wrong_first_call_raises_what_the_dataclass_raises() -> None:
    @dataclass
    class Pair:
        a: int
        b: int

    with pytest.raises(TypeError, match="missing 1 required positional argument: 'b'"):
        Pair(1)  # type: ignore[call-arg]
    assert Pair(1, 2).b == 2


def test_a_subclass_made_first_still_has_the_fields_of_its_base() -> None:
    @dataclass(frozen=True)
    class Base:
        a: int

    @dataclass(frozen=True)
    class Child(Base):
        b: str = ""

    child = Child(1, "x")  # before any Base
    assert (child.a, child.b) == (1, "x")
    assert [f.name for f in dataclasses.fields(Child)] == ["a", "b"]
    assert Base(2) == Base(2)


def test_first_instances_made_at_once_from_many_threads() -> None:
    @dataclass(frozen=True)
    class Once:
        n: int

    made: list[Once] = []
    threads = [threading.Thread(target=lambda i=i: made.append(Once(i))) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(o.n for o in made) == list(range(8))


def test_slots_are_refused() -> None:
    with pytest.raises(TypeError, match="slots"):

        @dataclass(slots=True)
        class Slotted:
            a: int


def test_the_records_the_engine_hands_out_keep_their_behaviour() -> None:
    info = FileInfo("images", "c" * 32, "/cat.txt", FileType.FILE, 5, "h")
    assert info.to_json()["type"] == "file"
    assert pickle.loads(pickle.dumps(info)) == info
    assert hash(info) == hash(FileInfo("images", "c" * 32, "/cat.txt", FileType.FILE, 5, "h"))
    repo = RepoInfo("images", "user", "", 1.0, 0)
    assert repo.branches == [] and repo.to_json()["branches"] == []


# Run where dataclasses is not loaded yet (pytest loads it), so the light methods are written.
LIGHT_PATH = """
import sys
from pachlite.lazyclass import asdict, dataclass, field

@dataclass(frozen=True)
class Base:
    a: int
    b: str = "x"

@dataclass(frozen=True)
class Child(Base):
    tags: list[str] = field(default_factory=list)

@dataclass
class Plain:
    n: int

c = Child(1)
assert (c.a, c.b, c.tags) == (1, "x", []) and Child(1).tags is not c.tags
assert c == Child(1, "x", []) and c != Child(2) and c != Base(1)
assert hash(Base(1)) == hash(Base(1)) and repr(c) == "Child(a=1, b='x', tags=[])"
assert Child.__match_args__ == ("a", "b", "tags")
assert Plain(1) == Plain(1) and Plain.__hash__ is None
p = Plain(1)
p.n = 2
try:
    Base(1)
except TypeError:
    raise AssertionError("Base(1) is valid")
try:
    Child()
except TypeError as error:
    assert "missing 1 required positional argument: 'a'" in str(error), error
else:
    raise AssertionError("no TypeError")
assert "dataclasses" not in sys.modules and "inspect" not in sys.modules, "imported too soon"

try:
    c.a = 3
except AttributeError as error:
    assert type(error).__name__ == "FrozenInstanceError", error
else:
    raise AssertionError("assigned to a frozen field")

import dataclasses

assert dataclasses.is_dataclass(c) and [f.name for f in dataclasses.fields(Child)] == [
    "a", "b", "tags"
]
assert dataclasses.replace(c, b="y") == Child(1, "y", [])
assert asdict(c) == {"a": 1, "b": "x", "tags": []} and repr(c) == "Child(a=1, b='x', tags=[])"
assert Child(5).tags == [] and Base(2) == Base(2) and hash(Base(2)) == hash(Base(2))
print("ok")
"""


@pytest.mark.parametrize("header", ["", "from __future__ import annotations\n"])
def test_without_dataclasses_loaded_a_light_class_behaves_the_same(header: str) -> None:
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-c", header + LIGHT_PATH], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0 and result.stdout == "ok\n", result.stderr


def test_first_instances_made_by_many_threads_at_once_all_work() -> None:
    # The gRPC server makes its first records from many threads at once; a class being made
    # real must never be caught without its __init__ ("P() takes no arguments").
    errors: list[str] = []
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as possible
    try:
        for _ in range(50):

            @dataclass(frozen=True)
            class P:
                a: int
                b: str = ""

            go = threading.Event()

            def make(cls: type = P, go: threading.Event = go) -> None:
                go.wait()
                try:
                    cls(1, "x")
                except Exception as exc:
                    errors.append(repr(exc))

            threads = [threading.Thread(target=make) for _ in range(8)]
            for thread in threads:
                thread.start()
            go.set()
            for thread in threads:
                thread.join()
            assert P(1) == P(1)
    finally:
        sys.setswitchinterval(interval)
    assert errors == []
