"""nn_ref.exercises: every reference passes its own check; planted wrong versions fail, and the
message names the bug (the phrase a student would read)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nn_ref import exercises
from nn_ref.exercises import EXERCISES, CheckResult, check, exercise, optimizer_exercises, reference


@pytest.fixture(autouse=True)
def _student_mode(monkeypatch, tmp_path):
    monkeypatch.delenv(exercises.SOLUTIONS_ENV, raising=False)
    monkeypatch.setenv(exercises.PROGRESS_ENV, str(tmp_path / "progress.json"))  # never the student's home


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


def relu_net_no_mask(X, Y, W1, W2):
    A1 = np.maximum(W1 @ X, 0)
    dY = 2 * (W2 @ A1 - Y)
    return float((dY**2).sum() / 4), (W2.T @ dY) @ X.T, dY @ A1.T


def relu_net_mean(X, Y, W1, W2):
    loss, dW1, dW2 = reference("relu_net_gradients")(X, Y, W1, W2)
    return loss, dW1 / X.shape[1], dW2 / X.shape[1]


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
    ("relu_net_gradients", relu_net_no_mask, "the ReLU mask is missing"),
    ("relu_net_gradients", relu_net_mean, "dW1 is a sum, not a mean: it takes no 1/m"),
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
    hint = "a shape mismatch: W[l] is (n[l], n[l-1]), A[l-1] is (n[l-1], m), b[l] is (n[l], 1) -- "
    assert hint in result.message, result.message


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


# ---------------------------------------------------------------------------- every class of slip


def _outputs_map(value, f):
    """value with f applied to every ndarray inside its tuples, lists and dicts."""
    if isinstance(value, np.ndarray):
        return f(value)
    if isinstance(value, (tuple, list)):
        return type(value)(_outputs_map(v, f) for v in value)
    if isinstance(value, dict):
        return {k: _outputs_map(v, f) for k, v in value.items()}
    return value


def _array_exercises():
    """Exercises whose reference returns at least one array (the contract's dtype and type checks apply)."""
    return [n for n in EXERCISES if n not in ("cyclical_lr", "compute_cost")]


@pytest.mark.parametrize("name", list(EXERCISES))
def test_missing_return_says_so(name):
    """A body that computes and forgets `return` (the function returns None) is told so, for every exercise."""

    def forgot_return(*args):
        reference(name)(*args)

    message = check(name, forgot_return).message
    assert "did you forget `return`?" in message, message


@pytest.mark.parametrize("name", [n for n in _array_exercises() if EXERCISES[n].float32])
def test_float64_result_for_float32_input_fails(name):
    """dtype follows the input: the reference's values cast to float64 fail the float32 cases, for every exercise."""

    def upcast(*args):
        return _outputs_map(reference(name)(*args), lambda a: a.astype(np.float64) if a.dtype == np.float32 else a)

    result = check(name, upcast)
    assert not result.passed
    assert "dtype float64 for float32 input" in result.message, result.message
    assert result.failing and result.message.split(" -- ")[0].split(":")[0].endswith("float32)")


@pytest.mark.parametrize("name", _array_exercises())
def test_float32_result_for_float64_input_fails(name):
    def downcast(*args):
        return _outputs_map(reference(name)(*args), lambda a: a.astype(np.float32) if a.dtype == np.float64 else a)

    message = check(name, downcast).message
    assert "dtype float32 for float64 input" in message, message
    assert message.startswith("case 1 of ")


@pytest.mark.parametrize("name", [n for n, ex in EXERCISES.items() if n not in ("he_initialization", "cyclical_lr")])
def test_changing_an_input_in_place_fails(name):
    """The reference's answer, but the first array argument the exercise does not declare mutable is
    changed after the call: for every exercise, "changed its input ... in place"."""
    ex = EXERCISES[name]

    def first_array(x):
        if isinstance(x, np.ndarray):
            return x
        items = x.values() if isinstance(x, dict) else x if isinstance(x, (tuple, list)) else ()
        return next((a for a in map(first_array, items) if a is not None), None)

    def mutates(*args):
        out = _outputs_map(reference(name)(*args), np.copy)
        i = next(i for i, a in enumerate(args) if ex.arg_names[i] not in ex.mutable and first_array(a) is not None)
        first_array(args[i])[...] += 1.0
        return out

    message = check(name, mutates).message
    assert "in place: leave the inputs as they are" in message, message


def relu_backward_in_place(dA, cache):
    dA[cache <= 0] = 0
    return dA


def update_in_place(parameters, grads, learning_rate):
    for key in parameters:
        parameters[key] -= learning_rate * grads["d" + key]
    return parameters


def update_changes_grads(parameters, grads, learning_rate):
    for key in parameters:
        grads["d" + key] *= learning_rate
        parameters[key] = parameters[key] - grads["d" + key]
    return parameters


def test_in_place_slips_name_the_input_and_declared_updates_pass():
    message = check("relu_backward", relu_backward_in_place).message
    assert "changed its input dA in place" in message, message
    assert check("update_parameters", update_in_place).passed  # parameters is declared mutable
    message = check("update_parameters", update_changes_grads).message
    assert "changed its input grads['dW1'] in place" in message, message


def momentum_lr_for_one_minus_beta(W, dW, v, beta, learning_rate):
    v = beta * v + learning_rate * dW  # passes only when learning_rate == 1 - beta
    return W - learning_rate * v, v


def momentum_hard_coded_lr(W, dW, v, beta, learning_rate):
    v = beta * v + (1 - beta) * dW
    return W - 0.01 * v, v


def momentum_hard_coded_beta(W, dW, v, beta, learning_rate):
    v = 0.9 * v + (1 - 0.9) * dW
    return W - learning_rate * v, v


def _adam(W, dW, m, v, t, learning_rate, beta1, beta2, eps):
    m = beta1 * m + (1 - beta1) * dW
    v = beta2 * v + (1 - beta2) * dW**2
    m_hat, v_hat = m / (1 - beta1**t), v / (1 - beta2**t)
    return W - learning_rate * m_hat / (np.sqrt(v_hat) + eps), m, v


def adam_hard_coded_eps(W, dW, m, v, t, learning_rate, beta1, beta2, eps):
    return _adam(W, dW, m, v, t, learning_rate, beta1, beta2, 1e-8)


def adam_hard_coded_beta1(W, dW, m, v, t, learning_rate, beta1, beta2, eps):
    return _adam(W, dW, m, v, t, learning_rate, 0.9, beta2, eps)


def adam_hard_coded_beta2(W, dW, m, v, t, learning_rate, beta1, beta2, eps):
    return _adam(W, dW, m, v, t, learning_rate, beta1, 0.999, eps)


def update_hard_coded_lr(parameters, grads, learning_rate):
    return {k: v - 0.1 * grads["d" + k] for k, v in parameters.items()}


def bn_forward_hard_coded_eps(Z, gamma, beta, bn_param):
    mu, var = Z.mean(axis=1, keepdims=True), Z.var(axis=1, keepdims=True)
    return gamma * (Z - mu) / np.sqrt(var + 1e-5) + beta, None


HYPERPARAMETER_SLIPS = [
    ("momentum_step", momentum_lr_for_one_minus_beta, "used learning_rate where 1 - beta belongs"),
    (
        "momentum_step",
        momentum_hard_coded_lr,
        "ignores its argument learning_rate: the result is what learning_rate = 0.01",
    ),
    ("momentum_step", momentum_hard_coded_beta, "ignores its argument beta: the result is what beta = 0.9 gives"),
    ("adam_step", adam_hard_coded_eps, "ignores its argument eps: the result is what eps = 1e-08 gives"),
    ("adam_step", adam_hard_coded_beta1, "ignores its argument beta1"),
    ("adam_step", adam_hard_coded_beta2, "ignores its argument beta2"),
    (
        "update_parameters",
        update_hard_coded_lr,
        "ignores its argument learning_rate: the result is what learning_rate = 0.1",
    ),
    ("batchnorm_forward", bn_forward_hard_coded_eps, "used eps = 1e-05, not bn_param['eps']"),
]


@pytest.mark.parametrize(
    ("name", "fn", "phrase"), HYPERPARAMETER_SLIPS, ids=[f.__name__ for _, f, _ in HYPERPARAMETER_SLIPS]
)
def test_hyperparameter_slips_fail(name, fn, phrase):
    """Every case has its own hyperparameters (learning_rate != 1 - beta, non-default betas and eps), so
    a formula that uses the wrong one, or a hard-coded value, fails; the diagnosis reproduces the numbers."""
    result = check(name, fn)
    assert not result.passed
    assert phrase in result.message, result.message
    assert result.passed_cases < result.cases


@settings(max_examples=5, deadline=None)
@given(seed=st.integers(0, 2**16), k=st.integers(0, len(HYPERPARAMETER_SLIPS) - 1))
def test_hyperparameter_slips_fail_for_any_seed(seed, k):
    name, fn, _ = HYPERPARAMETER_SLIPS[k]
    assert not check(name, fn, seed=seed).passed


def sigmoid_backward_list(dA, cache):
    s = 1 / (1 + np.exp(-cache))
    return (dA * s * (1 - s)).tolist()


def cost_str(AL, Y):
    return str(reference("compute_cost")(AL, Y))


def cost_dict(AL, Y):
    return {"J": reference("compute_cost")(AL, Y)}


def relu_backward_complex(dA, cache):
    return dA * (cache > 0) + 1j


def cost_complex(AL, Y):
    return reference("compute_cost")(AL, Y) + 0j


def sigmoid_one_array(Z):
    return reference("sigmoid")(Z)[0]


def clr_no_return(t, base_lr, max_lr, step_size):
    reference("cyclical_lr")(t, base_lr, max_lr, step_size)


def clr_str(t, base_lr, max_lr, step_size):
    return f"{reference('cyclical_lr')(t, base_lr, max_lr, step_size):.4f}"


def minibatches_array_split(X, Y, batch_size, rng):
    perm = rng.permutation(X.shape[1])
    k = max(1, X.shape[1] // batch_size)
    return list(zip(np.array_split(X[:, perm], k, axis=1), np.array_split(Y[:, perm], k, axis=1)))


def bn_backward_dbeta_mean(dout, cache):
    dZ, dgamma, dbeta = reference("batchnorm_backward")(dout, cache)
    return dZ, dgamma, dbeta / dout.shape[1]


CONTRACT_SLIPS = [
    ("sigmoid_backward", sigmoid_backward_list, "dZ: expected a NumPy array of shape (3, 5), got a list of 3 items"),
    ("compute_cost", cost_str, "J: expected a number, got a str"),
    ("compute_cost", cost_dict, "J: expected a number, got a dict with keys J"),
    ("relu_backward", relu_backward_complex, "dZ is complex (dtype complex128): the answer is real"),
    ("compute_cost", cost_complex, "J is complex"),
    ("sigmoid", sigmoid_one_array, "expected to return a tuple (A, cache), got an array of shape (3, 5)"),
    ("cyclical_lr", clr_no_return, "lr at t = 0 is None -- did you forget `return`?"),
    ("cyclical_lr", clr_str, "lr at t = 0: expected a number, got a str '0.0010'"),
    ("minibatches", minibatches_array_split, "got 2 of sizes 5 + 5 -- every batch but the last has batch_size"),
    ("batchnorm_backward", bn_backward_dbeta_mean, "dbeta is a sum, not a mean: it takes no 1/m"),
]


@pytest.mark.parametrize(("name", "fn", "phrase"), CONTRACT_SLIPS, ids=[f.__name__ for _, f, _ in CONTRACT_SLIPS])
def test_contract_slips_fail_with_their_message(name, fn, phrase):
    result = check(name, fn)
    assert not result.passed
    assert phrase in result.message, result.message
    assert "\n" not in result.message
    assert "checker itself failed" not in result.message and "raised" not in result.message
    assert "the last one" not in result.message and "applied twice" not in result.message


def test_endless_loop_ends_with_no_answer(monkeypatch):
    """An endless loop is stopped after the time limit (a short one here: the loop never answers, so the
    test cannot flake) and its thread ends: the checker neither hangs nor leaves a spinning thread."""
    import threading
    import time

    def relu_backward(dA, cache):
        dZ = np.zeros_like(dA)
        i = 0
        while i < dA.shape[0]:  # i is never increased
            dZ[i] = dA[i] * (cache[i] > 0)
        return dZ

    result = check("relu_backward", relu_backward, time_limit=0.2)
    assert not result.passed
    assert result.message.startswith("case 1 of ") and "no answer in 0.2 s -- an endless loop?" in result.message
    deadline = time.monotonic() + 60
    while any(t.name == "nn-ref-check" for t in threading.enumerate()) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not [t for t in threading.enumerate() if t.name == "nn-ref-check"]


def test_default_time_limit_is_generous():
    assert exercises.TIME_LIMIT >= 10


def test_patched_numpy_does_not_change_the_reference(monkeypatch):
    """A notebook cell that rebinds np.exp cannot make a wrong sigmoid pass: the reference is computed with
    NumPy as nn-ref imported it, and the message says np.exp was changed."""

    def sigmoid_base2(Z):
        A = 1 / (1 + np.exp(-Z))  # with np.exp = np.exp2 this is 1 / (1 + 2^-Z)
        return A, Z

    assert check("sigmoid", sigmoid_base2).passed
    monkeypatch.setattr(np, "exp", np.exp2)
    result = check("sigmoid", sigmoid_base2)
    assert not result.passed
    assert "note: np.exp changed in this session (the checker used NumPy's own)" in result.message, result.message
    assert np.exp is np.exp2  # the student's session is left as it was
    monkeypatch.undo()
    assert check("sigmoid", reference("sigmoid")).passed


def test_the_checkers_own_failure_is_not_blamed_on_the_student(monkeypatch):
    def broken_hypotheses(case):
        raise KeyError("context")

    monkeypatch.setattr(EXERCISES["relu_backward"], "hypotheses", broken_hypotheses)
    message = check("relu_backward", relu_backward_no_mask).message
    assert "the checker itself failed" in message and "KeyError" in message, message
    assert "your function raised" not in message


def test_printing_is_allowed(capsys):
    def relu_backward(dA, cache):
        print("dA", dA.shape)
        return dA * (cache > 0)

    assert check("relu_backward", relu_backward).passed
    assert "dA (3, 5)" in capsys.readouterr().out


def test_failure_message_counts_cases_and_reproduces_one():
    result = check("relu_backward", relu_backward_ge)
    k = result.failing[0]
    assert f'{result.passed_cases} of {result.cases} cases pass; reproduce: `check("relu_backward", ' in result.message
    assert f"relu_backward_ge, case={k})`" in result.message
    assert 0 < result.passed_cases < result.cases  # only the cases with Z = 0 entries show the slip
    alone = check("relu_backward", relu_backward_ge, case=k)
    assert not alone.passed and alone.cases == 1
    assert alone.message.split(" -- ")[0] == result.message.split(" -- ")[0]
    passing = next(i for i in range(1, result.cases + 1) if i not in result.failing)
    assert check("relu_backward", relu_backward_ge, case=passing).passed
    dA, cache = exercises.case_inputs("relu_backward", k)
    assert not np.allclose(relu_backward_ge(dA, cache), reference("relu_backward")(dA, cache))
    with pytest.raises(ValueError, match="case: expected 1 .. "):
        check("relu_backward", relu_backward_ge, case=0)


def test_worst_entry_gives_the_relative_error():
    def sigmoid(Z):
        A = reference("sigmoid")(Z)[0].copy()
        A[0, 0] *= 1.5
        return A, Z

    message = check("sigmoid", sigmoid).message
    assert "the worst is A[0, 0]" in message and "(relative error 0.5)" in message, message


# ---------------------------------------------------------------------------- correct but unusual solutions


def linear_forward_einsum(A_prev, W, b):
    return np.einsum("ij,jk->ik", W, A_prev) + b, (A_prev, W, b)


def linear_backward_einsum(dZ, cache):
    A_prev, W, b = cache
    m = A_prev.shape[1]
    return np.einsum("ji,jk->ik", W, dZ), np.einsum("ik,jk->ij", dZ, A_prev) / m, dZ.sum(axis=1, keepdims=True) / m


def relu_backward_loops(dA, cache):
    dZ = np.zeros_like(dA)
    for i in range(dA.shape[0]):
        for j in range(dA.shape[1]):
            if cache[i, j] > 0:
                dZ[i, j] = dA[i, j]
    return dZ


def softmax_column_loop(Z):
    A = np.empty_like(Z)
    for i in range(Z.shape[1]):
        e = np.exp(Z[:, i] - Z[:, i].max())
        A[:, i] = e / e.sum()
    return A, A


def sigmoid_expit(Z):
    from scipy.special import expit

    return expit(Z), Z


def cost_xlogy(AL, Y):
    from scipy.special import xlogy

    return -float((xlogy(Y, AL) + xlogy(1 - Y, 1 - AL)).sum()) / AL.shape[1]


def cost_squeezed_dot(AL, Y):
    from scipy.special import xlogy

    return np.squeeze(-(xlogy(Y, AL) + xlogy(1 - Y, 1 - AL)).sum(keepdims=True) / AL.shape[1])


def bn_backward_staged(dout, cache):
    """The computation graph step by step (cs231n's staged form), with Z - mu recovered from the cache."""
    Z_hat, gamma, var, eps = cache
    m = dout.shape[1]
    std = np.sqrt(var + eps)
    xmu = Z_hat * std
    dbeta = dout.sum(axis=1, keepdims=True)
    dgamma = (dout * Z_hat).sum(axis=1, keepdims=True)
    dZ_hat = dout * gamma
    dvar = (dZ_hat * xmu).sum(axis=1, keepdims=True) * -0.5 * std**-3
    dmu = (-dZ_hat / std).sum(axis=1, keepdims=True) + dvar * (-2 * xmu).mean(axis=1, keepdims=True)
    dZ = dZ_hat / std + dvar * 2 * xmu / m + dmu / m
    return dZ, dgamma, dbeta


def adam_kingma_compact(W, dW, m, v, t, learning_rate, beta1, beta2, eps):
    """Kingma and Ba's Algorithm 1, the efficiency note: alpha_t = alpha sqrt(1 - beta2^t) / (1 - beta1^t)."""
    m = beta1 * m + (1 - beta1) * dW
    v = beta2 * v + (1 - beta2) * dW**2
    alpha_t = learning_rate * np.sqrt(1 - beta2**t) / (1 - beta1**t)
    return W - alpha_t * m / (np.sqrt(v) + eps), m, v


def adam_in_place(W, dW, m, v, t, learning_rate, beta1, beta2, eps):
    m *= beta1
    m += (1 - beta1) * dW
    v *= beta2
    v += (1 - beta2) * dW * dW
    W -= learning_rate * (m / (1 - beta1**t)) / (np.sqrt(v / (1 - beta2**t)) + eps)
    return W, m, v


def minibatches_generator(X, Y, batch_size, rng):
    perm = rng.permutation(X.shape[1])
    for i in range(0, X.shape[1], batch_size):
        yield X[:, perm[i : i + batch_size]], Y[:, perm[i : i + batch_size]]


def update_new_dict(parameters, grads, learning_rate):
    return {key: value - learning_rate * grads["d" + key] for key, value in parameters.items()}


def relu_net_einsum(X, Y, W1, W2):
    Z1 = np.einsum("hd,dn->hn", W1, X)
    A1 = np.maximum(Z1, 0)
    dY = 2 * (W2 @ A1 - Y)
    return float(np.sum((W2 @ A1 - Y) ** 2)), ((W2.T @ dY) * (Z1 > 0)) @ X.T, np.einsum("on,hn->oh", dY, A1)


UNUSUAL = [
    ("linear_forward", linear_forward_einsum),
    ("linear_backward", linear_backward_einsum),
    ("relu_backward", relu_backward_loops),
    ("softmax", softmax_column_loop),
    ("sigmoid", sigmoid_expit),
    ("compute_cost", cost_xlogy),
    ("compute_cost", cost_squeezed_dot),
    ("batchnorm_backward", bn_backward_staged),
    ("adam_step", adam_kingma_compact),
    ("adam_step", adam_in_place),
    ("minibatches", minibatches_generator),
    ("update_parameters", update_in_place),
    ("update_parameters", update_new_dict),
    ("relu_net_gradients", relu_net_einsum),
]


@pytest.mark.parametrize(("name", "fn"), UNUSUAL, ids=[f.__name__ for _, f in UNUSUAL])
def test_correct_but_unusual_solutions_pass(name, fn):
    result = check(name, fn)
    assert result.passed, result.message
    assert result.passed_cases == result.cases >= 6


def test_float32_cases_pass_float32_hyperparameters_and_explain_promotion():
    """In a float32 case the hyperparameters are float32 too (np.sqrt(1 - beta2**t) stays float32); a
    float64 constant of the student's own promotes the result, and the message says how."""
    W, dW, m, v, t, lr, beta1, beta2, eps = exercises.case_inputs("adam_step", len(optimizer_exercises.ADAM_CASES) + 1)
    assert W.dtype == np.float32 and type(lr) is np.float32 and type(eps) is np.float32 and t == 1

    def relu_backward(dA, cache):
        return dA * (cache > 0) * np.sqrt(1.0)  # np.sqrt(1.0) is a NumPy float64 scalar

    message = check("relu_backward", relu_backward).message
    assert "dZ has dtype float64 for float32 input" in message and "math.sqrt(2.0) does not" in message, message


def test_kingma_compact_adam_is_named_as_accepted():
    assert "Kingma and Ba's compact form" in check("adam_step", adam_kingma_compact).message


# ---------------------------------------------------------------------------- progress


def test_progress_lists_every_exercise_and_survives_the_process(tmp_path, monkeypatch):
    """A full check records done / failing in the progress file; another process (another notebook's
    kernel) reads it back; case=k and solutions mode record nothing in the file."""
    import json
    import subprocess
    import sys

    path = tmp_path / "progress.json"
    monkeypatch.setenv(exercises.PROGRESS_ENV, str(path))
    monkeypatch.setattr(exercises.progress_module, "_SESSION", {})
    table = exercises.progress()
    assert [r[0] for r in table.rows] == list(EXERCISES) and table.done == 0
    assert {r[2] for r in table.rows} == {"not yet"}
    check("relu_backward", reference("relu_backward"))
    check("sigmoid", sigmoid_sign)
    check("softmax", reference("softmax"), case=1)
    assert json.loads(path.read_text()).keys() == {"relu_backward", "sigmoid"}
    code = "from nn_ref.exercises import progress; p = progress(); print(p.done); print(p)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.splitlines()[0] == "1", out
    assert "done     relu_backward" in out and "failing  sigmoid" in out and "not yet  softmax" in out
    assert "1 of 21 exercises done" in out
    markdown = exercises.progress()._repr_markdown_()
    assert "| &#x2705; | `relu_backward` |" in markdown and "| &#x274C; | `sigmoid` |" in markdown
    assert exercises.done("relu_backward") and not exercises.done("sigmoid") and not exercises.done("softmax")
    check("sigmoid", reference("sigmoid"))  # fixed: the latest check counts
    assert exercises.done("sigmoid")
    monkeypatch.setenv(exercises.SOLUTIONS_ENV, "1")
    check("softmax", reference("softmax"))
    assert "softmax" not in json.loads(path.read_text())  # CI's filled-in functions are not the student's work
    assert exercises.done("softmax")  # but this process knows (a notebook's payoff cell asks)


def test_progress_file_can_be_turned_off(tmp_path, monkeypatch):
    monkeypatch.setenv(exercises.PROGRESS_ENV, "")
    monkeypatch.setenv("HOME", str(tmp_path))
    check("relu_backward", reference("relu_backward"))
    assert exercises.progress_file() is None and not list(tmp_path.iterdir())
    assert exercises.done("relu_backward")


WEIRD_RETURNS = [
    5,
    "x",
    [],
    {},
    {"a": 1},
    (None, None),
    (None, None, None),
    np.array("a"),
    np.ones(3, dtype=object),
    object(),
    float("nan"),
    1j,
    True,
    np.ones((2, 2)),
    (np.ones((2, 2)),) * 3,
]


@pytest.mark.parametrize("name", list(EXERCISES))
def test_any_return_value_gets_a_message_not_a_crash(name):
    """Whatever a function returns, the checker answers with a failed check in words about the return
    value -- never an exception of its own, never blamed on the student's code raising."""
    for value in WEIRD_RETURNS:
        result = check(name, lambda *args, value=value: value)
        assert not result.passed, (value, result.message)
        assert "checker itself failed" not in result.message and "raised" not in result.message, result.message
        assert "\n" not in result.message
