"""Benchmark: microseconds per training step, nn-ref's backends against PyTorch (``nn-ref bench``,
``scripts/bench.py``). A script, never a test: speed is measured and reported, not asserted.

Cases (the lecture's examples; float32 throughout, PyTorch's default):

- ``x2``:      the x^2 regression net 1-10-1, 100 points, full batch, ReLU + linear output, MSE.
- ``slide``:   the slide's autograd example, 64 x 1000 -> 100 -> 10, ReLU, sum of squares.
- ``mlp32``, ``mlp256``, ``mlp1024``: MLP 784-256-128-10, ReLU, softmax + cross-entropy, batch 32/256/1024.
- ``mlp_gpu``: (only with ``--gpu-cases``) MLP 784-1024-1024-10 at batch 4096.

Rows: ``numpy`` (``network.train_step`` with backend="numpy": the NumPy bodies a student reads), ``cpu``
(numba, the fused ``train_step``), ``cpu-layers`` (the five-call loop through the per-layer functions of
``nn_ref.network`` with backend="cpu": the Python hand-off of every call included), ``checks`` (the argument
checks alone of those five calls' four checked entries, ``nn_ref._checks``: their cost per step),
``gemm-floor`` (the matrix products of the fused cpu step alone, timed in the same rounds: what no step can beat
on these BLAS calls; the ``÷ floor`` column is a row's time over it), ``cuda`` (only on a real GPU), ``torch``
(when installed: nn.Sequential, its loss, ``backward()``, ``optim.SGD``, ``loss.item()``; torch.compile is not used).
Each round times every row once, rows interleaved, so drift in the machine's speed hits all rows alike; the table
gives the median, min and max over the rounds. One step = forward, cost (returned as a float), backward,
parameter update.

numba compile time is measured apart, in fresh subprocesses: ``cold`` is the first step with an
empty cache directory (compiling everything the cpu ``train_step`` of a case needs), ``cached`` the
first step of a second process that loads that cache; the imports (numpy, numba, scipy, the
backend) are timed apart from both.
"""

import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

CASES = {
    "x2": dict(dims=(1, 10, 1), m=100, hidden="relu", output="linear", loss="mse", lr=0.2),
    "slide": dict(dims=(1000, 100, 10), m=64, hidden="relu", output="linear", loss="mse", lr=1e-4),
    "mlp32": dict(
        dims=(784, 256, 128, 10), m=32, hidden="relu", output="softmax", loss="categorical_cross_entropy", lr=0.1
    ),
    "mlp256": dict(
        dims=(784, 256, 128, 10), m=256, hidden="relu", output="softmax", loss="categorical_cross_entropy", lr=0.1
    ),
    "mlp1024": dict(
        dims=(784, 256, 128, 10), m=1024, hidden="relu", output="softmax", loss="categorical_cross_entropy", lr=0.1
    ),
}
GPU_CASES = {
    "mlp_gpu": dict(
        dims=(784, 1024, 1024, 10), m=4096, hidden="relu", output="softmax", loss="categorical_cross_entropy", lr=0.1
    ),
}
DTYPE = np.float32


def _data(case, seed=0, dtype=DTYPE):
    """X (n0, m), Y (nL, m) and the He-initialised parameters, as host arrays of ``dtype`` (float32)."""
    rng = np.random.default_rng(seed)
    dims, m = case["dims"], case["m"]
    if dims == (1, 10, 1):
        X = np.linspace(-1, 1, m).reshape(1, m)
        Y = X**2 + 0.2 * rng.random((1, m))
    else:
        X = rng.standard_normal((dims[0], m))
        if case["output"] == "softmax":
            Y = np.eye(dims[-1])[:, rng.integers(0, dims[-1], m)]
        else:
            Y = rng.standard_normal((dims[-1], m))
    params = {}
    for l in range(1, len(dims)):
        params[f"W{l}"] = rng.standard_normal((dims[l], dims[l - 1])) * np.sqrt(2.0 / dims[l - 1])
        params[f"b{l}"] = np.zeros((dims[l], 1))
    return X.astype(dtype), Y.astype(dtype), {k: v.astype(dtype) for k, v in params.items()}


def _fused_runner(backend_name, case, dtype=DTYPE):
    from nn_ref.kernels import StepConfig, get_backend, pack_parameters

    B = get_backend(backend_name)
    X, Y, params = _data(case, dtype=dtype)
    theta, dims = pack_parameters(params)
    X, Y, theta = B.to_device(X), B.to_device(Y), B.to_device(theta)
    config = StepConfig(dims, case["hidden"], case["output"], case["loss"], case["lr"])
    train_step = B.train_step

    def step():
        return train_step(X, Y, theta, config)

    return step


def _layers_runner(backend_name, case, dtype=DTYPE):
    """The five-call loop a student writes, through nn_ref.network with backend=``backend_name``."""
    from nn_ref import network
    from nn_ref.backend import to_backend

    X, Y, params = _data(case, dtype=dtype)
    params = to_backend(params, backend_name)
    h, o, loss, lr = case["hidden"], case["output"], case["loss"], case["lr"]

    def step():
        AL, caches = network.forward(X, params, h, o, backend=backend_name)
        cost = network.compute_cost(AL, Y, loss, backend=backend_name)
        grads = network.backward(AL, Y, caches, loss, backend=backend_name, need_dA0=False)  # as torch: no dX
        network.update_parameters(params, grads, lr, backend=backend_name)
        return cost

    return step


def _checks_runner(backend_name, case):
    """The contract checks alone (``nn_ref._checks``) of the ``cpu-layers`` step's four calls: what checking the
    declared arguments at the boundary costs per step (the rows above include it)."""
    from nn_ref import network
    from nn_ref.backend import to_backend

    X, Y, params = _data(case)
    params = to_backend(params, backend_name)
    h, o, loss, lr = case["hidden"], case["output"], case["loss"], case["lr"]
    AL, caches = network.forward(X, params, h, o, backend=backend_name)
    grads = network.backward(AL, Y, caches, loss, backend=backend_name, need_dA0=False)
    calls = [
        (network.forward.contract, (X, params, h, o), {"backend": backend_name}),
        (network.compute_cost.contract, (AL, Y, loss), {"backend": backend_name}),
        (network.backward.contract, (AL, Y, caches, loss), {"backend": backend_name, "need_dA0": False}),
        (network.update_parameters.contract, (params, grads, lr), {"backend": backend_name}),
    ]

    def step():
        for contract, args, kwargs in calls:
            contract.check(args, dict(kwargs))

    return step


def _numpy_runner(case):
    """network.train_step on the NumPy bodies (backend="numpy")."""
    from nn_ref import network

    X, Y, params = _data(case)
    h, o, loss, lr = case["hidden"], case["output"], case["loss"], case["lr"]

    def step():
        return network.train_step(X, Y, params, h, o, loss, lr, backend="numpy")

    return step


def _floor_runner(case):
    """The matrix products of the fused cpu step alone (``nn_ref.kernels.cpu.matrix_products``)."""
    from nn_ref.kernels import get_backend, pack_parameters

    B = get_backend("cpu")
    X, _, params = _data(case)
    theta, dims = pack_parameters(params)

    def step():
        B.matrix_products(X, theta, dims)

    return step


def _torch_runner(case, device="cpu"):
    import torch

    X, Y, params = _data(case)
    dims = case["dims"]
    layers = []
    for l in range(1, len(dims)):
        lin = torch.nn.Linear(dims[l - 1], dims[l])
        with torch.no_grad():
            lin.weight.copy_(torch.from_numpy(params[f"W{l}"]))
            lin.bias.copy_(torch.from_numpy(params[f"b{l}"].ravel()))
        layers.append(lin)
        if l < len(dims) - 1:
            layers.append(torch.nn.ReLU())
    model = torch.nn.Sequential(*layers).to(device)
    x = torch.from_numpy(np.ascontiguousarray(X.T)).to(device)  # torch's layout: (m, n0)
    if case["output"] == "softmax":
        y = torch.from_numpy(Y.argmax(axis=0)).to(device)
        loss_fn = torch.nn.CrossEntropyLoss()  # softmax + cross-entropy, mean
    else:
        y = torch.from_numpy(np.ascontiguousarray(Y.T)).to(device)
        loss_fn = torch.nn.MSELoss(reduction="sum")  # the slides' sum of squares
    opt = torch.optim.SGD(model.parameters(), lr=case["lr"])

    def step():
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
        return loss.item()  # the cost comes out, as ours

    return step


def _time_round(step, budget_s, settle_s=0.0, clock=time.perf_counter):
    """Mean microseconds per call of ``step`` over a batch of calls lasting about budget_s (of ``clock``:
    wall time, or ``time.process_time`` for the CPU time of this process).

    ``settle_s``: sleep first, then one untimed call. numpy's OpenBLAS, scipy's OpenBLAS (numba's
    np.dot) and PyTorch's OpenMP each keep their worker threads spinning for a while after use;
    on a 2-core machine the next row would otherwise be timed against the previous row's spinning
    threads. The pause lets every row start from idle pools, the untimed call from warm caches."""
    if settle_s:
        time.sleep(settle_s)
        step()
    n, t = 1, 0.0
    while True:
        t0 = clock()
        for _ in range(n):
            step()
        t = clock() - t0
        if t >= budget_s or n >= 1 << 20:
            return t / n * 1e6
        n = max(n * 2, int(n * budget_s / max(t, 1e-9) * 1.1))


def _compile_times(case_name, backend="cpu", runner="fused"):
    """Fresh processes, first with an empty numba cache, then with the cache the first one wrote:
    {"cold": compile + first step, "cached": cache load + first step, "import": importing numpy,
    numba, scipy and the backend (the same in both; numba's own import is most of it)}, seconds.
    ``runner``: "fused" (``train_step``) or "layers" (the five-call loop: only the kernels it calls compile)."""
    code = (
        "import time, sys; t0 = time.perf_counter(); import numpy, numba, scipy.linalg.cython_blas; "
        "from nn_ref import bench; from nn_ref.kernels import get_backend; get_backend(sys.argv[1]); "
        "t1 = time.perf_counter(); step = getattr(bench, f'_{sys.argv[3]}_runner')(sys.argv[1], "
        "bench.CASES[sys.argv[2]]); t2 = time.perf_counter(); step(); t3 = time.perf_counter(); print(t1 - t0, t3 - t2)"
    )
    out = {}
    with tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ, NUMBA_CACHE_DIR=cache)
        for key in ("cold", "cached"):
            r = subprocess.run(
                [sys.executable, "-c", code, backend, case_name, runner],
                env=env,
                capture_output=True,
                text=True,
                check=True,
            )
            t_import, t_first = map(float, r.stdout.strip().splitlines()[-1].split())
            out[key] = t_first
            out[f"import_{key}"] = t_import
    out["import"] = out.pop("import_cached")
    out.pop("import_cold")
    return out


def _cpu_name():
    """The CPU model ("AMD EPYC ..."), from /proc/cpuinfo where there is one."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def run(
    cases=None, rounds=7, budget_s=0.15, with_layers=True, gpu_cases=False, compile_times=True, log=print, settle_s=0.3
):
    """Run the benchmark; returns the result dict (also what ``--json`` saves)."""
    from nn_ref.kernels import real_gpu_available

    all_cases = dict(CASES, **(GPU_CASES if gpu_cases else {}))
    cases = cases or list(CASES) + (list(GPU_CASES) if gpu_cases else [])
    try:
        import torch

        torch_version = torch.__version__
    except ImportError:
        torch = None
        torch_version = None
    gpu = real_gpu_available()
    import numba

    result = {
        "machine": {
            "platform": platform.platform(),
            "processor": _cpu_name(),
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "numpy": np.__version__,
            "numba": numba.__version__,
            "torch": torch_version,
            "torch_threads": torch.get_num_threads() if torch else None,
            "numba_threads": numba.get_num_threads(),
            "gpu": gpu,
            "load_before": os.getloadavg(),  # 1, 5, 15-minute load averages when the run started
        },
        "dtype": "float32",
        "rounds": rounds,
        "cases": {},
    }
    if gpu:
        from numba import cuda

        name = cuda.get_current_device().name
        result["machine"]["gpu_name"] = name.decode() if isinstance(name, bytes) else str(name)
    for cname in cases:
        case = all_cases[cname]
        runners = {}
        if cname not in GPU_CASES:  # the GPU-sized case runs on the GPU rows only
            runners["numpy"] = _numpy_runner(case)
            runners["cpu"] = _fused_runner("cpu", case)
            if with_layers:
                runners["cpu-layers"] = _layers_runner("cpu", case)
                runners["checks"] = _checks_runner("cpu", case)
            runners["gemm-floor"] = _floor_runner(case)
            if torch is not None:
                runners["torch"] = _torch_runner(case)
        if gpu:
            runners["cuda"] = _fused_runner("cuda", case)
            if torch is not None and torch.cuda.is_available():
                torch.set_float32_matmul_precision("highest")  # FP32 against FP32: TF32 off
                tstep = _torch_runner(case, "cuda")
                runners["torch-cuda"] = tstep
        for step in runners.values():  # warm up: compile, allocate, fill caches
            step()
            step()
        samples = {k: [] for k in runners}
        for _ in range(rounds):
            for k, step in runners.items():
                samples[k].append(_time_round(step, budget_s, settle_s=settle_s))
        rows = {}
        for k, s in samples.items():
            rows[k] = {"median_us": statistics.median(s), "min_us": min(s), "max_us": max(s)}
        for row in rows.values():
            if "torch" in rows:
                row["speedup_vs_torch"] = rows["torch"]["median_us"] / row["median_us"]
            if "torch-cuda" in rows:
                row["speedup_vs_torch_cuda"] = rows["torch-cuda"]["median_us"] / row["median_us"]
            if "numpy" in rows:
                row["speedup_vs_numpy"] = rows["numpy"]["median_us"] / row["median_us"]
            if "gemm-floor" in rows:
                row["over_floor"] = row["median_us"] / rows["gemm-floor"]["median_us"]
        entry = {"config": {k: (list(v) if isinstance(v, tuple) else v) for k, v in case.items()}, "rows": rows}
        if compile_times and "cpu" in runners:
            time.sleep(settle_s)  # the rows' thread pools go idle first: a compile shares the two cores with nothing
            entry["cpu_compile_s"] = _compile_times(cname)
            if with_layers:
                entry["cpu_layers_compile_s"] = _compile_times(cname, runner="layers")
        result["cases"][cname] = entry
        log(format_case(cname, entry))
    return result


def gemm_vs_cublas(sizes=(1024, 4096), reps=10, log=print):
    """The cuda backend's tiled SGEMM (C = A B, FP32) against cuBLAS through PyTorch (TF32 off) or
    CuPy, on n x n x n products; also checks the two results agree. Needs a real GPU."""
    from numba import cuda

    from nn_ref.kernels.cuda.gemm import gemm_into

    try:
        import torch

        torch.set_float32_matmul_precision("highest")  # true FP32: TF32 off
        lib = f"torch {torch.__version__}"
    except ImportError:
        torch = None
        import cupy

        lib = f"cupy {cupy.__version__}"
    out = {"reference": lib, "sizes": {}}
    for n in sizes:
        rng = np.random.default_rng(n)
        A = rng.standard_normal((n, n), dtype=np.float32)
        B = rng.standard_normal((n, n), dtype=np.float32)
        dA, dB = cuda.to_device(A), cuda.to_device(B)
        dC = cuda.device_array((n, n), np.float32)

        def ours(dC=dC, dA=dA, dB=dB):
            gemm_into(dC, dA, dB)

        if torch is not None:
            tA, tB = torch.from_numpy(A).cuda(), torch.from_numpy(B).cuda()

            def ref(tA=tA, tB=tB):
                return torch.mm(tA, tB)

            def sync():
                torch.cuda.synchronize()
        else:
            cA, cB = cupy.asarray(A), cupy.asarray(B)

            def ref(cA=cA, cB=cB):
                return cA @ cB

            def sync():
                cupy.cuda.Device().synchronize()

        times = {}
        for label, f, s in (("numba", ours, cuda.synchronize), ("cublas", ref, sync)):
            f()
            s()
            best = float("inf")
            for _ in range(reps):
                t0 = time.perf_counter()
                f()
                s()
                best = min(best, time.perf_counter() - t0)
            times[label] = best
        C_ref = ref()
        sync()
        C_ref = C_ref.cpu().numpy() if torch is not None else cupy.asnumpy(C_ref)
        rel = float(np.linalg.norm(dC.copy_to_host() - C_ref) / np.linalg.norm(C_ref))
        flop = 2.0 * n**3
        row = {
            "numba_ms": times["numba"] * 1e3,
            "cublas_ms": times["cublas"] * 1e3,
            "numba_tflops": flop / times["numba"] / 1e12,
            "cublas_tflops": flop / times["cublas"] / 1e12,
            "numba_over_cublas": times["cublas"] / times["numba"],
            "rel_diff": rel,
        }
        out["sizes"][str(n)] = row
        log(
            f"SGEMM {n}^3: numba {row['numba_ms']:.3f} ms ({row['numba_tflops']:.2f} TFLOP/s), "
            f"cuBLAS ({lib}, TF32 off) {row['cublas_ms']:.3f} ms ({row['cublas_tflops']:.2f} TFLOP/s): "
            f"{100 * row['numba_over_cublas']:.0f}% of cuBLAS; rel. difference {rel:.1e}"
        )
    return out


def _ratios(row):
    """The row's ratio columns as text: x torch, x numpy, / floor, x torch-cuda ("-" where absent)."""
    keys = ("speedup_vs_torch", "speedup_vs_numpy", "over_floor", "speedup_vs_torch_cuda")
    return tuple(f"{row[k]:.2f}" if k in row else "-" for k in keys)


def format_case(cname, entry):
    c = entry["config"]
    lines = [f"{cname}: dims {'-'.join(map(str, c['dims']))}, m={c['m']}, {c['hidden']}/{c['output']}, {c['loss']}"]
    tc = "torch-cuda" in entry["rows"]
    lines.append(
        f"  {'backend':<12}{'median us':>12}{'min us':>12}{'max us':>12}{'x torch':>9}{'x numpy':>9}"
        f"{'/ floor':>9}" + (f"{'x torch-cuda':>14}" if tc else "")
    )
    for k, r in entry["rows"].items():
        vt, vn, vf, vc = _ratios(r)
        lines.append(
            f"  {k:<12}{r['median_us']:>12.1f}{r['min_us']:>12.1f}{r['max_us']:>12.1f}{vt:>9}{vn:>9}{vf:>9}"
            + (f"{vc:>14}" if tc else "")
        )
    if "cpu_compile_s" in entry:
        cc = entry["cpu_compile_s"]
        lines.append(
            f"  cpu numba: first step cold (compile) {cc['cold']:.2f} s, from the cache {cc['cached']:.2f} s; "
            f"imports (numpy, numba, scipy, backend) {cc['import']:.2f} s"
        )
    if "cpu_layers_compile_s" in entry:
        cc = entry["cpu_layers_compile_s"]
        lines.append(
            f"  cpu-layers numba: first step cold (compile) {cc['cold']:.2f} s, from the cache {cc['cached']:.2f} s"
        )
    return "\n".join(lines)


def machine_line(m):
    """The machine a result was measured on, in one line: CPU, threads, PyTorch (or its absence), GPU, load."""
    torch = f"PyTorch {m['torch']} ({m['torch_threads']} threads)" if m["torch"] else "PyTorch not installed"
    load = m.get("load_before")
    return (
        f"{m['processor']}, {m['cpus']} CPUs ({m['platform']}); numba {m['numba']} ({m['numba_threads']} threads), "
        + torch
        + (f", GPU {m.get('gpu_name')}" if m["gpu"] else ", no GPU")
        + (f"; load average {load[0]:.1f} at the start" if load else "")
    )


def format_markdown(result):
    """The result as a Markdown table (one row per case and backend), with the machine named."""
    m = result["machine"]
    lines = [
        f"Measured on {machine_line(m)}; {result['dtype']}, {result['rounds']} interleaved rounds.",
        "",
        "| case | backend | median µs | min µs | max µs | × torch | × numpy | ÷ floor |"
        + (" × torch-cuda |" if m["gpu"] else ""),
        "|---|---|---:|---:|---:|---:|---:|---:|" + ("---:|" if m["gpu"] else ""),
    ]
    for cname, entry in result["cases"].items():
        for k, r in entry["rows"].items():
            vt, vn, vf, vc = _ratios(r)
            lines.append(
                f"| {cname} | {k} | {r['median_us']:.1f} | {r['min_us']:.1f} | {r['max_us']:.1f} | {vt} | {vn} |"
                f" {vf} |" + (f" {vc} |" if m["gpu"] else "")
            )
    for key, what in (
        ("cpu_compile_s", "cpu `train_step`"),
        ("cpu_layers_compile_s", "the `cpu-layers` loop: only the per-layer kernels it calls"),
    ):
        comp = {c: e[key] for c, e in result["cases"].items() if key in e}
        if comp:
            imports = [v["import"] for v in comp.values() if "import" in v]
            lines += [
                "",
                f"numba ({what}), first step in a fresh process: "
                + "; ".join(f"{c} cold {v['cold']:.1f} s, cached {v['cached']:.2f} s" for c, v in comp.items())
                + (f" (plus {max(imports):.2f} s or less importing numpy, numba, scipy)." if imports else "."),
            ]
    return "\n".join(lines)


def add_arguments(p):
    """The arguments of ``nn-ref bench`` and ``scripts/bench.py``, each checked by its argparse type (one error
    line, exit status 2, before any work)."""
    from nn_ref.cli import _nonnegative_float, _positive_float, _positive_int

    p.add_argument(
        "--cases", nargs="+", choices=list(CASES) + list(GPU_CASES), help="cases to run (default: all CPU cases)"
    )
    p.add_argument("--rounds", type=_positive_int, default=7, help="interleaved timing rounds (default 7)")
    p.add_argument("--budget", type=_positive_float, default=0.15, help="seconds per row per round (default 0.15)")
    p.add_argument(
        "--settle",
        type=_nonnegative_float,
        default=0.3,
        help="pause before each row's timing so other rows' spinning thread pools go idle (default 0.3 s)",
    )
    p.add_argument("--no-layers", action="store_true", help="skip the per-layer cpu row")
    p.add_argument("--no-compile", action="store_true", help="skip the compile-time subprocesses")
    p.add_argument("--gpu-cases", action="store_true", help="add the large GPU case (MLP 784-1024-1024-10, batch 4096)")
    p.add_argument(
        "--gemm",
        nargs="*",
        type=_positive_int,
        metavar="N",
        help="only compare the numba SGEMM with cuBLAS at N^3 (default 1024 4096; real GPU)",
    )
    p.add_argument("--json", metavar="FILE", help="save the results as JSON")
    p.add_argument("--markdown", metavar="FILE", help="save the table as Markdown (for the site's benchmark page)")


def main_args(args):
    from nn_ref.modelfile import check_writable

    for path in (args.json, args.markdown):
        if path:
            check_writable(path, example="bench.json")  # before any work: a run that cannot save is refused
    if args.gemm is not None:
        result = gemm_vs_cublas(tuple(args.gemm) or (1024, 4096))
        if args.json:
            with open(args.json, "w") as f:
                json.dump(result, f, indent=2)
        return 0
    result = run(
        args.cases,
        args.rounds,
        args.budget,
        not args.no_layers,
        args.gpu_cases,
        not args.no_compile,
        settle_s=args.settle,
    )
    print(f"machine: {machine_line(result['machine'])}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=2)
        print(f"saved {args.json}")
    if args.markdown:
        with open(args.markdown, "w") as f:
            f.write(format_markdown(result) + "\n")
        print(f"saved {args.markdown}")
    return 0


def main(argv=None):
    """``scripts/bench.py``: the same arguments and errors as ``nn-ref bench`` (one line, exit status 2)."""
    from nn_ref.cli import script_parser

    p = script_parser(__doc__.splitlines()[0], backend=False)
    add_arguments(p)
    return main_args(p.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
