"""The scalar maths of ``kernels/scalar.py`` (g, dZ = dA g'(Z), the cost terms and gradients, NumPy's
NaN-propagating maximum) and sqrt as inlined CUDA device functions: one home for the activations and losses,
shared with the cpu backend (``scalar.compiled`` links their calls to each other)."""

import math

import numpy as np
from numba import cuda

from .. import scalar
from .launch import SIM

_DEVICE = scalar.compiled(lambda fn: cuda.jit(device=True, inline=True)(fn))
g = _DEVICE.g  # A = g(z)
g_backward = _DEVICE.g_backward  # dZ = dA g'(Z), with the masks of relu / leaky relu
loss_term = _DEVICE.loss_term  # one entry of the summed cost
loss_grad = _DEVICE.loss_grad  # one entry of dAL (or of AL - Y for OUTPUT_DELTA)
maximum = _DEVICE.maximum  # np.maximum: NaN when either is NaN

if SIM:
    # The simulator runs kernels as Python: math.sqrt raises for x < 0 where a GPU's sqrt gives NaN, as
    # np.sqrt does (the NumPy bodies' batch norm and Adam with a negative or -inf variance).
    sqrt = np.sqrt
else:

    @cuda.jit(device=True, inline=True)
    def sqrt(x):
        """sqrt(x); NaN for x < 0 (CUDA's sqrt, as np.sqrt)."""
        return math.sqrt(x)
