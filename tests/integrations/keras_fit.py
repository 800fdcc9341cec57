"""One Keras 3 training seen through all three of its outputs, run by test_keras.py as a script
so that its stdout goes through a pipe, as ``python train.py | tee train.log`` captures it.

Usage: KERAS_BACKEND=torch python keras_fit.py VERBOSE OUT_DIR

Trains a Dense layer on 64 samples (3 batches of 16 after ``validation_split=0.25``) for 3
epochs with a ``CSVLogger`` (``OUT_DIR/training.log``) and lossboard's callback
(``OUT_DIR/run``). A short sleep per batch makes the ``verbose=1`` bar redraw (Keras redraws
at most every 0.05 s), so stdout holds batch states too.
"""

import sys
import time

import keras
import numpy as np

from lossboard.integrations.keras import LossboardCallback

EPOCHS, SAMPLES, BATCH_SIZE = 3, 64, 16


def main(verbose: int, out: str) -> None:
    keras.utils.set_random_seed(3)
    rng = np.random.default_rng(3)
    x = rng.normal(size=(SAMPLES, 4)).astype("float32")
    y = (x[:, 0] + x[:, 1] > 0).astype("float32")
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1, activation="sigmoid")])
    model.compile(keras.optimizers.SGD(0.1), "binary_crossentropy", metrics=["accuracy"])
    slow = keras.callbacks.LambdaCallback(on_train_batch_end=lambda batch, logs: time.sleep(0.06))
    callbacks = [
        slow,
        keras.callbacks.CSVLogger(f"{out}/training.log"),
        LossboardCallback(log_dir=f"{out}/run"),
    ]
    model.fit(x, y, batch_size=BATCH_SIZE, epochs=EPOCHS, validation_split=0.25, shuffle=False,
              verbose=verbose, callbacks=callbacks)  # fmt: skip


if __name__ == "__main__":
    main(int(sys.argv[1]), sys.argv[2])
