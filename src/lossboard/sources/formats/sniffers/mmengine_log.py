"""mmengine text logs: ``Epoch(train) [1][50/7330]`` heads followed by two spaces."""

from __future__ import annotations

import re

from lossboard.sources.formats import _mmdet


def sniff(head: str, filename: str) -> float:
    return _mmdet.sniff_heads(head, _is_mmengine)


def _is_mmengine(head: re.Match) -> bool:
    """A mode in parentheses, and two spaces before the first pair."""
    return head[2] is not None and head.string.startswith(" ", head.end())
