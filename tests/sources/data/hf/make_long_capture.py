"""Capture a Trainer console long enough for the fast path: one dict per optimizer step.

Run from this directory, through a pipe:

    HF_HUB_OFFLINE=1 python make_long_capture.py long_pipe.json > long_pipe.log 2>&1

A tiny BERT built from a config (no downloads) trains 3 epochs of 100 steps with
``logging_steps=1`` and an evaluation each epoch, so the log is long runs of the training
bar redrawn, cleared and a dict (`_hf_fast`'s bar-and-dict lines) between evaluation bars.
The Trainer's own ``log_history`` goes to the JSON file named on the command line.
"""

from __future__ import annotations

import json
import sys
import tempfile

import torch
from make_hf import Synthetic, accuracy  # the same task as trainer_state.json's run (this folder)
from transformers import BertConfig, BertForSequenceClassification, Trainer, TrainingArguments


def main(truth_path: str) -> None:
    torch.manual_seed(0)
    config = BertConfig(vocab_size=100, hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
                        intermediate_size=32, num_labels=2)
    with tempfile.TemporaryDirectory() as out:
        args = TrainingArguments(
            output_dir=out, num_train_epochs=3, per_device_train_batch_size=4,
            per_device_eval_batch_size=8, learning_rate=5e-3, logging_steps=1,
            eval_strategy="epoch", save_strategy="no", report_to=[], use_cpu=True, seed=0,
            disable_tqdm=False,
        )
        trainer = Trainer(model=BertForSequenceClassification(config), args=args,
                          train_dataset=Synthetic(400, 1), eval_dataset=Synthetic(16, 2),
                          compute_metrics=accuracy)
        trainer.train()
    with open(truth_path, "w") as file:
        json.dump(trainer.state.log_history, file, indent=1)


if __name__ == "__main__":
    main(sys.argv[1])
