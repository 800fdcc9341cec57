"""Column extraction for long runs of Hugging Face Trainer lines that share one layout, read
from the file's bytes.

Most of a Trainer console is lines such as (``\\r`` shown as ``⏎``)::

    ⏎ 12%|██   | 24/200 [00:01<00:09, 20.5it/s]⏎ 14%|██   | 28/200 [...]⏎<spaces>⏎{'loss': '2.6', 'grad_norm': '1.5', 'learning_rate': '4.9e-05', 'epoch': '0.03'}

the training bar redrawn (its first redraw is the step of the dict on the line before), the
bar cleared by ``tqdm.write`` and the next dict. `SteadyLines` finds the stretches of a
chunk's bytes whose lines may be such lines, with numpy; a `DictLayout` is the literal text of
one dict with its values cut out. `DictLayout.read_run` is the reference of the fast path: one
regex over a stretch's bytes checks each line and captures its first bar count and its dict's
values, and one orjson call converts them all. `SteadyLines.run` gives the same for the
lines it proves match that regex with the same captures, all of a chunk's lines at once in
numpy (the regex walks every byte at ~4 instructions a byte; numpy compares columns): the
bars of one width with their digits masked, each distinct shape matched once by the regex's
own bar; the later redraws by the byte before each ``\r`` or compared to blanks; the dict's
literal pieces compared one after another, each value ending where the next piece starts. A
stretch with a line it cannot prove goes to the regex. No line of a run is decoded or becomes
a `str`.

The regex accepts only what the line-by-line reading reads the same way from the decoded
text: the first redraw a bar without description that fills its whole state, drawn as tqdm
draws it, every state after it ending in ``]`` or blank up to the dict, the dict the last
state with every value a JSON number, and no backspace or ``{`` but the dict's. A dict with
other keys, another order, a ``nan``, ``'0.5x'`` or ``np.float64(...)`` does not fit, and the
run is read line by line, so the result never depends on which path ran. The redraws after
the first are only walked to their ``]``: sre's loop for ``[^\\r]*`` is several times cheaper
than a character class. Undecodable bytes can only lie where the pattern takes any character
but a few ASCII ones (a skipped redraw, a bar's brackets): decoding never turns an ASCII byte
into part of a replacement character, nor a replacement character into one of those.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache
from itertools import chain

import numpy as np

from lossboard.sources.formats._numbers import json_matrix
from lossboard.sources.formats._offsets import ranges, rows_at

# the first redraw of a line: a bar without description that fills its state, drawn as tqdm
# draws it (full blocks, one partial block, blanks; or "#", a digit, blanks); its count is a
# JSON integer of at most 15 digits: orjson reads it with the values, and a float holds it exactly
_FULL, _PARTIAL = re.escape("█".encode()), re.escape("▏".encode()[:2]) + rb"[\x89-\x8f]"  # U+2588, U+2589-258F
_BAR_HEAD = rb" *(?:\d+%)?\|(?:(?:" + _FULL + rb")*(?: |" + _PARTIAL + rb")? *|#*\d? *)\| *"
_BAR_START = rb"\r" + _BAR_HEAD
_BAR_END = rb" \[[^\][|{\r\n]*\]"
# at a line's start: the chunk's, or after a "\n"
_FIRST_BAR = rb"(?:^|\n)" + _BAR_START + rb"(0|[1-9]\d{0,14})/\d+" + _BAR_END
_LONE_BAR = re.compile(_BAR_START + rb"(\d{1,18})/(\d+)" + _BAR_END)  # a line that is one such redraw
# later redraws up to the dict: each blank (tqdm.write clearing the bar) or ending in "]" (one
# starting with "{" is the dict, not tried as a redraw); "[^\r]*" cannot run into the next
# line, whose "\r" follows a "\n" the dict's "}" precedes
_REDRAWS = rb"(?:\r *(?=\r)|\r[^\r{][^\r]*\])*\r"
_TOTAL = re.compile(_BAR_START + rb"\d+/(\d+)")  # of a line `DictLayout.read_run` read
# an evaluation between two runs (transformers 5 through a pipe): the training bar drawn alone,
# then a line of redraws the reference reading skips, each ending in "]" or blank before the
# cursor-up codes `_lines._ANSI` drops, and one flat dict last; `evaluation` checks the bytes
# no redraw may hold ("[^\r]" is a byte compare in sre's loop, a class of five a dozen)
_UP = rb"(?:\x1b\[A)*"
_EVALUATION = re.compile(
    _LONE_BAR.pattern + rb"\n(\r(?:(?: +|[^\r]*\] *)" + _UP + rb"\r)*" + _UP + rb")(\{'[^}]*\})\n"
)
_NUMBER_CHARS = b"0123456789.eE+-,"  # all a run's values may hold, joined by commas
_NUMBER = r"-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?"  # a value `fits` takes for one of the layout's


class DictLayout:
    """The keys of a printed dict in order and the literal text around its values."""

    def __init__(self, names: tuple[str, ...], pieces: tuple[str, ...]) -> None:
        self.names = names
        self.key = (names, pieces)  # plain data a parser keeps to find the layout again
        self.epoch_column = names.index("epoch")
        # a value is what lies between two literals (a loop in sre, where a number pattern
        # costs three times as much); `read_run` checks they are numbers
        raw = [piece.encode() for piece in pieces]
        self.raw_pieces = tuple(raw)  # for `SteadyLines`
        values = b"".join(
            re.escape(piece) + b"([^" + re.escape(after[:1]) + b"]*)" for piece, after in zip(raw, raw[1:])
        )
        # one line at a time, anchored at its "\n": a pattern over all the run's lines at once
        # backtracks through every line before a misfit one
        self._line = re.compile(_FIRST_BAR + _REDRAWS + values + re.escape(raw[-1]) + rb"(?=\n)")
        self._dict = re.compile(f"({_NUMBER})".join(map(re.escape, pieces)))

    def fits(self, sample: str) -> bool:
        """Whether ``sample`` is this layout's literal text with numbers between (a dict whose
        values are quoted where this layout's are not is another layout)."""
        return self.values(sample) is not None

    def values(self, sample: str) -> tuple[str, ...] | None:
        """The values of ``sample`` in the order of `names`, as the text `read_dict` gives for
        each, when ``sample`` `fits`; else None."""
        found = self._dict.fullmatch(sample)
        return None if found is None else found.groups()

    @classmethod
    def learn(cls, sample: str, dict_pattern: re.Pattern, pair_pattern: re.Pattern) -> DictLayout | None:
        """The layout of ``sample`` (one whole dict), or None when it is not one flat dict
        with an ``epoch`` and distinct keys."""
        if dict_pattern.fullmatch(sample) is None or sample.count("{") != 1:
            return None
        names, pieces, start = [], [], 0
        for pair in pair_pattern.finditer(sample):
            group = next(g for g in (2, 3, 4) if pair[g] is not None)
            begin, end = pair.span(group)
            text = pair[group]
            begin += len(text) - len(text.lstrip())
            end -= len(text) - len(text.rstrip())
            names.append(pair[1])
            pieces.append(sample[start:begin])
            start = end
        pieces.append(sample[start:])
        if "epoch" not in names or len(set(names)) != len(names) or "" in pieces:
            return None
        return dict_layout(tuple(names), tuple(pieces))

    def read_run(self, data: bytes, start: int, end: int, lines: int) -> tuple[np.ndarray, np.ndarray] | None:
        """Each line's first bar count and its dict's values, as a (lines,) int64 array and a
        (lines, keys) float array, for the ``lines`` complete lines of ``data[start:end]``, or
        None when one is not a bar-and-dict line of this layout. ``start`` follows a "\\n";
        the lines come from `SteadyLines.stretches` (each starts with "\\r", ends with "}", holds
        one "{" and no backspace)."""
        # a match a line: each starts at the "\n" before it (or the chunk's start) and ends before its own
        rows = self._line.findall(data, max(start - 1, 0), end)
        if len(rows) != lines:
            return None
        numbers = b",".join(chain.from_iterable(rows))  # no joined row each: one join of all values
        if not numbers.isascii() or numbers.translate(None, _NUMBER_CHARS):
            return None  # orjson would read true, null or "1" as values
        if b",-0," in b",%b," % numbers:
            return None  # orjson reads -0 as the integer 0, float() as -0.0
        matrix = json_matrix(b"[%b]" % numbers, lines, len(self.names) + 1)
        if matrix is None:  # "1.", "01", "", a comma inside a value, 1e999
            return None
        return matrix[:, 0].astype(np.int64), matrix[:, 1:]


@lru_cache(maxsize=64)  # a run's dicts have the layout of the run before: built once
def dict_layout(names: tuple[str, ...], pieces: tuple[str, ...]) -> DictLayout:
    return DictLayout(names, pieces)


def bar_total(data: bytes, start: int) -> str:
    """The total of the first bar of the line at ``start`` that `DictLayout.read_run` read."""
    return _TOTAL.match(data, start)[1].decode()  # type: ignore[index]


def lone_bar(data: bytes, start: int, end: int) -> tuple[int, str] | None:
    """(count, total) of the line ``data[start:end]`` when it is the training bar drawn once
    and nothing else (it ends a run before an evaluation), or None."""
    found = _LONE_BAR.fullmatch(data, start, end)
    if found is None:
        return None
    return int(found[1]), found[2].decode()


def evaluation(data: bytes, start: int, end: int) -> tuple[int, bytes] | None:
    """(the count of the training bar drawn alone, the dict) when ``data[start:end]`` is the two
    lines an evaluation prints between two runs: the bar places the run's last dict, the dict
    is the one Trainer dict of the second line, held for the next run's first bar. None
    for any other lines (read line by line)."""
    found = _EVALUATION.fullmatch(data, start, end)
    if found is None:
        return None
    redraws, entry = found.group(3, 4)
    if b"\n" in redraws or b"{" in redraws or redraws.count(b"\x1b") != redraws.count(b"\x1b[A"):
        return None  # a line more, a dict or another escape code in a redraw
    if b"\b" in redraws or b"\b" in entry or b"\r" in entry or b"\n" in entry or b"\x1b" in entry:
        return None  # a backspace anywhere, or a dict that is not one redraw
    return int(found[1]), entry


# a first bar with each digit read as "0" (`_DIGIT_AS_ZERO`): what `_FIRST_BAR` takes of the real
# bytes, and a count with a leading zero too ("05/", which orjson refuses): its digits are read
# here as `int` reads them in the reference reading
_BAR_SHAPE = re.compile(_BAR_HEAD + rb"(\d{1,15})/\d+" + _BAR_END)
_DIGIT_AS_ZERO = bytes.maketrans(b"123456789", b"000000000")
_MOST_SHAPES = 16  # distinct first-bar shapes of one width a chunk's lines are read with
_NUMBER_BYTES = b"0123456789.eE+-"  # all a value read at once may hold
_SCAN_BLOCK = 1 << 16  # bytes a chunk scan compares in one go
_VALUE_WINDOW = 32  # a dict value is looked for in this many bytes: a 32-bit word of hits


class SteadyLines:
    """The complete lines of a chunk that may be bar-and-dict lines (`stretches`), and what
    `DictLayout.read_run` would read from each of them, found for all of them at once with
    numpy (`run`). A line is only taken when each part of it is proven to match the regex with
    the same captures (a count's leading zero aside: read as the reference reads it); a
    line not taken is left to the regex, never read another way:

    * the first redraw: the bars of one width are compared with their digits masked, and each
      distinct shape is matched once by the regex's bar (`_BAR_SHAPE`), which gives the count's
      columns;
    * the redraws after it: by the place of each ``\r``, the byte before it ``]``, or the redraw
      all blanks (compared as columns, by length);
    * the dict: walked from its brace, each literal piece compared as a column and each value
      ending at the first byte of the next piece; the values are number bytes, converted by
      one orjson call.
    """

    def __init__(self, data: bytes, begin: int, end: int, longest: int) -> None:
        chars = np.frombuffer(data, np.uint8, end)
        marks = _marks(chars, begin)
        kinds = chars[marks]
        # how many "\r" come before each mark: where each line's start in `_returns`, counted
        # in the marks' order (no search of it); a bool mask summed as int32 (as int64, numpy
        # 2.4 takes a cast loop ten times slower)
        returns_before = np.cumsum(kinds == 13, dtype=np.int32)
        ends_at = np.flatnonzero(kinds == 10)
        ends, braces = marks[ends_at], marks[kinds == 123]
        starts = np.empty_like(ends)
        starts[0], starts[1:] = begin, ends[:-1] + 1
        maybe = (chars[np.minimum(starts, ends)] == 13) & (chars[ends - 1] == 125)  # "\r" ... "}"
        brace_lines = np.searchsorted(ends, braces)
        maybe &= np.bincount(brace_lines, minlength=len(ends)) == 1
        if end - begin > longest:
            maybe &= ends - starts <= longest
        for byte in b"\x1b\b":  # evaluation lines (cursor-up codes) end a stretch, which they could not fit
            at = data.find(byte, begin, end)
            while at >= 0:
                line = int(ends.searchsorted(at))  # the method: no dispatch, half the cost
                maybe[line] = False
                at = data.find(byte, int(ends[line]) + 1, end)
        brace_of = np.zeros_like(ends)
        brace_of[brace_lines] = braces
        lines = np.flatnonzero(maybe)
        returns_to_end = returns_before[ends_at]
        self._chars, self._maybe = chars, maybe
        self._starts, self._braces, self._ends = starts[lines], brace_of[lines], ends[lines]
        self._returns = marks[kinds == 13]
        # in `_returns`: each line's first "\r" and the one after its last
        self._return_span = np.append(0, returns_to_end[:-1])[lines], returns_to_end[lines]
        self._read: dict[tuple, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}

    def stretches(self, shortest: int) -> list[tuple[int, int, int]]:
        """(line count, start, end) of each stretch of at least ``shortest`` lines that may be
        bar-and-dict lines: starting with "\r", ending with "}", one "{" (a dict in a redraw is
        read by the reference reading), no escape code or backspace, and none longer than
        ``longest`` (the splitter would cut it)."""
        edges = np.flatnonzero(np.diff(self._maybe, prepend=False, append=False))
        firsts, stops = edges[::2], edges[1::2]
        long_enough = stops - firsts >= shortest
        firsts, stops = firsts[long_enough], stops[long_enough]
        place = np.cumsum(self._maybe, dtype=np.int32) - 1  # a line's place among those that may be
        return list(zip((stops - firsts).tolist(), self._starts[place[firsts]].tolist(),
                        (self._ends[place[stops - 1]] + 1).tolist()))

    def run(self, layout: DictLayout, start: int, lines: int, stop: int) -> tuple[np.ndarray, np.ndarray] | None:
        """What ``layout.read_run`` reads from the ``lines`` lines at ``start``, the last one
        ending at ``stop`` (an evaluation's lines between them, which may not be bar-and-dict
        lines, are not counted), or None when one of them was not proven here."""
        if layout.key not in self._read:
            self._read[layout.key] = self._read_all(layout)
        refused, counts, values = self._read[layout.key]
        first = int(self._starts.searchsorted(start))
        last = first + lines - 1
        if (last >= len(counts) or self._starts[first] != start or self._ends[last] + 1 != stop
                or refused[last + 1] != refused[first]):
            return None
        return counts[first : last + 1], values[first : last + 1]

    def _read_all(self, layout: DictLayout) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """How many lines were not proven before each line (and after the last), so that a run
        is checked by two numbers, not a pass over its lines; each line's count and values."""
        taken = np.ones(len(self._starts), bool)
        counts = np.zeros(len(self._starts), np.int64)
        values = np.full((len(self._starts), len(layout.names)), np.nan)
        if len(self._starts):
            bar_ends = self._check_redraws(taken)
            self._read_first_bars(bar_ends, taken, counts)
            self._read_dicts(layout, taken, values)
        return np.append(0, np.cumsum(~taken, dtype=np.int32)), counts, values

    def _check_redraws(self, taken: np.ndarray) -> np.ndarray:
        """Clear ``taken`` for a line whose last "\r" is not the one before its dict, or with a
        redraw after the first that is neither blank nor two bytes or more ending in ``]``;
        where each line's first redraw ends (its second "\r")."""
        chars, returns = self._chars, self._returns
        firsts, stops = self._return_span
        taken &= stops - firsts >= 2
        taken &= returns[stops - 1] == self._braces - 1
        bar_ends = returns[np.minimum(firsts + 1, len(returns) - 1)]
        # the "\r" after each later redraw, the third of a line on
        later = np.minimum(firsts + 2, stops)
        after = ranges(later, stops - later)
        line_of = np.repeat(np.arange(len(later)), stops - later)
        lengths = returns[after] - returns[after - 1] - 1
        unclosed = (chars[returns[after] - 1] != 93) | (lengths < 2)
        after, lengths, line_of = after[unclosed], lengths[unclosed], line_of[unclosed]
        for length in _distinct(lengths):
            if length:
                these = lengths == length
                blank = _rows_equal(rows_at(chars, returns[after[these] - 1] + 1, length), b" " * length)
                taken[line_of[these][~blank]] = False
        return bar_ends

    def _read_first_bars(self, bar_ends: np.ndarray, taken: np.ndarray, counts: np.ndarray) -> None:
        """Each taken line's first bar count; ``taken`` cleared where the bar is not one."""
        widths = bar_ends - self._starts - 1
        widths[~taken] = 0
        for width in _distinct(widths):
            lines = np.flatnonzero(widths == width)
            if not width:
                taken[lines] = False
                continue
            rows = rows_at(self._chars, self._starts[lines] + 1, width)
            for same, shape in _bar_shapes(rows):
                found = _BAR_SHAPE.fullmatch(shape) if shape is not None else None
                if found is None:
                    taken[lines[same]] = False
                    continue
                first, stop = found.span(1)
                digits = rows[same, first:stop].astype(np.int64) - 48
                counts[lines[same]] = digits @ 10 ** np.arange(stop - first - 1, -1, -1, dtype=np.int64)

    def _read_dicts(self, layout: DictLayout, taken: np.ndarray, values: np.ndarray) -> None:
        """Each taken line's values; ``taken`` cleared where the dict is not of ``layout`` with
        number values that orjson reads as `float` does. The dict is walked from its brace:
        each literal piece compared, and the value after it ending at the first byte the next
        piece starts with (what the run regex's ``[^X]*`` takes), looked for in the
        `_VALUE_WINDOW` bytes after the piece (a longer value leaves its line to the regex)."""
        chars, pieces = self._chars, layout.raw_pieces
        lines = np.flatnonzero(taken)
        ends, at = self._ends[lines], self._braces[lines]
        fits = np.ones(len(lines), bool)
        firsts, sizes = [], []
        for piece, following in zip(pieces, pieces[1:]):
            fits &= _piece_at(chars, at, piece)
            first = at + len(piece)
            size = _first_of(chars, first, following[0])
            fits &= size >= 1
            firsts.append(first)
            sizes.append(size)
            at = first + np.maximum(size, 0)
        fits &= (at + len(pieces[-1]) == ends) & _piece_at(chars, at, pieces[-1])  # and nothing ran past it
        taken[:] = False
        firsts, sizes = np.stack(firsts, axis=1), np.stack(sizes, axis=1)
        if not fits.all():
            lines, firsts, sizes = lines[fits], firsts[fits], sizes[fits]
        if not len(lines):
            return
        numbers, numbered = _numbers(chars, firsts, sizes)
        lines = lines[numbered]
        matrix = json_matrix(numbers, len(lines), len(pieces) - 1) if len(lines) else None
        if matrix is not None:  # else "1.", "01", 1e999 somewhere: the regex decides each run
            taken[lines] = True
            values[lines] = matrix


def _piece_at(chars: np.ndarray, starts: np.ndarray, piece: bytes) -> np.ndarray:
    """Which of ``starts`` hold ``piece``; a start past the line's end (compared at the chunk's
    last bytes) is refused by the caller's check of where the dict ends."""
    return _rows_equal(rows_at(chars, np.minimum(starts, len(chars) - len(piece)), len(piece)), piece)


def _first_of(chars: np.ndarray, firsts: np.ndarray, byte: int) -> np.ndarray:
    """How far after each of ``firsts`` the first ``byte`` is, within `_VALUE_WINDOW` (32)
    bytes; negative where it is not. A window's hits are packed into one 32-bit word, whose lowest
    set bit is the answer (an argmax along short rows costs five times more)."""
    last = len(chars) - _VALUE_WINDOW
    if last < 0:
        return np.full(len(firsts), -1)
    starts = np.minimum(firsts, last)
    hits = rows_at(chars, starts, _VALUE_WINDOW) == byte
    shift = firsts - starts  # the last lines of a chunk look in its last window, from their place in it
    shifted = np.flatnonzero(shift)
    hits[shifted] &= np.arange(_VALUE_WINDOW) >= shift[shifted, None]
    words = np.packbits(hits.ravel(), bitorder="little").view("<u4")
    found = np.frexp(words & (~words + np.uint32(1)))[1] - 1  # the lowest set bit, exact in a float
    found[shifted] -= shift[shifted]
    return found


def _marks(chars: np.ndarray, begin: int) -> np.ndarray:
    """Where the line ends, braces and carriage returns are from ``begin``: one scan (`nonzero`
    costs ~10 ns by the mark it finds, so a dict's quotes are not looked for here), 64 KB at
    a time, so that its masks are memory malloc reuses (a 1 MB mask is fresh pages, a page
    fault each 4 KB, every chunk)."""
    found, byte_found = np.empty(_SCAN_BLOCK, bool), np.empty(_SCAN_BLOCK, bool)
    marks = []
    for at in range(begin, len(chars), _SCAN_BLOCK):
        block = chars[at : at + _SCAN_BLOCK]
        hits, byte_hits = found[: len(block)], byte_found[: len(block)]
        np.equal(block, 10, out=hits)
        for byte in b"{\r":
            hits |= np.equal(block, byte, out=byte_hits)
        marks.append(np.flatnonzero(hits) + at)
    return np.concatenate(marks)


def _bar_shapes(rows: np.ndarray) -> Iterator[tuple[slice | np.ndarray, bytes | None]]:
    """The distinct shapes of ``rows`` (each digit read as "0"), each with its rows: most often
    one, seen without masking every row (the rows differ from the first only in columns where
    both hold digits); at most `_MOST_SHAPES`, the rows of any other with the shape None."""
    differ = (rows != rows[0]).any(axis=0)
    if ((rows[:, differ] - np.uint8(48)) < 10).all():
        yield slice(None), rows[0].tobytes().translate(_DIGIT_AS_ZERO)
        return
    shapes = rows.tobytes().translate(_DIGIT_AS_ZERO)
    width = rows.shape[1]
    left = np.ones(len(rows), bool)
    for _ in range(_MOST_SHAPES):
        if not left.any():
            return
        first_left = int(np.argmax(left))
        shape = shapes[first_left * width : (first_left + 1) * width]
        same = np.flatnonzero(left & _rows_equal(np.frombuffer(shapes, np.uint8).reshape(rows.shape), shape))
        left[same] = False
        yield same, shape
    if left.any():
        yield np.flatnonzero(left), None


def _distinct(values: np.ndarray) -> list[int]:
    """The distinct values (lengths within a line), in order: most often one, seen by a min and
    a max; else counted by value from the least (`np.unique` hashes, at ~20x the cost)."""
    if not len(values):
        return []
    low, high = int(values.min()), int(values.max())
    if low == high:
        return [low]
    return (np.flatnonzero(np.bincount(values - low)) + low).tolist()


def _rows_equal(rows: np.ndarray, expected: bytes) -> np.ndarray:
    """Which rows are ``expected``: all of them when their bytes are ``expected`` repeated (one
    compare; for one byte repeated, a blank redraw, their least and greatest byte: a chunk's
    blank redraws are a megabyte, and its copy and the repeat to compare it with cost page
    faults), else each row compared as one value (a reduction along short rows costs ten times
    more)."""
    if expected.count(expected[:1]) == len(expected):
        if not rows.size or rows.min() == expected[0] == rows.max():
            return np.ones(len(rows), bool)
    elif rows.tobytes() == expected * len(rows):
        return np.ones(len(rows), bool)
    kind = np.dtype(f"V{len(expected)}")
    return np.ascontiguousarray(rows).view(kind).ravel() == np.frombuffer(expected, kind)[0]


def _numbers(chars: np.ndarray, firsts: np.ndarray, sizes: np.ndarray) -> tuple[bytes, np.ndarray]:
    """The values at ``firsts`` of ``sizes`` bytes, a row a line, as one JSON array of the rows
    whose values are all number bytes and none a bare ``-0`` (orjson reads it as the integer
    0, `float` as -0.0); and which rows those are."""
    spans = (sizes + 1).ravel()  # each value and the byte after it, a comma to be
    joined = chars[ranges(firsts.ravel(), spans)]
    commas = np.cumsum(spans) - 1
    joined[commas] = 44
    text = joined.tobytes()
    numbered = np.ones(len(sizes), bool)
    if text.startswith(b"-0,") or b",-0," in text:  # rare: the rows are looked at only then
        numbered = ~((sizes == 2) & (chars[firsts] == 45) & (chars[firsts + 1] == 48)).any(axis=1)
    if text.translate(None, _NUMBER_BYTES) != b"," * len(commas):  # a byte no number has
        number_byte = np.zeros(256, bool)
        number_byte[np.frombuffer(_NUMBER_BYTES, np.uint8)] = True
        fits = number_byte[joined]
        fits[commas] = True
        value_of = np.repeat(np.arange(len(spans)), spans)
        numbered[value_of[np.flatnonzero(~fits)] // sizes.shape[1]] = False
        text = joined[numbered[value_of // sizes.shape[1]]].tobytes()
    elif not numbered.all():
        text = joined[np.repeat(numbered, (sizes + 1).sum(axis=1))].tobytes()
    return b"[%b]" % text[:-1], numbered
