"""Line prefixes that say when and who, not what: stripped before a line grammar reads it.

    2025-05-14 16:02:53,777 - ResNet_train - INFO - Epoch [1/25], Training Loss: 4.6271
    2025-04-26 21:55:25,178|    INFO| Train: STEP 50 - EPOCH 1/1000 | 3D loss: 2.486E+00
    I0711 14:22:23.125147  1274 solver.cpp:228] Iteration 100, loss = 0.2
    INFO:root:Epoch [1/6], Step [10/161], Loss: 0.5517
    [07:18:39] Node[0] Epoch[3] Train-accuracy=0.5
    train.py[line:175] INFO: epoch 3 loss: 0.25
    [DEBUG] Max prob: 1.0000

All of them end before the message, so a grammar sees ``Epoch [1/25], Training Loss: 4.6271``
whatever logging setup printed it. Above all, ``file.py[line:175]`` must not become a metric
``line``, and a timestamp's digits must not count as numbers of the message. A line may carry
several prefixes (``[07:18:39] Node[0]``); they are stripped one after another.

A prefix with a date and a time is also the line's wall time (`wall_time`), read as local time
as ``logging`` prints it, like the mmengine format does.
"""

from __future__ import annotations

import re
import time
from functools import lru_cache

_LEVEL = r"(?:DEBUG|INFO|WARNING|WARN|ERROR|CRITICAL|FATAL|NOTICE|TRACE)"
_DATE_TIME = r"\d{4}[-/]\d\d[-/]\d\d[ T_]\d\d:\d\d:\d\d(?:[.,]\d+)?(?:Z|[+-]\d\d:?\d\d)?"

_STAMP = re.compile(r"\[?(\d{4})[-/](\d\d)[-/](\d\d)[ T_](\d\d):(\d\d):(\d\d)(?:[.,](\d+))?")
_PREFIX = re.compile(
    "|".join(
        (
            # a date and time, then up to a logger name and a level: asctime - name - LEVEL -
            rf"\[?{_DATE_TIME}\]?(?:[^\n]{{0,80}}?\b{_LEVEL}\b\]?)?\s*[-|:]?\s*",
            # glog: I0711 14:22:23.125147  1274 solver.cpp:228]
            r"[IWEF]\d{4} \d\d:\d\d:\d\d\.\d+\s+\d+ [\w.-]+:\d+\]\s*",
            # logging.basicConfig's default: INFO:root:
            rf"{_LEVEL}:[\w.]*:\s*",
            # a time of day alone: [07:18:39]
            r"\[\d\d:\d\d:\d\d(?:[.,]\d+)?\]\s*",
            # MXNet's kvstore node: Node[0]
            r"Node\[\d+\]\s*",
            # a source location: train.py[line:175], train.py:175
            r"[\w.-]+\.py(?:\[line:\d+\]|:\d+)\s*[-:|]?\s*",
            # a level alone: [DEBUG], INFO -, | INFO |
            rf"\|?\s*\[?{_LEVEL}\]?\s*[-:|]\s*",
            rf"\[{_LEVEL}\]\s*",
        )
    )
)


def strip_prefixes(line: str) -> str:
    """``line`` without the logging, glog, time and node prefixes it starts with.

    >>> strip_prefixes("2025-05-14 16:02:53,777 - ResNet_train - INFO - Epoch [1/25], loss: 4.6")
    'Epoch [1/25], loss: 4.6'
    >>> strip_prefixes("train.py[line:175] INFO: epoch 3 loss: 0.25")
    'epoch 3 loss: 0.25'
    """
    match = _PREFIX.match(line)
    while match is not None and match.end():
        line = line[match.end() :]
        match = _PREFIX.match(line)
    return line


def date_length(line: str) -> int:
    """How many characters of ``line`` are the date and time it starts with (which `wall_time`
    reads unless it is no date, like month 13), 0 for none; the same for every line of a layout,
    as it reads digits as ``\\d``."""
    match = _STAMP.match(line)
    return 0 if match is None else match.end()


def wall_time(line: str) -> float | None:
    """Seconds since the epoch of the date and time a line starts with, else None.

    >>> round(wall_time("2025-05-14 16:02:53,777 - INFO - a") - wall_time("2025-05-14 16:02:50 b"), 3)
    3.777
    """
    match = _STAMP.match(line)
    if match is None:
        return None
    whole = _seconds(*(int(field) for field in match.groups()[:6]))
    if whole is None or not match[7]:
        return whole
    return round(whole + int(match[7]) / 10 ** len(match[7]), 6)


@lru_cache(maxsize=256)
def _seconds(year: int, month: int, day: int, hour: int, minute: int, second: int) -> float | None:
    """Local time to seconds since the epoch; cached, as a log's records share their seconds."""
    if not (1 <= month <= 12 and 1 <= day <= 31 and hour < 24 and minute < 60 and second < 62):
        return None
    try:
        return time.mktime((year, month, day, hour, minute, second, 0, 0, -1))
    except (OverflowError, ValueError):
        return None
