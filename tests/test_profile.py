"""``nn-ref profile`` (nn_ref/profile.py): the ops of a step carry the closed-form FLOP counts and the bytes of
the arrays they move, the split of ``linear_backward`` computes what it computes, and the ops' times (with the
glue timed on empty work) add up to the measured step."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from nn_ref import network
from nn_ref import profile as P


def _ops_by_name(ops):
    names = [op.name for op in ops]
    assert len(set(names)) == len(names), names
    return {op.name: op for op in ops}


@pytest.mark.parametrize("output", ["softmax", "linear"])
def test_flops_and_bytes_follow_the_closed_forms(output):
    dims, m = (3, 5, 4, 2), 7
    case = P.make_case(dims, m, hidden="tanh", output=output)
    ops = _ops_by_name(P.layer_ops(case, "numpy", np.float64))
    L, s = len(dims) - 1, 8
    expected = {"check X and Y (finite, labels)": (0, s * (dims[0] * m + 2 * dims[-1] * m))}
    for l in range(1, L + 1):
        n, p = dims[l], dims[l - 1]
        g = output if l == L else "tanh"
        expected[f"Z{l} = W{l} A{l - 1} + b{l}"] = (2 * n * p * m + n * m, s * (n * p + p * m + n + n * m))
        expected[f"A{l} = {g}(Z{l})"] = ({"tanh": 1, "softmax": 5, "linear": 0}[g] * n * m, s * 2 * n * m)
        expected[f"dW{l} = (1/m) dZ{l} A{l - 1}ᵀ"] = (2 * n * p * m + n * p, s * (n * m + p * m + n * p))
        expected[f"db{l} = (1/m) Σ dZ{l}"] = (n * m + n, s * (n * m + n))
        if l > 1:
            expected[f"dA{l - 1} = W{l}ᵀ dZ{l}"] = (2 * n * p * m, s * (n * p + n * m + p * m))
        if l < L or output == "linear":
            expected[f"dZ{l} = dA{l} * {g}'(Z{l})"] = (2 * n * m, s * 3 * n * m)
        expected[f"W{l}, b{l} -= lr dW{l}, lr db{l}"] = (2 * (n * p + n), s * 3 * (n * p + n))
    nL = dims[-1]
    expected["J = cost(AL, Y)"] = (3 * nL * m, s * 2 * nL * m)
    if output == "softmax":  # the chain rule collapses: dZ[L] = AL - Y in one pass
        expected[f"dZ{L} = A{L} - Y"] = (nL * m, s * 3 * nL * m)
    else:
        expected[f"dA{L} = m dJ/dA{L}"] = (2 * nL * m, s * 3 * nL * m)
    assert sorted(ops) == sorted(expected)
    for name, (flops, nbytes) in expected.items():
        assert (ops[name].flops, ops[name].nbytes) == (flops, nbytes), name
    # the products: 2 m per weight forward, 4 m backward (no dA[0]): the "6 N m" rule
    products = sum(2 * dims[l] * dims[l - 1] * m for l in range(1, L + 1))
    gemm = sum(op.flops for name, op in ops.items() if op.kind == "gemm")
    biases = sum(dims[l] * m + dims[l] * dims[l - 1] for l in range(1, L + 1))
    assert gemm - biases == 3 * products - 2 * dims[1] * dims[0] * m


def test_fused_ops_fold_the_update_into_the_weight_gradient():
    dims, m = (3, 5, 2), 6
    ops = _ops_by_name(P.fused_ops(P.make_case(dims, m), np.float64))
    for l in (1, 2):
        n, p = dims[l], dims[l - 1]
        folded = ops[f"W{l}, b{l} -= (lr/m) dZ{l} A{l - 1}ᵀ, (lr/m) Σ dZ{l} (folded)"]
        assert folded.flops == 2 * n * p * m + 2 * n * p + n * m + 2 * n
        assert folded.nbytes == 8 * (n * m + p * m + 2 * n * p + 2 * n)  # W read and written once: no dW
    layer = _ops_by_name(P.layer_ops(P.make_case(dims, m), "numpy", np.float64))
    separate = layer["dW2 = (1/m) dZ2 A1ᵀ"].nbytes + layer["W2, b2 -= lr dW2, lr db2"].nbytes
    folded = ops["W2, b2 -= (lr/m) dZ2 A1ᵀ, (lr/m) Σ dZ2 (folded)"].nbytes
    assert separate - folded == 8 * (2 * 2 * 5 + 2)  # dW never written nor read back (and db's one read)


@pytest.mark.parametrize("backend", ["numpy", "cpu", pytest.param("cuda", marks=pytest.mark.cuda)])
def test_the_split_backward_computes_linear_backward(backend):
    from nn_ref.backend import accelerated

    rng = np.random.default_rng(1)
    A_prev, W, dZ = rng.standard_normal((4, 9)), rng.standard_normal((3, 4)), rng.standard_normal((3, 9))
    want = network.linear_backward(dZ, (A_prev, W, np.zeros((3, 1))), "numpy")
    K = accelerated(backend)
    dev, host = (K.to_device, K.to_host) if K is not None else (np.asarray, np.asarray)
    dW_of, db_of, dA_of = P._linear_backward_parts(backend)
    got = dA_of(dev(W), dev(dZ)), dW_of(dev(dZ), dev(A_prev)), db_of(dev(dZ))
    for g, ref in zip(got, want):
        np.testing.assert_allclose(host(g), ref, rtol=1e-10, atol=1e-12)


def _profile_cli(tmp_path, backend, attempt):
    """``nn-ref profile`` in a fresh process with one BLAS thread, timed on this process's CPU clock (other
    processes on a busy machine do not count), a step large enough that its matrix products dominate."""
    out = tmp_path / f"{backend}{attempt}.json"
    plot = tmp_path / f"{backend}{attempt}.png"
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1", MPLBACKEND="Agg")
    cmd = [sys.executable, "-m", "nn_ref.cli", "profile", "--layers", "784,256,128,10", "--batch", "128"]
    cmd += ["--backend", backend, "--clock", "cpu", "--rounds", "15", "--budget", "0.01", "--peak-size", "256"]
    cmd += ["--stream-mib", "8", "--json", str(out), "--plot", str(plot)]
    r = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    assert "unaccounted (step - accounted)" in r.stdout and plot.stat().st_size > 10_000
    return json.loads(out.read_text())


@pytest.mark.slow  # a whole program, twice: 10-30 s
@pytest.mark.parametrize("backend", ["numpy", "cpu"])
def test_the_ops_and_the_glue_add_up_to_the_step(tmp_path, backend):
    """Per round, (the ops' times + the glue) / the step's time; the median over 15 rounds within 10 %. A busy
    machine can still slow one timing more than another, so up to three fresh runs: a profile that misses or
    double-counts an op (a matrix product is a sixth to a third of this step) fails all three."""
    ratios = []
    for attempt in range(3):
        result = _profile_cli(tmp_path, backend, attempt)
        ratios.append({path: e["accounted_over_step"] for path, e in result["paths"].items()})
        if all(0.9 <= r <= 1.1 for r in ratios[-1].values()):
            break
    else:
        pytest.fail(f"ops + glue over the step, three runs: {ratios}")
    assert sorted(result["paths"]) == (["fused", "layers"] if backend == "cpu" else ["layers"])
    roof = result["roofline"]
    assert roof["gemm"]["flops"] == 2 * 256**3 and roof["bandwidth"]["bytes"] == 2 * 8 * 2**20
    assert roof["ridge"] == pytest.approx(roof["gemm"]["flops_per_s"] / roof["bandwidth"]["bytes_per_s"])
    layers = result["paths"]["layers"]
    assert layers["accounted_us"] == pytest.approx(layers["sum_us"] + layers["glue"]["median_us"])
    for row in layers["ops"]:
        assert row["gflops"] == pytest.approx(row["flops"] / row["median_us"] / 1e3)


def test_bad_arguments_are_one_line(capsys):
    from nn_ref.cli import main

    with pytest.raises(SystemExit) as exc:  # argparse's own error, one line
        main(["profile", "--batch", "0"])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("nn-ref profile: error:") and "--batch" in err
    assert main(["profile", "--json", "/proc/forbidden/p.json"]) == 2  # refused before any timing
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "/proc/forbidden/p.json" in err


def test_the_roofline_plot_is_in_the_slide_style_and_names_the_machine(tmp_path):
    from nn_ref.figures.style import small_texts

    roof = P.measure_roofline("numpy", np.float64, gemm_size=64, stream_mib=1, reps=1)
    result = P.profile(P.make_case((3, 5, 2), 8), "numpy", np.float64, rounds=1, budget_s=0.001, roofline=roof)
    fig = P.plot_roofline(result, tmp_path / "roof.svg")
    assert (tmp_path / "roof.svg").read_text().lstrip().startswith("<?xml") and not list(tmp_path.glob("*.tmp*"))
    assert small_texts(fig) == []
    title = fig.axes[0].get_title()
    assert result["machine"]["processor"] in title and result["machine"]["date"] in title and "load" in title
    drawn = sum(len(c.get_offsets()) for c in fig.axes[0].collections)
    assert drawn == sum(1 for r in result["paths"]["layers"]["ops"] if r["gflops"] > 0)  # every op with FLOPs
