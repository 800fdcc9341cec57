"""lossboard's own event file format: framed, typed, append-only records (pure, no I/O).

A file is a sequence of records, each framed as::

    magic  b"LBEV"   4 bytes
    length u32 LE    bytes of payload
    crc    u32 LE    zlib.crc32 of the payload
    payload          one kind byte, then the body

Kinds: ``H`` header (JSON: format name, version, run metadata; always first), ``S`` a block
of scalars (binary, columnar), ``M`` media, ``E`` an event, ``K`` a metadata fact (JSON).
The full specification is docs/event-format.md. `Decoder` reads bytes split anywhere: an
incomplete last record waits for more bytes; a record whose checksum fails is reported with
its byte offset and reading resumes at the next magic.

>>> data = encode_header({"host": "gpu1"}) + encode_scalars(["loss"], [3], [0.5], [1e9])
>>> [kind for kind, _, _ in Decoder().feed(data)]
['H', 'S']
"""

from __future__ import annotations

import json
import os
import struct
import time
import zlib
from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np

FORMAT_NAME = "lossboard-events"
VERSION = 1
MAGIC = b"LBEV"
FILE_PREFIX = "events.lossboard."
MAX_RECORD_BYTES = 1 << 28  # a longer length field is damage, not a record

HEADER = b"H"
SCALARS = b"S"
MEDIA = b"M"
EVENT = b"E"
META = b"K"

_FRAME = struct.Struct("<4sII")
_COUNTS = struct.Struct("<II")  # tag-table bytes, number of values
_STEP = np.dtype("<i8")
_FLOAT = np.dtype("<f8")
_INDEX = np.dtype("<u4")


def file_name(*, now: float | None = None, token: str | None = None, suffix: str = "") -> str:
    """A name no other writer picks: UTC time to the microsecond, host, pid and ``token``
    (32 random bits). Names sort in the order the writers started, which is the order in
    which a directory's files are stitched.

    >>> file_name(now=0.0, token="0a1b2c3d").startswith("events.lossboard.19700101T000000.000000Z.")
    True
    """
    import secrets  # with socket, only a writer needs them: reading and sniffing do not pay for them
    import socket

    now = time.time() if now is None else now
    micros = int(now * 1e6) % 1_000_000
    stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime(int(now)))
    host = socket.gethostname().replace(".", "_") or "host"
    return f"{FILE_PREFIX}{stamp}.{micros:06d}Z.{host}.{os.getpid()}.{token or secrets.token_hex(4)}{suffix}"


def frame(payload: bytes) -> bytes:
    return _FRAME.pack(MAGIC, len(payload), zlib.crc32(payload)) + payload


def _json(kind: bytes, body: dict) -> bytes:
    # the standard library's json, not orjson: it keeps NaN and +-inf (as NaN, Infinity), and
    # a training environment then needs nothing beyond numpy to write these files
    return frame(kind + json.dumps(body, ensure_ascii=False, separators=(",", ":"),
                                   default=_plain).encode())


def _plain(value: Any) -> Any:
    """numpy scalars and arrays in JSON records, as Python numbers and lists."""
    if hasattr(value, "tolist"):
        return value.tolist()
    raise TypeError(f"cannot store {type(value).__name__} in an event file: {value!r}")


def encode_header(run: dict[str, Any]) -> bytes:
    return _json(HEADER, {"format": FORMAT_NAME, "version": VERSION, "run": run})


def encode_media(kind: str, tag: str, step: int, wall_time: float, data: dict) -> bytes:
    return _json(MEDIA, {"kind": kind, "tag": tag, "step": step, "wall_time": wall_time, "data": data})


def encode_event(kind: str, step: int, wall_time: float, text: str = "") -> bytes:
    return _json(EVENT, {"kind": kind, "step": step, "wall_time": wall_time, "text": text})


def encode_meta(key: str, value: str) -> bytes:
    return _json(META, {"key": key, "value": value})


def encode_scalars(
    tags: Sequence[str], steps: Sequence[int], values: Sequence[float], wall_times: Sequence[float]
) -> bytes:
    """One block of scalars of any tags: a tag table, then four little-endian columns."""
    count = len(tags)
    table = list(dict.fromkeys(tags))
    if len(table) == 1:
        index = np.zeros(count, _INDEX)
    else:
        lookup = {tag: i for i, tag in enumerate(table)}
        index = np.fromiter(map(lookup.__getitem__, tags), _INDEX, count)
    table_bytes = json.dumps(table, ensure_ascii=False).encode()
    return frame(
        SCALARS
        + _COUNTS.pack(len(table_bytes), count)
        + table_bytes
        + index.tobytes()
        + np.asarray(steps, _STEP).tobytes()
        + np.asarray(values, _FLOAT).tobytes()
        + np.asarray(wall_times, _FLOAT).tobytes()
    )


class Scalars(NamedTuple):
    """A decoded scalar block: per value, an index into ``tags``, a step, value and wall time."""

    tags: list[str]
    index: np.ndarray
    step: np.ndarray
    value: np.ndarray
    wall_time: np.ndarray


def decode_scalars(body: bytes) -> Scalars:
    table_size, count = _COUNTS.unpack_from(body)
    start = _COUNTS.size + table_size
    tags = json.loads(body[_COUNTS.size : start])
    if start + count * 28 != len(body):
        raise ValueError(f"scalar block of {count} values has {len(body)} bytes")
    index = np.frombuffer(body, _INDEX, count, start)
    start += 4 * count
    step, value, wall_time = (
        np.frombuffer(body, dtype, count, start + 8 * count * i)
        for i, dtype in enumerate((_STEP, _FLOAT, _FLOAT))
    )
    if count and int(index.max()) >= len(tags):
        raise ValueError("scalar block names a tag outside its tag table")
    return Scalars(tags, index, step, value, wall_time)


def decode_json(body: bytes) -> dict:
    return json.loads(body)


class Decoder:
    """Bytes in any chunks, ``(kind, body, offset)`` out; damage becomes ``("!", message, offset)``.

    An incomplete last record waits for the next `feed` (the writer may be mid-write). At
    `close` it is reported and the bytes after its magic are searched for further records,
    so a damaged length field cannot hide the rest of a file.
    """

    def __init__(self) -> None:
        self._buffer = bytearray()
        self._offset = 0  # file offset of self._buffer[0]
        self._lost = False  # searching for the next record: one problem per damaged stretch

    def feed(self, data: bytes) -> list[tuple[str, Any, int]]:
        self._buffer += data
        return self._scan(final=False)

    def close(self) -> list[tuple[str, Any, int]]:
        out = self._scan(final=True)
        self._buffer = bytearray()
        return out

    def _scan(self, *, final: bool) -> list[tuple[str, Any, int]]:
        buffer, pos, out = self._buffer, 0, []
        size = len(buffer)
        while size - pos >= _FRAME.size:
            magic, length, crc = _FRAME.unpack_from(buffer, pos)
            end = pos + _FRAME.size + length
            where = self._offset + pos
            if magic != MAGIC or length > MAX_RECORD_BYTES:
                problem = "no record starts here (bad magic or length)"
            elif end > size:
                if not final:
                    break
                problem = f"last record incomplete ({size - pos} of {end - pos} bytes)"
            else:
                payload = bytes(buffer[pos + _FRAME.size : end])
                if zlib.crc32(payload) == crc and payload:
                    out.append((payload[:1].decode("latin-1"), payload[1:], where))
                    pos, self._lost = end, False
                    continue
                problem = "record checksum mismatch"
            if not self._lost:
                out.append(("!", problem, where))
                self._lost = True
            found = buffer.find(MAGIC, pos + 1)
            pos = found if found >= 0 else max(pos + 1, size - len(MAGIC) + 1)
        if final and pos < size and not self._lost:
            out.append(("!", f"last record incomplete ({size - pos} bytes)", self._offset + pos))
            pos = size
        del buffer[:pos]
        self._offset += pos
        return out
