"""Recheck an index: read every stored chunk and summary back and verify its checksum.

`lossboard index --verify` runs this before indexing. Every series is read raw (each chunk)
and downsampled once per level of its summary pyramid, to as many buckets as make that level
the one read (`_levels.level_for`: all of that level's rows), so a damaged byte anywhere in a
series' points or summaries is found; one damaged series never stops the check of the others.

    >>> from lossboard.store.sqlite import SQLiteStore
    >>> verify(SQLiteStore(":memory:"))
    []
"""

from __future__ import annotations

from lossboard.errors import LossboardError
from lossboard.store._levels import LEVEL_POINTS
from lossboard.store.base import Store


def verify(store: Store) -> list[str]:
    """One message per series that cannot be read back intact; empty when all are."""
    damaged = []
    runs = [info.name for info in store.list_runs()]
    for info in store.list_tags(runs):
        try:
            store.read_series(info.run, info.tag, source_tag=info.source_tag)
            for size in LEVEL_POINTS[1:]:
                if info.points >= size:
                    store.read_series(info.run, info.tag, source_tag=info.source_tag, buckets=info.points // size)
        except LossboardError as error:
            damaged.append(f"run {info.run!r}, series {info.tag!r} ({info.source_tag}): {error}")
    return damaged
