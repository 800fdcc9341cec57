"""MXNet's Speedometer without its validation pitfall: samples/sec and metrics every
``frequent`` batches, as the line MXNet >= 0.12 prints, and optionally to a writer.

The line goes through `logging` in MXNet's own shape, so every tool that reads MXNet logs
(lossboard's ``mxnet`` parser included) reads it::

    Epoch[0] Batch [50-100]\tSpeed: 1694.57 samples/sec\taccuracy=0.584035

    speedometer = lossboard.Speedometer(128, frequent=50, writer=writer)
    mod.fit(train, batch_end_callback=speedometer)           # as an MXNet callback
    for nbatch, batch in enumerate(loader):                    # or from any loop
        speedometer.update(epoch, nbatch, {"loss": loss})

See docs/speedometer.md for what a line's values cover and why a metric is never reset.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Mapping
from typing import Any

from lossboard import tags
from lossboard.errors import UsageError

_LINE = "Epoch[%d] Batch [%d-%d]\tSpeed: %.2f samples/sec"
_VALUE = "\t%s=%f"
_SPEED_TAG = tags.canonical("Speed")
# where a metric keeps its running sums: MXNet >= 1.3 global ones first, then local ones
_SUM_FIELDS = (("global_sum_metric", "global_num_inst"), ("sum_metric", "num_inst"))

NameValues = list[tuple[str, float]]


def read_name_values(metric: Any, *, overall: bool = False) -> NameValues:
    """A metric's ``[(name, value), ...]``, from ``get_name_value()`` or ``get()``.

    ``overall`` prefers ``get_global_name_value()`` (MXNet >= 1.3), which `reset_local`
    leaves alone.
    """
    if overall and hasattr(metric, "get_global_name_value"):
        return [(name, float(value)) for name, value in metric.get_global_name_value()]
    if hasattr(metric, "get_name_value"):
        return [(name, float(value)) for name, value in metric.get_name_value()]
    names, values = metric.get()
    if isinstance(names, str):
        return [(names, float(values))]
    return [(name, float(value)) for name, value in zip(names, values)]


def _sums(metric: Any) -> list[tuple[float, float]] | None:
    """``(sum_metric, num_inst)`` of each value a metric reports, or None when it keeps none.

    A composite metric (MXNet's ``CompositeEvalMetric``) has the sums of its ``metrics``.
    """
    children = getattr(metric, "metrics", None)
    if isinstance(children, (list, tuple)):
        found: list[tuple[float, float]] = []
        for child in children:
            sums = _sums(child)
            if sums is None:
                return None
            found.extend(sums)
        return found
    for total_field, count_field in _SUM_FIELDS:
        total, count = getattr(metric, total_field, None), getattr(metric, count_field, None)
        if total is None or count is None:
            continue
        if isinstance(total, (list, tuple)):  # one sum per output (MXNet's ``num=``)
            return [(float(t), float(c)) for t, c in zip(total, count)]
        return [(float(total), float(count))]
    return None


def _window(now: list[tuple[float, float]], then: list[tuple[float, float]]) -> list[float]:
    """Each value over what was added between two readings of the sums."""
    values = []
    for (total, count), (old_total, old_count) in zip(now, then):
        added = count - old_count
        values.append((total - old_total) / added if added else float("nan"))
    return values


def _plain_averages(values: NameValues, sums: list[tuple[float, float]]) -> bool:
    """Whether each value is its ``sum / count`` (a Perplexity reports ``exp`` of it)."""
    return len(values) == len(sums) and all(
        count == 0 or math.isclose(value, total / count, rel_tol=1e-9, abs_tol=1e-12)
        for (_, value), (total, count) in zip(values, sums)
    )


def _was_reset(now: list[tuple[float, float]], then: list[tuple[float, float]]) -> bool:
    return len(now) != len(then) or any(c < old_c for (_, c), (_, old_c) in zip(now, then))


class Speedometer:
    """Logs samples/sec and metrics every ``frequent`` batches, as MXNet's Speedometer does.

    Call it as an MXNet ``batch_end_callback`` (``param`` has ``epoch``, ``nbatch`` and
    ``eval_metric``) or call `update` from any loop, once per batch. The first call of an
    epoch (``nbatch`` going back) starts the clock; each line reports the batches since the
    previous one. With a ``writer`` (anything with ``add_scalar(tag, value, global_step)``)
    the same values go to ``perf/samples_per_sec`` and ``train_batch/<metric>`` at the
    global step ``batches of earlier epochs + nbatch``.

    ``auto_reset=True`` reports each metric over the window, without ever calling
    ``reset()`` (MXNet's pitfall: when the metric also serves validation, the reported
    validation value then covers only the last window). It calls ``reset_local()`` when the
    metric has it (MXNet >= 1.3 metrics keep global sums that this leaves alone), else works
    out the window from differences of ``sum_metric``/``num_inst`` when the value is their
    ratio, else reports the running value (and says so once, at DEBUG level).
    ``auto_reset=False`` always reports the running value and touches nothing. The whole
    story, with the line ranges of each case, is in docs/speedometer.md.
    """

    def __init__(
        self,
        batch_size: int,
        frequent: int = 50,
        auto_reset: bool = True,
        *,
        writer: Any = None,
        logger: logging.Logger | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if batch_size <= 0 or frequent <= 0:
            raise UsageError(
                f"Speedometer needs a positive batch_size and frequent, got {batch_size} and {frequent}"
            )
        self.batch_size = batch_size
        self.frequent = frequent
        self.auto_reset = auto_reset
        self.writer = writer
        self.logger = logger or logging.getLogger(__name__)
        self._clock = clock
        self._tic = 0.0
        self._tic_batch = 0  # the batch at which the clock was last read
        self._last_batch: int | None = None
        self._step_base = 0  # global step of batch 0 of the current epoch
        self._mark: tuple[Any, list[tuple[float, float]]] | None = None  # (metric, sums then)
        self._said_running = False

    def __call__(self, param: Any) -> None:
        """MXNet ``batch_end_callback``: reads ``param.epoch``, ``nbatch``, ``eval_metric``."""
        metric = param.eval_metric
        started = self._enter(param.nbatch)
        if started and metric is not None:
            self._drop_mark_if_reset(metric)
        if started or param.nbatch % self.frequent:
            return
        first, values = (self._tic_batch, []) if metric is None else self._read(metric)
        self._report(param.epoch, first, param.nbatch, values)

    def update(self, epoch: int, nbatch: int, metrics: Mapping[str, float] | None = None) -> None:
        """The same from any loop: call once per batch; ``metrics`` are logged as given."""
        if self._enter(nbatch) or nbatch % self.frequent:
            return
        values = [(name, float(value)) for name, value in (metrics or {}).items()]
        self._report(epoch, self._tic_batch, nbatch, values)

    def _enter(self, nbatch: int) -> bool:
        """Track the batch counter; True for the first call of an epoch (the clock starts)."""
        last = self._last_batch
        self._last_batch = nbatch
        if last is not None and nbatch >= last:
            return False
        if last is not None:
            self._step_base += last + 1
        self._tic, self._tic_batch = self._clock(), nbatch
        return True

    def _read(self, metric: Any) -> tuple[int, NameValues]:
        """The metric's values for the line, and the first batch they cover."""
        values = read_name_values(metric)
        if not self.auto_reset:
            return 0, values
        if hasattr(metric, "reset_local"):
            metric.reset_local()
            return self._tic_batch, values
        sums = _sums(metric)
        if sums is None or not _plain_averages(values, sums):
            if not self._said_running:
                self._said_running = True
                self.logger.debug(
                    "%s has no reset_local() and no sum_metric/num_inst whose ratio is its value: "
                    "reporting its running value, never resetting it",
                    type(metric).__name__,
                )
            return 0, values
        then = self._mark[1] if self._mark is not None and self._mark[0] is metric else None
        if then is None or _was_reset(sums, then):
            then = [(0.0, 0.0)] * len(sums)
        self._mark = (metric, sums)
        window = _window(sums, then)
        return self._tic_batch, [(name, value) for (name, _), value in zip(values, window)]

    def _drop_mark_if_reset(self, metric: Any) -> None:
        # checked when an epoch starts, right after the loop's reset and one batch: later
        # the sums may have grown past the mark again
        if self._mark is None or self._mark[0] is not metric:
            return
        sums = _sums(metric)
        if sums is None or _was_reset(sums, self._mark[1]):
            self._mark = None

    def _report(self, epoch: int, first: int, nbatch: int, values: NameValues) -> None:
        now = self._clock()
        elapsed = now - self._tic
        batches = nbatch - self._tic_batch
        speed = batches * self.batch_size / elapsed if elapsed > 0 else float("inf")
        self._tic, self._tic_batch = now, nbatch
        self.logger.info(
            _LINE + _VALUE * len(values),
            epoch,
            first,
            nbatch,
            speed,
            *[item for pair in values for item in pair],
        )
        writer = self.writer
        if writer is not None:
            step = self._step_base + nbatch
            writer.add_scalar(_SPEED_TAG, speed, step)
            for name, value in values:
                writer.add_scalar(tags.canonical(name, tags.BATCH), value, step)
