"""The table of log formats: one module per format, listed once, here.

Every format module has:

* ``NAME`` - the format id users pass to ``--format`` (``"mxnet"``, ``"keras-stdout"``);
* ``sniff(head, filename) -> float`` - confidence 0 to 1 that a file whose first few KB
  are ``head`` is in this format (names lie: CSVLogger files are called ``training.log``);
* ``Parser`` - ``feed(text) -> list[Item]`` and ``close() -> list[Item]``; the records do not
  depend on where the chunks split. Parsers are pure: no files, no clock, no logging.

A module with ``BINARY = True`` is fed bytes instead of text (TensorBoard event files). A
module with ``available() -> str | None`` may be missing an optional dependency: the string
names the extra that adds it, and the format is left out of detection until it is installed.
A module with ``CHUNK_BYTES`` is read that many bytes at a time by `reader.parse_file` (1 MB
otherwise). A parser with ``feed_bytes(data) -> list[Item]`` is fed the file's bytes by
`reader.parse_file` and decodes (UTF-8, bad bytes replaced) what it must itself; its ``close()``
flushes what it holds undecoded.
"""

from __future__ import annotations

from types import ModuleType

from lossboard.sources.formats import (
    caffe,
    csv_table,
    detectron2_json,
    detectron2_log,
    hf_stdout,
    hf_trainer_state,
    keras_csv,
    keras_stdout,
    keyvalue,
    lightning_csv,
    lightning_rich,
    lossboard_events,
    mmdet_json,
    mmdet_log,
    mmengine_log,
    mxnet,
    prints,
    pytorch,
    tfevents,
    tqdm,
    yolo,
)

# Order breaks ties in detection: specific formats before the generic ones that follow.
FORMATS: dict[str, ModuleType] = {
    module.NAME: module
    for module in (
        lossboard_events,
        tfevents,
        hf_trainer_state,
        detectron2_json,
        mmdet_json,
        keras_csv,
        lightning_csv,
        yolo,
        csv_table,
        mxnet,
        caffe,
        keras_stdout,
        pytorch,
        hf_stdout,
        detectron2_log,
        mmengine_log,
        mmdet_log,
        lightning_rich,
        prints,
        tqdm,
        keyvalue,
    )
}


def missing_extra(module: ModuleType) -> str | None:
    """The extra to install for a format whose optional dependency is missing, else None."""
    available = getattr(module, "available", None)
    return available() if available is not None else None
