"""Exercises for the lecture's L-layer network ("Forward Propagation", "Backward Propagation - Parameter
Updates") and "Popular Weight Initializers": L_model_forward, L_model_backward, update_parameters,
he_initialization."""

import numpy as np

from nn_ref import network
from nn_ref.backend import use_backend
from nn_ref.exercises.core import (
    Case,
    Exercise,
    _copy_params,
    _dict_outputs,
    _register,
    _rng,
    _sig,
    _Structure,
    _tuple,
    central_differences,
)

# ---------------------------------------------------------------------------- the L-layer network


NET_DIMS = ((5, 3, 1), (3, 7, 5, 1), (7, 5, 3, 1), (4, 3, 1))
NET_M = (5, 7, 3, 1)


def _net_cases(seed):
    cases = []
    for k, (dims, m) in enumerate(zip(NET_DIMS, NET_M)):
        rng = _rng(seed, k)
        P = network.initialize_parameters(dims, seed=seed + k)
        for l in range(1, len(dims)):
            P[f"b{l}"] = rng.standard_normal(P[f"b{l}"].shape) * 0.1
        X = rng.standard_normal((dims[0], m))
        Y = (rng.random((1, m)) < 0.5).astype(np.float64)
        cases.append((f"layer_dims {list(dims)}, m = {m}", X, Y, P))
    return cases


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
        means=("dW", "db"),
    )
)


UPDATE_LR = (0.1, 0.7, 0.03, 0.25)  # one learning rate per case: a hard-coded one fails


def _update_cases(seed):
    cases = []
    for (label, _, _, P), lr in zip(_net_cases(seed), UPDATE_LR):
        rng = _rng(seed, 7)
        grads = {"d" + k: rng.standard_normal(v.shape) for k, v in P.items()}
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
        mutable=("parameters",),
        hyperparameters=("learning_rate",),
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
        float32=False,
    )
)
