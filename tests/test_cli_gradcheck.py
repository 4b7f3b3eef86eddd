"""``nn-ref gradcheck``: the table, and the exit status 0 / 1 / 2."""

import os
import subprocess
import sys

import pytest

from nn_ref import cli, network


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["--layers", "4,5,3,3", "--output", "softmax", "--seed", "3"],
        ["--layers", "3,6,2", "--output", "linear", "--hidden", "tanh", "--m", "8"],
        ["--layers", "2,4,1", "--hidden", "leaky_relu", "--order", "2", "--eps", "1e-6"],
    ],
)
def test_gradcheck_passes_and_prints_the_table(argv, capsys):
    assert cli.main(["gradcheck", *argv]) == 0
    out = capsys.readouterr().out
    layers = [int(t) for t in (argv[argv.index("--layers") + 1] if "--layers" in argv else "4,5,3,1").split(",")]
    for l in range(1, len(layers)):
        assert any(line.split()[:2] == [f"W{l}", f"{layers[l]}x{layers[l - 1]}"] for line in out.splitlines())
        assert any(line.startswith(f"b{l} ") and line.rstrip().endswith("pass") for line in out.splitlines())
    assert "all pass" in out and "FAIL" not in out


def test_gradcheck_exits_1_when_backprop_is_wrong(monkeypatch, capsys):
    right = network.backward

    def broken(AL, Y, caches, loss="cross_entropy", backend=None):
        grads = right(AL, Y, caches, loss, backend)
        grads["dW2"] = grads["dW2"] * 1.01  # a 1% bug in one array
        return grads

    monkeypatch.setattr(network, "backward", broken)
    assert cli.main(["gradcheck", "--layers", "4,5,3,1"]) == 1
    out = capsys.readouterr().out
    fails = [row[0] for row in map(str.split, out.splitlines()) if len(row) > 3 and "/" in row[2] and row[-1] == "FAIL"]
    assert fails == ["W2"]


def test_gradcheck_bad_arguments_exit_2(capsys):
    assert cli.main(["gradcheck", "--layers", "4,1", "--output", "softmax"]) == 2
    assert "softmax output needs" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:
        cli.main(["gradcheck", "--layers", "4,x"])
    assert exc.value.code == 2


def test_console_entry_point_help_and_exit_status(tmp_path):
    env = dict(os.environ, NN_REF_BACKEND="numpy")
    run = lambda *a: subprocess.run(
        [sys.executable, "-m", "nn_ref.cli", *a], capture_output=True, text=True, cwd=tmp_path, env=env, timeout=120
    )
    helped = run("gradcheck", "--help")
    assert helped.returncode == 0 and "--layers" in helped.stdout and "--output" in helped.stdout
    done = run("gradcheck", "--layers", "3,4,1", "--seed", "2")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "all pass" in done.stdout
