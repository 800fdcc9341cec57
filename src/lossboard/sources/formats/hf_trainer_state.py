"""Hugging Face Trainer ``trainer_state.json``: the run's whole log history in one document.

What the file looks like (``checkpoint-500/trainer_state.json``, shortened)::

    {"best_metric": 0.7639023065567017, "global_step": 500, "max_steps": 1170,
     "log_history": [
       {"epoch": 1.28, "learning_rate": 2.863247863247863e-05, "loss": 0.6628, "step": 500},
       {"epoch": 1.28, "eval_accuracy": 0.8256410256410256, "eval_loss": 0.76, "step": 500}]}

Each ``log_history`` entry is placed at its own ``step`` with its ``epoch`` kept exactly as
written; what each key becomes is in `_hf`. The top-level facts (``best_metric``,
``best_model_checkpoint``, ``global_step``, ``max_steps``...) become `Meta` records. The file
is only valid when complete, so it is parsed at `close` (with orjson); invalid JSON (a Git LFS pointer
committed under this name, a file cut short) is one `Problem` naming the line and column.
"""

from __future__ import annotations

import json

from lossboard.model import Item, Meta, Problem
from lossboard.sources.formats import _hf
from lossboard.sources.formats._jsonlines import loads
from lossboard.sources.formats._lines import DocumentParser
from lossboard.sources.formats.sniffers.hf_trainer_state import sniff as sniff

NAME = "hf-trainer-state"

_META_KEYS = ("best_metric", "best_model_checkpoint", "best_global_step", "global_step",
              "max_steps", "num_train_epochs", "logging_steps", "eval_steps", "save_steps",
              "train_batch_size")


def _json_problem(text: str, exc: json.JSONDecodeError) -> Problem:
    where = f"line {exc.lineno} column {exc.colno}"
    if text.startswith("version https://git-lfs"):
        return Problem(1, "not JSON but a Git LFS pointer (the real file was never fetched)")
    return Problem(exc.lineno, f"not valid JSON at {where}: {exc.msg}; file skipped")


class Parser(DocumentParser):
    """The whole document at `close`: Meta facts first, then every log entry in order."""

    def parse_document(self, text: str) -> list[Item]:
        try:
            state = loads(text)
        except json.JSONDecodeError as exc:
            return [_json_problem(text, exc)]
        if not isinstance(state, dict) or not isinstance(state.get("log_history"), list):
            return [Problem(1, 'no "log_history" list: not a Trainer state; file skipped')]
        items: list[Item] = [Meta("framework", "transformers")]
        items.extend(Meta(key, str(state[key])) for key in _META_KEYS
                     if state.get(key) is not None)
        for index, entry in enumerate(state["log_history"]):
            step = entry.get("step") if isinstance(entry, dict) else None
            if not isinstance(step, int) or isinstance(step, bool):
                items.append(Problem(0, f"log_history[{index}] has no integer step; skipped"))
                continue
            items.extend(_hf.entry_items(entry, step, _hf.epoch_of(entry), 0))
        return items
