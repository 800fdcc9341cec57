"""The ``lossboard`` command: argument parsing and error-to-exit-code, no logic of its own."""

from __future__ import annotations

import atexit
import gc
import os
import sys
from collections.abc import Callable, Sequence
from contextlib import nullcontext
from typing import Any, TypeVar

import click

from lossboard.errors import LossboardError, PathNotFoundError, UsageError

F = TypeVar("F", bound=Callable[..., Any])
_MAX_PROBLEMS_SHOWN = 5


class _Group(click.Group):
    """Turns a `LossboardError` or an `OSError` on a user's path into one line and exit 1."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except LossboardError as error:
            _say(str(error))
            sys.exit(1)
        except BrokenPipeError:  # `lossboard export ... | head`: the reader has all it wants
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            sys.exit(1)
        except OSError as error:
            where = f"{error.filename}: " if error.filename else ""
            _say(f"{where}{error.strerror or error}")
            sys.exit(1)


def _say(message: str) -> None:
    click.echo(f"lossboard: {message}", err=True)


def _progress_line(summary: Any, runs: int) -> None:
    """One redrawn line on a terminal: runs, files, MB and points indexed so far."""
    click.echo(f"\rindexing: run {summary.runs:,} of {runs:,}, {summary.files_read:,} files, "
               f"{summary.bytes_read / 1e6:,.1f} MB, {summary.points:,} points", err=True, nl=summary.runs == runs)


def interrupted(summary: Any) -> str:
    """What Ctrl-C leaves: what was committed, and how to go on."""
    return (f"interrupted; committed before it: {summary}. Run the same command again: it goes on "
            "from where each file stopped")


def _pass_reporter(*, quiet_when_idle: bool) -> Callable[[Any], None]:
    """What an indexing pass prints: each unreadable file once (not at every pass), then the
    pass's summary, or with ``quiet_when_idle`` only a summary of a pass that did something."""
    reported: set[str] = set()

    def report(summary: Any) -> None:
        for failure in summary.failures:
            if str(failure) not in reported:
                reported.add(str(failure))
                _say(f"skipped {failure}")
        if not quiet_when_idle or summary.points or summary.reset or summary.locked:
            click.echo(str(summary))

    return report


def _inputs(command: F, *, paths_required: bool = True) -> F:
    """The options every reading command shares: the paths, --log-format, --stitch."""
    command = click.option(
        "--stitch/--no-stitch",
        default=None,
        help="Stitch all files into one run, or keep every file apart "
        "(default: files whose names differ only by a number are one resumed run).",
    )(command)
    command = click.option(
        "--log-format",
        "log_format",
        metavar="NAME",
        default=None,
        help="Read every file as this format instead of detecting it (see `lossboard formats`).",
    )(command)
    return click.argument("paths", nargs=-1, required=paths_required, type=click.Path())(command)


def _store_inputs(command: F) -> F:
    """`_inputs` plus --store: read the runs from an index, PATHS then filter run names."""
    command = click.option(
        "--store",
        "store_url",
        metavar="URL",
        default=None,
        help="Read the runs from this index (sqlite:///PATH or postgresql://...) instead of log files; "
        "PATHS are then regular expressions matched against run names (all runs when none).",
    )(command)
    return _inputs(command, paths_required=False)


def _require_paths(paths: Sequence[str]) -> None:
    """A path that is not there is a typo: say so before any work, and exit non-zero."""
    missing = [path for path in paths if not os.path.exists(path)]
    for path in missing[:-1]:
        _say(str(PathNotFoundError(path)))
    if missing:
        raise PathNotFoundError(missing[-1])


def _load(paths: Sequence[str], log_format: str | None, stitch: bool | None, store_url: str | None = None) -> list:
    from lossboard.sources.logdir import load_paths

    if store_url is not None:
        return _load_store(store_url, paths, log_format, stitch)
    if not paths:
        raise UsageError("give the PATHS of logs to read, or --store URL to read an index")
    _require_paths(paths)
    loaded = load_paths(paths, format=log_format, stitch_files=stitch)
    for failure in loaded.failures:
        _say(f"skipped {failure}")
    for run in loaded.runs:
        for problem in run.problems[:_MAX_PROBLEMS_SHOWN]:
            _say(str(problem))
        hidden = len(run.problems) - _MAX_PROBLEMS_SHOWN
        if hidden > 0:
            _say(f"... and {hidden} more problems in run {run.name} (see `lossboard inspect`)")
    usable = [run for run in loaded.runs if run.series]
    if not usable:
        raise LossboardError("no metrics found in " + ", ".join(paths))
    return usable


def _load_store(url: str, patterns: Sequence[str], log_format: str | None, stitch: bool | None) -> list:
    from lossboard.query import load_runs
    from lossboard.store.urls import open_store

    if log_format is not None or stitch is not None:
        raise UsageError("--log-format and --stitch say how to read log files; with --store the runs come from the index")
    store = open_store(url, create=False)
    try:
        runs = [run for run in load_runs(store, name_regex=patterns) if run.series]
    finally:
        store.close()
    if not runs:
        matching = f" whose name matches {' or '.join(map(repr, patterns))}" if patterns else ""
        raise LossboardError(f"no runs with metrics in {url}{matching}; see `lossboard ls --store {url}`")
    return runs


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="lossboard")
def main() -> None:
    """Training curves from any deep-learning log: plot, export, inspect."""


@main.command()
@_store_inputs
@click.option("-o", "--out", "out_dir", default=None, metavar="DIR", help="Directory for the figures [default: figures].")
@click.option("--network", metavar="NAME", help='Network name for the titles ("AlexNet").')
@click.option("--dataset", metavar="NAME", help='Data set name for the titles ("ImageNet").')
@click.option("--x", "x_axis", type=click.Choice(["epoch", "step", "wall"]), default="epoch", show_default=True,
              help="What the x axis counts.")
@click.option("--smooth", type=click.FloatRange(0.0, 0.999), default=0.0, show_default=True,
              help="Exponential smoothing weight, TensorBoard's on a 1,000-point series; any series is smoothed "
              "over the same share of its length. The raw values stay, faint, underneath.")
@click.option("--format", "image_format", type=click.Choice(["png", "svg", "pdf"]), default="png",
              show_default=True, help="Image format of the figure files.")
@click.option("--term", is_flag=True, help="Draw the charts in the terminal (and files only with -o).")
def plot(paths: tuple[str, ...], log_format: str | None, stitch: bool | None, store_url: str | None,
         out_dir: str | None, network: str | None, dataset: str | None, x_axis: str, smooth: float,
         image_format: str, term: bool) -> None:
    """Draw the classic figures (accuracy, loss, lr, throughput, ...) of the runs at PATHS or in --store."""
    from lossboard.views.drawers import start_drawers
    from lossboard.views.figures import build_figures
    from lossboard.views.hparams import write_hparams
    from lossboard.views.plot import COLUMNS, FigureError, write_figures

    writes_files = out_dir is not None or not term
    with start_drawers() if writes_files else nullcontext() as drawers:  # matplotlib readied during the load
        runs = _load(paths, log_format, stitch, store_url)
        figures = build_figures(runs, x=x_axis, smoothing=smooth, network=network, dataset=dataset, columns=COLUMNS)
        out = out_dir or "figures"
        written = [write_hparams(runs, out)] if writes_files else []
        del runs  # the figures hold only what their pixels show: let every point go before drawing
        if term:
            from lossboard.views.term import render_figures

            click.echo(render_figures(figures))
        if writes_files:
            try:
                written += write_figures(figures, out, image_format=image_format, drawers=drawers)
            except FigureError as error:
                written += error.written
                raise
            finally:
                for path in written:
                    if path is not None:
                        click.echo(str(path))
    _exit_without_collecting()


def _exit_without_collecting() -> None:
    """At this process's exit, freeze its objects so that the interpreter's last collections skip
    them (~12 ms; ~70-120 ms where matplotlib drew here). All they would find is cycles whose
    finalizers a finished plot does not need: its files are written and closed, and the
    interpreter flushes the standard streams itself. Not before the exit: a process that goes
    on (a test, a script calling `main`) collects as before."""
    atexit.register(gc.freeze)


@main.command()
@_store_inputs
@click.option("--format", "fmt", type=click.Choice(["csv", "json", "parquet", "tfevents"]), default="csv",
              show_default=True,
              help="Output format: csv, json, parquet in long form (one row per run, tag and step); "
              "tfevents as a TensorBoard run directory per run under -o DIR.")
@click.option("-o", "--out", "out_file", default=None, metavar="PATH",
              help="Output file, or the directory for tfevents [default: standard output].")
def export(paths: tuple[str, ...], log_format: str | None, stitch: bool | None, store_url: str | None, fmt: str,
           out_file: str | None) -> None:
    """Write every series of the runs at PATHS or in --store as CSV, JSON, Parquet or TensorBoard event files."""
    if fmt == "tfevents":
        from lossboard.views.export_tfevents import require_tensorboard, write_tfevents

        if out_file in (None, "-"):
            raise UsageError("tfevents export writes a directory of TensorBoard runs: give it with -o DIR")
        require_tensorboard()  # before a long load
        for path in write_tfevents(_load(paths, log_format, stitch, store_url), out_file):
            click.echo(str(path))
        return
    from lossboard.views.export import export as write
    from lossboard.views.export import open_output

    if fmt == "parquet" and out_file in (None, "-"):
        raise UsageError("parquet is binary: give a file with -o FILE")
    runs = _load(paths, log_format, stitch, store_url)
    out = open_output(out_file)
    try:
        write(runs, out, fmt=fmt)
    finally:
        if out is not sys.stdout.buffer:
            out.close()


@main.command()
@_inputs
@click.option("--unread", is_flag=True,
              help="List the lines that carry numbers but gave no value, grouped by shape.")
def inspect(paths: tuple[str, ...], log_format: str | None, stitch: bool | None, unread: bool) -> None:
    """Show what lossboard finds at PATHS: formats, runs, series, problems, and the share of
    lines with numbers that gave a value."""
    from lossboard.sources.coverage import run_coverage
    from lossboard.sources.logdir import load_paths
    from lossboard.views.inspect import describe

    _require_paths(paths)
    loaded = load_paths(paths, format=log_format, stitch_files=stitch)
    if loaded.runs:
        coverage = {found.path: found for run in loaded.runs for found in run_coverage(run)}
        click.echo(describe(loaded.runs, coverage, unread=unread))
    for failure in loaded.failures:
        _say(f"skipped {failure}")
    if not any(run.series for run in loaded.runs):
        raise LossboardError("no metrics found in " + ", ".join(paths))


@main.command(context_settings={"ignore_unknown_options": True, "allow_interspersed_args": False})
@click.option("--logdir", metavar="DIR", default=None, help="Where run directories go [default: runs].")
@click.option("--name", metavar="NAME", default=None,
              help="The run directory's name [default: <date>_<time>_<program>]; a suffix is added when taken.")
@click.argument("command", nargs=-1, required=True, type=click.UNPROCESSED)
def run(logdir: str | None, name: str | None, command: tuple[str, ...]) -> None:
    """Run COMMAND unchanged; save its output and what it ran in a run directory, parsed live.

    Put -- before the command: lossboard run -- python train.py --epochs 3
    """
    from lossboard.log.run import run_command

    sys.exit(run_command(list(command), logdir=logdir, name=name))


@main.command()
def formats() -> None:
    """List the log formats lossboard reads (names for --log-format)."""
    from lossboard.sources.formats import FORMATS, missing_extra

    for name, format in FORMATS.items():
        extra = missing_extra(format)
        paragraph = (format.module.__doc__ or "").strip().split("\n\n")[0]
        summary = " ".join(paragraph.split()).replace("``", "")
        click.echo(f"{name:18} {summary}" + (f"  [needs {extra}]" if extra else ""))


@main.command()
@click.argument("logdirs", nargs=-1, required=True, type=click.Path())
@click.option("--store", "store_url", metavar="URL", default=None,
              help="Index to write: sqlite:///path or postgresql://... "
              "[default: $LOSSBOARD_STORE or ~/.cache/lossboard/index.sqlite].")
@click.option("--log-format", "log_format", metavar="NAME", default=None,
              help="Read every file as this format instead of detecting it (see `lossboard formats`).")
@click.option("--watch", is_flag=True, help="Keep following the logs as they grow, until Ctrl-C.")
@click.option("--interval-s", type=click.FloatRange(min=0.1), default=2.0, show_default=True, metavar="S",
              help="With --watch: seconds between passes.")
@click.option("--verify", is_flag=True,
              help="First read every stored point back and check its checksum; a damaged index exits 1.")
def index(logdirs: tuple[str, ...], store_url: str | None, log_format: str | None, watch: bool,
          interval_s: float, verify: bool) -> None:
    """Index the training logs under LOGDIRS into a store, parsing only what is new."""
    from lossboard.store.indexer import Indexer
    from lossboard.store.urls import open_store
    from lossboard.store.verify import verify as check

    _require_paths(logdirs)
    report = _pass_reporter(quiet_when_idle=False)
    store = open_store(store_url)
    try:
        if verify:
            damaged = check(store)
            for message in damaged:
                _say(message)
            if damaged:
                raise LossboardError(f"{len(damaged)} damaged series; move the index away and index again")
            click.echo("verified: every stored point reads back intact")
        progress = _progress_line if sys.stderr.isatty() else None  # quiet in a pipe
        indexer = Indexer(store, logdirs, format=log_format, progress=progress)
        try:
            if not watch:
                report(indexer.run_pass(final=True))
                return
            indexer.watch(interval_s=interval_s, report=report, say=_say)
        except KeyboardInterrupt:
            if progress is not None:
                click.echo("", err=True)  # end the progress line
            _say(interrupted(indexer.summary))
            sys.exit(130)
    finally:
        store.close()


@main.command(name="ls")
@click.option("--store", "store_url", metavar="URL", default=None,
              help="Index to read [default: $LOSSBOARD_STORE or ~/.cache/lossboard/index.sqlite].")
@click.option("--runs", "runs_regex", metavar="REGEX", default=None, help="Only runs whose name matches REGEX.")
def ls(store_url: str | None, runs_regex: str | None) -> None:
    """List the runs of an index: format, tags, points, steps, last update, status."""
    import time

    from lossboard.query import list_runs
    from lossboard.store.urls import open_store
    from lossboard.views.runs_table import format_runs

    store = open_store(store_url, create=False)
    try:
        click.echo(format_runs(list_runs(store, name_regex=runs_regex), now=time.time()))
    finally:
        store.close()


@main.command()
@click.argument("logdirs", nargs=-1, type=click.Path())
@click.option("--store", "store_url", metavar="URL", default=None,
              help="Index to serve (and fill from LOGDIRS): sqlite:///path or postgresql://... "
              "[default: $LOSSBOARD_STORE or ~/.cache/lossboard/index.sqlite].")
@click.option("--log-format", "log_format", metavar="NAME", default=None,
              help="Read every file as this format instead of detecting it (see `lossboard formats`).")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on; any but the loopback one requires a token.")
@click.option("--port", type=click.IntRange(0, 65535), default=6006, show_default=True,
              help="Port to listen on; the next free one if taken (0: any free port).")
@click.option("--open/--no-open", "open_browser", default=False, show_default=True,
              help="Open the dashboard in a web browser.")
@click.option("--token", metavar="TOKEN", default=None,
              help="Require this token of every request [default: a random one when --host is not loopback].")
@click.option("--interval-s", type=click.FloatRange(min=0.1), default=0.5, show_default=True, metavar="S",
              help="Seconds between indexing passes over LOGDIRS.")
def serve(logdirs: tuple[str, ...], store_url: str | None, log_format: str | None, host: str, port: int,
          open_browser: bool, token: str | None, interval_s: float) -> None:
    """Serve the live dashboard of the runs under LOGDIRS (indexed and followed) or in --store."""
    try:
        from lossboard.server.app import create_app
        from lossboard.server.launch import BackgroundIndexer
        from lossboard.server.launch import serve as serve_app
    except ImportError as error:
        raise UsageError(f"the dashboard needs {error.name}: pip install 'lossboard[server]'") from None
    from lossboard.store.urls import default_url, open_store

    url = store_url or default_url()
    report = _pass_reporter(quiet_when_idle=True)

    indexer = None
    if logdirs:
        indexer = BackgroundIndexer(lambda: open_store(url), logdirs, format=log_format,
                                    interval_s=interval_s, report=report)
    elif store_url is None:
        raise UsageError("give the LOGDIRS to index and serve, or --store URL to serve an index")
    else:
        open_store(url, create=False).close()  # a missing index is said now, not at each request

    def app_factory(**options: Any) -> Any:
        return create_app(lambda: open_store(url, create=False), **options)

    serve_app(app_factory, host=host, port=port, token=token, open_browser=open_browser, echo=click.echo,
              indexer=indexer)
    click.echo("stopped")


@main.command()
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("-o", "--out", "out_file", default="report.html", show_default=True, metavar="FILE",
              help="The HTML file to write.")
@click.option("--store", "store_url", metavar="URL", default=None,
              help="Report on runs of this index (sqlite:///PATH or postgresql://...) instead of log files; "
              "PATHS are then regular expressions matched against run names (all runs when none).")
@click.option("--log-format", "log_format", metavar="NAME", default=None,
              help="Read every file as this format instead of detecting it (see `lossboard formats`).")
@click.option("--points", "width", type=click.IntRange(10, 100_000), default=1000, show_default=True, metavar="N",
              help="Buckets each series keeps (each bucket's first, last, min and max: at most 4N points).")
def report(paths: tuple[str, ...], out_file: str, store_url: str | None, log_format: str | None, width: int) -> None:
    """Write the dashboard of the runs at PATHS as one HTML file that works offline, data inlined."""
    try:
        from lossboard.server.report import render_report
    except ImportError as error:
        raise UsageError(f"the report needs {error.name}: pip install 'lossboard[server]'") from None
    from lossboard.query import list_runs
    from lossboard.store.indexer import index_paths
    from lossboard.store.sqlite import SQLiteStore
    from lossboard.store.urls import open_store

    if store_url is not None:
        if log_format is not None:
            raise UsageError("--log-format says how to read log files; with --store the runs come from the index")
        store = open_store(store_url, create=False)
    elif not paths:
        raise UsageError("give the PATHS of logs to report on, or --store URL to report on an index")
    else:
        _require_paths(paths)
        store = SQLiteStore(":memory:")  # the same answers as `serve` gives, from a throwaway index
        for failure in index_paths(store, paths, format=log_format).failures:
            _say(f"skipped {failure}")
    try:
        names = [info.name for info in list_runs(store, name_regex=paths if store_url is not None else None)]
        if not names:
            where = store_url or ", ".join(paths)
            raise LossboardError(f"no runs found in {where}")
        html = render_report(store, names, width=width)
    finally:
        store.close()
    with open(out_file, "w", encoding="utf-8") as file:
        file.write(html)
    click.echo(f"wrote {out_file}: {len(names)} run{'s' * (len(names) != 1)}, {len(html) / 1e6:.1f} MB")


if __name__ == "__main__":  # python -m lossboard.cli, as the console script
    main()
