"""Keras's fast path (`_keras_fast`: the running states of a line of redraws read at once)
gives exactly what reading state by state gives: on every real capture in
tests/sources/data/keras (``long_bar_pipe.log`` has lines long enough for the fast path), on
the corpus files, and under hypothesis on generated lines of Keras 3 and Keras 2 redraws with
what must send a line back to the state-by-state path (a print glued to a state, a tqdm bar
drawn in between, ``nan``, other metric names, an ETA over a minute, a backspace mid-state)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lossboard.model import Columns, Item
from tests.sources.helpers import canonical, expand, parse_cut

CAPTURES = sorted(path.name for path in (Path(__file__).parent / "data" / "keras").glob("*.log"))


def _assert_same(text: str, cuts: list[int] = ()) -> list[Item]:
    fast = parse_cut("keras-stdout", text, list(cuts))
    assert canonical(fast) == canonical(parse_cut("keras-stdout", text, list(cuts), fast=False))
    return fast


@pytest.mark.parametrize("name", CAPTURES)
def test_real_captures_read_the_same_on_both_paths(data: Path, name: str) -> None:
    text = (data / "keras" / name).read_bytes().decode("utf-8", errors="replace")
    _assert_same(text)
    _assert_same(text, list(range(0, len(text), 3_000)))


def test_a_real_line_of_48_redraws_goes_through_the_fast_path(data: Path) -> None:
    """Keras's own running means, read in bulk: each epoch's last running state and its final
    values (History) are the ones Keras printed."""
    text = (data / "keras" / "long_bar_pipe.log").read_bytes().decode("utf-8")
    items = _assert_same(text)
    assert any(type(item) is Columns for item in items), "the fast path did not run"
    history = json.loads((data / "keras" / "long_bar_pipe.json").read_text())
    final = [p for p in expand(items) if getattr(p, "tag", None) == "train/loss"]
    assert [round(p.value, 4) for p in final][-1] == round(history["loss"][-1], 4)


@pytest.mark.parametrize("name", ["keras-stdout/kanji_augmented_training_log.txt", "keras-stdout/kanji_training_log.txt"])
def test_the_corpus_reads_the_same_on_both_paths(corpus: Path, name: str) -> None:
    _assert_same((corpus / name).read_text())


_COLOURS = ("\x1b[1m{c}\x1b[0m", "\x1b[32m{done}\x1b[0m\x1b[37m{left}\x1b[0m", "\x1b[1m{eta}\x1b[0m")
_VALUES = ["0.5000", "0.6572", "1.2000e-04", "2", "nan", "0.7203grad_norm: 1.5", "0.7203done"]


def _keras3_state(step: int, total: int, values: list[str], names: list[str], eta: str) -> str:
    counter = f"{step:>{len(str(total))}}/{total}"
    done = step * 20 // max(total, 1)
    text = (f"\x1b[1m{counter}\x1b[0m \x1b[32m{'━' * done}\x1b[0m\x1b[37m{'━' * (20 - done)}\x1b[0m "
            f"\x1b[1m{eta}\x1b[0m 5ms/step")
    return text + "".join(f" - {name}: {value}" for name, value in zip(names, values))


def _keras2_state(step: int, total: int, values: list[str], names: list[str], eta: str) -> str:
    bar = "[" + "=" * (step * 10 // max(total, 1)) + ">" + "." * 10 + "]"
    text = f"{step:>5}/{total} {bar}" + (f" - ETA: {eta}" if step < total else " - 3s 2ms/step")
    return text + "".join(f" - {name}: {value}" for name, value in zip(names, values)) + " " * (step % 3)


@st.composite
def _log(draw) -> str:
    state = draw(st.sampled_from([_keras3_state, _keras2_state]))
    names = draw(st.sampled_from([["accuracy", "loss"], ["loss"], ["loss", "mae", "learning_rate"]]))
    lines = []
    for epoch in range(1, draw(st.integers(1, 3)) + 1):
        total = draw(st.sampled_from([40, 50, 7]))
        lines.append(f"Epoch {epoch}/3\n")
        parts, width = [], 0
        for step in range(1, total + 1):
            values = [draw(st.sampled_from(_VALUES[:4] * 30 + _VALUES)) for _ in names]
            eta = draw(st.sampled_from(["0s"] * 30 + ["1:02", "1:02:03"]))
            text = state(min(step, total), total, values, names, eta)
            extra = draw(st.sampled_from([""] * 60 + ["tqdm", "print", "backspace", "other names"]))
            if extra == "tqdm":
                text = "val 1:  33%|███▎      | 1/3 [00:00<00:00, 18.51it/s, val_f1=0.8000]"
            elif extra == "print":
                text += "weight_norm: 1.25\n"
            elif extra == "backspace":
                text = text[:20] + "\b\b" + text[20:]
            elif extra == "other names":
                text = text.replace(" - loss: ", " - val_loss: ")
            parts.append("\b" * width + "\r" + text)
            width = len(text)
        lines.append("".join(parts) + "\n")
        final = state(total, total, ["0.5"] * len(names), names, "1s")
        lines.append("\b" * width + "\r" + final + " - val_loss: 0.4\n")
    return "".join(lines)


@settings(max_examples=40, deadline=None)
@given(text=_log(), cuts=st.lists(st.integers(min_value=0, max_value=60_000), max_size=3))
def test_generated_redraws_cut_anywhere_read_the_same_on_both_paths(text: str, cuts: list[int]) -> None:
    _assert_same(text, cuts)
