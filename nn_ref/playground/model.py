"""The playground's state, without Streamlit: a configuration, its checks and URL form, and a running
``Playground`` (data, trainer, curves and the live views as plain arrays).

    config = Config(dataset="moons", hidden="8,8", hidden_activation="tanh", init="normal", sigma=0.01)
    problems = validate(config)            # [] or messages such as "learning rate: expected a number > 0, got 0"
    pg = Playground(config)                # the data split, the scaler and an nn_ref.train.Trainer
    pg.step(20)                            # 20 updates (one update = k mini-batches of b samples)
    pg.record()                            # train / test cost and accuracy at the current t
    img = boundary_image(pg)               # (H, W, 3) uint8: P(class) over the plane, the points on top
    stats = pg.layer_stats()               # A[l] of every layer and ||dW[l]||_F on the training set

The network is the lecture's: layer_dims = [2, n[1], ..., n[L-1], n[L]] with n[L] = 1 for a sigmoid output
and n[L] = K (the classes) for softmax; A[l] (n[l], m), W[l] (n[l], n[l-1]). A diverging run stops: the
trainer's ``DivergenceError`` message is kept in ``error`` and ``step`` does nothing more.
"""

import hashlib
import math
from dataclasses import asdict, dataclass, fields

import numpy as np

from nn_ref import datasets, network, normalize
from nn_ref.backend import to_backend, to_host
from nn_ref.cli import CLI_SCHEDULES, cli_schedule
from nn_ref.init import INITIALIZERS
from nn_ref.optim import OPTIMIZERS, minibatches
from nn_ref.train import DivergenceError, Trainer

DATASETS = ("moons", "flower", "blobs", "spirals", "xor")
NORMALIZATIONS = ("none", "minmax", "standard")
HIDDEN_ACTIVATIONS = tuple(network.HIDDEN_ACTIVATIONS)
OUTPUTS = ("sigmoid", "softmax")
GRID = 60  # the decision boundary is evaluated on a GRID x GRID lattice
PIXELS = 4  # ... and each lattice cell drawn as PIXELS x PIXELS pixels
TRACE_MAX_UNITS = 24  # the step's equations are shown for nets with at most this many units in all
TRACE_MAX_LAYERS = 4
CLASS_COLORS = np.array([[31, 119, 180], [255, 127, 14], [44, 160, 44], [214, 39, 40], [148, 103, 189]], float)


@dataclass
class Config:
    """Every knob of the playground. ``hidden`` is the hidden part of layer_dims as text ("8,8": two
    hidden layers of 8 units; "" for none); ``lr`` is text too, so that a bad value can be refused with
    a message rather than clamped. batch_size 0 means the whole training set (batch gradient descent)."""

    dataset: str = "moons"
    m: int = 300
    noise: float = 0.15
    classes: int = 2
    test_fraction: float = 0.2
    normalization: str = "standard"
    hidden: str = "8,8"
    hidden_activation: str = "tanh"
    output_activation: str = "sigmoid"
    init: str = "xavier"
    sigma: float = 1.0
    optimizer: str = "adam"
    lr: str = "0.01"
    schedule: str = "none"
    horizon: int = 2000
    batch_size: int = 32
    batch_multiplier: int = 1
    batchnorm: bool = False
    seed: int = 0
    backend: str = "numpy"
    updates_per_frame: int = 20


FIELDS = {f.name: f for f in fields(Config)}
DEFAULTS = Config()


def parse_hidden(text):
    """[n[1], ..., n[L-1]] from "8,8" (ints >= 1). Raises ValueError naming the bad entry."""
    parts = [p.strip() for p in str(text).replace(" ", ",").split(",") if p.strip()]
    sizes = []
    for i, p in enumerate(parts, start=1):
        try:
            n = int(p)
        except ValueError:
            raise ValueError(f"hidden layer {i}: expected a whole number of units, got {p!r}") from None
        if n < 1:
            raise ValueError(f"hidden layer {i} has {n} units: every layer needs at least 1 unit")
        sizes.append(n)
    return sizes


def parse_lr(text):
    """The learning rate alpha_0 > 0 from text. Raises ValueError otherwise."""
    try:
        lr = float(text)
    except (TypeError, ValueError):
        raise ValueError(f"learning rate: expected a number > 0, got {text!r}") from None
    if not (lr > 0 and math.isfinite(lr)):
        raise ValueError(f"learning rate: expected a number > 0, got {text}")
    return lr


def validate(config, backends=None):
    """A list of messages, one per impossible setting ([] when the configuration can run)."""
    problems = []

    def need(ok, message):
        if not ok:
            problems.append(message)

    need(config.dataset in DATASETS, f"dataset: expected one of {DATASETS}, got {config.dataset!r}")
    need(20 <= config.m <= 5000, f"samples m: expected 20 .. 5000, got {config.m}")
    need(0 <= config.noise <= 5 and math.isfinite(config.noise), f"noise: expected 0 .. 5, got {config.noise}")
    need(2 <= config.classes <= len(CLASS_COLORS), f"classes: expected 2 .. {len(CLASS_COLORS)}, got {config.classes}")
    need(0.05 <= config.test_fraction <= 0.9, f"test fraction: expected 0.05 .. 0.9, got {config.test_fraction}")
    need(
        config.normalization in NORMALIZATIONS,
        f"normalization: expected one of {NORMALIZATIONS}, got {config.normalization!r}",
    )
    try:
        parse_hidden(config.hidden)
    except ValueError as exc:
        problems.append(str(exc))
    need(
        config.hidden_activation in HIDDEN_ACTIVATIONS,
        f"hidden activation: expected one of {HIDDEN_ACTIVATIONS}, got {config.hidden_activation!r}",
    )
    need(
        config.output_activation in OUTPUTS,
        f"output activation: expected one of {OUTPUTS}, got {config.output_activation!r}",
    )
    if config.output_activation == "sigmoid" and n_classes(config) > 2:
        problems.append(
            f"a sigmoid output separates 2 classes; this data set has {n_classes(config)}: choose the softmax output"
        )
    need(config.init in INITIALIZERS, f"initializer: expected one of {INITIALIZERS}, got {config.init!r}")
    need(config.sigma > 0 and math.isfinite(config.sigma), f"sigma: expected a number > 0, got {config.sigma}")
    need(config.optimizer in OPTIMIZERS, f"optimizer: expected one of {tuple(OPTIMIZERS)}, got {config.optimizer!r}")
    try:
        parse_lr(config.lr)
    except ValueError as exc:
        problems.append(str(exc))
    need(config.schedule in CLI_SCHEDULES, f"schedule: expected one of {CLI_SCHEDULES}, got {config.schedule!r}")
    need(config.horizon >= 1, f"schedule horizon T: expected >= 1 update, got {config.horizon}")
    need(config.batch_size >= 0, f"batch size: expected >= 1 (or 0 for the whole set), got {config.batch_size}")
    need(config.batch_multiplier >= 1, f"batch multiplier k: expected >= 1, got {config.batch_multiplier}")
    if config.batchnorm:
        need(config.batch_size != 1, "batch norm needs mini-batches of at least 2 samples, got batch size 1")
        need(bool(config.hidden.strip()), "batch norm acts on hidden layers: add a hidden layer")
    need(config.updates_per_frame >= 1, f"updates per frame: expected >= 1, got {config.updates_per_frame}")
    if backends is not None:
        need(config.backend in backends, f"backend {config.backend!r} cannot run here; available: {list(backends)}")
    return problems


def n_classes(config):
    """K, the number of classes of the configured data set (only spirals has more than 2)."""
    return config.classes if config.dataset == "spirals" else 2


# ----------------------------------------------------------------------------- the URL form
def to_query(config):
    """{name: text} for the URL query string: only the settings that differ from the defaults."""
    out = {}
    for name, value in asdict(config).items():
        if value != getattr(DEFAULTS, name):
            out[name] = ("1" if value else "0") if isinstance(value, bool) else str(value)
    return out


def from_query(query):
    """(Config, problems) from a query mapping {name: text}: unknown names and values of the wrong
    type are reported in ``problems`` and left at their defaults."""
    values, problems = {}, []
    for name, text in dict(query).items():
        if isinstance(text, list | tuple):
            text = text[-1] if text else ""
        if name not in FIELDS:
            problems.append(f"URL: unknown setting {name!r} ignored")
            continue
        kind = type(getattr(DEFAULTS, name))
        try:
            if kind is bool:
                if text not in ("0", "1", "true", "false", "True", "False"):
                    raise ValueError
                values[name] = text in ("1", "true", "True")
            elif kind is int:
                values[name] = int(text)
            elif kind is float:
                values[name] = float(text)
            else:
                values[name] = str(text)
        except ValueError:
            problems.append(f"URL: {name}={text!r} is not a {kind.__name__}; kept {getattr(DEFAULTS, name)!r}")
    return Config(**values), problems


# ----------------------------------------------------------------------------- data
def xor(m=300, noise=0.15, seed=0):
    """The xor-like set: x uniform in [-1, 1]^2, label 1 where x1 x2 > 0 (first and third quadrant),
    then N(0, noise^2) jitter on every coordinate. Returns X (2, m), Y (1, m)."""
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1.0, 1.0, size=(2, m))
    labels = (X[0] * X[1] > 0).astype(np.float64)
    return X + noise * rng.standard_normal((2, m)), labels.reshape(1, m)


def make_data(config):
    """The configured data set: X (2, m) and Y (1, m) of 0/1 (sigmoid) or one-hot (K, m) (softmax).

    noise is moons' and spirals' noise, blobs' sigma, and for flower and xor the std of a Gaussian
    jitter added to the points (flower's own 0.2 is built in); everything is seeded by ``seed``.
    """
    c = config
    if c.dataset == "moons":
        X, Y = datasets.moons(c.m, noise=c.noise, seed=c.seed)
    elif c.dataset == "blobs":
        X, Y = datasets.blobs(c.m, seed=c.seed, sigma=max(c.noise, 1e-3))
    elif c.dataset == "spirals":
        X, Y = datasets.spirals(c.m, n_classes=c.classes, noise=c.noise, seed=c.seed)
    elif c.dataset == "flower":
        X, Y = datasets.flower(c.m, seed=c.seed)
        X = X + c.noise * np.random.default_rng(c.seed + 1).standard_normal(X.shape)
    else:
        X, Y = xor(c.m, c.noise, c.seed)
    if c.output_activation == "softmax" and Y.shape[0] == 1:
        Y = datasets.one_hot(Y[0].astype(np.int64), 2)
    return X, Y


# ----------------------------------------------------------------------------- the running playground
class Playground:
    """One run: data, split, scaler, layer_dims and a ``Trainer`` built from a valid ``Config``.

    Curves: ``curve`` holds, per ``record()``, t and the train/test cost and accuracy (eval mode);
    ``grad_history`` the ||dW[l]|| of each ``layer_stats()`` call. ``error`` is None, or the message
    that stopped the run (the trainer's DivergenceError).
    """

    def __init__(self, config, backends=None):
        problems = validate(config, backends)
        if problems:
            raise ValueError("; ".join(problems))
        self.config = c = config
        X, Y = make_data(c)
        self.X_raw, self.Y = X, Y
        X_tr, self.Y_train, X_te, self.Y_test = datasets.train_test_split(X, Y, c.test_fraction, c.seed)
        self.X_train_raw, self.X_test_raw = X_tr, X_te
        self.scaler = None if c.normalization == "none" else normalize.SCALERS[c.normalization]().fit(X_tr)
        self.X_train, self.X_test = self.transform(X_tr), self.transform(X_te)
        self.layer_dims = [2, *parse_hidden(c.hidden), Y.shape[0]]
        m_train = X_tr.shape[1]
        b = c.batch_size if 0 < c.batch_size < m_train else m_train
        self.updates_per_epoch = math.ceil(math.ceil(m_train / b) / c.batch_multiplier)
        self.schedule = cli_schedule(c.schedule, parse_lr(c.lr), c.horizon, self.updates_per_epoch)
        self.trainer = Trainer(
            self.layer_dims,
            c.hidden_activation,
            c.output_activation,
            optimizer=c.optimizer,
            learning_rate=self.schedule,
            batch_size=b,
            batch_multiplier=c.batch_multiplier,
            batchnorm=c.batchnorm,
            init="zeros",
            seed=c.seed,
            backend=c.backend,
            progress=False,
        )
        # the Trainer initializes without a sigma: put the configured W[l] (normal sigma, Xavier, He, zeros) in
        host = network.initialize_parameters(
            self.layer_dims, init=c.init, sigma=c.sigma, seed=c.seed, batchnorm=c.batchnorm
        )
        self.trainer.parameters.update(to_backend(host, self.trainer.B))
        self._groups = self._group_stream()
        self.error = None
        self.batch_costs = []  # the mini-batch cost of every update (before the update)
        self.curve = {"t": [], "train_cost": [], "test_cost": [], "train_accuracy": [], "test_accuracy": []}
        self.grad_history = {"t": [], "norms": []}
        self.record()

    @property
    def t(self):
        """Updates made so far."""
        return self.trainer.t

    def transform(self, X):
        """The inputs as the network sees them: X (2, m) through the scaler fitted on the training set."""
        return X if self.scaler is None else self.scaler.transform(X)

    def _group_stream(self):
        """(group of k mini-batches, whether it ends the epoch), epoch after epoch, shuffled by the trainer's
        seeded generator."""
        tr, k = self.trainer, self.config.batch_multiplier
        while True:
            batches = list(minibatches(self.X_train, self.Y_train, tr.batch_size, tr.rng))
            for start in range(0, len(batches), k):
                yield batches[start : start + k], start + k >= len(batches)

    def step(self, n=1):
        """Make up to n updates (stops at a divergence: ``error`` gets its message). Returns the number made."""
        done = 0
        if self.error is not None:
            return done
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):  # the trainer checks the cost
            for _ in range(int(n)):
                try:
                    # Trainer.update: the one update of Trainer.fit (forward, cost, backward, accumulate k
                    # mini-batches, optimizer step at lr(t)) -- fit itself only runs whole epochs
                    group, ends_epoch = next(self._groups)
                    cost, _, _ = self.trainer.update(group)
                except (DivergenceError, ValueError, FloatingPointError) as exc:
                    self.error = str(exc)
                    break
                self.batch_costs.append(float(cost))
                self.trainer.epoch += ends_epoch
                done += 1
        return done

    def record(self):
        """Append t and the train/test cost and accuracy (eval mode) to ``curve``; returns that row."""
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            tr = self.trainer.evaluate(self.X_train, self.Y_train)
            te = self.trainer.evaluate(self.X_test, self.Y_test)
        row = {
            "t": self.t,
            "train_cost": tr["cost"],
            "test_cost": te["cost"],
            "train_accuracy": tr["accuracy"],
            "test_accuracy": te["accuracy"],
        }
        for key, value in row.items():
            self.curve[key].append(value)
        return row

    def host_parameters(self):
        """The current parameters as NumPy arrays (copies)."""
        return to_host(self.trainer.parameters)

    def probabilities(self, X_raw):
        """P(class) for raw points X_raw (2, N): (1, N) for sigmoid (P(y = 1)), (K, N) for softmax."""
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            AL, _ = self.trainer.forward(self.transform(X_raw), mode="eval")
        return _host(AL)

    def extent(self):
        """(x_min, x_max, y_min, y_max) of the plane shown: the data's box plus a 10% margin."""
        lo, hi = self.X_raw.min(axis=1), self.X_raw.max(axis=1)
        pad = 0.1 * np.maximum(hi - lo, 1e-9)
        return lo[0] - pad[0], hi[0] + pad[0], lo[1] - pad[1], hi[1] + pad[1]

    def layer_stats(self):
        """One forward and backward pass over the training set (batch statistics for BN, nothing updated):

        {"A": [A[1], ..., A[L]] (host arrays (n[l], m)), "grad_norms": [||dW[1]||_F, ..., ||dW[L]||_F]}.
        The norms are appended to ``grad_history``.
        """
        tr = self.trainer
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            AL, caches = tr.forward(self.X_train, mode="batch")
            grads = network.backward(AL, self.Y_train, caches, tr.loss, tr.B, batchnorm=tr.batchnorm)
        L = len(caches)
        A = [_host(AL if l == L else caches[l][0][0]) for l in range(1, L + 1)]
        norms = [float(np.linalg.norm(_host(grads[f"dW{l}"]))) for l in range(1, L + 1)]
        self.grad_history["t"].append(self.t)
        self.grad_history["norms"].append(norms)
        return {"A": A, "grad_norms": norms}

    def lr_curve(self, points=200):
        """(t, lr(t)) over 0 .. max(T, t now): the schedule the trainer follows."""
        t_max = max(self.config.horizon, self.t, 1)
        ts = np.linspace(0.0, float(t_max), points)
        return ts, np.asarray(self.schedule(ts))

    def current_lr(self):
        return float(self.schedule(self.t))

    def trace_text(self, m=2):
        """``nn-ref trace`` of the next step on the first m training samples with the current parameters
        (as ``format_trace`` prints it), or None when the net is too big to read or uses batch norm."""
        too_big = sum(self.layer_dims) > TRACE_MAX_UNITS or len(self.layer_dims) - 1 > TRACE_MAX_LAYERS
        if self.config.batchnorm or too_big:
            return None
        from nn_ref.trace import format_trace, trace

        params = {k: v for k, v in self.host_parameters().items() if k[0] in "Wb"}
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            steps = trace(
                X=self.X_train[:, :m],
                Y=self.Y_train[:, :m],
                parameters=params,
                backend="numpy",
                learning_rate=self.current_lr(),
                hidden_activation=self.config.hidden_activation,
                output_activation=self.config.output_activation,
            )
        return format_trace(steps, precision=3)


def _host(x):
    """One array as a host NumPy array (copied from the GPU for the cuda backend)."""
    return to_host({"x": x})["x"]


# ----------------------------------------------------------------------------- the boundary picture
def boundary_grid(pg, grid=GRID):
    """P on a grid x grid lattice over ``pg.extent()``: (K', grid, grid), row 0 at the top (largest y)."""
    x0, x1, y0, y1 = pg.extent()
    xs, ys = np.linspace(x0, x1, grid), np.linspace(y1, y0, grid)
    gx, gy = np.meshgrid(xs, ys)
    P = pg.probabilities(np.vstack([gx.ravel(), gy.ravel()]))
    return P.reshape(P.shape[0], grid, grid)


def _class_probabilities(P):
    """(K, ...) class probabilities from a sigmoid (1, ...) or softmax (K, ...) output."""
    return np.concatenate([1.0 - P, P]) if P.shape[0] == 1 else P


def boundary_image(pg, grid=GRID, pixels=PIXELS):
    """The decision boundary as an RGB image (grid*pixels, grid*pixels, 3) uint8: every cell coloured by
    sum_k P(k) colour_k, pale; the training points as filled squares, the test points as hollow ones."""
    P = _class_probabilities(np.nan_to_num(boundary_grid(pg, grid), nan=0.5))
    K = P.shape[0]
    colors = CLASS_COLORS[:K]
    rgb = np.tensordot(P.transpose(1, 2, 0), colors, axes=1)  # (grid, grid, 3)
    rgb = 255.0 - 0.45 * (255.0 - rgb)  # pale background
    img = np.repeat(np.repeat(rgb, pixels, axis=0), pixels, axis=1)
    size = grid * pixels
    x0, x1, y0, y1 = pg.extent()
    for X, Y, hollow in ((pg.X_train_raw, pg.Y_train, False), (pg.X_test_raw, pg.Y_test, True)):
        labels = datasets.labels_of(Y)
        cols = np.clip(((X[0] - x0) / (x1 - x0) * (size - 1)).round().astype(int), 2, size - 3)
        rows = np.clip(((y1 - X[1]) / (y1 - y0) * (size - 1)).round().astype(int), 2, size - 3)
        for dr in range(-2, 3):
            for dc in range(-2, 3):
                edge = max(abs(dr), abs(dc)) == 2
                if edge:
                    img[rows + dr, cols + dc] = 40.0
                else:
                    img[rows + dr, cols + dc] = 255.0 if hollow else 0.8 * colors[labels]
    return img.clip(0, 255).astype(np.uint8)


def image_hash(img):
    """A short hash of an image's bytes (the tests see the picture change through it)."""
    return hashlib.sha1(np.ascontiguousarray(img).tobytes()).hexdigest()[:16]


def histogram(values, bins=20):
    """(centers, counts) of the finite entries of ``values`` (all entries: counts sum to their number)."""
    v = np.asarray(values, dtype=np.float64).ravel()
    v = v[np.isfinite(v)]
    if v.size == 0:
        return np.zeros(0), np.zeros(0, dtype=np.int64)
    lo, hi = float(v.min()), float(v.max())
    if hi - lo < 1e-12:
        lo, hi = lo - 0.5, hi + 0.5
    counts, edges = np.histogram(v, bins=bins, range=(lo, hi))
    return 0.5 * (edges[:-1] + edges[1:]), counts


__all__ = [
    "Config",
    "DATASETS",
    "DivergenceError",
    "Playground",
    "boundary_image",
    "from_query",
    "histogram",
    "image_hash",
    "make_data",
    "parse_hidden",
    "parse_lr",
    "to_query",
    "validate",
    "xor",
]
