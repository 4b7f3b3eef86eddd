"""Slides "NN Example (1)" and "(2)" -- redone with nn-ref's Sequential veneer.

The slide (PyTorch tutorial "Learning PyTorch with Examples", the nn package version) fits random data,
N, D_in, H, D_out = 64, 1000, 100, 10, with

    model = torch.nn.Sequential(torch.nn.Linear(D_in, H), torch.nn.ReLU(), torch.nn.Linear(H, D_out))
    loss_fn = torch.nn.MSELoss(reduction='sum')          # the sum of squares
    learning_rate = 1e-4, 500 steps:  y_pred = model(x); loss = loss_fn(y_pred, y); model.zero_grad();
    loss.backward(); param -= learning_rate * param.grad

Here ``nn_ref.sequential`` (a thin veneer: ``Linear`` calls ``network.linear_forward/linear_backward``,
``ReLU`` calls ``activations.relu/relu_backward``, ``step`` calls ``network.update_parameters``). Samples are
columns: X is (D_in, N), Y is (D_out, N).

Loss scaling: ``network.compute_cost(..., "mse")`` is (1/m) sum (Y_pred - Y)^2, so the slide's sum of squares
is m * mse. ``backward`` takes dA[L] = m * dJ/dA[L] (network's convention, the 1/m is applied in dW, db):
for J = sum (Y_pred - Y)^2 that is m * 2 (Y_pred - Y), and the gradients are then exactly those torch
computes, so the slide's learning rate 1e-4 applies unchanged. (zero_grad is not needed: each backward
overwrites dW, db instead of accumulating.) Initial weights: He (torch uses its own uniform default),
biases zero.

Run: python scripts/slide_nn_example.py [--steps 500] [--seed 0]
"""

import sys

import numpy as np

from nn_ref import network
from nn_ref.cli import run_script, script_parser
from nn_ref.sequential import Linear, ReLU, Sequential


def main(argv=None):
    parser = script_parser(
        "The slide 'NN Example' with nn-ref's Sequential",
        steps=(500, "gradient-descent steps (the slide: 500)"),
        seed_help="seed of the random data and weights",
    )
    args = parser.parse_args(argv)

    N, D_in, H, D_out = 64, 1000, 100, 10
    rng = np.random.default_rng(args.seed)
    X = rng.standard_normal((D_in, N))  # x = torch.randn(N, D_in), as columns
    Y = rng.standard_normal((D_out, N))  # y = torch.randn(N, D_out)
    B = args.backend
    model = Sequential(
        Linear(D_in, H, seed=args.seed + 1, backend=B), ReLU(B), Linear(H, D_out, seed=args.seed + 2, backend=B)
    )
    print(model)
    learning_rate = 1e-4
    m = N

    history = []
    for t in range(args.steps):
        Y_pred = model.forward(X)  # y_pred = model(x)
        loss = m * network.compute_cost(Y_pred, Y, "mse", backend=B)  # MSELoss(reduction='sum') = m * mse
        history.append((t, loss))
        if t % 100 == 0 or t == args.steps - 1:
            print(t, f"{loss:.6g}")
        model.backward(m * 2.0 * (Y_pred - Y))  # loss.backward(): dA[L] = m dJ/dY_pred
        model.step(learning_rate)  # param -= learning_rate * param.grad
    return history


if __name__ == "__main__":
    sys.exit(run_script(main))
