"""M4 downsampling: first, last, minimum and maximum of each equal step bucket, NaN kept too."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from lossboard.errors import UsageError
from lossboard.store.downsample import m4_index


def reference(steps: list[int], values: list[float], buckets: int, lo: int, hi: int) -> list[int]:
    """M4 written the slow, obvious way: one bucket at a time."""
    kept: set[int] = set()
    span = hi - lo + 1
    for bucket in range(buckets):
        members = [i for i, s in enumerate(steps) if lo <= s <= hi and (s - lo) * buckets // span == bucket]
        if not members:
            continue
        kept |= {members[0], members[-1]}
        numbers = [i for i in members if not math.isnan(values[i])]
        nans = [i for i in members if math.isnan(values[i])]
        if numbers:
            kept.add(min(numbers, key=lambda i: (values[i], i)))
            kept.add(min(numbers, key=lambda i: (-values[i], i)))
        if nans:
            kept.add(nans[0])
    return sorted(kept)


def test_one_spike_among_a_million_points_survives_100_buckets() -> None:
    step = np.arange(1_000_000)
    value = np.ones(1_000_000)
    value[654_321] = 1e30
    index = m4_index(step, value, 100)
    assert 654_321 in index
    assert index[0] == 0 and index[-1] == 999_999
    assert len(index) <= 400


def test_each_bucket_keeps_first_min_max_last_in_step_order() -> None:
    # steps 0..7 in two buckets of four: [0..3] and [4..7]
    value = np.array([5.0, 1.0, 9.0, 6.0, 2.0, 2.0, 8.0, 8.0])
    assert m4_index(np.arange(8), value, 2).tolist() == [0, 1, 2, 3, 4, 6, 7]


def test_buckets_cut_the_step_range_not_the_point_count() -> None:
    # steps 0, 1, 2 and 100: with 2 buckets over 0..100 the first bucket holds 0, 1, 2
    step = np.array([0, 1, 2, 100])
    value = np.array([3.0, 1.0, 2.0, 0.0])
    assert m4_index(step, value, 2).tolist() == [0, 1, 2, 3]
    value = np.array([3.0, 2.0, 1.0, 0.0])
    assert m4_index(step, value, 2).tolist() == [0, 2, 3]


def test_a_bucket_with_nan_keeps_its_first_nan_and_its_spike() -> None:
    value = np.array([1.0, math.nan, 7.0, math.nan, 0.5, 3.0])
    assert m4_index(np.arange(6), value, 1).tolist() == [0, 1, 2, 4, 5]


def test_infinity_is_the_extreme_value() -> None:
    value = np.array([1.0, -math.inf, 3.0, math.inf, 2.0, 0.0])
    assert m4_index(np.arange(6), value, 1).tolist() == [0, 1, 3, 5]


def test_lo_and_hi_select_and_bucket_the_requested_range() -> None:
    step = np.arange(0, 100, 10)
    value = np.arange(10.0)
    assert m4_index(step, value, 1, lo=25, hi=55).tolist() == [3, 5]
    assert m4_index(step, value, 5, lo=200, hi=300).tolist() == []


def test_no_points_or_bad_buckets() -> None:
    assert m4_index(np.array([], dtype=np.int64), np.array([]), 3).tolist() == []
    with pytest.raises(UsageError, match="at least 1"):
        m4_index(np.arange(3), np.zeros(3), 0)


def test_more_buckets_than_memory_holds_keep_every_point() -> None:
    # a bucket a step already keeps every point: asking for more allocates nothing more
    step = np.arange(0, 30, 3)
    assert m4_index(step, np.arange(10.0), 10**18).tolist() == list(range(10))


def test_steps_near_the_int64_limit_do_not_overflow() -> None:
    step = np.array([0, 2**62, 2**63 - 2])
    assert m4_index(step, np.array([1.0, 2.0, 3.0]), 2000).tolist() == [0, 1, 2]


values = st.one_of(st.floats(-5, 5), st.sampled_from([math.nan, math.inf, -math.inf, 1.0]))


@given(
    st.lists(st.tuples(st.integers(-50, 200), values), min_size=1, max_size=60, unique_by=lambda p: p[0]),
    st.integers(1, 12) | st.integers(250, 400),  # fewer buckets than steps, and more
    st.data(),
)
def test_matches_the_obvious_bucket_by_bucket_version(points, buckets, data) -> None:
    points.sort()
    steps = [s for s, _ in points]
    vals = [v for _, v in points]
    lo = data.draw(st.integers(-60, steps[-1]))
    hi = data.draw(st.integers(lo, 210))
    index = m4_index(np.array(steps), np.array(vals), buckets, lo=lo, hi=hi)
    assert index.tolist() == reference(steps, vals, buckets, lo, hi)
    assert len(index) <= (5 if any(math.isnan(v) for v in vals) else 4) * buckets
