"""The common TensorBoard scalar event decoded in bulk, a record layout at a time.

``SummaryWriter.add_scalar`` writes one value per event: ``Event{wall_time, step,
summary{value{tag, simple_value}}}``, 40 to 60 bytes. `decode_scalars` groups a feed's
records by skeleton (length, wall_time present, step varint size), checks every field key and
nested length of each record against the layout that skeleton must have (field numbers from
the generated descriptors), and reads the steps, values, wall times and tags as numpy arrays.
One record of each group is decoded by protobuf too, and a group that disagrees is left to
it; so is every record that is not exactly this layout. This is not a protobuf parser: it
recognises one message shape and leaves everything else to tensorboard's classes.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Callable
from functools import lru_cache
from typing import NamedTuple

import numpy as np

from lossboard.sources.formats._tfrecord import SHORT, varint

_NAN = math.nan


class Proto(NamedTuple):
    """What both decoders take from tensorboard's generated protobuf classes."""

    event: type
    decode_error: type
    start: int
    make_ndarray: Callable
    scalar_fields: dict[int, str]  # tensor dtype -> the repeated field a scalar of it is in


@lru_cache(maxsize=1)
def proto() -> Proto:
    """Imported on first use, not at module level: the format table imports every module,
    and tfevents must load (to say which extra is missing) without tensorboard."""
    from google.protobuf.message import DecodeError
    from tensorboard.compat.proto import event_pb2, types_pb2
    from tensorboard.util import tensor_util

    fields = {types_pb2.DT_FLOAT: "float_val", types_pb2.DT_DOUBLE: "double_val"}
    return Proto(event_pb2.Event, DecodeError, event_pb2.SessionLog.START, tensor_util.make_ndarray, fields)


class _Keys(NamedTuple):
    """The key byte of each field of a scalar event, from the generated descriptors."""

    wall_time: int
    step: int
    summary: int
    value: int
    tag: int
    simple_value: int


@lru_cache(maxsize=1)
def _keys() -> _Keys | None:
    """None if the descriptors no longer have the types the bulk decoder reads."""
    from google.protobuf.descriptor import FieldDescriptor
    from tensorboard.compat.proto import event_pb2, summary_pb2

    wire = {FieldDescriptor.TYPE_DOUBLE: 1, FieldDescriptor.TYPE_INT64: 0, FieldDescriptor.TYPE_MESSAGE: 2,
            FieldDescriptor.TYPE_STRING: 2, FieldDescriptor.TYPE_FLOAT: 5}
    event = event_pb2.Event.DESCRIPTOR.fields_by_name
    value = summary_pb2.Summary.Value.DESCRIPTOR.fields_by_name
    fields = (event["wall_time"], event["step"], event["summary"],
              summary_pb2.Summary.DESCRIPTOR.fields_by_name["value"], value["tag"], value["simple_value"])
    if any(field.type not in wire for field in fields):
        return None
    return _Keys(*(field.number << 3 | wire[field.type] for field in fields))


def _nested(size: int) -> int | None:
    """The length ``n`` such that a key byte, varint ``n`` and ``n`` bytes take ``size`` bytes."""
    for width in range(1, 6):
        inner = size - 1 - width
        if inner >= 0 and len(varint(inner)) == width:
            return inner
    return None


class _Layout(NamedTuple):
    """Where the parts of a scalar event sit in the payloads of one skeleton."""

    words: tuple[tuple[int, int, int], ...]  # (offset, mask, bytes): keys and lengths, 8 at a time
    step: int  # offset of the step varint
    tag: int
    tag_size: int
    value: int  # offset of the simple_value key; the float32 follows


@lru_cache(maxsize=1024)
def _layout(length: int, has_wall: bool, step_size: int) -> _Layout | None:
    """The layout of a ``length``-byte scalar event, or None if no such event has that size.
    Fields come in field-number order, as protobuf serializers write them."""
    keys = _keys()
    at = 9 if has_wall else 0  # key and double
    step = at + 1
    if step_size:
        at += 1 + step_size
    summary = _nested(length - at)
    value = None if summary is None else _nested(summary)
    tag_size = None if value is None else _nested(value - 5)  # 5: key and float32
    if tag_size is None:
        return None
    # from the summary's key to the tag: keys and lengths only (8-byte reads of them stay
    # inside the record and its data CRC)
    run = b"".join(bytes([key]) + varint(size)
                   for key, size in ((keys.summary, summary), (keys.value, value), (keys.tag, tag_size)))
    words = tuple((at + index, (1 << 8 * len(part)) - 1, int.from_bytes(part, "little"))
                  for index in range(0, len(run), 8) for part in [run[index : index + 8]])
    tag = at + len(run)
    return _Layout(words, step, tag, tag_size, tag + tag_size)


def _skeletons(data: bytes, payloads: np.ndarray, lengths: np.ndarray, keys: _Keys) -> np.ndarray:
    """Per record, its skeleton as one number: ``length * 32 + has_wall * 16 + step_size``;
    0 (no layout) where the record cannot be a scalar event (long, or no varint step)."""
    u8 = np.frombuffer(data, np.uint8)
    last = len(u8) - 1  # reads past a short payload land on its data CRC, or are clipped here
    has_wall = u8[payloads] == keys.wall_time
    at = payloads + 9 * has_wall
    step_size = np.zeros(len(payloads), np.int64)
    todo = np.flatnonzero(u8[np.minimum(at, last)] == keys.step)
    at = at[todo] + 1
    for width in range(1, 11):
        done = u8[np.minimum(at, last)] < (0x80 if width < 10 else 2)  # a tenth byte holds bit 63
        step_size[todo[done]] = width
        todo, at = todo[~done], at[~done] + 1
        if not len(todo):
            break
    skeletons = lengths * 32 + has_wall * 16 + step_size
    skeletons[todo] = 0
    skeletons[lengths >= SHORT] = 0
    return skeletons


class Scalars(NamedTuple):
    """The scalar events of a feed decoded in bulk: ``decoded`` marks those records, the
    other arrays hold their values (wall_time NaN where the event has none)."""

    decoded: np.ndarray  # bool per record
    tag: np.ndarray  # int64 ids of `TagTable`
    step: np.ndarray  # int64
    value: np.ndarray  # float64
    wall_time: np.ndarray  # float64

    @classmethod
    def none(cls, count: int) -> Scalars:
        """None of ``count`` records decoded yet."""
        return cls(*(np.zeros(count, kind) for kind in (bool, np.int64, np.int64, np.float64, np.float64)))


def decode_scalars(data: bytes, payloads: np.ndarray, lengths: np.ndarray, tags: TagTable) -> Scalars:
    """Decode the records that are exactly the scalar layout, a skeleton at a time."""
    out, keys = Scalars.none(len(payloads)), _keys()
    if keys is None:
        return out
    u8 = np.frombuffer(data, np.uint8)
    u64 = np.ndarray((len(data) - 7,), "<u8", data, 0, (1,))
    skeletons = _skeletons(data, payloads, lengths, keys)
    # group by skeleton through a table (a few distinct values: cheaper than np.unique's sort);
    # a stable sort of small numbers is a radix sort, so each group keeps the file's order
    seen = np.zeros(int(skeletons.max()) + 1, bool)
    seen[skeletons] = True
    distinct = np.flatnonzero(seen)
    number = np.empty(len(seen), np.uint16 if len(distinct) <= 1 << 16 else np.int64)
    number[distinct] = np.arange(len(distinct))
    group = number[skeletons]
    order = np.argsort(group, kind="stable")
    ends = np.cumsum(np.bincount(group, minlength=len(distinct)))
    for skeleton, start, end in zip(distinct.tolist(), [0, *ends[:-1].tolist()], ends.tolist()):
        layout = _layout(skeleton >> 5, bool(skeleton & 16), skeleton & 15)
        if layout is None:
            continue
        records = order[start:end]
        at = payloads[records]
        match = u8[at + layout.value] == keys.simple_value
        for offset, mask, expected in layout.words:
            match &= (u64[at + offset] & np.uint64(mask)) == np.uint64(expected)
        records, at = records[match], at[match]
        if not len(at):
            continue
        tag = tags.lookup(_tag_words(u64, at + layout.tag, layout.tag_size), layout.tag_size)
        records, at, tag = records[tag >= 0], at[tag >= 0], tag[tag >= 0]  # not UTF-8, or a clash
        if not len(at):
            continue
        step, value, wall = _fields(data, at, layout, skeleton)
        first = int(at[0])
        if not _agrees(data[first : first + (skeleton >> 5)], tags.names[tag[0]], int(step[0]),
                       float(value[0]), float(wall[0])):
            continue  # protobuf reads this skeleton otherwise: it decodes the whole group
        out.decoded[records] = True
        out.tag[records], out.step[records], out.value[records], out.wall_time[records] = tag, step, value, wall
    return out


def _fields(data: bytes, at: np.ndarray, layout: _Layout, skeleton: int) -> tuple[np.ndarray, ...]:
    """Step, value and wall_time (NaN if 0) of the scalar events whose payloads are at ``at``."""
    step = np.zeros(len(at), np.uint64)
    for index in range(skeleton & 15):
        byte = np.frombuffer(data, np.uint8)[at + (layout.step + index)] & np.uint8(0x7F)
        step |= byte.astype(np.uint64) << np.uint64(7 * index)
    with np.errstate(invalid="ignore"):  # a signalling NaN is a value too
        value = np.ndarray((len(data) - 3,), "<f4", data, 0, (1,))[at + (layout.value + 1)].astype(np.float64)
        if skeleton & 16:
            wall = np.ndarray((len(data) - 7,), "<f8", data, 0, (1,))[at + 1]
            wall[wall == 0] = _NAN  # as `event.wall_time or None`
        else:
            wall = np.full(len(at), _NAN)
    return step.view(np.int64), value, wall


def _agrees(payload: bytes, tag: str, step: int, value: float, wall_time: float) -> bool:
    """Whether protobuf reads ``payload`` as the one simple_value the bulk decoder read."""
    classes = proto()
    try:
        event = classes.event.FromString(payload)
    except classes.decode_error:
        return False
    if event.WhichOneof("what") != "summary" or len(event.summary.value) != 1:
        return False
    (read,) = event.summary.value
    same_bits = struct.pack("<dd", read.simple_value, event.wall_time or _NAN) == struct.pack(
        "<dd", value, wall_time)
    return read.WhichOneof("value") == "simple_value" and read.tag == tag and event.step == step and same_bits


def _tag_words(u64: np.ndarray, offsets: np.ndarray, size: int) -> np.ndarray:
    """The ``size``-byte tags at ``offsets`` as rows of 8-byte words, the last one padded
    with zeros (reads stay inside the record: the float32 and data CRC follow a tag)."""
    width = -(-size // 8)
    words = np.empty((len(offsets), width), np.uint64)
    for column in range(width):
        words[:, column] = u64[offsets + 8 * column]
    if size % 8:
        words[:, -1] &= np.uint64((1 << 8 * (size % 8)) - 1)
    return words


_MIX = np.uint64(0x9E3779B97F4A7C15)


class TagTable:
    """The source tags met so far, each with a small id, and the ids of many records' tags
    found at once: per tag size, a sorted array of keys (the tag itself up to 8 bytes, else
    a hash, and then the words of the tag are compared too)."""

    def __init__(self) -> None:
        self.names: list[str] = []
        self._ids: dict[str, int] = {}
        self._known: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}  # size -> keys, ids, words
        self._met: dict[int, dict[int, tuple[int, bytes]]] = {}  # size -> key -> (id, words)

    def id(self, name: str) -> int:
        found = self._ids.get(name)
        if found is None:
            found = self._ids[name] = len(self.names)
            self.names.append(name)
        return found

    def lookup(self, words: np.ndarray, size: int) -> np.ndarray:
        """The id of each row's tag (see `_tag_words`); -1 for tags that are not UTF-8 or
        whose hash another tag has (protobuf decodes those)."""
        if size == 0 or not len(words):
            return np.full(len(words), self.id(""), np.int64)
        keys = words[:, 0].copy()
        for column in range(1, words.shape[1]):
            keys = keys * _MIX + words[:, column]
        index, found = self._find(size, keys)
        if not found.all():
            missing = words[~found]
            met = self._met.setdefault(size, {})
            new, first = np.unique(keys[~found], return_index=True)
            for key, row in zip(new.tolist(), first.tolist()):
                raw = missing[row].astype("<u8").tobytes()
                try:
                    met[key] = (self.id(raw[:size].decode("utf-8")), raw)
                except UnicodeDecodeError:
                    met[key] = (-1, raw)
            ordered = sorted(met.items())
            self._known[size] = (
                np.array([key for key, _ in ordered], np.uint64),
                np.array([tag for _, (tag, _) in ordered], np.int64),
                np.frombuffer(b"".join(raw for _, (_, raw) in ordered), "<u8").reshape(len(ordered), -1),
            )
            index, found = self._find(size, keys)
        _, ids, known_words = self._known[size]
        ids = ids[index]
        if words.shape[1] > 1:  # a hash: the same words too, or protobuf decodes the record
            same = np.ones(len(words), bool)
            for column in range(words.shape[1]):
                same &= words[:, column] == known_words[index, column]
            ids[~same] = -1
        return ids

    def _find(self, size: int, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        known = self._known.get(size)
        if known is None:
            return np.zeros(len(keys), np.intp), np.zeros(len(keys), bool)
        index = np.minimum(np.searchsorted(known[0], keys), len(known[0]) - 1)
        return index, known[0][index] == keys
