"""Turn what a training loop passes to `SummaryWriter` into plain numbers and arrays.

Values may be Python numbers, numpy scalars or arrays, or torch tensors; torch is recognised
by ``type(value).__module__`` and never imported. Histograms and PR curves are computed here
(on the writer's background thread) from copies made on the caller's thread.

>>> to_float(np.float32(0.5)), to_step(np.int64(3))
(0.5, 3)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

_ARRAY_MODULES = frozenset(("numpy", "torch", "jax", "jaxlib", "tensorflow", "mxnet"))
DEFAULT_MAX_BINS = 64  # "auto" binning of a million values can give thousands of buckets


def to_numpy(value: Any) -> np.ndarray:
    """A numpy copy of an array-like; a torch tensor is detached and moved to the CPU first."""
    if type(value).__module__.split(".")[0] == "torch" and hasattr(value, "detach"):
        value = value.detach().cpu().numpy()
    return np.array(value, copy=True)


def to_float(value: Any) -> float:
    """A float from a Python number, a numpy scalar or a one-element array or tensor."""
    if hasattr(value, "item") and type(value).__module__.split(".")[0] in _ARRAY_MODULES:
        try:
            value = value.item()
        except (ValueError, RuntimeError) as exc:  # torch says RuntimeError for N elements
            shape = tuple(getattr(value, "shape", ()))
            raise ValueError(f"expected a single number, got an array of shape {shape}") from exc
    if isinstance(value, (str, bytes)):
        raise TypeError(f"expected a number, got a string: {value!r}")
    try:
        return float(value)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"expected a number, got {type(value).__name__}: {value!r}") from exc


def to_step(step: Any) -> int:
    """An int step from an int, a numpy integer or a 0-d integer tensor."""
    if hasattr(step, "item") and type(step).__module__.split(".")[0] in _ARRAY_MODULES:
        step = step.item()
    if isinstance(step, bool) or not isinstance(step, int):
        if isinstance(step, float) and step.is_integer():
            return int(step)
        raise TypeError(f"global_step must be an integer, got {type(step).__name__}: {step!r}")
    return step


def histogram(values: np.ndarray, bins: Any, max_bins: int | None) -> dict:
    """TensorBoard's histogram fields: min, max, num, sum, sum_squares, bucket_limits, counts.

    ``bins`` is a count, the bucket edges, a numpy strategy name, or "tensorflow" (numpy's
    "auto", at most ``max_bins`` (default 64) buckets). Non-finite values are counted in
    ``num`` but kept out of the buckets.
    """
    flat = values.astype(np.float64, copy=False).ravel()
    finite = flat[np.isfinite(flat)]
    limit = max_bins or DEFAULT_MAX_BINS
    if isinstance(bins, str):
        strategy = "auto" if bins == "tensorflow" else bins
        edges = np.histogram_bin_edges(finite, bins=strategy) if len(finite) else np.array([0.0, 1.0])
        if len(edges) - 1 > limit:
            edges = np.histogram_bin_edges(finite, bins=limit)
    else:
        edges = np.histogram_bin_edges(finite, bins=bins) if len(finite) else np.asarray(bins, float)
    counts, edges = np.histogram(finite, bins=edges)
    return histogram_raw(
        min=float(finite.min()) if len(finite) else math.nan,
        max=float(finite.max()) if len(finite) else math.nan,
        num=len(flat),
        sum=float(finite.sum()),
        sum_squares=float(np.dot(finite, finite)),
        bucket_limits=edges[1:],
        bucket_counts=counts,
    )


def histogram_raw(
    *, min: float, max: float, num: int, sum: float, sum_squares: float,
    bucket_limits: Sequence[float], bucket_counts: Sequence[float],
) -> dict:
    """The histogram fields as given (``bucket_limits`` are upper edges, TensorBoard's way)."""
    limits, counts = np.asarray(bucket_limits, np.float64), np.asarray(bucket_counts, np.float64)
    if limits.shape != counts.shape or limits.ndim != 1:
        raise ValueError(f"{len(limits)} bucket_limits for {len(counts)} bucket_counts; "
                         "give one upper limit per count")
    return {
        "min": float(min), "max": float(max), "num": int(num), "sum": float(sum),
        "sum_squares": float(sum_squares),
        "bucket_limits": limits.tolist(), "bucket_counts": counts.tolist(),
    }


def pr_curve(labels: np.ndarray, predictions: np.ndarray, num_thresholds: int,
             weights: np.ndarray | None) -> dict:
    """Counts, precision and recall at ``num_thresholds`` evenly spaced thresholds in [0, 1].

    A prediction counts as positive at threshold ``i / (num_thresholds - 1)`` when it lies in
    that threshold's bucket or above, as in TensorBoard's pr_curve plugin.
    """
    if labels.shape != predictions.shape:
        raise ValueError(f"labels {labels.shape} and predictions {predictions.shape} differ in shape")
    truth = labels.astype(np.float64).ravel()
    weight = 1.0 if weights is None else weights.astype(np.float64).ravel()
    bucket = np.floor(predictions.astype(np.float64).ravel() * (num_thresholds - 1))
    span = (0, num_thresholds - 1)
    tp_buckets, _ = np.histogram(bucket, bins=num_thresholds, range=span, weights=truth * weight)
    fp_buckets, _ = np.histogram(bucket, bins=num_thresholds, range=span, weights=(1 - truth) * weight)
    tp = np.cumsum(tp_buckets[::-1])[::-1]
    fp = np.cumsum(fp_buckets[::-1])[::-1]
    fn = tp[0] - tp
    tn = fp[0] - fp
    return {
        "thresholds": np.linspace(0.0, 1.0, num_thresholds).tolist(),
        "tp": tp.tolist(), "fp": fp.tolist(), "tn": tn.tolist(), "fn": fn.tolist(),
        "precision": (tp / np.maximum(tp + fp, 1e-7)).tolist(),
        "recall": (tp / np.maximum(tp + fn, 1e-7)).tolist(),
    }
