"""`lossboard run -- CMD`: output tee'd byte for byte, parsed live, signals and exit status as in
a shell, colours and redraws kept under a terminal.

Commands are small ``python -c`` children printing lines copied from the corpus
(keras-stdout/kanji_training_log.txt, mxnet-speedometer-new/mxnet-cls_train.log); expected
values are read off those lines. Runs that need real signals or a real terminal run the runner
in a subprocess of its own session, so no signal or terminal of the test process is touched.
"""

from __future__ import annotations

import io
import json
import os
import select
import signal
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest

from lossboard.log.live import SETTLE_LINES, LiveParser
from lossboard.log.run import OUTPUT_FILE, RUN_DIR_ENV, make_run_dir, run_command

PY = sys.executable
WAIT_S = 60  # only a guard against a hung test; nothing waits for it in a passing run

# keras-stdout/kanji_training_log.txt, lines 1-7 (Keras 1, verbose=2)
KERAS = (
    b"Train on 40000 samples, validate on 10000 samples\n"
    b"Epoch 1/50\n"
    b"224s - loss: 3.5508 - acc: 0.2966 - val_loss: 1.4529 - val_acc: 0.5808\n"
    b"Epoch 2/50\n"
    b"223s - loss: 1.0899 - acc: 0.6879 - val_loss: 0.7529 - val_acc: 0.7712\n"
    b"Epoch 3/50\n"
    b"225s - loss: 0.7034 - acc: 0.7956 - val_loss: 0.4508 - val_acc: 0.8717\n"
)
# mxnet-speedometer-new/mxnet-cls_train.log, lines 31-40 (logged to stderr, as `logging` does)
MXNET = (
    b"INFO:root:Epoch[0] Batch [600]\tSpeed: 140.46 samples/sec\taccuracy=0.742188\n"
    b"INFO:root:Epoch[0] Batch [620]\tSpeed: 141.47 samples/sec\taccuracy=0.740625\n"
    b"INFO:root:Epoch[0] Train-accuracy=0.671875\n"
    b"INFO:root:Epoch[0] Time cost=140.990\n"
    b'INFO:root:Saved checkpoint to "models/img_cls-0001.params"\n'
    b"INFO:root:Epoch[0] Validation-accuracy=0.710788\n"
    b"INFO:root:Epoch[1] Batch [20]\tSpeed: 143.88 samples/sec\taccuracy=0.732143\n"
    b"INFO:root:Epoch[1] Batch [40]\tSpeed: 143.53 samples/sec\taccuracy=0.737500\n"
    b"INFO:root:Epoch[1] Batch [60]\tSpeed: 143.82 samples/sec\taccuracy=0.753125\n"
    b"INFO:root:Epoch[1] Batch [80]\tSpeed: 143.19 samples/sec\taccuracy=0.725000\n"
)

# The runner in a process of its own: argv[1] is the log directory, the rest the command.
RUNNER = (
    "import sys; from lossboard.log.run import run_command; "
    "sys.exit(run_command(sys.argv[2:], logdir=sys.argv[1]))"
)
# Prints 'ready', then on SIGTERM or SIGINT says which and exits 5.
TRAPPER = (
    "import signal, sys\n"
    "def stop(number, frame):\n"
    "    print('got', signal.Signals(number).name, flush=True); sys.exit(5)\n"
    "signal.signal(signal.SIGTERM, stop); signal.signal(signal.SIGINT, stop)\n"
    "print('ready', flush=True)\n"
    "while True: signal.pause()\n"
)


def writer(data: bytes, *, stream: str = "stdout", status: int = 0) -> list[str]:
    """A command that writes ``data`` as is to ``stream`` and exits with ``status``."""
    code = f"import sys; sys.{stream}.buffer.write({data!r}); sys.{stream}.flush(); sys.exit({status})"
    return [PY, "-c", code]


def run_here(argv: list[str], logdir: Path, **kwargs) -> tuple[int, bytes, bytes]:
    """`run_command` in this process with pipes for our side: (status, stdout, stderr)."""
    out, err = io.BytesIO(), io.BytesIO()
    status = run_command(argv, logdir=logdir, stdout=out, stderr=err, **kwargs)
    return status, out.getvalue(), err.getvalue()


def only_run(logdir: Path) -> Path:
    (run_dir,) = logdir.iterdir()
    return run_dir


def record(run_dir: Path) -> dict:
    return json.loads((run_dir / "run.json").read_bytes())


def read_until(fd: int, marker: bytes, seen: bytearray) -> None:
    """Read ``fd`` into ``seen`` until ``marker`` appears (or the guard timeout fails the test)."""
    while marker not in seen:
        ready, _, _ = select.select([fd], [], [], WAIT_S)
        assert ready, f"no {marker!r} after {WAIT_S}s; got {bytes(seen)!r}"
        try:
            chunk = os.read(fd, 4096)
        except OSError:  # EIO: the terminal's other side closed
            chunk = b""
        assert chunk, f"output ended before {marker!r}; got {bytes(seen)!r}"
        seen += chunk


def read_to_end(fd: int, seen: bytearray) -> None:
    while True:
        ready, _, _ = select.select([fd], [], [], WAIT_S)
        assert ready, f"output did not end; got {bytes(seen)!r}"
        try:
            chunk = os.read(fd, 4096)
        except OSError:
            return
        if not chunk:
            return
        seen += chunk


# ---- output, record and live parsing ----------------------------------------------------


def test_keras_output_is_saved_byte_for_byte_and_parsed(tmp_path: Path) -> None:
    status, out, err = run_here(writer(KERAS), tmp_path / "runs")

    run_dir = only_run(tmp_path / "runs")
    assert status == 0
    assert out == KERAS  # still reaches our stdout
    assert (run_dir / OUTPUT_FILE).read_bytes() == KERAS
    info = record(run_dir)
    assert info["command"] == writer(KERAS)
    assert info["cwd"] == os.getcwd()
    assert info["pid"] == os.getpid()  # the runner's own: run_command ran in this process
    assert info["exit_status"] == 0 and info["status"] == "finished" and info["signal"] is None
    assert datetime.fromisoformat(info["start_time"]) < datetime.fromisoformat(info["end_time"])
    assert info["format"] == "keras-stdout"
    assert info["series"]["val/accuracy"] == {"points": 3, "last": 0.8717, "last_step": 3}
    assert info["series"]["train/loss"]["points"] == 3
    assert info["series"]["train/loss"]["last"] == 0.7034
    assert err.decode().endswith(
        f"run saved to {run_dir}: {len(info['series'])} series from keras-stdout, last val/accuracy 0.8717\n"
    )


def test_stderr_is_captured_and_still_goes_to_stderr(tmp_path: Path) -> None:
    status, out, err = run_here(writer(MXNET, stream="stderr"), tmp_path)

    run_dir = only_run(tmp_path)
    assert out == b""
    assert err.startswith(MXNET)
    assert (run_dir / OUTPUT_FILE).read_bytes() == MXNET
    info = record(run_dir)
    assert info["format"] == "mxnet"
    assert info["series"]["val/accuracy"]["points"] == 1
    assert info["series"]["val/accuracy"]["last"] == 0.710788
    assert info["series"]["train_batch/accuracy"]["points"] == 6  # six Batch lines
    assert info["series"]["train_batch/accuracy"]["last"] == 0.725


def test_output_without_metrics_still_saved(tmp_path: Path) -> None:
    data = b"hello\r\x1b[32mgreen\x1b[0m\n\xff not utf-8\n"
    _, _, err = run_here(writer(data), tmp_path)

    run_dir = only_run(tmp_path)
    assert (run_dir / OUTPUT_FILE).read_bytes() == data
    assert record(run_dir)["format"] is None
    assert record(run_dir)["series"] == {}
    assert b"no metrics recognised" in err


def test_the_command_learns_its_run_directory(tmp_path: Path) -> None:
    argv = [PY, "-c", f"import os; print(os.environ[{RUN_DIR_ENV!r}])"]
    _, out, _ = run_here(argv, tmp_path)
    assert out.decode().strip() == str(only_run(tmp_path).resolve())


# ---- exit status ------------------------------------------------------------------------


def test_exit_status_is_the_commands(tmp_path: Path) -> None:
    status, _, _ = run_here(writer(b"", status=3), tmp_path)
    assert status == 3
    info = record(only_run(tmp_path))
    assert info["exit_status"] == 3 and info["status"] == "failed"


def test_a_command_killed_by_a_signal_exits_128_plus_n(tmp_path: Path) -> None:
    argv = [PY, "-c", "import os, signal; os.kill(os.getpid(), signal.SIGKILL)"]
    status, _, _ = run_here(argv, tmp_path)
    assert status == 128 + signal.SIGKILL
    info = record(only_run(tmp_path))
    assert info["status"] == "killed" and info["signal"] == "SIGKILL"
    assert info["exit_status"] == 128 + signal.SIGKILL and info["end_time"] is not None


def test_missing_command_exits_127_with_a_message(tmp_path: Path) -> None:
    status, out, err = run_here(["no-such-command-lossboard", "x"], tmp_path)
    assert status == 127
    assert err == b"lossboard: run: no such command: no-such-command-lossboard\n"
    assert not tmp_path.exists() or not any(tmp_path.iterdir())


def test_a_file_that_is_not_executable_exits_126(tmp_path: Path) -> None:
    script = tmp_path / "train.sh"
    script.write_text("echo hi\n")
    status, _, err = run_here([str(script)], tmp_path / "runs")
    assert status == 126
    assert err == f"lossboard: run: permission denied: {script}\n".encode()


# ---- signals ----------------------------------------------------------------------------


@pytest.mark.parametrize("number", [signal.SIGTERM, signal.SIGINT])
def test_signals_to_lossboard_reach_the_command(tmp_path: Path, number: int) -> None:
    # No terminal here (a new session), so even SIGINT came from `kill`, not from a Ctrl-C
    # the command also saw: lossboard must pass it on.
    runner = subprocess.Popen(
        [PY, "-c", RUNNER, str(tmp_path), PY, "-c", TRAPPER],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    seen = bytearray()
    read_until(runner.stdout.fileno(), b"ready\n", seen)
    runner.send_signal(number)
    out, err = runner.communicate(timeout=WAIT_S)

    name = signal.Signals(number).name
    assert runner.returncode == 5, err
    assert bytes(seen) + out == f"ready\ngot {name}\n".encode()
    info = record(only_run(tmp_path))
    assert info["exit_status"] == 5 and info["end_time"] is not None


# ---- under a terminal -------------------------------------------------------------------


def start_in_terminal(argv: list[str]) -> tuple[subprocess.Popen, int]:
    """Start ``argv`` as the session leader of a new pseudo-terminal; return it and the master."""
    master, slave = os.openpty()
    # Opening the terminal by name in a new session makes it the controlling terminal.
    become_controlling = f"import os, sys; os.close(os.open({os.ttyname(slave)!r}, os.O_RDWR)); "
    argv = [argv[0], "-c", become_controlling + argv[2]] + argv[3:]
    process = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, start_new_session=True)
    os.close(slave)
    return process, master


def test_under_a_terminal_the_command_sees_a_terminal_and_redraws_are_kept(tmp_path: Path) -> None:
    child = (
        "import sys; sys.stdout.write(f'tty={sys.stdout.isatty()},{sys.stderr.isatty()}\\n'); "
        "sys.stdout.write('\\x1b[32m 1/2 step\\r 2/2 done\\x1b[0m\\n'); sys.stdout.flush()"
    )
    runner, master = start_in_terminal([PY, "-c", RUNNER, str(tmp_path), PY, "-c", child])
    shown = bytearray()
    try:
        read_to_end(master, shown)
    finally:
        os.close(master)
    assert runner.wait(timeout=WAIT_S) == 0

    written = b"tty=True,True\n\x1b[32m 1/2 step\r 2/2 done\x1b[0m\n"
    assert (only_run(tmp_path) / OUTPUT_FILE).read_bytes() == written
    # our own terminal turns each \n into \r\n, as it would for the command run directly
    assert shown.startswith(written.replace(b"\n", b"\r\n"))


def test_ctrl_c_at_the_terminal_reaches_the_command_once(tmp_path: Path) -> None:
    counter = TRAPPER.replace("sys.exit(5)", "sys.exit(5) if number == signal.SIGTERM else None")
    counter = counter.replace("while True: signal.pause()", "sys.stdin.readline(); sys.exit(5)")
    runner, master = start_in_terminal([PY, "-c", RUNNER, str(tmp_path), PY, "-c", counter])
    shown = bytearray()
    try:
        read_until(master, b"ready", shown)
        os.write(master, b"\x03")  # Ctrl-C: the terminal signals its whole foreground job
        read_until(master, b"got SIGINT", shown)
        os.write(master, b"\n")
        read_to_end(master, shown)
    finally:
        os.close(master)

    assert runner.wait(timeout=WAIT_S) == 5  # lossboard survived and reports the command's status
    output = (only_run(tmp_path) / OUTPUT_FILE).read_bytes()
    assert output.count(b"got SIGINT") == 1  # the terminal's SIGINT, not forwarded a second time
    assert record(only_run(tmp_path))["exit_status"] == 5


# ---- run directories --------------------------------------------------------------------


def test_run_names_are_dated_and_unique(tmp_path: Path) -> None:
    moment = datetime(2025, 3, 7, 14, 2, 11, tzinfo=timezone.utc)
    for _ in range(2):
        run_here(writer(b""), tmp_path, now=lambda: moment)
    stamp = "2025-03-07_14-02-11"
    program = Path(PY).name
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"{stamp}_{program}", f"{stamp}_{program}_2"]


def test_a_given_name_gets_a_suffix_when_taken(tmp_path: Path) -> None:
    assert make_run_dir(tmp_path, "baseline") == tmp_path / "baseline"
    assert make_run_dir(tmp_path, "baseline") == tmp_path / "baseline_2"
    assert make_run_dir(tmp_path, "baseline") == tmp_path / "baseline_3"


# ---- the live parser --------------------------------------------------------------------


def test_live_parsing_does_not_depend_on_chunk_boundaries() -> None:
    whole, bytewise = LiveParser(), LiveParser()
    whole.feed(KERAS)
    for index in range(len(KERAS)):
        bytewise.feed(KERAS[index : index + 1])
    whole.close()
    bytewise.close()
    assert bytewise.summary() == whole.summary()
    assert whole.summary()["series"]["val/accuracy"]["last"] == 0.8717


def test_live_parsing_skips_an_unrecognised_start() -> None:
    noise = b"Downloading shard 1 of 4 ...\n" * 4000  # > one window, no format's lines
    live = LiveParser()
    live.feed(noise)
    live.feed(b"\n" + KERAS * (SETTLE_LINES // 7 + 1))
    live.close()
    assert live.format == "keras-stdout"
    assert live.series["val/accuracy"].last == 0.8717
