"""Exercise for the lecture's "Autograd Example" (PyTorch): the two-layer ReLU net's gradients by hand,
what ``loss.backward()`` leaves in ``w1.grad`` and ``w2.grad``: relu_net_gradients."""

import numpy as np

from nn_ref import activations, network
from nn_ref.backend import use_backend
from nn_ref.exercises.core import Case, Exercise, _drawn, _fresh, _named, _register, _rng, _shape, central_differences

# (D_in, H, D_out, N): the slide's 1000, 100, 10, 64 scaled down; N = 1 and a drawn size included
RELU_NET_SIZES = ((5, 4, 3, 7), (3, 6, 2, 1), (7, 5, 1, 4))


def _relu_net_ref(X, Y, W1, W2):
    """The slide's net in column notation with nn-ref's layers (zero biases): Y_pred = W2 relu(W1 X),
    loss = sum (Y_pred - Y)^2 = m * "mse"; linear_backward takes dZ = m dloss/dZ, so dZ2 = m * 2 (Y_pred - Y)."""
    m = X.shape[1]
    b1, b2 = np.zeros((W1.shape[0], 1), X.dtype), np.zeros((W2.shape[0], 1), X.dtype)
    with use_backend("numpy"):
        Z1, linear_cache1 = network.linear_forward(X, W1, b1)
        A1, relu_cache = activations.relu(Z1)
        Y_pred, linear_cache2 = network.linear_forward(A1, W2, b2)
        loss = m * network.compute_cost(Y_pred, Y, "mse")
        dA1, dW2, _ = network.linear_backward(m * 2 * (Y_pred - Y), linear_cache2)
        _, dW1, _ = network.linear_backward(activations.relu_backward(dA1, relu_cache), linear_cache1)
    return float(loss), dW1, dW2


def _relu_net_cases(seed):
    (h, n), d_in = _drawn(seed, 0), _drawn(seed, 1)[0]
    cases = []
    for k, (D_in, H, D_out, N) in enumerate((*RELU_NET_SIZES, (d_in, h + 1, 2, n))):
        rng = _rng(seed, k)
        X, Y = rng.standard_normal((D_in, N)), rng.standard_normal((D_out, N))
        W1, W2 = rng.standard_normal((H, D_in)), rng.standard_normal((D_out, H))
        cases.append(
            Case(
                f"X {_shape(X)}, W1 {_shape(W1)}, W2 {_shape(W2)}",
                _fresh(X, Y, W1, W2),
                {"X": X, "Y": Y, "W1": W1, "W2": W2},
                N,
            )
        )
    return cases


def _relu_net_numeric(case):
    X, Y = case.context["X"], case.context["Y"]
    W1, W2 = case.context["W1"].copy(), case.context["W2"].copy()

    def loss():
        return float(((W2 @ np.maximum(W1 @ X, 0) - Y) ** 2).sum())

    return {"dW1": central_differences(loss, W1), "dW2": central_differences(loss, W2)}


def _relu_net_hyp(case):
    X, Y, W1, W2 = (case.context[k] for k in ("X", "Y", "W1", "W2"))
    Z1 = W1 @ X
    A1 = np.maximum(Z1, 0)
    dY = 2 * (W2 @ A1 - Y)
    return [
        ("the ReLU mask is missing: dZ1 = dA1 * 1[Z1 > 0], dA1 = W2^T dY_pred", {"dW1": (W2.T @ dY) @ X.T}),
        (
            "the mask is taken from dA1 (dA1 > 0): it must come from Z1, dZ1 = dA1 * 1[Z1 > 0]",
            {"dW1": ((W2.T @ dY) * (W2.T @ dY > 0)) @ X.T},
        ),
        ("used Z1 where A1 = relu(Z1) is needed: dW2 = dY_pred A1^T", {"dW2": dY @ Z1.T}),
        (
            "computed the mean of squares: the slide's loss is the sum, (y_pred - y).pow(2).sum()",
            {"loss": float(((W2 @ A1 - Y) ** 2).mean())},
        ),
    ]


_register(
    Exercise(
        "relu_net_gradients",
        "relu_net_gradients(X, Y, W1, W2) -> (loss, dW1, dW2)",
        "The slide's autograd example in column notation, no biases: Z1 = W1 X; A1 = relu(Z1); Y_pred = W2 A1; "
        "loss = sum (Y_pred - Y)^2 (a sum, no 1/m); dY_pred = 2 (Y_pred - Y); dW2 = dY_pred A1^T; "
        "dA1 = W2^T dY_pred; dZ1 = dA1 * 1[Z1 > 0]; dW1 = dZ1 X^T -- what loss.backward() leaves in w1.grad, "
        "w2.grad (transposed: PyTorch's x is (N, D_in)). X: (D_in, N), Y: (D_out, N), W1: (H, D_in), W2: (D_out, H).",
        "Autograd Example",
        "10_pytorch_examples",
        _relu_net_ref,
        _relu_net_cases,
        _named(("loss", "dW1", "dW2")),
        _relu_net_hyp,
        _relu_net_numeric,
    )
)
