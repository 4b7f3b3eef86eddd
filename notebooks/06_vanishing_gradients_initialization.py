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
# # 06 -- Vanishing and exploding gradients, weight initialization
#
# Lecture slides: *Vanishing Gradient*, *Preventing vanishing gradients*, *Weight Initialization*,
# *Popular Weight Initializers*.

# %%
import numpy as np

from nn_ref import activations, init, network
from nn_ref.exercises import check, exercise, progress, show_figure

np.set_printoptions(precision=4, suppress=True)

# %% [markdown]
# ## Vanishing gradients
#
# In a chain $h_t = \phi(w_t h_{t-1})$ the gradient is passed back one factor at a time:
#
# $$\frac{\partial L}{\partial h_t} = \phi'(w_{t+1} h_t) \cdot w_{t+1} \cdot \frac{\partial L}{\partial h_{t+1}}.$$
#
# With the sigmoid, $\phi' \le 0.25$: with $w = 1$ each $\partial L / \partial h_t$ is less than $0.25$ of
# the next one, so after $r$ layers the gradient is below $0.25^r$. With $|w| > 4$ the factors can exceed 1:
# exploding gradients.

# %%
h, w, r = 1.0, 1.0, 10
factors = []
for _ in range(r):
    z = np.array([[w * h]])
    h = activations.sigmoid(z)[0].item()
    factors.append(activations.sigmoid_backward(np.array([[w]]), z).item())  # phi'(w h) * w
print("per-layer factors:", np.round(factors, 4))
print(f"dL/dh0 / dL/dh{r} = {np.prod(factors):.3e} <= 0.25^{r} = {0.25**r:.3e}")

# %%
show_figure("vanishing_gradient_chain")

# %% [markdown]
# The remedies on *Preventing vanishing gradients*: ReLU-like activations (derivative 1 for $Z > 0$), and
# a weight initialization that keeps the variance of the activations constant from layer to layer.
#
# ## Weight initialization
#
# $W^{[l]}$ is $(n^{[l]}, n^{[l-1]}) = (r_{out}, r_{in})$, drawn from a zero-mean Gaussian; biases start at 0.
#
# | initializer | $W \sim \mathcal{N}(0, \sigma^2)$ with | for |
# |---|---|---|
# | normal | $\sigma$ fixed (0.01, 1) | -- |
# | Xavier / Glorot | $\sigma^2 = \frac{2}{r_{in} + r_{out}}$ | sigmoid, tanh |
# | He | $\sigma^2 = \frac{2}{r_{in}}$ | ReLU |
#
# Too small ($\sigma = 0.01$): the activations shrink to 0 layer after layer, and so do the gradients.
# Too large ($\sigma = 1$): tanh saturates at $\pm 1$, where its derivative is 0.

# %%
rng = np.random.default_rng(0)
X = rng.standard_normal((100, 500))
for name, kwargs in (("normal", {"sigma": 0.01}), ("normal", {"sigma": 1.0}), ("xavier", {}), ("he", {})):
    A, stds = X, []
    for _ in range(5):
        W = init.init_weights(name, 100, 100, rng, **kwargs)
        A = np.tanh(W @ A) if name != "he" else np.maximum(W @ A, 0)
        stds.append(A.std())
    label = f"{name} {kwargs.get('sigma', '')}".strip()
    print(f"{label:12s} std of A[1..5]:", np.round(stds, 4))

# %%
show_figure("init_tanh_normal_0p01")

# %%
show_figure("init_tanh_normal_1p00")

# %%
show_figure("init_xavier_he")

# %% [markdown]
# nn-ref's network starts from He by default:

# %%
parameters = network.initialize_parameters([784, 128, 10], init="he", seed=0)
print(f"std of W1: {parameters['W1'].std():.4f}, sqrt(2 / 784) = {np.sqrt(2 / 784):.4f}")

# %% [markdown]
# ## Exercise 1: `tanh_backward`
#
# $dZ = dA \ast (1 - \tanh^2(Z))$; the cache is $Z$. $\tanh'$ is at most 1, at $Z = 0$.


# %% tags=["exercise"]
@exercise("tanh_backward")
def tanh_backward(dA, cache):
    # YOUR CODE HERE: Z = cache; dZ = ...
    raise NotImplementedError


# %%
check("tanh_backward", tanh_backward)

# %% [markdown]
# ## Exercise 2: `he_initialization`
#
# `rng = np.random.default_rng(seed)` once; then for $l = 1, \dots, L$:
# `W[l] = rng.standard_normal((n[l], n[l-1])) * sqrt(2 / n[l-1])` and `b[l] = zeros((n[l], 1))`.
# Return `{"W1": ..., "b1": ..., ...}`.


# %% tags=["exercise"]
@exercise("he_initialization")
def he_initialization(layer_dims, seed):
    # YOUR CODE HERE
    raise NotImplementedError


# %%
check("he_initialization", he_initialization)

# %% [markdown]
# ## Your progress
#
# Every exercise of the ten notebooks: done, failing or not yet (each full `check` is recorded in
# `~/.nn-ref/progress.json`, so this table sees the other notebooks' kernels too).

# %%
progress()
