"""Line prefixes are stripped down to the message, and only prefixes: one case per shape seen in
real logs (corpus files 41, 42, 44, 51 and the issue's examples)."""

from __future__ import annotations

import pytest

from lossboard.sources.formats._prefixes import strip_prefixes


@pytest.mark.parametrize(
    ("line", "message"),
    [
        # logging's "%(asctime)s - %(name)s - %(levelname)s - %(message)s" (file 41)
        ("2025-05-14 16:02:53,777 - ResNet_train - INFO - Epoch [1/25], Training Loss: 4.6271",
         "Epoch [1/25], Training Loss: 4.6271"),
        # "%(asctime)s|%(levelname)8s| %(message)s" (file 42)
        ("2025-04-26 21:55:25,178|    INFO| Train: STEP 50 - EPOCH 1/1000", "Train: STEP 50 - EPOCH 1/1000"),
        ("2025-01-01 12:00:00 - INFO - Epoch 1:  40%|####", "Epoch 1:  40%|####"),
        ("INFO:root:Epoch [1/6], Step [10/161], Loss: 0.5517", "Epoch [1/6], Step [10/161], Loss: 0.5517"),  # 44
        ("I0711 14:22:23.125147  1274 solver.cpp:228] Iteration 100, loss = 0.2", "Iteration 100, loss = 0.2"),
        ("[07:18:39] Node[0] Epoch[3] Train-accuracy=0.5", "Epoch[3] Train-accuracy=0.5"),
        ("train.py[line:175] INFO: epoch 3 loss: 0.25", "epoch 3 loss: 0.25"),
        ("[DEBUG] Max prob: 1.0000", "Max prob: 1.0000"),
        ("WARNING:lightning.pytorch:loss: 0.3", "loss: 0.3"),
    ],
)
def test_prefixes_are_stripped_to_the_message(line: str, message: str) -> None:
    assert strip_prefixes(line) == message


@pytest.mark.parametrize(
    "line",
    [
        "Epoch 3 loss: 0.5",
        "Training Loss: 4.290 | Acc: 4.360% (2180/50000)",
        "2025 was a good year: loss 0.5",  # a year alone is no timestamp
        "Information: 3 files",
        "",
    ],
)
def test_messages_without_a_prefix_are_left_alone(line: str) -> None:
    assert strip_prefixes(line) == line
