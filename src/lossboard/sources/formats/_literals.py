"""The numbers of many records that share one layout, cut out at C speed.

The fast paths of the text formats (`_mxnet_fast`, `_caffe_fast`) learn a record's literal
text once: the pieces between its numbers. Replacing every piece of many records by a comma
leaves only their numbers, which one orjson call converts. The records fit when nothing but
number characters is left, orjson accepts the result and it holds exactly ``records * width``
numbers: a record with other text
keeps it (orjson refuses), one with fewer or more numbers changes the count. Values orjson
refuses (``nan``, ``inf``, ``1.``) make the records not fit, so the caller reads them line by
line.
"""

from __future__ import annotations

import re

import numpy as np
import orjson

_NOT_A_NUMBER = re.compile(r"[^0-9.eE+\-,]")


def cut_pieces(pieces: list[str]) -> list[str]:
    """What to replace in records of ``pieces`` (a record's text split at its numbers): every
    literal between two numbers and the joint between two records, longest first (a piece may
    contain another)."""
    joint = pieces[-1] + "\n" + pieces[0]
    return sorted({*pieces[1:-1], joint} - {""}, key=len, reverse=True)


def read_numbers(text: str, pieces: list[str], cuts: list[str], records: int) -> np.ndarray | None:
    """The numbers of ``records`` records joined by newlines in ``text`` as a (records, width)
    array, or None when they do not fit ``pieces`` exactly."""
    head, tail = pieces[0], pieces[-1]
    if not text.startswith(head) or not text.endswith(tail):
        return None
    body = text[len(head) : len(text) - len(tail)]
    for piece in cuts:
        body = body.replace(piece, ",")
    if _NOT_A_NUMBER.search(body):  # orjson would read true, null, "1.5" or [1] as values
        return None
    return _matrix("[" + body + "]", records, len(pieces) - 1)


# the bytes orjson would read as other values (true, false, null, strings, lists, objects) or
# as whitespace between two numbers: left in cut records, they say the records do not fit
_NOT_IN_NUMBERS = b' \t\r\n"[{tfn'


def read_cut(body: bytes, records: int, width: int) -> np.ndarray | None:
    """The numbers of ``records`` records whose literal text was cut down to one comma
    between numbers (the caller cut at fixed places, not by `cut_pieces`), as a (records,
    width) array, or None when anything but numbers is left."""
    if any(byte in body for byte in _NOT_IN_NUMBERS):  # each a memchr, not a regex
        return None
    return _matrix(b"[" + body + b"]", records, width)


def _matrix(json: str | bytes, records: int, width: int) -> np.ndarray | None:
    """One orjson call for all numbers, checked to be ``records`` rows of ``width``."""
    try:
        flat = orjson.loads(json)
    except orjson.JSONDecodeError:
        return None
    if len(flat) != records * width:
        return None
    return np.fromiter(flat, dtype=np.float64, count=len(flat)).reshape(records, width)
