"""``add_onnx_graph``: the graph of an exported ONNX model, as torch's writer logs it (issue 11).

A two-layer model is exported with ``torch.onnx.export``; both writers log the file, and
TensorBoard's EventAccumulator reads the same graph back from both directories.
"""

from __future__ import annotations

import warnings

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("onnx", reason="add_onnx_graph reads the file with onnx (pip install onnx)")
pytest.importorskip("onnxscript", reason="torch.onnx.export needs onnxscript (pip install onnxscript)")
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator  # noqa: E402
from torch.utils.tensorboard import SummaryWriter as TorchWriter  # noqa: E402

from lossboard import SummaryWriter  # noqa: E402


def exported(path) -> str:
    model = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 2)).eval()
    with warnings.catch_warnings():  # torch's exporter warns about its own internals
        warnings.simplefilter("ignore")
        torch.onnx.export(model, (torch.zeros(1, 4),), str(path), input_names=["x"], output_names=["logits"])
    return str(path)


def graph_of(logdir):
    events = EventAccumulator(str(logdir))
    events.Reload()
    return events.Graph()


def test_tensorboard_reads_the_same_onnx_graph_from_both_writers(tmp_path) -> None:
    model = exported(tmp_path / "model.onnx")
    for writer in (SummaryWriter(tmp_path / "lossboard"), TorchWriter(str(tmp_path / "torch"))):
        writer.add_onnx_graph(model)
        writer.close()

    graph = graph_of(tmp_path / "lossboard")
    assert graph == graph_of(tmp_path / "torch")
    ops = [node.op for node in graph.node]
    assert ops[:2] == ["Variable", "Variable"]  # the model's input and output
    assert ops.count("Gemm") == 2 and "Relu" in ops  # Linear, ReLU, Linear
    assert {node.name for node in graph.node} >= {"x", "logits"}
