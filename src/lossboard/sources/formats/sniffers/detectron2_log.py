"""detectron2's ``log.txt``: its own loggers (``d2.``) printing ``iter: N`` or copypaste lines."""

from __future__ import annotations

import re

_ITER = re.compile(r"\biter: \d+\s")
_COPYPASTE = "copypaste: "


def sniff(head: str, filename: str) -> float:
    if "d2." in head and ("iter: " in head or _COPYPASTE in head) and _ITER.search(head):
        return 1.0
    return 0.0
