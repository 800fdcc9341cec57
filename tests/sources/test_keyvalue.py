"""The generic key=value fallback, and the detection boundaries between this part's formats."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from lossboard.model import RESUME
from lossboard.sources.formats import caffe, keyvalue, pytorch, tqdm
from tests.sources.helpers import events, parse_path, parse_text, points, problems, values

LINES = (
    "epoch=3 step=1200 loss=0.412 lr=1e-3\n"
    "Epoch 3 | step 1300 | loss: 0.398 | acc: 0.9\n"
    "epoch: 3 Train Loss: 0.401 val_loss=0.45 Val Acc: 88.5%\n"
)


def test_step_lines_are_batch_level_and_epoch_lines_epoch_level() -> None:
    items = parse_text("keyvalue", LINES)
    assert [(p.step, p.value, p.epoch) for p in points(items, "train_batch/loss")] == [
        (1200, 0.412, 3.0),
        (1300, 0.398, 3.0),
    ]
    assert values(items, "opt/lr") == [1e-3]
    assert values(items, "train_batch/accuracy") == [0.9]
    # the epoch-only line sits at the last step seen
    assert [(p.step, p.value) for p in points(items, "train/loss")] == [(1300, 0.401)]
    assert values(items, "val/loss") == [0.45]
    assert values(items, "val/accuracy") == [88.5]


def test_epoch_only_file_uses_the_epoch_as_step() -> None:
    items = parse_text("keyvalue", "epoch 0: loss=0.9 acc=0.5\nepoch 1: loss=0.7 acc=0.6\n")
    assert [(p.step, p.value) for p in points(items, "train/loss")] == [(0, 0.9), (1, 0.7)]


def test_step_within_epoch_counts_on() -> None:
    items = parse_text("keyvalue", "Epoch [1/10], Step [100/600], Loss: 0.2153\n")
    [point] = points(items, "train_batch/loss")
    assert point.step == 700 and point.epoch == pytest.approx(1 + 100 / 600)


def test_what_is_not_ours() -> None:
    text = "iter 100: loss 0.25\nEpoch[3] Train-accuracy=0.5\nloss=0.3 acc=0.9\nname=resnet epoch=1\n"
    assert points(parse_text("keyvalue", text)) == []


def test_nan_malformed_and_restart() -> None:
    text = "step=10 loss=nan acc=inf\nstep=20 loss=0.4.1 grad=ok\nstep=5 loss=0.5\n"
    items = parse_text("keyvalue", text)
    loss = values(items, "train_batch/loss")
    assert math.isnan(loss[0]) and loss[1:] == [0.5]
    assert values(items, "train_batch/accuracy") == [math.inf]
    [problem] = problems(items)  # "grad=ok" is not a metric name, so not a problem
    assert problem.line == 2 and '"0.4.1"' in problem.message
    assert [e.step for e in events(items, RESUME)] == [5]


@pytest.mark.parametrize("chunk", [1, 2, 5, 4096])
def test_chunking_does_not_matter(chunk: int) -> None:
    text = LINES.replace("\n", "\r\n") * 3
    assert parse_text("keyvalue", text, chunk=chunk) == parse_text("keyvalue", text)


def test_failed_start_gives_no_metrics(corpus) -> None:
    path = corpus / "edge-cases/densenet-mxnet_failed_start_train_20180307.log"
    assert parse_path("keyvalue", path) == []
    assert keyvalue.sniff(path.read_text(), path.name) == 0.0


def test_detection_is_modest() -> None:
    assert keyvalue.sniff(LINES * 2, "out.txt") == 0.5
    assert keyvalue.sniff("epoch=1 loss=0.5\n", "out.txt") == 0.0  # a single line is not enough


# which of this part's formats owns each file; every other format must stay below 0.2 on it
_OWNERS = {"caffe": caffe, "pytorch/": pytorch, "tqdm/": tqdm, "lightning/tqdm_": tqdm}


def _logs(corpus: Path, data: Path) -> list[Path]:
    found = [p for p in corpus.rglob("*") if p.is_file() and p.name != "MANIFEST.md"]
    found += [p for p in data.rglob("*") if p.is_file() and p.suffix not in (".py", ".md")]
    return sorted(found)


def test_sniffs_claim_only_their_own_files(corpus, data) -> None:
    for path in _logs(corpus, data):
        head = path.read_bytes()[:65536].decode("utf-8", errors="replace")
        owner = next((m for key, m in _OWNERS.items() if key in path.as_posix()), None)
        for module in (caffe, pytorch, tqdm, keyvalue):
            score = module.sniff(head, path.name)
            if module is owner:
                assert score >= 0.8, (module.NAME, path)
            else:
                assert score < 0.2, (module.NAME, path)
