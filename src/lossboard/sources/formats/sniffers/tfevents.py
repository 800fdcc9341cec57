"""TensorBoard event files: by name, or by the file version record that starts them."""

from __future__ import annotations

BINARY = True


def available() -> str | None:
    # found, not imported: importing tensorboard costs more than parsing a small log, and
    # detection asks every format; the parser imports it when an event file is read
    import importlib.util

    if importlib.util.find_spec("tensorboard") is None:
        return "pip install 'lossboard[tfevents]'"
    return None


def sniff(head: str, filename: str) -> float:
    if ".tfevents." in filename:
        return 1.0
    return 0.9 if "brain.Event:" in head[:256] else 0.0
