"""Keras ``CSVLogger`` files (default name ``training.log``), one row per epoch.

The first column is ``epoch``, 0-based; the others are the metric names sorted, written by
Python's ``csv`` module (CRLF line ends, floats in full repr, Python 2's 12 digits in old
files), for example::

    epoch,acc,loss,lr,val_acc,val_loss
    1,0.51506964457252646,1.3398420827494879,0.001,0.54120000000000001,1.2629557296752929

Epochs are read one higher than written: CSVLogger's 0-based row ``0`` is what stdout prints
as ``Epoch 1/N`` and the Keras callback records as epoch 1, so the three overlay by epoch.
The file holds no batch count, so the step is that epoch too (it cannot match the global
step of stdout and the callback; plot by epoch to overlay them).

Names map through `lossboard.tags.canonical` (``acc`` and ``accuracy`` are ``train/accuracy``,
``lr`` and ``learning_rate`` are ``opt/lr``). A metric missing from an epoch is written
``NA``: no value, not a problem. ``append=True`` after a restart shows as a `RESUME`.
"""

from __future__ import annotations

from lossboard.model import Item, Meta
from lossboard.sources.formats import _table
from lossboard.sources.formats.sniffers.keras_csv import sniff as sniff

NAME = "keras-csv"
CHUNK_BYTES = _table.CHUNK_BYTES  # rows go to pyarrow 4 MB at a time


class Parser(_table.TableParser):
    """A CSVLogger file; rows are epochs, step = epoch, both as Keras prints them (1-based)."""

    missing = frozenset({"", "NA"})
    counter_offset = 1  # the ``epoch`` cell, the only counter CSVLogger writes, made 1-based

    def describe(self, names: list[str]) -> list[Item]:
        return [Meta("framework", "keras")]
