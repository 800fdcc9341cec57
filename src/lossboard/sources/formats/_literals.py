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
    try:
        flat = orjson.loads("[" + body + "]")
    except orjson.JSONDecodeError:
        return None
    width = len(pieces) - 1
    if len(flat) != records * width:
        return None
    return np.array(flat, dtype=np.float64).reshape(records, width)
