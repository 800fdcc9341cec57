"""TensorBoard ``Summary`` protos for everything `SummaryWriter` logs besides scalars.

The writer turns a call's arguments into plain data on the caller's thread (numpy copies,
PNG/WAV/GIF bytes); `summaries` runs on the background thread. Each kind is written the way
torch's writer writes it, tags included (``add_text`` adds ``/text_summary``), so TensorBoard,
tbparse and W&B's sync read lossboard's files as they read torch's. Protos come from the
tensorboard package: its generated classes and, where one exists, its plugin's own builder.

A ``lossboard_meta`` summary carries `SummaryWriter.add_meta` facts (command line, status):
a plugin TensorBoard does not know, so it ignores them; lossboard's reader makes them `Meta`.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np

META_PLUGIN = "lossboard_meta"
META_PREFIX = "lossboard/meta/"
TEXT_SUFFIX = "/text_summary"  # torch's add_text tag


def summaries(kind: str, tag: str, data: dict) -> list:
    """The Summary messages (one per event) of one logged item."""
    return _BUILDERS[kind](tag, data)


def _one(tag: str, **value: Any) -> list:
    from tensorboard.compat.proto.summary_pb2 import Summary

    return [Summary(value=[Summary.Value(tag=tag, **value)])]


def _image(tag: str, data: dict) -> list:
    from tensorboard.compat.proto.summary_pb2 import Summary

    image = Summary.Image(height=data["height"], width=data["width"], colorspace=data["channels"],
                          encoded_image_string=data["encoded"])
    return _one(tag, image=image)


def _histogram(tag: str, data: dict) -> list:
    from tensorboard.compat.proto.summary_pb2 import HistogramProto

    histogram = HistogramProto(min=data["min"], max=data["max"], num=data["num"], sum=data["sum"],
                               sum_squares=data["sum_squares"], bucket_limit=data["bucket_limits"],
                               bucket=data["bucket_counts"])
    return _one(tag, histo=histogram)


def _text(tag: str, data: dict) -> list:
    from tensorboard.plugins.text.summary_v2 import text_pb

    return [text_pb(tag + TEXT_SUFFIX, data["text"])]


def _pr_curve(tag: str, data: dict) -> list:
    """A 6 x thresholds float32 tensor (TP, FP, TN, FN, precision, recall), as the plugin's
    own ``raw_data_pb`` lays it out (that builder needs TensorFlow)."""
    from tensorboard.plugins.pr_curve.metadata import create_summary_metadata
    from tensorboard.util.tensor_util import make_tensor_proto

    columns = np.array([data[key] for key in ("tp", "fp", "tn", "fn", "precision", "recall")], np.float32)
    metadata = create_summary_metadata(display_name=tag, description="", num_thresholds=columns.shape[1])
    return _one(tag, metadata=metadata, tensor=make_tensor_proto(columns))


def _hparams(tag: str, data: dict) -> list:
    """The experiment (which hyper-parameters and metrics exist) and this run's values, as
    torch writes them; the metric values themselves are scalars the writer logs."""
    from tensorboard.plugins.hparams import summary_v2 as hp

    hparams = data["hparams"]
    domains = data.get("domain_discrete") or {}
    config = hp.hparams_config_pb(
        [hp.HParam(name, hp.Discrete(domains[name]) if name in domains else None) for name in hparams],
        [hp.Metric(name) for name in data["metrics"]], time_created_secs=data["start_time"])
    values = {name: value for name, value in hparams.items() if value is not None}
    return [config, hp.hparams_pb(values, start_time_secs=data["start_time"])]


def _audio(tag: str, data: dict) -> list:
    from tensorboard.compat.proto.summary_pb2 import Summary

    audio = Summary.Audio(sample_rate=data["sample_rate"], num_channels=data["channels"],
                          length_frames=data["frames"], encoded_audio_string=data["encoded"],
                          content_type="audio/wav")
    return _one(tag, audio=audio)


def _mesh(tag: str, data: dict) -> list:
    """One tensor per component (vertices, faces, colours), as the mesh plugin's ``mesh_pb``
    writes them (that builder needs TensorFlow)."""
    from tensorboard.plugins.mesh import metadata
    from tensorboard.plugins.mesh.plugin_data_pb2 import MeshPluginData
    from tensorboard.util.tensor_util import make_tensor_proto

    parts = [(data[key], content, dtype) for key, content, dtype in (
        ("vertices", MeshPluginData.VERTEX, np.float32), ("faces", MeshPluginData.FACE, np.int32),
        ("colors", MeshPluginData.COLOR, np.uint8)) if data[key] is not None]
    components = metadata.get_components_bitmask([content for _, content, _ in parts])
    config = json.dumps(data["config_dict"], sort_keys=True) if data["config_dict"] else ""
    out = []
    for array, content, dtype in parts:
        meta = metadata.create_summary_metadata(tag, None, content, components, list(array.shape),
                                                json_config=config)
        out += _one(metadata.get_instance_name(tag, content), metadata=meta,
                    tensor=make_tensor_proto(array.astype(dtype)))
    return out


def _custom_scalars(tag: str, data: dict) -> list:
    """``{category: {chart: ["Multiline" or "Margin", [tags]]}}``, torch's layout."""
    from tensorboard.plugins.custom_scalar import layout_pb2, metadata
    from tensorboard.util.tensor_util import make_tensor_proto

    categories = []
    for title, charts in data["layout"].items():
        built = []
        for name, (kind, tags) in charts.items():
            if kind == "Margin":
                if len(tags) != 3:
                    raise ValueError(f"a Margin chart needs 3 tags (value, lower, upper), got {tags!r}")
                series = layout_pb2.MarginChartContent.Series(value=tags[0], lower=tags[1], upper=tags[2])
                built.append(layout_pb2.Chart(title=name, margin=layout_pb2.MarginChartContent(series=[series])))
            else:
                built.append(layout_pb2.Chart(title=name, multiline=layout_pb2.MultilineChartContent(tag=tags)))
        categories.append(layout_pb2.Category(title=title, chart=built))
    layout = layout_pb2.Layout(category=categories).SerializeToString()
    return _one(metadata.CONFIG_SUMMARY_TAG, metadata=metadata.create_summary_metadata(),
                tensor=make_tensor_proto(np.array(layout, object)))


def _scalar(tag: str, data: dict) -> list:
    """``add_scalar(new_style=True)``: a scalar tensor with the scalars plugin's metadata."""
    from tensorboard.plugins.scalar.metadata import create_summary_metadata
    from tensorboard.util.tensor_util import make_tensor_proto

    number = (np.float64 if data["double"] else np.float32)(data["value"])
    return _one(tag, metadata=create_summary_metadata(display_name=None, description=None),
                tensor=make_tensor_proto(number))


def _tensor(tag: str, data: dict) -> list:
    from tensorboard.util.tensor_util import make_tensor_proto

    return _one(tag, tensor=make_tensor_proto(data["array"]))


def _meta(tag: str, data: dict) -> list:
    from tensorboard.compat.proto.summary_pb2 import SummaryMetadata
    from tensorboard.util.tensor_util import make_tensor_proto

    metadata = SummaryMetadata(plugin_data=SummaryMetadata.PluginData(plugin_name=META_PLUGIN))
    return _one(META_PREFIX + tag, metadata=metadata, tensor=make_tensor_proto(np.array(data["value"], object)))


_BUILDERS = {
    "scalar": _scalar, "image": _image, "histogram": _histogram, "text": _text, "pr_curve": _pr_curve, "hparams": _hparams,
    "audio": _audio, "video": _image, "mesh": _mesh, "custom_scalars": _custom_scalars, "tensor": _tensor,
    "meta": _meta,
}
KINDS = frozenset(_BUILDERS)
