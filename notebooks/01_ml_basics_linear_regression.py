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
# # 01 -- Machine learning basics and linear regression (L1 and L2 losses)
#
# Lecture slides: *Machine Learning*, *Supervised vs Unsupervised Learning Examples*, *Traditional Machine
# Learning vs. Deep Learning*, *Linear Regression*, *Loss Function*.
#
# Run the notebook top to bottom; the exercise at the end asks you to write one function and checks it.
# Samples are **columns**: `X` is $(n, m)$ -- $m$ samples of $n$ features -- and `Y` is $(1, m)$.

# %%
import numpy as np

from nn_ref import datasets, losses, regression
from nn_ref.exercises import check, exercise, progress, show_figure

np.set_printoptions(precision=4, suppress=True)

# %% [markdown]
# ## Supervised and unsupervised learning
#
# *Supervised*: a labelled data set $\{(x_i, y_i)\}$ is available and the model learns $x \mapsto y$.
# *Unsupervised*: only the inputs $x_i$; the model finds structure (clusters) by itself.
# The figure fits both to the same two blobs: logistic regression with the labels, k-means without.

# %%
show_figure("supervised_vs_unsupervised")

# %% [markdown]
# In traditional machine learning a person designs the features; in deep learning the layers learn them.

# %%
show_figure("traditional_ml_vs_dl")

# %% [markdown]
# ## Linear regression
#
# Given training data $\{(x_i, y_i) : 1 \le i \le n\}$, linear regression finds the best-fitting line
# $f(x) = w x + b$. In the network's notation one neuron computes
#
# $$Z = W X + b, \qquad W: (1, n),\ b: (1, 1),\ X: (n, m),\ Z: (1, m).$$
#
# The data of the SGD slides (Géron's book): $y = 4 + 3x + \text{noise}$ on 100 points.

# %%
X, Y = datasets.linear(m=100, seed=42)
print("X", X.shape, "Y", Y.shape)

W, b = regression.linear_closed_form(X, Y)  # normal equations, solved by least squares
print("closed form:      W =", W, " b =", b)
W_gd, b_gd, costs = regression.linear_gd(X, Y, loss="l2", learning_rate=0.1, num_steps=2000)
print("gradient descent: W =", W_gd, " b =", b_gd, f" J: {costs[0]:.3f} -> {costs[-1]:.4f}")

# %% [markdown]
# Gradient descent on the mean L2 cost converges to the closed-form solution:

# %%
assert np.allclose(W_gd, W, atol=1e-6) and np.allclose(b_gd, b, atol=1e-6)

# %%
show_figure("linear_regression_residuals")

# %% [markdown]
# ## The loss function: L1 and L2
#
# The distance between the points and the line are the errors (residuals) $y_i - f(x_i)$. Two losses:
#
# $$L_1 = \sum_{i=1}^{n} |y_i - f(x_i)| \qquad\qquad L_2 = \sum_{i=1}^{n} \big(y_i - f(x_i)\big)^2$$
#
# with gradients with respect to the prediction $a_i = f(x_i)$:
#
# $$\frac{\partial L_1}{\partial a_i} = \operatorname{sign}(a_i - y_i) \qquad\qquad
#   \frac{\partial L_2}{\partial a_i} = 2\,(a_i - y_i).$$
#
# L2 squares the residuals, so one outlier pulls the L2 line much more than the L1 line:

# %%
A = W @ X + b  # the closed-form line's predictions, (1, m)
L1, dA1 = losses.l1_loss(A, Y)  # reduction="sum": the slide's sums
L2, dA2 = losses.l2_loss(A, Y)
print(f"L1 = {L1:.3f}   L2 = {L2:.3f}   (m = {X.shape[1]})")
print("dL2/dA of the first 5 samples:", dA2[0, :5])

# %%
show_figure("loss_l1_vs_l2")

# %% [markdown]
# ## Exercise: `l2_loss`
#
# Write the L2 loss and its gradient, with the slide's **sum** (no $1/m$):
#
# $$L_2 = \sum_i (y_i - a_i)^2, \qquad dA = \frac{\partial L_2}{\partial A} = 2\,(A - Y).$$
#
# `A` and `Y` are $(1, m)$; return `(L, dA)` with `L` a float and `dA` of the shape of `A`.
# The checker compares with `nn_ref.losses.l2_loss` and with central differences, and tells you what is
# wrong in words.


# %% tags=["exercise"]
@exercise("l2_loss")
def l2_loss(A, Y):
    # YOUR CODE HERE: L = ..., dA = ...
    raise NotImplementedError


# %%
check("l2_loss", l2_loss)

# %% [markdown]
# ## Your progress
#
# Every exercise of the ten notebooks: done, failing or not yet (each full `check` is recorded in
# `~/.nn-ref/progress.json`, so this table sees the other notebooks' kernels too).

# %%
progress()
