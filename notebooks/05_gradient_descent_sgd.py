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
# # 05 -- Gradient descent, local and global minima, SGD and mini-batches
#
# Lecture slides: *Training - Gradient Descent*, *Algorithm 1 Gradient Descent*, *Local vs Global Minima*,
# *Stochastic Gradient Descent with Mini-batch*.

# %%
import numpy as np

from nn_ref import datasets, network, optim
from nn_ref.exercises import check, done, exercise, progress, show_figure

np.set_printoptions(precision=4, suppress=True)

# %% [markdown]
# ## Algorithm 1: gradient descent
#
# $x_{n+1} \leftarrow x_n - \alpha \frac{df(x_n)}{dx}$, until the step is smaller than a criterion:
#
# ```
# 1: while TRUE do
# 2:   tmpDelta <- x_old - alpha * grad f(x_old)
# 3:   if abs(tmpDelta - x_old) < CRITERIA then break
# 6:   x_old <- tmpDelta
# ```
#
# `optim.gradient_descent` is exactly that loop (plus a maximum number of steps).


# %%
def f(x):
    return x**4 - 3 * x**2 + x


def grad_f(x):
    return 4 * x**3 - 6 * x + 1


for x0 in (2.0, -2.0):
    result = optim.gradient_descent(grad_f, x0, learning_rate=0.01, f=f)
    x, steps = result["x"], result["steps"]
    print(f"x0 = {x0:+.0f}: stops at x = {x:+.4f}, f(x) = {result['f'][-1]:+.4f} after {steps} steps")

# %% [markdown]
# From $x_0 = 2$ gradient descent stops in the *local* minimum $x \approx 1.1309$; from $x_0 = -2$ in the
# *global* one, $x \approx -1.3008$: where it ends depends on where it starts.

# %%
show_figure("gd_1d_convex")

# %%
show_figure("gd_local_vs_global")

# %% [markdown]
# ## Batch, stochastic and mini-batch gradient descent
#
# - gradient descent, $L = \sum_{i=1}^n L_i$:
#   $\ \bar{W} \leftarrow \bar{W} - \alpha \frac{\partial L}{\partial \bar{W}}$
# - SGD, one sample: $\ \bar{W} \leftarrow \bar{W} - \alpha \frac{\partial L_i}{\partial \bar{W}}$
# - mini-batch, a batch $B$ of 10-500 samples: $\ \bar{W} \leftarrow \bar{W} - \alpha \sum_{i \in B}
#   \frac{\partial L_i}{\partial \bar{W}}$
#
# nn-ref's cost is the *mean* over the batch (the sum times $1/b$, folded into $\alpha$), so a gradient does
# not grow with the batch size. `optim.minibatches` shuffles the columns once per epoch with a seeded
# generator and cuts them into batches; the last batch keeps the remainder.

# %%
X, Y = datasets.linear(m=10, seed=42)
rng = np.random.default_rng(0)
for X_batch, Y_batch in optim.minibatches(X, Y, batch_size=4, rng=rng):
    print("X_batch", X_batch.shape, X_batch[0], " Y_batch", Y_batch.shape)

# %% [markdown]
# One epoch of mini-batch gradient descent on a small network, with `network.update_parameters`
# ($W^{[l]} \leftarrow W^{[l]} - \alpha\, dW^{[l]}$, $b^{[l]} \leftarrow b^{[l]} - \alpha\, db^{[l]}$):

# %%
X, Y = datasets.moons(m=200, seed=0)
parameters = network.initialize_parameters([2, 8, 1], seed=0)
rng = np.random.default_rng(0)
for epoch in range(30):
    for X_batch, Y_batch in optim.minibatches(X, Y, batch_size=32, rng=rng):
        AL, caches = network.forward(X_batch, parameters)
        grads = network.backward(AL, Y_batch, caches)
        network.update_parameters(parameters, grads, learning_rate=0.5)
    if epoch % 10 == 9:
        J = network.compute_cost(network.forward(X, parameters)[0], Y)
        print(f"epoch {epoch + 1}: J = {J:.4f}, accuracy {network.accuracy(X, Y, parameters):.3f}")

# %%
show_figure("sgd_paths")

# %% [markdown]
# ## Exercise 1: `update_parameters`
#
# $W^{[l]} \leftarrow W^{[l]} - \alpha\, dW^{[l]}$ and $b^{[l]} \leftarrow b^{[l]} - \alpha\, db^{[l]}$ for
# $l = 1, \dots, L$; `grads` holds `dW1, db1, ...`. Return the parameters dict.


# %% tags=["exercise"]
@exercise("update_parameters")
def update_parameters(parameters, grads, learning_rate):
    # YOUR CODE HERE: L = len(parameters) // 2
    raise NotImplementedError


# %%
check("update_parameters", update_parameters)

# %% [markdown]
# ## Exercise 2: `minibatches`
#
# Draw **one** permutation `perm = rng.permutation(m)`, shuffle the columns of `X` and `Y` with it, and
# return the list of `(X_batch, Y_batch)` of `batch_size` columns each; the last batch keeps the remainder
# ($m = 10$, $b = 4$: 4, 4, 2).


# %% tags=["exercise"]
@exercise("minibatches")
def minibatches(X, Y, batch_size, rng):
    # YOUR CODE HERE: m = X.shape[1]; perm = rng.permutation(m)
    raise NotImplementedError


# %%
check("minibatches", minibatches)

# %% [markdown]
# ## Your update and your mini-batches train the network
#
# The epoch loop from above, now with **your** `minibatches` cutting the shuffled data and **your**
# `update_parameters` taking every step (nn-ref computes the forward and backward passes). Same network
# and data as above: `layer_dims = [2, 8, 1]` on the two-moons data, batches of 32, learning rate 0.5.

# %%
if done("update_parameters") and done("minibatches"):
    X, Y = datasets.moons(m=200, seed=0)
    parameters = network.initialize_parameters([2, 8, 1], seed=0)
    rng = np.random.default_rng(0)
    for epoch in range(30):
        for X_batch, Y_batch in minibatches(X, Y, 32, rng):  # yours
            AL, caches = network.forward(X_batch, parameters)
            grads = network.backward(AL, Y_batch, caches)
            parameters = update_parameters(parameters, grads, 0.5)  # yours
        if epoch % 10 == 9:
            J = network.compute_cost(network.forward(X, parameters)[0], Y)
            print(f"epoch {epoch + 1}: J = {J:.4f}, accuracy {network.accuracy(X, Y, parameters):.3f}")
else:
    print("update_parameters and minibatches are not both done yet: write them above and run their checks.")

# %% [markdown]
# ## Your progress
#
# Every exercise of the ten notebooks: done, failing or not yet (each full `check` is recorded in
# `~/.nn-ref/progress.json`, so this table sees the other notebooks' kernels too).

# %%
progress()
