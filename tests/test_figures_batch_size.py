"""Honesty checks of the batch-size figures (figures.md), on the data each figure returns."""

import numpy as np
import pytest
from _figcache import run_figure


def _f(x):
    return -np.exp(-((x + 2) ** 2) / 1.28) - 1.2 * np.exp(-((x - 2) ** 2) / 0.045)


def test_flat_vs_sharp_minima():
    _, data = run_figure("flat_vs_sharp_minima")
    flat, sharp = data["minima"]["flat"], data["minima"]["sharp"]
    assert flat["converged"] and sharp["converged"]
    assert flat["x"] == pytest.approx(-2, abs=1e-3) and sharp["x"] == pytest.approx(2, abs=1e-3)
    h = 1e-6
    for m in (flat, sharp):  # a minimum of the training function
        assert abs((_f(m["x"] + h) - _f(m["x"] - h)) / (2 * h)) < 1e-6
        assert m["f_train"] == pytest.approx(_f(m["x"]), abs=1e-12)
        assert m["f_test"] == pytest.approx(_f(m["x"] - 0.25), abs=1e-12)  # test function = shifted by 0.25
    gap_flat = flat["f_test"] - flat["f_train"]
    gap_sharp = sharp["f_test"] - sharp["f_train"]
    assert gap_flat > 0 and gap_sharp >= 5 * gap_flat


def test_noise_scale_equals_the_formula_and_the_measurement():
    _, data = run_figure("noise_scale")
    N, B_grid = data["N"], data["B_grid"]
    assert N == 100
    for eps in data["epsilons"]:
        np.testing.assert_allclose(data["g"][eps], eps * (N / B_grid - 1), rtol=1e-12)
        np.testing.assert_allclose(data["g_approx"][eps], eps * N / B_grid, rtol=1e-12)
        small = B_grid < N / 20  # g ~ eps N / B when B << N
        np.testing.assert_allclose(data["g"][eps][small], data["g_approx"][eps][small], rtol=0.06)
    # the noise measured from nn-ref's mini-batch gradients follows (N/B - 1) (sampling error of the draws)
    np.testing.assert_allclose(data["measured_g_over_eps"], N / data["B"] - 1, rtol=0.25)


def test_sgd_paths_lengths_and_updates():
    _, data = run_figure("sgd_paths")
    paths = data["paths"]
    length = {k: np.sum(np.linalg.norm(np.diff(p, axis=0), axis=1)) for k, p in paths.items()}
    assert length["Stochastic"] > length["Mini-batch"] > length["Batch"]
    for p in paths.values():  # one start for all three
        np.testing.assert_array_equal(p[0], paths["Batch"][0])
    m = 100  # updates: epochs * ceil(m / batch)
    assert (len(paths["Stochastic"]) - 1) % m == 0
    assert (len(paths["Mini-batch"]) - 1) % (m // 20) == 0
    # batch GD with a constant step reaches the least-squares solution
    np.testing.assert_allclose(paths["Batch"][-1], data["theta_star"], atol=1e-3)
    # the drawn first updates: SGD's zig-zag is longer than batch GD's straight path over the same updates
    first = data["key_numbers"]["path_length_first_40_updates"]
    for name, p in paths.items():
        assert first[name] == pytest.approx(np.sum(np.linalg.norm(np.diff(p[:41], axis=0), axis=1)), rel=1e-12)
    assert first["Stochastic"] > first["Batch"]


def test_effective_minibatch_accumulation_equals_the_large_batch():
    _, data = run_figure("effective_minibatch")
    a, b, c = (data["runs"][k] for k in ("(a) batch 32", "(b) batch 32 × multiplier 8", "(c) batch 256"))
    m, epochs = data["m_train"], data["key_numbers"]["epochs"]
    assert b["updates"] == c["updates"] == epochs * -(-m // 256)
    assert a["updates"] == epochs * -(-m // 32)
    for key, value in c["parameters"].items():
        assert value.dtype == np.float64
        np.testing.assert_allclose(b["parameters"][key], value, rtol=1e-10, atol=1e-12)
    differs = max(np.max(np.abs(a["parameters"][k] - v)) for k, v in c["parameters"].items())
    assert differs > 1e-3
    np.testing.assert_allclose(b["cost"], c["cost"], rtol=1e-10)  # the same loss at every update


def test_lr_decay_vs_batch_increase_updates_and_final_losses():
    _, data = run_figure("lr_decay_vs_batch_increase")
    N, epochs, milestones = data["N"], data["epochs"], data["milestones"]
    b0, factor = data["batch_size"], data["factor"]
    decay, increase = data["runs"]["lr decay"], data["runs"]["batch increase"]
    # the analytic update counts: ceil(N / b) updates per epoch (the last partial batch is kept)
    batches = [min(N, b0 * factor ** sum(e >= m for m in milestones)) for e in range(epochs)]
    assert increase["batch"].tolist() == batches
    assert np.diff(increase["updates"]).tolist() == [-(-N // b) for b in batches]
    assert decay["updates"][-1] == epochs * -(-N // b0)
    assert increase["updates"][-1] < decay["updates"][-1] / 2
    # decay: the learning rate divided by the factor at each milestone
    lrs = [decay["lr"][0] / factor ** sum(e >= m for m in milestones) for e in range(epochs)]
    np.testing.assert_allclose(decay["lr"], lrs, rtol=1e-12)
    assert np.all(increase["lr"] == increase["lr"][0])
    # final losses close (the slide: near-identical performance after the same number of epochs)
    final_d, final_i = decay["train_cost"][-1], increase["train_cost"][-1]
    assert abs(final_d - final_i) < 0.2 * max(final_d, final_i)
    assert abs(decay["test_accuracy"][-1] - increase["test_accuracy"][-1]) < 0.02
    # >= 5 seeds: the final losses stay close in every seed
    assert len(data["seed_runs"]) >= 5
    for r in data["seed_runs"]:
        d, i = r["lr decay"]["train_cost"][-1], r["batch increase"]["train_cost"][-1]
        assert abs(d - i) < 0.2 * max(d, i)
