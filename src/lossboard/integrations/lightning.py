"""A Lightning ``Logger`` that writes through a lossboard `SummaryWriter`.

::

    from lossboard.integrations.lightning import LossboardLogger

    trainer = lightning.Trainer(logger=LossboardLogger("lightning_logs"), max_epochs=10)
    trainer.fit(model)   # writes lightning_logs/lightning_logs/version_0/events.out.tfevents.*

Runs are laid out as Lightning's ``TensorBoardLogger`` lays them out:
``<save_dir>/<name>/version_<N>`` with N one more than the highest existing version (a
``version`` string is used as the directory name itself). Metric names get the tags
lossboard's ``lightning-csv`` reader gives the same names in a ``CSVLogger`` file, at the step
Lightning passes (global optimizer steps), so both loggers of one run overlay:
``train_loss_step`` is ``train_batch/loss``, ``train_loss_epoch`` ``train/loss``, ``val_loss``
``val/loss``. The ``epoch`` Lightning adds to every call is a position, not a metric: it is
written as the scalar ``epoch`` at the same step, which lossboard reads as the epoch of the
values logged there (as in ``metrics.csv``; docs/integrations.md, "One training, one
picture"). Only rank zero writes.
"""

from __future__ import annotations

import os
from argparse import Namespace
from typing import Any

try:
    from lightning.fabric.utilities.logger import _convert_params, _flatten_dict, _sanitize_params
    from lightning.pytorch.loggers.logger import Logger, rank_zero_experiment
    from lightning.pytorch.utilities.rank_zero import rank_zero_only
except ImportError as exc:
    raise ImportError(
        "lossboard.integrations.lightning needs Lightning: pip install 'lossboard[lightning]'"
    ) from exc

from lossboard.log.writer import SummaryWriter
from lossboard.sources.formats import lightning_csv

_NAMES = lightning_csv.Parser()  # its `tag` maps a logged name to the tag the CSV reads as


class LossboardLogger(Logger):
    """Log metrics and hyper-parameters of a Lightning run to ``<save_dir>/<name>/version_N``.

    ``writer_kwargs`` go to the `SummaryWriter` (``flush_secs``, ``strict``...); its
    ``log_dir`` is the version directory. `experiment` is the writer, for ``add_image`` and
    the rest (``self.logger.experiment.add_histogram(...)`` in a LightningModule).
    """

    def __init__(
        self,
        save_dir: str | os.PathLike,
        name: str = "lightning_logs",
        version: int | str | None = None,
        **writer_kwargs: Any,
    ) -> None:
        super().__init__()
        self._save_dir = os.fspath(save_dir)
        self._name = name or ""
        self._version = version
        self._writer_kwargs = writer_kwargs
        self._writer: SummaryWriter | None = None

    @property
    def name(self) -> str:
        return self._name

    @property
    def version(self) -> int | str:
        if self._version is None:
            self._version = _next_version(self.root_dir)
        return self._version

    @property
    def save_dir(self) -> str:
        return self._save_dir

    @property
    def root_dir(self) -> str:
        return os.path.join(self._save_dir, self._name)

    @property
    def log_dir(self) -> str:
        version = self.version if isinstance(self.version, str) else f"version_{self.version}"
        return os.path.join(self.root_dir, version)

    @property
    @rank_zero_experiment
    def experiment(self) -> SummaryWriter:
        """The writer; made on first use, and again after `finalize` closed it."""
        if self._writer is None:
            self._writer = SummaryWriter(self.log_dir, **self._writer_kwargs)
        return self._writer

    @rank_zero_only
    def log_metrics(self, metrics: dict[str, float], step: int | None = None) -> None:
        writer = self.experiment
        if "epoch" in metrics:  # first: the reader gives it to the values that follow at this step
            writer.add_scalar("epoch", metrics["epoch"], step)
        for name, value in metrics.items():
            tag = _NAMES.tag(name)
            if tag is not None:  # None: "epoch" and "step", positions rather than metrics
                writer.add_scalar(tag, value, step)

    @rank_zero_only
    def log_hyperparams(self, params: dict[str, Any] | Namespace, *args: Any, **kwargs: Any) -> None:
        """Hyper-parameters, flattened (``optimizer/lr``), as one ``add_hparams`` record."""
        flat = _sanitize_params(_flatten_dict(_convert_params(params)))
        plain = {
            key: value if isinstance(value, (bool, int, float, str)) or value is None else str(value)
            for key, value in flat.items()
        }
        self.experiment.add_hparams(plain, {})

    @rank_zero_only
    def save(self) -> None:
        if self._writer is not None:
            self._writer.flush()

    @rank_zero_only
    def finalize(self, status: str) -> None:
        """Close the writer at the end of ``fit``/``test``; a later stage opens a new file."""
        if self._writer is not None:
            self._writer.add_meta("status", status)
            self._writer.close()
            self._writer = None


def _next_version(root_dir: str) -> int:
    """One more than the highest ``version_<N>`` directory in ``root_dir`` (0 if none)."""
    try:
        names = os.listdir(root_dir)
    except OSError:
        return 0
    numbers = [
        int(name[8:])
        for name in names
        if name.startswith("version_") and name[8:].isdigit() and os.path.isdir(os.path.join(root_dir, name))
    ]
    return max(numbers, default=-1) + 1
