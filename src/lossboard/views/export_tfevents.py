"""Write runs as TensorBoard run directories, so any log lossboard reads opens in TensorBoard.

``write_tfevents(runs, "tb")`` writes ``tb/<run>/events.out.tfevents.<seconds>.<host>.lossboard``
per run. The run's name is made safe for any file system (see `run_dir_names`): separators,
control and Windows-reserved characters become ``_``, and so do every ``..`` and a leading
dot (hidden directories, which loaders skip); an empty name becomes ``run``, and a name
another run already took (compared ignoring case, as macOS and Windows do) gets ``#2``,
``#3``, like the loader's duplicate names. Nothing is overwritten: a run directory that
already holds an event file (TensorBoard would mix its points with the new ones) stops the
export before anything is written, and the event file is created exclusively.

What each file holds, as ``tf.summary.scalar`` writes it, so values round-trip exactly:

* one event per point: tag = the canonical tag (``train/loss``), step = the point's step, and
  the value as a scalar tensor of dtype ``DT_DOUBLE`` (``simple_value`` is float32 and would
  round); NaN, ±inf and -0.0 are values. A tag's first value carries the ``scalars`` plugin
  metadata, with the printed name (``source_tag``) as its description; read back, the source
  tag is the canonical tag. Series of one run that share a canonical tag (``Loss/train`` and
  ``train_loss``, both ``train/loss``) are written as ``train/loss/Loss/train`` and
  ``train/loss/train_loss``, so TensorBoard keeps them apart as lossboard does and shows them
  side by side in the ``train/loss`` group.
* wall_time = the point's wall time; where it is unknown, 0. TensorBoard has no "unknown":
  0 is what an event without a time holds, and what `lossboard.load` (the ``tfevents``
  reader) reads back as unknown, so the round trip stays exact. The default step axis plots
  as usual; the relative and wall axes draw such points at x = 0 (1970), the honest picture
  of a time nobody recorded. Inventing times (from the step, the export's clock) would make
  them look measured. A known wall time of exactly 0 reads back as unknown too.
* epochs are not written: TensorBoard has no epoch axis, and a made-up ``<split>/epoch``
  series would come back as a metric nobody logged. The step axis is the run's own step.
* `Run.events` (resumes, learning-rate changes, checkpoints, early stops) become text
  summaries, one per event at its step, under ``events/<kind>`` (TensorBoard's Text tab). Not
  ``SessionLog.START``: TensorBoard would purge every point from that step on, and lossboard
  has already stitched the resumed files. Readers of scalars, lossboard's included, skip them.
* the file starts with the ``brain.Event:2`` file version (so TensorBoard does not take the
  per-tag step resets between series for restarts) at the export's time, which also names
  the file. Media (images, histograms), metadata and problems are not exported.

Records are built with tensorboard's generated protobuf classes, so this needs ``pip install
'lossboard[tfevents]'``, and framed by `lossboard.sources.formats._tfrecord.record` (Google's C
CRC-32C: tensorboard's ``RecordWriter`` spends ~10 µs a point on it in pure Python). Series
are written one after another, 16 Ki points at a time: memory does not grow with the run.
"""

from __future__ import annotations

import math
import re
import socket
import time
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any, NamedTuple

import numpy as np

from lossboard.errors import UsageError
from lossboard.model import Event, Run, Series
from lossboard.sources.formats._tfrecord import record

EXTRA = "pip install 'lossboard[tfevents]'"
FILE_VERSION = "brain.Event:2"
EVENTS_TAG = "events"  # events/<kind>: the text summaries of a run's events
_CHUNK = 1 << 14  # points turned into Python numbers at a time
_BUFFER = 1 << 20
_MAX_NAME_BYTES = 200  # NAME_MAX is 255 bytes; room for a "#N" suffix
_UNSAFE_CHARS = re.compile(r'[\x00-\x1f\x7f/\\<>:"|?*]')
_DOTS = re.compile(r"^\.+|\.{2,}")  # "..", and a leading dot: hidden directories, which loaders skip
_WINDOWS_DEVICES = frozenset(
    ["CON", "PRN", "AUX", "NUL", *(f"COM{n}" for n in range(1, 10)), *(f"LPT{n}" for n in range(1, 10))]
)


class _Tensorboard(NamedTuple):
    """What the writer takes from the tensorboard package."""

    event: type
    source_metadata: type
    make_tensor_proto: Callable
    scalar_metadata: Callable
    text_summary: Callable


def _tensorboard() -> _Tensorboard:
    """tensorboard's classes, imported on first use: ``import lossboard`` stays cheap and
    works without the extra."""
    try:
        from tensorboard.compat.proto import event_pb2
        from tensorboard.plugins.scalar.metadata import create_summary_metadata
        from tensorboard.plugins.text.summary_v2 import text_pb
        from tensorboard.util.tensor_util import make_tensor_proto
    except ImportError as exc:
        raise UsageError(f"tfevents export needs tensorboard: {EXTRA}") from exc
    return _Tensorboard(event_pb2.Event, event_pb2.SourceMetadata, make_tensor_proto, create_summary_metadata,
                        text_pb)


def require_tensorboard() -> None:
    """Raise the `UsageError` naming the extra now, before a long load, if tensorboard is missing."""
    _tensorboard()


def write_tfevents(runs: Sequence[Run], out_dir: str | Path, *, now: float | None = None) -> list[Path]:
    """Write each run as a TensorBoard run directory under ``out_dir``; return the event files.

    ``now`` (seconds since the epoch, default the current time) names the files and dates
    their file-version event. Every target is checked before the first byte is written.

    >>> write_tfevents(lossboard.load("logs/"), "tb")  # doctest: +SKIP
    [PosixPath('tb/alexnet/events.out.tfevents.1764075164.vm.lossboard')]
    >>> # then: tensorboard --logdir tb
    """
    tb = _tensorboard()
    now = time.time() if now is None else now
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise UsageError(f"{out}: a file, not a directory; tfevents export writes a directory of runs")
    file_name = f"events.out.tfevents.{int(now):010d}.{socket.gethostname()}.lossboard"
    targets = [out / name for name in run_dir_names([run.name for run in runs])]
    for target in targets:
        _check_free(target)
    written = []
    for run, target in zip(runs, targets):
        target.mkdir(parents=True, exist_ok=True)
        path = target / file_name
        with _event_file(path) as file:
            _write_run(tb, lambda payload: file.write(record(payload)), run, now)
        written.append(path)
    return written


def run_dir_names(names: Sequence[str]) -> list[str]:
    """A directory name for each run name: safe on any file system, and no two alike.

    >>> run_dir_names(["cifar/resnet", "cifar_resnet", "..", "CIFAR_resnet"])
    ['cifar_resnet', 'cifar_resnet#2', '__', 'CIFAR_resnet#3']
    """
    taken: set[str] = set()
    result = []
    for name in names:
        base = _safe_name(name)
        candidate, number = base, 2
        while candidate.casefold() in taken:
            candidate, number = f"{base}#{number}", number + 1
        taken.add(candidate.casefold())
        result.append(candidate)
    return result


def _safe_name(name: str) -> str:
    text = _UNSAFE_CHARS.sub("_", unicodedata.normalize("NFC", name))
    text = text.encode("utf-8")[:_MAX_NAME_BYTES].decode("utf-8", "ignore").strip()
    text = _DOTS.sub(lambda dots: "_" * len(dots.group()), text)
    if text.endswith("."):  # Windows drops a trailing dot
        text = text[:-1] + "_"
    if text.split(".")[0].upper() in _WINDOWS_DEVICES:
        text = "_" + text
    return text or "run"


def _check_free(target: Path) -> None:
    if target.exists() and not target.is_dir():
        raise UsageError(f"{target}: a file is in the way of the run directory; move it or export elsewhere")
    if target.is_dir():
        existing = sorted(path.name for path in target.iterdir() if "tfevents" in path.name)
        if existing:
            raise UsageError(
                f"{target} already holds an event file ({existing[0]}); TensorBoard would mix its points "
                "with this export's: export to a new directory or remove the old files"
            )


@contextmanager
def _event_file(path: Path) -> Iterator[IO[bytes]]:
    """``path`` created exclusively (never an existing file); removed again if writing fails,
    so a failed export leaves no half file that would block the next one."""
    file = open(path, "xb", buffering=_BUFFER)
    try:
        yield file
    except BaseException:
        file.close()
        path.unlink()
        raise
    file.close()


def _write_run(tb: _Tensorboard, write: Callable[[bytes], None], run: Run, now: float) -> None:
    version = tb.event(wall_time=now, file_version=FILE_VERSION,
                       source_metadata=tb.source_metadata(writer="lossboard"))
    write(version.SerializeToString())
    shared = run.series.shared_labels()
    for series in run.series.values():
        # series that share a canonical tag keep apart in TensorBoard, grouped under that tag
        _write_series(tb, write, series, f"{series.tag}/{series.source_tag}" if series.tag in shared else series.tag)
    for event in sorted(run.events, key=lambda event: (event.kind, event.step)):
        tag = f"{EVENTS_TAG}/{event.kind}"
        if tag in run.series:  # a metric of that name: TensorBoard keeps one plugin per tag
            tag = f"lossboard/{tag}"
        summary = tb.text_summary(tag, _event_text(event))
        wall_time = 0.0 if event.wall_time is None or math.isnan(event.wall_time) else event.wall_time
        write(tb.event(step=event.step, wall_time=wall_time, summary=summary).SerializeToString())


def _write_series(tb: _Tensorboard, write: Callable[[bytes], None], series: Series, tag: str) -> None:
    """One event per point, reusing one message: only step, wall_time and the value change."""
    if not len(series):
        return
    event: Any = tb.event()
    value = event.summary.value.add(tag=tag)
    value.tensor.CopyFrom(tb.make_tensor_proto(np.float64(0.0)))  # DT_DOUBLE, shape (), double_val
    description = f"Logged as `{series.source_tag}`." if series.source_tag not in ("", series.tag) else ""
    value.metadata.CopyFrom(tb.scalar_metadata(display_name=None, description=description))
    number = value.tensor.double_val
    serialize = event.SerializeToString  # hoisted: this loop runs once per point
    first = True
    for start in range(0, len(series), _CHUNK):
        stop = start + _CHUNK
        wall = series.wall_time[start:stop]
        wall = np.where(np.isnan(wall), 0.0, wall)
        for at_step, at_wall, at_value in zip(series.step[start:stop].tolist(), wall.tolist(),
                                              series.value[start:stop].tolist()):
            event.step = at_step
            event.wall_time = at_wall
            number[0] = at_value
            write(serialize())
            if first:  # the plugin metadata goes with a tag's first value only
                value.ClearField("metadata")
                first = False


def _event_text(event: Event) -> str:
    text = event.text or event.kind.replace("_", " ")
    if event.epoch is not None and not math.isnan(event.epoch):
        text += f" (epoch {event.epoch:g})"
    return text
