"""tqdm progress bars, as a redirected stderr/stdout or a terminal capture keeps them.

tqdm redraws one line with ``\\r``; the states in between carry the postfix metrics::

    Epoch 1: 100%|██████████| 32/32 [00:01<00:00, 25.12it/s, loss=0.512, acc=0.81]
    train:  45%|####5     | 45/100 [00:02<00:03, 18.2it/s, loss=0.4]
    Epoch 0: 100%|██████████| 32/32 [00:00<00:00, 94.12it/s, v_num=0, train_loss=0.693, val_loss=0.690, val_acc=0.52]

(the last is Lightning's ``TQDMProgressBar``). Every redraw is parsed (`redraws`), so a bar
that a live terminal showed for a moment still gives its point.

* Bars are told apart by their description with digits masked (``Epoch 3`` -> ``Epoch #``). A
  bar ends when its description changes or its count goes down; the counts of finished bars
  of the same kind add up, so step = bars before + the count shown (the global iteration).
* A training bar's postfix -> batch-level points at every redraw with a count above 0:
  ``loss`` -> ``train_batch/loss``; ``it/s`` (or ``s/it``, ``s/batch``, any ``unit=``) ->
  ``perf/its_per_sec``. When the
  description holds an epoch (``Epoch 3``, ``epoch 3/10``) the points get the fractional epoch
  ``3 + count / total``, numbered as printed.
* Epoch-level values are read from the final state of a bar only, because the redraws in
  between repeat stale ones: names of the val/test split (``val_loss``) and Lightning's
  ``_epoch`` names (``train_acc_epoch`` -> ``train/accuracy``), at the step where the bar ended
  and the epoch as printed. Lightning's ``_step`` names are batch-level (``train_acc_step`` ->
  ``train_batch/accuracy``); ``v_num`` is the logger version, not a metric. A bar that shows
  ``v_num`` is Lightning's: its values go where Lightning itself logs them (its CSVLogger, its
  TensorBoardLogger), at the steps done before the batch (count - 1) and the whole epoch, so
  the bar, metrics.csv and a Logger of one training overlay exactly.
* A bar whose description has a word of validation/evaluation/test (``val``, ``Validation
  DataLoader 0``, ``Epoch 1/25 [Val]``, ``Validating``) gives its final postfix as ``val/...`` (``test/...``) at the step of the training bar before it; sanity
  check and predict bars give nothing.
* A terminal narrower than the bar cuts the postfix (no closing ``]``): the cut pair is dropped.
* A postfix value that is not a number -> one `Problem` per name (``None`` and ``?``, printed
  before a value exists, are no mistake).

`Bars` is the bar-following part alone: the ``prints`` format feeds it the bars it finds
among print and logging lines.

A line redrawn hundreds of times is read a run at a time (`Bars.redrawn`, `_bar_runs`): the
states that continue one bar in one layout go through one regex pass and one orjson call and
leave as `Columns`, the same values `add` gives them one by one (``Parser(fast=False)``). The
runs that end a chunk's lines are read from their digits together first (`Bars.read_ahead`),
from the reader's bytes (`Parser.feed_bytes`), and leave as one block a series a chunk.

Live: a bar that never ends its line (Lightning keeps one line per run in a redirected file)
is read as it is drawn: the redraws before the latest ``\\r`` are parsed at every read
(``live_redraws``), so `lossboard serve` and ``index --watch`` show them before the ``\\n``.
"""

from __future__ import annotations

import codecs
import functools
import re
from itertools import repeat
from typing import Iterator, NamedTuple

import numpy as np

from lossboard import tags
from lossboard.model import Columns, Item, Point
from lossboard.sources.formats import _bar_runs
from lossboard.sources.formats._lines import LineParser, redraws
from lossboard.sources.formats._numbers import bad_number, number
from lossboard.sources.formats.sniffers.tqdm import sniff as sniff

NAME = "tqdm"

# "desc: pct%|bar| n/total [inner]" or, with no total, "desc: nit [inner]"
_BAR = re.compile(
    r"(?:(?P<desc>.{0,200}?): ?)?(?:"
    r" *(?:\d+%)?\|[^|]*\| *(?P<n>\d+)/(?P<total>\d+|\?)"
    r"|(?P<count>\d+)it)"
    r" \[(?P<inner>[^\]]*)(?P<closed>\])?"
)
_EPOCH = re.compile(r"epoch\D{0,3}?(\d+)", re.I)
_DIGITS = re.compile(r"\d+")

# description prefix -> split of an evaluation bar ("": the bar gives no points)
_EVAL_PREFIXES = (
    ("valid", tags.VAL),
    ("val", tags.VAL),
    ("eval", tags.VAL),
    ("test", tags.TEST),
    ("sanity", ""),
    ("predict", ""),
)
_NOT_METRICS = {"v_num"}
_WORDS = re.compile(r"[a-z]+")
_NO_DIGITS = b"0123456789."  # deleted from a layout key: bytes.translate, a tenth of str.translate's time
_MAX_LAYOUTS = 256  # bar kinds remembered; a log with more learns them again
_RATE = "perf/its_per_sec"  # the tag of every bar's rate, as iterations a second
# (kind of bar, split, bracket without digits) -> its layout: shared by every parser and kept out
# of their state, which the index store saves as data (no compiled regex of our making)
_LAYOUTS: dict[tuple[str, str, bytes], _bar_runs.BarLayout | None] = {}


def _lightning_base(name: str) -> tuple[str, bool]:
    """A name without Lightning's ``_epoch``/``_step`` suffix, and whether it was ``_epoch``."""
    if name.endswith("_epoch"):
        return name[:-6], True
    return (name[:-5] if name.endswith("_step") else name), False


class _Bar:
    """One bar's progress: where its count started and what its latest redraw showed."""

    __slots__ = ("desc", "base", "n", "epoch", "split", "final", "lightning")

    def __init__(self, desc: str, base: int, epoch_hint: int | None) -> None:
        self.desc, self.base, self.n = desc, base, 0
        # Lightning's bar (its postfix shows ``v_num``): Lightning logs a batch at the steps done
        # before it and its epoch as a whole number, so the bar's values go there too
        self.lightning = False
        epoch = epoch_of(desc)
        self.epoch = epoch_hint if epoch is None else epoch
        self.split = _split_of(_family(desc))
        # the latest redraw: (line, step, epoch, the fields inside its brackets)
        self.final: tuple[int, int, float | None, list[str]] | None = None


class Rows(NamedTuple):
    """A run's rows ``matrix[start:stop]`` (n, total, rate, values...), whose counts never go
    down: ``first`` and ``last`` are its first and last count, ``zeros`` how many states show
    nothing done yet (the first ones). `Bars.read_ahead` gives the rows of many lines as one
    chunk matrix, so that their blocks are cut from it together."""

    matrix: np.ndarray
    start: int
    stop: int
    first: int
    last: int
    zeros: int


class Ahead(NamedTuple):
    """A line's run read by `Bars.read_ahead`: the states from ``start`` to the line's end, of
    the bar ``desc`` in ``layout``; ``inner`` is the text in the brackets of the last. ``rows``
    is None when a count goes down inside the run (`add_run` ends the run there)."""

    start: int
    desc: str
    layout: _bar_runs.BarLayout
    run: _bar_runs.Run
    inner: str
    rows: Rows | None


class _RunAhead(NamedTuple):
    """A line's run for `Bars.read_ahead` to read: from ``start`` (after a ``\\r``) to ``end``
    of the line, whose last state is of the bar ``desc`` in ``layout`` (``inner`` the text in its
    brackets); its bytes from its first ``\\r`` at ``base`` to ``stop``; ``head`` is ``desc:``."""

    line_no: int
    start: int
    end: int
    desc: str
    inner: str
    layout: _bar_runs.BarLayout
    base: int
    stop: int
    head: bytes


class _Pending(NamedTuple):
    """Runs of consecutive lines whose blocks are not cut yet: they take the place ``slot`` of
    ``items``, which nothing has been appended after since (`Bars.flush`)."""

    items: list[Item]
    slot: int
    key: tuple
    layout: _bar_runs.BarLayout
    runs: list[tuple[Rows, int, float | None]]  # (rows, what a count adds for its step, epoch)


@functools.lru_cache(maxsize=256)
def _family(desc: str) -> str:
    """The kind of bar a description names: its digits masked (``Epoch 3`` -> ``Epoch #``)."""
    return _DIGITS.sub("#", desc)


@functools.lru_cache(maxsize=256)
def epoch_of(desc: str) -> int | None:
    """The epoch a bar's description names (``Epoch 3``, ``epoch 3/10``), else None: a bar
    that names none takes the epoch of the header before it."""
    epoch = _EPOCH.search(desc)
    return int(epoch[1]) if epoch else None


@functools.lru_cache(maxsize=256)
def _split_of(family: str) -> str:
    """The split a kind of bar (`_family`) names (``Epoch #/# [Val]``, ``Validating``), else
    train: its words are its descriptions', and it is one cache entry for every epoch's bar."""
    for word in _WORDS.findall(family.lower()):
        for prefix, split in _EVAL_PREFIXES:
            if word.startswith(prefix):
                return split
    return tags.TRAIN


def _rows(matrix: np.ndarray, counts: list[int]) -> list[tuple[int, Rows | None]]:
    """(first row, `Rows`) of each line's run in ``matrix``, whose lines hold ``counts`` rows in
    order; the `Rows` is None for a run whose count goes down (a bar that starts again)."""
    n = matrix[:, 0].astype(np.int64)
    stops = np.cumsum(counts)
    starts = stops - counts
    down = np.empty(len(n), bool)
    down[0] = False
    np.less(n[1:], n[:-1], out=down[1:])
    down[starts] = False  # a line's first count comes after another line's last
    goes_down = np.add.reduceat(down, starts, dtype=np.intp).tolist()
    zeros = np.add.reduceat(n == 0, starts, dtype=np.intp).tolist()
    found = zip(starts.tolist(), stops.tolist(), n[starts].tolist(), n[stops - 1].tolist(), zeros, goes_down)
    return [
        (start, None if down else Rows(matrix, start, stop, first, last, zero))
        for start, stop, first, last, zero, down in found
    ]


class LineBytes(NamedTuple):
    """The bytes of a chunk's lines as read (`DrawnBytesFeed.feed_bytes`), not copied:
    ``data[:stop]`` holds them, each ending in ``\\n``, but for the first ``held`` characters of
    the first line (its start, which the chunk before left open) and the ``\\n`` of a last line
    that ends in ``\\r`` (the done redraws of a line still drawn: ``stop`` ends it)."""

    data: bytes
    held: int
    stop: int
    undrawn: bool  # no line has a backspace or ESC: none needs drawing but for its redraws


def _split_lines(text: str) -> list[str]:
    """``text.split("\\n")``, its redrawn lines cut out whole: `str.split` looks at each
    character of a line (a chunk of bar lines ~1 ms a MB), where `str.find` skips to its end
    with memchr; the lines between are split as they are."""
    lines: list[str] = []
    at = 0  # where the next line starts
    while (redrawn := text.find("\r", at)) >= 0 and (end := text.find("\n", redrawn)) >= 0:
        start = text.rfind("\n", at, redrawn) + 1 or at
        if start > at:
            lines += text[at : start - 1].split("\n")
        lines.append(text[start:end])
        at = end + 1
    lines += text[at:].split("\n")
    return lines


def _encoded(lines: list[str]) -> LineBytes:
    """The `LineBytes` of lines given as text (fed as text, not as read): encoded again."""
    data = "\n".join(lines).encode("utf-8", "surrogatepass") + b"\n"
    return LineBytes(data, 0, len(data), False)


def _redrawn_lines(first: int, lines: list[str], data: LineBytes) -> Iterator[tuple[int, str, int, int]]:
    """(number, text, where its bytes start and end in ``data``) of each of ``lines`` (numbered
    from ``first``) whose bytes hold a ``\\r``: found by a search of the bytes for ``\\r``, the
    lines skipped counted by their ``\\n`` - not a look at every line (in a mixed log most are
    print lines). The bytes after the lines (the start of the line left open) are not theirs."""
    buffer, stop = data.data, data.stop
    at = skipped = 0  # where the line ``lines[skipped]`` starts
    while (found := buffer.find(b"\r", at, stop)) >= 0:
        start = buffer.rfind(b"\n", at, found) + 1 or at
        skipped += buffer.count(b"\n", at, start)
        if skipped == len(lines):
            return
        end = buffer.find(b"\n", found, stop)
        end = stop if end < 0 else end
        yield first + skipped, lines[skipped], start, end
        at, skipped = end + 1, skipped + 1


def match_bar(state: str) -> re.Match | None:
    """The bar at the start of one rendered redraw, or None; text after its ``]`` is not part
    of it (a logging record glued to the bar)."""
    if " [" not in state or ("|" not in state and "it [" not in state):
        return None  # most lines of a mixed log: no bar's "|...|" or "Nit [" in them
    return _BAR.match(state)


class Bars:
    """Follows every bar through its redraws; each kind of bar keeps its own running count.

    `add` takes each redraw in order and appends the points it gives; `finish` gives the
    final values of the bars still open. ``train_step`` and ``train_epoch`` say where the
    latest training bar is, for lines printed between bars.
    """

    def __init__(self) -> None:
        self._bars: dict[str, _Bar] = {}
        self._current: _Bar | None = None  # the bar of the latest redraw
        self._done: dict[str, int] = {}  # family -> iterations of its finished bars
        self.train_step: int | None = None
        self.train_epoch: float | None = None
        self._reported: set[str] = set()
        self._names: dict[str, tuple[str, bool] | None] = {}
        self._pending: _Pending | None = None  # only inside a parse: `flush` empties it
        self._sealed: list[_Pending] = []  # held runs no more runs join, their blocks not cut yet

    def finish(self, items: list[Item]) -> None:
        for bar in self._bars.values():
            self._end(bar, items)
        self._bars = {}
        self._current = None

    def add(
        self,
        line_no: int,
        match: re.Match,
        items: list[Item],
        epoch_hint: int | None = None,
        wall_time: float | None = None,
    ) -> None:
        """One redraw; ``epoch_hint`` is the epoch of a header line, for a bar that names none,
        ``wall_time`` the time of a logging prefix the redraw came with."""
        desc, n_text, count, total, inner_text, closed = match.group("desc", "n", "count", "total", "inner", "closed")
        desc = desc or ""
        n = int(n_text or count)
        bar = self._current
        # most redraws continue the bar before them: skip finding its family
        if bar is None or bar.desc != desc or n < bar.n:
            family = _family(desc)
            bar = self._bars.get(family)
            if bar is not None and (bar.desc != desc or n < bar.n):
                self._end(bar, items)
                self._done[family] = bar.base + bar.n
                bar = None
            if bar is None:
                bar = self._bars[family] = _Bar(desc, self._done.get(family, 0), epoch_hint)
            self._current = bar
        bar.n = n
        inner = inner_text.split(", ")  # elapsed<remaining, rate, then the postfix's name=value
        if closed is None:
            inner.pop()  # cut by the terminal's width
        if bar.split != tags.TRAIN:
            bar.final = (line_no, self.train_step or 0, self.train_epoch, inner)
            return
        if not bar.lightning and "v_num=" in inner_text:
            bar.lightning = True
        step = bar.base + n - bar.lightning
        epoch = bar.epoch
        if epoch is not None and total not in (None, "?") and int(total) and not bar.lightning:
            fraction: float | None = epoch + n / int(total)
        else:
            fraction = None if epoch is None else float(epoch)
        bar.final = (line_no, step, None if epoch is None else float(epoch), inner)
        if n == 0:  # nothing done yet: the postfix is left over from before
            return
        self.train_step, self.train_epoch = step, bar.final[2]
        # the hot path of a redrawn bar: no helper calls per pair
        kinds = self._names
        for field in inner[2:]:
            name, equals, raw = field.partition("=")
            if not equals:
                continue
            kind = kinds[name] if name in kinds else self._kind(name)
            if kind is None or kind[1]:
                continue
            try:
                items.append(Point(kind[0], name, step, float(raw), fraction, wall_time))
            except ValueError:
                self._bad_value(line_no, name, raw, items)
        if len(inner) > 1:
            self._rate(inner[1], step, fraction, wall_time, items)

    def redrawn(self, line_no: int, line: str, items: list[Item], ahead: Ahead | None = None) -> Iterator[str | int]:
        """A ``\\r``-redrawn line (no ``\\b``, no ANSI) in order: each run of states that continue
        one bar is read here and yields how many states it held; any other state is yielded as
        `redraws` renders it, for the caller to read (and give to `add` if it is a bar).
        ``ahead``: the line's `read_ahead`."""
        at = line.find("\r")
        parts = [line[:at]]
        at += 1
        while True:
            for part in parts:
                if part and not part.isspace():
                    yield part.rstrip()  # before a run is read: it may start the run's bar
            if at > len(line):
                return
            if ahead is not None and at < ahead.start and line.find("\r", at) == ahead.start - 1:
                # the state before the run read ahead (a line that starts a bar, or one that
                # goes on with the bar a chunk before left): on its own, the run as read ahead
                parts, at = [line[at : ahead.start - 1]], ahead.start
                continue
            end, read = self.add_run(line_no, line, at, items, ahead)
            if read > 0:
                yield read
                parts = []
            else:
                if read == 0:
                    end = line.find("\r", at)
                    end = len(line) if end < 0 else end
                parts = line[at:end].split("\r")
            at = end + 1

    def read_ahead(self, first: int, lines: list[str], data: LineBytes | None = None) -> dict[int, Ahead]:
        """The runs that end the lines (numbered from ``first``): the states to the line's end
        that fit the layout of its last one, read together from their digits before the lines
        are read in order (`redrawn` takes each line's `Ahead`), so the few dozen templates of a
        chunk's states are read once each, not once a line. A line read otherwise in order (the
        bar before it goes on, its last state's bar starts later) leaves its `Ahead` unused.
        ``data``: the lines' bytes as read; without them the lines are encoded again."""
        data = data or _encoded(lines)
        found: dict[int, tuple[_bar_runs.BarLayout, list[_RunAhead]]] = {}
        for line_no, line, start, end in _redrawn_lines(first, lines, data):
            run = self._run_ahead(line_no, line, data, start, end, data.held if line_no == first else 0)
            if run is not None:
                found.setdefault(id(run.layout), (run.layout, []))[1].append(run)
        if not found:
            return {}
        buffer = np.frombuffer(data.data, np.uint8)
        # where every state starts (at its "\r"), and past the last a bound for the last one's width
        returns = np.append(np.flatnonzero(buffer[: data.stop] == ord("\r")), data.stop)
        ahead = {}
        for layout, runs in found.values():
            bases, ends = np.array([run.base for run in runs]), np.array([run.stop for run in runs])
            read = _bar_runs.read_lines(layout, buffer, returns, bases, ends, [run.head for run in runs])
            if read is None:
                continue
            matrix, counts, fits = read
            for run, count, (row, rows), fit in zip(runs, counts, _rows(matrix, counts), fits):
                if fit:  # every state is of the line's bar: else the line is read as it comes
                    line_run = _bar_runs.Run(run.end, count, matrix[row : row + count])
                    ahead[run.line_no] = Ahead(run.start, run.desc, layout, line_run, run.inner, rows)
        return ahead

    def _run_ahead(self, line_no: int, line: str, data: LineBytes, start: int, end: int, held: int) -> _RunAhead | None:
        """The run `read_ahead` reads of ``line``, whose bytes are ``data.data[start:end]`` but for
        its first ``held`` characters; None when it has none to read: no bar, or a last state
        whose layout or digits `_bar_runs` does not read. The run starts after the state that
        starts the bar: the text before the first ``\\r``, or the first state when there is none.
        The done redraws of a line still drawn (the splitter's live redraws: they end in
        ``\\r``) are read to their last ``\\r``."""
        if " [" not in line or (not data.undrawn and ("\x08" in line or "\x1b" in line)):
            return None
        if line.endswith("\r"):
            line, end = line[:-1], end - 1
        cut = line.rfind("\r")
        if cut < held:
            return None  # one done redraw, or redraws that start a chunk before: read as they come
        last = line[cut + 1 :]
        match = match_bar(last.rstrip())
        desc = match and match["desc"]
        layout = desc and self._layout(desc, _split_of(_family(desc)), last)
        if not layout or not _bar_runs.reads_digits(layout, data.data[data.data.rindex(b"\r", start, end) + 1 : end]):
            return None
        at, base = line.find("\r", held), data.data.index(b"\r", start, end)
        if at == held or line[held:at].isspace():
            # the first state starts the bar (tqdm's own "\r" before it): the run follows it
            if at == cut:
                return None
            at, base = line.find("\r", at + 1), data.data.index(b"\r", base + 1, end)
        head = f"{desc}:".encode("utf-8", "surrogatepass")
        return _RunAhead(line_no, at + 1, len(line), desc, match["inner"], layout, base, end, head)

    def add_run(
        self, line_no: int, line: str, start: int, items: list[Item], ahead: Ahead | None = None
    ) -> tuple[int, int]:
        """The redraws from ``line[start]`` on (the text after a ``\\r``) that continue the latest
        bar in one layout, read in one pass as `add` would read them one by one.

        Returns (where the run stopped, states read); states read is 0 when none were, and -1
        when the states up to there fit the layout but hold a number only `add` reads (``nan``):
        the caller gives them to `add` one by one. Nothing changes unless states were read.
        """
        bar = self._current
        if bar is None:
            return start, 0
        if ahead is not None and ahead.start == start and ahead.desc == bar.desc:
            # each state of the run is of this bar, in the layout of the line's last (`read_lines`):
            # its first state's layout is not looked up again
            layout = ahead.layout
            if ahead.rows is not None:  # most lines: the counts were checked with the chunk's
                if ahead.rows.first < bar.n:
                    return start, 0  # a count that goes down starts a new bar
                self._read_run(line_no, ahead.inner, ahead.rows, layout, items)
                return ahead.run.end, ahead.run.count
            run = ahead.run
        elif line.startswith(f"{bar.desc}:", start):
            sample_end = line.find("\r", start)
            layout = self._layout(bar.desc, bar.split, line[start : sample_end if sample_end >= 0 else len(line)])
            run = _bar_runs.read(layout, bar.desc, line, start) if layout else None
        else:
            return start, 0
        if run is None or not run.count:
            return start, 0
        if run.matrix is None:
            return run.end, -1
        matrix = run.matrix
        n = matrix[:, 0].astype(np.int64)
        # a count that goes down starts a new bar: the run ends before it
        if n[0] < bar.n:
            return start, 0
        goes_back = np.flatnonzero(n[1:] < n[:-1])
        count = int(goes_back[0]) + 1 if len(goes_back) else run.count
        end = run.end
        if count < run.count:
            end = start - 1
            for _ in range(count):
                end = line.find("\r", end + 1)
        inner = match_bar(line[line.rfind("\r", start - 1, end) + 1 : end].rstrip())["inner"]
        zeros = int(np.searchsorted(n[:count], 0, side="right"))
        self._read_run(line_no, inner, Rows(matrix, 0, count, int(n[0]), int(n[count - 1]), zeros), layout, items)
        return end, count

    def _read_run(self, line_no: int, inner_text: str, rows: Rows, layout: _bar_runs.BarLayout, items: list[Item]) -> None:
        """What `add` does for each state of a run of ``rows``, ``inner_text`` the text in the
        last state's brackets; its blocks wait in `_queue` to be cut with the next lines'."""
        bar = self._current
        inner = inner_text.split(", ")
        bar.n = rows.last
        if bar.split != tags.TRAIN:
            bar.final = (line_no, self.train_step or 0, self.train_epoch, inner)
            return
        epoch = None if bar.epoch is None else float(bar.epoch)
        if not bar.lightning and "v_num=" in inner_text:
            bar.lightning = True
        shift = int(bar.lightning)
        bar.final = (line_no, bar.base + bar.n - shift, epoch, inner)
        if bar.n == 0:
            return
        self.train_step, self.train_epoch = bar.base + bar.n - shift, epoch
        # the states with nothing done yet are the first ones: they give nothing
        done = rows._replace(start=rows.start + rows.zeros)
        self._queue(items, layout, (bar.lightning, epoch is None), (done, bar.base - shift, epoch))

    def _queue(self, items: list[Item], layout: _bar_runs.BarLayout, kind: tuple, run: tuple) -> None:
        """Hold ``run``'s blocks for those of the next lines' runs of the same matrix and kind
        (Lightning's or not, with an epoch or not), so that one block a series is cut for all:
        its place in ``items`` is kept, and a batch ends when anything else is appended."""
        pending = self._pending
        key = (id(run[0].matrix), id(layout), kind)
        if pending is not None and (pending.items is not items or len(items) != pending.slot + 1 or pending.key != key):
            self.seal()
            pending = None
        if pending is None:
            items.append(None)  # type: ignore[arg-type]  # the place of the blocks, until `flush`
            pending = self._pending = _Pending(items, len(items) - 1, key, layout, [])
        pending.runs.append(run)

    def seal(self) -> None:
        """No more runs join the held ones: what is appended to ``items`` next (a print line's
        records, a part of print lines read later) stands after them. Their place stays one
        item until `flush`, so places others note in ``items`` meanwhile hold."""
        if self._pending is not None:
            self._sealed.append(self._pending)
            self._pending = None

    def held_names(self) -> set[str]:
        """The printed names of the series whose runs are held (the rate's unit for its series)."""
        return {name for pending in (*self._sealed, self._pending) if pending for _, name in self._series(pending.layout)}

    def flush(self) -> None:
        """Cut the blocks of the runs held by `_queue` into their places: callers of `redrawn`
        flush before they give their items out. The runs held at one place join those of the
        place before when only blocks of other series stand between (what `LinePipeline` read of
        the print lines in between): the order of each series is kept, and a chunk's bar lines
        give one block a series, not one a line."""
        self.seal()
        sealed, self._sealed = self._sealed, []
        lists: dict[int, tuple[list[Item], list[_Pending]]] = {}
        for pending in sealed:
            lists.setdefault(id(pending.items), (pending.items, []))[1].append(pending)
        for items, pendings in lists.values():
            items[:] = self._cut(items, pendings)

    def _cut(self, items: list[Item], pendings: list[_Pending]) -> list[Item]:
        """``items`` with the places of ``pendings`` (their ``None``, in order) made blocks."""
        found: list[Item] = []
        places: list[tuple[int, _Pending, set[tuple[str, str]]]] = []  # (where in found, runs, series)
        held = iter(pendings)
        since = 0  # where the items after the last place start in found
        for item in items:
            if item is not None:
                found.append(item)
                continue
            pending = next(held)
            if places and places[-1][1].key == pending.key and all(
                type(other) is Columns and (other.tag, other.source_tag) not in places[-1][2] for other in found[since:]
            ):
                places[-1][1].runs.extend(pending.runs)
            else:
                places.append((len(found), pending, self._series(pending.layout)))
                found.append(None)  # type: ignore[arg-type]
            since = len(found)
        for at, pending, _ in reversed(places):
            found[at : at + 1] = self._blocks(pending)
        return found

    def _series(self, layout: _bar_runs.BarLayout) -> set[tuple[str, str]]:
        """(tag, printed name) of the series `_blocks` cuts for runs of ``layout``."""
        return {(self._kind(name)[0], name) for name in layout.names} | {(_RATE, layout.unit)}

    def _blocks(self, pending: _Pending) -> list[Columns]:
        """One `Columns` a series for the runs of ``pending``, as `add` reads their states."""
        lightning, _ = pending.key[2]
        layout, runs = pending.layout, pending.runs
        if len(runs) == 1:
            (rows, offset, epoch), = runs
            matrix = rows.matrix[rows.start : rows.stop]
            counts = matrix[:, 0].astype(np.int64)
            steps = counts + offset
            epochs = epoch
        else:
            lengths = np.array([rows.stop - rows.start for rows, _, _ in runs])
            starts = np.array([rows.start for rows, _, _ in runs])
            ends = np.cumsum(lengths)
            if (starts[1:] == starts[0] + ends[:-1]).all():  # most often: the runs stand in a row in the matrix
                matrix = runs[0][0].matrix[starts[0] : starts[0] + ends[-1]]
            else:
                matrix = runs[0][0].matrix[np.repeat(starts - (ends - lengths), lengths) + np.arange(ends[-1])]
            counts = matrix[:, 0].astype(np.int64)
            steps = counts + np.repeat(np.array([offset for _, offset, _ in runs]), lengths)
            epochs = None if runs[0][2] is None else np.repeat(np.array([epoch for _, _, epoch in runs]), lengths)
        fractions = None
        if epochs is not None and lightning:
            fractions = np.full(len(steps), epochs) if len(runs) == 1 else epochs
        elif epochs is not None:  # as `add`: epoch + n / total, the epoch alone for a total of 0
            totals = matrix[:, 1]
            fractions = epochs + counts / totals if totals.all() else np.where(totals > 0, epochs + counts / np.maximum(totals, 1), epochs)
        kind = self._kind
        blocks = [Columns(kind(name)[0], name, steps, matrix[:, column], fractions) for column, name in enumerate(layout.names, 3)]
        rates = matrix[:, 2]
        if rates.all():
            blocks.append(Columns(_RATE, layout.unit, steps, 1 / rates if layout.inverted else rates, fractions))
        elif (moving := rates != 0).any():
            values = 1 / rates[moving] if layout.inverted else rates[moving]
            kept = None if fractions is None else fractions[moving]
            blocks.append(Columns(_RATE, layout.unit, steps[moving], values, kept))
        return blocks

    def _layout(self, desc: str, split: str, sample: str) -> _bar_runs.BarLayout | None:
        """The layout of the state ``sample`` of a bar ``desc`` of ``split``, learned once per
        kind of bar and postfix; None when the sample is not a closed state of that bar."""
        state = sample.rstrip()
        # tqdm pads a rate to its width (", 20.00it/s", ",  6.61it/s"): the layout's regex reads
        # both, and one key keeps a line whose rate drops below 10 in the run read ahead
        bracket = state[state.rfind(" [") :].encode("utf-8", "surrogatepass")
        key = (_family(desc), split, bracket.translate(None, _NO_DIGITS).replace(b",  ", b", "))
        if key in _LAYOUTS:
            return _LAYOUTS[key]
        match = match_bar(state)
        if match is None or not match["closed"] or match.end() != len(state) or match["desc"] != desc:
            return None  # not this bar's: learn nothing from it
        if len(_LAYOUTS) >= _MAX_LAYOUTS:
            _LAYOUTS.clear()
        inner = match["inner"].split(", ")
        names = [field.partition("=")[0] for field in inner[2:]]
        wanted = {name for name in names if (kind := self._kind(name)) and not kind[1]} if split == tags.TRAIN else set()
        layout = _bar_runs.learn(desc, inner, wanted) if match["n"] is not None else None
        _LAYOUTS[key] = layout
        return layout

    def _rate(
        self, field: str, step: int, fraction: float | None, wall_time: float | None, items: list[Item]
    ) -> None:
        """``3.24it/s``, ``1.5s/it`` or, with tqdm's ``unit=``, ``12.41s/batch``, as iterations
        per second, printed ``it/s`` (``batch/s``); ``?it/s`` gives nothing."""
        match = _bar_runs.RATE.fullmatch(field)
        value = number(match[1]) if match else None
        if value:
            # tqdm shows a slow rate inverted (1.32s/it): one rate, one series, per second
            per_second, inverted = match[2], match[3]
            unit = per_second or f"{inverted}/s"
            items.append(Point(_RATE, unit, step, 1 / value if inverted else value, fraction, wall_time))

    def _end(self, bar: _Bar, items: list[Item]) -> None:
        """The final redraw of a bar: its epoch-level values."""
        if bar.final is None or bar.n == 0 or not bar.split:
            return
        line_no, step, epoch, inner = bar.final
        for name, equals, raw in (field.partition("=") for field in inner[2:]):
            kind = self._kind(name) if equals else None
            if kind is None:
                continue
            tag, epoch_level = kind
            if bar.split != tags.TRAIN:
                tag = tags.canonical(_lightning_base(name)[0], bar.split)
            elif not epoch_level:
                continue
            value = number(raw)
            if value is None:
                self._bad_value(line_no, name, raw, items)
            else:
                items.append(Point(tag, name, step, value, epoch))

    def _kind(self, name: str) -> tuple[str, bool] | None:
        """(tag, is epoch-level) of a postfix name in a training bar; None if not a metric."""
        if name in self._names:
            return self._names[name]
        kind: tuple[str, bool] | None = None
        if name not in _NOT_METRICS:
            base, per_epoch = _lightning_base(name)
            if per_epoch:
                kind = (tags.canonical(base, tags.TRAIN), True)
            else:
                tag = tags.canonical(base, tags.BATCH)
                kind = (tag, tags.split_of(tag) in (tags.VAL, tags.TEST))
        self._names[name] = kind
        return kind

    def _bad_value(self, line_no: int, name: str, raw: str, items: list[Item]) -> None:
        """One problem per name whose value is not a number (``None``, ``?``: not yet a value)."""
        if raw not in _bar_runs.NO_VALUE and name not in self._reported:
            self._reported.add(name)
            items.append(bad_number(line_no, f"{name}=", raw))


class DrawnBytesFeed(LineParser):
    """``feed_bytes`` for a line parser of redrawn lines (``raw_lines``) whose ``parse_lines``
    takes the lines' bytes too (a `LineBytes`) and whose ``_fast`` says
    whether it reads in bulk: the runs of the lines that start and end in the chunk are read
    ahead from the reader's bytes (`Bars.read_ahead`), not from each line encoded again. A
    chunk with no ``\r`` goes to ``feed``, whose own reading of plain lines it is."""

    _unread = b""  # the start of a character cut by the chunk's end; set on the instance

    def feed_bytes(self, data: bytes) -> list[Item]:
        """The file's bytes as read, decoded as the reader decodes them (UTF-8, bad bytes
        replaced). The chunk's lines are read in one `parse_lines` with the start of the line
        the last chunk left open (joined to its first line) and the done redraws of the line it
        leaves open (as the splitter hands them out: ``live_redraws``), not in parses of their own."""
        if self._unread:
            data = self._unread + data
        text, used = codecs.utf_8_decode(data, "replace", False)
        self._unread = data[used:]
        # a byte replaced: the text's lines are not the bytes'
        if not self._fast or "\r" not in text or "\ufffd" in text:
            return self.feed(text)
        lines = _split_lines(text)
        tail = lines.pop()  # the line left open waits in the splitter
        splitter = self._splitter
        held = splitter.take_held() if lines else None
        if held is None:
            return self.feed(text)
        lines[0] = held + lines[0]
        limit = splitter.max_line_chars
        if (
            any(map(str.endswith, lines, repeat("\r")))  # CRLF: the splitter drops the "\r"
            # the splitter cuts it: the first line holds the start a chunk before left open, any
            # other lies in this chunk's text (most often no longer than the limit)
            or len(lines[0]) > limit
            or (len(text) > limit and max(map(len, lines)) > limit)
        ):
            return self.feed("\n".join(lines) + "\n" + tail)
        first = splitter.skip(len(lines))
        stop = used
        done = tail.rfind("\r", 0, len(tail) - 1) if self.live_redraws and len(tail) <= limit else -1
        if done > 0:  # given a line of their own, ending in "\r"
            stop = data.rfind(b"\r", 0, used - tail.endswith("\r")) + 1  # after that "\r" in the bytes
            lines.append(tail[:done] + "\r")
            tail = tail[done:]
        undrawn = "\x08" not in held and "\x1b" not in held and data.find(b"\x08", 0, stop) < 0 and data.find(b"\x1b", 0, stop) < 0
        items = self.parse_lines(first, lines, LineBytes(data, len(held), stop, undrawn))
        items.extend(self.feed(tail))
        return items

    def close(self) -> list[Item]:
        items = self.feed(codecs.utf_8_decode(self._unread, "replace", True)[0]) if self._unread else []
        self._unread = b""
        return items + super().close()


class Parser(DrawnBytesFeed):
    """Every redraw of every line that starts with a bar goes to `Bars`."""

    raw_lines = True
    live_redraws = True  # a bar that never ends its line is read as it is drawn

    def __init__(self, *, fast: bool = True) -> None:
        """``fast=False`` reads every redraw on its own (tests compare both paths)."""
        super().__init__()
        self._fast = fast
        self._bars = Bars()

    def parse_lines(self, first: int, lines: list[str], data: LineBytes | None = None) -> list[Item]:
        """``data``: the lines' bytes, when `feed_bytes` has them."""
        items: list[Item] = []
        # one look at the chunk's bytes for what a line needs drawn: a look at each line's text
        # costs ten times as much (a memchr over bytes, not over the str)
        undrawn = data is not None and data.undrawn
        ahead = self._bars.read_ahead(first, lines, data) if self._fast else {}
        for line_no, line in enumerate(lines, first):
            if " [" not in line:
                continue
            fast = self._fast and "\r" in line and (undrawn or ("\x08" not in line and "\x1b" not in line))
            for state in self._bars.redrawn(line_no, line, items, ahead.get(line_no)) if fast else redraws(line):
                match = match_bar(state) if type(state) is str else None
                if match:
                    self._bars.add(line_no, match, items)
        self._bars.flush()
        return items

    def finish(self) -> list[Item]:
        items: list[Item] = []
        self._bars.finish(items)
        return items
