"""Helpers of the indexer tests: compare a store with `lossboard.load`, write MXNet logs."""

from __future__ import annotations

import importlib.util
import warnings
from pathlib import Path

import numpy as np

import lossboard
from lossboard.store.base import Store

BENCH = Path(__file__).parents[2] / "bench"


def load_gen_mxnet():
    """bench/gen_mxnet_log.py as a module (bench/ is scripts, not a package)."""
    spec = importlib.util.spec_from_file_location("gen_mxnet_log", BENCH / "gen_mxnet_log.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def loaded(*paths: Path) -> list[lossboard.Run]:
    """`lossboard.load(paths)`, warnings (bad files) ignored."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return lossboard.load(*paths)


def assert_store_equals_load(store: Store, *paths: Path) -> None:
    """Every run, tag, point and event of ``load(paths)`` is in ``store``, bit for bit, and
    nothing else."""
    runs = loaded(*paths)
    expected = {run.name: run.series for run in runs}
    assert sorted(info.name for info in store.list_runs()) == sorted(expected)
    for run in runs:
        stored = [event for _, event in store.read_events([run.name])]
        assert sorted(stored, key=repr) == sorted(run.events, key=repr), run.name
    for run, series in expected.items():
        assert sorted((t.tag, t.source_tag) for t in store.list_tags([run])) == sorted(series), run
        for want in series.values():
            tag = want.tag
            got = store.read_series(run, tag, source_tag=want.source_tag)
            for column in ("step", "epoch", "wall_time", "value"):
                assert np.array_equal(getattr(got, column), getattr(want, column), equal_nan=True), (
                    run, tag, column)


def mxnet_epoch(epoch: int, accuracy: float) -> str:
    """The epoch-end lines MXNet's Module.fit prints (corpus file 33's style)."""
    return (
        f"INFO:root:Epoch[{epoch}] Train-accuracy={accuracy:.4f}\n"
        f"INFO:root:Epoch[{epoch}] Time cost=71.234\n"
        f"INFO:root:Epoch[{epoch}] Validation-accuracy={accuracy - 0.05:.4f}\n"
        f'INFO:root:Saved checkpoint to "resnet-{epoch + 1:04}.params"\n'
    )
