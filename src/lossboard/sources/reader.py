"""The one place that reads log files: open, sniff, decode, chunk, parse."""

from __future__ import annotations

import codecs
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from lossboard.errors import InputError, UnknownFormatError
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


def parse_file(path: str | Path, format: str | None = None) -> ParsedFile:
    """Parse one file in chunks of `CHUNK_BYTES`, in constant memory whatever its size.

    Text is decoded as UTF-8 with undecodable bytes replaced, so a stray Latin-1 byte costs
    one character, not the file.
    """
    path = str(path)
    try:
        with open(path, "rb") as file:
            name = resolve_format(path, format, file)
            module = FORMATS[name]
            parser = module.Parser()
            collector = RunCollector(path)
            binary = getattr(module, "BINARY", False)
            decoder = None if binary else codecs.getincrementaldecoder("utf-8")("replace")
            chunk = file.read(CHUNK_BYTES)
            while chunk:
                collector.add(parser.feed(chunk if decoder is None else decoder.decode(chunk)))
                chunk = file.read(CHUNK_BYTES)
            if decoder is not None:
                collector.add(parser.feed(decoder.decode(b"", final=True)))
            collector.add(parser.close())
            if collector.is_empty:
                collector.add([Problem(0, f"no metrics found in this {name} log")])
    except IsADirectoryError as exc:
        raise InputError(path, "is a directory where a file was expected") from exc
    except PermissionError as exc:
        raise InputError(path, "permission denied; check the file's mode") from exc
    return ParsedFile(path, name, collector)
