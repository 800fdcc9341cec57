"""Train a tiny Keras 3 model whose script prints, logs and draws a tqdm bar between Keras's lines.

Usage: KERAS_BACKEND=torch python make_mixed_logs.py VERBOSE PRINTED_JSON

A user's own output of the kinds real scripts add: a config dump before training, a
``print`` at batch 5 of every epoch (inside the progress bar in ``verbose=1``), a ``print`` and
a ``logging`` record at every epoch end (after Keras has printed the epoch's metrics), and a
tqdm bar over a hand-written validation loop with a ``val_f1`` postfix. Everything goes to
stdout and is flushed, so the capture keeps the order. The values the script printed are
written to PRINTED_JSON, the ground truth of the tests.
"""

import json
import logging
import sys

import keras
import numpy as np
from tqdm import tqdm

log = logging.getLogger("train")


class Prints(keras.callbacks.Callback):
    """Prints values the way user callbacks do, and records what it printed."""

    def __init__(self, x_val, y_val, printed):
        super().__init__()
        self.x_val, self.y_val, self.printed = x_val, y_val, printed

    def on_train_batch_end(self, batch, logs=None):
        if batch == 4:
            norm = float(sum(np.linalg.norm(w) for w in self.model.get_weights()))
            print(f"weight_norm: {norm:.4f}", flush=True)
            self.printed["weight_norm"].append(round(norm, 4))

    def on_epoch_end(self, epoch, logs=None):
        scores = []
        with tqdm(range(3), desc=f"val {epoch + 1}", file=sys.stdout, mininterval=0) as bar:
            for i in bar:
                part = slice(8 * i, 8 * i + 8)
                predicted = self.model.predict(self.x_val[part], verbose=0)[:, 0] > 0.5
                truth = self.y_val[part] > 0.5
                tp = float(np.sum(predicted & truth))
                scores.append(2 * tp / max(1.0, float(np.sum(predicted) + np.sum(truth))))
                bar.set_postfix(val_f1=f"{np.mean(scores):.4f}")
        self.printed["val_f1"].append(round(float(np.mean(scores)), 4))
        margin = float(np.mean(np.abs(self.model.predict(self.x_val, verbose=0) - 0.5)))
        print(f"Epoch {epoch + 1}: val_margin {margin:.4f}", flush=True)
        self.printed["val_margin"].append(round(margin, 4))
        log.info("train_seconds: %.3f", 0.25 * (epoch + 1))
        self.printed["train_seconds"].append(round(0.25 * (epoch + 1), 3))


def main(verbose: int, printed_path: str) -> None:
    logging.basicConfig(stream=sys.stdout, level=logging.INFO,
                        format="%(asctime)s - %(name)s - %(levelname)s - %(message)s")
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(124, 4)).astype("float32")
    y = (x[:, 0] + x[:, 1] > 0).astype("float32")
    print("batch_size: 8", flush=True)
    print("epochs: 3", flush=True)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, activation="relu"),
                              keras.layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="binary_crossentropy",
                  metrics=["accuracy"])
    printed = {"weight_norm": [], "val_f1": [], "val_margin": [], "train_seconds": []}
    history = model.fit(x[:100], y[:100], batch_size=8, epochs=3, validation_data=(x[100:], y[100:]),
                        verbose=verbose, callbacks=[Prints(x[100:], y[100:], printed)])
    with open(printed_path, "w") as out:
        json.dump({"printed": printed, "history": history.history}, out, indent=1)


if __name__ == "__main__":
    main(int(sys.argv[1]), sys.argv[2])
