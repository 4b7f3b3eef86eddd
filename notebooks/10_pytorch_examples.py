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
# nn-ref uses no PyTorch: each example is the same computation in NumPy, in the lecture's column notation
# (a sample is a column, so `x` of shape $(N, D_{in})$ becomes `X` of shape $(D_{in}, N)$ and
# `torch.nn.Linear`'s weight $(D_{out}, D_{in})$ is `W` as it is).

# %%
import numpy as np

from nn_ref import activations, network
from nn_ref.exercises import check, exercise, progress, show_figure
from nn_ref.graph import Value

np.set_printoptions(precision=4, suppress=True)

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
# ## Exercise: `update_parameters` -- what `optimizer.step()` does for SGD
#
# $W^{[l]} \leftarrow W^{[l]} - \alpha\, dW^{[l]}$, $b^{[l]} \leftarrow b^{[l]} - \alpha\, db^{[l]}$ for every layer;
# return the parameters dict.


# %% tags=["exercise"]
@exercise("update_parameters")
def update_parameters(parameters, grads, learning_rate):
    # YOUR CODE HERE
    raise NotImplementedError


# %%
check("update_parameters", update_parameters)

# %% [markdown]
# ## Your progress
#
# Every exercise of the ten notebooks: done, failing or not yet (each full `check` is recorded in
# `~/.nn-ref/progress.json`, so this table sees the other notebooks' kernels too).

# %%
progress()
