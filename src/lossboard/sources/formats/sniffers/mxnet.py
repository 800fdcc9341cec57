"""MXNet's Speedometer and epoch-end lines, and GluonCV's ``[Epoch N]`` lines."""

from __future__ import annotations

import re

_SNIFF = (
    (re.compile(r"(?:Epoch|Iter)\[\d+\]\s*Batch\s*\[[\d-]+\]\s*(?:Speed|\t)", re.M), 1.0),
    (re.compile(r"Epoch\[\d+\] (?:Train|Validation)-[\w\-]+=", re.M), 0.95),
    (re.compile(r"Epoch\[\d+\] Time cost=", re.M), 0.9),
    (re.compile(r"^(?:INFO:root:)?\[Epoch \d+\] (?:train=|training: |validation: )", re.M), 0.9),
    (re.compile(r"Iter\[\d+\]\s+CE loss", re.M), 0.9),
    (re.compile(r"^(?:INFO:root:)?\[Epoch \d+\]\[Batch \d+\], (?:LR|Speed): ", re.M), 0.95),
    (re.compile(r"^(?:INFO:root:)?\[Epoch \d+\] (?:Training cost: |Validation: )", re.M), 0.9),
)


def sniff(head: str, filename: str) -> float:
    return max((score for pattern, score in _SNIFF if pattern.search(head)), default=0.0)
