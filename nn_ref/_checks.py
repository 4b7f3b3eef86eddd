"""Contracts, declared once where a function is defined, enforced by one mechanism, the same on every backend.

A lecture function states what it accepts in the lecture's notation, on the line above its ``def``::

    @checked(W="n n_prev", b="n 1", A_prev="n_prev m")    # named sizes must agree across the arguments
    def linear_forward(A_prev, W, b, backend=None):
        ...the formula...

An array argument's declaration is its shape, one name or number per axis. A name is bound by the first
argument (in declaration order) that has it and must then match everywhere; a number must match exactly; each
size is >= 1. Every declared array must be a float32 or float64 array (a list, an int array, complex, object,
float16 are refused: nothing is converted behind your back, the same on every backend), and all the declared
arrays of one call share one dtype. ``finite`` after the shape refuses NaN and inf (one pass over the data, at
the boundary only); without it NaN and inf go through as NumPy sends them (they show in the result, never
hidden). Other declarations are small objects below: ``one_of(...)``, ``positive``, ``in_range(lo, hi)``,
``PARAMETERS`` (W1, b1, ..., WL, bL with no gaps), ``probabilities``/``labels`` (value domains of a loss).

Checks run once, at the boundary: when a function of a module with checked functions calls a checked function
(forward calls linear_activation_forward), the call goes straight to the body. The boundary also resolves ``backend=``
once (the argument, else $NN_REF_BACKEND, else "numpy") and passes it down. Every message names the argument,
what was expected and what was given. The cost per call is in ``nn-ref bench`` (the ``checks`` row).
"""

import functools
import inspect
import linecache
import math
import numbers
import os
import sys

import numpy as np

CONTRACTS = {}  # "module.function" -> Contract: every declaration, for the generated tests and the docs
INSIDE = set()  # the modules with checked functions: their calls to each other are checked at the boundary
_KEYWORDS = ("finite", "real", "or", "None")
_SUM = np.add.reduce  # NaN or inf anywhere makes the sum NaN or inf: one pass, no temporary array


class Array:
    """An array argument: its shape as names or numbers per axis ("n_prev m"), float32 or float64;
    ``finite`` refuses NaN and inf; ``or None`` lets it be None."""

    def __init__(self, text):
        self.text = text
        words = text.split()
        self.finite = "finite" in words
        self.real = "real" in words  # any real dtype (labels to compare with): bool, int or float
        self.optional = text.endswith("or None")
        self.axes = tuple(int(w) if w.isdigit() else w for w in words if w not in _KEYWORDS)
        self.ndim = len(self.axes)

    def check(self, name, value, state, read):
        check_array(name, value, self, state)

    def __repr__(self):
        return repr(self.text)


class OneOf:
    """A name from a fixed registry (an activation, a loss, a mode)."""

    passed = object()  # the last value that passed (an immutable one): the same object passes again

    def __init__(self, choices):
        self.choices = tuple(choices)

    def check(self, name, value, state, read):
        check_choice(name, value, self.choices)

    def __repr__(self):
        return f"one_of{self.choices}"


class Option:
    """A scalar option checked by ``rule(name, value)`` (one of the check_... functions below); ``example`` is
    a value it accepts (the generated tests start from it)."""

    passed = object()  # the last value that passed (an immutable one): the same object passes again

    def __init__(self, rule, text, example):
        self.rule, self.text, self.example = rule, text, example

    def check(self, name, value, state, read):
        self.rule(name, value)

    def __repr__(self):
        return self.text


_CONTEXT_FREE = (OneOf, Option)  # declarations whose verdict depends on the value alone
_caller = sys._getframe


def one_of(choices):
    """Declare a name from ``choices``."""
    return OneOf(choices)


def in_range(low, high, high_closed=False):
    """Declare a number in [low, high) (or [low, high])."""
    return Option(
        lambda name, v: check_range(name, v, low, high, high_closed),
        f"in [{low}, {high}{']' if high_closed else ')'}",
        low,
    )


positive = Option(lambda name, v: check_positive_finite(name, v), "positive finite", 0.1)


def at_least(minimum):
    """Declare an integer >= ``minimum``."""
    return Option(lambda name, v: check_positive_int(name, v, minimum), f"integer >= {minimum}", minimum)


_IMMUTABLE = (str, int, float, bool, type(None))


class Fields:
    """A tuple argument (a cache) whose items are declared by name; None declares an item left unchecked."""

    def __init__(self, **items):
        self.items = {k: Array(v) if isinstance(v, str) else v for k, v in items.items()}

    def __repr__(self):
        return "(" + ", ".join(f"{k}={v!r}" for k, v in self.items.items()) + ")"

    def check(self, name, value, state, read):
        if not isinstance(value, tuple) or len(value) != len(self.items):
            got = f"a tuple of {len(value)}" if isinstance(value, tuple) else type(value).__name__
            raise TypeError(f"{name}: expected the tuple {self!r}, got {got}")
        for (field, spec), item in zip(self.items.items(), value):
            if spec is None or (item is None and getattr(spec, "optional", False)):
                continue
            spec.check(f"{name}.{field}", item, state, read)


def fields(**items):
    """Declare a tuple (a cache) item by item: ``fields(A_prev="n_prev m", W="n n_prev", b="n 1 or None")``."""
    return Fields(**items)


class ListOf:
    """A list of ``spec`` items, as many as ``length(state)`` says (None: any number >= 1). Item l (from 0)
    sees the size n{l + 1} as ``n`` (a per-hidden-layer list such as ``bn_params``)."""

    def __init__(self, spec, what, length=None):
        self.spec, self.what, self.length = spec, what, length

    def __repr__(self):
        return f"[{self.spec!r}, ...] ({self.what})"

    def check(self, name, value, state, read):
        if value is None:
            return
        if not isinstance(value, (list, tuple)):
            raise TypeError(f"{name}: expected a list ({self.what}), got {type(value).__name__}")
        want = self.length(state) if self.length else None
        if (want is not None and len(value) != want) or (want is None and not value):
            raise ValueError(
                f"{name}: expected {want if want is not None else '>= 1'} items ({self.what}), got {len(value)}"
            )
        for i, item in enumerate(value):
            sub = dict(state, n=state[f"n{i + 1}"]) if f"n{i + 1}" in state else dict(state)
            self.spec.check(f"{name}[{i}]", item, sub, read)


def list_of(spec, what, length=None):
    """Declare a list of ``spec`` (``length(state)`` items, or any number >= 1)."""
    return ListOf(spec, what, length)


class Grads:
    """{"dW1", "db1", ...}: "d" + key for every key of the call's ``parameters``, each with that parameter's
    shape and dtype (declared after ``parameters``)."""

    def __repr__(self):
        return "GRADS"

    def check(self, name, grads, state, read):
        if not isinstance(grads, dict):
            raise TypeError(f"{name}: expected a dict {{'dW1': ..., 'db1': ..., ...}}, got {type(grads).__name__}")
        for key, param in read("parameters").items():
            g = grads.get(_GRAD_NAME.get(key) or _GRAD_NAME.setdefault(key, "d" + key))
            if g.__class__ is np.ndarray and g.shape == param.shape and g.dtype == param.dtype:
                continue  # the common case, without building a message
            if g is None:
                raise ValueError(f"{name}: expected 'd{key}' for parameter {key!r}, got keys {sorted(grads)}")
            axes = " ".join(str(n) for n in param.shape)
            state.setdefault("dtype", (key, param.dtype))
            check_array(f"d{key}", g, Array(axes), state)


GRADS = Grads()
_GRAD_NAME = {}  # "W1" -> "dW1"


class Caches:
    """The caches of ``forward``: a list of L >= 1 per-layer tuples, the last one's Z of AL's shape (nL, m)."""

    def __repr__(self):
        return "CACHES"

    def check(self, name, caches, state, read):
        if not isinstance(caches, list) or not caches:
            got = "an empty list" if isinstance(caches, list) else type(caches).__name__
            raise TypeError(f"{name}: expected the list of per-layer caches from forward, got {got}")
        for l, cache in enumerate(caches, 1):
            if not isinstance(cache, tuple) or len(cache) != 5:
                raise TypeError(
                    f"{name}[{l - 1}]: expected the 5-tuple cache of layer {l} from forward, got {cache!r:.60}"
                )
        check_array(f"{name}[-1].Z", caches[-1][1], _LAST_Z, state)


CACHES = Caches()
_LAST_Z = Array("nL m")


def checked(**declarations):
    """Declare a function's arguments once; every call from outside nn-ref is checked against them.

    ``@checked(W="n n_prev", b="n 1", A_prev="n_prev m")``: see the module docstring. The declared names must be
    arguments of the function. The checked function is a thin function with the body's own signature (see
    ``_wrap``); ``.contract`` holds the declarations, ``.__wrapped__`` the body.
    """

    def declare(function):
        contract = Contract(function, declarations)
        CONTRACTS[f"{function.__module__}.{function.__qualname__}"] = contract
        INSIDE.add(function.__module__)
        return _wrap(function, contract)

    return declare


_SIMPLE = (inspect.Parameter.POSITIONAL_OR_KEYWORD,)


def _wrap(function, contract):
    """The checked function, generated from the body's signature: for ``linear_forward(A_prev, W, b,
    backend=None)``::

        def linear_forward(A_prev, W, b, backend=None):
            if _caller(1).f_globals.get("__name__") not in INSIDE:  # a call from your code: check it
                call = (A_prev, W, b, backend), {}
                args, kwargs = _contract.fast(*call) or _contract.check_slots(*call)
                return _body(*args, **kwargs)
            return _body(A_prev, W, b, backend)  # a call from nn-ref: straight to the body

    A call from another nn-ref module costs one plain Python call; pdb's ``break network.linear_forward`` stops in
    the body (``__func__`` names it, as for a method), and ``s`` shows these lines (kept in ``linecache``).
    Signatures with *args, **kwargs or keyword-only arguments get the same logic over (*args, **kwargs)."""
    parameters = list(inspect.signature(function).parameters.values())
    env = {"_caller": sys._getframe, "INSIDE": INSIDE, "_contract": contract, "_body": function}
    name = function.__name__
    if all(p.kind in _SIMPLE for p in parameters) and not any(p.name in env for p in parameters):
        params = []
        for i, p in enumerate(parameters):
            if p.default is p.empty:
                params.append(p.name)
            else:
                env[f"_d{i}"] = p.default
                params.append(f"{p.name}=_d{i}")
        names = ", ".join(p.name for p in parameters)
        lines = [
            f"def {name}({', '.join(params)}):",
            '    if _caller(1).f_globals.get("__name__") not in INSIDE:  # a call from your code: check it',
            f"        call = ({names}{',' if len(parameters) == 1 else ''}), {{}}",
            "        args, kwargs = _contract.fast(*call) or _contract.check_slots(*call)",
            "        return _body(*args, **kwargs)",
            f"    return _body({names})  # a call from nn-ref: straight to the body",
        ]
    else:
        lines = [
            f"def {name}(*args, **kwargs):",
            '    if _caller(1).f_globals.get("__name__") not in INSIDE:  # a call from your code: check it',
            "        args, kwargs = _contract.check(args, kwargs)",
            "    return _body(*args, **kwargs)",
        ]
    source = "\n".join(lines) + "\n"
    filename = os.path.join(os.path.dirname(__file__), f"<checked {function.__module__}.{function.__qualname__}>")
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    exec(compile(source, filename, "exec"), env)
    wrapper = functools.update_wrapper(env[name], function)
    wrapper.contract, wrapper.__func__ = contract, function
    return wrapper


class Contract:
    """The declarations of one function, with where each argument sits in a call."""

    def __init__(self, function, declarations):
        parameters = inspect.signature(function).parameters
        names = list(parameters)
        self.function = function
        self.declarations = {}
        self.slots = []
        for name, spec in declarations.items():
            if name not in parameters:
                raise TypeError(f"@checked: {function.__qualname__} has no argument {name!r}")
            spec = Array(spec) if isinstance(spec, str) else spec
            self.declarations[name] = spec
            self.slots.append((name, names.index(name), parameters[name].default, spec))
        self.index = {name: (i, parameters[name].default) for i, name in enumerate(names)}
        self.backend = self.index.get("backend", (None, None))[0]
        self.source, self.fast = _compile(self)

    def read(self, args, kwargs, name):
        """The value of argument ``name`` in a call (its default when not given)."""
        i, default = self.index[name]
        return args[i] if i < len(args) else kwargs.get(name, default)

    def check(self, args, kwargs):
        """Raise the first declared rule the call breaks; return (args, kwargs) with ``backend`` resolved.

        The common call (host float arrays that fit, names and numbers seen before) takes ``fast``: the same
        rules as straight-line code (``self.source``). Anything else, and every error, goes through
        ``check_slots``, which names the argument."""
        return self.fast(args, kwargs) or self.check_slots(args, kwargs)

    def check_slots(self, args, kwargs):
        """The declarations one by one (the reference the fast path is tested against)."""
        state = {}
        if self.backend is not None:
            args, kwargs = self._resolve_backend(args, kwargs, state)
        read = None
        for name, i, default, spec in self.slots:
            value = args[i] if i < len(args) else kwargs.get(name, default)
            if spec.__class__ is Array:  # the common case inline: shape, dtype, finite
                if value is None and spec.optional:
                    continue
                check_array(name, value, spec, state)
            elif isinstance(spec, Array):  # an array with a value domain (Predictions, Labels)
                read = read or functools.partial(self.read, args, kwargs)
                spec.check(name, value, state, read)
            elif value is default:  # a function's own default passes its declaration (nothing to check per call)
                continue
            elif spec.__class__ in _CONTEXT_FREE:  # a name or a number: the same object passes again at once
                if value is not spec.passed:
                    spec.check(name, value, state, None)
                    if value.__class__ in _IMMUTABLE:
                        spec.passed = value
            else:
                read = read or functools.partial(self.read, args, kwargs)
                spec.check(name, value, state, read)
        return args, kwargs

    def _resolve_backend(self, args, kwargs, state):
        i = self.backend
        B = args[i] if i < len(args) else kwargs.get("backend")
        if B is None:
            B = os.environ.get("NN_REF_BACKEND") or "numpy"
        if B.__class__ is str and B != "numpy":
            B = _BACKENDS.get(B) or _resolve(B)
        state["backend"] = B
        if i < len(args):
            return (args if args[i] is B else args[:i] + (B,) + args[i + 1 :]), kwargs
        kwargs["backend"] = B
        return args, kwargs


_HOST_OK = {}  # backend module -> whether a host ndarray is one of its arrays (numpy, cpu: yes; cuda: no)
_BACKENDS = {}  # backend name -> what nn_ref.backend.chosen resolves it to (a process's backends do not change)


def _resolve(name):
    from nn_ref.backend import chosen

    _BACKENDS[name] = B = chosen(name)
    return B


def _compile(contract):
    """(source, fast): a contract's rules for the common call as one straight-line function ``fast(args,
    kwargs)``: host float arrays checked on local names (one dtype, shapes agreeing, sizes >= 1, finite where
    declared), names and numbers that passed before by identity, defaults as given; the other declarations
    (parameter dicts, caches, ...) are called as in ``check_slots``. It returns (args, kwargs) when everything
    holds, and None otherwise: then ``check_slots`` runs and raises the error that names the argument. It never
    passes a call that ``check_slots`` refuses (tests/test_contracts.py compares the two)."""
    env = {"_nd": np.ndarray, "_isfinite": math.isfinite, "_sum": _SUM, "_partial": functools.partial}
    env.update(_IMMUTABLE=_IMMUTABLE, _contract=contract)
    code = [
        "def fast(args, kwargs):",
        "    n_args = len(args)",
        "    dtype = None",
        "    read = None",
        "    state = {}",
    ]
    names = sorted(
        {a for _, _, _, spec in contract.slots if isinstance(spec, Array) for a in spec.axes if a.__class__ is str}
    )
    locals_ = {a: f"_{a}" for a in names}  # a size name -> its local variable
    code += [f"    {v} = None" for v in locals_.values()]
    if contract.backend is not None:
        i = contract.backend
        env.update(_environ=os.environ, _BACKENDS=_BACKENDS)
        code += [
            f"    backend = args[{i}] if n_args > {i} else kwargs.get('backend')",
            "    if backend is None: backend = _environ.get('NN_REF_BACKEND') or 'numpy'",
            "    if backend.__class__ is str and backend != 'numpy':",
            "        backend = _BACKENDS.get(backend)",
            "        if backend is None: return None",
            "    state['backend'] = backend",
            f"    if n_args > {i}: args = args[:{i}] + (backend,) + args[{i + 1}:]",
            "    else: kwargs['backend'] = backend",
        ]

    def sync():  # the names bound so far into ``state``, as check_slots would hold them
        lines = ["if dtype is not None: state['dtype'] = dtype"]
        lines += [f"if {w} is not None: state[{a!r}] = {w}" for a, w in locals_.items()]
        return lines

    for k, (name, i, default, spec) in enumerate(contract.slots):
        env[f"_d{k}"], env[f"_s{k}"] = default, spec
        v = f"v{k}"
        code.append(f"    {v} = args[{i}] if n_args > {i} else kwargs.get({name!r}, _d{k})")
        if isinstance(spec, Array):
            pad = "    "
            if spec.optional:
                code.append(f"    if {v} is not None:")
                pad = "        "
            code.append(f"{pad}if {v}.__class__ is not _nd: return None")
            if spec.real:
                code.append(f"{pad}if {v}.dtype.kind not in 'biuf': return None")
            else:
                code += [
                    f"{pad}if dtype is None:",
                    f"{pad}    if {v}.dtype.char not in 'fd': return None",
                    f"{pad}    dtype = ({name!r}, {v}.dtype)",
                    f"{pad}elif {v}.dtype is not dtype[1]: return None",
                ]
            code.append(f"{pad}shape = {v}.shape")
            code.append(f"{pad}if len(shape) != {spec.ndim}: return None")
            for j, axis in enumerate(spec.axes):
                if axis.__class__ is int:
                    code.append(f"{pad}if shape[{j}] != {axis}: return None")
                else:
                    w = locals_[axis]
                    code += [
                        f"{pad}if {w} is None:",
                        f"{pad}    if shape[{j}] < 1: return None",
                        f"{pad}    {w} = shape[{j}]",
                        f"{pad}elif shape[{j}] != {w}: return None",
                    ]
            if spec.finite:
                code.append(f"{pad}if not _isfinite(_sum({v}, None)): return None")
            if spec.__class__ is not Array:  # a value domain (Predictions, Labels): its ``domain`` rule
                code += [
                    f"{pad}read = read or _partial(_contract.read, args, kwargs)",
                    f"{pad}try: _s{k}.domain({name!r}, {v}, read)",
                    f"{pad}except (TypeError, ValueError): return None",
                ]
        elif spec.__class__ in _CONTEXT_FREE:
            code += [
                f"    if {v} is not _d{k} and {v} is not _s{k}.passed:",
                f"        try: _s{k}.check({name!r}, {v}, None, None)",
                "        except (TypeError, ValueError): return None",
                f"        if {v}.__class__ in _IMMUTABLE: _s{k}.passed = {v}",
            ]
        else:  # a declaration with its own rules: called with the names bound so far, its new ones read back
            settled = getattr(spec, "settled", None)  # values it accepts whatever the other arguments are
            known = f" and not ({v}.__class__ is str and {v} in {settled!r})" if settled else ""
            code.append(f"    if {v} is not _d{k}{known}:")
            code.append("        read = read or _partial(_contract.read, args, kwargs)")
            code += ["        " + line for line in sync()]
            code += [
                f"        try: _s{k}.check({name!r}, {v}, state, read)",
                "        except (TypeError, ValueError): return None",
                "        dtype = state.get('dtype')",
            ]
            code += [f"        {w} = state.get({a!r})" for a, w in locals_.items()]
    code.append("    return args, kwargs")
    source = "\n".join(code) + "\n"
    exec(compile(source, f"<contract of {contract.function.__qualname__}>", "exec"), env)
    return source, env["fast"]


def check_array(name, value, spec, state):
    """The rules of an ``Array`` declaration: a float32/float64 array (host or device), the declared number
    of axes, sizes agreeing with the names bound so far (binding new ones), one dtype per call, finite."""
    host = value.__class__ is np.ndarray
    if not host:
        _check_array_kind(name, value, spec)
    dtype = value.dtype
    if spec.real:
        if dtype.kind not in "biuf":
            raise TypeError(f"{name}: expected an array of real numbers, got dtype {dtype}")
    elif dtype.char not in "fd":
        raise TypeError(f"{name}: expected a float32 or float64 array, got dtype {dtype}")
    else:
        first = state.get("dtype")
        if first is None:
            state["dtype"] = (name, dtype)
        elif first[1] is not dtype and first[1] != dtype:
            raise TypeError(f"{name}: expected dtype {first[1]} (the dtype of {first[0]}), got {dtype}")
    shape = value.shape
    if len(shape) != spec.ndim:
        _shape_error(name, shape, spec.axes, state)
    new = None
    for axis, size in zip(spec.axes, shape):
        want = axis if axis.__class__ is int else state.get(axis)
        if want is None:  # a name seen first here: bound once the whole shape fits
            if size < 1:
                _shape_error(name, shape, spec.axes, state)
            new = [(axis, size)] if new is None else new + [(axis, size)]
        elif want != size:
            _shape_error(name, shape, spec.axes, state)
    if new is not None:
        state.update(new)
    if spec.finite and host and not math.isfinite(_SUM(value, None)):
        check_finite(name, value)  # names the first NaN or inf (a finite sum that overflowed passes here)


def _check_array_kind(name, value, spec):
    """Anything but a host ndarray: a device array passes; np.matrix, lists, scalars are refused."""
    if isinstance(value, np.matrix) or not (isinstance(value, np.ndarray) or hasattr(value, "copy_to_host")):
        raise TypeError(
            f"{name}: expected a float32 or float64 array of shape ({', '.join(map(str, spec.axes))}), "
            f"got {type(value).__name__}"
        )


def _shape_error(name, shape, axes, state):
    expected = tuple(a if a.__class__ is int else state.get(a) for a in axes)
    raise ValueError(
        f"{name}: expected shape {_fmt(expected)}, got {tuple(shape)} (declared ({', '.join(map(str, axes))})"
        + "".join(f"; {a} >= 1" for a, size in zip(axes, shape) if size < 1)
        + ")"
    )


@functools.cache
def _layout(key_order):
    """For a parameter dict's keys: (L, [(key, Array declaration), ...] in layer order) or the error text."""
    keys = frozenset(key_order)
    L = 0
    while f"W{L + 1}" in keys:
        L += 1
    if L == 0:
        return f"expected keys W1, b1, ..., WL, bL; found no 'W1' (keys {sorted(keys)})"
    beyond = sorted(int(k[1:]) for k in keys if k[:1] == "W" and k[1:].isdigit() and int(k[1:]) > L)
    if beyond:
        top = beyond[-1]
        gap = [f"{p}{l}" for l in range(L + 1, top) for p in "Wb" if f"{p}{l}" not in keys]
        return f"expected keys W1, b1, ..., W{top}, b{top} with no gaps, missing {gap}"
    allowed = {f"{p}{l}" for l in range(1, L + 1) for p in "Wb"}
    allowed |= {f"{p}{l}" for l in range(1, L) for p in ("gamma", "beta")}
    extra = sorted(keys - allowed)
    if extra:
        return (
            f"expected keys W1, b1, ..., W{L}, b{L} with no gaps (and gamma[l], beta[l] for l < {L}), "
            f"got the extra keys {extra}"
        )
    specs = []
    for l in range(1, L + 1):
        layer = {f"W{l}": f"n{l} n{l - 1}", f"b{l}": f"n{l} 1"}
        if l < L and (f"gamma{l}" in keys or f"beta{l}" in keys):
            layer.update({f"gamma{l}": f"n{l} 1", f"beta{l}": f"n{l} 1"})
        for key, axes in layer.items():
            if key not in keys:
                return f"expected key {key!r} (layer {l} of {L}), got keys {sorted(keys)}"
            specs.append((key, Array(axes)))
    return L, tuple(specs), _compile_fit(L, keys)


def _compile_fit(L, keys):
    """``fit(P, state, writable)`` for one key layout, as straight-line code: True (binding n0 .. nL and the
    dtype) when P holds host float arrays of one dtype whose sizes chain; False on anything else, and then
    the array-by-array check finds and names the problem."""
    W = [f"W{l}" for l in range(1, L + 1)]
    layer_of = {k: l for l in range(1, L + 1) for k in (f"W{l}", f"b{l}", f"gamma{l}", f"beta{l}") if k in keys}
    arrays = list(layer_of)
    n = [f"n{l}" for l in range(L + 1)]
    lines = ["def fit(P, state, writable):"]
    lines += [f"    {k} = P[{k!r}]" for k in arrays]
    lines.append("    if " + " or ".join(f"{k}.__class__ is not _nd" for k in arrays) + ": return False")
    lines.append("    dt = W1.dtype")
    same = " or ".join(f"{k}.dtype is not dt" for k in arrays[1:])
    lines.append(f"    if dt.char not in 'fd' or {same}: return False")
    lines.append("    first = state.get('dtype')")
    lines.append("    if first is not None and first[1] != dt: return False")
    lines += [f"    s{l} = W{l}.shape" for l in range(1, L + 1)]
    lines.append("    if " + " or ".join(f"len(s{l}) != 2" for l in range(1, L + 1)) + ": return False")
    lines.append("    n0 = s1[1]")
    for l in range(1, L + 1):
        if l > 1:
            lines.append(f"    if s{l}[1] != n{l - 1}: return False")
        lines.append(f"    n{l} = s{l}[0]")
    lines.append("    if " + " or ".join(f"{x} < 1" for x in n) + ": return False")
    shapes = [f"{k}.shape != (n{layer_of[k]}, 1)" for k in arrays if not k.startswith("W")]
    lines.append("    if " + " or ".join(shapes) + ": return False")
    lines.append("    if writable and not (" + " and ".join(f"{k}.flags.writeable" for k in arrays) + "): return False")
    for x in n:
        lines.append(f"    if state.get({x!r}, {x}) != {x}: return False")
    lines += [f"    state[{x!r}] = {x}" for x in n]
    lines.append("    if first is None: state['dtype'] = ('W1', dt)")
    lines.append("    return True")
    env = {"_nd": np.ndarray}
    exec(compile("\n".join(lines) + "\n", f"<parameters {', '.join(W)}>", "exec"), env)
    return env["fit"]


class Parameters:
    """The parameter dict {"W1", "b1", ..., "WL", "bL"} (and gamma[l], beta[l] for l < L): no gaps, no other
    keys, W[l] (n[l], n[l-1]) chained, b[l] (n[l], 1), one float dtype, living where ``backend`` computes.
    Binds n0 and nL. ``writable``: updated in place, so read-only arrays are refused."""

    def __init__(self, writable=False):
        self.writable = writable

    def __repr__(self):
        return "PARAMETERS" + ("(writable)" if self.writable else "")

    def check(self, name, P, state, read):
        if not isinstance(P, dict):
            raise TypeError(f"{name}: expected a dict {{'W1': ..., 'b1': ..., ...}}, got {type(P).__name__}")
        layout = _layout(tuple(P))
        if isinstance(layout, str):
            raise ValueError(f"{name}: {layout}")
        L, specs, fit = layout
        K = state.get("backend", "numpy")
        host_ok = K == "numpy" or _HOST_OK.get(K) or _HOST_OK.setdefault(K, K.is_device(np.empty(0)))
        if not (host_ok and fit(P, state, self.writable)):  # else: find the error, name it
            for key, spec in specs:
                x = P[key]
                check_array(key, x, spec, state)
                _check_where(key, x, K)
                if self.writable and x.__class__ is np.ndarray and not x.flags.writeable:
                    raise ValueError(f"{key}: expected a writable array (updated in place), got a read-only one")
        state["nL"], state["L"] = state[f"n{L}"], L


class ArrayDict(Parameters):
    """An optimizer's parameters: a non-empty dict of float arrays of one dtype, any keys, updated in place."""

    def __init__(self):
        super().__init__(writable=True)

    def __repr__(self):
        return "ARRAYS(writable)"

    def check(self, name, P, state, read):
        if not isinstance(P, dict) or not P:
            got = "an empty dict" if isinstance(P, dict) else type(P).__name__
            raise TypeError(f"{name}: expected a non-empty dict of parameter arrays, got {got}")
        K = state.get("backend", "numpy")
        for key, x in P.items():
            if x.__class__ is not np.ndarray:
                _check_array_kind(key, x, _ANY)
            if x.dtype.char not in "fd":
                raise TypeError(f"{key}: expected a float32 or float64 array, got dtype {x.dtype}")
            first = state.setdefault("dtype", (key, x.dtype))
            if first[1] != x.dtype:
                raise TypeError(f"{key}: expected dtype {first[1]} (the dtype of {first[0]}), got {x.dtype}")
            _check_where(key, x, K)
            if x.__class__ is np.ndarray and not x.flags.writeable:
                raise ValueError(f"{key}: expected a writable array (updated in place), got a read-only one")


_ANY = Array("any shape")
ARRAYS = ArrayDict()


class BatchnormFlag:
    """``batchnorm=True`` needs gamma[l], beta[l] in the parameters (declared after ``parameters``)."""

    def __repr__(self):
        return "BATCHNORM"

    def check(self, name, value, state, read):
        if value and state.get("L", 1) > 1 and "gamma1" not in read("parameters"):
            raise ValueError(
                "parameters: batchnorm=True needs gamma1, beta1, ... (initialize_parameters(..., batchnorm=True))"
            )


BATCHNORM = BatchnormFlag()


def _check_where(key, x, K):
    """A parameter lives where its backend computes (never a silent copy per call)."""
    if K == "numpy" or K is None:
        if hasattr(x, "copy_to_host"):
            raise ValueError(
                f"{key}: a GPU (cuda) array, but the NumPy code runs on the host; "
                f"bring the parameters back once with nn_ref.to_host(parameters), or pass backend='cuda'"
            )
    elif not K.is_device(x):
        raise ValueError(
            f"{key}: a host array, but backend {K.name!r} computes on the device; "
            f"move the parameters once with nn_ref.to_backend(parameters, {K.name!r})"
        )


PARAMETERS = Parameters()


def check_shape(name, array, expected):
    """Raise ValueError unless ``array.shape == expected``; ``None`` in ``expected`` matches any size.

    Example message: ``Y: expected shape (1, 5), got (5,)``.
    """
    shape = getattr(array, "shape", None)
    if shape is None:
        raise ValueError(f"{name}: expected an array of shape {_fmt(expected)}, got {type(array).__name__}")
    if len(shape) != len(expected):
        raise ValueError(f"{name}: expected shape {_fmt(expected)}, got {tuple(shape)}")
    for e, s in zip(expected, shape):
        if e is not None and e != s:
            raise ValueError(f"{name}: expected shape {_fmt(expected)}, got {tuple(shape)}")


def check_choice(name, value, choices):
    """Raise ValueError unless ``value`` is one of ``choices`` (an array is never one: no elementwise ==)."""
    if isinstance(value, np.ndarray) or value not in choices:
        raise ValueError(f"{name}: expected one of {tuple(choices)}, got {value!r}")


def _fmt(expected):
    return "(" + ", ".join("any" if e is None else str(e) for e in expected) + ("," if len(expected) == 1 else "") + ")"


# ----------------------------------------------------------------------------- values, not only shapes
FLOAT_DTYPES = ("float32", "float64")
_FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def check_float(name, array):
    """Raise TypeError unless ``array`` is a float32 or float64 array (int truncates, bool/complex/object
    have no gradient, float16 has no kernel)."""
    dtype = getattr(array, "dtype", None)
    if dtype is None or dtype not in _FLOAT_DTYPES:
        got = type(array).__name__ if dtype is None else f"dtype {dtype}"
        raise TypeError(f"{name}: expected a float32 or float64 array, got {got}")


def check_dtype(name, dtype):
    """Raise TypeError unless ``dtype`` (an argument such as ``dtype=np.int64``) is float32 or float64."""
    try:
        ok = str(np.dtype(dtype)) in FLOAT_DTYPES
    except TypeError:
        ok = False
    if not ok:
        raise TypeError(f"{name}: expected float32 or float64, got {dtype!r}")


def check_real(name, array):
    """Raise TypeError unless ``array`` holds real numbers (bool, int or float) that convert to a float dtype;
    complex (the imaginary part would be dropped), object and strings are refused."""
    a = np.asarray(array)
    if a.dtype.kind not in "biuf":
        raise TypeError(f"{name}: expected an array of real numbers, got dtype {a.dtype}")


def _on_host(array):
    """True for a host NumPy array: values are checked there; a device array is already inside a backend."""
    return isinstance(array, np.ndarray)


def check_finite(name, array):
    """Raise ValueError if ``array`` holds NaN or inf, naming the index of the first bad entry and its value
    (one pass over the data: call it once per call, at the boundary; device arrays are not copied back)."""
    if hasattr(array, "copy_to_host"):  # a GPU array: checked on the host before it went there
        return
    a = np.asarray(array)
    if a.dtype.kind in "fc" and not np.isfinite(a).all():
        index = tuple(int(i) for i in np.argwhere(~np.isfinite(a))[0])
        raise ValueError(f"{name}: expected finite values, got {a[index]} at index {index}")


def is_real_number(value):
    """True for an int or float (a NumPy one too); False for bool, str, complex, Decimal and Fraction, which
    NumPy and the kernels would treat differently."""
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, (bool, np.bool_))


def check_regular_file(path, verb, name=None):
    """Raise ValueError unless ``path`` is missing or a regular file: a FIFO, device or socket would block or
    be replaced, a folder cannot be read. ``verb``: what the caller would do ("read", "replace"); ``name``: the
    argument that gave the path, when there is one."""
    if os.path.lexists(path) and not os.path.isfile(path):
        where = f"{name}: " if name else ""
        raise ValueError(
            f"{where}{os.fspath(path)}: not a regular file (a folder, FIFO, device or socket); refusing to {verb} it"
        )


def check_positive_finite(name, value):
    """Raise ValueError unless ``value`` is an int or float > 0 and finite (learning rates, eps, ...). Decimal,
    Fraction, strings and bools are refused: NumPy and the kernels would treat them differently."""
    ok = is_real_number(value) and math.isfinite(float(value)) and float(value) > 0
    if not ok:
        raise ValueError(f"{name}: expected a positive finite number, got {value!r}")


def check_learning_rate(learning_rate, t=None):
    """Raise ValueError unless the learning rate (at update ``t``, for a schedule) is positive and finite."""
    where = "" if t is None else f" (the schedule's value at update t = {t})"
    try:
        check_positive_finite("learning_rate", learning_rate)
    except ValueError:
        raise ValueError(f"learning_rate: expected a positive finite number, got {learning_rate!r}{where}") from None


def check_positive_int(name, value, minimum=1):
    """Raise ValueError unless ``value`` is an integer >= ``minimum`` (2.7, True, "3" are refused)."""

    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ValueError(f"{name}: expected an integer >= {minimum}, got {value!r}")


def check_layer_dims(layer_dims):
    """Raise ValueError unless ``layer_dims`` is at least two positive integers [n0, n1, ..., nL]."""
    try:
        dims = list(layer_dims)
    except TypeError:
        raise ValueError(
            f"layer_dims: expected a list of positive integers [n0, ..., nL], got {layer_dims!r}"
        ) from None
    if len(dims) < 2:
        raise ValueError(f"layer_dims: expected at least two positive sizes [n0, ..., nL], got {dims}")
    for l, n in enumerate(dims):
        check_positive_int(f"layer_dims[{l}]", n)
    return [int(n) for n in dims]


def check_range(name, value, low, high, high_closed=False):
    """Raise ValueError unless ``low <= value < high`` (``<= high`` with ``high_closed``); NaN is refused, and so
    are Decimal, Fraction, strings and bools (NumPy and the kernels would treat them differently)."""
    ok = is_real_number(value)
    if ok:
        v = float(value)
        ok = low <= v and (v <= high if high_closed else v < high)
    if not ok:
        raise ValueError(f"{name}: expected a number in [{low:g}, {high:g}{']' if high_closed else ')'}, got {value!r}")


def check_samples(name, array):
    """Raise ValueError unless ``array`` (n, m) has at least one sample: m >= 1 columns."""
    if array.shape[1] < 1:
        raise ValueError(f"{name}: expected at least one sample (m >= 1 columns), got shape {tuple(array.shape)}")


def check_data(name, array, n=None):
    """The checks of a data array at the boundary: shape (n, m) with m >= 1 (``n=None``: any rows), float32 or
    float64, every value finite. One pass over the data (host arrays only)."""
    check_shape(name, array, (n, None))
    check_float(name, array)
    check_samples(name, array)
    check_finite(name, array)


ONE_HOT_TOL = 1e-4  # how far a one-hot column's sum may be from 1 (float32 soft labels round)


def check_labels(name, Y, loss):
    """Raise ValueError unless labels ``Y`` (n[L], m) fit ``loss``: values in [0, 1] (0/1 classes) for
    cross_entropy; columns of values >= 0 summing to 1 (one-hot) for categorical_cross_entropy; any finite
    real for mse and l1. Names the first bad entry or column (host arrays only; Y.min() and Y.max() prove the
    range, and only a Y out of range, or holding NaN, is searched entry by entry)."""
    if loss not in ("cross_entropy", "categorical_cross_entropy") or not _on_host(Y):
        return
    if not (Y.size and Y.min() >= 0 and Y.max() <= 1):
        bad = np.argwhere(~((Y >= 0) & (Y <= 1)))
        if len(bad):
            index = tuple(int(i) for i in bad[0])
            want = "0/1 labels (values in [0, 1])" if loss == "cross_entropy" else "one-hot columns (values in [0, 1])"
            raise ValueError(f"{name}: {loss} expects {want}, got {Y[index]} at index {index}")
    if loss == "categorical_cross_entropy":
        sums = Y.sum(axis=0)
        off = np.abs(sums - 1) > ONE_HOT_TOL
        if off.any():
            j = int(off.argmax())
            raise ValueError(
                f"{name}: categorical_cross_entropy expects one-hot columns (summing to 1), "
                f"got column {j} summing to {sums[j]:g}"
            )


# ----------------------------------------------------------------------------- small declarations added later
def or_none(option):
    """Declare ``option`` (an ``Option``: ``at_least(1)``, ``positive``, ...) or None."""
    text = f"{option.text} or None"
    return Option(lambda name, v: v is None or option.check(name, v, {}, None), text, option.example)


def number(name, value):
    """Raise TypeError unless ``value`` is a real number: an int or float (a NumPy one too). Bool, str,
    complex, Decimal and Fraction are refused (NumPy would treat them differently)."""
    if not is_real_number(value):
        raise TypeError(f"{name}: expected a real number (int or float), got {type(value).__name__} {value!r}")


def non_negative(name, value):
    """Raise ValueError unless ``value`` is a finite int or float >= 0."""
    if not (is_real_number(value) and math.isfinite(float(value)) and float(value) >= 0):
        raise ValueError(f"{name}: expected a non-negative finite number, got {value!r}")


NON_NEGATIVE = Option(non_negative, "non-negative finite", 0.0)
NUMBER = Option(number, "a real number", 1.0)


def checked_veneer(**declarations):
    """``checked`` for a veneer over the lecture functions (``nn_ref.sequential``): its module does not join
    INSIDE, so what it passes on to a checked function is checked there, as a call from your code would be."""

    def declare(function):
        inside = function.__module__ in INSIDE
        wrapped = checked(**declarations)(function)
        if not inside:
            INSIDE.discard(function.__module__)
        return wrapped

    return declare


class Generator(Option):
    """rng: a np.random.Generator (seeded: np.random.default_rng(seed)), or None where the function allows it."""

    def __init__(self):
        super().__init__(None, "a np.random.Generator", np.random.default_rng(0))

    def check(self, name, rng, state, read):
        if rng is not None and not isinstance(rng, np.random.Generator):
            raise TypeError(f"{name}: expected a np.random.Generator (np.random.default_rng(seed)), got {rng!r}")


GENERATOR = Generator()
LAYER_DIMS = Option(lambda name, v: check_layer_dims(v), "[n0, ..., nL], positive integers", [3, 4, 2])


def flag(name, value):
    """Raise TypeError unless ``value`` is True or False (a string "False" would be true)."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name}: expected True or False, got {value!r}")


FLAG = Option(flag, "True or False", True)
SEED = at_least(0)  # a seed for np.random.default_rng: an integer >= 0


def path_like(name, value):
    """Raise TypeError unless ``value`` is a path: a str or an os.PathLike (pathlib.Path)."""
    if not isinstance(value, (str, os.PathLike)):
        raise TypeError(f"{name}: expected a path (str or pathlib.Path), got {type(value).__name__}")


PATH = Option(path_like, "a path (str or pathlib.Path)", ".")


def readable_path(name, value):
    """Raise unless ``value`` is a path that is missing (the reader says so) or a regular file: a FIFO, device or
    socket would block or never end, a folder cannot be read."""
    path_like(name, value)
    check_regular_file(value, "read", name)


FILE = Option(readable_path, "a path to a regular file", __file__)


def checked_call(function, *args, **kwargs):
    """``function(*args, **kwargs)`` checked as a call from your code would be, although the caller is inside
    nn-ref: for a function that passes your arguments on (``make_optimizer(name, **options)``). A class is
    checked against its ``__init__``'s declaration."""
    target = function.__init__ if isinstance(function, type) else function
    contract = getattr(target, "contract", None)
    if contract is not None:
        first = (None,) if isinstance(function, type) else ()  # self, not declared
        args, kwargs = contract.check(first + args, dict(kwargs))
        args = args[len(first) :]
    return function(*args, **kwargs)


class Dispatched:
    """An argument that a function passes on to the one that ``registry[read(key)]`` names, declared as that
    function declares it (``activation_backward``'s cache is relu_backward's, or leaky_relu_backward's, ...)."""

    def __init__(self, registry, key):
        self.registry, self.key = registry, key

    def __repr__(self):
        return f"as declared by the function {self.key} names"

    def check(self, name, value, state, read):
        contract = getattr(self.registry.get(read(self.key)), "contract", None)
        spec = contract.declarations.get(name) if contract is not None else None
        if spec is not None:
            spec.check(name, value, state, read)
