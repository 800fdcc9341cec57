"""Server-side smoothing against TensorBoard's classicSmoothing, transcribed as a plain loop.

The loop follows tensorboard/webapp/widgets/line_chart_v2/data_transformer.ts: ``last`` starts
at 0; a non-finite value, or every value of a constant series, is passed through unsmoothed;
otherwise ``last = last * w + (1 - w) * y`` and the point is ``last / (1 - w ** n)`` for the
n-th finite value.
"""

from __future__ import annotations

import numpy as np
import pytest

from lossboard.errors import UsageError
from lossboard.server.smoothing import ema, moving_mean, smooth


def classic_smoothing(values: list[float], weight: float) -> list[float]:
    constant = all(v == values[0] for v in values)
    last, count, out = 0.0, 0, []
    for value in values:
        if constant or not np.isfinite(value):
            out.append(value)
            continue
        last = last * weight + (1 - weight) * value
        count += 1
        out.append(last / (1 - weight**count) if weight != 1 else last)
    return out


@pytest.mark.parametrize("weight", [0.0, 0.25, 0.6, 0.9, 0.99, 0.999])
def test_ema_gives_tensorboards_numbers(weight: float) -> None:
    rng = np.random.default_rng(7)
    values = np.cumsum(rng.normal(size=30_000)) + 5.0  # several blocks of the vectorised form
    values[[3, 4000, 12_345]] = [np.nan, np.inf, -np.inf]
    expected = np.array(classic_smoothing(values.tolist(), weight))
    got = ema(values, weight)
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=0)  # equal_nan; inf == inf
    assert got[4000] == np.inf and np.isnan(got[3])


def test_ema_leaves_a_constant_series_and_its_input_alone() -> None:
    values = np.full(5, 0.25)
    assert ema(values, 0.6).tolist() == [0.25] * 5
    noisy = np.array([1.0, 3.0, 2.0])
    ema(noisy, 0.6)
    assert noisy.tolist() == [1.0, 3.0, 2.0]


def test_ema_of_only_non_finite_values_is_them() -> None:
    got = ema(np.array([np.nan, np.inf]), 0.6)
    assert np.isnan(got[0]) and got[1] == np.inf


def test_moving_mean_over_the_finite_values_before_each() -> None:
    got = moving_mean(np.array([1.0, 3.0, np.nan, 5.0, 7.0]), 2)
    assert got[[0, 1, 3, 4]].tolist() == [1.0, 2.0, 4.0, 6.0]
    assert np.isnan(got[2])


@pytest.mark.parametrize(
    ("method", "options", "says"),
    [("ema", {"weight": 1.0}, "in [0, 1)"), ("mean", {"window": 0}, "at least 1"), ("gauss", {}, "not one of")],
)
def test_bad_settings_say_what_is_allowed(method: str, options: dict, says: str) -> None:
    with pytest.raises(UsageError, match=says.replace("[", r"\[").replace("(", r"\(").replace(")", r"\)")):
        smooth(np.array([1.0]), method, **options)
