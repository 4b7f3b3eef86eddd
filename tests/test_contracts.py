"""Bad inputs generated from the declarations (``nn_ref._checks.CONTRACTS``), not from a list: for every declared
array argument of every checked function, a wrong number of axes, a broadcastable-but-wrong shape (a size 1 where
the declaration binds another), a wrong dtype, a list instead of an array, and NaN/inf (refused where declared
``finite``, passed through elsewhere). Each must be refused with an error naming the argument, the same on the
numpy and cpu backends. The valid call each case starts from is built from the declarations too."""

import importlib
import pkgutil

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import nn_ref
from nn_ref import _checks, batchnorm, losses, network

for _module in pkgutil.iter_modules(nn_ref.__path__):  # every lecture module registers its contracts on import
    if not _module.ispkg and _module.name not in ("cli", "bench", "profile", "__main__"):
        importlib.import_module(f"nn_ref.{_module.name}")

SIZES = {"m": 5, "n": 4, "n_prev": 3, "n0": 3, "n1": 4, "n2": 2, "nL": 2}
L = 2


def _size(axis):
    return axis if isinstance(axis, int) else SIZES.get(axis, 3)


def example(spec, read, rng):
    """A value ``spec`` accepts (None when the declaration cannot say)."""
    if isinstance(spec, losses.Labels):
        loss = spec.loss or read("loss")
        n, m = (_size(a) for a in spec.axes)
        if loss == "categorical_cross_entropy":
            return np.eye(n)[:, rng.integers(0, n, m)]
        return (rng.random((n, m)) > 0.5).astype(float)
    if isinstance(spec, network.ClassLabels):  # with the example output, sigmoid: 0/1 labels
        return (rng.random(tuple(_size(a) for a in spec.axes)) > 0.5).astype(float)
    if isinstance(spec, losses.Predictions):
        A = rng.uniform(0.1, 0.9, tuple(_size(a) for a in spec.axes))
        return A / A.sum(axis=0, keepdims=True)
    if isinstance(spec, _checks.Array):
        return rng.standard_normal(tuple(_size(a) for a in spec.axes))
    if isinstance(spec, (_checks.OneOf,)):
        return spec.choices[0]
    if isinstance(spec, losses.Output):
        return "sigmoid"
    if isinstance(spec, _checks.Option):
        return spec.example
    if isinstance(spec, _checks.Parameters):
        dims = [SIZES[f"n{l}"] for l in range(L + 1)]
        return {
            f"{p}{l}": rng.standard_normal((dims[l], dims[l - 1]) if p == "W" else (dims[l], 1))
            for l in range(1, L + 1)
            for p in "Wb"
        }
    if isinstance(spec, _checks.Grads):
        return {"d" + k: np.ones_like(v) for k, v in read("parameters").items()}
    if isinstance(spec, _checks.Fields):
        items = [example(s, read, rng) if s is not None else None for s in spec.items.values()]
        return None if any(i is None for i, s in zip(items, spec.items.values()) if s is not None) else tuple(items)
    if isinstance(spec, batchnorm.TrainCache):
        Z_hat, gamma, var, _ = example(batchnorm.CACHE_FIELDS, read, rng)
        return Z_hat, gamma, var**2 + 0.5, 1e-5
    if isinstance(spec, batchnorm.BnParam):
        return {"mode": "train"}
    if isinstance(spec, (_checks.ListOf, _checks.BatchnormFlag)):
        return None if isinstance(spec, _checks.ListOf) else False
    return None


def valid_call(contract, rng):
    """(args, kwargs) of a call every declaration accepts, or None."""
    values = {}

    def read(name):
        if name in values:
            return values[name]
        i, default = contract.index[name]
        return default

    for name, spec in contract.declarations.items():
        value = example(spec, read, rng)
        if value is None and not isinstance(spec, (_checks.ListOf, _checks.BatchnormFlag)):
            return None
        values[name] = value
    names = list(contract.index)
    missing = [n for n in names if n not in values and contract.index[n][1] is _checks.inspect.Parameter.empty]
    if missing:
        return None
    return dict(values)


def _cases():
    out = []
    for qualname, contract in sorted(_checks.CONTRACTS.items()):
        for arg, spec in contract.declarations.items():
            if type(spec) in (_checks.Array, losses.Predictions, losses.Labels, network.ClassLabels):
                out.append(pytest.param(qualname, arg, id=f"{qualname}-{arg}"))
    return out


CASES = _cases()
BUILDABLE = [c for c in CASES if valid_call(_checks.CONTRACTS[c.values[0]], np.random.default_rng(0)) is not None]


def test_most_contracts_are_exercised():
    """The generated cases reach at least 30 functions (a declaration the builder cannot satisfy is reported)."""
    functions = {c.values[0] for c in BUILDABLE}
    assert len(functions) >= 30, sorted(set(_checks.CONTRACTS) - functions)


def _call(qualname, kwargs):
    contract = _checks.CONTRACTS[qualname]
    return contract.function.__globals__[contract.function.__name__](**kwargs)


def _backends(contract):
    return ["numpy", "cpu"] if "backend" in contract.index else [None]


def _error(qualname, kwargs, backend):
    kw = dict(kwargs) if backend is None else dict(kwargs, backend=backend)
    with pytest.raises((TypeError, ValueError)) as info:
        _call(qualname, kw)
    return type(info.value), str(info.value)


def _bound_before(contract, arg):
    """The size names that the arguments declared before ``arg`` bind."""
    names = set()
    for name, spec in contract.declarations.items():
        if name == arg:
            return names
        specs = spec.items.values() if isinstance(spec, _checks.Fields) else [spec]
        for s in specs:
            names |= set(getattr(s, "axes", ()))
            if isinstance(s, _checks.Fields):
                names |= {a for t in s.items.values() for a in getattr(t, "axes", ())}
        if isinstance(spec, _checks.Parameters):
            names |= {"n0", "nL"}
    return names


def _mutations(contract, arg, spec, value):
    """(kind, bad value, the error type) for one declared array."""
    yield "extra axis", value[None], ValueError
    bound = _bound_before(contract, arg)
    for i, axis in enumerate(spec.axes):
        if (axis in bound or isinstance(axis, int)) and value.shape[i] > 1:  # broadcasts, but is not the size
            yield "broadcastable", np.take(value, [0], axis=i), ValueError
            break
    yield "int dtype", value.astype(np.int64) if not spec.real else value.astype(complex), TypeError
    yield "list", value.tolist(), TypeError
    yield "float16", value.astype(np.float16), TypeError


@pytest.mark.parametrize("qualname, arg", BUILDABLE)
def test_bad_array_is_refused_naming_it_on_every_backend(qualname, arg):
    contract = _checks.CONTRACTS[qualname]
    kwargs = valid_call(contract, np.random.default_rng(0))
    _call(qualname, dict(kwargs))  # the valid call runs
    spec = contract.declarations[arg]
    for kind, bad, exc in _mutations(contract, arg, spec, kwargs[arg]):
        if kind == "float16" and spec.real:
            continue
        errors = {b: _error(qualname, dict(kwargs, **{arg: bad}), b) for b in _backends(contract)}
        first = next(iter(errors.values()))
        assert issubclass(first[0], exc), (kind, first)
        assert first[1].startswith(f"{arg}"), (kind, first)
        assert len(set(errors.values())) == 1, errors  # numpy and cpu: the same error


@settings(max_examples=10, deadline=None)
@given(case=st.sampled_from(BUILDABLE), where=st.floats(0, 1), bad=st.sampled_from([np.nan, np.inf, -np.inf]))
def test_nan_and_inf_refused_where_finite_is_declared(case, where, bad):
    qualname, arg = case.values
    contract = _checks.CONTRACTS[qualname]
    spec = contract.declarations[arg]
    kwargs = valid_call(contract, np.random.default_rng(0))
    value = kwargs[arg].copy()
    flat = value.reshape(-1)
    index = min(int(where * flat.size), flat.size - 1)
    flat[index] = bad
    kwargs[arg] = value
    if spec.finite:
        exc, message = _error(qualname, kwargs, "numpy" if "backend" in contract.index else None)
        assert exc is ValueError and message.startswith(f"{arg}: expected finite values"), message
        assert str(tuple(int(i) for i in np.unravel_index(index, value.shape))) in message, message
    else:  # NaN and inf go through as NumPy sends them, or are refused by a value domain naming the argument
        try:
            with np.errstate(all="ignore"):  # NumPy's own warnings about them, as for any NumPy code
                _call(qualname, kwargs)
        except ValueError as error:
            assert str(error).startswith(arg), error


def test_every_default_passes_its_declaration():
    """The boundary lets a function's own default through unchecked: so every default must pass."""
    for contract in _checks.CONTRACTS.values():
        for name, spec in contract.declarations.items():
            default = contract.index[name][1]
            if isinstance(spec, (_checks.OneOf, _checks.Option)) and default is not _checks.inspect.Parameter.empty:
                spec.check(name, default, {}, None)  # raises if a default breaks its own declaration


@pytest.mark.cuda
@pytest.mark.parametrize(
    "qualname, arg", [c for c in BUILDABLE if "backend" in _checks.CONTRACTS[c.values[0]].index][:6]
)
def test_cuda_gives_the_numpy_error(qualname, arg):
    """A small sample on the cuda backend (the simulator here): the contract answers before any kernel runs."""
    contract = _checks.CONTRACTS[qualname]
    kwargs = valid_call(contract, np.random.default_rng(0))
    spec = contract.declarations[arg]
    for kind, bad, _ in _mutations(contract, arg, spec, kwargs[arg]):
        bad_kwargs = dict(kwargs, **{arg: bad})
        assert _error(qualname, bad_kwargs, "cuda") == _error(qualname, bad_kwargs, "numpy"), kind


def test_a_checked_function_pickles_by_name():
    import pickle

    from nn_ref import network, optim

    assert pickle.loads(pickle.dumps(network.forward)) is network.forward
    assert pickle.loads(pickle.dumps(optim.Adam.step)) is optim.Adam.step


@pytest.mark.parametrize("qualname, arg", BUILDABLE)
def test_the_fast_path_never_passes_what_the_declarations_refuse(qualname, arg):
    """``Contract.fast`` (the declarations as straight-line code) takes the valid call as ``check_slots`` does,
    and gives way to ``check_slots`` (returns None) on every bad array that ``check_slots`` refuses."""
    contract = _checks.CONTRACTS[qualname]
    kwargs = valid_call(contract, np.random.default_rng(0))
    spec = contract.declarations[arg]
    nan = kwargs[arg].copy()
    nan.reshape(-1)[-1] = np.nan
    for backend in _backends(contract):
        kw = dict(kwargs) if backend is None else dict(kwargs, backend=backend)
        contract.check_slots((), dict(kw))
        assert contract.fast((), dict(kw)) is not None, "the fast path gave way on a valid call"
        bad_cases = list(_mutations(contract, arg, spec, kwargs[arg]))
        if spec.finite:
            bad_cases.append(("NaN", nan, ValueError))
        for kind, bad, exc in bad_cases:
            if kind == "float16" and spec.real:
                continue
            with pytest.raises(exc):
                contract.check_slots((), dict(kw, **{arg: bad}))
            assert contract.fast((), dict(kw, **{arg: bad})) is None, kind
