"""Gradient checking [Backward Propagation; the deeplearning.ai "gradient checking" recipe].

Every entry theta of every parameter array is perturbed by central differences, in float64:

    n = ( J(theta + eps) - J(theta - eps) ) / (2 eps)          (order=2, error O(eps^2))

or, with ``order=4``, the five-point central stencil
    n = ( 8 [J(theta + eps) - J(theta - eps)] - [J(theta + 2 eps) - J(theta - 2 eps)] ) / (12 eps)
                                                                (error O(eps^4))

and compared with the analytic gradient a (from backpropagation), per array:

    difference = ||a - n||_2 / (||a||_2 + ||n||_2)          passes below 1e-7
    worst entry: relative error |a - n| / max(1e-8, |a| + |n|), and its index

Resolution: each J is rounded to ~1e-16 |J|, and the difference quotient divides that by eps, so
the two-point estimate with eps = 1e-6 carries an absolute noise of ~1e-10 |J|; an array whose
gradient is below ~1e-3 |J| can then miss 1e-7 with a correct backprop (about 2% of random small
nets do). The five-point stencil with eps = 1e-4 has ~100x less noise and negligible truncation
error (arrays down to ~1e-5 |J| resolve), so ``check_network`` and ``nn-ref gradcheck`` use it by
default. The report gives J (``report.cost``) so that the resolution can be judged. An array whose true
gradient is exactly 0 (e.g. the output bias under L1 when the residual signs cancel, which needs
an even m) has no meaningful relative difference: rounding noise alone gives difference 1.

ReLU kinks: at Z = 0 ReLU has no derivative; if a perturbation moves a pre-activation across 0,
the finite difference mixes the two one-sided slopes and disagrees with backprop for a reason that
is not a bug. Give ``pre_activations`` and every such crossing is counted and reported with a
``KinkCrossingWarning`` (a ``UserWarning`` subclass), so the failure is not a mystery.

Usage::

    report = gradient_check(f, parameters, grads)   # f(parameters) -> J;  grads["dW1"] ~ dJ/dW1
    print(report)                                   # a table, one row per array
    report.passed                                   # True when every row passes

or ``check_network([4, 5, 3, 1])`` for the lecture's network on random data (``nn-ref gradcheck``).
"""

import sys
import time
import warnings

import numpy as np

from nn_ref import init as initializers
from nn_ref import losses, network
from nn_ref._checks import (
    GENERATOR,
    LAYER_DIMS,
    Option,
    at_least,
    check_finite,
    check_positive_finite,
    check_real,
    check_shape,
    checked,
    is_real_number,
    one_of,
    or_none,
    positive,
)
from nn_ref.backend import to_backend, to_host
from nn_ref.kernels.contract import DEFAULT_LOSS

THRESHOLD = 1e-7
MAX_SECONDS = 120.0  # gradient_check refuses a run estimated longer than this (raise it with max_seconds=)


# ----------------------------------------------------------------------------- the declarations, once
class Arrays:
    """parameters: a non-empty dict name -> real, finite array (or number); each is copied to float64."""

    def __repr__(self):
        return "{name: array, ...} (non-empty, real, finite)"

    def check(self, name, value, state, read):
        if not isinstance(value, dict) or not value:
            got = "an empty dict" if isinstance(value, dict) else type(value).__name__
            raise ValueError(f"{name}: expected a non-empty dict of arrays, got {got}")
        for key, x in value.items():
            check_real(f"{name}[{key!r}]", x)
            check_finite(f"{name}[{key!r}]", x)


class Names:
    """names: None (every key of parameters) or a non-empty list of keys of parameters."""

    def __repr__(self):
        return "None or a non-empty list of keys of parameters"

    def check(self, name, names, state, read):
        params = read("parameters")
        ok = isinstance(names, (list, tuple)) and names and all(n in params for n in names)
        if not ok:
            raise ValueError(f"{name}: expected a non-empty list of keys of parameters {sorted(params)}, got {names!r}")


class Gradients:
    """grads: None (f returns (J, grads)) or a dict with, for every checked name, a gradient keyed by the name or
    "d" + name, of that parameter's shape, real."""

    def __repr__(self):
        return "None or {name or 'd' + name: array of the parameter's shape}"

    def check(self, name, grads, state, read):
        if grads is None:
            return
        if not isinstance(grads, dict) or not grads:
            got = "an empty dict" if isinstance(grads, dict) else type(grads).__name__
            raise ValueError(f"{name}: expected a non-empty dict of arrays, got {got}")
        params = read("parameters")
        for key in read("names") or params:
            found = [k for k in (key, "d" + key) if k in grads]
            if not found:
                raise KeyError(f"{name}: no gradient for {key!r} (looked for {key!r} and {'d' + key!r})")
            check_real(found[0], grads[found[0]])
            check_shape(f"gradient of {key}", np.asarray(grads[found[0]]), np.shape(params[key]))


class Threshold(Option):
    """A finite threshold in (0, 1): the difference is in [0, 1], so 1 or more would pass any gradient."""

    def __init__(self):
        super().__init__(None, "in (0, 1)", THRESHOLD)

    def check(self, name, value, state, read):
        check_positive_finite(name, value)
        if value >= 1:
            raise ValueError(f"{name}: expected a number in (0, 1) (the difference is at most 1), got {value!r}")


class Callable:
    """f: a callable parameters -> J, or -> (J, grads)."""

    def __repr__(self):
        return "a callable parameters -> J or (J, grads)"

    def check(self, name, f, state, read):
        if not callable(f):
            raise TypeError(f"{name}: expected a callable parameters -> J, got {type(f).__name__}")


class SoftmaxFits:
    """The output activation; softmax needs n[L] >= 2 classes in layer_dims (declared after layer_dims)."""

    def __repr__(self):
        return f"one_of{network.OUTPUT_ACTIVATIONS}"

    def check(self, name, value, state, read):
        one_of(network.OUTPUT_ACTIVATIONS).check(name, value, state, read)
        layer_dims = list(read("layer_dims"))
        if value == "softmax" and layer_dims[-1] < 2:
            raise ValueError(f"layer_dims: a softmax output needs n[L] >= 2 classes, got {layer_dims}")


COUNT = or_none(at_least(1))  # max_entries_per_array: None (every entry) or >= 1


class KinkCrossingWarning(UserWarning):
    """A perturbation theta +- eps moved a pre-activation across a kink (ReLU's Z = 0, or
    AL = Y of the L1 loss): the central difference is not a derivative there, so that
    array's check may fail without any bug in backpropagation."""


class ArrayCheck:
    """One row of the report: the check of one parameter array.

    name, shape; checked (entries perturbed) of size; norm_analytic ||a||, norm_numeric ||n||;
    difference ||a - n|| / (||a|| + ||n||) (0 when both are 0); worst_rel_error and worst_index
    (index into the array); kink_crossings (entries whose perturbation crossed a kink);
    passed = difference < threshold.
    """

    def __init__(self, name, shape, checked, size, analytic, numeric, index, kink_crossings, threshold):
        self.name, self.shape, self.checked, self.size = name, tuple(shape), checked, size
        self.analytic, self.numeric = analytic, numeric
        self.norm_analytic = float(np.linalg.norm(analytic))
        self.norm_numeric = float(np.linalg.norm(numeric))
        denom = self.norm_analytic + self.norm_numeric
        bad = ~(np.isfinite(analytic) & np.isfinite(numeric))
        self.nonfinite = int(bad.sum())  # NaN or inf entries: the check cannot pass on them
        if self.nonfinite:
            self.difference = float("nan")
        else:
            self.difference = float(np.linalg.norm(analytic - numeric) / denom) if denom > 0 else 0.0
        with np.errstate(invalid="ignore"):
            rel = np.abs(analytic - numeric) / np.maximum(1e-8, np.abs(analytic) + np.abs(numeric))
        rel = np.where(bad, np.inf, rel)  # the first non-finite entry is the worst
        k = int(np.argmax(rel)) if rel.size else 0
        self.worst_rel_error = float(rel[k]) if rel.size else 0.0
        self.worst_index = tuple(int(i) for i in np.unravel_index(index[k], shape)) if rel.size else ()
        self.kink_crossings = kink_crossings
        self.threshold = threshold
        self.passed = self.nonfinite == 0 and self.difference < threshold


class GradCheckReport:
    """The per-array results (``rows``, a list of ``ArrayCheck``); ``passed`` when all pass;
    ``cost``, J at the unperturbed parameters.
    ``str(report)`` is a table; ``report[name]`` is the row of that array."""

    def __init__(self, rows, eps, threshold, order=2, cost=None):
        self.rows, self.eps, self.threshold, self.order, self.cost = rows, eps, threshold, order, cost

    @property
    def passed(self):
        return all(r.passed for r in self.rows)

    def __getitem__(self, name):
        for r in self.rows:
            if r.name == name:
                return r
        raise KeyError(name)

    def __bool__(self):
        return self.passed

    def __str__(self):
        head = (
            "array",
            "shape",
            "checked",
            "||analytic||",
            "||numeric||",
            "difference",
            "worst rel err",
            "at index",
            "kinks",
            "result",
        )
        lines = [head]
        for r in self.rows:
            lines.append(
                (
                    r.name,
                    "x".join(map(str, r.shape)),
                    f"{r.checked}/{r.size}",
                    f"{r.norm_analytic:.3e}",
                    f"{r.norm_numeric:.3e}",
                    f"{r.difference:.2e}",
                    f"{r.worst_rel_error:.2e}",
                    str(r.worst_index),
                    str(r.kink_crossings),
                    "pass" if r.passed else ("FAIL (NaN/inf)" if r.nonfinite else "FAIL"),
                )
            )
        widths = [max(len(line[i]) for line in lines) for i in range(len(head))]
        out = ["  ".join(c.ljust(w) for c, w in zip(line, widths)).rstrip() for line in lines]
        out.insert(1, "  ".join("-" * w for w in widths))
        verdict = "all pass" if self.passed else f"{sum(not r.passed for r in self.rows)} FAIL"
        stencil = "two-point" if self.order == 2 else "five-point"
        cost = "" if self.cost is None else f"J = {self.cost:.6g}; "
        out.append(
            f"{cost}{stencil} central differences, eps={self.eps:g}; pass: difference < {self.threshold:g}; {verdict}"
        )
        return "\n".join(out)

    __repr__ = __str__


def _grad_for(grads, name):
    """The gradient of ``name`` (keyed ``name`` or "d" + name) as float64."""
    return np.asarray(grads[name] if name in grads else grads["d" + name], dtype=np.float64)


def _cost(value):
    """J from what f returned: a real number, or the first item of (J, grads); anything else is named."""
    J = value[0] if isinstance(value, tuple) and value else value
    number = is_real_number(J)
    if not (number or (isinstance(J, np.ndarray) and J.size == 1 and J.dtype.kind in "iuf")):
        raise TypeError(f"f: expected f(parameters) to return a float J or (J, grads), got {J!r:.80}")
    return float(J)


@checked(
    f=Callable(),
    parameters=Arrays(),
    names=Names(),
    grads=Gradients(),
    eps=positive,
    max_entries_per_array=COUNT,
    threshold=Threshold(),
    order=one_of((2, 4)),
    max_seconds=positive,
)
def gradient_check(
    f,
    parameters,
    grads=None,
    eps=1e-6,
    max_entries_per_array=None,
    seed=0,
    threshold=THRESHOLD,
    names=None,
    pre_activations=None,
    order=2,
    max_seconds=MAX_SECONDS,
):
    """Compare analytic gradients with central differences, array by array.

    f: callable parameters -> J (a float), or -> (J, grads). It is called with a dict of float64
       copies of ``parameters`` (same keys and shapes), one entry perturbed by +-eps.
    parameters: dict name -> array (e.g. {"W1": (n1, n0), "b1": (n1, 1), ...}); not modified.
    grads: dict of analytic gradients, keyed by the parameter's name or by "d" + name
       ("dW1" for "W1"), each of the parameter's shape. None: taken from f(parameters), which
       must then return (J, grads).
    eps: the perturbation. order: 2 (two-point central difference, the default) or 4 (five-point
       central stencil, 4 evaluations of f per entry). max_entries_per_array: check at most this many entries
       of each array,
       drawn without replacement with ``np.random.default_rng(seed)`` (None: every entry).
    threshold: a row passes when its difference is below it (1e-7, as in deeplearning.ai).
    names: the keys to check (default: every key of ``parameters``, in order).
    pre_activations: optional callable parameters -> list of arrays whose sign flips are kinks
       (ReLU pre-activations Z[l]; AL - Y for L1). A crossing (a sign differing between the
       perturbed points, i.e. a pre-activation within k eps of 0) is counted in the
       row's ``kink_crossings`` and reported with a ``KinkCrossingWarning``.
    max_seconds: the run is estimated first (the number of evaluations of f times the time of the first one)
       and refused with that estimate when longer; raise it, or check fewer entries.

    Returns a ``GradCheckReport``.
    """
    params = {k: np.array(v, dtype=np.float64) for k, v in parameters.items()}
    start = time.perf_counter()
    value = f(params)
    seconds_per_f = time.perf_counter() - start
    grads = _returned_grads(value, parameters, names) if grads is None else grads
    cost = _cost(value)
    steps = (1, -1) if order == 2 else (2, 1, -1, -2)
    names = list(params) if names is None else list(names)
    _refuse_long_runs(names, params, max_entries_per_array, len(steps), seconds_per_f, max_seconds)
    rng = np.random.default_rng(seed)
    rows = []
    for name in names:
        theta = params[name]
        a_full = _grad_for(grads, name)
        flat_theta = theta.reshape(-1)  # a view: perturbing it perturbs params[name]
        if max_entries_per_array is not None and theta.size > max_entries_per_array:
            index = np.sort(rng.choice(theta.size, size=int(max_entries_per_array), replace=False))
        else:
            index = np.arange(theta.size)
        numeric = np.empty(index.size)
        crossings = 0
        for j, i in enumerate(index):
            old = flat_theta[i]
            J, Z = {}, []
            for k in steps:
                flat_theta[i] = old + k * eps
                J[k] = _cost(f(params))
                if pre_activations:
                    Z.append(pre_activations(params))
            flat_theta[i] = old
            if order == 2:
                numeric[j] = (J[1] - J[-1]) / (2 * eps)
            else:
                numeric[j] = (8 * (J[1] - J[-1]) - (J[2] - J[-2])) / (12 * eps)
            if pre_activations and any(np.any((z0 > 0) != (z > 0)) for Zk in Z[1:] for z0, z in zip(Z[0], Zk)):
                crossings += 1
        row = ArrayCheck(
            name, theta.shape, index.size, theta.size, a_full.reshape(-1)[index], numeric, index, crossings, threshold
        )
        if crossings:
            warnings.warn(
                f"gradient_check: {crossings} perturbation(s) of {name} crossed a kink "
                f"(a pre-activation within eps={eps:g} of 0); its difference "
                f"{row.difference:.2e} may fail for that reason, not a wrong gradient",
                KinkCrossingWarning,
                stacklevel=2,
            )
        rows.append(row)
    return GradCheckReport(rows, eps, threshold, order, cost)


def _returned_grads(value, parameters, names):
    """grads=None: f(parameters) returned (J, grads), and grads fits the declaration of ``grads``."""
    if not (isinstance(value, tuple) and len(value) == 2):
        raise ValueError("gradient_check: grads=None needs f(parameters) to return (J, grads)")
    read = {"parameters": parameters, "names": names}.get
    Gradients().check("grads", value[1], {}, read)
    return value[1]


def _refuse_long_runs(names, params, max_entries, evaluations_per_entry, seconds_per_f, max_seconds):
    """Raise ValueError when the check would take longer than ``max_seconds`` (estimated, before starting)."""
    entries = sum(min(params[n].size, max_entries or params[n].size) for n in names)
    estimate = entries * evaluations_per_entry * seconds_per_f
    if estimate > max_seconds:
        raise ValueError(
            f"max_seconds: this check needs {entries} entries x {evaluations_per_entry} evaluations of the cost "
            f"({seconds_per_f * 1e3:.2g} ms each), about {estimate:.3g} s > max_seconds = {max_seconds:g}; "
            f"raise max_seconds (nn-ref gradcheck --max-seconds) or check fewer entries (max_entries_per_array)"
        )


@checked(layer_dims=LAYER_DIMS, output_activation=SoftmaxFits(), m=at_least(1), rng=GENERATOR)
def make_data(layer_dims, output_activation, m, rng):
    """Random X (n[0], m) ~ N(0, 1) and labels Y (n[L], m) that fit the output: 0/1 for sigmoid,
    one-hot columns for softmax, N(0, 1) targets for linear."""
    n0, nL = layer_dims[0], layer_dims[-1]
    X = rng.standard_normal((n0, m))
    if output_activation == "sigmoid":
        Y = (rng.random((nL, m)) < 0.5).astype(np.float64)
    elif output_activation == "softmax":
        Y = np.eye(nL)[:, rng.integers(0, nL, size=m)]
    else:
        Y = rng.standard_normal((nL, m))
    return X, Y


@checked(
    layer_dims=LAYER_DIMS,
    output_activation=SoftmaxFits(),
    loss=one_of(network.LOSSES + (None,)),
    m=at_least(1),
    hidden_activation=one_of(network.HIDDEN_ACTIVATIONS),
    eps=positive,
    max_entries_per_array=COUNT,
    init=one_of(initializers.INITIALIZERS + ("glorot",)),
    order=one_of((2, 4)),
    max_seconds=positive,
)
def check_network(
    layer_dims,
    output_activation="sigmoid",
    loss=None,
    m=5,
    seed=0,
    hidden_activation="relu",
    eps=1e-4,
    max_entries_per_array=None,
    init="he",
    check_input=True,
    backend=None,
    order=4,
    max_seconds=MAX_SECONDS,
):
    """Gradient check of ``network.backward`` for a net of ``layer_dims`` on seeded random data.

    X, Y from ``make_data``; parameters from ``network.initialize_parameters(layer_dims, init,
    seed=seed)`` with biases set to small random values (so db is not checked only at b = 0).
    loss defaults to the output's matching loss (sigmoid: cross_entropy, softmax:
    categorical_cross_entropy, linear: mse). Uses the five-point stencil with eps = 1e-4 by
    default (see the module docstring: resolution). Checks every W[l], b[l] and, with ``check_input``,
    X against dA0 / m (network.py's dA are m times dJ/dA).

    The numerical side evaluates J with ``network.compute_cost``, except for sigmoid +
    cross_entropy and softmax + categorical_cross_entropy, where it evaluates the same J from
    the output pre-activation Z[L] with the stable logits forms of ``nn_ref.losses``: computing
    log(1 - a) from a ~ 1 loses digits (1 - a has an absolute error of ~1e-16), and central
    differences multiply that rounding by 1/(2 eps), enough to fail 1e-7 on a correct gradient.
    (The two forms of J agree to rounding; the tests check that too.) Kinks of ReLU / leaky ReLU hidden
    layers (and of the L1 loss) are watched, see ``gradient_check``. Returns a ``GradCheckReport``.
    """
    layer_dims = [int(n) for n in layer_dims]
    loss = DEFAULT_LOSS[output_activation] if loss is None else loss
    rng = np.random.default_rng(seed)
    X, Y = make_data(layer_dims, output_activation, m, rng)
    parameters = network.initialize_parameters(layer_dims, init=init, seed=seed, backend="numpy")
    L = network.num_layers(parameters)
    for l in range(1, L + 1):
        parameters[f"b{l}"] = 0.1 * rng.standard_normal(parameters[f"b{l}"].shape)

    def run(P):
        params = to_backend({k: v for k, v in P.items() if k != "X"}, backend)  # the perturbed copy, moved
        return network.forward(P.get("X", X), params, hidden_activation, output_activation, backend=backend)

    def f(P):
        AL, caches = run(P)
        if (output_activation, loss) == ("sigmoid", "cross_entropy"):
            return losses.binary_cross_entropy_with_logits(host(caches[-1][1]), Y)[0]
        if (output_activation, loss) == ("softmax", "categorical_cross_entropy"):
            return losses.softmax_cross_entropy(host(caches[-1][1]), Y)[0]
        return network.compute_cost(AL, Y, loss, backend=backend)

    def host(x):
        return to_host({"x": x})["x"]

    kinked = hidden_activation in ("relu", "leaky_relu") and L > 1
    pre = None
    if kinked or loss == "l1":

        def pre(P):
            AL, caches = run(P)
            zs = [host(c[1]) for c in caches[:-1]] if kinked else []
            return zs + ([host(AL) - Y] if loss == "l1" else [])

    AL, caches = run(parameters)
    grads = {k: host(v) for k, v in network.backward(AL, Y, caches, loss, backend=backend).items()}
    names = [f"{p}{l}" for l in range(1, L + 1) for p in ("W", "b")]
    checked = dict(parameters)
    if check_input:
        checked["X"] = X
        grads["X"] = grads["dA0"] / m
        names.append("X")
    return gradient_check(
        f,
        checked,
        grads,
        eps=eps,
        max_entries_per_array=max_entries_per_array,
        seed=seed,
        names=names,
        pre_activations=pre,
        order=order,
        max_seconds=max_seconds,
    )


def main(args):
    """``nn-ref gradcheck``: print the table for the net of ``--layers``; 0 when all pass, 1 when
    some array fails, 2 for invalid arguments (e.g. a softmax output with one unit)."""
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", KinkCrossingWarning)
            call = (args.layers, args.output, args.loss, args.m, args.seed, args.hidden, args.eps)
            options = dict(order=args.order, max_seconds=getattr(args, "max_seconds", MAX_SECONDS))
            call, options = check_network.contract.check(call, options)  # checked as your call would be
            report = check_network(*call, **options)
    except ValueError as exc:
        print(f"nn-ref gradcheck: error: {exc}", file=sys.stderr)
        return 2
    print(
        f"gradient check: layers {args.layers}, hidden {args.hidden}, output {args.output}, "
        f"loss {args.loss or DEFAULT_LOSS[args.output]}, m={args.m}, seed={args.seed}"
    )
    print(report)
    for w in caught:
        print(f"warning: {w.message}")
    return 0 if report.passed else 1
