"""Recheck an index: read every stored chunk and block M4 back and verify its checksum.

`lossboard index --verify` runs this before indexing. Every series is read raw (each chunk)
and downsampled to one bucket (the block M4 of its inner chunks), so a damaged byte anywhere
in a series' points is found; one damaged series never stops the check of the others.

    >>> from lossboard.store.sqlite import SQLiteStore
    >>> verify(SQLiteStore(":memory:"))
    []
"""

from __future__ import annotations

from lossboard.errors import LossboardError
from lossboard.store.base import Store


def verify(store: Store) -> list[str]:
    """One message per series that cannot be read back intact; empty when all are."""
    damaged = []
    runs = [info.name for info in store.list_runs()]
    for info in store.list_tags(runs):
        try:
            store.read_series(info.run, info.tag, source_tag=info.source_tag)
            store.read_series(info.run, info.tag, source_tag=info.source_tag, buckets=1)
        except LossboardError as error:
            damaged.append(f"run {info.run!r}, series {info.tag!r} ({info.source_tag}): {error}")
    return damaged
