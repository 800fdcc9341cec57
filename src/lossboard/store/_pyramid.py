"""Level 2 of the summary pyramid: one row per `GROUP_CHUNKS` consecutive chunks of a series,
holding the M4 of every `BLOCK_CHUNKS` of them, built from their level-1 summaries.

Level 0 (block M4) and level 1 are written with each chunk (`_chunks.chunk_rows`), so they
follow the chunks for free. Level 2 spans chunks, so a write that changes chunks from step
``since`` on rebuilds the level-2 rows reaching that far, and the last (partial) one, from the
level-1 rows after the rows it keeps (`rebuild`): an append reads at most 32 small rows.
Each backend stores the rows this module returns, beside the others, in ``summaries``.

A block of 8 chunks is M4 of their level-1 points as one bucket, and those are M4 of every
1,024 points, so a level-2 block is M4 of every point it covers (M4 of M4s is M4).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import NamedTuple, Protocol

from lossboard.store import _chunks
from lossboard.store.downsample import m4_index

GROUP_CHUNKS = 32  # chunks per level-2 row
BLOCK_CHUNKS = 8  # chunks per level-2 block: `_chunks.LEVEL_POINTS[2]` points when full


class Summary(NamedTuple):
    """One stored summary row: the chunks it covers, their point count, its points and CRC."""

    first_step: int
    last_step: int
    count: int
    points: bytes
    checksum: int


Query = Callable[[str, tuple], list]  # runs one statement (``?`` placeholders), returns its rows


def rebuild_level2(query: Query, tag_id: int, since: int) -> list[Summary]:
    """The level-2 rows to insert after a series' chunks changed from step ``since`` on,
    once the stale ones are deleted: those reaching ``since`` and the last, partial or not."""
    query(
        "DELETE FROM summaries WHERE tag_id = ? AND level = 2 AND (last_step >= ? "
        "OR first_step = (SELECT MAX(first_step) FROM summaries WHERE tag_id = ? AND level = 2))",
        (tag_id, since, tag_id),
    )
    [(kept_last,)] = query("SELECT MAX(last_step) FROM summaries WHERE tag_id = ? AND level = 2", (tag_id,))
    after, params = ("", (tag_id,)) if kept_last is None else (" AND first_step > ?", (tag_id, kept_last))
    level1 = query(
        "SELECT first_step, last_step, count, points, checksum FROM summaries WHERE tag_id = ? AND level = 1"
        f"{after} ORDER BY first_step",
        params,
    )
    return level2_rows([Summary(*row) for row in level1])


def level2_rows(level1: Sequence[Summary]) -> list[Summary]:
    """Level-2 rows over consecutive chunks' level-1 rows (in step order), grouped from the first."""
    rows = []
    for start in range(0, len(level1), GROUP_CHUNKS):
        group = level1[start : start + GROUP_CHUNKS]
        kept = []
        for block in range(0, len(group), BLOCK_CHUNKS):
            points = _chunks.decode_blocks([(row.points, row.checksum) for row in group[block : block + BLOCK_CHUNKS]])
            kept.append(points.take(m4_index(points.step, points.value, 1)))
        union = kept[0]
        for part in kept[1:]:
            union = union.append(part)
        blob = _chunks.points_blob(union)
        rows.append(
            Summary(group[0].first_step, group[-1].last_step, sum(row.count for row in group), blob, _chunks.checksum(blob))
        )
    return rows


class SummarySource(Protocol):
    """How `covering` reads one series' summary rows from a backend."""

    def summaries(self, level: int, lo: int, hi: int) -> Sequence[tuple[int, int, bytes, int]]:
        """``(first_step, last_step, points, checksum)`` of the level's rows wholly inside
        ``[lo, hi]``, in step order (level 0: the chunks' block M4)."""
        ...


def covering(source: SummarySource, lo: int, hi: int, level: int) -> list[_chunks.Block]:
    """Summary blobs covering exactly the chunks wholly inside ``[lo, hi]``, in step order:
    the level's rows; at level 2 the level-1 rows of the chunks left beside its rows."""
    if level < 2:
        return [(points, crc) for _, _, points, crc in source.summaries(level, lo, hi)]
    coarse = source.summaries(2, lo, hi)
    if not coarse:
        return covering(source, lo, hi, 1)
    start, end = coarse[0][0], coarse[-1][1]
    # a chunk of one point at ``start`` is the level-2 rows' own first chunk: hence ``first < start``
    before = [(points, crc) for first, _, points, crc in source.summaries(1, lo, start) if first < start]
    after = [(points, crc) for first, _, points, crc in source.summaries(1, end, hi) if first > end]
    return before + [(points, crc) for _, _, points, crc in coarse] + after
