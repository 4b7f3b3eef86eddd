"""Exercises for the lecture's "Neuron's Activation Functions" and "Activation Functions Derivatives":
sigmoid, sigmoid_backward, tanh_backward, relu_backward, softmax."""

import numpy as np

from nn_ref import activations
from nn_ref.exercises.core import Case, Exercise, H, _drawn, _fresh, _named, _register, _rng, _shape, _sig

# ---------------------------------------------------------------------------- activations


def _elementwise_derivative(g, Z, h=H):
    """g'(Z) entry by entry, central differences (g elementwise): (g(Z + h) - g(Z - h)) / 2h."""
    return (g(Z + h) - g(Z - h)) / (2 * h)


def _tanh(Z):
    return np.tanh(Z)


def _relu_mask(Z):
    return (Z > 0).astype(np.float64)


SIZES = ((3, 5), (5, 7), (1, 7), (4, 1))


def _activation_cases(seed, big=True, zeros=False):
    """(label, dA, Z) with odd shapes, m = 1 and one shape drawn from the seed; the last case has |Z| = 800."""
    cases = []
    for k, (n, m) in enumerate((*SIZES, _drawn(seed, 0))):
        rng = _rng(seed, k)
        Z = rng.standard_normal((n, m)) * 3
        if zeros and k == 1:
            Z[0, ::2] = 0.0  # the kink: g'(0) is taken as 0
        dA = rng.standard_normal((n, m))
        cases.append((f"Z {_shape(Z)}", dA, Z))
    if big:
        rng = _rng(seed, 99)
        Z = rng.standard_normal((3, 5)) * 3
        Z[0, :] = [800.0, -800.0, 750.0, -750.0, 40.0]
        cases.append(("Z (3, 5) with entries +-800", rng.standard_normal((3, 5)), Z))
    return cases


def _ref_sigmoid(Z):
    return activations.sigmoid(Z)


def _sigmoid_cases(seed):
    return [Case(label, _fresh(Z), {"Z": Z}, Z.shape[1]) for label, _, Z in _activation_cases(seed)]


def _sigmoid_hyp(case):
    Z = case.context["Z"]
    with np.errstate(all="ignore"):
        return [
            (
                "computed 1 / (1 + e^Z) = sigmoid(-Z): the exponent's sign is flipped (A = 1 / (1 + e^-Z))",
                {"A": _sig(-Z)},
            ),
            ("computed e^-Z / (1 + e^-Z) = 1 - sigmoid(Z)", {"A": 1 - _sig(Z)}),
            ("the cache must be Z itself (linear_activation_backward needs Z)", {"cache": _sig(Z)}),
        ]


_register(
    Exercise(
        "sigmoid",
        "sigmoid(Z) -> (A, cache)",
        "A = 1 / (1 + e^-Z), stable for any Z (no NaN at Z = +-800); cache = Z. Z, A: (n[l], m).",
        "Neuron's Activation Functions",
        "02_logistic_regression_neuron_activations",
        _ref_sigmoid,
        _sigmoid_cases,
        _named(("A", "cache")),
        _sigmoid_hyp,
        nan_hint="e^Z overflowed (Z = 800): use 1 / (1 + e^-Z) for Z >= 0 and e^Z / (1 + e^Z) for Z < 0, "
        "so the exp never sees a large positive argument",
    )
)


def _backward_cases(seed, zeros=False):
    return [
        Case(label, _fresh(dA, Z), {"dA": dA, "Z": Z}, Z.shape[1])
        for label, dA, Z in _activation_cases(seed, zeros=zeros)
    ]


def _activation_numeric(g, kink=False):
    def numeric(case):
        dA, Z = case.context["dA"], case.context["Z"]
        with np.errstate(all="ignore"):
            d = dA * _elementwise_derivative(g, Z)
        if kink:
            d[np.abs(Z) < 2 * H] = np.nan  # no derivative at the kink: not compared
        return {"dZ": d}

    return numeric


def _sigmoid_backward_hyp(case):
    dA, Z = case.context["dA"], case.context["Z"]
    s = _sig(Z)
    sA = _sig(s)
    with np.errstate(all="ignore"):
        return [
            (
                "used A where Z is needed: computed s(1 - s) with s = sigmoid(A) (the cache is Z; s = sigmoid(Z))",
                {"dZ": dA * sA * (1 - sA)},
            ),
            (
                "used Z where sigmoid(Z) is needed: computed Z (1 - Z) instead of s (1 - s), s = sigmoid(Z)",
                {"dZ": dA * Z * (1 - Z)},
            ),
            ("a wrong derivative formula: sigmoid'(Z) = s, but it is s (1 - s)", {"dZ": dA * s}),
            ("a wrong derivative formula: sigmoid'(Z) = 1 - s, but it is s (1 - s)", {"dZ": dA * (1 - s)}),
            (
                "a wrong derivative formula: sigmoid'(Z) = 1 - s^2 (that is tanh's form), but it is s (1 - s)",
                {"dZ": dA * (1 - s * s)},
            ),
            ("forgot to multiply by dA: dZ = dA * s (1 - s)", {"dZ": s * (1 - s)}),
        ]


_register(
    Exercise(
        "sigmoid_backward",
        "sigmoid_backward(dA, cache) -> dZ",
        "dZ = dA * s (1 - s) with s = sigmoid(Z), cache = Z. dA, Z, dZ: (n[l], m).",
        "Activation Functions Derivatives",
        "02_logistic_regression_neuron_activations",
        lambda dA, cache: activations.sigmoid_backward(dA, cache),
        _backward_cases,
        _named(("dZ",)),
        _sigmoid_backward_hyp,
        _activation_numeric(_sig),
        nan_hint="e^Z overflowed: compute s = sigmoid(Z) stably (see the sigmoid exercise) and use s (1 - s)",
    )
)


def _tanh_backward_hyp(case):
    dA, Z = case.context["dA"], case.context["Z"]
    t = np.tanh(Z)
    tA = np.tanh(t)
    return [
        (
            "used A where Z is needed: computed 1 - tanh(A)^2 with A = tanh(Z) (the cache is Z)",
            {"dZ": dA * (1 - tA * tA)},
        ),
        ("a wrong derivative formula: tanh'(Z) = 1 - tanh(Z), but it is 1 - tanh(Z)^2", {"dZ": dA * (1 - t)}),
        ("used Z where tanh(Z) is needed: computed 1 - Z^2 instead of 1 - tanh(Z)^2", {"dZ": dA * (1 - Z * Z)}),
        ("a wrong derivative formula: computed tanh(Z)^2 -- it is 1 - tanh(Z)^2", {"dZ": dA * t * t}),
        ("forgot to multiply by dA: dZ = dA * (1 - tanh(Z)^2)", {"dZ": 1 - t * t}),
    ]


_register(
    Exercise(
        "tanh_backward",
        "tanh_backward(dA, cache) -> dZ",
        "dZ = dA * (1 - tanh(Z)^2), cache = Z. dA, Z, dZ: (n[l], m).",
        "Activation Functions Derivatives",
        "06_vanishing_gradients_initialization",
        lambda dA, cache: activations.tanh_backward(dA, cache),
        _backward_cases,
        _named(("dZ",)),
        _tanh_backward_hyp,
        _activation_numeric(_tanh),
    )
)


def _relu_backward_hyp(case):
    dA, Z = case.context["dA"], case.context["Z"]
    return [
        ("missing activation mask: returned dA unchanged; dZ = dA * 1[Z > 0]", {"dZ": dA}),
        (
            "the mask is taken from dA (dA > 0) -- it must come from Z (the cache): dZ = dA * 1[Z > 0]",
            {"dZ": dA * (dA > 0)},
        ),
        ("returned the mask 1[Z > 0] without multiplying by dA", {"dZ": _relu_mask(Z)}),
        ("at Z = 0 nn-ref takes the derivative as 0: use Z > 0, not Z >= 0", {"dZ": dA * (Z >= 0)}),
        (
            "computed dA * Z where Z > 0 (that is relu(Z) * dA): the derivative of relu is 1, not Z",
            {"dZ": dA * np.maximum(Z, 0)},
        ),
    ]


_register(
    Exercise(
        "relu_backward",
        "relu_backward(dA, cache) -> dZ",
        "dZ = dA * 1[Z > 0] (the derivative at the kink Z = 0 is taken as 0), cache = Z. dA, Z, dZ: (n[l], m).",
        "Activation Functions Derivatives",
        "02_logistic_regression_neuron_activations",
        lambda dA, cache: activations.relu_backward(dA, cache),
        lambda s: _backward_cases(s, zeros=True),
        _named(("dZ",)),
        _relu_backward_hyp,
        _activation_numeric(lambda Z: np.maximum(Z, 0), kink=True),
    )
)


def _softmax_cases(seed):
    cases = [Case(label, _fresh(Z), {"Z": Z}, Z.shape[1]) for label, _, Z in _activation_cases(seed) if Z.shape[0] > 1]
    return cases


def _softmax_hyp(case):
    Z = case.context["Z"]
    with np.errstate(all="ignore"):
        e = np.exp(Z - Z.max(axis=1, keepdims=True))
        A1 = e / e.sum(axis=1, keepdims=True)
        eall = np.exp(Z - Z.max())
    return [
        (
            "normalized over the samples (axis=1): each column (one sample) must sum to 1 -- use axis=0",
            {"A": A1, "cache": A1},
        ),
        (
            "normalized over the whole array: each column (one sample) must sum to 1 -- sum over axis=0 "
            "with keepdims=True",
            {"A": eall / eall.sum(), "cache": eall / eall.sum()},
        ),
        ("the cache must be A (softmax_backward uses the output)", {"cache": Z}),
    ]


_register(
    Exercise(
        "softmax",
        "softmax(Z) -> (A, cache)",
        "A[k, i] = e^Z[k, i] / sum_j e^Z[j, i] per column (sample), stable for any Z; cache = A. Z, A: (n[L], m).",
        "Neuron's Activation Functions (softmax output)",
        "03_l_layer_forward",
        lambda Z: activations.softmax(Z),
        _softmax_cases,
        _named(("A", "cache")),
        _softmax_hyp,
        nan_hint="e^Z overflowed (Z = 800 gives inf / inf = NaN): subtract each column's max first, "
        "A = e^(Z - max Z) / sum e^(Z - max Z) (the same A, no overflow)",
    )
)
