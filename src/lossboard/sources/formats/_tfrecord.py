"""TFRecord framing: the records of TensorBoard event files, found in bulk and written.

A record is ``length`` (8 bytes, little-endian), the masked CRC-32C of those 8 bytes, ``length``
bytes of payload and the masked CRC-32C of the payload. Reading one length after another is a
Python step per record, as much as decoding a 50-byte scalar event costs; `frame` finds the
same records with numpy (`record_starts`) and checks each length CRC once per distinct length.
`record` frames a payload for writing, with Google's C CRC-32C where tensorboard's own
``RecordWriter`` computes it in pure Python (about 10 µs a record).
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from functools import lru_cache

import numpy as np

HEADER = struct.Struct("<Q")
_CRC = struct.Struct("<I")
SHORT = 1 << 16  # records shorter than this are found in bulk, longer ones one at a time
_NO_RECORDS = np.zeros(0, np.int64)
_NO_RECORDS.setflags(write=False)
_WINDOW = 4  # candidates looked at either side: a record start and the few chance ones before it


@lru_cache(maxsize=1)
def masked_crc32c() -> Callable[[bytes], int]:
    """TFRecord's masked CRC32C: Google's C library when installed (the tfevents extra
    brings it), else tensorboard's pure-Python one, about 5 µs a record."""
    try:
        from google_crc32c import value as crc
    except ImportError:
        from tensorboard.compat.tensorflow_stub.pywrap_tensorflow import masked_crc32c

        return masked_crc32c

    def masked(data: bytes) -> int:
        value = crc(data)
        return (((value >> 15) | (value << 17)) + 0xA282EAD8) & 0xFFFFFFFF

    return masked


def record(payload: bytes) -> bytes:
    """``payload`` framed as one TFRecord."""
    crc = masked_crc32c()
    header = HEADER.pack(len(payload))
    return b"".join((header, _CRC.pack(crc(header)), payload, _CRC.pack(crc(payload))))


def record_starts(data: bytes) -> np.ndarray:
    """Offsets of the records in ``data`` (which starts with one), in order, up to the first
    whose 12-byte header is not all there: exactly those a loop reading one length after
    another finds. Lengths are not checked here."""
    size = len(data)
    if size < 12:
        return _NO_RECORDS
    length_at = np.ndarray((size - 7,), "<u8", data, 0, (1,))  # the 8 bytes at each offset
    # 1. A short record's start is among the offsets whose 8 bytes read as a short length;
    #    so is the byte before it (its length is < 256), and many offsets inside payloads.
    candidates = np.flatnonzero(length_at[: size - 11] < SHORT)
    after = candidates + (length_at[candidates].astype(np.int64) + 16)
    ends = np.minimum(after, size)  # `size`: past the last complete header
    # 2. A start is where the record before it ends, and it ends where a start (or the data)
    #    does: keep the candidates that point at, and are pointed at by, one of the next and
    #    of the previous few candidates. Few chance candidates pass; the walk skips those.
    count = len(candidates)
    points, pointed_at = ends >= size - 11, np.zeros(count, bool)
    pointed_at[:1] = candidates[:1] == 0
    for shift in range(1, min(_WINDOW, count - 1) + 1):
        hit = ends[:-shift] == candidates[shift:]
        points[:-shift] |= hit
        pointed_at[shift:] |= hit
    keep = points & pointed_at
    starts, after = candidates[keep], after[keep]
    # 3. Follow the chain: a run of starts in which each record ends where the next begins
    #    is taken whole; elsewhere (a long record, a chance candidate) one record at a time.
    breaks = np.flatnonzero(after[:-1] != starts[1:])
    pieces: list[np.ndarray] = []
    position = 0
    while position <= size - 12:
        index = int(np.searchsorted(starts, position))
        if index < len(starts) and starts[index] == position:
            cut = int(np.searchsorted(breaks, index))
            last = int(breaks[cut]) if cut < len(breaks) else len(starts) - 1
            pieces.append(starts[index : last + 1])
            position = int(after[last])
        else:
            pieces.append(np.array([position], np.int64))
            position += 16 + HEADER.unpack_from(data, position)[0]
    return np.concatenate(pieces) if pieces else _NO_RECORDS


def frame(data: bytes) -> tuple[np.ndarray, np.ndarray, int, int | None]:
    """The complete records of ``data``: their offsets and payload lengths, where the bytes
    that wait for the next feed begin, and the offset of a header whose CRC is wrong (None
    if every header read is right; the records returned are those before it)."""
    starts = record_starts(data)
    if not len(starts):
        return starts, starts, 0, None
    lengths = np.ndarray((len(data) - 7,), "<u8", data, 0, (1,))[starts]
    stored = np.ndarray((len(data) - 3,), "<u4", data, 0, (1,))[starts + 8]
    bad = np.flatnonzero(stored != _header_crcs(lengths))
    corrupt = None
    if len(bad):
        corrupt = int(starts[bad[0]])
        starts, lengths = starts[: bad[0]], lengths[: bad[0]]
        if not len(starts):
            return _NO_RECORDS, _NO_RECORDS, corrupt, corrupt
    # every record ends where the next begins; only the last may run past the end
    end = int(starts[-1]) + 16 + int(lengths[-1])
    if end > len(data):
        return starts[:-1], lengths[:-1].astype(np.int64), int(starts[-1]), corrupt
    return starts, lengths.astype(np.int64), end, corrupt


def _header_crcs(lengths: np.ndarray) -> np.ndarray:
    """The masked CRC each length header should carry, computed once per distinct length."""
    crc = masked_crc32c()
    expected = np.empty(len(lengths), np.uint32)
    short = lengths < SHORT
    short_lengths = lengths[short].astype(np.intp)
    seen = np.zeros(SHORT, bool)
    seen[short_lengths] = True
    table = np.zeros(SHORT, np.uint32)
    for length in np.flatnonzero(seen).tolist():
        table[length] = crc(HEADER.pack(length))
    expected[short] = table[short_lengths]
    for index in np.flatnonzero(~short).tolist():
        expected[index] = crc(HEADER.pack(int(lengths[index])))
    return expected


def varint(number: int) -> bytes:
    """A non-negative integer as protobuf's base-128 varint (the writer and the reader's
    checks of a record's lengths both need it)."""
    out = bytearray()
    while number >= 0x80:
        out.append(number & 0x7F | 0x80)
        number >>= 7
    out.append(number)
    return bytes(out)
