"""Where a printed Hugging Face Trainer dict lies in training: its global step, from what stdout holds.

The Trainer keeps ``state.global_step`` in ``trainer_state.json`` but prints no step. Console
output still pins it down in two ways:

* **The bar redrawn after the dict.** `ProgressCallback.on_log` prints the dict with
  ``tqdm.write``, which clears the training bar, prints, and redraws the bar at once; the bar's
  count was updated in ``on_step_end`` before the log, so the first bar after a dict shows
  ``n = global_step`` (train, eval and summary dicts alike). Exact whenever stdout and stderr
  reach the same file, through a pipe or a terminal.
* **The epoch, without a bar** (``disable_tqdm=True``, or only stdout redirected): the Trainer sets
  ``epoch = e + batches_done / batches_per_epoch`` and logs at optimizer steps, so ``step =
  epoch * U`` for ``U`` optimizer steps per epoch, when gradient accumulation divides an
  epoch's batches. ``U`` is printed by transformers 5's info block (``Num update steps per
  epoch = 4``); otherwise the summary gives it: ``train_runtime * train_steps_per_second`` is
  ``max_steps``, and ``max_steps / epoch`` is ``U`` when the summary's epoch is whole.
  Values are printed rounded (4 significant digits in transformers 5, ``round(epoch, 2)`` in
  4.x), so a step counts only when the printed digits leave one whole number possible.

When the digits do not pin it (a 4.x epoch rounded to 2 decimals with hundreds of steps an
epoch), the step is the nearest one to ``epoch * U`` (`nearest_steps`): right in scale, off by
up to ``U / 200`` steps. When ``U`` is not known at all (no bar, no info block, no summary: a
run still going, or killed), the dicts are numbered 1, 2, 3...
"""

from __future__ import annotations

import math
import re

# `speed_metrics` rounds the summary's runtime and rates before they are printed
RUNTIME_DECIMALS, RATE_DECIMALS = 4, 3
# the Trainer's info blocks at the start of train() and of an evaluation (INFO level): settings,
# not measurements; transformers 5's "Num update steps per epoch" gives the steps of an epoch
TRAINER_INFO = re.compile(
    r"^(?:.*\W)?(Num examples|Num Epochs|Num update steps per epoch|Instantaneous batch size per device"
    r"|Total train batch size \(w\. parallel, distributed & accumulation\)|Gradient Accumulation steps"
    r"|Total optimization steps|Number of trainable parameters|Batch size) = ([\d,.]+)\s*$"
)


def resolution(text: str, quoted: bool) -> float:
    """Half a unit of the last digit ``text`` can be trusted to: how far the printed value may
    lie from the true one. Quoted values are transformers 5's ``f"{v:.4g}"`` (4 significant
    digits whatever trailing zeros it dropped); bare ones are the printed decimals (4.x)."""
    value = float(text)
    if quoted:
        if value == 0:
            return 0.0
        return 0.5 * 10 ** (math.floor(math.log10(abs(value))) - 3)
    mantissa, _, exponent = text.lower().partition("e")
    decimals = len(mantissa.partition(".")[2])
    return 0.5 * 10 ** (-decimals + (int(exponent) if exponent else 0))


def rounded(value: float, res: float, decimals: int) -> tuple[float, float]:
    """(value, resolution) of a number rounded to ``decimals`` before it was printed: ``0.409``
    printed as ``.4g`` was 0.4085 to 0.4095, not 0.40895 to 0.40905."""
    return value, max(res, 0.5 * 10**-decimals)


def only_integer(low: float, high: float) -> int | None:
    """The one whole number in ``[low, high]``, or None when there are none or several."""
    first = math.ceil(low - 1e-9)
    return first if first <= high + 1e-9 and first + 1 > high + 1e-9 else None


def max_steps(runtime: tuple[float, float], per_second: tuple[float, float]) -> int | None:
    """``max_steps`` from the summary's ``train_runtime`` and ``train_steps_per_second``, each a
    (value, resolution): the Trainer divided the first into ``max_steps`` to get the second."""
    (time, time_res), (rate, rate_res) = runtime, per_second
    return only_integer((time - time_res) * (rate - rate_res), (time + time_res) * (rate + rate_res))


def steps_from_epochs(epochs: list[tuple[float, float]], per_epoch: int) -> list[int] | None:
    """The global step of each (epoch, resolution), or None if any is not pinned to one."""
    steps = []
    for epoch, res in epochs:
        step = only_integer((epoch - res) * per_epoch, (epoch + res) * per_epoch)
        if step is None:
            return None
        steps.append(step)
    return steps


def nearest_steps(epochs: list[tuple[float, str]], per_epoch: int) -> list[int]:
    """``round(epoch * per_epoch)`` for each (epoch, kind of dict), for epochs printed with too
    few digits to pin the step; a kind's steps still increase, so two dicts printed at the
    same rounded epoch (``'epoch': 0.01`` twice) stay two points."""
    last: dict[str, int] = {}
    steps = []
    for epoch, kind in epochs:
        step = max(round(epoch * per_epoch), last.get(kind, -1) + 1)
        last[kind] = step
        steps.append(step)
    return steps


def per_epoch_from_summary(steps: int, epoch: float) -> int | None:
    """``U`` when the summary's epoch is whole and divides ``max_steps``."""
    if epoch >= 1 and epoch == int(epoch) and steps % int(epoch) == 0:
        return steps // int(epoch)
    return None
