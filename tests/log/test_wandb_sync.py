"""W&B's ``sync_tensorboard`` reads lossboard's event files as it reads torch's (issue 11).

The same values are logged through torch's writer and through lossboard's, each inside
``wandb.init(sync_tensorboard=True)`` in offline mode (no network), and the history rows W&B
recorded in each offline run's ``.wandb`` file are compared with each other and with what was
logged. wandb_sync.py beside this file is the logging script.
"""

from __future__ import annotations

import json
import os
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("wandb", reason="wandb is not installed (pip install wandb; a test-only dependency)")
pytest.importorskip("torch", reason="torch's writer is the reference")
from wandb.proto import wandb_internal_pb2  # noqa: E402

import lossboard  # noqa: E402

SCRIPT = Path(__file__).with_name("wandb_sync.py")
SRC = Path(lossboard.__file__).parents[1]


def wandb_records(path: Path) -> list:
    """The records of a ``.wandb`` file: a 7-byte header, then 32 KiB blocks of chunks, each
    ``crc32c (4) | length (2) | type (1: whole, 2: first, 3: middle, 4: last)`` + payload."""
    data = path.read_bytes()
    assert data[:4] == b":W&B", path
    records, parts, at, block = [], [], 7, 32768
    while at + 7 <= len(data):
        if block - at % block < 7:  # no room for a chunk header: the block is padded
            at += block - at % block
            continue
        _, length, kind = struct.unpack_from("<IHB", data, at)
        if kind == 0:
            break
        parts.append(data[at + 7 : at + 7 + length])
        at += 7 + length
        if kind in (1, 4):
            record = wandb_internal_pb2.Record()
            record.ParseFromString(b"".join(parts))
            records.append(record)
            parts = []
    return records


def synced_history(tmp_path: Path, which: str) -> list[dict]:
    """Run the script with ``which`` writer; the history rows W&B recorded (its own ``_`` keys
    left out). W&B reads the event files in a thread of its own, so how values are grouped
    into rows depends on timing: compare values, not rows."""
    out = tmp_path / which
    env = {**os.environ, "WANDB_MODE": "offline", "WANDB_DIR": str(out), "WANDB_SILENT": "true",
           "PYTHONPATH": str(SRC), "WANDB_DISABLE_GIT": "true", "WANDB_DISABLE_CODE": "true"}
    out.mkdir()
    subprocess.run([sys.executable, str(SCRIPT), which, str(out / "runs")], env=env, check=True, timeout=300)
    (path,) = out.glob("wandb/offline-run-*/run-*.wandb")
    rows = []
    for record in wandb_records(path):
        if record.WhichOneof("record_type") == "history":
            row = {item.key or "/".join(item.nested_key): json.loads(item.value_json) for item in record.history.item}
            rows.append({key: value for key, value in row.items() if not key.startswith("_")})
    return rows


def scalars(rows: list[dict], names: tuple[str, ...]) -> set[tuple[str, int, float]]:
    """(name, step, value) of every value of ``names``; values to 6 digits (W&B keeps float32)."""
    return {(name, row["global_step"], round(row[name], 6)) for row in rows for name in names if name in row}


def histograms(rows: list[dict]) -> dict[int, dict]:
    return {row["global_step"]: {"values": row["weights/values"], "bins": row["weights/bins"]}
            for row in rows if "weights/values" in row}


@pytest.fixture(scope="module")
def synced(tmp_path_factory) -> dict[str, list[dict]]:
    return {which: synced_until_whole(tmp_path_factory, which) for which in ("torch", "lossboard")}


def synced_until_whole(tmp_path_factory, which: str, attempts: int = 8) -> list[dict]:
    """The history of the first of up to ``attempts`` runs in which W&B recorded a value at every
    logged step. W&B's watcher of the event files is a thread of its own; it has been seen to stop
    reading torch's main event file after its first step (no histogram, no later scalar recorded,
    nothing in its log) in 5 of 6 runs on a quiet machine (wandb 0.31.0), while lossboard's were
    read whole in 5 of 5. Both writers get the same tries: a writer W&B never reads whole still
    fails the test."""
    for _ in range(attempts):
        rows = synced_history(tmp_path_factory.mktemp("wandb"), which)
        if {row["global_step"] for row in rows if "Loss/train" in row} == set(range(6)):
            break
    return rows


def test_wandb_sync_reads_lossboards_event_files_as_it_reads_torchs(synced) -> None:
    names = ("Loss/train", "Accuracy/val")
    logged = {("Loss/train", s, round(1 / (s + 1), 6)) for s in range(6)}
    logged |= {("Accuracy/val", s, round(s / 10, 6)) for s in range(6)}
    assert scalars(synced["lossboard"], names) == logged
    assert scalars(synced["torch"], names) == logged
    # histograms: W&B re-bins TensorBoard's buckets; every one of the 1,000 weights is there,
    # inside the bins' range, at the steps logged, for both writers
    weights = np.random.default_rng(0).normal(size=1000)
    for rows in synced.values():
        found = histograms(rows)
        assert sorted(found) == [0, 2, 4]
        for step, histogram in found.items():
            assert sum(histogram["values"]) == pytest.approx(1000)
            assert histogram["bins"][0] <= weights.min() + step and histogram["bins"][-1] >= weights.max() + step


def test_add_scalars_reaches_wandb_under_its_main_tag(synced) -> None:
    """torch's writer puts each ``add_scalars`` series in a directory of its own (W&B:
    ``lr_group0/lr``); lossboard's writes them into its one file as ``lr/group0``."""
    rows = synced["lossboard"]
    assert scalars(rows, ("lr/group0",)) == {("lr/group0", s, round(0.1 * 0.5**s, 6)) for s in range(6)}
    assert scalars(rows, ("lr/group1",)) == {("lr/group1", s, 0.01) for s in range(6)}
    assert scalars(synced["torch"], ("lr_group0/lr",)) == {
        ("lr_group0/lr", s, round(0.1 * 0.5**s, 6)) for s in range(6)}
