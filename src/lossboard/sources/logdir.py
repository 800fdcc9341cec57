"""Find the log files under the paths a user gives and group them into runs.

Files in one directory, of one format, whose names differ only by numbers
(``training_0.log``, ``training_65.log``) are the pieces of one resumed run and are stitched
in numeric order; so are the event files of one directory, as TensorBoard shows them.
Everything else is a run of its own. ``stitch=True`` makes all the files
one run, in the order given; ``stitch=False`` keeps every file apart.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol, TypeVar

from lossboard.errors import BrokenLinkError, InputError, NoLogsError, NotAFileError, UnknownFormatError
from lossboard.model import Run
from lossboard.sources.reader import file_kind, input_error, parse_file
from lossboard.sources.rundir import RUN_INFO, logged_format, run_info, run_meta
from lossboard.sources.stitch import stitch

# Never logs: skipped when a directory is walked (a file named explicitly is always read).
_NOT_LOGS = frozenset(
    ".png .jpg .jpeg .gif .bmp .svg .pdf .params .pt .pth .ckpt .h5 .hdf5 .keras .pkl .pickle"
    " .npy .npz .zip .tar .gz .bz2 .xz .7z .so .pyc .onnx .safetensors .bin .rec .idx .lst"
    " .py .sh .ipynb .yaml .yml .toml .cfg .ini .md .rst .html .css .js .lock"
    " .sqlite .sqlite-wal .sqlite-shm .sqlite-journal .db".split()
)
# A file with one of these suffixes that no format recognises is reported, not passed over.
# (not .json or .csv: configs and data sets sit beside logs and are no one's mistake)
_LOG_SUFFIXES = frozenset(".log .txt .out .err".split())
# Formats whose run is a directory: TensorBoard writes a new event file at every restart,
# named by time, host and process, and shows a directory's files as one run.
_DIRECTORY_FORMATS = frozenset({"tfevents", "lossboard"})
# Names that say nothing about the run: the run is named after the directory instead.
_GENERIC_STEMS = frozenset(
    "metrics results training train log logs output stdout trainer_state summary events".split()
)
_DIGITS = re.compile(r"\d+")
T = TypeVar("T")
_NUMBER_SPLIT = re.compile(r"(\d+)")
_NUMBERED = re.compile(r"[_.-]*\d+")
# a word that marks a file as the resume of another: "run2_resume.log" continues "run1.log"
_RESUME_WORD = re.compile(r"[_.-]resumed?(?=[_.-]|$)", re.I)


@dataclass
class Loaded:
    """Runs, and the inputs that could not be read at all (each with its reason)."""

    runs: list[Run] = field(default_factory=list)
    failures: list[InputError] = field(default_factory=list)


def discover(path: str | Path) -> tuple[list[Path], list[InputError]]:
    """The candidate log files at ``path`` (itself if a file, else its tree minus non-logs),
    and the entries of the tree that were skipped, each with its reason.

    Only regular files are candidates: FIFOs, sockets and devices are skipped (reading one
    can block forever), as are dangling links and link loops; a directory reached twice
    through symbolic links is read once. The walk keeps its own stack, so depth costs no
    recursion; an entry that vanishes or cannot be listed is skipped, the rest walked.
    """
    path = Path(path)
    try:
        info = path.stat()
    except OSError as error:
        raise input_error(path, error, was_listed=False) from error
    if stat.S_ISREG(info.st_mode):
        return [path], []
    if not stat.S_ISDIR(info.st_mode):
        raise NotAFileError(path, file_kind(info.st_mode))
    found: list[Path] = []
    skipped: list[InputError] = []
    seen = {(info.st_dev, info.st_ino): path}
    pending = [path]
    linked: list[Path] = []  # directories reached through a link: walked last, so that one
    while pending or linked:  # also reached directly is read (and named) where it really is
        directory = pending.pop() if pending else linked.pop(0)
        if directory.is_symlink() and not _first_visit(directory, seen, skipped):
            continue
        try:
            with os.scandir(directory) as entries:
                names = [entry.name for entry in entries if not entry.name.startswith(".")]
        except OSError as error:
            skipped.append(input_error(directory, error))
            continue
        subdirectories = []
        for name in sorted(names, key=natural_key):
            entry = directory / name
            try:
                info = entry.stat()
            except OSError as error:
                skipped.append(input_error(entry, error))
                continue
            if stat.S_ISDIR(info.st_mode):
                if entry.is_symlink():
                    linked.append(entry)
                else:
                    seen[(info.st_dev, info.st_ino)] = entry
                    subdirectories.append(entry)
            elif not stat.S_ISREG(info.st_mode):
                skipped.append(NotAFileError(entry, file_kind(info.st_mode)))
            elif entry.suffix.lower() not in _NOT_LOGS:
                found.append(entry)
        pending.extend(reversed(sorted(subdirectories)))  # the first in order is walked next
    return found, skipped


def _first_visit(link: Path, seen: dict[tuple[int, int], Path], skipped: list[InputError]) -> bool:
    """Whether the directory ``link`` leads to is new; if not, say where it was read."""
    try:
        info = link.stat()
    except OSError as error:  # changed since it was listed
        skipped.append(input_error(link, error))
        return False
    first = seen.setdefault((info.st_dev, info.st_ino), link)
    if first is not link:
        skipped.append(_seen_before(link, first))
    return first is link


def _seen_before(link: Path, first: Path) -> InputError:
    if link.is_relative_to(first):
        return BrokenLinkError(link, is_loop=True)
    return InputError(link, f"the same directory as {first}, read there; skipped")


def natural_key(name: str) -> list[int | str]:
    """Sort key that puts ``training_65.log`` before ``training_100.log``."""
    return [int(part) if part.isdigit() else part for part in _NUMBER_SPLIT.split(name)]


def locate(
    paths: Sequence[str | Path], identify: Callable[[Path], T]
) -> tuple[list[tuple[Path, T]], list[InputError]]:
    """``identify`` (parse, or just detect) every candidate log under ``paths``.

    Returns each identified file with the root it was found under, and the inputs that
    failed: a path given by name always reports its failure; in a directory walk only a file
    that looks like a text log does (and every entry that is not a readable file), and a
    directory without any log is reported itself.
    """
    located: list[tuple[Path, T]] = []
    failures: list[InputError] = []
    for raw in paths:
        root = Path(raw)
        try:
            files, skipped = discover(root)
        except InputError as error:
            failures.append(error)
            continue
        failures.extend(skipped)
        explicit = files == [root]
        usable = 0
        for file in files:
            if file.name == RUN_INFO:
                continue
            try:
                located.append((root.parent if explicit else root, identify(file)))
                usable += 1
            except InputError as error:
                if explicit or not isinstance(error, UnknownFormatError) or _looks_like_log(file):
                    failures.append(error)
            except OSError as error:  # vanished or replaced since the walk listed it
                failures.append(input_error(file, error))
        if not explicit and usable == 0:
            failures.append(NoLogsError(root, examined=len(files)))
    return located, failures


def load_paths(
    paths: Sequence[str | Path], *, format: str | None = None, stitch_files: bool | None = None
) -> Loaded:
    """Parse every log under ``paths``; one bad file never stops the others."""
    parsed, failures = locate(paths, lambda file: parse_file(file, format or logged_format(file)))
    loaded = Loaded(failures=failures)
    for name, members in group_runs(parsed, stitch_files):
        info = run_info(Path(members[0].path).parent)
        run = stitch(name, members, resumes=info is None)
        if info is not None:
            run.meta.update(run_meta(info))
        loaded.runs.append(run)
    return loaded


def _looks_like_log(path: Path) -> bool:
    return path.suffix.lower() in _LOG_SUFFIXES


class _LogFile(Protocol):
    path: str
    format: str


F = TypeVar("F", bound=_LogFile)


def group_runs(
    parsed: list[tuple[Path, F]], stitch_files: bool | None
) -> list[tuple[str, list[F]]]:
    """Group identified files (anything with ``path`` and ``format``) into named runs."""
    if not parsed:
        return []
    if stitch_files:
        root, first = parsed[0]
        return [(run_name(root, Path(first.path)), [p for _, p in parsed])]
    groups: dict[tuple[str, ...], list[tuple[Path, F]]] = {}
    for root, file in parsed:
        path = Path(file.path)
        stem = _RESUME_WORD.sub("", path.stem)
        key = (str(path.parent), file.format, _DIGITS.sub("#", stem) + path.suffix)
        if (path.parent / RUN_INFO).is_file():  # a `lossboard run` directory: one run
            key = (str(path.parent),)
        elif file.format in _DIRECTORY_FORMATS:
            key = (str(path.parent), file.format)
        elif not _DIGITS.search(path.name) and stem == path.stem:
            key = (file.path,)
        if stitch_files is False:
            key = (file.path,)
        groups.setdefault(key, []).append((root, file))
    result = []
    for members in groups.values():
        members.sort(key=lambda m: _resume_order(Path(m[1].path)))
        root, first = members[0]
        path = Path(first.path)
        if len(members) > 1:  # "training_0.log" + "training_65.log" -> "training.log"
            path = path.with_name(_common_stem([Path(m[1].path).stem for m in members]) + path.suffix)
        result.append((run_name(root, path), [m[1] for m in members]))
    return _unique_names(result)


def _common_stem(stems: list[str]) -> str:
    """The name the files of one run share: numbers that differ between them dropped (with the
    separator before them), the rest kept. "resnet101_run1", "resnet101_run2_resume" -> "resnet101_run"."""
    split = [_DIGITS.split(_RESUME_WORD.sub("", stem)) for stem in stems]
    numbers = [_DIGITS.findall(_RESUME_WORD.sub("", stem)) for stem in stems]
    first_text, first_numbers = split[0], numbers[0]
    if any(len(n) != len(first_numbers) for n in numbers):  # no shared layout: drop every number
        return _NUMBERED.sub("", _RESUME_WORD.sub("", stems[0]))
    out = first_text[0]
    for index, number in enumerate(first_numbers):
        same = all(n[index] == number for n in numbers)
        out = (out + number) if same else out.rstrip("_.-")
        out += first_text[index + 1]
    return out


def _resume_order(path: Path) -> tuple:
    """Files of one run in the order they were written: by the numbers in their names, and a
    file marked as a resume after the one it resumes."""
    stem = _RESUME_WORD.sub("", path.stem)
    return natural_key(stem + path.suffix), stem != path.stem


def run_name(root: Path, path: Path) -> str:
    """A readable run name: the path below the root given, without a generic file name."""
    try:
        relative = path.relative_to(root)
    except ValueError:
        relative = Path(path.name)
    stem = "events" if path.name.startswith("events.") else path.stem.lower()  # event files
    parts = list(relative.parts[:-1])
    if stem not in _GENERIC_STEMS or not parts:
        parts.append(path.stem if stem not in _GENERIC_STEMS else path.parent.name or path.stem)
    return "/".join(parts) or path.stem


def _unique_names(runs: list[tuple[str, list[F]]]) -> list[tuple[str, list[F]]]:
    seen: dict[str, int] = {}
    unique = []
    for name, members in runs:
        count = seen.get(name, 0)
        seen[name] = count + 1
        unique.append((name if count == 0 else f"{name}#{count + 1}", members))
    return unique
