"""MXNet ``Module.fit`` callbacks that write training and validation values to a lossboard
writer.

MXNet is not imported: the callbacks read only what ``Module.fit`` passes them (a
``BatchEndParam`` with ``epoch``, ``nbatch``, ``eval_metric`` and ``locals``; the epoch and
parameters at epoch end), so any MXNet from 0.12 on, and any loop calling them the same way,
works without an extra to install. MXNet itself is retired and has no wheels for current
Pythons, so the tests drive the callbacks exactly as ``Module.fit`` does::

    callback = LossboardCallback(lossboard.SummaryWriter("runs/resnet"), batch_size=128)
    mod.fit(train, eval_data=val, eval_metric="acc",
            batch_end_callback=callback.batch_end,
            epoch_end_callback=callback.epoch_end,
            eval_end_callback=callback.eval_end)

Tags are what lossboard's ``mxnet`` parser gives the lines ``Module.fit`` prints
(``Epoch[3] Train-accuracy=...``, ``Validation-accuracy=...``), at step = epoch, so a run's
log file and its writer agree.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from typing import Any

from lossboard import tags
from lossboard.log.speedometer import Speedometer, read_name_values


class LossboardCallback:
    """``batch_end``, ``epoch_end`` and ``eval_end`` callbacks for ``Module.fit``.

    With ``batch_size`` the batch callback is a `Speedometer` writing to ``writer`` as well
    (it replaces ``mx.callback.Speedometer``; pass that one no more). ``epoch_end`` writes
    the training metric of the epoch (``train/<metric>``), ``eval_end`` the validation
    metric (``val/<metric>``); both prefer MXNet >= 1.3's global values, which a window
    reset leaves alone. `log_validation` takes the ``[(name, value)]`` of ``mod.score()``.
    """

    def __init__(
        self,
        writer: Any,
        batch_size: int | None = None,
        *,
        frequent: int = 50,
        logger: logging.Logger | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.writer = writer
        self.speedometer = (
            None
            if batch_size is None
            else Speedometer(batch_size, frequent, writer=writer, logger=logger, clock=clock)
        )
        self._metric: Any = None  # the training metric, as the last batch saw it

    def batch_end(self, param: Any) -> None:
        self._metric = param.eval_metric
        if self.speedometer is not None:
            self.speedometer(param)

    def epoch_end(
        self, epoch: int, symbol: Any = None, arg_params: Any = None, aux_params: Any = None
    ) -> None:
        if self._metric is not None:
            self._write("Train-", epoch, read_name_values(self._metric, overall=True))

    def eval_end(self, param: Any) -> None:
        """``eval_end_callback``: called once after validation with the validation metric."""
        self.log_validation(param.epoch, read_name_values(param.eval_metric, overall=True))

    def log_validation(self, epoch: int, name_value: Iterable[tuple[str, float]]) -> None:
        self._write("Validation-", epoch, name_value)

    def _write(self, prefix: str, epoch: int, name_value: Iterable[tuple[str, float]]) -> None:
        for name, value in name_value:
            self.writer.add_scalar(tags.canonical(prefix + name), float(value), epoch)
