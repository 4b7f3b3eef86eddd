"""Learning-rate schedules against their closed forms (t counts updates)."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nn_ref import schedules

T = st.integers(min_value=0, max_value=100_000)


@settings(max_examples=30, deadline=None)
@given(t=T, lr0=st.floats(1e-4, 1.0), gamma=st.floats(0.0, 0.5))
def test_inverse_and_exponential_closed_forms(t, lr0, gamma):
    assert schedules.inverse(lr0, gamma)(t) == pytest.approx(lr0 / (1 + gamma * t), rel=1e-12)
    assert schedules.exponential(lr0, gamma)(t) == pytest.approx(lr0 * math.exp(-gamma * t), rel=1e-12, abs=1e-300)


@settings(max_examples=30, deadline=None)
@given(t=st.integers(0, 300), max_t=st.integers(1, 200), power=st.sampled_from([1, 2, 0.5, 3]))
def test_polynomial_closed_form_floored_at_zero(t, max_t, power):
    lr = schedules.polynomial(0.1, max_t, power)(t)
    expected = 0.1 * (1 - t / max_t) ** power if t < max_t else 0.0
    assert lr == pytest.approx(expected, rel=1e-12, abs=0)
    assert lr >= 0


def test_polynomial_hits_zero_at_max_t_and_is_linear_for_power_1():
    p = schedules.polynomial(0.1, 100)
    assert p(100) == 0.0 and p(150) == 0.0
    assert p(50) == pytest.approx(0.05, rel=1e-14)
    assert schedules.polynomial(0.1, 100, power=2)(50) == pytest.approx(0.025, rel=1e-14)


def test_multistep_counts_milestones_at_or_before_t():
    s = schedules.multistep(0.1, [30, 60, 90], 0.1)
    values = s(np.arange(101))
    assert values[0] == 0.1 and values[29] == 0.1
    assert values[30] == pytest.approx(0.01, rel=1e-14)
    assert values[60] == pytest.approx(0.001, rel=1e-14)
    assert values[100] == pytest.approx(1e-4, rel=1e-14)
    assert np.count_nonzero(np.diff(values) != 0) == 3  # exactly three drops
    # the milestones may be given unsorted
    assert schedules.multistep(1.0, [90, 30], 0.5)(45) == 0.5


@settings(max_examples=30, deadline=None)
@given(t=st.integers(0, 400), t_max=st.integers(1, 300), lr_min=st.sampled_from([0.0, 1e-3]))
def test_cosine_closed_form(t, t_max, lr_min):
    lr = schedules.cosine(0.1, t_max, lr_min)(t)
    tc = min(t, t_max)
    assert lr == pytest.approx(lr_min + (0.1 - lr_min) * (1 + math.cos(math.pi * tc / t_max)) / 2, rel=1e-12, abs=1e-15)


def _smith(t, base, mx, step, mode, gamma=1.0):
    """Smith 2015's formula, written out with Python scalars."""
    cycle = math.floor(1 + t / (2 * step))
    x = abs(t / step - 2 * cycle + 1)
    scale = {"triangular": 1.0, "triangular2": 0.5 ** (cycle - 1), "exp_range": gamma**t}[mode]
    return base + (mx - base) * max(0.0, 1 - x) * scale


@settings(max_examples=30, deadline=None)
@given(t=st.integers(0, 12_000), mode=st.sampled_from(schedules.CYCLICAL_MODES))
def test_cyclical_matches_smith_2015(t, mode):
    s = schedules.cyclical(0.001, 0.006, 2000, mode=mode, gamma=0.99994)
    assert s(t) == pytest.approx(_smith(t, 0.001, 0.006, 2000, mode, 0.99994), rel=1e-12)


def test_cyclical_landmarks_and_triangular2_peaks():
    tri = schedules.cyclical(0.001, 0.006, 2000)
    assert tri(0) == pytest.approx(0.001, rel=1e-14)
    assert tri(2000) == pytest.approx(0.006, rel=1e-14)
    assert tri(4000) == pytest.approx(0.001, rel=1e-14)
    assert tri(1000) == pytest.approx(0.0035, rel=1e-14)
    tri2 = schedules.cyclical(0.001, 0.006, 2000, mode="triangular2")
    for k in (1, 2, 3):  # peak of cycle k = base + delta / 2^(k-1)
        assert tri2(2000 + 4000 * (k - 1)) == pytest.approx(0.001 + 0.005 / 2 ** (k - 1), rel=1e-14)


def test_triangular2_does_not_overflow_after_many_cycles():
    s = schedules.cyclical(0.001, 0.006, 10, mode="triangular2")
    t = np.array([10 + 20 * 1100, 10 + 20 * 5000, 10**9 + 10])  # far past 2^1024
    with np.errstate(all="raise"):
        values = s(t)
    assert np.all(np.isfinite(values))
    np.testing.assert_allclose(values, 0.001, rtol=1e-12)
    assert s(10**9 + 10) == pytest.approx(0.001, rel=1e-12)


def test_array_input_equals_scalar_calls():
    for s in (
        schedules.inverse(0.1, 0.1),
        schedules.cosine(0.1, 100),
        schedules.cyclical(0.1, 0.5, 7, "exp_range", 0.99),
    ):
        t = np.arange(0, 120, 7)
        np.testing.assert_array_equal(s(t), [s(int(k)) for k in t])


def test_bad_arguments_raise_clear_errors():
    with pytest.raises(ValueError, match="lr0"):
        schedules.inverse(-1, 0.1)
    with pytest.raises(ValueError, match="mode"):
        schedules.cyclical(0.1, 0.2, 10, mode="sawtooth")
    with pytest.raises(ValueError, match="max_lr"):
        schedules.cyclical(0.2, 0.1, 10)
    with pytest.raises(ValueError, match="t >= 0"):
        schedules.constant(0.1)(-1)
