"""The redraws of one tqdm bar on one physical line, read a run at a time.

A bar redrawn with ``\\r`` fills a line with hundreds of states that differ only in their
numbers and the bar's glyphs::

    Epoch 1/25 [Train]:  40%|####      | 4/10 [00:01<00:02,  3.2it/s, loss=4.6271]

A `BarLayout` is one such state with those cut out: its rate unit and postfix names kept as
literal text (and a value printed as ``None``, which gives nothing), its description with its
digits masked so one layout serves every epoch's bar. Compiled to a regex, it finds the run
of states that follow it in one pass over the line; one orjson call converts the numbers of
the whole run, and one count of the description says they all belong to one bar.

Most often the rest of the line is one bar to its end, and then no regex runs per state:
with its digits masked to ``0``, each state is one of a few texts (a bar of 10 glyphs has 11
fills at each width of the counts; a `BarLayout`'s ``templates`` say where the numbers are in
each, learned from one state by the regex); `bytes.translate`, `bytes.split` and numpy cut all
the numbers of the run out in C. Two states with the same masked text differ only in their
digits, which the regex reads as ``\\d`` or as any byte but ``|``, ``,``, ``]`` and ``\\r``, so
they parse alike. (Cutting the bars out first kept fewer templates but cost two more passes
over the line.)

The runs that end a chunk's lines are read together before the lines are read in order
(`reads_digits`, `read_lines`): a template whose numbers are plain decimals has a digit reader
(`_numbers.DigitReader`), and the states of one template, from every line of the chunk, are
read by one gather and one matrix product from their digits - no cut, no orjson, no Python
float - exactly as `float` reads them. Which template a state has is found in numpy too, with
no `bytes` object, hash or lookup a state: the states of one width are the rows of one matrix,
their digits masked, and a template is looked up only where a row differs from the one before.

The regex admits only states the general path reads the same way (nothing glued after ``]``,
no comma inside a field, a plain rate). Where a state does not fit (another bar, a rate unit
that changes, ``?it/s``), the run ends there and the caller reads that state on its own; a
run whose numbers orjson refuses (``nan``, ``1.``) is read state by state. So the records
never depend on the path taken, only the time does.
"""

from __future__ import annotations

import re
from itertools import chain, count
from typing import NamedTuple

import numpy as np

from lossboard.sources.formats._layouts import MASK
from lossboard.sources.formats._numbers import (
    EXACT_FLOAT,
    KEEP,
    DigitReader,
    cut_numbers,
    digit_reader,
    number_matrix,
)
from lossboard.sources.formats._offsets import ranges, rows_at

RATE = re.compile(r"\s*([\d.]+)(?:(\w*/s)|s/(\w+))\s*")  # 3.24it/s, 1.5s/it, 12.41s/batch
NO_VALUE = frozenset({"None", "?"})  # printed for a value not there yet: no value, no mistake
_VALUE = r"([-+0-9.eE]+)"  # what orjson may take; it refuses the rest, and the run falls back
_FIELD = r"[^,\]\r]*"
_DIGITS = re.compile(r"\d+")
_MAX_TEMPLATES = 1024  # masked states remembered per layout; a log with more learns them again
_MAX_STATE_BYTES = 2048
_DIGIT = 0xFF  # what `read_lines` masks a digit to: a byte no UTF-8 holds (cheaper in numpy than "0")
_TO_DIGIT = bytes.maketrans(b"0123456789", bytes([_DIGIT]) * 10)
_NO_READER = -1  # the key of a state whose numbers `read_lines` cannot read from their digits
# the states masked at a time: a chunk's states at once made megabytes of temporaries, fresh
# pages each chunk while the heap still gave them back (a first load of the 50 MB tqdm log took
# 45 k page faults, main 7 k); 64 KB blocks cost more in numpy calls than they saved
_BLOCK_BYTES = 1 << 18
_reader_keys = count()


class BarLayout(NamedTuple):
    """One bar's state with the numbers cut out, and which of them are values to keep."""

    run: re.Pattern  # one or more states in a row, each after its "\r"
    state: re.Pattern  # one state; its groups are n, total, rate and the captured values
    names: tuple[str, ...]  # the postfix names whose values are captured, in order
    unit: str  # as `Bars._rate` names the rate's series: "it/s", "batch/s"
    inverted: bool  # tqdm printed seconds per unit
    # a state's text without its bar, digits masked -> where its numbers are (`_learn`)
    templates: dict[bytes, bytes | None]
    # a state whose numbers `read_lines` reads from their digits, its digits made `_DIGIT` ->
    # its reader's key in ``readers`` (learned with ``templates``, cleared with them; keys are
    # never reused, so a parser in another thread never reads with another state's reader)
    reader_ids: dict[bytes, int]
    # with its masked state
    readers: dict[int, tuple[DigitReader, bytes]]


class Run(NamedTuple):
    """States read in one pass: ``matrix`` has a row per state (n, total, rate, values...), or
    is None when orjson refused a number; ``end`` is where the run stopped."""

    end: int
    count: int
    matrix: np.ndarray | None


def learn(desc: str, inner: list[str], wanted: set[str]) -> BarLayout | None:
    """The layout of a closed ``n/total`` bar with description ``desc`` and the ``, ``-split
    fields in its brackets, capturing the values of the ``wanted`` names; None when a state
    like it could be read otherwise by the general bar regex."""
    if not desc or "|" in desc or "it [" in desc or len(inner) < 2:
        return None  # the description is what the regex anchors on: it must be unambiguous
    rate = RATE.fullmatch(inner[1])
    printed_unit = rate and (rate[2] or f"s/{rate[3]}")
    if rate is None or inner[1].strip() != rate[1] + printed_unit:
        return None
    fields = [field.partition("=") for field in inner[2:]]
    names = [name for name, _, _ in fields]
    if not all(equals for _, equals, _ in fields) or len(set(names)) < len(names):
        return None
    postfix = ""
    captured = []
    for name, _, raw in fields:
        if name not in wanted:
            value = _FIELD
        elif raw in NO_VALUE:
            value = re.escape(raw)
        else:
            value = _VALUE
            captured.append(name)
        postfix += f", {re.escape(name)}={value}"
    # a digit run is matched whole (a literal follows it), so a state that starts with ``desc``
    # gives it exactly
    masked = r"\d+".join(re.escape(piece) for piece in _DIGITS.split(desc))
    state = (
        rf"\r{masked}: ? *(?:\d+%)?\|[^|\r]*\| *(\d+)/(\d+) \[{_FIELD}, "
        rf" *(\d+(?:\.\d+)?){re.escape(printed_unit)}{postfix}\][^\S\r]*(?=\r|\Z)"
    )
    return BarLayout(
        re.compile(f"(?:{state})+"),
        re.compile(state),
        tuple(captured),
        rate[2] or f"{rate[3]}/s",
        bool(rate[3]),
        {},
        {},
        {},
    )


def read(layout: BarLayout, desc: str, line: str, start: int) -> Run:
    """The run of states of the bar ``desc`` that fit ``layout`` from ``line[start]`` on (the
    text after a ``\\r``)."""
    count, numbers = _numbers_to_the_end(layout, desc, line, start)
    if numbers is not None:
        end = len(line)
    else:
        end, rows = _regex_run(layout, desc, line, start)
        count = len(rows)
        if not count:
            return Run(start, 0, None)
        numbers = ",".join(chain.from_iterable(rows)).encode()
    matrix = number_matrix(numbers, 3 + len(layout.names))
    if matrix is None or len(matrix) != count or matrix[:, :2].max() >= EXACT_FLOAT:
        return Run(end, count, None)
    return Run(end, count, matrix)


def _numbers_to_the_end(layout: BarLayout, desc: str, line: str, start: int) -> tuple[int, bytes | None]:
    """(states, their numbers comma-separated) of every state from ``line[start - 1]`` (a
    ``\\r``) to the end of the line, when each is a state of the bar ``desc`` in ``layout``;
    numbers None when not."""
    rest = line[start - 1 :].encode("utf-8", "surrogatepass")  # bytes: a table translate, no UCS-2
    masks = rest.translate(MASK)[1:].split(b"\r")  # after each state's "\r"
    states = len(masks)
    if rest.count(f"\r{desc}:".encode("utf-8", "surrogatepass")) != states:
        return 0, None
    templates = layout.templates
    try:
        marks = b"".join(map(templates.__getitem__, masks))
    except (KeyError, TypeError):  # a state not seen before, or one that does not fit
        if len(templates) >= _MAX_TEMPLATES:
            _forget(layout)
        for mask, state in zip(masks, rest[1:].split(b"\r")):
            if mask not in templates:
                if len(mask) > _MAX_STATE_BYTES:
                    return 0, None  # the cache holds whole states: a long one is read by the regex
                _learn(layout, mask, state)
        if None in (known := [templates[mask] for mask in masks]):
            return 0, None
        marks = b"".join(known)
    return states, cut_numbers(rest, marks)


def reads_digits(layout: BarLayout, state: bytes) -> bool:
    """Whether `read_lines` reads ``state`` (a line's last, its bytes after its ``\\r``) from its
    digits: a run whose last state it cannot read (not a plain decimal) is read as it comes.
    Whether the others can, and whether each is of the line's bar, `read_lines` says."""
    return _reader_key(layout, state, state.translate(_TO_DIGIT)) is not None


def _reader_key(layout: BarLayout, state: bytes, masked: bytes) -> int | None:
    """The key of the digit reader of ``state`` (its bytes after its ``\\r``; ``masked``, its
    digits made `_DIGIT`), learning its template when it is new; None when it has none (not a
    plain decimal, no state of the layout) or the templates are full (the line's own read
    learns them, and may forget them)."""
    key = layout.reader_ids.get(masked)
    if key is None:
        mask = state.translate(MASK)
        if mask in layout.templates or len(layout.templates) >= _MAX_TEMPLATES or len(mask) > _MAX_STATE_BYTES:
            return None
        _learn(layout, mask, state)
        key = layout.reader_ids.get(masked)
    return key


def read_lines(
    layout: BarLayout, data: np.ndarray, returns: np.ndarray, bases: np.ndarray, ends: np.ndarray, heads: list[bytes]
) -> tuple[np.ndarray, list[int], list[bool]] | None:
    """The rows (n, total, rate, values...) of the runs of many lines, read from their digits a
    template at a time (a chunk's lines share a few dozen templates): ``data`` holds the lines'
    bytes, ``returns`` where each of its ``\\r`` is (and past the last, any bound), each run
    the states from its ``\\r`` at ``bases`` to ``ends``. With them, how many states each run
    holds, and whether each line's states all have a reader and all start with its ``heads``
    (``desc:``): a template masks the digits of a description, so ``Epoch 1`` and ``Epoch 4``
    share one. None when a reader was forgotten since (`_forget`, by a parser in another
    thread): the lines are read as they come."""
    firsts = np.searchsorted(returns, bases)
    counts = np.searchsorted(returns, ends) - firsts
    states = ranges(firsts, counts)
    starts = returns[states]
    widths = returns[states + 1] - starts
    lasts = np.cumsum(counts) - 1
    widths[lasts] = ends - starts[lasts]
    kinds, keys = _kinds(layout, data, starts, widths)
    order = np.argsort(kinds, kind="stable")  # 16-bit kinds: a radix sort, not a merge sort
    bounds_of_kinds = [0, *np.cumsum(np.bincount(kinds, minlength=len(keys))).tolist()]
    matrix = np.zeros((len(kinds), 3 + len(layout.names)))  # a state with no reader: zeros, unused
    templates = {}  # the masked state of each kind
    for kind, key in enumerate(keys):
        if key == _NO_READER:
            continue
        found = layout.readers.get(key)
        if found is None:
            return None  # forgotten meanwhile, by a parser in another thread
        rows = order[bounds_of_kinds[kind] : bounds_of_kinds[kind + 1]]
        matrix[rows] = found[0].read(data, starts[rows])
        templates[kind] = found[1]
    fits = _start_with(data, starts, counts, kinds, templates, heads)
    if _NO_READER in keys:
        lines_without = np.repeat(np.arange(len(counts)), counts)[kinds == keys.index(_NO_READER)]
        for line in set(lines_without.tolist()):
            fits[line] = False
    return matrix, counts.tolist(), fits


def _kinds(
    layout: BarLayout, data: np.ndarray, starts: np.ndarray, widths: np.ndarray
) -> tuple[np.ndarray, list[int]]:
    """The kind of each state at ``starts`` (its ``\\r``), ``widths`` bytes long, and the reader
    key of each kind (`_NO_READER` for states with none): kinds are numbered from 0 as they come,
    16 bits each, so that `read_lines` sorts them by radix (an int64 key each took a merge sort).
    The states of one width are cut out of ``data`` as the rows of a matrix, their digits made
    `_DIGIT`; a row equal to the one before it shares its template. Where the rows change (a bar's
    fill, a count's width, the next line's bar: a few hundred times a chunk), the rows alike are
    found together and each looked up once."""
    kinds = np.empty(len(starts), np.uint16)  # a layout has at most _MAX_TEMPLATES readers
    numbered: dict[int, int] = {}  # the kind of each reader key
    for width in np.flatnonzero(np.bincount(widths)).tolist():
        of_width = widths == width
        at = starts[of_width]
        changes, changed = [], []
        step = max(1, _BLOCK_BYTES // width)
        for begin in range(0, len(at), step):
            first = max(begin - 1, 0)  # with the row before the block, to compare its first row with
            rows = _masked_rows(rows_at(data, at[first : begin + step], width))
            found = _rows_unlike_the_row_before(rows) + 1
            if not begin:
                found = np.concatenate([[0], found])  # the first row: none before it
            changes.append(found + first)
            changed.append(rows[found])
        changes = np.concatenate(changes)
        alike, firsts, inverse = np.unique(
            np.concatenate(changed).view(f"V{width}").ravel(), return_index=True, return_inverse=True
        )
        kinds_alike = []
        for masked, row in zip(alike, changes[firsts].tolist()):
            start = int(at[row]) + 1
            key = _reader_key(layout, data[start : start + width - 1].tobytes(), masked.tobytes()[1:])
            kinds_alike.append(numbered.setdefault(_NO_READER if key is None else key, len(numbered)))
        kinds[of_width] = np.repeat(np.array(kinds_alike, np.uint16)[inverse], np.diff(changes, append=len(at)))
    return kinds, list(numbered)


def _masked_rows(rows: np.ndarray) -> np.ndarray:
    """``rows`` (a copy) with each digit made `_DIGIT`, in place."""
    spare = np.subtract(rows, ord("0"))
    is_digit = np.less(spare, 10, out=spare.view(np.bool_))
    np.bitwise_or(rows, np.negative(is_digit.view(np.uint8), out=spare), out=rows)
    return rows


def _rows_unlike_the_row_before(rows: np.ndarray) -> np.ndarray:
    """In order, each ``i`` where ``rows[i + 1]`` differs from ``rows[i]``, and a few where it
    may not. The bytes are compared flat and their flags searched eight to a word (an eighth of
    the search): a word with a difference marks the rows it covers (one or two, for states of
    eight bytes or more), and a row marked for its neighbour costs only a look-up of its own
    template."""
    width = rows.shape[1]
    flat = rows.ravel()
    differ = flat[width:] != flat[:-width]
    whole = len(differ) // 8 * 8
    words = np.flatnonzero(differ[:whole].view(np.uint64) != 0) * 8
    firsts = words // width
    rest = np.flatnonzero(differ[whole:]) + whole  # the last flags, fewer than a word
    return np.unique(np.concatenate([ranges(firsts, (words + 7) // width - firsts + 1), rest // width]))


def _start_with(
    data: np.ndarray,
    starts: np.ndarray,
    counts: np.ndarray,
    kinds: np.ndarray,
    templates: dict[int, bytes],
    heads: list[bytes],
) -> list[bool]:
    """Whether every state of each line starts with the line's head (``desc:``), as a count of
    ``\\rdesc:`` in the line's bytes says: the states at ``starts`` (each at its ``\\r``),
    ``counts`` of them a line, of the templates ``kinds`` (their masked states in ``templates``).
    A state's masked bytes are its template's, so where the masked head has no digit, the
    template starting with it says the state's bytes are the head's; where it has one, a gather
    of that byte from every state of the chunk says it."""
    masked = [head.translate(MASK) for head in heads]
    differ = np.zeros(len(kinds), bool)
    for mask in set(masked):
        ours = np.array([other == mask for other in masked])
        states = None if ours.all() else np.repeat(ours, counts)  # of the lines with this head
        unfit = [key for key, template in templates.items() if not template.startswith(mask)]
        if unfit:
            differ |= np.isin(kinds, unfit) if states is None else np.isin(kinds, unfit) & states
        for at in (at for at, byte in enumerate(mask, 1) if byte == ord("0")):  # MASK made each digit "0"
            digit = bytes(head[at - 1] if other == mask else 0 for head, other in zip(heads, masked))
            # a state that fits holds its head: a gather clipped at the end is of one that does not
            wrong = data.take(starts + at, mode="clip") != np.repeat(np.frombuffer(digit, np.uint8), counts)
            differ |= wrong if states is None else wrong & states
    return (~np.logical_or.reduceat(differ, np.cumsum(counts) - counts)).tolist()


def _forget(layout: BarLayout) -> None:
    """Start learning the layout's templates again: a log with too many."""
    layout.templates.clear()
    layout.reader_ids.clear()
    layout.readers.clear()


def _learn(layout: BarLayout, mask: bytes, state: bytes) -> None:
    """The `cut_numbers` template of the masked state ``mask`` from one ``state`` of it (None
    when it is no state of ``layout``), and its digit reader when its numbers are plain."""
    text = f"\r{state.decode('utf-8', 'surrogatepass')}"
    match = layout.state.fullmatch(text)
    if match is None:
        layout.templates[mask] = None
        return
    spans = []
    for group in range(1, len(match.groups()) + 1):
        start, end = (len(text[:at].encode("utf-8", "surrogatepass")) for at in match.span(group))
        spans.append((start, end))
    marks = bytearray(len(state) + 1)
    for start, end in spans:
        marks[start:end] = bytes([KEEP]) * (end - start)
        marks[end] = ord(",")
    layout.templates[mask] = bytes(marks)
    reader = digit_reader(b"\r" + mask, spans)
    if reader is not None:
        key = next(_reader_keys)  # atomic: two threads learning at once get two keys
        layout.readers[key] = (reader, mask)
        layout.reader_ids[mask.translate(_TO_DIGIT)] = key  # MASK made each digit "0"


def _regex_run(layout: BarLayout, desc: str, line: str, start: int) -> tuple[int, list[tuple[str, ...]]]:
    """(where the run stops, the numbers of each state) by the layout's regex: for a run that
    does not go to the end of the line."""
    match = layout.run.match(line, start - 1)
    if match is None:
        return start, []
    end = match.end()
    rows = layout.state.findall(line, start - 1, end)
    if line.count(f"\r{desc}:", start - 1, end) != len(rows):
        return start, []  # a bar of the same kind, but another one
    return end, rows
