"""The shared cut-and-convert step of the fast paths reads numbers only: anything else makes
the records not fit, so the line-by-line path reads them and reports what it must."""

from __future__ import annotations

import pytest

from lossboard.sources.formats._literals import cut_pieces, read_numbers

PIECES = ["Epoch[", "] Batch [", "]\tSpeed: ", " samples/sec\taccuracy=", ""]


def _read(values: list[str]):
    text = "\n".join(f"Epoch[0] Batch [{20 * (i + 1)}]\tSpeed: 100.5 samples/sec\taccuracy={v}" for i, v in enumerate(values))
    return read_numbers(text, PIECES, cut_pieces(PIECES), len(values))


def test_records_of_numbers_fit() -> None:
    assert _read(["0.5", "-1e-05"]).tolist() == [[0, 20, 100.5, 0.5], [0, 40, 100.5, -1e-05]]


@pytest.mark.parametrize("value", ["true", "null", '"0.5"', "[0.5]", "nan", "0.5x"])
def test_a_value_that_is_no_printed_number_does_not_fit(value: str) -> None:
    assert _read(["0.5", value]) is None
