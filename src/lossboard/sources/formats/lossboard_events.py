"""lossboard's own event files (``events.lossboard.*``), written by `lossboard.SummaryWriter`.

The framing and record kinds are in `lossboard.eventfile` and docs/event-format.md. A
scalar block becomes one `Columns` per tag (tags read like TensorBoard's: ``Loss/train`` is
``train/loss``); media records become `Media` under the tag as written (image paths are relative to
the event file's directory); the header's run metadata and ``K`` records become `Meta`; a ``resume``
event (``purge_step``) is an `Event(RESUME)`. Damage is a `Problem` naming the byte offset,
and reading goes on at the next record; an incomplete last record (the writer was killed
mid-write, or is still writing) waits for more bytes and is reported only at `close`.
"""

from __future__ import annotations

import numpy as np

from lossboard import eventfile
from lossboard.model import Columns, Event, Item, Media, Meta, Problem
from lossboard.sources.formats.sniffers.lossboard_events import BINARY as BINARY
from lossboard.sources.formats.sniffers.lossboard_events import sniff as sniff
from lossboard.sources.formats.tfevents import canonical_tag

NAME = "lossboard"
_JSON_KINDS = frozenset("HMEK")


class Parser:
    """Bytes in, records out; records do not depend on where the chunks split."""

    def __init__(self) -> None:
        self._decoder = eventfile.Decoder()
        self._unknown: set[str] = set()  # record kinds already reported as unknown

    def feed(self, data: bytes) -> list[Item]:
        return self._items(self._decoder.feed(data))

    def close(self) -> list[Item]:
        return self._items(self._decoder.close())

    def _items(self, records: list) -> list[Item]:
        items: list[Item] = []
        for kind, body, offset in records:
            if kind == "!":
                items.append(Problem(0, f"byte {offset}: {body}; skipped to the next record"))
                continue
            try:
                items.extend(self._record(kind, body, offset))
            except (ValueError, KeyError, TypeError) as exc:  # json's errors are ValueErrors
                items.append(Problem(0, f"byte {offset}: unreadable {kind!r} record ({exc}); skipped"))
        return items

    def _record(self, kind: str, body: bytes, offset: int) -> list[Item]:
        if kind == "S":
            return _columns(eventfile.decode_scalars(body))
        if kind not in _JSON_KINDS:
            if kind in self._unknown:
                return []
            self._unknown.add(kind)
            return [Problem(0, f"byte {offset}: record kind {kind!r} is newer than this lossboard; "
                               "skipped (upgrade lossboard to read it)")]
        record = eventfile.decode_json(body)
        if kind == "M":
            return [Media(record["kind"], record["tag"], int(record["step"]),
                          record["wall_time"], record["data"])]
        if kind == "E":
            return [Event(record["kind"], int(record["step"]), None, record["wall_time"],
                          record.get("text", ""))]
        if kind == "K":
            return [Meta(record["key"], str(record["value"]))]
        return _header(record, offset)


def _header(record: dict, offset: int) -> list[Item]:
    if record.get("format") != eventfile.FORMAT_NAME:
        raise ValueError(f"header names format {record.get('format')!r}")
    items: list[Item] = [Meta(key, str(value)) for key, value in record.get("run", {}).items()]
    version = record.get("version")
    if version != eventfile.VERSION:
        items.append(Problem(0, f"byte {offset}: format version {version}, this lossboard reads "
                                f"version {eventfile.VERSION}; upgrade lossboard if records are missing"))
    return items


def _columns(block: eventfile.Scalars) -> list[Item]:
    if len(block.tags) == 1:
        groups = [(block.tags[0], slice(None))]
    else:
        order = np.argsort(block.index, kind="stable")
        bounds = np.searchsorted(block.index[order], np.arange(len(block.tags) + 1))
        groups = [(tag, order[bounds[i] : bounds[i + 1]]) for i, tag in enumerate(block.tags)]
    return [
        Columns(canonical_tag(tag), tag, block.step[rows], block.value[rows], None, block.wall_time[rows])
        for tag, rows in groups
    ]
