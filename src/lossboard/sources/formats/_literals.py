"""The numbers of many records that share one layout, cut out at C speed.

The fast paths of the text formats (`_mxnet_fast`, `_caffe_fast`) learn a record's literal
text once: the pieces between its numbers.

`read_marked` reads records whose numbers are plain decimals (digits and a point) in a few
C passes, whatever the number of pieces: deleting the number bytes must leave the records'
literal text exactly (their "skeleton"); then one `bytes.translate` turns the text between
two numbers into one comma among spaces (`Marks`), and one orjson call reads the numbers.
A piece with digits in it (``top_k_accuracy_5=``) is read as two gaps around a number of its
own, checked to be exactly the printed one: one more number a record for orjson costs a third
of the `bytes.replace` pass it used to take. A gap with a point in it, or with no byte to be
its comma, is first replaced by a marker byte of its own that the text does not hold, so the
skeleton still says which gap stood where.

`read_numbers` reads any numbers orjson does (``-1e-05``) at the cost of one
`str.replace` pass per piece. Replacing every piece of many records by a comma
leaves only their numbers, which one orjson call converts. The records fit when nothing but
number characters is left, orjson accepts the result and it holds exactly ``records * width``
numbers: a record with other text
keeps it (orjson refuses), one with fewer or more numbers changes the count. Values orjson
refuses (``nan``, ``inf``, ``1.``) make the records not fit, so the caller reads them line by
line.

`read_decimals` reads plain decimals (a sign, digits, a point) where the caller knows each one's
bytes, with no text made for orjson at all: the digits of a number, right-aligned in a window of
`DECIMAL_WIDTH` bytes, are summed eight to a 64-bit word, and one division by a power of ten
rounds as `float` does. The numbers it cannot read (an exponent, ``nan``, 16 digits) it names,
for the caller's orjson.
"""

from __future__ import annotations

import re

import numpy as np

from lossboard.sources.formats._numbers import float_matrix, json_list, json_matrix

_NOT_A_NUMBER = re.compile(r"[^0-9.eE+\-,]")


def cut_pieces(pieces: list[str]) -> list[str]:
    """What to replace in records of ``pieces`` (a record's text split at its numbers): every
    literal between two numbers and the joint between two records, longest first (a piece may
    contain another)."""
    joint = pieces[-1] + "\n" + pieces[0]
    return sorted({*pieces[1:-1], joint} - {""}, key=len, reverse=True)


_NUMBER_BYTES = b"0123456789."
_MARKERS = bytes(range(1, 32))  # control bytes, for marking: those no piece holds
_JSON_BYTES = b"0123456789.,"  # what `Marks.to_json` keeps as it is
_DIGIT_RUN = re.compile(rb"([0-9]+)")
_JSON_INTEGER = re.compile(rb"0|[1-9][0-9]{0,14}")  # as orjson reads it: no leading zero


class Marks:
    """How `read_marked` reads records of ``pieces`` (a record's text split at its numbers,
    head first and tail last).

    A piece with digits in it (``\ttop_k_accuracy_5=``) is read as gaps around numbers of its
    own: ``literals`` holds each such number's column among all the numbers a record reads
    and its value, which every record must print exactly (an integer: ``5``, never ``5.0``).
    ``gaps`` is the text between two numbers so read. ``marked``: the gaps to replace by a
    marker byte first, those with a point in them or no byte to be their comma.
    ``skeleton``: one record with its numbers deleted (and marked). ``to_json``: a
    `bytes.translate` table that keeps number bytes and makes each gap between two numbers
    one comma among spaces: it maps to ``,`` a set of bytes of which each gap holds exactly
    one (a marker byte counts: marking a gap is how one with no such byte gets one).

    ``usable`` is False when they cannot be read so: a gap that is empty or starts or ends
    with a point (it would join the number beside it), a literal number orjson reads
    otherwise (``05``), a head or tail with number bytes (marking those is not worth it), or
    a gap to mark inside one left as it is (marking would change that one too).
    """

    def __init__(self, pieces: list[str]) -> None:
        encoded = [piece.encode() for piece in pieces]
        self.head, self.tail = encoded[0], encoded[-1]
        self.width = len(encoded) - 1
        gaps: list[bytes] = []
        self.literals: list[tuple[int, int]] = []  # (column among all numbers read, value)
        integers = True
        for piece in encoded[1:-1]:
            parts = _DIGIT_RUN.split(piece)
            for index, digits in enumerate(parts[1::2]):  # a gap before each number read
                integers = integers and _JSON_INTEGER.fullmatch(digits) is not None
                self.literals.append((len(gaps) + index + 1, int(digits)))
            gaps += parts[::2]
        self.gaps = gaps
        free = [bytes([byte]) for byte in _MARKERS if not any(byte in piece for piece in encoded)]
        self.usable = integers and _plain(self.head) and _plain(self.tail) and all(
            gap and gap[:1] not in _NUMBER_BYTES and gap[-1:] not in _NUMBER_BYTES for gap in gaps
        )
        to_mark = [gap for gap in gaps if not _plain(gap)]
        joint = self.tail + b"\n" + self.head
        commas = _commas([*gaps, joint], to_mark)
        to_mark = sorted(set(to_mark), key=len, reverse=True)  # longest first: a piece may hold another
        kept = [gap for gap in gaps if gap not in to_mark] + [joint]
        self.usable = (self.usable and len(to_mark) <= len(free)
                       and not any(gap in other for gap in to_mark for other in kept))
        self.marked = list(zip(to_mark, free))
        markers = dict(self.marked)
        self.skeleton = self.head + b"".join(markers.get(gap, gap) for gap in gaps) + self.tail
        self.to_json = bytes(
            byte if byte in _JSON_BYTES else 44 if byte in commas or bytes([byte]) in markers.values() else 32
            for byte in range(256)
        )
        self._skeletons = b""  # the skeleton repeated, one a line, for the longest run so far

    def is_skeleton(self, found: bytes, records: int) -> bool:
        """Whether ``found`` is ``records`` skeletons joined by newlines: a prefix of those
        kept from the longest run so far, compared in place (repeating the skeleton for every
        run copied as many bytes as the run has)."""
        line = self.skeleton + b"\n"
        if len(found) != records * len(line) - 1:
            return False
        if len(self._skeletons) < len(found):
            self._skeletons = line * records
        return self._skeletons.startswith(found)


def _plain(piece: bytes) -> bool:
    """Whether ``piece`` holds no number byte."""
    return piece.translate(None, _NUMBER_BYTES) == piece


def _commas(gaps: list[bytes], to_mark: list[bytes]) -> bytes:
    """Bytes of which each of ``gaps`` holds exactly one (a comma always counts), chosen gap by
    gap, the shortest first (``=`` between ``_5`` and a number has one byte to offer); a gap
    where no byte will do is added to ``to_mark``."""
    chosen = b","

    def count(gap: bytes, among: bytes) -> int:
        return 0 if gap in to_mark else sum(gap.count(byte) for byte in among)

    for gap in sorted(gaps, key=len):
        found = count(gap, chosen)
        if found == 1 or gap in to_mark:
            continue
        if found == 0:
            for byte in sorted(set(gap)):
                more = chosen + bytes([byte])
                if byte not in _NUMBER_BYTES and all(count(other, more) <= 1 for other in gaps):
                    chosen = more
                    break
            else:
                to_mark.append(gap)
        else:
            to_mark.append(gap)
    return chosen


def read_marked(text: bytes, marks: Marks, records: int) -> np.ndarray | None:
    """The numbers of ``records`` records of ``marks`` joined by newlines in ``text`` as a
    (records, width) array, or None when they are not exactly the records' literal text
    with plain decimals (digits and one point) between, as JSON spells them."""
    if not (text.startswith(marks.head) and text.endswith(marks.tail)):
        return None  # the skeleton does not see digits before the head or after the tail
    for _, marker in marks.marked:
        if marker in text:
            return None
    for gap, marker in marks.marked:
        text = text.replace(gap, marker)
    if not marks.is_skeleton(text.translate(None, _NUMBER_BYTES), records):
        return None
    numbers = text.translate(marks.to_json)
    # one copy into the JSON array: the head and tail left out through a view
    json = b"".join((b"[", memoryview(numbers)[len(marks.head) : len(numbers) - len(marks.tail)], b"]"))
    if not marks.literals:
        return json_matrix(json, records, marks.width)
    stride = marks.width + len(marks.literals)
    flat = json_list(json, records * stride)
    if flat is None:
        return None
    for column, value in reversed(marks.literals):  # the last first: the columns before keep their place
        printed = flat[column::stride]
        # as printed: orjson reads "5.0" as a float (equal to 5) and refuses "05"
        if printed.count(value) != records or type(sum(printed)) is not int:
            return None
        del flat[column::stride]
        stride -= 1
    return float_matrix(flat, records, marks.width)


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
    return json_matrix("[" + body + "]", records, len(pieces) - 1)


# the bytes orjson would read as other values (true, false, null, strings, lists, objects) or
# as whitespace between two numbers: left in cut records, they say the records do not fit
_NOT_IN_NUMBERS = b' \t\r\n"[{tfn'


def read_cut(body: bytes, records: int, width: int) -> np.ndarray | None:
    """The numbers of ``records`` records whose literal text was cut down to one comma
    between numbers (the caller cut at fixed places, not by `cut_pieces`), as a (records,
    width) array, or None when anything but numbers is left."""
    if any(byte in body for byte in _NOT_IN_NUMBERS):  # each a memchr, not a regex
        return None
    return json_matrix(b"[" + body + b"]", records, width)


DECIMAL_WIDTH = 16  # the bytes `read_decimals` reads a number from: 15 digits and a point
# item n: 1 on the last n bytes of a window (picked a ``memcpy`` a row, not a broadcast over short rows)
_INSIDE = (np.arange(DECIMAL_WIDTH) >= DECIMAL_WIDTH - np.arange(DECIMAL_WIDTH + 1)[:, None]).view(
    np.dtype((np.void, DECIMAL_WIDTH))
).ravel()
_INSIDE.flags.writeable = False
_PAIRS = (  # adding up the digits of a word: in pairs, fours, eights (the first byte the most significant)
    (np.uint64(8), np.uint64(10), np.uint64(0x00FF00FF00FF00FF)),
    (np.uint64(16), np.uint64(100), np.uint64(0x0000FFFF0000FFFF)),
    (np.uint64(32), np.uint64(10_000), np.uint64(0xFFFFFFFF)),
)
# a window's two words of point flags times these, shifted down 56 bits: 1 + the digits after the
# point (a point at byte k of the first word has 15 - k, of the second 7 - k), 0 without one
_AFTER_POINT = np.array([0x100F0E0D0C0B0A09, 0x0807060504030201], np.uint64)
# by that count: what the digits are divided by, and what their integer part is the floor of them over
_SCALES = np.array([1.0] + [10.0**k for k in range(DECIMAL_WIDTH)])  # powers of ten exact as float64
_INTEGER_PARTS = np.array([np.inf] + [10.0 ** (k + 1) for k in range(DECIMAL_WIDTH)])  # no point: 0
_EXACT = 2.0**53  # integers below this are exact as float64


def read_decimals(windows: np.ndarray, lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The numbers that end the rows of ``windows`` (`DECIMAL_WIDTH` bytes each, the last
    ``lengths`` of a row its number; overwritten) as `float` reads them, and which rows were
    read: plain decimals whose digits make an integer below 2**53, any of 15 digits
    (``0.000669056``, ``-3``, ``.5``, ``007``); the others (an exponent, ``nan``, ``+1``, more
    digits, no digit) are the caller's to read.

    The digits, with the point as a 0, make an integer ``A = L * 10**(f+1) + F`` below 2**53
    for ``f`` digits after the point: exact as a float64, as are the integer part ``L`` (the
    floor of ``A / 10**(f+1)``, whose fraction is below 0.1) and ``M = A - 9 * 10**f * L``,
    the number's digits without the point. ``M / 10**f`` rounds once, to the float nearest
    the decimal: what `float` gives."""
    fits = (lengths >= 1) & (lengths <= DECIMAL_WIDTH)
    shown = np.minimum(lengths, DECIMAL_WIDTH)  # the bytes of a row that are its number's
    # one array of flags a byte, reused: the bytes in the number, then the point, then digits (a
    # fresh array of a block's numbers is ~80 fresh pages, each a page fault: ~0.1 ms)
    flags = _INSIDE[shown].view(bool).reshape(windows.shape)
    windows *= flags  # the bytes before the number 0
    negative = _negative(windows, shown, flags)
    windows -= ord("0")  # uint8: a byte below "0" wraps past 9
    points = np.count_nonzero(np.equal(windows, (ord(".") - ord("0")) % 256, out=flags))
    after_point = _after_point(flags)
    found = np.count_nonzero(np.less_equal(windows, 9, out=flags))  # the digits
    windows *= flags
    digits = np.subtract(shown, negative, out=shown)  # and the point, in a number that fits
    if found + points != digits.sum() or points > np.count_nonzero(after_point):
        fits &= np.count_nonzero(flags, axis=1) + (after_point > 0) == digits  # another byte, or more points
    fits &= digits > (after_point > 0)  # a digit, not just a point
    whole = _digits(windows, flags.view("<u8").reshape(-1))
    fits &= whole < _EXACT
    return _scaled(whole, after_point, negative), fits


def _negative(windows: np.ndarray, shown: np.ndarray, flags: np.ndarray) -> np.ndarray:
    """Whether each row's number (its last ``shown`` bytes) starts with a "-": looked for at its
    first byte only where some row holds one (a lone "-" elsewhere is no digit: the row is not
    read), the flags of a byte in ``flags``."""
    if not np.count_nonzero(np.equal(windows, ord("-"), out=flags)):
        return np.zeros(len(windows), dtype=bool)
    first = np.arange(DECIMAL_WIDTH, DECIMAL_WIDTH * len(windows) + 1, DECIMAL_WIDTH) - np.maximum(shown, 1)
    return windows.reshape(-1)[first] == ord("-")


def _after_point(point: np.ndarray) -> np.ndarray:
    """1 + how many bytes follow the one point flagged in each row of ``point`` (0 without one):
    a flag's byte picks a byte of `_AFTER_POINT` as a product of words, no search a row."""
    words = point.view("<u8")
    after = words[:, 0] * _AFTER_POINT[0]  # a column at a time: a broadcast over rows of two words loops a row at a time
    after >>= np.uint64(56)
    second = words[:, 1] * _AFTER_POINT[1]
    second >>= np.uint64(56)
    after += second
    return after


def _digits(windows: np.ndarray, scratch: np.ndarray) -> np.ndarray:
    """The digits (0-9 a byte, 16 a row) of each row as one integer, in a float64: the eight of
    each word summed in three steps of integer arithmetic (each step's shifted words written into
    ``scratch``, as many words as the windows hold), no byte converted on its own."""
    words = windows.view("<u8").reshape(-1)
    for shift, scale, keep in _PAIRS:
        np.right_shift(words, shift, out=scratch)
        words *= scale
        words += scratch
        words &= keep
    halves = words.reshape(-1, 2)
    whole = halves[:, 0].astype(np.float64)
    whole *= 1e8  # exact, as is the sum, below 2**53 (and at or above it when the digits are)
    whole += halves[:, 1]
    return whole


def _scaled(whole: np.ndarray, after_point: np.ndarray, negative: np.ndarray) -> np.ndarray:
    """The numbers whose digits, with the point as a 0, are ``whole``, with ``after_point``
    (`_after_point`) and their sign (see `read_decimals`)."""
    scales = _SCALES.take(after_point, mode="clip")  # more than one point: a row not read
    integers = _INTEGER_PARTS.take(after_point, mode="clip")
    np.divide(whole, integers, out=integers)
    np.floor(integers, out=integers)
    integers *= scales
    integers *= 9
    whole -= integers
    whole /= scales
    return np.negative(whole, out=whole, where=negative)
