"""The non-scalar values of TensorBoard events as `Media` and `Meta` (protobuf in, records out).

Images and videos (GIF images), audio and histograms (``HistogramProto`` and ``add_histogram``'s
v1 form), text, PR curves and hyper-parameters become `Media` whose ``data`` is plain JSON, as
from lossboard's own files: images and audio keep their size and the byte ``offset`` of their
record in the file instead of the encoded bytes. ``add_text``'s ``/text_summary`` tag suffix is
taken off. A ``lossboard_meta`` summary is a `Meta` fact; so is each hyper-parameter, as
``hparam/<name>``; a hyper-parameter record's ``metrics`` are the declared metric names with the
values logged with it. Meshes, custom-scalar layouts and raw tensors are TensorBoard's to show.
"""

from __future__ import annotations

import math
from typing import Any

from lossboard.model import Columns, Media, Meta

META_PLUGIN = "lossboard_meta"
META_PREFIX = "lossboard/meta/"
TEXT_SUFFIX = "/text_summary"
_PR_ROWS = ("tp", "fp", "tn", "fn", "precision", "recall")


class MediaReader:
    """Per file, the metrics the last hyper-parameter experiment declared: the session
    that follows it gets them."""

    def __init__(self) -> None:
        self._metrics: list[str] = []

    def read(self, value: Any, plugin: str, step: int, wall_time: float | None, offset: int) -> list:
        kind = value.WhichOneof("value")
        if kind == "image":
            image = value.image
            encoding = "gif" if image.encoded_image_string[:4] == b"GIF8" else "png"
            data = {"height": image.height, "width": image.width, "channels": image.colorspace,
                    "format": encoding, "offset": offset}
            return [Media("video" if encoding == "gif" else "image", value.tag, step, wall_time, data)]
        if kind == "histo":
            return [Media("histogram", value.tag, step, wall_time, _histogram(value.histo))]
        if kind == "audio":
            audio = value.audio
            data = {"sample_rate": audio.sample_rate, "channels": audio.num_channels,
                    "frames": audio.length_frames, "offset": offset}
            return [Media("audio", value.tag, step, wall_time, data)]
        if kind != "tensor":
            return []
        if plugin == META_PLUGIN:
            return [Meta(value.tag.removeprefix(META_PREFIX), _strings(value.tensor)[0])]
        if plugin == "text":
            tag = value.tag.removesuffix(TEXT_SUFFIX)
            return [Media("text", tag, step, wall_time, {"text": "\n".join(_strings(value.tensor))})]
        if plugin == "pr_curves":
            return [Media("pr_curve", value.tag, step, wall_time, _pr_curve(value.tensor))]
        if plugin == "hparams":
            return self._hparams(value, step, wall_time)
        return []

    def _hparams(self, value: Any, step: int, wall_time: float | None) -> list:
        from tensorboard.plugins.hparams.plugin_data_pb2 import HParamsPluginData

        content = HParamsPluginData.FromString(value.metadata.plugin_data.content)
        if content.HasField("experiment"):
            self._metrics = [info.name.tag for info in content.experiment.metric_infos]
            return []
        if not content.HasField("session_start_info"):
            return []
        hparams = {name: _hparam(v) for name, v in content.session_start_info.hparams.items()}
        data = {"hparams": hparams, "metrics": dict.fromkeys(self._metrics)}  # values: `with_metric_values`
        return [Media("hparams", "hparams", step, wall_time, data),
                *(Meta(f"hparam/{name}", str(v)) for name, v in hparams.items())]


def with_metric_values(items: list) -> list:
    """``hparams`` records with their metrics' values: the scalars of those names logged at
    the record's step in the same feed (``add_hparams`` writes them with it), else None."""
    records = [item for item in items if type(item) is Media and item.kind == "hparams" and item.data["metrics"]]
    if not records:
        return items
    found = {(item.source_tag, step): value for item in items if type(item) is Columns
             for step, value in zip(item.step.tolist(), item.value.tolist())}
    filled = {id(record): record._replace(data={**record.data, "metrics": {
        name: found.get((name, record.step)) for name in record.data["metrics"]}}) for record in records}
    return [filled.get(id(item), item) for item in items]


def _histogram(histo: Any) -> dict:
    return {"min": histo.min, "max": histo.max, "num": int(histo.num), "sum": histo.sum,
            "sum_squares": histo.sum_squares, "bucket_limits": list(histo.bucket_limit),
            "bucket_counts": list(histo.bucket)}


def _strings(tensor: Any) -> list[str]:
    return [text.decode("utf-8", "replace") for text in tensor.string_val]


def _pr_curve(tensor: Any) -> dict:
    from tensorboard.util.tensor_util import make_ndarray

    rows = make_ndarray(tensor).astype(float)
    count = rows.shape[1]
    data = {name: row.tolist() for name, row in zip(_PR_ROWS, rows)}
    data["thresholds"] = [i / max(count - 1, 1) for i in range(count)]
    return data


def _hparam(value: Any) -> bool | float | str | None:
    kind = value.WhichOneof("kind")
    if kind == "number_value":
        number = value.number_value
        return int(number) if number.is_integer() and not math.isinf(number) else number
    return None if kind in (None, "null_value") else getattr(value, kind)
