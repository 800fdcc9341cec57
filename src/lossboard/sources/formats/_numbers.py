"""Printed numbers, shared by the text formats: ``0.512``, ``6.9100e+00``, ``nan``, ``-inf``.

NaN and infinities are values (C++ iostreams print ``-nan``); anything `float` rejects is not
a number and the caller reports it with `bad_number`.
"""

from __future__ import annotations

from lossboard.model import Problem

# a number as a regex fragment, for formats that must find numbers inside a line
NUMBER = r"[-+]?(?:\d+\.?\d*(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?|[nN][aA][nN]|[iI][nN][fF])"


def number(text: str) -> float | None:
    """The float ``text`` spells, or None when it is not a number."""
    try:
        return float(text)
    except ValueError:
        return None


def bad_number(line: int, name: str, found: str) -> Problem:
    """The Problem for a value printed after ``name`` that is not a number."""
    return Problem(line, f'expected a number after "{name}", found "{found[:40]}"; skipped')
