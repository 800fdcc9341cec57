"""The one place that reads log files: open, sniff, decode, chunk, parse.

Only regular files are opened: a FIFO or a terminal would block a read forever (and an
endless one grow memory), so `open_regular` checks what it opened before reading a byte.
"""

from __future__ import annotations

import codecs
import errno
import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from lossboard.errors import (
    BrokenLinkError,
    InputError,
    NotAFileError,
    PathNotFoundError,
    UnknownFormatError,
    VanishedError,
)
from lossboard.model import Problem
from lossboard.sources.collect import RunCollector
from lossboard.sources.detect import detect_file, usable_formats
from lossboard.sources.formats import FORMATS, missing_extra

CHUNK_BYTES = 1 << 20


@dataclass
class ParsedFile:
    path: str
    format: str
    collector: RunCollector


def resolve_format(path: str | Path, format: str | None, file: BinaryIO) -> str:
    """The format given by the user (checked) or detected from the open ``file``."""
    if format is None:
        return detect_file(file, path)
    module = FORMATS.get(format)
    if module is None:
        raise UnknownFormatError(path, usable_formats())
    extra = missing_extra(module)
    if extra is not None:
        raise InputError(path, f"the {format} format needs {extra}")
    return format


def open_regular(path: str | Path) -> BinaryIO:
    """``path`` opened for reading, if it is a regular file (after symbolic links).

    Opened non-blocking, so a FIFO without a writer cannot hang the open itself; any
    failure is the `InputError` that says what the path turned out to be.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC)
    except OSError as error:
        raise input_error(path, error) from error
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):
        os.close(fd)
        if stat.S_ISDIR(mode):
            raise InputError(path, "is a directory where a file was expected")
        raise NotAFileError(path, file_kind(mode))
    return os.fdopen(fd, "rb")


def file_kind(mode: int) -> str:
    """'a named pipe (FIFO)', 'a socket', ... for what `os.stat` found."""
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    return "not a file or directory"


def input_error(path: str | Path, error: OSError, *, was_listed: bool = True) -> InputError:
    """The `InputError` that explains ``error``, met while opening or listing ``path``.

    A missing path that was listed a moment ago vanished; one the user typed never was.
    """
    if error.errno == errno.ENOENT:
        if os.path.islink(path):
            return BrokenLinkError(path, is_loop=False)
        return VanishedError(path) if was_listed else PathNotFoundError(path)
    if error.errno == errno.ELOOP:
        return BrokenLinkError(path, is_loop=True)
    if error.errno in (errno.EACCES, errno.EPERM):
        return InputError(path, "permission denied; check the file's mode")
    return InputError(path, f"{error.strerror or error}; skipped")


def parse_file(path: str | Path, format: str | None = None) -> ParsedFile:
    """Parse one file in chunks of `CHUNK_BYTES` (or the format's own), in constant memory
    whatever its size.

    Text is decoded as UTF-8 with undecodable bytes replaced, so a stray Latin-1 byte costs
    one character, not the file. A parser with ``feed_bytes`` gets the bytes as read and
    decodes what it must itself: a table hands its rows to pyarrow undecoded.
    """
    path = str(path)
    try:
        with open_regular(path) as file:
            name = resolve_format(path, format, file)
            module = FORMATS[name].module
            parser = module.Parser()
            collector = RunCollector(path)
            # the table formats take bytes and decode only what they must; binary formats, bytes
            feed_bytes = getattr(parser, "feed_bytes", parser.feed if FORMATS[name].binary else None)
            decoder = None if feed_bytes else codecs.getincrementaldecoder("utf-8")("replace")
            size = getattr(module, "CHUNK_BYTES", CHUNK_BYTES)  # a format may read more or less at once
            while chunk := file.read(size):
                collector.add(feed_bytes(chunk) if decoder is None else parser.feed(decoder.decode(chunk)))
            if decoder is not None:
                collector.add(parser.feed(decoder.decode(b"", final=True)))
            collector.add(parser.close())
            if collector.is_empty:
                collector.add([Problem(0, f"no metrics found in this {name} log")])
    except OSError as error:  # a read failed: an I/O error, a file system gone away
        raise input_error(path, error) from error
    return ParsedFile(path, name, collector)
