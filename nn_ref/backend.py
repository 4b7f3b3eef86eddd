"""Which code runs: the NumPy bodies you read, or the same maths compiled in ``nn_ref.kernels``.

Every lecture function takes ``backend=`` and starts with one visible hand-off line::

    if (K := accelerated(backend)) is not None:    # numba CPU / CUDA: same maths, compiled
        return K.linear_backward(dZ, A_prev, W)
    ...the NumPy formula...

``backend`` is, in this order: the argument; else the environment variable ``NN_REF_BACKEND``; else
``"numpy"`` -- so by default the functional API runs the NumPy code on the page (stepping into it with a
debugger lands in NumPy, and numba is never imported). ``"cpu"`` (numba), ``"cuda"`` (numba.cuda) and
``"auto"`` (cuda on a real GPU, else cpu) hand off to ``nn_ref.kernels``. ``Trainer``, ``nn-ref train``
and ``nn-ref bench`` default to ``"auto"`` instead: there speed matters more than reading. For a training
job, ``for_job`` makes "auto" pick NumPy when one update is too small for the kernels to pay for numba's
start-up (``AUTO_NUMPY_BELOW``).

Parameters live where their backend computes (as tensors do in PyTorch): ``to_backend(parameters, "cuda")``
moves a dict of arrays to the GPU once, ``to_host(parameters)`` brings it back. Inputs X, Y may come from the
host: they are copied once per call.
"""

import contextlib
import os

import numpy as np

BACKEND_NAMES = ("numpy", "cpu", "cuda", "auto")


def accelerated(backend=None):
    """None when the NumPy body should run; otherwise the ``nn_ref.kernels`` backend module.

    backend: None (then $NN_REF_BACKEND, unset = "numpy"), "numpy", "cpu", "cuda", "auto", or a kernels
    backend module (what ``chosen`` passes down from one lecture function to the next).
    """
    if backend is None:
        backend = os.environ.get("NN_REF_BACKEND") or "numpy"
    if not isinstance(backend, str):
        return backend
    if backend in _RESOLVED:  # a name seen before: no work per call
        return _RESOLVED[backend]
    name = backend.lower()
    if name not in BACKEND_NAMES:
        raise ValueError(f"backend: expected one of {BACKEND_NAMES}, got {backend!r}")
    if name == "numpy":
        return None
    from nn_ref import kernels  # numba is imported only here, on first use

    _RESOLVED[backend] = kernels.get_backend(name)
    return _RESOLVED[backend]


_RESOLVED = {"numpy": None}  # backend name -> kernels module (a process's backends do not change)


def chosen(backend=None, default="numpy"):
    """The backend resolved once, to pass down to the functions a function calls: "numpy" or the kernels
    module. ``default`` applies when neither the argument nor $NN_REF_BACKEND names one."""
    if backend is None and not os.environ.get("NN_REF_BACKEND"):
        backend = default
    K = accelerated(backend)
    return "numpy" if K is None else K


# "auto" runs NumPy below this many multiply-adds per update, m * sum_l n[l] n[l-1] (the forward products): there
# the numba kernels gain at most ~15 % per update, which a short job never wins back from importing numba and
# loading its cache (~0.7 s), let alone compiling it (5-15 s). Measured with Trainer on 2 cores:
# docs/reference/backends.md (numpy/cpu ~1.0-1.15 up to 7e5, 1.4-2.1 from 1.2e6 to 1.5e7).
AUTO_NUMPY_BELOW = 1_000_000


def for_job(backend, layer_dims, batch_size):
    """The backend for training ``layer_dims`` with mini-batches of ``batch_size`` (None: unknown): "numpy" when
    ``backend`` (else $NN_REF_BACKEND, else "auto") is "auto" and one update is below ``AUTO_NUMPY_BELOW``
    multiply-adds; otherwise ``backend`` unchanged."""
    name = backend if backend is not None else (os.environ.get("NN_REF_BACKEND") or "auto")
    if not (isinstance(name, str) and name.lower() == "auto") or batch_size is None:
        return backend
    work = int(batch_size) * sum(n * n_prev for n_prev, n in zip(layer_dims[:-1], layer_dims[1:]))
    return "numpy" if work < AUTO_NUMPY_BELOW else backend


def backend_name(backend=None, default="numpy"):
    """The concrete name ("numpy", "cpu" or "cuda") the functions would run on."""
    B = chosen(backend, default)
    return "numpy" if isinstance(B, str) else B.name


def to_backend(parameters, backend=None):
    """A new dict with every array of ``parameters`` moved to ``backend`` (a device copy for cuda; for
    numpy and cpu, host arrays). Do it once, before training: the functions never copy parameters per call.
    """
    K = accelerated(backend)
    if K is None:
        return {k: _as_host(v) for k, v in parameters.items()}
    return {k: K.to_device(_as_host(v)) for k, v in parameters.items()}


def to_host(parameters):
    """A new dict with every array of ``parameters`` as a host NumPy array (copied from the GPU if needed)."""
    return {k: _as_host(v) for k, v in parameters.items()}


def _as_host(x):
    if hasattr(x, "copy_to_host"):  # a numba.cuda device array
        return x.copy_to_host()
    return np.asarray(x)


def on_device(name, x, K):
    """Raise a clear error when parameter ``name`` does not live where backend ``K`` computes (None: NumPy).

    Never a silent copy per call: the fix is to move the parameters once.
    """
    if K is None:
        if hasattr(x, "copy_to_host"):
            raise ValueError(
                f"{name}: a GPU (cuda) array, but the NumPy code runs on the host; "
                f"bring the parameters back once with nn_ref.to_host(parameters), or pass backend='cuda'"
            )
        return
    if not K.is_device(x):
        raise ValueError(
            f"{name}: a host array, but backend {K.name!r} computes on the device; "
            f"move the parameters once with nn_ref.to_backend(parameters, {K.name!r})"
        )


@contextlib.contextmanager
def use_backend(name):
    """Within the block, nn-ref's default backend (``backend=None``) is ``name`` ("numpy", "cpu",
    "cuda", "auto"): $NN_REF_BACKEND is set, and restored (or unset) after; ``name=None`` changes nothing."""
    if name is None:
        yield
        return
    old = os.environ.get("NN_REF_BACKEND")
    os.environ["NN_REF_BACKEND"] = name
    try:
        yield
    finally:
        if old is None:
            del os.environ["NN_REF_BACKEND"]
        else:
            os.environ["NN_REF_BACKEND"] = old
