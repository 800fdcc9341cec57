"""`lossboard.sources.tail`: new bytes per file; truncation, replacement, rewrites, idleness."""

from __future__ import annotations

import os
from pathlib import Path

from lossboard.sources import tail


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def kinds(changes) -> list[tuple[str, bytes]]:
    return [(c.kind, c.data) for c in changes]


def test_a_new_file_then_only_what_was_appended(tmp_path: Path) -> None:
    log = tmp_path / "a.log"
    log.write_bytes(b"loss=1\nloss=")
    t = tail.Tail(max_bytes=4)
    assert kinds(t.poll([str(log)])) == [("new", b"loss"), ("grown", b"=1\nl"), ("grown", b"oss=")]
    assert kinds(t.poll([str(log)])) == []
    with open(log, "ab") as file:
        file.write(b"2\n")
    changes = list(t.poll([str(log)]))
    assert kinds(changes) == [("grown", b"2\n")] and changes[0].offset == 12


def test_truncation_replacement_and_removal_are_reported_once(tmp_path: Path) -> None:
    log = tmp_path / "a.log"
    log.write_bytes(b"0123456789")
    t = tail.Tail()
    list(t.poll([str(log)]))
    log.write_bytes(b"abc")  # same inode, shorter
    assert kinds(t.poll([str(log)])) == [("truncated", b"")]
    assert kinds(t.poll([str(log)])) == [("grown", b"abc")]  # from byte 0 again
    other = tmp_path / "b.tmp"
    other.write_bytes(b"xyz")
    os.replace(other, log)
    assert kinds(t.poll([str(log)])) == [("replaced", b"")]
    assert kinds(t.poll([str(log)])) == [("grown", b"xyz")]
    log.unlink()
    assert kinds(t.poll([str(log)])) == [("removed", b"")]
    assert kinds(t.poll([str(log)])) == []


def test_a_file_rewritten_in_place_past_its_old_size_is_not_a_continuation(tmp_path: Path) -> None:
    log = tmp_path / "a.log"
    log.write_bytes(b"first run\n")
    t = tail.Tail()
    list(t.poll([str(log)]))
    with open(log, "r+b") as file:
        file.truncate(0)
        file.write(b"second run, longer\n")
    assert kinds(t.poll([str(log)])) == [("rewritten", b"")]


def test_follow_continues_from_a_committed_position(tmp_path: Path) -> None:
    log = tmp_path / "a.log"
    log.write_bytes(b"abcdef")
    t = tail.Tail()
    t.follow(str(log), tail.Cursor(4, os.stat(log).st_ino, b"cd"))
    assert kinds(t.poll([str(log)])) == [("grown", b"ef")]
    t.follow(str(log), tail.Cursor(4, os.stat(log).st_ino, b"XX"))  # not the bytes we read
    assert kinds(t.poll([str(log)])) == [("rewritten", b"")]


def test_a_quiet_file_is_idle_once_after_idle_s(tmp_path: Path) -> None:
    log = tmp_path / "a.log"
    log.write_bytes(b"x")
    clock = FakeClock()
    t = tail.Tail(idle_s=10.0, clock=clock)
    list(t.poll([str(log)]))
    clock.now = 9.0
    assert kinds(t.poll([str(log)])) == []
    clock.now = 10.0
    assert kinds(t.poll([str(log)])) == [("idle", b"")]
    clock.now = 50.0
    assert kinds(t.poll([str(log)])) == []
