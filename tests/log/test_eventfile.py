"""The event file format: framing, record kinds, chunked and damaged input."""

from __future__ import annotations

import math
import struct
import zlib

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from lossboard import eventfile
from lossboard.model import RESUME, Columns, Event, Media, Meta, Problem
from lossboard.sources.formats import lossboard_events

NAN_BITS = struct.unpack("<d", struct.pack("<Q", 0x7FF8_0000_0000_0001))[0]  # a NaN with a payload


def sample_file() -> bytes:
    return b"".join([
        eventfile.encode_header({"host": "gpu1", "pid": 42}),
        eventfile.encode_event(RESUME, 5, 100.0, "purge_step"),
        eventfile.encode_scalars(["Loss/train", "acc", "Loss/train"], [5, 5, 6], [0.5, math.nan, -math.inf],
                                 [100.0, 100.5, 101.0]),
        eventfile.encode_media("text", "notes", 6, 101.5, {"text": "héllo"}),
        eventfile.encode_meta("exit_status", "0"),
        eventfile.encode_scalars(["acc"], [7], [math.inf], [102.0]),
    ])


def parse(data: bytes, splits: list[int] = ()) -> list:
    parser = lossboard_events.Parser()
    items, start = [], 0
    for split in sorted(splits):
        items += parser.feed(data[start:split])
        start = split
    return items + parser.feed(data[start:]) + parser.close()


def points(items: list) -> list[tuple]:
    """Every scalar as (tag, source_tag, step, value bits, wall time), in file order per tag."""
    return [
        (p.tag, p.source_tag, p.step, struct.pack("<d", p.value), p.wall_time)
        for item in items if type(item) is Columns for p in item.points()
    ]


def test_every_record_kind_reads_back_as_written():
    items = parse(sample_file())
    assert Meta("host", "gpu1") in items and Meta("pid", "42") in items
    assert Meta("exit_status", "0") in items
    assert items[2] == Event(RESUME, 5, None, 100.0, "purge_step")
    assert Media("text", "notes", 6, 101.5, {"text": "héllo"}) in items
    got = [(tag, source, step, value, wall) for tag, source, step, value, wall in points(items)]
    assert got == [
        ("train/loss", "Loss/train", 5, struct.pack("<d", 0.5), 100.0),
        ("train/loss", "Loss/train", 6, struct.pack("<d", -math.inf), 101.0),
        ("train/accuracy", "acc", 5, struct.pack("<d", math.nan), 100.5),
        ("train/accuracy", "acc", 7, struct.pack("<d", math.inf), 102.0),
    ]
    assert not [item for item in items if type(item) is Problem]


def test_float64_values_keep_every_bit():
    values = [NAN_BITS, -0.0, 5e-324, 1.7976931348623157e308, 0.1]
    data = eventfile.encode_scalars(["x"] * 5, range(5), values, [0.0] * 5)
    got = [p.value for p in parse(data)[0].points()]
    assert [struct.pack("<d", v) for v in got] == [struct.pack("<d", v) for v in values]


def test_reading_at_every_byte_split_gives_the_same_records():
    data = sample_file()
    whole = parse(data)
    for split in range(len(data) + 1):
        assert points(parse(data, [split])) == points(whole)
        assert [i for i in parse(data, [split]) if type(i) is not Columns] == \
               [i for i in whole if type(i) is not Columns]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 400), max_size=12))
def test_any_chunking_gives_the_same_records(splits):
    data = sample_file()
    assert points(parse(data, splits)) == points(parse(data))


def test_a_torn_last_record_is_ignored_and_reported_at_close():
    complete = sample_file()
    last = eventfile.encode_scalars(["late"], [9], [1.0], [103.0])
    for cut in range(1, len(last)):
        parser = lossboard_events.Parser()
        during = parser.feed(complete + last[:cut])
        assert points(during) == points(parse(complete))  # a live reader waits for the rest
        at_close = parser.close()
        assert [type(i) for i in at_close] == [Problem]
        assert f"byte {len(complete)}" in at_close[0].message


def test_a_reader_resumes_where_the_torn_record_left_off():
    data = sample_file()
    parser = lossboard_events.Parser()
    first = parser.feed(data[:-7])
    rest = parser.feed(data[-7:]) + parser.close()
    assert points(first + rest) == points(parse(data))


def test_damage_in_the_middle_names_the_offset_and_later_records_still_read():
    records = [eventfile.encode_scalars(["x"], [i], [float(i)], [0.0]) for i in range(3)]
    damaged = bytearray(b"".join(records))
    middle = len(records[0])
    damaged[middle + 20] ^= 0xFF  # inside the second record's payload
    items = parse(bytes(damaged))
    assert [p[2] for p in points(items)] == [0, 2]
    problems = [i for i in items if type(i) is Problem]
    assert len(problems) == 1 and f"byte {middle}" in problems[0].message


def test_garbage_between_records_is_one_problem_whatever_the_chunking():
    record = eventfile.encode_scalars(["x"], [1], [1.0], [0.0])
    data = record + b"\x00garbage" * 40 + record
    for split in (0, 20, 50, 300):
        items = parse(data, [split])
        assert [p[2] for p in points(items)] == [1, 1]
        assert len([i for i in items if type(i) is Problem]) == 1


def test_a_record_kind_from_a_newer_version_is_skipped_once():
    unknown = eventfile.frame(b"Zfuture")
    items = parse(unknown + unknown + eventfile.encode_meta("k", "v"))
    assert items[-1] == Meta("k", "v")
    assert len([i for i in items if type(i) is Problem]) == 1


def test_a_payload_that_passes_the_checksum_but_is_malformed_is_a_problem():
    body = b"S" + struct.pack("<II", 6, 5) + b'["x"]'  # says 5 values, holds none
    items = parse(eventfile.frame(body) + eventfile.encode_meta("k", "v"))
    assert type(items[0]) is Problem and "byte 0" in items[0].message
    assert items[1] == Meta("k", "v")


def test_the_frame_is_magic_length_and_zlib_crc32():
    payload = b"K" + b'{"key":"a","value":"b"}'
    assert eventfile.encode_meta("a", "b") == b"LBEV" + struct.pack("<II", len(payload),
                                                                    zlib.crc32(payload)) + payload


def test_one_block_holds_many_tags_in_columns():
    tags = [f"t{i % 10}" for i in range(10_000)]
    data = eventfile.encode_scalars(tags, np.arange(10_000) // 10, np.arange(10_000.0), np.zeros(10_000))
    columns = parse(data)
    assert len(data) < 29 * 10_000 + 200
    assert sorted(c.source_tag for c in columns) == [f"t{i}" for i in range(10)]
    t3 = next(c for c in columns if c.source_tag == "t3")
    assert t3.step.tolist() == list(range(1000)) and t3.value.tolist() == list(range(3, 10_000, 10))


def test_file_names_differ_in_the_same_second_and_sort_by_start_time():
    names = [eventfile.file_name(now=1_700_000_000.25) for _ in range(100)]
    assert len(set(names)) == 100
    earlier, later = eventfile.file_name(now=1_700_000_000.000009), eventfile.file_name(now=1_700_000_000.00001)
    assert earlier.split(".")[3] < later.split(".")[3]


def test_sniff_knows_the_name_and_the_header():
    header = eventfile.encode_header({}).decode("latin-1")
    assert lossboard_events.sniff(header, "anything.bin") == 1.0
    assert lossboard_events.sniff("", "events.lossboard.20260101T000000.000000Z.h.1.ab") == 1.0
    assert lossboard_events.sniff("LBEV is not enough", "log.txt") == 0.0


@settings(max_examples=80, deadline=None)
@given(st.integers(0, 600), st.integers(0, 255), st.lists(st.integers(0, 700), max_size=5),
       st.binary(max_size=40))
def test_damaged_input_never_raises_and_records_before_the_damage_survive(at, byte, splits, junk):
    data = sample_file()
    at = min(at, len(data) - 1)
    damaged = data[:at] + bytes([data[at] ^ (byte or 1)]) + data[at + 1 :] + junk
    items = parse(damaged, splits)
    intact = parse(data[:at])  # every record that ends before the damaged byte
    assert points(intact) == points(items)[: len(points(intact))]
