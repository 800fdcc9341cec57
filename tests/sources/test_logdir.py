"""Finding logs, naming and grouping runs, and reporting files that cannot be read."""

from __future__ import annotations

from pathlib import Path

import pytest

from lossboard.errors import (
    BinaryFileError,
    LfsPointerError,
    NoLogsError,
    PathNotFoundError,
    UnknownFormatError,
)
from lossboard.sources.logdir import load_paths, natural_key, run_name


def test_natural_order_puts_65_before_100() -> None:
    names = ["training_100.log", "training_65.log", "training_0.log"]
    assert sorted(names, key=natural_key) == ["training_0.log", "training_65.log", "training_100.log"]


@pytest.mark.parametrize(
    ("root", "path", "name"),
    [
        ("logs", "logs/resnet/train.log", "resnet"),
        ("logs", "logs/lightning_logs/version_0/metrics.csv", "lightning_logs/version_0"),
        ("logs", "logs/alexnet_0.log", "alexnet_0"),
        ("runs/exp2", "runs/exp2/results.csv", "exp2"),
    ],
)
def test_run_names_drop_generic_file_names(root: str, path: str, name: str) -> None:
    assert run_name(Path(root), Path(path)) == name


def test_missing_path_with_stray_quotes_says_so(tmp_path: Path) -> None:
    loaded = load_paths([f"'{tmp_path / 'train.log'}'"])
    assert loaded.runs == []
    (error,) = loaded.failures
    assert isinstance(error, PathNotFoundError)
    assert "quote characters" in str(error) and str(tmp_path / "train.log") in str(error)


def test_binary_file_and_unknown_text_are_reported_and_do_not_stop_the_others(tmp_path: Path) -> None:
    binary = tmp_path / "weights.dat"
    binary.write_bytes(b"\x00\x01\x02PK\x00" * 100)
    prose = tmp_path / "notes.txt"
    prose.write_text("We trained for a while and it went fine.\n")
    loaded = load_paths([binary, prose])
    kinds = sorted(type(f).__name__ for f in loaded.failures)
    assert kinds == [BinaryFileError.__name__, UnknownFormatError.__name__]
    unknown = next(f for f in loaded.failures if isinstance(f, UnknownFormatError))
    assert "--log-format" in str(unknown) and "mxnet" in unknown.formats


def test_directory_without_logs(tmp_path: Path) -> None:
    (tmp_path / "README.md").write_text("# nothing here\n")
    loaded = load_paths([tmp_path])
    assert [type(f) for f in loaded.failures] == [NoLogsError]
    assert str(tmp_path) in str(loaded.failures[0])


def test_lfs_pointer_is_named_with_the_fix(corpus: Path) -> None:
    pointer = corpus / "edge-cases" / "hf-spam-detection_checkpoint-500_trainer_state.json"
    loaded = load_paths([pointer])
    (error,) = loaded.failures
    assert isinstance(error, LfsPointerError)
    assert str(pointer) in str(error) and "git lfs pull" in str(error)


def test_unknown_log_format_name_lists_the_formats(tmp_path: Path) -> None:
    log = tmp_path / "a.log"
    log.write_text("epoch=1 loss=0.5\n")
    (error,) = load_paths([log], format="no-such-format").failures
    assert isinstance(error, UnknownFormatError) and "keras-stdout" in str(error)


def test_event_files_of_one_directory_are_one_run_named_after_it(data: Path) -> None:
    runs = load_paths([data / "tfevents" / "torch"]).runs
    assert sorted(run.name for run in runs) == ["run_a", "run_b", "torch"]
    assert all(run.formats == ["tfevents"] for run in runs)


def test_files_given_one_by_one_can_be_stitched_or_kept_apart(tmp_path: Path) -> None:
    for name, epochs in (("a.log", range(0, 3)), ("b.log", range(2, 5))):
        (tmp_path / name).write_text("".join(f"epoch={e} loss={1 / (e + 1)}\n" for e in epochs) * 1)
    apart = load_paths([tmp_path / "a.log", tmp_path / "b.log"]).runs
    assert sorted(run.name for run in apart) == ["a", "b"]
    (joined,) = load_paths([tmp_path / "a.log", tmp_path / "b.log"], stitch_files=True).runs
    assert joined.sources == [str(tmp_path / "a.log"), str(tmp_path / "b.log")]
