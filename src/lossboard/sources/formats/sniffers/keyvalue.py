"""``key=value`` lines: read by ``prints`` in detection, so this format is only ever chosen by name."""

from __future__ import annotations


def sniff(head: str, filename: str) -> float:
    """Never chosen by detection: ``prints`` reads the same files."""
    return 0.0
