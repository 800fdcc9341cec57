"""The summary pyramid follows every write on both backends: appends, a value overwritten and
points inserted mid-series, a resume cut. Expected values come from the batches applied."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from lossboard.model import RESUME, Event
from lossboard.store import _chunks, _levels
from lossboard.store.base import Batch, Columns, SourceState
from lossboard.store.urls import open_store

from ._versions import old_store, put_old_series, sql

COUNT = 300_000  # enough for the top level at one bucket (2 blocks of 131,072 points)


def columns(step: np.ndarray, value: np.ndarray) -> Columns:
    nan = np.full(len(step), np.nan)
    return Columns("train/loss", "loss", step.astype(np.int64), nan, nan.copy(), value.astype(np.float64))


def write(url: str, batches: list[Columns], resumes: list[Event] = ()) -> None:
    store = open_store(url)
    try:
        for offset, batch in enumerate(batches, 1):
            store.apply(Batch(SourceState("a.csv", "a", "csv", 0, offset, 1, 1, offset), columns=[batch]))
        for resume in resumes:
            store.apply(Batch(SourceState("b.csv", "a", "csv", 1, 1, 2, 1, 1), resumes=[resume]))
    finally:
        store.close()


def assert_levels_match_the_chunks(url: str) -> None:
    """Level 1 is each chunk's records of every 32 points; the coarser levels are what `group_rows`
    makes of level 1, as if the series had been written at once."""
    chunks = sql(url, "SELECT first_step, last_step, count, step, epoch, wall_time, value, checksum FROM chunks "
                      "ORDER BY first_step")
    rows = sql(url, "SELECT level, first_step, last_step, count, points, checksum, epochs, epochs_checksum, wall_times, "
                    "wall_times_checksum FROM summaries ORDER BY level, first_step")
    stored = [(level, _levels.Row(first, last, count, bytes(points), crc, bytes(epochs), epochs_crc, bytes(walls), walls_crc))
              for level, first, last, count, points, crc, epochs, epochs_crc, walls, walls_crc in rows]
    level1 = [row for level, row in stored if level == 1]
    assert [row[:3] for row in level1] == [row[:3] for row in chunks]
    for chunk, summary in zip(chunks, level1):
        blobs = _levels.chunk_records(_chunks.decode("", "", [chunk[3:]]))
        assert summary[3:] == blobs
        assert [_chunks.checksum(blob) for blob in blobs[::2]] == list(blobs[1::2])
    want = sorted(_levels.group_rows(level1), key=lambda pair: (pair[0], pair[1].first_step))
    assert [pair for pair in stored if pair[0] > 1] == want
    assert len(want) >= 2 * 6


def test_appends_overwrites_inserts_and_a_cut_keep_every_level_in_step(store_url: str) -> None:
    rng = np.random.default_rng(5)
    step = np.arange(COUNT) * 2  # even steps: odd ones are inserted later
    value = rng.standard_normal(COUNT)
    value[[1_000, 250_000]] = [40.0, np.nan]
    # the first batch ends on a full chunk, so the next append starts a chunk in a partial group
    parts = np.split(np.arange(COUNT), [5 * 4096, 60_000, 100_000, 150_000, 200_000, 250_000])
    inserted = np.arange(100_001, 100_401, 2)
    overwritten = np.arange(400_000, 400_200, 2)
    write(
        store_url,
        [columns(step[part], value[part]) for part in parts]
        + [columns(inserted, np.full(len(inserted), -30.0)), columns(overwritten, np.full(len(overwritten), 0.5))],
        [Event(RESUME, 560_000, epoch=None)],
    )
    assert_levels_match_the_chunks(store_url)

    final_step = np.concatenate([step, inserted])
    final_value = np.concatenate([value, np.full(len(inserted), -30.0)])
    final_value[np.isin(final_step, overwritten)] = 0.5
    order = np.argsort(final_step)
    final_step, final_value = final_step[order], final_value[order]
    keep = final_step < 560_000
    final_step, final_value = final_step[keep], final_value[keep]

    store = open_store(store_url)
    try:
        data = store.read_series("a", "train/loss", buckets=1)
    finally:
        store.close()
    assert _levels.level_for(len(final_step), 1) == len(_levels.LEVEL_POINTS) - 1
    assert data.total_points == len(final_step)
    assert data.step[0] == final_step[0] and data.step[-1] == final_step[-1]
    assert {40.0, -30.0} <= set(data.value.tolist())
    assert 500_000 in data.step.tolist()  # the first NaN


def test_an_older_store_gains_every_level_and_reads_as_a_fresh_one(store_url: str, tmp_path) -> None:
    rng = np.random.default_rng(9)
    step = np.arange(COUNT)
    value = rng.standard_normal(COUNT)
    value[[77, 123_456]] = [1e6, np.nan]
    fresh_url = f"sqlite:///{tmp_path / 'fresh.db'}"
    write(fresh_url, [columns(step, value)])
    fresh = open_store(fresh_url)
    want = fresh.read_series("a", "train/loss", buckets=1)
    fresh.close()

    old_store(store_url, 1)  # chunks as version 1 wrote them; versions 2 to 5 migrate them forward
    put_old_series(store_url, "a", "a.csv", columns(step, value), version=1)
    store = open_store(store_url)
    try:
        got = store.read_series("a", "train/loss", buckets=1)
    finally:
        store.close()
    assert_levels_match_the_chunks(store_url)
    assert got.total_points == want.total_points == COUNT
    np.testing.assert_array_equal(got.step, want.step)
    np.testing.assert_array_equal(got.value, want.value)
    assert {77, 123_456} <= set(got.step.tolist())


def test_a_damaged_summary_of_any_level_is_found_by_verify_and_never_read_as_data(store_url: str) -> None:
    from lossboard.store.base import StoreError
    from lossboard.store.verify import verify

    step = np.arange(COUNT)
    write(store_url, [columns(step, np.cos(step / 500.0))])
    store = open_store(store_url)
    try:
        assert verify(store) == []
        for level, column in itertools.product(range(1, len(_levels.LEVEL_POINTS)), ("points", "epochs", "wall_times")):
            [(first, blob)] = sql(store_url, f"SELECT first_step, {column} FROM summaries WHERE level = ? "
                                             "ORDER BY first_step LIMIT 1", (level,))
            damaged = bytes(blob[:-1]) + bytes([blob[-1] ^ 1])
            update = f"UPDATE summaries SET {column} = ? WHERE level = ? AND first_step = ?"
            sql(store_url, update, (damaged, level, first))
            [message] = verify(store)
            assert message.startswith("run 'a', series 'train/loss' (loss): ") and "fails its checksum" in message
            buckets = COUNT // _levels.LEVEL_POINTS[level]
            with pytest.raises(StoreError, match="fails its checksum"):
                store.read_series("a", "train/loss", buckets=buckets)
            if column != "points":  # a read without this time column never touches it
                without = {"epochs": False, "wall_times": "epoch"}[column]
                bare = store.read_many([("a", "train/loss")], buckets=buckets, times=without)
                assert bare["a", "train/loss", "loss"].total_points == COUNT
            sql(store_url, update, (bytes(blob), level, first))
    finally:
        store.close()
