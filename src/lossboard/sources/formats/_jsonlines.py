"""JSON reading shared by the JSON formats, and the one "not a number" `Problem` wording.

detectron2 ``metrics.json`` and mmdetection ``*.log.json`` hold one object per line;
``trainer_state.json`` is one document. orjson reads them; Python's ``json`` writes a
diverged loss as the bare literal ``NaN`` (or ``Infinity``), which orjson rejects, so such
text is read again with ``json``.
"""

from __future__ import annotations

import json

import orjson

from lossboard.model import Item, Problem


def loads(text: str) -> object:
    """orjson's parse, or ``json``'s when the text holds ``NaN``/``Infinity``.

    Raises `json.JSONDecodeError` (orjson's error is a subclass) with ``lineno``/``colno``.
    """
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        if "NaN" not in text and "Infinity" not in text:
            raise
        return json.loads(text)


def read_object(number: int, line: str) -> dict | Problem | None:
    """The object on ``line``, None for a blank or non-JSON line, a `Problem` for a broken one."""
    text = line.strip()
    if not text.startswith("{"):
        return None
    try:
        value = loads(text)
    except json.JSONDecodeError as exc:
        return Problem(number, f"not valid JSON at column {exc.colno}: {exc.msg}; skipped")
    return value if isinstance(value, dict) else None


def not_a_number(number: int, name: str, value: object) -> Item:
    return Problem(number, f'expected a number for "{name}", found {value!r}; skipped')


def as_float(value: object) -> float | None:
    """A JSON number as a float; None for strings, lists, booleans and null."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    return None
