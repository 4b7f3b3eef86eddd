"""Learning-rate schedules [Learning rate schedule, Cyclical Learning Rate].

Each constructor returns a callable ``lr(t)``; t counts *updates* (iterations), starting at 0.
``lr(t)`` takes an int/float (returns a Python float) or a NumPy array of t (returns an array),
so a figure can evaluate a whole curve at once.

    inverse(lr0, gamma)                 alpha_t = alpha_0 / (1 + gamma t)
    exponential(lr0, gamma)             alpha_t = alpha_0 exp(-gamma t)
    polynomial(lr0, max_t, power=1)     alpha_t = alpha_0 (1 - t / max_t)^n, 0 for t >= max_t  (n = 1: linear)
    multistep(lr0, milestones, gamma)   alpha_t = alpha_0 gamma^k, k = number of milestones <= t
    cosine(lr0, t_max, lr_min=0)        alpha_t = lr_min + (alpha_0 - lr_min) (1 + cos(pi t / t_max)) / 2,
                                        lr_min for t >= t_max
    cyclical(base_lr, max_lr, step_size, mode, gamma)   Smith 2015 (below)
    constant(lr0)                       alpha_t = alpha_0

The slide writes multi-step as alpha_0 / gamma^n; here ``gamma`` is the factor applied at each
milestone (gamma = 0.1 divides by 10), the Keras/PyTorch convention.

Cyclical learning rate (Smith 2015, "Cyclical Learning Rates for Training Neural Networks"):

    cycle = floor(1 + t / (2 step_size))
    x     = |t / step_size - 2 cycle + 1|
    lr    = base_lr + (max_lr - base_lr) * max(0, 1 - x) * scale
    scale = 1                        "triangular"
          = 1 / 2^(cycle - 1)        "triangular2"  (amplitude halves every cycle)
          = gamma^t                  "exp_range"

``triangular2``'s 1/2^(cycle - 1) is computed with ``np.ldexp(1, -(cycle - 1))``, never forming
2^(cycle - 1) (which overflows after 1024 cycles); past 900 cycles the factor stays at 2^-900 (~1e-271,
the amplitude is long gone), so no over- or underflow at any t.
"""

import math

import numpy as np

from nn_ref._checks import NON_NEGATIVE, Option, at_least, checked, one_of, positive

CYCLICAL_MODES = ("triangular", "triangular2", "exp_range")


# ----------------------------------------------------------------------------- the declarations, once
class UpdateCount:
    """t: an update count >= 0 (a number or an array of them), finite; the error names the schedule."""

    def __repr__(self):
        return "t >= 0 (an update count, or an array of them)"

    def check(self, name, t, state, read):
        t_arr = np.asarray(t)
        if t_arr.dtype.kind not in "iuf" or np.any(t_arr < 0) or not np.all(np.isfinite(t_arr)):
            raise ValueError(f"{read('self').name}: expected t >= 0 (an update count), got {t!r}")


class Bounded:
    """A number that passes ``option`` (``positive``, ``NON_NEGATIVE``) and is ``<=`` or ``>=`` the call's
    argument ``other``: ``Bounded(NON_NEGATIVE, "<=", "lr0")`` is lr_min <= lr0."""

    def __init__(self, option, relation, other):
        self.option, self.relation, self.other = option, relation, other

    def __repr__(self):
        return f"{self.option.text}, {self.relation} {self.other}"

    def check(self, name, value, state, read):
        self.option.rule(name, value)
        bound = read(self.other)
        if value > bound if self.relation == "<=" else value < bound:
            raise ValueError(f"{name}: expected {name} {self.relation} {self.other} = {bound}, got {value}")


class CycleGamma:
    """cyclical's gamma: positive, and 0 < gamma <= 1 for exp_range (the amplitude times gamma^t decays)."""

    def __repr__(self):
        return "positive finite, <= 1 for exp_range"

    def check(self, name, gamma, state, read):
        positive.rule(name, gamma)
        if read("mode") == "exp_range" and gamma > 1:
            raise ValueError(f"{name}: expected 0 < gamma <= 1 for exp_range, got {gamma}")


class Milestones(Option):
    """A list of distinct update counts >= 0 (any order)."""

    def __init__(self):
        super().__init__(None, "a list of distinct non-negative update counts", [10, 20])

    def check(self, name, milestones, state, read):
        ms = np.asarray(milestones if isinstance(milestones, (list, tuple, range, np.ndarray)) else None)
        ok = ms.ndim == 1 and ms.dtype.kind in "iuf" and np.all(ms >= 0) and np.all(np.isfinite(ms))
        if not (ok and len(np.unique(ms)) == len(ms)):
            raise ValueError(f"{name}: expected a list of distinct non-negative update counts, got {milestones!r}")


MILESTONES = Milestones()


class Schedule:
    """A learning-rate schedule: ``lr(t)``. ``formula`` is the closed form (for reading, printing)."""

    def __init__(self, name, formula, fn, **params):
        self.name, self.formula, self._fn, self.params = name, formula, fn, params

    @checked(t=UpdateCount())
    def __call__(self, t):
        out = self._fn(np.asarray(t, dtype=np.float64))
        return float(out) if np.ndim(t) == 0 else np.asarray(out, dtype=np.float64)

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.params.items())
        return f"{self.name}({args})"


@checked(lr0=positive)
def constant(lr0):
    """alpha_t = lr0 for every t."""
    lr0 = float(lr0)
    return Schedule("constant", "alpha_0", lambda t: np.full_like(t, lr0), lr0=lr0)


@checked(lr0=positive, gamma=NON_NEGATIVE)
def inverse(lr0, gamma):
    """alpha_t = lr0 / (1 + gamma t)   (inverse-time decay)."""
    lr0, gamma = float(lr0), float(gamma)
    return Schedule("inverse", "alpha_0 / (1 + gamma t)", lambda t: lr0 / (1.0 + gamma * t), lr0=lr0, gamma=gamma)


@checked(lr0=positive, gamma=NON_NEGATIVE)
def exponential(lr0, gamma):
    """alpha_t = lr0 exp(-gamma t)."""
    lr0, gamma = float(lr0), float(gamma)
    return Schedule("exponential", "alpha_0 exp(-gamma t)", lambda t: lr0 * np.exp(-gamma * t), lr0=lr0, gamma=gamma)


@checked(lr0=positive, max_t=positive, power=positive)
def polynomial(lr0, max_t, power=1):
    """alpha_t = lr0 (1 - t / max_t)^power for t < max_t, 0 from t = max_t on (power 1: linear)."""
    lr0, max_t, power = float(lr0), float(max_t), float(power)
    return Schedule(
        "polynomial",
        "alpha_0 (1 - t / max_t)^n",
        lambda t: lr0 * np.maximum(0.0, 1.0 - t / max_t) ** power,
        lr0=lr0,
        max_t=max_t,
        power=power,
    )


@checked(lr0=positive, milestones=MILESTONES, gamma=positive)
def multistep(lr0, milestones, gamma):
    """alpha_t = lr0 gamma^k with k = the number of milestones <= t (gamma = 0.1: divide by 10)."""
    lr0, gamma = float(lr0), float(gamma)
    ms = np.sort(np.asarray(list(milestones), dtype=np.float64))
    return Schedule(
        "multistep",
        "alpha_0 gamma^(number of milestones <= t)",
        lambda t: lr0 * gamma ** np.searchsorted(ms, t, side="right"),
        lr0=lr0,
        milestones=ms.tolist(),
        gamma=gamma,
    )


@checked(lr0=positive, t_max=positive, lr_min=Bounded(NON_NEGATIVE, "<=", "lr0"))
def cosine(lr0, t_max, lr_min=0.0):
    """alpha_t = lr_min + (lr0 - lr_min) (1 + cos(pi t / t_max)) / 2, and lr_min for t >= t_max."""
    lr0, t_max, lr_min = float(lr0), float(t_max), float(lr_min)
    return Schedule(
        "cosine",
        "lr_min + (alpha_0 - lr_min) (1 + cos(pi t / t_max)) / 2",
        lambda t: lr_min + (lr0 - lr_min) * 0.5 * (1.0 + np.cos(np.pi * np.minimum(t, t_max) / t_max)),
        lr0=lr0,
        t_max=t_max,
        lr_min=lr_min,
    )


@checked(
    base_lr=positive,
    max_lr=Bounded(positive, ">=", "base_lr"),
    step_size=positive,
    mode=one_of(CYCLICAL_MODES),
    gamma=CycleGamma(),
)
def cyclical(base_lr, max_lr, step_size, mode="triangular", gamma=1.0):
    """Smith 2015's cyclical learning rate (see the module docstring for the formula).

    base_lr <= max_lr; step_size: updates per half cycle; mode: "triangular", "triangular2" or
    "exp_range" (amplitude times gamma^t, 0 < gamma <= 1).
    """
    base_lr, max_lr, step_size, gamma = float(base_lr), float(max_lr), float(step_size), float(gamma)

    def lr(t):
        cycle = np.floor(1.0 + t / (2.0 * step_size))
        x = np.abs(t / step_size - 2.0 * cycle + 1.0)
        if mode == "triangular":
            scale = 1.0
        elif mode == "triangular2":
            # 1 / 2^(cycle-1) without ever forming 2^(cycle-1); the exponent is capped at 900
            # (2^-900 ~ 1e-271: the amplitude is gone) so nothing over- or underflows.
            scale = np.ldexp(1.0, -np.minimum(cycle - 1.0, 900.0).astype(np.int64))
        else:
            scale = gamma**t
        return base_lr + (max_lr - base_lr) * np.maximum(0.0, 1.0 - x) * scale

    return Schedule(
        "cyclical",
        f"Smith 2015 CLR, {mode}",
        lr,
        base_lr=base_lr,
        max_lr=max_lr,
        step_size=step_size,
        mode=mode,
        gamma=gamma,
    )


SCHEDULES = {
    "constant": constant,
    "inverse": inverse,
    "exponential": exponential,
    "polynomial": polynomial,
    "multistep": multistep,
    "cosine": cosine,
    "cyclical": cyclical,
}


# ----------------------------------------------------------------------------- schedules by name, sized to a run
BY_NAME = ("none", "inverse", "exponential", "polynomial", "multistep", "cosine", "cyclical")


class Decay:
    """by_name's gamma: None (the default for the run) or the decay constant of the named schedule:
    >= 0 for inverse and exponential, > 0 for multistep (the schedules' own declarations)."""

    def __repr__(self):
        return "None or the schedule's gamma"

    def check(self, name, gamma, state, read):
        if gamma is not None:
            (positive if read("name") == "multistep" else NON_NEGATIVE).rule(name, gamma)


@checked(
    name=one_of(BY_NAME),
    lr=positive,
    total_updates=at_least(0),
    updates_per_epoch=at_least(0),
    gamma=Decay(),
)
def by_name(name, lr, total_updates, updates_per_epoch, gamma=None):
    """A schedule named as ``nn-ref train --schedule`` and the playground name it, sized to the run
    (T = total updates): none (constant lr), inverse (gamma = 10/T: lr/11 at T), exponential
    (gamma = ln(100)/T: lr/100 at T), polynomial (power 1, to 0 at T), multistep (x0.1 at T/2 and 3T/4),
    cosine (to 0 at T), cyclical (triangular2, base lr/10, max lr, step size = 2 epochs of updates).
    ``gamma`` overrides the decay constant of inverse, exponential, multistep."""
    T = max(int(total_updates), 1)
    if name == "none":
        return constant(lr)
    if name == "inverse":
        return inverse(lr, gamma if gamma is not None else 10.0 / T)
    if name == "exponential":
        return exponential(lr, gamma if gamma is not None else math.log(100.0) / T)
    if name == "polynomial":
        return polynomial(lr, T)
    if name == "multistep":
        return multistep(lr, sorted({T // 2, (3 * T) // 4}), gamma if gamma is not None else 0.1)
    if name == "cosine":
        return cosine(lr, T)
    return cyclical(lr / 10, lr, 2 * max(int(updates_per_epoch), 1), mode="triangular2")
