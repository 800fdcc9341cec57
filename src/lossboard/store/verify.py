"""Recheck an index: read every stored chunk and summary back and verify its checksum.

`lossboard index --verify` runs this before indexing. Every series is read raw (each chunk)
and downsampled once per level of its summary pyramid, to as many buckets as make that level
the one read (`_chunks.LEVEL_MIN_BUCKET_POINTS`: each level's blobs of the inner chunks), so a
damaged byte anywhere in a series' points or summaries is found; one damaged series never
stops the check of the others.

    >>> from lossboard.store.sqlite import SQLiteStore
    >>> verify(SQLiteStore(":memory:"))
    []
"""

from __future__ import annotations

from lossboard.errors import LossboardError
from lossboard.store._chunks import LEVEL_MIN_BUCKET_POINTS
from lossboard.store.base import Store


def verify(store: Store) -> list[str]:
    """One message per series that cannot be read back intact; empty when all are."""
    damaged = []
    runs = [info.name for info in store.list_runs()]
    for info in store.list_tags(runs):
        try:
            store.read_series(info.run, info.tag, source_tag=info.source_tag)
            for least in LEVEL_MIN_BUCKET_POINTS:
                if info.points >= least:
                    store.read_series(info.run, info.tag, source_tag=info.source_tag, buckets=info.points // least)
        except LossboardError as error:
            damaged.append(f"run {info.run!r}, series {info.tag!r} ({info.source_tag}): {error}")
    return damaged
