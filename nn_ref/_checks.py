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
