"""Honesty checks of the learning-rate figures (figures.md), on the data each figure returns."""

import numpy as np
import pytest
from _figcache import run_figure
from matplotlib.text import Text


def test_lr_too_small_good_large():
    fig, data = run_figure("lr_too_small_good_large")
    # for J = theta^2 the optimal rate is 0.5 (theta = 0 after one step); 0.3 is called good, never optimum
    assert data["key_numbers"]["optimal_eta"] == 0.5
    assert -3.0 - 0.5 * 2 * -3.0 == 0.0
    texts = [t.get_text() for t in fig.findobj(Text)]
    assert not any("ptim" in t and "0.3" in t for t in texts)
    assert any("0.5" in t and "optimal" in t for t in texts)
    runs = data["runs"]
    for eta, run in runs.items():  # each iterate is one GD step on J = theta^2: theta <- (1 - 2 eta) theta
        theta = run["theta"]
        assert len(theta) == 11
        np.testing.assert_allclose(theta[1:], (1 - 2 * eta) * theta[:-1], rtol=1e-12)
        np.testing.assert_allclose(run["J"], theta**2, rtol=1e-12)
    J = runs[1.05]["J"]
    assert np.all(np.diff(J) > 0)  # too large: the cost rises every step
    J = runs[0.05]["J"]
    assert np.all(np.diff(J) < 0) and J[-1] > 0.1 * J[0]  # too small: falls, slowly
    J = runs[0.3]["J"]
    assert J[-1] < 1e-6 * J[0]  # good


def test_lr_decay_schedules_closed_forms():
    _, data = run_figure("lr_decay_schedules")
    t = data["t"].astype(float)
    assert t[0] == 0 and t[-1] == 100
    a0 = 0.1
    expected = {
        "inverse": a0 / (1 + 0.1 * t),
        "exponential": a0 * np.exp(-0.05 * t),
        "polynomial, n = 1": a0 * (1 - t / 100),
        "polynomial, n = 2": a0 * (1 - t / 100) ** 2,
        "multi-step": a0 * 0.1 ** ((t >= 30).astype(int) + (t >= 60) + (t >= 90)),
        "cosine": a0 * 0.5 * (1 + np.cos(np.pi * t / 100)),
    }
    curves = data["curves"]
    assert len(curves) == len(expected)
    for prefix, want in expected.items():
        label = next(k for k in curves if k.startswith(prefix))
        np.testing.assert_allclose(curves[label], want, rtol=1e-12, atol=1e-15)
    for prefix in ("polynomial, n = 1", "polynomial, n = 2"):
        assert curves[next(k for k in curves if k.startswith(prefix))][-1] == 0.0
    multi = curves[next(k for k in curves if k.startswith("multi-step"))]
    drops = np.flatnonzero(np.diff(multi) < 0) + 1
    assert drops.tolist() == [30, 60, 90]
    assert data["key_numbers"]["multistep_drops"] == 3
    fig, _ = run_figure("lr_decay_schedules")  # multi-step drawn as steps: a vertical drop at t = 30
    line = next(ln for ln in fig.axes[0].lines if ln.get_label().startswith("multi-step"))
    assert line.get_drawstyle() == "steps-post"


def test_clr_triangular():
    _, data = run_figure("clr_triangular")
    t, curves = data["t"], data["curves"]
    base, top, step = 0.001, 0.006, 2000
    assert t[-1] == 12000
    for mode in ("triangular", "triangular2"):
        lr = curves[mode]
        assert lr[0] == pytest.approx(base, rel=1e-12)
        assert lr[step] == pytest.approx(top, rel=1e-12)
        assert lr[2 * step] == pytest.approx(base, rel=1e-12)
    for k in (1, 2, 3):  # triangular2: peak of cycle k = base + (max - base) / 2^(k-1)
        assert curves["triangular2"][(2 * k - 1) * step] == pytest.approx(base + (top - base) / 2 ** (k - 1), rel=1e-12)
        assert curves["triangular"][(2 * k - 1) * step] == pytest.approx(top, rel=1e-12)
    # exp_range: Smith's formula, amplitude times gamma^t
    cycle = np.floor(1 + t / (2 * step))
    x = np.abs(t / step - 2 * cycle + 1)
    want = base + (top - base) * np.maximum(0, 1 - x) * 0.99994**t
    np.testing.assert_allclose(curves["exp_range"], want, rtol=1e-12)


def test_clr_table_rows_come_from_the_runs():
    _, data = run_figure("clr_table")
    runs, rows, budget = data["runs"], data["rows"], data["budget"]
    lecture = {(d, p, i): a for d, p, i, a in data["lecture_rows"]}
    assert len(data["lecture_rows"]) == 14
    assert lecture[("CIFAR-10", "triangular2", 25_000)] == 81.4 and lecture[("GoogLeNet", "exp_range", 240_000)] == 60.2
    assert [r["policy"] for r in rows] == ["fixed", "triangular2", "exp", "exp_range"]
    # each run followed its policy: the lr of every update equals the closed form at t
    base, top, step, gamma = data["base_lr"], data["max_lr"], data["step"], data["gamma"]
    for policy, run in runs.items():
        t = np.arange(run["updates"], dtype=float)
        cycle = np.floor(1 + t / (2 * step))
        tri = np.maximum(0, 1 - np.abs(t / step - 2 * cycle + 1))
        want = {
            "fixed": np.full_like(t, base),
            "triangular2": base + (top - base) * tri / 2 ** (cycle - 1),
            "exp": base * gamma**t,
            "exp_range": base + (top - base) * tri * gamma**t,
        }[policy]
        np.testing.assert_allclose(run["lr"], want, rtol=1e-9)
        assert run["updates"] == budget == run["iterations"][-1]
    # the rows recomputed from the saved test-accuracy histories
    target = runs["fixed"]["test_accuracy"][-1]
    assert data["target"] == target
    for row in rows:
        acc, its = runs[row["policy"]]["test_accuracy"], runs[row["policy"]]["iterations"]
        hits = np.flatnonzero(acc >= target)
        if row["policy"] != "fixed" and hits.size:
            assert row["iterations"] == its[hits[0]] and row["accuracy"] == acc[hits[0]] >= target
        else:
            assert row["iterations"] == budget and row["accuracy"] == acc[-1]
        assert row["final_accuracy"] == acc[-1]
        assert row["first_hit"] == (its[hits[0]] if hits.size else None)
    # the headline compares with the fixed policy's own first hit of its final accuracy, not its budget
    fixed_first = [r[0]["first_hit"] for r in data["seed_rows"]]
    assert all(f <= budget for f in fixed_first)
    best = data["key_numbers"]["fastest_policy"]
    speedup = np.mean(fixed_first) / data["summary"][best]["iterations_to_target_mean"]
    assert data["key_numbers"]["speedup_vs_fixed_first_hit"] == pytest.approx(speedup, rel=1e-12)
    assert f"{speedup:.1f}× sooner than fixed itself" in data["title"]
    # the lecture's table is drawn as quoted
    assert [c[1] for c in data["table_cells"]] == [p for _, p, _, _ in data["lecture_rows"]]
    # the claim rests on >= 5 seeds: the summary is the mean / std over the per-seed rows
    seed_rows, summary = data["seed_rows"], data["summary"]
    assert len(seed_rows) >= 5 and len(data["seed_runs"]) == len(seed_rows)
    for j, policy in enumerate(["fixed", "triangular2", "exp", "exp_range"]):
        finals = [r[j]["final_accuracy"] for r in seed_rows]
        assert summary[policy]["final_accuracy_mean"] == pytest.approx(np.mean(finals), rel=1e-12)
        assert summary[policy]["final_accuracy_std"] == pytest.approx(np.std(finals, ddof=1), rel=1e-12, abs=1e-15)
    assert data["seed_rows"][0] == rows
