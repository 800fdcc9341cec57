"""The `lossboard` command end to end, on the bundled example and on bad input."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

import lossboard
from lossboard.cli import main
from lossboard.model import RESUME

EXAMPLE = Path(__file__).parent.parent / "examples" / "alexnet-imagenet"
_VALIDATION = re.compile(r"Epoch\[(\d+)\] Validation-accuracy=([\d.]+)")


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def validation_accuracy(path: Path) -> dict[int, float]:
    return {int(e): float(v) for e, v in _VALIDATION.findall(path.read_text())}


def stitched_validation_accuracy() -> dict[int, float]:
    """The example's validation accuracy by epoch, as the logs print it, the later file winning."""
    expected = validation_accuracy(EXAMPLE / "training_0.log")
    expected.update(validation_accuracy(EXAMPLE / "training_65.log"))
    expected.update(validation_accuracy(EXAMPLE / "training_85.log"))
    return expected


def test_the_seed_example_stitches_three_resumed_files_later_file_winning() -> None:
    (run,) = lossboard.load(EXAMPLE)
    expected = validation_accuracy(EXAMPLE / "training_0.log")
    expected.update(validation_accuracy(EXAMPLE / "training_65.log"))
    expected.update(validation_accuracy(EXAMPLE / "training_85.log"))
    val = run.series["val/accuracy"]
    assert val.epoch.tolist() == [float(e) for e in range(100)]
    assert dict(zip(val.step.tolist(), val.value.tolist())) == expected
    assert [e.epoch for e in run.events if e.kind == RESUME] == [65.0, 85.0]
    assert {"train/accuracy", "val/top_k_accuracy_5", "train/cross-entropy", "train_batch/accuracy"} <= set(run.tags)


def test_plot_writes_the_classic_figures(tmp_path: Path) -> None:
    code, out, err = invoke("plot", str(EXAMPLE), "-o", str(tmp_path), "--network", "AlexNet", "--dataset", "ImageNet")
    assert code == 0, err
    names = {Path(line).name for line in out.split()}
    # the learning rate comes from each file's "Namespace(... lr=0.01 ...)" line: 0.01, 0.001, 0.0001
    assert names == {"accuracy.png", "loss.png", "lr.png", "throughput.png", "epoch_time_s.png"}
    assert (tmp_path / "accuracy.png").read_bytes().startswith(b"\x89PNG")


def test_plot_leaves_the_collector_out_of_the_exit(tmp_path: Path) -> None:
    """At exit the objects are frozen, so the interpreter's last collections do not walk them."""
    import subprocess
    import sys

    script = ("import atexit, gc, sys; from lossboard.cli import main\n"
              "atexit.register(lambda: print('frozen at exit:', gc.get_freeze_count() > 0))  # runs after plot's\n"
              "main(['plot', sys.argv[1], '-o', sys.argv[2]], standalone_mode=False)\n"
              "main(['plot', sys.argv[1], '-o', sys.argv[2]], standalone_mode=False)\n"
              "print('frozen before exit:', gc.get_freeze_count() > 0)")
    child = subprocess.run([sys.executable, "-c", script, str(EXAMPLE), str(tmp_path)], capture_output=True, text=True,
                           timeout=120, check=True)
    assert child.stdout.splitlines()[-2:] == ["frozen before exit: False", "frozen at exit: True"], child.stderr


def test_plot_svg_and_terminal_charts(tmp_path: Path) -> None:
    code, out, _ = invoke("plot", str(EXAMPLE), "--term", "--format", "svg", "-o", str(tmp_path))
    assert code == 0
    assert "Rank-1 and rank-5 accuracy" in out and "Cross-entropy loss" in out
    assert (tmp_path / "loss.svg").read_text().lstrip().startswith("<?xml")


def test_export_csv_to_stdout_has_the_exact_header() -> None:
    code, out, _ = invoke("export", str(EXAMPLE), "--format", "csv")
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "run,tag,source_tag,step,epoch,wall_time,value"
    last_val = re.search(r"Epoch\[99\] Validation-accuracy=([\d.]+)", (EXAMPLE / "training_85.log").read_text())
    assert f"alexnet-imagenet,val/accuracy,Validation-accuracy,99,99.0,,{float(last_val.group(1))!r}" in lines


def test_inspect_names_formats_series_and_resumes() -> None:
    code, out, _ = invoke("inspect", str(EXAMPLE))
    assert code == 0
    assert "[mxnet]" in out and "val/accuracy" in out and "Validation-accuracy" in out
    assert "resume x2" in out


def test_missing_path_is_one_line_and_exit_1(tmp_path: Path) -> None:
    code, _, err = invoke("plot", f'"{tmp_path}/nope.log"', "-o", str(tmp_path))
    assert code == 1
    assert "nope.log" in err and "quote characters" in err and "Traceback" not in err


def test_one_bad_file_does_not_stop_the_others(tmp_path: Path) -> None:
    bad = tmp_path / "broken.log"
    bad.write_bytes(b"\x00\xff" * 50)
    code, out, err = invoke("export", str(bad), str(EXAMPLE / "training_0.log"))
    assert code == 0
    assert f"skipped {bad}" in err
    assert "training_0,val/accuracy" in out


def test_nothing_usable_exits_non_zero(tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("just some words\n")
    code, _, err = invoke("inspect", str(notes))
    assert code == 1 and "no known log format" in err and "--log-format" in err


def test_parquet_needs_an_output_file() -> None:
    code, _, err = invoke("export", str(EXAMPLE), "--format", "parquet")
    assert code == 1 and "-o FILE" in err


def test_export_tfevents_writes_a_tensorboard_run_that_reads_back_as_the_log(tmp_path: Path) -> None:
    code, out, err = invoke("export", str(EXAMPLE), "--format", "tfevents", "-o", str(tmp_path / "tb"))
    assert code == 0, err
    (written,) = [Path(line) for line in out.splitlines()]
    assert written.parent == tmp_path / "tb" / "alexnet-imagenet" and written.name.startswith("events.out.tfevents.")
    (run,) = lossboard.load(tmp_path / "tb")
    val = run.series["val/accuracy"]
    assert dict(zip(val.step.tolist(), val.value.tolist())) == stitched_validation_accuracy()


def test_export_tfevents_from_an_index(tmp_path: Path) -> None:
    store = f"sqlite:///{tmp_path / 'index.db'}"
    assert invoke("index", str(EXAMPLE), "--store", store)[0] == 0
    code, out, err = invoke("export", "--store", store, "--format", "tfevents", "-o", str(tmp_path / "tb"))
    assert code == 0, err
    (run,) = lossboard.load(tmp_path / "tb")
    val = run.series["val/accuracy"]
    assert dict(zip(val.step.tolist(), val.value.tolist())) == stitched_validation_accuracy()


@pytest.mark.parametrize("out", [[], ["-o", "-"]])
def test_export_tfevents_needs_an_output_directory(out: list[str]) -> None:
    code, stdout, err = invoke("export", str(EXAMPLE), "--format", "tfevents", *out)
    assert code == 1 and stdout == ""
    assert err == "lossboard: tfevents export writes a directory of TensorBoard runs: give it with -o DIR\n"


def test_export_tfevents_never_mixes_with_an_earlier_export(tmp_path: Path) -> None:
    assert invoke("export", str(EXAMPLE), "--format", "tfevents", "-o", str(tmp_path))[0] == 0
    before = {path: path.read_bytes() for path in tmp_path.rglob("*") if path.is_file()}
    code, _, err = invoke("export", str(EXAMPLE), "--format", "tfevents", "-o", str(tmp_path))
    assert code == 1 and len(err.splitlines()) == 1
    assert "alexnet-imagenet already holds an event file" in err and "Traceback" not in err
    assert {path: path.read_bytes() for path in tmp_path.rglob("*") if path.is_file()} == before


def test_export_tfevents_without_tensorboard_names_the_extra(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import sys

    for name in [name for name in sys.modules if name.split(".")[0] == "tensorboard"]:
        monkeypatch.setitem(sys.modules, name, None)  # None in sys.modules reads as "not installed"
    code, _, err = invoke("export", str(EXAMPLE), "--format", "tfevents", "-o", str(tmp_path / "tb"))
    assert code == 1
    assert err == "lossboard: tfevents export needs tensorboard: pip install 'lossboard[tfevents]'\n"
    assert not (tmp_path / "tb").exists()


def test_an_unknown_export_format_is_a_click_usage_error() -> None:
    code, _, err = invoke("export", str(EXAMPLE), "--format", "tfrecord")
    assert code == 2 and "'tfrecord' is not one of" in err and "tfevents" in err


@pytest.mark.parametrize("command", ["plot", "export", "inspect", "formats"])
def test_every_command_has_help(command: str) -> None:
    code, out, _ = invoke(command, "--help")
    assert code == 0 and "Usage:" in out


def test_a_reader_that_stops_early_gets_no_error_message() -> None:
    # `lossboard export ... | head -1`: the pipe closes while lossboard still writes
    import subprocess
    import sys

    script = "import sys; from lossboard.cli import main; sys.argv = ['lossboard', 'export', sys.argv[1]]; main()"
    child = subprocess.Popen([sys.executable, "-c", script, str(EXAMPLE)], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE)
    assert child.stdout is not None and child.stderr is not None
    assert child.stdout.readline() == b"run,tag,source_tag,step,epoch,wall_time,value\n"
    child.stdout.close()
    assert child.wait() == 1
    with child.stderr:
        assert child.stderr.read() == b""
