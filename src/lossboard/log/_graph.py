"""Model graphs for TensorBoard's Graphs tab, traced by torch itself.

`add_graph` hands the model to torch's own tracer (``torch.utils.tensorboard._pytorch_graph``,
the code torch's writer runs), so the graph is exactly the one torch's writer would log;
`add_onnx_graph` uses torch's ONNX loader (which needs the ``onnx`` package). Both return
serialized protos for the writer's background thread to frame.
"""

from __future__ import annotations

from typing import Any


def torch_graph(model: Any, input_to_model: Any, verbose: bool, use_strict_trace: bool) -> dict:
    try:
        from torch.utils.tensorboard._pytorch_graph import graph
    except ImportError as exc:
        raise ImportError("add_graph traces a torch model and needs torch: pip install torch") from exc
    graph_def, step_stats = graph(model, input_to_model, verbose, use_strict_trace)
    return {"graph_def": graph_def.SerializeToString(), "run_metadata": step_stats.SerializeToString()}


def onnx_graph(prototxt: str) -> dict:
    try:
        from torch.utils.tensorboard._onnx_graph import load_onnx_graph
    except ImportError as exc:
        raise ImportError("add_onnx_graph uses torch's ONNX loader: pip install torch onnx") from exc
    return {"graph_def": load_onnx_graph(prototxt).SerializeToString()}
