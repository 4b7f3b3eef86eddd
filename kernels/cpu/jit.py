"""How ``kernels/cpu`` compiles: one set of numba options, the shared scalar maths, serial/parallel twins.

* ``kernel``: ``@njit`` with ``cache=True`` (compiled once per dtype, lazily at the first call, and kept on
  disk) and ``error_model="numpy"`` (1/0 is inf, as in NumPy, never a ZeroDivisionError). ``fastmath=True``
  (``FASTMATH``: reassociate and contract, so LLVM vectorises a sum) is for kernels whose own arithmetic is
  pure sums of products only (row sums, the product loops, the steps that inline them; the flags do not
  reach the kernels they call): on any other expression reassociation may distribute a product --
  y log a + (1 - y) log b computed as y log a + log b - y log b turns a finite 0 * inf into NaN -- so it would
  break the NaN/inf parity with NumPy. Never ``nnan``/``ninf``: they delete the NaN tests of kernels/scalar.py.
* ``twins(body)``: one loop body compiled twice, serial and ``parallel=True``. ``body(loop)`` returns the
  kernel with ``loop`` as its outer loop: ``range`` for the serial twin, ``prange`` for the parallel one
  (the twins differ by that closure value, so numba's cache keeps them apart).
* ``g``, ``g_backward``, ``loss_term``, ``loss_grad``, ``maximum``: ``kernels/scalar.py`` compiled for the CPU.
* The disk cache is cleared when any source of the compiled code changed. numba keys a cached kernel by the
  file that defines it only, so after an edit of scalar.py (a new activation), contract.py or this file, the
  kernels of elementwise.py would still load their old machine code. ``_refresh_cache`` keeps a SHA-256 of
  all of them next to the cache and deletes the package's cached kernels when it differs.
"""

import hashlib
import os
from pathlib import Path

from numba import njit, prange
from numba.core.caching import FunctionCache

from .. import scalar

_HERE = Path(__file__).resolve().parent
SOURCES = sorted(_HERE.glob("*.py")) + [_HERE.parent / "scalar.py", _HERE.parent / "contract.py"]


def _probe():  # pragma: no cover - never called: its cache locator names the package's cache folder
    return 0


def _refresh_cache():
    """Delete this package's cached kernels when a source of them changed since they were written."""
    digest = hashlib.sha256(b"".join(p.read_bytes() for p in SOURCES)).hexdigest()
    try:
        folder = Path(FunctionCache(_probe)._cache_path)
    except Exception:  # no usable cache location: numba compiles without one
        return
    stamp = folder / "nn_ref_kernels_cpu.sha256"
    if stamp.is_file() and stamp.read_text() == digest:
        return
    stems = {p.stem + "." for p in _HERE.glob("*.py")}
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for f in folder.iterdir():
            if f.suffix in (".nbi", ".nbc") and any(f.name.startswith(s) for s in stems):
                f.unlink(missing_ok=True)
        tmp = stamp.with_suffix(f".{os.getpid()}")
        tmp.write_text(digest)
        tmp.replace(stamp)
    except OSError:  # a read-only cache: numba then recompiles in memory
        pass


_refresh_cache()


def cache_warm():
    """Whether this package's compiled kernels are on disk (a later process loads them instead of compiling)."""
    try:
        folder = Path(FunctionCache(_probe)._cache_path)
        stems = tuple(p.stem + "." for p in _HERE.glob("*.py"))
        return any(f.suffix == ".nbi" and f.name.startswith(stems) for f in folder.iterdir())
    except OSError:
        return False


FASTMATH = frozenset({"reassoc", "contract", "nsz"})  # sums may be reordered (vectorised); NaN and inf kept
OPTIONS = {"cache": True, "error_model": "numpy"}


def kernel(fn=None, *, fastmath=False, parallel=False, inline="never"):
    """``@njit`` with the package's options (see the module docstring). ``inline="always"``: small helpers
    are inlined into their compiled callers (numba IR), which then compile no separate library for them."""
    jit = njit(fastmath=set(FASTMATH) if fastmath else False, parallel=parallel, inline=inline, **OPTIONS)
    return jit if fn is None else jit(fn)


def twins(body):
    """(serial, parallel): ``body(range)`` and ``body(prange)`` compiled with the package's options."""
    return kernel(body(range)), kernel(body(prange), parallel=True)


_S = scalar.compiled(njit(error_model="numpy", inline="always"))
g = _S.g
g_backward = _S.g_backward
loss_term = _S.loss_term
loss_grad = _S.loss_grad
maximum = _S.maximum
