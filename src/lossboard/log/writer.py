"""`SummaryWriter`: torch.utils.tensorboard's writer, same calls, a fraction of the cost.

``from lossboard import SummaryWriter`` in place of ``from torch.utils.tensorboard import
SummaryWriter`` and the training script runs unchanged; the log directory then holds one
lossboard event file per process (docs/event-format.md) and a ``media/`` directory for
images, and reads back with ``lossboard.load``, ``lossboard plot`` and ``lossboard export``.

The calling thread only checks a value and appends it to a list; every `BATCH_SIZE` values
(or at the first call after ``flush_secs``, at `flush` and at `close`) the list goes to a
background thread that encodes it as one columnar record and appends it to the file. If the
disk falls behind by ``max_queue`` batches, the caller waits for it (memory stays bounded,
nothing is dropped). I/O failures after construction become one `LossboardWarning` per cause
naming the path, and training goes on; ``strict=True`` raises `LossboardError` instead.
A writer is meant to be used from one thread at a time, like a file.

>>> with SummaryWriter("runs/exp1") as writer:  # doctest: +SKIP
...     for step in range(100):
...         writer.add_scalar("Loss/train", 1 / (step + 1), step)
"""

from __future__ import annotations

import atexit
import io
import os
import re
import secrets
import socket
import warnings
from datetime import datetime
from functools import partial
from time import time
from typing import Any

from lossboard import eventfile
from lossboard.errors import LossboardError, LossboardWarning, UsageError
from lossboard.log import _images, _values
from lossboard.log._sender import Sender
from lossboard.model import RESUME

BATCH_SIZE = 4096  # values per scalar record: large enough to amortise encoding, small in memory
_BATCH_ITEMS = 4 * BATCH_SIZE  # pending holds tag, value, step, wall time of each value in a row
_UNSAFE = re.compile(r"[^\w.-]+")
_CONSEQUENCE = {  # what a failure of each cause costs
    "events": "nothing more is logged to this file",
    "media": "images that cannot be written are skipped",
    "encode": "records that cannot be encoded are skipped",
}


class SummaryWriter:
    """Log scalars, images, histograms, text, hyper-parameters and PR curves to ``log_dir``.

    ``log_dir=None`` means ``runs/<Mon DD_HH-MM-SS>_<host><comment>``, as in torch.
    Without ``log_dir``, a script started by ``lossboard run`` writes into that run's
    directory (``$LOSSBOARD_RUN_DIR``), so its scalars and its printed output are one run.

    ``purge_step`` hides every value an earlier writer of the same ``log_dir`` wrote at that
    step or later (resuming from a checkpoint). ``max_queue`` is the number of batches that
    may wait for the disk; ``flush_secs`` how old pending values may get while logging goes
    on. A ``global_step`` of None is the tag's next step (0, 1, 2...).
    """

    def __init__(
        self,
        log_dir: str | os.PathLike | None = None,
        comment: str = "",
        purge_step: int | None = None,
        max_queue: int = 10,
        flush_secs: float = 120,
        filename_suffix: str = "",
        *,
        strict: bool = False,
    ) -> None:
        if not log_dir and os.environ.get("LOSSBOARD_RUN_DIR"):
            log_dir = os.environ["LOSSBOARD_RUN_DIR"]  # under `lossboard run`: the same run
        if not log_dir:
            stamp = datetime.now().strftime("%b%d_%H-%M-%S")
            log_dir = os.path.join("runs", f"{stamp}_{socket.gethostname()}{comment}")
        self.log_dir = os.fspath(log_dir)
        self.strict = strict
        self._flush_secs = float(flush_secs)
        self._pending: list = []
        self._next_steps: dict[str, int] = {}
        self._reported: set[str] = set()
        self._closed = False
        self._pid = os.getpid()  # a forked child has the writer but not its thread
        self._sender: Sender | None = None
        self._max_queue = max_queue
        self._filename_suffix = filename_suffix
        self._open(purge_step)

    def _open(self, purge_step: int | None) -> None:
        """Start this writer's event file (a new one after `close`, as torch's writer does)."""
        now = time()
        self._deadline = now + self._flush_secs
        self._id = secrets.token_hex(4)  # names this writer's event file and images
        name = eventfile.file_name(now=now, token=self._id, suffix=self._filename_suffix)
        self.path = os.path.join(self.log_dir, name)
        head = eventfile.encode_header({"host": socket.gethostname(), "pid": os.getpid(),
                                        "start_time": now, "writer": "lossboard.SummaryWriter"})
        if purge_step is not None:
            head += eventfile.encode_event(RESUME, _values.to_step(purge_step), now, "purge_step")
        self._sender = None
        try:
            os.makedirs(self.log_dir, exist_ok=True)
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_APPEND, 0o644)
        except OSError as exc:
            self._report("events", exc)
            return
        self._sender = Sender(fd, self.path, max_jobs=self._max_queue)
        self._sender.send(lambda: head)
        atexit.register(self.close)

    def _reopen(self) -> None:
        self._closed = False
        self._open(None)

    def get_logdir(self) -> str:
        return self.log_dir

    def add_scalar(
        self, tag: str, scalar_value: Any, global_step: Any = None, walltime: float | None = None,
        new_style: bool = False, double_precision: bool = False,
    ) -> None:
        """Log one value; ``new_style`` and ``double_precision`` are accepted and unneeded
        (values are always stored as float64)."""
        # the hot path: every line here costs each logged value, so checks are type tests
        if self._closed:
            self._reopen()
        if type(tag) is not str:
            raise TypeError(f"tag must be a str, got {type(tag).__name__}: {tag!r}")
        kind = type(scalar_value)
        if kind is not float and kind is not int:
            scalar_value = _values.to_float(scalar_value)
        if global_step is None:
            global_step = self._next_step(tag)
        elif type(global_step) is not int:
            global_step = _values.to_step(global_step)
        now = time() if walltime is None else float(walltime)
        pending = self._pending
        pending.extend((tag, scalar_value, global_step, now))  # flat: no tuple for the GC to track
        if len(pending) >= _BATCH_ITEMS or now >= self._deadline:
            self._handoff()

    def add_scalars(
        self, main_tag: str, tag_scalar_dict: dict[str, Any], global_step: Any = None,
        walltime: float | None = None,
    ) -> None:
        """Log several values as tags ``main_tag/key`` of this run (torch makes a run per key)."""
        now = time() if walltime is None else walltime
        for key, value in tag_scalar_dict.items():
            self.add_scalar(f"{main_tag}/{key}", value, global_step, now)

    def add_image(self, tag: str, img_tensor: Any, global_step: Any = None,
                  walltime: float | None = None, dataformats: str = "CHW") -> None:
        """Log an image (uint8, or float in [0, 1]) as a PNG file under ``media/``."""
        image = _images.to_hwc(_values.to_numpy(img_tensor), dataformats)
        self._media_file(tag, global_step, walltime, lambda: _images.png(image), image.shape)

    def add_images(self, tag: str, img_tensor: Any, global_step: Any = None,
                   walltime: float | None = None, dataformats: str = "NCHW") -> None:
        """Log a batch of images as one grid, eight to a row."""
        self.add_image(tag, img_tensor, global_step, walltime, dataformats)

    def add_figure(self, tag: str, figure: Any, global_step: Any = None, close: bool = True,
                   walltime: float | None = None) -> None:
        """Log a matplotlib figure (or a list of them, as a grid) as a PNG image."""
        figures = figure if isinstance(figure, list) else [figure]
        rendered = [_render(f) for f in figures]
        if close:
            import matplotlib.pyplot as plt

            for f in figures:
                plt.close(f)
        if len(rendered) == 1:
            data, shape = rendered[0]
            self._media_file(tag, global_step, walltime, lambda: data, shape)
            return
        import matplotlib.image

        arrays = [matplotlib.image.imread(io.BytesIO(data), format="png") for data, _ in rendered]
        self.add_images(tag, _values.to_numpy(arrays), global_step, walltime, dataformats="NHWC")

    def add_histogram(self, tag: str, values: Any, global_step: Any = None, bins: Any = "tensorflow",
                      walltime: float | None = None, max_bins: int | None = None) -> None:
        """Log the distribution of ``values``; see `lossboard.log._values.histogram` for ``bins``."""
        array = _values.to_numpy(values)
        self._media("histogram", tag, global_step, walltime, lambda: _values.histogram(array, bins, max_bins))

    def add_histogram_raw(self, tag: str, min: float, max: float, num: int, sum: float,
                          sum_squares: float, bucket_limits: Any, bucket_counts: Any,
                          global_step: Any = None, walltime: float | None = None) -> None:
        data = _values.histogram_raw(min=min, max=max, num=num, sum=sum, sum_squares=sum_squares,
                                     bucket_limits=bucket_limits, bucket_counts=bucket_counts)
        self._media("histogram", tag, global_step, walltime, lambda: data)

    def add_text(self, tag: str, text_string: str, global_step: Any = None,
                 walltime: float | None = None) -> None:
        text = str(text_string)
        self._media("text", tag, global_step, walltime, lambda: {"text": text})

    def add_hparams(self, hparam_dict: dict, metric_dict: dict, hparam_domain_discrete: dict | None = None,
                    run_name: str | None = None, global_step: Any = None) -> None:
        """Log hyper-parameters and their metrics into this run (``run_name`` is not needed:
        torch writes a separate run directory, lossboard does not). The metrics are also
        logged as scalars, and each hyper-parameter as run metadata ``hparam/<name>``."""
        if type(hparam_dict) is not dict or type(metric_dict) is not dict:
            raise TypeError("hparam_dict and metric_dict must be dicts")
        hparams = {str(k): _hparam(k, v) for k, v in hparam_dict.items()}
        metrics = {str(k): _values.to_float(v) for k, v in metric_dict.items()}
        step = 0 if global_step is None else global_step
        data = {"hparams": hparams, "metrics": metrics, "domain_discrete": hparam_domain_discrete or {}}
        self._media("hparams", "hparams", step, None, lambda: data)
        for key, value in hparams.items():
            self.add_meta(f"hparam/{key}", value)
        for key, value in metrics.items():
            self.add_scalar(key, value, step)

    def add_pr_curve(self, tag: str, labels: Any, predictions: Any, global_step: Any = None,
                     num_thresholds: int = 127, weights: Any = None, walltime: float | None = None) -> None:
        """Log precision and recall at ``num_thresholds`` thresholds of ``predictions`` in [0, 1]."""
        if num_thresholds < 2:
            raise ValueError(f"num_thresholds must be at least 2, got {num_thresholds}")
        truth, scores = _values.to_numpy(labels), _values.to_numpy(predictions)
        weight = None if weights is None else _values.to_numpy(weights)
        if truth.shape != scores.shape:
            raise ValueError(f"labels {truth.shape} and predictions {scores.shape} differ in shape")
        self._media("pr_curve", tag, global_step, walltime,
                    lambda: _values.pr_curve(truth, scores, num_thresholds, weight))

    def add_meta(self, key: str, value: Any) -> None:
        """Record a fact about the run (command line, exit status, ...) as ``Run.meta[key]``."""
        record = eventfile.encode_meta(str(key), str(value))
        self._send(lambda: record)

    def flush(self) -> None:
        """Write everything logged so far; returns once it is in the file (not fsynced)."""
        if self._closed:
            return
        self._handoff()
        if self._sender is not None:
            self._sender.wait()
        self._report_errors()

    def close(self) -> None:
        """Write everything and close the file; closing twice is harmless, and logging after
        it starts a new file in the same log directory, as torch's writer does."""
        if self._closed:
            return
        self._closed = True
        self._send_pending()
        atexit.unregister(self.close)
        if self._sender is not None:
            self._sender.stop()
        self._report_errors()

    def __enter__(self) -> SummaryWriter:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _next_step(self, tag: str) -> int:
        step = self._next_steps.get(tag, 0)
        self._next_steps[tag] = step + 1
        return step

    def _handoff(self) -> None:
        self._send_pending()
        self._report_errors()

    def _send_pending(self) -> None:
        if os.getpid() != self._pid:
            raise UsageError(f"a SummaryWriter ({self.path}) was used in a forked child process; "
                             "create a new SummaryWriter in the child")
        pending, self._pending = self._pending, []
        self._deadline = time() + self._flush_secs
        if pending and self._sender is not None:
            self._sender.send(partial(_encode_scalars, pending))

    def _send(self, job: Any) -> None:
        if self._closed:
            self._reopen()
        self._handoff()  # keep the file in call order
        if self._sender is not None:
            self._sender.send(job)

    def _media(self, kind: str, tag: str, global_step: Any, walltime: float | None, data: Any) -> None:
        step = self._next_step(tag) if global_step is None else _values.to_step(global_step)
        now = time() if walltime is None else float(walltime)
        self._send(lambda: eventfile.encode_media(kind, tag, step, now, data()))

    def _media_file(self, tag: str, global_step: Any, walltime: float | None, content: Any,
                    shape: tuple) -> None:
        """An image: its PNG goes to ``media/<tag>/<step>.<writer id>.png`` beside the file."""
        step = self._next_step(tag) if global_step is None else _values.to_step(global_step)
        parts = [_UNSAFE.sub("_", part).replace("..", "_") for part in tag.split("/") if part]
        relative = "/".join(["media", *(parts or ["_"]), f"{step}.{self._id}.png"])
        target = os.path.join(self.log_dir, relative)

        def data() -> dict:
            os.makedirs(os.path.dirname(target), exist_ok=True)
            with open(target, "wb") as file:
                file.write(content())
            return {"path": relative, "height": shape[0], "width": shape[1]}

        self._media("image", tag, step, walltime, data)

    def _report_errors(self) -> None:
        if self._sender is not None:
            while self._sender.errors:
                self._report(*self._sender.errors.pop(0))

    def _report(self, cause: str, exc: BaseException) -> None:
        where = getattr(exc, "filename", None) or self.path
        reason = getattr(exc, "strerror", None) or exc
        message = f"{where}: cannot write ({reason})"
        if self.strict:
            raise LossboardError(message) from exc
        if cause in self._reported:
            return
        self._reported.add(cause)
        warnings.warn(f"{message}; {_CONSEQUENCE[cause]}, training goes on (strict=True raises instead)",
                      LossboardWarning, stacklevel=4)


def _encode_scalars(pending: list) -> bytes:
    return eventfile.encode_scalars(pending[0::4], pending[2::4], pending[1::4], pending[3::4])


def _render(figure: Any) -> tuple[bytes, tuple[int, int]]:
    """PNG bytes of a matplotlib figure and its (height, width) in pixels."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    width, height = (figure.get_size_inches() * figure.dpi).round().astype(int)
    return buffer.getvalue(), (int(height), int(width))


def _hparam(name: Any, value: Any) -> bool | int | float | str | None:
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if type(value).__module__.split(".")[0] in ("numpy", "torch"):
        return _values.to_float(value)
    raise TypeError(f"hyper-parameter {name!r} must be a bool, int, float, str or None, "
                    f"got {type(value).__name__}")
