"""The Hugging Face stdout fast path (`_hf_fast`) gives exactly what the line-by-line reading
(``Parser(fast=False)``) gives: on every corpus file and real capture, on a long real capture
where it reads most lines, and over generated logs mixing its lines with every kind of line
it must leave to the reference reading, fed in any chunks, as text (`feed`) or as the file's
bytes (`feed_bytes`, the reader's path: characters cut by a chunk, bad UTF-8)."""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lossboard.model import Columns
from lossboard.sources.formats import hf_stdout
from tests.sources.helpers import canonical, every, expand, parse_cut, points

CORPUS = [
    "hf-trainer-stdout/esha_bert_mlm_then_classifier_train_log.txt",
    "hf-trainer-stdout/vit_customer_doc_train_log.txt",
    "hf-trainer-stdout/llamafactory_deepseek7b_lora_running_log.txt",
    "hf-trainer-stdout/taylorswift_llm_dicts_only_crlf_training_output.txt",
]
CAPTURES = [
    "trainer_stdout.log",
    "two_trains_pipe.log",
    "two_trains_pty.log",
    "accumulated_pty.log",
    "stdout_only_no_bars.log",
    "long_pipe.log",
]


def parse(text: str | bytes, *, fast: bool = True, chunk: int | None = None) -> list:
    """Text to `feed`, bytes to `feed_bytes`, in pieces of ``chunk``."""
    return parse_cut(hf_stdout.NAME, text, every(chunk, text), fast=fast)


def assert_same(text: str, chunks=(None, 997, 4099)) -> list:
    """The fast path's records, after checking they mean what the reference's do."""
    fast = parse(text)
    reference = canonical(expand(parse(text, fast=False)))
    assert canonical(expand(fast)) == reference
    for chunk in chunks[1:]:
        assert canonical(expand(parse(text, chunk=chunk))) == reference, chunk
    data = text.encode("utf-8", "surrogatepass")
    for chunk in chunks:
        assert canonical(expand(parse(data, chunk=chunk))) == reference, ("bytes", chunk)
    return fast


@pytest.mark.parametrize("name", CORPUS)
def test_corpus_files_read_the_same(corpus, name):
    assert_same((corpus / name).read_bytes().decode("utf-8", errors="replace"))


@pytest.mark.parametrize("name", CAPTURES)
def test_real_captures_read_the_same(data, name):
    assert_same((data / "hf" / name).read_bytes().decode())


def test_a_long_real_capture_goes_through_the_fast_path(data):
    """transformers 5.24, logging_steps=1: the dicts between evaluations are read as columns,
    at the steps and values of the log_history the Trainer itself kept."""
    text = (data / "hf" / "long_pipe.log").read_bytes().decode()
    items = assert_same(text)
    assert sum(len(i.step) for i in items if type(i) is Columns and i.tag == "train/loss") > 250
    history = json.loads((data / "hf" / "long_pipe.json").read_text())
    expected = [(entry["step"], entry["loss"]) for entry in history if "loss" in entry]
    found = [(p.step, p.value) for p in points(expand(items), "train/loss")]
    assert len(found) == len(expected) == 300
    assert [step for step, _ in found] == [step for step, _ in expected]
    assert all(math.isclose(v, exact, rel_tol=5e-4) for (_, v), (_, exact) in zip(found, expected))


def test_a_long_real_capture_is_proven_without_the_regex(data, monkeypatch):
    """`SteadyLines` proves the capture's bar-and-dict lines itself: with the regex refusing
    every run, they still come as columns, and the same as the reference reading's."""
    from lossboard.sources.formats._hf_fast import DictLayout

    monkeypatch.setattr(DictLayout, "read_run", lambda *args: None)
    text = (data / "hf" / "long_pipe.log").read_bytes().decode()
    items = assert_same(text)
    assert sum(len(i.step) for i in items if type(i) is Columns and i.tag == "train/loss") > 250


# --- generated logs -------------------------------------------------------------------------

WIDTH = 60


def bar(n: int, total: int, desc: str = "") -> str:
    pct = n * 100 // total
    fill = "█" * (pct * 20 // 100)
    return f"{desc}{pct:3d}%|{fill:<20}| {n}/{total} [00:{n % 60:02d}<00:09, {n % 7 + 1}.25it/s]"


NUMBERS = st.one_of(
    st.floats(1e-6, 10).map(lambda v: f"'{v:.4g}'"), st.floats(1e-6, 10).map(lambda v: f"{v:.4g}")
)
VALUES = st.one_of(
    NUMBERS,
    st.sampled_from(["'nan'", "nan", "'0.5x'", "np.float64(0.25)", "'1.'", "'-0'", "'true'", "'1e5'", "''"]),
    # what the fast path's check of a run's values must refuse or read as float() does
    st.sampled_from(["'1,5'", "'null'", "'1e999'", "' 1'", "'007'", "'-0.0'", "'0e1'", "'[1]'", "'\"1\"'", "-0"]),
)


@st.composite
def train_dict(draw, epoch: float, values=VALUES) -> str:
    keys = draw(
        st.sampled_from(
            [
                ("loss", "grad_norm", "learning_rate"),
                ("loss", "learning_rate"),
                ("learning_rate", "loss"),
                ("eval_loss", "eval_accuracy"),
            ]
        )
    )
    values = draw(st.lists(values, min_size=len(keys), max_size=len(keys)))
    pairs = [f"'{k}': {v}" for k, v in zip(keys, values)]
    quote = draw(st.sampled_from(["'", ""]))
    return "{" + ", ".join(pairs + [f"'epoch': {quote}{epoch:.4g}{quote}"]) + "}"


@st.composite
def logs(draw) -> str:
    total = draw(st.sampled_from([300, 120]))
    n, epoch, out = 0, 0.0, []
    plain = draw(train_dict(0.01, NUMBERS))  # most lines share one layout, as in a real run
    for _ in range(draw(st.integers(0, 60))):
        kind = draw(st.sampled_from(["steady"] * 12 + ["odd", "print", "eval", "bar", "summary", "back", "echo"]
                                    + ["evaluation"] * 2))
        n += draw(st.integers(1, 5))
        epoch += draw(st.sampled_from([0.01, 0.02, 0.0]))
        if draw(st.integers(0, 7)):
            entry = plain.replace("0.01", f"{epoch:.4g}", 1)
        else:  # another layout, or values only the reference reading reads
            entry = draw(train_dict(epoch))
        middle = "".join("\r" + bar(n - k, total) for k in range(draw(st.integers(0, 2))))
        clear = draw(st.sampled_from(["\r" + " " * WIDTH, "", "\r" + " " * 5 + "\r" + " " * 5]))
        first = bar(n, total)
        if kind == "odd":  # a line the fast path must leave to the reference reading
            first, middle = draw(
                st.sampled_from(
                    [
                        (first + "  ", middle),
                        (bar(n, total, "Map: "), middle),
                        (first, middle + "\rprinted ]  "),
                        (first, middle + "\r{'lr': 0.1}]"),
                        (first + "x", middle),
                        (first, middle + "\r\r"),
                        (first, middle + "\rnote: 5it [00:01]"),
                        (first.replace("|", ":|", 1), middle),
                        (first.replace("|", "|=", 1), middle),  # a fill tqdm does not draw
                        (first.replace("█", "#"), middle),  # tqdm's ascii fill
                        (first.replace(f" {n}/", f" 0{n}/"), middle),
                        (first, middle + "\r\x1b[Kfoo]"),
                        (first, middle + "\rfo\bo]"),
                        # a redraw ending in "]" that a terminal shows as a print ("]step 5: acc=0.25")
                        (first, middle + "\rXstep 5: acc=0.25" + "\b" * 17 + "]"),
                        (first, middle + "\rnote {'loss': '7', 'epoch': '0.5'}]"),  # a dict inside a redraw
                        (first, middle + "\rstep 5: acc=0.25"),  # a print between redraws
                        (first, middle + "\r  acc=0.25  "),  # ends in blanks, but is not blank
                    ]
                )
            )
        if kind == "print":
            out.append(f"step {n}: loss={draw(st.floats(0, 5)):.3f}")
        elif kind == "eval":
            out.append(
                "\r" + bar(4, 4) + "\x1b[A\r" + " " * WIDTH + "\x1b[A" + "{'eval_loss': '0.4', 'epoch': "
                f"'{epoch:.4g}'}}"
            )
        elif kind == "bar":
            out.append("\r" + first)
        elif kind == "evaluation":  # the training bar drawn alone, the evaluation's bars and dict (`_hf_runs`)
            redraw = draw(st.sampled_from(["", "\r" + bar(2, 4), "\rnote ]", "\r{'a': '1'}]", "\r  \x1b[A  ",
                                           "\rx\b]", "\x1b[B", "\r" + bar(2, 4, "Eval: ")]))
            value = draw(st.one_of(NUMBERS, VALUES))
            out += ["\r" + bar(n - 1, total), f"\r{bar(0, 4)}{redraw}\x1b[A\r{' ' * WIDTH}\r\x1b[A"
                    f"{{'eval_loss': {value}, 'epoch': '{epoch:.4g}'}}"]
        elif kind == "summary":
            out.append(f"{{'train_runtime': '3.5', 'train_loss': '0.4', 'epoch': '{epoch:.4g}'}}")
        elif kind == "back":
            epoch = max(0.0, epoch - 0.05)
        elif kind == "echo":  # a dict shown again after "=", not read: its "{" follows no "\r"
            entry = "metrics= " + entry
        out.append("\r" + first + middle + clear + "\r" + entry)
    return "\n".join(out) + draw(st.sampled_from(["\n", "", "\r\n"]))


@settings(max_examples=200, deadline=None)
@given(logs(), st.lists(st.integers(0, 20_000), max_size=6))
def test_generated_logs_read_the_same_in_any_chunks(text, cuts):
    reference = canonical(expand(parse(text, fast=False)))
    assert canonical(expand(parse(text))) == reference
    assert canonical(parse_cut("hf-stdout", text, cuts)) == reference
    # the file's bytes cut anywhere, inside a bar's block characters too
    assert canonical(expand(parse_cut(hf_stdout.NAME, text.encode(), cuts))) == reference


BAD_BYTES = [b"\xff", b"\xe2\x96", b"\xed\xa0\x80", b"\xc3"]


@settings(max_examples=100, deadline=None)
@given(logs(), st.lists(st.tuples(st.integers(0, 20_000), st.sampled_from(BAD_BYTES)), max_size=4),
       st.lists(st.integers(0, 20_000), max_size=4))
def test_bad_utf8_reads_as_the_reader_decodes_it(text, bad, cuts):
    """Undecodable bytes anywhere (in a redraw the fast path skips, in a bar, in a dict) give
    what the reference reading gives on the text the reader would decode."""
    data = text.encode()
    for at, junk in sorted(bad, reverse=True):
        at = min(at, len(data))
        data = data[:at] + junk + data[at:]
    reference = canonical(expand(parse(data.decode("utf-8", "replace"), fast=False)))
    assert canonical(expand(parse_cut(hf_stdout.NAME, data, cuts))) == reference


def test_a_bad_byte_in_a_skipped_redraw_keeps_the_run_fast():
    lines = [
        f"\r{bar(n - 1, 300)}\r{bar(n, 300)}\r{' ' * WIDTH}\r{{'loss': '{n / 100:.4g}', 'epoch': '{n / 100:.4g}'}}"
        for n in range(2, 40, 2)
    ]
    clear = b"\r" + b" " * WIDTH  # the second bar of a line, before the clear
    data = ("\n".join(lines) + "\n").encode().replace(b"]" + clear, b"\xff]" + clear, 3)
    assert data.count(b"\xff") == 3
    items = parse(data)
    assert canonical(expand(items)) == canonical(expand(parse(data.decode("utf-8", "replace"), fast=False)))
    assert sum(len(i.step) for i in items if type(i) is Columns and i.tag == "train/loss") >= 15


def test_the_reader_feeds_the_files_bytes(tmp_path, data, monkeypatch):
    """`parse_file` takes the byte path (the reader hands bytes to a parser with `feed_bytes`)."""
    from lossboard.sources.reader import parse_file

    path = tmp_path / "long.log"
    path.write_bytes((data / "hf" / "long_pipe.log").read_bytes())
    text = path.read_bytes().decode()
    reference = points(expand(parse(text, fast=False)), "train/loss")

    def no_text(self, text):
        raise AssertionError("fed text")

    monkeypatch.setattr(hf_stdout.Parser, "feed", no_text)
    loaded = parse_file(path, "hf-stdout").collector.series()
    (loss,) = [series for key, series in loaded.items() if key[0] == "train/loss"]
    assert list(zip(loss.step.tolist(), loss.value.tolist())) == [(p.step, p.value) for p in reference]


def test_a_run_of_steady_lines_becomes_columns_at_the_next_bars():
    lines = [
        f"\r{bar(n - 1, 300)}\r{bar(n, 300)}\r{' ' * WIDTH}\r{{'loss': '{n / 100:.4g}', 'epoch': '{n / 100:.4g}'}}"
        for n in range(2, 40, 2)
    ]
    text = "\n".join(lines) + "\n"
    items = assert_same(text)
    (loss,) = [i for i in items if type(i) is Columns and i.tag == "train/loss"]
    # each dict at the first bar of the line after it: dict n/100 at step n + 1
    assert list(zip(loss.step.tolist(), loss.value.tolist())) == [(n + 1, n / 100) for n in range(4, 38, 2)]


@pytest.mark.parametrize(
    "redraw",
    [
        "Xstep 5: acc=0.25" + "\b" * 17 + "]",  # a terminal shows "]step 5: acc=0.25": a print
        "note {'loss': '7', 'epoch': '0.5'}]",  # a dict inside a redraw
        "\x1b[2Kstep 5: acc=0.25]",  # an escape code, dropped
        "step 5: acc=0.25]" + " " * 3,  # a bar cleared to blanks after its "]"
        "step 5: acc=0.25" + " " * 3,  # a print ending in blanks, not blank
        " " * 3 + "\x07" + " " * 3,  # a bell among blanks (below a blank's byte), not blank
        " " * 3 + "!" + " " * 3,  # a byte just above a blank's, not blank
    ],
)
def test_a_redraw_the_reference_reading_reads_in_a_run(redraw):
    lines = [
        f"\r{bar(n - 1, 300)}\r{bar(n, 300)}\r{' ' * WIDTH}\r{{'loss': '{n / 1000:.4g}', 'epoch': '{n / 1000:.4g}'}}"
        for n in range(2, 300, 2)
    ]
    lines[100] = lines[100].replace("\r" + " " * WIDTH, f"\r{redraw}\r{' ' * WIDTH}")
    items = assert_same("\n".join(lines) + "\n")
    assert sum(len(i.step) for i in items if type(i) is Columns and i.tag == "train/loss") >= 100  # the rest, at once


@pytest.mark.parametrize(
    "old, new",
    [
        ("\r{'loss'", "\rmetrics= {'loss'"),  # a dict shown again: not read
        ("\r{'loss'", "\rnote: {'loss'"),  # a dict after a print
        ("'loss'", "'lose'"),  # another key of the same length
        ("'loss': '0.202'", "'loss': 'null'"),  # a value orjson reads, float() does not
        ("'loss': '0.202'", "'loss': '[1]'"),
        ("'loss': '0.202'", "'loss': '0." + "2" * 29 + "'"),  # the longest value looked for at once
        ("'loss': '0.202'", "'loss': '0." + "2" * 30 + "'"),  # one byte longer: left to the regex
        ("'loss': '0.202'", "'loss': '0.202', 'loss': '0.202'"),  # the dict goes on after its last piece
        ("\r ", "\rMap: "),  # a first bar with a description: not the Trainer's
        ("/300 ", "/300 [x] "),  # a first bar whose brackets the regex's bar does not take
        ("%|", "%:"),  # a first bar of the run's width and another shape: not a bar
    ],
)
def test_a_line_the_fast_path_leaves_to_the_reference_reading(old, new):
    lines = [
        f"\r{bar(n - 1, 300)}\r{bar(n, 300)}\r{' ' * WIDTH}\r{{'loss': '{n / 1000:.4g}', 'epoch': '{n / 1000:.4g}'}}"
        for n in range(2, 300, 2)
    ]
    assert old in lines[100]
    lines[100] = lines[100].replace(old, new, 1)
    items = assert_same("\n".join(lines) + "\n")
    assert sum(len(i.step) for i in items if type(i) is Columns and i.tag == "train/loss") >= 100  # the rest, at once


def test_a_minus_zero_in_a_run_keeps_its_sign():
    """orjson reads ``-0`` as the integer 0; ``float('-0')`` is -0.0."""
    lines = [
        f"\r{bar(n - 1, 300)}\r{' ' * WIDTH}\r{{'loss': '-{n // 100}', 'epoch': '{n / 1000:.4g}'}}"
        for n in range(2, 300, 2)
    ]
    items = assert_same("\n".join(lines) + "\n")
    signs = {math.copysign(1, p.value) for p in points(expand(items), "train/loss") if p.value == 0}
    assert signs == {-1.0}


@pytest.mark.parametrize("zero_at", [0, 50])
def test_a_lone_minus_zero_keeps_its_sign_first_in_a_chunk_or_inside(zero_at):
    """A chunk's values are looked at row by row for ``-0`` only when their text holds one: at
    its start (the first line of a run after a dict no bar placed) or inside it."""
    lines = [
        f"\r{bar(n - 1, 300)}\r{' ' * WIDTH}\r{{'loss': '{n / 1000:.4g}', 'epoch': '{n / 1000:.4g}'}}"
        for n in range(2, 300, 2)
    ]
    lines[zero_at] = f"\r{bar(2 * zero_at + 1, 300)}\r{' ' * WIDTH}\r{{'loss': '-0', 'epoch': '{(2 * zero_at + 2) / 1000:.4g}'}}"
    text = "{'loss': '0.5', 'epoch': '0.001'}\n" + "\n".join(lines) + "\n"
    items = assert_same(text)
    zeros = [p.value for p in points(expand(items), "train/loss") if p.value == 0]
    assert [math.copysign(1, zero) for zero in zeros] == [-1.0]


def test_the_training_bar_drawn_alone_before_an_evaluation_places_the_runs_last_dict():
    lines = [
        f"\r{bar(n - 1, 300)}\r{bar(n, 300)}\r{' ' * WIDTH}\r{{'loss': '{n / 100:.4g}', 'epoch': '{n / 100:.4g}'}}"
        for n in range(2, 12, 2)
    ]
    evaluation = f"\r{bar(20, 20)}\x1b[A\r{' ' * WIDTH}\x1b[A{{'eval_loss': '0.4', 'epoch': '0.1'}}"
    after = f"\r{bar(13, 300)}\r{' ' * WIDTH}\r{{'loss': '0.13', 'epoch': '0.13'}}"
    text = "\n".join([*lines, "\r" + bar(12, 300), evaluation, after, "\r" + bar(14, 300)]) + "\n"
    items = assert_same(text)
    # each dict at the first bar of the line after it; the last of the run at the bar alone
    assert [(p.step, p.value) for p in points(expand(items), "train/loss")] == [
        (3, 0.02), (5, 0.04), (7, 0.06), (9, 0.08), (12, 0.1), (14, 0.13)
    ]
    assert [(p.step, p.value) for p in points(expand(items), "val/loss")] == [(13, 0.4)]
    (run,) = [i for i in items if type(i) is Columns and i.tag == "train/loss"]
    assert run.step.tolist() == [5, 7, 9, 12]


def test_runs_whose_values_are_bare_then_quoted_are_each_read_at_once():
    """transformers 4.x prints bare values, 5.x quoted ones: a file with both (two train()
    calls of two versions) has two layouts, and each run is read with its own."""

    def line(n: int, quote: str) -> str:
        return (f"\r{bar(n - 1, 300)}\r{' ' * WIDTH}\r"
                f"{{'loss': {quote}{n / 100:.4g}{quote}, 'epoch': {quote}{n / 100:.4g}{quote}}}")

    bare, quoted = [line(n, "") for n in range(2, 22)], [line(n, "'") for n in range(22, 42)]
    items = assert_same("\n".join([*bare, "switching", *quoted]) + "\n")
    runs = [i for i in items if type(i) is Columns and i.tag == "train/loss"]
    assert sum(len(run.step) for run in runs) >= 36
