"""Any CSV or TSV with a step or epoch column that no more specific table format claims."""

from __future__ import annotations

from lossboard.sources.formats._numbers import number
from lossboard.sources.formats._table_head import counter_columns, peek
from lossboard.sources.formats.sniffers import keras_csv, lightning_csv, yolo

_OTHERS = (keras_csv.claims, lightning_csv.claims, yolo.claims)


def sniff(head: str, filename: str) -> float:
    table = peek(head)
    if table is None:
        return 0.0
    names, rows = table
    step_at, epoch_at = counter_columns(names)
    counter_at = step_at if step_at is not None else epoch_at
    if counter_at is None:
        return 0.0
    if any(claims(names, rows) for claims in _OTHERS):
        return 0.1
    if not rows:
        return 0.8  # a header only: a live log that has not written its first row yet
    if number(rows[0][counter_at]) is None:
        return 0.1
    return 0.9
