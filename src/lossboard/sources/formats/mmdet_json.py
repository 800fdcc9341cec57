"""mmdetection JSON logs: 2.x ``<timestamp>.log.json`` and mmengine (3.x) ``vis_data/scalars.json``.

What they look like (one object per line)::

    {"env_info": "sys.platform: linux ...", "config": "...", "seed": 0, "exp_name": "faster_rcnn.py"}
    {"mode": "train", "epoch": 1, "iter": 50, "lr": 0.0002, "memory": 3000, "data_time": 0.1, "loss_cls": 1.1, "loss": 1.7, "time": 0.5}
    {"mode": "val", "epoch": 1, "iter": 7330, "lr": 0.02, "bbox_mAP": 0.36, "bbox_mAP_copypaste": "0.360 0.580 ..."}

    {"lr": 0.02, "data_time": 0.01, "loss": 1.5, "loss_cls": 0.9, "time": 0.4, "epoch": 1, "iter": 50, "memory": 3000, "step": 50}
    {"coco/bbox_mAP": 0.36, "coco/bbox_mAP_50": 0.58, "data_time": 0.01, "time": 0.05, "step": 1}

2.x: ``iter`` counts inside the epoch; the step is the global iteration (see `_mmdet`), and a
``"mode": "val"`` line sits at the end of its epoch. mmengine: train lines carry the global
iteration as ``step``; a validation line has no ``iter`` and its ``step`` is the epoch number
(epoch-based runs), so it is placed at the last train step with that epoch. The first 2.x
line (environment and config) gives `Meta` for ``seed`` and ``exp_name``. A validation line
repeats the current learning rate; the training lines carry it, so the validation line's copy is
not read (at the end of an epoch both sit on one step, and the copy would replace the train
line's value).
"""

from __future__ import annotations

from lossboard import tags
from lossboard.model import RESUME, Event, Item, Meta, Point, Problem
from lossboard.sources.formats import _mmdet
from lossboard.sources.formats._jsonlines import as_float, not_a_number, read_object
from lossboard.sources.formats._lines import LineParser
from lossboard.sources.formats.sniffers.mmdet_json import sniff as sniff

NAME = "mmdet-json"


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


class Parser(LineParser):
    def __init__(self) -> None:
        super().__init__()
        self._clock = _mmdet.Clock()
        self._by_epoch = False  # mmengine train lines carry "epoch": val steps are epochs

    def parse_lines(self, first: int, lines: list[str]) -> list[Item]:
        items: list[Item] = []
        for number, line in enumerate(lines, first):
            entry = read_object(number, line)
            if type(entry) is dict:
                items.extend(self._entry(number, entry))
            elif entry is not None:
                items.append(entry)
        return items

    def _entry(self, number: int, entry: dict) -> list[Item]:
        if "env_info" in entry or "config" in entry:
            return [Meta("framework", "mmdetection")] + [
                Meta(key, str(entry[key])) for key in ("seed", "exp_name") if key in entry
            ]
        items: list[Item] = []
        epoch = _int(entry.get("epoch"))
        mode = entry.get("mode")
        it = _int(entry.get("iter")) if mode is not None else _int(entry.get("step"))
        if it is None:
            return [Problem(number, 'no integer "iter" or "step"; line skipped')]
        if mode == "train" or (mode is None and "iter" in entry):
            if mode is None:  # mmengine: "step" is already global
                self._by_epoch, epoch = epoch is not None, None
            step, fraction, resumed = self._clock.train(epoch, it)
            if resumed:
                items.append(Event(RESUME, step, fraction))
            split = tags.TRAIN
        else:
            split = tags.VAL
            if mode is not None and epoch is not None:  # 2.x: iter is the epoch's length
                self._clock.learn(it)
                step, fraction = self._clock.after_epoch(epoch), float(epoch)
            elif mode is None and self._by_epoch:  # mmengine: step is the epoch
                step, fraction = self._clock.last, float(it)
            else:
                step, fraction = it, None
        for name, raw in entry.items():
            tag = None if name in _mmdet.POSITION else _mmdet.tag_of(name, split)
            if tag is None or (split == tags.VAL and tag.startswith("opt/")):
                continue
            value = as_float(raw)
            if value is None:
                items.append(not_a_number(number, name, raw))
            else:
                items.append(Point(tag, name, step, value, fraction))
        return items
