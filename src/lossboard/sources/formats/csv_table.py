"""Any CSV or TSV table with a header and an epoch or step column, one row per epoch or step.

Custom per-epoch loggers, timm's ``summary.csv`` and the like, for example::

    epoch,e,epoch time,acc,loss,val_acc,val_loss
    0,0,85.51612592,0.20869391,2.395206793,0.2979,1.957610391

The counter column gives the step (``step``/``iteration`` if present, else ``epoch``; the
global ``epoch`` wins over a per-stage ``e`` that resets). Every other numeric column is a
series named by `lossboard.tags.canonical` after spaces become underscores (``epoch time``
is ``perf/epoch_time_s``, ``eval_top1`` is ``val/accuracy``); text columns are ignored.
Tables that Keras, Lightning or YOLO wrote are left to their own formats.
"""

from __future__ import annotations

from lossboard.sources.formats import _table
from lossboard.sources.formats.sniffers.csv_table import sniff as sniff

NAME = "csv"
CHUNK_BYTES = _table.CHUNK_BYTES  # rows go to pyarrow 4 MB at a time


class Parser(_table.TableParser):
    """A header-led table; see `_table.TableParser`."""
