# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 10 -- The slides' PyTorch examples, redone with nn-ref
#
# Lecture slides: *PyTorch Tensors*, *PyTorch Tensors, Functions and Gradients*, *Autograd Example*,
# *Linear Regression Example*, *NN Example*, *PyTorch Neural Network*.
#
# Each example runs twice: with nn-ref, in NumPy and the lecture's column notation (a sample is a column,
# so PyTorch's `x` of shape $(N, D_{in})$ is `X` of shape $(D_{in}, N)$ and `torch.nn.Linear`'s weight
# $(D_{out}, D_{in})$ is `W` as it is), and -- when PyTorch is installed -- with the slide's PyTorch code
# on the same numbers, so the two can be compared. PyTorch is optional: without it the PyTorch cells say
# so and skip.

# %%
import numpy as np

from nn_ref import activations, network
from nn_ref.exercises import check, done, exercise, progress, show_figure
from nn_ref.graph import Value

np.set_printoptions(precision=4, suppress=True)

try:
    import torch
except ImportError:  # PyTorch is optional: the nn-ref cells run without it
    torch = None
    print(
        "PyTorch is not installed: the PyTorch cells below skip themselves, the nn-ref ones run.\n"
        "To run them too: pip install torch   (a CPU-only build is enough: see pytorch.org, Get Started),\n"
        "then restart the kernel."
    )
else:
    torch.set_default_dtype(torch.float64)  # compare with nn-ref's float64 to rounding
    print("PyTorch", torch.__version__)

# %% [markdown]
# ## Tensors
#
# A tensor is an $n$-dimensional array: a scalar, a vector, a matrix, ... -- in NumPy an `ndarray`.

# %%
show_figure("tensors")

# %% [markdown]
# ## Functions and gradients
#
# ```python
# x = torch.tensor(torch.ones(2, 2) * 2, requires_grad=True)
# z = 2 * (x * x) + 5 * x
# z.backward(torch.ones(2, 2))        # x.grad = dz/dx = 4x + 5 = 13
# ```

# %%
x = [[Value(2.0, label=f"x{i}{j}") for j in range(2)] for i in range(2)]
z = [[2 * (xij * xij) + 5 * xij for xij in row] for row in x]
for row in z:
    for zij in row:
        zij.backward(1.0)
print("x.grad =", [[xij.grad for xij in row] for row in x])

# %%
if torch is not None:
    x = torch.full((2, 2), 2.0, requires_grad=True)
    z = 2 * (x * x) + 5 * x
    z.backward(torch.ones(2, 2))
    print("PyTorch: x.grad =", x.grad.tolist())
else:
    print("PyTorch is not installed: skipped (x.grad would be [[13, 13], [13, 13]])")

# %% [markdown]
# ## Autograd example: a two-layer ReLU net, the backward pass by hand
#
# ```python
# y_pred = x.mm(w1).clamp(min=0).mm(w2)
# loss = (y_pred - y).pow(2).sum()
# loss.backward(); w1 -= learning_rate * w1.grad; w2 -= learning_rate * w2.grad
# ```
#
# With nn-ref's per-layer functions (no biases on the slide: `b1`, `b2` are zeros and stay zero). The loss
# is the *sum* of squares, $m$ times nn-ref's mean "mse"; `linear_backward` takes $dZ = m \cdot \partial J/\partial Z$,
# so for $J = \sum (Y_{pred} - Y)^2$ we hand it $dZ^{[2]} = m \cdot 2 (Y_{pred} - Y)$. (The slide's sizes are
# $N, D_{in}, H, D_{out} = 64, 1000, 100, 10$ and 500 steps; here 50 steps to stay quick.)

# %%
N, D_in, H, D_out = 64, 1000, 100, 10
rng = np.random.default_rng(0)
X, Y = rng.standard_normal((D_in, N)), rng.standard_normal((D_out, N))
W1, W2 = rng.standard_normal((H, D_in)), rng.standard_normal((D_out, H))
W1_start, W2_start = W1.copy(), W2.copy()  # for the PyTorch run below
b1, b2 = np.zeros((H, 1)), np.zeros((D_out, 1))
m, learning_rate = N, 1e-6
for t in range(50):
    Z1, linear_cache1 = network.linear_forward(X, W1, b1)
    A1, relu_cache = activations.relu(Z1)
    Y_pred, linear_cache2 = network.linear_forward(A1, W2, b2)
    loss = m * network.compute_cost(Y_pred, Y, "mse")  # the sum of squares
    if t % 10 == 0:
        print(t, f"{loss:.6g}")
    dA1, dW2, _ = network.linear_backward(m * 2.0 * (Y_pred - Y), linear_cache2)
    _, dW1, _ = network.linear_backward(activations.relu_backward(dA1, relu_cache), linear_cache1)
    W1 -= learning_rate * dW1
    W2 -= learning_rate * dW2

# %% [markdown]
# The slide's PyTorch code on the same data and the same initial weights (transposed: PyTorch's rows are
# samples), 50 steps; autograd computes what `linear_backward` and `relu_backward` computed above:

# %%
if torch is not None:
    x, y = torch.tensor(X.T), torch.tensor(Y.T)
    w1 = torch.tensor(W1_start.T.copy(), requires_grad=True)
    w2 = torch.tensor(W2_start.T.copy(), requires_grad=True)
    for t in range(50):
        y_pred = x.mm(w1).clamp(min=0).mm(w2)
        loss = (y_pred - y).pow(2).sum()
        if t % 10 == 0:
            print(t, f"{loss.item():.6g}")
        loss.backward()
        with torch.no_grad():
            w1 -= learning_rate * w1.grad
            w2 -= learning_rate * w2.grad
            w1.grad.zero_()
            w2.grad.zero_()
    relative = np.abs(w1.detach().numpy().T - W1).max() / np.abs(W1).max()
    print(f"largest difference of W1 from nn-ref's, relative to its largest entry: {relative:.1e}")
else:
    print("PyTorch is not installed: skipped (its losses match nn-ref's above to rounding)")

# %%
show_figure("pytorch_examples_loss")

# %% [markdown]
# ## Linear regression example
#
# $y = x^2 + 0.2\, U(0, 1)$ on 100 points, a 1-10-1 network (ReLU hidden layer, linear output), MSE,
# SGD with learning rate 0.2, full batch, 200 steps:
#
# ```python
# prediction = net(x); loss = loss_func(prediction, y)
# optimizer.zero_grad(); loss.backward(); optimizer.step()
# ```
#
# is `network.forward`, `network.compute_cost(..., "mse")`, `network.backward`, `network.update_parameters`:

# %%
rng = np.random.default_rng(0)
X = np.linspace(-1, 1, 100).reshape(1, 100)
Y = X**2 + 0.2 * rng.random(X.shape)
parameters = network.initialize_parameters([1, 10, 1], init="he", seed=0)
for t in range(200):
    prediction, caches = network.forward(X, parameters, "relu", "linear")
    loss = network.compute_cost(prediction, Y, "mse")
    grads = network.backward(prediction, Y, caches, loss="mse")
    network.update_parameters(parameters, grads, learning_rate=0.2)
    if t % 50 == 0 or t == 199:
        print(t, f"{loss:.5f}")

# %%
show_figure("regression_example")

# %% [markdown]
# ## Exercise: `relu_net_gradients` -- what `loss.backward()` computes
#
# The autograd example's backward pass by hand, in column notation and without biases:
#
# $$Z_1 = W_1 X, \quad A_1 = \mathrm{relu}(Z_1), \quad Y_{pred} = W_2 A_1, \quad
#   \text{loss} = \sum (Y_{pred} - Y)^2 \ \text{(a sum: no } 1/m\text{)}$$
# $$dY_{pred} = 2 (Y_{pred} - Y), \quad dW_2 = dY_{pred} A_1^T, \quad dA_1 = W_2^T dY_{pred}, \quad
#   dZ_1 = dA_1 \ast 1[Z_1 > 0], \quad dW_1 = dZ_1 X^T.$$
#
# `X`: $(D_{in}, N)$, `Y`: $(D_{out}, N)$, `W1`: $(H, D_{in})$, `W2`: $(D_{out}, H)$. Return
# `(loss, dW1, dW2)`: `loss` a number, `dW1`, `dW2` the gradients of the *sum* (what PyTorch leaves in
# `w1.grad` and `w2.grad`, transposed). Unlike nn-ref's `linear_backward`, there is no $1/m$ anywhere.


# %% tags=["exercise"]
@exercise("relu_net_gradients")
def relu_net_gradients(X, Y, W1, W2):
    # YOUR CODE HERE: Z1 = W1 @ X; ...
    raise NotImplementedError


# %%
check("relu_net_gradients", relu_net_gradients)

# %% [markdown]
# Your gradients next to autograd's, on the slide's sizes (a fresh draw):

# %%
if done("relu_net_gradients"):
    rng = np.random.default_rng(1)
    X, Y = rng.standard_normal((D_in, N)), rng.standard_normal((D_out, N))
    W1, W2 = rng.standard_normal((H, D_in)), rng.standard_normal((D_out, H))
    loss, dW1, dW2 = relu_net_gradients(X, Y, W1, W2)  # yours
    if torch is not None:
        w1, w2 = torch.tensor(W1.T.copy(), requires_grad=True), torch.tensor(W2.T.copy(), requires_grad=True)
        torch_loss = (torch.tensor(X.T).mm(w1).clamp(min=0).mm(w2) - torch.tensor(Y.T)).pow(2).sum()
        torch_loss.backward()
        for mine, theirs, name in ((dW1, w1.grad.numpy().T, "dW1"), (dW2, w2.grad.numpy().T, "dW2")):
            relative = np.abs(mine - theirs).max() / np.abs(theirs).max()
            print(f"{name}: largest difference from autograd, relative to its largest entry: {relative:.1e}")
        print(f"loss: yours {loss:.6g}, PyTorch's {torch_loss.item():.6g}")
    else:
        print(f"loss = {loss:.6g}; dW1 {dW1.shape}, dW2 {dW2.shape} (install PyTorch to compare with autograd)")
else:
    print("relu_net_gradients is not done yet: write it above and run its check; then run this cell again.")

# %% [markdown]
# ## Your progress
#
# Every exercise of the ten notebooks: done, failing or not yet (each full `check` is recorded in
# `~/.nn-ref/progress.json`, so this table sees the other notebooks' kernels too).

# %%
progress()
