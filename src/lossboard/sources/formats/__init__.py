"""The table of log formats, listed once, here: detection at hand, each parser imported on first use.

A format is two modules of the same name:

* ``sniffers/<module>.py`` - what detection needs, and nothing heavier (detection asks every
  format about every file, so importing every parser made a 1 MB load pay ~110 ms of imports):
  ``sniff(head, filename) -> float``, the confidence 0 to 1 that a file whose first few KB are
  ``head`` is in this format (names lie: CSVLogger files are called ``training.log``);
  ``BINARY = True`` if the format is fed bytes instead of text (TensorBoard event files);
  ``available() -> str | None`` if it may miss an optional dependency (the string names the extra
  that adds it; the format is left out of detection until it is installed); ``CEILING``, the
  highest score its sniff gives, when that is below 1 and the sniff is dear (detection skips it
  once a format has scored that much).
* ``<module>.py`` - ``NAME`` (the id users pass to ``--format``: ``"mxnet"``, ``"keras-stdout"``)
  and ``Parser``: ``feed(text) -> list[Item]`` and ``close() -> list[Item]``; the records do not
  depend on where the chunks split. Parsers are pure: no files, no clock, no logging. A module
  with ``CHUNK_BYTES`` is read that many bytes at a time by `reader.parse_file` (1 MB
  otherwise). A parser with ``feed_bytes(data) -> list[Item]`` is fed the file's bytes by
  `reader.parse_file` and decodes (UTF-8, bad bytes replaced) what it must itself; its
  ``close()`` flushes what it holds undecoded.

``FORMATS[name]`` is a `Format`: its sniffer's parts are its own attributes, and any other
attribute (``Parser``, ``CHUNK_BYTES``) is the parser module's, imported when first asked for.
A parser module imports its sniffer's parts too, so ``caffe.sniff`` still answers.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module
from types import ModuleType
from typing import Any

# (format id, module name). Order breaks ties in detection: specific formats before the generic ones that follow.
_TABLE = (
    ("lossboard", "lossboard_events"),
    ("tfevents", "tfevents"),
    ("hf-trainer-state", "hf_trainer_state"),
    ("detectron2-json", "detectron2_json"),
    ("mmdet-json", "mmdet_json"),
    ("keras-csv", "keras_csv"),
    ("lightning-csv", "lightning_csv"),
    ("yolo", "yolo"),
    ("csv", "csv_table"),
    ("mxnet", "mxnet"),
    ("caffe", "caffe"),
    ("keras-stdout", "keras_stdout"),
    ("pytorch", "pytorch"),
    ("hf-stdout", "hf_stdout"),
    ("detectron2-log", "detectron2_log"),
    ("mmengine-log", "mmengine_log"),
    ("mmdet-log", "mmdet_log"),
    ("lightning-rich", "lightning_rich"),
    ("prints", "prints"),
    ("tqdm", "tqdm"),
    ("keyvalue", "keyvalue"),
)


class Format:
    """One row of the table: its sniffer imported, its parser module imported when first used."""

    def __init__(self, name: str, module_name: str) -> None:
        sniffer = import_module(f"{__name__}.sniffers.{module_name}")
        self.name = name
        self.module_name = f"{__name__}.{module_name}"
        self.sniff: Callable[[str, str], float] = sniffer.sniff
        self.binary: bool = getattr(sniffer, "BINARY", False)
        self.ceiling: float = getattr(sniffer, "CEILING", 1.0)
        self.available: Callable[[], str | None] | None = getattr(sniffer, "available", None)

    @property
    def module(self) -> ModuleType:
        """The parser module (``Parser``, ``CHUNK_BYTES``), imported on first use."""
        return import_module(self.module_name)

    def __getattr__(self, attribute: str) -> Any:
        if attribute.startswith("__"):  # copy, pickle and friends probe for these: not the module's
            raise AttributeError(attribute)
        return getattr(self.module, attribute)

    def __repr__(self) -> str:
        return f"Format({self.name!r}, {self.module_name!r})"


FORMATS: dict[str, Format] = {name: Format(name, module_name) for name, module_name in _TABLE}


def missing_extra(format: Format) -> str | None:
    """The extra to install for a format whose optional dependency is missing, else None."""
    return format.available() if format.available is not None else None
