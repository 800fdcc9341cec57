"""`_numbers.serial_product` (the digit products a slice of rows at a time, each small enough
for BLAS to keep on one thread) gives what one product gives, and `DigitReader` reads a chunk
of many slices' rows as `float` does."""

from __future__ import annotations

import numpy as np

from lossboard.sources.formats._numbers import digit_reader, serial_product


def test_a_product_of_many_slices_is_the_one_product() -> None:
    rng = np.random.default_rng(12)
    digits = rng.integers(0, 10, (20_011, 33)).astype(np.float64)  # not a whole number of slices
    weights = np.zeros((33, 10))
    weights[np.arange(33), np.arange(33) % 10] = 10.0 ** (np.arange(33) // 10)
    assert np.array_equal(serial_product(digits, weights), digits @ weights)
    powers = 10.0 ** np.arange(14, -1, -1)
    assert np.array_equal(serial_product(digits[:, :15], powers), digits[:, :15] @ powers)
    assert serial_product(digits[:3], weights).shape == (3, 10)


def test_digits_of_many_rows_read_in_slices_are_what_float_reads() -> None:
    rng = np.random.default_rng(5)
    numbers = zip(rng.random(30_000) * 9, rng.integers(100, 999, 30_000), rng.random(30_000))
    rows = [f"\rloss={a:.4f}, n={n}, lr=-{b:.6f}]" for a, n, b in numbers]
    first = rows[0].encode()
    spans = [(6, 12), (16, 19), (24, 33)]
    reader = digit_reader(first, spans)
    data = "".join(rows).encode()
    starts = np.arange(len(rows)) * len(first)
    read = reader.read(np.frombuffer(data, np.uint8), starts)
    expected = [[float(row[6:12]), float(row[16:19]), float(row[24:33])] for row in rows]
    assert read.tolist() == expected
