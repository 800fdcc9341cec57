"""Placeholder for lossboard's own event files (being written)."""

from __future__ import annotations

from lossboard.model import Item

NAME = "lossboard"
BINARY = True


def sniff(head: str, filename: str) -> float:
    return 0.0


class Parser:
    def feed(self, data: bytes) -> list[Item]:
        return []

    def close(self) -> list[Item]:
        return []
