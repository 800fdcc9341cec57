"""Sniff a file's format from its first bytes (and, weakly, its name)."""

from __future__ import annotations

from pathlib import Path

from lossboard.errors import BinaryFileError, LfsPointerError, UnknownFormatError
from lossboard.sources.formats import FORMATS, missing_extra

HEAD_BYTES = 64 * 1024
_LFS_POINTER = b"version https://git-lfs.github.com/spec/"
_MIN_CONFIDENCE = 0.2


def usable_formats() -> list[str]:
    """The format ids whose optional dependencies are installed."""
    return [name for name, module in FORMATS.items() if missing_extra(module) is None]


def detect(head: bytes, path: str | Path) -> str:
    """The id of the format that best recognises ``head``, the first bytes of ``path``.

    Raises `LfsPointerError`, `BinaryFileError` or `UnknownFormatError` (which lists the
    formats) when no format fits.
    """
    filename = Path(path).name
    if head.startswith(_LFS_POINTER):
        raise LfsPointerError(path)
    text = head.decode("utf-8", errors="replace")
    best, best_score = None, 0.0
    for name, module in FORMATS.items():
        if missing_extra(module) is not None:
            continue
        if not getattr(module, "BINARY", False) and b"\x00" in head:
            continue
        score = module.sniff(text, filename)
        if score > best_score:
            best, best_score = name, score
    if best is not None and best_score >= _MIN_CONFIDENCE:
        return best
    if b"\x00" in head:
        raise BinaryFileError(path)
    raise UnknownFormatError(path, usable_formats())
