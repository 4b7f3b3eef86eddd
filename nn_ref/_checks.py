"""Shape and value checks with messages that name the expected and the actual shape.

Nothing in nn-ref is silently broadcast: a ``(m,)`` label vector where ``(1, m)`` is expected
is an error, not a quiet outer product.
"""


def check_shape(name, array, expected):
    """Raise ValueError unless ``array.shape == expected``; ``None`` in ``expected`` matches any size.

    Example message: ``Y: expected shape (1, 5), got (5,)``.
    """
    shape = getattr(array, "shape", None)
    if shape is None:
        raise ValueError(f"{name}: expected an array of shape {_fmt(expected)}, got {type(array).__name__}")
    shape = tuple(shape)
    if len(shape) != len(expected) or any(e is not None and e != s for e, s in zip(expected, shape)):
        raise ValueError(f"{name}: expected shape {_fmt(expected)}, got {shape}")


def check_choice(name, value, choices):
    """Raise ValueError unless ``value`` is one of ``choices``."""
    if value not in choices:
        raise ValueError(f"{name}: expected one of {tuple(choices)}, got {value!r}")


def _fmt(expected):
    return "(" + ", ".join("any" if e is None else str(e) for e in expected) + ("," if len(expected) == 1 else "") + ")"


# ----------------------------------------------------------------------------- values, not only shapes
FLOAT_DTYPES = ("float32", "float64")


def check_float(name, array):
    """Raise TypeError unless ``array`` is a float32 or float64 array (int truncates, bool/complex/object
    have no gradient, float16 has no kernel)."""
    dtype = getattr(array, "dtype", None)
    if dtype is None or str(dtype) not in FLOAT_DTYPES:
        got = type(array).__name__ if dtype is None else f"dtype {dtype}"
        raise TypeError(f"{name}: expected a float32 or float64 array, got {got}")


def check_finite(name, array):
    """Raise ValueError if ``array`` holds NaN or inf, naming the index of the first bad entry and its value
    (one pass over the data: call it once per call, at the boundary)."""
    import numpy as np

    a = np.asarray(array)
    if a.dtype.kind in "fc" and not np.all(np.isfinite(a)):
        index = tuple(int(i) for i in np.argwhere(~np.isfinite(a))[0])
        raise ValueError(f"{name}: expected finite values, got {a[index]} at index {index}")


def check_positive_finite(name, value):
    """Raise ValueError unless ``value`` is a real number > 0 and finite (learning rates, eps, ...)."""
    import math

    try:
        ok = math.isfinite(float(value)) and float(value) > 0
    except (TypeError, ValueError):
        ok = False
    if not ok or isinstance(value, bool):
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
        raise ValueError(f"layer_dims: expected a list of positive integers [n0, ..., nL], got {layer_dims!r}") from None
    if len(dims) < 2:
        raise ValueError(f"layer_dims: expected at least two positive sizes [n0, ..., nL], got {dims}")
    for l, n in enumerate(dims):
        check_positive_int(f"layer_dims[{l}]", n)
    return [int(n) for n in dims]
