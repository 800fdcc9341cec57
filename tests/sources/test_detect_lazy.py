"""Detection asks light sniffer modules; a load imports its own format's parser and no other's.

Each check runs in a fresh interpreter, since this one has imported every parser already.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import BinaryIO

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lossboard.errors import LossboardError
from lossboard.sources.detect import detect, detect_file
from lossboard.sources.formats import FORMATS
from tests.sources.test_corpus import EXPECTED

PARSER_MODULES = sorted(format.module_name for format in FORMATS.values())
# one corpus file per format the corpus has
ONE_FILE_PER_FORMAT = {format: relative for relative, format in sorted(EXPECTED.items(), reverse=True)}


def parsers_imported_by(code: str) -> set[str]:
    """The format parser modules in ``sys.modules`` after a fresh interpreter runs ``code``."""
    script = f"import json, sys\n{code}\nprint(json.dumps([m for m in {PARSER_MODULES!r} if m in sys.modules]))"
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout
    return set(json.loads(out.splitlines()[-1]))


def test_detection_imports_no_parser() -> None:
    code = "import lossboard.sources.detect, lossboard.sources.reader, lossboard.sources.formats"
    assert parsers_imported_by(code) == set()


@pytest.mark.parametrize("format", sorted(ONE_FILE_PER_FORMAT))
def test_a_load_imports_what_its_own_parser_imports_and_no_other_parser(corpus: Path, format: str) -> None:
    """The mixed-output pipeline of MXNet or Keras brings the tqdm parser along; a CSV brings none.

    The one other parser detection may import is ``prints``: its sniff reads the head with it, when
    no format before it in the table is sure (an mmengine log's first 64 KB are its config).
    """
    path = corpus / ONE_FILE_PER_FORMAT[format]
    loaded = parsers_imported_by(f"import lossboard\nlossboard.load({str(path)!r})")
    own = parsers_imported_by(f"import {FORMATS[format].module_name}")
    assert FORMATS[format].module_name in loaded
    assert own <= loaded and loaded - own <= {FORMATS["prints"].module_name}
    if format in ("mxnet", "csv", "keras-stdout", "caffe", "pytorch"):  # sure from their first lines
        assert loaded == own


def _detected_every_way(path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[str, str]:
    """The format detected as usual, and with every format asked (no sniff skipped for its ceiling)."""
    with open(path, "rb") as file:
        usual = _detected(file, path)
        with monkeypatch.context() as patch:
            for format in FORMATS.values():
                patch.setattr(format, "ceiling", 1.0)
            asked_all = _detected(file, path)
    return usual, asked_all


def _detected(file: BinaryIO, path: Path) -> str:
    try:
        return detect_file(file, path)
    except LossboardError as error:  # a capture of a file no format reads: the same error both ways
        return type(error).__name__


def test_skipping_a_sniff_that_cannot_win_changes_no_corpus_file(corpus: Path, monkeypatch) -> None:
    for relative in sorted(EXPECTED):
        usual, asked_all = _detected_every_way(corpus / relative, monkeypatch)
        assert usual == asked_all == EXPECTED[relative], relative


def test_skipping_a_sniff_that_cannot_win_changes_no_capture(data: Path, monkeypatch) -> None:
    paths = [path for path in sorted(data.rglob("*")) if path.is_file() and path.name != "README.md"]
    assert len(paths) > 20
    for path in paths:
        usual, asked_all = _detected_every_way(path, monkeypatch)
        assert usual == asked_all, path


def test_a_format_is_its_parser_module_for_everything_but_detection() -> None:
    keras = FORMATS["keras-stdout"]
    assert keras.Parser is keras.module.Parser and keras.NAME == "keras-stdout"
    assert keras.sniff is keras.module.sniff  # the parser module still answers `sniff` too
    assert FORMATS["tfevents"].binary and not keras.binary
    with pytest.raises(AttributeError):
        keras.no_such_thing  # noqa: B018


def _corpus_lines() -> list[str]:
    """Lines of one corpus file per format (no fixture: hypothesis draws from them at collection)."""
    from tests.conftest import CORPUS

    if not (CORPUS / "MANIFEST.md").is_file():
        return []
    lines: list[str] = []
    for relative in sorted(set(ONE_FILE_PER_FORMAT.values())):
        text = (CORPUS / relative).read_text(encoding="utf-8", errors="replace")
        lines.extend(text.splitlines()[:40])
    return lines


_LINES = _corpus_lines()


@pytest.mark.skipif(not _LINES, reason="the shared corpus is not beside the clone")
@settings(max_examples=80, deadline=None)
@given(picked=st.lists(st.sampled_from(_LINES or [""]), min_size=1, max_size=60), name=st.sampled_from(
    ["train.log", "metrics.csv", "log.txt", "trainer_state.json", "scalars.json"]))
def test_skipping_a_sniff_that_cannot_win_changes_no_mixed_head(picked: list[str], name: str) -> None:
    """Heads mixing lines of every format: no sniff says more than its ceiling, and the skip is exact."""
    head = "\n".join(picked).encode()
    for format in FORMATS.values():
        assert format.sniff(head.decode(), name) <= format.ceiling, format.name
    usual = _detected_head(head, name)
    saved = {format: format.ceiling for format in FORMATS.values()}
    try:
        for format in FORMATS.values():
            format.ceiling = 1.0
        asked_all = _detected_head(head, name)
    finally:
        for format, ceiling in saved.items():
            format.ceiling = ceiling
    assert usual == asked_all


def _detected_head(head: bytes, name: str) -> str:
    try:
        return detect(head, name)
    except LossboardError as error:
        return type(error).__name__
