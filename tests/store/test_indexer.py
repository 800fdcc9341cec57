"""The indexer: a store filled from logs equals `lossboard.load` of the same paths, however
the files grew, were stitched, truncated or replaced between passes."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from lossboard import eventfile
from lossboard.cli import interrupted
from lossboard.errors import UnknownFormatError
from lossboard.sources.logdir import load_paths
from lossboard.store.indexer import Indexer, index_paths
from lossboard.store.sqlite import SQLiteStore

from ._indexing import assert_store_equals_load, load_gen_mxnet, mxnet_epoch


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def store():
    with SQLiteStore(":memory:") as store:
        yield store


@pytest.mark.corpus
def test_the_corpus_indexes_as_it_loads(store, corpus: Path) -> None:
    summary = index_paths(store, [corpus])
    assert_store_equals_load(store, corpus)
    # the files the loader skips are reported with their paths, the rest indexed
    skipped = sorted(Path(f.path).name for f in load_paths([corpus]).failures)
    assert "densenet-mxnet_failed_start_train_20180307.log" in skipped
    assert sorted(Path(f.path).name for f in summary.failures) == skipped


def test_the_project_fixture_logs_index_as_they_load(store, data: Path) -> None:
    index_paths(store, [data])
    assert_store_equals_load(store, data)


def test_a_second_pass_over_unchanged_files_reads_nothing(store, data: Path) -> None:
    index_paths(store, [data / "keras"])
    again = index_paths(store, [data / "keras"])
    assert (again.files_read, again.bytes_read, again.reset) == (0, 0, [])


def _mxnet_log(tmp_path: Path) -> tuple[str, bytes, int | None]:
    """A text log fed through a UTF-8 decoder, ending with a multi-byte character."""
    whole = tmp_path / "whole.log"
    load_gen_mxnet().write_log(whole, "new", 200_000, batches=200, frequent=20)
    return "resnet.log", whole.read_bytes() + "INFO:root:données é\n".encode(), None


def _csv_table(tmp_path: Path) -> tuple[str, bytes, int | None]:
    """A table its parser reads as bytes (`feed_bytes`): ~1.5 MB, more than one feed a pass, of
    40,000 losses."""
    rows = "".join(f"{i},{i // 100},{1 / (i + 1)!r},{i % 7 / 3!r},é\r\n" for i in range(40_000))
    return "metrics.csv", ("step,epoch,loss,acc,note\r\n" + rows).encode(), 40_000


@pytest.mark.parametrize("make", [_mxnet_log, _csv_table])
@pytest.mark.parametrize("cut", [0.5, 0.37])  # 0.37 falls inside a line
def test_appending_to_a_log_equals_a_fresh_index(tmp_path: Path, cut: float, make) -> None:
    name, text, losses = make(tmp_path)
    log = tmp_path / "logs" / name
    log.parent.mkdir()
    half = int(len(text) * cut)
    log.write_bytes(text[:half])
    with SQLiteStore(":memory:") as store:
        indexer = Indexer(store, [log.parent], batch_bytes=16_384)
        indexer.run_pass(final=False)
        with open(log, "ab") as file:
            file.write(text[half:])
        second = indexer.run_pass(final=True)
        assert second.bytes_read == len(text) - half and second.reset == []
        assert_store_equals_load(store, log.parent)
        if losses is not None:  # the log's own count: a table read as nothing on both sides would be equal too
            (run,) = store.list_runs()
            assert store.read_series(run.name, "train/loss").value.size == losses


@pytest.mark.parametrize(
    ("name", "text", "last"),
    [  # a text parser (its decoder's state is saved) and a table parser fed bytes (its own)
        ("run.log", "epoch=1 step=10 loss=0.5\nepoch=1 step=15 loss=0.75 note=données\n", "epoch=1 step=20 loss=0.25\n"),
        ("run.csv", "step,loss,note\n10,0.5,a\n15,0.75,données\n", "20,0.25,b\n"),
    ],
)
def test_a_utf8_character_split_between_passes_survives_a_restart(
    tmp_path: Path, name: str, text: str, last: str
) -> None:
    log = tmp_path / name
    line = text.encode()
    cut = line.index("é".encode()) + 1  # between the two bytes of "é"
    log.write_bytes(line[:cut])
    db = tmp_path / "index.sqlite"
    with SQLiteStore(db) as store:
        Indexer(store, [log]).run_pass(final=False)
    with open(log, "ab") as file:
        file.write(line[cut:] + last.encode())
    with SQLiteStore(db) as store:  # a new process: the parser and decoder come from the store
        summary = Indexer(store, [log]).run_pass(final=True)
        assert summary.reset == []
        [loss] = store.list_tags(["run"])
        assert store.read_series("run", loss.tag).value.tolist() == [0.5, 0.75, 0.25]


def test_a_new_later_file_of_a_stitched_run_wins_where_epochs_overlap(store, tmp_path: Path) -> None:
    first = tmp_path / "resnet_0.log"
    first.write_text("".join(mxnet_epoch(e, 0.50 + e / 100) for e in range(5)))
    index_paths(store, [tmp_path])
    # restarted from the checkpoint of epoch 3
    second = tmp_path / "resnet_65.log"
    second.write_text("".join(mxnet_epoch(e, 0.70 + e / 100) for e in range(3, 7)))
    index_paths(store, [tmp_path])
    assert_store_equals_load(store, tmp_path)
    val = store.read_series("resnet", "val/accuracy")
    assert val.value.tolist() == pytest.approx([0.45, 0.46, 0.47, 0.68, 0.69, 0.70, 0.71])
    # a third file joins a run of two: indexed alone, with the resume the stitcher infers
    third = tmp_path / "resnet_130.log"
    third.write_text("".join(mxnet_epoch(e, 0.90 + e / 100) for e in range(5, 8)))
    summary = index_paths(store, [tmp_path])
    assert summary.reset == [] and summary.files_read == 1
    assert_store_equals_load(store, tmp_path)
    resumes = [e for _, e in store.read_events(["resnet"]) if e.kind == "resume"]
    assert [e.epoch for e in resumes] == [3.0, 5.0]


def test_an_earlier_file_of_a_stitched_run_that_grows_reindexes_the_run(store, tmp_path: Path) -> None:
    (tmp_path / "resnet_0.log").write_text(mxnet_epoch(0, 0.5))
    (tmp_path / "resnet_65.log").write_text(mxnet_epoch(1, 0.6))
    index_paths(store, [tmp_path])
    with open(tmp_path / "resnet_0.log", "a") as file:
        file.write(mxnet_epoch(1, 0.55) + mxnet_epoch(2, 0.56))
    assert index_paths(store, [tmp_path]).reset == ["resnet"]
    assert_store_equals_load(store, tmp_path)


def test_a_file_truncated_and_rewritten_during_watch_is_followed(store, tmp_path: Path) -> None:
    log = tmp_path / "resnet.log"
    log.write_text("".join(mxnet_epoch(e, 0.5 + e / 100) for e in range(6)))
    passes = []
    indexer = Indexer(store, [tmp_path], clock=FakeClock())
    indexer.watch(interval_s=1.0, sleep=lambda s: None, passes=1, report=passes.append)
    with open(log, "r+") as file:  # the job restarted and rewrote its log in place: shorter
        file.truncate(0)
        file.write(mxnet_epoch(0, 0.9))
    indexer.watch(interval_s=1.0, sleep=lambda s: None, passes=1, report=passes.append)
    assert passes[-1].reset == ["resnet"]
    assert_store_equals_load(store, tmp_path)
    assert store.read_series("resnet", "val/accuracy").value.tolist() == [pytest.approx(0.85)]
    # rewritten again, now longer than before, between two polls: the old bytes are gone
    log.write_text("".join(mxnet_epoch(e, 0.2 + e / 100) for e in range(8)))
    indexer.run_pass(final=False)
    assert_store_equals_load(store, tmp_path)


def test_a_replaced_file_is_indexed_again(store, tmp_path: Path) -> None:
    log = tmp_path / "resnet.log"
    log.write_text(mxnet_epoch(0, 0.5) + mxnet_epoch(1, 0.6))
    indexer = Indexer(store, [tmp_path])
    indexer.run_pass(final=False)
    fresh = tmp_path / "new.tmp"
    fresh.write_text(mxnet_epoch(0, 0.3) + mxnet_epoch(1, 0.4) + mxnet_epoch(2, 0.45))
    os.replace(fresh, log)  # a new inode under the old name
    assert indexer.run_pass(final=False).reset == ["resnet"]
    assert_store_equals_load(store, tmp_path)


def test_the_last_line_without_newline_waits_until_the_file_is_idle(store, tmp_path: Path) -> None:
    log = tmp_path / "run.log"
    log.write_text("step=1 loss=0.5\nstep=2 loss=0.25")
    clock = FakeClock()
    indexer = Indexer(store, [log], idle_s=30.0, clock=clock)
    indexer.run_pass(final=False)
    [loss] = store.list_tags(["run"])
    assert store.read_series("run", loss.tag).step.tolist() == [1]
    clock.now = 31.0
    indexer.run_pass(final=False)  # idle now: flushed
    assert store.read_series("run", loss.tag).step.tolist() == [1, 2]
    # the "finished" line goes on after all: the run is read again, the line complete
    with open(log, "a") as file:
        file.write("5\nstep=3 loss=0.125\n")
    assert indexer.run_pass(final=False).reset == ["run"]
    assert store.read_series("run", loss.tag).value.tolist() == [0.5, 0.255, 0.125]


def test_a_parser_holding_back_a_first_epoch_continues_after_a_restart(tmp_path: Path) -> None:
    # MXNet holds a first epoch's batch lines until it knows the epoch's length
    log = tmp_path / "mx.log"
    batch = "INFO:root:Epoch[0] Batch [{}]\tSpeed: 1000.00 samples/sec\taccuracy={:f}\n"
    log.write_text("".join(batch.format(b, b / 1000) for b in range(20, 200, 20)))
    db = tmp_path / "index.sqlite"
    with SQLiteStore(db) as store:
        Indexer(store, [log]).run_pass(final=False)
        assert store.source_state(str(log)).state is not None
    with open(log, "a") as file:
        file.write(mxnet_epoch(0, 0.5) + batch.replace("[0]", "[1]").format(20, 0.6))
    with SQLiteStore(db) as store:
        assert Indexer(store, [log]).run_pass(final=True).reset == []
        assert_store_equals_load(store, log)


def test_lossboard_event_files_of_one_directory_grow_side_by_side(store, tmp_path: Path) -> None:
    run = tmp_path / "run1"
    run.mkdir()
    a = run / "events.lossboard.20250101T000000.000000Z.host.1.aaaa"
    b = run / "events.lossboard.20250101T000001.000000Z.host.2.bbbb"
    a.write_bytes(eventfile.encode_header({}) + eventfile.encode_scalars(["loss"], [1], [0.5], [1e9]))
    b.write_bytes(eventfile.encode_header({}) + eventfile.encode_scalars(["acc"], [1], [0.1], [1e9]))
    index_paths(store, [tmp_path])
    with open(a, "ab") as file:  # the earlier file grows: no reset for files written side by side
        file.write(eventfile.encode_scalars(["loss"], [2], [float("nan")], [1e9 + 1]))
    assert index_paths(store, [tmp_path]).reset == []
    assert_store_equals_load(store, tmp_path)
    assert np.isnan(store.read_series("run1", "train/loss").value[1])


def test_summary_reads_as_one_line(store, data: Path) -> None:
    logs = sorted((data / "keras").glob("*.log"))
    text = str(index_paths(store, [data / "keras"]))
    runs = len(store.list_runs())
    assert text.startswith(f"indexed {runs} runs: {len(logs)} files read") and "\n" not in text


def test_progress_is_reported_after_each_run_and_an_interrupt_keeps_what_was_committed(
    tmp_path: Path,
) -> None:
    """Issue 11: a long index shows its progress, and Ctrl-C says what was committed."""
    for name in ("a", "b", "c"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "train.log").write_text(mxnet_epoch(0, 0.5) + mxnet_epoch(1, 0.6))
    seen: list[tuple[int, int, int]] = []

    def progress(summary, runs: int) -> None:
        seen.append((summary.runs, runs, summary.points))
        if summary.runs == 2:
            raise KeyboardInterrupt  # the user's Ctrl-C, after the second run

    store = SQLiteStore(":memory:")
    indexer = Indexer(store, [tmp_path], progress=progress)
    with pytest.raises(KeyboardInterrupt):
        indexer.run_pass(final=True)
    assert [(done, total) for done, total, _ in seen] == [(1, 3), (2, 3)]
    assert seen[0][2] > 0 and seen[1][2] == 2 * seen[0][2]
    assert len(store.list_runs()) == 2 and indexer.summary.runs == 2
    message = interrupted(indexer.summary)
    assert "indexed 2 runs" in message and "again" in message
    # the same command again goes on: the third run is indexed, the first two are not read again
    again = Indexer(store, [tmp_path]).run_pass(final=True)
    assert len(store.list_runs()) == 3 and again.points == seen[0][2]


def test_watching_waits_quietly_for_a_just_started_log_to_show_its_format(tmp_path: Path) -> None:
    """Issue 11: `--watch` warned "no known log format" for a run that had just started."""
    log = tmp_path / "run" / "train.log"
    log.parent.mkdir()
    log.write_text("Loading data...\n")  # all a fresh run has printed so far
    store = SQLiteStore(":memory:")
    indexer = Indexer(store, [tmp_path])
    # (the directory itself is said once to hold no log yet; the file is not called unknown)
    assert not [f for f in indexer.run_pass(final=False).failures if isinstance(f, UnknownFormatError)]
    # the final pass of a plain `index` still names the file it could not read
    assert str(log) in [f.path for f in index_paths(store, [tmp_path]).failures]
    with open(log, "a") as file:
        file.write(mxnet_epoch(0, 0.5))
    summary = indexer.run_pass(final=False)
    assert summary.failures == [] and summary.points > 0


def test_a_run_is_dated_by_its_files_not_by_its_indexing(tmp_path: Path) -> None:
    log = tmp_path / "run" / "train.log"
    log.parent.mkdir()
    log.write_text(mxnet_epoch(0, 0.5))
    os.utime(log, (1_600_000_000, 1_600_000_000))  # written in 2020
    store = SQLiteStore(":memory:")
    index_paths(store, [tmp_path])
    (run,) = store.list_runs()
    assert run.modified == 1_600_000_000 and run.data_time == 1_600_000_000 and run.updated > run.modified


def test_a_bar_that_never_ends_its_line_is_indexed_as_it_is_drawn(store, tmp_path: Path) -> None:
    """Issue 10, live: a tqdm bar redraws one line for a whole epoch; its finished redraws
    reach the store (and the dashboard) before the line's newline, and nothing is doubled
    when the line ends."""
    log = tmp_path / "train.log"

    def state(n: int) -> str:
        return f"Epoch 1: {n * 10:3d}%|{'#' * n:<10}| {n}/10 [00:0{n}<00:09, 1.00it/s, loss={1 - n / 20:.2f}]"

    log.write_text("\r".join(state(n) for n in range(1, 5)))
    os.utime(log, (1e9, 1e9))  # old enough to be detected now
    clock = FakeClock()  # and never idle: the unfinished line is not flushed
    indexer = Indexer(store, [log], idle_s=30.0, clock=clock)
    indexer.run_pass(final=False)
    [run] = store.list_runs()

    def loss() -> list[float]:
        return store.read_series(run.name, "train_batch/loss").value.tolist()

    assert loss() == [0.95, 0.9, 0.85]
    with open(log, "a") as file:
        file.write("\r" + "\r".join(state(n) for n in range(5, 8)))
    indexer.run_pass(final=False)
    assert loss() == [0.95, 0.9, 0.85, 0.8, 0.75, 0.7]
    with open(log, "a") as file:
        file.write("\r" + "\r".join(state(n) for n in range(8, 11)) + "\n")
    assert indexer.run_pass(final=False).reset == []
    assert store.read_series(run.name, "train_batch/loss").step.tolist() == list(range(1, 11))
