"""detectron2: ``metrics.json`` (corpus file 23) and the CommonMetricPrinter text log (a sample
written from detectron2's print format: the corpus has none)."""

from __future__ import annotations

import math

import pytest

from lossboard.model import RESUME
from lossboard.sources.formats import detectron2_json, detectron2_log
from tests.sources.helpers import events, parse_path, parse_text, points, problems, values

JSON = "detectron2-json"
LOG = "detectron2-log"
METRICS = "detectron2/train-detectron2_metrics.json"


def test_corpus_metrics_json_facts(corpus):
    items = parse_path(JSON, corpus / METRICS)
    total = points(items, "train/total_loss")
    assert len(total) == 15
    assert [p.step for p in total] == list(range(19, 300, 20))
    assert (total[0].step, total[0].value) == (19, 2.0359768134658225)
    assert (total[-1].step, total[-1].value) == (299, 0.26559973329131026)
    assert points(items, "opt/lr")[-1].value == 0.0002491675
    assert values(items, "perf/eta_s")[-1] == 0.0
    assert values(items, "train/fast_rcnn/cls_accuracy")[0] == 0.39453125
    assert values(items, "train/loss_cls")[0] == 0.7278757691383362
    assert values(items, "perf/data_time_s")[0] == 0.008784004487097263
    assert all(p.epoch is None for p in total)
    assert not problems(items) and not events(items)


def test_corpus_source_tags_keep_the_slash(corpus):
    items = parse_path(JSON, corpus / METRICS)
    (first,) = [p for p in points(items, "train/mask_rcnn/accuracy") if p.step == 19]
    assert first.source_tag == "mask_rcnn/accuracy" and first.value == 0.8547507060860059


@pytest.mark.parametrize("chunk", [1, 13, 700])
def test_json_chunking_does_not_matter(corpus, chunk):
    text = (corpus / METRICS).read_text()
    assert parse_text(JSON, text, chunk=chunk) == parse_text(JSON, text)


RESUMED = (
    '{"iteration": 19, "total_loss": 2.0, "lr": 0.001, "time": 0.3}\n'
    '{"iteration": 39, "total_loss": 1.5, "lr": 0.002, "time": 0.3}\n'
    '{"bbox/AP": 31.5, "bbox/AP50": NaN, "segm/AP": 28.0, "iteration": 39}\n'
    '{"iteration": 29, "total_loss": Infinity, "lr": 0.0015, "time": "n/a"}\r\n'
    '{"iteration": 49, "total_loss": 1.2, "lr": 0.0025\n'
)


def test_json_resume_eval_entries_nan_and_problems():
    items = parse_text(JSON, RESUMED)
    assert [e.step for e in events(items, RESUME)] == [29]
    assert [(p.step, p.value) for p in points(items, "val/bbox/AP")] == [(39, 31.5)]
    assert math.isnan(values(items, "val/bbox/AP50")[0])
    assert values(items, "val/segm/AP") == [28.0]
    assert [p.step for p in points(items, "train/total_loss")] == [19, 39, 29]
    assert values(items, "train/total_loss")[2] == math.inf
    first, second = problems(items)
    assert first.line == 4 and '"time"' in first.message and "'n/a'" in first.message
    assert second.line == 5 and "not valid JSON" in second.message


SAMPLE_LOG = """\
[07/11 14:21:58 d2.engine.defaults]: Model:
GeneralizedRCNN(
  (backbone): FPN(
[07/11 14:22:01 d2.engine.train_loop]: Starting training from iteration 0
[07/11 14:22:23 d2.utils.events]:  eta: 0:10:00  iter: 19  total_loss: 2.036  loss_cls: 0.7279  loss_box_reg: 0.5456  time: 0.3156  data_time: 0.0088  lr: 1.6068e-05  max_mem: 2345M
[07/11 14:22:30 d2.utils.events]:  eta: 0:09:54  iter: 39  total_loss: 1.832  loss_cls: 0.5901  loss_box_reg: 0.5667  time: 0.3160  last_time: 0.3012  data_time: 0.0102  last_data_time: 0.0091  lr: 3.2718e-05  max_mem: 2346M
[07/11 14:30:02 d2.evaluation.testing]: copypaste: Task: bbox
[07/11 14:30:02 d2.evaluation.testing]: copypaste: AP,AP50,AP75,APs,APm,APl
[07/11 14:30:02 d2.evaluation.testing]: copypaste: 40.2151,61.0234,43.8120,24.2100,43.5000,nan
[07/11 14:30:09 d2.utils.events]:  eta: 0:09:40  iter: 59  total_loss: nan  loss_cls: 0.5  loss_box_reg: n/a  time: 0.3150  data_time: 0.0100  lr: 4.9e-05  max_mem: 2346M
[07/11 15:01:00 d2.utils.events]:  eta: 0:09:50  iter: 39  total_loss: 1.9  time: 0.3160  data_time: 0.0100  lr: 3.2718e-05  max_mem: 2346M
"""


def test_text_log_values_read_from_the_lines():
    items = parse_text(LOG, SAMPLE_LOG)
    total = points(items, "train/total_loss")
    assert [(p.step, p.value) for p in total][:2] == [(19, 2.036), (39, 1.832)]
    assert values(items, "opt/lr")[:2] == [1.6068e-05, 3.2718e-05]
    assert values(items, "perf/max_mem_mb")[0] == 2345.0
    assert points(items, "perf/max_mem_mb")[0].source_tag == "max_mem"
    assert values(items, "perf/last_time_s") == [0.3012]
    assert not points(items, "train/eta")
    # the copypaste table lands at the last printed iteration, with the JSON's tags
    ap = points(items, "val/bbox/AP")
    assert [(p.step, p.value, p.source_tag) for p in ap] == [(39, 40.2151, "bbox/AP")]
    assert math.isnan(values(items, "val/bbox/APl")[0])
    assert math.isnan(values(items, "train/total_loss")[2])
    (problem,) = problems(items)
    assert problem.line == 10
    assert '"loss_box_reg: "' in problem.message and '"n/a"' in problem.message
    assert [e.step for e in events(items, RESUME)] == [39]


def test_text_and_json_give_the_same_tags(corpus):
    json_tags = {p.tag for p in points(parse_path(JSON, corpus / METRICS))}
    log_tags = {p.tag for p in points(parse_text(LOG, SAMPLE_LOG)) if not p.tag.startswith("val/")}
    assert log_tags - json_tags == {"perf/max_mem_mb", "perf/last_time_s", "perf/last_data_time_s"}


@pytest.mark.parametrize("cut", [SAMPLE_LOG.index("2.036") + 2, SAMPLE_LOG.index("AP50,")])
def test_text_split_inside_a_number_or_a_table(cut):
    whole = parse_text(LOG, SAMPLE_LOG)
    parser = detectron2_log.Parser()
    items = parser.feed(SAMPLE_LOG[:cut]) + parser.feed(SAMPLE_LOG[cut:]) + parser.close()
    assert str(items) == str(whole)


def test_text_crlf_split_between_cr_and_lf():
    text = SAMPLE_LOG.replace("\n", "\r\n")
    cut = text.index("\r\n") + 1
    parser = detectron2_log.Parser()
    items = parser.feed(text[:cut]) + parser.feed(text[cut:]) + parser.close()
    assert str(items) == str(parse_text(LOG, SAMPLE_LOG))


def test_sniff(corpus):
    head = (corpus / METRICS).read_text()[:65536]
    assert detectron2_json.sniff(head, "metrics.json") == 1.0
    assert detectron2_json.sniff(head, "renamed.txt") >= 0.8
    assert detectron2_log.sniff(SAMPLE_LOG, "log.txt") >= 0.8
    assert detectron2_log.sniff(head, "metrics.json") < 0.2
    assert detectron2_json.sniff(SAMPLE_LOG, "log.txt") < 0.2
