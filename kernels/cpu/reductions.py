"""Sums over the samples: row sums, the cost and its gradient, batch normalization.

Sums accumulate in float64 (also for float32 arrays). NaN and inf propagate as in the NumPy bodies (the
per-entry terms are ``kernels/scalar.py``'s).
"""

import math

from .jit import kernel, loss_grad, loss_term


@kernel(fastmath=True)
def row_sums(dZ, out):
    """out[i, 0] = sum_j dZ[i, j]."""
    n, m = dZ.shape
    for i in range(n):
        s = 0.0
        for j in range(m):
            s += dZ[i, j]
        out[i, 0] = s


@kernel
def cost(AL, Y, code, tiny):
    """J = (1/m) sum over all entries of the loss ``code``'s term (scalar.loss_term)."""
    n, m = AL.shape
    s = 0.0
    for i in range(n):
        for j in range(m):
            s += loss_term(AL[i, j], Y[i, j], code, tiny)
    return s / m


@kernel
def cost_gradient(AL, Y, out, code, tiny):
    """out = dAL = m dJ/dAL for the loss ``code``, or the collapsed AL - Y for OUTPUT_DELTA."""
    n, m = AL.shape
    for i in range(n):
        for j in range(m):
            out[i, j] = loss_grad(AL[i, j], Y[i, j], code, tiny)


@kernel
def batchnorm_forward(Z, gamma, beta, eps, out, Z_hat, mu, var):
    """mu, var over the m samples; Z_hat = (Z - mu) / sqrt(var + eps); out = gamma Z_hat + beta."""
    n, m = Z.shape
    for i in range(n):
        s = 0.0
        for j in range(m):
            s += Z[i, j]
        mean = s / m
        s = 0.0
        for j in range(m):
            d = Z[i, j] - mean
            s += d * d
        v = s / m
        mu[i, 0] = mean
        var[i, 0] = v
        std = math.sqrt(v + eps)
        for j in range(m):
            zh = (Z[i, j] - mean) / std
            Z_hat[i, j] = zh
            out[i, j] = gamma[i, 0] * zh + beta[i, 0]


@kernel
def batchnorm_backward(dout, Z_hat, gamma, var, eps, dZ, dgamma, dbeta):
    """dbeta = sum dout, dgamma = sum dout Z_hat; dZ = gamma / sqrt(var + eps) (dout - dbeta/m - Z_hat dgamma/m)."""
    n, m = dout.shape
    for i in range(n):
        sb = 0.0
        sg = 0.0
        for j in range(m):
            sb += dout[i, j]
            sg += dout[i, j] * Z_hat[i, j]
        dbeta[i, 0] = sb
        dgamma[i, 0] = sg
        scale = gamma[i, 0] / math.sqrt(var[i, 0] + eps)
        for j in range(m):
            dZ[i, j] = scale * (dout[i, j] - sb / m - Z_hat[i, j] * sg / m)


@kernel
def batchnorm_eval(Z, gamma, beta, running_mean, running_var, eps, out):
    """out = gamma (Z - running_mean) / sqrt(running_var + eps) + beta."""
    n, m = Z.shape
    for i in range(n):
        std = math.sqrt(running_var[i, 0] + eps)
        for j in range(m):
            out[i, j] = gamma[i, 0] * ((Z[i, j] - running_mean[i, 0]) / std) + beta[i, 0]
