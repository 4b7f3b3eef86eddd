"""Slides "Linear Regression Example (1)" to "(4)" -- redone with nn-ref.

The slide (after MorvanZhou's PyTorch-Tutorial) fits y = x^2 + 0.2 * U(0, 1) noise on 100 points
x = linspace(-1, 1, 100) with a 1-10-1 net (ReLU hidden layer, linear output), torch.nn.MSELoss and
torch.optim.SGD(lr=0.2), full batch, 200 steps:

    prediction = net(x); loss = loss_func(prediction, y)
    optimizer.zero_grad(); loss.backward(); optimizer.step()

Here: ``network.forward`` / ``compute_cost(..., "mse")`` / ``backward`` / ``update_parameters``. Samples are
columns: X and Y are (1, 100). torch's MSELoss (mean over all 100 x 1 entries) equals nn-ref's "mse",
(1/m) sum (A[2] - Y)^2, when n[L] = 1, so the slide's learning rate 0.2 applies unchanged. The initial
weights are nn-ref's He initialization (torch uses its own uniform default), biases zero.

Run: python scripts/slide_linear_regression_example.py [--steps 200] [--seed 0]
"""

import sys

import numpy as np

from nn_ref import network
from nn_ref.cli import run_script, script_parser


def main(argv=None):
    parser = script_parser(
        "The slide 'Linear Regression Example' with nn-ref",
        steps=(200, "SGD steps (the slide: 200)"),
        seed_help="seed of the noise and the initial weights",
    )
    args = parser.parse_args(argv)

    rng = np.random.default_rng(args.seed)
    X = np.linspace(-1, 1, 100).reshape(1, 100)  # x = torch.unsqueeze(torch.linspace(-1, 1, 100), 1)
    Y = X**2 + 0.2 * rng.random(X.shape)  # y = x.pow(2) + 0.2 * torch.rand(x.size())
    parameters = network.initialize_parameters([1, 10, 1], init="he", seed=args.seed)  # Net(1, 10, 1)
    learning_rate = 0.2  # torch.optim.SGD(net.parameters(), lr=0.2)

    history = []
    for t in range(args.steps):
        prediction, caches = network.forward(X, parameters, "relu", "linear", backend=args.backend)
        loss = network.compute_cost(prediction, Y, "mse", backend=args.backend)  # torch.nn.MSELoss()
        history.append((t, loss))
        if t % 100 == 0 or t == args.steps - 1:
            print(t, f"Loss={loss:.4f}")
        grads = network.backward(prediction, Y, caches, "mse", backend=args.backend)  # loss.backward()
        network.update_parameters(parameters, grads, learning_rate, backend=args.backend)  # optimizer.step()
    return history


if __name__ == "__main__":
    sys.exit(run_script(main))
