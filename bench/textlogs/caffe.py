"""``caffe train`` output through glog, shaped like corpus file 1 (LeNet): every ``display``
iterations the smoothed loss, one ``Train net output`` line per output blob and the learning
rate; every ``test_interval`` iterations a ``Testing net (#0)`` block with its outputs; the
``net.cpp``/``data_layer.cpp`` set-up lines of a real run at the top, and a snapshot now and then."""

from __future__ import annotations

import random
import re
from pathlib import Path

FORMAT = "caffe"
GREP = "Iteration"
DISPLAY = 20
TEST_INTERVAL = 1000

_ITER_LOSS = re.compile(r"\] Iteration (\d+)(?: \([^)]*\))?, loss = (\S+)")
_OUTPUT = re.compile(r"\] +(Train|Test) net output #\d+: (\S+) = (\S+)")
_LR = re.compile(r"\] Iteration (\d+), lr = (\S+)")
_TESTING = re.compile(r"\] Iteration (\d+), Testing net")

_SETUP = """\
I0711 14:22:22.765878  1274 caffe.cpp:185] Using GPUs 0
I0711 14:22:23.125147  1274 solver.cpp:48] Initializing solver from parameters: 
test_iter: 100
test_interval: 1000
base_lr: 0.01
display: 20
lr_policy: "inv"
net: "examples/mnist/lenet_train_test.prototxt"
I0711 14:22:23.125991  1274 net.cpp:49] Initializing net from parameters: 
name: "LeNet"
layer {
  name: "mnist"
  data_param {
    batch_size: 64
  }
}
I0711 14:22:23.126253  1274 net.cpp:106] Creating Layer mnist
I0711 14:22:23.127133  1274 data_layer.cpp:41] output data size: 64,1,28,28
I0711 14:22:23.128046  1274 net.cpp:150] Setting up mnist
I0711 14:22:23.128075  1274 net.cpp:157] Top shape: 64 1 28 28 (50176)
I0711 14:22:23.134517  1274 net.cpp:270] This network produces output loss
I0711 14:22:23.134536  1274 net.cpp:283] Network initialization done.
I0711 14:22:23.176887  1274 solver.cpp:60] Solver scaffolding done.
I0711 14:22:23.177079  1274 caffe.cpp:219] Starting Optimization
I0711 14:22:23.177098  1274 solver.cpp:280] Solving LeNet
"""


def _glog(seconds: float, source: str, message: str) -> str:
    minute, second = divmod(seconds, 60.0)
    hour, minute = divmod(int(minute), 60)
    day, hour = divmod(hour, 24)
    return f"I07{11 + day:02d} {hour % 24:02d}:{minute:02d}:{second:09.6f}  1274 {source}] {message}\n"


def write(path: Path, size: int) -> None:
    rng = random.Random(0)
    seconds = 14 * 3600 + 22 * 60 + 23.2
    with open(path, "w") as out:
        out.write(_SETUP)
        iteration = 0
        while out.tell() < size:
            if iteration % TEST_INTERVAL == 0:
                out.write(_glog(seconds, "solver.cpp:337", f"Iteration {iteration}, Testing net (#0)"))
                seconds += 1.05
                accuracy, test_loss = 1 - 0.9 / (iteration / 500 + 1.1), 2.3 / (iteration / 300 + 1)
                out.write(_glog(seconds, "solver.cpp:404", f"    Test net output #0: accuracy = {accuracy:.6g}"))
                out.write(_glog(seconds, "solver.cpp:404",
                                f"    Test net output #1: loss = {test_loss:.6g} (* 1 = {test_loss:.6g} loss)"))
            seconds += 0.0012 + rng.random() * 0.0001
            loss = 2.3 / (iteration / 200 + 1) * (0.8 + rng.random() * 0.4)
            raw = loss * (0.7 + rng.random() * 0.6)
            out.write(_glog(seconds, "solver.cpp:228", f"Iteration {iteration}, loss = {loss:.6g}"))
            out.write(_glog(seconds, "solver.cpp:244",
                            f"    Train net output #0: loss = {raw:.6g} (* 1 = {raw:.6g} loss)"))
            out.write(_glog(seconds, "sgd_solver.cpp:106",
                            f"Iteration {iteration}, lr = {0.01 * (1 + 0.0001 * iteration) ** -0.75:.6g}"))
            if iteration and iteration % 50_000 == 0:
                out.write(_glog(seconds, "solver.cpp:454", f"Snapshotting to binary proto file lenet_iter_{iteration}.caffemodel"))
            iteration += DISPLAY
            seconds += DISPLAY * 0.0125


def single_pass(path: Path) -> int:
    count = 0
    with open(path, encoding="utf-8", newline="") as file:
        for line in file:
            if "Iteration " in line:
                match = _ITER_LOSS.search(line) or _LR.search(line)
                if match:
                    count += float(match[2]) >= 0
            elif "net output #" in line:
                match = _OUTPUT.search(line)
                if match:
                    count += float(match[3]) >= 0
    return count
