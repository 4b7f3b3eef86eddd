"""Slide "PyTorch Tensors, Functions and Gradients" -- redone with nn-ref's scalar autograd (nn_ref.graph).

The slide:

    x = torch.tensor(torch.ones(2, 2) * 2, requires_grad=True)     # every entry 2
    z = 2 * (x * x) + 5 * x
    z.backward(torch.ones(2, 2)*2)
    print(x.grad)        # the slide prints tensor([[13., 13.], [13., 13.]])

dz/dx = 4x + 5 = 13 at x = 2. But ``z.backward(v)`` computes the vector-Jacobian product v * dz/dx, so with
the slide's upstream gradient v = 2 (``torch.ones(2, 2)*2``) PyTorch prints 26, not 13; the slide's 13 is
what an upstream gradient of ones gives (``z.backward(torch.ones(2, 2))``), as its own text says ("a (2,2)
tensor of 1-values"). Below, each of the four entries is a ``graph.Value``; ``z.backward(1.0)`` gives 13 and,
after ``zero_grad``, ``z.backward(2.0)`` gives 26.

Run: python scripts/slide_tensors_functions_gradients.py
"""

import sys

from nn_ref.cli import run_script, script_parser
from nn_ref.graph import Value


def main(argv=None):
    parser = script_parser(
        "The slide 'PyTorch Tensors, Functions and Gradients' with nn-ref",
        backend=False,
    )
    parser.add_argument("--x", type=float, default=2.0, help="the value of every entry of x (the slide: 2)")
    args = parser.parse_args(argv)

    x = [[Value(args.x, label=f"x{i}{j}") for j in range(2)] for i in range(2)]  # torch.ones(2, 2) * 2
    z = [[2 * (xij * xij) + 5 * xij for xij in row] for row in x]  # z = 2 * (x * x) + 5 * x
    print("z =", [[zij.data for zij in row] for row in z])

    results = {}
    for upstream in (1.0, 2.0):
        for row_x, row_z in zip(x, z):
            for _xij, zij in zip(row_x, row_z):
                zij.zero_grad()  # like x.grad.zero_(): gradients accumulate otherwise
                zij.backward(upstream)  # z.backward(torch.ones(2, 2) * upstream), entry by entry
        grad = [[xij.grad for xij in row] for row in x]
        results[upstream] = grad
        print(f"upstream gradient {upstream:g}: x.grad =", grad)
    print(
        "dz/dx = 4x + 5 =",
        4 * args.x + 5,
        "-- the slide's 13 is x.grad for an upstream gradient of ones; with its torch.ones(2, 2)*2, x.grad is",
        2 * (4 * args.x + 5),
    )
    return results


if __name__ == "__main__":
    sys.exit(run_script(main))
