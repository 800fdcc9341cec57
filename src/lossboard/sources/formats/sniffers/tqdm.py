"""tqdm bars, unless a Hugging Face dict says the file is better read as HF stdout."""

from __future__ import annotations

import re

_SNIFF = re.compile(r"(?<!\d)\d+%\|[^|\n\r]*\| *\d+/\d+ \[\d\d:\d\d|(?<!\d)\d+it \[\d\d:\d\d")
_OTHER_FORMATS = ("{'loss':", "{'eval_", "{'train_runtime'")


def sniff(head: str, filename: str) -> float:
    # the pattern's literals first: its search tries every digit of a log without bars (~4 ms a window)
    if ("%|" not in head and "it [" not in head) or not _SNIFF.search(head):
        return 0.0
    return 0.1 if any(marker in head for marker in _OTHER_FORMATS) else 0.85
