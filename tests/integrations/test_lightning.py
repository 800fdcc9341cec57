"""Lightning logger: a one-layer LightningModule trained for two short epochs on the CPU,
logged by lossboard and by Lightning's own CSVLogger side by side; the lossboard run must
hold what the CSV file (Lightning's record of every ``log_metrics`` call), the module's own
losses and ``trainer.callback_metrics`` hold."""

from __future__ import annotations

import contextlib
import csv
import importlib
import io
import sys

import pytest

pl = pytest.importorskip(
    "lightning.pytorch", reason="Lightning is not installed (pip install 'lossboard[lightning]')"
)
torch = pytest.importorskip("torch")

import lossboard  # noqa: E402
from lossboard.integrations.lightning import LossboardLogger  # noqa: E402

# Lightning's advice about dataloader workers and tiny epochs, and its use of a torch API
# that torch 2.13 deprecates, are beside the point here
pytestmark = [
    pytest.mark.filterwarnings("ignore::lightning.fabric.utilities.warnings.PossibleUserWarning"),
    pytest.mark.filterwarnings("ignore:.*LeafSpec.* is deprecated:FutureWarning"),
]

TRAIN_BATCHES, EPOCHS = 3, 2


class Regression(pl.LightningModule):
    def __init__(self, lr: float = 0.1, optimizer: dict | None = None) -> None:
        super().__init__()
        self.save_hyperparameters()
        self.layer = torch.nn.Linear(4, 1)
        self.losses: list[float] = []  # every training batch's loss, as the module saw it

    def training_step(self, batch, batch_idx):
        x, y = batch
        loss = torch.nn.functional.mse_loss(self.layer(x).squeeze(1), y)
        self.losses.append(loss.item())
        self.log("train_loss", loss, on_step=True, on_epoch=True, prog_bar=True)
        return loss

    def validation_step(self, batch, batch_idx):
        x, y = batch
        self.log("val_loss", torch.nn.functional.mse_loss(self.layer(x).squeeze(1), y), prog_bar=True)

    def configure_optimizers(self):
        return torch.optim.SGD(self.parameters(), lr=self.hparams.lr)


def data() -> torch.utils.data.DataLoader:
    generator = torch.Generator().manual_seed(0)
    x = torch.randn(64, 4, generator=generator)
    y = x @ torch.tensor([1.0, -2.0, 0.5, 3.0])
    return torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, y), batch_size=16)


def train(loggers: list, **options) -> tuple[pl.Trainer, Regression]:
    """Fit for EPOCHS epochs of TRAIN_BATCHES batches; ``options`` override Trainer arguments."""
    pl.seed_everything(0, verbose=False)
    model = Regression(optimizer={"name": "sgd", "momentum": 0.0})
    trainer = pl.Trainer(**{
        "max_epochs": EPOCHS, "limit_train_batches": TRAIN_BATCHES, "limit_val_batches": 2,
        "logger": loggers, "log_every_n_steps": 1, "accelerator": "cpu", "devices": 1,
        "enable_checkpointing": False, "enable_progress_bar": False, "enable_model_summary": False,
        **options,
    })  # fmt: skip
    trainer.fit(model, data(), data())
    return trainer, model


def csv_column(path, name: str) -> tuple[list[int], list[float]]:
    with open(path, newline="") as file:
        rows = [row for row in csv.DictReader(file) if row.get(name)]
    return [int(row["step"]) for row in rows], [float(row[name]) for row in rows]


def test_fit_reads_back_as_lightning_logged_it(tmp_path) -> None:
    logger = LossboardLogger(tmp_path)
    trainer, model = train([logger, pl.loggers.CSVLogger(tmp_path / "csv")])

    assert logger.log_dir == str(tmp_path / "lightning_logs" / "version_0")
    (run,) = lossboard.load(logger.log_dir)
    metrics_csv = tmp_path / "csv" / "lightning_logs" / "version_0" / "metrics.csv"
    for name, tag in [
        ("train_loss_step", "train_batch/loss"),
        ("train_loss_epoch", "train/loss"),
        ("val_loss", "val/loss"),
    ]:
        steps, values = csv_column(metrics_csv, name)
        assert run.series[tag].step.tolist() == steps, tag
        assert run.series[tag].value.tolist() == pytest.approx(values), tag
        with open(metrics_csv) as file:  # one training, one picture: the CSV's epochs too
            epochs = [float(row["epoch"]) for row in csv.DictReader(file) if row.get(name)]
        assert run.series[tag].epoch.tolist() == epochs, tag
    assert len(run.series["val/loss"]) == EPOCHS
    assert run.series["train_batch/loss"].value.tolist() == pytest.approx(model.losses)
    for name, tag in [("train_loss_epoch", "train/loss"), ("val_loss", "val/loss")]:
        assert run.series[tag].value[-1] == pytest.approx(trainer.callback_metrics[name].item())
    assert not any("epoch" in tag for tag in run.series)  # the epoch axis, not a metric
    assert run.meta["hparam/lr"] == "0.1"
    assert run.meta["hparam/optimizer/momentum"] == "0.0"
    assert run.meta["status"] == "success"


def _overlay(tmp_path) -> dict:
    """One fit seen three ways: its tqdm bar (stdout, as in a pipe), metrics.csv, the Logger."""
    bar = io.StringIO()
    loggers = [LossboardLogger(tmp_path, name="lb"), pl.loggers.CSVLogger(tmp_path, name="csv")]
    with contextlib.redirect_stdout(bar):  # TQDMProgressBar writes to sys.stdout
        train(loggers, max_epochs=3, enable_progress_bar=True, callbacks=[pl.callbacks.TQDMProgressBar()])
    (tmp_path / "bar.log").write_text(bar.getvalue())
    paths = {"bar": "bar.log", "csv": "csv/version_0/metrics.csv", "logger": "lb/version_0"}
    return {name: lossboard.load(tmp_path / path)[0] for name, path in paths.items()}


def test_bar_metrics_csv_and_logger_give_epoch_values_the_same_epochs(tmp_path) -> None:
    runs = _overlay(tmp_path)
    assert [run.formats for run in runs.values()] == [["tqdm"], ["lightning-csv"], ["tfevents"]]
    for tag in ("train/loss", "val/loss"):
        epochs = {name: run.series[tag].epoch.tolist() for name, run in runs.items()}
        assert epochs == dict.fromkeys(runs, [0.0, 1.0, 2.0]), tag  # "Epoch 0".."Epoch 2"
        values = {name: run.series[tag].value.tolist() for name, run in runs.items()}
        assert values["bar"] == pytest.approx(values["csv"], rel=5e-3), tag  # 3 digits shown
        assert values["logger"] == pytest.approx(values["csv"]), tag
        # Lightning's own step for the epoch's values: its optimizer steps before the last batch's
        assert runs["logger"].series[tag].step.tolist() == runs["csv"].series[tag].step.tolist() == [2, 5, 8]


def test_bar_steps_are_lightnings_steps(tmp_path) -> None:
    runs = _overlay(tmp_path)
    for tag in ("train/loss", "val/loss", "train_batch/loss"):
        assert runs["bar"].series[tag].step.tolist() == runs["csv"].series[tag].step.tolist(), tag
        assert runs["bar"].series[tag].epoch.tolist() == runs["csv"].series[tag].epoch.tolist(), tag


def test_versions_count_up_like_tensorboard_loggers(tmp_path) -> None:
    (tmp_path / "exp" / "version_4").mkdir(parents=True)
    (tmp_path / "exp" / "version_x").mkdir()
    assert LossboardLogger(tmp_path, name="exp").version == 5
    assert LossboardLogger(tmp_path, name="").log_dir == str(tmp_path / "version_0")
    assert LossboardLogger(tmp_path, name="exp", version="ablation").log_dir == str(
        tmp_path / "exp" / "ablation"
    )


def test_experiment_is_the_writer_and_reopens_after_finalize(tmp_path) -> None:
    logger = LossboardLogger(tmp_path, version=0)
    logger.experiment.add_text("notes", "first stage", 0)
    logger.finalize("success")
    logger.log_metrics({"test_loss": 0.25, "epoch": 1}, step=7)
    logger.finalize("success")

    (run,) = lossboard.load(logger.log_dir)
    assert [(m.tag, m.data["text"]) for m in run.media if m.kind == "text"] == [("notes", "first stage")]
    assert run.series["test/loss"].step.tolist() == [7]
    assert run.series["test/loss"].value.tolist() == [0.25]
    assert run.series["test/loss"].epoch.tolist() == [1]


def test_without_lightning_the_import_error_names_the_extra(monkeypatch) -> None:
    # None in sys.modules reads as "not installed"; the parents are imported already
    monkeypatch.setitem(sys.modules, "lightning.pytorch.loggers.logger", None)
    monkeypatch.delitem(sys.modules, "lossboard.integrations.lightning")
    with pytest.raises(ImportError, match=r"pip install 'lossboard\[lightning\]'"):
        importlib.import_module("lossboard.integrations.lightning")
