"""The scalar computation graph: the slides' numbers and every operation against finite differences."""

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nn_ref.graph import Value


def test_slide_example_x_plus_y_times_z():
    x, y, z = Value(-2.0), Value(5.0), Value(-4.0)
    q = x + y
    f = q * z
    assert (q.data, f.data) == (3.0, -12.0)
    f.backward()
    assert (x.grad, y.grad, z.grad, q.grad, f.grad) == (-4.0, -4.0, 3.0, -4.0, 1.0)


def test_slide_pytorch_example_upstream_ones_gives_13_upstream_two_gives_26():
    x = Value(2.0)
    z = 2 * x**2 + 5 * x
    assert z.data == 18.0
    z.backward()  # upstream gradient 1 (torch.ones): dz/dx = 4x + 5
    assert x.grad == 13.0
    z.zero_grad()
    assert x.grad == 0.0
    z.backward(2.0)  # the slide's z.backward(torch.ones(2, 2) * 2)
    assert x.grad == 26.0


def test_gradients_accumulate_without_zero_grad():
    x = Value(3.0)
    y = x * x  # a node used twice: the two paths add up
    y.backward()
    assert x.grad == 6.0
    y.backward()
    assert x.grad == 12.0  # the leaf accumulates, as in PyTorch
    assert y.grad == 1.0  # an intermediate node holds this call's gradient only


def test_shared_subexpression_topological_order():
    a = Value(1.5)
    b = a.exp()
    c = b * b + b  # dc/da = (2 e^a + 1) e^a
    c.backward()
    assert c.grad == 1.0
    assert a.grad == pytest.approx((2 * math.exp(1.5) + 1) * math.exp(1.5), rel=1e-14)
    order = c.topological_order()
    assert order[-1] is c and order.index(a) < order.index(b) < order.index(c)


def test_deep_chain_has_no_recursion_limit():
    x = Value(0.0)
    y = x
    for _ in range(5000):
        y = y + 1.0
    y.backward()
    assert y.data == 5000.0 and x.grad == 1.0


UNARY = {
    "exp": (lambda v: v.exp(), math.exp),
    "log": (lambda v: v.log(), math.log),
    "sigmoid": (lambda v: v.sigmoid(), lambda t: 1 / (1 + math.exp(-t))),
    "tanh": (lambda v: v.tanh(), math.tanh),
    "relu": (lambda v: v.relu(), lambda t: max(t, 0.0)),
    "pow3": (lambda v: v**3, lambda t: t**3),
    "pow-0.5": (lambda v: v**-0.5, lambda t: t**-0.5),
    "neg": (lambda v: -v, lambda t: -t),
    "rdiv": (lambda v: 2.0 / v, lambda t: 2.0 / t),
    "rsub": (lambda v: 2.0 - v, lambda t: 2.0 - t),
}


@settings(max_examples=20, deadline=None)
@given(name=st.sampled_from(sorted(UNARY)), t=st.floats(0.2, 3.0), sign=st.sampled_from([1.0, -1.0]))
def test_unary_ops_match_central_differences(name, t, sign):
    op, ref = UNARY[name]
    if name not in ("log", "pow-0.5"):
        t *= sign  # log and x^-0.5 need x > 0; |t| >= 0.2 keeps ReLU away from its kink
    x = Value(t)
    y = op(x)
    assert y.data == pytest.approx(ref(t), rel=1e-14)
    y.backward()
    h = 1e-6
    numeric = (ref(t + h) - ref(t - h)) / (2 * h)
    assert abs(x.grad - numeric) / max(1e-8, abs(x.grad) + abs(numeric)) < 1e-7


@settings(max_examples=20, deadline=None)
@given(a=st.floats(-3, 3), b=st.floats(0.3, 3), sign=st.sampled_from([1.0, -1.0]))
def test_binary_ops_match_central_differences(a, b, sign):
    b *= sign  # |b| >= 0.3: division stays away from 0

    def expr(p, q):
        return (p * q + p / q - q**2) * (p - q).tanh()

    x, y = Value(a), Value(b)
    out = expr(x, y)
    out.backward()
    h = 1e-6
    fx = lambda s, t: expr(Value(s), Value(t)).data
    nx = (fx(a + h, b) - fx(a - h, b)) / (2 * h)
    ny = (fx(a, b + h) - fx(a, b - h)) / (2 * h)
    for analytic, numeric in ((x.grad, nx), (y.grad, ny)):
        assert abs(analytic - numeric) <= 1e-7 * max(1e-8, abs(analytic) + abs(numeric)) + 1e-9


def test_sigmoid_is_stable_at_1000():
    lo, hi = Value(-1000.0).sigmoid(), Value(1000.0).sigmoid()
    assert lo.data == 0.0 and hi.data == 1.0
    v = Value(-1000.0)
    v.sigmoid().backward()
    assert v.grad == 0.0


def test_relu_kink_derivative_is_zero_like_the_network():
    x = Value(0.0)
    x.relu().backward()
    assert x.grad == 0.0


def test_invalid_operations():
    with pytest.raises(ValueError, match="positive"):
        Value(0.0).log()
    with pytest.raises(TypeError):
        Value(2.0) ** Value(3.0)
