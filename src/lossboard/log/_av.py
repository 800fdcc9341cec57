"""Audio and video for `SummaryWriter`: WAV and animated GIF bytes, as TensorBoard shows them.

Audio is 16-bit PCM WAV (the standard library's ``wave``), as torch writes it; video is an
animated GIF (Pillow, which matplotlib already brings), where torch's writer needs moviepy
and logs nothing without it.
"""

from __future__ import annotations

import io
import wave

import numpy as np

from lossboard.log import _images


def wav(samples: np.ndarray, sample_rate: int) -> dict:
    """Samples in [-1, 1], shaped (L,), (1, L) or (channels, L), as WAV."""
    array = np.asarray(samples, np.float64)
    if array.ndim == 1:
        array = array[None, :]
    if array.ndim != 2:
        raise ValueError(f"audio must be (samples,) or (channels, samples), got shape {array.shape}")
    pcm = (np.clip(array, -1.0, 1.0) * 32767).astype("<i2").T  # interleaved by frame
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as file:
        file.setnchannels(array.shape[0])
        file.setsampwidth(2)
        file.setframerate(int(sample_rate))
        file.writeframes(pcm.tobytes())
    return {"encoded": buffer.getvalue(), "sample_rate": float(sample_rate), "channels": array.shape[0],
            "frames": array.shape[1]}


def gif(video: np.ndarray, fps: float) -> dict:
    """An N x T x C x H x W batch of videos, tiled as `add_images` tiles, as one GIF."""
    if video.ndim != 5:
        raise ValueError(f"video must be N x T x C x H x W, got shape {video.shape}")
    frames = [_images.to_hwc(video[:, t], "NCHW") for t in range(video.shape[1])]
    from PIL import Image

    mode = {1: "L", 3: "RGB", 4: "RGBA"}.get(frames[0].shape[2])
    if mode is None:
        raise ValueError(f"video frames need 1, 3 or 4 channels, got {frames[0].shape[2]}")
    pictures = [Image.fromarray(frame[:, :, 0] if mode == "L" else frame, mode) for frame in frames]
    buffer = io.BytesIO()
    pictures[0].save(buffer, format="GIF", save_all=True, append_images=pictures[1:],
                     duration=int(1000 / fps), loop=0)
    height, width, channels = frames[0].shape
    return {"encoded": buffer.getvalue(), "height": height, "width": width, "channels": channels}
