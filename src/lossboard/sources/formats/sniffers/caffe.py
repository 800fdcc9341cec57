"""Caffe's glog lines."""

from __future__ import annotations

import re

_SNIFF = re.compile(
    r"^[IWEF]\d{4} \d\d:\d\d:\d\d\.\d+ +\d+ (?:solver|sgd_solver|caffe|net)\.cpp:\d+\]", re.M
)


def sniff(head: str, filename: str) -> float:
    """Caffe's own glog lines (solver.cpp, net.cpp, caffe.cpp) are unmistakable."""
    return 0.95 if _SNIFF.search(head) else 0.0
