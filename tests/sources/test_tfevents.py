"""TensorBoard event files: real files written by torch's SummaryWriter and tensorboard's own
writer (tests/sources/data/tfevents, truth.json holds what the script logged), framing
errors, and hypothesis over random bytes and random cuts of a real file."""

from __future__ import annotations

import json
import math
import struct
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lossboard.model import RESUME, Item, Point
from lossboard.sources.formats import tfevents
from tests.sources.helpers import canonical, events, expand, points, problems

pytest.importorskip("tensorboard")

from tensorboard.compat.proto import event_pb2, summary_pb2  # noqa: E402
from tensorboard.compat.tensorflow_stub.pywrap_tensorflow import masked_crc32c  # noqa: E402

DATA = Path(__file__).parent / "data" / "tfevents"


def parse_bytes(data: bytes, cuts: list[int] | None = None) -> list[Item]:
    """Every record for ``data`` fed in pieces ending at the sorted ``cuts``."""
    parser = tfevents.Parser()
    items: list[Item] = []
    start = 0
    for cut in sorted(set(cuts or [])) + [len(data)]:
        items.extend(parser.feed(data[start:cut]))
        start = cut
    items.extend(parser.close())
    return expand(items)


def record(payload: bytes) -> bytes:
    """TFRecord framing, as the writers do it (the test builds inputs, the parser reads them)."""
    header = struct.pack("<Q", len(payload))
    return header + struct.pack("<I", masked_crc32c(header)) + payload + struct.pack(
        "<I", masked_crc32c(payload))


def scalar_event(tag: str, step: int, value: float) -> bytes:
    summary = summary_pb2.Summary(value=[summary_pb2.Summary.Value(tag=tag, simple_value=value)])
    return record(event_pb2.Event(wall_time=1.5, step=step, summary=summary).SerializeToString())


def truth() -> dict[str, list[list]]:
    return json.loads((DATA / "truth.json").read_text())


def same(a: list[Item], b: list[Item]) -> bool:
    """The same meaning: series, events and problems as the collector makes them."""
    return canonical(a) == canonical(b)


def test_available_with_tensorboard_installed():
    assert tfevents.available() is None
    assert tfevents.BINARY is True


@pytest.mark.parametrize("name", sorted(truth()))
def test_fixture_values_are_what_the_script_logged(name):
    items = parse_bytes((DATA / name).read_bytes())
    got = [[p.source_tag, p.step, repr(p.value)] for p in points(items)]
    by_tag = lambda rows: sorted(rows, key=lambda row: row[0])  # noqa: E731  (stable: steps stay in order)
    assert by_tag(got) == by_tag(truth()[name])
    assert all(p.wall_time and p.wall_time > 1.6e9 for p in points(items))
    assert not problems(items)


def test_tags_in_either_order_and_spaces():
    (main,) = (DATA / "torch").glob("events.out.tfevents.*")
    items = parse_bytes(main.read_bytes())
    tags = {p.source_tag: p.tag for p in points(items)}
    assert tags == {"Loss/val": "val/loss", "training loss": "train/loss",
                    "Accuracy/test": "test/accuracy", "lr": "opt/lr"}
    loss = [p.value for p in points(items) if p.source_tag == "Loss/val"]
    assert math.isnan(loss[2]) and loss[4] == math.inf
    # the histogram (and the text summary) are skipped without a word
    assert not problems(items) and "weights" not in tags and "notes" not in tags


def test_tensor_scalars_from_the_tf_free_writer():
    (path,) = (DATA / "tb-writer").glob("events.out.tfevents.*")
    items = parse_bytes(path.read_bytes())
    assert {(p.tag, p.step) for p in points(items) if p.step == 0} == {("train/loss", 0), ("val/accuracy", 0)}
    assert [p.wall_time for p in points(items) if p.tag == "train/loss"] == [
        1_700_000_000.0, 1_700_000_001.0, 1_700_000_002.0, 1_700_000_003.0]


def test_purge_step_writer_is_a_resume():
    (path,) = (DATA / "torch-purge").glob("events.out.tfevents.*")
    items = parse_bytes(path.read_bytes())
    assert [e.step for e in events(items, RESUME)] == [3]


@pytest.mark.parametrize(("source", "tag"), [
    ("Loss/train", "train/loss"), ("Accuracy/test", "test/accuracy"), ("train/loss", "train/loss"),
    ("eval/loss", "val/loss"), ("train/learning_rate", "opt/lr"), ("loss/validation", "val/loss"),
    ("training loss", "train/loss"), ("charts/episodic_return", "train/charts/episodic_return"),
    ("a/b/train", "train/a/b/train"),
])
def test_canonical_tag(source, tag):
    assert tfevents.canonical_tag(source) == tag


def test_step_going_back_for_a_tag_is_one_resume():
    data = b"".join(scalar_event(tag, step, 0.5) for step in (1, 2, 3) for tag in ("a", "b"))
    data += scalar_event("a", 2, 0.4) + scalar_event("b", 2, 0.4) + scalar_event("a", 3, 0.3)
    items = parse_bytes(data)
    assert [e.step for e in events(items, RESUME)] == [2]
    assert len(points(items)) == 9


def test_torn_last_record_waits_then_is_a_problem_at_close():
    data = scalar_event("loss", 1, 0.5) + scalar_event("loss", 2, 0.25)
    parser = tfevents.Parser()
    first = expand(parser.feed(data[:-5]))
    assert [p.step for p in points(first)] == [1]  # the second waits for its last bytes
    rest = parser.feed(data[-5:-2])
    assert rest == []
    (problem,) = parser.close()
    assert problem.line == 0 and "incomplete" in problem.message
    assert f"at byte {len(data) // 2}" in problem.message


def test_corrupt_header_stops_once_damaged_payload_skips_one_record():
    good = scalar_event("loss", 1, 0.5)
    damaged_payload = record(b"\xff\xff\xff\xff\x0f")  # framed right, not an Event
    items = parse_bytes(good + damaged_payload + good)
    assert len(points(items)) == 2
    (problem,) = problems(items)
    assert f"at byte {len(good)}" in problem.message
    assert "not a TensorBoard event" in problem.message
    broken = bytearray(good + good + good)
    broken[len(good) + 3] ^= 0x40  # a bit flip in the second length
    items = parse_bytes(bytes(broken))
    assert len(points(items)) == 1
    (problem,) = problems(items)
    assert "corrupt record header" in problem.message and f"at byte {len(good)}" in problem.message


def test_sniff():
    for path in DATA.rglob("events.out.tfevents.*"):
        head = path.read_bytes()[:65536].decode("utf-8", "replace")
        assert tfevents.sniff(head, path.name) == 1.0
        assert tfevents.sniff(head, "renamed.bin") >= 0.8
    assert tfevents.sniff("Epoch 1/10\n", "make_tfevents.py") < 0.2


# --- hypothesis: the binary parser is not covered by test_fuzz.py ---------------------------

REAL = next((DATA / "torch").glob("events.out.tfevents.*")).read_bytes()


def _no_raise_and_no_split_dependence(data: bytes, cuts: list[int]) -> list[Item]:
    whole = parse_bytes(data)
    assert same(parse_bytes(data, cuts), whole)
    assert all(type(i) is not Point or isinstance(i.value, float) for i in whole)
    return whole


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.binary(max_size=600), cuts=st.lists(st.integers(0, 600), max_size=8))
def test_random_bytes_never_raise(data, cuts):
    items = _no_raise_and_no_split_dependence(data, [c for c in cuts if c <= len(data)])
    assert len(problems(items)) <= 2  # a bad header stops the file; a torn tail is one more


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    end=st.integers(0, len(REAL)),
    cuts=st.lists(st.integers(0, len(REAL)), max_size=12),
    flip=st.one_of(st.none(), st.integers(0, len(REAL) - 1)),
)
def test_truncated_split_or_flipped_real_file(end, cuts, flip):
    data = bytearray(REAL[:end])
    if flip is not None and flip < len(data):
        data[flip] ^= 0x01
    items = _no_raise_and_no_split_dependence(bytes(data), [c for c in cuts if c <= end])
    if flip is None:
        # every series read from a truncated file is the start of the complete file's series
        complete = canonical(points(parse_bytes(REAL)))[0]
        for tag, (source_tag, steps, epochs, walls, values) in canonical(points(items))[0].items():
            whole = complete[tag]
            assert source_tag == whole[0]
            assert [steps, epochs, walls, values] == [column[: len(steps)] for column in whole[1:]]
        assert len(problems(items)) <= 1
