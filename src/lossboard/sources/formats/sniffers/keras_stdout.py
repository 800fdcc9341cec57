"""Keras ``model.fit`` output: an ``Epoch k/N`` header and a bar state or metrics line."""

from __future__ import annotations

from lossboard.sources.formats._keras_bar import EPOCH_HEADER, line_states, parse_bar


def sniff(head: str, filename: str) -> float:
    """Sure when an ``Epoch k/N`` header and a metrics line or bar state both show up."""
    header = bar = False
    for line in head.split("\n"):
        for state in line_states(line):
            if state.startswith("Epoch "):
                header = header or EPOCH_HEADER.fullmatch(state.strip()) is not None
            elif ": " in state and " - " in state:
                bar = bar or parse_bar(state) is not None
        if header and bar:
            return 1.0
    return 0.5 if bar else 0.0
