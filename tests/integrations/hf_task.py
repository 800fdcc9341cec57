"""The task of the transformers tests: a one-layer BERT made from a BertConfig (no download, no
tokenizer) learning whether token 7 occurs in 8 random token ids."""

from __future__ import annotations

import torch
import transformers

SAMPLES, LENGTH, BATCH_SIZE = 32, 8, 8  # 4 steps per epoch


class Tokens(torch.utils.data.Dataset):
    """Random token ids; the label says whether token 7 occurs, so there is something to learn."""

    def __init__(self, count: int, seed: int) -> None:
        generator = torch.Generator().manual_seed(seed)
        self.ids = torch.randint(1, 100, (count, LENGTH), generator=generator)
        self.labels = (self.ids == 7).any(dim=1).long()

    def __len__(self) -> int:
        return len(self.ids)

    def __getitem__(self, index: int) -> dict:
        return {
            "input_ids": self.ids[index],
            "attention_mask": torch.ones(LENGTH, dtype=torch.long),
            "labels": self.labels[index],
        }


def make_trainer(
    output_dir, callback, run_name: str | None = None, *, logging_steps: int = 2, epochs: int = 2,
    accumulation: int = 1, disable_tqdm: bool = True,
) -> transformers.Trainer:  # fmt: skip
    """4 batches an epoch; evaluated at each epoch's end."""
    transformers.set_seed(0)
    config = transformers.BertConfig(
        vocab_size=100,
        hidden_size=16,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=32,
        max_position_embeddings=16,
    )
    args = transformers.TrainingArguments(
        output_dir=str(output_dir), num_train_epochs=epochs, per_device_train_batch_size=BATCH_SIZE,
        per_device_eval_batch_size=BATCH_SIZE, learning_rate=1e-3, logging_steps=logging_steps,
        gradient_accumulation_steps=accumulation, eval_strategy="epoch", save_strategy="no", report_to=[],
        use_cpu=True, disable_tqdm=disable_tqdm, seed=0, run_name=run_name,
    )  # fmt: skip
    return transformers.Trainer(
        model=transformers.BertForSequenceClassification(config), args=args,
        train_dataset=Tokens(SAMPLES, 1), eval_dataset=Tokens(16, 2), callbacks=[callback],
    )  # fmt: skip


