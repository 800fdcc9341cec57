"""Hugging Face ``trainer_state.json``: by name, or by its ``log_history`` and ``global_step`` keys."""

from __future__ import annotations


def sniff(head: str, filename: str) -> float:
    if filename.endswith("trainer_state.json"):
        return 1.0
    if head.lstrip().startswith("{") and '"log_history"' in head and '"global_step"' in head:
        return 0.9
    return 0.0
