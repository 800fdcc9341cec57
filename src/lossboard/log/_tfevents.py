"""TensorBoard event files, as `SummaryWriter` writes them by default (pure: bytes out).

One file per writer, named as torch names its files (``events.out.tfevents.<seconds>.<host>.
<pid>.<id><suffix>``, the host as written, which W&B's sync checks); the writer id is the
start's microseconds and 16 random bits, so a writer's next file sorts after its last and two
writers never pick one name. The file starts with the ``brain.Event:2`` version event, then
the run's facts as `lossboard_meta` summaries, then, for ``purge_step``, the
``SessionLog.START`` that makes TensorBoard (and lossboard) drop what earlier files logged from
that step on. Scalars are ``simple_value`` events encoded in bulk (`_tfbulk`); everything else
is one event per Summary (`_summaries`); graphs are ``graph_def`` and ``tagged_run_metadata``
events, as torch writes them.
"""

from __future__ import annotations

import os
import secrets
import socket
import time
from functools import lru_cache
from typing import Any

from lossboard.log import _summaries, _tfbulk
from lossboard.sources.formats._tfrecord import record

NAME = "tfevents"
FILE_PREFIX = "events.out.tfevents."
FILE_VERSION = "brain.Event:2"
WRITER = "lossboard"
KINDS = _summaries.KINDS | {"graph", "embedding"}  # embeddings: projector files beside the event file


def available() -> bool:
    try:
        _event_class()
    except ImportError:
        return False
    return True


@lru_cache(maxsize=1)
def _event_class() -> type:
    from tensorboard.compat.proto.event_pb2 import Event

    return Event


class TfEventsFile:
    """The records of one writer's file; the writer owns the I/O."""

    kinds = KINDS

    def __init__(self, log_dir: str) -> None:
        self.log_dir = log_dir
        self._templates: _tfbulk.SummaryTemplates | None = None

    def file_name(self, now: float, suffix: str) -> str:
        token = f"{int(now * 1e6) % 1_000_000:06d}-{secrets.token_hex(2)}"  # "-": sorts apart from the number
        return f"{FILE_PREFIX}{int(now):010d}.{socket.gethostname()}.{os.getpid()}.{token}{suffix}"

    def header(self, run: dict[str, Any], now: float, purge_step: int | None) -> bytes:
        event = _event_class()
        parts = [record(event(wall_time=now, file_version=FILE_VERSION,
                              source_metadata={"writer": WRITER}).SerializeToString())]
        parts += [self.meta(key, value, now) for key, value in run.items()]
        if purge_step is not None:
            start = event(wall_time=now, step=purge_step, session_log={"status": "START"})
            parts.append(record(start.SerializeToString()))
        return b"".join(parts)

    def scalars(self, tags: list, steps: list, values: list, wall_times: list) -> bytes:
        if self._templates is None:
            self._templates = _tfbulk.SummaryTemplates()
        return _tfbulk.encode(tags, steps, values, wall_times, self._templates)

    def media(self, kind: str, tag: str, step: int, wall_time: float, data: dict) -> bytes:
        event = _event_class()
        if kind == "graph":
            return record(event(wall_time=wall_time, step=step, graph_def=data["graph_def"]).SerializeToString()) + (
                record(event(wall_time=wall_time, step=step, tagged_run_metadata={
                    "tag": "step1", "run_metadata": data["run_metadata"]}).SerializeToString())
                if data.get("run_metadata") else b"")
        return b"".join(record(event(wall_time=wall_time, step=step, summary=summary).SerializeToString())
                        for summary in _summaries.summaries(kind, tag, data))

    def meta(self, key: str, value: str, now: float | None = None) -> bytes:
        return self.media("meta", key, 0, time.time() if now is None else now, {"value": str(value)})
