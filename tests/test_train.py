"""The Trainer: digits to >= 96% test accuracy, bitwise-reproducible seeded runs (numpy and cpu backends),
history, schedules, batch norm, early stopping, save/load round trips and clean failures, divergence."""

import zipfile

import numpy as np
import pytest

from nn_ref import cli, datasets, schedules, train


def _require(backend):
    """Skip (with the reason) when the cpu backend does not import here."""
    if backend == "cpu":
        try:
            import nn_ref.kernels.cpu  # noqa: F401
        except ImportError as exc:
            pytest.skip(f"cpu backend does not import: {exc}")


@pytest.fixture(scope="module")
def digits_split():
    pytest.importorskip("sklearn")
    X, Y = datasets.digits()
    return datasets.train_test_split(X, Y, test_fraction=0.2, seed=0)


@pytest.mark.slow
def test_digits_64_128_10_softmax_reaches_96_percent(digits_split):
    X_tr, Y_tr, X_te, Y_te = digits_split
    tr = train.Trainer(
        [64, 128, 10],
        "relu",
        "softmax",
        optimizer="adam",
        learning_rate=1e-3,
        batch_size=64,
        seed=0,
        backend="numpy",
        progress=False,
    )
    h = tr.fit(X_tr, Y_tr, epochs=20, X_val=X_te, Y_val=Y_te)
    test_acc = tr.evaluate(X_te, Y_te)["accuracy"]
    assert test_acc >= 0.96
    assert test_acc == h["val_accuracy"][-1]
    assert np.mean(tr.predict(X_te) == Y_te.argmax(axis=0)) == test_acc
    assert h["epoch_cost"][-1] < 0.2 * h["epoch_cost"][0]
    assert len(h["cost"]) == len(h["lr"]) == len(h["accuracy"]) == 20 * int(np.ceil(X_tr.shape[1] / 64))
    assert len(h["val_cost"]) == 20


@pytest.mark.parametrize("backend", ["numpy", "cpu"])
def test_seeded_runs_reproduce_bitwise(backend, digits_split):
    _require(backend)
    X_tr, Y_tr, _, _ = digits_split
    runs = []
    for _ in range(2):
        tr = train.Trainer(
            [64, 32, 10],
            "relu",
            "softmax",
            optimizer="adam",
            learning_rate=1e-3,
            batch_size=50,
            batch_multiplier=2,
            batchnorm=True,
            seed=3,
            backend=backend,
            progress=False,
        )
        h = tr.fit(X_tr, Y_tr, epochs=2)
        runs.append((tr._host_state(), h["cost"]))
    (s1, c1), (s2, c2) = runs
    assert c1 == c2
    for key in s1:
        np.testing.assert_array_equal(s1[key], s2[key])


def test_cpu_backend_agrees_with_numpy(digits_split):
    _require("cpu")
    X_tr, Y_tr, _, _ = digits_split
    states = []
    for backend in ("numpy", "cpu"):
        tr = train.Trainer(
            [64, 32, 10],
            "relu",
            "softmax",
            optimizer="momentum",
            learning_rate=0.1,
            batch_size=64,
            seed=1,
            backend=backend,
            progress=False,
        )
        tr.fit(X_tr, Y_tr, epochs=1)
        states.append(tr._host_state())
    for key in states[0]:
        np.testing.assert_allclose(states[1][key], states[0][key], rtol=1e-10, atol=1e-12)


def test_history_records_the_schedule_per_update():
    X, Y = datasets.blobs(m=100, seed=0)
    sched = schedules.cosine(0.5, 20)
    tr = train.Trainer(
        [2, 4, 1], "tanh", "sigmoid", learning_rate=sched, batch_size=10, progress=False, backend="numpy"
    )
    h = tr.fit(X, Y, epochs=2)
    np.testing.assert_allclose(h["lr"], [sched(t) for t in range(20)], rtol=1e-15)
    assert tr.t == 20 and h["val_cost"] == []
    assert tr.evaluate(X, Y)["accuracy"] >= 0.95


def test_batchnorm_network_trains_and_uses_running_statistics_in_eval():
    X, Y = datasets.flower(m=400, seed=0)
    tr = train.Trainer(
        [2, 16, 16, 1],
        "tanh",
        "sigmoid",
        optimizer="adam",
        learning_rate=0.02,
        batch_size=32,
        batchnorm=True,
        seed=0,
        backend="numpy",
        progress=False,
    )
    tr.fit(X, Y, epochs=30)
    assert tr.evaluate(X, Y)["accuracy"] >= 0.85
    # eval mode: a sample's prediction does not depend on the rest of the batch
    np.testing.assert_array_equal(tr.predict(X[:, :1]), tr.predict(X)[:, :1])
    assert not np.allclose(tr.bn_params[0]["running_mean"], 0)


def test_early_stopping_restores_the_best_epoch():
    X, Y = datasets.blobs(m=200, seed=0)
    X_tr, Y_tr, X_va, Y_va = datasets.train_test_split(X, Y, 0.5, seed=0)
    tr = train.Trainer(
        [2, 64, 1],
        "relu",
        "sigmoid",
        optimizer="sgd",
        learning_rate=2.0,
        batch_size=1,
        seed=0,
        backend="numpy",
        progress=False,
    )
    h = tr.fit(X_tr, Y_tr, epochs=200, X_val=X_va, Y_val=Y_va, early_stopping=3)
    stopped = h["stopped_epoch"]
    assert stopped < 200 and len(h["val_cost"]) == stopped
    best = int(np.argmin(h["val_cost"]))
    assert stopped == best + 1 + 3  # 3 epochs without improvement after the best
    assert tr.evaluate(X_va, Y_va)["cost"] == pytest.approx(h["val_cost"][best], rel=1e-12)
    with pytest.raises(ValueError, match="validation"):
        tr.fit(X_tr, Y_tr, epochs=1, early_stopping=2)


@pytest.mark.parametrize("batchnorm", [False, True])
def test_save_load_round_trip_is_exact(tmp_path, batchnorm):
    X, Y = datasets.spirals(m=150, n_classes=3, seed=0)
    tr = train.Trainer(
        [2, 8, 3],
        "relu",
        "softmax",
        optimizer="adam",
        learning_rate=0.01,
        batch_size=30,
        batchnorm=batchnorm,
        seed=0,
        backend="numpy",
        progress=False,
    )
    tr.fit(X, Y, epochs=3)
    path = tmp_path / "sub" / "model.npz"
    tr.save(path)
    assert sorted(p.name for p in path.parent.iterdir()) == ["model.npz"]  # no temporary left behind
    back = train.Trainer.load(path, backend="numpy", progress=False)
    assert back.layer_dims == [2, 8, 3] and back.output_activation == "softmax" and back.batchnorm == batchnorm
    s1, s2 = tr._host_state(), back._host_state()
    assert s1.keys() == s2.keys()
    for key in s1:
        np.testing.assert_array_equal(s1[key], s2[key])
    np.testing.assert_array_equal(back.predict(X), tr.predict(X))
    other = train.Trainer([2, 8, 3], "relu", "softmax", batchnorm=batchnorm, seed=9, backend="numpy", progress=False)
    other.load_parameters(path)
    np.testing.assert_array_equal(other.predict(X), tr.predict(X))


def test_corrupt_and_mismatched_files_fail_cleanly(tmp_path):
    tr = train.Trainer([3, 4, 1], progress=False, backend="numpy")
    good = tmp_path / "good.npz"
    tr.save(good)
    with pytest.raises(ValueError, match=r"layer dims \[3, 4, 1\] in the file, expected \[3, 5, 1\]"):
        train.Trainer([3, 5, 1], progress=False, backend="numpy").load_parameters(good)
    with pytest.raises(ValueError, match="output_activation"):
        train.Trainer([3, 4, 1], output_activation="linear", progress=False, backend="numpy").load_parameters(good)
    corrupt = tmp_path / "corrupt.npz"
    corrupt.write_bytes(good.read_bytes()[: len(good.read_bytes()) // 2])
    with pytest.raises(ValueError, match="not a readable nn-ref model file"):
        train.Trainer.load(corrupt)
    (tmp_path / "text.npz").write_text("hello")
    with pytest.raises(ValueError, match="not a readable nn-ref model file"):
        train.load_model(tmp_path / "text.npz")
    foreign = tmp_path / "foreign.npz"
    np.savez(foreign, W1=np.zeros((4, 3)))
    with pytest.raises(ValueError, match="not an nn-ref model file"):
        train.load_model(foreign)
    # a file whose arrays disagree with its own layer dims
    with np.load(good) as data:
        arrays = {k: data[k] for k in data.files}
    arrays["W1"] = np.zeros((4, 7))
    bad = tmp_path / "bad.npz"
    np.savez(bad, **arrays)
    with pytest.raises(ValueError, match=r"W1 has shape \(4, 7\), expected \(4, 3\)"):
        train.Trainer.load(bad)
    del arrays["W1"]
    np.savez(bad, **arrays)
    with pytest.raises(ValueError, match="lacks W1"):
        train.load_model(bad)
    with pytest.raises(FileNotFoundError):
        train.load_model(tmp_path / "missing.npz")
    assert zipfile.is_zipfile(good)


def test_too_large_learning_rate_trips_the_divergence_error():
    X, Y = datasets.square(m=100, seed=0)
    tr = train.Trainer(
        [1, 10, 1],
        "relu",
        "linear",
        optimizer="sgd",
        learning_rate=50.0,
        batch_size=None,
        seed=0,
        backend="numpy",
        progress=False,
    )
    with pytest.raises(train.DivergenceError, match=r"update \d+ .*learning rate 50.*layer \d") as info:
        tr.fit(X, Y, epochs=500)
    # it stops as soon as the epoch's cost passes DIVERGENCE_FACTOR x the first cost, before any inf/NaN
    assert f"exceeds {train.DIVERGENCE_FACTOR:g} x" in str(info.value)
    assert all(np.isfinite(tr.history["cost"])) and len(tr.history["cost"]) < 10
    # a NaN in the second layer's weights is named as such, before any update runs on with it
    tr = train.Trainer([1, 10, 4, 1], "relu", "linear", seed=0, backend="numpy", progress=False)
    tr.parameters["W2"][1, 2] = np.nan
    with pytest.raises(train.DivergenceError, match=r"update 0 .*learning rate 0.01.*layer 2 \(W2 has non-finite"):
        tr.fit(X, Y, epochs=1)


def test_progress_bar_writes_only_when_on(capsys):
    X, Y = datasets.blobs(m=40, seed=0)
    train.Trainer([2, 1], progress=False, backend="numpy").fit(X, Y, epochs=2)
    assert capsys.readouterr().err == ""
    train.Trainer([2, 1], progress=True, backend="numpy").fit(X, Y, epochs=2)
    assert "train" in capsys.readouterr().err


def test_bad_data_shapes_are_named():
    tr = train.Trainer([3, 2, 1], progress=False, backend="numpy")
    with pytest.raises(ValueError, match=r"X: expected shape \(3, any\), got \(2, 5\)"):
        tr.fit(np.zeros((2, 5)), np.zeros((1, 5)))
    with pytest.raises(ValueError, match=r"Y: expected shape \(1, 5\), got \(5,\)"):
        tr.fit(np.zeros((3, 5)), np.zeros(5))


def test_cli_train_then_evaluate(tmp_path, capsys):
    model = tmp_path / "m.npz"
    assert (
        cli.main(
            [
                "train",
                "--dataset",
                "blobs",
                "--layers",
                "2,8,1",
                "--optimizer",
                "momentum",
                "--lr",
                "0.1",
                "--epochs",
                "3",
                "--batch-size",
                "16",
                "--batch-multiplier",
                "2",
                "--schedule",
                "cosine",
                "--backend",
                "numpy",
                "--no-progress",
                "--save",
                str(model),
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "test accuracy" in out and model.exists()
    trained = train.Trainer.load(model, backend="numpy", progress=False)
    X_tr, Y_tr, X_te, Y_te, output = cli.load_split("blobs")
    assert output == "sigmoid"
    expected = trained.evaluate(X_te, Y_te)["accuracy"]
    assert f"test accuracy {expected:.4f}" in out
    assert expected >= 0.9
    assert cli.main(["evaluate", "--load", str(model), "--dataset", "blobs", "--backend", "numpy"]) == 0
    assert f"test accuracy {expected:.4f}" in capsys.readouterr().out
    assert cli.main(["evaluate", "--load", str(model), "--dataset", "ball", "--backend", "numpy"]) == 2
    assert "nn-ref evaluate: error:" in capsys.readouterr().err
    assert cli.main(["train", "--dataset", "moons", "--layers", "3,1", "--no-progress", "--backend", "numpy"]) == 2
    assert "expected n0 = 2" in capsys.readouterr().err


@pytest.mark.parametrize("name", cli.CLI_SCHEDULES)  # the registry: nn_ref.schedules.BY_NAME
def test_cli_schedules_are_sized_to_the_run(name):
    s = cli.cli_schedule(name, 0.1, total_updates=100, updates_per_epoch=10)
    assert s(0) == pytest.approx(0.01 if name == "cyclical" else 0.1, rel=1e-12)
    end = {
        "none": 0.1,
        "inverse": 0.1 / 11,
        "exponential": 0.001,
        "polynomial": 0.0,
        "multistep": 0.001,
        "cosine": 0.0,
        "cyclical": 0.01 + 0.09 / 2**4,
    }
    at = 100 if name != "cyclical" else 20 + 40 * 4  # cyclical: the peak of the 5th cycle (step 20)
    assert s(at) == pytest.approx(end[name], rel=1e-12, abs=1e-15)


_CUDASIM_SCRIPT = """
import numpy as np
from nn_ref import datasets, train
X, Y = datasets.spirals(m=40, n_classes=3, seed=0)
states = {}
for backend in ("numpy", "cuda"):
    tr = train.Trainer([2, 4, 3], "tanh", "softmax", optimizer="momentum", learning_rate=0.1, batch_size=10,
                       batch_multiplier=2, batchnorm=True, seed=0, backend=backend, progress=False)
    tr.fit(X, Y, epochs=1)
    states[backend] = tr._host_state()
    if backend == "cuda":    # parameters and BN statistics stayed on the device
        arrays = list(tr.parameters.values()) + [p[k] for p in tr.bn_params for k in ("running_mean", "running_var")]
        assert not any(isinstance(a, np.ndarray) for a in arrays), [type(a) for a in arrays]
for key in states["numpy"]:
    np.testing.assert_allclose(states["cuda"][key], states["numpy"][key], rtol=1e-10, atol=1e-13, err_msg=key)
print("OK", len(states["numpy"]))
"""


def test_cuda_backend_training_on_the_simulator_matches_numpy():
    """The cuda backend (numba's CUDA simulator: a fresh process with NUMBA_ENABLE_CUDASIM=1) keeps the
    parameters on the device and gives numpy's parameters after accumulated, batch-normalized updates."""
    import os
    import subprocess
    import sys

    env = dict(os.environ, NUMBA_ENABLE_CUDASIM="1")
    probe = subprocess.run(
        [sys.executable, "-c", "import nn_ref.kernels.cuda"], env=env, capture_output=True, text=True
    )
    if probe.returncode != 0:
        pytest.skip(f"cuda backend does not import on the simulator: {probe.stderr.strip().splitlines()[-1:]}")
    run = subprocess.run([sys.executable, "-c", _CUDASIM_SCRIPT], env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    assert run.stdout.startswith("OK 8")


@pytest.mark.parametrize("backend", ["numpy", "cpu"])
def test_fused_train_step_gives_the_same_run(backend, tmp_path):
    _require(backend)
    X, Y = datasets.spirals(m=120, n_classes=3, seed=1)
    runs = []
    for fused in (False, True):
        tr = train.Trainer(
            [2, 8, 3],
            "tanh",
            "softmax",
            optimizer="sgd",
            learning_rate=schedules.inverse(0.5, 0.01),
            batch_size=25,
            seed=2,
            backend=backend,
            progress=False,
            fused=fused,
        )
        h = tr.fit(X, Y, epochs=3)
        runs.append((tr, h))
    (plain, hp), (fused, hf) = runs
    np.testing.assert_allclose(hf["cost"], hp["cost"], rtol=1e-10)
    assert hf["lr"] == hp["lr"]
    # the fused step returns only the cost; on numpy there is nothing to fuse and the per-layer code runs
    assert np.all(np.isnan(hf["accuracy"])) == (backend != "numpy")
    for key in plain.parameters:
        np.testing.assert_allclose(fused._host_state()[key], plain._host_state()[key], rtol=1e-10, atol=1e-14)
    fused.save(tmp_path / "f.npz")  # views into theta save and load like any parameters
    back = train.Trainer.load(tmp_path / "f.npz", backend=backend, progress=False, fused=True)
    np.testing.assert_array_equal(back.predict(X), plain.predict(X))
    with pytest.raises(ValueError, match="batch_multiplier 2.*batchnorm"):
        train.Trainer([2, 3, 1], optimizer="adam", batch_multiplier=2, batchnorm=True, fused=True, backend=backend)


def test_fit_function_and_per_update_callback_trace_the_sgd_path():
    X, Y = datasets.linear()
    path = []
    trainer, h = train.fit(
        X,
        Y,
        [1, 1],
        epochs=2,
        output_activation="linear",
        init="zeros",
        optimizer="sgd",
        learning_rate=schedules.inverse(5 / 50, 1 / 50),
        batch_size=1,
        backend="numpy",
        progress=False,
        callback=lambda tr: path.append((tr.t, float(tr.parameters["b1"][0, 0]), float(tr.parameters["W1"][0, 0]))),
    )
    assert [t for t, _, _ in path] == list(range(1, 201)) and len(h["cost"]) == 200
    assert path[-1][1:] == (float(trainer.parameters["b1"][0, 0]), float(trainer.parameters["W1"][0, 0]))
    assert abs(path[-1][1] - 4) < 0.7 and abs(path[-1][2] - 3) < 0.7  # y = 4 + 3x + noise
    np.testing.assert_allclose(h["lr"][:3], [0.1 / (1 + t / 50) for t in range(3)], rtol=1e-14)


@pytest.mark.parametrize(
    "options, words",
    [
        (dict(layer_dims=[3, 4, 1], output_activation="softmax"), ["output_activation", "n[L] >= 2", "n[L] = 1"]),
        (dict(layer_dims=[3, 4, 1], hidden_activation="leaky_relu", alpha=5.0), ["alpha", "[0, 1)", "5.0"]),
        (dict(layer_dims=[2, 10**6, 10**6, 1]), ["layer_dims", "1e+12 parameters", "GB of memory available"]),
    ],
)
def test_trainer_refuses_at_construction(options, words):
    """Refused before any allocation or update: a 1-unit softmax (cost 0 whatever it learns), a leaky-ReLU slope
    outside [0, 1), a network larger than the memory (1e12 parameters: on any machine)."""
    with pytest.raises((ValueError, MemoryError)) as info:
        train.Trainer(progress=False, backend="numpy", **options)
    for w in words:
        assert w in str(info.value), str(info.value)


def test_memory_estimate_counts_parameters_gradients_and_optimizer_state(monkeypatch):
    count = 4 * (3 + 1) + 1 * (4 + 1)  # [3, 4, 1]: 21 parameters
    monkeypatch.setattr(train, "available_memory", lambda: count * 8 * 4)  # room for 4 float64 copies
    train.check_fits_memory([3, 4, 1], np.float64, "adam")  # parameters, gradients, m, v: 4 copies fit
    train.check_fits_memory([3, 4, 1], np.float32, "adam")
    monkeypatch.setattr(train, "available_memory", lambda: count * 8 * 4 - 1)
    with pytest.raises(MemoryError, match="layer_dims: 21 parameters need .*4 copies in float64"):
        train.check_fits_memory([3, 4, 1], np.float64, "adam")
    train.check_fits_memory([3, 4, 1], np.float64, "sgd")  # 2 copies
