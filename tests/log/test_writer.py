"""SummaryWriter: every add_* method round-trips through TensorBoard's reader and lossboard.load."""

from __future__ import annotations

import inspect
import io
import math
import os
import socket
import struct
import subprocess
import sys
import warnings
from pathlib import Path

import matplotlib
import numpy as np
import pytest

import lossboard
from lossboard.errors import LossboardError, LossboardWarning, UsageError
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


def tensorboard(logdir: Path):
    """TensorBoard's own reader over ``logdir``, keeping everything."""
    from tensorboard.backend.event_processing import event_accumulator

    accumulator = event_accumulator.EventAccumulator(
        str(logdir), size_guidance={kind: 0 for kind in event_accumulator.DEFAULT_SIZE_GUIDANCE})
    return accumulator.Reload()


def read_png(logdir: Path, tag: str) -> np.ndarray:
    """The pixels TensorBoard shows for ``tag``'s only image."""
    import matplotlib.image

    (image,) = tensorboard(logdir).Images(tag)
    pixels = matplotlib.image.imread(io.BytesIO(image.encoded_image_string), format="png")
    return np.round(pixels * 255).astype(int)


def bits(values) -> list[bytes]:
    return [struct.pack("<d", v) for v in values]


VALUES = [0.5, math.nan, math.inf, -math.inf, -0.0, 1e300, 0.1]


def test_scalars_round_trip_as_torch_writes_them_float32(tmp_path):
    with SummaryWriter(tmp_path) as writer:
        for step, value in enumerate(VALUES):
            writer.add_scalar("Loss/train", value, step * 10, walltime=1_700_000_000.0 + step)
    series = load_one(tmp_path).series["train/loss"]
    assert series.source_tag == "Loss/train"
    assert series.step.tolist() == [0, 10, 20, 30, 40, 50, 60]
    with np.errstate(over="ignore"):
        expected = [float(np.float32(v)) for v in VALUES]  # 1e300 is inf in float32, as in torch's files
    assert bits(series.value) == bits(expected)
    assert series.wall_time.tolist() == [1_700_000_000.0 + s for s in range(7)]
    scalars = tensorboard(tmp_path).Scalars("Loss/train")
    assert [(s.step, s.wall_time) for s in scalars] == [(10 * i, 1_700_000_000.0 + i) for i in range(7)]
    assert bits(s.value for s in scalars) == bits(expected)


def test_double_precision_new_style_scalars_keep_every_bit(tmp_path):
    with SummaryWriter(tmp_path) as writer:
        for step, value in enumerate(VALUES):
            writer.add_scalar("x", value, step, new_style=True, double_precision=True)
    assert bits(load_one(tmp_path).series["train/x"].value) == bits(VALUES)


def test_lossboard_format_keeps_float64_and_reads_back(tmp_path):
    with SummaryWriter(tmp_path, format="lossboard") as writer:
        for step, value in enumerate(VALUES):
            writer.add_scalar("Loss/train", value, step)
        writer.add_image("img", np.full((2, 2), 7, np.uint8), 0, dataformats="HW")
    assert [p.name.split(".")[1] for p in tmp_path.glob("events.*")] == ["lossboard"]
    run = load_one(tmp_path)
    assert bits(run.series["train/loss"].value) == bits(VALUES)
    (image,) = run.media
    assert (tmp_path / image.data["path"]).read_bytes().startswith(b"\x89PNG")


def test_a_step_outside_int64_is_one_warning_and_only_that_value_is_dropped(tmp_path):
    """Issue 9: one bad step used to lose the whole batch it was encoded with."""
    with pytest.warns(LossboardWarning, match="outside int64") as caught:
        with SummaryWriter(tmp_path) as writer:
            for step in range(5):
                writer.add_scalar("loss", step, step)
                writer.add_scalar("loss", -1.0, 2**63 + step)
                writer.add_text("note", "x", -(2**63) - 1)
    assert len(caught) == 1
    assert load_one(tmp_path).series["train/loss"].value.tolist() == [0, 1, 2, 3, 4]


def test_every_method_of_torchs_writer_is_here_with_its_signature():
    torch_tensorboard = pytest.importorskip("torch.utils.tensorboard")
    theirs = torch_tensorboard.SummaryWriter
    public = sorted(name for name in dir(theirs) if not name.startswith("_"))
    for name in public + ["__init__"]:
        expected = [(p.name, p.default) for p in inspect.signature(getattr(theirs, name)).parameters.values()]
        ours = inspect.signature(getattr(SummaryWriter, name)).parameters.values()
        positional = [(p.name, p.default) for p in ours if p.kind is not p.KEYWORD_ONLY]
        assert positional == expected, name


def test_without_tensorboard_the_writer_says_so_once_and_writes_lossboard_files(tmp_path):
    script = (
        "import sys, warnings\n"
        "sys.modules['tensorboard'] = None  # as if the extra were not installed\n"
        "warnings.simplefilter('always')\n"
        "from lossboard.log.writer import SummaryWriter\n"
        f"for name in ('a', 'b'):\n"
        f"    with SummaryWriter({str(tmp_path)!r} + '/' + name) as writer:\n"
        "        writer.add_scalar('loss', 1.0, 0)\n"
        "        writer.add_audio('sound', [0.0, 0.5], 0)\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    assert out.returncode == 0, out.stderr
    assert out.stderr.count("pip install 'lossboard[tfevents]'") == 3  # once, then add_audio per writer
    assert out.stderr.count("tensorboard is not installed") == 1
    for name in ("a", "b"):
        assert load_one(tmp_path / name).series["train/loss"].value.tolist() == [1.0]


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
    assert read_png(tmp_path, "img").shape == (2, 2, 3)


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
    assert (media.data["height"], media.data["width"]) == (4, 5)
    expected = {"CHW": lambda: pixels.transpose(1, 2, 0), "HWC": lambda: pixels,
                "HW": lambda: pixels[:, :, None]}[layout]()
    got = read_png(tmp_path, "samples/input")
    assert np.array_equal(got if got.ndim == 3 else got[:, :, None], expected)


def test_float_images_in_0_1_are_scaled_to_bytes(tmp_path):
    with SummaryWriter(tmp_path) as writer:
        writer.add_image("x", np.array([[[0.0, 0.5, 1.0]]] * 3), 0)
    assert read_png(tmp_path, "x")[0, :, 0].tolist() == [0, 128, 255]


def test_add_images_makes_a_grid_of_eight_per_row(tmp_path):
    batch = np.zeros((10, 3, 2, 2), np.uint8)
    batch[9] = 200  # the last image: second row, second cell
    with SummaryWriter(tmp_path) as writer:
        writer.add_images("grid", batch, 1)
    got = read_png(tmp_path, "grid")
    assert got.shape == (4, 16, 3)
    assert (got[2:4, 2:4] == 200).all() and got.sum() == 200 * 12


def test_add_figure_renders_the_figure(tmp_path):
    import matplotlib.pyplot as plt

    figure = plt.figure(figsize=(2, 1), dpi=50)
    with SummaryWriter(tmp_path) as writer:
        writer.add_figure("fig", figure, 0)
    assert not plt.fignum_exists(figure.number)  # closed, as torch does by default
    assert read_png(tmp_path, "fig").shape[:2] == (50, 100)


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
    # TensorBoard's HParams tab: the experiment and this run's session
    from tensorboard.plugins.hparams import plugin_data_pb2

    content = tensorboard(tmp_path).PluginTagToContent("hparams")
    session = plugin_data_pb2.HParamsPluginData.FromString(content["_hparams_/session_start_info"])
    assert session.session_start_info.hparams["optimizer"].string_value == "sgd"
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
    assert any(e.kind == "resume" and e.step == 5 and e.text == "SessionLog.START" for e in run.events)


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
    assert len(list(tmp_path.glob("events.out.tfevents.*"))) == 2
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
