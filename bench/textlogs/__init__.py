"""One module per generated text log of `bench/parse_text.py`: ``FORMAT`` (the lossboard format
that reads it), ``GREP`` (the word ``grep -c`` counts), ``write(path, size)`` and
``single_pass(path) -> int`` (a user's regex script; the number of values it read)."""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO


def epochs(path: Path, size: int, *, first: int = 1, newline: str | None = None) -> Iterator[tuple[TextIO, int, random.Random]]:
    """The frame every generated log shares: ``path`` opened for writing and a random source
    seeded the same every time, then one epoch number after another from ``first`` until the
    file holds ``size`` bytes."""
    rng = random.Random(0)
    with open(path, "w", newline=newline) as out:
        epoch = first
        while out.tell() < size:
            yield out, epoch, rng
            epoch += 1
