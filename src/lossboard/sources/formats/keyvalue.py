"""Placeholder for the keyvalue format (being written)."""

from __future__ import annotations

from lossboard.model import Item

NAME = "keyvalue"


def sniff(head: str, filename: str) -> float:
    return 0.0


class Parser:
    def feed(self, text: str) -> list[Item]:
        return []

    def close(self) -> list[Item]:
        return []
