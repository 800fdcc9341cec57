"""What changed in the store between two looks: the messages the dashboard's live feed pushes.

The feed compares successive `list_runs` answers, which cost one small query however many
points the runs hold, and tells the page only *that* something changed: "run R has points up
to step S", "new run", "status changed", "run gone". The page then fetches just the new steps.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lossboard.store.base import RunInfo

Snapshot = Mapping[str, RunInfo]


def snapshot(infos: list[RunInfo]) -> dict[str, RunInfo]:
    return {info.name: info for info in infos}


def changes(before: Snapshot, after: Snapshot) -> list[dict[str, Any]]:
    """The messages that take a page from ``before`` to ``after``, in run-name order.

    ``points`` carries ``reset: true`` when the run lost points (it was re-indexed from its
    files): the page then fetches the run again instead of appending.
    """
    messages: list[dict[str, Any]] = []
    for name in sorted(before.keys() - after.keys()):
        messages.append({"type": "gone", "run": name})
    for name, now in sorted(after.items()):
        then = before.get(name)
        if then is None:
            messages.append({"type": "new_run", "run": name, "status": now.status, "last_step": now.last_step})
            continue
        if now.points != then.points or now.last_step != then.last_step or now.tags != then.tags:
            messages.append(
                {
                    "type": "points",
                    "run": name,
                    "last_step": now.last_step,
                    "after_step": then.last_step,
                    "reset": now.points < then.points,
                }
            )
        if now.status != then.status:
            messages.append({"type": "status", "run": name, "status": now.status})
    return messages
