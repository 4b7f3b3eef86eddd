"""The thread policy of the cpu backend: numba's pool, BLAS's pool, and when a pass runs in parallel.

* numba's pool is sized to the CPUs this process may use (``os.sched_getaffinity``); BLAS (scipy's OpenBLAS)
  keeps its own pool, which OpenBLAS sizes to the same CPUs.
* An elementwise or row pass runs in parallel (the ``prange`` twin of ``jit.twins``) only for
  ``n * m >= PARALLEL_MIN_WORK`` elements. Measured on the 2-core machine: below ~10^4 elements starting
  numba's pool costs more than the pass; and between BLAS calls a parallel pass is *slower* than a serial one
  up to millions of elements, because OpenBLAS's worker threads keep spinning for a while after each call and
  numba's workers then fight them for the two cores (the MLP 784-256-128-10 step at batch 1024 went from
  ~7 ms to ~300 ms with both pools active). So the per-layer functions go parallel only from 2^22 elements.
* BLAS is never called inside a ``prange`` region, and the fused ``train_step`` runs no ``prange`` region at
  all (its only parallel regions are BLAS's), so the two pools never compete within a step. The parallel twins
  are launched from the Python wrappers only, never from compiled code: ``train_step`` does not pay for
  compiling them (parallel kernels compile slowly).
"""

import os

import numba
import numpy as np

PARALLEL_MIN_WORK = 1 << 22  # elements n * m from which a pass runs on numba's pool


def cpus():
    """The number of CPUs this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


numba.set_num_threads(max(1, min(numba.config.NUMBA_NUM_THREADS, cpus())))


def pick(twins, size):
    """The serial or the parallel kernel of ``twins`` (see ``jit.twins``) for a pass over ``size`` elements."""
    return twins[1] if size >= PARALLEL_MIN_WORK else twins[0]


def threading_info():
    """(threading layer, numba thread count). The layer is known only after a parallel kernel ran, so a
    tiny one is run first."""
    from .elementwise import FILL

    FILL[1](np.zeros(2), 0.0)
    return numba.threading_layer(), numba.get_num_threads()
