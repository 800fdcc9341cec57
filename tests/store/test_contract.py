"""The store contract (lossboard.store.base), run over every backend by the `store` fixture.

Expected values are written from the batches each test applies, never read back from a store.
"""

from __future__ import annotations

import math
import os
import signal
import struct
import subprocess
import sys
import time
from dataclasses import replace

import numpy as np
import pytest

from lossboard.errors import UsageError
from lossboard.model import RESUME, Event, FileProblem, Media
from lossboard.store.base import CHUNK_POINTS, Batch, Columns, SourceState, Store
from lossboard.store.urls import open_store

NAN = math.nan
INF = math.inf


def source(run: str = "a", path: str | None = None, *, offset: int = 100, **fields: object) -> SourceState:
    values: dict = dict(format="csv", ordinal=0, size=offset, inode=7, mtime_ns=1_700_000_000_000_000_000, run_name=run)
    values.update(fields)
    return SourceState(path or f"logs/{run}/metrics.csv", run, offset=offset, **values)


def cols(steps, values, *, epochs=None, walls=None, source_tag: str = "loss", tag: str = "train/loss") -> Columns:
    count = len(steps)
    return Columns(
        tag,
        source_tag,
        step=np.asarray(steps, dtype=np.int64),
        epoch=np.full(count, NAN) if epochs is None else np.asarray(epochs, dtype=np.float64),
        wall_time=np.full(count, NAN) if walls is None else np.asarray(walls, dtype=np.float64),
        value=np.asarray(values, dtype=np.float64),
    )


def by_tag(columns: dict[str, Columns]) -> list[Columns]:
    """Batch columns written as ``{label: columns}``, each taking its label."""
    return [replace(one, tag=tag) for tag, one in columns.items()]


def put(store: Store, run: str = "a", **kwargs: object) -> None:
    """Apply one batch to ``run``: ``columns`` by tag, and any other `Batch` field."""
    path = kwargs.pop("path", None)
    offset = kwargs.pop("offset", 100)
    kwargs["columns"] = by_tag(kwargs.get("columns", {}))  # type: ignore[arg-type]
    store.apply(Batch(source(run, path, offset=offset), **kwargs))  # type: ignore[arg-type]


def bits(array: np.ndarray) -> bytes:
    return np.asarray(array, dtype="<f8").tobytes()


def series(store: Store, run: str = "a", tag: str = "train/loss", **kwargs: object):
    data = store.read_series(run, tag, **kwargs)  # type: ignore[arg-type]
    assert data is not None, f"{run} {tag} missing"
    return data


# -- writing and reading back ----------------------------------------------------------------


def test_points_round_trip_exactly_with_nan_infinity_and_unknowns(store: Store) -> None:
    payload_nan = struct.unpack("<d", bytes.fromhex("0100000000f87f7f"))[0]
    values = [0.5, NAN, INF, -INF, -0.0, 5e-324, 1.7976931348623157e308, payload_nan]
    epochs = [0.0, 0.25, NAN, 1.0, NAN, 2.0, 2.5, 3.0]
    walls = [1e9, NAN, 1e9 + 2, 1e9 + 3.125, NAN, 1e9 + 5, 1e9 + 6, 1e9 + 7]
    steps = [0, 1, 2, 3, 4, 5, 2**40, 2**62]
    put(store, columns={"train/loss": cols(steps, values, epochs=epochs, walls=walls, source_tag="Loss")})
    data = series(store)
    assert data.step.tolist() == steps
    assert data.step.dtype == np.int64
    assert bits(data.value) == struct.pack("<8d", *values)
    assert bits(data.epoch) == struct.pack("<8d", *epochs)
    assert bits(data.wall_time) == struct.pack("<8d", *walls)
    assert (data.run, data.tag, data.source_tag, data.total_points) == ("a", "train/loss", "Loss", 8)


def test_a_series_longer_than_a_chunk_comes_back_whole_and_in_order(store: Store) -> None:
    count = 3 * CHUNK_POINTS + 5
    put(store, columns={"train/loss": cols(np.arange(count) * 2, np.arange(count) / 10)})
    data = series(store)
    assert data.step.tolist() == list(range(0, 2 * count, 2))
    assert data.value.tolist() == [i / 10 for i in range(count)]


def test_source_state_is_kept_with_its_batch_and_replaced_by_the_next(store: Store) -> None:
    assert store.source_state("logs/a/metrics.csv") is None
    first = source("a", offset=10, state=b"\x00parser\xff", ordinal=1, format="keras-stdout")
    store.apply(Batch(first, columns=[cols([1], [1.0])]))
    assert store.source_state("logs/a/metrics.csv") == first
    second = source("a", offset=20, state=None, ordinal=1, size=25, inode=8, mtime_ns=5)
    store.apply(Batch(second))
    assert store.source_state("logs/a/metrics.csv") == second
    other = source("b", offset=3, inode=2**64 - 5)  # some file systems use all 64 bits
    store.apply(Batch(other))
    assert sorted(store.sources(), key=lambda s: s.path) == [second, other]


def test_later_batches_append_and_win_a_step_they_share(store: Store) -> None:
    put(store, columns={"train/loss": cols([1, 2, 3], [1.0, 2.0, 3.0], walls=[10.0, 20.0, 30.0])})
    put(store, columns={"train/loss": cols([3, 4], [30.0, 40.0], walls=[31.0, 41.0])})
    put(store, columns={"train/loss": cols([2], [NAN])})
    data = series(store)
    assert data.step.tolist() == [1, 2, 3, 4]
    assert bits(data.value) == bits([1.0, NAN, 30.0, 40.0])
    assert bits(data.wall_time) == bits([10.0, NAN, 31.0, 41.0])


def test_within_a_batch_the_last_value_of_a_repeated_step_wins(store: Store) -> None:
    put(store, columns={"train/loss": cols([5, 1, 5], [1.0, 2.0, 3.0])})
    assert series(store).value.tolist() == [2.0, 3.0]


def test_a_merge_into_the_middle_of_many_chunks_keeps_every_other_point(store: Store) -> None:
    count = 3 * CHUNK_POINTS
    put(store, columns={"train/loss": cols(np.arange(0, 2 * count, 2), np.zeros(count))})
    put(store, columns={"train/loss": cols([1, CHUNK_POINTS * 2, 2 * count + 1], [1.0, 2.0, 3.0])})
    data = series(store)
    assert data.total_points == count + 2
    assert data.step[:3].tolist() == [0, 1, 2]
    assert data.value[data.step == CHUNK_POINTS * 2].tolist() == [2.0]
    assert data.step[-1] == 2 * count + 1 and data.value.sum() == 6.0
    (info,) = store.list_tags(["a"])
    assert (info.points, info.first_step, info.last_step, info.last_value) == (
        count + 2,
        0,
        2 * count + 1,
        3.0,
    )


def test_appending_single_points_across_a_chunk_boundary_keeps_all(store: Store) -> None:
    put(store, columns={"train/loss": cols(np.arange(CHUNK_POINTS - 1), np.arange(CHUNK_POINTS - 1.0))})
    for step in range(CHUNK_POINTS - 1, CHUNK_POINTS + 2):
        put(store, columns={"train/loss": cols([step], [float(step)])})
    data = series(store)
    assert data.step.tolist() == list(range(CHUNK_POINTS + 2))
    assert data.value.tolist() == [float(step) for step in range(CHUNK_POINTS + 2)]
    assert store.list_tags(["a"])[0].points == CHUNK_POINTS + 2


def test_many_overlapping_batches_keep_the_latest_value_of_every_step(store: Store) -> None:
    rng = np.random.default_rng(4)
    expected: dict[int, float] = {}
    for number in range(25):
        low = int(rng.integers(0, 3 * CHUNK_POINTS))
        steps = np.unique(rng.integers(low, low + int(rng.integers(1, 2 * CHUNK_POINTS)), size=1500))
        values = rng.permutation(len(steps)) + number * 10_000.0
        expected.update(zip(steps.tolist(), values.tolist()))
        put(store, columns={"train/loss": cols(steps, values)})
    data = series(store)
    assert data.step.tolist() == sorted(expected)
    assert data.value.tolist() == [expected[step] for step in sorted(expected)]
    (info,) = store.list_tags(["a"])
    assert (info.points, info.first_step, info.last_step) == (len(expected), min(expected), max(expected))


# -- resumes ---------------------------------------------------------------------------------


def test_a_resume_with_an_epoch_cuts_every_series_of_the_run_from_that_epoch(store: Store) -> None:
    put(
        store,
        columns={
            "train/loss": cols([10, 20, 30, 40], [4.0, 3.0, 2.0, 1.0], epochs=[1, 2, 3, 4]),
            "val/loss": cols([20, 40], [3.5, 1.5], epochs=[2, 4]),
        },
    )
    put(store, "b", columns={"train/loss": cols([10, 20, 30, 40], [1.0, 1.0, 1.0, 1.0], epochs=[1, 2, 3, 4])})
    resume = Event(RESUME, 25, epoch=3.0)
    put(
        store,
        path="logs/a/resumed.csv",
        resumes=[resume],
        columns={"train/loss": cols([30], [2.5], epochs=[3])},
    )
    assert series(store).step.tolist() == [10, 20, 30]
    assert series(store).value.tolist() == [4.0, 3.0, 2.5]
    assert series(store, tag="val/loss").step.tolist() == [20]
    assert series(store, "b").step.tolist() == [10, 20, 30, 40]
    assert [event for _, event in store.read_events(["a"])] == [resume]


def test_a_resume_cuts_by_step_where_the_series_has_no_epochs(store: Store) -> None:
    put(store, columns={"train/loss": cols(np.arange(2 * CHUNK_POINTS), np.ones(2 * CHUNK_POINTS))})
    put(store, resumes=[Event(RESUME, 100, epoch=0.0)], columns={"train/loss": cols([100], [7.0])})
    data = series(store)
    assert data.step.tolist() == list(range(101))
    assert data.value[-1] == 7.0
    (info,) = store.list_tags(["a"])
    assert (info.points, info.last_step, info.last_value) == (101, 100, 7.0)


def test_a_resume_in_a_later_chunk_keeps_the_earlier_chunks_whole(store: Store) -> None:
    count = 2 * CHUNK_POINTS + 100
    steps = np.arange(count)
    put(store, columns={"train/loss": cols(steps, steps * 2.0, epochs=steps / 100)})
    cut = CHUNK_POINTS + 50  # epoch cut / 100
    put(store, resumes=[Event(RESUME, 0, epoch=cut / 100)])
    data = series(store)
    assert data.step.tolist() == list(range(cut))
    assert data.value.tolist() == [step * 2.0 for step in range(cut)]
    assert store.list_tags(["a"])[0].points == cut


def test_points_of_unknown_epoch_survive_an_epoch_cut(store: Store) -> None:
    put(store, columns={"train/loss": cols([10, 20, 30, 40, 50], [1, 2, 3, 4, 5], epochs=[1, 2, 3, NAN, 4])})
    put(store, resumes=[Event(RESUME, 25, epoch=3.0)])
    assert series(store).step.tolist() == [10, 20, 40]


def test_a_series_cut_to_nothing_is_gone(store: Store) -> None:
    put(store, columns={"train/loss": cols([5, 6], [1.0, 2.0]), "val/loss": cols([1], [1.0])})
    put(store, resumes=[Event(RESUME, 3)])
    assert store.read_series("a", "train/loss") is None
    assert [info.tag for info in store.list_tags(["a"])] == ["val/loss"]


def test_a_resume_drops_the_events_from_its_epoch_or_step_on(store: Store) -> None:
    early, late = Event("checkpoint", 20, epoch=2.0), Event("checkpoint", 40, epoch=4.0)
    lr_early, lr_late = Event("lr_change", 15, text="0.1"), Event("lr_change", 35, text="0.01")
    put(store, events=[early, late, lr_early, lr_late], columns={"train/loss": cols([10], [1.0])})
    put(store, "b", events=[late])
    resume = Event(RESUME, 30, epoch=3.0)
    put(store, path="logs/a/resumed.csv", resumes=[resume], events=[Event("checkpoint", 30, epoch=3.0)])
    kept = [event for _, event in store.read_events(["a"])]
    # lr changes know no epoch: cut by step
    assert sorted(kept, key=repr) == sorted([early, lr_early, resume, Event("checkpoint", 30, epoch=3.0)], key=repr)
    assert [event for _, event in store.read_events(["b"])] == [late]


def test_a_resume_sent_also_as_an_event_is_recorded_once(store: Store) -> None:
    resume = Event(RESUME, 3, text="from checkpoint 3")
    put(store, resumes=[resume], events=[resume, Event("checkpoint", 3)])
    kinds = [event.kind for _, event in store.read_events(["a"])]
    assert sorted(kinds) == ["checkpoint", RESUME]


# -- atomicity -------------------------------------------------------------------------------


def test_a_batch_that_fails_half_way_leaves_nothing(store: Store) -> None:
    put(store, columns={"train/loss": cols([1], [1.0])}, offset=10)
    bad = Columns("train/zz", "acc", np.array(["x"]), np.array([NAN]), np.array([NAN]), np.array([1.0]))
    batch = Batch(
        source("a", offset=99),
        columns=[cols([2], [2.0]), bad],
        events=[Event("checkpoint", 2)],
        meta={"framework": "keras"},
    )
    with pytest.raises(ValueError):
        store.apply(batch)
    assert store.source_state("logs/a/metrics.csv").offset == 10
    assert series(store).step.tolist() == [1]
    assert [info.tag for info in store.list_tags(["a"])] == ["train/loss"]
    assert list(store.read_events(["a"])) == []
    assert store.list_runs()[0].meta == {}
    put(store, columns={"train/loss": cols([2], [2.0])}, offset=20)  # the store still works
    assert series(store).step.tolist() == [1, 2]


def test_a_failed_first_batch_leaves_no_run(store: Store) -> None:
    bad = Columns("train/zz", "acc", np.array(["x"]), np.array([NAN]), np.array([NAN]), np.array([1.0]))
    with pytest.raises(ValueError):
        store.apply(Batch(source("new"), columns=[cols([1], [1.0]), bad]))
    assert store.list_runs() == []
    assert store.sources() == []


def test_another_connection_sees_committed_batches(store: Store, store_url: str) -> None:
    reader = open_store(store_url)
    try:
        assert reader.list_runs() == []
        put(store, columns={"train/loss": cols([1, 2], [1.0, 2.0])})
        assert series(reader).value.tolist() == [1.0, 2.0]
    finally:
        reader.close()


# -- runs ------------------------------------------------------------------------------------


def test_reset_run_deletes_its_data_and_sources_only(store: Store) -> None:
    put(store, columns={"train/loss": cols([1], [1.0])}, events=[Event("checkpoint", 1)], meta={"k": "v"})
    put(store, "b", columns={"train/loss": cols([1], [1.0])})
    store.reset_run("a")
    assert [info.name for info in store.list_runs()] == ["b"]
    assert store.source_state("logs/a/metrics.csv") is None
    assert store.read_series("a", "train/loss") is None
    assert list(store.read_events(["a"])) == []
    put(store, columns={"train/loss": cols([5], [5.0])})
    assert series(store).step.tolist() == [5]


def test_list_runs_gives_sources_meta_counts_and_filters_by_regex(store: Store) -> None:
    before = time.time()
    put(store, "resnet-1", path="logs/resnet-1/b.log", offset=5, meta={"framework": "keras"})
    store.apply(
        Batch(
            source("resnet-1", "logs/resnet-1/a.log", ordinal=0, format="keras-stdout"),
            columns=by_tag({"train/loss": cols([3, 9], [1.0, 2.0]), "val/loss": cols([1], [1.0])}),
            meta={"lr": "0.1"},
        )
    )
    store.apply(Batch(source("resnet-1", "logs/resnet-1/b.log", ordinal=1, offset=6)))
    put(store, "vit", columns={"train/loss": cols([0], [1.0])})
    store.set_status("vit", "finished")
    runs = {info.name: info for info in store.list_runs()}
    resnet = runs["resnet-1"]
    assert resnet.sources == ("logs/resnet-1/a.log", "logs/resnet-1/b.log")
    assert resnet.formats == ("keras-stdout", "csv")
    assert resnet.meta == {"framework": "keras", "lr": "0.1"}
    assert (resnet.tags, resnet.points, resnet.first_step, resnet.last_step) == (2, 3, 1, 9)
    assert before <= resnet.updated <= time.time()
    assert runs["vit"].status == "finished"
    assert [info.name for info in store.list_runs("^res")] == ["resnet-1"]
    assert [info.name for info in store.list_runs("t$")] == ["vit"]
    assert [info.name for info in store.list_runs("net|vi")] == ["resnet-1", "vit"]


def test_runs_held_answers_which_display_names_exist(store: Store) -> None:
    """Names are matched whole and exactly: a run's own name is not held once two runs share it
    (each goes by its folder), and quotes, wildcards and other scripts are only characters."""
    for folder in ("projA", "projB"):
        store.apply(Batch(source(f"/p/{folder}/baseline", f"/p/{folder}/baseline/m.csv", run_name="baseline")))
    for odd in ("it's 50%_done", "Übung \"1\""):
        put(store, odd)
    asked = ["projA/baseline", "baseline", "projB/baseline", "projC/baseline", "it's 50%_done", "it's 5",
             "Übung \"1\"", "%", "projA/baseline"]
    assert store.runs_held(asked) == {"projA/baseline", "projB/baseline", "it's 50%_done", "Übung \"1\""}
    assert store.runs_held([]) == set()


def test_a_run_without_points_lists_with_no_steps(store: Store) -> None:
    put(store, "empty")
    (info,) = store.list_runs()
    assert (info.name, info.tags, info.points, info.first_step, info.last_step) == ("empty", 0, 0, None, None)


def test_set_status_replaces_the_status(store: Store) -> None:
    put(store)
    store.set_status("a", "running")
    store.set_status("a", "killed")
    assert store.list_runs()[0].status == "killed"


def test_list_tags_gives_counts_and_last_values_per_run(store: Store) -> None:
    put(
        store,
        columns={
            "train/loss": cols([1, 5, 3], [1.0, 5.0, 3.0]),
            "val/acc": cols([2], [NAN], source_tag="va"),
        },
    )
    put(store, "b", columns={"train/loss": cols([7], [-INF])})
    infos = store.list_tags(["b", "a", "missing"])
    assert [(i.run, i.tag, i.points, i.first_step, i.last_step) for i in infos] == [
        ("b", "train/loss", 1, 7, 7),
        ("a", "train/loss", 3, 1, 5),
        ("a", "val/acc", 1, 2, 2),
    ]
    assert [i.last_value for i in infos[:2]] == [-INF, 5.0]
    assert math.isnan(infos[2].last_value) and infos[2].source_tag == "va"


# -- reading ranges and downsampling ---------------------------------------------------------


def test_read_series_by_step_range_and_time_range(store: Store) -> None:
    steps = np.arange(0, 10_000, 10)
    walls = 1000.0 + steps / 10
    walls[5] = NAN
    put(store, columns={"train/loss": cols(steps, steps * 1.0, walls=walls)})
    data = series(store, step_range=(25, 60))
    assert data.step.tolist() == [30, 40, 50, 60] and data.total_points == 4
    data = series(store, time_range=(1002.0, 1006.0))
    assert data.step.tolist() == [20, 30, 40, 60]  # step 50 has no wall time
    data = series(store, step_range=(0, 9000), time_range=(1899.0, 2000.0))
    assert data.step.tolist() == [8990, 9000]
    assert series(store, step_range=(20_000, 30_000)).total_points == 0
    assert store.read_series("a", "val/none") is None
    assert store.read_series("nobody", "train/loss") is None


def test_a_spike_in_a_million_points_survives_100_buckets(store: Store) -> None:
    count = 1_000_000
    value = np.full(count, 0.5)
    value[123_457] = 1e6
    value[876_543] = NAN
    put(store, columns={"train/loss": cols(np.arange(count), value)})
    data = series(store, buckets=100)
    assert data.total_points == count
    assert len(data.step) <= 400
    assert data.step[0] == 0 and data.step[-1] == count - 1
    assert 1e6 in data.value.tolist()
    assert data.step[data.value == 1e6].tolist() == [123_457]
    assert data.step[np.isnan(data.value)].tolist() == [876_543]
    assert (np.diff(data.step) > 0).all()


def test_a_wide_downsampled_range_keeps_its_ends_spikes_and_counts(store: Store) -> None:
    count = 100_000  # 25 chunks; the range starts and ends inside chunks
    value = np.cos(np.arange(count) / 1000.0)
    value[[4_000, 50_001, 95_000]] = [9.0, -9.0, 9.0]
    value[60_000] = NAN
    put(store, columns={"train/loss": cols(np.arange(count), value, walls=np.arange(count) + 1e9)})
    data = series(store, step_range=(5_000, 94_999), buckets=50)  # 1,800 points a bucket
    assert data.total_points == 90_000
    assert data.step[0] == 5_000 and data.step[-1] == 94_999
    assert data.step[data.value == -9.0].tolist() == [50_001]
    assert 9.0 not in data.value  # both spikes lie outside the range
    assert data.step[np.isnan(data.value)].tolist() == [60_000]
    assert data.wall_time.tolist() == (data.step + 1e9).tolist()
    assert len(data.step) <= 5 * 50 and (np.diff(data.step) > 0).all()


def test_downsampling_a_step_range_buckets_that_range(store: Store) -> None:
    steps = np.arange(100)
    value = np.zeros(100)
    value[[12, 37]] = [5.0, -5.0]
    put(store, columns={"train/loss": cols(steps, value, walls=steps + 1e9)})
    data = series(store, step_range=(10, 49), buckets=2)  # buckets 10..29 and 30..49
    assert data.step.tolist() == [10, 12, 29, 30, 37, 49]
    assert data.wall_time.tolist() == [1e9 + s for s in (10, 12, 29, 30, 37, 49)]
    assert data.total_points == 40


def test_downsampling_zero_buckets_is_refused(store: Store) -> None:
    put(store, columns={"train/loss": cols([1, 2], [1.0, 2.0])})
    with pytest.raises(UsageError):
        store.read_series("a", "train/loss", buckets=0)


# -- events, media, problems -----------------------------------------------------------------


def test_events_and_media_round_trip(store: Store) -> None:
    events = [
        Event("lr_change", 10, epoch=1.0, wall_time=1e9, text="lr 0.1 -> 0.01"),
        Event("checkpoint", 20),
    ]
    media = [
        Media("image", "samples", 10, 1e9, {"path": "img/10.png"}),
        Media("histogram", "weights", 10, None, {"limits": [0.0, 1.0, INF], "counts": [3, 4, 0]}),
        Media("image", "samples", 20, 1e9 + 1, {"path": "img/20.png"}),
    ]
    put(store, events=events, media=media)
    put(store, "b", media=[Media("text", "notes", 1, None, {"text": "héllo"})])
    assert [(run, event) for run, event in store.read_events(["a", "b"])] == [("a", e) for e in events]
    got = sorted(store.read_media(["a", "b"]), key=lambda item: (item[0], item[1].tag, item[1].step))
    assert got == [
        ("a", media[0]),
        ("a", media[2]),
        ("a", media[1]),
        ("b", Media("text", "notes", 1, None, {"text": "héllo"})),
    ]
    assert [m for _, m in store.read_media(["a"], tags=["weights"])] == [media[1]]


def test_media_are_read_by_step_range_and_tag_in_the_database(store: Store) -> None:
    """One image of a slider without reading every record of the tag (the step filter)."""
    media = [Media("image", "samples", step, None, {"path": f"img/{step}.png"}) for step in range(0, 5000, 10)]
    media += [Media("histogram", "weights", step, None, {"counts": [step]}) for step in range(0, 5000, 10)]
    put(store, media=media)
    assert [m for _, m in store.read_media(["a"], ["samples"], steps=(2500, 2500))] == [media[250]]
    assert [m.step for _, m in store.read_media(["a"], ["samples"], steps=(2495, 2521))] == [2500, 2510, 2520]
    assert [m for _, m in store.read_media(["a"], ["samples"], steps=(2501, 2509))] == []
    both = [(m.tag, m.step) for _, m in store.read_media(["a"], steps=(0, 10))]
    assert both == [("samples", 0), ("samples", 10), ("weights", 0), ("weights", 10)]
    assert [m.step for _, m in store.read_media(["a"], ["weights", "none"], steps=(-5, 0))] == [0]


def test_problems_are_kept_with_their_file_and_line(store: Store) -> None:
    problems = [
        FileProblem("logs/a/x.log", 12, "expected a number"),
        FileProblem("logs/a/y.log", 0, "corrupt"),
    ]
    put(store, problems=problems)
    put(store, "b", problems=[FileProblem("logs/b/z.log", 3, "garbage")])
    assert list(store.read_problems(["a"])) == [("a", problem) for problem in problems]
    store.reset_run("a")
    assert list(store.read_problems(["a", "b"])) == [("b", FileProblem("logs/b/z.log", 3, "garbage"))]


# -- the indexing lock -----------------------------------------------------------------------


def test_a_lock_is_exclusive_between_connections(store: Store, store_url: str) -> None:
    other = open_store(store_url)
    try:
        with store.lock("index") as taken:
            assert taken
            with other.lock("index") as also:
                assert not also
            with other.lock("another") as different:
                assert different
        with other.lock("index") as taken_after:
            assert taken_after
    finally:
        other.close()


_HOLDER = """
import sys
from lossboard.store.urls import open_store
store = open_store(sys.argv[1])
with store.lock("index") as taken:
    print(taken, flush=True)
    sys.stdin.readline()
"""


def _holder(store_url: str) -> subprocess.Popen:
    child = subprocess.Popen(
        [sys.executable, "-c", _HOLDER, store_url],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdout.readline().strip() == "True"
    return child


def test_a_lock_held_by_another_process_is_not_taken(store: Store, store_url: str) -> None:
    child = _holder(store_url)
    try:
        with store.lock("index") as taken:
            assert not taken
    finally:
        child.communicate("\n", timeout=30)
    assert child.returncode == 0
    with store.lock("index") as taken:
        assert taken


def test_a_lock_of_a_killed_process_is_taken_over(store: Store, store_url: str) -> None:
    child = _holder(store_url)
    os.kill(child.pid, signal.SIGKILL)
    child.communicate(timeout=30)
    with store.lock("index") as taken:
        assert taken
