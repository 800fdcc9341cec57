"""Train a tiny Keras 3 model whose progress bar redraws 40+ times per epoch, so a captured
line of redraws is long enough for the fast path (`_keras_fast.MIN_STATES`).

Usage: KERAS_BACKEND=torch python make_long_bar.py HISTORY_JSON

``fit(epochs=2)`` on 384 samples, batch 8 (48 steps), 20% validation; a 0.06 s sleep per batch
makes Keras redraw after nearly every step (it redraws at most every 0.05 s).
"""

import json
import sys
import time

import keras
import numpy as np


def main(history_path: str) -> None:
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(480, 4)).astype("float32")
    y = (x[:, 0] + x[:, 1] > 0).astype("float32")
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, activation="relu"),
                              keras.layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="binary_crossentropy", metrics=["accuracy"])
    slow = keras.callbacks.LambdaCallback(on_train_batch_end=lambda batch, logs: time.sleep(0.06))
    history = model.fit(x, y, batch_size=8, epochs=2, validation_split=0.2, verbose=1, callbacks=[slow])
    with open(history_path, "w") as out:
        json.dump(history.history, out, indent=1)


if __name__ == "__main__":
    main(sys.argv[1])
