"""nn_ref.kernels: the hot operations of the lecture's network, one API, three backends.

Installed as ``nn_ref.kernels`` (the folder is ``kernels/`` at the top of the repository; the bare
name ``kernels`` belongs to another PyPI distribution).

Backends (one module each, same function names and signatures):

- ``numpy``  ``numpy_backend.py`` -- the readable oracle.
- ``cpu``    ``cpu_backend.py``   -- numba ``@njit`` (``prange``, ``cache=True``).
- ``cuda``   ``cuda_backend.py``  -- numba.cuda kernels and thin host wrappers; arrays stay on the GPU.

Every backend module provides::

    name                                        "numpy" | "cpu" | "cuda"
    to_device(x) / to_host(x) / empty(shape, dtype) / synchronize()
    activation_forward(Z, activation, alpha)  -> A
    activation_backward(dA, Z, activation, alpha) -> dZ
    softmax(Z) -> A
    softmax_backward(dA, A) -> dZ
    linear_forward(A_prev, W, b, activation, alpha) -> (Z, A)
    linear_backward(dZ, A_prev, W) -> (dA_prev, dW, db)
    sum_over_samples(dZ) -> (n, 1)
    cross_entropy_cost / categorical_cross_entropy_cost / mse_cost / l1_cost (AL, Y) -> float
    cost_gradient(AL, Y, loss) -> dAL
    output_delta(AL, Y) -> AL - Y
    update(param, grad, learning_rate)          in place
    batchnorm_forward(Z, gamma, beta, eps) -> (out, Z_hat, mu, var)
    batchnorm_backward(dout, Z_hat, gamma, var, eps) -> (dZ, dgamma, dbeta)
    batchnorm_eval(Z, gamma, beta, running_mean, running_var, eps) -> out
    train_step(X, Y, theta, layer_dims, hidden_activation, output_activation, loss,
               learning_rate, alpha) -> cost      one fused gradient-descent step (theta in place)

``train_step`` works on the parameters packed into one flat array ``theta`` = W1, b1, ..., WL, bL
(``pack_parameters``; ``parameter_views`` gives W[l], b[l] back as views into it). It computes
exactly what ``network.forward``, ``compute_cost``, ``backward`` and ``update_parameters`` compute,
in one call: the per-layer functions cost several microseconds of Python per layer, more than the
whole step of a small net.

The backend is chosen once: ``get_backend("cpu")``, else the environment variable
``NN_REF_BACKEND``, else ``"auto"`` (cuda on a real GPU -- never the simulator -- else cpu).
"""
import importlib
import os

BACKENDS = ("numpy", "cpu", "cuda")
_MODULES = {"numpy": "numpy_backend", "cpu": "cpu_backend", "cuda": "cuda_backend"}
_loaded = {}


def _import(name):
    if name not in _loaded:
        _loaded[name] = importlib.import_module(f"{__name__}.{_MODULES[name]}")
    return _loaded[name]


def cuda_available():
    """(ok, reason): whether the cuda backend can run -- on a real GPU, or on numba's CUDA
    simulator when ``NUMBA_ENABLE_CUDASIM=1``."""
    try:
        from numba import cuda
    except Exception as exc:  # pragma: no cover - numba is a dependency
        return False, f"numba.cuda cannot be imported: {exc}"
    if os.environ.get("NUMBA_ENABLE_CUDASIM") == "1":
        return True, "CUDA simulator (NUMBA_ENABLE_CUDASIM=1)"
    try:
        if cuda.is_available():
            return True, f"GPU: {cuda.get_current_device().name.decode() if isinstance(cuda.get_current_device().name, bytes) else cuda.get_current_device().name}"
        return False, "no CUDA GPU or driver found (numba.cuda.is_available() is False)"
    except Exception as exc:
        return False, f"CUDA check failed: {exc}"


def real_gpu_available():
    """True only for a real GPU (the simulator does not count)."""
    if os.environ.get("NUMBA_ENABLE_CUDASIM") == "1":
        return False
    ok, _ = cuda_available()
    return ok


def available_backends():
    """Names of the backends that can run here."""
    names = ["numpy"]
    try:
        _import("cpu")
        names.append("cpu")
    except ImportError:
        pass
    if cuda_available()[0]:
        try:
            _import("cuda")
            names.append("cuda")
        except ImportError:
            pass
    return names


def resolve_name(name=None):
    """The concrete backend name for ``name`` (None -> $NN_REF_BACKEND -> "auto")."""
    if name is None:
        name = os.environ.get("NN_REF_BACKEND", "auto") or "auto"
    name = name.lower()
    if name == "auto":
        if real_gpu_available():
            return "cuda"
        try:
            _import("cpu")
            return "cpu"
        except ImportError:
            return "numpy"
    if name not in BACKENDS:
        raise ValueError(
            f"unknown backend {name!r}; expected one of {BACKENDS + ('auto',)} "
            f"(available here: {available_backends()})")
    if name == "cuda":
        ok, why = cuda_available()
        if not ok:
            raise RuntimeError(
                f"backend 'cuda' is not available: {why}. Set NUMBA_ENABLE_CUDASIM=1 before "
                f"importing numba to use the simulator, or pick one of {available_backends()}")
    return name


def get_backend(name=None):
    """The backend module for ``name``: a module object, or a name ("numpy", "cpu", "cuda",
    "auto"), or None for $NN_REF_BACKEND (default "auto")."""
    if name is not None and not isinstance(name, str):
        return name  # already a backend module
    return _import(resolve_name(name))


def pack_parameters(parameters, dtype=None):
    """theta: one flat host array holding W1, b1, W2, b2, ..., WL, bL (each in C order), and
    layer_dims = (n[0], ..., n[L]), for ``train_step``. ``parameters`` is {"W1": (n[1], n[0]), ...}."""
    import numpy as np
    L = 0
    while f"W{L + 1}" in parameters:
        L += 1
    if L == 0:
        raise ValueError("parameters: expected keys W1, b1, ..., WL, bL; found no 'W1'")
    dims = [parameters["W1"].shape[1]] + [parameters[f"W{l}"].shape[0] for l in range(1, L + 1)]
    for l in range(1, L + 1):
        for key, shape in ((f"W{l}", (dims[l], dims[l - 1])), (f"b{l}", (dims[l], 1))):
            if tuple(parameters[key].shape) != shape:
                raise ValueError(f"{key}: expected shape {shape}, got {tuple(parameters[key].shape)}")
    dtype = dtype or np.result_type(*[parameters[f"{p}{l}"] for l in range(1, L + 1) for p in "Wb"])
    theta = np.concatenate([np.asarray(parameters[f"{p}{l}"], dtype=dtype).ravel()
                            for l in range(1, L + 1) for p in "Wb"])
    return theta, tuple(dims)


def parameter_views(theta, layer_dims):
    """{"W1": ..., "b1": ..., ...}: views into ``theta`` (host or device array) with the shapes
    W[l]: (n[l], n[l-1]), b[l]: (n[l], 1). Writing to a view writes into ``theta``."""
    views, p = {}, 0
    for l in range(1, len(layer_dims)):
        n, n_prev = int(layer_dims[l]), int(layer_dims[l - 1])
        views[f"W{l}"] = theta[p:p + n * n_prev].reshape(n, n_prev)
        p += n * n_prev
        views[f"b{l}"] = theta[p:p + n].reshape(n, 1)
        p += n
    if p != theta.shape[0]:
        raise ValueError(f"theta: expected {p} values for layer_dims {tuple(layer_dims)}, got {theta.shape[0]}")
    return views


def info():
    """A dict describing what can run here: backends, versions, CUDA device (or why none),
    numba's threading layer and thread counts. ``nn-ref info`` prints it."""
    import numba
    out = {"numba": numba.__version__}
    try:
        from importlib.metadata import version
        out["numba-cuda"] = version("numba-cuda")
    except Exception as exc:  # pragma: no cover - numba-cuda is a dependency
        out["numba-cuda"] = f"not installed ({exc})"
    out["backends_available"] = available_backends()
    out["default_backend"] = resolve_name("auto")
    ok, why = cuda_available()
    out["cuda"] = why if ok else f"none: {why}"
    out["cuda_simulator"] = os.environ.get("NUMBA_ENABLE_CUDASIM") == "1"
    try:
        layer, threads = _import("cpu").threading_info()
        out["numba_threading_layer"] = layer
        out["numba_threads"] = threads
    except Exception as exc:  # pragma: no cover - reported, not hidden
        out["numba_threading_layer"] = f"unavailable ({exc})"
    out["cpus"] = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return out
