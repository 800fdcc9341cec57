"""Generic key=value prints (the ``keyvalue`` id, read by the ``prints`` pipeline), and the
detection boundaries between this part's formats."""

from __future__ import annotations

from pathlib import Path

import pytest

from lossboard.sources.formats import caffe, keyvalue, prints, pytorch, tqdm
from tests.sources.helpers import events, parse_path, parse_text, points, values

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


def test_step_within_epoch_counts_on_from_the_first_epoch_printed() -> None:
    items = parse_text("keyvalue", "Epoch [1/10], Step [100/600], Loss: 0.2153\n")
    [point] = points(items, "train_batch/loss")
    # epochs printed from 1: (1 - 1) * 600 + 100; the epoch as printed plus the fraction
    assert point.step == 100 and point.epoch == pytest.approx(1 + 100 / 600)
    items = parse_text(
        "keyvalue", "epoch [0/10] step [100/600] loss: 0.3\nepoch [1/10] step [100/600] loss: 0.2\n"
    )
    assert [p.step for p in points(items, "train_batch/loss")] == [100, 700]  # printed from 0


def test_what_is_not_ours() -> None:
    # MXNet's "Epoch[3]" has no separator: not a counter, and nothing set a context before it
    text = "Epoch[3] Train-accuracy=0.5\nloss=0.3 acc=0.9\nname=resnet epoch=1\n"
    assert points(parse_text("keyvalue", text)) == []


def test_pairs_without_separator_need_a_counter_and_nothing_else_on_the_line() -> None:
    items = parse_text("keyvalue", "iter 100: loss 0.25\nmodel has 12 layers and 3 heads\n")
    assert [(p.tag, p.step, p.value) for p in points(items)] == [("train_batch/loss", 100, 0.25)]


@pytest.mark.parametrize("chunk", [1, 2, 5, 4096])
def test_chunking_does_not_matter(chunk: int) -> None:
    text = LINES.replace("\n", "\r\n") * 3
    assert parse_text("keyvalue", text, chunk=chunk) == parse_text("keyvalue", text)


def test_failed_start_gives_no_metrics(corpus) -> None:
    path = corpus / "edge-cases/densenet-mxnet_failed_start_train_20180307.log"
    assert parse_path("keyvalue", path) == []
    assert prints.sniff(path.read_text(), path.name) == 0.0


def test_detection_names_prints_never_keyvalue() -> None:
    assert keyvalue.sniff(LINES * 2, "out.txt") == 0.0
    assert prints.sniff(LINES * 2, "out.txt") == 0.55
    assert prints.sniff("epoch=1 loss=0.5\n", "out.txt") == 0.0  # a single line is not enough


# which of this part's formats owns each file; every other format must stay below 0.2 on it,
# except that a bar is a bar: tqdm may like a mixed log, as long as prints (or pytorch, for the
# example's lines with a script's bars among them) likes it more
_OWNERS = {
    "caffe": caffe,
    "pytorch/": pytorch,
    "tqdm/": tqdm,
    "lightning/tqdm_": tqdm,
    "mixed-tqdm-print/": prints,
    "header-epoch/": prints,
    "data/mixed/": prints,
}
# files other parts own, where this part's formats have not been tuned yet (a Keras capture
# with a script's tqdm bar in it is a bar to tqdm too; test_keras_mixed checks it is Keras's)
_OTHER_PARTS = ("pytorch-imagenet/", "gluoncv/", "mmengine-log/", "keras/mixed_")


def _logs(corpus: Path, data: Path) -> dict[str, Path]:
    """Each log by its name inside its root ("corpus/…", "data/…"), which the keys above match:
    the checkout's own path may hold any of them (a worktree called "lb-caffe")."""
    found = {
        f"corpus/{p.relative_to(corpus).as_posix()}": p
        for p in corpus.rglob("*")
        if p.is_file() and p.name != "MANIFEST.md"
    }
    found |= {
        f"data/{p.relative_to(data).as_posix()}": p
        for p in data.rglob("*")
        if p.is_file() and p.suffix not in (".py", ".md")
    }
    return {name: found[name] for name in sorted(found) if not any(part in name for part in _OTHER_PARTS)}


def test_sniffs_claim_only_their_own_files(corpus, data) -> None:
    for name, path in _logs(corpus, data).items():
        head = path.read_bytes()[:65536].decode("utf-8", errors="replace")
        owner = next((m for key, m in _OWNERS.items() if key in name), None)
        scores = {module: module.sniff(head, path.name) for module in (caffe, pytorch, tqdm, prints)}
        for module, score in scores.items():
            if module is owner:
                assert score >= 0.5 and score == max(scores.values()), (module.NAME, path)
            elif not (owner in (prints, pytorch) and module is tqdm):
                assert score < 0.2, (module.NAME, path)


def test_batches_counted_within_each_epoch_keep_a_step_each():
    """Issue 8: "a key=value log with two batches on one computed step keeps only one"."""
    text = "".join(
        f"epoch={e} batch={b} loss={0.9 - e * 0.3 - b / 100:.2f}\n" for e in (0, 1) for b in (0, 10, 20)
    )
    items = parse_text("prints", text)
    loss = points(items, "train_batch/loss")
    # an epoch holds its last printed batch plus one interval: 30 batches
    assert [(p.step, p.value) for p in loss] == [
        (0, 0.9),
        (10, 0.8),
        (20, 0.7),
        (30, 0.6),
        (40, 0.5),
        (50, 0.4),
    ]
    assert [p.epoch for p in loss] == [0.0, 0.0, 0.0, 1.0, 1.0, 1.0]
    assert not events(items)
