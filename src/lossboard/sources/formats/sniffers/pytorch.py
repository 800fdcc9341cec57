"""The PyTorch ImageNet example's meter lines."""

from __future__ import annotations

import re

_SNIFF = re.compile(
    r"Epoch: \[\d+\]\[ *\d+/\d+\]\t|Test: \[ *\d+/\d+\]\t|^ \* +(?:Acc|Prec)@1 ", re.M
)


def sniff(head: str, filename: str) -> float:
    return 0.9 if _SNIFF.search(head) else 0.0
