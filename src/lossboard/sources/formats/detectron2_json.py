"""detectron2 ``metrics.json``: one JSON object per logging window, appended by JSONWriter.

What a line looks like (corpus file 23, shortened)::

    {"data_time": 0.0088, "eta_seconds": 5065.55, "fast_rcnn/cls_accuracy": 0.39453125,
     "iteration": 19, "loss_cls": 0.7278757691383362, "lr": 1.60675e-05, "time": 18.09,
     "total_loss": 2.0359768134658225}

``iteration`` (0-based, the last iteration of the window) is the step; there are no epochs.
Names: ``lr`` -> ``opt/lr``; timings (``time``, ``data_time``, ``eta_seconds``) -> ``perf/..._s``;
evaluation results (``bbox/AP``, ``segm/AP50``, ``sem_seg/mIoU``...) -> ``val/bbox/AP``; every
other name is a training value kept as spelled under ``train/`` (``total_loss`` ->
``train/total_loss``, ``fast_rcnn/cls_accuracy`` -> ``train/fast_rcnn/cls_accuracy``). A
resumed run appends to the same file, so an iteration lower than the one before is an
`Event(RESUME)`.
"""

from __future__ import annotations

from lossboard import tags
from lossboard.model import RESUME, Event, Item, Point, Problem
from lossboard.sources.formats._jsonlines import as_float, not_a_number, read_object
from lossboard.sources.formats._lines import LineParser
from lossboard.sources.formats.sniffers.detectron2_json import sniff as sniff

NAME = "detectron2-json"

_PERF = {
    "time": "perf/time_s",
    "last_time": "perf/last_time_s",
    "data_time": "perf/data_time_s",
    "last_data_time": "perf/last_data_time_s",
    "rank_data_time": "perf/rank_data_time_s",
    "eta_seconds": "perf/eta_s",
}
# prefixes of the names evaluators put into the event storage
_EVAL_PREFIXES = ("bbox/", "segm/", "keypoints/", "sem_seg/", "panoptic_seg/", "box_proposals/")


def tag_of(name: str) -> str:
    """The canonical tag of a detectron2 storage name; shared with the text log."""
    perf = _PERF.get(name)
    if perf is not None:
        return perf
    if name.startswith(_EVAL_PREFIXES):
        return f"{tags.VAL}/{name}"
    return tags.canonical(name, tags.TRAIN)


class Parser(LineParser):
    def __init__(self) -> None:
        super().__init__()
        self._last = -1

    def parse_lines(self, first: int, lines: list[str]) -> list[Item]:
        items: list[Item] = []
        for number, line in enumerate(lines, first):
            entry = read_object(number, line)
            if entry is None or type(entry) is Problem:
                items.extend(() if entry is None else (entry,))
                continue
            step = entry.get("iteration")
            if not isinstance(step, int) or isinstance(step, bool):
                items.append(Problem(number, 'no integer "iteration"; line skipped'))
                continue
            if step < self._last:
                items.append(Event(RESUME, step))
            self._last = step
            for name, raw in entry.items():
                if name == "iteration":
                    continue
                value = as_float(raw)
                if value is None:
                    items.append(not_a_number(number, name, raw))
                else:
                    items.append(Point(tag_of(name), name, step, value))
        return items
