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

from lossboard.errors import LossboardError
from lossboard.sources.detect import detect_file
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
