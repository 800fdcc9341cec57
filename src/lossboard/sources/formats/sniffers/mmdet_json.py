"""mmdetection's ``*.log.json`` and mmengine's ``scalars.json``: JSON lines of a mode or of step, iter and lr."""

from __future__ import annotations


def sniff(head: str, filename: str) -> float:
    first = head.lstrip()[:8192]
    if not first.startswith("{"):
        return 0.0
    if '"mode": "train"' in first or ('"env_info": ' in first and '"config": ' in first):
        return 1.0
    if '"step": ' in first and '"iter": ' in first and '"lr": ' in first:
        return 1.0 if filename.endswith("scalars.json") else 0.9
    return 0.0
