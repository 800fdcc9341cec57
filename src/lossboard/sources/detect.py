"""Sniff a file's format from its first bytes (and, weakly, its name), looking further when unsure.

A log often starts with something no format claims: mmengine prints 40-80 KB of environment
and config before its first metric line, a script prints a dataset dump or a download bar.
So `detect_file` sniffs the first `HEAD_BYTES` (its first lines alone first: `_glance`), and while no format is confident it sniffs the
following windows of whole lines too, up to `SNIFF_LIMIT_BYTES`: a file whose metrics start
at byte 80,000 is found, and a file nothing claims costs a bounded read: 16 windows, about
0.2 s of sniffing where the head alone takes 15 ms. A file already claimed, but not confidently
(plain ``key=value`` prints), skips the windows that hold only layouts of lines (digits as
zeros) already sniffed: the rest of a regular log repeats its head, and sniffing it again cost
~0.2 s a file.

A text log may hold a few stray NUL bytes (a terminal glitch, a crash that left a hole); a
window is only binary when NUL is more than 1 in 100 of its bytes.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import BinaryIO

from lossboard.errors import BinaryFileError, InputError, LfsPointerError, UnknownFormatError
from lossboard.sources.formats import FORMATS, missing_extra
from lossboard.sources.formats._layouts import MASK

HEAD_BYTES = 64 * 1024
GLANCE_BYTES = 8 * 1024  # a text head's first lines, sniffed alone first (`_glance`)
SNIFF_LIMIT_BYTES = 16 * HEAD_BYTES
_LFS_POINTER = b"version https://git-lfs.github.com/spec/"
_MIN_CONFIDENCE = 0.2
_CONFIDENT = 0.8  # a window scoring this stops the search; below, later windows may beat it
_NUL_SHARE = 100  # binary when more than one byte in this many is NUL


def usable_formats() -> list[str]:
    """The format ids whose optional dependencies are installed."""
    return [name for name, format in FORMATS.items() if missing_extra(format) is None]


def detect(head: bytes, path: str | Path) -> str:
    """The id of the format that best recognises ``head``, the first bytes of ``path``.

    Raises `LfsPointerError`, `BinaryFileError` or `UnknownFormatError` (which lists the
    formats) when no format fits.
    """
    return detect_windows([head], path)


def detect_file(file: BinaryIO, path: str | Path) -> str:
    """The format of the open binary ``file``, sniffed window by window; rewound to 0 after.

    >>> with open("train.log", "rb") as file:  # doctest: +SKIP
    ...     detect_file(file, "train.log")
    'mmengine-log'
    """
    try:
        return detect_windows(_windows(file), path)
    finally:
        file.seek(0)


def detect_windows(windows: Iterable[bytes], path: str | Path) -> str:
    """The best format over ``windows`` (the head first), stopping at the first confident one.

    Only the head can be a Git LFS pointer or binary; a later window only wins over the
    head's best guess with a higher score. A binary head or a JSON document (a checkpoint's
    ``tokenizer.json``) is not a log with a long preamble: nothing after its head is read.
    """
    filename = Path(path).name
    best, best_score, head_is_binary, head = None, 0.0, False, b""
    seen: set[bytes] = set()  # the layouts of the lines of the windows sniffed
    for index, window in enumerate(windows):
        if index == 0:
            head = window
            if window.startswith(_LFS_POINTER):
                raise LfsPointerError(path)
            head_is_binary = is_binary(window)
            glanced = _glance(window, head_is_binary, filename)
            if glanced is not None:
                return glanced
        layouts = set(window.translate(MASK).split(b"\n")) - {b""}
        if best_score >= _MIN_CONFIDENCE and layouts <= seen:
            continue  # more of the lines already sniffed: no signature a format could find anew
        seen |= layouts
        name, score = _best(window, filename, is_binary(window))
        if score > best_score:
            best, best_score = name, score
        if best_score >= _CONFIDENT or (index == 0 and _is_whole(window, head_is_binary)):
            break
    if best is not None and best_score >= _MIN_CONFIDENCE:
        return best
    _raise_if_an_extra_would_read(head, filename, path)
    if head_is_binary:
        raise BinaryFileError(path)
    raise UnknownFormatError(path, usable_formats())


def _raise_if_an_extra_would_read(head: bytes, filename: str, path: str | Path) -> None:
    """A file that a format left out for a missing optional dependency would claim (an event
    file without tensorboard) is an error that names the extra, not "binary" or "unknown"."""
    text = head.decode("utf-8", errors="replace").replace("\x00", "")
    for name, format in FORMATS.items():
        extra = missing_extra(format)
        if extra is not None and format.sniff(text, filename) >= _MIN_CONFIDENCE:
            raise InputError(path, f"looks like a {name} file, which needs an optional dependency: {extra}")


def is_binary(window: bytes) -> bool:
    """More NUL bytes than stray ones: an event file, an image, weights - not a text log."""
    return window.count(0) * _NUL_SHARE > len(window)


def _glance(head: bytes, binary: bool, filename: str) -> str | None:
    """The format a text head's first `GLANCE_BYTES` of whole lines are confidently in, if any.

    Every format sniffing the whole 64 KB head costs ~16 ms a file, most of loading a small log,
    and most logs say what they are in their first lines; the rest are sniffed as before.
    """
    glance = head[: head.rfind(b"\n", 0, GLANCE_BYTES) + 1]
    if binary or not glance or len(glance) == len(head) or _is_whole(head, binary):
        return None
    name, score = _best(glance, filename, False)
    return name if score >= _CONFIDENT else None


def _is_whole(head: bytes, binary: bool) -> bool:
    return binary or head.lstrip()[:1] in (b"{", b"[")


def _best(window: bytes, filename: str, binary: bool) -> tuple[str | None, float]:
    # stray NULs would only stop a sniffer's regex from matching the line they sit in
    text = window.decode("utf-8", errors="replace").replace("\x00", "")
    best, best_score = None, 0.0
    for name, format in FORMATS.items():
        if format.ceiling <= best_score or (binary and not format.binary):
            continue  # it cannot win (a dear sniff saved: prints parses the head), or reads no bytes
        score = format.sniff(text, filename)
        if score > best_score and missing_extra(format) is None:  # asked of winners only: a file system search
            best, best_score = name, score
    return best, best_score


def _windows(file: BinaryIO) -> Iterator[bytes]:
    """The head, then windows of whole lines (a window cut at its last newline), up to the limit."""
    head = file.read(HEAD_BYTES)
    yield head
    if len(head) < HEAD_BYTES:
        return
    # the head's last partial line starts the next window, so no line is seen cut in two
    cut = head.rfind(b"\n") + 1
    carry, total = (head[cut:] if cut else b""), len(head)
    while total < SNIFF_LIMIT_BYTES:
        data = file.read(HEAD_BYTES)
        if not data:
            if carry:
                yield carry
            return
        total += len(data)
        window = carry + data
        cut = window.rfind(b"\n") + 1
        if cut == 0:  # one huge line (a tqdm bar redrawn with "\r"): sniff it as it is
            cut = len(window)
        carry = window[cut:]
        yield window[:cut]
