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
# # 02 -- Logistic regression, the artificial neuron and activation functions
#
# Lecture slides: *Logistic Regression*, *Artificial Neuron*, *Neuron's Activation Functions*,
# *Activation Functions Derivatives*.

# %%
import numpy as np

from nn_ref import activations, datasets, regression
from nn_ref.exercises import check, exercise, progress, show_figure

np.set_printoptions(precision=4, suppress=True)

# %% [markdown]
# ## Logistic regression
#
# A linear model followed by the sigmoid gives a probability:
#
# $$\hat{Y} = \sigma(z) = \frac{1}{1 + e^{-z}}, \qquad z = W X + b,$$
#
# trained on the binary cross-entropy $J = -\frac{1}{m}\sum_i \big(y_i \log a_i + (1 - y_i)\log(1 - a_i)\big)$,
# whose gradient with respect to $z$ collapses to $dZ = A - Y$ (times $1/m$ in $dW$ and $db$).

# %%
X, Y = datasets.blobs(m=200, seed=0)
W, b, costs = regression.logistic_gd(X, Y, learning_rate=0.5, num_steps=300)
accuracy = (regression.predict_logistic(W, b, X) == Y).mean()
print(f"W = {W}, b = {b.item():.4f}; J: {costs[0]:.4f} -> {costs[-1]:.4f}; training accuracy {accuracy:.3f}")

# %%
show_figure("logistic_sigmoid")

# %% [markdown]
# ## The artificial neuron
#
# A neuron computes a weighted sum of its inputs plus a bias and applies an activation function $g$:
#
# $$a = g\Big(\sum_j w_j x_j + b\Big) = g(w^T x + b).$$

# %%
show_figure("artificial_neuron")

# %% [markdown]
# ## Activation functions and their derivatives
#
# | | $A = g(Z)$ | $g'(Z)$ |
# |---|---|---|
# | sigmoid | $\frac{1}{1 + e^{-Z}}$ | $s(1 - s)$, $s = \sigma(Z)$; at most $0.25$ |
# | tanh | $\frac{2}{1 + e^{-2Z}} - 1$ | $1 - \tanh^2(Z)$; at most $1$ |
# | ReLU | $\max(0, Z)$ | $1[Z > 0]$ |
# | leaky ReLU | $\alpha Z$ for $Z \le 0$, else $Z$ | $\alpha$ or $1$ |
#
# Each activation in nn-ref is a forward/backward pair with a cache (the cache is $Z$):
# `A, cache = activations.relu(Z)` and `dZ = activations.relu_backward(dA, cache)`, i.e.
# $dZ = dA \ast g'(Z)$ entry by entry.

# %%
Z = np.array([[-800.0, -2.0, 0.0, 2.0, 800.0]])
for name in ("sigmoid", "tanh", "relu"):
    A, cache = activations.FORWARD[name](Z)
    dZ = activations.BACKWARD[name](np.ones_like(Z), cache)
    print(f"{name:8s} A = {A[0]}   g'(Z) = {dZ[0]}")

# %% [markdown]
# nn-ref's sigmoid is stable: at $Z = \pm 800$ it gives exactly $0$ and $1$, without an overflow
# (a naive $e^{Z} / (1 + e^{Z})$ gives $\infty / \infty = $ NaN at $Z = 800$).

# %%
show_figure("activation_functions")

# %%
show_figure("activation_derivatives")

# %% [markdown]
# ## Exercise 1: `sigmoid`
#
# $A = \frac{1}{1 + e^{-Z}}$ for $Z$ of shape $(n^{[l]}, m)$; return `(A, cache)` with `cache = Z`.
# It must be stable: the checker includes $Z = \pm 800$.


# %% tags=["exercise"]
@exercise("sigmoid")
def sigmoid(Z):
    # YOUR CODE HERE: A = ..., return A, Z
    raise NotImplementedError


# %%
check("sigmoid", sigmoid)

# %% [markdown]
# ## Exercise 2: `sigmoid_backward`
#
# $dZ = dA \ast s\,(1 - s)$ with $s = \sigma(Z)$; the cache is $Z$. Shapes: $(n^{[l]}, m)$.


# %% tags=["exercise"]
@exercise("sigmoid_backward")
def sigmoid_backward(dA, cache):
    # YOUR CODE HERE: Z = cache; dZ = ...
    raise NotImplementedError


# %%
check("sigmoid_backward", sigmoid_backward)

# %% [markdown]
# ## Exercise 3: `relu_backward`
#
# $dZ = dA \ast 1[Z > 0]$ (at the kink $Z = 0$ nn-ref takes the derivative as $0$); the cache is $Z$.


# %% tags=["exercise"]
@exercise("relu_backward")
def relu_backward(dA, cache):
    # YOUR CODE HERE: Z = cache; dZ = ...
    raise NotImplementedError


# %%
check("relu_backward", relu_backward)

# %% [markdown]
# ## Your progress
#
# Every exercise of the ten notebooks: done, failing or not yet (each full `check` is recorded in
# `~/.nn-ref/progress.json`, so this table sees the other notebooks' kernels too).

# %%
progress()
