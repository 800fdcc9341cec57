"""An image's or a sound's bytes, found only where the index says a run's files are.

The index keeps a reference, not the bytes: a TensorBoard event file's image or audio is the
record at a byte ``offset`` of one of the run's event files, and lossboard's own files name a PNG
``path`` beside the event file. Nothing here takes a path from a request: the candidates are
the run's sources as the store lists them, an event record counts only if it decodes to an
image (or audio) of the asked tag and step, and a PNG path counts only if it resolves inside the
directory of one of those sources (no ``..`` or symlink out).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from lossboard.errors import LossboardError
from lossboard.model import Media
from lossboard.sources.formats import _tfrecord

CONTENT_TYPES = {"png": "image/png", "gif": "image/gif"}
FILE_KINDS = ("image", "video", "audio")  # the media kinds whose bytes stay in the run's files
_AUDIO_TYPES = ("audio/wav", "audio/x-wav", "audio/wave", "audio/mpeg", "audio/ogg", "audio/flac", "audio/webm")
_MAX_RECORD_BYTES = 256 << 20  # a length beyond this is damage, not an image


class MediaMissing(LossboardError):
    """The index names an image or a sound whose bytes are no longer where it says."""


def media_bytes(sources: Sequence[str], record: Media) -> tuple[bytes, str]:
    """The encoded image or sound of ``record`` and its content type, from one of the run's ``sources``."""
    data = record.data
    if "offset" in data:
        for source in sources:
            if "tfevents" in os.path.basename(source):
                found = _event_value(source, int(data["offset"]), record.tag, record.step)
                if found is None:
                    continue
                if record.kind == "audio" and found.WhichOneof("value") == "audio":
                    # the writer's own word, if it is a sound type a browser plays; WAV otherwise (TensorBoard's)
                    said = found.audio.content_type.lower()
                    return found.audio.encoded_audio_string, said if said in _AUDIO_TYPES else "audio/wav"
                if record.kind != "audio" and found.WhichOneof("value") == "image":
                    return found.image.encoded_image_string, CONTENT_TYPES.get(data.get("format", "png"), "image/png")
    elif "path" in data:
        for source in sources:
            found = _file_beside(source, str(data["path"]))
            if found is not None:
                return found.read_bytes(), "image/png"
    raise MediaMissing(f"{record.kind} {record.tag!r} at step {record.step}: not found in the run's files "
                       f"({', '.join(sources) or 'none'}); re-index the run if they were rewritten")


def _event_value(source: str, offset: int, tag: str, step: int) -> Any:
    """The summary value ``tag`` in the event record at ``offset``, if that record is at ``step``."""
    from lossboard.sources.formats._tfscalars import proto

    try:
        with open(source, "rb") as file:
            file.seek(offset)
            header = file.read(_tfrecord.HEADER.size + 4)
            if len(header) < _tfrecord.HEADER.size + 4:
                return None
            (length,) = _tfrecord.HEADER.unpack_from(header)
            if length > _MAX_RECORD_BYTES:
                return None
            payload = file.read(length)
    except OSError:
        return None
    classes = proto()
    try:
        event = classes.event.FromString(payload)
    except classes.decode_error:
        return None
    if event.step != step or event.WhichOneof("what") != "summary":
        return None
    for value in event.summary.value:
        if value.tag == tag:
            return value
    return None


def _file_beside(source: str, relative: str) -> Path | None:
    """``relative`` under the directory of ``source``, if it stays there and is a file."""
    folder = Path(source).parent.resolve()
    target = (folder / relative).resolve()
    if not target.is_relative_to(folder) or not target.is_file():
        return None
    return target
