# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 11 -- Where the time goes: one training step against this machine's roofline
#
# The HPML lens on the lecture's network. Notebooks 03-05 wrote one step of gradient descent as four calls:
# forward propagation, the cost, backward propagation, the update. Here the same step is taken apart into the
# lecture's operations, per layer,
#
# $$Z^{[l]} = W^{[l]} A^{[l-1]} + b^{[l]},\quad A^{[l]} = g(Z^{[l]}),\quad J,\quad dZ^{[l]},\quad
# dW^{[l]} = \tfrac{1}{m}\, dZ^{[l]} A^{[l-1]T},\quad db^{[l]},\quad dA^{[l-1]} = W^{[l]T} dZ^{[l]},\quad
# W^{[l]} \leftarrow W^{[l]} - \alpha\, dW^{[l]},$$
#
# and each is timed, counted (FLOPs, bytes moved) and placed on the machine's **roofline**: an op can go no
# faster than the GEMM peak (compute-bound) nor than memory bandwidth times its arithmetic intensity
# (FLOPs per byte: memory-bound). Both ceilings are *measured* here, on the machine that runs this notebook,
# so every number below is this machine's, today -- not the lecture's. The same thing from a shell:
# `nn-ref profile` (see `docs/profile.md`).
#
# Sizes are kept small so the notebook runs in seconds: few timing rounds, short budgets. Expect noise.

# %%
import inspect
import io
import statistics

import numpy as np
from IPython.display import Image, display

from nn_ref import bench
from nn_ref import profile as P

ROUNDS, BUDGET = 3, 0.005  # interleaved timing rounds, seconds per timing (small: a quick look)


def show(fig):
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=80)
    display(Image(buf.getvalue()))


# %% [markdown]
# ## The two ceilings, measured
#
# A large square matrix product (NumPy's `A @ B`, i.e. its BLAS) gives the compute ceiling, $2n^3$ FLOPs
# over its time; a copy of arrays much larger than any cache gives the memory ceiling (bytes read + written
# over its time). Where they meet, the *ridge point*, an op needs that many FLOPs per byte to be limited
# by arithmetic rather than by memory.

# %%
roofline = P.measure_roofline("numpy", np.float32, gemm_size=1024, stream_mib=32, reps=3)
g, bw = roofline["gemm"], roofline["bandwidth"]
print(f"GEMM peak  {g['flops_per_s'] / 1e9:6.1f} GFLOP/s  ({g['how']}, median of {g['reps']}: ", end="")
print(f"{g['median_s'] * 1e3:.1f} ms)")
print(f"bandwidth  {bw['bytes_per_s'] / 1e9:6.1f} GB/s     ({bw['how']}, {bw['median_s'] * 1e3:.2f} ms)")
print(f"ridge point {roofline['ridge']:.1f} FLOP/byte")

# %% [markdown]
# ## The x² example: all call overhead
#
# The lecture's regression net 1-10-1 on 100 points. Its largest product, $W^{[1]} A^{[0]}$, is
# $10 \times 1 \times 100$ multiply-adds: a microsecond of arithmetic. Every line below is mostly the cost of
# *calling* an op -- checks, dispatch, allocating the result -- and the whole step is a few dozen of them.

# %%
x2 = P.make_case((1, 10, 1), 100, output="linear")
x2_numpy = P.profile(x2, "numpy", rounds=ROUNDS, budget_s=BUDGET, roofline=roofline)
x2_cpu = P.profile(x2, "cpu", rounds=ROUNDS, budget_s=BUDGET, roofline=roofline)
print(P.format_profile(x2_cpu))

# %%
for name, result in (("numpy", x2_numpy), ("cpu", x2_cpu)):
    for path, entry in result["paths"].items():
        print(f"{name:>5} {path:<6}: step {entry['step']['median_us']:8.1f} us")
flops = sum(r["flops"] for r in x2_numpy["paths"]["layers"]["ops"])
fused = x2_cpu["paths"]["fused"]["step"]["median_us"]
print(f"{flops} FLOPs per step: {flops / fused / 1e3:.3f} GFLOP/s even in one fused call")

# %% [markdown]
# The fused step (`train_step`: forward, cost, backward and update in **one** compiled call) is many times
# faster than the per-layer loop on the same compiled kernels: the loop's time is the Python between the
# kernels, not the kernels. At this size no op comes near either ceiling.
#
# ## The MNIST-sized MLP: batch 32 and batch 1024
#
# 784-256-128-10, ReLU, softmax and cross-entropy. Now the three matrix products of a layer
# ($Z = WA$, $dW = \frac1m dZ A^T$, $dA = W^T dZ$) are $2\,n^{[l]} n^{[l-1]} m$ FLOPs each.

# %%
mlp = {m: P.make_case((784, 256, 128, 10), m) for m in (32, 1024)}
results = {
    (backend, m): P.profile(mlp[m], backend, rounds=ROUNDS, budget_s=BUDGET, roofline=roofline)
    for m in (32, 1024)
    for backend in ("numpy", "cpu")
}


def shares(entry):
    """Share of the step in each kind of op, and in the glue."""
    step = entry["step"]["median_us"]
    out = {}
    for r in entry["ops"]:
        out[r["kind"]] = out.get(r["kind"], 0.0) + r["median_us"] / step
    if "glue" in entry:
        out["glue"] = entry["glue"]["median_us"] / step
    return out


print(f"{'backend':<8}{'m':>6}{'path':>8}{'step us':>10}{'GFLOP/s':>9}   shares of the step")
for (backend, m), result in results.items():
    for path, entry in result["paths"].items():
        step = entry["step"]["median_us"]
        flops = sum(r["flops"] for r in result["paths"]["layers"]["ops"])
        parts = ", ".join(f"{k} {100 * v:.0f}%" for k, v in shares(entry).items())
        print(f"{backend:<8}{m:>6}{path:>8}{step:>10.0f}{flops / step / 1e3:>9.1f}   {parts}")

# %% [markdown]
# Read the shares: at batch 1024 the matrix products (`gemm`) should be most of the step and run at a good
# fraction of the GEMM peak -- the step is **compute-bound**, and numpy and cpu come close (both call a BLAS).
# At batch 32 the products are 32 times smaller while the calls around them cost the same: the elementwise
# ops, the update and the glue take a larger share. (On a busy machine the wall clock is noisy; the glue,
# a difference of small times, the most.)
#
# ## How batch size moves each op along the roofline
#
# Each arrow goes from an op at batch 32 to the same op at batch 1024 (numpy). The products' arithmetic
# intensity grows with m (W is read once for m columns), so they move right, toward the compute ceiling;
# the elementwise ops (ReLU, its derivative, AL - Y) keep the same intensity -- a few FLOPs per value,
# whatever m -- and stay under the memory ceiling. The update does not depend on m at all.

# %%
small, large = results[("numpy", 32)], results[("numpy", 1024)]
fig = P.plot_roofline(large)
ax = fig.axes[0]
before = {r["op"]: r for r in small["paths"]["layers"]["ops"]}
for r in large["paths"]["layers"]["ops"]:
    r0 = before[r["op"]]
    if r["gflops"] > 0 and r0["gflops"] > 0:
        ax.annotate(
            "",
            (r["intensity"], r["gflops"]),
            (r0["intensity"], r0["gflops"]),
            arrowprops=dict(arrowstyle="->", color="#7A7A7A", lw=1.2),
        )
        ax.plot(r0["intensity"], r0["gflops"], "o", color="#D9D9D9", ms=6, zorder=2)
points = [r for res in (small, large) for r in res["paths"]["layers"]["ops"] if r["gflops"] > 0]
ax.set_xlim(left=min(r["intensity"] for r in points) / 2)
ax.set_ylim(bottom=min(r["gflops"] for r in points) / 2)
show(fig)

# %% [markdown]
# ## Why the fused step wins: the update folded into the dW product
#
# The per-layer path computes $dW^{[l]}$ into a new array (written once), then the update reads $W^{[l]}$ and
# $dW^{[l]}$ and writes $W^{[l]}$. The fused cpu step never writes $dW$: BLAS's `gemm` computes
# $C \leftarrow \alpha\,A B^T + \beta\,C$, and with $C = W$, $\alpha = -\text{lr}/m$, $\beta = 1$ it *is* the update.
# Here is the kernel, as `sgd_step` calls it:

# %%
from nn_ref.kernels.cpu import linear, step  # noqa: E402

print(inspect.getsource(linear.descend.py_func))
print(inspect.getsource(linear.weight_gradient.py_func))

# %% [markdown]
# and the backward loop of `sgd_step` that calls it -- $dA^{[l-1]} = W^{[l]T} dZ^{[l]}$ first, while
# $W^{[l]}$ still holds its old value:

# %%
source = inspect.getsource(step.sgd_step.py_func)
print(source[source.index("    m = X.shape[1]") :])

# %% [markdown]
# In bytes: for $W^{[1]}$ (256 x 784 values) the per-layer path moves $dW$ out and back in and $W$ in and out;
# the folded update moves $W$ in and out once. The profile's byte model shows the saving directly:

# %%
layers = {r["op"]: r for r in results[("cpu", 1024)]["paths"]["layers"]["ops"]}
fused_ops = {r["op"]: r for r in results[("cpu", 1024)]["paths"]["fused"]["ops"]}
separate = layers["dW1 = (1/m) dZ1 A0ᵀ"]["bytes"] + layers["W1, b1 -= lr dW1, lr db1"]["bytes"]
folded = fused_ops["W1, b1 -= (lr/m) dZ1 A0ᵀ, (lr/m) Σ dZ1 (folded)"]["bytes"]
print(f"dW1 then the update: {separate / 1e6:.2f} MB moved; folded: {folded / 1e6:.2f} MB")
for m in (32, 1024):
    r = results[("cpu", m)]["paths"]
    ratio = r["layers"]["step"]["median_us"] / r["fused"]["step"]["median_us"]
    print(f"batch {m:>4}: per-layer step / fused step = {ratio:.2f}x")

# %% [markdown]
# ## Against PyTorch (when installed)
#
# The same MLP step in PyTorch (`nn.Sequential`, `CrossEntropyLoss`, `backward()`, `optim.SGD`), timed the
# way `nn-ref bench` does, interleaved with nn-ref's fused cpu step. PyTorch is optional:
# `pip install -e ".[bench]"` adds it.

# %%
try:
    import torch  # noqa: F401
except ImportError:
    torch = None
    print('PyTorch is not installed here: pip install -e ".[bench]" to compare (skipped).')
if torch is not None:
    for m in (32, 1024):
        case = dict(mlp[m])
        runners = {"torch": bench._torch_runner(case), "nn-ref cpu": bench._fused_runner("cpu", case)}
        times = {k: [] for k in runners}
        for run in runners.values():
            run()
        for _ in range(ROUNDS):
            for k, run in runners.items():
                times[k].append(bench._time_round(run, BUDGET))
        med = {k: statistics.median(v) for k, v in times.items()}
        print(f"batch {m:>4}: " + ", ".join(f"{k} {v:.0f} us" for k, v in med.items()))

# %% [markdown]
# ## Try it
#
# - `nn-ref profile --layers 784,256,128,10 --batch 256 --backend cpu --plot roofline.png` from a shell
#   (`--json` keeps every number; `--clock cpu` with `OPENBLAS_NUM_THREADS=1` on a busy machine).
# - Which op of the x² example would you fuse next? Which op of the MLP at batch 1024 is furthest from its
#   ceiling, and is it memory- or compute-bound?
