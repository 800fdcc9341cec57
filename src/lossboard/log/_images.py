"""Images for `SummaryWriter`: any layout to HWC uint8, batches to a grid, and PNG bytes.

The PNG encoder is the format's minimum (signature, IHDR, one zlib IDAT, IEND), written
with the standard library so that logging an image needs neither Pillow nor matplotlib.

>>> png(np.zeros((2, 3), np.uint8))[:8]
b'\\x89PNG\\r\\n\\x1a\\n'
"""

from __future__ import annotations

import struct
import zlib

import numpy as np

_LAYOUTS = frozenset(("HW", "WH", "CHW", "HWC", "NCHW", "NHWC"))
_COLOUR_TYPE = {1: 0, 2: 4, 3: 2, 4: 6}  # channels -> PNG colour type (grey, grey+alpha, RGB, RGBA)
GRID_COLUMNS = 8  # images per grid row, as torch's make_grid in add_images


def to_hwc(array: np.ndarray, dataformats: str) -> np.ndarray:
    """One image as height x width x channels uint8; a batch (N...) becomes a grid.

    Floats are taken to be in [0, 1] and scaled to 0..255; integers are used as they are.
    """
    layout = dataformats.upper()
    if layout not in _LAYOUTS:
        raise ValueError(f"dataformats {dataformats!r} is not one of {', '.join(sorted(_LAYOUTS))}")
    if array.ndim != len(layout):
        raise ValueError(f"an image with dataformats {dataformats!r} needs {len(layout)} dimensions, "
                         f"got shape {array.shape}")
    if layout in ("HW", "WH"):
        array = (array if layout == "HW" else array.T)[:, :, None]
    elif layout == "CHW":
        array = array.transpose(1, 2, 0)
    elif layout == "NCHW":
        array = grid(array.transpose(0, 2, 3, 1))
    elif layout == "NHWC":
        array = grid(array)
    if array.shape[2] not in _COLOUR_TYPE:
        raise ValueError(f"an image needs 1, 2, 3 or 4 channels, got {array.shape[2]} "
                         f"(shape {array.shape} as HWC); check dataformats={dataformats!r}")
    return _to_bytes(array)


def to_hwc_batch(array: np.ndarray, dataformats: str) -> np.ndarray:
    """A batch (NCHW or NHWC) as N x H x W x C uint8, each image kept apart."""
    layout = dataformats.upper()
    if layout not in ("NCHW", "NHWC") or array.ndim != 4:
        raise ValueError(f"expected a 4-D NCHW or NHWC batch, got shape {array.shape} as {dataformats!r}")
    return _to_bytes(array.transpose(0, 2, 3, 1) if layout == "NCHW" else array)


def _to_bytes(array: np.ndarray) -> np.ndarray:
    if array.dtype.kind == "f":
        array = np.clip(np.nan_to_num(array) * 255.0 + 0.5, 0, 255)
    elif array.dtype.kind == "b":
        array = array * 255
    return np.ascontiguousarray(np.clip(array, 0, 255).astype(np.uint8, copy=False))


def with_boxes(image: np.ndarray, boxes: np.ndarray, labels: list[str] | None) -> np.ndarray:
    """``image`` (HWC uint8) with each box ``(x_min, y_min, x_max, y_max)`` drawn in red and
    its label above it, as torch's add_image_with_boxes draws them."""
    from PIL import Image, ImageDraw

    if boxes.ndim != 2 or boxes.shape[1] != 4:
        raise ValueError(f"boxes must be N x 4 (x_min, y_min, x_max, y_max), got shape {boxes.shape}")
    if labels is not None and len(labels) != len(boxes):
        raise ValueError(f"{len(labels)} labels for {len(boxes)} boxes; give one label per box")
    picture = Image.fromarray(image[:, :, :3] if image.shape[2] >= 3 else image[:, :, 0]).convert("RGB")
    draw = ImageDraw.Draw(picture)
    for index, box in enumerate(boxes.tolist()):
        draw.rectangle(box, outline=(255, 0, 0))
        if labels is not None:
            draw.text((box[0], box[1]), str(labels[index]), fill=(255, 0, 0), anchor="lb")
    return np.asarray(picture)


def grid(batch: np.ndarray) -> np.ndarray:
    """N x H x W x C images tiled row by row, `GRID_COLUMNS` to a row, unused cells black."""
    count, height, width, channels = batch.shape
    columns = min(GRID_COLUMNS, max(count, 1))
    rows = -(-count // columns)
    canvas = np.zeros((rows * height, columns * width, channels), batch.dtype)
    for i, image in enumerate(batch):
        row, column = divmod(i, columns)
        canvas[row * height : (row + 1) * height, column * width : (column + 1) * width] = image
    return canvas


def png(image: np.ndarray) -> bytes:
    """PNG bytes of an H x W (x C) uint8 array."""
    if image.ndim == 2:
        image = image[:, :, None]
    height, width, channels = image.shape
    rows = np.zeros((height, 1 + width * channels), np.uint8)  # filter byte 0 (none) per row
    rows[:, 1:] = image.reshape(height, width * channels)
    header = struct.pack(">IIBBBBB", width, height, 8, _COLOUR_TYPE[channels], 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", zlib.compress(
        rows.tobytes(), 6)) + _chunk(b"IEND", b"")


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
