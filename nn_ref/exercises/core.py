"""The exercises' machinery: the registry (``EXERCISES``, ``Exercise``, ``Case``), the results
(``CheckResult``, ``ExerciseFailed``), the case helpers the catalogues share (``central_differences``,
``_rng``, ``_fresh``, ...) and the checker (``check``) with its diagnosis of the likely bug."""

import linecache
import os
import traceback
import warnings
from dataclasses import dataclass, field

import numpy as np

from nn_ref import activations
from nn_ref.backend import use_backend  # the references compute with "numpy": deterministic, no JIT start-up

SOLUTIONS_ENV = "NN_REF_SOLUTIONS"
RTOL = 1e-6  # student vs reference: both are float64 evaluations of the same formula
GRAD_TOL = 1e-7  # student vs central differences: ||g - g_num|| / (||g|| + ||g_num||)
H = 1e-5  # central-difference step


def solutions_mode():
    """True when $NN_REF_SOLUTIONS is "1": exercises are filled with nn-ref's functions and a
    failing check raises (how CI executes the notebooks)."""
    return os.environ.get(SOLUTIONS_ENV) == "1"


# ============================================================================ results


class ExerciseFailed(AssertionError):
    """Raised by ``check`` in solutions mode (CI) when a check fails."""


@dataclass
class CheckResult:
    """The outcome of ``check(name, fn)``: ``passed`` (bool), ``message`` (what is wrong, in words)."""

    name: str
    passed: bool
    message: str
    cases: int = 0

    def __bool__(self):
        return self.passed

    def __str__(self):
        return f"{'PASSED' if self.passed else 'FAILED'} {self.name}: {self.message}"

    __repr__ = __str__

    def _repr_markdown_(self):
        mark = "&#x2705; **passed**" if self.passed else "&#x274C; **failed**"
        return f"{mark} `{self.name}` -- {_markdown_text(self.message)}"


def _markdown_text(text):
    """text with Markdown's special characters escaped outside `code` spans (dA * 1[Z > 0] stays as is)."""
    parts = text.split("`")
    for i in range(0, len(parts), 2):
        parts[i] = "".join("\\" + ch if ch in "\\*_[]<>#|~" else ch for ch in parts[i])
    return "`".join(parts)


class _Structure(Exception):
    """The student's return value has the wrong structure (message says what was expected)."""


# ============================================================================ exercises


@dataclass
class Case:
    """One seeded test case: ``make()`` returns fresh arguments (the student may modify them);
    ``context`` holds what the numeric check and the hypotheses need; ``m`` the number of samples."""

    label: str
    make: object
    context: dict = field(default_factory=dict)
    m: int = None


@dataclass
class Exercise:
    """One exercise: nn-ref's function ``reference`` with the signature the student writes."""

    name: str
    signature: str
    description: str
    slide: str
    notebook: str
    reference: object
    cases: object  # seed -> [Case]
    outputs: object  # (value, case) -> {name: array or float}
    hypotheses: object = None  # case -> [(diagnosis, {name: array})]
    numeric: object = None  # case -> {name: central-difference gradient}
    base: object = None  # case -> {name: array}: compare updates (new - old)
    nan_hint: str = "an exp overflowed or a log(0) was taken"
    explain: object = None  # (case, key, expected, got) -> str or None
    call: object = None  # (fn, args) -> value (default fn(*args))


EXERCISES = {}


def _register(ex):
    EXERCISES[ex.name] = ex
    return ex


def reference(name):
    """nn-ref's own implementation of exercise ``name``, with the exercise's signature."""
    return _get(name).reference


def exercise(name):
    """Decorator for a student's exercise function. Normally returns the function unchanged; with
    NN_REF_SOLUTIONS=1 (how CI runs the notebooks) it returns nn-ref's ``reference(name)`` instead."""
    ex = _get(name)

    def mark(fn):
        return ex.reference if solutions_mode() else fn

    return mark


def _get(name):
    if name not in EXERCISES:
        raise ValueError(f"exercise: expected one of {', '.join(EXERCISES)}, got {name!r}")
    return EXERCISES[name]


# ---------------------------------------------------------------------------- helpers


def _shape(a):
    if a.ndim == 0:
        return "scalar"
    if a.ndim == 1:
        return f"({a.shape[0]},)"
    return "(" + ", ".join(str(n) for n in a.shape) + ")"


def _tuple(value, names):
    """value as a tuple of len(names), or a _Structure error naming the expected return."""
    if len(names) == 1:
        return (value,)
    if not isinstance(value, (tuple, list)) or len(value) != len(names):
        got = (
            f"a {type(value).__name__} of length {len(value)}"
            if isinstance(value, (tuple, list))
            else f"{type(value).__name__}"
        )
        raise _Structure(f"expected to return a tuple ({', '.join(names)}), got {got}")
    return tuple(value)


def _named(names):
    """outputs function: the returned tuple's entries by name."""

    def outputs(value, case):
        return dict(zip(names, _tuple(value, names)))

    return outputs


def _dict_outputs(keys_of):
    """outputs function for a returned dict: the keys ``keys_of(case)`` are required."""

    def outputs(value, case):
        keys = keys_of(case)
        if not isinstance(value, dict):
            raise _Structure(f"expected to return a dict with keys {', '.join(keys)}, got {type(value).__name__}")
        missing = [k for k in keys if k not in value]
        if missing:
            raise _Structure(f"the returned dict lacks {', '.join(missing)} (expected keys {', '.join(keys)})")
        return {k: value[k] for k in keys}

    return outputs


def central_differences(f, x, h=H):
    """dJ/dx by central differences, (J(x + h e_i) - J(x - h e_i)) / 2h for every entry i: ``f()`` returns
    the scalar J, x is a float64 array of any shape (modified and restored in place); dJ/dx has x's shape."""
    g = np.zeros_like(x)
    it = np.nditer(x, flags=["multi_index"])
    for _ in it:
        i = it.multi_index
        old = x[i]
        x[i] = old + h
        fp = f()
        x[i] = old - h
        fm = f()
        x[i] = old
        g[i] = (fp - fm) / (2 * h)
    return g


def _rng(seed, k):
    return np.random.default_rng([seed, k])


def _fresh(*arrays):
    """make(): copies of the arrays (and the other arguments as they are)."""
    return lambda: tuple(a.copy() if isinstance(a, np.ndarray) else a for a in arrays)


def _sig(Z):
    return activations.sigmoid(Z, backend="numpy")[0]


def _copy_params(P):
    return {k: v.copy() for k, v in P.items()}


# ============================================================================ the checker


def _as_array(value, key):
    if value is None:
        raise _Structure(f"{key} is None -- did the function forget to return it?")
    try:
        a = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise _Structure(f"{key}: expected an array of numbers, got {type(value).__name__}") from None
    return a


def _close(G, E, equal_nan=False):
    if G.shape != E.shape:
        return False
    finite = np.abs(E[np.isfinite(E)])
    scale = max(1.0, float(np.max(finite))) if finite.size else 1.0
    return bool(np.allclose(G, E, rtol=RTOL, atol=1e-9 * scale, equal_nan=equal_nan))


def _shape_problem(key, E, G):
    """A sentence about a shape mismatch, or None."""
    if G.shape == E.shape:
        return None
    if E.ndim == 2 and G.shape == E.shape[::-1]:
        extra = " -- W[l] and dW[l] are (n[l], n[l-1])" if key.lstrip("d").startswith("W") else ""
        return f"{key} is transposed: shape {_shape(G)} where {_shape(E)} is expected{extra}"
    if E.ndim == 2 and E.shape[1] == 1 and G.shape == (E.shape[0],):
        if key.startswith("d"):
            hint = "sum with keepdims=True"
        elif key.startswith("b"):
            hint = f"make it np.zeros(({E.shape[0]}, 1))"
        else:
            hint = "keep it a column of shape (n, 1)"
        return f"{key} has shape (n,) instead of (n, 1): got {_shape(G)}, expected {_shape(E)} -- {hint}"
    if E.ndim == 2 and E.shape[1] == 1 and G.ndim == 2 and G.shape[0] == 1 and E.shape[0] != 1:
        return (
            f"{key}: got shape {_shape(G)}, expected {_shape(E)} -- summed over axis 0 instead of axis 1 (the samples)"
        )
    if G.size == 1 and E.size > 1:
        return f"{key}: got one number, expected shape {_shape(E)} -- summed over everything?"
    return f"{key}: got shape {_shape(G)}, expected {_shape(E)}"


def _worst(key, E, G):
    diff = np.abs(G - E)
    diff = np.where(np.isnan(diff), np.inf, diff)
    if E.ndim == 0:
        return f"{key}: expected {float(E):.6g}, got {float(G):.6g}"
    idx = np.unravel_index(int(np.argmax(diff)), E.shape)
    bad = int(np.sum(diff > RTOL * np.abs(E) + 1e-9 * max(1.0, float(np.max(np.abs(E))))))
    where = ", ".join(str(int(i)) for i in idx)
    return (
        f"{key}: {bad} of {E.size} entries differ; the worst is {key}[{where}]: expected {E[idx]:.6g}, got {G[idx]:.6g}"
    )


def _diagnose(ex, case, key, E, G, base, hypotheses):
    """The likely bug, in words: a planted-bug hypothesis that reproduces G (NaN where G has NaN), NaN or
    inf, a factor m, 1/m, -1 or another constant, else the worst entry."""
    for text, values in hypotheses:
        if key in values and _close(G, np.asarray(values[key], dtype=np.float64), equal_nan=True):
            return f"{key}: {text}"
    if not np.all(np.isfinite(G)) and np.all(np.isfinite(E)):
        bad = np.argwhere(~np.isfinite(np.atleast_1d(G)))
        idx = ", ".join(str(int(i)) for i in bad[0]) if bad.size else ""
        what = "NaN" if np.isnan(G).any() else "inf"
        return (
            f"{key} has {what} at [{idx}] where {E[tuple(bad[0])] if E.ndim else float(E):.6g} is expected: "
            f"{ex.nan_hint}"
        )
    if ex.explain is not None:
        text = ex.explain(case, key, E, G)
        if text:
            return text
    b = base.get(key) if base else None
    dE, dG = (E - b, G - b) if b is not None else (E, G)
    what = f"the update of {key} (new - old)" if b is not None else key
    if np.any(dE != 0):
        m = case.m
        if m and m > 1 and _close(dG, m * dE):
            return f"{what} is off by a factor of m = {m}: a 1/m is missing"
        if m and m > 1 and _close(dG, dE / m):
            return f"{what} is off by a factor of 1/m (m = {m}): the 1/m is applied twice"
        if _close(dG, -dE):
            return f"{what} has the wrong sign (a sign flip)"
        ratio = dG.ravel() @ dE.ravel() / (dE.ravel() @ dE.ravel())
        if abs(ratio) > 1e-12 and _close(dG, ratio * dE):
            return f"{what} is off by a constant factor {ratio:.6g}"
    return _worst(key, E, G)


def _location(exc, fn):
    """' (line N: `code`)' of the innermost frame of the student's function, or ''."""
    code = getattr(fn, "__code__", None)
    frames = traceback.extract_tb(exc.__traceback__)
    for fr in reversed(frames):
        if code is not None and fr.filename == code.co_filename:
            line = (fr.line or linecache.getline(fr.filename, fr.lineno)).strip()
            return f" (line {fr.lineno - code.co_firstlineno + 1} of {fn.__name__}: `{line}`)" if line else ""
    return ""


def _grad_diff(g, n):
    mask = ~np.isnan(n)
    g, n = g[mask], n[mask]
    denom = np.linalg.norm(g) + np.linalg.norm(n)
    return 0.0 if denom == 0 else float(np.linalg.norm(g - n) / denom)


def check(name, fn, seed=0):
    """Check the student's ``fn`` against nn-ref's exercise ``name`` (see ``EXERCISES``).

    Runs ``fn`` on seeded cases, compares with ``reference(name)`` (and, for the backward exercises,
    with central differences in float64) and returns a ``CheckResult`` whose message names the likely
    bug. In solutions mode (NN_REF_SOLUTIONS=1, CI) a failed check raises ``ExerciseFailed``.
    """
    ex = _get(name)
    result = _check(ex, fn, seed)
    if not result.passed and solutions_mode():
        raise ExerciseFailed(str(result))
    return result


_LAYER_EXERCISES = ("linear_forward", "linear_backward", "L_model_forward", "L_model_backward", "update_parameters")


def _check(ex, fn, seed):
    if not callable(fn):
        return CheckResult(ex.name, False, f"expected a function {ex.signature}, got {type(fn).__name__}")
    cases = ex.cases(seed)
    worst_grad = 0.0
    call = ex.call or (lambda f, args: f(*args))
    for i, case in enumerate(cases):
        where = f"case {i + 1} of {len(cases)} ({case.label})"
        with use_backend("numpy"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            expected = ex.outputs(call(ex.reference, case.make()), case)
        try:
            with np.errstate(all="ignore"), warnings.catch_warnings():
                warnings.simplefilter("ignore")
                got_value = call(fn, case.make())
        except NotImplementedError:
            return CheckResult(ex.name, False, f"not implemented yet: write the body of {ex.signature}")
        except Exception as exc:  # the student's bug, reported in one line
            msg = str(exc).splitlines()[0] if str(exc) else ""
            hint = ""
            if any(word in msg for word in ("matmul", "not aligned", "broadcast", "shapes")):
                hint = (
                    " -- a shape mismatch: W[l] is (n[l], n[l-1]), A[l-1] is (n[l-1], m), b[l] is (n[l], 1)"
                    if ex.name in _LAYER_EXERCISES
                    else " -- a shape mismatch: print the operands' .shape"
                )
            text = f"{where}: your function raised {type(exc).__name__}: {msg}{_location(exc, fn)}{hint}"
            return CheckResult(ex.name, False, text, i)
        try:
            got = ex.outputs(got_value, case)
            got = {k: _as_array(v, k) for k, v in got.items()}
        except _Structure as exc:
            return CheckResult(ex.name, False, f"{where}: {exc}", i)
        expected = {k: np.asarray(v, dtype=np.float64) for k, v in expected.items()}
        base = {k: np.asarray(v, dtype=np.float64) for k, v in ex.base(case).items()} if ex.base else None
        for key, E in expected.items():
            G = got[key]
            problem = _shape_problem(key, E, G)
            if problem is None and not _close(G, E):
                with np.errstate(all="ignore"):
                    hyps = ex.hypotheses(case) if ex.hypotheses else []
                    problem = _diagnose(ex, case, key, E, G, base, hyps)
            if problem is not None:
                return CheckResult(ex.name, False, f"{where}: {problem}", i)
        if ex.numeric is not None:
            numeric = ex.numeric(case)
            for key, N in numeric.items():
                d = _grad_diff(got[key], np.asarray(N, dtype=np.float64))
                if d > GRAD_TOL:
                    return CheckResult(
                        ex.name,
                        False,
                        f"{where}: {key} matches nn-ref but differs from central "
                        f"differences (relative difference {d:.2e})",
                        i,
                    )
                worst_grad = max(worst_grad, d)
    text = f"all {len(cases)} cases match nn-ref's {ex.name}"
    if ex.numeric is not None:
        text += f"; central differences agree (largest relative difference {worst_grad:.1e} < {GRAD_TOL:g})"
    return CheckResult(ex.name, True, text, len(cases))
