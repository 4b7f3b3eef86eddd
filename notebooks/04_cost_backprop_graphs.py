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
# # 04 -- The cost, backward propagation and computation graphs
#
# Lecture slides: *Forward Propagation - Cost Function*, *Backward Propagation - Parameter Updates*,
# *Computation Graph*, *PyTorch Tensors, Functions and Gradients*.

# %%
import numpy as np

from nn_ref import datasets, network
from nn_ref.exercises import check, done, exercise, progress, show_figure
from nn_ref.gradcheck import check_network
from nn_ref.graph import Value
from nn_ref.trace import format_trace, trace

np.set_printoptions(precision=4, suppress=True)

# %% [markdown]
# ## The cost
#
# $$J = -\frac{1}{m} \sum_{i=1}^m \Big(y^{(i)} \log a^{[L](i)} + (1 - y^{(i)}) \log\big(1 - a^{[L](i)}\big)\Big)$$
#
# `network.compute_cost(AL, Y)` never takes $\log 0$: a confident right prediction ($a = 1$, $y = 1$)
# costs exactly $0$ instead of $0 \cdot \log 0 = $ NaN.

# %%
AL = np.array([[0.9, 0.2, 1.0, 0.6]])
Y = np.array([[1.0, 0.0, 1.0, 0.0]])
print("J =", network.compute_cost(AL, Y))

# %% [markdown]
# ## Backward propagation
#
# Gradient descent updates $W^{[l]} \leftarrow W^{[l]} - \alpha \frac{dJ}{dW^{[l]}}$ and
# $b^{[l]} \leftarrow b^{[l]} - \alpha \frac{dJ}{db^{[l]}}$. The chain rule, layer by layer from $L$ down to $1$
# (nn-ref's convention, the deeplearning.ai one: `dZ` and `dA` are $m$ times $\partial J / \partial Z$,
# $\partial J / \partial A$; the $1/m$ appears once, in `dW` and `db`):
#
# $$dZ^{[L]} = A^{[L]} - Y \quad\text{(sigmoid + cross-entropy)}$$
# $$dW^{[l]} = \tfrac{1}{m}\, dZ^{[l]} A^{[l-1]T}, \qquad db^{[l]} = \tfrac{1}{m} \sum_{i} dZ^{[l](i)},
#   \qquad dA^{[l-1]} = W^{[l]T} dZ^{[l]}, \qquad dZ^{[l-1]} = dA^{[l-1]} \ast g'(Z^{[l-1]})$$
#
# Shapes: `dW[l]` is $(n^{[l]}, n^{[l-1]})$ like `W[l]`, `db[l]` is $(n^{[l]}, 1)$ like `b[l]`.

# %%
layer_dims = [3, 4, 1]
parameters = network.initialize_parameters(layer_dims, seed=0)
rng = np.random.default_rng(0)
X = rng.standard_normal((3, 5))
Y = (rng.random((1, 5)) < 0.5).astype(float)
AL, caches = network.forward(X, parameters)
grads = network.backward(AL, Y, caches)
for key in ("dW1", "db1", "dW2", "db2"):
    print(key, grads[key].shape)

# %% [markdown]
# One full pass -- forward, cost, backward, update -- step by step:

# %%
print(format_trace(trace(layer_dims=(3, 4, 1), m=2, seed=0)))

# %% [markdown]
# The gradients agree with central differences $\frac{J(\theta + \epsilon) - J(\theta - \epsilon)}{2\epsilon}$
# (float64) to better than $10^{-7}$:

# %%
report = check_network([3, 5, 1], m=5, seed=0)
print(report)

# %% [markdown]
# ## Computation graphs
#
# The slide's example: $f(x, y, z) = (x + y)\,z$ at $x = -2, y = 5, z = -4$. With $q = x + y$:
# $\frac{df}{dz} = q = 3$, $\frac{df}{dx} = \frac{df}{dq}\frac{dq}{dx} = z \cdot 1 = -4$, and $\frac{df}{dy} = -4$.
# `nn_ref.graph.Value` records the graph and runs reverse-mode autograd, like PyTorch:

# %%
x, y, z = Value(-2.0, label="x"), Value(5.0, label="y"), Value(-4.0, label="z")
q = x + y
f = q * z
f.backward()
print(f"f = {f.data}, df/dx = {x.grad}, df/dy = {y.grad}, df/dz = {z.grad}")

# %%
show_figure("computation_graph")

# %% [markdown]
# ### The slide's erratum: `z.backward(torch.ones(2, 2)*2)` gives 26, not 13
#
# $z = 2x^2 + 5x$ at $x = 2$: $dz/dx = 4x + 5 = 13$. But `backward(v)` computes $v \cdot dz/dx$, so the
# slide's upstream gradient of 2 gives 26; its printed 13 is what an upstream gradient of ones gives.

# %%
x = Value(2.0, label="x")
z = 2 * (x * x) + 5 * x
z.backward(1.0)
print("upstream 1:", x.grad)
z.zero_grad()
z.backward(2.0)
print("upstream 2:", x.grad)

# %% [markdown]
# ## Exercise 1: `compute_cost`
#
# The binary cross-entropy above. `AL`, `Y`: $(n^{[L]}, m)$; return one number. The checker includes
# confident predictions $a = 1$ and $a = 0$: never take $\log 0$.


# %% tags=["exercise"]
@exercise("compute_cost")
def compute_cost(AL, Y):
    # YOUR CODE HERE: m = AL.shape[1]; J = ...
    raise NotImplementedError


# %%
check("compute_cost", compute_cost)

# %% [markdown]
# ## Exercise 2: `linear_backward`
#
# $dW = \frac{1}{m} dZ A_{prev}^T$, $db = \frac{1}{m}\sum_i dZ_{:, i}$ (shape $(n^{[l]}, 1)$),
# $dA_{prev} = W^T dZ$; `cache = (A_prev, W, b)`. Return `(dA_prev, dW, db)`.


# %% tags=["exercise"]
@exercise("linear_backward")
def linear_backward(dZ, cache):
    # YOUR CODE HERE: A_prev, W, b = cache; m = A_prev.shape[1]
    raise NotImplementedError


# %%
check("linear_backward", linear_backward)

# %% [markdown]
# ## Exercise 3: `L_model_backward`
#
# The whole backward pass for ReLU hidden layers and a sigmoid output with the cross-entropy cost.
# `caches[l-1] = ((A_prev, W, b), Z, A, activation, alpha)` as `network.forward` makes them.
# Return `{"dW1": ..., "db1": ..., ..., "dWL": ..., "dbL": ...}`. You may use `network.linear_backward`.


# %% tags=["exercise"]
@exercise("L_model_backward")
def L_model_backward(AL, Y, caches):
    # YOUR CODE HERE: dZ = AL - Y for layer L, then loop l = L .. 1
    raise NotImplementedError


# %%
check("L_model_backward", L_model_backward)

# %% [markdown]
# ## Your backward pass trains the lecture's network
#
# Once `L_model_backward` passes, it can replace `network.backward` in a training loop: nn-ref's forward
# pass makes the caches, **your** function turns them into the gradients, and nn-ref's update takes the
# step. The network: `layer_dims = [2, 16, 16, 1]`, ReLU hidden layers, a sigmoid output, two-moons data.
# The same run with nn-ref's own backward ends at the same parameters (to rounding).

# %%
if done("L_model_backward"):
    X_moons, Y_moons = datasets.moons(m=300, seed=0)
    mine = network.initialize_parameters([2, 16, 16, 1], init="he", seed=0)
    theirs = {key: value.copy() for key, value in mine.items()}
    for step in range(1, 1501):
        AL, caches = network.forward(X_moons, mine)
        network.update_parameters(mine, L_model_backward(AL, Y_moons, caches), learning_rate=0.3)  # yours
        AL_ref, caches_ref = network.forward(X_moons, theirs)
        network.update_parameters(theirs, network.backward(AL_ref, Y_moons, caches_ref), learning_rate=0.3)
        if step % 500 == 0:
            print(f"step {step}: J = {network.compute_cost(AL, Y_moons):.4f}")
    print(f"training accuracy with your backward pass: {network.accuracy(X_moons, Y_moons, mine):.3f}")
    print("largest difference from nn-ref's run:", max(float(abs(mine[k] - theirs[k]).max()) for k in mine))
else:
    print("L_model_backward is not done yet: write it in Exercise 3 and run its check; then run this cell again.")

# %% [markdown]
# ## Your progress
#
# Every exercise of the ten notebooks: done, failing or not yet (each full `check` is recorded in
# `~/.nn-ref/progress.json`, so this table sees the other notebooks' kernels too).

# %%
progress()
