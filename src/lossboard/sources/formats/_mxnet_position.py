"""Where in training an MXNet log is: the epoch and batch of its last metric line.

MXNet prints batch numbers within an epoch, never a global step, and not the epoch's length.
`Position` follows the counters line by line and turns them into steps: ``e * N + b``, where
``N`` is estimated from the first epoch the file shows completely (its last batch number plus
the display interval). Records whose step needs ``N`` before it is known are held back and
released once it is (at the latest by `Position.finish`). A counter that goes back is a
restart: a ``resume`` event, and what was held for the abandoned attempt is dropped.

A record is made by a ``make(step, epoch, wall_time) -> list[Item]`` callable, kept as data
(a `functools.partial` of a module-level function) so that a position holding records back
can be saved as data: the indexer stores parser state between passes.
"""

from __future__ import annotations

from collections.abc import Callable

from lossboard.model import RESUME, Event, Item

Make = Callable[[int, float, "float | None"], list[Item]]


class Position:
    """The epoch and batch of the last metric line, and the records waiting for a place."""

    def __init__(self) -> None:
        self.epoch: int | None = None  # the epoch the last metric line belonged to
        self.per_epoch: int | None = None  # N, batches per epoch, once known
        self.last_batch: int | None = None  # the last batch number seen in that epoch
        self._ended = False  # an epoch-end line was seen for it
        self._first_batch: int | None = None
        self._prev_batch: int | None = None
        self._held: list[tuple] = []  # (epoch, batch, wall, make) waiting for N
        self._starting = False  # a start was printed and no metric line came since
        self._waiting: list[tuple] = []  # (wall, make) printed by that start

    # ---- metric lines move the position ----------------------------------------------------

    def enter_batch(self, epoch: int, batch: int) -> list[Item]:
        """A Speedometer line of ``epoch``, ``batch``: the same epoch, a new one, or a restart."""
        current = self.epoch
        went_back = self._ended or (self.last_batch is not None and batch < self.last_batch)
        if current is not None and (epoch < current or (epoch == current and went_back)):
            items = self._resume(epoch)
        elif current is not None and epoch > current:
            items = self._learn_per_epoch()
        elif current is not None:
            self.pass_batch(batch)
            return self._place_waiting()
        else:
            items = []
        self._start_epoch(epoch, batch)
        return items + self._place_waiting()

    def pass_batch(self, batch: int) -> None:
        """Batch ``batch`` of the current epoch went by (the fast path moves by whole runs)."""
        if self.last_batch is None:
            self._first_batch = batch
        elif batch != self.last_batch:
            self._prev_batch = self.last_batch
        self.last_batch = batch

    def enter_epoch_start(self, epoch: int) -> list[Item]:
        """A line printed as ``epoch`` begins, before its first batch (GluonCV's lr steps)."""
        current = self.epoch
        started = self._ended or self.last_batch is not None
        if current is not None and (epoch < current or (epoch == current and started)):
            items = self._resume(epoch)
        elif current is not None and epoch > current:
            items = self._learn_per_epoch()
        else:
            items = []
        self._start_epoch(epoch, None)
        return items + self._place_waiting()

    def enter_epoch_end(self, epoch: int) -> list[Item]:
        """An epoch-level line for ``epoch``: that epoch is over."""
        current = self.epoch
        items: list[Item] = []
        if current is not None and epoch < current:
            items = self._resume(epoch)
            self._start_epoch(epoch, None)
        elif current is None or epoch > current:
            items = self._learn_per_epoch()
            self._start_epoch(epoch, None)
        if not self._ended:
            items.extend(self._learn_per_epoch())
            self._ended = True
        return items + self._place_waiting()

    def start(self) -> None:
        """A (re)start was printed: what it prints until its first metric line (`at_position`)
        waits for that line's epoch."""
        self._starting = True
        self._waiting = []  # an earlier start that printed no metric line never trained

    def discard(self, make: Make) -> None:
        """Forget a record still waiting for a place (one a later line supersedes)."""
        self._waiting = [(wall, waiting) for wall, waiting in self._waiting if waiting is not make]

    def finish(self) -> list[Item]:
        """Everything still held, at the end of the file."""
        waiting, self._waiting, self._starting = self._waiting, [], False
        items: list[Item] = []
        if self.epoch is not None:  # without any metric line there is no place for them
            for wall, make in waiting:
                items.extend(self.at_position(wall, make))
        return items + self._learn_per_epoch()

    # ---- records placed at the position ----------------------------------------------------

    def at_batch(self, epoch: int, batch: int, wall: float | None, make: Make) -> list[Item]:
        """Records of a batch line: at ``e * N + b``, once N is known."""
        n = self.per_epoch
        if n is None:
            self._held.append((epoch, batch, wall, make))
            return []
        return make(epoch * n + batch, epoch + batch / n, wall)

    def at_position(self, wall: float | None, make: Make) -> list[Item]:
        """Records of a line that happened at the current place in training (an lr change, a
        checkpoint); before any metric line of a start, they wait for its first one."""
        epoch, n = self.epoch, self.per_epoch
        if epoch is None or self._starting:
            self._waiting.append((wall, make))
            return []
        if self._ended:
            return make((epoch + 1) * (n or 1), float(epoch + 1), wall)
        batch = self.last_batch
        if batch is None:
            return make(epoch * (n or 1), float(epoch), wall)
        if n is None:
            self._held.append((epoch, batch, wall, make))
            return []
        return make(epoch * n + batch, epoch + batch / n, wall)

    # ---- inside --------------------------------------------------------------------------------

    def _start_epoch(self, epoch: int, batch: int | None) -> None:
        self.epoch, self._ended = epoch, False
        self._first_batch = self.last_batch = batch
        self._prev_batch = None

    def _place_waiting(self) -> list[Item]:
        """What a start printed before its first metric line: at the start of that epoch,
        after the resume that line may have caused."""
        if not self._waiting and not self._starting:
            return []
        waiting, self._waiting, self._starting = self._waiting, [], False
        epoch, n = self.epoch, self.per_epoch
        items: list[Item] = []
        for wall, make in waiting:
            if n is None and self.last_batch is not None:
                self._held.append((epoch, 0, wall, make))
            else:
                items.extend(make(epoch * (n or 1), float(epoch), wall))
        return items

    def _resume(self, epoch: int) -> list[Item]:
        # what was held belongs to the abandoned attempt, which the resume drops anyway
        self._held = []
        step = epoch if self.per_epoch is None else epoch * self.per_epoch
        text = f"epoch counter went back from {self.epoch} to {epoch}: training restarted"
        return [Event(RESUME, step, float(epoch), None, text)]

    def _learn_per_epoch(self) -> list[Item]:
        """Estimate N from the epoch that just ended, if not known yet; release what waited."""
        if self.per_epoch is None and self.last_batch is not None:
            last, prev = self.last_batch, self._prev_batch
            interval = last - prev if prev is not None else self._first_batch
            self.per_epoch = max(1, last + max(interval, 0))
        if not self._held or self.per_epoch is None:
            return []
        held, self._held = self._held, []
        n = self.per_epoch
        items: list[Item] = []
        for epoch, batch, wall, make in held:
            items.extend(make(epoch * n + batch, epoch + batch / n, wall))
        return items
