"""Where a training step's time goes (``nn-ref profile``): the lecture's step, op by op, against the roofline
of the machine it runs on -- the HPML lens on ``nn_ref.network``.

One SGD step (forward, cost, backward, update; ``bench``'s five-call loop, dA[0] not computed) is split into
the lecture's operations, each timed on the arrays of a real step. Per layer l, with n = n[l],
p = n[l-1], m samples:

    op                                  FLOPs (the model)          kind
    check X and Y (finite, labels)      0                          check         (the data checks of the step)
    Z[l] = W[l] A[l-1] + b[l]           2 n p m + n m              gemm
    A[l] = g(Z[l])                      G_FLOPS[g] n m             elementwise
    J = cost(AL, Y)                     3 n m                      reduction
    dZ[L] = AL - Y                      n m                        elementwise   (where the chain rule collapses)
    dA[L] = m dJ/dAL                    2 n m                      elementwise   (where it does not)
    dZ[l] = dA[l] * g'(Z[l])            2 n m                      elementwise
    dW[l] = (1/m) dZ[l] A[l-1]^T        2 n p m + n p              gemm
    db[l] = (1/m) sum_i dZ[l]           n m + n                    reduction
    dA[l-1] = W[l]^T dZ[l]              2 n p m                    gemm          (l > 1)
    W[l], b[l] -= lr dW[l], lr db[l]    2 (n p + n)                update

Bytes moved: every array the op reads and every array it writes, counted once each (``Op.nbytes``: no cache
reuse, no re-reads) -- the least traffic the op can have. Arithmetic intensity = FLOPs / bytes.

Time: per round, the whole step is timed (``bench._time_round``: the mean over a batch of calls lasting
``budget_s``), then its ops are replayed in the step's order for as long, each op timed on its own inside that
loop (so it finds the caches as the step leaves them); rounds interleave the paths, so a drift in the
machine's speed hits all alike. Each line gives the median over the rounds, its noise the min and max.
The glue -- the step's Python between its ops (loops, dicts, caches; checks inside an op's call count with
the op) -- is timed with empty work: the same step and ops on a net of the same depth with every n[l] = 1
and m = 1; glue = that step minus the sum of those ops (it can be negative: the ops called one by one each
pay a dispatch that the fused step pays once). ``accounted_over_step`` is the median over the rounds of
(ops + glue) / step: how much of the measured step the profile explains.

The fused path (the kernels' ``train_step``, one compiled call) runs beside the per-layer one: on cpu op by op
through the very kernels ``sgd_step`` calls -- where ``descend`` folds the update into the dW product
(W <- W - (lr/m) dZ A^T, one BLAS call with beta = 1: dW is never written, and the separate pass over W,
dW and W again is gone). On cuda every op is followed by a synchronize (the step has one); its ops then
include a launch and a wait each and do not add up to the step.

The roofline (``measure_roofline``): a GEMM peak (a large square matrix product in the step's dtype: NumPy's
BLAS on the host, the cuda backend's own GEMM on a GPU) and a memory bandwidth (a copy of arrays much larger
than any cache), measured here, now, with the numbers they come from.
"""

import datetime
import importlib.metadata
import io
import os
import platform
import statistics
import sys
import time
from dataclasses import dataclass, field

import numpy as np

from nn_ref import activations, bench, losses, network
from nn_ref._checks import check_data, check_labels
from nn_ref.backend import accelerated, chosen, to_backend
from nn_ref.kernels.contract import ACTIVATION_CODES, DEFAULT_LOSS, LOSS_CODES, OUTPUT_DELTA, collapses, tiny

# FLOPs per entry (an exp, log, max or division counts as one): of g(Z), and of the other elementwise ops
G_FLOPS = {"linear": 0, "relu": 1, "leaky_relu": 1, "tanh": 1, "sigmoid": 3, "softmax": 5}
PER_ENTRY = {"cost": 3, "AL - Y": 1, "dJ/dAL": 2, "dA g'(Z)": 2}


@dataclass
class Op:
    """One operation of the step: its layer, its equation, its kind, its FLOPs, the arrays it reads and
    writes, and ``run`` (a call that performs it once on the backend)."""

    layer: int
    name: str
    kind: str
    flops: int
    arrays: tuple = field(repr=False)
    run: object = field(repr=False)

    @property
    def nbytes(self):
        """Bytes moved: each array read or written counted once."""
        return int(sum(a.size * a.dtype.itemsize for a in self.arrays))


def make_case(layer_dims, m, hidden="relu", output="softmax", loss=None, lr=0.1):
    """The network and data of a profile, in ``bench.CASES``' form (``bench._data`` draws X, Y and W)."""
    return dict(
        dims=tuple(layer_dims), m=int(m), hidden=hidden, output=output, loss=loss or DEFAULT_LOSS[output], lr=lr
    )


# ----------------------------------------------------------------------------- the ops of one step
def _linear_backward_parts(B):
    """dW = (1/m) dZ A_prev^T, db = (1/m) sum_i dZ, dA_prev = W^T dZ -- ``network.linear_backward``'s three
    results as three calls, each through the kernel the backend's ``linear_backward`` runs for it."""
    K = accelerated(B)
    if K is None:  # the NumPy body, one line at a time
        return (
            lambda dZ, A_prev: (dZ @ A_prev.T) / A_prev.shape[1],
            lambda dZ: dZ.sum(axis=1, keepdims=True) / dZ.shape[1],
            lambda W, dZ: W.T @ dZ,
        )
    if K.name == "cpu":
        from nn_ref.kernels.cpu import linear

        def dW_cpu(dZ, A_prev):
            dW = np.empty((dZ.shape[0], A_prev.shape[0]), dZ.dtype)
            linear.weight_gradient(dZ, A_prev, dW, 1.0 / dZ.shape[1], 0.0)
            return dW

        def db_cpu(dZ):
            db = np.empty((dZ.shape[0], 1), dZ.dtype)
            linear.scaled_row_sums(dZ, db, 1.0 / dZ.shape[1], 0.0)
            return db

        def dA_cpu(W, dZ):
            dA_prev = np.empty((W.shape[1], dZ.shape[1]), dZ.dtype)
            linear.product_tn(W, dZ, dA_prev)
            return dA_prev

        return dW_cpu, db_cpu, dA_cpu
    from numba import cuda

    from nn_ref.kernels.cuda.gemm import gemm_into
    from nn_ref.kernels.cuda.reductions import row_sum

    def dW_cuda(dZ, A_prev):
        dW = cuda.device_array((dZ.shape[0], A_prev.shape[0]), dZ.dtype)
        gemm_into(dW, dZ, A_prev, trans_b=True, scale=1.0 / dZ.shape[1])
        return dW

    def db_cuda(dZ):
        db = cuda.device_array((dZ.shape[0], 1), dZ.dtype)
        row_sum(dZ, db, 1.0 / dZ.shape[1])
        return db

    def dA_cuda(W, dZ):
        dA_prev = cuda.device_array((W.shape[1], dZ.shape[1]), dZ.dtype)
        gemm_into(dA_prev, W, dZ, trans_a=True)
        return dA_prev

    return dW_cuda, db_cuda, dA_cuda


def _copy(K, x):
    """A copy of array x on its backend (the update ops work on copies: the step's arrays stay as they are)."""
    return x.copy() if K is None else K.to_device(K.to_host(x))


def _step_arrays(case, backend, dtype):
    """X, Y, the parameters and one step's caches and grads (the arrays every op runs on)."""
    B = chosen(backend)
    K = accelerated(B)
    X, Y, params = bench._data(case, dtype=dtype)
    params = to_backend(params, B)
    if K is not None:
        X, Y = K.to_device(X), K.to_device(Y)
    AL, caches = network.forward(X, params, case["hidden"], case["output"], backend=B)
    grads = network.backward(AL, Y, caches, case["loss"], backend=B, need_dA0=False)
    return X, Y, AL, caches, grads


def layer_ops(case, backend="numpy", dtype=np.float32):
    """The per-layer path's ops, in the order the step runs them (see the module's table)."""
    B = chosen(backend)
    K = accelerated(B)
    X, Y, AL, caches, grads = _step_arrays(case, backend, dtype)
    loss, lr, m, L = case["loss"], case["lr"], case["m"], len(caches)
    dW_of, db_of, dA_of = _linear_backward_parts(B)

    def checks():  # what forward, compute_cost and backward check of the data (one pass over X, two over Y)
        check_data("X", X, X.shape[0])
        for _ in range(2):
            check_data("Y", Y)
            check_labels("Y", Y, loss)

    ops = [Op(0, "check X and Y (finite, labels)", "check", 0, (X, Y, Y), checks)]
    for l, ((A_prev, W, b), Z, A, g, alpha) in enumerate(caches, 1):
        n, p = W.shape
        ops.append(
            Op(l, f"Z{l} = W{l} A{l - 1} + b{l}", "gemm", 2 * n * p * m + n * m, (W, A_prev, b, Z),
               lambda A_prev=A_prev, W=W, b=b: network.linear_forward(A_prev, W, b, B))
        )  # fmt: skip
        ops.append(
            Op(l, f"A{l} = {g}(Z{l})", "elementwise", G_FLOPS[g] * n * m, (Z, A),
               lambda Z=Z, g=g, alpha=alpha: activations.activation_forward(Z, g, alpha, B))
        )  # fmt: skip
    nL = AL.shape[0]
    ops.append(
        Op(L, "J = cost(AL, Y)", "reduction", PER_ENTRY["cost"] * nL * m, (AL, Y), lambda: losses.cost(AL, Y, loss, B))
    )
    for l in range(L, 0, -1):
        (A_prev, W, b), Z, A, g, alpha = caches[l - 1]
        n, p = W.shape
        dZ, dW, db = grads[f"dZ{l}"], grads[f"dW{l}"], grads[f"db{l}"]
        if l == L and collapses(g, loss):
            ops.append(Op(l, f"dZ{l} = A{l} - Y", "elementwise", PER_ENTRY["AL - Y"] * n * m, (AL, Y, dZ),
                          lambda: losses.output_delta(AL, Y, B)))  # fmt: skip
        else:
            dA = grads[f"dA{l}"]
            if l == L:
                ops.append(Op(l, f"dA{l} = m dJ/dA{l}", "elementwise", PER_ENTRY["dJ/dAL"] * n * m, (AL, Y, dA),
                              lambda: losses.cost_gradient(AL, Y, loss, B)))  # fmt: skip
            cache = network._g_cache(Z, A, g, alpha)
            ops.append(
                Op(l, f"dZ{l} = dA{l} * {g}'(Z{l})", "elementwise", PER_ENTRY["dA g'(Z)"] * n * m, (dA, Z, dZ),
                   lambda dA=dA, cache=cache, g=g: activations.activation_backward(dA, cache, g, B))
            )  # fmt: skip
        ops.append(Op(l, f"dW{l} = (1/m) dZ{l} A{l - 1}ᵀ", "gemm", 2 * n * p * m + n * p, (dZ, A_prev, dW),
                      lambda dZ=dZ, A_prev=A_prev: dW_of(dZ, A_prev)))  # fmt: skip
        ops.append(Op(l, f"db{l} = (1/m) Σ dZ{l}", "reduction", n * m + n, (dZ, db), lambda dZ=dZ: db_of(dZ)))
        if l > 1:
            dA_prev = grads[f"dA{l - 1}"]
            ops.append(Op(l, f"dA{l - 1} = W{l}ᵀ dZ{l}", "gemm", 2 * n * p * m, (W, dZ, dA_prev),
                          lambda W=W, dZ=dZ: dA_of(W, dZ)))  # fmt: skip
    for l in range(1, L + 1):
        (_, W, b), *_ = caches[l - 1]
        n, p = W.shape
        # one layer's update: its arrays as the layer-1 entries of a one-layer dict (a dict of W{l} alone has gaps)
        params = {"W1": _copy(K, W), "b1": _copy(K, b)}
        layer_grads = {"dW1": grads[f"dW{l}"], "db1": grads[f"db{l}"]}
        ops.append(
            Op(l, f"W{l}, b{l} -= lr dW{l}, lr db{l}", "update", 2 * (n * p + n),
               (W, grads[f"dW{l}"], W, b, grads[f"db{l}"], b),
               lambda params=params, layer_grads=layer_grads: network.update_parameters(params, layer_grads, lr, B))
        )  # fmt: skip
    return _synchronized(ops, K)


def fused_ops(case, dtype=np.float32):
    """The fused cpu ``train_step`` (``kernels/cpu/step.py``'s ``sgd_step``) op by op: the kernels it runs, each
    called alone, on the same memory the step uses (Z[l], A[l] per layer, one dZ and one dA buffer, the
    parameters themselves). Forward: one kernel per layer (Z and g fused); backward: dA[l-1] = W^T dZ with W
    before its update, then ``descend``: the update folded into the dW product. The replayed updates go back
    and forth (lr, then -lr: the same work, the parameters kept where they are)."""
    from nn_ref.kernels.cpu import elementwise, linear, reductions

    X, Y, AL, caches, grads = _step_arrays(case, "cpu", dtype)
    loss, lr, m, L = case["loss"], case["lr"], case["m"], len(caches)
    alpha = caches[0][4]
    nmax = max(W.shape[0] for (_, W, _), *_ in caches)
    dZbuf, dAbuf = np.empty(nmax * m, dtype), np.empty(nmax * m, dtype)
    dZ_of = lambda l: dZbuf[: caches[l - 1][1].size].reshape(caches[l - 1][1].shape)  # noqa: E731
    dA_of = lambda l: dAbuf[: caches[l - 1][1].size].reshape(caches[l - 1][1].shape)  # noqa: E731
    ops = []
    for l, ((A_prev, W, b), Z, A, g, _) in enumerate(caches, 1):
        n, p = W.shape
        ops.append(
            Op(l, f"Z{l}, A{l} = W{l} A{l - 1} + b{l}, {g}(Z{l}) (one kernel)", "gemm",
               2 * n * p * m + n * m + G_FLOPS[g] * n * m, (W, A_prev, b, Z, A),
               lambda A_prev=A_prev, W=W, b=b, Z=Z, A=A, code=ACTIVATION_CODES[g]:
               linear.linear_forward(A_prev, W, b, Z, A, code, alpha))
        )  # fmt: skip
    t, lcode, nL = tiny(dtype), LOSS_CODES[loss], AL.shape[0]
    ops.append(
        Op(
            L,
            "J = cost(AL, Y)",
            "reduction",
            PER_ENTRY["cost"] * nL * m,
            (AL, Y),
            lambda: reductions.cost(AL, Y, lcode, t),
        )
    )
    (_, ZL, _, g_out, _), dZL, dAL = caches[-1], dZ_of(L), dA_of(L)
    if collapses(g_out, loss):
        ops.append(Op(L, f"dZ{L} = A{L} - Y", "elementwise", PER_ENTRY["AL - Y"] * nL * m, (AL, Y, dZL),
                      lambda: reductions.cost_gradient(AL, Y, dZL, OUTPUT_DELTA, t)))  # fmt: skip
    else:  # dA[L], then dZ[L] = dA[L] g'(Z[L]) (softmax: its own backward)
        ops.append(Op(L, f"dA{L} = m dJ/dA{L}", "elementwise", PER_ENTRY["dJ/dAL"] * nL * m, (AL, Y, dAL),
                      lambda: reductions.cost_gradient(AL, Y, dAL, lcode, t)))  # fmt: skip
        if g_out == "softmax":
            run = lambda: elementwise.softmax_backward(dAL, AL, dZL)  # noqa: E731
        else:
            run = lambda: elementwise.activation_backward(dAL, ZL, dZL, ACTIVATION_CODES[g_out], alpha)  # noqa: E731
        ops.append(
            Op(L, f"dZ{L} = dA{L} * {g_out}'(Z{L})", "elementwise", PER_ENTRY["dA g'(Z)"] * nL * m, (dAL, ZL, dZL), run)
        )
    sign = {l: [lr] for l in range(1, L + 1)}

    def descend(dZ, A_prev, W, b, l):
        sign[l][0] = -sign[l][0]
        linear.descend(dZ, A_prev, W, b, -sign[l][0])

    for l in range(L, 0, -1):
        (A_prev, W, b), *_ = caches[l - 1]
        n, p = W.shape
        dZ = dZ_of(l)
        if l > 1:
            dA_prev = dA_of(l - 1)
            ops.append(Op(l, f"dA{l - 1} = W{l}ᵀ dZ{l}", "gemm", 2 * n * p * m, (W, dZ, dA_prev),
                          lambda W=W, dZ=dZ, dA_prev=dA_prev: linear.product_tn(W, dZ, dA_prev)))  # fmt: skip
        ops.append(
            Op(l, f"W{l}, b{l} -= (lr/m) dZ{l} A{l - 1}ᵀ, (lr/m) Σ dZ{l} (folded)", "gemm",
               2 * n * p * m + 2 * n * p + n * m + 2 * n, (dZ, A_prev, W, W, b, b),
               lambda dZ=dZ, A_prev=A_prev, W=W, b=b, l=l: descend(dZ, A_prev, W, b, l))
        )  # fmt: skip
        if l > 1:
            _, Z_prev, _, g, _ = caches[l - 2]
            dA_prev, dZ_prev = dA_of(l - 1), dZ_of(l - 1)
            ops.append(
                Op(l - 1, f"dZ{l - 1} = dA{l - 1} * {g}'(Z{l - 1})", "elementwise",
                   PER_ENTRY["dA g'(Z)"] * dZ_prev.size, (dA_prev, Z_prev, dZ_prev),
                   lambda dA_prev=dA_prev, Z_prev=Z_prev, dZ_prev=dZ_prev, code=ACTIVATION_CODES[g]:
                   elementwise.activation_backward(dA_prev, Z_prev, dZ_prev, code, alpha))
            )  # fmt: skip
    return ops


def _synchronized(ops, K):
    """On cuda, each op's call waits for its kernels (else it would time a launch)."""
    if K is None or K.name != "cuda":
        return ops
    for op in ops:
        op.run = lambda run=op.run: (run(), K.synchronize())
    return ops


# ----------------------------------------------------------------------------- the roofline
CLOCKS = {"wall": time.perf_counter, "cpu": time.process_time}


def _median_time(fn, reps, clock):
    fn()  # warm: page faults, BLAS threads, compilation
    times = []
    for _ in range(reps):
        t0 = clock()
        fn()
        times.append(clock() - t0)
    return statistics.median(times), min(times), max(times)


def measure_roofline(backend="numpy", dtype=np.float32, gemm_size=2048, stream_mib=64, reps=5, clock="wall"):
    """The two ceilings, measured: {"gemm": peak FLOP/s of an n x n x n product, "bandwidth": bytes/s of a copy
    of ``stream_mib`` MiB, "ridge": the intensity where they meet}, each with the numbers it comes from.
    Host (numpy, cpu): NumPy's matmul (its BLAS) and ``np.copyto``; cuda: the backend's GEMM and a
    device-to-device copy. ``clock``: "wall" or "cpu" (as in ``profile``; the cpu clock is for host backends)."""
    dtype = np.dtype(dtype)
    n = int(gemm_size)
    rng = np.random.default_rng(0)
    A, B = (rng.standard_normal((n, n)).astype(dtype) for _ in range(2))
    src = np.ones(int(stream_mib) * 2**20 // dtype.itemsize, dtype)
    K = accelerated(backend)
    if K is not None and K.name == "cuda":
        from numba import cuda

        from nn_ref.kernels.cuda.gemm import gemm_into

        dA, dB, dC = cuda.to_device(A), cuda.to_device(B), cuda.device_array((n, n), dtype)
        dsrc, ddst = cuda.to_device(src), cuda.device_array_like(src)
        gemm = lambda: (gemm_into(dC, dA, dB), cuda.synchronize())  # noqa: E731
        copy = lambda: (ddst.copy_to_device(dsrc), cuda.synchronize())  # noqa: E731
        how = ("the cuda backend's GEMM (gemm_into)", "device-to-device copy")
    else:
        C, dst = np.empty((n, n), dtype), np.empty_like(src)
        gemm = lambda: np.matmul(A, B, out=C)  # noqa: E731
        copy = lambda: np.copyto(dst, src)  # noqa: E731
        how = ("NumPy matmul (its BLAS)", "np.copyto (one thread)")
    t_gemm, lo_g, hi_g = _median_time(gemm, reps, CLOCKS[clock])
    t_copy, lo_c, hi_c = _median_time(copy, reps, CLOCKS[clock])
    flops, moved = 2.0 * n**3, 2.0 * src.nbytes
    roof = {
        "gemm": {"flops_per_s": flops / t_gemm, "how": f"{how[0]}, {n}x{n}x{n} {dtype.name}", "flops": flops,
                 "median_s": t_gemm, "min_s": lo_g, "max_s": hi_g, "reps": reps},
        "bandwidth": {"bytes_per_s": moved / t_copy, "how": f"{how[1]} of {src.nbytes / 2**20:.0f} MiB",
                      "bytes": moved, "median_s": t_copy, "min_s": lo_c, "max_s": hi_c, "reps": reps},
    }  # fmt: skip
    roof["ridge"] = roof["gemm"]["flops_per_s"] / roof["bandwidth"]["bytes_per_s"]
    roof["clock"] = clock
    return roof


# ----------------------------------------------------------------------------- the profile
def machine():
    """The machine, the date and the load the numbers belong to."""
    info = {
        "processor": bench._cpu_name(),
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "numba": importlib.metadata.version("numba"),
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "load": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
    }
    return info


def _time_ops(ops, budget_s, clock):
    """µs per call of each op, timed one by one while the step's sequence of ops replays (for about
    ``budget_s``): each op finds the caches as the step leaves them, and the ops' sum is one loop's time."""
    totals, n, start = [0.0] * len(ops), 0, clock()
    while n == 0 or clock() - start < budget_s:
        for i, op in enumerate(ops):
            t0 = clock()
            op.run()
            totals[i] += clock() - t0
        n += 1
    return [t / n * 1e6 for t in totals]


def _measure(runs, rounds, budget_s, clock):
    """{key: [µs per call in round 1, 2, ...]} for each whole step (key (work, path, "step")) and each op
    (key (work, path, i)): per round the step, then its ops replayed, every path and work in turn (rounds
    interleaved: a drift in the machine's speed hits all alike). Empty work gets a quarter of the budget."""
    for step, ops in runs.values():  # warm up: compile, allocate, fill the caches
        step()
        _time_ops(ops, 0.0, clock)
    samples = {}
    for _ in range(rounds):
        for (work, path), (step, ops) in runs.items():
            budget = budget_s / (4 if work == "empty" else 1)
            samples.setdefault((work, path, "step"), []).append(bench._time_round(step, budget, clock=clock))
            for i, us in enumerate(_time_ops(ops, budget, clock)):
                samples.setdefault((work, path, i), []).append(us)
    return samples


def _row(samples, flops=None, nbytes=None):
    med = statistics.median(samples)
    row = {"median_us": med, "min_us": min(samples), "max_us": max(samples)}
    if flops is not None:
        row.update(flops=flops, bytes=nbytes, intensity=flops / nbytes if nbytes else 0.0)
        row.update(gflops=flops / med / 1e3, gbs=nbytes / med / 1e3)
    return row


def _paths(case, name, dtype, fused):
    """{path: (the whole step, its ops)} for the backend ``name``."""
    paths = {"layers": (bench._layers_runner(name, case, dtype), layer_ops(case, name, dtype))}
    if fused and name != "numpy":
        paths["fused"] = (bench._fused_runner(name, case, dtype), fused_ops(case, dtype) if name == "cpu" else [])
    return paths


def profile(case, backend="numpy", dtype=np.float32, rounds=5, budget_s=0.02, roofline=None, fused=True, clock="wall"):
    """Profile one step of ``case`` (``make_case``) on ``backend``; returns the result dict (also what
    ``--json`` saves): machine, roofline, and per path ("layers", and "fused" where the backend has it)
    the step's time, each op's row, the glue, and how much of the step they account for. ``roofline``: a
    ``measure_roofline`` result to reuse (measured here when None). ``clock``: "wall" (time.perf_counter) or
    "cpu" (time.process_time, this process's CPU time: the time other processes take on a busy machine does not
    count, their contention for caches still does; every thread's time, so use one BLAS thread).

    The glue (the step's Python between its ops) is timed on empty work: the same step and ops on a net of
    the same depth with every n[l] = 1 and m = 1, glue = that step minus the sum of those ops."""
    B = chosen(backend)
    name = "numpy" if isinstance(B, str) else B.name
    dtype = np.dtype(dtype)
    start = machine()
    roofline = roofline or measure_roofline(name, dtype, clock=clock)
    n_L = 2 if case["output"] == "softmax" else 1  # softmax needs two classes
    empty = dict(case, dims=(1,) * (len(case["dims"]) - 1) + (n_L,), m=1)
    paths, empties = _paths(case, name, dtype, fused), _paths(empty, name, dtype, fused)
    runs = {(work, path): run for work, table in (("real", paths), ("empty", empties)) for path, run in table.items()}
    samples = _measure(runs, rounds, budget_s, CLOCKS[clock])
    result = {
        "config": dict(case, dims=list(case["dims"]), backend=name, dtype=dtype.name, rounds=rounds,
                       budget_s=budget_s, clock=clock),
        "machine": start,
        "load_end": machine()["load"],
        "roofline": roofline,
        "paths": {},
    }  # fmt: skip
    for path, (_, ops) in paths.items():
        step = samples[("real", path, "step")]
        rows = [dict(layer=op.layer, op=op.name, kind=op.kind, **_row(samples[("real", path, i)], op.flops, op.nbytes))
                for i, op in enumerate(ops)]  # fmt: skip
        entry = {"step": _row(step), "ops": rows}
        if ops:  # per round: the ops' sum, the glue, and (both) / step
            ops_sum = [sum(samples[("real", path, i)][r] for i in range(len(ops))) for r in range(rounds)]
            empty_ops = [sum(samples[("empty", path, i)][r] for i in range(len(ops))) for r in range(rounds)]
            glue = [samples[("empty", path, "step")][r] - empty_ops[r] for r in range(rounds)]
            entry["sum_us"] = sum(r["median_us"] for r in rows)
            entry["glue"] = _row(glue)
            entry["glue"]["empty_step_us"] = statistics.median(samples[("empty", path, "step")])
            entry["glue"]["empty_ops_us"] = statistics.median(empty_ops)
            entry["accounted_us"] = entry["sum_us"] + entry["glue"]["median_us"]
            entry["unaccounted_us"] = entry["step"]["median_us"] - entry["accounted_us"]
            entry["accounted_over_step"] = statistics.median((ops_sum[r] + glue[r]) / step[r] for r in range(rounds))
        result["paths"][path] = entry
    return result


# ----------------------------------------------------------------------------- the report
def format_profile(result):
    """The profile as text: the roofline with its numbers, one table per path, the sums."""
    c, mach, roof = result["config"], result["machine"], result["roofline"]
    g, bw = roof["gemm"], roof["bandwidth"]
    load = "/".join(f"{x:.2f}" for x in mach["load"]) if mach["load"] else "?"
    lines = [
        f"nn-ref profile: {'-'.join(map(str, c['dims']))}, m={c['m']}, {c['hidden']}/{c['output']}, {c['loss']}, "
        f"{c['dtype']}, backend {c['backend']}",
        f"machine: {mach['processor']}, {mach['cpus']} CPUs; {mach['date']}; load (1/5/15 min) {load}",
        f"roofline: GEMM peak {g['flops_per_s'] / 1e9:.1f} GFLOP/s ({g['how']}: {g['flops'] / 1e9:.2f} GFLOP in "
        f"{g['median_s'] * 1e3:.2f} ms, median of {g['reps']}); bandwidth {bw['bytes_per_s'] / 1e9:.1f} GB/s "
        f"({bw['how']}: {bw['bytes'] / 1e6:.0f} MB moved in {bw['median_s'] * 1e3:.2f} ms); "
        f"ridge {roof['ridge']:.1f} FLOP/byte",
        f"times: µs per call ({c['clock']} clock), median [min, max] of {c['rounds']} interleaved rounds",
    ]
    w = 44
    head = f"  {'l':>2}  {'op':<{w}}{'median':>10}{'min':>10}{'max':>10}{'MFLOP':>9}{'MB':>8}{'GFLOP/s':>9}{'GB/s':>7}"
    head += f"{'FLOP/B':>8}{'% step':>8}"
    pad = " " * 41

    def total(label, us, step, lo=None, hi=None):
        spread = f"{lo:>10.1f}{hi:>10.1f}" if lo is not None else " " * 20
        return f"      {label:<{w}}{us:>10.1f}{spread}{pad}{100 * us / step:>8.1f}"

    for path, entry in result["paths"].items():
        title = "per-layer path (nn_ref.network, five calls)" if path == "layers" else "fused path (train_step)"
        lines += ["", f"{title}:", head]
        s = entry["step"]
        step = s["median_us"]
        for r in entry["ops"]:
            lines.append(
                f"  {r['layer']:>2}  {r['op']:<{w}}{r['median_us']:>10.1f}{r['min_us']:>10.1f}{r['max_us']:>10.1f}"
                f"{r['flops'] / 1e6:>9.3f}{r['bytes'] / 1e6:>8.3f}{r['gflops']:>9.2f}{r['gbs']:>7.2f}"
                f"{r['intensity']:>8.2f}{100 * r['median_us'] / step:>8.1f}"
            )
        if "glue" in entry:
            gl = entry["glue"]
            lines.append(total("sum of the ops", entry["sum_us"], step))
            lines.append(total("glue: Python between the ops (empty work)", gl["median_us"], step, gl["min_us"],
                               gl["max_us"]))  # fmt: skip
            lines.append(total("accounted (ops + glue)", entry["accounted_us"], step))
        lines.append(total("step (measured)", step, step, s["min_us"], s["max_us"]))
        if "glue" in entry:
            lines.append(total("unaccounted (step - accounted)", entry["unaccounted_us"], step))
    if len(result["paths"]) == 2:
        ratio = result["paths"]["layers"]["step"]["median_us"] / result["paths"]["fused"]["step"]["median_us"]
        lines += ["", f"per-layer step / fused step: {ratio:.2f}x"]
    return "\n".join(lines)


def plot_roofline(result, path=None):
    """Every op of the profile against the two measured ceilings (log-log), in the figures' slide style;
    labelled with the machine, the date and the load (it is machine-dependent: never in plots/MANIFEST).
    Returns the matplotlib Figure; with ``path``, also saves it (a temp file, then renamed)."""
    import matplotlib
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D

    from nn_ref.figures import style

    colours = {"gemm": style.BLUE, "elementwise": style.ORANGE, "reduction": style.GREEN, "update": style.PURPLE}
    roof, mach, c = result["roofline"], result["machine"], result["config"]
    peak, bw = roof["gemm"]["flops_per_s"] / 1e9, roof["bandwidth"]["bytes_per_s"] / 1e9
    rows = [(p, r) for p, e in result["paths"].items() for r in e["ops"]]
    ai = [r["intensity"] for _, r in rows if r["intensity"] > 0]
    lo, hi = min(ai + [roof["ridge"]]) / 3, max(ai + [roof["ridge"]]) * 3
    with matplotlib.rc_context(style.RC):
        fig = Figure(figsize=(style.SINGLE_W, style.SINGLE_H), layout="constrained")
        ax = fig.add_subplot()
        x = np.geomspace(lo, hi, 200)
        ax.loglog(x, np.minimum(peak, x * bw), color=style.BLACK, lw=2.4)
        style.label_line(ax, x, np.minimum(peak, x * bw), f"GEMM peak {peak:.0f} GFLOP/s", style.BLACK,
                         x_at=hi, dx=-4, dy=6, ha="right", va="bottom")  # fmt: skip
        style.label_line(ax, x, x * bw, f"{bw:.1f} GB/s", style.BLACK, x_at=roof["ridge"] / 8, dx=-6, dy=6,
                         ha="right", va="bottom")  # fmt: skip
        for kind, colour in colours.items():
            for marker, which in (("o", "layers"), ("s", "fused")):
                pts = [(r["intensity"], r["gflops"]) for p, r in rows if p == which and r["kind"] == kind]
                pts = [(x_, y_) for x_, y_ in pts if y_ > 0]
                if pts:
                    ax.scatter(*zip(*pts), s=70, color=colour, marker=marker, zorder=3,
                               edgecolor="white" if which == "layers" else style.BLACK)  # fmt: skip
        handles = [Line2D([], [], ls="", marker="o", ms=9, color=c, label=k) for k, c in colours.items()]
        handles += [Line2D([], [], ls="", marker=mk, ms=9, color=style.GREY, mec=style.BLACK, label=lab)
                    for mk, lab in (("o", "per-layer"), ("s", "fused"))][: len(result["paths"])]  # fmt: skip
        ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0))
        ax.set_ylim(top=peak * 5)
        ax.set_xlabel("arithmetic intensity (FLOP / byte)")
        ax.set_ylabel("achieved GFLOP/s")
        load = f"{mach['load'][0]:.1f}" if mach["load"] else "?"
        ax.set_title(
            f"{c['backend']}, {'-'.join(map(str, c['dims']))}, m={c['m']}, {c['dtype']}: each op of one step\n"
            f"{mach['processor']}, {mach['cpus']} CPUs, {mach['date']}, load {load}",
            fontsize=style.MIN_PT,
        )
    if path:
        buf = io.BytesIO()
        fig.savefig(buf, format=str(path).rsplit(".", 1)[-1] if "." in str(path) else "png", dpi=150)
        tmp = f"{path}.tmp{os.getpid()}"
        with open(tmp, "wb") as f:
            f.write(buf.getvalue())
        os.replace(tmp, path)
    return fig


PLOT_FORMATS = (".png", ".svg", ".pdf")  # the roofline plot's formats, chosen by the extension


def main(args):
    """``nn-ref profile`` (arguments: ``cli._add_profile``): measure the roofline, profile, print; save the JSON
    and the plot when asked."""
    import json

    from nn_ref.modelfile import check_writable

    for path, example in ((args.json, "profile.json"), (args.plot, "roofline.png")):
        if path:
            check_writable(path, example)
    if args.plot and os.path.splitext(args.plot)[1].lower() not in PLOT_FORMATS:
        raise ValueError(f"--plot {args.plot}: expected a file name ending in {', '.join(PLOT_FORMATS)}")
    case = make_case(args.layers, args.batch, args.hidden, args.output, lr=args.lr)
    print(
        f"nn-ref profile: measuring the roofline, then {args.rounds} rounds on {args.backend} (numba kernels compile "
        "on their first use: up to a minute once, cached afterwards) ...",
        file=sys.stderr,
        flush=True,
    )
    roofline = measure_roofline(args.backend, args.dtype, args.peak_size, args.stream_mib, clock=args.clock)
    result = profile(case, args.backend, args.dtype, args.rounds, args.budget, roofline, clock=args.clock)
    print(format_profile(result))
    if args.json:
        tmp = f"{args.json}.tmp{os.getpid()}"
        with open(tmp, "w") as f:
            json.dump(result, f, indent=2)
        os.replace(tmp, args.json)
        print(f"saved {args.json}")
    if args.plot:
        plot_roofline(result, args.plot)
        print(f"saved {args.plot}")
    return 0
