"""Slides "PyTorch Neural Network", "PyTorch Loss Function" and "PyTorch Backpropagation and weights
update" -- redone with nn-ref.

The slides define a net with 3 fully connected layers, 256 -> 120 -> 84 -> 10, ReLU after the first two and
a linear output; feed it a dummy input ``torch.randn(256)`` and a dummy target ``torch.arange(1, 11)``,
measure ``nn.MSELoss()``, then ``net.zero_grad(); loss.backward()`` and update every parameter with
``f.data.sub_(f.grad.data * learning_rate)``, learning_rate = 0.01. Here a few such SGD steps:
``network.forward`` / ``compute_cost`` / ``backward`` / ``update_parameters`` on layer_dims [256, 120, 84, 10].

One sample is one column: X is (256, 1), Y is (10, 1), so m = 1.
Loss scaling: torch's MSELoss is the mean over all 10 output entries, (1/10) sum (A[3] - Y)^2, while nn-ref's
"mse" is (1/m) sum (A[3] - Y)^2 = sum (A[3] - Y)^2 for m = 1, i.e. 10 times larger. So the slide's loss is
mse / n[L] and its gradients are grads / n[L]; the update W <- W - 0.01 * dJ_torch/dW is
``update_parameters(parameters, grads, 0.01 / n[L])``.
Initial parameters: as torch.nn.Linear's default, W[l] and b[l] ~ U(-1/sqrt(n[l-1]), 1/sqrt(n[l-1])). (With
nn-ref's larger He or Xavier weights, lr 0.01 on this single sample of norm ~16 is too large: the loss drops in
the first steps, then oscillates.)

Run: python scripts/slide_pytorch_neural_network.py [--steps 10] [--seed 0]
"""

import sys

import numpy as np

from nn_ref import network
from nn_ref.cli import run_script, script_parser


def main(argv=None):
    parser = script_parser(
        "The slide 'PyTorch Neural Network' with nn-ref",
        steps=(10, "SGD steps (the slide shows one; default 10)"),
        seed_help="seed of the dummy input and the weights",
    )
    args = parser.parse_args(argv)

    layer_dims = [256, 120, 84, 10]  # fc1: 256 -> 120, fc2: 120 -> 84, fc3: 84 -> 10
    rng = np.random.default_rng(args.seed)
    parameters = {}
    for l in range(1, len(layer_dims)):  # torch.nn.Linear's default: W and b ~ U(-1/sqrt(n[l-1]), 1/sqrt(n[l-1]))
        k = 1.0 / np.sqrt(layer_dims[l - 1])
        parameters[f"W{l}"] = rng.uniform(-k, k, (layer_dims[l], layer_dims[l - 1]))
        parameters[f"b{l}"] = rng.uniform(-k, k, (layer_dims[l], 1))
    X = rng.standard_normal((256, 1))  # input = torch.randn(256), a dummy input
    Y = np.arange(1, 11, dtype=np.float64).reshape(10, 1)  # target = torch.arange(1, 11), a dummy target
    learning_rate = 0.01
    n_L = layer_dims[-1]
    for l in range(1, len(layer_dims)):
        print(f"fc{l}: W{l} {parameters[f'W{l}'].shape}, b{l} {parameters[f'b{l}'].shape}")

    history = []
    for t in range(args.steps):
        output, caches = network.forward(X, parameters, "relu", "linear", backend=args.backend)  # net(input)
        loss = network.compute_cost(output, Y, "mse", backend=args.backend) / n_L  # nn.MSELoss()
        history.append((t, loss))
        if t % 100 == 0 or t == args.steps - 1 or args.steps <= 20:  # a few steps: print each one
            print(t, f"loss {loss:.6g}")
        grads = network.backward(output, Y, caches, "mse", backend=args.backend)  # loss.backward()
        network.update_parameters(parameters, grads, learning_rate / n_L, backend=args.backend)  # f -= lr * grad
    return history


if __name__ == "__main__":
    sys.exit(run_script(main))
