"""Exercises with a checker that names the bug (the notebooks in ``notebooks/`` use it).

A student writes one of nn-ref's functions, with nn-ref's signature, and checks it::

    from nn_ref.exercises import check, exercise

    @exercise("relu_backward")            # with NN_REF_SOLUTIONS=1 (CI) this becomes nn-ref's own function
    def relu_backward(dA, cache):
        Z = cache
        return dA * (Z > 0)

    check("relu_backward", relu_backward)   # -> CheckResult: .passed, .message, shown as a report

``check`` runs the function on several seeded cases (m > 1, odd sizes 3, 5, 7, large |Z| such as
+-800 where an exp can overflow), compares every output with nn-ref's own function and, for the
backward exercises, with central differences in float64. When an output differs, the checker tests
the student's numbers against planted-bug hypotheses and names the likely bug: off by a factor of m
(a forgotten or doubled 1/m), a transposed array, a sign flip, a missing activation mask, A used
where Z is needed, db of shape (n,) instead of (n, 1), a known wrong derivative formula, NaN from an
unstable exp or log(0), an exception in the student's code -- otherwise the worst entry, its index,
and the expected and computed values.

Gradient convention (nn-ref's, the deeplearning.ai one): dZ[l] and dA[l] are m times dJ/dZ[l],
dJ/dA[l]; the 1/m appears once, in dW[l] = (1/m) dZ[l] A[l-1]^T and db[l] = (1/m) sum_i dZ[l].

``EXERCISES`` maps each exercise name to its ``Exercise`` (signature, description, slide, notebook);
``reference(name)`` is nn-ref's own implementation with the exercise's signature.
"""

import linecache
import os
import traceback
import warnings
from dataclasses import dataclass, field

import numpy as np

from nn_ref import activations, batchnorm, losses, network, optim, schedules
from nn_ref.backend import use_backend  # the references compute with "numpy": deterministic, no JIT start-up

SOLUTIONS_ENV = "NN_REF_SOLUTIONS"
RTOL = 1e-6  # student vs reference: both are float64 evaluations of the same formula
GRAD_TOL = 1e-7  # student vs central differences: ||g - g_num|| / (||g|| + ||g_num||)
H = 1e-5  # central-difference step


def solutions_mode():
    """True when $NN_REF_SOLUTIONS is "1": exercises are filled with nn-ref's functions and a
    failing check raises (how CI executes the notebooks)."""
    return os.environ.get(SOLUTIONS_ENV) == "1"


# ============================================================================ results


class ExerciseFailed(AssertionError):
    """Raised by ``check`` in solutions mode (CI) when a check fails."""


@dataclass
class CheckResult:
    """The outcome of ``check(name, fn)``: ``passed`` (bool), ``message`` (what is wrong, in words)."""

    name: str
    passed: bool
    message: str
    cases: int = 0

    def __bool__(self):
        return self.passed

    def __str__(self):
        return f"{'PASSED' if self.passed else 'FAILED'} {self.name}: {self.message}"

    __repr__ = __str__

    def _repr_markdown_(self):
        mark = "&#x2705; **passed**" if self.passed else "&#x274C; **failed**"
        return f"{mark} `{self.name}` -- {_markdown_text(self.message)}"


def _markdown_text(text):
    """text with Markdown's special characters escaped outside `code` spans (dA * 1[Z > 0] stays as is)."""
    parts = text.split("`")
    for i in range(0, len(parts), 2):
        parts[i] = "".join("\\" + ch if ch in "\\*_[]<>#|~" else ch for ch in parts[i])
    return "`".join(parts)


class _Structure(Exception):
    """The student's return value has the wrong structure (message says what was expected)."""


# ============================================================================ exercises


@dataclass
class Case:
    """One seeded test case: ``make()`` returns fresh arguments (the student may modify them);
    ``context`` holds what the numeric check and the hypotheses need; ``m`` the number of samples."""

    label: str
    make: object
    context: dict = field(default_factory=dict)
    m: int = None


@dataclass
class Exercise:
    """One exercise: nn-ref's function ``reference`` with the signature the student writes."""

    name: str
    signature: str
    description: str
    slide: str
    notebook: str
    reference: object
    cases: object  # seed -> [Case]
    outputs: object  # (value, case) -> {name: array or float}
    hypotheses: object = None  # case -> [(diagnosis, {name: array})]
    numeric: object = None  # case -> {name: central-difference gradient}
    base: object = None  # case -> {name: array}: compare updates (new - old)
    nan_hint: str = "an exp overflowed or a log(0) was taken"
    explain: object = None  # (case, key, expected, got) -> str or None
    call: object = None  # (fn, args) -> value (default fn(*args))


EXERCISES = {}


def _register(ex):
    EXERCISES[ex.name] = ex
    return ex


def reference(name):
    """nn-ref's own implementation of exercise ``name``, with the exercise's signature."""
    return _get(name).reference


def exercise(name):
    """Decorator for a student's exercise function. Normally returns the function unchanged; with
    NN_REF_SOLUTIONS=1 (how CI runs the notebooks) it returns nn-ref's ``reference(name)`` instead."""
    ex = _get(name)

    def mark(fn):
        return ex.reference if solutions_mode() else fn

    return mark


def _get(name):
    if name not in EXERCISES:
        raise ValueError(f"exercise: expected one of {', '.join(EXERCISES)}, got {name!r}")
    return EXERCISES[name]


# ---------------------------------------------------------------------------- helpers


def _shape(a):
    if a.ndim == 0:
        return "scalar"
    if a.ndim == 1:
        return f"({a.shape[0]},)"
    return "(" + ", ".join(str(n) for n in a.shape) + ")"


def _tuple(value, names):
    """value as a tuple of len(names), or a _Structure error naming the expected return."""
    if len(names) == 1:
        return (value,)
    if not isinstance(value, (tuple, list)) or len(value) != len(names):
        got = (
            f"a {type(value).__name__} of length {len(value)}"
            if isinstance(value, (tuple, list))
            else f"{type(value).__name__}"
        )
        raise _Structure(f"expected to return a tuple ({', '.join(names)}), got {got}")
    return tuple(value)


def _named(names):
    """outputs function: the returned tuple's entries by name."""

    def outputs(value, case):
        return dict(zip(names, _tuple(value, names)))

    return outputs


def _dict_outputs(keys_of):
    """outputs function for a returned dict: the keys ``keys_of(case)`` are required."""

    def outputs(value, case):
        keys = keys_of(case)
        if not isinstance(value, dict):
            raise _Structure(f"expected to return a dict with keys {', '.join(keys)}, got {type(value).__name__}")
        missing = [k for k in keys if k not in value]
        if missing:
            raise _Structure(f"the returned dict lacks {', '.join(missing)} (expected keys {', '.join(keys)})")
        return {k: value[k] for k in keys}

    return outputs


def central_differences(f, x, h=H):
    """dJ/dx by central differences, (J(x + h e_i) - J(x - h e_i)) / 2h for every entry i: ``f()`` returns
    the scalar J, x is a float64 array of any shape (modified and restored in place); dJ/dx has x's shape."""
    g = np.zeros_like(x)
    it = np.nditer(x, flags=["multi_index"])
    for _ in it:
        i = it.multi_index
        old = x[i]
        x[i] = old + h
        fp = f()
        x[i] = old - h
        fm = f()
        x[i] = old
        g[i] = (fp - fm) / (2 * h)
    return g


def _elementwise_derivative(g, Z, h=H):
    """g'(Z) entry by entry, central differences (g elementwise): (g(Z + h) - g(Z - h)) / 2h."""
    return (g(Z + h) - g(Z - h)) / (2 * h)


def _rng(seed, k):
    return np.random.default_rng([seed, k])


def _fresh(*arrays):
    """make(): copies of the arrays (and the other arguments as they are)."""
    return lambda: tuple(a.copy() if isinstance(a, np.ndarray) else a for a in arrays)


def _sig(Z):
    return activations.sigmoid(Z, backend="numpy")[0]


def _tanh(Z):
    return np.tanh(Z)


def _relu_mask(Z):
    return (Z > 0).astype(np.float64)


SIZES = ((3, 5), (5, 7), (1, 7), (7, 3))


def _activation_cases(seed, big=True, zeros=False):
    """(label, dA, Z) with odd shapes and m > 1; the last case has |Z| = 800 entries."""
    cases = []
    for k, (n, m) in enumerate(SIZES):
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


# ---------------------------------------------------------------------------- activations


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


# ---------------------------------------------------------------------------- linear layer


LINEAR_SIZES = ((3, 5, 7), (5, 3, 5), (1, 7, 3), (7, 1, 9))  # (n[l], n[l-1], m)


def _linear_data(seed):
    out = []
    for k, (n, n_prev, m) in enumerate(LINEAR_SIZES):
        rng = _rng(seed, k)
        out.append(
            (
                rng.standard_normal((n_prev, m)),
                rng.standard_normal((n, n_prev)),
                rng.standard_normal((n, 1)),
                rng.standard_normal((n, m)),
            )
        )
    return out


def _linear_forward_cases(seed):
    return [
        Case(f"A_prev {_shape(A)}, W {_shape(W)}", _fresh(A, W, b), {"A_prev": A, "W": W, "b": b}, A.shape[1])
        for A, W, b, _ in _linear_data(seed)
    ]


def _linear_forward_outputs(value, case):
    Z, cache = _tuple(value, ("Z", "cache"))
    cache = _tuple(cache, ("A_prev", "W", "b"))
    return {"Z": Z, "cache[0] (A_prev)": cache[0], "cache[1] (W)": cache[1], "cache[2] (b)": cache[2]}


def _linear_forward_hyp(case):
    A, W, b = case.context["A_prev"], case.context["W"], case.context["b"]
    return [
        ("forgot the bias: Z = W A_prev + b", {"Z": W @ A}),
        ("subtracted the bias: Z = W A_prev + b", {"Z": W @ A - b}),
    ]


_register(
    Exercise(
        "linear_forward",
        "linear_forward(A_prev, W, b) -> (Z, cache)",
        "Z = W A_prev + b; cache = (A_prev, W, b). A_prev: (n[l-1], m), W: (n[l], n[l-1]), b: (n[l], 1), Z: (n[l], m).",
        "Forward Propagation",
        "03_l_layer_forward",
        lambda A_prev, W, b: network.linear_forward(A_prev, W, b),
        _linear_forward_cases,
        _linear_forward_outputs,
        _linear_forward_hyp,
    )
)


def _linear_backward_cases(seed):
    return [
        Case(
            f"dZ {_shape(dZ)}, A_prev {_shape(A)}, W {_shape(W)}",
            (lambda dZ=dZ, A=A, W=W, b=b: (dZ.copy(), (A.copy(), W.copy(), b.copy()))),
            {"dZ": dZ, "A_prev": A, "W": W, "b": b},
            A.shape[1],
        )
        for A, W, b, dZ in _linear_data(seed)
    ]


def _linear_backward_numeric(case):
    dZ, A, W, b = (case.context[k].copy() for k in ("dZ", "A_prev", "W", "b"))
    m = A.shape[1]

    def J():  # the J whose m * dJ/dZ is dZ: J = (1/m) sum dZ * (W A_prev + b)
        return float((dZ * (W @ A + b)).sum() / m)

    return {"dA_prev": m * central_differences(J, A), "dW": central_differences(J, W), "db": central_differences(J, b)}


def _linear_backward_hyp(case):
    dZ, A, W = case.context["dZ"], case.context["A_prev"], case.context["W"]
    m = A.shape[1]
    return [
        (
            "dA_prev got a 1/m: in nn-ref's convention dA_prev = W^T dZ (the 1/m goes into dW and db only) "
            "-- off by a factor of m",
            {"dA_prev": W.T @ dZ / m},
        ),
        (
            "db summed over the units (axis=0) instead of the samples (axis=1)",
            {"db": dZ.sum(axis=0, keepdims=True) / m},
        ),
    ]


_register(
    Exercise(
        "linear_backward",
        "linear_backward(dZ, cache) -> (dA_prev, dW, db)",
        "dW = (1/m) dZ A_prev^T; db = (1/m) sum_i dZ[:, i] (shape (n[l], 1)); dA_prev = W^T dZ; "
        "cache = (A_prev, W, b). dZ: (n[l], m), dA_prev: (n[l-1], m), dW: (n[l], n[l-1]).",
        "Backward Propagation - Parameter Updates",
        "04_cost_backprop_graphs",
        lambda dZ, cache: network.linear_backward(dZ, cache),
        _linear_backward_cases,
        _named(("dA_prev", "dW", "db")),
        _linear_backward_hyp,
        _linear_backward_numeric,
    )
)


# ---------------------------------------------------------------------------- costs


def _cost_cases(seed):
    cases = []
    for k, (n, m) in enumerate(((1, 5), (1, 7), (3, 5))):
        rng = _rng(seed, k)
        AL = _sig(rng.standard_normal((n, m)) * 2)
        Y = (rng.random((n, m)) < 0.5).astype(np.float64)
        cases.append(Case(f"AL {_shape(AL)}", _fresh(AL, Y), {"AL": AL, "Y": Y}, m))
    AL = np.array([[1.0, 0.0, 0.8, 0.3, 1.0]])
    Y = np.array([[1.0, 0.0, 1.0, 0.0, 1.0]])
    cases.append(
        Case("AL (1, 5) with confident predictions AL = 1 and 0 (right ones)", _fresh(AL, Y), {"AL": AL, "Y": Y}, 5)
    )
    return cases


def _cost_hyp(case):
    AL, Y = case.context["AL"], case.context["Y"]
    m = AL.shape[1]
    with np.errstate(all="ignore"):
        a = np.maximum(AL, np.finfo(float).tiny)
        b = np.maximum(1 - AL, np.finfo(float).tiny)
        return [
            ("the (1 - y) log(1 - a) term is missing", {"J": float(-(Y * np.log(a)).sum() / m)}),
            ("the y log a term is missing", {"J": float(-((1 - Y) * np.log(b)).sum() / m)}),
            ("log(1 - a) and log(a) are swapped", {"J": float(-(Y * np.log(b) + (1 - Y) * np.log(a)).sum() / m)}),
        ]


def _cost_outputs(value, case):
    J = np.asarray(value, dtype=np.float64) if not isinstance(value, tuple) else None
    if J is None or J.size != 1:
        what = f"shape {J.shape}" if J is not None else "a tuple"
        raise _Structure(f"expected to return the cost J as one number, got {what} (sum over all entries)")
    return {"J": float(J.reshape(()))}


_register(
    Exercise(
        "compute_cost",
        "compute_cost(AL, Y) -> J",
        "J = -(1/m) sum [y log a + (1 - y) log(1 - a)] (binary cross-entropy), never log(0). AL, Y: (n[L], m); "
        "J a float.",
        "Forward Propagation - Cost Function",
        "04_cost_backprop_graphs",
        lambda AL, Y: network.compute_cost(AL, Y, "cross_entropy"),
        _cost_cases,
        _cost_outputs,
        _cost_hyp,
        nan_hint="log(0) was taken (AL = 1 with y = 1 gives 0 * log(0) = NaN): take the log of max(a, tiny) and "
        "max(1 - a, tiny), tiny = np.finfo(float).tiny",
    )
)


def _l2_cases(seed):
    cases = []
    for k, m in enumerate((5, 7, 3)):
        rng = _rng(seed, k)
        A, Y = rng.standard_normal((1, m)), rng.standard_normal((1, m))
        cases.append(Case(f"A {_shape(A)}", _fresh(A, Y), {"A": A, "Y": Y}, m))
    return cases


def _l2_numeric(case):
    A, Y = case.context["A"].copy(), case.context["Y"]
    return {"dA": central_differences(lambda: float(((Y - A) ** 2).sum()), A)}


def _l2_hyp(case):
    A, Y = case.context["A"], case.context["Y"]
    return [
        ("dL/dA = 2 (A - Y): the factor 2 is missing", {"dA": A - Y}),
        ("computed L1 = sum |y - f(x)|: L2 squares the residuals", {"L": float(np.abs(Y - A).sum())}),
        ("the L2 loss is the sum of squares, not its square root", {"L": float(np.sqrt(((Y - A) ** 2).sum()))}),
    ]


_register(
    Exercise(
        "l2_loss",
        "l2_loss(A, Y) -> (L, dA)",
        "L2 = sum_i (y_i - f(x_i))^2 (the slide's sum, no 1/m) and dL/dA = 2 (A - Y). A, Y, dA: (1, m); L a float.",
        "Loss Function",
        "01_ml_basics_linear_regression",
        lambda A, Y: losses.l2_loss(A, Y, reduction="sum"),
        _l2_cases,
        lambda v, c: dict(zip(("L", "dA"), (_cost_outputs(_tuple(v, ("L", "dA"))[0], c)["J"], v[1]))),
        _l2_hyp,
        _l2_numeric,
    )
)


# ---------------------------------------------------------------------------- the L-layer network


NET_DIMS = ((5, 3, 1), (3, 7, 5, 1), (7, 5, 3, 1))


def _net_cases(seed):
    cases = []
    for k, (dims, m) in enumerate(zip(NET_DIMS, (5, 7, 3))):
        rng = _rng(seed, k)
        P = network.initialize_parameters(dims, seed=seed + k)
        for l in range(1, len(dims)):
            P[f"b{l}"] = rng.standard_normal(P[f"b{l}"].shape) * 0.1
        X = rng.standard_normal((dims[0], m))
        Y = (rng.random((1, m)) < 0.5).astype(np.float64)
        cases.append((f"layer_dims {list(dims)}, m = {m}", X, Y, P))
    return cases


def _copy_params(P):
    return {k: v.copy() for k, v in P.items()}


def _forward_cases(seed):
    return [
        Case(label, (lambda X=X, P=P: (X.copy(), _copy_params(P))), {"X": X, "P": P}, X.shape[1])
        for label, X, Y, P in _net_cases(seed)
    ]


def _L_forward_ref(X, parameters):
    with use_backend("numpy"):
        return network.forward(X, parameters, "relu", "sigmoid")


def _forward_outputs(value, case):
    AL, caches = _tuple(value, ("AL", "caches"))
    L = network.num_layers(case.context["P"])
    if not isinstance(caches, (list, tuple)) or len(caches) != L:
        got = len(caches) if isinstance(caches, (list, tuple)) else type(caches).__name__
        raise _Structure(f"caches: expected a list of L = {L} caches (one per layer), got {got}")
    return {"AL": AL}


def _forward_hyp(case):
    X, P = case.context["X"], case.context["P"]
    with use_backend("numpy"):
        all_sig = network.forward(X, P, "sigmoid", "sigmoid")[0]
        relu_out = np.maximum(network.forward(X, P, "relu", "linear")[0], 0)
        lin_out = network.forward(X, P, "relu", "linear")[0]
    return [
        ("used sigmoid in the hidden layers: layers 1 .. L-1 use ReLU, only layer L sigmoid", {"AL": all_sig}),
        ("used ReLU on the output layer: layer L uses sigmoid", {"AL": relu_out}),
        ("no activation on the output layer: A[L] = sigmoid(Z[L])", {"AL": lin_out}),
    ]


_register(
    Exercise(
        "L_model_forward",
        "L_model_forward(X, parameters) -> (AL, caches)",
        "A[0] = X; Z[l] = W[l] A[l-1] + b[l]; A[l] = relu(Z[l]) for l < L, sigmoid(Z[L]) for l = L. "
        "X: (n[0], m), parameters {'W1', 'b1', ..., 'WL', 'bL'}; AL: (n[L], m); caches: a list of L caches "
        "(any content: only AL and len(caches) are checked).",
        "Forward Propagation (and Inference as well)",
        "03_l_layer_forward",
        _L_forward_ref,
        _forward_cases,
        _forward_outputs,
        _forward_hyp,
    )
)


def _backward_cases_net(seed):
    cases = []
    for label, X, Y, P in _net_cases(seed):
        AL, caches = _L_forward_ref(X, P)
        L = network.num_layers(P)
        cases.append(
            Case(
                label,
                (lambda AL=AL, Y=Y, caches=caches: (AL.copy(), Y.copy(), _copy_caches(caches))),
                {"X": X, "Y": Y, "P": P, "AL": AL, "caches": caches, "L": L},
                X.shape[1],
            )
        )
    return cases


def _copy_caches(caches):
    def cp(x):
        if isinstance(x, np.ndarray):
            return x.copy()
        if isinstance(x, tuple):
            return tuple(cp(y) for y in x)
        return x

    return [cp(c) for c in caches]


def _grad_keys(case):
    L = case.context["L"]
    return [f"d{p}{l}" for l in range(1, L + 1) for p in "Wb"]


def _L_backward_ref(AL, Y, caches):
    with use_backend("numpy"):
        grads = network.backward(AL, Y, caches, loss="cross_entropy")
    return grads


def _L_backward_numeric(case):
    X, Y = case.context["X"], case.context["Y"]
    P = _copy_params(case.context["P"])

    def J():
        with use_backend("numpy"):
            return network.compute_cost(network.forward(X, P)[0], Y, "cross_entropy")

    return {"d" + k: central_differences(J, P[k]) for k in P}


def _L_backward_variant(case, mask="relu", out_sign=1.0):
    AL, Y, caches, L = (case.context[k] for k in ("AL", "Y", "caches", "L"))
    m = AL.shape[1]
    grads = {}
    dZ, dA = out_sign * (AL - Y), None
    for l in range(L, 0, -1):
        (A_prev, W, _), Z = caches[l - 1][0], caches[l - 1][1]
        if l < L:
            if mask == "relu":
                dZ = dA * (Z > 0)
            elif mask == "none":
                dZ = dA
            elif mask == "sigmoid":
                s = _sig(Z)
                dZ = dA * s * (1 - s)
        grads[f"dW{l}"] = dZ @ A_prev.T / m
        grads[f"db{l}"] = dZ.sum(axis=1, keepdims=True) / m
        dA = W.T @ dZ
    return grads


def _L_backward_hyp(case):
    return [
        (
            "missing activation mask in the hidden layers: dZ[l] = dA[l] * 1[Z[l] > 0]",
            _L_backward_variant(case, mask="none"),
        ),
        (
            "used sigmoid's derivative in the hidden layers (they are ReLU: dZ[l] = dA[l] * 1[Z[l] > 0])",
            _L_backward_variant(case, mask="sigmoid"),
        ),
    ]


_register(
    Exercise(
        "L_model_backward",
        "L_model_backward(AL, Y, caches) -> grads",
        "dZ[L] = AL - Y (sigmoid + cross-entropy); for l = L .. 1: dW[l] = (1/m) dZ[l] A[l-1]^T, "
        "db[l] = (1/m) sum_i dZ[l], dA[l-1] = W[l]^T dZ[l], dZ[l-1] = dA[l-1] * 1[Z[l-1] > 0]. "
        "caches[l-1] = ((A_prev, W, b), Z, A, activation, alpha) as network.forward makes them. "
        "Returns {'dW1', 'db1', ..., 'dWL', 'dbL'} with the shapes of W[l], b[l].",
        "Backward Propagation - Parameter Updates",
        "04_cost_backprop_graphs",
        _L_backward_ref,
        _backward_cases_net,
        _dict_outputs(_grad_keys),
        _L_backward_hyp,
        _L_backward_numeric,
    )
)


def _update_cases(seed):
    cases = []
    for label, _, _, P in _net_cases(seed):
        rng = _rng(seed, 7)
        grads = {"d" + k: rng.standard_normal(v.shape) for k, v in P.items()}
        lr = 0.1
        cases.append(
            Case(
                f"{label}, learning_rate = {lr}",
                (lambda P=P, grads=grads, lr=lr: (_copy_params(P), _copy_params(grads), lr)),
                {"P": P, "grads": grads, "lr": lr, "L": network.num_layers(P)},
                None,
            )
        )
    return cases


def _update_ref(parameters, grads, learning_rate):
    with use_backend("numpy"):
        return network.update_parameters(parameters, grads, learning_rate)


def _update_hyp(case):
    P, grads = case.context["P"], case.context["grads"]
    return [
        ("forgot the learning rate: W[l] <- W[l] - alpha dW[l]", {k: P[k] - grads["d" + k] for k in P}),
        (
            "the parameters did not change: update them (parameters['W1'] = W1 - alpha dW1) and return the dict",
            {k: P[k] for k in P},
        ),
    ]


_register(
    Exercise(
        "update_parameters",
        "update_parameters(parameters, grads, learning_rate) -> parameters",
        "W[l] <- W[l] - alpha dW[l]; b[l] <- b[l] - alpha db[l] for l = 1 .. L; returns the parameters dict.",
        "Backward Propagation - Parameter Updates",
        "05_gradient_descent_sgd",
        _update_ref,
        _update_cases,
        _dict_outputs(lambda c: [f"{p}{l}" for l in range(1, c.context["L"] + 1) for p in "Wb"]),
        _update_hyp,
        base=lambda c: c.context["P"],
    )
)


# ---------------------------------------------------------------------------- initialization


INIT_DIMS = ((301, 151, 7), (5, 3, 1), (7, 5, 3, 1))  # the big layer first: its std is measurable


def _init_cases(seed):
    return [
        Case(
            f"layer_dims {list(d)}, seed = {seed + k}",
            (lambda d=d, s=seed + k: (list(d), s)),
            {"dims": d, "seed": seed + k},
            None,
        )
        for k, d in enumerate(INIT_DIMS)
    ]


def _init_scaled(case, std):
    d, seed = case.context["dims"], case.context["seed"]
    rng = np.random.default_rng(seed)
    out = {}
    for l in range(1, len(d)):
        out[f"W{l}"] = rng.standard_normal((d[l], d[l - 1])) * std(d[l], d[l - 1])
    return out


def _init_hyp(case):
    return [
        ("std sqrt(1 / n[l-1]) (LeCun): He uses sqrt(2 / n[l-1])", _init_scaled(case, lambda n, p: np.sqrt(1 / p))),
        (
            "used n[l] (fan-out) where He uses n[l-1] (fan-in): std = sqrt(2 / n[l-1])",
            _init_scaled(case, lambda n, p: np.sqrt(2 / n)),
        ),
        (
            "used the variance 2 / n[l-1] as the standard deviation: std = sqrt(2 / n[l-1])",
            _init_scaled(case, lambda n, p: 2 / p),
        ),
        (
            "that is Xavier's std sqrt(2 / (n[l-1] + n[l])); He uses sqrt(2 / n[l-1])",
            _init_scaled(case, lambda n, p: np.sqrt(2 / (n + p))),
        ),
        ("forgot the scale: W = standard normal * sqrt(2 / n[l-1])", _init_scaled(case, lambda n, p: 1.0)),
    ]


def _init_explain(case, key, E, G):
    if not key.startswith("W") or E.size < 1000 or G.shape != E.shape:
        return None
    ratio = float(np.std(G) / np.std(E))
    if abs(ratio - 1) < 0.1 and abs(float(np.mean(G))) < 0.1 * float(np.std(E)):
        return (
            f"{key} has the right scale (std ratio {ratio:.3f}) but other random numbers: draw with "
            f"rng = np.random.default_rng(seed) once, then rng.standard_normal((n[l], n[l-1])) for l = 1 .. L"
        )
    return None


_register(
    Exercise(
        "he_initialization",
        "he_initialization(layer_dims, seed) -> parameters",
        "rng = np.random.default_rng(seed); for l = 1 .. L: W[l] = rng.standard_normal((n[l], n[l-1])) * "
        "sqrt(2 / n[l-1]) (He), b[l] = zeros (n[l], 1). Returns {'W1', 'b1', ..., 'WL', 'bL'}.",
        "Popular Weight Initializers",
        "06_vanishing_gradients_initialization",
        lambda layer_dims, seed: network.initialize_parameters(layer_dims, init="he", seed=seed),
        _init_cases,
        _dict_outputs(lambda c: [f"{p}{l}" for l in range(1, len(c.context["dims"])) for p in "Wb"]),
        _init_hyp,
        explain=_init_explain,
    )
)


# ---------------------------------------------------------------------------- mini-batches


MB_SIZES = ((10, 4), (7, 3), (9, 9), (5, 1))  # (m, batch_size)


def _mb_cases(seed):
    cases = []
    for k, (m, b) in enumerate(MB_SIZES):
        rng = _rng(seed, k)
        X, Y = rng.standard_normal((3, m)), (rng.random((1, m)) < 0.5).astype(np.float64)
        s = seed + k
        cases.append(
            Case(
                f"X {_shape(X)}, batch_size = {b}, rng = default_rng({s})",
                (lambda X=X, Y=Y, b=b, s=s: (X.copy(), Y.copy(), b, np.random.default_rng(s))),
                {"X": X, "Y": Y, "b": b, "seed": s},
                m,
            )
        )
    return cases


def _mb_ref(X, Y, batch_size, rng):
    return list(optim.minibatches(X, Y, batch_size, rng=rng))


def _mb_flat(batches):
    out = {}
    for j, (Xb, Yb) in enumerate(batches):
        out[f"batch {j}: X_batch"], out[f"batch {j}: Y_batch"] = Xb, Yb
    return out


def _mb_outputs(value, case):
    try:
        batches = list(value)
    except TypeError:
        raise _Structure(
            f"expected a list (or generator) of (X_batch, Y_batch) pairs, got {type(value).__name__}"
        ) from None
    X, b = case.context["X"], case.context["b"]
    m = X.shape[1]
    sizes = [b] * (m // b) + ([m % b] if m % b else [])
    if len(batches) != len(sizes):
        hint = (
            f" -- the last one, of m mod batch_size = {m % b} samples, is missing"
            if len(batches) == len(sizes) - 1 and m % b
            else ""
        )
        raise _Structure(
            f"expected {len(sizes)} mini-batches (m = {m}, batch_size = {b}: sizes "
            f"{' + '.join(map(str, sizes))}), got {len(batches)}{hint}"
        )
    for pair in batches:
        _tuple(pair, ("X_batch", "Y_batch"))
    return _mb_flat(batches)


def _mb_hyp(case):
    X, Y, b, s = (case.context[k] for k in ("X", "Y", "b", "seed"))
    rng = np.random.default_rng(s)
    p1, p2 = rng.permutation(X.shape[1]), rng.permutation(X.shape[1])
    two = [(X[:, p1[i : i + b]], Y[:, p2[i : i + b]]) for i in range(0, X.shape[1], b)]
    rows = np.random.default_rng(s).permutation(X.shape[0])
    return [
        (
            "not shuffled: permute the columns with one perm = rng.permutation(m) first",
            _mb_flat(list(optim.minibatches(X, Y, b, shuffle=False))),
        ),
        (
            "X and Y were shuffled with two different permutations: draw one perm = rng.permutation(m) and "
            "take X[:, perm], Y[:, perm]",
            _mb_flat(two),
        ),
        ("shuffled the rows (features) instead of the columns (samples)", {"batch 0: X_batch": X[rows][:, :b]}),
    ]


_register(
    Exercise(
        "minibatches",
        "minibatches(X, Y, batch_size, rng) -> [(X_batch, Y_batch), ...]",
        "perm = rng.permutation(m) (one call); the columns X[:, perm], Y[:, perm] cut into batches of batch_size "
        "samples; the last batch keeps the remainder (m = 10, b = 4: 4, 4, 2). X: (n[0], m), Y: (n[L], m).",
        "Stochastic Gradient Descent with Mini-batch",
        "05_gradient_descent_sgd",
        _mb_ref,
        _mb_cases,
        _mb_outputs,
        _mb_hyp,
    )
)


# ---------------------------------------------------------------------------- optimizers


def _opt_cases(seed, adam=False):
    cases = []
    for k, (shape, t) in enumerate((((3, 5), 1), ((5, 1), 2), ((7, 3), 7))):
        rng = _rng(seed, k)
        W, dW = rng.standard_normal(shape), rng.standard_normal(shape)
        v = rng.standard_normal(shape) * 0.1
        if adam:
            m_ = rng.standard_normal(shape) * 0.1
            v = np.abs(v)
            if t == 1:  # the first step starts from m = v = 0
                m_, v = np.zeros(shape), np.zeros(shape)
            args = (W, dW, m_, v, t, 0.01, 0.9, 0.999, 1e-8)
            cases.append(
                Case(
                    f"W {_shape(W)}, t = {t}",
                    _fresh(*args),
                    {"W": W, "dW": dW, "m": m_, "v": v, "t": t, "lr": 0.01},
                    None,
                )
            )
        else:
            args = (W, dW, v, 0.9, 0.1)
            cases.append(
                Case(f"W {_shape(W)}", _fresh(*args), {"W": W, "dW": dW, "v": v, "beta": 0.9, "lr": 0.1}, None)
            )
    return cases


def _momentum_ref(W, dW, v, beta, learning_rate):
    opt = optim.Momentum(beta=beta)
    opt.v = {"W": np.array(v, dtype=np.float64)}
    params = {"W": np.array(W, dtype=np.float64)}
    with use_backend("numpy"):
        opt.step(params, {"dW": dW}, learning_rate)
    return params["W"], opt.v["W"]


def _momentum_hyp(case):
    W, dW, v, beta, lr = (case.context[k] for k in ("W", "dW", "v", "beta", "lr"))
    v_new = beta * v + (1 - beta) * dW
    return [
        (
            "forgot the (1 - beta) factor: v = beta v + (1 - beta) dW",
            {"v": beta * v + dW, "W": W - lr * (beta * v + dW)},
        ),
        (
            "beta and 1 - beta are swapped: v = beta v + (1 - beta) dW",
            {"v": (1 - beta) * v + beta * dW, "W": W - lr * ((1 - beta) * v + beta * dW)},
        ),
        ("updated W with dW instead of the velocity: W = W - lr v", {"W": W - lr * dW}),
        ("updated W with the old v: compute the new v first, then W = W - lr v", {"W": W - lr * v}),
        ("W did not change: W = W - lr v with the new v", {"W": W + 0 * v_new}),
    ]


_register(
    Exercise(
        "momentum_step",
        "momentum_step(W, dW, v, beta, learning_rate) -> (W, v)",
        "v = beta v + (1 - beta) dW;  W = W - learning_rate v (nn_ref.optim.Momentum, one array).",
        "Optimizers (gradient descent with momentum)",
        "08_learning_rate_schedules",
        _momentum_ref,
        _opt_cases,
        _named(("W", "v")),
        _momentum_hyp,
        base=lambda c: {"W": c.context["W"]},
    )
)


def _adam_ref(W, dW, m, v, t, learning_rate, beta1, beta2, eps):
    opt = optim.Adam(beta1=beta1, beta2=beta2, eps=eps)
    opt.t = int(t) - 1  # step() counts t up to this step's t
    opt.m, opt.v = {"W": np.array(m, dtype=np.float64)}, {"W": np.array(v, dtype=np.float64)}
    params = {"W": np.array(W, dtype=np.float64)}
    with use_backend("numpy"):
        opt.step(params, {"dW": dW}, learning_rate)
    return params["W"], opt.m["W"], opt.v["W"]


def _adam_variant(case, correct=True, square=True, sqrt=True, t_shift=0):
    W, dW, m, v, t, lr = (case.context[k] for k in ("W", "dW", "m", "v", "t", "lr"))
    b1, b2, eps = 0.9, 0.999, 1e-8
    m = b1 * m + (1 - b1) * dW
    v = b2 * v + (1 - b2) * (dW * dW if square else dW)
    tt = t + t_shift
    mh = m / (1 - b1**tt) if correct else m
    vh = v / (1 - b2**tt) if correct else v
    with np.errstate(all="ignore"):
        W = W - lr * mh / ((np.sqrt(vh) if sqrt else vh) + eps)
    return {"W": W, "m": m, "v": v}


def _adam_hyp(case):
    return [
        (
            "forgot the bias correction: m_hat = m / (1 - beta1^t), v_hat = v / (1 - beta2^t)",
            _adam_variant(case, correct=False),
        ),
        ("v must average the squared gradient: v = beta2 v + (1 - beta2) dW^2", _adam_variant(case, square=False)),
        ("forgot the square root: W = W - lr m_hat / (sqrt(v_hat) + eps)", _adam_variant(case, sqrt=False)),
        ("t is off by one in the bias correction (t counts from 1 at the first step)", _adam_variant(case, t_shift=1)),
        ("t is off by one in the bias correction (t counts from 1 at the first step)", _adam_variant(case, t_shift=-1)),
    ]


_register(
    Exercise(
        "adam_step",
        "adam_step(W, dW, m, v, t, learning_rate, beta1, beta2, eps) -> (W, m, v)",
        "m = beta1 m + (1 - beta1) dW; v = beta2 v + (1 - beta2) dW^2; m_hat = m / (1 - beta1^t); "
        "v_hat = v / (1 - beta2^t); W = W - learning_rate m_hat / (sqrt(v_hat) + eps) (nn_ref.optim.Adam; t from 1).",
        "Optimizers (Adam)",
        "08_learning_rate_schedules",
        _adam_ref,
        lambda s: _opt_cases(s, adam=True),
        _named(("W", "m", "v")),
        _adam_hyp,
        base=lambda c: {"W": c.context["W"]},
    )
)


# ---------------------------------------------------------------------------- batch normalization


BN_SIZES = ((3, 5), (5, 7), (1, 9), (7, 3))


def _bn_data(seed):
    out = []
    for k, (n, m) in enumerate(BN_SIZES):
        rng = _rng(seed, k)
        Z = rng.standard_normal((n, m)) * 2 + 1
        gamma, beta = rng.standard_normal((n, 1)) + 1, rng.standard_normal((n, 1))
        out.append((Z, gamma, beta, rng.standard_normal((n, m))))
    return out


def _bn_forward_ref(Z, gamma, beta, bn_param):
    with use_backend("numpy"):
        return batchnorm.batchnorm_forward(Z, gamma, beta, bn_param)


def _bn_forward_cases(seed):
    return [
        Case(
            f"Z {_shape(Z)}",
            (lambda Z=Z, g=g, b=b: (Z.copy(), g.copy(), b.copy(), {"mode": "train", "eps": 1e-5})),
            {"Z": Z, "gamma": g, "beta": b},
            Z.shape[1],
        )
        for Z, g, b, _ in _bn_data(seed)
    ]


def _bn_forward_outputs(value, case):
    out, _ = _tuple(value, ("out", "cache"))
    return {"out": out}


def _bn_forward_hyp(case):
    Z, g, b = case.context["Z"], case.context["gamma"], case.context["beta"]
    eps = 1e-5
    mu, var = Z.mean(axis=1, keepdims=True), Z.var(axis=1, keepdims=True)
    mu0, var0 = Z.mean(axis=0, keepdims=True), Z.var(axis=0, keepdims=True)
    with np.errstate(all="ignore"):
        Zh = (Z - mu) / np.sqrt(var + eps)
        return [
            (
                "used the unbiased variance 1/(m-1) (np.var(ddof=1)): batch norm uses (1/m) sum (z - mu)^2",
                {"out": g * (Z - mu) / np.sqrt(Z.var(axis=1, ddof=1, keepdims=True) + eps) + b},
            ),
            (
                "the statistics are over the units (axis=0): mu and var are per unit, over the m samples (axis=1)",
                {"out": g * (Z - mu0) / np.sqrt(var0 + eps) + b},
            ),
            (
                "eps is added outside the square root: z_hat = (z - mu) / sqrt(var + eps)",
                {"out": g * (Z - mu) / (np.sqrt(var) + eps) + b},
            ),
            ("forgot the scale and shift: out = gamma z_hat + beta", {"out": Zh}),
            (
                "divided by the variance, not the standard deviation: z_hat = (z - mu) / sqrt(var + eps)",
                {"out": g * (Z - mu) / (var + eps) + b},
            ),
        ]


_register(
    Exercise(
        "batchnorm_forward",
        "batchnorm_forward(Z, gamma, beta, bn_param) -> (out, cache)",
        "mu = (1/m) sum_i z_i; var = (1/m) sum_i (z_i - mu)^2; z_hat = (z - mu) / sqrt(var + eps); "
        "out = gamma z_hat + beta, per unit (row) over the m samples. Z, out: (n[l], m); gamma, beta: (n[l], 1); "
        "eps = bn_param['eps']. cache: anything your batchnorm_backward needs (only out is checked).",
        "Batch normalization",
        "07_normalization_batchnorm",
        _bn_forward_ref,
        _bn_forward_cases,
        _bn_forward_outputs,
        _bn_forward_hyp,
    )
)


def _bn_backward_cases(seed):
    cases = []
    for Z, g, b, dout in _bn_data(seed):
        _, cache = _bn_forward_ref(Z, g, b, {"mode": "train", "eps": 1e-5})
        cases.append(
            Case(
                f"dout {_shape(dout)}",
                (
                    lambda dout=dout, cache=cache: (
                        dout.copy(),
                        tuple(c.copy() if isinstance(c, np.ndarray) else c for c in cache),
                    )
                ),
                {"Z": Z, "gamma": g, "beta": b, "dout": dout, "cache": cache},
                Z.shape[1],
            )
        )
    return cases


def _bn_backward_numeric(case):
    Z, g, b = (case.context[k].copy() for k in ("Z", "gamma", "beta"))
    dout = case.context["dout"]

    def J():
        return float((dout * _bn_forward_ref(Z, g, b, {"mode": "train", "eps": 1e-5})[0]).sum())

    return {"dZ": central_differences(J, Z), "dgamma": central_differences(J, g), "dbeta": central_differences(J, b)}


def _bn_backward_hyp(case):
    dout, (Zh, g, var, eps) = case.context["dout"], case.context["cache"]
    m = dout.shape[1]
    dbeta = dout.sum(axis=1, keepdims=True)
    dgamma = (dout * Zh).sum(axis=1, keepdims=True)
    s = g / np.sqrt(var + eps)
    return [
        (
            "treated mu and var as constants: dZ = gamma / sqrt(var + eps) * (dout - dbeta / m - z_hat dgamma / m)",
            {"dZ": s * dout},
        ),
        ("the z_hat dgamma / m term (the gradient through var) is missing", {"dZ": s * (dout - dbeta / m)}),
        ("the dbeta / m term (the gradient through mu) is missing", {"dZ": s * (dout - Zh * dgamma / m)}),
        ("forgot the factor gamma / sqrt(var + eps)", {"dZ": dout - dbeta / m - Zh * dgamma / m}),
        ("dgamma = sum_i dout_i z_hat_i (times z_hat, not times Z or gamma)", {"dgamma": dbeta}),
    ]


_register(
    Exercise(
        "batchnorm_backward",
        "batchnorm_backward(dout, cache) -> (dZ, dgamma, dbeta)",
        "dbeta = sum_i dout_i; dgamma = sum_i dout_i z_hat_i; dZ = gamma / sqrt(var + eps) * (dout - dbeta / m - "
        "z_hat dgamma / m). cache = (Z_hat, gamma, var, eps) from nn-ref's batchnorm_forward. dout, dZ: (n[l], m); "
        "dgamma, dbeta: (n[l], 1).",
        "Batch normalization",
        "07_normalization_batchnorm",
        lambda dout, cache: batchnorm.batchnorm_backward(dout, cache, backend="numpy"),
        _bn_backward_cases,
        _named(("dZ", "dgamma", "dbeta")),
        _bn_backward_hyp,
        _bn_backward_numeric,
    )
)


# ---------------------------------------------------------------------------- schedules, accumulation


def _clr_call(fn, args):
    ts, base_lr, max_lr, step_size = args
    return np.array([float(fn(int(t), base_lr, max_lr, step_size)) for t in ts])


def _clr_ref(t, base_lr, max_lr, step_size):
    return schedules.cyclical(base_lr, max_lr, step_size, mode="triangular")(t)


def _clr_cases(seed):
    cases = []
    for base, top, step in ((0.001, 0.006, 5), (0.1, 0.5, 3), (0.01, 0.02, 7)):
        ts = np.arange(0, 6 * step + 1)
        cases.append(
            Case(
                f"base_lr = {base}, max_lr = {top}, step_size = {step}, t = 0 .. {ts[-1]}",
                _fresh(ts, base, top, step),
                {"ts": ts, "base": base, "top": top, "step": step},
                None,
            )
        )
    return cases


def _clr_hyp(case):
    ts, base, top, step = (case.context[k] for k in ("ts", "base", "top", "step"))
    x = np.abs(ts / step - 2 * np.floor(1 + ts / (2 * step)) + 1)
    return [
        (
            "the cycle is step_size long: step_size is half a cycle (cycle = floor(1 + t / (2 step_size)))",
            {"lr": schedules.cyclical(base, top, step / 2)(ts)},
        ),
        (
            "the phase is inverted (starts at max_lr): lr = base_lr + (max_lr - base_lr) max(0, 1 - x)",
            {"lr": base + (top - base) * np.minimum(1, x)},
        ),
        (
            "the learning rate never leaves base_lr: cycle = floor(1 + t / (2 step_size)) needs the floor",
            {"lr": np.full(ts.shape, base)},
        ),
    ]


_register(
    Exercise(
        "cyclical_lr",
        "cyclical_lr(t, base_lr, max_lr, step_size) -> lr",
        "Smith's triangular cyclical learning rate at update t (an int): cycle = floor(1 + t / (2 step_size)); "
        "x = |t / step_size - 2 cycle + 1|; lr = base_lr + (max_lr - base_lr) max(0, 1 - x) (schedules.cyclical).",
        "Cyclical Learning Rate",
        "08_learning_rate_schedules",
        _clr_ref,
        _clr_cases,
        _named(("lr",)),
        _clr_hyp,
        call=_clr_call,
    )
)


ACC_SIZES = ((4, 4, 2), (3, 5), (7, 7, 7))


def _acc_cases(seed):
    cases = []
    for k, sizes in enumerate(ACC_SIZES):
        rng = _rng(seed, k)
        gl = [{"dW1": rng.standard_normal((3, 5)), "db1": rng.standard_normal((3, 1))} for _ in sizes]
        cases.append(
            Case(
                f"batch sizes {list(sizes)}",
                (lambda gl=gl, sizes=sizes: ([_copy_params(g) for g in gl], list(sizes))),
                {"grads": gl, "sizes": sizes},
                None,
            )
        )
    return cases


def _acc_ref(grads_list, batch_sizes):
    acc = optim.GradientAccumulator(len(grads_list))
    M = float(sum(batch_sizes))
    with use_backend("numpy"):
        for g, mj in zip(grads_list, batch_sizes):
            acc.add(g, mj / M)
    return {k: v.copy() for k, v in acc.take().items()}


def _acc_hyp(case):
    gl, sizes = case.context["grads"], case.context["sizes"]
    M, k = sum(sizes), len(sizes)

    def comb(w):
        return {key: sum(wj * g[key] for wj, g in zip(w, gl)) for key in gl[0]}

    return [
        (
            "summed the k gradients without weights: weight each by m_j / M (M = sum of the batch sizes)",
            comb([1.0] * k),
        ),
        ("a plain mean (1/k each) ignores unequal batch sizes: weight each by m_j / M", comb([1.0 / k] * k)),
        ("weighted by m_j instead of m_j / M", comb(sizes)),
        ("weighted by M / m_j instead of m_j / M", comb([M / mj for mj in sizes])),
    ]


_register(
    Exercise(
        "accumulate_gradients",
        "accumulate_gradients(grads_list, batch_sizes) -> grads",
        "dtheta = sum_j (m_j / M) dtheta_j, M = sum_j m_j: k mini-batches give the gradient of one batch of M "
        "samples (optim.GradientAccumulator). grads_list: k dicts {'dW1': ..., 'db1': ...}; returns one such dict.",
        "Effective Mini-batch",
        "09_batch_size_noise_scale",
        _acc_ref,
        _acc_cases,
        _dict_outputs(lambda c: list(c.context["grads"][0])),
        _acc_hyp,
    )
)


# ============================================================================ figures in a notebook


class FigureImage:
    """A lecture figure as a PNG for a notebook cell (``_repr_png_``), with the data it was drawn from."""

    def __init__(self, fig_id, slide, png, data):
        self.id, self.slide, self.png, self.data = fig_id, slide, png, data

    def _repr_png_(self):
        return self.png

    def __repr__(self):
        return f"FigureImage({self.id!r}, slide={self.slide!r}, {len(self.png)} bytes of PNG)"


def show_figure(fig_id, quick=True, dpi=80):
    """Draw the registered lecture figure ``fig_id`` (``nn_ref.figures.FIGURES``) with its registered
    parameters -- ``quick=True``: the tests' small sizes, so a notebook stays fast -- on the NumPy
    backend; returns a ``FigureImage`` (shown inline as the cell's value; ``.data`` holds the numbers)."""
    import io

    from nn_ref.figures import FIGURES

    if fig_id not in FIGURES:
        raise ValueError(f"fig_id: expected one of {', '.join(FIGURES)}, got {fig_id!r}")
    spec = FIGURES[fig_id]
    fig, data = spec.run(quick=quick)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    return FigureImage(fig_id, spec.slide, buf.getvalue(), data)


# ============================================================================ student copies


NOTEBOOK_SOURCES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "notebooks")


def notebook_sources(directory=NOTEBOOK_SOURCES):
    """The notebooks' jupytext sources ``NN_name.py`` in lecture order (a clone's ``notebooks/``)."""
    if not os.path.isdir(directory):
        raise ValueError(
            f"no notebooks/ folder at {directory}: the notebooks ship with the repository, "
            'install nn-ref from a clone with pip install -e ".[notebooks]"'
        )
    names = sorted(n for n in os.listdir(directory) if n[:2].isdigit() and n[2] == "_" and n.endswith(".py"))
    return [os.path.join(directory, n) for n in names]


def write_notebooks(out, overwrite=False, directory=NOTEBOOK_SOURCES):
    """Write fresh student copies ``out/NN_name.ipynb`` (no outputs, exercises unwritten) of every notebook.

    An existing .ipynb is kept (it may hold the student's work) unless ``overwrite``. Returns
    ``(written, kept)``, two lists of paths. Needs jupytext (the ``notebooks`` extra)."""
    try:
        import jupytext
    except ImportError:
        raise ValueError('writing .ipynb files needs jupytext: pip install -e ".[notebooks]"') from None
    sources = notebook_sources(directory)
    if os.path.exists(out) and not os.path.isdir(out):
        raise ValueError(f"{out} exists and is not a folder")
    os.makedirs(out, exist_ok=True)
    written, kept = [], []
    for src in sources:
        target = os.path.join(out, os.path.basename(src)[: -len(".py")] + ".ipynb")
        if os.path.exists(target) and not overwrite:
            kept.append(target)
            continue
        jupytext.write(jupytext.read(src), target, fmt="ipynb")
        written.append(target)
    return written, kept


def main_notebooks(args):
    """The ``nn-ref notebooks DIR`` verb: write student copies; errors are one line on stderr, exit 2."""
    import sys

    try:
        written, kept = write_notebooks(args.dir, overwrite=args.force)
    except (ValueError, OSError) as exc:
        print(f"nn-ref notebooks: error: {exc}", file=sys.stderr)
        return 2
    for path in written:
        print(f"wrote {path}")
    for path in kept:
        print(f"kept  {path} (exists; --force overwrites it)")
    print(f"{len(written)} notebook(s) written to {args.dir}; open them with: jupyter lab {args.dir}")
    return 0


# ============================================================================ the checker


def _as_array(value, key):
    if value is None:
        raise _Structure(f"{key} is None -- did the function forget to return it?")
    try:
        a = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise _Structure(f"{key}: expected an array of numbers, got {type(value).__name__}") from None
    return a


def _close(G, E, equal_nan=False):
    if G.shape != E.shape:
        return False
    finite = np.abs(E[np.isfinite(E)])
    scale = max(1.0, float(np.max(finite))) if finite.size else 1.0
    return bool(np.allclose(G, E, rtol=RTOL, atol=1e-9 * scale, equal_nan=equal_nan))


def _shape_problem(key, E, G):
    """A sentence about a shape mismatch, or None."""
    if G.shape == E.shape:
        return None
    if E.ndim == 2 and G.shape == E.shape[::-1]:
        extra = " -- W[l] and dW[l] are (n[l], n[l-1])" if key.lstrip("d").startswith("W") else ""
        return f"{key} is transposed: shape {_shape(G)} where {_shape(E)} is expected{extra}"
    if E.ndim == 2 and E.shape[1] == 1 and G.shape == (E.shape[0],):
        if key.startswith("d"):
            hint = "sum with keepdims=True"
        elif key.startswith("b"):
            hint = f"make it np.zeros(({E.shape[0]}, 1))"
        else:
            hint = "keep it a column of shape (n, 1)"
        return f"{key} has shape (n,) instead of (n, 1): got {_shape(G)}, expected {_shape(E)} -- {hint}"
    if E.ndim == 2 and E.shape[1] == 1 and G.ndim == 2 and G.shape[0] == 1 and E.shape[0] != 1:
        return (
            f"{key}: got shape {_shape(G)}, expected {_shape(E)} -- summed over axis 0 instead of axis 1 (the samples)"
        )
    if G.size == 1 and E.size > 1:
        return f"{key}: got one number, expected shape {_shape(E)} -- summed over everything?"
    return f"{key}: got shape {_shape(G)}, expected {_shape(E)}"


def _worst(key, E, G):
    diff = np.abs(G - E)
    diff = np.where(np.isnan(diff), np.inf, diff)
    if E.ndim == 0:
        return f"{key}: expected {float(E):.6g}, got {float(G):.6g}"
    idx = np.unravel_index(int(np.argmax(diff)), E.shape)
    bad = int(np.sum(diff > RTOL * np.abs(E) + 1e-9 * max(1.0, float(np.max(np.abs(E))))))
    where = ", ".join(str(int(i)) for i in idx)
    return (
        f"{key}: {bad} of {E.size} entries differ; the worst is {key}[{where}]: expected {E[idx]:.6g}, got {G[idx]:.6g}"
    )


def _diagnose(ex, case, key, E, G, base, hypotheses):
    """The likely bug, in words: a planted-bug hypothesis that reproduces G (NaN where G has NaN), NaN or
    inf, a factor m, 1/m, -1 or another constant, else the worst entry."""
    for text, values in hypotheses:
        if key in values and _close(G, np.asarray(values[key], dtype=np.float64), equal_nan=True):
            return f"{key}: {text}"
    if not np.all(np.isfinite(G)) and np.all(np.isfinite(E)):
        bad = np.argwhere(~np.isfinite(np.atleast_1d(G)))
        idx = ", ".join(str(int(i)) for i in bad[0]) if bad.size else ""
        what = "NaN" if np.isnan(G).any() else "inf"
        return (
            f"{key} has {what} at [{idx}] where {E[tuple(bad[0])] if E.ndim else float(E):.6g} is expected: "
            f"{ex.nan_hint}"
        )
    if ex.explain is not None:
        text = ex.explain(case, key, E, G)
        if text:
            return text
    b = base.get(key) if base else None
    dE, dG = (E - b, G - b) if b is not None else (E, G)
    what = f"the update of {key} (new - old)" if b is not None else key
    if np.any(dE != 0):
        m = case.m
        if m and m > 1 and _close(dG, m * dE):
            return f"{what} is off by a factor of m = {m}: a 1/m is missing"
        if m and m > 1 and _close(dG, dE / m):
            return f"{what} is off by a factor of 1/m (m = {m}): the 1/m is applied twice"
        if _close(dG, -dE):
            return f"{what} has the wrong sign (a sign flip)"
        ratio = dG.ravel() @ dE.ravel() / (dE.ravel() @ dE.ravel())
        if abs(ratio) > 1e-12 and _close(dG, ratio * dE):
            return f"{what} is off by a constant factor {ratio:.6g}"
    return _worst(key, E, G)


def _location(exc, fn):
    """' (line N: `code`)' of the innermost frame of the student's function, or ''."""
    code = getattr(fn, "__code__", None)
    frames = traceback.extract_tb(exc.__traceback__)
    for fr in reversed(frames):
        if code is not None and fr.filename == code.co_filename:
            line = (fr.line or linecache.getline(fr.filename, fr.lineno)).strip()
            return f" (line {fr.lineno - code.co_firstlineno + 1} of {fn.__name__}: `{line}`)" if line else ""
    return ""


def _grad_diff(g, n):
    mask = ~np.isnan(n)
    g, n = g[mask], n[mask]
    denom = np.linalg.norm(g) + np.linalg.norm(n)
    return 0.0 if denom == 0 else float(np.linalg.norm(g - n) / denom)


def check(name, fn, seed=0):
    """Check the student's ``fn`` against nn-ref's exercise ``name`` (see ``EXERCISES``).

    Runs ``fn`` on seeded cases, compares with ``reference(name)`` (and, for the backward exercises,
    with central differences in float64) and returns a ``CheckResult`` whose message names the likely
    bug. In solutions mode (NN_REF_SOLUTIONS=1, CI) a failed check raises ``ExerciseFailed``.
    """
    ex = _get(name)
    result = _check(ex, fn, seed)
    if not result.passed and solutions_mode():
        raise ExerciseFailed(str(result))
    return result


_LAYER_EXERCISES = ("linear_forward", "linear_backward", "L_model_forward", "L_model_backward", "update_parameters")


def _check(ex, fn, seed):
    if not callable(fn):
        return CheckResult(ex.name, False, f"expected a function {ex.signature}, got {type(fn).__name__}")
    cases = ex.cases(seed)
    worst_grad = 0.0
    call = ex.call or (lambda f, args: f(*args))
    for i, case in enumerate(cases):
        where = f"case {i + 1} of {len(cases)} ({case.label})"
        with use_backend("numpy"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            expected = ex.outputs(call(ex.reference, case.make()), case)
        try:
            with np.errstate(all="ignore"), warnings.catch_warnings():
                warnings.simplefilter("ignore")
                got_value = call(fn, case.make())
        except NotImplementedError:
            return CheckResult(ex.name, False, f"not implemented yet: write the body of {ex.signature}")
        except Exception as exc:  # the student's bug, reported in one line
            msg = str(exc).splitlines()[0] if str(exc) else ""
            hint = ""
            if any(word in msg for word in ("matmul", "not aligned", "broadcast", "shapes")):
                hint = (
                    " -- a shape mismatch: W[l] is (n[l], n[l-1]), A[l-1] is (n[l-1], m), b[l] is (n[l], 1)"
                    if ex.name in _LAYER_EXERCISES
                    else " -- a shape mismatch: print the operands' .shape"
                )
            text = f"{where}: your function raised {type(exc).__name__}: {msg}{_location(exc, fn)}{hint}"
            return CheckResult(ex.name, False, text, i)
        try:
            got = ex.outputs(got_value, case)
            got = {k: _as_array(v, k) for k, v in got.items()}
        except _Structure as exc:
            return CheckResult(ex.name, False, f"{where}: {exc}", i)
        expected = {k: np.asarray(v, dtype=np.float64) for k, v in expected.items()}
        base = {k: np.asarray(v, dtype=np.float64) for k, v in ex.base(case).items()} if ex.base else None
        for key, E in expected.items():
            G = got[key]
            problem = _shape_problem(key, E, G)
            if problem is None and not _close(G, E):
                with np.errstate(all="ignore"):
                    hyps = ex.hypotheses(case) if ex.hypotheses else []
                    problem = _diagnose(ex, case, key, E, G, base, hyps)
            if problem is not None:
                return CheckResult(ex.name, False, f"{where}: {problem}", i)
        if ex.numeric is not None:
            numeric = ex.numeric(case)
            for key, N in numeric.items():
                d = _grad_diff(got[key], np.asarray(N, dtype=np.float64))
                if d > GRAD_TOL:
                    return CheckResult(
                        ex.name,
                        False,
                        f"{where}: {key} matches nn-ref but differs from central "
                        f"differences (relative difference {d:.2e})",
                        i,
                    )
                worst_grad = max(worst_grad, d)
    text = f"all {len(cases)} cases match nn-ref's {ex.name}"
    if ex.numeric is not None:
        text += f"; central differences agree (largest relative difference {worst_grad:.1e} < {GRAD_TOL:g})"
    return CheckResult(ex.name, True, text, len(cases))
