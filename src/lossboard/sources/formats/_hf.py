"""What one Hugging Face Trainer log entry means, shared by trainer_state.json and stdout.

The Trainer logs three kinds of dict, in ``trainer_state.json``'s ``log_history`` and printed
on stdout alike:

* train: ``{'loss': 0.6931, 'grad_norm': 1.23, 'learning_rate': 4.5e-05, 'epoch': 0.5}``;
* eval: ``{'eval_loss': 0.39, 'eval_accuracy': 0.82, 'eval_runtime': 3.27, 'epoch': 1.0}``;
* the summary at the end: ``{'train_runtime': 5938.5, 'train_loss': 0.307, 'epoch': 100.0}``.

Train and eval names go through `tags.canonical` (``loss`` -> ``train/loss``, ``eval_loss`` ->
``val/loss``, ``learning_rate`` -> ``opt/lr``). Timing and throughput names become ``perf/``
tags (``eval_runtime`` -> ``perf/eval_runtime_s``). Every value of the summary is a point
under the ``summary`` label with its printed name (``summary/train_loss``,
``summary/train_runtime``): its ``train_loss`` is a mean over the whole run, not the loss of
a step, so it must never share a label with the per-step ``loss``. The summary values are
also the run's `Meta` (``train_loss``, ``train_runtime``...).
"""

from __future__ import annotations

import math
from functools import lru_cache

from lossboard import tags
from lossboard.model import Item, Meta, Point
from lossboard.sources.formats._jsonlines import not_a_number

# keys that say where a value belongs rather than being one
POSITION = frozenset(("epoch", "step"))
# keys only the end-of-training summary entry has
_SUMMARY = frozenset(("train_runtime", "train_loss", "train_samples_per_second"))
# timing suffix -> perf metric suffix
_PERF = (("_runtime", "_runtime_s"), ("_samples_per_second", "_samples_per_sec"),
         ("_steps_per_second", "_steps_per_sec"))


def is_summary(entry: dict) -> bool:
    return not _SUMMARY.isdisjoint(entry)


def summary_tag(name: str) -> str:
    """The label of a summary value: ``train_loss`` -> ``summary/train_loss``."""
    return f"summary/{name}"


@lru_cache(maxsize=1024)  # a run logs the same few names thousands of times
def tag_of(name: str) -> str:
    """The canonical tag of a logged name: ``eval_runtime`` -> ``perf/eval_runtime_s``."""
    for suffix, perf in _PERF:
        if name.endswith(suffix):
            return f"perf/{name[: -len(suffix)]}{perf}"
    return tags.canonical(name)


def number(value: object) -> float | None:
    """A logged value as a float: numbers, and numbers written as strings (newer stdout)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


def entry_items(entry: dict, step: int, epoch: float | None, line: int) -> list[Item]:
    """The records of one log entry placed at ``step``; a non-number value is a `Problem`."""
    items: list[Item] = []
    summary = is_summary(entry)
    for name, raw in entry.items():
        if name in POSITION:
            continue
        value = number(raw)
        if value is None:
            items.append(not_a_number(line, name, raw))
        elif summary:
            items.append(Point(summary_tag(name), name, step, value, epoch))
            items.append(Meta(name, raw if isinstance(raw, str) else repr(value)))
        else:
            items.append(Point(tag_of(name), name, step, value, epoch))
    return items


def epoch_of(entry: dict) -> float | None:
    """The fractional epoch of an entry as logged (``2.7199999999999998`` stays as it is)."""
    value = number(entry.get("epoch"))
    return value if value is None or math.isfinite(value) else None
