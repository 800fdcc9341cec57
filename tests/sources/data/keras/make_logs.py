"""Train a tiny Keras 3 model twice in one script so its stdout can be captured as fixtures.

Usage: KERAS_BACKEND=torch python make_logs.py VERBOSE HISTORY_JSON

Stage 1 is ``fit(epochs=3)`` on 100 samples with ``validation_split=0.2`` (10 steps of 8)
and verbose EarlyStopping, ReduceLROnPlateau and ModelCheckpoint; their ``min_delta=10``
makes every epoch after the first "not improve", so the learning rate drops and training
stops at epoch 2. Stage 2 is a second ``fit(epochs=2)`` on 40 samples with no validation
(5 steps), then ``evaluate`` on 24 held-out samples (3 steps). A short sleep per batch
makes the progress bar redraw (it redraws at most every 0.05 s). Keras's own history and
evaluate result are written to HISTORY_JSON as the ground truth for the tests.
"""

import json
import sys
import tempfile
import time

import keras
import numpy as np


def main(verbose: int, history_path: str) -> None:
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(124, 4)).astype("float32")
    y = (x[:, 0] + x[:, 1] > 0).astype("float32")
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, activation="relu"),
                              keras.layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="binary_crossentropy",
                  metrics=["accuracy"])
    slow = keras.callbacks.LambdaCallback(on_train_batch_end=lambda batch, logs: time.sleep(0.06))
    with tempfile.TemporaryDirectory() as tmp:
        first = model.fit(
            x[:100], y[:100], batch_size=8, epochs=3, validation_split=0.2, verbose=verbose,
            callbacks=[
                slow,
                keras.callbacks.EarlyStopping(monitor="val_loss", patience=1, min_delta=10,
                                              verbose=1),
                keras.callbacks.ReduceLROnPlateau(monitor="val_loss", patience=1, min_delta=10,
                                                  factor=0.5, verbose=1),
                keras.callbacks.ModelCheckpoint(f"{tmp}/best.keras", monitor="val_loss",
                                                save_best_only=True, verbose=1),
            ],
        )
        print("stage 1 stopped after", len(first.history["loss"]), "epochs")
        second = model.fit(x[:40], y[:40], batch_size=8, epochs=2, verbose=verbose,
                           callbacks=[slow])
    test = model.evaluate(x[100:], y[100:], batch_size=8, verbose=verbose, return_dict=True)
    with open(history_path, "w") as out:
        json.dump({"fit": [first.history, second.history], "evaluate": test}, out, indent=1)


if __name__ == "__main__":
    main(int(sys.argv[1]), sys.argv[2])
