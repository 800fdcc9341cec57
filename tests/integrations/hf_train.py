"""One Hugging Face Trainer run seen through its console, run by test_transformers_stdout.py as a
script so that its output goes through a pipe or a pseudo-terminal, as a user captures it.

Usage: python hf_train.py OUT_DIR LOGGING_STEPS EPOCHS ACCUMULATION [--no-bars]

Trains the tiny BERT of hf_task.py (no download) with ``eval_strategy="epoch"``,
the lossboard callback (``OUT_DIR/runs/stdout-run``) and ``save_state()``
(``OUT_DIR/trainer_state.json``). Mixed into the output, as a training script does: a
``print`` of a metric of its own at each epoch's end and a ``logging`` record with a value
(both at ``state.global_step``, listed with their values in ``OUT_DIR/prints.json``, the
truth the test compares with), and a dataset ``print`` before training (not a metric).
"""

from __future__ import annotations

import json
import logging
import os
import sys

import transformers

from lossboard.integrations.transformers import LossboardCallback

sys.path.insert(0, os.path.dirname(__file__))
from hf_task import make_trainer  # noqa: E402  (the task and the model, beside this file)

log = logging.getLogger("train")


class Prints(transformers.TrainerCallback):
    """A script's own output between the Trainer's dicts."""

    def __init__(self) -> None:
        self.printed: list[dict] = []

    def on_epoch_end(self, args, state, control, **kwargs):
        value = round(0.5 + state.global_step / 100, 4)
        print(f"custom_score: {value}", flush=True)
        log.warning("token_rate=%s", value * 10)
        self.printed.append({"step": state.global_step, "custom_score": value, "token_rate": value * 10})


def main(out: str, logging_steps: int, epochs: int, accumulation: int, bars: bool) -> None:
    logging.basicConfig(format="%(asctime)s - %(name)s - %(levelname)s - %(message)s")
    print("dataset sample:", {"input_ids": [5, 17, 42], "label": 1}, flush=True)
    prints = Prints()
    trainer = make_trainer(
        out, LossboardCallback(), run_name="stdout-run", logging_steps=logging_steps, epochs=epochs,
        accumulation=accumulation, disable_tqdm=not bars,
    )  # fmt: skip
    trainer.add_callback(prints)
    trainer.train()
    trainer.save_state()
    with open(os.path.join(out, "prints.json"), "w") as file:
        json.dump(prints.printed, file)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), "--no-bars" not in sys.argv)
