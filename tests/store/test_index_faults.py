"""Indexer faults: killed with SIGKILL mid-batch and restarted, two indexers at once, bad files."""

from __future__ import annotations

import random
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from lossboard import eventfile
from lossboard.store.indexer import LOCK, index_paths
from lossboard.store.sqlite import SQLiteStore

from ._indexing import assert_store_equals_load, load_gen_mxnet, mxnet_epoch

# An indexer that says "applied" after each committed batch, so the test can kill it at a
# chosen batch without sleeping: the kill lands while it reads and parses the next one.
_CHILD = """
import sys
from lossboard.store.indexer import index_paths
from lossboard.store.sqlite import SQLiteStore

store = SQLiteStore(sys.argv[1])
apply = store.apply
def noisy(batch):
    apply(batch)
    print("applied", flush=True)
store.apply = noisy
print(index_paths(store, [sys.argv[2]], batch_bytes=int(sys.argv[3])), flush=True)
"""


def _start(db: Path, logs: Path, batch_bytes: int = 32_768) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", _CHILD, str(db), str(logs), str(batch_bytes)],
                            stdout=subprocess.PIPE, text=True)


def assert_same_index(got: SQLiteStore, want: SQLiteStore) -> None:
    runs = [info.name for info in want.list_runs()]
    assert [info.name for info in got.list_runs()] == runs
    assert got.list_tags(runs) == want.list_tags(runs)
    for tag in want.list_tags(runs):
        a, b = got.read_series(tag.run, tag.tag), want.read_series(tag.run, tag.tag)
        for column in ("step", "epoch", "wall_time", "value"):
            assert np.array_equal(getattr(a, column), getattr(b, column), equal_nan=True)
    assert list(got.read_events(runs)) == list(want.read_events(runs))
    assert list(got.read_problems(runs)) == list(want.read_problems(runs))


@pytest.fixture(scope="module")
def big_log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    logs = tmp_path_factory.mktemp("big")
    load_gen_mxnet().write_log(logs / "resnet-imagenet.log", "new", 2_000_000, batches=400, frequent=20)
    return logs


def test_killed_during_a_batch_and_restarted_equals_a_fresh_index(tmp_path: Path, big_log: Path) -> None:
    db = tmp_path / "index.sqlite"
    rng = random.Random(4)
    for _ in range(4):
        child = _start(db, big_log)
        for _ in range(rng.randint(1, 12)):
            assert child.stdout.readline() == "applied\n"
        child.send_signal(signal.SIGKILL)
        child.communicate()
        assert child.returncode == -signal.SIGKILL
    child = _start(db, big_log)
    child.communicate()
    assert child.returncode == 0
    with SQLiteStore(db) as restarted, SQLiteStore(":memory:") as fresh:
        index_paths(fresh, [big_log])
        assert_same_index(restarted, fresh)
        assert_store_equals_load(restarted, big_log)


def test_a_second_indexer_waits_for_the_lock(tmp_path: Path) -> None:
    (tmp_path / "resnet.log").write_text(mxnet_epoch(0, 0.5))
    db = tmp_path / "index.sqlite"
    with SQLiteStore(db) as first, SQLiteStore(db) as second:
        with first.lock(LOCK) as taken:
            assert taken
            summary = index_paths(second, [tmp_path])
        assert summary.locked and second.list_runs() == []
        assert not index_paths(second, [tmp_path]).locked


def test_two_indexers_at_once_do_not_duplicate_data(tmp_path: Path, big_log: Path) -> None:
    db = tmp_path / "index.sqlite"
    SQLiteStore(db).close()  # created first, so neither child races to create the schema
    children = [_start(db, big_log), _start(db, big_log)]
    for child in children:
        child.communicate()
        assert child.returncode == 0
    with SQLiteStore(db) as store, SQLiteStore(":memory:") as fresh:
        index_paths(store, [big_log])  # whichever was refused the lock left the rest to this pass
        index_paths(fresh, [big_log])
        assert_same_index(store, fresh)


def test_a_corrupt_file_is_a_problem_with_its_path_and_the_others_are_indexed(tmp_path: Path) -> None:
    (tmp_path / "resnet.log").write_text(mxnet_epoch(0, 0.5) + mxnet_epoch(1, 0.6))
    run = tmp_path / "writer"
    run.mkdir()
    records = eventfile.encode_scalars(["loss"], [1], [0.5], [1e9])
    damaged = bytearray(records)
    damaged[-1] ^= 0xFF  # the payload no longer matches its checksum
    events = run / "events.lossboard.20250101T000000.000000Z.host.1.aaaa"
    events.write_bytes(eventfile.encode_header({}) + bytes(damaged)
                       + eventfile.encode_scalars(["loss"], [2], [0.25], [1e9 + 1]))
    (tmp_path / "junk.log").write_bytes(bytes(range(256)) * 4)
    with SQLiteStore(":memory:") as store:
        summary = index_paths(store, [tmp_path])
        assert [Path(f.path).name for f in summary.failures] == ["junk.log"]
        assert sorted(info.name for info in store.list_runs()) == ["resnet", "writer"]
        [(_, problem)] = store.read_problems(["writer"])
        assert problem.path == str(events) and "skipped" in problem.message
        assert store.read_series("writer", "train/loss").value.tolist() == [0.25]
        assert store.read_series("resnet", "val/accuracy").value.tolist() == pytest.approx([0.45, 0.55])
