"""Parser state saved as data (issue 9): every format continues exactly after a save and a
load, and nothing a state row holds is ever executed."""

from __future__ import annotations

import array
import codecs
import pickle
import re
from pathlib import Path

import numpy as np
import orjson
import pytest

import lossboard
from lossboard.errors import InputError
from lossboard.model import Columns
from lossboard.sources.formats import FORMATS
from lossboard.sources.reader import resolve_format
from lossboard.store import parser_state
from lossboard.store.parser_state import Saved, StateError

ROOT = Path(__file__).parents[1] / "sources" / "data"


def _logs(corpus: Path, tmp_path: Path) -> dict[str, list[Path]]:
    """Real logs of every format: the corpus, the project's fixture logs, and an event file of
    lossboard's own writer."""
    writer = lossboard.SummaryWriter(tmp_path / "own", format="lossboard")
    for step in range(300):
        writer.add_scalar("Loss/train", 1.0 / (step + 1), step)
        writer.add_text("note", f"step {step}", step) if step % 50 == 0 else None
    writer.close()
    # short samples for the formats nobody can run here (lines as the tests of each show)
    (tmp_path / "own" / "metrics.json").write_text("".join(
        f'{{"mode": "train", "epoch": {e}, "iter": {i}, "lr": 0.0002, "loss": {1 / (e * i):.4f}, "time": 0.5}}\n'
        f'{{"mode": "val", "epoch": {e}, "iter": {i}, "lr": 0.0002, "bbox_mAP": 0.{e}{i}}}\n'
        for e in range(1, 4) for i in (50, 100)))
    (tmp_path / "own" / "log.txt").write_text("".join(
        f"[07/11 14:{i % 60:02}:23 d2.utils.events]:  eta: 0:10:00  iter: {i}  total_loss: {2 / i:.4f}  "
        f"loss_cls: 0.7279  time: 0.3156  data_time: 0.0088  lr: 1.6068e-05  max_mem: 2345M\n"
        for i in range(19, 400, 20)))
    (tmp_path / "own" / "keyvalue.log").write_text("".join(
        f"epoch={e} step={e * 100 + i} loss={1 / (e * 100 + i + 1):.4f} lr=0.01\n" for e in range(3) for i in range(0, 100, 10)))
    (tmp_path / "own" / "mmdet.log").write_text("".join(
        f"2021-03-04 12:00:{i % 60:02},123 - mmdet - INFO - Epoch [{e}][{i}/7330]\tlr: 1.978e-03, "
        f"eta: 1 day, 2:03:04, time: 0.550, data_time: 0.050, memory: 3000, loss_cls: 1.1000, loss: {1 / i:.4f}\n"
        for e in range(1, 3) for i in range(50, 500, 50)))
    found: dict[str, list[Path]] = {"keyvalue": [tmp_path / "own" / "keyvalue.log"]}  # detection leaves it to prints
    for path in sorted([*corpus.rglob("*"), *ROOT.rglob("*"), *(tmp_path / "own").rglob("*")]):
        if not path.is_file() or path.suffix in (".md", ".py") or path.name == "truth.json":
            continue
        try:
            with open(path, "rb") as file:
                fmt = resolve_format(path, None, file)
        except InputError:
            continue
        found.setdefault(fmt, []).append(path)
    return found


def _parse(fmt: str, data: bytes, cuts: list[int]) -> list:
    """Parse ``data``, saving the parser to JSON and loading it back at every cut."""
    binary = getattr(FORMATS[fmt], "BINARY", False)
    parser = FORMATS[fmt].Parser()
    decoder = None if binary else codecs.getincrementaldecoder("utf-8")("replace")
    items: list = []
    start = 0
    for cut in [*cuts, len(data)]:
        piece = data[start:cut]
        items += parser.feed(piece if binary else decoder.decode(piece))
        start = cut
        if cut < len(data):
            saved = Saved(fmt, parser, None if binary else decoder.getstate(), False, False, b"x")
            restored = parser_state.load(parser_state.dump(saved), fmt)
            parser = restored.parser
            if not binary:
                decoder = codecs.getincrementaldecoder("utf-8")("replace")
                decoder.setstate(restored.decoder)
    if not binary:
        items += parser.feed(decoder.decode(b"", final=True))
    return items + parser.close()


def _comparable(items: list) -> list[str]:
    """The records as text, `Columns` as one point each: how a format batches is its own."""
    flat = [point for item in items for point in (item.points() if isinstance(item, Columns) else [item])]
    return sorted(repr(item) for item in flat)


def test_every_format_saved_mid_file_continues_as_one_uninterrupted_parse(corpus: Path, tmp_path: Path) -> None:
    logs = _logs(corpus, tmp_path)
    assert set(logs) == set(FORMATS)
    for fmt, paths in logs.items():
        for path in paths[:3]:
            data = path.read_bytes()
            # cuts inside lines, inside UTF-8 sequences and inside binary records alike
            cuts = sorted({len(data) // 7, len(data) // 3 + 1, (2 * len(data)) // 3 + 3} - {0, len(data)})
            assert _comparable(_parse(fmt, data, cuts)) == _comparable(_parse(fmt, data, [])), path


def test_a_state_naming_a_class_outside_the_allow_list_is_refused() -> None:
    parser = FORMATS["keyvalue"].Parser()
    document = orjson.loads(parser_state.dump(Saved("keyvalue", parser, (b"", 0), False, False, b"")))
    document["parser"] = {"$object": "subprocess:Popen", "state": {"args": ["touch", "/tmp/owned"]}}
    with pytest.raises(StateError, match="subprocess:Popen"):
        parser_state.load(orjson.dumps(document), "keyvalue")
    document["parser"] = {"$partial": [{"$function": "os:system"}, ["touch /tmp/owned"], {}]}
    with pytest.raises(StateError, match="os:system"):
        parser_state.load(orjson.dumps(document), "keyvalue")


@pytest.mark.parametrize(
    ("blob", "message"),
    [
        (pickle.dumps(("a", 1)), "not JSON"),
        (orjson.dumps({"version": 1, "parsers": parser_state.parsers_fingerprint(), "format": "keyvalue"}), "malformed"),
        (b'{"version": 99, "format": "keyvalue"}', "version 1"),
        (b'{"version": 1, "format": "csv", "parser": null}', "for format 'csv'"),
        (b'[1, 2, 3]', "version 1"),
        (b" " * (parser_state.MAX_BYTES + 1), "byte limit"),
    ],
    ids=["pickle", "fields missing", "other version", "other format", "not an object", "oversized"],
)
def test_an_unreadable_state_is_a_state_error(blob: bytes, message: str) -> None:
    with pytest.raises(StateError, match=message):
        parser_state.load(blob, "keyvalue")


def test_a_state_saved_by_other_parsers_is_not_read_back() -> None:
    """After an upgrade a parser's attributes may differ from the saved ones: the file is read
    again rather than continued by a parser missing a field it needs."""
    document = orjson.loads(parser_state.dump(Saved("keyvalue", FORMATS["keyvalue"].Parser(), (b"", 0), False, False, b"")))
    assert parser_state.load(orjson.dumps(document), "keyvalue").format == "keyvalue"
    document["parsers"] = "0" * 24
    with pytest.raises(parser_state.OtherParsers):
        parser_state.load(orjson.dumps(document), "keyvalue")


def test_a_state_holding_the_wrong_types_is_refused() -> None:
    good = orjson.loads(parser_state.dump(Saved("mxnet", FORMATS["mxnet"].Parser(), (b"", 0), False, False, b"")))
    for field, value in [
        ("parser", {"$object": "lossboard.sources.formats.csv_table:Parser", "state": {}}),
        ("decoder", "not a tuple"),
        ("closed", "yes"),
        ("check", 17),
        ("parser", {"$array": ["|O", [1], "AAAAAAAAAAA="]}),
        ("parser", {"$array": ["<f8", [2], "AAAAAAAAAAA="]}),
    ]:
        with pytest.raises(StateError):
            parser_state.load(orjson.dumps({**good, field: value}), "mxnet")


def test_values_json_lacks_round_trip_exactly() -> None:
    parser = FORMATS["mxnet"].Parser()
    parser.extra = {  # type: ignore[attr-defined]
        (1, "a"): {float("nan"), 2**70},
        "$tricky": [float("inf"), -float("inf"), b"\x00\xff", bytearray(b"ab"), frozenset({1})],
        "array": np.arange(6, dtype="<i4").reshape(2, 3),
        "scalar": np.float32(0.25),
        "pyarray": array.array("q", [1, -(2**63)]),
    }
    extra = parser_state.load(parser_state.dump(Saved("mxnet", parser, None, True, True, b"")), "mxnet").parser.extra
    assert set(extra) == {(1, "a"), "$tricky", "array", "scalar", "pyarray"}
    assert 2**70 in extra[1, "a"] and any(v != v for v in extra[1, "a"])
    assert extra["$tricky"][:4] == [float("inf"), -float("inf"), b"\x00\xff", bytearray(b"ab")]
    assert extra["array"].dtype == np.dtype("<i4") and extra["array"].tolist() == [[0, 1, 2], [3, 4, 5]]
    assert extra["scalar"] == np.float32(0.25) and extra["scalar"].dtype == np.float32
    assert extra["pyarray"] == array.array("q", [1, -(2**63)])


def test_a_parser_holding_something_unencodable_cannot_be_saved() -> None:
    parser = FORMATS["mxnet"].Parser()
    parser.callback = lambda: None  # type: ignore[attr-defined]
    with pytest.raises(StateError, match="lambda"):
        parser_state.dump(Saved("mxnet", parser, None, False, False, b""))


def test_a_held_regex_match_is_saved_by_its_patterns_name_and_matched_again() -> None:
    parser = FORMATS["keyvalue"].Parser()
    text = "INFO:root:Epoch[3] Batch [40]\tSpeed: 912.3 samples/sec\taccuracy=0.412"
    held = next(
        match for value in parser_state._allowed().values()
        if isinstance(value, re.Pattern) and (match := value.search(text)) is not None and match.start() == 0
    )
    parser.held = held  # type: ignore[attr-defined]
    blob = parser_state.dump(Saved("keyvalue", parser, (b"", 0), False, False, b""))
    back = parser_state.load(blob, "keyvalue").parser.held
    assert (back.re, back.span(), back.groups()) == (held.re, held.span(), held.groups())
    document = orjson.loads(blob)
    name, string, start, end, endpos = document["parser"]["state"]["held"]["$match"]
    document["parser"]["state"]["held"]["$match"] = [name, "no pairs here", 0, 5, 13]
    with pytest.raises(StateError, match="does not match its text again"):
        parser_state.load(orjson.dumps(document), "keyvalue")
    parser.held = re.compile("x+").match("xx")  # type: ignore[attr-defined]  # not a format's own regex
    with pytest.raises(StateError, match="not one of a format module's own"):
        parser_state.dump(Saved("keyvalue", parser, (b"", 0), False, False, b""))


def test_an_object_held_in_two_places_is_one_object_after_loading() -> None:
    parser = FORMATS["mxnet"].Parser()
    table = {"a": [1, 2]}
    parser.current, parser.table = table["a"], table  # type: ignore[attr-defined]
    loaded = parser_state.load(parser_state.dump(Saved("mxnet", parser, None, False, False, b"")), "mxnet").parser
    assert loaded.current is loaded.table["a"]
    loaded.current.append(3)
    assert loaded.table == {"a": [1, 2, 3]}
    parser.loop = [parser]  # type: ignore[attr-defined]  # a cycle: not saved, the file is read again
    with pytest.raises(StateError, match="contains itself"):
        parser_state.dump(Saved("mxnet", parser, None, False, False, b""))
