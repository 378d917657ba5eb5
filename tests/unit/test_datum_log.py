"""A datum's log keeps its head and its tail, and says what it cut."""

from pachlite.worker.datum_log import DatumLog


def test_small_logs_are_kept_whole() -> None:
    log = DatumLog()
    for i in range(100):
        log.add("stdout", f"line {i}")
    assert [line for _, _, line in log.lines()] == [f"line {i}" for i in range(100)]
    assert log.cut_lines == 0


def test_a_log_past_the_cap_keeps_head_and_tail_and_says_what_was_cut() -> None:
    seen: list[str] = []
    log = DatumLog(lambda stream, line: seen.append(line), head_bytes=100, tail_bytes=100)
    for i in range(1000):
        log.add("stderr" if i % 2 else "stdout", f"{i:09d}")  # 10 bytes a line
    lines = [line for _, _, line in log.lines()]
    assert lines[:10] == [f"{i:09d}" for i in range(10)]
    assert lines[-10:] == [f"{i:09d}" for i in range(990, 1000)]
    assert len(lines) == 21
    assert lines[10].startswith("pachlite: 9,800 bytes (980 lines) of output cut here")
    assert len(seen) == 1000  # every line still reaches a live reader
