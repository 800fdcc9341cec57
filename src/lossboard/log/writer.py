"""`SummaryWriter`: torch.utils.tensorboard's writer, same calls, same files, a fraction of the cost.

``from lossboard import SummaryWriter`` in place of ``from torch.utils.tensorboard import
SummaryWriter`` and the training script runs unchanged: every method of torch's writer is
here with its signature, and the log directory holds TensorBoard event files that
``tensorboard --logdir``, tbparse and W&B's sync read as they read torch's (one file per
writer, docs/event-format.md). ``lossboard.load``, ``plot`` and ``export`` read them too.
``format="lossboard"`` writes lossboard's own columnar files instead (half the bytes, faster
to index; TensorBoard cannot read them); without tensorboard installed the writer falls back
to them, with one warning naming the extra.

The calling thread only checks a value and appends it to a list; every `BATCH_SIZE` values
(or at the first call after ``flush_secs``, at `flush` and at `close`) the list goes to a
background thread that encodes it in bulk (`_tfbulk`) and appends it to the file. If the
disk falls behind by ``max_queue`` batches, the caller waits for it (memory stays bounded,
nothing is dropped). I/O failures after construction become one `LossboardWarning` per cause
naming the path, and training goes on; ``strict=True`` raises `LossboardError` instead.
A step outside int64 (TensorBoard's step type) is one warning and that value is dropped.
A writer is meant to be used from one thread at a time, like a file.

>>> with SummaryWriter("runs/exp1") as writer:  # doctest: +SKIP
...     for step in range(100):
...         writer.add_scalar("Loss/train", 1 / (step + 1), step)
"""

from __future__ import annotations

import atexit
import io
import os
import socket
import warnings
from datetime import datetime
from functools import partial
from time import time
from typing import Any

from lossboard.errors import LossboardError, LossboardWarning, UsageError
from lossboard.log import _av, _graph, _images, _lbevents, _tfevents, _values, _wandb
from lossboard.log._sender import Sender

BATCH_SIZE = 4096  # values per encoded batch: large enough to amortise encoding, small in memory
_BATCH_ITEMS = 4 * BATCH_SIZE  # pending holds tag, value, step, wall time of each value in a row
EXTRA = "pip install 'lossboard[tfevents]'"
FORMATS = ("tfevents", "lossboard")
_CONSEQUENCE = {  # what a failure of each cause costs
    "events": "nothing more is logged to this file",
    "media": "files that cannot be written are skipped",
    "encode": "records that cannot be encoded are skipped",
}
_fallback_warned = False  # the missing tensorboard is said once per process, not per writer


class SummaryWriter:
    """Log scalars, images, histograms, text, hyper-parameters, PR curves, graphs, embeddings,
    audio, video and meshes to ``log_dir``.

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
        format: str = "tfevents",
        strict: bool = False,
    ) -> None:
        if format not in FORMATS:
            raise UsageError(f"format must be one of {', '.join(FORMATS)}, got {format!r}")
        if not log_dir and os.environ.get("LOSSBOARD_RUN_DIR"):
            log_dir = os.environ["LOSSBOARD_RUN_DIR"]  # under `lossboard run`: the same run
        if not log_dir:
            stamp = datetime.now().strftime("%b%d_%H-%M-%S")
            log_dir = os.path.join("runs", f"{stamp}_{socket.gethostname()}{comment}")
        self.log_dir = os.fspath(log_dir)
        self.strict = strict
        self.format = _usable(format)
        self._codec = (_tfevents.TfEventsFile if self.format == "tfevents" else _lbevents.LossboardFile)(self.log_dir)
        self._flush_secs = float(flush_secs)
        self._pending: list = []
        self._next_steps: dict[str, int] = {}
        self._reported: set[str] = set()
        self._closed = False
        self._pid = os.getpid()  # a forked child has the writer but not its thread
        self._sender: Sender | None = None
        self._max_queue = max_queue
        self._filename_suffix = filename_suffix
        self._projector: Any = None
        self._open(None if purge_step is None else self._checked_step("purge_step", purge_step))

    def _open(self, purge_step: int | None) -> None:
        """Start this writer's event file (a new one after `close`, as torch's writer does)."""
        now = time()
        self._deadline = now + self._flush_secs
        self.path = os.path.join(self.log_dir, self._codec.file_name(now, self._filename_suffix))
        run = {"host": socket.gethostname(), "pid": os.getpid(), "start_time": now,
               "writer": "lossboard.SummaryWriter"}
        head = self._codec.header(run, now, purge_step)
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
        if self.format == "tfevents":
            try:
                _wandb.announce(self.log_dir)
            except Exception as exc:  # W&B's internals moved: say so, logging goes on
                warnings.warn(f"{self.log_dir}: could not tell W&B's sync_tensorboard about this directory "
                              f"({exc!r}); the values are still written here", LossboardWarning, stacklevel=3)

    def _reopen(self) -> None:
        self._closed = False
        self._open(None)

    def get_logdir(self) -> str:
        return self.log_dir

    def add_scalar(
        self, tag: str, scalar_value: Any, global_step: Any = None, walltime: float | None = None,
        new_style: bool = False, double_precision: bool = False,
    ) -> None:
        """Log one value, as a ``simple_value`` (float32) like torch's writer; ``new_style``
        writes a tensor (float64 with ``double_precision``) as torch's does."""
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
        if not -0x8000000000000000 <= global_step <= 0x7FFFFFFFFFFFFFFF:
            self._drop_step(tag, global_step)
            return
        if new_style and "scalar" in self._codec.kinds:
            data = {"value": float(scalar_value), "double": double_precision}
            self._media("scalar", tag, global_step, walltime, lambda: data)
            return
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

    def add_tensor(self, tag: str, tensor: Any, global_step: Any = None, walltime: float | None = None) -> None:
        array = _values.to_numpy(tensor)
        self._media("tensor", tag, global_step, walltime, lambda: {"array": array})

    def add_image(self, tag: str, img_tensor: Any, global_step: Any = None,
                  walltime: float | None = None, dataformats: str = "CHW") -> None:
        """Log an image (uint8, or float in [0, 1]) as PNG."""
        image = _images.to_hwc(_values.to_numpy(img_tensor), dataformats)
        self._media("image", tag, global_step, walltime, partial(_png, image))

    def add_images(self, tag: str, img_tensor: Any, global_step: Any = None,
                   walltime: float | None = None, dataformats: str = "NCHW") -> None:
        """Log a batch of images as one grid, eight to a row."""
        self.add_image(tag, img_tensor, global_step, walltime, dataformats)

    def add_image_with_boxes(self, tag: str, img_tensor: Any, box_tensor: Any, global_step: Any = None,
                             walltime: float | None = None, rescale: float = 1, dataformats: str = "CHW",
                             labels: list[str] | None = None) -> None:
        """Log an image with boxes ``(x_min, y_min, x_max, y_max)`` drawn on it."""
        image = _images.to_hwc(_values.to_numpy(img_tensor), dataformats)
        boxes = _values.to_numpy(box_tensor).reshape(-1, 4) * rescale
        if rescale != 1:
            image = image.repeat(int(rescale), 0).repeat(int(rescale), 1)
        drawn = _images.with_boxes(image, boxes, labels)
        self._media("image", tag, global_step, walltime, partial(_png, drawn))

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
            data, (height, width) = rendered[0]
            self._media("image", tag, global_step, walltime,
                        lambda: {"encoded": data, "height": height, "width": width, "channels": 4})
            return
        import matplotlib.image

        arrays = [matplotlib.image.imread(io.BytesIO(data), format="png") for data, _ in rendered]
        self.add_images(tag, _values.to_numpy(arrays), global_step, walltime, dataformats="NHWC")

    def add_video(self, tag: str, vid_tensor: Any, global_step: Any = None, fps: float = 4,
                  walltime: float | None = None) -> None:
        """Log videos (N x T x C x H x W, uint8 or float in [0, 1]) as one animated GIF."""
        video = _values.to_numpy(vid_tensor)
        if video.ndim != 5:
            raise ValueError(f"video must be N x T x C x H x W, got shape {video.shape}")
        self._media("video", tag, global_step, walltime, lambda: _av.gif(video, fps))

    def add_audio(self, tag: str, snd_tensor: Any, global_step: Any = None, sample_rate: int = 44100,
                  walltime: float | None = None) -> None:
        """Log sound (samples in [-1, 1], shaped (L,), (1, L) or (channels, L)) as WAV."""
        samples = _values.to_numpy(snd_tensor)
        self._media("audio", tag, global_step, walltime, lambda: _av.wav(samples, sample_rate))

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
        """Log hyper-parameters and their metrics into this run, where TensorBoard's HParams tab
        finds them (``run_name`` is not needed: torch writes a separate run directory per call,
        lossboard does not). The metrics are also logged as scalars, and each hyper-parameter as
        the fact ``hparam/<name>``."""
        if type(hparam_dict) is not dict or type(metric_dict) is not dict:
            raise TypeError("hparam_dict and metric_dict must be dicts")
        hparams = {str(k): _hparam(k, v) for k, v in hparam_dict.items()}
        metrics = {str(k): _values.to_float(v) for k, v in metric_dict.items()}
        step = 0 if global_step is None else global_step
        data = {"hparams": hparams, "metrics": metrics, "domain_discrete": hparam_domain_discrete or {},
                "start_time": time()}
        self._media("hparams", "hparams", step, None, lambda: data)
        for key, value in hparams.items():  # as written: TensorBoard's numbers do not tell 2 from 2.0
            self.add_meta(f"hparam/{key}", value)
        for key, value in metrics.items():  # float64: a table shows 0.6, not 0.6000000238418579
            self.add_scalar(key, value, step, new_style=True, double_precision=True)

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

    def add_pr_curve_raw(self, tag: str, true_positive_counts: Any, false_positive_counts: Any,
                         true_negative_counts: Any, false_negative_counts: Any, precision: Any, recall: Any,
                         global_step: Any = None, num_thresholds: int = 127, weights: Any = None,
                         walltime: float | None = None) -> None:
        """Log a PR curve computed elsewhere (``num_thresholds`` and ``weights`` are implied by
        the counts, as in torch)."""
        columns = [_values.to_numpy(c).astype(float).ravel().tolist() for c in (
            true_positive_counts, false_positive_counts, true_negative_counts, false_negative_counts,
            precision, recall)]
        if len({len(column) for column in columns}) != 1:
            raise ValueError("the six PR-curve columns must have one entry per threshold each")
        count = len(columns[0])
        data = dict(zip(("tp", "fp", "tn", "fn", "precision", "recall"), columns),
                    thresholds=[i / max(count - 1, 1) for i in range(count)])
        self._media("pr_curve", tag, global_step, walltime, lambda: data)

    def add_mesh(self, tag: str, vertices: Any, colors: Any = None, faces: Any = None,
                 config_dict: dict | None = None, global_step: Any = None, walltime: float | None = None) -> None:
        """Log a 3-D mesh or point cloud (B x N x 3 vertices, colours and faces) for the Mesh tab."""
        data = {"vertices": _values.to_numpy(vertices), "config_dict": config_dict,
                "colors": None if colors is None else _values.to_numpy(colors),
                "faces": None if faces is None else _values.to_numpy(faces)}
        self._media("mesh", tag, global_step, walltime, lambda: data)

    def add_custom_scalars(self, layout: dict) -> None:
        """Group tags into charts in TensorBoard's Custom Scalars tab:
        ``{category: {chart title: ["Multiline", [tags]] or ["Margin", [value, lower, upper]]}}``."""
        plain = {str(category): {str(title): (kind, list(tags)) for title, (kind, tags) in charts.items()}
                 for category, charts in layout.items()}
        self._media("custom_scalars", "custom_scalars__config__", 0, None, lambda: {"layout": plain})

    def add_custom_scalars_multilinechart(self, tags: list[str], category: str = "default",
                                          title: str = "untitled") -> None:
        self.add_custom_scalars({category: {title: ["Multiline", tags]}})

    def add_custom_scalars_marginchart(self, tags: list[str], category: str = "default",
                                       title: str = "untitled") -> None:
        self.add_custom_scalars({category: {title: ["Margin", tags]}})

    def add_graph(self, model: Any, input_to_model: Any = None, verbose: bool = False,
                  use_strict_trace: bool = True) -> None:
        """Log a torch model's graph, traced by torch itself with ``input_to_model``."""
        if self._supports("graph", "add_graph"):
            data = _graph.torch_graph(model, input_to_model, verbose, use_strict_trace)
            self._media("graph", "graph", 0, None, lambda: data)

    def add_onnx_graph(self, prototxt: str) -> None:
        """Log the graph of an ONNX model file (torch's loader; needs the onnx package)."""
        if self._supports("graph", "add_onnx_graph"):
            data = _graph.onnx_graph(prototxt)
            self._media("graph", "graph", 0, None, lambda: data)

    def add_embedding(self, mat: Any, metadata: Any = None, label_img: Any = None, global_step: Any = None,
                      tag: str = "default", metadata_header: Any = None) -> None:
        """Write an embedding for TensorBoard's Projector under ``<log_dir>/<step>/<tag>/``."""
        if not self._supports("embedding", "add_embedding"):
            return
        from lossboard.log._projector import Projector

        if self._projector is None:
            self._projector = Projector()
        step = 0 if global_step is None else self._checked_step(tag, global_step)
        if step is None:
            return
        labels = None if label_img is None else _values.to_numpy(label_img)
        rows = None if metadata is None else list(metadata)
        try:
            self._projector.add(self.log_dir, _values.to_numpy(mat), rows, labels, step, tag, metadata_header)
        except OSError as exc:
            self._report("media", exc)

    def add_meta(self, key: str, value: Any) -> None:
        """Record a fact about the run (command line, exit status, ...) as ``Run.meta[key]``."""
        text = str(value)
        self._media("meta", str(key), 0, None, lambda: {"value": text})

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

    def _checked_step(self, tag: str, global_step: Any) -> int | None:
        step = _values.to_step(global_step)
        if not -0x8000000000000000 <= step <= 0x7FFFFFFFFFFFFFFF:
            self._drop_step(tag, step)
            return None
        return step

    def _drop_step(self, tag: str, step: int) -> None:
        if "step" not in self._reported:
            self._reported.add("step")
            warnings.warn(f"{self.log_dir}: step {step} of {tag!r} is outside int64, TensorBoard's step type; "
                          "values at such steps are dropped, training goes on", LossboardWarning, stacklevel=3)

    def _supports(self, kind: str, method: str) -> bool:
        if kind in self._codec.kinds:
            return True
        if method not in self._reported:
            self._reported.add(method)
            warnings.warn(f"{self.log_dir}: {method} needs TensorBoard event files, and this writer writes "
                          f"lossboard's ({'format=' + repr(self.format)}; {EXTRA}); nothing logged",
                          LossboardWarning, stacklevel=3)
        return False

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
            self._sender.send(partial(_encode_scalars, self._codec, pending))

    def _media(self, kind: str, tag: str, global_step: Any, walltime: float | None, data: Any) -> None:
        """Queue one non-scalar record; ``data()`` runs on the background thread."""
        if not self._supports(kind, f"add_{kind}"):
            return
        if global_step is None:
            step = self._next_step(tag)
        else:
            step = self._checked_step(tag, global_step)
            if step is None:
                return
        now = time() if walltime is None else float(walltime)
        if self._closed:
            self._reopen()
        self._handoff()  # keep the file in call order
        if self._sender is not None:
            codec = self._codec
            self._sender.send(lambda: codec.media(kind, tag, step, now, data()))

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


def _usable(format: str) -> str:
    """``format``, or "lossboard" when TensorBoard files were asked for and tensorboard is missing."""
    global _fallback_warned
    if format != "tfevents" or _tfevents.available():
        return format
    if not _fallback_warned:
        _fallback_warned = True
        warnings.warn(f"tensorboard is not installed, so SummaryWriter writes lossboard's own event files, "
                      f"which TensorBoard cannot read ({EXTRA} to write TensorBoard's)", LossboardWarning,
                      stacklevel=3)
    return "lossboard"


def _encode_scalars(codec: Any, pending: list) -> bytes:
    return codec.scalars(pending[0::4], pending[2::4], pending[1::4], pending[3::4])


def _png(image: Any) -> dict:
    height, width, channels = image.shape
    return {"encoded": _images.png(image), "height": height, "width": width, "channels": channels}


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
