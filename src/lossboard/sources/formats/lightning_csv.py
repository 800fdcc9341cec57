"""PyTorch Lightning ``CSVLogger`` files (``version_N/metrics.csv``): sparse rows by step.

Each ``log_metrics`` call writes one row holding only what was logged then, so train, val
and test values sit on different rows that may share a step::

    epoch,step,test_loss,train_loss,val_accuracy,val_loss
    4,8549,,0.021989192813634872,,
    5,8595,,,0.996399998664856,0.01422041654586792
    5,8595,0.0322248712182045,,,

Every non-empty cell is a point at its row's ``step`` (global optimizer steps) with the row's
``epoch`` (0-based), so rows merge by step. Names, by the suffix ``self.log`` adds when
both ``on_step`` and ``on_epoch`` are set:

* ``train_loss_step`` - one batch's value: ``train_batch/loss`` (``val_loss_step`` has no
  batch split to go to and becomes ``val/loss_step``);
* ``train_loss_epoch``, ``acc_epoch`` - the epoch mean: ``train/loss``, ``train/accuracy``;
* no suffix (``train_loss``, ``val_accuracy``, ``test_loss``) - as `lossboard.tags.canonical`
  says, whatever granularity the user logged;
* ``lr-SGD`` from ``LearningRateMonitor`` - ``opt/lr-SGD``.
"""

from __future__ import annotations

from lossboard.model import Item, Meta
from lossboard.sources.formats import _table
from lossboard.sources.formats.sniffers.lightning_csv import sniff as sniff
from lossboard.tags import BATCH, canonical, split_of

NAME = "lightning-csv"
CHUNK_BYTES = _table.CHUNK_BYTES  # rows go to pyarrow 4 MB at a time


class Parser(_table.TableParser):
    """A Lightning metrics.csv; see the module docstring for the names."""

    def tag(self, name: str) -> str | None:
        if name in ("step", "epoch"):
            return None
        if name.startswith("lr-"):
            return f"opt/{name}"
        if name.endswith("_epoch") and len(name) > 6:
            return canonical(name[:-6])
        if name.endswith("_step") and len(name) > 5:
            tag = canonical(name[:-5], BATCH)
            return tag if split_of(tag) == BATCH else f"{tag}_step"
        return canonical(name)

    def describe(self, names: list[str]) -> list[Item]:
        return [Meta("framework", "lightning")]
