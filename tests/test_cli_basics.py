"""The basics a new user tries first: --version, python -m nn_ref, the version in info, a closed pipe, the
slide scripts' bad arguments, "auto" choosing NumPy for a small job, and the one-line compile notice."""

import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import nn_ref
from nn_ref import backend, cli
from nn_ref.train import Trainer

ROOT = Path(__file__).resolve().parents[1]


def run(*argv, **kw):
    return subprocess.run([sys.executable, *argv], capture_output=True, text=True, cwd=ROOT, **kw)


def test_version_everywhere(capsys):
    with pytest.raises(SystemExit) as exc:
        cli.main(["--version"])
    assert exc.value.code == 0 and capsys.readouterr().out == f"nn-ref {nn_ref.__version__}\n"
    module = run("-m", "nn_ref", "--version")
    assert module.returncode == 0 and module.stdout == f"nn-ref {nn_ref.__version__}\n"
    assert cli.main(["info"]) == 0
    assert capsys.readouterr().out.splitlines()[0].split() == ["nn-ref:", nn_ref.__version__]


def test_a_closed_pipe_ends_quietly():
    """`nn-ref trace | head -1`: the reader goes away; no 'Broken pipe' error, exit 0."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "nn_ref", "trace", "--layers", "3,40,40,1", "--m", "50"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=ROOT,
    )
    proc.stdout.readline()
    proc.stdout.close()  # the reader has gone
    with proc.stderr:
        err = proc.stderr.read().decode()
    assert proc.wait() == 0 and err == ""


@pytest.mark.parametrize("script", sorted(p.name for p in (ROOT / "scripts").glob("slide_*.py")))
def test_slide_scripts_refuse_a_bad_argument_in_one_line(script):
    out = run(f"scripts/{script}", "--steps", "0", "--backend", "gpu")
    assert out.returncode == 2 and out.stdout == ""
    assert out.stderr.startswith(f"{script}: error: ") and out.stderr.count("\n") == 1


def test_auto_runs_numpy_for_a_small_job_and_the_kernels_for_a_large_one(monkeypatch):
    monkeypatch.delenv("NN_REF_BACKEND", raising=False)
    small, large = [64, 64, 10], [784, 256, 128, 10]  # digits at b = 64: 3e5; the MNIST MLP at b = 64: 1.5e7
    assert backend.for_job(None, small, 64) == "numpy"
    assert backend.for_job("auto", large, 64) == "auto"
    assert backend.for_job("cpu", small, 64) == "cpu"  # a named backend is never overridden
    assert backend.for_job(None, small, None) is None  # batch size unknown (full batch): the default stands
    per_sample = 64 * 64 + 64 * 10
    assert backend.for_job("auto", small, backend.AUTO_NUMPY_BELOW // per_sample) == "numpy"
    assert backend.for_job("auto", small, backend.AUTO_NUMPY_BELOW // per_sample + 1) == "auto"
    assert Trainer(small, output_activation="softmax", progress=False).backend == "numpy"
    assert Trainer(large, output_activation="softmax", progress=False).backend == "cpu"
    monkeypatch.setenv("NN_REF_BACKEND", "auto")
    assert Trainer(small, output_activation="softmax", progress=False).backend == "numpy"


def test_a_cold_cache_is_announced_in_one_line_and_changes_nothing(monkeypatch, capsys):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((3, 20))
    Y = (X[:1] > 0).astype(float)
    options = dict(optimizer="adam", batch_size=5, backend="cpu", progress=False, seed=1)
    quiet = Trainer([3, 4, 1], **options)
    quiet.fit(X, Y, 2)
    capsys.readouterr()
    K = quiet.K
    monkeypatch.setattr(K, "cache_warm", lambda: False)
    told = Trainer([3, 4, 1], **options)
    told.fit(X, Y, 2)
    err = capsys.readouterr().err
    assert err.startswith("nn-ref: compiling the cpu kernels once") and err.count("\n") == 1 and "done in" in err
    for key in quiet.parameters:  # the compile ran on a copy: same updates, same parameters
        np.testing.assert_array_equal(told.parameters[key], quiet.parameters[key])
    assert told.t == quiet.t and told.history["cost"] == quiet.history["cost"]


def test_warmup_fills_the_cache():
    from nn_ref.kernels import get_backend
    from nn_ref.train import warmup

    assert warmup("cpu", dtypes=("float64",)) > 0
    assert get_backend("cpu").cache_warm()


def test_gitignore_covers_what_the_docs_tell_users_to_create():
    ignored = subprocess.run(
        ["git", "check-ignore", "--no-index", "model.npz", "my-notebooks/01.ipynb", "site/index.html"],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert ignored.stdout.split() == ["model.npz", "my-notebooks/01.ipynb", "site/index.html"]


@pytest.mark.skipif(not hasattr(os, "getloadavg"), reason="no load average on this platform")
def test_bench_names_a_missing_pytorch_and_the_load():
    from nn_ref.bench import machine_line

    m = {"processor": "x", "cpus": 2, "platform": "p", "numba": "0", "numba_threads": 2, "torch": None,
         "torch_threads": None, "gpu": False, "load_before": (3.25, 1.0, 1.0)}  # fmt: skip
    line = machine_line(m)
    assert "PyTorch not installed" in line and "None" not in line and "load average 3.2" in line


INTERRUPTED_WRITE = """
import os, signal, sys, time
from nn_ref import cli
from nn_ref.figures import make

def verb(args):  # `nn-ref figures` stopped in the middle of an atomic write
    with make.atomic_paths(args.out, ["a.png"]) as (tmp,):
        with open(tmp, "w") as f:
            f.write("half a figure")
        print("writing", flush=True)
        os.kill(os.getpid(), getattr(signal, sys.argv[2]))
        time.sleep(120)  # never reached: the signal ends the write here

make.main = verb
sys.exit(cli.main(["figures", "--out", sys.argv[1]]))
"""


@pytest.mark.parametrize("sig, status", [("SIGINT", 130), ("SIGTERM", 143)])
def test_ctrl_c_and_sigterm_end_in_one_line_and_leave_the_old_file(tmp_path, sig, status):
    """Ctrl-C or `kill`: no traceback, one line, status 128 + signal; the file being replaced keeps its old
    bytes and no temporary stays behind."""
    (tmp_path / "a.png").write_bytes(b"the committed figure")
    out = subprocess.run(
        [sys.executable, "-c", INTERRUPTED_WRITE, str(tmp_path), sig],
        capture_output=True,
        text=True,
        cwd=ROOT,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),  # as a terminal's Ctrl-C finds it
    )
    assert out.returncode == status and out.stdout == "writing\n", out
    assert "Traceback" not in out.stderr and out.stderr.strip() == (
        "nn-ref figures: interrupted; files being written were left as they were"
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.png"]
    assert (tmp_path / "a.png").read_bytes() == b"the committed figure"


def test_the_bench_script_refuses_a_bad_argument_in_one_line():
    out = run("scripts/bench.py", "--gemm", "0")
    assert out.returncode == 2 and out.stdout == ""
    assert out.stderr == (
        "bench.py: error: argument --gemm: expected a positive integer, got '0' (see bench.py --help)\n"
    )
