"""The generic CSV/TSV format, the table reading it shares with keras-csv, lightning-csv and
yolo (`_table`), and detection among the four table formats."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from lossboard.model import RESUME, Event, Point, Problem
from lossboard.sources.formats import FORMATS, csv_table, keras_csv, lightning_csv, yolo
from tests.sources.helpers import canonical, events, expand, parse_path, parse_text, points, problems, values

TABLES = {m.NAME: m for m in (csv_table, keras_csv, lightning_csv, yolo)}
# corpus directory -> the table format its files are in; every other file is someone else's
OWN = {
    "csv-epoch": "csv",
    "tsv-epoch": "csv",
    "keras-csvlogger": "keras-csv",
    "lightning": "lightning-csv",
    "yolo": "yolo",
}
# fixture (relative to tests/sources/data) -> its table format
FIXTURES = {
    "tables/keras_training.log": "keras-csv",
    "tables/lightning_metrics.csv": "lightning-csv",
    "lightning/rich_metrics.csv": "lightning-csv",  # the CSVLogger of the RichProgressBar run
}


def _logs(root: Path) -> list[Path]:
    skip = {".md", ".py"}
    return sorted(p for p in root.rglob("*") if p.is_file() and p.suffix not in skip)


def _head(path: Path) -> str:
    return path.read_bytes()[: 64 * 1024].decode("utf-8", errors="replace")


# detection ------------------------------------------------------------------------------


def test_each_table_format_claims_its_corpus_files_and_no_other(corpus: Path) -> None:
    checked = 0
    for path in _logs(corpus):
        own = OWN.get(path.relative_to(corpus).parts[0])
        for name, module in TABLES.items():
            score = module.sniff(_head(path), path.name)
            if name == own:
                assert score >= 0.8, (name, path)
            else:
                assert score < 0.2, (name, path)
        checked += 1
    assert checked == 51  # MANIFEST.md: 51 files


def test_each_table_format_claims_the_fixtures_and_no_other_fixture(data: Path) -> None:
    for path in _logs(data):
        own = FIXTURES.get(str(path.relative_to(data)))
        for name, module in TABLES.items():
            score = module.sniff(_head(path), path.name)
            assert (score >= 0.8) if name == own else (score < 0.2), (name, path)


def test_a_timm_summary_csv_is_generic() -> None:
    head = "epoch,train_loss,eval_loss,eval_top1,eval_top5,lr\n0,6.9,6.8,0.1,0.5,0.0001\n"
    assert csv_table.sniff(head, "summary.csv") >= 0.8
    assert max(m.sniff(head, "summary.csv") for m in (keras_csv, lightning_csv, yolo)) < 0.2


@pytest.mark.parametrize(
    "head",
    [
        "",
        "just some text\n",
        '{"iteration": 19, "total_loss": 2.03}\n',
        "name,value\nlr,0.1\n",  # a table without a counter column
        "epoch,loss\nfirst,0.5\n",  # the counter is no number
    ],
)
def test_generic_csv_does_not_claim(head: str) -> None:
    assert csv_table.sniff(head, "x.csv") < 0.2


def test_a_table_without_rows_yet_is_still_claimed() -> None:
    assert csv_table.sniff("epoch\tloss\tacc\n", "log.tsv") >= 0.8


# file 7: per-stage counter, CRLF, no newline at EOF --------------------------------------

RN18 = "csv-epoch/keras-dl-benchmark_rn18_90.89.csv"


def test_file7_global_epoch_is_the_step_and_the_stage_counter_no_series(corpus: Path) -> None:
    raw = (corpus / RN18).read_bytes()
    assert not raw.endswith(b"\n") and raw.count(b"\r\n") == 350  # header + 349 line ends
    text = raw.decode()
    items = parse_path("csv", corpus / RN18)
    acc = points(items, "val/accuracy")
    assert len(acc) == 350
    assert [p.step for p in acc] == list(range(350))
    assert all(p.epoch == p.step for p in acc)
    assert not events(items) and not problems(items)
    sources = {p.source_tag for p in points(items)}
    assert sources == {"epoch time", "acc", "loss", "val_acc", "val_loss"}
    # `e` restarts at 0 at global epochs 0, 150, 250; the steps go on regardless
    rows = [line.split(",") for line in text.splitlines()[1:]]
    resets = [int(cells[0]) for cells in rows if cells[1] == "0"]
    assert resets == [0, 150, 250]


def test_file7_best_and_last_val_acc(corpus: Path) -> None:
    acc = points(parse_path("csv", corpus / RN18), "val/accuracy")
    best = max(acc, key=lambda p: p.value)
    assert (best.value, best.step) == (0.91, 204)
    assert (acc[-1].step, acc[-1].value) == (349, 0.9089)


def test_file7_spaced_header_name_becomes_epoch_time(corpus: Path) -> None:
    times = points(parse_path("csv", corpus / RN18), "perf/epoch_time_s")
    assert times[0].source_tag == "epoch time"
    assert times[0].value == 85.51612592


# files 11 and 12: TSV ------------------------------------------------------------------

TRAIN3 = "tsv-epoch/keras-dl-benchmark_train3_cifar10_resnet18.log"
DENSENET = "tsv-epoch/keras-dl-benchmark_train_cifar10_densenet121.log"


def test_file11_tsv(corpus: Path) -> None:
    items = parse_path("csv", corpus / TRAIN3)
    assert len(points(items, "val/accuracy")) == 24
    assert values(items, "opt/lr") == [0.1] * 24
    last = points(items, "val/accuracy")[-1]
    assert (last.step, last.value) == (23, float("0.85960000000000003"))
    assert not problems(items)


def test_file12_continued_run_is_just_a_run_starting_at_zero(corpus: Path) -> None:
    items = parse_path("csv", corpus / DENSENET)
    acc = points(items, "train/accuracy")
    assert [p.step for p in acc] == list(range(100))
    assert acc[0].value == float("0.99993990384615383")
    assert [p.step for p in acc if p.value == 1.0] == [57, 72]
    val = points(items, "val/accuracy")
    best = max(val, key=lambda p: p.value)
    assert (best.step, best.value) == (85, float("0.90549999999999997"))
    assert not events(items) and not problems(items)


# the shared table reading ------------------------------------------------------------------


def test_timm_summary_names() -> None:
    text = "epoch,train_loss,eval_loss,eval_top1,eval_top5,lr\n0,6.9,6.8,0.1,0.5,0.0001\n"
    tags = {p.source_tag: p.tag for p in points(parse_text("csv", text))}
    assert tags == {
        "train_loss": "train/loss",
        "eval_loss": "val/loss",
        "eval_top1": "val/accuracy",
        "eval_top5": "val/top_k_accuracy_5",
        "lr": "opt/lr",
    }


def test_a_step_column_wins_over_epoch() -> None:
    items = parse_text("csv", "epoch,iteration,loss\n0,100,0.5\n0,200,0.4\n1,300,0.3\n")
    assert [(p.step, p.epoch) for p in points(items)] == [(100, 0.0), (200, 0.0), (300, 1.0)]


def test_a_bad_number_is_a_problem_with_its_line() -> None:
    items = parse_text("csv", "epoch,loss,acc\n0,0.5,0.1\n1,n/a,0.2\n2,0.3,0.3\n")
    message = 'expected a number in column "loss", found "n/a"; skipped'
    assert problems(items) == [Problem(3, message)]
    assert values(items, "train/loss") == [0.5, 0.3]
    assert values(items, "train/accuracy") == [0.1, 0.2, 0.3]


def test_a_text_column_is_ignored_not_a_problem() -> None:
    text = "epoch,date,loss\n0,2024-01-01 10:00,0.5\n1,2024-01-01 11:00,0.4\n"
    items = parse_text("csv", text)
    assert not problems(items)
    assert {p.tag for p in points(items)} == {"train/loss"}


def test_short_rows_and_bad_counters_are_problems() -> None:
    items = parse_text("csv", "epoch,loss\n0,0.5\n1\nx,0.3\n1.5,0.2\n3,0.1")
    assert problems(items) == [
        Problem(3, "expected 2 fields, found 1; row skipped"),
        Problem(4, 'expected a whole number in column "epoch", found "x"; row skipped'),
        Problem(5, 'expected a whole number in column "epoch", found "1.5"; row skipped'),
    ]
    assert [p.step for p in points(items)] == [0, 3]


def test_nan_and_inf_are_values() -> None:
    items = parse_text("csv", "epoch,loss\n0,nan\n1,inf\n2,-inf\n3,1e400\n4,NaN\n")
    got = values(items, "train/loss")
    assert math.isnan(got[0]) and math.isnan(got[4])
    assert got[1:4] == [math.inf, -math.inf, math.inf]
    assert not problems(items)


def test_a_counter_going_back_is_a_resume() -> None:
    items = parse_text("csv", "epoch,loss\n0,0.9\n1,0.8\n2,0.7\n1,0.75\n2,0.65\n")
    assert events(items) == [Event(RESUME, 1, 1.0)]
    assert items.index(events(items)[0]) < items.index(points(items)[3])


def test_a_repeated_header_starts_over_quietly() -> None:
    items = parse_text("csv", "epoch,loss\n0,0.9\n1,0.8\nepoch,acc,loss\n0,0.1,0.95\n")
    assert not problems(items)
    assert events(items) == [Event(RESUME, 0, 0.0)]
    assert values(items, "train/accuracy") == [0.1]


def test_byte_order_mark_quotes_and_blank_lines() -> None:
    items = parse_text("csv", '\ufeffepoch,"val loss"\n\n0,"0.5"\n\n1,0.25\n')
    assert [(p.tag, p.source_tag, p.step) for p in points(items)] == [
        ("val/loss", "val loss", 0),
        ("val/loss", "val loss", 1),
    ]


def test_no_counter_column_numbers_rows_from_zero() -> None:
    items = parse_text("csv", "loss,acc\n0.5,0.1\n0.4,0.2\n")
    assert [p.step for p in points(items, "train/loss")] == [0, 1]


@pytest.mark.parametrize("name", sorted(TABLES))
def test_chunks_split_inside_crlf_and_numbers_change_nothing(name: str) -> None:
    text = {
        "csv": "epoch\tepoch time\tacc\r\n0\t126.8\t0.127\r\n1\t148.7\t0.2648",
        "keras-csv": "epoch,acc,loss,val_acc\r\n0,0.853882631891,0.39,NA\r\n1,1.0,0.36,0.87\r\n",
        "lightning-csv": "epoch,step,train_loss,val_loss\r\n0,49,0.63,\r\n0,99,,0.19\r\n",
        "yolo": "      0/29     1.86G   0.09854   0.09318         0    0.1917        24       416"
        "         0         0  0.004895 0.0009547   0.09176   0.05526         0\r\n",
    }[name]
    whole = parse_text(name, text)
    assert points(whole)
    for chunk in range(1, len(text)):
        assert canonical(parse_text(name, text, chunk=chunk)) == canonical(whole), chunk
    cut = text.index("\r\n") + 1
    parser = FORMATS[name].Parser()
    assert canonical(expand(parser.feed(text[:cut]) + parser.feed(text[cut:]) + parser.close())) == canonical(whole)


def test_points_are_points() -> None:
    (point,) = points(parse_text("csv", "step,loss\n10,0.5\n"))
    assert point == Point("train/loss", "loss", 10, 0.5, None)


def test_corpus_tables_with_crlf_kept_and_odd_chunks_parse_the_same(corpus: Path) -> None:
    # parse_path reads with universal newlines; here the parser sees the bytes' CRLF itself
    for path in _logs(corpus):
        name = OWN.get(path.relative_to(corpus).parts[0])
        if name is None:
            continue
        raw = path.read_bytes().decode("utf-8")
        expected = parse_path(name, path)
        assert expected
        assert canonical(parse_text(name, raw, chunk=7)) == canonical(expected), path
