"""Finding logs, naming and grouping runs, and reporting files that cannot be read."""

from __future__ import annotations

import os
import shutil
import socket
import tempfile
from pathlib import Path

import pytest

from lossboard.errors import (
    BinaryFileError,
    BrokenLinkError,
    LfsPointerError,
    NoLogsError,
    NotAFileError,
    PathNotFoundError,
    UnknownFormatError,
    VanishedError,
)
from lossboard.sources.logdir import load_paths, locate, natural_key, run_name
from lossboard.sources.reader import parse_file

# mxnet-speedometer-new/mxnet-cls_train.log, lines 31-32
MXNET = (
    "INFO:root:Epoch[0] Batch [600]\tSpeed: 140.46 samples/sec\taccuracy=0.742188\n"
    "INFO:root:Epoch[0] Batch [620]\tSpeed: 141.47 samples/sec\taccuracy=0.740625\n"
)


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


# -- entries that are not regular files: skipped with their reason, never opened -----------


def _failures_by_name(loaded) -> dict[str, type]:
    return {Path(f.path).name: type(f) for f in loaded.failures}


def test_fifo_socket_and_device_are_skipped_by_name_and_the_log_loads(tmp_path: Path) -> None:
    (tmp_path / "resnet.log").write_text(MXNET)
    os.mkfifo(tmp_path / "pipe.log")  # no writer: opening it for reading would block forever
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(tmp_path / "agent.sock"))
    (tmp_path / "tty.log").symlink_to("/dev/null")
    try:
        loaded = load_paths([tmp_path])
    finally:
        server.close()
    assert [run.name for run in loaded.runs] == ["resnet"]
    assert _failures_by_name(loaded) == {
        "pipe.log": NotAFileError, "agent.sock": NotAFileError, "tty.log": NotAFileError
    }
    messages = {Path(f.path).name: str(f) for f in loaded.failures}
    assert "named pipe (FIFO)" in messages["pipe.log"] and "socket" in messages["agent.sock"]
    assert "character device" in messages["tty.log"]


def test_a_fifo_named_on_the_command_line_is_refused_not_read(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "live.log")
    (error,) = load_paths([tmp_path / "live.log"]).failures
    assert isinstance(error, NotAFileError) and str(tmp_path / "live.log") in str(error)


def test_dangling_and_looping_links_are_skipped_and_a_linked_directory_is_read_once(tmp_path: Path) -> None:
    run = tmp_path / "run_5"
    run.mkdir()
    (run / "train.log").write_text(MXNET)
    (tmp_path / "latest").symlink_to(run)  # read once, where it really is
    (tmp_path / "gone.log").symlink_to(tmp_path / "deleted.log")
    (tmp_path / "self.log").symlink_to(tmp_path / "self.log")
    (run / "up").symlink_to(tmp_path)  # a loop through the directories
    loaded = load_paths([tmp_path])
    assert [r.name for r in loaded.runs] == ["run_5"]
    by_name = {Path(f.path).name: f for f in loaded.failures}
    assert isinstance(by_name["gone.log"], BrokenLinkError) and not by_name["gone.log"].is_loop
    assert isinstance(by_name["self.log"], BrokenLinkError) and by_name["self.log"].is_loop
    assert isinstance(by_name["up"], BrokenLinkError) and by_name["up"].is_loop
    assert f"the same directory as {run}" in str(by_name["latest"])


@pytest.fixture
def nested():
    """Makes ``levels`` nested directories one step at a time (no recursion, no path longer
    than the system allows along the way) with a log at the bottom, in a directory of its own
    outside pytest's, whose clean-up recurses and would fail on them; removes them likewise."""
    top = Path(tempfile.mkdtemp(prefix="lossboard-nested-"))
    (top / "ok").mkdir()
    (top / "ok" / "train.log").write_text(MXNET)
    names: list[str] = []
    before = os.getcwd()

    def make(name: str, levels: int) -> Path:
        names.append(name)
        os.chdir(top)
        try:
            for _ in range(levels):
                os.mkdir(name)
                os.chdir(name)
            Path("train.log").write_text(MXNET)
        finally:
            os.chdir(before)
        return top

    yield make
    try:
        for name in names:
            os.chdir(top)
            depth = 0
            while os.path.isdir(name):
                os.chdir(name)
                depth += 1
            for _ in range(depth):
                for leftover in os.listdir("."):
                    os.remove(leftover)
                os.chdir("..")
                os.rmdir(name)
    finally:
        os.chdir(before)
    shutil.rmtree(top)


def test_a_tree_2000_levels_deep_is_walked(nested) -> None:
    loaded = load_paths([nested("d", 2000)])
    assert loaded.failures == []
    assert len(loaded.runs) == 2  # ok/ and the bottom of the tree
    for run in loaded.runs:
        assert run.series["train_batch/accuracy"].value.tolist() == [0.742188, 0.740625]


def test_a_file_that_vanishes_after_the_walk_is_skipped_and_the_rest_loaded(tmp_path: Path) -> None:
    for name in ("a.log", "b.log"):
        (tmp_path / name).write_text(MXNET)

    def save_over_then_parse(file: Path):  # an editor replaces a.log through a temporary file
        if file.name == "a.log":
            file.unlink()
        return parse_file(file)

    located, failures = locate([tmp_path], save_over_then_parse)
    assert [Path(found.path).name for _, found in located] == ["b.log"]
    (error,) = failures
    assert isinstance(error, VanishedError) and str(tmp_path / "a.log") in str(error)


def test_an_unlistable_directory_is_skipped_and_its_siblings_read(nested) -> None:
    """We run as root, so no chmod stops a listing: a path too long to list does."""
    loaded = load_paths([nested("x" * 250, 20)])  # 5,000 characters: past PATH_MAX
    assert [r.name for r in loaded.runs] == ["ok"]
    assert any("File name too long" in str(f) for f in loaded.failures)


@pytest.mark.corpus
def test_a_file_named_as_a_resume_continues_the_run_it_resumes(corpus: Path) -> None:
    """Corpus files 45 and 46: `..._run1.log` and `..._run2_resume.log` are one run, the resume
    second, and the name keeps the numbers both files share."""
    runs = load_paths([corpus / "header-epoch"]).runs
    (run,) = [run for run in runs if "salientnet" in run.name]
    assert [Path(source).name for source in run.sources] == [
        "salientnet_resnet101_cifar100_run1.log", "salientnet_resnet101_cifar100_run2_resume.log"]
    assert run.name == "salientnet_resnet101_cifar100_run"
    assert [e.epoch for e in run.events if e.kind == "resume"] == [106.0]
