"""Keras 3 callback: a tiny Dense model trained with ``fit`` on the torch backend, read back
through ``lossboard.load`` and checked against Keras' own record (History, the batch logs
Keras hands every callback, the learning-rate schedule) and against its printed output."""

from __future__ import annotations

import contextlib
import importlib
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

os.environ.setdefault("KERAS_BACKEND", "torch")
keras = pytest.importorskip("keras", reason="Keras 3 is not installed (pip install 'lossboard[keras]')")
np = pytest.importorskip("numpy")

import lossboard  # noqa: E402
from lossboard.integrations.keras import LossboardCallback  # noqa: E402
from lossboard.log.writer import SummaryWriter  # noqa: E402

# Keras' torch backend converts values through numpy 2, which warns; as an error (this
# project's pytest setting) Keras would keep its logs as tensors and its Progbar would fail
pytestmark = pytest.mark.filterwarnings(
    "ignore:__array__ implementation doesn't accept a copy keyword:DeprecationWarning"
)

SAMPLES, BATCH_SIZE, EPOCHS = 64, 16, 2
TRAIN_BATCHES = 3  # 48 training samples after validation_split=0.25


class BatchLogs(keras.callbacks.Callback):
    """What Keras hands every callback after each training batch."""

    def __init__(self) -> None:
        super().__init__()
        self.logs: list[dict] = []

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        self.logs.append(dict(logs or {}))


def make_model(name: str | None = None):
    keras.utils.set_random_seed(3)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1, activation="sigmoid")], name=name)
    schedule = keras.optimizers.schedules.ExponentialDecay(0.1, decay_steps=TRAIN_BATCHES, decay_rate=0.5)
    model.compile(keras.optimizers.SGD(schedule), "binary_crossentropy", metrics=["accuracy"])
    return model


def fit(model, callbacks: list, *, epochs: int = EPOCHS, initial_epoch: int = 0, verbose: int = 0):
    """``model.fit`` on 64 samples; returns History's values as floats, by name."""
    rng = np.random.default_rng(3)
    x = rng.normal(size=(SAMPLES, 4)).astype("float32")
    y = (x[:, 0] + x[:, 1] > 0).astype("float32")
    history = model.fit(
        x,
        y,
        batch_size=BATCH_SIZE,
        epochs=epochs,
        initial_epoch=initial_epoch,
        validation_split=0.25,
        shuffle=False,
        verbose=verbose,
        callbacks=callbacks,
    )
    return {name: [float(value) for value in values] for name, values in history.history.items()}


def assert_points(run, tag: str, steps: list[int], values: list[float], **tolerance) -> None:
    series = run.series[tag]
    assert series.step.tolist() == steps, tag
    assert series.value.tolist() == pytest.approx(values, **tolerance), tag


def test_fit_reads_back_as_keras_recorded_it(tmp_path) -> None:
    batches, stdout = BatchLogs(), io.StringIO()
    with contextlib.redirect_stdout(stdout):
        history = fit(make_model(), [LossboardCallback(log_dir=tmp_path / "run"), batches], verbose=2)

    (run,) = lossboard.load(tmp_path / "run")
    for name, tag in [
        ("loss", "train/loss"),
        ("accuracy", "train/accuracy"),
        ("val_loss", "val/loss"),
        ("val_accuracy", "val/accuracy"),
    ]:
        # recorded after 3 and 6 batches, at the end of "Epoch 1/2" and "Epoch 2/2"
        assert_points(run, tag, [3, 6], history[name])
        assert run.series[tag].epoch.tolist() == [1, 2]
    assert len(batches.logs) == EPOCHS * TRAIN_BATCHES
    for name, tag in [("loss", "train_batch/loss"), ("accuracy", "train_batch/accuracy")]:
        assert_points(run, tag, [1, 2, 3, 4, 5, 6], [float(logs[name]) for logs in batches.logs])
        assert run.series[tag].epoch.tolist() == pytest.approx([1 / 3, 2 / 3, 1, 4 / 3, 5 / 3, 2])
    # the schedule at the end of each epoch, as Keras evaluates it: 0.1 * 0.5 ** (batches / 3)
    assert_points(run, "opt/lr", [3, 6], [0.05, 0.025])
    assert "train/epoch" not in run.series  # the epoch axis, not a metric

    # what fit() printed, parsed by lossboard, lands on the same steps (4 decimals printed)
    printed = tmp_path / "stdout.log"
    printed.write_text(stdout.getvalue())
    (parsed,) = lossboard.load(printed)
    for name, tag in [
        ("loss", "train/loss"),
        ("accuracy", "train/accuracy"),
        ("val_loss", "val/loss"),
        ("val_accuracy", "val/accuracy"),
    ]:
        assert parsed.series[tag].value.tolist() == pytest.approx(history[name], abs=1e-4)
        assert parsed.series[tag].epoch.tolist() == run.series[tag].epoch.tolist() == [1, 2]
        assert parsed.series[tag].step.tolist() == run.series[tag].step.tolist() == [3, 6]


def test_a_writer_passed_in_stays_open_and_a_second_fit_continues(tmp_path) -> None:
    writer = SummaryWriter(tmp_path / "run")
    callback = LossboardCallback(writer, batch_logs=False)
    model = make_model()
    first = fit(model, [callback], epochs=1)
    second = fit(model, [callback], epochs=2, initial_epoch=1)
    writer.add_scalar("train/marker", 1.0, 0)  # still open after two fits
    writer.close()

    (run,) = lossboard.load(tmp_path / "run")
    assert_points(run, "train/loss", [3, 6], first["loss"] + second["loss"])
    assert run.series["train/loss"].epoch.tolist() == [1, 2]  # initial_epoch=1 counts on
    assert "train_batch/loss" not in run.series


def test_a_writer_it_made_is_closed_and_reopened_for_the_next_fit(tmp_path) -> None:
    callback = LossboardCallback(log_dir=tmp_path / "run", batch_logs=False)
    model = make_model()
    first = fit(model, [callback], epochs=1)
    second = fit(model, [callback], epochs=2, initial_epoch=1)

    files = sorted(path.name for path in (tmp_path / "run").iterdir())
    assert len(files) == 2 and all(name.startswith("events.out.tfevents.") for name in files)
    (run,) = lossboard.load(tmp_path / "run")
    assert_points(run, "train/loss", [3, 6], first["loss"] + second["loss"])


def test_without_a_log_dir_each_training_is_its_own_run_named_after_the_model(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    for _ in range(2):  # same model name, most likely the same second: "#2" keeps them apart
        fit(make_model("mlp"), [LossboardCallback(batch_logs=False)], epochs=1)
    names = sorted(path.name for path in (tmp_path / "runs").iterdir())
    assert len(names) == 2 and all(name.startswith("mlp_") for name in names)
    assert len(lossboard.load(tmp_path / "runs")) == 2


def test_without_keras_the_import_error_names_the_extra(monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "keras", None)  # None in sys.modules reads as "not installed"
    monkeypatch.delitem(sys.modules, "lossboard.integrations.keras")
    with pytest.raises(ImportError, match=r"pip install 'lossboard\[keras\]'"):
        importlib.import_module("lossboard.integrations.keras")


# one training, one picture: stdout, CSVLogger and the callback of the same fit() ------------

OVERLAY_EPOCHS, OVERLAY_BATCHES = 3, 3  # as in keras_fit.py


@pytest.fixture(scope="module", params=[1, 2], ids=["verbose1", "verbose2"])
def outputs(request, tmp_path_factory) -> dict:
    """A fit() run in a child process, its stdout through a pipe: the three outputs, loaded,
    by name (``stdout``, ``csv``, ``callback``), and the ``verbose`` it ran with."""
    out = tmp_path_factory.mktemp(f"verbose{request.param}")
    script = Path(__file__).with_name("keras_fit.py")
    env = {**os.environ, "KERAS_BACKEND": "torch", "PYTHONPATH": str(Path(lossboard.__file__).parents[1])}
    done = subprocess.run(
        [sys.executable, str(script), str(request.param), str(out)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr.decode()[-2000:]
    (out / "stdout.log").write_bytes(done.stdout)
    loaded = {"verbose": request.param}
    for name, path in [("stdout", "stdout.log"), ("csv", "training.log"), ("callback", "run")]:
        (loaded[name],) = lossboard.load(out / path)
    return loaded


def _epoch_level(run) -> dict[str, object]:
    """The run's train/ and val/ series by label (stdout's timings and lr are not in all three)."""
    return {s.tag: s for s in run.series.values() if s.tag.split("/")[0] in ("train", "val")}


def test_stdout_csvlogger_and_callback_give_every_epoch_value_the_same_epoch(outputs) -> None:
    names = ("stdout", "csv", "callback")
    by_output = {name: _epoch_level(outputs[name]) for name in names}
    labels = {"train/loss", "train/accuracy", "val/loss", "val/accuracy"}
    for name, series in by_output.items():
        assert set(series) == labels, name
    for tag in labels:
        epochs = {name: series[tag].epoch.tolist() for name, series in by_output.items()}
        # "Epoch 1/3".."Epoch 3/3" in stdout, CSVLogger's 0..2 read one higher, the callback's
        assert epochs == dict.fromkeys(names, [1.0, 2.0, 3.0]), tag
        values = {name: series[tag].value.tolist() for name, series in by_output.items()}
        assert values["stdout"] == pytest.approx(values["csv"], abs=5e-5), tag  # 4 decimals printed
        assert values["callback"] == pytest.approx(values["csv"]), tag


def test_stdout_and_callback_put_epoch_values_at_the_same_global_step(outputs) -> None:
    stdout, callback = _epoch_level(outputs["stdout"]), _epoch_level(outputs["callback"])
    for tag, series in stdout.items():
        ends = [OVERLAY_BATCHES * epoch for epoch in range(1, OVERLAY_EPOCHS + 1)]  # 3, 6, 9
        assert series.step.tolist() == callback[tag].step.tolist() == ends, tag
    # CSVLogger counts no batches: its step is the epoch, so it overlays by epoch only
    assert _epoch_level(outputs["csv"])["val/loss"].step.tolist() == [1, 2, 3]


def test_stdout_bar_states_sit_on_the_callbacks_batch_steps(outputs) -> None:
    stdout, callback = outputs["stdout"], outputs["callback"]
    if outputs["verbose"] == 2:  # one line per epoch, no bar states
        assert not [s for s in stdout.series.values() if s.tag.startswith("train_batch/")]
        return
    for tag in ("train_batch/loss", "train_batch/accuracy"):
        printed, logged = stdout.series[tag], callback.series[tag]
        at = {step: (value, epoch) for step, value, epoch in
              zip(logged.step.tolist(), logged.value.tolist(), logged.epoch.tolist())}  # fmt: skip
        # the bar redraws at most every 0.05 s, so stdout holds some batches, not all
        assert 0 < printed.step.size <= len(at)
        for step, value, epoch in zip(printed.step.tolist(), printed.value.tolist(), printed.epoch.tolist()):
            assert value == pytest.approx(at[step][0], abs=5e-5), (tag, step)
            assert epoch == pytest.approx(at[step][1]), (tag, step)
