"""``lossboard run -- CMD ARGS...``: run any command unchanged, save and parse what it prints.

The command's output goes on to the terminal as before and, byte for byte, into
``<logdir>/<name>/output.log`` (flushed every chunk, so it can be tailed); a `LiveParser`
parses it behind the copy, in a thread that reads ``output.log`` (`_ParseBehind`), so the
command never waits for the parser; ``run.json`` (see `lossboard.log.runinfo`) records the
command, its directory, git state, host, times, exit status and what was parsed.

How the child is wired:

* Its stdout and stderr go to a pseudo-terminal when ours are terminals, so colours and
  progress bars look as they always do, and to pipes otherwise. With both on a terminal the
  two share one pseudo-terminal (the order you see is the order saved); with pipes, stderr
  still goes to our stderr. The pseudo-terminal gets our window size, kept up to date on
  SIGWINCH, and does not turn ``\\n`` into ``\\r\\n`` (our own terminal does that), so
  ``output.log`` holds exactly the bytes the command wrote.
* It keeps our stdin and our process group, so it stays in the terminal's foreground job:
  Ctrl-C, Ctrl-\\ and Ctrl-Z reach it (and its own workers) as if lossboard were not there.
* SIGTERM, and SIGINT, SIGHUP or SIGQUIT the terminal did not also send it (``kill -INT`` to
  lossboard, a background job, no terminal), are forwarded to it. lossboard itself waits for
  the command, so ``run.json`` always gets the end time and exit status.
* The exit status is the command's: 128+n when a signal n killed it, 127 when the command
  does not exist, 126 when it cannot be executed, as in a shell.
* A write that fails (disk full) stops the saving, not the command: it is said once, and
  the end of the run is still recorded (`lossboard.log.runinfo.write_info`).

>>> run_command(["python", "train.py", "--epochs", "3"], logdir="runs")  # doctest: +SKIP
lossboard: run saved to runs/2025-03-07_14-02-11_python: 5 series from keras-stdout, last val/accuracy 0.8717
0
"""

from __future__ import annotations

import errno
import fcntl
import os
import re
import selectors
import shutil
import signal
import subprocess
import sys
import termios
import threading
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import BinaryIO

from lossboard.log.live import LiveParser
from lossboard.log.runinfo import RunInfo, start_info, write_info

OUTPUT_FILE = "output.log"
RUN_DIR_ENV = "LOSSBOARD_RUN_DIR"  # tells the command (and its SummaryWriter) where its run is
CHUNK_BYTES = 64 * 1024  # what the live parse reads at once
# The child's pipes, and what one copy takes from them: while the parse thread holds the GIL,
# each copy waits up to a switch interval (5 ms) for it, so it must move much at once.
PIPE_BYTES = 1 << 20
_CATCH_UP_S = 10.0  # after the command ends, how long the live parse may take to reach the end
_IDLE_S = 1.0  # after the command exits, how long a grandchild may hold its output open silently
_FORWARDED = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT)
_FROM_TERMINAL = {signal.SIGINT, signal.SIGHUP, signal.SIGQUIT}  # sent to the whole foreground job
_HEADLINE_TAGS = ("val/accuracy", "val/loss", "train/accuracy", "train/loss")
_UNSAFE_NAME = re.compile(r"[^\w.+-]+")


def run_command(
    argv: list[str],
    *,
    logdir: str | Path | None = None,
    name: str | None = None,
    stdout: BinaryIO | None = None,
    stderr: BinaryIO | None = None,
    now: Callable[[], datetime] | None = None,
    live: LiveParser | None = None,
) -> int:
    """Run ``argv``, tee its output into a new run directory under ``logdir`` (``runs``), and
    return its exit status. Call it from the main thread: it handles signals while it waits.

    ``stdout``/``stderr`` are where the command's output goes on to (ours by default),
    ``now`` the clock that names and dates the run, ``live`` the parser fed the output (a
    new `LiveParser` by default).
    """
    stdout = stdout if stdout is not None else sys.stdout.buffer
    stderr = stderr if stderr is not None else sys.stderr.buffer
    now = now or _local_now
    missing = _check_command(argv[0])
    if missing is not None:
        message, status = missing
        _say(stderr, message)
        return status
    start = now()
    run_dir = make_run_dir(logdir or "runs", name or _default_name(argv[0], start))
    info = start_info(argv, cwd=os.getcwd(), start=start)
    write_info(run_dir, info)
    live = live if live is not None else LiveParser()
    output = _Output(run_dir / OUTPUT_FILE, stderr)
    behind = _ParseBehind(run_dir / OUTPUT_FILE, live)
    try:
        returncode = _tee(argv, run_dir, stdout, stderr, output, behind)
    finally:
        output.close()
        unparsed = behind.finish(_CATCH_UP_S)
    summary = live.summary()
    if unparsed:
        summary["parse_failure"] = (
            f"the live parse was {unparsed:,} bytes behind when the command ended and stopped there"
        )
    status = info.finish(returncode, end=now(), live=summary)
    _write_end(run_dir, info, stderr)
    if info.parse_failure is not None:
        _say(stderr, f"live parsing stopped ({info.parse_failure}); {run_dir / OUTPUT_FILE} is complete")
    _say(stderr, _summary(run_dir, info))
    return status


def make_run_dir(logdir: str | Path, name: str) -> Path:
    """Create ``logdir/name``, or ``name_2``, ``name_3``... when taken (also by a run started
    at the same moment in another process: `os.mkdir` either creates or fails)."""
    Path(logdir).mkdir(parents=True, exist_ok=True)
    candidate, number = Path(logdir) / name, 1
    while True:
        try:
            candidate.mkdir()
            return candidate
        except FileExistsError:
            number += 1
            candidate = Path(logdir) / f"{name}_{number}"


def _default_name(program: str, start: datetime) -> str:
    command = _UNSAFE_NAME.sub("_", os.path.basename(program)).strip("_") or "command"
    return f"{start:%Y-%m-%d_%H-%M-%S}_{command}"


def _check_command(program: str) -> tuple[str, int] | None:
    """The message and shell exit status for a command that cannot run, else None."""
    if shutil.which(program) is not None:
        return None
    if os.sep in program and os.path.exists(program):
        return f"run: permission denied: {program}", 126
    return f"run: no such command: {program}", 127


def _tee(
    argv: list[str], run_dir: Path, stdout: BinaryIO, stderr: BinaryIO, output: _Output, behind: _ParseBehind
) -> int:
    """Start the command, copy its output until it ends, and return its `Popen.returncode`."""
    wiring = _Wiring(stdout, stderr)
    env = {**os.environ, RUN_DIR_ENV: str(run_dir.resolve())}
    with _SignalForwarder(wiring) as forwarder:
        try:
            child = subprocess.Popen(argv, stdout=wiring.child_stdout, stderr=wiring.child_stderr, env=env)
        except OSError as error:  # found on PATH but not executable (ENOEXEC, EACCES)
            wiring.close()
            _say(stderr, f"run: cannot execute {argv[0]}: {error.strerror}")
            return 126
        wiring.close_child_ends()
        forwarder.attach(child.pid)
        _copy(wiring.sources(child), child, output, behind)
        return child.wait()


def _copy(sources: dict[int, _Sink], child: subprocess.Popen, output: _Output, behind: _ParseBehind) -> None:
    """Copy each chunk to its sink and to output.log, and tell the parser there is more, until
    every source ends (or the command has exited and `_IDLE_S` passes without output: a
    grandchild holds it)."""
    with selectors.DefaultSelector() as selector:
        for fd in sources:
            selector.register(fd, selectors.EVENT_READ)
        while sources:
            ready = selector.select(_IDLE_S)
            if not ready and child.poll() is not None:
                break
            for key, _ in ready:
                fd = key.fd
                try:
                    data = os.read(fd, PIPE_BYTES)
                except OSError as error:  # EIO: every process has closed the pseudo-terminal
                    if error.errno != errno.EIO:
                        raise
                    data = b""
                if not data:
                    selector.unregister(fd)
                    os.close(fd)
                    del sources[fd]
                    continue
                sources[fd].write(data)
                output.write(data)
                behind.poke()
    for fd in sources:
        os.close(fd)


class _ParseBehind:
    """Parses output.log in a thread of its own, behind the copy: the command never waits
    for a parser, however slow the parser or long the lines.

    The saved file is the queue. The copy only says "more was written" (`poke`); the thread
    reads from where it stopped to the file's current end and feeds the `LiveParser`. A
    parser slower than the command falls behind and catches up from the file, in constant
    memory; `finish` gives it ``catch_up_s`` after the command ends and then stops it.
    """

    def __init__(self, path: Path, live: LiveParser) -> None:
        self._path = path
        self._live = live
        self._more = threading.Event()
        self._is_written = False  # the copy has written its last byte
        self._must_stop = False
        self._parsed = 0
        self._thread = threading.Thread(target=self._parse, name="lossboard-live-parse", daemon=True)
        self._thread.start()

    def poke(self) -> None:
        self._more.set()

    def finish(self, catch_up_s: float) -> int:
        """Let the parse reach the end of output.log (for at most ``catch_up_s``), close the
        parser, and return how many saved bytes were left unparsed."""
        self._is_written = True
        self._more.set()
        self._thread.join(catch_up_s)
        self._must_stop = True
        self._thread.join()
        self._live.close()
        try:
            return max(0, self._path.stat().st_size - self._parsed)
        except OSError:
            return 0

    def _parse(self) -> None:
        try:
            file = open(self._path, "rb", buffering=0)
        except OSError:  # output.log could not be created: nothing to parse
            return
        with file:
            while not self._must_stop:
                is_written = self._is_written  # read before the file: no byte is missed
                data = file.read(CHUNK_BYTES)
                if data:
                    self._live.feed(data)
                    self._parsed += len(data)
                elif is_written:
                    return
                else:
                    # 1. a poke after this wait returned but before the clear is not lost:
                    # 2. its bytes were written before it, so the next read sees them.
                    self._more.wait()
                    self._more.clear()


class _Wiring:
    """The child's stdout and stderr: one pseudo-terminal for those of ours that are
    terminals, a pipe for each of the others; and where each read end's bytes go."""

    def __init__(self, stdout: BinaryIO, stderr: BinaryIO) -> None:
        self._sinks = (_Sink(stdout), _Sink(stderr))
        self.terminal_fd = next((s.fd for s in self._sinks if s.is_terminal), None)
        self.pty_master: int | None = None
        self._pty_slave: int | None = None
        if self.terminal_fd is not None:
            self.pty_master, self._pty_slave = os.openpty()
            attributes = termios.tcgetattr(self._pty_slave)
            attributes[1] &= ~termios.ONLCR  # keep the child's bytes: our terminal adds the \r
            termios.tcsetattr(self._pty_slave, termios.TCSANOW, attributes)
            self.copy_window_size()
        self.child_stdout, self.child_stderr = (
            self._pty_slave if sink.is_terminal else subprocess.PIPE for sink in self._sinks
        )

    def copy_window_size(self) -> None:
        if self.terminal_fd is None or self.pty_master is None:
            return
        try:
            size = fcntl.ioctl(self.terminal_fd, termios.TIOCGWINSZ, b"\0" * 8)
            fcntl.ioctl(self.pty_master, termios.TIOCSWINSZ, size)
        except OSError:  # the terminal went away; the child keeps the last size
            pass

    def close_child_ends(self) -> None:
        if self._pty_slave is not None:
            os.close(self._pty_slave)
            self._pty_slave = None

    def close(self) -> None:
        """Close both ends of the pseudo-terminal (when the command could not start)."""
        self.close_child_ends()
        if self.pty_master is not None:
            os.close(self.pty_master)
            self.pty_master = None

    def sources(self, child: subprocess.Popen) -> dict[int, _Sink]:
        """Read end -> where its bytes go: the pseudo-terminal to the first terminal sink."""
        sources: dict[int, _Sink] = {}
        if self.pty_master is not None:
            sources[self.pty_master] = next(s for s in self._sinks if s.is_terminal)
        for pipe, sink in zip((child.stdout, child.stderr), self._sinks):
            if pipe is not None:
                _widen(pipe.fileno())
                sources[os.dup(pipe.fileno())] = sink
                pipe.close()
        return sources


def _widen(pipe_fd: int) -> None:
    """Give a pipe `PIPE_BYTES` of buffer (Linux), so the command writes on while we copy."""
    try:
        fcntl.fcntl(pipe_fd, getattr(fcntl, "F_SETPIPE_SZ", 1031), PIPE_BYTES)
    except OSError:  # not Linux, or above /proc/sys/fs/pipe-max-size: the default will do
        pass


class _Sink:
    """Where the command's output goes on to; once that fails (a closed pipe, a hung-up
    terminal), the output is still saved and parsed, only no longer shown."""

    def __init__(self, stream: BinaryIO) -> None:
        self._stream = stream
        try:
            self.fd: int | None = stream.fileno()
        except (AttributeError, OSError, ValueError):  # io.UnsupportedOperation is an OSError
            self.fd = None
        self.is_terminal = self.fd is not None and os.isatty(self.fd)
        self._is_broken = False

    def write(self, data: bytes) -> None:
        if self._is_broken:
            return
        try:
            if self.fd is None:
                self._stream.write(data)
                self._stream.flush()
            else:
                _write_all(self.fd, data)
        except OSError:
            self._is_broken = True


class _Output:
    """output.log, unbuffered: every chunk is on disk (in the page cache) when `write` returns.
    A write error (disk full) is said once on ``stderr`` and the command goes on."""

    def __init__(self, path: Path, stderr: BinaryIO) -> None:
        self._path = path
        self._stderr = stderr
        self._file: BinaryIO | None = open(path, "wb", buffering=0)

    def write(self, data: bytes) -> None:
        if self._file is None:
            return
        try:
            _write_all(self._file.fileno(), data)
        except OSError as error:
            _say(
                self._stderr,
                f"{self._path}: {error.strerror or error}; the output is no longer saved "
                "(the command goes on)",
            )
            self.close()

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


class _SignalForwarder:
    """While the command runs: catch SIGINT, SIGTERM, SIGHUP and SIGQUIT so lossboard does
    not die before writing run.json, and pass each one to the command unless the terminal
    sent it to the command too; on SIGWINCH, resize the pseudo-terminal and tell the command."""

    def __init__(self, wiring: _Wiring) -> None:
        self._wiring = wiring
        self._pid: int | None = None
        self._pending: list[int] = []
        self._previous: dict[int, object] = {}
        self._tty = _open_controlling_tty()

    def __enter__(self) -> _SignalForwarder:
        watched = _FORWARDED + ((signal.SIGWINCH,) if self._wiring.pty_master is not None else ())
        for number in watched:
            self._previous[number] = signal.signal(number, self._handle)
        return self

    def __exit__(self, *exc_info: object) -> None:
        for number, handler in self._previous.items():
            signal.signal(number, handler)  # type: ignore[arg-type]
        if self._tty is not None:
            os.close(self._tty)

    def attach(self, pid: int) -> None:
        self._pid = pid
        for number in self._pending:
            self._handle(number, None)

    def _handle(self, number: int, _frame: object) -> None:
        if self._pid is None:
            self._pending.append(number)
            return
        if number == signal.SIGWINCH:
            self._wiring.copy_window_size()
        elif number in _FROM_TERMINAL and self._terminal_sent_it_too():
            return
        try:
            os.kill(self._pid, number)
        except ProcessLookupError:  # already exited; its status is on its way
            pass

    def _terminal_sent_it_too(self) -> bool:
        """Whether the command is in our process group and that group is the terminal's
        foreground job, so a Ctrl-C (or a hang-up) reached the command directly."""
        if self._tty is None or self._pid is None:
            return False
        try:
            return os.getpgid(self._pid) == os.getpgrp() == os.tcgetpgrp(self._tty)
        except OSError:  # the terminal hung up or the command is gone
            return False


def _open_controlling_tty() -> int | None:
    try:
        return os.open("/dev/tty", os.O_RDONLY | os.O_NOCTTY | os.O_CLOEXEC)
    except OSError:  # no controlling terminal: a service, a cron job, a CI runner
        return None


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _write_end(run_dir: Path, info: RunInfo, stderr: BinaryIO) -> None:
    try:
        write_info(run_dir, info)
    except OSError as error:
        _say(stderr, f"{run_dir}: could not record the end of the run: {error.strerror or error}")


def _summary(run_dir: Path, info: RunInfo) -> str:
    """'run saved to runs/x: 12 series from keras-stdout, last val/accuracy 0.91'."""
    where = f"run saved to {run_dir}"
    if not info.series:
        return f"{where}: no metrics recognised in the output"
    tag = next((t for t in _HEADLINE_TAGS if t in info.series), None)
    if tag is None:
        tag = max(info.series, key=lambda t: info.series[t]["last_step"])
    return f"{where}: {len(info.series)} series from {info.format}, last {tag} {info.series[tag]['last']:.4g}"


def _say(stderr: BinaryIO, message: str) -> None:
    _Sink(stderr).write(f"lossboard: {message}\n".encode())


def _local_now() -> datetime:
    return datetime.now().astimezone()
