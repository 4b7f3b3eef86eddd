"""A scalar computation graph with reverse-mode autograd [Computation Graph, Backpropagation,
PyTorch Tensors, Functions and Gradients].

Every ``Value`` holds a number ``.data`` and, after ``backward()``, ``.grad`` = d(output)/d(this).
Each operation records its inputs and a local rule that pushes the upstream gradient to them
(the chain rule: downstream grad += upstream grad * local derivative). ``backward()`` visits the
graph in reverse topological order, so each node's gradient is complete before it is pushed on.

The slide's example, f = (x + y) * z at x = -2, y = 5, z = -4::

    x, y, z = Value(-2.0), Value(5.0), Value(-4.0)
    q = x + y            # q = 3
    f = q * z            # f = -12
    f.backward()         # df/dq = z = -4, df/dz = q = 3, df/dx = df/dy = df/dq * 1 = -4

The slide "PyTorch Tensors, Functions and Gradients": z = 2x^2 + 5x at x = 2 has dz/dx = 4x + 5 = 13.
That slide calls ``z.backward(torch.ones(2, 2) * 2)``, i.e. with an *upstream gradient* of 2, and then
x.grad is 2 * 13 = 26, not the 13 printed on the slide (13 is what an upstream gradient of ones gives).
Here ``z.backward()`` gives 13 and ``z.backward(2.0)`` gives 26.
"""

import math

from nn_ref._checks import NUMBER, Option, checked, number


# ----------------------------------------------------------------------------- the declarations, once
class Operand(Option):
    """The other operand of a binary operation: a Value or a real number (NaN goes through, as in NumPy)."""

    def __init__(self):
        super().__init__(None, "a Value or a real number", 1.0)

    def check(self, name, x, state, read):
        if not isinstance(x, Value):
            number(name, x)


class Divisor(Operand):
    """The divisor b of a / b: an operand that is not 0. ``reflected``: the divisor is ``self`` (2.0 / Value)."""

    def __init__(self, reflected=False):
        super().__init__()
        self.reflected = reflected

    def check(self, name, x, state, read):
        super().check(name, x, state, read)
        a, b = (read("other"), x) if self.reflected else (read("self"), x)
        a, b = (v.data if isinstance(v, Value) else float(v) for v in (a, b))
        if b == 0:
            raise ZeroDivisionError(f"Value / Value: division by zero ({a!r} / {b!r})")


class Exponent(Option):
    """k in a ** k: a number (not a Value), with a real result: no 0 ** (k < 0), no (a < 0) ** (non-integer k)."""

    def __init__(self):
        super().__init__(None, "a number k with a real a ** k", 2.0)

    def check(self, name, k, state, read):
        if isinstance(k, Value):
            raise TypeError("Value ** Value is not supported: the exponent must be a number")
        number(name, k)
        k, a = float(k), read("self").data
        if a == 0 and k < 0:
            raise ZeroDivisionError(f"Value ** {k:g}: 0 raised to a negative power (a division by zero)")
        if a < 0 and not k.is_integer():
            raise ValueError(f"Value ** {k:g}: a negative base ({a!r}) with a non-integer exponent has no real value")


class PositiveValue:
    """ln a needs a > 0."""

    def __repr__(self):
        return "a Value > 0"

    def check(self, name, value, state, read):
        if not value.data > 0:
            raise ValueError(f"Value.log: expected a positive value (ln a needs a > 0), got {value.data!r}")


OPERAND = Operand()


class Value:
    """A scalar node: ``data`` (float), ``grad`` (float, d output / d self after ``backward``)."""

    __slots__ = ("data", "grad", "_parents", "_backward", "op", "label")

    @checked(data=NUMBER)
    def __init__(self, data, _parents=(), op="", label=""):
        self.data = float(data)
        self.grad = 0.0
        self._parents = tuple(_parents)
        self._backward = lambda: None
        self.op = op
        self.label = label

    def __repr__(self):
        name = f"{self.label}=" if self.label else ""
        return f"Value({name}data={self.data:g}, grad={self.grad:g})"

    # ------------------------------------------------------------------ binary operations
    @checked(other=OPERAND)
    def __add__(self, other):
        """out = a + b;  da += dout, db += dout."""
        other = _as_value(other)
        out = Value(self.data + other.data, (self, other), "+")

        def _backward():
            self.grad += out.grad
            other.grad += out.grad

        out._backward = _backward
        return out

    @checked(other=OPERAND)
    def __mul__(self, other):
        """out = a * b;  da += b * dout, db += a * dout."""
        other = _as_value(other)
        out = Value(self.data * other.data, (self, other), "*")

        def _backward():
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad

        out._backward = _backward
        return out

    @checked(k=Exponent())
    def __pow__(self, k):
        """out = a ** k for a constant number k;  da += k a^(k-1) dout."""
        k, a = float(k), self.data
        out = Value(a**k, (self,), f"**{k:g}")

        def _backward():
            if a == 0 and k < 1:
                raise ZeroDivisionError(f"Value ** {k:g}: the derivative k a^(k-1) is infinite at a = 0")
            self.grad += k * a ** (k - 1) * out.grad

        out._backward = _backward
        return out

    def __neg__(self):
        return self * -1.0

    @checked(other=OPERAND)
    def __sub__(self, other):
        return self + (-_as_value(other))

    @checked(other=Divisor())
    def __truediv__(self, other):
        """out = a / b = a * b^-1 (b = 0 is a ZeroDivisionError)."""
        other = _as_value(other)
        return self * other**-1

    @checked(other=OPERAND)
    def __radd__(self, other):
        return self + other

    @checked(other=OPERAND)
    def __rmul__(self, other):
        return self * other

    @checked(other=OPERAND)
    def __rsub__(self, other):
        return _as_value(other) - self

    @checked(other=OPERAND, self=Divisor(reflected=True))
    def __rtruediv__(self, other):
        return _as_value(other) / self

    # ------------------------------------------------------------------ unary functions
    def exp(self):
        """out = e^a;  da += e^a dout."""
        out = Value(math.exp(self.data) if self.data < 709.78 else math.inf, (self,), "exp")  # overflow: inf

        def _backward():
            self.grad += out.data * out.grad

        out._backward = _backward
        return out

    @checked(self=PositiveValue())
    def log(self):
        """out = ln a (a > 0);  da += dout / a."""
        out = Value(math.log(self.data), (self,), "log")

        def _backward():
            self.grad += out.grad / self.data

        out._backward = _backward
        return out

    def sigmoid(self):
        """out = s = 1 / (1 + e^-a) (stable form for a < 0);  da += s (1 - s) dout."""
        a = self.data
        s = 1.0 / (1.0 + math.exp(-a)) if a >= 0 else math.exp(a) / (1.0 + math.exp(a))
        out = Value(s, (self,), "sigmoid")

        def _backward():
            self.grad += s * (1.0 - s) * out.grad

        out._backward = _backward
        return out

    def tanh(self):
        """out = t = tanh(a);  da += (1 - t^2) dout."""
        t = math.tanh(self.data)
        out = Value(t, (self,), "tanh")

        def _backward():
            self.grad += (1.0 - t * t) * out.grad

        out._backward = _backward
        return out

    def relu(self):
        """out = max(0, a);  da += 1[a > 0] dout (0 at the kink a = 0, as in nn_ref.activations).
        NaN stays NaN (as np.maximum): ``not a <= 0`` is True for NaN."""
        out = Value(self.data if not self.data <= 0 else 0.0, (self,), "relu")

        def _backward():
            self.grad += (1.0 if self.data > 0 else 0.0) * out.grad

        out._backward = _backward
        return out

    # ------------------------------------------------------------------ the backward pass
    def topological_order(self):
        """All nodes this one depends on (itself last), each after all of its inputs."""
        order, seen = [], set()
        stack = [(self, False)]
        while stack:  # iterative depth-first search: no recursion limit
            node, expanded = stack.pop()
            if expanded:
                order.append(node)
                continue
            if id(node) in seen:
                continue
            seen.add(id(node))
            stack.append((node, True))
            for p in node._parents:
                if id(p) not in seen:
                    stack.append((p, False))
        return order

    @checked(grad=NUMBER)
    def backward(self, grad=1.0):
        """Reverse-mode autograd from this node with upstream gradient ``grad`` (default 1.0).

        Every node of the graph gets d(self)/d(node) * grad. As in PyTorch, the leaves (inputs)
        accumulate across calls -- call ``zero_grad()`` in between -- while the intermediate
        nodes hold this call's gradient (they are reset to 0 before it).
        """
        order = self.topological_order()
        for node in order:
            if node._parents:
                node.grad = 0.0
        self.grad += float(grad)
        for node in reversed(order):
            node._backward()

    def zero_grad(self):
        """Set ``.grad = 0`` on this node and on every node it depends on."""
        for node in self.topological_order():
            node.grad = 0.0


def _as_value(x):
    return x if isinstance(x, Value) else Value(x)
