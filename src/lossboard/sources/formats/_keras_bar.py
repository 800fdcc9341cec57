"""A Keras progress-bar state or metrics line, read into its parts: what the ``keras-stdout``
sniffer and parser share (the sniffer imports it for every file, so it stays light).

``  32/60000 [=====>......] - ETA: 10:03 - loss: 2.3``, ``3124s - loss: 0.0516 - acc: 0.98``,
`` 1/10 ━━━━━━━━━━ 0s 64ms/step - accuracy: 0.5000``; see `keras_stdout` for the whole format.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from lossboard.sources.formats._lines import redraws
from lossboard.sources.formats._numbers import number as parse_number

EPOCH_HEADER = re.compile(r"Epoch (\d+)/(\d+)")
# "  32/60000 [=====>......]" (Keras 1/2) or " 1/10 ━━━━━━ 0s 64ms/step" (Keras 3)
_COUNTER = re.compile(r"(\d+)/(\d+|Unknown)(?: +(?:\[[=>.]*\]|━+))?(?: +(.*))?")
_TIME = re.compile(r"(\d+(?:\.\d+)?)(us|ms|s)(?:/(\w+))?")
_CLOCK = re.compile(r"\d+:\d\d(?::\d\d)?")
_METRIC = re.compile(r"([A-Za-z_][\w.@/-]*): (.*)")
# "0.7203batch 5 ...": a value as Keras formats it, then a script's print glued to the bar
_VALUE_THEN_TEXT = re.compile(r"(-?(?:\d+(?:\.\d+)?(?:e[-+]\d+)?|nan|inf))([^\d.\s].*)")

_SECONDS = {"us": 1e-6, "ms": 1e-3, "s": 1.0}


class Bar(NamedTuple):
    """One metrics line or progress-bar state, split into its parts."""

    current: int | None  # bar position; None on a Keras 1 verbose=2 line
    total: int | None  # None when the bar says "Unknown" or has no counter
    running: bool  # an intermediate state: ETA shown or position short of the total
    times: list[tuple[str, str, float]]  # (tag, source_tag, seconds)
    metrics: list[tuple[str, str]]  # (printed name, printed value)
    glued: str = ""  # a print that landed right after the bar's last value, no newline between


def _times(text: str, into: list[tuple[str, str, float]]) -> bool:
    """Add the durations in ``3s 64ms/step`` to ``into``; False if ``text`` is not only those."""
    for token in text.split():
        match = _TIME.fullmatch(token)
        if match is None:
            if _CLOCK.fullmatch(token):  # Keras 3's ETA over a minute ("1:02"): no duration kept
                continue
            return False
        number, unit, per = match.groups()
        seconds = float(number) * _SECONDS[unit]
        # one series per quantity, whatever unit Keras chose for it this epoch (66ms/step, 1s/step)
        kind = per or "epoch"
        into.append((f"perf/{kind}_time_s", f"{kind} time", seconds))
    return True


def parse_bar(text: str) -> Bar | None:
    """A Keras metrics line or bar state in parts, or None if ``text`` is not one.

    >>> parse_bar("3083s - loss: 1.7197 - acc: 0.5893").metrics
    [('loss', '1.7197'), ('acc', '0.5893')]
    """
    parts = text.rstrip().split(" - ")
    head = parts[0].strip()
    current = total = None
    running = False
    times: list[tuple[str, str, float]] = []
    metrics: list[tuple[str, str]] = []
    if head:
        counter = _COUNTER.fullmatch(head)
        if counter is not None:
            current = int(counter[1])
            total = None if counter[2] == "Unknown" else int(counter[2])
            if counter[3] and not _times(counter[3], times):
                return None
        elif not _times(head, times):
            return None
    for part in parts[1:]:
        part = part.strip()
        pair = _METRIC.fullmatch(part)
        if pair is None:
            if not _times(part, times):
                return None
        elif pair[1] == "ETA":
            running = True
        else:
            metrics.append((pair[1], pair[2].strip()))
    if not metrics:
        return None
    running = running or (current is not None and (total is None or current < total))
    glued = ""
    name, raw = metrics[-1]
    if parse_number(raw) is None:
        split = _VALUE_THEN_TEXT.fullmatch(raw)
        if split is not None:
            metrics[-1] = (name, split[1])
            glued = split[2]
    return Bar(current, total, running, times, metrics, glued)


def line_states(line: str) -> list[str]:
    """What a raw line showed over time: its redraws, or the line itself."""
    if "\r" not in line and "\b" not in line and "\x1b" not in line:
        return [line]
    if "\b" in line:
        # Keras writes a run of backspaces before each "\r"; they only move the cursor, and
        # dropping them keeps `redraws` off its per-character path.
        line = "\r".join(part.rstrip("\b") for part in line.split("\r"))
    return redraws(line)
