"""Where things are in a chunk's bytes, for the fast paths: the indexes of many ranges at once
(`ranges`), the bytes at many offsets as the rows of a matrix (`rows_at`), and whether a text
stands at each of many offsets (`holds_at`)."""

from __future__ import annotations

import numpy as np


def ranges(firsts: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    """The integers of each range ``firsts[i]``, ``firsts[i] + sizes[i]``..., one after another:
    the running sum of steps of 1 but at each range's head (the jump from the range before).
    One array, summed in place: a repeat, an arange and their sum were three as large as the
    result, fresh pages each chunk (a tenth of the time for a 4 MB chunk's values)."""
    if not sizes.all():  # an empty range has no head of its own
        firsts, sizes = firsts[sizes > 0], sizes[sizes > 0]
    if not len(sizes):
        return np.zeros(0, np.intp)
    heads = np.cumsum(sizes) - sizes
    steps = np.ones(int(heads[-1] + sizes[-1]), np.intp)
    steps[0] = firsts[0]
    steps[heads[1:]] = firsts[1:] - firsts[:-1] - sizes[:-1] + 1
    return np.cumsum(steps, out=steps)


def windows(data: np.ndarray, width: int) -> np.ndarray:
    """Every ``width``-byte window of ``data`` as one item, a view (item i starts at byte i).
    Indexing it copies or fills a window with one ``memcpy``: twice the speed of the rows of a
    2-D view of the windows (`sliding_window_view`'s), which numpy walks a byte at a time."""
    return np.ndarray((len(data) - width + 1,), f"V{width}", data, 0, (1,))


def rows_at(data: np.ndarray, starts: np.ndarray, width: int) -> np.ndarray:
    """The ``width`` bytes at each of ``starts`` (none past ``len(data) - width``), a row each
    (a copy)."""
    picked = windows(data, width)[starts]
    return picked.view(np.uint8).reshape(len(picked), width)


def holds_at(data: bytes, offsets: np.ndarray, needle: bytes) -> np.ndarray:
    """Whether ``data`` holds ``needle`` at each of ``offsets`` (none past ``len(data) -
    len(needle)``): the bytes at every offset compared at once as fixed-width strings."""
    windows = np.ndarray((len(data) - len(needle) + 1,), f"S{len(needle)}", data, strides=(1,))
    return windows[offsets] == needle
