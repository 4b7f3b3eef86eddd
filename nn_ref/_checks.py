"""Shape and value checks with messages that name what was expected and what was given.

Nothing in nn-ref is silently broadcast: a ``(m,)`` label vector where ``(1, m)`` is expected
is an error, not a quiet outer product. Nor is a wrong value silently computed with: the public functions
call these checks once, at their top (never inside a loop), for dtypes (float32/float64 only), finite data,
m >= 1, labels that fit the loss, sizes, learning rates and hyperparameters. A check that reads every entry
(``check_finite``, ``check_labels``) costs one pass over the array.
"""

import math

import numpy as np


def check_shape(name, array, expected):
    """Raise ValueError unless ``array.shape == expected``; ``None`` in ``expected`` matches any size.

    Example message: ``Y: expected shape (1, 5), got (5,)``.
    """
    shape = getattr(array, "shape", None)
    if shape is None:
        raise ValueError(f"{name}: expected an array of shape {_fmt(expected)}, got {type(array).__name__}")
    if len(shape) != len(expected):
        raise ValueError(f"{name}: expected shape {_fmt(expected)}, got {tuple(shape)}")
    for e, s in zip(expected, shape):
        if e is not None and e != s:
            raise ValueError(f"{name}: expected shape {_fmt(expected)}, got {tuple(shape)}")


def check_choice(name, value, choices):
    """Raise ValueError unless ``value`` is one of ``choices``."""
    if value not in choices:
        raise ValueError(f"{name}: expected one of {tuple(choices)}, got {value!r}")


def _fmt(expected):
    return "(" + ", ".join("any" if e is None else str(e) for e in expected) + ("," if len(expected) == 1 else "") + ")"


# ----------------------------------------------------------------------------- values, not only shapes
FLOAT_DTYPES = ("float32", "float64")
_FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def check_float(name, array):
    """Raise TypeError unless ``array`` is a float32 or float64 array (int truncates, bool/complex/object
    have no gradient, float16 has no kernel)."""
    dtype = getattr(array, "dtype", None)
    if dtype is None or dtype not in _FLOAT_DTYPES:
        got = type(array).__name__ if dtype is None else f"dtype {dtype}"
        raise TypeError(f"{name}: expected a float32 or float64 array, got {got}")


def check_dtype(name, dtype):
    """Raise TypeError unless ``dtype`` (an argument such as ``dtype=np.int64``) is float32 or float64."""
    try:
        ok = str(np.dtype(dtype)) in FLOAT_DTYPES
    except TypeError:
        ok = False
    if not ok:
        raise TypeError(f"{name}: expected float32 or float64, got {dtype!r}")


def check_real(name, array):
    """Raise TypeError unless ``array`` holds real numbers (bool, int or float) that convert to a float dtype;
    complex (the imaginary part would be dropped), object and strings are refused."""
    a = np.asarray(array)
    if a.dtype.kind not in "biuf":
        raise TypeError(f"{name}: expected an array of real numbers, got dtype {a.dtype}")


def _on_host(array):
    """True for a host NumPy array: values are checked there; a device array is already inside a backend."""
    return isinstance(array, np.ndarray)


def check_finite(name, array):
    """Raise ValueError if ``array`` holds NaN or inf, naming the index of the first bad entry and its value
    (one pass over the data: call it once per call, at the boundary; device arrays are not copied back)."""
    if hasattr(array, "copy_to_host"):  # a GPU array: checked on the host before it went there
        return
    a = np.asarray(array)
    if a.dtype.kind in "fc" and not np.isfinite(a).all():
        index = tuple(int(i) for i in np.argwhere(~np.isfinite(a))[0])
        raise ValueError(f"{name}: expected finite values, got {a[index]} at index {index}")


def check_positive_finite(name, value):
    """Raise ValueError unless ``value`` is a real number > 0 and finite (learning rates, eps, ...)."""
    try:
        ok = math.isfinite(float(value)) and float(value) > 0
    except (TypeError, ValueError):
        ok = False
    if not ok or isinstance(value, (bool, str)):
        raise ValueError(f"{name}: expected a positive finite number, got {value!r}")


def check_learning_rate(learning_rate, t=None):
    """Raise ValueError unless the learning rate (at update ``t``, for a schedule) is positive and finite."""
    where = "" if t is None else f" (the schedule's value at update t = {t})"
    try:
        check_positive_finite("learning_rate", learning_rate)
    except ValueError:
        raise ValueError(f"learning_rate: expected a positive finite number, got {learning_rate!r}{where}") from None


def check_positive_int(name, value, minimum=1):
    """Raise ValueError unless ``value`` is an integer >= ``minimum`` (2.7, True, "3" are refused)."""
    import numbers

    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ValueError(f"{name}: expected an integer >= {minimum}, got {value!r}")


def check_layer_dims(layer_dims):
    """Raise ValueError unless ``layer_dims`` is at least two positive integers [n0, n1, ..., nL]."""
    try:
        dims = list(layer_dims)
    except TypeError:
        raise ValueError(
            f"layer_dims: expected a list of positive integers [n0, ..., nL], got {layer_dims!r}"
        ) from None
    if len(dims) < 2:
        raise ValueError(f"layer_dims: expected at least two positive sizes [n0, ..., nL], got {dims}")
    for l, n in enumerate(dims):
        check_positive_int(f"layer_dims[{l}]", n)
    return [int(n) for n in dims]


def check_gradients(parameters, grads):
    """Raise unless ``grads`` holds "d" + key for every parameter key, a float array of that parameter's shape."""
    for key, param in parameters.items():
        if "d" + key not in grads:
            raise ValueError(f"grads: expected 'd{key}' for parameter {key!r}, got keys {sorted(grads)}")
        check_shape(f"d{key}", grads["d" + key], param.shape)
        check_float(f"d{key}", grads["d" + key])


def check_range(name, value, low, high, high_closed=False):
    """Raise ValueError unless ``low <= value < high`` (``<= high`` with ``high_closed``); NaN is refused."""
    try:
        v = float(value)
        ok = low <= v and (v <= high if high_closed else v < high) and not isinstance(value, bool)
    except (TypeError, ValueError):
        ok = False
    if not ok:
        raise ValueError(f"{name}: expected a number in [{low:g}, {high:g}{']' if high_closed else ')'}, got {value!r}")


def check_samples(name, array):
    """Raise ValueError unless ``array`` (n, m) has at least one sample: m >= 1 columns."""
    if array.shape[1] < 1:
        raise ValueError(f"{name}: expected at least one sample (m >= 1 columns), got shape {tuple(array.shape)}")


def check_data(name, array, n=None):
    """The checks of a data array at the boundary: shape (n, m) with m >= 1 (``n=None``: any rows), float32 or
    float64, every value finite. One pass over the data (host arrays only)."""
    check_shape(name, array, (n, None))
    check_float(name, array)
    check_samples(name, array)
    check_finite(name, array)


ONE_HOT_TOL = 1e-4  # how far a one-hot column's sum may be from 1 (float32 soft labels round)


def check_labels(name, Y, loss):
    """Raise ValueError unless labels ``Y`` (n[L], m) fit ``loss``: values in [0, 1] (0/1 classes) for
    cross_entropy; columns of values >= 0 summing to 1 (one-hot) for categorical_cross_entropy; any finite
    real for mse and l1. Names the first bad entry or column (host arrays only; Y.min() and Y.max() prove the
    range, and only a Y out of range, or holding NaN, is searched entry by entry)."""
    if not _on_host(Y) or loss not in ("cross_entropy", "categorical_cross_entropy"):
        return
    if not (Y.size and Y.min() >= 0 and Y.max() <= 1):
        bad = np.argwhere(~((Y >= 0) & (Y <= 1)))
        if len(bad):
            index = tuple(int(i) for i in bad[0])
            want = "0/1 labels (values in [0, 1])" if loss == "cross_entropy" else "one-hot columns (values in [0, 1])"
            raise ValueError(f"{name}: {loss} expects {want}, got {Y[index]} at index {index}")
    if loss == "categorical_cross_entropy":
        sums = Y.sum(axis=0)
        off = np.abs(sums - 1) > ONE_HOT_TOL
        if off.any():
            j = int(off.argmax())
            raise ValueError(
                f"{name}: categorical_cross_entropy expects one-hot columns (summing to 1), "
                f"got column {j} summing to {sums[j]:g}"
            )
