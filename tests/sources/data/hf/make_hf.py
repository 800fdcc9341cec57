"""Train a tiny BERT with the transformers Trainer and keep what it wrote.

Run from this directory with the framework venv (no downloads, the model is built from a config):

    HF_HUB_OFFLINE=1 /work/fw-venv/bin/python make_hf.py > trainer_stdout.log 2>&1

Keeps ``trainer_state.json`` of the output dir and ``checkpoint-10_trainer_state.json`` (the
snapshot saved after the first epoch); the captured stdout + stderr (dict lines between tqdm
bars) is ``trainer_stdout.log``.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import numpy as np
import torch
from transformers import BertConfig, BertForSequenceClassification, Trainer, TrainingArguments

HERE = Path(__file__).parent


class Synthetic(torch.utils.data.Dataset):
    """Token ids whose label is whether token 7 occurs: learnable, so the loss moves."""

    def __init__(self, n: int, seed: int) -> None:
        g = torch.Generator().manual_seed(seed)
        self.ids = torch.randint(1, 100, (n, 12), generator=g)
        self.labels = (self.ids == 7).any(dim=1).long()

    def __len__(self) -> int:
        return len(self.ids)

    def __getitem__(self, i: int) -> dict:
        return {"input_ids": self.ids[i], "labels": self.labels[i]}


def accuracy(pred) -> dict:
    return {"accuracy": float((np.argmax(pred.predictions, axis=-1) == pred.label_ids).mean())}


def main() -> None:
    torch.manual_seed(0)
    config = BertConfig(
        vocab_size=100, hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
        intermediate_size=32, num_labels=2,
    )
    model = BertForSequenceClassification(config)
    with tempfile.TemporaryDirectory() as out:
        args = TrainingArguments(
            output_dir=out, num_train_epochs=3, per_device_train_batch_size=4,
            per_device_eval_batch_size=8, learning_rate=5e-3, logging_steps=2,
            eval_strategy="epoch", save_strategy="epoch", report_to=[], use_cpu=True,
            seed=0, disable_tqdm=False,
        )
        trainer = Trainer(
            model=model, args=args, train_dataset=Synthetic(40, 1),
            eval_dataset=Synthetic(16, 2), compute_metrics=accuracy,
        )
        trainer.train()
        trainer.state.save_to_json(str(HERE / "trainer_state.json"))
        shutil.copy(Path(out) / "checkpoint-10" / "trainer_state.json",
                    HERE / "checkpoint-10_trainer_state.json")


if __name__ == "__main__":
    main()
