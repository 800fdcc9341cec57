"""TensorBoard event files (``events.out.tfevents.*``): TFRecord-framed ``Event`` protobufs.

Each record is ``length`` (8 bytes, little-endian), a masked CRC-32C of those 8 bytes,
``length`` bytes of a serialized ``tensorboard.compat.proto.event_pb2.Event``, and a masked
CRC-32C of the data. The protobuf is decoded with the tensorboard package's generated
classes, so this format needs ``pip install 'lossboard[tfevents]'``.

Scalars come from ``simple_value`` (PyTorch ``SummaryWriter.add_scalar``, TF1) and from
one-element numeric tensors (TF2 ``tf.summary.scalar``, ``add_scalar(new_style=True)``):
their ``scalars`` plugin metadata is written only with a tag's first value, so a tag counts
as scalar unless its first value named another plugin. Images, videos, audio, histograms,
text, PR curves and hyper-parameters are `Media`, and lossboard's facts `Meta`
(`_tfmedia`); meshes, layouts and raw tensors are skipped silently. ``step`` and
``wall_time`` come from the event.

A scalar tagged ``epoch`` is not a series: its value at a step is the ``epoch`` of the values
logged at that step (docs/integrations.md, "One training, one picture").

Tags: the tag as written is the source tag. ``train/loss`` (split first, HF's
TensorBoardCallback) and ``Loss/train`` (split last, the PyTorch tutorial) both become
``train/loss``; spaces count as underscores (``training loss`` -> ``train/loss``); other
tags go through `tags.canonical` as written (``charts/episodic_return`` ->
``train/charts/episodic_return``).

A ``SessionLog.START`` (a restarted writer, TensorBoard purges later steps) is an
`Event(RESUME)`, and so is a tag whose step goes back; the value that went back comes after
the resume, so it is kept. The length CRC is checked so a corrupt framing is noticed
(reported once; the rest of the file is skipped); the data CRC is not: it would cost more
than the decoding, and the decode still rejects most damaged payloads. A record cut short
at the end of the input waits for more bytes; at `close` it is reported as a `Problem`.
Problems have line 0 and give the byte offset in the message.

Speed: ``SummaryWriter.add_scalar`` writes one scalar per event, 40 to 60 bytes, so per-record
Python work (a loop step, ``Event.FromString``, attribute reads) would be the whole cost, about
5 us an event. A fed chunk is read in three vectorised steps instead: the records are found
in bulk (`_tfrecord.frame`), the common scalar events among them are decoded a layout at a time
(`_tfscalars.decode_scalars`; everything else through protobuf), and the values go out as one
`Columns` per tag per feed (`Parser._in_bulk`), unless a tag's step goes back or a
``SessionLog.START`` comes, when the feed is sequenced value by value (`Parser._in_order`).
``Parser(bulk=False)`` reads every record through protobuf, value by value: the reference the
tests compare with.
"""

from __future__ import annotations

import math
from array import array
from functools import lru_cache
from typing import NamedTuple

import numpy as np

from lossboard import tags
from lossboard.model import RESUME, Columns, Event, Item, Meta, Problem
from lossboard.sources.formats._tfmedia import MediaReader, with_metric_values
from lossboard.sources.formats._tfrecord import frame
from lossboard.sources.formats._tfscalars import Scalars, TagTable, decode_scalars, proto
from lossboard.sources.formats.sniffers.tfevents import BINARY as BINARY
from lossboard.sources.formats.sniffers.tfevents import available as available
from lossboard.sources.formats.sniffers.tfevents import sniff as sniff

NAME = "tfevents"

_NAN = math.nan
_SCALAR_PLUGINS = frozenset(("", "scalars"))
EPOCH_TAG = "epoch"


@lru_cache(maxsize=4096)
def canonical_tag(source_tag: str) -> str:
    """``Loss/train`` -> ``train/loss`` (`lossboard.tags.canonical` reads a split named last);
    TensorBoard shows a space in a tag as ``_``, so ``training loss`` is ``training_loss``."""
    return tags.canonical(source_tag.strip().replace(" ", "_"))


class _Values(NamedTuple):
    """The values of a feed in file order, and its other items with how many values come
    before each."""

    tag: np.ndarray
    step: np.ndarray
    value: np.ndarray
    wall_time: np.ndarray
    items: list[tuple[int, Item]]


class Parser:
    """Bytes in, records out; a record split across chunks waits for the rest.

    Picklable (the indexer keeps it between batches): its state is the bytes of an
    unfinished record, the file offset, and per tag its plugin and last step.
    """

    def __init__(self, *, bulk: bool = True) -> None:
        proto()  # fail here, not at the first record, without tensorboard
        self._bulk = bulk  # False: every record through protobuf, values one by one (the reference)
        self._rest = b""  # the start of a record the next feed finishes
        self._offset = 0  # file offset of self._rest[0]
        self._broken = False  # framing lost: everything after is ignored
        self._plugins: dict[str, str] = {}  # tag -> plugin named by its first value
        self._media = MediaReader()
        self._epochs: dict[int, float] = {}  # step -> epoch, from the values tagged "epoch"
        self._last_step: dict[str, int] = {}  # tag -> last step, to see a restart
        self._tags = TagTable()  # a cache: not part of the saved state

    def __getstate__(self) -> dict:
        return {key: value for key, value in self.__dict__.items() if key != "_tags"}

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state, _tags=TagTable())

    def feed(self, data: bytes) -> list[Item]:
        if self._broken or not data:
            return []
        buffer = self._rest + bytes(data) if self._rest else bytes(data)
        starts, lengths, used, corrupt = frame(buffer)
        items = self._records(buffer, starts, lengths) if len(starts) else []
        items = with_metric_values(self._with_epochs(items))
        if corrupt is not None:
            items.append(Problem(0, f"corrupt record header at byte {self._offset + corrupt} "
                                    "(length checksum mismatch); rest of file skipped"))
            self._broken = True
            used = len(buffer)
        self._rest = buffer[used:]
        self._offset += used
        return items

    def _with_epochs(self, items: list[Item]) -> list[Item]:
        """A scalar tagged ``epoch`` is the run's epoch axis, not a metric (the writer's
        integrations log it, as Lightning's TensorBoardLogger does): its values become the
        ``epoch`` of every value logged at the same step, in this feed or a later one."""
        epochs = [item for item in items if type(item) is Columns and item.source_tag == EPOCH_TAG]
        if not epochs and not self._epochs:
            return items
        for item in epochs:
            self._epochs.update(zip(item.step.tolist(), item.value.tolist()))
        lookup = self._epochs.get
        return [item._replace(epoch=np.array([lookup(step, _NAN) for step in item.step.tolist()]))
                if type(item) is Columns else item
                for item in items if not (type(item) is Columns and item.source_tag == EPOCH_TAG)]

    def close(self) -> list[Item]:
        rest, self._rest = len(self._rest), b""
        if rest and not self._broken:
            return [Problem(0, f"last record incomplete ({rest} bytes at byte {self._offset}); "
                               "ignored")]
        return []

    def _records(self, data: bytes, starts: np.ndarray, lengths: np.ndarray) -> list[Item]:
        if self._bulk:
            scalars = decode_scalars(data, starts + 12, lengths, self._tags)
        else:
            scalars = Scalars.none(len(starts))
        values = self._in_file_order(data, starts, lengths, scalars)
        if self._bulk and not any(type(item) is Event for _, item in values.items):
            items = self._in_bulk(values)
            if items is not None:
                return items
        return self._in_order(values)

    def _in_file_order(self, data: bytes, starts: np.ndarray, lengths: np.ndarray, scalars: Scalars) -> _Values:
        """The values decoded in bulk and those of the other records, read by protobuf."""
        where, more = array("q"), (array("q"), array("q"), array("d"), array("d"))
        items: list[tuple[int, Item]] = []
        for index in np.flatnonzero(~scalars.decoded).tolist():
            at = int(starts[index])
            for entry in self._record(data[at + 12 : at + 12 + int(lengths[index])], self._offset + at):
                if type(entry) is tuple:
                    where.append(index)
                    for column, field in zip(more, (self._tags.id(entry[0]), *entry[1:])):
                        column.append(field)
                else:
                    items.append((index, entry))
        records = np.flatnonzero(scalars.decoded)
        columns = [scalars.tag[records], scalars.step[records], scalars.value[records], scalars.wall_time[records]]
        if where:  # one record's values are all bulk or all protobuf: a stable sort merges them
            records = np.concatenate([records, np.frombuffer(where, np.int64)])
            order = np.argsort(records, kind="stable")
            columns = [np.concatenate([column, np.frombuffer(extra, column.dtype)])[order]
                       for column, extra in zip(columns, more)]
            records = records[order]
        before = np.searchsorted(records, [index for index, _ in items]).tolist()
        return _Values(*columns, list(zip(before, (item for _, item in items))))

    def _in_bulk(self, values: _Values) -> list[Item] | None:
        """A `Columns` per tag of every value of the feed; None if a tag's step goes back."""
        items: list[Item] = [item for _, item in values.items]  # problems and meta
        if not len(values.tag):
            return items
        wide = len(self._tags.names) > 1 << 16  # a stable sort of small numbers is a radix sort
        by_tag = np.argsort(values.tag if wide else values.tag.astype(np.uint16), kind="stable")
        tag, step = values.tag[by_tag], values.step[by_tag]
        firsts = np.flatnonzero(tag[1:] != tag[:-1]) + 1
        back = step[1:] < step[:-1]
        back[firsts - 1] = False  # a new tag's first value
        names = [self._tags.names[index] for index in tag[np.r_[0, firsts]].tolist()]
        lasts = [self._last_step.get(name) for name in names]
        if back.any() or any(last is not None and first < last
                             for first, last in zip(step[np.r_[0, firsts]].tolist(), lasts)):
            return None
        value, wall_time = values.value[by_tag], values.wall_time[by_tag]
        bounds = [0, *firsts.tolist(), len(tag)]
        # tags in the order they first appear, as the value-by-value path emits them
        for group in np.argsort(by_tag[bounds[:-1]]).tolist():
            start, end = bounds[group], bounds[group + 1]
            name = names[group]
            items.append(Columns(canonical_tag(name), name, step[start:end], value[start:end], None,
                                 wall_time[start:end]))
            self._last_step[name] = int(step[end - 1])
        return items

    def _in_order(self, values: _Values) -> list[Item]:
        """Every value in file order, as the per-record parser did: a resume first emits the
        values held so far, then the `Event`, and the value that went back follows it."""
        names, last_step = self._tags.names, self._last_step
        tag, step, value, wall_time = (column.tolist() for column in values[:4])
        items: list[Item] = []
        held: dict[str, tuple[array, array, array]] = {}
        pending, next_item = values.items, 0
        for index in range(len(tag) + 1):
            while next_item < len(pending) and pending[next_item][0] == index:
                item = pending[next_item][1]  # problems, meta and SessionLog.START in file order
                next_item += 1
                if type(item) is Event:
                    last_step.clear()
                    items.extend(_release(held))
                items.append(item)
            if index == len(tag):
                break
            source_tag, at_step, wall = names[tag[index]], step[index], wall_time[index]
            last = last_step.get(source_tag)
            if last is not None and at_step < last:
                last_step.clear()
                items.extend(_release(held))
                items.append(Event(RESUME, at_step, None, None if wall != wall else wall))
            last_step[source_tag] = at_step
            columns = held.get(source_tag)
            if columns is None:
                columns = held[source_tag] = (array("q"), array("d"), array("d"))
            columns[0].append(at_step)
            columns[1].append(value[index])
            columns[2].append(wall)
        items.extend(_release(held))
        return items

    def _record(self, payload: bytes, offset: int) -> list:
        """One event through protobuf: its values as (tag, step, value, wall_time or NaN)
        tuples, or the item it stands for."""
        classes = proto()
        try:
            event = classes.event.FromString(payload)
        except classes.decode_error:  # the payload is damaged
            return [Problem(0, f"record at byte {offset} is not a TensorBoard event; skipped")]
        what = event.WhichOneof("what")
        step, wall_time = event.step, event.wall_time or None
        if what == "summary":
            return self._summary(event.summary, step, _NAN if wall_time is None else wall_time, offset)
        if what == "session_log" and event.session_log.status == classes.start:
            return [Event(RESUME, step, None, wall_time, "SessionLog.START")]
        if what == "file_version":
            return [Meta("tfevents_file_version", event.file_version)]
        return []

    def _summary(self, summary, step: int, wall_time: float, offset: int) -> list:
        """Scalars as (tag, step, value, wall_time) tuples; other values as their items."""
        entries: list = []
        for value in summary.value:
            kind = value.WhichOneof("value")
            plugin = self._plugin(value) if kind == "tensor" else ""
            if kind == "simple_value":
                entries.append((value.tag, step, value.simple_value, wall_time))
            elif kind == "tensor" and plugin in _SCALAR_PLUGINS:
                number = self._tensor_scalar(value)
                if number is not None:
                    entries.append((value.tag, step, number, wall_time))
            else:
                entries += self._media.read(value, plugin, step, None if wall_time != wall_time else wall_time,
                                            offset)
        return entries

    def _plugin(self, value) -> str:
        """The plugin a tag's values belong to: named by its first value (later ones may omit it)."""
        plugin = self._plugins.get(value.tag)
        if plugin is None:
            plugin = self._plugins[value.tag] = value.metadata.plugin_data.plugin_name
        return plugin

    def _tensor_scalar(self, value) -> float | None:
        """The number in a one-element numeric tensor of a scalar tag, else None."""
        classes, tensor = proto(), value.tensor
        field = classes.scalar_fields.get(tensor.dtype)
        if field and not tensor.tensor_shape.dim and not tensor.tensor_content:
            numbers = getattr(tensor, field)  # tf.summary.scalar's float32, the export's float64
            if len(numbers) == 1:
                return float(numbers[0])  # make_ndarray costs 11 µs more
        try:
            tensor = classes.make_ndarray(tensor)
        except (TypeError, ValueError):  # unknown dtype, malformed tensor: not readable
            return None
        if tensor.size != 1 or tensor.dtype.kind not in "fiu":
            return None
        return float(tensor.reshape(()))


def _release(held: dict[str, tuple[array, array, array]]) -> list[Item]:
    """The values held, one `Columns` per source tag, and ``held`` emptied."""
    items: list[Item] = [
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
    held.clear()
    return items
