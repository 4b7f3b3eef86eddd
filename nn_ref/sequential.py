"""A ``torch.nn.Sequential``-style list of layers [NN Example, PyTorch Neural Network] -- a thin veneer.

Nothing new is computed here: ``Linear`` calls ``network.linear_forward`` / ``network.linear_backward``,
the activation layers call ``activations.relu`` / ``activations.relu_backward`` (and the other pairs), and
``step`` calls ``network.update_parameters``. The slide's model::

    model = torch.nn.Sequential(torch.nn.Linear(D_in, H), torch.nn.ReLU(), torch.nn.Linear(H, D_out))

is here::

    model = Sequential(Linear(D_in, H, seed=0), ReLU(), Linear(H, D_out, seed=1))
    Y_pred = model.forward(X)                   # X: (D_in, m) -> Y_pred: (D_out, m)
    model.backward(dY_pred)                      # fills dW, db of every Linear; returns dA[0]
    model.step(learning_rate)                    # W <- W - alpha dW, b <- b - alpha db

Gradient convention (``nn_ref.network``'s): ``backward`` takes dA[L] = m * dJ/dA[L]; ``linear_backward``
applies the 1/m, so dW = dJ/dW exactly. For J = (1/m) sum (Y_pred - Y)^2 pass 2 (Y_pred - Y); for the
slide's sum of squares J = sum (Y_pred - Y)^2 pass m * 2 (Y_pred - Y).
"""

import numpy as np

from nn_ref import activations, network
from nn_ref import init as initializers
from nn_ref._checks import Option, at_least, check_dtype, checked_veneer, one_of, positive

# Each method declares its own arguments; what it passes on to network and activations is checked there (this
# module is a veneer: its calls into the lecture functions are checked as calls from your code would be).


class Forwarded:
    """``backward`` needs the cache of a ``forward`` call first."""

    def __repr__(self):
        return "a layer after its forward"

    def check(self, name, layer, state, read):
        if layer._cache is None:
            raise ValueError(f"{type(layer).__name__}.backward: call forward first (no cache yet)")


FORWARDED = Forwarded()


class Linear:
    """Z = W A_prev + b with W: (n_out, n_in) from ``init`` ("he" by default), b: (n_out, 1) zeros."""

    @checked_veneer(
        n_in=at_least(1),
        n_out=at_least(1),
        init=one_of(initializers.INITIALIZERS + ("glorot",)),
        sigma=positive,
        dtype=Option(check_dtype, "float32 or float64", np.float64),
    )
    def __init__(self, n_in, n_out, init="he", sigma=0.01, seed=0, dtype=np.float64, backend=None):
        rng = np.random.default_rng(seed)
        self.W = initializers.init_weights(init, n_out, n_in, rng, sigma, dtype)
        self.b = np.zeros((n_out, 1), dtype=dtype)
        self.dW = self.db = None
        self.backend = backend
        self._cache = None

    def forward(self, A_prev):
        """Z, cache = network.linear_forward(A_prev, W, b). A_prev: (n_in, m) -> Z: (n_out, m)."""
        Z, self._cache = network.linear_forward(A_prev, self.W, self.b, backend=self.backend)
        return Z

    @checked_veneer(self=FORWARDED)
    def backward(self, dZ):
        """dA_prev, dW, db = network.linear_backward(dZ, cache); keeps dW, db; returns dA_prev."""
        dA_prev, self.dW, self.db = network.linear_backward(dZ, self._cache, backend=self.backend)
        return dA_prev

    def __repr__(self):
        return f"Linear(in_features={self.W.shape[1]}, out_features={self.W.shape[0]})"


class Activation:
    """A = g(Z) with the forward/backward pair ``activations.<name>`` / ``activations.<name>_backward``."""

    @checked_veneer(name=one_of(tuple(activations.BACKWARD)))
    def __init__(self, name, backend=None):
        self.name, self.backend, self._cache = name, backend, None

    def forward(self, Z):
        A, self._cache = activations.FORWARD[self.name](Z, backend=self.backend)
        return A

    @checked_veneer(self=FORWARDED)
    def backward(self, dA):
        return activations.BACKWARD[self.name](dA, self._cache, backend=self.backend)

    def __repr__(self):
        return f"Activation({self.name!r})"


def ReLU(backend=None):
    """The slide's ``torch.nn.ReLU()``: activations.relu / activations.relu_backward."""
    return Activation("relu", backend)


def Sigmoid(backend=None):
    return Activation("sigmoid", backend)


def Tanh(backend=None):
    return Activation("tanh", backend)


class Sequential:
    """Layers applied in order: ``forward`` left to right, ``backward`` right to left."""

    def __init__(self, *layers):
        self.layers = list(layers)

    def forward(self, X):
        """A[0] = X; each layer maps its input to its output. Returns the last output (n[L], m)."""
        A = X
        for layer in self.layers:
            A = layer.forward(A)
        return A

    def backward(self, dAL):
        """dAL = m * dJ/dA[L] (network's convention). Runs every layer's backward, right to left;
        returns dA[0]."""
        d = dAL
        for layer in reversed(self.layers):
            d = layer.backward(d)
        return d

    def linears(self):
        return [layer for layer in self.layers if isinstance(layer, Linear)]

    def parameters(self):
        """{"W1", "b1", ..., "WL", "bL"}: the Linear layers' arrays (the same objects, not copies)."""
        return {f"{p}{l}": getattr(layer, p) for l, layer in enumerate(self.linears(), 1) for p in ("W", "b")}

    def grads(self):
        """{"dW1", "db1", ...} from the last ``backward``."""
        return {f"d{p}{l}": getattr(layer, f"d{p}") for l, layer in enumerate(self.linears(), 1) for p in ("W", "b")}

    @checked_veneer(learning_rate=positive)
    def step(self, learning_rate):
        """network.update_parameters: W[l] <- W[l] - alpha dW[l], b[l] <- b[l] - alpha db[l], in place."""
        backend = self.linears()[0].backend if self.linears() else None
        network.update_parameters(self.parameters(), self.grads(), learning_rate, backend=backend)

    def __repr__(self):
        inner = "\n".join(f"  ({i}): {layer!r}" for i, layer in enumerate(self.layers))
        return f"Sequential(\n{inner}\n)"
