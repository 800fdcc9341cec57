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
from lossboard.server.smoothing import ema, moving_mean, smooth, time_ema


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


@pytest.mark.parametrize("gap", [1, 7, 1000])
def test_time_ema_of_evenly_spaced_points_is_tensorboards_ema(gap: int) -> None:
    """Each gap halves a weight ``gap / half_life`` times: TensorBoard's weight 2**(-gap / half_life)."""
    rng = np.random.default_rng(3)
    values = np.cumsum(rng.normal(size=20_000)) + 5.0
    steps = 100 + gap * np.arange(len(values))
    expected = np.array(classic_smoothing(values.tolist(), 2 ** (-gap / (40 * gap))))
    np.testing.assert_allclose(time_ema(values, steps, 40 * gap), expected, rtol=1e-9)


@pytest.mark.parametrize("after_every", [1, 50])
def test_time_ema_does_not_bend_where_logging_gets_sparse(after_every: int) -> None:
    """A level shift from 0 to 1 at step 5,000, logged every step before it and every step or
    every 50 steps after: one half-life (500 steps) on, the curve stands at the share of the
    decayed weight the 1s hold, ``(1 - 2**-(501/500)) / (1 - 2**-(5501/500))``, the 1s counted
    from step 4,999 (the point at 5,000 holds back to it), whatever the spacing after."""
    steps = np.concatenate([np.arange(0, 5000), np.arange(5000, 5501, after_every)])
    values = (steps >= 5000).astype(float)
    got = time_ema(values, steps, 500.0)
    expected = (1 - 2 ** (-501 / 500)) / (1 - 2 ** (-5501 / 500))
    assert got[steps == 5500][0] == pytest.approx(expected, rel=1e-9)
    if after_every > 1:  # a decay per point instead lags 50x longer on the sparse part
        assert abs(ema(values, 2 ** (-1 / 500))[steps == 5500][0] - expected) > 0.3


def test_time_ema_passes_non_finite_values_and_a_constant_series() -> None:
    got = time_ema(np.array([1.0, np.nan, 3.0, np.inf]), np.array([0, 1, 2, 3]), 1.0)
    assert got[0] == 1.0 and np.isnan(got[1]) and got[3] == np.inf
    # the NaN does not count: 3 holds (0, 2], and 1 holds the first finite gap before it, [-2, 0]
    held = {1.0: 2**-2 - 2**-4, 3.0: 1 - 2**-2}
    assert got[2] == pytest.approx(sum(v * w for v, w in held.items()) / sum(held.values()), rel=1e-12)
    assert time_ema(np.full(4, 0.25), np.array([0, 1, 5, 9]), 3.0).tolist() == [0.25] * 4


def weighted_average(values: list[float], steps: list[int], half_life: float) -> list[float]:
    """`time_ema` by its definition, one point at a time: each point weighs the steps back to
    the one before it (the first, the first gap), halved every ``half_life`` steps of age."""
    gaps = [steps[1] - steps[0]] + [b - a for a, b in zip(steps, steps[1:])]
    out = []
    for n in range(len(values)):
        weights = [(1 - 2 ** (-gaps[i] / half_life)) * 2 ** (-(steps[n] - steps[i]) / half_life) for i in range(n + 1)]
        out.append(sum(w * v for w, v in zip(weights, values)) / sum(weights))
    return out


def test_time_ema_over_long_pauses_and_repeated_steps_is_its_definition() -> None:
    """Pauses of thousands of half-lives (a resumed run) among dense stretches, a step logged
    twice, values of both signs and very different sizes: no overflow, no lost precision."""
    rng = np.random.default_rng(11)
    gaps = rng.choice([0, 1, 2, 3, 40, 5000], size=600, p=[0.02, 0.5, 0.2, 0.18, 0.08, 0.02])
    steps = 7 + np.cumsum(gaps)
    steps[0] = 7
    if steps[1] == steps[0]:
        steps[1] += 1
    values = rng.normal(size=600) * 10.0 ** rng.integers(-3, 6, size=600)
    expected = weighted_average(values.tolist(), steps.tolist(), 4.0)
    np.testing.assert_allclose(time_ema(values, steps, 4.0), expected, rtol=1e-9, atol=1e-9)


def test_time_ema_without_steps_counts_positions() -> None:
    values = np.array([1.0, 2.0, 4.0])
    np.testing.assert_allclose(smooth(values, "time_ema", window=2), time_ema(values, np.arange(3), 2), rtol=0)


def test_moving_mean_over_the_finite_values_before_each() -> None:
    got = moving_mean(np.array([1.0, 3.0, np.nan, 5.0, 7.0]), 2)
    assert got[[0, 1, 3, 4]].tolist() == [1.0, 2.0, 4.0, 6.0]
    assert np.isnan(got[2])


@pytest.mark.parametrize(
    ("method", "options", "says"),
    [("ema", {"weight": 1.0}, "in [0, 1)"), ("mean", {"window": 0}, "at least 1"), ("time_ema", {"window": 0}, "more than 0 steps"),
     ("gauss", {}, "not one of")],
)
def test_bad_settings_say_what_is_allowed(method: str, options: dict, says: str) -> None:
    with pytest.raises(UsageError, match=says.replace("[", r"\[").replace("(", r"\(").replace(")", r"\)")):
        smooth(np.array([1.0]), method, **options)
