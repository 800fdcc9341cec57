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
    no backspace, colour code or redraw (a ``\\r`` not before ``\\n``), no line it would cut."""
    if data.find(b"\x08", 0, end) >= 0 or data.find(b"\x1b", 0, end) >= 0:
        return False
    if data.find(b"\r", 0, end) >= 0 and _returns(data, end) != _line_ends(data, end):
        return False
    half = max_line_chars // 2  # a line break in every aligned half-cap window: no line reaches the cap
    return all(data.find(b"\n", at, at + half) >= 0 for at in range(0, end, half))


_CRLF = np.frombuffer(b"\r\n", np.uint16)[0]


def _returns(data: bytes, end: int) -> int:
    """How many ``\\r`` bytes ``data[:end]`` holds."""
    return int(np.count_nonzero(np.frombuffer(data, np.uint8, end) == 13))


def _line_ends(data: bytes, end: int) -> int:
    """How many ``\\r\\n`` pairs ``data[:end]`` holds: those at even offsets, then those at odd
    ones, compared as 16-bit words (half the work of finding each ``\\r`` and looking after it)."""
    return int(np.count_nonzero(np.frombuffer(data, np.uint16, end // 2) == _CRLF)
               + np.count_nonzero(np.frombuffer(data, np.uint16, (end - 1) // 2, offset=1) == _CRLF))


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
