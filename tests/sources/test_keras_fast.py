"""Keras's fast path (`_keras_fast`: the running states of a line of redraws read at once)
gives exactly what reading state by state gives: on every real capture in
tests/sources/data/keras (``long_bar_pipe.log`` has lines long enough for the fast path), on
the corpus files, and under hypothesis on generated lines of Keras 3 and Keras 2 redraws with
what must send a line back to the state-by-state path (a print glued to a state, a tqdm bar
drawn in between, ``nan``, other metric names, an ETA over a minute, a backspace mid-state).
The same holds for the file's bytes as the reader feeds them (`Parser.feed_bytes`: lines of
redraws read undecoded, in chunks cut anywhere, a character or a CRLF included), with bytes
no decode gives back (a bar of other characters, a ``━`` split by a colour code, a bad byte)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lossboard.model import Columns, Item
from tests.sources.helpers import canonical, every, expand, parse_cut

CAPTURES = sorted(path.name for path in (Path(__file__).parent / "data" / "keras").glob("*.log"))


def _assert_same(text: str, cuts: list[int] = ()) -> list[Item]:
    fast = parse_cut("keras-stdout", text, list(cuts))
    assert canonical(fast) == canonical(parse_cut("keras-stdout", text, list(cuts), fast=False))
    return fast


def _assert_same_from_bytes(data: bytes, cuts: list[int] = ()) -> list[Item]:
    """The bytes fed as the reader feeds them give what the text, decoded as the reader
    decodes it, gives state by state."""
    fast = parse_cut("keras-stdout", data, list(cuts))
    general = canonical(parse_cut("keras-stdout", data.decode("utf-8", errors="replace"), [], fast=False))
    assert canonical(fast) == general
    assert canonical(parse_cut("keras-stdout", data, list(cuts), fast=False)) == general
    return fast


@pytest.mark.parametrize("name", CAPTURES)
def test_real_captures_read_the_same_on_both_paths(data: Path, name: str) -> None:
    text = (data / "keras" / name).read_bytes().decode("utf-8", errors="replace")
    _assert_same(text)
    _assert_same(text, list(range(0, len(text), 3_000)))


@pytest.mark.parametrize("name", CAPTURES)
@pytest.mark.parametrize("chunk", [None, 1 << 20, 4_093, 577])
def test_real_captures_fed_as_bytes_read_the_same(data: Path, name: str, chunk: int | None) -> None:
    raw = (data / "keras" / name).read_bytes()
    _assert_same_from_bytes(raw, list(every(chunk, raw)))


def test_a_real_line_of_48_redraws_is_read_from_the_bytes(data: Path) -> None:
    """The reader's path takes the fast path too, on whole lines and on the done redraws of a
    line cut by a chunk's end."""
    raw = (data / "keras" / "long_bar_pipe.log").read_bytes()
    for cuts in ([], list(every(30_000, raw))):
        items = _assert_same_from_bytes(raw, cuts)
        assert sum(type(item) is Columns for item in items) >= 4, "the bytes were not read in bulk"


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
    raw = (corpus / name).read_bytes()
    _assert_same_from_bytes(raw, list(every(97, raw)))


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
        final = state(total, total, ["0.5"] * len(names), names, "1s")
        # Keras draws the epoch's final state over the bar, on its line; a script may end the line first
        ends_line = draw(st.sampled_from(["", "", "\n"]))
        lines.append("".join(parts) + ends_line + "\b" * width + "\r" + final + " - val_loss: 0.4\n")
    return "".join(lines)


@settings(max_examples=40, deadline=None)
@given(text=_log(), cuts=st.lists(st.integers(min_value=0, max_value=60_000), max_size=3))
def test_generated_redraws_cut_anywhere_read_the_same_on_both_paths(text: str, cuts: list[int]) -> None:
    _assert_same(text, cuts)


# byte changes no decode gives back: what must send a line of redraws to the text path
_BAD_BYTES = [
    (b"\xe2\x94\x81\x1b[0m", b"\xe2\x94\x1b[0m\x81"),  # a "━" split by a colour code
    (b"\xe2\x94\x81", "█".encode()),  # a bar of another character
    (b"accuracy: 0", b"accuracy: \xff0"),  # a byte that is not UTF-8
    (b"5ms/step", b"5ms/st\xc3\xa9p"),  # a character beyond ASCII where a unit is
]


def _clean_keras3_log(newline: str = "\n") -> bytes:
    """Two epochs of 40 redraws each and a final state, as Keras 3 draws them (the second's
    without validation: its final state has the running states' names)."""
    names, lines = ["accuracy", "loss"], []
    for epoch in (1, 2):
        parts, width = [], 0
        for step in range(1, 41):
            text = _keras3_state(step, 40, [f"0.{step:04d}", f"1.{epoch}{step:03d}"], names, "0s")
            parts.append("\b" * width + "\r" + text)
            width = len(text)
        final = _keras3_state(40, 40, ["0.5", "0.4"], names, "1s") + (" - val_loss: 0.3" if epoch == 1 else "")
        lines.append(f"Epoch {epoch}/2{newline}" + "".join(parts) + "\b" * width + "\r" + final + newline)
    return "".join(lines).encode()


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
@pytest.mark.parametrize("bad", [None, *_BAD_BYTES])
def test_bytes_no_decode_gives_back_send_the_line_to_the_text_path(newline: str, bad: tuple[bytes, bytes] | None) -> None:
    data = _clean_keras3_log(newline)
    if bad is None:
        items = _assert_same_from_bytes(data)
        assert sum(type(item) is Columns for item in items) == 4, "the clean log was not read in bulk"
        return
    old, new = bad
    at = data.find(old, len(data) // 4)  # a state in the middle of the first line of redraws
    _assert_same_from_bytes(data[:at] + new + data[at + len(old) :])


@settings(max_examples=60, deadline=None)
@given(
    text=_log(),
    crlf=st.booleans(),
    bad=st.lists(st.tuples(st.sampled_from(_BAD_BYTES), st.integers(0, 200)), max_size=2),
    cuts=st.lists(st.integers(min_value=0, max_value=60_000), max_size=4),
)
def test_generated_redraws_fed_as_bytes_cut_anywhere_read_the_same(
    text: str, crlf: bool, bad: list[tuple[tuple[bytes, bytes], int]], cuts: list[int]
) -> None:
    data = text.replace("\n", "\r\n").encode() if crlf else text.encode()
    for (old, new), nth in bad:
        at = -1
        for _ in range(nth % max(data.count(old), 1) + 1):
            at = data.find(old, at + 1)
        if at >= 0:
            data = data[:at] + new + data[at + len(old) :]
    _assert_same_from_bytes(data, cuts)


_V2_EXTRAS = [
    "Epoch {k}: early stopping\n",
    "Epoch {k}: ReduceLROnPlateau reducing learning rate to 0.0005.\n",
    "Epoch {k}: saving model to model.keras\n",
    "val_f1: 0.93\n",
    "Train on 100 samples\n",
]


@st.composite
def _verbose2_log(draw) -> str:
    """Keras 3 ``verbose=2`` epochs, as many as a bulk read takes, with what must keep the
    state-by-state reading: fit() restarts, another N or total, a count short of its total,
    other units, callback lines, a script's prints, a line of other names (or of a name with
    another digit), numbers only `float` reads."""
    names = draw(st.sampled_from([
        ["accuracy", "loss", "val_accuracy", "val_loss"], ["loss"], ["loss", "learning_rate"], ["top5_accuracy", "loss"]
    ]))
    lines = draw(st.sampled_from([[], ["Using the torch backend.\n"]]))
    k, n, total = 0, 100, 450
    plain = draw(st.sampled_from([0, 40, 400]))  # how rare the changes are: runs long enough to read in bulk
    for _ in range(draw(st.integers(30, 120))):
        k += 1
        change = draw(st.sampled_from(
            [""] * plain + ["restart", "n", "total", "short", "unit", "extra", "names", "digit", "jump", "odd"]
        ))
        if change == "restart" or k > n:
            k = 1
        elif change == "n":
            n += 1
        elif change == "total":
            total += 7
        elif change == "jump":
            k += 2
        counter = f"{total - 1 if change == 'short' else total}/{total}"
        times = "1s - 1s/step" if change == "unit" else f"{k % 3}s - {5 + k % 4}ms/step"
        # odd: numbers `float` reads that orjson refuses (and "-0", an int to orjson)
        odd = ["05.5000", "-0", "+1", "1.", ".5", "-0.0000", "12.3456"] if change == "odd" else []
        values = [draw(st.sampled_from(["0.5000", "0.6572", "1.2000e-04", "2"] * plain + ["nan", *odd])) for _ in names]
        shown = ["val_mae" if change == "names" and i == 0 else name for i, name in enumerate(names)]
        if change == "digit":  # a name of the same layout: a digit the bulk read must not mask
            shown = [name.replace("5", "7") for name in shown]
        lines.append(f"Epoch {k}/{n}\n")
        if change == "extra":
            lines.append(draw(st.sampled_from(_V2_EXTRAS)).format(k=k))
        lines.append(f"{counter} - {times}" + "".join(f" - {a}: {v}" for a, v in zip(shown, values)) + "\n")
    return "".join(lines)


@settings(max_examples=100, deadline=None)
@given(text=_verbose2_log(), crlf=st.booleans(), cuts=st.lists(st.integers(min_value=0, max_value=12_000), max_size=3))
def test_generated_verbose2_epochs_fed_as_bytes_read_the_same(text: str, crlf: bool, cuts: list[int]) -> None:
    _assert_same_from_bytes(text.replace("\n", "\r\n").encode() if crlf else text.encode(), cuts)


def test_a_sweep_of_verbose2_fits_is_read_in_bulk() -> None:
    """Three fit() calls of 40 epochs (restarts at ``Epoch 1/40``), each epoch's values where
    Keras printed them: the bulk read's steps, epochs and fit() events are the line-by-line ones."""
    lines = []
    for fit in range(3):
        for k in range(1, 41):
            lines.append(f"Epoch {k}/40\n450/450 - 3s - 6ms/step - loss: {fit}.{k:04d} - val_loss: 0.{k:04d}\n")
    data = "".join(lines).encode()
    items = _assert_same_from_bytes(data)
    assert sum(type(item) is Columns for item in items) >= 4, "the epochs were not read in bulk"
    fits = [data.index(b"Epoch 1/40", 1), data.rindex(b"Epoch 1/40")]
    _assert_same_from_bytes(data, fits)  # a run that starts with a new fit(): its event
    loss = [p for p in expand(items) if getattr(p, "tag", None) == "train/loss"]
    assert [p.step for p in loss[:2]] == [450, 900] and loss[40].value == 1.0001 and loss[40].epoch == 41.0


def test_what_verbose2_epochs_read_in_bulk_leave_for_the_lines_after() -> None:
    """A new rate for the next epoch, a callback's event held until the next header, and an
    evaluate() of the training bar's size after a fit with validation (test/*, not train/*)."""
    def epochs(first: int, count: int, of: int) -> str:
        return "".join(
            f"Epoch {k}/{of}\n450/450 - 3s - 6ms/step - loss: 0.{k:04d} - val_loss: 0.{k:04d}\n"
            for k in range(first, first + count)
        )
    text = (
        epochs(1, 80, 300)
        + "Epoch 80: ReduceLROnPlateau reducing learning rate to 0.0005.\n"
        + epochs(81, 80, 300)
        + "Epoch 161/300\nEpoch 161: early stopping\n"
        + epochs(162, 80, 300)
        + "450/450 - 1s - 2ms/step - loss: 0.25 - val_loss: 0.3\n"
    )
    data = text.encode()
    items = _assert_same_from_bytes(data)
    assert sum(type(item) is Columns for item in items) >= 4, "the epochs were not read in bulk"
    for cut in (data.index(b"Epoch 81/300"), data.index(b"Epoch 162/300"), data.index(b"450/450 - 1s")):
        _assert_same_from_bytes(data, [cut])  # a run that starts right after what it must release


def test_verbose2_epochs_of_one_size_in_two_layouts_read_the_same() -> None:
    """``2s - 15ms/step`` and ``12s - 5ms/step`` make epochs of one size whose numbers stand at
    other bytes: the bulk read must not read one with the other's layout."""
    lines = []
    for k in range(1, 81):
        times = "2s - 15ms/step" if k % 3 else "12s - 5ms/step"
        lines.append(f"Epoch {k}/80\n450/450 - {times} - loss: 0.{k:04d} - val_loss: 0.{80 - k:04d}\n")
    items = _assert_same_from_bytes("".join(lines).encode())
    assert sum(type(item) is Columns for item in items) >= 4, "the epochs were not read in bulk"


def test_a_verbose2_metric_named_with_another_digit_is_not_read_as_the_first() -> None:
    """``top7_accuracy`` in an epoch of ``top5_accuracy`` epochs has their layout once digits are
    masked: it is the general path's (a name of its own), not a value of ``top5_accuracy``."""
    lines = []
    for k in range(1, 81):
        name = "top7_accuracy" if k == 50 else "top5_accuracy"
        lines.append(f"Epoch {k}/80\n450/450 - 3s - 6ms/step - {name}: 0.{k:04d} - loss: 0.{80 - k:04d}\n")
    items = _assert_same_from_bytes("".join(lines).encode())
    assert any(getattr(p, "source_tag", None) == "top7_accuracy" for p in expand(items))


def test_verbose2_epochs_with_a_learning_rate_in_exponent_form_are_read_in_bulk() -> None:
    """Keras prints a value under 1e-3 as ``1.0000e-04``: such epochs are read from their digits
    too, as `float` reads them."""
    lines = []
    for k in range(1, 81):
        lr = f"{10 ** -(3 + k // 40):.4e}"
        lines.append(f"Epoch {k}/80\n450/450 - 3s - 6ms/step - loss: 0.{k:04d} - learning_rate: {lr}\n")
    items = _assert_same_from_bytes("".join(lines).encode())
    assert sum(type(item) is Columns for item in items) >= 4, "the epochs were not read in bulk"
    lr = [p.value for p in expand(items) if getattr(p, "source_tag", None) == "learning_rate"]
    assert lr[:2] == [1e-03, 1e-03] and lr[-1] == 1e-05
