"""Feeding a line parser the file's bytes, so that runs of plain lines are never decoded.

`reader.parse_file` and the indexer hand a parser that has ``feed_bytes`` the bytes as read.
Most of a log is plain lines (no redraw, backspace or colour code, none long enough to be
cut), which `LineSplitter` would give as they are; a parser that reads such runs in bulk takes
them as bytes and saves the decode, the split into ``str`` lines and the encode back. Anything
else is decoded as the reader decodes (UTF-8, bad bytes replaced) and goes through ``feed``.
"""

from __future__ import annotations

import codecs

import numpy as np

from lossboard.model import Item


def is_plain(data: bytes, end: int, max_line_chars: int) -> bool:
    """Whether `LineSplitter` would give the lines of ``data[:end]`` as they are (CRLF as LF):
    no backspace, colour code or redraw (a ``\\r`` not before ``\\n``), no line it would cut.
    For a parser that finds the line ends itself: the lines are not counted."""
    return _walk(data, end, max_line_chars, counted=False) is not None


_PIECE = 1 << 18  # every test runs over a 256 KB piece while it is in cache (a 4 MB chunk is not)
_CRLF = np.frombuffer(b"\r\n", np.uint16)[0]


def plain_lines(data: bytes, end: int, max_line_chars: int) -> int | None:
    """How many lines ``data[:end]`` holds if it `is_plain`, else None."""
    return _walk(data, end, max_line_chars, counted=True)


def _walk(data: bytes, end: int, max_line_chars: int, *, counted: bool) -> int | None:
    """None unless ``data[:end]`` `is_plain`, else how many lines it holds (0 unless
    ``counted``): one walk over the bytes a piece at a time (one pass per test over a whole
    chunk read it from memory each time)."""
    codes = np.frombuffer(data, np.uint8, end)
    lines = 0
    for at in range(0, end, _PIECE):
        stop = min(at + _PIECE, end)
        if data.find(b"\x08", at, stop) >= 0 or data.find(b"\x1b", at, stop) >= 0:
            return None
        piece = codes[at:stop]
        if counted:
            lines += np.count_nonzero(piece == 10)
        if data.find(b"\r", at, stop) >= 0 and _returns(piece) != _line_ends(codes[at : stop + 1]):
            return None
    half = max_line_chars // 2  # a line break in every aligned half-cap window: no line reaches the cap
    if all(data.find(b"\n", at, at + half) >= 0 for at in range(0, end, half)):
        return int(lines)
    return None


def _returns(codes: np.ndarray) -> int:
    """How many ``\\r`` bytes ``codes`` holds."""
    return int(np.count_nonzero(codes == 13))


def _line_ends(codes: np.ndarray) -> int:
    """How many ``\\r\\n`` pairs ``codes`` holds: those at even offsets, then those at odd
    ones, compared as 16-bit words (half the work of finding each ``\\r`` and looking after it)."""
    even, odd = codes[: len(codes) // 2 * 2], codes[1 : 1 + (len(codes) - 1) // 2 * 2]
    return int(np.count_nonzero(even.view(np.uint16) == _CRLF) + np.count_nonzero(odd.view(np.uint16) == _CRLF))


class PlainBytesFeed:
    """``feed_bytes`` for a `_lines.LineParser` subclass: a run of complete lines ``data[:end]``
    goes undecoded to its ``read_plain(data, end)``, which reads it and counts its lines with
    the splitter's ``skip``, or answers None when the run is not one it reads as bytes (then
    the lines are decoded and fed as text, through ``feed_text``: ``feed`` unless a subclass
    whose ``feed`` itself goes to the bytes says otherwise).

    What follows the last complete line waits in ``_unread`` (plain bytes: a saved parser
    state keeps it), so the splitter holds nothing and the next run can be taken as bytes too.
    """

    _unread = b""  # set on the instance once bytes wait

    def feed_bytes(self, data: bytes) -> list[Item]:
        if self._unread:
            data = self._unread + data
        end = data.rfind(b"\n") + 1
        splitter = self._splitter
        if end and splitter.is_at_line_start:
            items = self.read_plain(data, end)
            if items is not None:
                self._unread = data[end:]
                return items
        if not end and len(data) <= splitter.max_line_chars:
            self._unread = data  # no line ends yet: wait for one (the splitter would hold it too)
            return []
        # complete lines only, so that the splitter holds nothing after them and the next plain
        # run can be read as bytes again; a "\n" never ends a multi-byte character
        text, used = codecs.utf_8_decode(data[:end] if end else data, "replace", False)
        self._unread = data[used:]
        return self.feed_text(text)

    def feed_text(self, text: str) -> list[Item]:
        return self.feed(text)

    def take_unread(self) -> str:
        """What waits, decoded (bad bytes replaced), and nothing waiting any more."""
        text, self._unread = codecs.utf_8_decode(self._unread, "replace", True)[0], b""
        return text

    def close(self) -> list[Item]:
        items = self.feed_text(self.take_unread()) if self._unread else []
        return items + super().close()
