"""Line splitting shared by every text parser, written once.

`LineSplitter` turns chunks of any size into numbered lines exactly as if the whole text had
been split at once: CRLF and LF both end a line, a trailing ``\\r`` waits for the next chunk
(it may be half of a CRLF), and a line that was redrawn with ``\\r`` or erased with ``\\b``
(Keras and tqdm progress bars in a redirected log) resolves to what a terminal would finally
show, with ANSI colour codes removed. `LineParser` and `DocumentParser` are the two bases a
format's ``Parser`` builds on.

Memory and time stay linear in the input whatever its line lengths: a stretch of text
without ``\\n`` or ``\\r`` longer than `MAX_LINE_CHARS` is cut there (the parser reports the
line as a problem), and an unfinished line made of many ``\\r`` redraws is not kept whole
(see `LineSplitter`).
"""

from __future__ import annotations

import re
from itertools import repeat

from lossboard.model import Item, Problem

MAX_LINE_CHARS = 1 << 20  # far above any real log line; a longer one is cut
_BACKSPACES = re.compile(r"(\x08+)")
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07")


def render(line: str) -> str:
    """What a terminal shows after printing ``line``: ``\\r`` returns, ``\\b`` steps back.

    >>> render("10/100 [=>...]\\r100/100 [=====]")
    '100/100 [=====]'
    """
    return _draw(line).rstrip()


def _draw(line: str) -> str:
    """`render` without dropping the trailing blanks: a screen later redraws can continue."""
    if "\x1b" in line:
        # a stray ESC left after the sequences is not shown either; dropped, it cannot join text
        # drawn over it into a sequence when a long line is drawn in parts (`_shrink`)
        line = _ANSI.sub("", line).replace("\x1b", "")
    if "\r" not in line and "\b" not in line:
        return line
    # overwrite whole runs of text at the cursor: a progress bar is long, a loop per
    # character would dominate the parse
    screen = ""
    for part in line.split("\r"):
        col = 0
        for piece in _BACKSPACES.split(part) if "\b" in part else (part,):
            if piece.startswith("\b"):
                col = max(0, col - len(piece))
            elif piece:
                screen = screen[:col] + piece + screen[col + len(piece) :]
                col += len(piece)
    return screen


def redraws(line: str) -> list[str]:
    """Every state a ``\\r``-redrawn line passed through, each rendered, empty ones dropped.

    tqdm rewrites its bar with ``\\r`` and the intermediate states carry data (a running
    loss in the postfix); parsers that want them split here instead of using `render`.
    """
    if "\x1b" in line:
        line = _ANSI.sub("", line)
    states = [render(part) for part in line.split("\r")] if "\r" in line else [render(line)]
    return [state for state in states if state.strip()]


def _next_break(text: str) -> int:
    """Where the first ``\\r`` or ``\\n`` of ``text`` is, or -1 (two memchr beat one regex)."""
    found = [at for at in (text.find("\r"), text.find("\n")) if at >= 0]
    return min(found, default=-1)


def needs_render(line: str) -> bool:
    """Whether ``line`` holds a redraw, a backspace or an escape (three scans for one character
    each beat one regex scan for the three)."""
    return "\r" in line or "\b" in line or "\x1b" in line


class LineSplitter:
    """Chunks in, complete numbered lines out; the last partial line waits for its newline.

    `feed` and `close` return ``(first_line_number, lines)``: line numbers are 1-based and
    count ``\\n``, so an editor's "go to line" finds them.

    Long lines cost memory only up to a few times ``max_line_chars``:

    * a stretch between line breaks and ``\\r`` longer than that is cut to its first
      ``max_line_chars`` characters and its line number is added to ``cut_lines``;
    * an unfinished line longer than twice that is drawn so far (its earlier redraws
      replaced by the screen they leave), or, in ``raw`` mode where each redraw is data, its
      redraws so far are returned as a line of their own, with the number the rest of the
      line will have (a 200 MB Keras bar is parsed as it comes, not held). Such a piece ends
      with ``\\r``, which no complete line does: none of its redraws is the line's last.

    ``live_redraws`` (raw mode only) returns the done redraws of the unfinished line at every
    `feed`, the same way: a tqdm bar that redraws one line for a whole epoch is read as it is
    drawn, so a live view shows it. For parsers whose records do not depend on where a line's
    redraws are cut (each redraw read on its own, in order).
    """

    def __init__(self, *, raw: bool = False, live_redraws: bool = False, max_line_chars: int = MAX_LINE_CHARS) -> None:
        self._parts: list[str] = []  # the unfinished last line
        self._size = 0  # characters in _parts
        self._is_skipping = False  # the unfinished line's last stretch was cut: drop up to a break
        self._next_number = 1
        self._raw = raw  # keep \r and \b for parsers that want every redraw
        self._live_redraws = raw and live_redraws
        self.max_line_chars = self._max = max_line_chars
        self._early: list[str] = []  # raw mode: redraws of the unfinished line, handed out early
        self.cut_lines: list[int] = []  # numbers of lines cut since the caller last cleared it

    def feed(self, text: str) -> tuple[int, list[str]]:
        if not text:
            return self._next_number, []
        # everything after the last "\n" waits, a trailing "\r" (half of a CRLF?) included
        end = text.rfind("\n") + 1
        if end == 0:
            self._hold(text)
            return self._next_number, self._take_early()
        lines = self._split(text)
        if lines is not None:
            first = self._next_number
            self._next_number += len(lines)
        elif self._parts or self._is_skipping:
            first_end = text.find("\n") + 1
            self._hold(text[:first_end], may_shrink=False)  # the line ends here: emitted whole
            first, lines = self._emit(self._release() + text[first_end:end])
        else:
            first, lines = self._emit(text[:end])
        self._hold(text[end:])
        if self._early:
            lines.extend(self._take_early())
        return first, lines

    def feed_block(self, text: str) -> tuple[int, str] | None:
        """`feed` for parsers that read whole blocks (the table formats): the complete lines as
        one string, each ending in ``\n`` or ``\r\n``, when none of them needs drawing or
        cutting; otherwise None and nothing is taken (call `feed`). Saves a split and a join.
        """
        end = text.rfind("\n") + 1
        if end == 0 or self._is_skipping or self._early:
            return None
        block = "".join(self._parts) + text[:end] if self._parts else text[:end]
        if "\b" in block or "\x1b" in block:  # the held start of a line counts too
            return None
        if "\r" in block and block.count("\r") != block.count("\r\n"):
            return None  # a redraw: lines to draw one by one
        half = self._max // 2  # a "\n" in every aligned half-cap window: no line reaches the cap
        if len(block) > half and not all("\n" in block[at : at + half] for at in range(0, len(block), half)):
            return None
        self._parts, self._size = [], 0
        self._hold(text[end:])
        first = self._next_number
        self._next_number += block.count("\n")
        return first, block

    @property
    def is_at_line_start(self) -> bool:
        """Nothing held: a parser may read the next complete lines itself, then `skip` them."""
        return not (self._parts or self._is_skipping or self._early)

    @property
    def next_line(self) -> int:
        """The number the next line will have (lines are numbered from 1)."""
        return self._next_number

    def take_held(self) -> str | None:
        """The start of the unfinished line, given up to a parser that joins it to the rest of
        the line itself, as `feed` would; None, and nothing given up, while the rest of a cut
        line is skipped or redraws wait to go out."""
        if self._is_skipping or self._early:
            return None
        return self._release()

    def skip(self, lines: int) -> int:
        """Count ``lines`` complete lines a parser read itself; the number of the first."""
        first = self._next_number
        self._next_number += lines
        return first

    def close(self) -> tuple[int, list[str]]:
        rest = self._release()
        self._is_skipping = False
        if not rest:
            return self._next_number, []
        return self._emit(rest + "\n")

    def _split(self, text: str) -> list[str] | None:
        """The complete lines of the held start and ``text`` (which holds a "\n"), split without
        copying the chunk into a block first (the copies cost more than the split), when no line
        has a CRLF or needs cutting; otherwise None and nothing is taken (`_emit` does it)."""
        if self._is_skipping:
            return None
        lines = text.split("\n")
        lines.pop()  # after the last "\n": the caller holds it
        held = "".join(self._parts)
        if held:
            lines[0] = held + lines[0]
        # a memchr first: the look at every line's end was ~0.3 ms a MB of plain text
        if ("\r" in text or "\r" in held) and any(map(str.endswith, lines, repeat("\r"))):
            return None
        if len(text) + len(held) > self._max and max(map(len, lines)) > self._max:
            return None
        self._parts, self._size = [], 0
        if not self._raw and any(char in chunk for chunk in (held, text) for char in "\r\b\x1b"):
            lines = [render(line) if needs_render(line) else line for line in lines]
        return lines

    def _emit(self, block: str) -> tuple[int, list[str]]:
        first = self._next_number
        if not block:
            return first, []
        lines = block.split("\n")
        lines.pop()  # the block ends with "\n", so the last piece is empty
        # CRLF: a look at each line's end costs a fraction of searching a redrawn block for "\r\n"
        if "\r" in block and any(map(str.endswith, lines, repeat("\r"))):
            plain = block.replace("\r\n", "\n")
            if "\r" in plain:
                lines = [line[:-1] if line.endswith("\r") else line for line in lines]
            else:  # CRLF only (the csv module's files): plain lines, nothing to draw
                block = plain
                lines = block.split("\n")
                lines.pop()
        self._next_number += len(lines)
        if len(block) > self._max and max(map(len, lines)) > self._max:
            lines = [self._cut(n, line) for n, line in enumerate(lines, first)]
        if not self._raw and ("\r" in block or "\b" in block or "\x1b" in block):
            lines = [render(line) if needs_render(line) else line for line in lines]
        return first, lines

    def _cut(self, number: int, line: str) -> str:
        """``line`` with every stretch between ``\\r`` cut to the cap (and noted when one is)."""
        if len(line) <= self._max:
            return line
        stretches = line.split("\r")
        if all(len(stretch) <= self._max for stretch in stretches):
            return line
        self._note_cut(number)
        return "\r".join(stretch[: self._max] for stretch in stretches)

    def _note_cut(self, number: int) -> None:
        if not self.cut_lines or self.cut_lines[-1] != number:
            self.cut_lines.append(number)

    def _hold(self, text: str, *, may_shrink: bool = True) -> None:
        """Keep ``text`` as (more of) the unfinished line, within the memory bound."""
        if self._is_skipping:
            found = _next_break(text)
            if found < 0:
                return
            self._is_skipping = False
            text = text[found:]
        if text:
            self._parts.append(text)
            self._size += len(text)
            if may_shrink and self._size > 2 * self._max:
                self._shrink()
            elif may_shrink and self._live_redraws and ("\r" in text or self._parts[0].endswith("\r")):
                self._hand_out_redraws()  # a "\r" came, or text after one that ended the last read

    def _hand_out_redraws(self) -> None:
        """The redraws of the unfinished line that are done go out now, as `_shrink` does for a
        long one, so a bar that never ends its line is read while it is drawn."""
        line = self._release()
        redrawn = line.rfind("\r", 0, len(line) - 1)  # a "\r" at the very end may be half of a CRLF
        if redrawn > 0:
            self._early.append(self._cut(self._next_number, line[:redrawn]) + "\r")  # it goes on
            line = line[redrawn:]
        self._parts, self._size = [line], len(line)

    def _release(self) -> str:
        text = "".join(self._parts)
        self._parts, self._size = [], 0
        return text

    def _shrink(self) -> None:
        """Draw (or, raw, hand out) the redraws before the last ``\\r``; cut the stretch after."""
        line = self._release()
        redrawn = line.rfind("\r")
        if redrawn > 0:
            done = self._cut(self._next_number, line[:redrawn])
            line = line[redrawn:]
            if self._raw:
                self._early.append(done + "\r")  # the trailing "\r" says the line goes on
            else:
                line = _draw(done) + line
        last = line.rfind("\r") + 1
        if len(line) - last > self._max:
            self._note_cut(self._next_number)
            line = line[: last + self._max]
            self._is_skipping = True
        self._parts, self._size = [line], len(line)

    def _take_early(self) -> list[str]:
        early, self._early = self._early, []
        return early


class LineParser:
    """Base of line-oriented parsers: subclasses implement `parse_lines` (and `finish`)."""

    raw_lines = False  # True: keep "\r" redraws for `redraws`, not resolved by `render`
    live_redraws = False  # True (with raw_lines): parse the done redraws of an unfinished line at once

    def __init__(self) -> None:
        self._splitter = LineSplitter(raw=self.raw_lines, live_redraws=self.live_redraws)

    def feed(self, text: str) -> list[Item]:
        first, lines = self._splitter.feed(text)
        items = self._cut_problems()
        if lines:
            items.extend(self.parse_lines(first, lines))
        return items

    def close(self) -> list[Item]:
        first, lines = self._splitter.close()
        items = self._cut_problems()
        if lines:
            items.extend(self.parse_lines(first, lines))
        items.extend(self.finish())
        return items

    def _cut_problems(self) -> list[Item]:
        splitter = self._splitter
        if not splitter.cut_lines:
            return []
        cut, splitter.cut_lines = splitter.cut_lines, []
        limit = splitter.max_line_chars
        return [Problem(n, f"longer than {limit:,} characters without a line break; cut there") for n in cut]

    def parse_lines(self, first: int, lines: list[str]) -> list[Item]:
        raise NotImplementedError

    def finish(self) -> list[Item]:
        """Records held back until the end (an epoch whose length was not yet known)."""
        return []


class DocumentParser:
    """Base of parsers for small whole documents (a ``trainer_state.json``).

    Such files are a few KB to a few MB and are not valid until complete, so the text is
    kept until `close`; subclasses implement `parse_document`.
    """

    def __init__(self) -> None:
        self._parts: list[str] = []

    def feed(self, text: str) -> list[Item]:
        self._parts.append(text)
        return []

    def close(self) -> list[Item]:
        text = "".join(self._parts)
        self._parts = []
        return self.parse_document(text)

    def parse_document(self, text: str) -> list[Item]:
        raise NotImplementedError
