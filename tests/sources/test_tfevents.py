"""TensorBoard event files: real files written by torch's SummaryWriter and tensorboard's own
writer (tests/sources/data/tfevents, truth.json holds what the script logged), framing
errors, and hypothesis over random bytes and random cuts of a real file.

The parser decodes the common one-scalar event in bulk and everything else through protobuf;
``Parser(bulk=False)`` sends every record through protobuf, so most tests below check the
bulk path against what was written and against the protobuf path."""

from __future__ import annotations

import json
import math
import pickle
import struct
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lossboard.model import RESUME, Item, Point
from lossboard.sources.formats import _tfrecord, _tfscalars, tfevents
from tests.sources.helpers import canonical, events, expand, points, problems

pytest.importorskip("tensorboard")

from tensorboard.compat.proto import event_pb2, summary_pb2  # noqa: E402
from tensorboard.compat.tensorflow_stub.pywrap_tensorflow import masked_crc32c  # noqa: E402
from tensorboard.summary.writer.event_file_writer import EventFileWriter  # noqa: E402
from tensorboard.util import tensor_util  # noqa: E402

DATA = Path(__file__).parent / "data" / "tfevents"


def parse_bytes(data: bytes, cuts: list[int] | None = None, *, bulk: bool = True) -> list[Item]:
    """Every record for ``data`` fed in pieces ending at the sorted ``cuts``; ``bulk=False``
    decodes every record through protobuf (the reference path)."""
    parser = tfevents.Parser(bulk=bulk)
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
    ("training loss", "train/loss"), ("charts/episodic_return", "charts/episodic_return"),
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


# --- the bulk decoder: against what was written and against the protobuf path ----------------

# varints of 10 bytes (negative steps) and of 1, 2, 3, 4, 6 and 9 bytes; step 0 is not written
STEPS = [-(2**40), -1, 0, 1, 127, 128, 2**14 - 1, 2**14, 2**21, 2**35, 2**62]
VALUES = [0.0, -0.0, 1.0, math.nan, math.inf, -math.inf, 1e-45, 3.4e38, 0.1]
# a 1-byte and a 2-byte length (127, 128), longer than a hash word, unicode
TAGS = ["loss", "Loss/val", "x" * 127, "y" * 128, "z" * 300, "损失/训练", "ß/val", "🚀", "a b"]
# 0 is not written (TensorBoard reads it as unknown); 1.0 and 2.0 hold six zero bytes, as a
# length header does
WALLS = [0.0, 1.0, 1.7e9 + 0.25, 1e-300, 2.0]


def simple_event(tag: str, step: int, value: float, wall_time: float = 1.5) -> event_pb2.Event:
    summary = summary_pb2.Summary(value=[summary_pb2.Summary.Value(tag=tag, simple_value=value)])
    return event_pb2.Event(wall_time=wall_time, step=step, summary=summary)


def tensor_event(tag: str, step: int, value, *, dtype=np.float32, plugin: str = "scalars") -> event_pb2.Event:
    """A TF2-style summary: the value as a tensor, the plugin named (on a tag's first value)."""
    summary_value = summary_pb2.Summary.Value(tag=tag, tensor=tensor_util.make_tensor_proto(np.array(value, dtype)))
    if plugin:
        summary_value.metadata.plugin_data.plugin_name = plugin
    return event_pb2.Event(wall_time=1.5, step=step, summary=summary_pb2.Summary(value=[summary_value]))


def write_events(directory: Path, events: list[event_pb2.Event]) -> bytes:
    """What tensorboard's TensorFlow-free writer makes of ``events`` (after its file_version)."""
    directory.mkdir()
    writer = EventFileWriter(str(directory), max_queue_size=len(events) + 1, flush_secs=1e9)
    for event in events:
        writer.add_event(event)
    writer.close()
    (path,) = directory.glob("events.out.tfevents.*")
    return path.read_bytes()


def written(rows: list[tuple[str, int, float, float]]) -> dict[str, list[tuple]]:
    """Per tag, (step, value, wall_time) as the file holds them: float32 values, wall time 0
    unknown (NaN in a column). `repr` tells -0.0 from 0.0 and lets NaN equal NaN."""
    out: dict[str, list[tuple]] = {}
    for tag, step, value, wall_time in rows:
        out.setdefault(tag, []).append((step, repr(float(np.float32(value))), repr(wall_time or math.nan)))
    return out


def read(items: list[Item]) -> dict[str, list[tuple]]:
    out: dict[str, list[tuple]] = {}
    for p in points(items):
        out.setdefault(p.source_tag, []).append((p.step, repr(p.value), repr(p.wall_time)))
    return out


EDGE_ROWS = [(tag, step, VALUES[(i + j) % len(VALUES)], WALLS[(i + 2 * j) % len(WALLS)])
             for i, step in enumerate(STEPS) for j, tag in enumerate(TAGS)]


@pytest.fixture(scope="module")
def edge_file(tmp_path_factory) -> bytes:
    return write_events(tmp_path_factory.mktemp("edge") / "run", [simple_event(*row) for row in EDGE_ROWS])


@pytest.mark.parametrize("bulk", [True, False])
def test_every_step_value_tag_and_wall_time_as_written(edge_file, bulk):
    items = parse_bytes(edge_file, bulk=bulk)
    assert read(items) == written(EDGE_ROWS)
    assert not problems(items) and not events(items)


def test_bulk_and_protobuf_paths_emit_the_same_items(edge_file):
    # not only the same meaning: the same blocks (one per tag, first-seen order) and meta
    bulk, reference = tfevents.Parser().feed(edge_file), tfevents.Parser(bulk=False).feed(edge_file)
    assert [(type(i), i[:2]) for i in bulk] == [(type(i), i[:2]) for i in reference]
    assert [repr(i) for i in expand(bulk)] == [repr(i) for i in expand(reference)]  # repr: NaN, -0.0


def test_the_bulk_decoder_takes_every_one_scalar_event(edge_file):
    """Not a timing test: a decoder that gave every record back to protobuf would be right
    and five times slower, so check it took them (all but the file_version event)."""
    starts, lengths, _, _ = _tfrecord.frame(edge_file)
    decoded = _tfscalars.decode_scalars(edge_file, starts + 12, lengths, _tfscalars.TagTable()).decoded
    assert decoded.tolist() == [False] + [True] * len(EDGE_ROWS)


@pytest.mark.parametrize("path", sorted(DATA.rglob("events.out.tfevents.*")), ids=lambda p: p.parent.name)
def test_fixture_files_read_the_same_on_both_paths(path):
    data = path.read_bytes()
    assert same(parse_bytes(data), parse_bytes(data, bulk=False))
    assert same(parse_bytes(data, list(range(0, len(data), 37))), parse_bytes(data, bulk=False))


def test_other_layouts_go_through_protobuf_in_the_same_file(tmp_path):
    """TF2 tensor scalars, an empty tag (not written), two values in one event, a text summary
    longer than 64 KiB and one holding whole records, among simple values."""
    rows, stream = [], []
    fake_records = b"".join(record(simple_event("fake", 5, 9.0).SerializeToString()) for _ in range(3))
    for step in range(0, 300, 7):
        rows += [("loss", step, 0.5, 1.5), ("tf2/loss", step, step / 4, 1.5), ("", step, 2.0, 1.5),
                 ("pair/a", step, 1.0, 1.5), ("pair/b", step, -1.0, 1.5)]
        pair = simple_event("pair/a", step, 1.0)
        pair.summary.value.add(tag="pair/b", simple_value=-1.0)
        stream += [simple_event("loss", step, 0.5),
                   tensor_event("tf2/loss", step, step / 4, dtype=np.float64, plugin="scalars" if not step else ""),
                   simple_event("", step, 2.0), pair,
                   tensor_event("notes", step, "x" * (70_000 if step == 14 else 10), dtype=object, plugin="text"),
                   tensor_event("raw", step, fake_records, dtype=object, plugin="text")]
    data = write_events(tmp_path / "run", stream)
    for bulk in (True, False):
        items = parse_bytes(data, bulk=bulk)
        assert read(items) == written(rows)
        assert not problems(items)


def varint(number: int) -> bytes:
    number &= (1 << 64) - 1
    out = b""
    while number >= 0x80:
        out, number = out + bytes([number & 0x7F | 0x80]), number >> 7
    return out + bytes([number])


def length_field(key: int, body: bytes) -> bytes:
    return bytes([key]) + varint(len(body)) + body


def event_bytes(tag: bytes = b"loss", step: bytes = b"\x10\x07", wall: bytes = b"\x09" + struct.pack("<d", 2.5),
                value: float = 0.5, tag_field: bytes | None = None) -> bytes:
    """An Event written by hand: field 1 wall_time, 2 step, 5 summary{1 value{1 tag, 2 simple_value}}."""
    tag_field = length_field(0x0A, tag) if tag_field is None else tag_field
    summary = length_field(0x0A, tag_field + b"\x15" + struct.pack("<f", value))
    return wall + step + length_field(0x2A, summary)


@pytest.mark.parametrize(("payload", "expected"), [
    (event_bytes(), ("loss", 7, 0.5, 2.5)),
    (event_bytes(tag_field=b"\x0a\x00"), ("", 7, 0.5, 2.5)),  # an empty tag, written anyway
    (event_bytes(step=b"\x10\x00"), ("loss", 0, 0.5, 2.5)),  # step 0, written anyway
    (event_bytes(wall=b"\x09" + bytes(8)), ("loss", 7, 0.5, math.nan)),  # wall_time 0, written anyway
    (event_bytes(wall=b"\x09" + struct.pack("<d", -0.0)), ("loss", 7, 0.5, math.nan)),
    (event_bytes(step=b"\x10\x81\x00"), ("loss", 1, 0.5, 2.5)),  # a varint longer than needed
    (event_bytes(step=b"\x10" + varint(-5)), ("loss", -5, 0.5, 2.5)),
    (event_bytes(step=b"\x10" + b"\xff" * 9 + b"\x7f"), ("loss", -1, 0.5, 2.5)),  # bits past 64 dropped
    (event_bytes(step=b"") + b"\x10\x07", ("loss", 7, 0.5, 2.5)),  # fields out of order
    (event_bytes(step=b"\x10\x05\x10\x07"), ("loss", 7, 0.5, 2.5)),  # twice: the last counts
    (event_bytes() + b"\x78\x01", ("loss", 7, 0.5, 2.5)),  # an unknown field 15
    (event_bytes(tag=b"\xff\xfeloss"), None),  # not UTF-8: protobuf refuses the event
])
def test_hand_written_events_read_as_protobuf_reads_them(payload, expected):
    data = record(payload) * 3
    for bulk in (True, False):
        items = parse_bytes(data, bulk=bulk)
        if expected is None:
            assert not points(items) and len(problems(items)) == 3
            continue
        tag, step, value, wall_time = expected
        assert [(p.source_tag, p.step, p.value, repr(p.wall_time)) for p in points(items)] == [
            (tag, step, value, repr(wall_time))] * 3


def test_overlong_nested_lengths_read_as_protobuf_reads_them():
    value = length_field(0x0A, b"loss") + b"\x15" + struct.pack("<f", 0.5)  # 11 bytes
    summary = b"\x0a\x8b\x00" + value  # its length in two bytes where one would do
    payload = b"\x09" + struct.pack("<d", 2.5) + b"\x10\x07\x2a" + varint(len(summary)) + summary
    for bulk in (True, False):
        assert [(p.source_tag, p.step, p.value) for p in points(parse_bytes(record(payload), bulk=bulk))] == [
            ("loss", 7, 0.5)]


def test_many_tags_interleaved(tmp_path):
    rows = [(f"layer{tag}/grad_norm", step, tag + step / 100, 1e9 + step) for step in range(40) for tag in range(300)]
    data = write_events(tmp_path / "run", [simple_event(*row) for row in rows])
    assert read(parse_bytes(data)) == written(rows)
    assert read(parse_bytes(data, [len(data) // 3, len(data) // 2])) == written(rows)


def test_a_resume_in_the_middle_of_a_feed_keeps_the_value_that_went_back():
    data = b"".join(scalar_event(tag, step, 0.5) for step in (1, 2, 3) for tag in ("a", "b"))
    data += scalar_event("a", 2, 0.25) + scalar_event("b", 2, 0.25) + scalar_event("a", 3, 0.125)
    for bulk in (True, False):
        for cuts in ([], [len(data) // 2], list(range(0, len(data), 11))):
            series, found, _, _ = canonical(parse_bytes(data, cuts, bulk=bulk))
            assert [e.step for e in found] == [2]
            assert series["train/a"][1] == [1, 2, 3] and series["train/a"][4] == [0.5, 0.25, 0.125]
            assert series["train/b"][1] == [1, 2] and series["train/b"][4] == [0.5, 0.25]


def test_session_log_start_in_the_middle_of_a_feed(tmp_path):
    start = event_pb2.Event(step=2, session_log=event_pb2.SessionLog(status=event_pb2.SessionLog.START))
    stream = [simple_event("loss", step, step / 8) for step in range(5)] + [start] + [
        simple_event("loss", step, -step / 8) for step in range(2, 6)]
    data = write_events(tmp_path / "run", stream)
    for bulk in (True, False):
        series, found, _, _ = canonical(parse_bytes(data, bulk=bulk))
        assert [(e.kind, e.step, e.text) for e in found] == [(RESUME, 2, "SessionLog.START")]
        assert series["train/loss"][1] == [0, 1, 2, 3, 4, 5]
        assert series["train/loss"][4] == [0.0, 0.125, -0.25, -0.375, -0.5, -0.625]


def test_a_parser_pickled_mid_record_continues(edge_file):
    parser = tfevents.Parser()
    half = len(edge_file) // 2 + 5  # inside a record
    first = parser.feed(edge_file[:half])
    state = pickle.dumps(parser)
    assert len(state) < 2000  # an unfinished record, the offset, a few tags' last steps
    resumed = pickle.loads(state)
    assert same(first + resumed.feed(edge_file[half:]) + resumed.close(), parse_bytes(edge_file))


def test_torch_summary_writer(tmp_path):
    torch_tensorboard = pytest.importorskip("torch.utils.tensorboard")
    rows = []
    with torch_tensorboard.SummaryWriter(str(tmp_path)) as writer:
        for step in [0, 1, 127, 128, 2**14, 2**21, 2**35]:
            for tag, value in (("Loss/train", 1 / (step + 1)), ("Accuracy/val", math.nan), ("lr", -0.0)):
                writer.add_scalar(tag, value, step, walltime=1.7e9 + step)
                rows.append((tag, step, value, 1.7e9 + step))
            writer.add_scalar("tf2/loss", 0.25, step, walltime=1.7e9 + step, new_style=True)
            rows.append(("tf2/loss", step, 0.25, 1.7e9 + step))
    (path,) = tmp_path.glob("events.out.tfevents.*")
    data = path.read_bytes()
    assert read(parse_bytes(data)) == written(rows)
    assert same(parse_bytes(data), parse_bytes(data, bulk=False))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cuts=st.lists(st.integers(0, 1 << 20), max_size=12))
def test_cut_points_do_not_matter_on_the_edge_file(edge_file, cuts):
    assert read(parse_bytes(edge_file, [cut % len(edge_file) for cut in cuts])) == written(EDGE_ROWS)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(flips=st.lists(st.tuples(st.integers(0, 1 << 20), st.integers(1, 255)), min_size=1, max_size=4),
       cuts=st.lists(st.integers(0, 1 << 20), max_size=4))
def test_flipped_bytes_read_the_same_on_both_paths(edge_file, flips, cuts):
    data = bytearray(edge_file)
    for at, mask in flips:
        data[at % len(data)] ^= mask
    cuts = [cut % len(data) for cut in cuts]
    bulk = parse_bytes(bytes(data), cuts)  # never raises: damage is a Problem
    assert same(bulk, parse_bytes(bytes(data), bulk=False))
    assert len(problems(bulk)) <= 1 + len(flips)


@pytest.mark.parametrize("payload", [b"", b"x", bytes(range(256)) * 300])
def test_a_framed_record_is_what_tensorboards_framing_makes(payload: bytes) -> None:
    assert _tfrecord.record(payload) == record(payload)


def test_every_form_of_a_one_number_tensor_reads_as_that_number(tmp_path):
    """float_val and double_val are read directly; a shaped, packed or integer tensor through
    make_ndarray; a tensor of two numbers is not a scalar."""
    from tensorboard.compat.proto import tensor_pb2, types_pb2

    packed = tensor_pb2.TensorProto(dtype=types_pb2.DT_FLOAT, tensor_content=struct.pack("<f", 2.5))
    forms = {
        "f32": tensor_util.make_tensor_proto(np.float32(0.1)),
        "f64": tensor_util.make_tensor_proto(np.float64(0.1)),
        "shaped": tensor_util.make_tensor_proto(np.array([0.25], np.float32)),
        "int": tensor_util.make_tensor_proto(np.int64(7)),
        "packed": packed,
        "pair": tensor_util.make_tensor_proto(np.array([1.0, 2.0])),
    }
    stream = []
    for tag, tensor in forms.items():
        value = summary_pb2.Summary.Value(tag=tag, tensor=tensor)
        value.metadata.plugin_data.plugin_name = "scalars"
        stream.append(event_pb2.Event(wall_time=1.5, step=3, summary=summary_pb2.Summary(value=[value])))
    items = parse_bytes(write_events(tmp_path / "run", stream))
    got = {p.source_tag: p.value for p in points(items)}
    assert got == {"f32": float(np.float32(0.1)), "f64": 0.1, "shaped": 0.25, "int": 7.0, "packed": 2.5}
