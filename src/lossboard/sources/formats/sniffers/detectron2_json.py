"""detectron2's ``metrics.json``: JSON lines with an ``iteration``."""

from __future__ import annotations


def sniff(head: str, filename: str) -> float:
    first = head.lstrip()[:4096]
    if first.startswith("{") and '"iteration": ' in first:
        return 1.0 if filename.endswith("metrics.json") else 0.9
    return 0.0
