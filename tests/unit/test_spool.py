"""The spool of datums a job is about to run: in memory up to a point, on disk beyond it."""

from __future__ import annotations

import pickle
from pathlib import Path

from pachlite.pps.datums import Datum, Item
from pachlite.worker.spool import DatumSpool


def _datum(i: int, join_key: str | None = None) -> Datum:
    item = Item("in", "in", "master", "c0", f"/f{i:03d}", f"h{i}", i, False, join_key=join_key)
    return Datum((item,))


def test_a_spool_gives_back_every_datum_in_order_across_memory_and_disk(tmp_path: Path) -> None:
    spool = DatumSpool(tmp_path / "plan", in_memory=3, batch=2)
    datums = [_datum(i) for i in range(12)]
    for datum in datums:
        spool.append(datum)

    assert len(spool) == 12 and spool
    assert list(spool) == datums
    assert [d.id for d in spool] == [d.id for d in datums]
    assert list(spool) == datums  # read twice: the same
    spilled = list((tmp_path / "plan").iterdir())
    assert len(spilled) == 1 and spilled[0].stat().st_size > 0
    assert len(spool.held) < 3 + 2  # what stays in memory is bounded, not the whole plan


def test_a_small_spool_writes_nothing(tmp_path: Path) -> None:
    spool = DatumSpool(tmp_path / "plan", in_memory=10, batch=5)
    for i in range(10):
        spool.append(_datum(i))
    assert len(list(spool)) == 10
    assert not (tmp_path / "plan").exists()
    assert not DatumSpool(tmp_path / "other")


def test_a_pickled_datum_keeps_its_id_and_items() -> None:
    datum = _datum(7, join_key="k")
    back = pickle.loads(pickle.dumps(datum))
    assert back == datum and back.id == datum.id and back.items[0].join_key == "k"
    assert back.hash("salt") == datum.hash("salt")
