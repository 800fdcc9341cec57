"""Line splitting shared by every text parser, written once.

`LineSplitter` turns chunks of any size into numbered lines exactly as if the whole text had
been split at once: CRLF and LF both end a line, a trailing ``\\r`` waits for the next chunk
(it may be half of a CRLF), and a line that was redrawn with ``\\r`` or erased with ``\\b``
(Keras and tqdm progress bars in a redirected log) resolves to what a terminal would finally
show, with ANSI colour codes removed. `LineParser` and `DocumentParser` are the two bases a
format's ``Parser`` builds on.
"""

from __future__ import annotations

import re

from lossboard.model import Item

_BACKSPACES = re.compile(r"(\x08+)")
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07")


def render(line: str) -> str:
    """What a terminal shows after printing ``line``: ``\\r`` returns, ``\\b`` steps back.

    >>> render("10/100 [=>...]\\r100/100 [=====]")
    '100/100 [=====]'
    """
    if "\x1b" in line:
        line = _ANSI.sub("", line)
    if "\r" not in line and "\b" not in line:
        return line.rstrip()
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
    return screen.rstrip()


def redraws(line: str) -> list[str]:
    """Every state a ``\\r``-redrawn line passed through, each rendered, empty ones dropped.

    tqdm rewrites its bar with ``\\r`` and the intermediate states carry data (a running
    loss in the postfix); parsers that want them split here instead of using `render`.
    """
    if "\x1b" in line:
        line = _ANSI.sub("", line)
    states = [render(part) for part in line.split("\r")] if "\r" in line else [render(line)]
    return [state for state in states if state.strip()]


def _needs_render(line: str) -> bool:
    return "\r" in line or "\b" in line or "\x1b" in line


class LineSplitter:
    """Chunks in, complete numbered lines out; the last partial line waits for its newline.

    `feed` and `close` return ``(first_line_number, lines)``: line numbers are 1-based and
    count ``\\n``, so an editor's "go to line" finds them.
    """

    def __init__(self, *, raw: bool = False) -> None:
        self._pending = ""
        self._next_number = 1
        self._raw = raw  # keep \r and \b for parsers that want every redraw

    def feed(self, text: str) -> tuple[int, list[str]]:
        if not text:
            return self._next_number, []
        text = self._pending + text
        # everything after the last "\n" waits, a trailing "\r" (half of a CRLF?) included
        cut = text.rfind("\n") + 1
        self._pending = text[cut:]
        return self._emit(text[:cut])

    def close(self) -> tuple[int, list[str]]:
        rest, self._pending = self._pending, ""
        if not rest:
            return self._next_number, []
        return self._emit(rest + "\n")

    def _emit(self, block: str) -> tuple[int, list[str]]:
        first = self._next_number
        if not block:
            return first, []
        lines = block.split("\n")
        lines.pop()  # the block ends with "\n", so the last piece is empty
        self._next_number += len(lines)
        if "\r" in block or "\b" in block or "\x1b" in block:
            lines = [line[:-1] if line.endswith("\r") else line for line in lines]
            if not self._raw:
                lines = [render(line) if _needs_render(line) else line for line in lines]
        return first, lines


class LineParser:
    """Base of line-oriented parsers: subclasses implement `parse_lines` (and `finish`)."""

    raw_lines = False  # True: keep "\r" redraws for `redraws`, not resolved by `render`

    def __init__(self) -> None:
        self._splitter = LineSplitter(raw=self.raw_lines)

    def feed(self, text: str) -> list[Item]:
        first, lines = self._splitter.feed(text)
        return self.parse_lines(first, lines) if lines else []

    def close(self) -> list[Item]:
        first, lines = self._splitter.close()
        items = self.parse_lines(first, lines) if lines else []
        items.extend(self.finish())
        return items

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
