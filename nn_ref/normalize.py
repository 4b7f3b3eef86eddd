"""Input normalization [Normalizing Input Data].

For feature j (row j of X, X: (n[0], m), one sample per column):

    min-max:          x_ij <- (x_ij - min_j) / (max_j - min_j)          into [0, 1] on the training set
    standardization:  x_ij <- (x_ij - mean_j) / std_dev_j               mean 0, std 1 on the training set

The slide's rule: the normalization parameters are computed on the *training* data (``fit``) and
the same parameters are applied to train and test data alike (``transform``). A constant feature would
divide by zero, or by a rounding error: a feature whose spread max_j - min_j is within rounding of its
magnitude (<= CONSTANT_TOL * max |x_j|) is constant, its scale is taken as 1, and it maps to 0 (or to its
rounding noise, never to +-1.4). ``fit``, ``transform`` and ``inverse_transform`` accept the same data: real
values (lists and ints converted to float64; complex, object, NaN, inf refused), n[0] rows.

    scaler = StandardScaler().fit(X_train)
    X_train_n, X_test_n = scaler.transform(X_train), scaler.transform(X_test)
"""

import numpy as np

from nn_ref._checks import check_data, check_real, checked

CONSTANT_TOL = 64 * np.finfo(np.float64).eps  # relative spread below which a feature is constant (~14 digits)


class Data:
    """X (n[0], m): real values (lists and ints are converted to float64; complex, object, NaN, inf refused),
    m >= 1. ``fitted``: the scaler must be fitted, and X must have its n[0] rows (transform, inverse_transform)."""

    def __init__(self, fitted=False):
        self.fitted = fitted

    def __repr__(self):
        return "(n0, m) real, finite" + (", n0 of the fitted scaler" if self.fitted else "")

    def check(self, name, X, state, read):
        n = None
        if self.fitted:
            scaler = read("self")
            if scaler.shift is None:
                raise ValueError(f"{type(scaler).__name__}: call fit(X_train) before transform")
            n = scaler.shift.shape[0]
        check_real(name, X)
        check_data(name, np.asarray(X, dtype=np.float64), n)


DATA, FITTED = Data(), Data(fitted=True)


class _Scaler:
    """Shared part: x_ij <- (x_ij - shift_j) / scale_j with shift, scale of shape (n[0], 1).
    Each scaler below defines ``_stats(X) -> (shift, scale)``."""

    shift = scale = None

    @checked(X=DATA)
    def fit(self, X):
        """Compute the per-feature parameters from training data X (n[0], m). Returns self."""
        X = np.asarray(X, dtype=np.float64)
        shift, scale = self._stats(X)
        self.shift = shift
        # a constant feature gets scale 1: no division by zero, nor by a rounding-error std (the mean of
        # equal floats can be off by an ulp; values one ulp apart have a std of rounding noise)
        lo, hi = X.min(axis=1, keepdims=True), X.max(axis=1, keepdims=True)
        constant = hi - lo <= CONSTANT_TOL * np.maximum(np.abs(lo), np.abs(hi))
        self.scale = np.where(constant | (scale <= 0), 1.0, scale)
        return self

    @checked(X=FITTED)
    def transform(self, X):
        """(X - shift) / scale with the training parameters; X: (n[0], m') for any m'."""
        X = np.asarray(X, dtype=np.float64)
        return (X - self.shift) / self.scale

    @checked(X_normalized=FITTED)
    def inverse_transform(self, X_normalized):
        """X = X_normalized * scale + shift (undoes ``transform``)."""
        X = np.asarray(X_normalized, dtype=np.float64)
        return X * self.scale + self.shift

    @checked(X=DATA)
    def fit_transform(self, X):
        """fit(X) then transform(X)."""
        return self.fit(X).transform(X)


class MinMaxScaler(_Scaler):
    """x <- (x - min_j) / (max_j - min_j); shift = min_j, scale = max_j - min_j (1 if 0), both (n[0], 1)."""

    def _stats(self, X):
        lo, hi = X.min(axis=1, keepdims=True), X.max(axis=1, keepdims=True)
        return lo, hi - lo


class StandardScaler(_Scaler):
    """x <- (x - mean_j) / std_j (population std, 1/m); shift = mean_j, scale = std_j (1 if 0), both (n[0], 1)."""

    def _stats(self, X):
        return X.mean(axis=1, keepdims=True), X.std(axis=1, keepdims=True)


SCALERS = {"minmax": MinMaxScaler, "standard": StandardScaler}
