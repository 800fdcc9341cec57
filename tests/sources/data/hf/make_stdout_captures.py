"""Capture the console output of two Trainer.train() calls and an evaluate() in one script.

Run from this directory, once through a pipe and once through a pseudo-terminal:

    HF_HUB_OFFLINE=1 python make_stdout_captures.py two_trains_pipe.json > two_trains_pipe.log 2>&1
    HF_HUB_OFFLINE=1 script -q -e -c "stty cols 120 rows 40; python make_stdout_captures.py two_trains_pty.json" two_trains_pty.log

(A pseudo-terminal made without a window has 0 columns, and tqdm draws no bar in 0 columns.)

The script trains a tiny BERT built from a config (no downloads) for 2 epochs, calls
``evaluate()``, then trains a second, fresh model for 1 epoch in the same process: the
situation of corpus file 37 (pre-training, then fine-tuning). The Trainers' own
``log_history`` lists and the evaluate() result go to the JSON file named on the command
line, the ground truth the tests compare the captured text with.
"""

from __future__ import annotations

import json
import sys
import tempfile

import torch
from make_hf import Synthetic, accuracy  # the same task as trainer_state.json's run (this folder)
from transformers import BertConfig, BertForSequenceClassification, Trainer, TrainingArguments


def trainer(out: str, epochs: int, logging_steps: int, seed: int) -> Trainer:
    torch.manual_seed(seed)
    config = BertConfig(vocab_size=100, hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
                        intermediate_size=32, num_labels=2)
    args = TrainingArguments(
        output_dir=out, num_train_epochs=epochs, per_device_train_batch_size=4,
        per_device_eval_batch_size=8, learning_rate=5e-3, logging_steps=logging_steps,
        eval_strategy="epoch", save_strategy="no", report_to=[], use_cpu=True, seed=seed,
        disable_tqdm=False,
    )
    return Trainer(model=BertForSequenceClassification(config), args=args,
                   train_dataset=Synthetic(40, 1), eval_dataset=Synthetic(16, 2),
                   compute_metrics=accuracy)


def main(truth_path: str) -> None:
    with tempfile.TemporaryDirectory() as out:
        first = trainer(out, epochs=2, logging_steps=3, seed=0)
        first.train()
        evaluated = first.evaluate()
        print("first model evaluated:", evaluated["eval_accuracy"])
        second = trainer(out, epochs=1, logging_steps=2, seed=1)
        second.train()
    with open(truth_path, "w") as file:
        json.dump({"first": first.state.log_history, "second": second.state.log_history,
                   "evaluate": evaluated}, file, indent=1)


if __name__ == "__main__":
    main(sys.argv[1])
