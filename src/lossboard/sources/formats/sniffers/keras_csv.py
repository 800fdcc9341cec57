"""Keras CSVLogger files, by their header."""

from __future__ import annotations

from lossboard.sources.formats._table_head import peek

_KERAS_NAMES = frozenset({"loss", "acc", "accuracy", "lr", "learning_rate"})


def claims(names: list[str], rows: list[list[str]]) -> bool:
    """CSVLogger's signature: ``epoch`` first, then sorted names that Keras would log."""
    rest = names[1:]
    return (
        names[0] == "epoch"
        and rest == sorted(rest)
        and "step" not in rest
        and any(name in _KERAS_NAMES or name.startswith("val_") for name in rest)
    )


def sniff(head: str, filename: str) -> float:
    table = peek(head)
    return 0.9 if table is not None and claims(*table) else 0.0
