"""Embeddings for TensorBoard's projector: ``<log_dir>/<step:05d>/<tag>/`` and its config.

Each `SummaryWriter.add_embedding` call writes ``tensors.tsv`` (one row of numbers per point),
``metadata.tsv`` (labels, with a header row when there are several columns) and
``sprite.png`` (the label images, a square grid), and rewrites ``projector_config.pbtxt``
listing every embedding of the writer, where torch's writer puts them; the projector plugin
reads them from there. The config is protobuf text written by tensorboard's own classes.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from typing import Any

import numpy as np

from lossboard.log import _images

CONFIG = "projector_config.pbtxt"


class Projector:
    """The embeddings a writer logged, so that the config names all of them."""

    def __init__(self) -> None:
        from tensorboard.plugins.projector.projector_config_pb2 import ProjectorConfig

        self._config = ProjectorConfig()

    def add(self, log_dir: str, mat: np.ndarray, metadata: Sequence[Any] | None, label_img: np.ndarray | None,
            step: int, tag: str, metadata_header: Sequence[str] | None) -> None:
        if mat.ndim != 2:
            raise ValueError(f"an embedding is 2-D (points x dimensions), got shape {mat.shape}")
        if metadata is not None and len(metadata) != len(mat):
            raise ValueError(f"{len(metadata)} metadata rows for {len(mat)} points; give one per point")
        if label_img is not None and len(label_img) != len(mat):
            raise ValueError(f"{len(label_img)} label images for {len(mat)} points; give one per point")
        subdir = f"{step:05d}/{tag.replace('/', '_')}"
        target = os.path.join(log_dir, subdir)
        os.makedirs(target, exist_ok=True)
        with open(os.path.join(target, "tensors.tsv"), "w") as file:
            file.writelines("\t".join(map(str, row)) + "\n" for row in mat.tolist())  # as torch writes them
        info = self._config.embeddings.add(tensor_name=f"{tag}:{step:05d}", tensor_path=f"{subdir}/tensors.tsv")
        if metadata is not None:
            with open(os.path.join(target, "metadata.tsv"), "w") as file:
                file.write(_tsv(metadata, metadata_header))
            info.metadata_path = f"{subdir}/metadata.tsv"
        if label_img is not None:
            with open(os.path.join(target, "sprite.png"), "wb") as file:
                file.write(_images.png(sprite(label_img)))
            info.sprite.image_path = f"{subdir}/sprite.png"
            info.sprite.single_image_dim.extend([label_img.shape[3], label_img.shape[2]])
        from google.protobuf import text_format

        with open(os.path.join(log_dir, CONFIG), "w") as file:
            file.write(text_format.MessageToString(self._config))


def _tsv(metadata: Sequence[Any], header: Sequence[str] | None) -> str:
    if not header:
        return "".join(f"{label}\n" for label in metadata)
    rows = [header, *metadata]
    if any(len(row) != len(header) for row in rows):
        raise ValueError(f"metadata_header has {len(header)} columns; every metadata row needs as many")
    return "".join("\t".join(map(str, row)) + "\n" for row in rows)


def sprite(images: np.ndarray) -> np.ndarray:
    """N x C x H x W label images as one square grid (HWC uint8), as the projector wants."""
    columns = math.ceil(math.sqrt(len(images)))
    batch = _images.to_hwc_batch(images, "NCHW")
    height, width = batch.shape[1:3]
    square = np.zeros((columns * height, columns * width, batch.shape[3]), np.uint8)
    for index, image in enumerate(batch):
        row, column = divmod(index, columns)
        square[row * height : (row + 1) * height, column * width : (column + 1) * width] = image
    return square
