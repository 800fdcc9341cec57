"""TensorBoard event files (``events.out.tfevents.*``): TFRecord-framed ``Event`` protobufs.

Each record is ``length`` (8 bytes, little-endian), a masked CRC-32C of those 8 bytes,
``length`` bytes of a serialized ``tensorboard.compat.proto.event_pb2.Event``, and a masked
CRC-32C of the data. The protobuf is decoded only with the tensorboard package's generated
classes, so this format needs ``pip install 'lossboard[tfevents]'``.

Scalars come from ``simple_value`` (PyTorch ``SummaryWriter.add_scalar``, TF1) and from
one-element numeric tensors (TF2 ``tf.summary.scalar``, ``add_scalar(new_style=True)``):
their ``scalars`` plugin metadata is written only with a tag's first value, so a tag counts
as scalar unless its first value named another plugin. Histograms, images, text and hparams
are skipped silently. ``step`` and ``wall_time`` come from the event.

Tags: the tag as written is the source tag. ``train/loss`` (split first, HF's
TensorBoardCallback) and ``Loss/train`` (split last, the PyTorch tutorial) both become
``train/loss``; spaces count as underscores (``training loss`` -> ``train/loss``); other
tags go through `tags.canonical` as written (``charts/episodic_return`` ->
``train/charts/episodic_return``).

A ``SessionLog.START`` (a restarted writer, TensorBoard purges later steps) is an
`Event(RESUME)`, and so is a tag whose step goes back. The length CRC is checked so a
corrupt framing is noticed (reported once; the rest of the file is skipped); the data CRC is
not: CRC-32C is a per-byte Python loop here (~15 us per 100-byte record), and the protobuf
decode still rejects most damaged payloads. A record cut short at the end of the input waits
for more bytes; at `close` it is reported as a `Problem`. Problems have line 0 and give the
byte offset in the message.
"""

from __future__ import annotations

import math
import struct
from array import array
from collections.abc import Callable
from functools import lru_cache

import numpy as np

from lossboard import tags
from lossboard.model import RESUME, Columns, Event, Item, Meta, Problem

NAME = "tfevents"
BINARY = True

_HEADER = struct.Struct("<Q")
_NAN = math.nan
# a last tag component that names a split: "Loss/train", "Accuracy/test"
_SPLIT_WORDS = frozenset(("train", "training", "val", "valid", "validation", "eval", "test"))
_SKIP = "skip"  # plugin marker: the tag's first value named a non-scalar plugin


def available() -> str | None:
    try:
        import tensorboard.compat.proto.event_pb2  # noqa: F401
        import tensorboard.util.tensor_util  # noqa: F401
    except ImportError:
        return "pip install 'lossboard[tfevents]'"
    return None


def sniff(head: str, filename: str) -> float:
    if ".tfevents." in filename:
        return 1.0
    return 0.9 if "brain.Event:" in head[:256] else 0.0


@lru_cache(maxsize=4096)
def canonical_tag(source_tag: str) -> str:
    """``Loss/train`` -> ``train/loss``; see the module docstring."""
    name = source_tag.strip().replace(" ", "_")
    first, slash, last = name.rpartition("/")
    if slash and "/" not in first and last.lower() in _SPLIT_WORDS:
        return tags.canonical(f"{last}/{first}")
    return tags.canonical(name)


def _masked_crc32c() -> Callable[[bytes], int]:
    """TFRecord's masked CRC32C: Google's C library when installed (the tfevents extra
    brings it), else tensorboard's pure-Python one, about 5 µs a record."""
    try:
        import google_crc32c
    except ImportError:
        from tensorboard.compat.tensorflow_stub.pywrap_tensorflow import masked_crc32c

        return masked_crc32c
    crc = google_crc32c.value

    def masked(data: bytes) -> int:
        value = crc(data)
        return (((value >> 15) | (value << 17)) + 0xA282EAD8) & 0xFFFFFFFF

    return masked


class Parser:
    """Bytes in, records out; a record split across chunks waits for the rest."""

    def __init__(self) -> None:
        # imported here, not at module level: the format table imports every module, and
        # this one must load (to say which extra is missing) without tensorboard
        from google.protobuf.message import DecodeError
        from tensorboard.compat.proto import event_pb2
        from tensorboard.util import tensor_util

        self._event_class = event_pb2.Event
        self._decode_error = DecodeError
        self._start = event_pb2.SessionLog.START
        self._crc = _masked_crc32c()
        self._make_ndarray = tensor_util.make_ndarray
        self._buffer = bytearray()
        self._offset = 0  # file offset of self._buffer[0]
        self._broken = False  # framing lost: everything after is ignored
        self._plugins: dict[str, str] = {}  # tag -> plugin named by its first value
        self._last_step: dict[str, int] = {}  # tag -> last step, to see a restart
        # values of this feed by source tag, emitted as one `Columns` block per tag: a
        # `Point` per value cost more than decoding the event
        self._held: dict[str, tuple[array, array, array]] = {}

    def feed(self, data: bytes) -> list[Item]:
        if self._broken or not data:
            return []
        self._buffer += data
        items: list[Item] = []
        buffer, pos = self._buffer, 0
        while len(buffer) - pos >= 12:
            header = bytes(buffer[pos : pos + 8])
            if struct.unpack_from("<I", buffer, pos + 8)[0] != self._crc(header):
                items.extend(self._release())
                items.append(Problem(0, f"corrupt record header at byte {self._offset + pos} "
                                        "(length checksum mismatch); rest of file skipped"))
                self._broken = True
                self._buffer = bytearray()
                return items
            end = pos + 12 + _HEADER.unpack(header)[0] + 4
            if len(buffer) < end:
                break
            more = self._record(bytes(buffer[pos + 12 : end - 4]), self._offset + pos)
            if more:
                if any(type(item) is Event and item.kind == RESUME for item in more):
                    items.extend(self._release())  # a resume cuts what came before it
                items.extend(more)
            pos = end
        del buffer[:pos]
        self._offset += pos
        items.extend(self._release())
        return items

    def _release(self) -> list[Item]:
        held, self._held = self._held, {}
        return [
            Columns(
                canonical_tag(tag),
                tag,
                np.frombuffer(steps, dtype=np.int64),
                np.frombuffer(values, dtype=np.float64),
                None,
                np.frombuffer(walls, dtype=np.float64),
            )
            for tag, (steps, values, walls) in held.items()
        ]

    def close(self) -> list[Item]:
        rest, self._buffer = len(self._buffer), bytearray()
        if rest and not self._broken:
            return [Problem(0, f"last record incomplete ({rest} bytes at byte {self._offset}); "
                               "ignored")]
        return []

    def _record(self, payload: bytes, offset: int) -> list[Item]:
        try:
            event = self._event_class.FromString(payload)
        except self._decode_error:  # the payload is damaged
            return [Problem(0, f"record at byte {offset} is not a TensorBoard event; skipped")]
        what = event.WhichOneof("what")
        step, wall_time = event.step, event.wall_time or None
        if what == "summary":
            return self._summary(event.summary, step, wall_time)
        if what == "session_log" and event.session_log.status == self._start:
            self._last_step.clear()
            return [Event(RESUME, step, None, wall_time, "SessionLog.START")]
        if what == "file_version":
            return [Meta("tfevents_file_version", event.file_version)]
        return []

    def _summary(self, summary, step: int, wall_time: float | None) -> list[Item]:
        items: list[Item] = []
        for value in summary.value:
            kind = value.WhichOneof("value")
            if kind == "simple_value":
                number = value.simple_value
            elif kind == "tensor":
                number = self._tensor_scalar(value)
                if number is None:
                    continue
            else:  # histo, image, audio: not curves
                continue
            tag = value.tag
            last = self._last_step.get(tag)
            if last is not None and step < last:
                self._last_step.clear()
                items.append(Event(RESUME, step, None, wall_time))
            self._last_step[tag] = step
            columns = self._held.get(tag)
            if columns is None:
                columns = self._held[tag] = (array("q"), array("d"), array("d"))
            columns[0].append(step)
            columns[1].append(number)
            columns[2].append(_NAN if wall_time is None else wall_time)
        return items

    def _tensor_scalar(self, value) -> float | None:
        """The number in a one-element numeric tensor of a scalar tag, else None."""
        plugin = self._plugins.get(value.tag)
        if plugin is None:
            named = value.metadata.plugin_data.plugin_name
            plugin = self._plugins[value.tag] = _SKIP if named not in ("", "scalars") else named
        if plugin == _SKIP:
            return None
        try:
            array = self._make_ndarray(value.tensor)
        except (TypeError, ValueError):  # unknown dtype, malformed tensor: not readable
            return None
        if array.size != 1 or array.dtype.kind not in "fiu":
            return None
        return float(array.reshape(()))
