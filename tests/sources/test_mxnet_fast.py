"""The MXNet fast path gives exactly what line-by-line parsing gives, under hypothesis: runs of
Speedometer lines whose numbers are plain decimals (read by `_literals.read_marked`), or
exponents and negatives (read by `_literals.read_numbers`), or values neither reads (then line
by line), with epoch-end lines between, fed in random pieces, as text and as the file's bytes
(`Parser.read_plain`: lines found by their bytes, with odd lines among them)."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from lossboard.model import Columns
from lossboard.sources.formats import mxnet
from tests.sources.helpers import canonical, expand, parse_cut

_PLAIN = st.one_of(
    st.integers(0, 10**6).map(str),
    st.builds("{}.{:06d}".format, st.integers(0, 99), st.integers(0, 999_999)),
)
_VALUE = st.one_of(_PLAIN, _PLAIN, _PLAIN, st.sampled_from(["1e-05", "-0.5", "nan", "1.", "", "0.5.1", "007"]))
_EPOCH_END = ["Train-accuracy={}", "Time cost={}", "Validation-accuracy={}", "Validation-top_k_accuracy_5={}"]


@st.composite
def _logs(draw, most_epochs: int = 3) -> str:
    """A `Module.fit` log of a few epochs, new-style (all metrics on one line) or old (one line a
    metric, the same batch on each), with the checkpoint lines between."""
    old = draw(st.booleans())
    per_epoch = draw(st.integers(17, 24))
    epochs = draw(st.integers(most_epochs - 1, most_epochs))
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


# lines that the bytes path must not take for records, or must see it cannot read around; {e}
# and {b}: the epoch and batch of the line before, so that a batch line may repeat a record's step
_ODD = [
    "INFO:root:Epoch[{e}] Batch [40]\tSpeed: 5.5 samples/sec\tother=0.25",  # another layout
    "INFO:root:Epoch[{e}] Batch [{b}]\tSpeed: 5.5 samples/sec\taccuracy=0.25",  # and the step again
    "INFO:root:Epoch[{e}] Batch [40]\tSpeed: 5.5 samples/sec\tTrain-accuracy=0.25",  # fewer metrics
    "eval: Batch [3] of 10",  # names a batch, no record line
    "INFO:root:Epoch[{e}] " + "x" * 150,  # starts like a record line and is as long
    "INFO:root:Epoch[{e}] Train-accuracy=0.5\r",  # CRLF
    "a print\r",
    "2018-03-07 10:32:37,184 - Epoch[{e}] Batch [40]\tSpeed: 5.5 samples/sec\taccuracy=0.5",
    "caf\u00e9 \udcff accuracy=0.5",  # UTF-8, and a byte that is none (written as 0xff)
    "acc\udcffuracy=0.5",
    "INFO:root:Epoch[{e}] Train-accuracy=0.5\x1b[0m",
    "INFO:root:Epoch[0] Batch [9]\tSpeed: 5.5 samples/sec\tTrain-accuracy=0.5",  # back: a restart
    "",
]
_EPOCH = re.compile(r"Epoch\[(\d+)\]")
_BATCH = re.compile(r"Batch \[(\d+)\]")


@settings(max_examples=80, deadline=None)
@given(_logs(most_epochs=5), st.lists(st.tuples(st.floats(0, 1), st.sampled_from(_ODD)), max_size=3),
       st.lists(st.integers(0, 60_000), max_size=6))
def test_bytes_fed_equal_line_by_line_with_odd_lines_anywhere(text: str, odd: list, cuts: list[int]) -> None:
    """The reader's bytes, cut anywhere after the first two epochs (read as text: they give the
    epoch's length and the layout), give what line-by-line parsing of the text the reader
    would decode gives, with lines the bytes path must not read as records among the others."""
    lines = text.split("\n")
    learned = next(i for i, line in enumerate(lines) if "Epoch[1] Time cost" in line) + 1
    for where, line in odd:
        at = learned + int(where * (len(lines) - learned))
        before = lines[at - 1]
        lines.insert(at, line.format(e=(_EPOCH.findall(before) or ["0"])[-1], b=(_BATCH.findall(before) or ["20"])[-1]))
    data = "\n".join(lines).encode("utf-8", "surrogateescape")
    start = len("\n".join(lines[:learned])) + 1
    fast = expand(parse_cut("mxnet", data, [start, *(start + cut for cut in cuts)]))
    assert canonical(fast) == canonical(expand(parse_cut("mxnet", data.decode("utf-8", "replace"), [], fast=False)))


def _epochs(epochs: int, batches: int, odd: list[str] = (), *, old: bool = False) -> str:
    """A log of ``epochs`` epochs of ``batches`` Speedometer records of plain decimals, with the
    ``odd`` lines after epoch 3's batch 100."""
    lines = ["INFO:root:Namespace(lr=0.1)"]
    for epoch in range(epochs):
        for batch in range(20, 20 * batches + 1, 20):
            head = f"INFO:root:Epoch[{epoch}] Batch [{batch}]\tSpeed: {1000 + batch}.25 samples/sec\t"
            metrics = [f"Train-accuracy=0.{batch:06d}", f"Train-top_k_accuracy_5=0.{batch + 1:06d}"]
            lines += [head + metric for metric in metrics] if old else [head + "\t".join(metrics)]
            if epoch == 3 and batch == 100:
                lines += odd
        lines += [f"INFO:root:Epoch[{epoch}] Train-accuracy=0.5", "a print between epochs",
                  f"INFO:root:Epoch[{epoch}] Time cost=12.5",
                  f"INFO:root:Update[{epoch * 1000 + 1000}]: Change learning rate to 1.0000000000e-0{epoch + 2}"]
    return "\n".join(lines) + "\n"


def _four_epochs(odd: list[str], *, old: bool = False) -> tuple[bytes, int]:
    """`_epochs` of four epochs as bytes, and where the line after epoch 1 starts (what comes
    before gives the epoch's length and the layout)."""
    data = _epochs(4, 30, odd, old=old).encode("utf-8", "surrogateescape")
    return data, data.index(b"\n", data.index(b"Epoch[1] Time cost")) + 1


def _read_from_bytes(data: bytes, learned: int, cut: int) -> list | None:
    """What `read_plain` gives for ``data[learned:cut]`` after the bytes before were fed, or None."""
    parser = mxnet.Parser()
    parser.feed_bytes(data[:learned])
    return parser.read_plain(data[learned:cut], cut - learned)


def _same_as_line_by_line(data: bytes, cuts: list[int]) -> bool:
    fast = canonical(expand(parse_cut("mxnet", data, cuts)))
    return fast == canonical(expand(parse_cut("mxnet", data.decode("utf-8", "replace"), [], fast=False)))


def test_plain_chunks_fed_as_bytes_are_read_from_the_bytes() -> None:
    """Once the first epoch gave the epoch's length and the second the layout, a chunk of plain
    lines of either style is read from its bytes (`read_plain` answers), cut inside a record or
    not, and gives what line-by-line parsing gives; a learning-rate line as long as a record
    line, starting with the same ``INFO:root:``, is no record line to the first look."""
    for old in (False, True):
        data, learned = _four_epochs([], old=old)
        for cut in (data.index(b"\n", data.index(b"Batch [300]", learned)) + 1, len(data)):
            read = _read_from_bytes(data, learned, cut)
            assert read is not None and any(type(item) is Columns for item in read)
            assert _same_as_line_by_line(data, [learned, cut])


def test_lines_between_records_are_decoded_as_the_reader_decodes_them() -> None:
    """A script's line between the records, with a byte that is no UTF-8, is read as the reader
    decodes it (the byte replaced), whether the chunk is read from the bytes or not."""
    data, learned = _four_epochs(["acc\udcffuracy=0.5 loss=0.25"])
    assert _read_from_bytes(data, learned, len(data)) is not None
    assert _same_as_line_by_line(data, [learned])


def test_a_line_naming_a_batch_between_records_sends_the_chunk_to_the_decoded_path() -> None:
    """A batch line of another layout between the records, at the step of the record before it:
    read from the bytes, its values would go out before the records' blocks and lose to them,
    where line by line the later line wins. `_fast_lines` gives up on such a chunk (every line
    with `` Batch [`` must be a record), and so must `read_plain`."""
    odd = "INFO:root:Epoch[3] Batch [100]\tSpeed: 5.5 samples/sec\tTrain-accuracy=0.25"
    data, learned = _four_epochs([odd])
    assert _read_from_bytes(data, learned, len(data)) is None
    assert _same_as_line_by_line(data, [learned])


def test_a_metric_printed_twice_in_a_batch_of_several_lines_is_read_line_by_line() -> None:
    """MXNet <= 0.11 prints a line a metric: two more ``Train-accuracy=`` lines of a batch make
    a record of the right pieces in the wrong lines, which `_literals.read_numbers` (cutting
    pieces wherever they are) did not see (found by the bytes test above, on main's text path
    too): the second line's value went to ``Train-top_k_accuracy_5``."""
    odd = "INFO:root:Epoch[3] Batch [100]\tSpeed: 5.5 samples/sec\tTrain-accuracy=0.25"
    text = _epochs(4, 30, [odd, odd], old=True)
    assert canonical(expand(parse_cut("mxnet", text, []))) == canonical(expand(parse_cut("mxnet", text, [], fast=False)))


def test_runs_of_plain_decimals_come_in_blocks() -> None:
    """The test above passes whether or not the fast path reads anything: here, epochs of plain
    decimals in both styles must come as `Columns` blocks, equal to the line-by-line reading
    (the first epoch goes line by line: its length is known only at its end)."""
    for old in (False, True):
        text = _epochs(3, 40, old=old)
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
