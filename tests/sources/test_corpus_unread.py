"""Issue 8: nothing a corpus log prints is dropped in silence.

For every line-based corpus file, each line that carries a number either gave a value (or is a
header that set the epoch), or is listed here as deliberately left unread, by what it is: a
config or environment dump, a model summary, a timing or ETA, a progress bar without metrics,
a CSV header. A file not listed must be read completely. The patterns match the line's shape as
`inspect --unread` prints it (numbers as ``#``), and each names why it is not a metric.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from lossboard.sources.coverage import run_coverage
from lossboard.sources.logdir import load_paths

# why a line is not read -> the shapes of such lines
CONFIG = r'^\s*"?[\w.]+"?\s*[:=]\s*"?[-#\w.e]+"?,?$'  # `key: value` of a config or model dump
CSV_HEADER = r"^epoch,\s*[\w/]"
MODEL_REPR = r"^\((?:#|output)\): \w+"
BAR_WITHOUT_METRICS = r"(?:^|: *)#?%?\|bar\| #/# \[<[?,][^=]*\]$|^Validating: #it \[, +#it/s\]$"
GLOG_SETUP = r"^\|bar\| : |^ (?:Top shape|Memory required|Using GPUs|GPU #|Creating test net)"
START_BANNER = r"Start training with \[gpu"

IGNORED: dict[str, list[str]] = {
    "caffe/mnist_lenet_train.log": [CONFIG, GLOG_SETUP],
    "gluoncv/cifar_resnet20_v1.log": [GLOG_SETUP],
    "gluoncv/vgg16_ucf101_action_recognition.log": [
        MODEL_REPR, r"^Load # training samples", r"^successfully opened events file", r"^wrote # events? to disk$",
    ],
    "header-epoch/transattunet_lidc_epoch_header_tqdm_train_head.log": [
        r"^Đã load tập",  # "loaded set 'train': N samples"
        BAR_WITHOUT_METRICS,
        # one tqdm update per line: a later line at the same count replaces these, the bar's
        # first state repeats the last epoch's running values
        r"^Training: +#%\|bar\| #/# \[.*, loss=#, dice=#\]$",
    ],
    "hf-trainer-stdout/esha_bert_mlm_then_classifier_train_log.txt": [
        CONFIG, BAR_WITHOUT_METRICS, r"^Map \(num_proc=#\)", r"^#%\|bar\| #/# \[<\?, \?it/s\]You're using",
        r"^num_rows: #$", r"^Model size: #M parameters$", r"^(?:# #|#)$", r"^original model block size",
    ],
    "hf-trainer-stdout/llamafactory_deepseek7b_lora_running_log.txt": [
        CONFIG, r"^\[INFO\| \]  >> +(?:Num examples|Num Epochs|Instantaneous batch size|Total train batch size|"
        r"Gradient Accumulation steps|Total optimization steps|Number of trainable parameters|Batch size)\b.* = #$",
        r"^\[INFO\| \]  >> Process rank", r"trainable%: #$",
    ],
    "hf-trainer-stdout/vit_customer_doc_train_log.txt": [
        r"^e-# --output_dir", r"^Some weights of ViT", r"^- classifier\.(?:bias|weight): found shape",
        r"FutureWarning: `evaluation_strategy` is deprecated",
    ],
    "keras-stdout/kanji_augmented_training_log.txt": [r"^Train on # samples, validate on # samples$"],
    "keras-stdout/kanji_training_log.txt": [r"^Train on # samples, validate on # samples$"],
    "mixed-tqdm-print/thuman_debug_tqdm_glued_logging_train.log": [
        r"^Warp # initialized:$", r"^CUDA Toolkit #, Driver #$", r'^"cuda:#"\s*: "NVIDIA', r"^/home/\S+/warp/#$",
        r"Saving model checkpoint to",
    ],
    "mixed-tqdm-print/touhou_resnet152_logging_tqdm_train_head.out": [
        r"Loading dataset from", r"^Normailizing with mean=", r"Dataset loaded\. Number of classes",
    ],
    "mmengine-log/mmdet3x_rtmdet_ear_20230607_222528.log": ["*config"],
    "mmengine-log/mmpose1x_rtmpose_ear_20230604_165733.log": ["*config"],
    "mmengine-log/mmpretrain1x_resnet50_fruit30_20230609_150855.log": ["*config"],
    "mxnet-custom/nce_lm_228f266-test.log": [r"Saved optimizer state to", r"^Processing file: "],
    "mxnet-speedometer-new/densenet-mxnet_log-densenet-kd-169-train_0307.log": [START_BANNER],
    "mxnet-speedometer-old/tornadomeet-resnet_cifar10-resnet164.log": [GLOG_SETUP, START_BANNER],
    "mxnet-speedometer-old/tornadomeet-resnet_imagenet-resnet18_resumed.log": [
        GLOG_SETUP, START_BANNER,
        # the first start's epoch 98, run again after the restart (lines 10302-10403): replaced
        r"^INFO:root:Epoch\[#\] (?:Batch \[#\]\tSpeed|Time cost|Validation-accuracy)",
    ],
    "yolo/yolo11-seg_gallstone_results.csv": [CSV_HEADER],
    "yolo/yolov5_helmet_results.csv": [CSV_HEADER],
    "yolo/yolov8_ball_detector_train2_nan_results.csv": [CSV_HEADER],
}
# mmengine logs open with an environment report and the whole Python config (no logging
# prefix), log optimizer settings per parameter, and print validation progress lines that hold
# only timings; the lines with the prefix and a metric are all read
MMENGINE = [r"^(?!\s*- mmengine - )", r"paramwise_options -- ", r"Checkpoints will be saved to",
            r"Epoch\(val\) +\[#\]\[#/#\] +eta: +time: # +data_time: # +memory: #$"]


def _coverages(corpus: Path) -> dict[str, object]:
    found = {}
    for run in load_paths([corpus]).runs:
        for coverage in run_coverage(run):
            found[str(Path(coverage.path).relative_to(corpus))] = coverage
    return found


@pytest.fixture(scope="module")
def coverages(corpus: Path) -> dict[str, object]:
    return _coverages(corpus)


def test_every_line_based_corpus_file_is_scanned(coverages: dict) -> None:
    assert len(coverages) >= 44 and set(IGNORED) <= set(coverages)


def test_every_number_bearing_line_is_read_or_deliberately_ignored(coverages: dict) -> None:
    left: dict[str, list[str]] = {}
    for relative, coverage in coverages.items():
        patterns = [p for name in IGNORED.get(relative, []) for p in (MMENGINE if name == "*config" else [name])]
        missed = [shape.example for shape in coverage.shapes.values()
                  if not any(re.search(pattern, shape.shape) for pattern in patterns)]
        if missed:
            left[relative] = missed[:5]
    assert left == {}


def test_the_share_read_is_reported_per_file(coverages: dict) -> None:
    # the metric lines of the files with the longest dumps are all read
    mmpose = coverages["mmengine-log/mmpose1x_rtmpose_ear_20230604_165733.log"]
    assert mmpose.read >= 1_800 + 30  # train lines and val summaries (MANIFEST row 35)
    assert all(c.share_read == 1.0 for r, c in coverages.items() if r not in IGNORED)
