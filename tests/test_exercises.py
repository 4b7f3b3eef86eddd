"""nn_ref.exercises: every reference passes its own check; planted wrong versions fail, and the
message names the bug (the phrase a student would read)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nn_ref import exercises
from nn_ref.exercises import EXERCISES, CheckResult, check, exercise, reference


@pytest.fixture(autouse=True)
def _student_mode(monkeypatch):
    monkeypatch.delenv(exercises.SOLUTIONS_ENV, raising=False)


def _sig(Z):
    return 1 / (1 + np.exp(-Z))


def _stable_sig(Z):
    return np.where(Z >= 0, 1 / (1 + np.exp(-np.abs(Z))), np.exp(-np.abs(Z)) / (1 + np.exp(-np.abs(Z))))


# ---------------------------------------------------------------------------- planted bugs


def sigmoid_unstable(Z):
    return np.exp(Z) / (1 + np.exp(Z)), Z


def sigmoid_sign(Z):
    return _stable_sig(-Z), Z


def sigmoid_no_cache(Z):
    return _stable_sig(Z)


def sigmoid_backward_from_A(dA, cache):
    s = _stable_sig(_stable_sig(cache))
    return dA * s * (1 - s)


def sigmoid_backward_s(dA, cache):
    return dA * _stable_sig(cache)


def sigmoid_backward_sign(dA, cache):
    s = _stable_sig(cache)
    return -dA * s * (1 - s)


def tanh_backward_linear(dA, cache):
    return dA * (1 - np.tanh(cache))


def tanh_backward_from_A(dA, cache):
    return dA * (1 - np.tanh(np.tanh(cache)) ** 2)


def relu_backward_no_mask(dA, cache):
    return dA.copy()


def relu_backward_ge(dA, cache):
    return dA * (cache >= 0)


def relu_backward_raises(dA, cache):
    Z = cache
    return dA @ Z  # (n, m) @ (n, m): a shape error


def softmax_naive(Z):
    A = np.exp(Z) / np.exp(Z).sum(axis=0, keepdims=True)
    return A, A


def softmax_axis1(Z):
    e = np.exp(Z - Z.max(axis=1, keepdims=True))
    A = e / e.sum(axis=1, keepdims=True)
    return A, A


def linear_forward_no_bias(A_prev, W, b):
    return W @ A_prev, (A_prev, W, b)


def linear_backward_no_1_over_m(dZ, cache):
    A_prev, W, b = cache
    return W.T @ dZ, dZ @ A_prev.T, dZ.sum(axis=1, keepdims=True)


def linear_backward_double_1_over_m(dZ, cache):
    A_prev, W, b = cache
    m = A_prev.shape[1]
    return W.T @ dZ, dZ @ A_prev.T / m / m, dZ.sum(axis=1, keepdims=True) / m


def linear_backward_transposed(dZ, cache):
    A_prev, W, b = cache
    m = A_prev.shape[1]
    return W.T @ dZ, A_prev @ dZ.T / m, dZ.sum(axis=1, keepdims=True) / m


def linear_backward_db_flat(dZ, cache):
    A_prev, W, b = cache
    m = A_prev.shape[1]
    return W.T @ dZ, dZ @ A_prev.T / m, dZ.sum(axis=1) / m


def linear_backward_sign(dZ, cache):
    A_prev, W, b = cache
    m = A_prev.shape[1]
    return -(W.T @ dZ), dZ @ A_prev.T / m, dZ.sum(axis=1, keepdims=True) / m


def cost_naive_log(AL, Y):
    m = AL.shape[1]
    return float(-(Y * np.log(AL) + (1 - Y) * np.log(1 - AL)).sum() / m)


def cost_no_1_over_m(AL, Y):
    a, b = np.maximum(AL, 1e-300), np.maximum(1 - AL, 1e-300)
    return float(-(Y * np.log(a) + (1 - Y) * np.log(b)).sum())


def cost_sign(AL, Y):
    return -cost_no_1_over_m(AL, Y) / AL.shape[1]


def cost_half(AL, Y):
    a = np.maximum(AL, 1e-300)
    return float(-(Y * np.log(a)).sum() / AL.shape[1])


def l2_no_two(A, Y):
    return float(((Y - A) ** 2).sum()), A - Y


def L_forward_all_sigmoid(X, parameters):
    L = len(parameters) // 2
    A, caches = X, []
    for l in range(1, L + 1):
        Z = parameters[f"W{l}"] @ A + parameters[f"b{l}"]
        caches.append(Z)
        A = _stable_sig(Z)
    return A, caches


def L_forward_short_caches(X, parameters):
    A, caches = reference("L_model_forward")(X, parameters)
    return A, caches[:-1]


def _L_backward(AL, Y, caches, mask=True, scale=1.0):
    m, L = AL.shape[1], len(caches)
    grads = {}
    dZ, dA = (AL - Y) * scale, None
    for l in range(L, 0, -1):
        (A_prev, W, _), Z = caches[l - 1][0], caches[l - 1][1]
        if l < L:
            dZ = dA * (Z > 0) if mask else dA
        grads[f"dW{l}"] = dZ @ A_prev.T / m
        grads[f"db{l}"] = dZ.sum(axis=1, keepdims=True) / m
        dA = W.T @ dZ
    return grads


def L_backward_no_mask(AL, Y, caches):
    return _L_backward(AL, Y, caches, mask=False)


def L_backward_double_m(AL, Y, caches):
    return _L_backward(AL, Y, caches, scale=1 / AL.shape[1])


def L_backward_sign(AL, Y, caches):
    return _L_backward(AL, Y, caches, scale=-1.0)


def update_plus(parameters, grads, learning_rate):
    return {k: v + learning_rate * grads["d" + k] for k, v in parameters.items()}


def update_no_lr(parameters, grads, learning_rate):
    return {k: v - grads["d" + k] for k, v in parameters.items()}


def _he(layer_dims, seed, std, transpose=False):
    rng = np.random.default_rng(seed)
    P = {}
    for l in range(1, len(layer_dims)):
        n, p = layer_dims[l], layer_dims[l - 1]
        W = rng.standard_normal((n, p)) * std(n, p)
        P[f"W{l}"] = W.T.copy() if transpose else W
        P[f"b{l}"] = np.zeros((n, 1))
    return P


def he_lecun(layer_dims, seed):
    return _he(layer_dims, seed, lambda n, p: np.sqrt(1 / p))


def he_fan_out(layer_dims, seed):
    return _he(layer_dims, seed, lambda n, p: np.sqrt(2 / n))


def he_transposed(layer_dims, seed):
    return _he(layer_dims, seed, lambda n, p: np.sqrt(2 / p), transpose=True)


def he_other_draws(layer_dims, seed):
    rng = np.random.default_rng(seed + 1000)
    P = {}
    for l in range(1, len(layer_dims)):
        n, p = layer_dims[l], layer_dims[l - 1]
        P[f"W{l}"] = rng.normal(0, np.sqrt(2 / p), (n, p))
        P[f"b{l}"] = np.zeros((n, 1))
    return P


def he_b_flat(layer_dims, seed):
    P = reference("he_initialization")(layer_dims, seed)
    P["b1"] = P["b1"].ravel()
    return P


def minibatches_no_shuffle(X, Y, batch_size, rng):
    m = X.shape[1]
    return [(X[:, i : i + batch_size], Y[:, i : i + batch_size]) for i in range(0, m, batch_size)]


def minibatches_drop_last(X, Y, batch_size, rng):
    perm = rng.permutation(X.shape[1])
    X, Y = X[:, perm], Y[:, perm]
    return [
        (X[:, i : i + batch_size], Y[:, i : i + batch_size]) for i in range(0, X.shape[1] - batch_size + 1, batch_size)
    ]


def minibatches_two_perms(X, Y, batch_size, rng):
    p1, p2 = rng.permutation(X.shape[1]), rng.permutation(X.shape[1])
    X, Y = X[:, p1], Y[:, p2]
    return [(X[:, i : i + batch_size], Y[:, i : i + batch_size]) for i in range(0, X.shape[1], batch_size)]


def momentum_no_one_minus_beta(W, dW, v, beta, learning_rate):
    v = beta * v + dW
    return W - learning_rate * v, v


def momentum_uses_dW(W, dW, v, beta, learning_rate):
    v = beta * v + (1 - beta) * dW
    return W - learning_rate * dW, v


def momentum_sign(W, dW, v, beta, learning_rate):
    v = beta * v + (1 - beta) * dW
    return W + learning_rate * v, v


def adam_no_bias_correction(W, dW, m, v, t, learning_rate, beta1, beta2, eps):
    m = beta1 * m + (1 - beta1) * dW
    v = beta2 * v + (1 - beta2) * dW**2
    return W - learning_rate * m / (np.sqrt(v) + eps), m, v


def adam_not_squared(W, dW, m, v, t, learning_rate, beta1, beta2, eps):
    m = beta1 * m + (1 - beta1) * dW
    v = beta2 * v + (1 - beta2) * dW
    with np.errstate(invalid="ignore"):
        return W - learning_rate * (m / (1 - beta1**t)) / (np.sqrt(v / (1 - beta2**t)) + eps), m, v


def bn_forward_unbiased(Z, gamma, beta, bn_param):
    mu, var = Z.mean(axis=1, keepdims=True), Z.var(axis=1, ddof=1, keepdims=True)
    Z_hat = (Z - mu) / np.sqrt(var + bn_param["eps"])
    return gamma * Z_hat + beta, None


def bn_forward_axis0(Z, gamma, beta, bn_param):
    mu, var = Z.mean(axis=0, keepdims=True), Z.var(axis=0, keepdims=True)
    return gamma * (Z - mu) / np.sqrt(var + bn_param["eps"]) + beta, None


def bn_forward_no_affine(Z, gamma, beta, bn_param):
    mu, var = Z.mean(axis=1, keepdims=True), Z.var(axis=1, keepdims=True)
    return (Z - mu) / np.sqrt(var + bn_param["eps"]), None


def bn_backward_constants(dout, cache):
    Z_hat, gamma, var, eps = cache
    return gamma / np.sqrt(var + eps) * dout, (dout * Z_hat).sum(axis=1, keepdims=True), dout.sum(axis=1, keepdims=True)


def bn_backward_flat(dout, cache):
    dZ, dgamma, dbeta = reference("batchnorm_backward")(dout, cache)
    return dZ, dgamma.ravel(), dbeta


def bn_backward_mean(dout, cache):
    dZ, dgamma, dbeta = reference("batchnorm_backward")(dout, cache)
    return dZ, dgamma / dout.shape[1], dbeta


def clr_no_floor(t, base_lr, max_lr, step_size):
    cycle = 1 + t / (2 * step_size)
    x = abs(t / step_size - 2 * cycle + 1)
    return base_lr + (max_lr - base_lr) * max(0.0, 1 - x)


def clr_full_cycle(t, base_lr, max_lr, step_size):
    return reference("cyclical_lr")(t, base_lr, max_lr, step_size / 2)


def acc_plain_sum(grads_list, batch_sizes):
    return {k: sum(g[k] for g in grads_list) for k in grads_list[0]}


def acc_plain_mean(grads_list, batch_sizes):
    return {k: sum(g[k] for g in grads_list) / len(grads_list) for k in grads_list[0]}


def not_written(dA, cache):
    raise NotImplementedError


PLANTED = [
    ("sigmoid", sigmoid_unstable, "NaN"),
    ("sigmoid", sigmoid_sign, "sign is flipped"),
    ("sigmoid", sigmoid_no_cache, "expected to return a tuple (A, cache)"),
    ("sigmoid_backward", sigmoid_backward_from_A, "used A where Z is needed"),
    ("sigmoid_backward", sigmoid_backward_s, "sigmoid'(Z) = s, but it is s (1 - s)"),
    ("sigmoid_backward", sigmoid_backward_sign, "sign flip"),
    ("tanh_backward", tanh_backward_linear, "1 - tanh(Z), but it is 1 - tanh(Z)^2"),
    ("tanh_backward", tanh_backward_from_A, "used A where Z is needed"),
    ("relu_backward", relu_backward_no_mask, "missing activation mask"),
    ("relu_backward", relu_backward_ge, "Z > 0, not Z >= 0"),
    ("relu_backward", relu_backward_raises, "your function raised ValueError"),
    ("relu_backward", not_written, "not implemented yet"),
    ("softmax", softmax_naive, "NaN"),
    ("softmax", softmax_axis1, "axis=0"),
    ("linear_forward", linear_forward_no_bias, "forgot the bias"),
    ("linear_backward", linear_backward_no_1_over_m, "factor of m = 7: a 1/m is missing"),
    ("linear_backward", linear_backward_double_1_over_m, "factor of 1/m (m = 7): the 1/m is applied twice"),
    ("linear_backward", linear_backward_transposed, "dW is transposed: shape (5, 3) where (3, 5) is expected"),
    ("linear_backward", linear_backward_db_flat, "db has shape (n,) instead of (n, 1)"),
    ("linear_backward", linear_backward_sign, "dA_prev has the wrong sign"),
    ("compute_cost", cost_naive_log, "log(0)"),
    ("compute_cost", cost_no_1_over_m, "factor of m = 5"),
    ("compute_cost", cost_sign, "wrong sign"),
    ("compute_cost", cost_half, "(1 - y) log(1 - a) term is missing"),
    ("l2_loss", l2_no_two, "the factor 2 is missing"),
    ("L_model_forward", L_forward_all_sigmoid, "sigmoid in the hidden layers"),
    ("L_model_forward", L_forward_short_caches, "expected a list of L = 2 caches"),
    ("L_model_backward", L_backward_no_mask, "missing activation mask"),
    ("L_model_backward", L_backward_double_m, "the 1/m is applied twice"),
    ("L_model_backward", L_backward_sign, "wrong sign"),
    ("update_parameters", update_plus, "wrong sign"),
    ("update_parameters", update_no_lr, "forgot the learning rate"),
    ("he_initialization", he_lecun, "sqrt(1 / n[l-1])"),
    ("he_initialization", he_fan_out, "fan-out"),
    ("he_initialization", he_transposed, "transposed"),
    ("he_initialization", he_other_draws, "other random numbers"),
    ("he_initialization", he_b_flat, "b1 has shape (n,) instead of (n, 1): got (151,), expected (151, 1)"),
    ("minibatches", minibatches_no_shuffle, "not shuffled"),
    ("minibatches", minibatches_drop_last, "is missing"),
    ("minibatches", minibatches_two_perms, "two different permutations"),
    ("momentum_step", momentum_no_one_minus_beta, "forgot the (1 - beta) factor"),
    ("momentum_step", momentum_uses_dW, "instead of the velocity"),
    ("momentum_step", momentum_sign, "wrong sign"),
    ("adam_step", adam_no_bias_correction, "bias correction"),
    ("adam_step", adam_not_squared, "squared gradient"),
    ("batchnorm_forward", bn_forward_unbiased, "1/(m-1)"),
    ("batchnorm_forward", bn_forward_axis0, "over the units (axis=0)"),
    ("batchnorm_forward", bn_forward_no_affine, "forgot the scale and shift"),
    ("batchnorm_backward", bn_backward_constants, "treated mu and var as constants"),
    ("batchnorm_backward", bn_backward_flat, "(n,) instead of (n, 1)"),
    ("batchnorm_backward", bn_backward_mean, "factor of 1/m"),
    ("cyclical_lr", clr_no_floor, "needs the floor"),
    ("cyclical_lr", clr_full_cycle, "half a cycle"),
    ("accumulate_gradients", acc_plain_sum, "without weights"),
    ("accumulate_gradients", acc_plain_mean, "ignores unequal batch sizes"),
]


@pytest.mark.parametrize("name", list(EXERCISES))
def test_reference_passes(name):
    result = check(name, reference(name))
    assert result.passed, result.message
    assert result.cases >= 3
    assert str(result).startswith(f"PASSED {name}:")


@pytest.mark.parametrize(("name", "fn", "phrase"), PLANTED, ids=[f"{n}-{f.__name__}" for n, f, _ in PLANTED])
def test_planted_bug_is_named(name, fn, phrase):
    result = check(name, fn)
    assert not result.passed
    assert phrase in result.message, result.message
    assert "\n" not in result.message


def test_at_least_fifteen_exercises_each_with_planted_bugs():
    assert len(EXERCISES) >= 15
    planted = {name for name, _, _ in PLANTED}
    assert planted == set(EXERCISES)
    for ex in EXERCISES.values():
        assert ex.name in ex.signature and "->" in ex.signature
        assert ex.slide and ex.description and ex.notebook


def test_worst_entry_reported_when_no_hypothesis_fits():
    def relu_backward_one_wrong(dA, cache):
        dZ = dA * (cache > 0)
        dZ[1, 2] += 0.5
        return dZ

    result = check("relu_backward", relu_backward_one_wrong)
    assert not result.passed
    assert "1 of 15 entries differ; the worst is dZ[1, 2]" in result.message, result.message
    assert "expected" in result.message and "got" in result.message


def test_exception_location_names_the_line():
    def linear_backward(dZ, cache):
        A_prev, W, b = cache
        dW = dZ @ A_prev / A_prev.shape[1]
        return W.T @ dZ, dW, dZ.sum(axis=1, keepdims=True)

    result = check("linear_backward", linear_backward)
    assert "raised ValueError" in result.message
    assert "`dW = dZ @ A_prev / A_prev.shape[1]`" in result.message, result.message
    assert result.message.endswith("a shape mismatch: W[l] is (n[l], n[l-1]), A[l-1] is (n[l-1], m), b[l] is (n[l], 1)")


def test_markdown_report_and_bool():
    ok, bad = check("relu_backward", reference("relu_backward")), check("relu_backward", relu_backward_no_mask)
    assert isinstance(ok, CheckResult) and ok and not bad
    assert "passed" in ok._repr_markdown_() and "failed" in bad._repr_markdown_()
    assert "missing activation mask" in bad._repr_markdown_()
    assert "dA \\* 1\\[Z \\> 0\\]" in bad._repr_markdown_()  # Markdown's * and [ ] escaped, shown as typed


def test_solutions_mode_fills_exercises_and_raises_on_failure(monkeypatch):
    def student(dA, cache):
        raise NotImplementedError

    assert exercise("relu_backward")(student) is student
    monkeypatch.setenv(exercises.SOLUTIONS_ENV, "1")
    filled = exercise("relu_backward")(student)
    assert filled is reference("relu_backward")
    assert check("relu_backward", filled).passed
    with pytest.raises(exercises.ExerciseFailed, match="missing activation mask"):
        check("relu_backward", relu_backward_no_mask)


def test_unknown_exercise_names_the_choices():
    with pytest.raises(ValueError, match="expected one of sigmoid, sigmoid_backward"):
        check("relu_backwards", relu_backward_no_mask)


@settings(max_examples=5, deadline=None)
@given(seed=st.integers(0, 2**16), name=st.sampled_from(sorted(EXERCISES)))
def test_reference_passes_for_any_seed(seed, name):
    assert check(name, reference(name), seed=seed).passed


@settings(max_examples=5, deadline=None)
@given(seed=st.integers(0, 2**16), k=st.integers(0, 1))
def test_factor_m_diagnosis_for_any_seed(seed, k):
    fn = (linear_backward_no_1_over_m, linear_backward_double_1_over_m)[k]
    message = check("linear_backward", fn, seed=seed).message
    assert ("a 1/m is missing", "the 1/m is applied twice")[k] in message, message
