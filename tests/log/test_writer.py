"""SummaryWriter: every add_* method round-trips through lossboard.load."""

from __future__ import annotations

import math
import os
import socket
import struct
import warnings
from pathlib import Path

import matplotlib
import numpy as np
import pytest

import lossboard
from lossboard.errors import LossboardError, UsageError
from lossboard.log import writer as writer_module
from lossboard.log.writer import SummaryWriter

matplotlib.use("Agg")


class FakeTensor:
    """Stands in for a 0-d torch tensor: recognised by its module name and `.item()`."""

    __module__ = "torch"

    def __init__(self, value):
        self._value = value

    def item(self):
        return self._value


def load_one(path) -> lossboard.Run:
    runs = lossboard.load(path)
    assert len(runs) == 1
    return runs[0]


def read_png(logdir: Path, media) -> np.ndarray:
    import matplotlib.image

    return np.round(matplotlib.image.imread(logdir / media.data["path"]) * 255).astype(int)


def test_scalars_round_trip_with_steps_wall_times_and_non_finite_values(tmp_path):
    values = [0.5, math.nan, math.inf, -math.inf, -0.0, 1e300]
    with SummaryWriter(tmp_path) as writer:
        for step, value in enumerate(values):
            writer.add_scalar("Loss/train", value, step * 10, walltime=1_700_000_000.0 + step)
    series = load_one(tmp_path).series["train/loss"]
    assert series.source_tag == "Loss/train"
    assert series.step.tolist() == [0, 10, 20, 30, 40, 50]
    assert [struct.pack("<d", v) for v in series.value] == [struct.pack("<d", v) for v in values]
    assert series.wall_time.tolist() == [1_700_000_000.0 + s for s in range(6)]


def test_numpy_scalars_and_zero_d_tensors_are_numbers(tmp_path):
    with SummaryWriter(tmp_path) as writer:
        writer.add_scalar("a", np.float32(0.25), np.int64(1))
        writer.add_scalar("a", np.array(0.5), FakeTensor(2))
        writer.add_scalar("a", FakeTensor(0.75), 3)
        writer.add_scalar("a", True, 4)
    series = load_one(tmp_path).series["train/a"]
    assert series.step.tolist() == [1, 2, 3, 4]
    assert series.value.tolist() == [0.25, 0.5, 0.75, 1.0]


def test_real_torch_tensors_are_numbers_and_images(tmp_path):
    torch = pytest.importorskip("torch", reason="torch is not installed in this environment")
    with SummaryWriter(tmp_path) as writer:
        writer.add_scalar("a", torch.tensor(0.5), torch.tensor(3))
        writer.add_image("img", torch.zeros(3, 2, 2, dtype=torch.uint8), 0)
    run = load_one(tmp_path)
    assert run.series["train/a"].value.tolist() == [0.5]
    assert read_png(tmp_path, run.media[0]).shape == (2, 2, 3)


def test_a_missing_step_is_the_tags_next_step(tmp_path):
    with SummaryWriter(tmp_path) as writer:
        for value in (3.0, 2.0, 1.0):
            writer.add_scalar("loss", value)
        writer.add_scalar("other", 9.0)
    run = load_one(tmp_path)
    assert run.series["train/loss"].step.tolist() == [0, 1, 2]
    assert run.series["train/other"].step.tolist() == [0]


def test_many_batches_all_read_back(tmp_path):
    count = writer_module.BATCH_SIZE * 2 + 17
    with SummaryWriter(tmp_path) as writer:
        for step in range(count):
            writer.add_scalar("loss", step / 2, step)
    series = load_one(tmp_path).series["train/loss"]
    assert series.step.tolist() == list(range(count))
    assert series.value.tolist() == [s / 2 for s in range(count)]


def test_add_scalars_logs_one_run_with_main_tag_slash_key(tmp_path):
    with SummaryWriter(tmp_path) as writer:
        writer.add_scalars("run_14h", {"xsinx": 1.0, "xcosx": 2.0}, 7)
    run = load_one(tmp_path)
    assert {s.source_tag: (s.step.tolist(), s.value.tolist()) for s in run.series.values()} == {
        "run_14h/xsinx": ([7], [1.0]), "run_14h/xcosx": ([7], [2.0])}
    assert len(list(tmp_path.iterdir())) == 1  # the event file, no directory per key


@pytest.mark.parametrize(("layout", "shape"), [("CHW", (3, 4, 5)), ("HWC", (4, 5, 3)), ("HW", (4, 5))])
def test_add_image_writes_the_pixels_as_png(tmp_path, layout, shape):
    pixels = np.arange(np.prod(shape)).reshape(shape).astype(np.uint8)
    with SummaryWriter(tmp_path) as writer:
        writer.add_image("samples/input", pixels, 3, dataformats=layout)
    (media,) = load_one(tmp_path).media
    assert (media.kind, media.tag, media.step) == ("image", "samples/input", 3)
    expected = {"CHW": lambda: pixels.transpose(1, 2, 0), "HWC": lambda: pixels,
                "HW": lambda: pixels[:, :, None]}[layout]()
    got = read_png(tmp_path, media)
    assert np.array_equal(got if got.ndim == 3 else got[:, :, None], expected)


def test_float_images_in_0_1_are_scaled_to_bytes(tmp_path):
    with SummaryWriter(tmp_path) as writer:
        writer.add_image("x", np.array([[[0.0, 0.5, 1.0]]] * 3), 0)
    assert read_png(tmp_path, load_one(tmp_path).media[0])[0, :, 0].tolist() == [0, 128, 255]


def test_add_images_makes_a_grid_of_eight_per_row(tmp_path):
    batch = np.zeros((10, 3, 2, 2), np.uint8)
    batch[9] = 200  # the last image: second row, second cell
    with SummaryWriter(tmp_path) as writer:
        writer.add_images("grid", batch, 1)
    got = read_png(tmp_path, load_one(tmp_path).media[0])
    assert got.shape == (4, 16, 3)
    assert (got[2:4, 2:4] == 200).all() and got.sum() == 200 * 12


def test_add_figure_renders_the_figure(tmp_path):
    import matplotlib.pyplot as plt

    figure = plt.figure(figsize=(2, 1), dpi=50)
    with SummaryWriter(tmp_path) as writer:
        writer.add_figure("fig", figure, 0)
    assert not plt.fignum_exists(figure.number)  # closed, as torch does by default
    assert read_png(tmp_path, load_one(tmp_path).media[0]).shape[:2] == (50, 100)


def test_histograms_count_the_values(tmp_path):
    values = np.array([0.0, 1.0, 1.0, 2.0, 3.0, math.nan])
    with SummaryWriter(tmp_path) as writer:
        writer.add_histogram("w", values, 5, bins=3)
        writer.add_histogram("big", np.random.default_rng(0).normal(size=100_000), 5)
        writer.add_histogram_raw("raw", min=-1, max=1, num=4, sum=0.5, sum_squares=2.0,
                                 bucket_limits=[0.0, 1.0], bucket_counts=[1, 3], global_step=6)
    media = {m.tag: m for m in load_one(tmp_path).media}
    w = media["w"].data
    assert (w["min"], w["max"], w["num"], w["sum"], w["sum_squares"]) == (0.0, 3.0, 6, 7.0, 15.0)
    assert w["bucket_limits"] == [1.0, 2.0, 3.0] and w["bucket_counts"] == [1, 2, 2]
    assert sum(media["big"].data["bucket_counts"]) == 100_000
    assert len(media["big"].data["bucket_counts"]) <= 64
    assert media["raw"].data == {"min": -1.0, "max": 1.0, "num": 4, "sum": 0.5, "sum_squares": 2.0,
                                 "bucket_limits": [0.0, 1.0], "bucket_counts": [1.0, 3.0]}


def test_text_hparams_and_pr_curves(tmp_path):
    labels = np.array([1, 0, 1, 1, 0])
    predictions = np.array([0.9, 0.8, 0.4, 0.1, 0.0])
    with SummaryWriter(tmp_path) as writer:
        writer.add_text("notes", "lr 0.1, **bold**", 2)
        writer.add_hparams({"lr": 0.1, "optimizer": "sgd", "nesterov": True}, {"hparam/accuracy": 0.75})
        writer.add_pr_curve("pr", labels, predictions, 3, num_thresholds=11)
    run = load_one(tmp_path)
    media = {m.kind: m for m in run.media}
    assert media["text"].data == {"text": "lr 0.1, **bold**"} and media["text"].step == 2
    assert media["hparams"].data["hparams"] == {"lr": 0.1, "optimizer": "sgd", "nesterov": True}
    assert media["hparams"].data["metrics"] == {"hparam/accuracy": 0.75}
    assert run.meta["hparam/optimizer"] == "sgd"
    assert [s.value.tolist() for s in run.series.values()] == [[0.75]]  # in this run, as a scalar
    assert len(list(tmp_path.iterdir())) == 1  # no run directory per add_hparams call
    curve = media["pr_curve"].data
    # threshold 0.5: predictions 0.9 and 0.8 count as positive; one of them is labelled 1
    assert curve["thresholds"][5] == 0.5
    assert (curve["tp"][5], curve["fp"][5], curve["fn"][5], curve["tn"][5]) == (1, 1, 2, 1)
    assert curve["precision"][0] == pytest.approx(3 / 5) and curve["recall"][0] == 1.0


def test_flush_makes_values_readable_while_the_writer_is_open(tmp_path):
    writer = SummaryWriter(tmp_path, flush_secs=1e9)
    writer.add_scalar("loss", 1.0, 0)
    writer.flush()
    assert load_one(tmp_path).series["train/loss"].value.tolist() == [1.0]
    writer.close()


def test_purge_step_starts_the_new_file_with_a_resume_event(tmp_path):
    with SummaryWriter(tmp_path) as first:
        for step in range(10):
            first.add_scalar("loss", step, step)
            first.add_scalars("pair", {"a": step}, step)
    with SummaryWriter(tmp_path, purge_step=5) as second:
        for step in range(5, 8):
            second.add_scalar("loss", 100 + step, step)
            second.add_scalars("pair", {"a": 100 + step}, step)
    run = load_one(tmp_path)
    assert run.series["train/loss"].value.tolist() == [0, 1, 2, 3, 4, 105, 106, 107]
    assert run.series["pair/a"].value.tolist() == [0, 1, 2, 3, 4, 105, 106, 107]
    assert any(e.kind == "resume" and e.step == 5 and e.text == "purge_step" for e in run.events)


def test_purge_step_hides_purged_steps_the_new_file_never_rewrites(tmp_path):
    with SummaryWriter(tmp_path) as first:
        for step in range(10):
            first.add_scalar("loss", step, step)
    with SummaryWriter(tmp_path, purge_step=5) as second:
        second.add_scalar("loss", 108, 8)
    assert load_one(tmp_path).series["train/loss"].step.tolist() == [0, 1, 2, 3, 4, 8]


def test_two_writers_started_together_write_two_files(tmp_path):
    first, second = SummaryWriter(tmp_path), SummaryWriter(tmp_path)
    first.add_scalar("a", 1.0, 0)
    second.add_scalar("b", 2.0, 0)
    first.close()
    second.close()
    assert len({first.path, second.path}) == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        os.path.basename(p) for p in (first.path, second.path))
    runs = lossboard.load(tmp_path, stitch=False)
    assert sorted(tag for run in runs for tag in run.tags) == ["train/a", "train/b"]


def test_the_default_log_dir_is_runs_date_host_comment(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with SummaryWriter(comment="_lr0.1") as writer:
        logdir = Path(writer.get_logdir())
    assert logdir.parent == Path("runs")
    assert logdir.name.endswith(f"_{socket.gethostname()}_lr0.1")
    assert (tmp_path / logdir).is_dir()


def test_closing_twice_is_harmless_and_logging_after_close_starts_a_new_file(tmp_path):
    # torch's writer reopens after close(); code written for it must not crash training
    with SummaryWriter(tmp_path) as writer:
        writer.add_scalar("loss", 1.0, 0)
    writer.close()
    writer.flush()
    writer.add_scalar("loss", 2.0, 1)
    writer.add_text("notes", "after close", 1)
    writer.close()
    assert len(list(tmp_path.glob("events.lossboard.*"))) == 2
    run = load_one(tmp_path)
    assert run.name == tmp_path.name  # both files are one run, named after the directory
    assert run.series["train/loss"].value.tolist() == [1.0, 2.0]
    assert [m.data for m in run.media if m.kind == "text"] == [{"text": "after close"}]


@pytest.mark.parametrize(("args", "error", "message"), [
    (("loss", "0.5", 0), TypeError, "expected a number, got a string"),
    (("loss", np.zeros(3), 0), ValueError, r"single number.*\(3,\)"),
    (("loss", 0.5, 1.5), TypeError, "global_step must be an integer"),
    ((3, 0.5, 0), TypeError, "tag must be a str"),
])
def test_misuse_fails_fast_in_the_callers_thread(tmp_path, args, error, message):
    with SummaryWriter(tmp_path) as writer:
        with pytest.raises(error, match=message):
            writer.add_scalar(*args)


def test_image_misuse_fails_fast(tmp_path):
    with SummaryWriter(tmp_path) as writer:
        with pytest.raises(ValueError, match="needs 3 dimensions"):
            writer.add_image("x", np.zeros((2, 2)))
        with pytest.raises(ValueError, match="1, 2, 3 or 4 channels"):
            writer.add_image("x", np.zeros((5, 2, 2)))


def test_strict_raises_instead_of_warning(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(LossboardError, match="cannot write"):
            SummaryWriter(blocker / "run", strict=True)


def test_a_writer_inherited_by_a_forked_child_fails_fast_instead_of_hanging(tmp_path):
    writer = SummaryWriter(tmp_path)
    writer._pid = -1  # what the child of a fork sees: another pid than the writer's
    with pytest.raises(UsageError, match="forked child process"):
        writer.flush()
    writer._pid = os.getpid()
    writer.close()
