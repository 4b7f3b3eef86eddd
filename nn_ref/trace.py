"""One forward and one backward pass, step by step, in the lecture's notation [Forward Propagation
(and Inference as well), Forward Propagation - Cost Function, Backward Propagation - Parameter Updates].

``trace`` runs a tiny network once and returns every intermediate array as a ``Step`` record, in
the order the lecture computes them::

    A[0] = X
    Z[l] = W[l] A[l-1] + b[l]        (n[l], m) = (n[l], n[l-1]) (n[l-1], m) + (n[l], 1)
    A[l] = g[l](Z[l])                 l = 1 .. L
    J    = cost(A[L], Y)
    dZ[L] = A[L] - Y                  (sigmoid + cross-entropy: the chain rule collapses)
    dW[l] = (1/m) dZ[l] A[l-1]^T      l = L .. 1
    db[l] = (1/m) sum_i dZ[l]
    dA[l-1] = W[l]^T dZ[l]
    dZ[l-1] = dA[l-1] * g'(Z[l-1])
    W[l] <- W[l] - alpha dW[l];  b[l] <- b[l] - alpha db[l]

The numbers are recorded from ``nn_ref.network``'s own calls, nothing is recomputed here: Z[l] and A[l] from
the caches of ``network.forward``, J from ``network.compute_cost``, every dA[l], dZ[l], dW[l], db[l] from the
grads of ``network.backward``, and the new W[l], b[l] from ``network.update_parameters``.
``format_trace`` prints the records; ``nn-ref trace`` is the command line.
"""

from dataclasses import dataclass, field

import numpy as np

from nn_ref import network
from nn_ref._checks import check_choice, check_shape
from nn_ref.backend import accelerated, chosen, to_backend, to_host
from nn_ref.kernels.contract import DEFAULT_LOSS, collapses

COST_EQUATIONS = {
    "cross_entropy": "J = -(1/m) sum [Y log A[L] + (1 - Y) log(1 - A[L])]",
    "categorical_cross_entropy": "J = -(1/m) sum sum Y log A[L]",
    "mse": "J = (1/m) sum (A[L] - Y)^2",
    "l1": "J = (1/m) sum |A[L] - Y|",
}
# dA[L] = m dJ/dA[L] (network's convention: the 1/m is applied in dW and db)
DA_EQUATIONS = {
    "cross_entropy": "-(Y / A[L] - (1 - Y) / (1 - A[L]))",
    "categorical_cross_entropy": "-Y / A[L]",
    "mse": "2 (A[L] - Y)",
    "l1": "sign(A[L] - Y)",
}


@dataclass
class Step:
    """One line of the trace.

    phase: "input", "forward", "cost", "backward" or "update"; name: the array computed ("Z[1]");
    layer: l (0 for the inputs, None for the cost); equation: the lecture's equation; shape: the
    shape of ``value`` (``()`` for the cost J); operands: the shapes of the arrays on the right-hand
    side, in the equation's order; shapes: the shape equation (``(4,2) = (4,3)(3,2) + (4,1)``);
    value: the computed array (a NumPy copy) or float.
    """

    phase: str
    name: str
    layer: object
    equation: str
    shape: tuple
    operands: list = field(default_factory=list)
    shapes: str = ""
    value: object = None

    def as_dict(self):
        """The record as a plain dict (for a notebook table)."""
        return {
            "phase": self.phase,
            "name": self.name,
            "layer": self.layer,
            "equation": self.equation,
            "shapes": self.shapes,
            "value": self.value,
        }


def _fmt_shape(shape):
    return "()" if shape == () else "(" + ",".join(str(n) for n in shape) + ")"


def trace(
    layer_dims=(3, 4, 1),
    m=2,
    seed=0,
    backend="numpy",
    learning_rate=0.1,
    hidden_activation="relu",
    output_activation="sigmoid",
    loss=None,
    X=None,
    Y=None,
    parameters=None,
):
    """Run one forward pass, the cost, one backward pass and one update; return the list of ``Step``.

    layer_dims = [n[0], ..., n[L]]; X: (n[0], m) and Y: (n[L], m) are drawn with
    ``np.random.default_rng(seed)`` unless given (Y: 0/1 labels for a sigmoid output, one-hot for
    softmax, normal for linear); parameters from ``network.initialize_parameters(layer_dims, seed=seed)``
    unless given (they are not modified: the update works on a copy). ``loss`` defaults to the one that
    matches the output ("cross_entropy" for sigmoid, "categorical_cross_entropy" for softmax, "mse" for
    linear).
    """
    check_choice("hidden_activation", hidden_activation, network.HIDDEN_ACTIVATIONS)
    check_choice("output_activation", output_activation, network.OUTPUT_ACTIVATIONS)
    loss = DEFAULT_LOSS[output_activation] if loss is None else loss
    check_choice("loss", loss, network.LOSSES)
    B = chosen(backend)
    K = accelerated(B)

    def host(x):
        return np.asarray(x) if K is None else K.to_host(x)

    if parameters is None:
        parameters = network.initialize_parameters(layer_dims, seed=seed)
    layer_dims = network.layer_dims_of(parameters)
    L = len(layer_dims) - 1
    if output_activation == "softmax" and layer_dims[L] < 2:
        raise ValueError(f"layer_dims: a softmax output needs n[L] >= 2 classes, got {layer_dims}")
    rng = np.random.default_rng(seed)
    if X is None:
        X = rng.standard_normal((layer_dims[0], m))
    check_shape("X", X, (layer_dims[0], None))
    m = X.shape[1]
    if Y is None:
        Y = _random_labels(rng, output_activation, layer_dims[L], m)
    check_shape("Y", Y, (layer_dims[L], m))

    steps = []

    def add(phase, name, layer, equation, value, operands=(), form=None):
        """Record one step; ``form`` lays out the operand shapes like the equation ("{0}{1} + {2}")."""
        value = float(value) if np.isscalar(value) else np.array(host(value))
        operands = [tuple(o) for o in operands]
        shape = np.shape(value)
        shapes = _fmt_shape(shape)
        if form is not None:
            shapes += " = " + form.format(*map(_fmt_shape, operands))
        steps.append(Step(phase, name, layer, equation, shape, operands, shapes, value))

    add("input", "A[0]", 0, "A[0] = X", X)
    add("input", "Y", 0, "Y (labels)", Y)
    for l in range(1, L + 1):
        add("input", f"W[{l}]", l, f"W[{l}] (initial)", parameters[f"W{l}"])
        add("input", f"b[{l}]", l, f"b[{l}] (initial)", parameters[f"b{l}"])

    # ---- forward propagation: network.forward; Z[l] and A[l] are read from its caches
    params = to_backend({k: np.array(v) for k, v in to_host(parameters).items()}, B)  # a copy: updated below
    AL, caches = network.forward(X, params, hidden_activation, output_activation, backend=B)
    for l in range(1, L + 1):
        (A_prev, W, b), Z, A, g, _ = caches[l - 1]
        add(
            "forward",
            f"Z[{l}]",
            l,
            f"Z[{l}] = W[{l}] A[{l - 1}] + b[{l}]",
            Z,
            [W.shape, A_prev.shape, b.shape],
            "{0}{1} + {2}",
        )
        add("forward", f"A[{l}]", l, f"A[{l}] = {g}(Z[{l}])", A, [Z.shape], "{0}")

    # ---- cost: network.compute_cost
    J = network.compute_cost(AL, Y, loss, backend=B)
    add("cost", "J", None, COST_EQUATIONS[loss].replace("A[L]", f"A[{L}]"), J)

    # ---- backward propagation: network.backward; every gradient is read from its grads
    grads = network.backward(AL, Y, caches, loss, backend=B)
    if collapses(output_activation, loss):
        add("backward", f"dZ[{L}]", L, f"dZ[{L}] = A[{L}] - Y", grads[f"dZ{L}"], [AL.shape, Y.shape], "{0} - {1}")
    else:
        add(
            "backward",
            f"dA[{L}]",
            L,
            f"dA[{L}] = " + DA_EQUATIONS[loss].replace("A[L]", f"A[{L}]"),
            grads[f"dA{L}"],
            [AL.shape, Y.shape],
            "f({0}, {1})",
        )
        add(
            "backward",
            f"dZ[{L}]",
            L,
            f"dZ[{L}] = dA[{L}] * {output_activation}'(Z[{L}])",
            grads[f"dZ{L}"],
            [AL.shape, AL.shape],
            "{0} * {1}",
        )
    for l in range(L, 0, -1):
        (A_prev, W, b), Z, _, g, _ = caches[l - 1]
        dZ = grads[f"dZ{l}"]
        if l < L:
            add("backward", f"dZ[{l}]", l, f"dZ[{l}] = dA[{l}] * {g}'(Z[{l}])", dZ, [Z.shape, Z.shape], "{0} * {1}")
        add(
            "backward",
            f"dW[{l}]",
            l,
            f"dW[{l}] = (1/m) dZ[{l}] A[{l - 1}]^T",
            grads[f"dW{l}"],
            [dZ.shape, A_prev.shape[::-1]],
            "{0}{1}",
        )
        add("backward", f"db[{l}]", l, f"db[{l}] = (1/m) sum_i dZ[{l}]", grads[f"db{l}"], [dZ.shape], "sum_i {0}")
        add(
            "backward",
            f"dA[{l - 1}]",
            l - 1,
            f"dA[{l - 1}] = W[{l}]^T dZ[{l}]",
            grads[f"dA{l - 1}"],
            [W.shape[::-1], dZ.shape],
            "{0}{1}",
        )

    # ---- update: network.update_parameters (in place, on the copy ``params``)
    network.update_parameters(params, grads, learning_rate, backend=B)
    for l in range(L, 0, -1):
        for p in ("W", "b"):
            add(
                "update",
                f"{p}[{l}]",
                l,
                f"{p}[{l}] = {p}[{l}] - {learning_rate:g} d{p}[{l}]",
                params[f"{p}{l}"],
                [params[f"{p}{l}"].shape, grads[f"d{p}{l}"].shape],
                "{0} - alpha {1}",
            )
    return steps


def _random_labels(rng, output_activation, n_L, m):
    if output_activation == "sigmoid":
        return rng.integers(0, 2, size=(n_L, m)).astype(np.float64)
    if output_activation == "softmax":
        return np.eye(n_L)[:, rng.integers(0, n_L, size=m)]
    return rng.standard_normal((n_L, m))


_HEADINGS = {
    "input": "Inputs and initial parameters",
    "forward": "Forward propagation",
    "cost": "Cost",
    "backward": "Backward propagation",
    "update": "Parameter update (gradient descent, learning rate alpha)",
}


def format_trace(steps, precision=4, show_values=True):
    """The records as text: one heading per phase, then per step its equation, its shape equation and
    (``show_values``) its values, printed with compact NumPy print options."""
    lines, phase = [], None
    with np.printoptions(precision=precision, suppress=True, linewidth=100, floatmode="maxprec"):
        for s in steps:
            if s.phase != phase:
                phase = s.phase
                lines.append(("" if not lines else "\n") + _HEADINGS[phase])
            if s.phase == "cost":
                lines.append(f"  {s.equation} = {s.value + 0.0:.6g}")
                continue
            lines.append(f"  {s.equation:<36s} {s.shapes}")
            if show_values:
                value = s.value + 0.0 if s.value.dtype.kind == "f" else s.value  # print -0.0 as 0.0
                lines.extend("      " + row for row in str(value).splitlines())
    return "\n".join(lines)
