"""Printed numbers, shared by the text formats: ``0.512``, ``6.9100e+00``, ``nan``, ``-inf``.

NaN and infinities are values (C++ iostreams print ``-nan``); anything `float` rejects is not
a number and the caller reports it with `bad_number`.

The fast paths convert the numbers of many lines at once: `cut_numbers` takes them out of a
text by a template of the same length, `number_matrix` converts them in one orjson call.
"""

from __future__ import annotations

import numpy as np
import orjson

from lossboard.model import Problem

# a number as a regex fragment, for formats that must find numbers inside a line
NUMBER = r"[-+]?(?:\d+\.?\d*(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?|[nN][aA][nN]|[iI][nN][fF])"


def number(text: str) -> float | None:
    """The float ``text`` spells, or None when it is not a number."""
    try:
        return float(text)
    except ValueError:
        return None


def bad_number(line: int, name: str, found: str) -> Problem:
    """The Problem for a value printed after ``name`` that is not a number."""
    return Problem(line, f'expected a number after "{name}", found "{found[:40]}"; skipped')


KEEP = 255  # in a template: a byte of a number; a "," marks the byte after each, 0 the others
EXACT_FLOAT = 2**53  # integers above this do not survive a float64


def cut_numbers(text: bytes, marks: bytes) -> bytes:
    """The numbers of ``text`` comma-separated, where the template ``marks`` (as long as
    ``text``) says: `KEEP` on their bytes, ``,`` on the byte after each, 0 elsewhere."""
    where = np.frombuffer(marks, np.uint8)
    numbers = np.where(where == KEEP, np.frombuffer(text, np.uint8), where)
    return numbers.tobytes().translate(None, b"\0")[:-1]


def number_matrix(numbers: bytes, columns: int) -> np.ndarray | None:
    """``numbers`` (comma-separated) as float64 rows of ``columns``; None when orjson refuses
    one (``nan``, ``1.``, ``05``: the caller reads those lines one by one, with `float`)."""
    try:
        return np.array(orjson.loads(b"[%s]" % numbers), np.float64).reshape(-1, columns)
    except (orjson.JSONDecodeError, OverflowError, TypeError, ValueError):
        return None
