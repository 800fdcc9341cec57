"""Every parser, fed garbage or real text cut at random places, never raises and never
depends on where the chunks split; any directory tree loads its logs and names the rest."""

from __future__ import annotations

import os
import socket
import tempfile
import warnings
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import lossboard
from lossboard.errors import LossboardError
from lossboard.model import Point
from lossboard.sources.formats import FORMATS
from lossboard.sources.logdir import locate
from lossboard.sources.reader import parse_file
from lossboard.store.indexer import index_paths
from lossboard.store.sqlite import SQLiteStore
from tests.sources.helpers import canonical, parse_text

TEXT_FORMATS = sorted(name for name, module in FORMATS.items() if not getattr(module, "BINARY", False))

# Pieces of real lines from many formats, so the fuzzer reaches deep into each parser.
_FRAGMENTS = [
    "INFO:root:", "Epoch[3] Batch [500]\tSpeed: 1997.40 samples/sec\t", "accuracy=0.013391\t",
    "Epoch[3] Train-accuracy=0.5\n", "Epoch[3] Validation-accuracy=0.6\n", "Time cost=67.4\n",
    "Update[3751]: Change learning rate to 1.00000e-03\n", "Batch [100-200]", "Iter[0] ",
    "Epoch 1/10\n", "32/32 [==============================] - 1s 3ms/step - loss: 0.6931 - accuracy: 0.5000",
    "\b\b\b\b", "\r", "\r\n", "\n", "\x1b[1m", "- val_loss: nan - val_acc: inf\n",
    "I0711 14:22:23.125147  1274 solver.cpp:228] Iteration 100, loss = 0.2\n",
    "Test net output #0: accuracy = 0.9\n", "Epoch: [0][ 10/5005]\tLoss 6.9 (6.9)\tAcc@1 0.1 (0.1)\n",
    " * Acc@1 75.0 Acc@5 92.0\n", "{'loss': 0.5, 'learning_rate': 5e-05, 'epoch': 0.1}\n",
    '{"iteration": 19, "total_loss": 2.03}\n', "epoch,loss,val_loss\n", "0,0.5,0.6\n",
    "step=10 loss=0.3 lr=1e-3\n", "Epoch 0: 100%|##########| 32/32 [00:01<00:00, loss=0.5]",
    "     0/29     1.93G   0.09     0.02  \n", "nan", "-inf", "1e400", "\xff\ufffd", "=", ":", "[", "]",
]

text_strategy = st.one_of(
    st.text(max_size=400),
    st.lists(st.sampled_from(_FRAGMENTS), max_size=40).map("".join),
    st.lists(st.one_of(st.sampled_from(_FRAGMENTS), st.text(max_size=8)), max_size=40).map("".join),
)


def _check_contract(items: list) -> None:
    """Records are well-typed, whatever the input: the collector relies on it."""
    for item in items:
        if type(item) is Point:
            assert type(item.step) is int, item
            assert type(item.value) in (int, float), item
            assert item.epoch is None or type(item.epoch) in (int, float), item
            assert item.tag.count("/") >= 1 and item.source_tag, item


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=text_strategy, data=st.data())
def test_chunking_never_matters_and_nothing_raises(text: str, data: st.DataObject) -> None:
    for name in TEXT_FORMATS:
        whole = parse_text(name, text)
        _check_contract(whole)
        chunk = data.draw(st.integers(min_value=1, max_value=max(1, len(text))), label=name)
        assert canonical(parse_text(name, text, chunk=chunk)) == canonical(whole), name


@settings(max_examples=20, deadline=None)
@given(size=st.integers(min_value=10_000, max_value=200_000), char=st.sampled_from("x=\t ["))
def test_huge_lines_do_not_break_parsers(size: int, char: str) -> None:
    text = "Epoch 1/2\n" + char * size + "\n"
    for name in TEXT_FORMATS:
        parse_text(name, text, chunk=4096)


# -- directory trees with every kind of entry -------------------------------------------------

# mxnet-speedometer-new/mxnet-cls_train.log, lines 31-32: the one good log, planted anywhere
_MXNET = (
    b"INFO:root:Epoch[0] Batch [600]\tSpeed: 140.46 samples/sec\taccuracy=0.742188\n"
    b"INFO:root:Epoch[0] Batch [620]\tSpeed: 141.47 samples/sec\taccuracy=0.740625\n"
)
_GOOD, _VANISHING = "log", "vanishing"
_BAD = ("empty", "binary", "fifo", "socket", "dangling", "loop")
_entries = st.dictionaries(
    keys=st.tuples(st.lists(st.sampled_from("pq"), max_size=2).map(tuple), st.sampled_from("abcd")),
    values=st.sampled_from((_GOOD, _VANISHING) + _BAD),
    min_size=1,
    max_size=10,
)


def _plant(root: Path, entries: dict, sockets: list) -> dict[str, set[Path]]:
    """Make each entry; return the paths of each kind."""
    planted: dict[str, set[Path]] = {}
    for (folders, name), kind in entries.items():
        folder = root.joinpath(*folders)
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / (f"{name}.sock" if kind == "socket" else f"{name}.log")
        if kind in (_GOOD, _VANISHING):
            path.write_bytes(_MXNET)
        elif kind == "empty":
            path.touch()
        elif kind == "binary":
            path.write_bytes(b"\x00\x01\x02\xff" * 64)
        elif kind == "fifo":
            os.mkfifo(path)
        elif kind == "socket":
            sockets.append(socket.socket(socket.AF_UNIX))
            sockets[-1].bind(str(path))
        elif kind == "dangling":
            path.symlink_to(folder / f"{name}.missing")
        else:  # a link back to the top: a loop through the directories
            path.symlink_to(root)
        planted.setdefault(kind, set()).add(path)
    return planted


def _vanish_then_parse(vanishing: set[Path]):
    def identify(file: Path):
        if file in vanishing:
            file.unlink()  # saved over through a temporary file, between the walk and the read
        return parse_file(file)

    return identify


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(entries=_entries)
def test_any_tree_loads_its_logs_and_names_everything_else(entries: dict) -> None:
    sockets: list = []
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "logs"
        root.mkdir()
        try:
            planted = _plant(root, entries, sockets)
            good = planted.get(_GOOD, set()) | planted.get(_VANISHING, set())
            bad = set().union(*(planted.get(kind, set()) for kind in _BAD))
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                try:
                    runs = lossboard.load(root)
                except LossboardError as error:  # nothing loadable: every reason is in the error
                    assert not good
                    caught_text = str(error)
                else:
                    assert {Path(s) for run in runs for s in run.sources} == good
                    caught_text = "\n".join(str(w.message) for w in caught)
            for path in bad:
                assert f"{path}: " in caught_text, path

            located, failures = locate([root], _vanish_then_parse(planted.get(_VANISHING, set())))
            assert {Path(found.path) for _, found in located} == planted.get(_GOOD, set())
            named = {Path(f.path) for f in failures}
            assert bad | planted.get(_VANISHING, set()) <= named

            if planted.get(_GOOD):
                summary = index_paths(SQLiteStore(":memory:"), [root])
                assert {Path(f.path) for f in summary.failures} >= bad
                assert summary.runs == len(planted[_GOOD])
        finally:
            for server in sockets:
                server.close()
