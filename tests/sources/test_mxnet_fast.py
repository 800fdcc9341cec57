"""The MXNet fast path gives exactly what line-by-line parsing gives, under hypothesis: runs of
Speedometer lines whose numbers are plain decimals (read by `_literals.read_marked`), or
exponents and negatives (read by `_literals.read_numbers`), or values neither reads (then line
by line), with epoch-end lines between, fed in random pieces."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from lossboard.model import Columns
from tests.sources.helpers import canonical, expand, parse_cut

_PLAIN = st.one_of(
    st.integers(0, 10**6).map(str),
    st.builds("{}.{:06d}".format, st.integers(0, 99), st.integers(0, 999_999)),
)
_VALUE = st.one_of(_PLAIN, _PLAIN, _PLAIN, st.sampled_from(["1e-05", "-0.5", "nan", "1.", "", "0.5.1", "007"]))
_EPOCH_END = ["Train-accuracy={}", "Time cost={}", "Validation-accuracy={}", "Validation-top_k_accuracy_5={}"]


@st.composite
def _logs(draw) -> str:
    """A `Module.fit` log of a few epochs, new-style (all metrics on one line) or old (one line a
    metric, the same batch on each), with the checkpoint lines between."""
    old = draw(st.booleans())
    per_epoch = draw(st.integers(17, 24))
    epochs = draw(st.integers(2, 3))
    # plain decimals only, or now and then something else; drawn at once (a draw each is slow)
    found = draw(st.lists(draw(st.sampled_from([_PLAIN, _VALUE])), min_size=8, max_size=8, unique=True))
    pick = iter(draw(st.lists(st.integers(0, 7), min_size=4 * epochs * per_epoch + 4 * epochs,
                              max_size=4 * epochs * per_epoch + 4 * epochs)))
    lines = ["INFO:root:Namespace(lr=0.1)"]
    for epoch in range(epochs):
        for batch in range(20, 20 * per_epoch + 1, 20):
            speed, a, b, c = (found[next(pick)] for _ in range(4))
            head = f"INFO:root:Epoch[{epoch}] Batch [{batch}]\tSpeed: {speed} samples/sec\t"
            if old:
                lines += [head + f"Train-accuracy={a}", head + f"Train-top_k_accuracy_5={b}"]
            else:
                lines.append(head + f"accuracy={a}\ttop_k_accuracy_5={b}\tcross-entropy={c}")
        for end in _EPOCH_END:
            lines.append(f"INFO:root:Epoch[{epoch}] " + end.format(found[next(pick)]))
        lines.append(f'INFO:root:Saved checkpoint to "model-{epoch + 1:04d}.params"')
    return "\n".join(lines) + "\n"


@settings(max_examples=50, deadline=None)
@given(_logs(), st.lists(st.integers(0, 30_000), max_size=6))
def test_fast_path_equals_line_by_line_in_any_pieces(text: str, cuts: list[int]) -> None:
    fast = expand(parse_cut("mxnet", text, cuts))
    assert canonical(fast) == canonical(expand(parse_cut("mxnet", text, [], fast=False)))


def test_runs_of_plain_decimals_come_in_blocks() -> None:
    """The test above passes whether or not the fast path reads anything: here, epochs of plain
    decimals in both styles must come as `Columns` blocks, equal to the line-by-line reading
    (the first epoch goes line by line: its length is known only at its end)."""
    for old in (False, True):
        lines = ["INFO:root:Namespace(lr=0.1)"]
        for epoch in range(3):
            for batch in range(20, 20 * 40 + 1, 20):
                head = f"INFO:root:Epoch[{epoch}] Batch [{batch}]\tSpeed: {1000 + batch}.25 samples/sec\t"
                metrics = [f"Train-accuracy=0.{batch:06d}", f"Train-top_k_accuracy_5=0.{batch + 1:06d}"]
                lines += [head + metric for metric in metrics] if old else [head + "\t".join(metrics)]
            lines += [f"INFO:root:Epoch[{epoch}] Train-accuracy=0.5", f"INFO:root:Epoch[{epoch}] Time cost=12.5"]
        text = "\n".join(lines) + "\n"
        fast = parse_cut("mxnet", text, [])
        assert any(type(item) is Columns for item in fast)
        assert canonical(expand(fast)) == canonical(expand(parse_cut("mxnet", text, [], fast=False)))


def test_epoch_end_values_come_in_blocks_and_keep_their_order_among_other_lines() -> None:
    """Epoch-end values read in runs go out as one block a series; a line of the script's own
    that prints the same name between them (the line pipeline reads it) must come after the
    values before it and before those after it, as line by line."""
    lines = ["INFO:root:Namespace(lr=0.1)"]
    for epoch in range(4):
        for batch in range(20, 20 * 30 + 1, 20):
            lines.append(f"INFO:root:Epoch[{epoch}] Batch [{batch}]\tSpeed: 100.5 samples/sec\taccuracy=0.{batch:06d}")
        lines.append(f"INFO:root:Epoch[{epoch}] Train-accuracy=0.{epoch + 1}")
        if epoch == 2:
            lines.append("Train-accuracy=0.99")  # the script's own print, same name
        lines.append(f"INFO:root:Epoch[{epoch}] Validation-accuracy=0.{epoch + 5}")
    text = "\n".join(lines) + "\n"
    fast = parse_cut("mxnet", text, [])
    blocks = [item for item in fast if type(item) is Columns and item.source_tag == "Validation-accuracy"]
    assert blocks and sum(len(block.step) for block in blocks) == 3  # epoch 0 goes line by line
    assert canonical(expand(fast)) == canonical(expand(parse_cut("mxnet", text, [], fast=False)))


def test_counters_beyond_what_a_float_holds_exactly_are_read_line_by_line() -> None:
    """orjson's integers become float64 in the matrix: 2**53 + 1 would round to 2**53 and two
    epochs become one. Such runs go line by line, which reads them exactly."""
    lines = ["INFO:root:Namespace(lr=0.1)"]
    for epoch in (2**53 + 1, 2**53 + 2, 2**53 + 3):
        lines += [f"INFO:root:Epoch[{epoch}] Batch [{batch}]\tSpeed: 100.5 samples/sec\taccuracy=0.5"
                  for batch in range(20, 20 * 30 + 1, 20)]
        lines.append(f"INFO:root:Epoch[{epoch}] Train-accuracy=0.5")
    text = "\n".join(lines) + "\n"
    fast = canonical(expand(parse_cut("mxnet", text, [])))
    assert fast == canonical(expand(parse_cut("mxnet", text, [], fast=False)))
    assert len(fast[0]["train_batch/accuracy"][1]) == 90
