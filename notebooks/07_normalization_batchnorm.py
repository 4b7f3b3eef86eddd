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
# # 07 -- Input normalization and batch normalization
#
# Lecture slides: *Normalizing Input Data*, *Batch normalization*.

# %%
import json
from pathlib import Path

import numpy as np
from IPython.display import Image, display

from nn_ref import batchnorm, network
from nn_ref.exercises import NOTEBOOK_SOURCES, check, exercise, progress, show_figure
from nn_ref.normalize import MinMaxScaler, StandardScaler

np.set_printoptions(precision=4, suppress=True)
PLOTS = Path(NOTEBOOK_SOURCES).parent / "plots"  # the committed figures of this clone

# %% [markdown]
# ## Normalizing the inputs
#
# For feature $j$ (row $j$ of $X$):
#
# $$\text{min-max: } x_{ij} \leftarrow \frac{x_{ij} - \min_j}{\max_j - \min_j} \qquad\qquad
#   \text{standardization: } x_{ij} \leftarrow \frac{x_{ij} - \text{mean}_j}{\text{std\_dev}_j}$$
#
# The parameters are computed on the **training** data and applied unchanged to the test data.

# %%
rng = np.random.default_rng(0)
X_train = np.vstack([rng.normal(1000, 300, 200), rng.normal(0.5, 0.01, 200)])  # two very different scales
X_test = np.vstack([rng.normal(1000, 300, 50), rng.normal(0.5, 0.01, 50)])
scaler = StandardScaler().fit(X_train)
Xn_train, Xn_test = scaler.transform(X_train), scaler.transform(X_test)
print("train mean", Xn_train.mean(axis=1), "std", Xn_train.std(axis=1))
print("test  mean", Xn_test.mean(axis=1), "(close to, not exactly, 0: the training statistics)")
print(
    "min-max range on train:",
    MinMaxScaler().fit(X_train).transform(X_train).min(axis=1),
    MinMaxScaler().fit(X_train).transform(X_train).max(axis=1),
)

# %% [markdown]
# On unnormalized inputs the cost surface is a long narrow valley: gradient descent needs a tiny learning rate
# and many steps. Normalized, the same problem converges in a few dozen steps:

# %%
show_figure("normalization")

# %% [markdown]
# ## Batch normalization (Ioffe and Szegedy 2015)
#
# Between the linear part and the activation of a hidden layer, each unit is normalized over the $m$ samples
# of the mini-batch $\mathcal{B}$, then scaled and shifted by learned $\gamma, \beta$ of shape $(n^{[l]}, 1)$:
#
# $$\mu_{\mathcal{B}} = \frac{1}{m}\sum_{i=1}^m z_i, \qquad
#   \sigma^2_{\mathcal{B}} = \frac{1}{m}\sum_{i=1}^m (z_i - \mu_{\mathcal{B}})^2, \qquad
#   \hat{z}_i = \frac{z_i - \mu_{\mathcal{B}}}{\sqrt{\sigma^2_{\mathcal{B}} + \epsilon}}, \qquad
#   \tilde{z}_i = \gamma \hat{z}_i + \beta.$$
#
# Backward, for an upstream gradient $d\tilde{z} = \partial J / \partial \tilde{z}$:
#
# $$d\beta = \sum_i d\tilde{z}_i, \qquad d\gamma = \sum_i d\tilde{z}_i\, \hat{z}_i, \qquad
#   dz = \frac{\gamma}{\sqrt{\sigma^2 + \epsilon}}
#   \Big(d\tilde{z} - \frac{d\beta}{m} - \hat{z}\,\frac{d\gamma}{m}\Big).$$

# %%
Z = rng.normal(5, 3, (4, 7))
gamma, beta = np.ones((4, 1)), np.zeros((4, 1))
out, cache = batchnorm.batchnorm_forward(Z, gamma, beta, {"mode": "train", "eps": 1e-5})
print("per-unit mean of out:", out.mean(axis=1), "\nper-unit std of out: ", out.std(axis=1))

# %% [markdown]
# In a network: `network.initialize_parameters(..., batchnorm=True)` adds `gamma1, beta1, ...`, and
# `network.forward(..., batchnorm=True)` / `network.backward(..., batchnorm=True)` use them
# (`b[l]` then has no effect: the mean subtraction removes it, and its gradient is exactly 0).

# %%
layer_dims = [5, 7, 3, 1]
parameters = network.initialize_parameters(layer_dims, seed=0, batchnorm=True)
X = rng.standard_normal((5, 9))
Y = (rng.random((1, 9)) < 0.5).astype(float)
AL, caches = network.forward(X, parameters, batchnorm=True)
grads = network.backward(AL, Y, caches, batchnorm=True)
for key in ("dgamma1", "dbeta1", "dW1", "db1"):
    print(f"{key}: {grads[key].shape}", grads[key].ravel()[:4])

# %%
bn_quick = show_figure("batchnorm")
display(bn_quick)

# %% [markdown]
# **This quick figure is not the lecture's.** `show_figure` draws with the tests' small sizes: 8 epochs
# instead of 50. Without batch norm the sigmoid network first sits on a plateau near chance (10 % on ten
# digits) and only then starts to learn; with batch norm it learns from the first epoch. After 8 epochs
# the gap is therefore huge; after 50 (the committed figure, `plots/batchnorm.png`, below) both have
# learned and the gap is a few points. Batch norm's main gift here is speed. Test accuracy per epoch of
# this quick run, then the committed figure's final numbers (from `plots/MANIFEST.json`):

# %%
quick_runs = bn_quick.data["runs"]
for name in ("without BN", "with BN"):
    print(f"{name:10s} test accuracy by epoch:", np.round(100 * quick_runs[name]["test_accuracy"], 1))
manifest = json.loads((PLOTS / "MANIFEST.json").read_text())
full = next(f for f in manifest["figures"] if f["id"] == "batchnorm")
for name in ("without BN", "with BN"):
    numbers = full["key_numbers"][name]
    print(
        f"{name:10s} after {full['params']['epochs']} epochs ({len(full['params']['seeds'])} seeds): "
        f"{100 * numbers['final_test_accuracy_mean']:.1f} % (plots/batchnorm.png)"
    )

# %%
Image(filename=str(PLOTS / "batchnorm.png"), width=900)

# %% [markdown]
# ## Exercise 1: `batchnorm_forward`
#
# `Z`: $(n^{[l]}, m)$; `gamma`, `beta`: $(n^{[l]}, 1)$; `bn_param["eps"]` is $\epsilon$. Return `(out, cache)`
# (the cache is yours; only `out` is checked).


# %% tags=["exercise"]
@exercise("batchnorm_forward")
def batchnorm_forward(Z, gamma, beta, bn_param):
    # YOUR CODE HERE: eps = bn_param["eps"]; mu = ...; var = ...
    raise NotImplementedError


# %%
check("batchnorm_forward", batchnorm_forward)

# %% [markdown]
# ## Exercise 2: `batchnorm_backward`
#
# `cache = (Z_hat, gamma, var, eps)` as nn-ref's `batchnorm_forward` makes it; `dout` is $(n^{[l]}, m)$.
# Return `(dZ, dgamma, dbeta)` with `dgamma`, `dbeta` of shape $(n^{[l]}, 1)$.


# %% tags=["exercise"]
@exercise("batchnorm_backward")
def batchnorm_backward(dout, cache):
    # YOUR CODE HERE: Z_hat, gamma, var, eps = cache; m = dout.shape[1]
    raise NotImplementedError


# %%
check("batchnorm_backward", batchnorm_backward)

# %% [markdown]
# ## Your progress
#
# Every exercise of the ten notebooks: done, failing or not yet (each full `check` is recorded in
# `~/.nn-ref/progress.json`, so this table sees the other notebooks' kernels too).

# %%
progress()
