"""The bulk scalar encoder writes exactly the bytes protobuf and TFRecord framing write."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest

pytest.importorskip("tensorboard", reason="the tfevents extra is not installed")

from tensorboard.compat.proto.event_pb2 import Event  # noqa: E402

from lossboard.log import _tfbulk  # noqa: E402
from lossboard.sources.formats._tfrecord import record  # noqa: E402

STEPS = [0, 1, 127, 128, 16_383, 16_384, 2**40, 2**63 - 1, -1, -(2**63)]
VALUES = [0.0, -0.0, 1.0, math.nan, math.inf, -math.inf, 1e300, 1e-300, 0.1]
WALLS = [0.0, -0.0, 1_700_000_000.25, math.nan]
TAGS = ["a", "Loss/train", "x" * 300, "ünïcode tag"]


def reference(tags, steps, values, walls) -> bytes:
    """One event per value through protobuf, framed one by one: what torch's writer does."""
    out = []
    with np.errstate(over="ignore"):
        for tag, step, value, wall in zip(tags, steps, values, walls):
            event = Event(wall_time=wall, step=step)
            event.summary.value.add(tag=tag, simple_value=float(np.float32(value)))
            out.append(record(event.SerializeToString()))
    return b"".join(out)


def test_every_field_shape_encodes_as_protobuf_does():
    rng = random.Random(1)
    columns = [[rng.choice(choices) for _ in range(3000)] for choices in (TAGS, STEPS, VALUES, WALLS)]
    assert _tfbulk.encode(*columns, _tfbulk.SummaryTemplates()) == reference(*columns)


def test_a_step_that_goes_back_keeps_call_order():
    # the 2-byte step comes first, then 1-byte ones: grouping by layout would reorder them
    tags, steps = ["loss"] * 3, [200, 5, 300]
    values, walls = [1.0, 2.0, 3.0], [1.0, 2.0, 3.0]
    assert _tfbulk.encode(tags, steps, values, walls, _tfbulk.SummaryTemplates()) == reference(
        tags, steps, values, walls)


def test_interleaved_tags_keep_each_tags_order():
    tags = [f"t{i % 3}" for i in range(30)]
    steps, values, walls = list(range(30)), [i / 7 for i in range(30)], [1.7e9 + i for i in range(30)]
    got = _tfbulk.encode(tags, steps, values, walls, _tfbulk.SummaryTemplates())
    expected = reference(tags, steps, values, walls)
    assert sorted(_records(got)) == sorted(_records(expected))
    for tag in ("t0", "t1", "t2"):
        assert [r for r in _records(got) if tag.encode() in r] == [r for r in _records(expected) if tag.encode() in r]


def test_crc32c_matches_googles():
    google_crc32c = pytest.importorskip("google_crc32c")
    data = bytes(range(256)) * 3
    assert all(_tfbulk.crc32c(data[:n]) == google_crc32c.value(data[:n]) for n in (0, 1, 7, 100, 768))


def _records(data: bytes) -> list[bytes]:
    out, at = [], 0
    while at < len(data):
        length = int.from_bytes(data[at : at + 8], "little")
        out.append(data[at : at + 16 + length])
        at += 16 + length
    return out
