"""The live feed: what `changes` says between two looks at the store, and the SSE stream itself."""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import replace
from pathlib import Path

import httpx

from lossboard.server.live import changes, snapshot
from lossboard.store.base import RunInfo

BASE = RunInfo("a", ("csv",), ("/logs/a/log.csv",), {}, "running", 2, 20, 0, 9, 100.0)


def test_nothing_changed_says_nothing() -> None:
    assert changes(snapshot([BASE]), snapshot([BASE])) == []


def test_new_points_say_from_which_step() -> None:
    later = replace(BASE, points=24, last_step=11)
    assert changes(snapshot([BASE]), snapshot([later])) == [
        {"type": "points", "run": "a", "last_step": 11, "after_step": 9, "reset": False}
    ]


def test_fewer_points_mean_the_run_was_indexed_again() -> None:
    (message,) = changes(snapshot([BASE]), snapshot([replace(BASE, points=5, last_step=3)]))
    assert message["reset"] is True


def test_new_run_status_change_and_gone_run() -> None:
    new = replace(BASE, name="b", status="unknown")
    finished = replace(BASE, status="finished")
    assert changes(snapshot([BASE]), snapshot([finished, new])) == [
        {"type": "status", "run": "a", "status": "finished"},
        {"type": "new_run", "run": "b", "status": "unknown", "last_step": 9},
    ]
    assert changes(snapshot([BASE, new]), snapshot([new])) == [{"type": "gone", "run": "a"}]


def test_the_feed_pushes_a_new_run_and_its_points(serve, tmp_path: Path) -> None:
    """A real `lossboard serve` follows a log directory; a CSV log appears, then grows."""
    logs = tmp_path / "logs"
    (logs / "first").mkdir(parents=True)
    (logs / "first" / "log.csv").write_text("epoch,loss\n0,1.0\n")
    served = serve(str(logs), "--interval-s", "0.1")
    messages = []
    with httpx.stream("GET", served.url + "api/live", timeout=30) as feed:
        lines = feed.iter_lines()
        assert next(lines) == "retry: 1000"
        (logs / "second").mkdir()
        (logs / "second" / "log.csv").write_text("epoch,loss\n0,2.0\n")
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not any(m["type"] == "new_run" for m in messages):
            line = next(lines)
            if line.startswith("data: "):
                messages.append(json.loads(line[6:]))
        with open(logs / "first" / "log.csv", "a") as log:
            log.write("1,0.5\n")
        while time.monotonic() < deadline and not any(m["type"] == "points" for m in messages):
            line = next(lines)
            if line.startswith("data: "):
                messages.append(json.loads(line[6:]))
    # a CSVLogger file's epoch 0 is the epoch Keras prints as "Epoch 1/N": step 1 (def40db)
    assert {"type": "new_run", "run": "second", "status": "unknown", "last_step": 1} in messages
    assert {"type": "points", "run": "first", "last_step": 2, "after_step": 1, "reset": False} in messages


def test_one_poller_serves_every_page_and_stops_with_the_last() -> None:
    from lossboard.server.feed import Feed

    looks = []

    def look() -> dict:
        looks.append(len(looks))
        return snapshot([replace(BASE, points=20 + len(looks), last_step=9 + len(looks))])

    async def two_pages() -> tuple[list, int]:
        feed = Feed(look, interval_s=0.001)
        first, second = feed.updates(), feed.updates()
        rounds = [await asyncio.gather(anext(first), anext(second)) for _ in range(3)]
        await first.aclose()
        await second.aclose()
        closed_at = len(looks)
        await asyncio.sleep(0.05)  # fifty intervals: a poller still running would look fifty times
        return rounds, closed_at

    rounds, closed_at = asyncio.run(two_pages())
    assert len(looks) <= closed_at + 1
    assert all(mine == theirs for mine, theirs in rounds)  # both pages got the same looks
    assert rounds[0][0] == []  # the first look is the baseline
    assert [m["type"] for update, _ in rounds[1:] for m in update] == ["points", "points"]
    assert len(looks) <= 4  # one look per interval for both pages (3 rounds), not one each
