"""The exercises' machinery: the registry (``EXERCISES``, ``Exercise``, ``Case``), the results
(``CheckResult``, ``ExerciseFailed``), the case helpers the catalogues share (``central_differences``,
``_rng``, ``_fresh``, ...) and the checker (``check``): the contract first (what was returned, its dtype,
its shape, the inputs left alone), then the values, with a diagnosis only when it reproduces the numbers."""

import contextlib
import ctypes
import itertools
import linecache
import os
import re
import threading
import traceback
import types
import warnings
from dataclasses import dataclass, field

import numpy as np

from nn_ref import activations
from nn_ref.backend import use_backend  # the references compute with "numpy": deterministic, no JIT start-up

SOLUTIONS_ENV = "NN_REF_SOLUTIONS"
RTOL = 1e-6  # student vs reference, float64: both are float64 evaluations of the same formula
RTOL32 = 1e-4  # float32 input: the student's float32 arithmetic vs the float64 reference on the same inputs
GRAD_TOL = 1e-7  # student vs central differences: ||g - g_num|| / (||g|| + ||g_num||)
H = 1e-5  # central-difference step
TIME_LIMIT = 10.0  # seconds one case may take: tiny arrays answer in milliseconds, a busy machine is no excuse
MAX_ITEMS = 100_000  # a returned generator is read up to this many items (an endless one is cut there)


def solutions_mode():
    """True when $NN_REF_SOLUTIONS is "1": exercises are filled with nn-ref's functions and a
    failing check raises (how CI executes the notebooks)."""
    return os.environ.get(SOLUTIONS_ENV) == "1"


# ============================================================================ results


class ExerciseFailed(AssertionError):
    """Raised by ``check`` in solutions mode (CI) when a check fails."""


@dataclass
class CheckResult:
    """The outcome of ``check(name, fn)``: ``passed`` (bool), ``message`` (what is wrong, in words),
    ``cases`` (how many cases ran), ``passed_cases`` (how many of them passed), ``failing`` (the failing
    cases' numbers, 1-based: ``check(name, fn, case=k)`` runs case k alone)."""

    name: str
    passed: bool
    message: str
    cases: int = 0
    passed_cases: int = 0
    failing: list = field(default_factory=list)

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
    """The student's return value breaks the contract (message says what was expected)."""


# ============================================================================ exercises


@dataclass
class Case:
    """One test case: ``make()`` returns fresh arguments (the student may modify them); ``context`` holds
    what the numeric check and the hypotheses need; ``m`` the number of samples; ``dtype`` the float dtype
    of the arguments (float32 cases: the student's arrays are float32, the reference gets the same numbers
    in float64 through ``make_reference``)."""

    label: str
    make: object
    context: dict = field(default_factory=dict)
    m: int = None
    dtype: object = np.float64
    make_reference: object = None


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
    outputs: object  # (value, case) -> {name: value}: the structure (tuple, dict, list) taken apart
    hypotheses: object = None  # case -> [(diagnosis, {name: array})]
    numeric: object = None  # case -> {name: central-difference gradient}
    base: object = None  # case -> {name: array}: compare updates (new - old)
    nan_hint: str = "an exp overflowed or a log(0) was taken"
    explain: object = None  # (case, key, expected, got) -> str or None
    call: object = None  # (fn, args) -> value (default fn(*args)); runs under the time limit
    float32: bool = True  # add float32 copies of the first cases (dtype follows the input)
    mutable: tuple = ()  # the arguments the function may update in place (an optimizer's W, v)
    hyperparameters: tuple = ()  # arguments whose hard-coding a hypothesis tests (learning_rate, beta, ...)
    accepted: tuple = ()  # (label, fn): other formulas the exercise accepts (Kingma's compact Adam)
    means: tuple = ()  # outputs that are means over the m samples (carry a 1/m)

    @property
    def arg_names(self):
        """The argument names of ``signature``: "f(a, b) -> c" gives ["a", "b"]."""
        inside = self.signature.split("(", 1)[1].split(")", 1)[0]
        return [a.strip() for a in inside.split(",") if a.strip()]


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


def _what(value):
    """What a returned value is, in a few words: "a list of 3 items", "str '0.69'", "dict with keys J"."""
    if value is None:
        return "None"
    if isinstance(value, (list, tuple)):
        return f"a {type(value).__name__} of {len(value)} item{'s' * (len(value) != 1)}"
    if isinstance(value, dict):
        keys = ", ".join(map(str, list(value)[:4])) + (", ..." if len(value) > 4 else "")
        return f"a dict with keys {keys}" if value else "an empty dict"
    if isinstance(value, str):
        text = value if len(value) <= 20 else value[:17] + "..."
        return f"a str {text!r}"
    if isinstance(value, np.ndarray):
        return f"an array of shape {_shape(value)}, dtype {value.dtype}"
    return f"a {type(value).__name__}"


def _tuple(value, names):
    """value as a tuple of len(names), or a _Structure error naming the expected return."""
    if len(names) == 1:
        return (value,)
    if not isinstance(value, (tuple, list)) or len(value) != len(names):
        raise _Structure(f"expected to return a tuple ({', '.join(names)}), got {_what(value)}")
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
            raise _Structure(f"expected to return a dict with keys {', '.join(keys)}, got {_what(value)}")
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


def _drawn(seed, k, n_max=6, ms=(1, 2, 3, 5, 9, 11)):
    """(n, m) drawn from the seed: n in 1 .. n_max, m one of ``ms`` (m = 1 and odd m included)."""
    rng = _rng(seed, 1000 + k)
    return int(rng.integers(1, n_max + 1)), int(rng.choice(ms))


def _fresh(*arrays):
    """make(): copies of the arrays (and the other arguments as they are)."""
    return lambda: tuple(a.copy() if isinstance(a, np.ndarray) else a for a in arrays)


def _sig(Z):
    return activations.sigmoid(Z, backend="numpy")[0]


def _copy_params(P):
    return {k: v.copy() for k, v in P.items()}


def _map_floats(x, array, scalar):
    """x with ``array`` applied to every float64 array and ``scalar`` to every Python float inside its tuples,
    lists and dicts (other arrays copied, other objects as they are)."""
    if isinstance(x, np.ndarray):
        return array(x) if x.dtype == np.float64 else x.copy()
    if isinstance(x, float):
        return scalar(x)
    if isinstance(x, tuple):
        return tuple(_map_floats(y, array, scalar) for y in x)
    if isinstance(x, list):
        return [_map_floats(y, array, scalar) for y in x]
    if isinstance(x, dict):
        return {k: _map_floats(v, array, scalar) for k, v in x.items()}
    return x


def _rounded(x):
    """Floats rounded to float32's precision, kept float64 (what a float32 case's reference sees)."""
    return _map_floats(x, lambda a: a.astype(np.float32).astype(np.float64), lambda v: float(np.float32(v)))


def _float32_case(case):
    """The float32 copy of a float64 case: the student gets float32 arrays and float32 hyperparameters
    (np.float32(0.9), so 1 - beta**t stays float32), the reference and the hypotheses the same numbers in
    float64."""
    return Case(
        f"{case.label}, float32",
        lambda: _map_floats(case.make(), lambda a: a.astype(np.float32), np.float32),
        _rounded(case.context),
        case.m,
        np.float32,
        lambda: _rounded(case.make()),
    )


def _cases(ex, seed):
    """The exercise's cases: its own (seeded; drawn shapes and hyperparameters) and float32 copies of the first two."""
    cases = list(ex.cases(seed))
    if ex.float32:
        cases += [_float32_case(c) for c in cases[:2]]
    return cases


def case_inputs(name, case, seed=0):
    """The arguments of case ``case`` (1-based, as a failed check names it) of exercise ``name``: call your
    function with them to see what it does (``fn(*case_inputs("sigmoid", 3))``)."""
    cases = _cases(_get(name), seed)
    if not 1 <= case <= len(cases):
        raise ValueError(f"case: expected 1 .. {len(cases)}, got {case!r}")
    return cases[case - 1].make()


# ============================================================================ NumPy as nn-ref imported it

# A notebook cell can rebind np.exp (np.exp = np.exp2): the references, hypotheses and central differences
# then run with NumPy's own functions, restored around the checker's code and put back for the student's.
_NUMPY_MODULES = (np, np.linalg, np.random)
_NUMPY_AS_IMPORTED = [(mod, dict(vars(mod))) for mod in _NUMPY_MODULES]
_MISSING = object()


@contextlib.contextmanager
def _own_numpy():
    """Within the block NumPy's attributes are the ones it had when nn-ref was imported; yields the
    names that had been changed (["np.exp"]), which are put back after the block."""
    changed = []
    for mod, attrs in _NUMPY_AS_IMPORTED:
        now = vars(mod)
        for key, value in attrs.items():
            current = now.get(key, _MISSING)
            if current is not value:
                changed.append((mod, key, current))
                setattr(mod, key, value)
    try:
        yield [f"{'np' if mod is np else mod.__name__.replace('numpy', 'np')}.{key}" for mod, key, _ in changed]
    finally:
        for mod, key, current in changed:
            if current is _MISSING:
                delattr(mod, key)
            else:
                setattr(mod, key, current)


def _reference_outputs(ex, case):
    """The reference's outputs for ``case``, as float64 arrays or floats, computed with nn-ref's NumPy."""
    call = ex.call or (lambda f, args: f(*args))
    make = case.make_reference or case.make
    with _own_numpy(), use_backend("numpy"), np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        raw = ex.outputs(call(ex.reference, make()), case)
    return {
        k: (np.asarray(v, dtype=np.float64) if isinstance(v, np.ndarray) else float(np.asarray(v).reshape(())))
        for k, v in raw.items()
    }


# ============================================================================ running the student's code


class _Cancelled(BaseException):
    """Raised inside the student's thread when its time is up."""


class _TimeUp(Exception):
    pass


def _cancel(thread):
    """Raise _Cancelled in ``thread`` at its next bytecode (ends a pure-Python endless loop)."""
    with contextlib.suppress(Exception):
        ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(thread.ident), ctypes.py_object(_Cancelled))


def _run(fn, args, call, limit):
    """call(fn, args) in a thread, at most ``limit`` seconds: ("value", v), ("raised", exc) or raises _TimeUp.
    A returned generator is read there too (an endless generator is cut at MAX_ITEMS)."""
    box = {}

    def target():
        try:
            with np.errstate(all="ignore"):
                value = call(fn, args)
                if isinstance(value, (types.GeneratorType, map, filter, zip)):
                    value = list(itertools.islice(value, MAX_ITEMS))
            box["value"] = value
        except BaseException as exc:  # noqa: B036 -- everything the student's code raises is reported
            box["raised"] = exc

    thread = threading.Thread(target=target, name="nn-ref-check", daemon=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        thread.start()
        try:
            thread.join(limit)
        finally:
            if thread.is_alive():  # time is up, or the student interrupted the kernel
                _cancel(thread)
                thread.join(1.0)
    if "value" in box:
        return "value", box["value"]
    if "raised" in box and not isinstance(box["raised"], _Cancelled):
        return "raised", box["raised"]
    raise _TimeUp


# ============================================================================ the contract


def _snapshot(x):
    """A copy of the arrays inside x (tuples, lists, dicts followed), to tell later whether x changed."""
    if isinstance(x, np.ndarray):
        return x.copy()
    if isinstance(x, (tuple, list)):
        return type(x)(_snapshot(y) for y in x)
    if isinstance(x, dict):
        return {k: _snapshot(v) for k, v in x.items()}
    return None  # not compared


def _changed(before, after, path):
    """The path of the first array in ``after`` that differs from ``before`` (its snapshot), or None."""
    if isinstance(before, np.ndarray):
        same = (
            isinstance(after, np.ndarray)
            and after.shape == before.shape
            and after.dtype == before.dtype
            and np.array_equal(after, before, equal_nan=True)
        )
        return None if same else path
    if isinstance(before, (tuple, list)):
        if not isinstance(after, (tuple, list)) or len(after) != len(before):
            return path
        for i, (b, a) in enumerate(zip(before, after)):
            if (p := _changed(b, a, f"{path}[{i}]")) is not None:
                return p
        return None
    if isinstance(before, dict):
        if not isinstance(after, dict):
            return path
        for k, b in before.items():
            if k not in after:
                return path
            if (p := _changed(b, after[k], f"{path}[{k!r}]")) is not None:
                return p
    return None


def _number(value, key):
    """A returned number (a Python or NumPy real, or an array of one entry) as a float, else _Structure."""
    if value is None:
        raise _Structure(f"{key} is None -- did you forget `return`?")
    if isinstance(value, (bool, np.bool_)) or isinstance(value, str):
        raise _Structure(f"{key}: expected a number, got {_what(value)}")
    if isinstance(value, (int, float, complex, np.number)) or (isinstance(value, np.ndarray) and value.size == 1):
        a = np.asarray(value)
        if np.iscomplexobj(a):
            raise _Structure(f"{key} is complex ({complex(a.reshape(()))}): the answer is a real number")
        if a.dtype.kind not in "fiu":
            raise _Structure(f"{key}: expected a number, got {_what(value)}")
        return float(a.reshape(()))
    raise _Structure(f"{key}: expected a number, got {_what(value)}")


def _array(value, key, E, dtype):
    """A returned array checked against its contract (an ndarray of real numbers whose dtype follows the
    input's), as float64; else _Structure."""
    if value is None:
        raise _Structure(f"{key} is None -- did you forget `return`?")
    if not isinstance(value, np.ndarray):
        hint = " (build it with NumPy operations, not a Python list)" if isinstance(value, list) else ""
        raise _Structure(f"{key}: expected a NumPy array of shape {_shape(E)}, got {_what(value)}{hint}")
    if np.iscomplexobj(value):
        raise _Structure(f"{key} is complex (dtype {value.dtype}): the answer is real -- drop the imaginary part")
    if value.dtype.kind not in "fiu":
        raise _Structure(f"{key}: expected an array of numbers ({np.dtype(dtype).name}), got dtype {value.dtype}")
    if dtype is not None and value.dtype != dtype:
        raise _Structure(
            f"{key} has dtype {value.dtype} for {np.dtype(dtype).name} input: the result's dtype follows the "
            "input's (np.zeros_like(x), x.dtype; no .astype to another float; a NumPy float64 scalar such as "
            "np.sqrt(2.0) promotes a float32 array, a Python float such as math.sqrt(2.0) does not)"
        )
    return value.astype(np.float64)


# ============================================================================ comparing values


def _tolerance(dtype):
    return (RTOL, 1e-9) if dtype == np.float64 else (RTOL32, 1e-5)


def _close(G, E, equal_nan=False, dtype=np.float64):
    if G.shape != E.shape:
        return False
    rtol, atol = _tolerance(dtype)
    finite = np.abs(E[np.isfinite(E)])
    scale = max(1.0, float(np.max(finite))) if finite.size else 1.0
    return bool(np.allclose(G, E, rtol=rtol, atol=atol * scale, equal_nan=equal_nan))


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


def _worst(key, E, G, dtype):
    """The worst entry: where, expected, got and the relative error."""
    diff = np.abs(G - E)
    diff = np.where(np.isnan(diff), np.inf, diff)
    rtol, atol = _tolerance(dtype)
    if E.ndim == 0:
        rel = float(diff) / max(abs(float(E)), 1e-300)
        return f"{key}: expected {float(E):.6g}, got {float(G):.6g} (relative error {rel:.2g})"
    idx = np.unravel_index(int(np.argmax(diff)), E.shape)
    bad = int(np.sum(diff > rtol * np.abs(E) + atol * max(1.0, float(np.max(np.abs(E))))))
    where = ", ".join(str(int(i)) for i in idx)
    rel = float(diff[idx]) / max(abs(float(E[idx])), 1e-300)
    return (
        f"{key}: {bad} of {E.size} entries differ; the worst is {key}[{where}]: expected {E[idx]:.6g}, "
        f"got {G[idx]:.6g} (relative error {rel:.2g})"
    )


def _factor(ex, case, key, what, dE, dG):
    """A factor m, 1/m, -1 or another constant between got and expected, in words (it reproduces G), or None."""
    m, mean, dtype = case.m, re.sub(r"\d+$", "", key) in ex.means, case.dtype
    if m and m > 1 and _close(dG, m * dE, dtype=dtype):
        return f"{what} is off by a factor of m = {m}: " + (
            "a 1/m is missing" if mean else f"{key} has no 1/m, and yours carries an extra factor m"
        )
    if m and m > 1 and _close(dG, dE / m, dtype=dtype):
        return f"{what} is off by a factor of 1/m (m = {m}): " + (
            "the 1/m is applied twice" if mean else f"{key} is a sum, not a mean: it takes no 1/m"
        )
    if _close(dG, -dE, dtype=dtype):
        return f"{what} has the wrong sign (a sign flip)"
    ratio = dG.ravel() @ dE.ravel() / (dE.ravel() @ dE.ravel())
    if abs(ratio) > 1e-12 and np.isfinite(ratio) and _close(dG, ratio * dE, dtype=dtype):
        return f"{what} is off by a constant factor {ratio:.6g}"
    return None


def _diagnose(ex, case, key, E, G, base, hypotheses):
    """The likely bug, in words: a planted-bug hypothesis that reproduces G (NaN where G has NaN), NaN or
    inf, a factor m, 1/m, -1 or another constant, else the worst entry."""
    for text, values in hypotheses:
        if key in values and _close(G, np.asarray(values[key], dtype=np.float64), True, case.dtype):
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
    if np.any(dE != 0) and (text := _factor(ex, case, key, what, dE, dG)):
        return text
    return _worst(key, E, G, case.dtype)


_HARD_CODED = (0.1, 0.01, 0.001, 0.5, 0.9, 0.99, 0.999, 1e-8, 1e-7, 1e-6, 1e-5, 1e-4, 1e-3)


def _hard_coded_hypotheses(ex, case):
    """For each hyperparameter argument: the reference with a common value in its place ("learning_rate = 0.01")."""
    names = ex.arg_names
    out = []
    for hp in ex.hyperparameters:
        i = names.index(hp)
        for value in _HARD_CODED:
            args = list((case.make_reference or case.make)())
            if args[i] == value:
                continue
            args[i] = value
            with use_backend("numpy"), np.errstate(all="ignore"):
                got = ex.outputs(ex.reference(*args), case)
            text = f"ignores its argument {hp}: the result is what {hp} = {value:g} gives (hard-coded?)"
            out.append((text, {k: np.asarray(v, dtype=np.float64) for k, v in got.items()}))
    return out


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


# ============================================================================ the checker


def check(name, fn, seed=0, case=None, time_limit=None):
    """Check the student's ``fn`` against nn-ref's exercise ``name`` (see ``EXERCISES``).

    Runs ``fn`` on the exercise's cases (seeded, with drawn shapes and hyperparameters, float64 and
    float32), each in a thread with ``time_limit`` seconds (default ``TIME_LIMIT``). Per case, the contract
    first -- something returned, of the declared kind (array, number, tuple, dict), real, of the input's
    dtype, of the declared shape, the inputs unchanged -- then the values against ``reference(name)`` (and,
    for the backward exercises, central differences in float64). Returns a ``CheckResult`` whose message
    names the likely bug when a hypothesis reproduces the numbers, else the worst entry. ``case=k`` runs
    case k alone (as a failure names it). In solutions mode (NN_REF_SOLUTIONS=1, CI) a failed check raises
    ``ExerciseFailed``.
    """
    ex = _get(name)
    limit = TIME_LIMIT if time_limit is None else float(time_limit)
    result = _check(ex, fn, seed, case, limit)
    if case is None:
        from nn_ref.exercises.progress import record

        record(name, result)
    if not result.passed and solutions_mode():
        raise ExerciseFailed(str(result))
    return result


_LAYER_EXERCISES = ("linear_forward", "linear_backward", "L_model_forward", "L_model_backward", "update_parameters")


def _check(ex, fn, seed, only, limit):
    if not callable(fn):
        return CheckResult(ex.name, False, f"expected a function {ex.signature}, got {_what(fn)}")
    cases = _cases(ex, seed)
    if only is not None and not (isinstance(only, int) and 1 <= only <= len(cases)):
        raise ValueError(f"case: expected 1 .. {len(cases)}, got {only!r}")
    numbers = [only] if only is not None else range(1, len(cases) + 1)
    fn_name = getattr(fn, "__name__", "fn")
    if not re.fullmatch(r"\w+", fn_name):
        fn_name = "fn"
    first, failing, passed, worst_grad, matched = None, [], 0, 0.0, set()
    for k in numbers:
        where = f"case {k} of {len(cases)} ({cases[k - 1].label})"
        try:
            problem, grad = _check_case(ex, fn, cases[k - 1], limit)
        except _TimeUp:
            problem = (
                f"no answer in {limit:g} s -- an endless loop? (a while loop whose condition never changes, "
                "or a counter that is never increased); the check stopped here"
            )
            return _failed(ex, fn_name, k, where, problem, cases, passed, failing + [k], stop=True)
        except _NotImplemented:
            return CheckResult(ex.name, False, f"not implemented yet: write the body of {ex.signature}")
        except Exception as exc:  # the checker's own code failed: never blamed on the student
            msg = str(exc).splitlines()[0] if str(exc) else ""
            problem = (
                f"the checker itself failed on what your function returned ({type(exc).__name__}: {msg}) -- "
                "a bug in nn-ref's checker, not necessarily in your code: please report it"
            )
        if problem is None:
            passed += 1
            if isinstance(grad, float):
                worst_grad = max(worst_grad, grad)
            elif isinstance(grad, str):
                matched.add(grad)
            continue
        failing.append(k)
        if first is None:
            first = (k, where, problem)
    if first is not None:
        return _failed(ex, fn_name, *first, cases, passed, failing)
    if only is not None:
        return CheckResult(ex.name, True, f"case {only} of {len(cases)} matches nn-ref's {ex.name}", 1, 1)
    text = f"all {len(cases)} cases match nn-ref's {ex.name}"
    if matched:
        text += f" ({'; '.join(sorted(matched))})"
    if ex.numeric is not None:
        text += f"; central differences agree (largest relative difference {worst_grad:.1e} < {GRAD_TOL:g})"
    return CheckResult(ex.name, True, text, len(cases), len(cases))


def _failed(ex, fn_name, k, where, problem, cases, passed, failing, stop=False):
    with _own_numpy() as patched:
        pass
    note = f"; note: {', '.join(patched)} changed in this session (the checker used NumPy's own)" if patched else ""
    ran = len(failing) + passed
    if stop:
        tally = f"{passed} of {len(cases)} cases passed before it; "
    elif ran > 1:
        tally = f"{passed} of {ran} cases pass; "
    else:
        tally = ""
    text = f'{where}: {problem} -- {tally}reproduce: `check("{ex.name}", {fn_name}, case={k})`{note}'
    return CheckResult(ex.name, False, text, ran, passed, failing)


class _NotImplemented(Exception):
    pass


def _check_case(ex, fn, case, limit):
    """(problem or None, the case's gradient difference or accepted-formula label or None) for one case."""
    E = _reference_outputs(ex, case)
    args = case.make()
    mutable = {ex.arg_names.index(a) for a in ex.mutable}
    before = [None if i in mutable else _snapshot(a) for i, a in enumerate(args)]
    call = ex.call or (lambda f, a: f(*a))
    status, value = _run(fn, args, call, limit)
    if status == "raised":
        if isinstance(value, NotImplementedError):
            raise _NotImplemented
        return _raised(ex, fn, value), None
    if value is None:
        return "your function returned None -- did you forget `return`?", None
    try:
        raw = ex.outputs(value, case)
        got = {}
        for key, e in E.items():
            if isinstance(e, np.ndarray) and e.ndim > 0:
                got[key] = _array(raw[key], key, e, case.dtype)
            else:
                got[key] = np.asarray(_number(raw[key], key))
        for i, (b, a) in enumerate(zip(before, args)):
            if (path := _changed(b, a, ex.arg_names[i])) is not None:
                return (
                    f"your function changed its input {path} in place: leave the inputs as they are "
                    f"(work on a copy, {ex.arg_names[i]}.copy(), or build a new array)"
                ), None
    except _Structure as exc:
        return str(exc), None
    E = {k: np.asarray(v, dtype=np.float64) for k, v in E.items()}
    if all(_close(got[k], E[k], dtype=case.dtype) for k in E):
        return _numeric_problem(ex, case, got)
    with _own_numpy():
        for label, alt in ex.accepted:
            A = _reference_outputs(Exercise(**{**vars(ex), "reference": alt}), case)
            if all(_close(got[k], np.asarray(A[k], dtype=np.float64), dtype=case.dtype) for k in A):
                return None, label
    return _value_problem(ex, case, E, got), None


def _raised(ex, fn, exc):
    msg = str(exc).splitlines()[0] if str(exc) else ""
    hint = ""
    if any(word in msg for word in ("matmul", "not aligned", "broadcast", "shapes")):
        hint = (
            " -- a shape mismatch: W[l] is (n[l], n[l-1]), A[l-1] is (n[l-1], m), b[l] is (n[l], 1)"
            if ex.name in _LAYER_EXERCISES
            else " -- a shape mismatch: print the operands' .shape"
        )
    return f"your function raised {type(exc).__name__}: {msg}{_location(exc, fn)}{hint}"


def _value_problem(ex, case, E, got):
    """The first output whose shape or values differ, in words."""
    with _own_numpy(), use_backend("numpy"), np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        base = {k: np.asarray(v, dtype=np.float64) for k, v in ex.base(case).items()} if ex.base else None
        hyps = None
        for key, e in E.items():
            G = got[key]
            problem = _shape_problem(key, e, G)
            if problem is None and not _close(G, e, dtype=case.dtype):
                if hyps is None:
                    hyps = (ex.hypotheses(case) if ex.hypotheses else []) + _hard_coded_hypotheses(ex, case)
                problem = _diagnose(ex, case, key, e, G, base, hyps)
            if problem is not None:
                return problem
    return None


def _numeric_problem(ex, case, got):
    """Central differences (float64 cases only): (problem or None, the largest relative difference)."""
    if ex.numeric is None or case.dtype != np.float64:
        return None, None
    with _own_numpy(), use_backend("numpy"), np.errstate(all="ignore"):
        numeric = ex.numeric(case)
    worst = 0.0
    for key, N in numeric.items():
        d = _grad_diff(got[key], np.asarray(N, dtype=np.float64))
        if d > GRAD_TOL:
            return f"{key} matches nn-ref but differs from central differences (relative difference {d:.2e})", None
        worst = max(worst, d)
    return None, worst
