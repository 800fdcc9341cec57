"""Detection: a long head that no format claims, stray NUL bytes, and a bounded search."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pytest

from lossboard.errors import BinaryFileError, UnknownFormatError
from lossboard.sources.detect import HEAD_BYTES, SNIFF_LIMIT_BYTES, detect, detect_file
from lossboard.sources.reader import parse_file

CONFIG_LINE = "    data_preprocessor=dict(type='DetDataPreprocessor', mean=[103.53, 116.28, 123.675]),\n"
TRAIN_LINE = (
    "2023/06/07 22:25:{s:02d} - mmengine - INFO - Epoch(train)   [1][{i:2d}/21]  lr: 4.0000e-08  "
    "eta: 3:45:13  time: 3.2183  data_time: 2.8992  memory: 2526  loss: 0.{i:02d}70\n"
)


PRINT_LINE = "epoch={e} step={s} loss=0.{s:05d} acc=0.{e:04d} lr=9.50e-04\n"


def config_dump(size: int) -> str:
    """What mmengine prints before training: environment and config, no metric."""
    return (CONFIG_LINE * (size // len(CONFIG_LINE) + 1))[:size]


def train_lines(count: int) -> str:
    return "".join(TRAIN_LINE.format(s=i, i=i) for i in range(1, count + 1))


def detected(text: str | bytes, name: str = "train.log") -> str:
    data = text.encode() if isinstance(text, str) else text
    return detect_file(io.BytesIO(data), name)


def test_metrics_that_start_at_byte_80000_are_found(tmp_path: Path):
    text = config_dump(80_000 - 1) + "\n" + train_lines(3)
    with pytest.raises(UnknownFormatError):
        detect(text.encode()[:HEAD_BYTES], "train.log")  # the head alone shows nothing
    assert detected(text) == "mmengine-log"
    path = tmp_path / "20230607_222528.log"
    path.write_text(text)
    parsed = parse_file(path)
    assert parsed.format == "mmengine-log"
    assert parsed.collector.series()["train/loss"].value.tolist() == [0.0170, 0.0270, 0.0370]


def test_a_metric_line_cut_by_the_window_edge_is_seen_whole():
    line = train_lines(1)
    cut = line.index("Epoch(train)") + 3  # the head keeps "Epo", the next window "ch(train)"
    text = config_dump(HEAD_BYTES - cut - 1) + "\n" + line + config_dump(HEAD_BYTES)
    assert text[HEAD_BYTES - 3 : HEAD_BYTES + 9] == "Epoch(train)"
    assert detected(text) == "mmengine-log"


def test_the_search_stops_at_its_limit():
    text = config_dump(SNIFF_LIMIT_BYTES + HEAD_BYTES) + "\n" + train_lines(3)
    with pytest.raises(UnknownFormatError):
        detected(text)


def test_a_confident_head_is_not_overruled_by_what_follows():
    keras = "Epoch 1/2\n224s - loss: 3.5508 - acc: 0.2966 - val_loss: 1.4529 - val_acc: 0.5808\n"
    text = keras * 2 + config_dump(2 * HEAD_BYTES) + "\n" + train_lines(40)
    assert detected(text) == "keras-stdout"


def test_a_weak_guess_from_the_head_loses_to_a_confident_later_window():
    # three key=value prints with a counter: a generic format's weak guess
    prints = "".join(f"warmup step={i} scale={i * 0.5}\n" for i in range(1, 4))
    text = prints + config_dump(2 * HEAD_BYTES) + "\n" + train_lines(3)
    weak = detect(text.encode()[:HEAD_BYTES], "train.log")
    assert weak != "mmengine-log"
    assert detected(text) == "mmengine-log"
    assert detected(prints + config_dump(2 * HEAD_BYTES)) == weak  # nothing better later


class CountingFile(io.BytesIO):
    """Remembers how far detection read."""

    furthest = 0

    def read(self, size: int | None = -1) -> bytes:
        data = super().read(size)
        self.furthest = max(self.furthest, self.tell())
        return data


@pytest.mark.parametrize("kind", ["json", "binary"])
def test_a_json_document_or_a_binary_file_is_judged_by_its_head(kind):
    """A checkpoint directory's tokenizer.json (MBs of JSON) or weights are no log with a
    preamble: detection reads their head only, not a megabyte each."""
    if kind == "json":
        data = ('{"model": {"vocab": {' + ", ".join(f'"w{i}": {i}' for i in range(200_000)) + "}}}").encode()
    else:
        data = b"\x00\x00\x80?" * 300_000  # float32 ones, as weights are stored
    file = CountingFile(data + train_lines(3).encode())
    with pytest.raises((UnknownFormatError, BinaryFileError)):
        detect_file(file, "tokenizer.json" if kind == "json" else "weights")
    assert file.furthest == HEAD_BYTES


def test_the_file_is_rewound_for_the_parser():
    file = io.BytesIO((config_dump(100_000) + "\n" + train_lines(2)).encode())
    detect_file(file, "train.log")
    assert file.tell() == 0


def test_stray_nul_bytes_do_not_make_a_text_log_binary():
    text = (config_dump(20_000) + "\n" + train_lines(3)).encode()
    # three NULs, one of them inside a metric line
    holed = text[:100] + b"\x00" + text[100:5000] + b"\x00\x00" + text[5000:-40] + b"\x00" + text[-40:]
    assert holed.count(0) == 4
    assert detected(holed) == "mmengine-log"


def test_a_file_mostly_of_nul_bytes_is_binary():
    with pytest.raises(BinaryFileError):
        detected(b"\x00\x01\x02PK\x00" * 100 + train_lines(1).encode())


def test_an_event_file_without_the_tfevents_extra_names_the_extra(data: Path):
    """Issue 11: without tensorboard installed, an event file was called 'a binary file'."""
    (path,) = (data / "tfevents" / "torch").glob("events.out.tfevents.*")
    script = (
        "import sys; sys.modules['tensorboard'] = None  # as if it were not installed\n"
        "from lossboard.errors import InputError\n"
        "from lossboard.sources.detect import detect_file\n"
        f"path = {str(path)!r}\n"
        "try:\n"
        "    detect_file(open(path, 'rb'), path)\n"
        "except InputError as error:\n"
        "    print(error)\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout
    assert str(path) in out and "pip install 'lossboard[tfevents]'" in out and "binary" not in out


def sniffed_windows(monkeypatch, text: str) -> tuple[str, list[str]]:
    """The format detected in ``text``, and the windows the prints sniffer was given."""
    from lossboard.sources.formats import FORMATS

    given: list[str] = []
    sniff = FORMATS["prints"].sniff
    monkeypatch.setattr(FORMATS["prints"], "sniff", lambda head, name: given.append(head) or sniff(head, name))
    return detected(text), given


def test_a_claimed_log_whose_later_windows_repeat_its_lines_is_not_sniffed_again(monkeypatch):
    """key=value prints are claimed, not confidently: the windows after the head hold the
    same lines with other numbers (as many digits), which no sniffer reads differently; each
    cost ~13 ms."""
    text = "".join(PRINT_LINE.format(e=10 + s // 1000, s=10_000 + s) for s in range(8 * HEAD_BYTES // 50))
    name, given = sniffed_windows(monkeypatch, text)
    assert name == "prints" and len(text) > 6 * HEAD_BYTES
    assert len(given) == 2 and len(given[1]) == HEAD_BYTES  # its first lines (`_glance`), then the head


def test_a_window_with_new_lines_is_still_sniffed_after_repeats(monkeypatch):
    prints = "".join(PRINT_LINE.format(e=10, s=10_000 + s) for s in range(4 * HEAD_BYTES // 50))
    name, _ = sniffed_windows(monkeypatch, prints + train_lines(3))
    assert name == "mmengine-log"  # in the window that holds them, three repeats after the head


def test_an_unclaimed_head_has_its_repeats_sniffed():
    """Nothing claims a head of config and one print: the window after it, the same print
    over and over, is sniffed though its lines' layout is the head's, and claims the file."""
    first = PRINT_LINE.format(e=10, s=10_000)
    head = config_dump(HEAD_BYTES - len(first) - 1) + "\n" + first
    with pytest.raises(UnknownFormatError):
        detect(head.encode(), "train.log")
    prints = "".join(PRINT_LINE.format(e=10, s=10_001 + s) for s in range(HEAD_BYTES // 50))
    assert detected(head + prints) == "prints"
