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
# # 09 -- Batch size, the noise scale and the effective mini-batch
#
# Lecture slides: *Hyperparameters*, *Effective Mini-batch*, *Effective Mini-batch Performance*,
# *Noise scale*, *Flat and sharp minima*.

# %%
import numpy as np

from nn_ref import datasets, network, optim
from nn_ref.exercises import check, exercise, progress, show_figure

np.set_printoptions(precision=4, suppress=True)

# %% [markdown]
# ## The effective mini-batch: gradient accumulation
#
# When a batch of $b \cdot k$ samples does not fit in memory, run $k$ batches of $b$, add up their gradients,
# and step once (Caffe's `iter_size`, PyTorch's `batch_multiplier`). With nn-ref's mean-over-batch gradients
# the $k$ gradients are weighted by their share of the samples:
#
# $$d\theta = \sum_{j=1}^{k} \frac{m_j}{M}\, d\theta_j, \qquad M = \sum_j m_j,$$
#
# which is *exactly* the gradient of one batch of all $M$ samples ($b \times k$ equals $b \cdot k$).

# %%
X, Y = datasets.moons(m=256, seed=0)
parameters = network.initialize_parameters([2, 16, 1], seed=0)

AL, caches = network.forward(X, parameters)
big = network.backward(AL, Y, caches)  # one batch of M = 256

accumulator = optim.GradientAccumulator(batch_multiplier=8)
for j in range(8):  # k = 8 batches of b = 32
    Xb, Yb = X[:, 32 * j : 32 * (j + 1)], Y[:, 32 * j : 32 * (j + 1)]
    AL, caches = network.forward(Xb, parameters)
    accumulator.add(network.backward(AL, Yb, caches), weight=32 / 256)
accumulated = accumulator.take()
print("max |dW1 accumulated - dW1 of one batch of 256| =", np.abs(accumulated["dW1"] - big["dW1"]).max())

# %%
show_figure("effective_minibatch")

# %% [markdown]
# ## The noise scale (Smith et al. 2017)
#
# The gradient of a batch of $B$ samples out of $N$ is a noisy estimate of the full gradient; the noise scale
# of SGD with learning rate $\epsilon$ is
#
# $$g = \epsilon\left(\frac{N}{B} - 1\right) \approx \frac{\epsilon N}{B} \quad (B \ll N).$$
#
# There is an optimum $g$ that maximizes the test accuracy (at constant learning rate): doubling $B$ has the
# effect of halving $\epsilon$ -- so instead of decaying the learning rate one can increase the batch size.

# %%
N, epsilon = 100, 0.1
for B in (1, 10, 50, 100):
    print(f"B = {B:3d}: g = {epsilon * (N / B - 1):.3f}   (epsilon N / B = {epsilon * N / B:.3f})")

# %%
show_figure("noise_scale")

# %%
show_figure("lr_decay_vs_batch_increase")

# %% [markdown]
# Large batches tend to end in sharp minima, small (noisy) ones in flat minima, which generalize better:

# %%
show_figure("flat_vs_sharp_minima")

# %% [markdown]
# ## Exercise: `accumulate_gradients`
#
# `grads_list` holds $k$ dicts `{"dW1": ..., "db1": ...}`, one per mini-batch; `batch_sizes` their sizes
# $m_j$. Return one dict with $\sum_j \frac{m_j}{M} d\theta_j$ for every key.


# %% tags=["exercise"]
@exercise("accumulate_gradients")
def accumulate_gradients(grads_list, batch_sizes):
    # YOUR CODE HERE: M = sum(batch_sizes)
    raise NotImplementedError


# %%
check("accumulate_gradients", accumulate_gradients)

# %% [markdown]
# ## Your progress
#
# Every exercise of the ten notebooks: done, failing or not yet (each full `check` is recorded in
# `~/.nn-ref/progress.json`, so this table sees the other notebooks' kernels too).

# %%
progress()
