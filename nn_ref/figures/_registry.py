"""The figure registry: every lecture figure is one function, registered with its slide title.

A figure function computes its data with nn-ref itself, draws it, and returns both::

    @figure("activation_functions", slide="Neuron's Activation Functions")
    def activation_functions(quick=False, z_min=-5, z_max=5, alpha=0.1):
        ...                     # compute with nn_ref
        fig, ax = new_figure()  # draw with matplotlib (Agg)
        ...
        return fig, {"z": z, "A": {...}, "key_numbers": {"max_abs_error": ...}}

- The registered ``params`` are the function's keyword defaults (all but ``quick`` and ``seed``; tuples
  become lists, as in the manifest), so the values are written once, in the signature.
- ``quick=True`` may shrink sizes (for the tests) where the figure's check still means something;
  the committed PNGs use ``quick=False`` and the registered ``params``.
- ``data["key_numbers"]`` holds the (JSON-serialisable) numbers the figure's honesty check uses;
  they go into ``plots/MANIFEST.json``.
- ``seed``: when not None, the function must take a ``seed`` parameter; ``FigureSpec.run`` passes the
  registered seed to it (unless ``params`` already holds the same ``"seed"``), so the manifest's seed
  is the one the data was drawn with. Draw random numbers only from ``np.random.default_rng(seed)``.
- Draw with ``new_figure`` (a ``matplotlib.figure.Figure`` outside pyplot: no display and no GUI
  backend needed -- PNGs are written by Agg --, nothing to close, no "more than 20 figures" warning,
  and a notebook's own backend is left alone); the decorator runs the function in the house ``STYLE``.
- ``FigureSpec.run`` computes with the NumPy oracle backend unless told otherwise (deterministic,
  no JIT start-up) and one OpenBLAS thread (``blas_threads``); ``to_numpy`` turns a backend array
  (a CUDA device array too) into a NumPy array.
"""

import contextlib
import ctypes
import functools
import inspect
import json

import matplotlib
import numpy as np
from matplotlib.figure import Figure

from nn_ref.backend import use_backend  # noqa: F401  (FigureSpec.run; re-exported)
from nn_ref.figures.style import RC, figsize

FIGURES = {}

DEFAULT_BACKEND = "numpy"

STYLE = RC  # the slide style (nn_ref.figures.style): 16:9 panels, text >= 14 pt, Okabe-Ito roles


class FigureSpec:
    """One registered figure: its id, slide title, drawing function, parameters and seed."""

    def __init__(self, fig_id, slide, function, params, seed):
        self.id, self.slide, self.function, self.params, self.seed = fig_id, slide, function, params, seed

    def __repr__(self):
        return f"FigureSpec({self.id!r}, slide={self.slide!r})"

    @property
    def qualname(self):
        """``module.qualname`` of the figure function, e.g. ``nn_ref.figures.basics.loss_l1_vs_l2``."""
        return f"{self.function.__module__}.{self.function.__qualname__}"

    def call_kwargs(self):
        """The keyword arguments the function is called with: ``params`` plus the registered seed."""
        kwargs = dict(self.params)
        if self.seed is not None:
            kwargs["seed"] = self.seed
        return kwargs

    def run(self, quick=False, backend=DEFAULT_BACKEND, threads=1):
        """``(fig, data)`` = the function called with the registered params and seed, computing
        with ``backend`` (None keeps $NN_REF_BACKEND / auto) and ``threads`` BLAS threads (None: as is)."""
        with use_backend(backend), blas_threads(threads):
            return self.function(quick=quick, **self.call_kwargs())


def _as_lists(value):
    """``value`` with every tuple (nested too) turned into a list, as JSON writes it."""
    if isinstance(value, (tuple, list)):
        return [_as_lists(v) for v in value]
    return value


def signature_params(function):
    """The keyword defaults of ``function`` but ``quick`` and ``seed``, tuples as lists: the params a figure
    is registered with unless given (``{"z_min": -5, ...}`` for ``f(quick=False, z_min=-5, ..., seed=0)``)."""
    return {
        name: _as_lists(p.default)
        for name, p in inspect.signature(function).parameters.items()
        if name not in ("quick", "seed") and p.default is not p.empty
    }


def figure(fig_id, slide, params=None, seed=None):
    """Decorator: register ``function`` as figure ``fig_id`` from the slide ``slide``, with ``params``
    (default: the function's keyword defaults, ``signature_params``) and ``seed``.

    Returns the function wrapped so that it draws in the house style (``STYLE``)."""

    def register(function):
        if fig_id in FIGURES:
            raise ValueError(f"figure id {fig_id!r} registered twice")
        registered = signature_params(function) if params is None else dict(params)
        accepted = inspect.signature(function).parameters
        if "quick" not in accepted:
            raise ValueError(f"figure {fig_id!r}: expected a parameter quick=False in {function.__qualname__}")
        for name in registered:
            if name not in accepted and not any(p.kind is p.VAR_KEYWORD for p in accepted.values()):
                raise ValueError(
                    f"figure {fig_id!r}: params key {name!r} is not a parameter of "
                    f"{function.__qualname__}{inspect.signature(function)}"
                )
        if seed is not None:
            if "seed" not in accepted:
                raise ValueError(
                    f"figure {fig_id!r}: registered seed={seed!r} but {function.__qualname__} takes no 'seed' parameter"
                )
            if "seed" in registered and registered["seed"] != seed:
                raise ValueError(f"figure {fig_id!r}: params['seed']={registered['seed']!r} differs from seed={seed!r}")

        @functools.wraps(function)
        def styled(*args, **kwargs):
            with matplotlib.rc_context(STYLE):
                return function(*args, **kwargs)

        FIGURES[fig_id] = FigureSpec(fig_id, slide, styled, registered, seed)
        return styled

    return register


def _openblas_libraries():
    """(set_num_threads, get_num_threads) of every OpenBLAS loaded in this process (NumPy's and SciPy's
    wheels each bundle one); Linux only (read from /proc/self/maps), else an empty list."""
    found = []
    try:
        with open("/proc/self/maps") as fh:
            paths = {line.split()[-1] for line in fh if "openblas" in line.rsplit("/", 1)[-1].lower()}
    except OSError:
        return found
    for path in sorted(paths):
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        for prefix, suffix in (("scipy_", "64_"), ("", "64_"), ("", "")):
            setter = getattr(lib, f"{prefix}openblas_set_num_threads{suffix}", None)
            getter = getattr(lib, f"{prefix}openblas_get_num_threads{suffix}", None)
            if setter is not None and getter is not None:
                found.append((setter, getter))
                break
    return found


@contextlib.contextmanager
def blas_threads(n):
    """Within the block, OpenBLAS uses ``n`` threads (``None``: unchanged). The figures' matrices are
    small: one thread is fastest, and a busy machine is not oversubscribed (multi-threaded BLAS on small
    products under load was 10x slower here). Results are the same; the old counts are restored."""
    libs = _openblas_libraries() if n is not None else []
    old = [getter() for _, getter in libs]
    for setter, _ in libs:
        setter(int(n))
    limits = contextlib.nullcontext()
    if n is not None:
        try:  # any other BLAS / OpenMP pool too (MKL, BLIS), when installed
            from threadpoolctl import threadpool_limits

            limits = threadpool_limits(int(n))
        except ImportError:
            pass
    try:
        with limits:
            yield
    finally:
        for (setter, _), count in zip(libs, old):
            setter(count)


def new_figure(nrows=1, ncols=1, width=None, height=None, mosaic=None, **kwargs):
    """A figure in the slide style: ``fig, axes = new_figure(1, 2)`` (constrained layout), one 16:9
    panel per cell (``style.figsize``; at most 2 x 2) unless ``width``/``height`` are given; with
    ``mosaic=[["a", "a"], ["b", "c"]]`` the axes are a dict, as ``Figure.subplot_mosaic``.

    The figure is a plain ``matplotlib.figure.Figure`` (not registered with pyplot)."""
    if mosaic is not None:
        rows, cols = len(mosaic), max(len(row) for row in mosaic)
    else:
        rows, cols = nrows, ncols
    w, h = figsize(rows, cols)
    with matplotlib.rc_context(STYLE):
        fig = Figure(figsize=(width or w, height or h), layout="constrained")
        axes = fig.subplot_mosaic(mosaic, **kwargs) if mosaic is not None else fig.subplots(nrows, ncols, **kwargs)
    return fig, axes


def diagram_axes(ax, xlim, ylim):
    """Turn ``ax`` into a blank canvas for a diagram: no grid, ticks or spines, equal aspect."""
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    ax.set_aspect("equal")
    ax.axis("off")
    return ax


def to_numpy(x):
    """A backend array as a NumPy array (CUDA device arrays are copied to the host)."""
    if hasattr(x, "copy_to_host"):
        return x.copy_to_host()
    return np.asarray(x)


def to_jsonable(value):
    """Numbers and small arrays as plain JSON values (numpy scalars -> float/int)."""
    return json.loads(json.dumps(value, default=lambda o: o.tolist() if hasattr(o, "tolist") else str(o)))
