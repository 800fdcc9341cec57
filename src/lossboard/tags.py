"""Canonical tags: turn what a framework printed into ``split/metric``.

``Train-accuracy``, ``acc``, ``train_acc`` and ``Acc@1`` all become ``train/accuracy``;
``val_loss`` and ``eval_loss`` become ``val/loss``; ``lr`` and ``learning_rate`` become
``opt/lr``. Names nobody taught us keep their own spelling under the split they were given,
so nothing is lost: ``train/my_metric``. A name the user namespaced keeps its namespace and gets
no split it does not name: ``Loss/train`` is ``train/loss``, ``hparam/accuracy`` stays
``hparam/accuracy``. A canonical tag groups series; it never merges them (`lossboard.model`
keeps ``Loss/train`` and ``train_loss`` apart although both are ``train/loss``). Batch-level values (Speedometer windows, progress-bar
running averages) live under the ``train_batch`` split, apart from the epoch-level values.
"""

from __future__ import annotations

import re
from functools import lru_cache

TRAIN = "train"
VAL = "val"
TEST = "test"
BATCH = "train_batch"

# printed prefix -> split; longest prefixes first so "validation_" wins over "val_"
_SPLIT_PREFIXES = (
    ("validation-", VAL),
    ("validation_", VAL),
    ("validation/", VAL),
    ("validation ", VAL),
    ("training-", TRAIN),
    ("training_", TRAIN),
    ("training/", TRAIN),
    ("training ", TRAIN),
    ("train-", TRAIN),
    ("train_", TRAIN),
    ("train/", TRAIN),
    ("valid_", VAL),
    ("valid/", VAL),
    ("eval_", VAL),
    ("eval/", VAL),
    ("train ", TRAIN),
    ("test-", TEST),
    ("test_", TEST),
    ("test/", TEST),
    ("test ", TEST),
    ("val-", VAL),
    ("val_", VAL),
    ("val/", VAL),
    ("val ", VAL),
)
# a namespace part that names a split: "Loss/train", "Accuracy/val"
_SPLIT_WORDS = {
    "train": TRAIN,
    "training": TRAIN,
    "val": VAL,
    "valid": VAL,
    "validation": VAL,
    "eval": VAL,
    "test": TEST,
}

# metric spellings -> canonical metric name
_METRICS = {
    "acc": "accuracy",
    "accuracy": "accuracy",
    "acc@1": "accuracy",
    "acc1": "accuracy",
    "top1": "accuracy",
    "top-1": "accuracy",
    "acc-top1": "accuracy",
    "top1_acc": "accuracy",
    "prec@1": "accuracy",
    "acc@5": "top_k_accuracy_5",
    "acc5": "top_k_accuracy_5",
    "top5": "top_k_accuracy_5",
    "top-5": "top_k_accuracy_5",
    "acc-top5": "top_k_accuracy_5",
    "top5_acc": "top_k_accuracy_5",
    "prec@5": "top_k_accuracy_5",
    "loss": "loss",
    "cross-entropy": "cross-entropy",
    "cross_entropy": "cross-entropy",
    "ce": "cross-entropy",
}

# names that are not a split's metric at all
_SPECIAL = {
    "lr": "opt/lr",
    "learning_rate": "opt/lr",
    "learning-rate": "opt/lr",
    "speed": "perf/samples_per_sec",
    "samples/sec": "perf/samples_per_sec",
    "samples_per_sec": "perf/samples_per_sec",
    "samples_per_second": "perf/samples_per_sec",
    "grad_norm": "opt/grad_norm",
    "time cost": "perf/epoch_time_s",
    "time_cost": "perf/epoch_time_s",
    "epoch_time": "perf/epoch_time_s",
}

_UNSAFE = re.compile(r"\s+")
# splits whose tags no framework prints by itself (train/val/test tags are re-read normally)
_CANONICAL_HEADS = frozenset({BATCH, "val_batch", "opt", "perf"})


@lru_cache(maxsize=4096)
def canonical(source_tag: str, split: str | None = None) -> str:
    """The canonical ``split/metric`` tag of a printed metric name.

    ``split`` is what the context says (a validation line, a batch line); a split spelled in
    the name itself (``val_acc``) wins over it, except that batch-level stays batch-level.

    >>> canonical("Validation-accuracy")
    'val/accuracy'
    >>> canonical("accuracy", split="train_batch")
    'train_batch/accuracy'
    >>> canonical("Loss/train"), canonical("hparam/accuracy")
    ('train/loss', 'hparam/accuracy')
    """
    name = source_tag.strip()
    head, slash, rest = name.partition("/")
    if slash and rest and head in _CANONICAL_HEADS:
        return name  # already canonical: a writer's tag read back must not change
    if slash and rest and "/" not in rest and head.lower() not in _SPLIT_WORDS:
        if rest.lower() in _SPLIT_WORDS:  # "Loss/train": the split is the last part
            return canonical(f"{rest}/{head}", split)
        if split is None:  # "hparam/accuracy": the user's namespace, no split to invent
            return name
    lowered = name.lower()
    special = _SPECIAL.get(lowered)
    if special is not None:
        return special
    found_split = None
    for prefix, prefix_split in _SPLIT_PREFIXES:
        if lowered.startswith(prefix) and len(lowered) > len(prefix):
            found_split = prefix_split
            name = name[len(prefix) :]
            lowered = lowered[len(prefix) :]
            break
    special = _SPECIAL.get(lowered)
    if special is not None:
        return special
    if split == BATCH and found_split in (None, TRAIN):
        found_split = BATCH
    metric = _METRICS.get(lowered) or _UNSAFE.sub("_", name)
    return f"{found_split or split or TRAIN}/{metric}"


def split_of(tag: str) -> str:
    return tag.partition("/")[0]


def metric_of(tag: str) -> str:
    return tag.partition("/")[2]
