"""The fused training step of the cuda backend: forward, cost, backward and the optimizer's update of the
flat parameters theta = W1, b1, ..., WL, bL in one call, every array on the device; the cost (one float)
is the only thing that comes back to the host.

Per layer l = L, ..., 1 the backward pass is two or three launches:

* dZ[l-1] = (W[l]^T dZ[l]) * g'(Z[l-1])  -- one GEMM with the activation-backward epilogue, before W[l] moves;
* the optimizer's use of dW[l] = (1/m) dZ[l] A[l-1]^T, folded into the GEMM's epilogue (dW is never stored
  for sgd and momentum):
    sgd       W <- W - (lr/m) dZ A^T                 (EPILOGUE_ACCUMULATE, beta 1)
    momentum  vW <- beta1 vW + ((1 - beta1)/m) dZ A^T  (EPILOGUE_ACCUMULATE, beta beta1); theta <- theta - lr v
              once at the end (one ``update`` launch over the flat arrays)
    adam      gW = (1/m) dZ A^T into a flat gradient workspace; one ``adam_update`` launch at the end;
* the same for b[l] with the row sums of dZ[l] (``row_sum`` with scale and beta).

The state arrays of momentum (v,) and Adam (m, v) are flat device arrays shaped like theta, owned by the
caller (the optimizer), updated in place.
"""

from numba import cuda

from ..contract import ACT_LINEAR, ACT_SOFTMAX, OUTPUT_DELTA, check_step, collapses, parameter_views, tiny
from . import elementwise  # noqa: F401  (registers the elementwise kernels launched here by name)
from .gemm import EPILOGUE_ACCUMULATE, EPILOGUE_ACT_BACKWARD, EPILOGUE_BIAS_ACT, EPILOGUE_SCALE, gemm_into
from .launch import cost_blocks, data, dtype_of, elementwise_grid, flat, launch_kernel, on_device
from .reductions import cost_into, row_sum


def linear_forward_into(A_prev, W, b, Z, A, code, alpha):
    """Z = W A_prev + b and A = g(Z) into the device arrays Z, A: one GEMM with the bias + activation
    epilogue (softmax: the linear epilogue, then the softmax kernel per column)."""
    if code == ACT_SOFTMAX:
        gemm_into(Z, W, A_prev, epilogue=EPILOGUE_BIAS_ACT, bias=b, aux=A, code=ACT_LINEAR)
        launch_kernel("softmax", Z.dtype, *elementwise_grid(Z.shape[1]), Z, A)
    else:
        gemm_into(Z, W, A_prev, epilogue=EPILOGUE_BIAS_ACT, bias=b, aux=A, code=code, alpha=alpha)


# ----------------------------------------------------------------------------- cached device buffers
_WORK = {}
_VIEWS = {}
_MAX_CACHED = 8


class _Workspace:
    """Device buffers for one (layer_dims, m, dtype): Z[l], A[l], dZ[l], dA[L], the cost partials and
    (made at the first Adam step) the flat gradient."""

    def __init__(self, dims, m, dt):
        L = len(dims) - 1
        self.Zs = [cuda.device_array((dims[l], m), dt) for l in range(1, L + 1)]
        self.As = [cuda.device_array((dims[l], m), dt) for l in range(1, L + 1)]
        self.dZs = [cuda.device_array((dims[l], m), dt) for l in range(1, L + 1)]
        self.dA = cuda.device_array((dims[L], m), dt)
        self.partial = cuda.device_array(cost_blocks(dims[L] * m), "float64")
        # the flat views the elementwise launches of the output layer take (made once: a view costs microseconds)
        self.AL_flat, self.ZL_flat = flat(self.As[L - 1]), flat(self.Zs[L - 1])
        self.dZL_flat, self.dA_flat = flat(self.dZs[L - 1]), flat(self.dA)
        self.size = sum(dims[l] * (dims[l - 1] + 1) for l in range(1, L + 1))
        self.dt = dt
        self._grad = None

    def grad(self):
        if self._grad is None:
            self._grad = cuda.device_array(self.size, self.dt)
        return self._grad


def _cached(cache, key, make):
    hit = cache.get(key)
    if hit is None:
        if len(cache) >= _MAX_CACHED:
            cache.clear()
        hit = cache[key] = make()
    return hit


def _layer_views(flat_array, dims):
    """[(W1, b1), ..., (WL, bL)]: views into a flat device array (theta, a state array, the gradient),
    made once per array (the cache keeps the array itself, so an id is never reused while cached)."""
    key = (id(flat_array), dims)
    hit = _VIEWS.get(key)
    if hit is None or hit[0] is not flat_array:
        views = parameter_views(flat_array, dims)
        hit = (flat_array, [(views[f"W{l}"], views[f"b{l}"]) for l in range(1, len(dims))])
        if len(_VIEWS) >= _MAX_CACHED * 4:
            _VIEWS.clear()
        _VIEWS[key] = hit
    return hit[1]


# ----------------------------------------------------------------------------- the step
def train_step(X, Y, theta, config, state=None, t=1):
    """One training step on the GPU; returns the cost J before the update (a Python float).

    X: (n[0], m), Y: (n[L], m) (device arrays, or host arrays copied over for this call); theta: the flat
    parameters W1, b1, ..., WL, bL as a device array, updated in place; config: a ``contract.StepConfig``;
    state: the optimizer's flat device arrays, updated in place (as in ``kernels.contract.Backend.train_step``).
    Same arithmetic as the lecture's forward, compute_cost, backward and the optimizer's update.
    """
    state = check_step(config, theta, state, t)
    theta = on_device(theta, "theta")
    for i, x in enumerate(state):
        on_device(x, f"state[{i}]")
    dt = dtype_of(X, Y, theta, *state)
    dims, optimizer = config.layer_dims, config.optimizer
    hidden, output, lcode, _ = config.codes
    learning_rate, beta1, beta2 = config.learning_rate, config.beta1, config.beta2
    X, Y = data(X, dt), data(Y, dt)
    L, m = len(dims) - 1, X.shape[1]
    s = dt.type
    alpha = s(config.alpha)
    ws = _cached(_WORK, (dims, m, dt), lambda: _Workspace(dims, m, dt))
    params = _layer_views(theta, dims)

    # forward: Z[l] = W[l] A[l-1] + b[l], A[l] = g(Z[l]), one GEMM each
    A_prev = X
    for l in range(L):
        linear_forward_into(A_prev, *params[l], ws.Zs[l], ws.As[l], output if l == L - 1 else hidden, alpha)
        A_prev = ws.As[l]
    AL = ws.As[L - 1]
    cost_into(AL, Y, ws.partial, lcode, ws.AL_flat)

    # dZ[L]: AL - Y where the chain rule collapses, else dA[L] * g'(Z[L])
    dZ = ws.dZs[L - 1]
    grid = elementwise_grid(AL.size)
    Y_flat = flat(Y)
    if collapses(config.output_activation, config.loss):
        launch_kernel("cost_grad", dt, *grid, ws.AL_flat, Y_flat, ws.dZL_flat, OUTPUT_DELTA, s(tiny(dt)))
    else:
        launch_kernel("cost_grad", dt, *grid, ws.AL_flat, Y_flat, ws.dA_flat, lcode, s(tiny(dt)))
        if output == ACT_SOFTMAX:
            launch_kernel("softmax_backward", dt, *elementwise_grid(m), ws.dA, AL, dZ)
        else:
            launch_kernel("act_backward", dt, *grid, ws.dA_flat, ws.ZL_flat, ws.dZL_flat, output, alpha)

    # backward, with the optimizer's use of dW[l], db[l] folded into the products (module doc)
    if optimizer == "sgd":
        targets, scale, beta = params, -float(learning_rate) / m, 1.0
    elif optimizer == "momentum":
        targets, scale, beta = _layer_views(state[0], dims), (1.0 - beta1) / m, beta1
    else:
        grad = ws.grad()
        targets, scale, beta = _layer_views(grad, dims), 1.0 / m, 0.0
    epilogue = EPILOGUE_SCALE if optimizer == "adam" else EPILOGUE_ACCUMULATE
    for l in range(L - 1, -1, -1):
        A_in = ws.As[l - 1] if l > 0 else X
        if l > 0:  # dZ[l-1] = (W[l]^T dZ[l]) * g'(Z[l-1]), with W[l] before its update
            gemm_into(
                ws.dZs[l - 1],
                params[l][0],
                dZ,
                trans_a=True,
                epilogue=EPILOGUE_ACT_BACKWARD,
                aux=ws.Zs[l - 1],
                code=hidden,
                alpha=alpha,
            )
        W_target, b_target = targets[l]
        gemm_into(W_target, dZ, A_in, trans_b=True, scale=scale, epilogue=epilogue, beta=beta)
        row_sum(dZ, b_target, scale, beta)
        if l > 0:
            dZ = ws.dZs[l - 1]

    grid = elementwise_grid(theta.size)
    if optimizer == "momentum":  # theta <- theta - lr v
        launch_kernel("update", dt, *grid, theta, state[0], s(learning_rate))
    elif optimizer == "adam":
        launch_kernel(
            "adam_update",
            dt,
            *grid,
            theta,
            grad,
            *state,
            s(learning_rate),
            s(beta1),
            s(beta2),
            s(config.eps),
            s(1 - beta1 ** int(t)),
            s(1 - beta2 ** int(t)),
        )
    return float(ws.partial.copy_to_host().sum() / m)
