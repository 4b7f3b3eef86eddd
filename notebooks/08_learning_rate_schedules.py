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
# # 08 -- The learning rate, schedules, cyclical learning rates and optimizers
#
# Lecture slides: *Learning rate*, *Learning rate schedule*, *Cyclical Learning Rate*, and the optimizer
# updates (momentum, Adam) that nn-ref's trainer offers.

# %%
import numpy as np

from nn_ref import optim, schedules
from nn_ref.exercises import check, exercise, progress, show_figure

np.set_printoptions(precision=4, suppress=True)

# %% [markdown]
# ## The learning rate
#
# $\theta \leftarrow \theta - \alpha\, \nabla J(\theta)$: too small an $\alpha$ crawls, a good one converges,
# too large a one overshoots and diverges. On $f(\theta) = \theta^2$ the step multiplies $\theta$ by
# $1 - 2\alpha$, so any $\alpha > 1$ diverges:

# %%
for lr in (0.05, 0.3, 1.05):
    result = optim.gradient_descent(lambda t: 2 * t, -3.0, learning_rate=lr, max_steps=10)
    print(f"alpha = {lr}: theta after 10 steps = {result['path'][-1]:+.4f}")

# %%
show_figure("lr_too_small_good_large")

# %% [markdown]
# ## Learning-rate schedules
#
# $t$ counts updates.
#
# | schedule | $\alpha_t$ |
# |---|---|
# | inverse | $\frac{\alpha_0}{1 + \gamma t}$ |
# | exponential | $\alpha_0 e^{-\gamma t}$ |
# | polynomial ($n = 1$: linear) | $\alpha_0 \left(1 - \frac{t}{\max_t}\right)^n$ |
# | multi-step | $\alpha_0 \gamma^k$, $k$ = milestones passed (the slide writes $\alpha_0 / \gamma^n$) |

# %%
t = np.arange(0, 101, 25)
for schedule in (
    schedules.inverse(0.1, 0.1),
    schedules.exponential(0.1, 0.05),
    schedules.polynomial(0.1, 100),
    schedules.multistep(0.1, [30, 60, 90], 0.1),
):
    print(f"{schedule!r:55s}", schedule(t))

# %%
show_figure("lr_decay_schedules")

# %% [markdown]
# ## Cyclical learning rate (Smith 2015)
#
# The learning rate moves linearly between `base_lr` and `max_lr` and back; `step_size` updates is half a cycle:
#
# $$\text{cycle} = \left\lfloor 1 + \frac{t}{2\,\text{step\_size}} \right\rfloor, \qquad
#   x = \left|\frac{t}{\text{step\_size}} - 2\,\text{cycle} + 1\right|, \qquad
#   \alpha_t = \text{base\_lr} + (\text{max\_lr} - \text{base\_lr}) \max(0, 1 - x).$$
#
# `triangular2` halves the amplitude every cycle; `exp_range` multiplies it by $\gamma^t$.

# %%
clr = schedules.cyclical(base_lr=0.001, max_lr=0.006, step_size=2000)
print(clr(np.array([0, 1000, 2000, 3000, 4000, 6000])))

# %%
show_figure("clr_triangular")

# %%
show_figure("clr_table")

# %% [markdown]
# ## Optimizers: momentum and Adam
#
# Momentum keeps a velocity, an exponential average of the gradients:
# $v \leftarrow \beta v + (1 - \beta)\, dW$, $\ W \leftarrow W - \alpha v$.
#
# Adam keeps averages of the gradient and of its square, with a bias correction for the first steps
# ($t = 1, 2, \dots$):
#
# $$m \leftarrow \beta_1 m + (1 - \beta_1) dW, \quad v \leftarrow \beta_2 v + (1 - \beta_2) dW^2, \quad
#   \hat{m} = \frac{m}{1 - \beta_1^t}, \quad \hat{v} = \frac{v}{1 - \beta_2^t}, \quad
#   W \leftarrow W - \alpha \frac{\hat{m}}{\sqrt{\hat{v}} + \epsilon}.$$

# %%
parameters = {"W1": np.array([[1.0, -2.0]])}
grads = {"dW1": np.array([[0.5, -0.5]])}
for optimizer in (optim.SGD(), optim.Momentum(beta=0.9), optim.Adam()):
    p = {k: v.copy() for k, v in parameters.items()}
    for _ in range(3):
        optimizer.step(p, grads, 0.1)
    print(f"{optimizer.name:8s} W1 after 3 steps: {p['W1']}")

# %% [markdown]
# **Momentum moved less than SGD here -- that is its formula, not a bug.** The velocity starts at $v = 0$
# and only $(1 - \beta)$ of each gradient enters it, so with a constant gradient
# $v_t = (1 - \beta^t)\, dW$: $0.1\, dW$ after one step, $0.19\, dW$ after two, $0.27\, dW$ after three
# ($\beta = 0.9$). Its step reaches SGD's after about $1 / (1 - \beta) = 10$ steps, and its total movement
# then trails SGD's by a constant $\beta / (1 - \beta) = 9$ steps' worth. Momentum does not pay on a constant
# gradient; it pays where gradients change direction: across a narrow valley the oscillating components
# cancel in $v$ while the steady component adds up. Adam's bias correction $\hat{m} = m / (1 - \beta_1^t)$
# removes exactly this warm-up: Adam's first step moves every weight by about $\alpha$ whatever the
# gradient's size ($\hat{m} / \sqrt{\hat{v}} = dW / |dW|$ at $t = 1$). How far `W1[0, 0]` has moved:

# %%
for steps in (1, 3, 10, 30, 100):
    moved = {}
    for optimizer in (optim.SGD(), optim.Momentum(beta=0.9), optim.Adam()):
        p = {k: v.copy() for k, v in parameters.items()}
        for _ in range(steps):
            optimizer.step(p, grads, 0.1)
        moved[optimizer.name] = float(parameters["W1"][0, 0] - p["W1"][0, 0])
    print(f"after {steps:3d} steps: " + ", ".join(f"{name} {d:.4f}" for name, d in moved.items()))

# %% [markdown]
# ## Exercise 1: `cyclical_lr`
#
# The triangular policy at one update `t` (an int): return a float.


# %% tags=["exercise"]
@exercise("cyclical_lr")
def cyclical_lr(t, base_lr, max_lr, step_size):
    # YOUR CODE HERE: cycle = ...; x = ...
    raise NotImplementedError


# %%
check("cyclical_lr", cyclical_lr)

# %% [markdown]
# ## Exercise 2: `momentum_step`
#
# One momentum update of one array; return the new `(W, v)`.


# %% tags=["exercise"]
@exercise("momentum_step")
def momentum_step(W, dW, v, beta, learning_rate):
    # YOUR CODE HERE
    raise NotImplementedError


# %%
check("momentum_step", momentum_step)

# %% [markdown]
# ## Exercise 3: `adam_step`
#
# One Adam update of one array at step `t` (from 1); return the new `(W, m, v)`.


# %% tags=["exercise"]
@exercise("adam_step")
def adam_step(W, dW, m, v, t, learning_rate, beta1, beta2, eps):
    # YOUR CODE HERE
    raise NotImplementedError


# %%
check("adam_step", adam_step)

# %% [markdown]
# ## Your progress
#
# Every exercise of the ten notebooks: done, failing or not yet (each full `check` is recorded in
# `~/.nn-ref/progress.json`, so this table sees the other notebooks' kernels too).

# %%
progress()
