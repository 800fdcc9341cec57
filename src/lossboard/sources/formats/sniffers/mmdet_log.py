"""mmdetection 2.x (mmcv) text logs: ``Epoch [1][50/7330]`` heads that end with a tab."""

from __future__ import annotations

import re

from lossboard.sources.formats import _mmdet


def sniff(head: str, filename: str) -> float:
    return _mmdet.sniff_heads(head, _is_mmcv)


def _is_mmcv(head: re.Match) -> bool:
    """mmcv ends the head with a tab (``Epoch [1][50/7330]\\t``); mmengine with spaces."""
    return (head[2] is not None or head[5] is not None) and head.string[head.end() - 1] == "\t"
