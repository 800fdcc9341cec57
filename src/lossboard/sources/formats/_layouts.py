"""Work on a line that depends only on its layout, done once per layout.

Lines of one family differ only in their digits::

    INFO:root:Epoch [1/6], Step [10/161], Loss: 0.5517
    INFO:root:Epoch [1/6], Step [20/161], Loss: 0.4012

With every digit masked to ``0`` they are one text, the family's layout. A scan whose result
is a list of spans (where the names, separators and values are) and whose decisions read the
digits only as ``\\d`` - never their values - gives the same spans for every line of a layout.
`SpanCache` runs such a scan once per layout and cuts the next lines at the cached spans, so
a log of millions of lines runs each grammar's regexes a few hundred times.

The cache is bounded: a log with more layouts than `MAX_LAYOUTS` starts learning again.
"""

from __future__ import annotations

from typing import Callable

MAX_LAYOUTS = 4096
Spans = tuple[tuple[int, ...], ...]
# bytes.translate is a table lookup in C, str.translate a dict lookup per character
MASK = bytes.maketrans(b"123456789", b"000000000")
_last: tuple[str | None, bytes] = (None, b"")  # the line last masked: each grammar asks again


def layout(line: str) -> bytes:
    """``line`` with every ASCII digit masked to ``0``, as UTF-8: equal for two lines exactly
    when they differ only in ASCII digits."""
    global _last
    last = _last  # one read of a tuple: safe when parsers run in threads
    if last[0] is line:
        return last[1]
    key = line.encode("utf-8", "surrogatepass").translate(MASK)
    _last = (line, key)
    return key


class SpanCache:
    """``scan(line)`` -> a tuple of spans (or None: nothing to cache), learned per layout."""

    def __init__(self, scan: Callable[[str], Spans | None]) -> None:
        self._scan = scan
        self._known: dict[bytes, Spans | None] = {}

    def __call__(self, line: str) -> Spans | None:
        key = layout(line)
        known = self._known
        if key in known:
            return known[key]
        if len(known) >= MAX_LAYOUTS:
            known.clear()
        spans = known[key] = self._scan(line)
        return spans
