"""The common TensorBoard scalar event, encoded and framed thousands at a time with numpy.

``add_scalar`` writes one ``Event{wall_time, step, summary{value{tag, simple_value}}}`` per
value, exactly as torch's writer does. Through protobuf that costs ~0.5 µs an event, plus two
CRC-32C calls and the framing: more than the whole budget of a logged value. Here protobuf
still writes each tag's summary (its bytes are constant but for the float32), and everything
that changes per value is filled in by column:

* values are grouped by *layout* (tag, step varint size, wall time present): within a group
  every record has the same length and the same bytes except the wall time, step and value;
* a group's records are rows of one uint8 matrix: the template row, then those columns;
* CRC-32C is linear, so a row's CRC is the template's CRC XOR, per changing byte, a table entry
  for that byte value at that distance from the end (`_Crc`): a dozen numpy gathers per group
  instead of a C call per record.

Fields are written as protobuf serializes them (field-number order; proto3 leaves out a zero
step and a wall time whose bits are all zero), so the bytes equal ``Event.SerializeToString()``
byte for byte, which tests/log/test_tfbulk.py checks. Field keys come from the generated
descriptors; this knows one message shape, it is not a protobuf encoder.
"""

from __future__ import annotations

import struct
from functools import lru_cache
from typing import NamedTuple

import numpy as np

from lossboard.sources.formats._tfrecord import varint

_POLY = 0x82F63B78  # CRC-32C (Castagnoli), reflected
_MASK_DELTA = 0xA282EAD8  # TFRecord's CRC mask
_LENGTH = struct.Struct("<Q")
_MAX_STEP_BYTES = 10  # a negative int64 is a 10-byte varint


class _Keys(NamedTuple):
    wall_time: bytes
    step: bytes
    summary: bytes


@lru_cache(maxsize=1)
def _keys() -> _Keys:
    """The key bytes of Event's wall_time (fixed64), step (varint) and summary (bytes)."""
    from tensorboard.compat.proto import event_pb2

    fields = event_pb2.Event.DESCRIPTOR.fields_by_name
    wire = {"wall_time": 1, "step": 0, "summary": 2}
    return _Keys(*(bytes([fields[name].number << 3 | kind]) for name, kind in wire.items()))


class _Crc:
    """CRC-32C by tables: ``at[d][b]`` is what byte ``b`` adds to the CRC of a message when
    ``d`` bytes follow it (the CRC's linear part: init and final XOR cancel between messages
    of one length)."""

    def __init__(self) -> None:
        table = np.arange(256, dtype=np.uint32)
        for _ in range(8):
            table = np.where(table & 1, (table >> 1) ^ np.uint32(_POLY), table >> 1).astype(np.uint32)
        self.table = table
        self.at = table[None, :].copy()

    def upto(self, distance: int) -> np.ndarray:
        """The tables for every distance up to ``distance`` (at least). Writers' threads share
        them: a thread uses the array it got, and a larger one replaces a smaller."""
        at = self.at
        if len(at) > distance:
            return at
        rows = [at]
        last = at[-1]
        for _ in range(len(at), distance + 1):
            last = self.table[last & 0xFF] ^ (last >> 8)  # one more zero byte after the byte
            rows.append(last[None, :])
        grown = np.concatenate(rows)
        if len(grown) > len(self.at):
            self.at = grown
        return grown

    @lru_cache(maxsize=1024)  # noqa: B019 (one instance, kept for the process's life)
    def of_zeros(self, size: int) -> int:
        """The CRC of ``size`` zero bytes: the part of a CRC the linear tables leave out."""
        register = 0xFFFFFFFF
        for _ in range(size):
            register = int(self.table[register & 0xFF]) ^ (register >> 8)
        return ~register & 0xFFFFFFFF


@lru_cache(maxsize=1)
def _crc() -> _Crc:
    return _Crc()


def crc32c(data: bytes) -> int:
    """CRC-32C of ``data`` (templates: once per layout)."""
    size = len(data)
    if not size:
        return 0
    crc = _crc()
    distances = np.arange(size - 1, -1, -1)
    linear = np.bitwise_xor.reduce(crc.upto(size)[distances, np.frombuffer(data, np.uint8)])
    return int(linear) ^ crc.of_zeros(size)


def _masked(crc: np.ndarray) -> np.ndarray:
    return ((crc >> np.uint32(15)) | (crc << np.uint32(17))) + np.uint32(_MASK_DELTA)


def masked_crc32c(data: bytes) -> int:
    crc = crc32c(data)
    return (((crc >> 15) | (crc << 17)) + _MASK_DELTA) & 0xFFFFFFFF


def _varint_sizes(steps: np.ndarray) -> np.ndarray:
    """Bytes of each step's varint; 0 for step 0 (proto3 leaves it out)."""
    unsigned = steps.view(np.uint64)
    sizes = (unsigned > 0).astype(np.int64)
    for width in range(1, _MAX_STEP_BYTES):
        sizes += unsigned >= np.uint64(1 << 7 * width)
    return sizes


def _varint_bytes(steps: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    """Each step's varint, zero-padded to the batch's widest."""
    unsigned = steps.view(np.uint64)
    width = int(sizes.max())
    out = np.empty((len(steps), width), np.uint8)
    for i in range(width):
        more = (sizes > i + 1).astype(np.uint64) << np.uint64(7)
        out[:, i] = ((unsigned >> np.uint64(7 * i)) & np.uint64(0x7F)) | more
    return out


class SummaryTemplates:
    """Per tag, its ``Summary{value{tag, simple_value}}`` bytes from protobuf (cached: a run
    has few tags), and where in them the float32 lies (the last 4 bytes)."""

    def __init__(self) -> None:
        from tensorboard.compat.proto import summary_pb2

        self._summary = summary_pb2.Summary
        self._bytes: dict[str, bytes] = {}

    def __call__(self, tag: str) -> bytes:
        found = self._bytes.get(tag)
        if found is None:
            summary = self._summary()
            summary.value.add(tag=tag, simple_value=1.0)
            found = summary.SerializeToString()
            if found[-4:] != struct.pack("<f", 1.0):  # the float is not last: not the known shape
                raise ValueError(f"unexpected Summary encoding for tag {tag!r}")
            self._bytes[tag] = found
        return found


def encode(tags: list[str], steps: list[int], values: list[float], wall_times: list[float],
           summaries: SummaryTemplates) -> bytes:
    """TFRecord-framed scalar events, one per value; each tag's values in the order given."""
    count = len(tags)
    if not count:
        return b""
    table = list(dict.fromkeys(tags))
    if len(table) == 1:
        tag_index = np.zeros(count, np.int64)
    else:
        lookup = {tag: i for i, tag in enumerate(table)}
        tag_index = np.fromiter(map(lookup.__getitem__, tags), np.int64, count)
    step = np.asarray(steps, np.int64)
    wall = np.asarray(wall_times, np.float64)
    with np.errstate(over="ignore"):  # beyond float32's range is ±inf, as torch's writer stores it
        value = np.asarray(values, np.float64).astype(np.float32)
    columns = _Columns(tag_index, step, wall, value)
    tails = np.array([len(_tail(summaries(tag))) for tag in table], np.int64)
    checksums = columns.checksums(tails[tag_index])
    layout = (tag_index * (_MAX_STEP_BYTES + 1) + columns.step_size) * 2 + columns.has_wall
    order = np.argsort(layout, kind="stable")
    groups = np.split(order, np.flatnonzero(np.diff(layout[order])) + 1)
    records = [columns.records(rows, _tail(summaries(table[tag_index[rows[0]]])), checksums[rows])
               for rows in groups]
    if _keeps_tag_order(tag_index, order):
        return b"".join(matrix.tobytes() for matrix in records)
    return _in_call_order(records, groups, count)


def _tail(summary: bytes) -> bytes:
    """The payload after the step: the summary field (its float32 zeroed)."""
    return _keys().summary + varint(len(summary)) + summary[:-4] + bytes(4)


class _Columns:
    """A batch's changing bytes: wall times, step varints and float32 values, by row."""

    def __init__(self, tag_index: np.ndarray, step: np.ndarray, wall: np.ndarray, value: np.ndarray) -> None:
        self.tag_index = tag_index
        self.step_size = _varint_sizes(step)
        self.has_wall = wall.view(np.uint64) != 0
        self.wall = wall.view(np.uint8).reshape(-1, 8)
        self.step = _varint_bytes(step, self.step_size)
        self.value = value.view(np.uint8).reshape(-1, 4)

    def head_size(self) -> np.ndarray:
        return 9 * self.has_wall + np.where(self.step_size > 0, 1 + self.step_size, 0)

    def checksums(self, tail: np.ndarray) -> np.ndarray:
        """What the changing bytes add to each row's payload CRC (bytes that are 0 add 0)."""
        at = _crc().upto(int((tail + self.head_size()).max()))
        out = np.zeros(len(tail), np.uint32)
        for i in range(4):  # the float32 ends the payload
            out ^= at[3 - i][self.value[:, i]]
        for i in range(self.step.shape[1]):
            out ^= at[np.maximum(tail + self.step_size - 1 - i, 0), self.step[:, i]]
        if self.has_wall.any():
            after_wall = tail + np.where(self.step_size > 0, 1 + self.step_size, 0)
            for i in range(8):
                out ^= at[after_wall + 7 - i, self.wall[:, i]]
        return out

    def records(self, rows: np.ndarray, tail: bytes, checksums: np.ndarray) -> np.ndarray:
        """The framed records of ``rows``, which share one layout, as the rows of a matrix."""
        first = int(rows[0])
        width, has_wall = int(self.step_size[first]), bool(self.has_wall[first])
        template, payload_crc, head_size = _template(tail, width, has_wall)
        matrix = np.empty((len(rows), len(template)), np.uint8)
        matrix[:] = template
        if has_wall:
            matrix[:, 13:21] = self.wall[rows]
        if width:
            matrix[:, 12 + head_size - width : 12 + head_size] = self.step[rows, :width]
        matrix[:, -8:-4] = self.value[rows]
        crc = _masked(checksums ^ payload_crc)
        matrix[:, -4:] = crc.astype("<u4").view(np.uint8).reshape(-1, 4)
        return matrix


@lru_cache(maxsize=4096)
def _template(tail: bytes, width: int, has_wall: bool) -> tuple[np.ndarray, np.uint32, int]:
    """A layout's record with its changing bytes zeroed, the CRC of its payload, and the
    payload's bytes before the summary."""
    keys = _keys()
    head = (keys.wall_time + bytes(8) if has_wall else b"") + (keys.step + bytes(width) if width else b"")
    payload = head + tail
    length = _LENGTH.pack(len(payload))
    record = length + struct.pack("<I", masked_crc32c(length)) + payload + bytes(4)
    return np.frombuffer(record, np.uint8), np.uint32(crc32c(payload)), len(head)


def _keeps_tag_order(tag_index: np.ndarray, order: np.ndarray) -> bool:
    """Whether writing the groups one after another keeps each tag's values in call order
    (readers order by tag; across tags the order is no one's business). It does unless a
    tag's layout changes back and forth within the batch (a step that goes back)."""
    tags = tag_index[order]
    same = tags[1:] == tags[:-1]
    return bool((order[1:][same] > order[:-1][same]).all())


def _in_call_order(records: list[np.ndarray], groups: list[np.ndarray], count: int) -> bytes:
    sizes = np.empty(count, np.int64)
    for rows, matrix in zip(groups, records):
        sizes[rows] = matrix.shape[1]
    ends = np.cumsum(sizes)
    out = np.empty(int(ends[-1]), np.uint8)
    starts = ends - sizes
    for rows, matrix in zip(groups, records):
        out[starts[rows][:, None] + np.arange(matrix.shape[1])] = matrix
    return out.tobytes()
