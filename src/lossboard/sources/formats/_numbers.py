"""Printed numbers, shared by the text formats: ``0.512``, ``6.9100e+00``, ``nan``, ``-inf``.

NaN and infinities are values (C++ iostreams print ``-nan``); anything `float` rejects is not
a number and the caller reports it with `bad_number`.

The fast paths convert the numbers of many lines at once: `cut_numbers` takes them out of a
text by a template of the same length, `number_matrix` converts them in one orjson call. Lines
of one layout (`_layouts`) hold each number at the same bytes with the same sign, point and
exponent, so `decimals` reads a number's column of many such lines with integer arithmetic on
their digits, as exactly as `float` does.
"""

from __future__ import annotations

import re
import struct
from functools import lru_cache
from typing import NamedTuple

import numpy as np
import orjson

from lossboard.model import Problem
from lossboard.sources.formats._offsets import rows_at

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


def json_matrix(json: str | bytes, rows: int, columns: int) -> np.ndarray | None:
    """The JSON array ``json`` of numbers as float64 ``rows`` x ``columns`` (one orjson call);
    None when orjson refuses it or it holds another count (a value held a comma)."""
    flat = json_list(json, rows * columns)
    return None if flat is None else float_matrix(flat, rows, columns)


def float_matrix(numbers: list, rows: int, columns: int) -> np.ndarray:
    """``numbers`` (Python floats and ints) as float64 ``rows`` x ``columns``: `struct` writes
    each as a C double straight into the array, at half `np.fromiter`'s cost (which converts
    each through numpy's generic scalar machinery) and a third of `np.array`'s."""
    matrix = np.empty((rows, columns))
    struct.pack_into(f"{len(numbers)}d", matrix, 0, *numbers)
    return matrix


def json_list(json: str | bytes, count: int) -> list | None:
    """The JSON array ``json`` as orjson's list (ints stay ints); None when orjson refuses it
    or it holds another count."""
    try:
        flat = orjson.loads(json)
    except orjson.JSONDecodeError:
        return None
    return flat if len(flat) == count else None


def number_matrix(numbers: bytes, columns: int) -> np.ndarray | None:
    """``numbers`` (comma-separated) as float64 rows of ``columns``; None when orjson refuses
    one (``nan``, ``1.``, ``05``: the caller reads those lines one by one, with `float`)."""
    try:
        return np.array(orjson.loads(b"[%s]" % numbers), np.float64).reshape(-1, columns)
    except (orjson.JSONDecodeError, OverflowError, TypeError, ValueError):
        return None


_DECIMAL = re.compile(r"([-+]?)([0-9]*)(?:\.([0-9]*))?(?:[eE]([-+]?)([0-9]{1,3}))?")
_MAX_DIGITS = 15  # below 2**53: the digits are exact as a float64
_POW10 = np.array([float(10**k) for k in range(23)])  # the powers of ten exact as a float64


class Decimal(NamedTuple):
    """Where a decimal number's parts are in a line (byte offsets), the same in every line of
    its layout."""

    span: tuple[int, int]  # the whole number
    is_negative: bool
    digits: tuple[int, ...]  # the digits before and after the point, in order
    fraction: int  # how many of them follow the point
    is_exponent_negative: bool
    exponent: tuple[int, ...]  # the exponent's digits


def decimal_at(text: bytes, at: int) -> Decimal | None:
    """The `Decimal` of the number ``text`` found at byte ``at`` of its line; None when
    `decimals` cannot read it (``nan``, ``inf``, more than 15 digits)."""
    match = _DECIMAL.fullmatch(text.decode("latin-1"))  # an ASCII number: a character a byte
    if match is None:
        return None
    whole, fraction = match[2], match[3] or ""
    if not whole + fraction or len(whole + fraction) > _MAX_DIGITS:
        return None
    digits = [*range(at + match.start(2), at + match.end(2))]
    if match[3]:
        digits += range(at + match.start(3), at + match.end(3))
    exponent = tuple(range(at + match.start(5), at + match.end(5))) if match[5] else ()
    span = (at, at + len(text))
    return Decimal(span, match[1] == "-", tuple(digits), len(fraction), match[4] == "-", exponent)


def decimals(lines: np.ndarray, decimal: Decimal) -> np.ndarray | None:
    """The number at ``decimal`` in every row of ``lines`` (a line's UTF-8 bytes a row) as
    `float` reads it; None when orjson refuses one (`number_matrix`).

    The digits make an integer below 2**53 and the power of ten is exact, so one
    multiplication or division rounds once, to the float nearest the decimal: the result
    `float` gives (Clinger's fast path). The rows with a power of ten beyond the exact ones
    (``1e-31``) are left to orjson, their number's bytes cut out whole."""
    value = _integer(lines, decimal.digits)
    power: np.ndarray | int = -decimal.fraction
    beyond = None  # the rows whose power of ten is not exact: orjson reads them
    if decimal.exponent:
        exponent = _integer(lines, decimal.exponent).astype(np.int64)
        power = (-exponent if decimal.is_exponent_negative else exponent) - decimal.fraction
        beyond = np.abs(power) >= len(_POW10)
        if beyond.any():
            power = np.where(beyond, 0, power)
        else:
            beyond = None
        scaled_up, scaled_down = value * _POW10[np.maximum(power, 0)], value / _POW10[np.maximum(-power, 0)]
        value = np.where(power >= 0, scaled_up, scaled_down)
    elif power:
        value = value / _POW10[-power]
    value = -value if decimal.is_negative else value
    if beyond is not None:
        found = _by_orjson(lines[beyond], decimal.span)
        if found is None:
            return None
        value[beyond] = found
    return value


class DigitReader(NamedTuple):
    """The plain decimals (no exponent) of one layout of text, read from their digits in every
    row at once: with at most 15 digits each, the products and sums of the one matrix product
    are integers below 2**53 (exact), and one division by an exact power of ten rounds as
    `float` does (as in `decimals`)."""

    positions: np.ndarray  # the bytes holding digits, number after number
    width: int  # the bytes of a row up to its last digit
    weights: np.ndarray  # (positions, numbers): each digit's power of ten in its number
    scales: np.ndarray  # (numbers,): 10**digits after the point, negative for a negative number

    def read(self, data: np.ndarray, starts: np.ndarray) -> np.ndarray:
        """(rows, numbers): the numbers of the rows of ``data`` (bytes) starting at ``starts``.
        Each row is cut whole to its last digit, then its digits picked: a copy of a row a
        start, not a look-up of an index a digit (a third less time). The ASCII ``"0"`` is taken
        off the digits in one pass, not off the numbers after the product (a broadcast over rows of
        a few numbers, which numpy loops over a row at a time)."""
        digits = rows_at(data, starts, self.width)[:, self.positions]
        digits -= ord("0")
        return serial_product(digits.astype(np.float64), self.weights) / self.scales


def digit_reader(text: bytes, spans: list[tuple[int, int]]) -> DigitReader | None:
    """The `DigitReader` of the numbers at ``spans`` of ``text`` (one row of the layout); None
    when one is not a plain decimal of at most 15 digits (an exponent, ``nan``)."""
    found = [decimal_at(text[start:end], start) for start, end in spans]
    if None in found or any(decimal.exponent for decimal in found):
        return None
    positions = [at for decimal in found for at in decimal.digits]
    weights = np.zeros((len(positions), len(found)))
    row = 0
    for column, decimal in enumerate(found):
        count = len(decimal.digits)
        weights[row : row + count, column] = 10.0 ** np.arange(count - 1, -1, -1)
        row += count
    scales = np.array([(-1.0 if d.is_negative else 1.0) * _POW10[d.fraction] for d in found])
    return DigitReader(np.array(positions, np.intp), max(positions) + 1, weights, scales)


def _integer(lines: np.ndarray, positions: tuple[int, ...]) -> np.ndarray:
    """The decimal digits at ``positions`` of each row as an integer, in a float64: with at most
    15 digits every product and sum is an integer below 2**53, exact (and a float product is a
    BLAS call, twice as fast as an integer one)."""
    if not positions:
        return np.zeros(len(lines))
    columns, powers, zeros = _digit_weights(positions)
    return serial_product(lines[:, columns].astype(np.float64), powers) - zeros


@lru_cache(maxsize=1024)
def _digit_weights(positions: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray, float]:
    """For `_integer`: ``positions`` as an index array, each digit's power of ten, and what
    the digits' ASCII zeros add; a run of lines reads the same numbers chunk after chunk."""
    powers = 10.0 ** np.arange(len(positions) - 1, -1, -1)
    return np.array(positions, dtype=np.intp), powers, ord("0") * float(powers.sum())


# OpenBLAS (numpy's wheels) splits a matrix product over every core above 262,144
# multiplications (a matrix-vector product above 9,216 elements): its threads spin as they wait,
# and a chunk's digit product took 3-6x the CPU time of the same product on one thread (2 busy
# cores). Slices of a quarter of that (a build may lower the threshold) stay on the calling thread.
_SERIAL_MATRIX = 1 << 16
_SERIAL_VECTOR = 1 << 13


def serial_product(matrix: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """``matrix @ weights`` (float64, ``weights`` a matrix or a vector) a slice of rows at a
    time, each small enough for BLAS to multiply on the calling thread; exact as one product
    when every product and sum is an integer below 2**53 (the order of the sums does not
    matter then)."""
    size = weights.size if weights.ndim > 1 else 0
    rows = max(1, (_SERIAL_MATRIX // size) if size else (_SERIAL_VECTOR // max(1, matrix.shape[1])))
    if len(matrix) <= rows:
        return matrix @ weights
    out = np.empty((len(matrix), *weights.shape[1:]))
    for at in range(0, len(matrix), rows):
        np.matmul(matrix[at : at + rows], weights, out=out[at : at + rows])
    return out


def _by_orjson(lines: np.ndarray, span: tuple[int, int]) -> np.ndarray | None:
    """The numbers at ``span`` of each row, comma-joined and read by `number_matrix`."""
    start, end = span
    cells = np.empty((len(lines), end - start + 1), np.uint8)
    cells[:, :-1] = lines[:, start:end]
    cells[:, -1] = ord(",")
    numbers = number_matrix(cells.tobytes()[:-1], 1)
    return None if numbers is None else numbers.ravel()
