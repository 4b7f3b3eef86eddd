"""nn_ref.kernels: the lecture's network compiled -- acceleration only.

Installed as ``nn_ref.kernels`` (the folder is ``kernels/`` at the top of the repository; the bare name
``kernels`` belongs to another PyPI distribution). It imports nothing from the teaching modules of ``nn_ref``;
the maths it compiles is the NumPy code of ``nn_ref`` (activations, losses, network, batchnorm, optim), which
the parity tests compare it with.

* ``contract.py``  what both sides agree on: names, codes, TINY, the flat parameter layout, ``StepConfig`` (the
  fused step's settings) and ``Backend``, the protocol listing every op with its signature (importing it, or this
  package, never imports numba; its checks are ``nn_ref._checks``' rules);
* ``scalar.py``    g, g', the cost terms: the scalar maths both backends compile;
* ``cpu/``         the ``cpu`` backend: numba ``@njit`` (BLAS for the products);
* ``cuda/``        the ``cuda`` backend: numba.cuda kernels; arrays stay on the GPU.

Backends: ``get_backend("cpu")``, ``get_backend("cuda")``, or ``"auto"`` (cuda on a real GPU -- never the
simulator -- else cpu); ``None`` reads ``NN_REF_BACKEND`` (default ``"auto"``).

"numpy" is a valid *name* but not a kernels backend: with ``backend="numpy"`` the functions of ``nn_ref`` run
their own NumPy bodies (``nn_ref.backend`` maps "numpy" -- and, there, None -- to them before it calls
``get_backend``). So ``resolve_name("numpy")`` answers "numpy" and ``available_backends()`` lists it (for
callers that only need the names, such as a menu), while ``get_backend("numpy")`` is a ValueError saying where
the NumPy code is.
"""

import importlib
import os

from .contract import StepConfig, pack_parameters, parameter_views

__all__ = [
    "BACKENDS",
    "StepConfig",
    "available_backends",
    "cuda_available",
    "get_backend",
    "info",
    "pack_parameters",
    "parameter_views",
    "real_gpu_available",
    "resolve_name",
]

BACKENDS = ("cpu", "cuda")  # the compiled backends: subpackages nn_ref.kernels.cpu, nn_ref.kernels.cuda
NAMES = ("numpy",) + BACKENDS + ("auto",)  # what a caller may ask for by name
_loaded = {}


def _import(name):
    if name not in _loaded:
        _loaded[name] = importlib.import_module(f"{__name__}.{name}")
    return _loaded[name]


def cuda_available():
    """(ok, reason): whether the cuda backend can run -- on a real GPU, or on numba's CUDA simulator when
    ``NUMBA_ENABLE_CUDASIM=1``."""
    if os.environ.get("NUMBA_ENABLE_CUDASIM") == "1":
        return True, "CUDA simulator (NUMBA_ENABLE_CUDASIM=1)"
    try:
        from numba import cuda
    except Exception as exc:  # pragma: no cover - numba is a dependency
        return False, f"numba.cuda cannot be imported: {exc}"
    try:
        if cuda.is_available():
            gpu = cuda.get_current_device().name
            return True, f"GPU: {gpu.decode() if isinstance(gpu, bytes) else gpu}"
        return False, "no CUDA GPU or driver found (numba.cuda.is_available() is False)"
    except Exception as exc:
        return False, f"CUDA check failed: {exc}"


def real_gpu_available():
    """True only for a real GPU (the simulator does not count)."""
    if os.environ.get("NUMBA_ENABLE_CUDASIM") == "1":
        return False
    return cuda_available()[0]


def available_backends():
    """The names that can run here: "numpy" (nn_ref's own bodies), "cpu", and "cuda" on a GPU or the simulator."""
    names = ["numpy", "cpu"]
    if cuda_available()[0]:
        names.append("cuda")
    return names


def resolve_name(name=None):
    """The concrete name for ``name``: None -> $NN_REF_BACKEND -> "auto"; "auto" -> "cuda" on a real GPU, else
    "cpu"; "numpy", "cpu", "cuda" as they are (case-insensitive). Unknown names and an unavailable cuda are
    errors listing what is available."""
    if name is None:
        name = os.environ.get("NN_REF_BACKEND") or "auto"
    if not isinstance(name, str):
        raise TypeError(f"backend: expected a name {NAMES} or a backend module, got {type(name).__name__}")
    name = name.lower()
    if name == "auto":
        return "cuda" if real_gpu_available() else "cpu"
    if name not in NAMES:
        raise ValueError(f"unknown backend {name!r}; expected one of {NAMES} (available here: {available_backends()})")
    if name == "cuda":
        ok, why = cuda_available()
        if not ok:
            raise RuntimeError(
                f"backend 'cuda' is not available: {why}. Set NUMBA_ENABLE_CUDASIM=1 before importing numba to "
                f"use the simulator, or pick one of {available_backends()}"
            )
    return name


def get_backend(name=None):
    """The backend module (``nn_ref.kernels.cpu`` or ``nn_ref.kernels.cuda``) for ``name``: a backend module
    (returned as it is), "cpu", "cuda", "auto", or None for $NN_REF_BACKEND (default "auto")."""
    if name is not None and not isinstance(name, str):
        return name  # already a backend module
    resolved = resolve_name(name)
    if resolved == "numpy":
        raise ValueError(
            "backend 'numpy' is not a kernels backend: with backend='numpy' the functions of nn_ref run their "
            "own NumPy bodies (nn_ref.backend.accelerated maps it to None); kernels backends: "
            f"{BACKENDS} or 'auto'"
        )
    return _import(resolved)


def info():
    """A dict describing what can run here: backends, versions, CUDA device (or why none), numba's threading
    layer and thread counts. ``nn-ref info`` prints it."""
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
