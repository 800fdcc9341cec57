"""lossboard's own event files: by name, or by the magic and format name of their header."""

from __future__ import annotations

from lossboard import eventfile

BINARY = True


def sniff(head: str, filename: str) -> float:
    if filename.startswith(eventfile.FILE_PREFIX):
        return 1.0
    magic = eventfile.MAGIC.decode("ascii")
    return 1.0 if head.startswith(magic) and eventfile.FORMAT_NAME in head[:256] else 0.0
