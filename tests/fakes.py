"""Test doubles shared by the live-logging tests: a hand-moved clock and a recording writer."""

from __future__ import annotations


class Clock:
    """A clock that moves only when told (``clock.now += 0.5``) and counts its reads."""

    def __init__(self, now: float = 0.0) -> None:
        self.now = now
        self.reads = 0

    def __call__(self) -> float:
        self.reads += 1
        return self.now


class RecordingWriter:
    """A writer that keeps every ``add_scalar(tag, value, global_step)`` call."""

    def __init__(self) -> None:
        self.scalars: list[tuple[str, float, int]] = []

    def add_scalar(self, tag: str, scalar_value: float, global_step: int) -> None:
        self.scalars.append((tag, scalar_value, global_step))

    def of(self, tag: str) -> list[tuple[int, float]]:
        """(step, value) of every call for ``tag``, in call order."""
        return [(step, value) for logged, value, step in self.scalars if logged == tag]
