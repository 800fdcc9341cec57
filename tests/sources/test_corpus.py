"""The whole shared corpus: every file detected as its format, everything loads together.

The expected formats are the ones MANIFEST.md names for each file.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from lossboard.errors import LfsPointerError, UnknownFormatError
from lossboard.sources.detect import detect_file
from lossboard.sources.logdir import load_paths

EXPECTED = {
    "caffe/mnist_lenet_train.log": "caffe",
    "gluoncv/cifar_resnet20_v1.log": "mxnet",
    "gluoncv/vgg16_ucf101_action_recognition.log": "mxnet",
    "mxnet-module/mxnet-in-action_lenet_train.log": "mxnet",
    "mxnet-custom/large_word_lm_f96a.log": "mxnet",
    "mxnet-custom/nce_lm_228f266-test.log": "mxnet",
    "csv-epoch/keras-dl-benchmark_rn18_90.89.csv": "csv",
    "keras-csvlogger/keras-dl-benchmark_resnet18_cifar10.csv": "keras-csv",
    "keras-csvlogger/voice-identification_training.log": "keras-csv",
    "keras-csvlogger/irfanet-10_training.log": "keras-csv",
    "tsv-epoch/keras-dl-benchmark_train3_cifar10_resnet18.log": "csv",
    "tsv-epoch/keras-dl-benchmark_train_cifar10_densenet121.log": "csv",
    "keras-stdout/kanji_augmented_training_log.txt": "keras-stdout",
    "keras-stdout/kanji_training_log.txt": "keras-stdout",
    "lightning/cv-image-classification_version_0_metrics.csv": "lightning-csv",
    "lightning/pytorchLit15min/lightning_logs/version_0/metrics.csv": "lightning-csv",
    "lightning/pytorchLit15min/lightning_logs/version_1/metrics.csv": "lightning-csv",
    "lightning/aiops-learning-mnist/lightning_logs/version_0/metrics.csv": "lightning-csv",
    "lightning/aiops-learning-mnist/lightning_logs/version_1/metrics.csv": "lightning-csv",
    "hf-trainer-state/bert-weibo-rumor_trainer_state.json": "hf-trainer-state",
    "hf-trainer-state/lora-imdb-distilbert_trainer_state.json": "hf-trainer-state",
    "hf-trainer-state/text-sentiment-api_checkpoint-500_trainer_state.json": "hf-trainer-state",
    "detectron2/train-detectron2_metrics.json": "detectron2-json",
    "yolo/yolov5-old_mushrooms_results.txt": "yolo",
    "yolo/yolov5-old_mushrooms_exp2_results.txt": "yolo",
    "yolo/yolov5_helmet_results.csv": "yolo",
    "yolo/yolov8_ball_detector_train2_nan_results.csv": "yolo",
    "yolo/yolo11-seg_gallstone_results.csv": "yolo",
    "mxnet-speedometer-old/tornadomeet-resnet_cifar10-resnet164.log": "mxnet",
    "mxnet-speedometer-new/densenet-mxnet_log-densenet-kd-169-train_0307.log": "mxnet",
    "mxnet-speedometer-new/mxnet-cls_train.log": "mxnet",
    "mmengine-log/mmpretrain1x_resnet50_fruit30_20230609_150855.log": "mmengine-log",
    "mmengine-log/mmpose1x_rtmpose_ear_20230604_165733.log": "mmengine-log",
    "mmengine-log/mmdet3x_rtmdet_ear_20230607_222528.log": "mmengine-log",
    "hf-trainer-stdout/esha_bert_mlm_then_classifier_train_log.txt": "hf-stdout",
    "hf-trainer-stdout/vit_customer_doc_train_log.txt": "hf-stdout",
    "hf-trainer-stdout/llamafactory_deepseek7b_lora_running_log.txt": "hf-stdout",
    "hf-trainer-stdout/taylorswift_llm_dicts_only_crlf_training_output.txt": "hf-stdout",
    "pytorch-imagenet/salientnet_ssanet50_imagenet.log": "pytorch",
    "pytorch-imagenet/akamaster-style_resnet20_cifar10_log_resnet20.log": "pytorch",
    "gluoncv/yolo3_darknet53_voc.log": "mxnet",
    "gluoncv/faster_rcnn_resnet50_v1b_voc_train.log": "mxnet",
    "mxnet-speedometer-old/tornadomeet-resnet_imagenet-resnet18_resumed.log": "mxnet",
    "mixed-tqdm-print/touhou_resnet152_logging_tqdm_train_head.out": "prints",
    "mixed-tqdm-print/thuman_debug_tqdm_glued_logging_train.log": "prints",
    "header-epoch/transattunet_lidc_epoch_header_tqdm_train_head.log": "prints",
    "header-epoch/driver_distraction_epoch_step_training.log": "prints",
    "header-epoch/salientnet_resnet101_cifar100_run1.log": "prints",
    "header-epoch/salientnet_resnet101_cifar100_run2_resume.log": "prints",
}


@pytest.mark.parametrize("relative", sorted(EXPECTED))
def test_each_file_is_detected_as_its_format(corpus: Path, relative: str) -> None:
    path = corpus / relative
    with open(path, "rb") as file:
        assert detect_file(file, path) == EXPECTED[relative]


def test_every_corpus_log_is_listed_here(corpus: Path) -> None:
    on_disk = {str(p.relative_to(corpus)) for p in corpus.rglob("*") if p.is_file() and p.name != "MANIFEST.md"}
    assert on_disk - set(EXPECTED) == {
        "edge-cases/densenet-mxnet_failed_start_train_20180307.log",
        "edge-cases/hf-spam-detection_checkpoint-500_trainer_state.json",
    }


def test_the_whole_corpus_loads_and_bad_files_are_reported_by_name(corpus: Path) -> None:
    loaded = load_paths([corpus])
    failures = {Path(f.path).name: type(f) for f in loaded.failures}
    assert failures == {
        "hf-spam-detection_checkpoint-500_trainer_state.json": LfsPointerError,
        "densenet-mxnet_failed_start_train_20180307.log": UnknownFormatError,
    }
    loaded_sources = {str(Path(s).relative_to(corpus)) for run in loaded.runs for s in run.sources}
    assert set(EXPECTED) <= loaded_sources
    assert all(run.series for run in loaded.runs if not any("edge-cases" in s for s in run.sources))


def test_a_log_of_a_failed_start_is_reported_not_crashed_on(corpus: Path) -> None:
    path = corpus / "edge-cases" / "densenet-mxnet_failed_start_train_20180307.log"
    loaded = load_paths([path])
    assert loaded.runs == []
    (error,) = loaded.failures
    assert isinstance(error, UnknownFormatError) and str(path) in str(error)


def test_lightning_versions_are_separate_runs_not_a_resume(corpus: Path) -> None:
    runs = load_paths([corpus / "lightning" / "aiops-learning-mnist"]).runs
    assert sorted(run.name for run in runs) == ["lightning_logs/version_0", "lightning_logs/version_1"]
