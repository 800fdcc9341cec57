"""lossboard's own event files for `SummaryWriter(format="lossboard")` (docs/event-format.md).

Scalars in columns, 28 bytes a value, and images as PNG files under ``media/`` beside the
file. It holds scalars, images, histograms, text, hyper-parameters and PR curves; the kinds
only TensorBoard shows (graphs, audio, video, meshes, custom scalar layouts, tensors) are not
written. The encoding is `lossboard.eventfile`; this adds the files and the writer's interface.
"""

from __future__ import annotations

import os
import re
import secrets
from typing import Any

from lossboard import eventfile
from lossboard.model import RESUME

NAME = "lossboard"
KINDS = frozenset(("image", "histogram", "text", "hparams", "pr_curve", "meta"))
_UNSAFE = re.compile(r"[^\w.-]+")


class LossboardFile:
    """The records of one writer's file; images are written here, on the writer's thread."""

    kinds = KINDS

    def __init__(self, log_dir: str) -> None:
        self.log_dir = log_dir
        self._id = secrets.token_hex(4)  # names this writer's file and images

    def file_name(self, now: float, suffix: str) -> str:
        self._id = secrets.token_hex(4)
        return eventfile.file_name(now=now, token=self._id, suffix=suffix)

    def header(self, run: dict[str, Any], now: float, purge_step: int | None) -> bytes:
        head = eventfile.encode_header(run)
        if purge_step is not None:
            head += eventfile.encode_event(RESUME, purge_step, now, "purge_step")
        return head

    def scalars(self, tags: list, steps: list, values: list, wall_times: list) -> bytes:
        return eventfile.encode_scalars(tags, steps, values, wall_times)

    def media(self, kind: str, tag: str, step: int, wall_time: float, data: dict) -> bytes:
        if kind == "meta":
            return eventfile.encode_meta(tag, data["value"])
        if kind == "image":
            data = self._image_file(tag, step, data)
        elif kind == "hparams":
            data = {key: data[key] for key in ("hparams", "metrics", "domain_discrete")}
        return eventfile.encode_media(kind, tag, step, wall_time, data)

    def meta(self, key: str, value: str, now: float | None = None) -> bytes:
        return eventfile.encode_meta(key, str(value))

    def _image_file(self, tag: str, step: int, data: dict) -> dict:
        """The PNG goes to ``media/<tag>/<step>.<writer id>.png`` beside the event file."""
        parts = [_UNSAFE.sub("_", part).replace("..", "_") for part in tag.split("/") if part]
        relative = "/".join(["media", *(parts or ["_"]), f"{step}.{self._id}.png"])
        target = os.path.join(self.log_dir, relative)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with open(target, "wb") as file:
            file.write(data["encoded"])
        return {"path": relative, "height": data["height"], "width": data["width"]}
