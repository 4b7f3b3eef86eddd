"""Input normalization: parameters from the training set only, applied to any data; constant features."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from nn_ref.normalize import MinMaxScaler, StandardScaler

finite = st.floats(-1e3, 1e3, allow_nan=False)


@settings(max_examples=25, deadline=None)
@given(X=arrays(np.float64, st.tuples(st.integers(1, 4), st.integers(2, 12)), elements=finite))
def test_round_trip_and_training_statistics(X):
    for scaler in (MinMaxScaler(), StandardScaler()):
        Xn = scaler.fit_transform(X)
        assert np.all(np.isfinite(Xn))
        np.testing.assert_allclose(scaler.inverse_transform(Xn), X, rtol=1e-9, atol=1e-9)
    Xm = MinMaxScaler().fit_transform(X)
    assert Xm.min() >= -1e-12 and Xm.max() <= 1 + 1e-12
    Xs = StandardScaler().fit_transform(X)
    np.testing.assert_allclose(Xs.mean(axis=1), 0, atol=1e-9)


def test_fit_on_train_only_then_apply_to_test():
    rng = np.random.default_rng(0)
    X_train = rng.normal(5.0, 3.0, size=(3, 200))
    X_test = rng.normal(7.0, 1.0, size=(3, 50))  # a different distribution
    s = StandardScaler().fit(X_train)
    np.testing.assert_allclose(s.shift[:, 0], X_train.mean(axis=1), rtol=1e-14)
    np.testing.assert_allclose(s.scale[:, 0], X_train.std(axis=1), rtol=1e-14)
    T = s.transform(X_test)
    np.testing.assert_allclose(T, (X_test - X_train.mean(axis=1, keepdims=True)) / X_train.std(axis=1, keepdims=True))
    assert abs(T.mean()) > 0.3  # the test set is NOT re-centred
    mm = MinMaxScaler().fit(X_train)
    T = mm.transform(X_test)
    lo, hi = X_train.min(axis=1, keepdims=True), X_train.max(axis=1, keepdims=True)
    np.testing.assert_allclose(T, (X_test - lo) / (hi - lo))
    s.fit(X_train[:, :10])  # refitting replaces the parameters
    np.testing.assert_allclose(s.shift[:, 0], X_train[:, :10].mean(axis=1))


def test_constant_feature_maps_to_zero_without_division_by_zero():
    X = np.array([[3.0, 3.0, 3.0], [1.0, 2.0, 3.0]])
    with np.errstate(all="raise"):
        for scaler in (MinMaxScaler(), StandardScaler()):
            Xn = scaler.fit_transform(X)
            np.testing.assert_allclose(Xn[0], 0.0, atol=1e-12)
            np.testing.assert_allclose(scaler.inverse_transform(Xn), X)


def test_shape_errors_and_unfitted():
    with pytest.raises(ValueError, match="fit"):
        StandardScaler().transform(np.zeros((2, 3)))
    s = MinMaxScaler().fit(np.zeros((2, 3)))
    with pytest.raises(ValueError, match=r"expected shape \(2, any\), got \(3, 4\)"):
        s.transform(np.zeros((3, 4)))
    with pytest.raises(ValueError, match="expected shape"):
        s.transform(np.zeros(2))


def test_a_feature_one_ulp_wide_is_constant_regression():
    """Hypothesis found it: two values one ulp apart have a std of rounding noise, which used to scale to 1.414."""
    from nn_ref.normalize import MinMaxScaler, StandardScaler

    X = [[-1000.0, np.nextafter(-1000.0, 0)]]
    for scaler in (StandardScaler(), MinMaxScaler()):
        out = scaler.fit_transform(X)
        assert np.abs(out).max() < 1e-12, (type(scaler).__name__, out)
        assert scaler.scale[0, 0] == 1.0
    # a real, small spread is still scaled: values agreeing to 10 digits are not constant
    out = StandardScaler().fit_transform([[1000.0, 1000.0 + 1e-7]])
    np.testing.assert_allclose(out, [[-1.0, 1.0]], rtol=1e-5)


def test_transform_is_as_strict_as_fit():
    from nn_ref.normalize import StandardScaler

    s = StandardScaler().fit(np.arange(6.0).reshape(2, 3))
    for bad, exc, words in (
        (np.ones((2, 2)) * 1j, TypeError, "complex128"),
        (np.array([[np.nan, 1.0], [1.0, 2.0]]), ValueError, "finite"),
        (np.ones((3, 2)), ValueError, "(2, any)"),
        (np.ones((2, 0)), ValueError, "m >= 1"),
    ):
        for method in (s.transform, s.inverse_transform):
            with pytest.raises(exc, match="^X(_normalized)?: ") as info:
                method(bad)
            assert words in str(info.value)
