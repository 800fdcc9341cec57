"""Lines that print every number in the same columns, read as columns of digits.

The PyTorch ImageNet example formats its meters to a width (``{:6.3f}``, ``{:.4e}``, a batch
counter padded to the width of the epoch's length)::

    Epoch: [0][  10/5005]\tTime  0.335 ( 0.512)\tData  0.001 ( 0.160)\tLoss 6.9100e+00 (6.9240e+00)
    Epoch: [0][ 100/5005]\tTime  0.341 ( 0.498)\tData  0.000 ( 0.061)\tLoss 6.8312e+00 (6.8902e+00)

so a run of its lines is one byte matrix, a line a row, each number in the same columns. Once
`_pair_runs.Layout.read` has checked the run's text is its layout's, `numbers` reads each
number's columns with integer arithmetic (`_numbers.decimals`, exact as ``float``): no text
cut into JSON, no orjson, no list of floats. The padding before a right-aligned number may
hold its leading digits on other lines (``  10`` and `` 100``); anything else that differs
from the first line but in digits - another width, a sign, a space inside a number, a digit in
a name - leaves the run to the general reading (None).
"""

from __future__ import annotations

from functools import lru_cache
from typing import NamedTuple

import numpy as np
from numpy.lib.stride_tricks import as_strided

from lossboard.sources.formats._layouts import MASK
from lossboard.sources.formats._numbers import Decimal, decimal_at, decimals
from lossboard.sources.formats._offsets import rows_at

_SPACE = ord(" ")
_DIGITS = b"0123456789"
_SHAPE = bytes.maketrans(b"0123456789 -", b"00000000000+")  # digits and padding alike, signs alike
_DIGITS_ALIKE = bytes.maketrans(b"0123456789-", b"0000000000+")  # as `_SHAPE`, but padding apart
_MINUS = ord("-")
_ZERO = ord("0")
_MAX_DIGITS = 15  # `decimals` is exact below 2**53
_MAX_SHAPES = 16  # shapes of a run's lines read as columns: more, and each holds few lines
_MAX_CHANGES = 64  # changes of shape from one line of a width to the next (mmcv's are a few a chunk)
_SAMPLE = 64  # lines whose shapes tell whether a run may have few
_NEWLINE = ord("\n")
_REPEAT_BYTES = 1 << 14  # bytes of a run compared with its first line's repeats at once (`_repeats`)
_MAX_KEY_COLUMNS = 31  # columns that tell `_alike`'s shapes apart, two bits each in a uint64


class Read(NamedTuple):
    """What `numbers` read: the (lines, numbers) float ``matrix``, and one line of each shape
    the lines have with their digits as 0 (``alike``: their indices), the lines the general
    path must read as the first (`_pair_runs.RunParser._spaced_as_learned`); None when the
    columns that tell them apart are too many to count this way.

    Where the text read is not the lines' own (their stamps and ETAs blanked), the caller
    tells what it blanked apart by ``blanked`` (an int a line, equal for lines whose blanked
    bytes have one shape): ``alike`` then holds a line of each shape and of each of those."""

    matrix: np.ndarray
    alike: list[int] | None


def numbers(text: bytes | bytearray, count: int, pieces: tuple[bytes, ...], blanked: np.ndarray | None = None) -> Read | None:
    """The (lines, numbers) float matrix of ``count`` lines joined by ``\\n``, when the first
    line's text without spaces is ``pieces`` with a number between each two and every line is
    as wide as the first with each number in its columns (both checked here); else None."""
    width = text.find(b"\n") if count > 1 else len(text)
    if width <= 0 or len(text) != count * (width + 1) - 1:
        return None
    if not _repeats(text.translate(_SHAPE), width + 1):
        return None  # a line with other text than the first's, or as wide but cut elsewhere
    return _read(text, count, width, pieces, blanked)


def _read(text: bytes | bytearray, count: int, width: int, pieces: tuple[bytes, ...], blanked: np.ndarray | None) -> Read | None:
    """`numbers` of lines of one shape, ``width`` bytes each (the last may end in ``\\n`` too)."""
    first = bytes(text[:width])  # of a bytearray too (`_places_of` remembers it)
    places = _places_of(first, pieces)
    if places is None:
        return None
    rows = as_strided(np.frombuffer(text, dtype=np.uint8), shape=(count, width), strides=(width + 1, 1))
    spaces = _Spaces.of(rows)
    if not _pads_only(np.frombuffer(first, dtype=np.uint8), rows, spaces, places):
        return None
    digits, found = _number_columns(rows, places)
    out = np.empty((count, len(places)))
    for column, (decimal, (_, _, sign)) in enumerate(zip(found, places)):
        if sign is None:
            values = decimals(digits, decimal)
        else:  # 6.9100e+00 on a line, 9.8000e-01 on the next: both ways, each line takes its own
            up, down = (decimals(digits, decimal._replace(is_exponent_negative=minus)) for minus in (False, True))
            values = None if up is None or down is None else np.where(rows[:, sign] == _MINUS, down, up)
        if values is None:
            return None
        out[:, column] = values
    return Read(out, _alike(rows, spaces, places, blanked))


def _number_columns(rows: np.ndarray, places: list[tuple[int, Decimal, int | None]]) -> tuple[np.ndarray, list[Decimal]]:
    """The columns of ``rows`` that hold numbers, with the padding's spaces as ``0`` (leading
    zeros), and each number's `Decimal` placed in them: one gather of those columns, where
    translating every byte of the lines cost several times as much."""
    columns: list[int] = []
    found = []
    for _, decimal, _ in places:
        start, end = decimal.span  # from the padding on
        shift = len(columns) - start
        columns.extend(range(start, end))
        found.append(decimal._replace(
            span=(start + shift, end + shift),
            digits=tuple(at + shift for at in decimal.digits),
            exponent=tuple(at + shift for at in decimal.exponent),
        ))
    numbers = rows[:, columns]
    numbers[numbers == _SPACE] = _ZERO
    return numbers, found


def numbers_by_shape(
    text: bytes | bytearray, starts: np.ndarray, pieces: tuple[bytes, ...], blanked: np.ndarray | None = None
) -> Read | None:
    """`numbers` of lines joined by ``\\n`` (each starting at ``starts``) of a few shapes
    (digits and spaces alike): an ETA blanked in place, a counter mmcv does not pad, move
    the columns. The lines of each width are one shape mostly (told by one translate), else
    split by shape; each shape's lines are read on their own as `numbers` reads a run,
    their ``alike`` together. None when one shape's lines are not read so, or the shapes
    are too many to be worth it."""
    count = len(starts)
    lengths = np.append(starts[1:] - 1, len(text)) - starts
    widths, of_width = np.unique(lengths, return_inverse=True)
    if len(widths) == 1:
        return numbers(text, count, pieces, blanked)
    sample = bytes(text[: starts[_SAMPLE] - 1] if count > _SAMPLE else text)  # of a bytearray too: a set of its lines
    if len(set(sample.translate(_DIGITS_ALIKE).split(b"\n"))) > _MAX_SHAPES:
        return None  # told by a few lines (spaces apart), before a pass over all: detectron2's values have no width
    codes = np.frombuffer(text, dtype=np.uint8)
    out, alike, shapes = np.empty((count, len(pieces) - 1)), [], 0
    for group, width in enumerate(widths.tolist()):
        rows = np.flatnonzero(of_width == group)
        lines = np.empty((len(rows), width + 1), dtype=np.uint8)
        lines[:, :-1] = rows_at(codes, starts[rows], width)
        lines[:, -1] = _NEWLINE
        block = lines.tobytes()  # each line ending in "\n": one copy, not a second to cut the last
        kinds = _by_shape(block, width, _MAX_SHAPES - shapes)
        if kinds is None:
            return None
        shapes += len(kinds)
        for kind in kinds:
            part = block if kind is None else lines[kind].tobytes()
            at = rows if kind is None else rows[kind]
            read = _read(part, len(at), width, pieces, None if blanked is None else blanked[at])
            if read is None:
                return None
            out[at] = read.matrix
            alike = None if alike is None or read.alike is None else [*alike, *at[read.alike].tolist()]
    return Read(out, None if alike is None else sorted(alike))


def _by_shape(block: bytes, width: int, most: int) -> list[np.ndarray | None] | None:
    """The rows of each shape among lines of one ``width`` (each ending in ``\\n``): [None] when
    all are one shape, as a run's lines mostly are; None when they are more than ``most``
    shapes (detectron2's values printed to four significant digits: no columns), or change
    shape from one line to the next more than `_MAX_CHANGES` times."""
    shape = block.translate(_SHAPE)
    count = len(block) // (width + 1)
    if _repeats(shape, width + 1):
        return [None] if most > 0 else None
    shapes = as_strided(np.frombuffer(shape, dtype=np.uint8), shape=(count, width), strides=(width + 1, 1))
    kinds = row_kinds(shapes, _MAX_CHANGES)
    if kinds is None or kinds.max() >= most:
        return None
    return [np.flatnonzero(kinds == kind) for kind in range(int(kinds.max()) + 1)]


def _repeats(text: bytes, period: int) -> bool:
    """Whether ``text`` is its first ``period`` bytes over and over (the last time maybe cut
    short): compared a block of repeats at a time in place, where comparing it with all the
    repeats at once built a copy as large as the run, fresh pages every chunk."""
    block = text[:period] * max(1, _REPEAT_BYTES // period)
    return all(text.startswith(block[: len(text) - at], at) for at in range(0, len(text), len(block)))


def row_kinds(shapes: np.ndarray, most: int | None = None) -> np.ndarray | None:
    """An int for each row of ``shapes``, equal for equal rows: each row compared with the one
    before (a run's lines change shape seldom), each that differs looked up once. None when
    more than ``most`` rows differ from the row before."""
    changes = [0, *(np.flatnonzero((shapes[1:] != shapes[:-1]).any(axis=1)) + 1).tolist()]
    if most is not None and len(changes) > most:
        return None
    seen: dict[bytes, int] = {}
    numbers = [seen.setdefault(shapes[row].tobytes(), len(seen)) for row in changes]
    return np.repeat(np.array(numbers, dtype=np.int64), np.diff([*changes, len(shapes)]))


class _Spaces(NamedTuple):
    """Where the rows of a run hold spaces: each byte, and each column in any row and in every
    row (each reduced once, for `_pads_only` and `_alike` both)."""

    each: np.ndarray
    anywhere: np.ndarray
    everywhere: np.ndarray

    @classmethod
    def of(cls, rows: np.ndarray) -> _Spaces:
        each = rows == _SPACE
        return cls(each, each.any(axis=0), each.all(axis=0))


def _alike(
    rows: np.ndarray, spaces: _Spaces, places: list[tuple[int, Decimal, int | None]], blanked: np.ndarray | None
) -> list[int] | None:
    """One row of each shape (digits as 0) and ``blanked`` (`Read`) among ``rows``, which
    `_pads_only` found alike but in their digits, the padding that may take their place, and
    exponents' signs: those columns, a space, a minus or anything else each, tell the shapes
    apart."""
    varying = spaces.anywhere & ~spaces.everywhere
    varying[[sign for _, _, sign in places if sign is not None]] = True
    columns = np.flatnonzero(varying)
    if len(columns) > _MAX_KEY_COLUMNS:
        return None
    if not len(columns):
        return [0] if blanked is None else np.unique(blanked, return_index=True)[1].tolist()
    codes = rows[:, columns]
    marks = (codes == _SPACE).astype(np.uint64) + (codes == _MINUS) * np.uint64(2)  # 0 digit or plus, 1, 2
    keys = marks @ (np.uint64(4) ** np.arange(len(columns), dtype=np.uint64))
    if blanked is not None:  # the shapes numbered, each with what was blanked after it
        keys = np.unique(keys, return_inverse=True)[1].astype(np.int64) * (int(blanked.max()) + 1) + blanked
    return np.unique(keys, return_index=True)[1].tolist()


def _places_of(first: bytes, pieces: tuple[bytes, ...]) -> list[tuple[int, Decimal, int | None]] | None:
    """`_places`, remembered by the line's shape (digits as 0) where no piece holds a digit:
    then what `_places` finds depends on where the line's digits are, not on which they are,
    and a log's runs have few shapes, each read again chunk after chunk."""
    if any(piece.translate(None, _DIGITS) != piece for piece in pieces):
        return _places(first, pieces)
    return _places_of_shape(first.translate(MASK), pieces)


@lru_cache(maxsize=256)
def _places_of_shape(shape: bytes, pieces: tuple[bytes, ...]) -> list[tuple[int, Decimal, int | None]] | None:
    return _places(shape, pieces)


def _places(first: bytes, pieces: tuple[bytes, ...]) -> list[tuple[int, Decimal, int | None]] | None:
    """Each number of the first line: the column its padding starts at, its `Decimal` with
    the padding's columns as leading digits, and the column of its exponent's sign (None: no
    sign). None when a number is no plain decimal."""
    kept = np.flatnonzero(np.frombuffer(first, dtype=np.uint8) != _SPACE).tolist()
    squeezed = first.translate(None, b" ")
    head, *middle, tail = pieces
    if not squeezed.startswith(head) or not squeezed.endswith(tail):
        return None
    at, stop = len(head), len(squeezed) - len(tail)
    places = []
    for piece in [*middle, None]:
        end = stop if piece is None else squeezed.find(piece, at + 1)
        if end <= at:
            return None
        start, after = kept[at], kept[end - 1] + 1
        if start and first[start - 1] not in b" [(/":
            return None  # a number touching a name ("Time0.3"): the formats' patterns want a space
        decimal = decimal_at(first[start:after], start)
        if decimal is None:
            return None
        padded = start
        if first[start] not in b"+-":  # a sign stays where it is: no digits before it
            while padded and first[padded - 1] == _SPACE:
                padded -= 1
            if padded and padded < start and first[padded - 1] not in b"[(":
                padded += 1  # the space after a name stays one (``Loss 6.9``): the formats' patterns want it
        digits = (*range(padded, start), *decimal.digits)
        if len(digits) > _MAX_DIGITS:
            return None
        sign = decimal.exponent[0] - 1 if decimal.exponent and first[decimal.exponent[0] - 1] in b"+-" else None
        places.append((padded, decimal._replace(span=(padded, after), digits=digits), sign))
        at = stop if piece is None else end + len(piece)
    return places if at == stop else None


def _pads_only(
    first: np.ndarray, rows: np.ndarray, spaces: _Spaces, places: list[tuple[int, Decimal, int | None]]
) -> bool:
    """Whether each line differs from the first only in digits, in spaces only where a
    number's padding is (before its first digit, which every line has), and in signs only in
    exponents."""
    spaced = spaces.anywhere
    inside = np.zeros(len(first), dtype=bool)
    for padded, decimal, _ in places:
        inside[padded : decimal.span[1]] = True
        whole = decimal.digits[: len(decimal.digits) - decimal.fraction]
        if any(spaced[list(decimal.digits[len(whole) :] + decimal.exponent)]):
            return False  # a space among the fraction's or the exponent's digits
        if whole and not decimal.fraction and spaced[whole[-1]]:
            return False  # a whole number without its last digit
        if whole:
            lead = [column for column in whole[1:] if spaced[column]]
            if lead and (spaces.each[:, lead] & ~spaces.each[:, [column - 1 for column in lead]]).any():
                return False  # a space after a digit
    outside = ~inside
    signs = (first == _MINUS) | (first == ord("+"))
    signs[[sign for _, _, sign in places if sign is not None]] = False
    exact = np.flatnonzero((outside & (first >= ord("0")) & (first <= ord("9"))) | signs)
    if (rows[:, exact] != first[exact]).any():
        return False  # a name's digit ("Acc@1") or a sign differs
    return bool(spaces.everywhere[outside & (first == _SPACE)].all())
