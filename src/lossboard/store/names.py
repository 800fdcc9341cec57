"""Display names of runs: the name the path gives, made unique by the nearest folder that differs.

A run is identified by where it lives (host and path); its name (``baseline``) is only what
`lossboard.sources.logdir` derives from the path for people to read, and two runs may share
it. Where they do, each gets the nearest folder of its path that tells them apart, as editors
label two open files of the same name:

    >>> display_names([RunPath("", "/p/projA/runs/baseline", "baseline"),
    ...                RunPath("", "/p/projB/runs/baseline", "baseline"),
    ...                RunPath("", "/p/projA/runs/bigger", "bigger")])
    ['projA/baseline', 'projB/baseline', 'bigger']

Runs at the same path on different hosts (a team store) are told apart by the host
(``gpu-3:baseline``).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import PurePosixPath
from typing import NamedTuple


class RunPath(NamedTuple):
    """What a run's display name is derived from."""

    host: str
    path: str
    name: str


def display_names(runs: Sequence[RunPath]) -> list[str]:
    """One unique display name per run, in order: its ``name`` where no other run has it."""
    labels = [run.name for run in runs]
    groups: dict[str, list[int]] = {}
    for index, run in enumerate(runs):
        groups.setdefault(run.name, []).append(index)
    for members in groups.values():
        if len(members) > 1:
            _tell_apart([runs[i] for i in members], members, labels, depth=0)
    return _numbered(labels)


def _tell_apart(runs: list[RunPath], indexes: list[int], labels: list[str], *, depth: int) -> None:
    """Label runs of one name by the first folder, from the run's own outwards, where they differ."""
    folders = [_folders(run.path) for run in runs]
    deepest = max(len(parts) for parts in folders)
    for level in range(depth, deepest):
        at = [parts[level] if level < len(parts) else "" for parts in folders]
        if len(set(at)) > 1:
            by_folder: dict[str, list[int]] = {}
            for position, folder in enumerate(at):
                by_folder.setdefault(folder, []).append(position)
            for folder, positions in by_folder.items():
                for position in positions:
                    labels[indexes[position]] = f"{folder}/{runs[position].name}" if folder else runs[position].name
                if len(positions) > 1:  # still alike here: the next folder outwards tells them apart
                    _tell_apart([runs[p] for p in positions], [indexes[p] for p in positions], labels,
                                depth=level + 1)
            return
    for run, index in zip(runs, indexes):  # the same path: only the host differs
        labels[index] = f"{run.host}:{run.name}" if run.host else run.name


def _folders(path: str) -> list[str]:
    """The folders of ``path`` from the nearest outwards, the run's own file or folder first."""
    return list(reversed(PurePosixPath(path).parts))


def _numbered(labels: list[str]) -> list[str]:
    """Any label still taken (a run named like another's disambiguated label) gets ``#2``, ``#3``."""
    seen: dict[str, int] = {}
    unique = []
    for label in labels:
        count = seen.get(label, 0) + 1
        seen[label] = count
        unique.append(label if count == 1 else f"{label}#{count}")
    return unique


def renamed(rows: Sequence[tuple[int, str, str, str, str]]) -> list[tuple[str, int]]:
    """``(display, id)`` for each run whose display name must change, given every run of a store
    as ``(id, host, path, name, display)`` in the order they were added (older runs keep a
    plain name when a ``#2`` is needed)."""
    labels = display_names([RunPath(host, path, name) for _, host, path, name, _ in rows])
    return [(label, row[0]) for row, label in zip(rows, labels) if row[4] != label]
