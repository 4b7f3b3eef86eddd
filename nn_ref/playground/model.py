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

import math
import time
import urllib.parse
from dataclasses import asdict, dataclass, fields

import numpy as np

from nn_ref import datasets, network, normalize
from nn_ref.backend import to_backend, to_host
from nn_ref.init import INITIALIZERS
from nn_ref.optim import OPTIMIZERS, minibatches
from nn_ref.schedules import BY_NAME as SCHEDULES
from nn_ref.schedules import by_name as schedule_by_name
from nn_ref.train import DivergenceError, Trainer

DATASETS = ("moons", "flower", "blobs", "spirals", "xor", "regression")
REGRESSION = ("regression",)  # the data sets with a real-valued target: linear output, mse
NORMALIZATIONS = ("none", "minmax", "standard")
HIDDEN_ACTIVATIONS = tuple(network.HIDDEN_ACTIVATIONS)
OUTPUTS = tuple(network.OUTPUT_ACTIVATIONS)  # sigmoid (2 classes), softmax (K classes), linear (regression)
# the input features the network sees, computed from the (normalized) x1, x2 as in TensorFlow Playground
FEATURES = {
    "x1": lambda x1, x2: x1,
    "x2": lambda x1, x2: x2,
    "x1^2": lambda x1, x2: x1 * x1,
    "x2^2": lambda x1, x2: x2 * x2,
    "x1x2": lambda x1, x2: x1 * x2,
    "sin(x1)": lambda x1, x2: np.sin(x1),
    "sin(x2)": lambda x1, x2: np.sin(x2),
}
GRID = 60  # the decision boundary is evaluated on a GRID x GRID lattice
PIXELS = 4  # ... and each lattice cell drawn as PIXELS x PIXELS pixels
TRACE_MAX_UNITS = 24  # the step's equations are shown for nets with at most this many units in all
TRACE_MAX_LAYERS = 4
CLASS_COLORS = np.array([[31, 119, 180], [255, 127, 14], [44, 160, 44], [214, 39, 40], [148, 103, 189]], float)
# limits: every frame's work is bounded (a shared link cannot keep a core busy)
LIMITS = {
    "m": (20, 5000),
    "noise": (0.0, 5.0),
    "test_fraction": (0.05, 0.9),
    "units": (1, 64),  # per hidden layer
    "hidden_layers": (0, 8),
    "parameters": (1, 20_000),  # sum of the sizes of every W[l], b[l]
    "sigma": (1e-6, 100.0),
    "lr": (1e-8, 1e3),
    "horizon": (1, 1_000_000),
    "batch_multiplier": (1, 64),
    "seed": (0, 2**32 - 1),
    "updates_per_frame": (1, 500),
}
FRAME_BUDGET_S = 0.2  # a frame trains for at most this long, whatever updates_per_frame asks
STATS_M = 500  # layer statistics use the first STATS_M training samples


@dataclass
class Config:
    """Every knob of the playground. ``hidden`` is the hidden part of layer_dims as text ("8,8": two
    hidden layers of 8 units; "" for none); ``features`` the inputs as text ("x1,x2,x1x2", names of
    FEATURES); ``lr`` is text too, so that a bad value can be refused with a message rather than clamped.
    batch_size 0 means the whole training set (batch gradient descent)."""

    dataset: str = "moons"
    m: int = 300
    noise: float = 0.15
    classes: int = 2
    test_fraction: float = 0.2
    normalization: str = "standard"
    features: str = "x1,x2"
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
    """[n[1], ..., n[L-1]] from "8,8" (ints in LIMITS["units"], at most LIMITS["hidden_layers"] layers).
    Raises ValueError naming the bad entry."""
    parts = [p.strip() for p in str(text).replace(" ", ",").split(",") if p.strip()]
    lo, hi = LIMITS["units"]
    if len(parts) > LIMITS["hidden_layers"][1]:
        raise ValueError(f"hidden layers: expected at most {LIMITS['hidden_layers'][1]} layers, got {len(parts)}")
    sizes = []
    for i, p in enumerate(parts, start=1):
        try:
            n = int(p)
        except ValueError:
            raise ValueError(f"hidden layer {i}: expected a whole number of units, got {p!r}") from None
        if n < lo:
            raise ValueError(f"hidden layer {i} has {n} units: every layer needs at least {lo} unit")
        if n > hi:
            raise ValueError(f"hidden layer {i}: expected at most {hi} units, got {n}")
        sizes.append(n)
    return sizes


def parse_features(text):
    """The input features, names of FEATURES, from "x1,x2,x1x2". Raises ValueError naming a bad one."""
    names = [p.strip() for p in str(text).split(",") if p.strip()]
    for name in names:
        if name not in FEATURES:
            raise ValueError(f"input features: expected names from {tuple(FEATURES)}, got {name!r}")
    if not names:
        raise ValueError("input features: expected at least one of " + ", ".join(FEATURES))
    if len(set(names)) != len(names):
        raise ValueError(f"input features: each feature once, got {text!r}")
    return names


def parse_lr(text):
    """The learning rate alpha_0 from text (a number in LIMITS["lr"]). Raises ValueError otherwise."""
    lo, hi = LIMITS["lr"]
    try:
        lr = float(text)
    except (TypeError, ValueError):
        raise ValueError(f"learning rate: expected a number > 0, got {text!r}") from None
    if not (lr > 0 and math.isfinite(lr)):
        raise ValueError(f"learning rate: expected a number > 0, got {text}")
    if not lo <= lr <= hi:
        raise ValueError(f"learning rate: expected {lo:g} .. {hi:g}, got {text}")
    return lr


def n_parameters(layer_dims, batchnorm=False):
    """The number of entries of every W[l] (n[l], n[l-1]) and b[l] (n[l], 1) (and gamma, beta with batch norm)."""
    dims = list(layer_dims)
    count = sum(n * (n_prev + 1) for n_prev, n in zip(dims[:-1], dims[1:]))
    return count + (2 * sum(dims[1:-1]) if batchnorm else 0)


def check(config, backends=None):
    """{setting: message} for every impossible setting ({} when the configuration can run); the message
    names the setting, the expected and the given value."""
    problems = {}
    c = config

    def need(name, ok, message):
        if not ok and name not in problems:
            problems[name] = message

    def num(x):
        return str(int(x)) if float(x).is_integer() and abs(x) < 1e15 else f"{x:g}"

    def in_range(name, label, value, key=None):
        lo, hi = LIMITS[key or name]
        ok = isinstance(value, int | float) and math.isfinite(value) and lo <= value <= hi
        need(name, ok, f"{label}: expected {num(lo)} .. {num(hi)}, got {value}")

    def choice(name, label, options):
        need(name, getattr(c, name) in options, f"{label}: expected one of {tuple(options)}, got {getattr(c, name)!r}")

    choice("dataset", "data set", DATASETS)
    in_range("m", "samples m", c.m)
    in_range("noise", "noise", c.noise)
    need("classes", 2 <= c.classes <= len(CLASS_COLORS), f"classes: expected 2 .. {len(CLASS_COLORS)}, got {c.classes}")
    in_range("test_fraction", "test fraction", c.test_fraction)
    choice("normalization", "normalization", NORMALIZATIONS)
    for name, parse in (("features", parse_features), ("hidden", parse_hidden), ("lr", parse_lr)):
        try:
            parse(getattr(c, name))
        except ValueError as exc:
            problems[name] = str(exc)
    choice("hidden_activation", "hidden activation", HIDDEN_ACTIVATIONS)
    choice("output_activation", "output activation", OUTPUTS)
    regression, out = c.dataset in REGRESSION, c.output_activation
    need("output_activation", not regression or out == "linear", "output activation: regression needs linear (mse)")
    need(
        "output_activation",
        regression or out != "linear",
        f"output activation: {c.dataset} is a classification: "
        "choose sigmoid or softmax (linear is for the regression data set)",
    )
    if out == "sigmoid" and n_classes(c) > 2:
        need(
            "output_activation",
            False,
            f"output activation: a sigmoid output separates 2 classes; this data set "
            f"has {n_classes(c)}: choose softmax",
        )
    choice("init", "initializer", INITIALIZERS)
    in_range("sigma", "sigma", c.sigma)
    choice("optimizer", "optimizer", tuple(OPTIMIZERS))
    choice("schedule", "schedule", SCHEDULES)
    in_range("horizon", "schedule horizon T", c.horizon)
    need(
        "batch_size",
        0 <= c.batch_size <= LIMITS["m"][1],
        f"batch size: expected 1 .. m (or 0 for the whole set), got {c.batch_size}",
    )
    in_range("batch_multiplier", "batch multiplier k", c.batch_multiplier)
    if c.batchnorm:
        need("batchnorm", c.batch_size != 1, "batch norm needs mini-batches of at least 2 samples, got batch size 1")
        need("batchnorm", bool(str(c.hidden).strip()), "batch norm acts on hidden layers: add a hidden layer")
    in_range("seed", "seed", c.seed)
    in_range("updates_per_frame", "updates per frame", c.updates_per_frame)
    if "hidden" not in problems and "features" not in problems:
        dims = layer_dims(c)
        count, most = n_parameters(dims, c.batchnorm), LIMITS["parameters"][1]
        need(
            "hidden",
            count <= most,
            f"hidden layers: layer_dims {dims} has {count} parameters; the playground "
            f"draws at most {most} (fewer or narrower layers)",
        )
    if backends is not None:
        need("backend", c.backend in backends, f"backend {c.backend!r} cannot run here; available: {list(backends)}")
    return problems


def validate(config, backends=None):
    """A list of messages, one per impossible setting ([] when the configuration can run)."""
    return list(check(config, backends).values())


def layer_dims(config):
    """[n[0] (the input features), n[1], ..., n[L-1], n[L]] of a valid configuration."""
    n_out = 1 if config.output_activation != "softmax" else n_classes(config)
    return [len(parse_features(config.features)), *parse_hidden(config.hidden), n_out]


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


def from_query(query, backends=None):
    """(Config, problems) from a query mapping {name: text}. Unknown names, values of the wrong type and
    values the configuration cannot run (out of range, unknown choices) are reported in ``problems``, one
    message naming the setting each, and left at their defaults: the Config returned can always run."""
    values, problems, given = {}, [], {}
    for name, text in dict(query).items():
        if isinstance(text, list | tuple):
            text = text[-1] if text else ""
        if name not in FIELDS:
            problems.append(f"URL: unknown setting {name!r} ignored")
            continue
        given[name] = text
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
    if "output_activation" not in values:  # a link that names only the data set gets its output
        values["output_activation"] = fitting_output(Config(**values))
    config = Config(**values)
    for _ in range(len(FIELDS)):  # a setting put back to its default can uncover another one's problem
        bad = {name: msg for name, msg in check(config, backends).items() if name in values}
        if not bad:
            break
        for name, msg in bad.items():
            problems.append(f"URL: {name}={given[name]!r}: {msg}; kept {getattr(DEFAULTS, name)!r}")
            del values[name]
        config = Config(**values)
    if check(config, backends):  # settings that cannot run together: the defaults
        problems.append(
            f"URL: these settings cannot run together ({'; '.join(validate(config, backends))}); kept the defaults"
        )
        config = Config()
    return config, problems


def fitting_output(config):
    """The output activation a data set needs: linear for regression, softmax for more than 2 classes,
    else the configured one (sigmoid, or softmax when it was chosen; a linear output becomes sigmoid)."""
    if config.dataset in REGRESSION:
        return "linear"
    if n_classes(config) > 2:
        return "softmax"
    return "sigmoid" if config.output_activation == "linear" else config.output_activation


# ----------------------------------------------------------------------------- data
def xor(m=300, noise=0.15, seed=0):
    """The xor-like set: x uniform in [-1, 1]^2, label 1 where x1 x2 > 0 (first and third quadrant),
    then N(0, noise^2) jitter on every coordinate. Returns X (2, m), Y (1, m)."""
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1.0, 1.0, size=(2, m))
    labels = (X[0] * X[1] > 0).astype(np.float64)
    return X + noise * rng.standard_normal((2, m)), labels.reshape(1, m)


def regression(m=300, noise=0.15, seed=0):
    """The regression set: x uniform in [-1.5, 1.5]^2, y = sin(2 x1) + x2^2 / 2 + N(0, noise^2).
    Returns X (2, m), Y (1, m) of real values (a linear output and the mse cost fit it)."""
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1.5, 1.5, size=(2, m))
    y = np.sin(2.0 * X[0]) + 0.5 * X[1] ** 2 + noise * rng.standard_normal(m)
    return X, y.reshape(1, m)


def make_data(config):
    """The configured data set: X (2, m) and Y (1, m) of 0/1 (sigmoid), one-hot (K, m) (softmax) or real
    values (1, m) (regression).

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
    elif c.dataset == "regression":
        X, Y = regression(c.m, c.noise, c.seed)
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
        self.features = parse_features(c.features)
        self.X_train, self.X_test = self.transform(X_tr), self.transform(X_te)
        self.layer_dims = layer_dims(c)
        self.regression = c.dataset in REGRESSION
        m_train = X_tr.shape[1]
        b = c.batch_size if 0 < c.batch_size < m_train else m_train
        self.updates_per_epoch = math.ceil(math.ceil(m_train / b) / c.batch_multiplier)
        self.schedule = schedule_by_name(c.schedule, parse_lr(c.lr), c.horizon, self.updates_per_epoch)
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
        self.error = None  # the message that stopped a diverging run
        self.finished = None  # the note of a schedule that reached lr = 0 (a finished run, not an error)
        self.last_update_time = None  # time.time() at the end of the last update (the tests read it)
        self.batch_costs = []  # the mini-batch cost of every update (before the update)
        self.curve = {"t": [], "train_cost": [], "test_cost": [], "train_accuracy": [], "test_accuracy": []}
        self.grad_history = {"t": [], "norms": [], "spread": []}
        self.record()

    @property
    def t(self):
        """Updates made so far."""
        return self.trainer.t

    @property
    def stopped(self):
        """Whether the run can make no more updates (diverged, or its schedule reached lr = 0)."""
        return self.error is not None or self.finished is not None

    def transform(self, X):
        """The inputs as the network sees them, A[0] (n[0], m): X (2, m) through the scaler fitted on the
        training set, then the configured features of the scaled x1, x2 (x1, x2, x1^2, x1x2, sin(x1), ...)."""
        Xs = X if self.scaler is None else self.scaler.transform(X)
        return np.vstack([FEATURES[name](Xs[0], Xs[1]) for name in self.features])

    def _group_stream(self):
        """(group of k mini-batches, whether it ends the epoch), epoch after epoch, shuffled by the trainer's
        seeded generator."""
        tr, k = self.trainer, self.config.batch_multiplier
        while True:
            batches = list(minibatches(self.X_train, self.Y_train, tr.batch_size, tr.rng))
            for start in range(0, len(batches), k):
                yield batches[start : start + k], start + k >= len(batches)

    def step(self, n=1, budget_s=None, yield_point=None):
        """Make up to n updates; returns the number made. Stops early after ``budget_s`` seconds, at a
        divergence (``error`` gets the trainer's message) or when the schedule reaches lr = 0 (``finished``
        gets a note). ``yield_point()`` is called before every update: the app passes a function that
        raises when the user pressed Pause, Reset or changed a setting, so a frame stops at once."""
        done, start = 0, time.perf_counter()
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):  # the trainer checks the cost
            while done < int(n) and not self.stopped:
                if yield_point is not None:
                    yield_point()
                if done and budget_s is not None and time.perf_counter() - start > budget_s:
                    break
                if not self.current_lr() > 0:
                    self.finished = (
                        f"the {self.config.schedule} schedule reached learning rate 0 at t = {self.t} "
                        f"(horizon T = {self.config.horizon}): this run is complete"
                    )
                    break
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
                self.last_update_time = time.time()
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
        """The output for raw points X_raw (2, N): P(y = 1) (1, N) for sigmoid, P(class) (K, N) for softmax,
        the predicted value (1, N) for regression."""
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            AL, _ = self.trainer.forward(self.transform(X_raw), mode="eval")
        return _host(AL)

    def extent(self):
        """(x_min, x_max, y_min, y_max) of the plane shown: the data's box plus a 10% margin."""
        lo, hi = self.X_raw.min(axis=1), self.X_raw.max(axis=1)
        pad = 0.1 * np.maximum(hi - lo, 1e-9)
        return lo[0] - pad[0], hi[0] + pad[0], lo[1] - pad[1], hi[1] + pad[1]

    def grid_points(self, grid):
        """The raw points of a grid x grid lattice over ``extent()``: (2, grid^2), row 0 at the top (largest y)."""
        x0, x1, y0, y1 = self.extent()
        gx, gy = np.meshgrid(np.linspace(x0, x1, grid), np.linspace(y1, y0, grid))
        return np.vstack([gx.ravel(), gy.ravel()])

    def unit_maps(self, grid=16):
        """Every unit's output over the input plane, for the network diagram: [A[0], A[1], ..., A[L]] on a
        grid x grid lattice, each (n[l], grid, grid) (A[0]: the input features; eval mode)."""
        A0 = self.transform(self.grid_points(grid))
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            AL, caches = self.trainer.forward(A0, mode="eval")
        L = len(caches)
        A = [A0] + [_host(AL if l == L else caches[l][0][0]) for l in range(1, L + 1)]
        return [a.reshape(a.shape[0], grid, grid) for a in A]

    def layer_stats(self):
        """One forward and backward pass over the first STATS_M training samples (batch statistics for BN,
        nothing updated):

        {"A": [A[1], ..., A[L]] (host arrays (n[l], m)), "grad_norms": [||dW[1]||_F, ..., ||dW[L]||_F],
        "spread": [std of A[1], ..., std of A[L-1]] (over units and samples)}. The norms and spreads are
        appended to ``grad_history`` with t."""
        tr = self.trainer
        X, Y = self.X_train[:, :STATS_M], self.Y_train[:, :STATS_M]
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            AL, caches = tr.forward(X, mode="batch")
            grads = network.backward(AL, Y, caches, tr.loss, tr.B, batchnorm=tr.batchnorm)
            L = len(caches)
            A = [_host(AL if l == L else caches[l][0][0]) for l in range(1, L + 1)]
            norms = [float(np.linalg.norm(_host(grads[f"dW{l}"]))) for l in range(1, L + 1)]
            spread = [float(np.std(a)) for a in A[:-1]]
        if not self.grad_history["t"] or self.grad_history["t"][-1] != self.t:
            self.grad_history["t"].append(self.t)
            self.grad_history["norms"].append(norms)
            self.grad_history["spread"].append(spread)
        return {"A": A, "grad_norms": norms, "spread": spread}

    def lr_curve(self, points=200):
        """(t, lr(t)) over 0 .. max(T, t now): the schedule the trainer follows."""
        t_max = max(self.config.horizon, self.t, 1)
        ts = np.linspace(0.0, float(t_max), points)
        return ts, np.asarray(self.schedule(ts))

    def current_lr(self):
        return float(self.schedule(self.t))

    def trace_text(self, m=2):
        """``nn-ref trace`` of the next step on the first m training samples with the current parameters
        (as ``format_trace`` prints it), or None when the net is too big to read, uses batch norm or its
        schedule has reached lr = 0."""
        too_big = sum(self.layer_dims) > TRACE_MAX_UNITS or len(self.layer_dims) - 1 > TRACE_MAX_LAYERS
        if self.config.batchnorm or too_big or not self.current_lr() > 0:  # (a finished schedule: no next step)
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


# ----------------------------------------------------------------------------- the boundary
def boundary_grid(pg, grid=GRID):
    """The output on a grid x grid lattice over ``pg.extent()``: (n[L], grid, grid), row 0 at the top."""
    P = pg.probabilities(pg.grid_points(grid))
    return P.reshape(P.shape[0], grid, grid)


# ----------------------------------------------------------------------------- the lessons, as links
@dataclass(frozen=True)
class Lesson:
    """A setting of the lecture as a playground link: ``query`` (the URL's settings) and ``claim`` (what it
    shows; tests/test_playground.py asserts each claim from the model)."""

    title: str
    query: dict
    claim: str


LESSONS = {
    "vanishing": Lesson(
        "Vanishing gradients",
        {
            "hidden": "8,8,8,8",
            "hidden_activation": "sigmoid",
            "init": "normal",
            "sigma": "0.01",
            "optimizer": "sgd",
            "lr": "0.1",
        },
        "sigmoid units, W ~ N(0, 0.01^2), plain SGD: ||dW[1]|| / ||dW[5]|| is about 1e-7 (each layer back "
        "multiplies by sigma times g' <= 1/4) and the cost stays at ln 2 = 0.693",
    ),
    "batchnorm": Lesson(
        "Batch norm rescues it",
        {
            "hidden": "8,8,8,8",
            "hidden_activation": "sigmoid",
            "init": "normal",
            "sigma": "0.01",
            "optimizer": "sgd",
            "lr": "0.5",
            "batchnorm": "1",
        },
        "the same net with batch norm in every hidden layer: the gradients reach W[1] and the cost falls "
        "below 0.1 in 500 updates",
    ),
    "exploding": Lesson(
        "Exploding gradients",
        {"hidden": "16,16,16,16,16", "hidden_activation": "relu", "init": "normal", "sigma": "2", "optimizer": "sgd"},
        "ReLU units, W ~ N(0, 2^2): every layer multiplies the signal by about sigma sqrt(n/2) = 5.7, "
        "||dW[l]|| starts near 1e3 and SGD diverges within a few dozen updates",
    ),
    "lr_too_high": Lesson(
        "Learning rate too high",
        {"optimizer": "sgd", "lr": "20"},
        "SGD with lr = 20: the steps overshoot, the cost jumps around and ends far above where it started "
        "(lr = 0.1 brings it to about 0.13)",
    ),
    "batch_1": Lesson(
        "Batch size 1",
        {"optimizer": "sgd", "lr": "0.1", "batch_size": "1"},
        "b = 1 (stochastic gradient descent): the mini-batch cost jumps by about 0.4 from update to update",
    ),
    "full_batch": Lesson(
        "Full batch",
        {"optimizer": "sgd", "lr": "0.1", "batch_size": "0"},
        "b = m (batch gradient descent): the mini-batch cost is the training cost and falls smoothly (steps "
        "hundreds of times smaller than with b = 1)",
    ),
    "schedule": Lesson(
        "A schedule calms a high learning rate",
        {"optimizer": "sgd", "lr": "20", "schedule": "exponential", "horizon": "400"},
        "lr = 20 decayed exponentially to 0.2 over T = 400 updates: the cost bounces at first, then settles "
        "far below the constant lr = 20 run",
    ),
    "regression": Lesson(
        "Regression",
        {"dataset": "regression", "features": "x1,x2,sin(x1),x2^2", "hidden": "4"},
        "a linear output with the mse cost fits y = sin(2 x1) + x2^2 / 2; the features sin(x1) and x2^2 make it easy",
    ),
}


def lesson_query(name):
    """The URL query string of a lesson, e.g. "hidden=8,8,8,8&init=normal&sigma=0.01&..."."""
    return urllib.parse.urlencode(LESSONS[name].query, safe=",")


__all__ = [
    "Config",
    "DATASETS",
    "DivergenceError",
    "FEATURES",
    "LESSONS",
    "LIMITS",
    "Playground",
    "boundary_grid",
    "check",
    "from_query",
    "make_data",
    "parse_features",
    "parse_hidden",
    "parse_lr",
    "regression",
    "to_query",
    "validate",
    "xor",
]
