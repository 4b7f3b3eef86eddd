"""Slide "Autograd Example (1)" and "(2)" -- redone with nn-ref.

The slide (from the PyTorch tutorial "Learning PyTorch with Examples") fits random data with a two-layer
ReLU net and no biases, N, D_in, H, D_out = 64, 1000, 100, 10, weights drawn with randn, the loss the *sum*
of squares, learning rate 1e-6, 500 steps:

    y_pred = x.mm(w1).clamp(min=0).mm(w2)
    loss = (y_pred - y).pow(2).sum()
    loss.backward(); w1 -= learning_rate * w1.grad; w2 -= learning_rate * w2.grad

Here the backward pass is written out by hand with nn-ref's per-layer functions (``network.linear_forward``,
``activations.relu``, and their ``_backward`` partners), in the lecture's column notation: a sample is a
column, so X is (D_in, N) = x^T, W1 is (H, D_in) = w1^T, W2 is (D_out, H) = w2^T.

Two details:
- Biases: the slide has none. nn-ref's layers always have b; here b1, b2 are zeros and frozen (never
  updated), so the model is exactly the slide's.
- Loss scaling: ``network.compute_cost(..., "mse")`` is the mean over samples, (1/m) sum (Y_pred - Y)^2, so the
  slide's sum of squares is m * mse. The gradient convention of ``network.linear_backward`` is dZ = m * dJ/dZ
  (it applies the 1/m itself, in dW and db). For J = sum of squares, dJ/dY_pred = 2 (Y_pred - Y), so the dZ we
  hand it is m * 2 (Y_pred - Y); then dW1, dW2 are exactly d(sum of squares)/dW, the gradients torch's
  autograd puts in w1.grad, w2.grad (transposed), and the slide's learning rate 1e-6 applies unchanged.

Run: python scripts/slide_autograd_example.py [--steps 500] [--seed 0]
"""

import sys

import numpy as np

from nn_ref import activations, network
from nn_ref.cli import run_script, script_parser


def main(argv=None):
    parser = script_parser(
        "The slide 'Autograd Example' with nn-ref (manual backward)",
        steps=(500, "gradient-descent steps (the slide: 500)"),
        seed_help="seed of the random data and weights",
    )
    args = parser.parse_args(argv)

    N, D_in, H, D_out = 64, 1000, 100, 10  # batch size, input, hidden, output dimensions
    learning_rate = 1e-6
    rng = np.random.default_rng(args.seed)
    X = rng.standard_normal((D_in, N))  # x = torch.randn(N, D_in), as columns
    Y = rng.standard_normal((D_out, N))  # y = torch.randn(N, D_out)
    W1 = rng.standard_normal((H, D_in))  # w1 = torch.randn(D_in, H), transposed
    W2 = rng.standard_normal((D_out, H))  # w2 = torch.randn(H, D_out)
    b1, b2 = np.zeros((H, 1)), np.zeros((D_out, 1))  # no bias on the slide: zeros, never updated

    m = N
    history = []
    for t in range(args.steps):
        # forward: y_pred = relu(x w1) w2
        Z1, linear_cache1 = network.linear_forward(X, W1, b1, backend=args.backend)
        A1, relu_cache = activations.relu(Z1, backend=args.backend)
        Y_pred, linear_cache2 = network.linear_forward(A1, W2, b2, backend=args.backend)
        loss = m * network.compute_cost(Y_pred, Y, "mse", backend=args.backend)  # sum of squares = m * mse
        history.append((t, loss))
        if t % 100 == 0 or t == args.steps - 1:
            print(t, f"{loss:.6g}")

        # backward, by hand: dZ2 = m * dJ/dY_pred with J the sum of squares (see the docstring)
        dZ2 = m * 2.0 * (Y_pred - Y)
        dA1, dW2, _ = network.linear_backward(dZ2, linear_cache2, backend=args.backend)
        dZ1 = activations.relu_backward(dA1, relu_cache, backend=args.backend)
        _, dW1, _ = network.linear_backward(dZ1, linear_cache1, backend=args.backend)

        # gradient descent on the weights only (db1, db2 are discarded: the slide has no biases)
        W1 -= learning_rate * dW1
        W2 -= learning_rate * dW2
    return history


if __name__ == "__main__":
    sys.exit(run_script(main))
