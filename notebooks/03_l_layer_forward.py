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
# # 03 -- The L-layer network and forward propagation
#
# Lecture slides: *Neural Network Definition*, *Forward Propagation (and Inference as well)*.
#
# Notation: $m$ samples, $L$ layers, $n^{[l]}$ units in layer $l$, $n^{[0]}$ input features,
# `layer_dims = [n0, n1, ..., nL]`.
#
# $$A^{[0]} = X, \qquad Z^{[l]} = W^{[l]} A^{[l-1]} + b^{[l]}, \qquad A^{[l]} = g^{[l]}(Z^{[l]}),
#   \qquad l = 1, \dots, L$$
#
# with $W^{[l]}: (n^{[l]}, n^{[l-1]})$, $b^{[l]}: (n^{[l]}, 1)$ (broadcast over the $m$ columns) and
# $Z^{[l]}, A^{[l]}: (n^{[l]}, m)$. nn-ref uses $g = $ ReLU in the hidden layers and the sigmoid at
# layer $L$ (binary classification).

# %%
import numpy as np

from nn_ref import activations, datasets, network
from nn_ref.exercises import check, done, exercise, progress, show_figure
from nn_ref.trace import format_trace, trace

np.set_printoptions(precision=4, suppress=True)

# %%
show_figure("feedforward_network")

# %% [markdown]
# ## Parameters and shapes

# %%
layer_dims = [3, 4, 4, 1]
parameters = network.initialize_parameters(layer_dims, init="he", seed=0)
for key, value in parameters.items():
    print(f"{key}: {value.shape}")

# %% [markdown]
# ## One layer: `linear_forward`, then the activation

# %%
rng = np.random.default_rng(0)
m = 5
X = rng.standard_normal((layer_dims[0], m))
Z1, linear_cache = network.linear_forward(X, parameters["W1"], parameters["b1"])  # Z[1] = W[1] X + b[1]
A1, activation_cache = activations.relu(Z1)  # A[1] = relu(Z[1])
print("Z1", Z1.shape, "\n", Z1)
print("A1", A1.shape, "\n", A1)

# %% [markdown]
# ## All layers: `network.forward`
#
# `AL, caches = network.forward(X, parameters)` loops over $l = 1, \dots, L$; `caches[l-1]` keeps what the
# backward pass of layer $l$ needs: `((A_prev, W, b), Z, A, activation, alpha)`.

# %%
AL, caches = network.forward(X, parameters, hidden_activation="relu", output_activation="sigmoid")
print("AL", AL.shape, AL)
print("prediction 1[AL > 0.5]:", network.predict(X, parameters))

# %% [markdown]
# `nn_ref.trace` prints every step of one forward pass, with its equation and the shape equation
# $(n^{[l]}, m) = (n^{[l]}, n^{[l-1]})\,(n^{[l-1]}, m) + (n^{[l]}, 1)$ (the command line: `nn-ref trace`):

# %%
steps = trace(layer_dims=(3, 4, 1), m=2, seed=0)
print(format_trace([s for s in steps if s.phase == "forward"]))

# %% [markdown]
# ## Softmax output (more than two classes)
#
# For $K$ classes the output layer has $n^{[L]} = K$ units and the softmax turns each column into
# probabilities: $A_{k,i} = e^{Z_{k,i}} / \sum_j e^{Z_{j,i}}$. nn-ref subtracts each column's maximum
# first, which changes nothing mathematically but never overflows.

# %%
Z = np.array([[1.0, 800.0], [2.0, 0.0], [3.0, -800.0]])
A, _ = activations.softmax(Z)
print(A, "\ncolumn sums:", A.sum(axis=0))

# %% [markdown]
# ## Exercise 1: `linear_forward`
#
# $Z = W A_{prev} + b$; return `(Z, cache)` with `cache = (A_prev, W, b)`.
# `A_prev`: $(n^{[l-1]}, m)$, `W`: $(n^{[l]}, n^{[l-1]})$, `b`: $(n^{[l]}, 1)$.


# %% tags=["exercise"]
@exercise("linear_forward")
def linear_forward(A_prev, W, b):
    # YOUR CODE HERE: Z = ..., return Z, (A_prev, W, b)
    raise NotImplementedError


# %%
check("linear_forward", linear_forward)

# %% [markdown]
# ## Exercise 2: `softmax`
#
# Return `(A, cache)` with `cache = A`; each **column** of `A` sums to 1; stable for $Z = \pm 800$.


# %% tags=["exercise"]
@exercise("softmax")
def softmax(Z):
    # YOUR CODE HERE: A = ..., return A, A
    raise NotImplementedError


# %%
check("softmax", softmax)

# %% [markdown]
# ## Exercise 3: `L_model_forward`
#
# The whole forward pass: ReLU for $l < L$, sigmoid for $l = L$. `parameters` holds `W1, b1, ..., WL, bL`.
# Return `(AL, caches)`: a list of $L$ caches (their content is yours: only `AL` and `len(caches)` are
# checked). You may use nn-ref's `network.linear_forward`, `activations.relu` and `activations.sigmoid`.


# %% tags=["exercise"]
@exercise("L_model_forward")
def L_model_forward(X, parameters):
    # YOUR CODE HERE: L = len(parameters) // 2; loop over l = 1 .. L
    raise NotImplementedError


# %%
check("L_model_forward", L_model_forward)

# %% [markdown]
# ## Your `linear_forward` trains the lecture's network
#
# Once `linear_forward` passes its check, it computes every layer of a real training run: below, each
# $Z^{[l]} = W^{[l]} A^{[l-1]} + b^{[l]}$ is your function; nn-ref adds the activations, and its
# `network.backward` and `network.update_parameters` consume the caches your `linear_forward` made. The
# network is the lecture's binary classifier: ReLU hidden layers, a sigmoid output, `layer_dims = [2, 16, 16, 1]`,
# on the two-moons data (300 samples), full-batch gradient descent.


# %%
def my_forward(X, parameters):
    """network.forward with your linear_forward; caches[l-1] = ((A_prev, W, b), Z, A, activation, alpha)."""
    L = len(parameters) // 2
    A, caches = X, []
    for l in range(1, L + 1):
        Z, linear_cache = linear_forward(A, parameters[f"W{l}"], parameters[f"b{l}"])  # yours
        activation = "relu" if l < L else "sigmoid"
        A, _ = activations.relu(Z) if l < L else activations.sigmoid(Z)
        caches.append((linear_cache, Z, A, activation, 0.01))
    return A, caches


if done("linear_forward"):
    X_moons, Y_moons = datasets.moons(m=300, seed=0)
    params = network.initialize_parameters([2, 16, 16, 1], init="he", seed=0)
    for step in range(1, 1501):
        AL, caches = my_forward(X_moons, params)
        grads = network.backward(AL, Y_moons, caches)
        network.update_parameters(params, grads, learning_rate=0.3)
        if step % 500 == 0:
            print(f"step {step}: J = {network.compute_cost(AL, Y_moons):.4f}")
    accuracy = float(((my_forward(X_moons, params)[0] > 0.5) == Y_moons).mean())
    print(f"training accuracy with your linear_forward: {accuracy:.3f}")
else:
    print("linear_forward is not done yet: write it in Exercise 1 and run its check; then run this cell again.")

# %% [markdown]
# ## Your progress
#
# Every exercise of the ten notebooks: done, failing or not yet (each full `check` is recorded in
# `~/.nn-ref/progress.json`, so this table sees the other notebooks' kernels too).

# %%
progress()
