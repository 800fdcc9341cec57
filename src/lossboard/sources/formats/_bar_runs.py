"""The redraws of one tqdm bar on one physical line, read all at once.

A bar redrawn with ``\\r`` fills a line with hundreds of states that differ only in their
numbers and the bar's glyphs::

    Epoch 1/25 [Train]:  40%|####      | 4/10 [00:01<00:02,  3.2it/s, loss=4.6271]

A `BarLayout` is one such state with those cut out (its rate unit and postfix names kept as
literal text, its description with its digits masked, so one layout serves every epoch's
bar), compiled to a regex that finds every state of a run in one pass over the line; one
orjson call converts the numbers of all states, and one count of the description says
they all belong to the same bar. The regex admits only
states the general path reads the same way (no text glued after ``]``, no comma inside a
field, a plain rate), and a run where a single state does not fit - another bar, a value
orjson refuses (``nan``, ``None``), a count that goes back - is not read here at all: the
caller reads it state by state, so the records never depend on the path taken.
"""

from __future__ import annotations

import re
from itertools import chain
from typing import NamedTuple

import numpy as np
import orjson

_RATE = re.compile(r"\s*([\d.]+)(?:(\w*/s)|s/(\w+))\s*")  # as `tqdm.Bars._rate` reads it
_VALUE = r"([-+0-9.eE]+)"  # what orjson may take; it refuses the rest, and the run falls back
_FIELD = r"[^,\]\r]*"
_DIGITS = re.compile(r"\d+")
_EXACT_FLOAT = 2**53  # counts above this do not survive a float64


class BarLayout(NamedTuple):
    """One bar's state with the numbers cut out: which postfix values to keep and how."""

    regex: re.Pattern
    names: tuple[str, ...]  # the postfix names, in order
    unit: str  # as `Bars._rate` names the rate's series: "it/s", "batch/s"
    inverted: bool  # tqdm printed seconds per unit


def learn(desc: str, inner: list[str]) -> BarLayout | None:
    """The layout of a closed ``n/total`` bar with description ``desc`` and the ``, ``-split
    fields in its brackets; None when a state like it could be read otherwise by `_BAR`."""
    if not desc or "|" in desc or "it [" in desc or len(inner) < 2 or "\r" in desc:
        return None  # the description is what the regex anchors on: it must be unambiguous
    rate = _RATE.fullmatch(inner[1])
    if rate is None or inner[1] != rate[1] + (rate[2] or f"s/{rate[3]}"):
        return None
    names = tuple(field.partition("=")[0] for field in inner[2:])
    if not all("=" in field for field in inner[2:]) or len(set(names)) < len(names):
        return None
    if any(not name or "," in name or "]" in name for name in names):
        return None
    printed_unit = rate[2] or f"s/{rate[3]}"
    postfix = "".join(f", {re.escape(name)}={_VALUE}" for name in names)
    # a digit run is matched whole (a literal follows it), so a state that starts with ``desc``
    # gives it exactly
    masked = r"\d+".join(re.escape(piece) for piece in _DIGITS.split(desc))
    regex = re.compile(
        rf"\r{masked}: ? *(?:\d+%)?\|[^|\r]*\| *(\d+)/(\d+) \[{_FIELD}, "
        rf"(\d+(?:\.\d+)?){re.escape(printed_unit)}{postfix}\](?=[^\S\r]*(?:\r|\Z))"
    )
    return BarLayout(regex, names, rate[2] or f"{rate[3]}/s", rate[3] is not None)


def read(layout: BarLayout, desc: str, line: str, start: int, end: int, count: int) -> np.ndarray | None:
    """A float64 matrix, one row per state of ``line[start:end]`` (n, total, rate, postfix
    values...), or None unless all ``count`` states there fit the layout with description
    ``desc``."""
    rows = layout.regex.findall(line, start - 1, end)
    if len(rows) != count or line.count(f"\r{desc}:", start - 1, end) != count:
        return None
    try:
        flat = orjson.loads(f"[{','.join(chain.from_iterable(rows))}]")
        matrix = np.array(flat, dtype=np.float64).reshape(count, 3 + len(layout.names))
    except (orjson.JSONDecodeError, OverflowError, TypeError, ValueError):
        return None
    if matrix[:, :2].max() >= _EXACT_FLOAT:
        return None
    return matrix
