"""The figure registry: every lecture figure is one function, registered with its slide title.

A figure function computes its data with nn-ref itself, draws it, and returns both::

    @figure("activation_functions", slide="Neuron's Activation Functions",
            params={"z_min": -5, "z_max": 5, "alpha": 0.1}, seed=None)
    def activation_functions(quick=False, z_min=-5, z_max=5, alpha=0.1):
        ...                     # compute with nn_ref
        fig, ax = new_figure()  # draw with matplotlib (Agg)
        ...
        return fig, {"z": z, "A": {...}, "key_numbers": {"max_abs_error": ...}}

- ``quick=True`` may shrink sizes (for the tests) where the figure's check still means something;
  the committed PNGs use ``quick=False`` and the registered ``params``.
- ``data["key_numbers"]`` holds the (JSON-serialisable) numbers the figure's honesty check uses;
  they go into ``plots/MANIFEST.json``.
"""
import json

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

FIGURES = {}


class FigureSpec:
    """One registered figure: its id, slide title, drawing function, parameters and seed."""

    def __init__(self, fig_id, slide, function, params, seed):
        self.id, self.slide, self.function, self.params, self.seed = fig_id, slide, function, params, seed

    def __repr__(self):
        return f"FigureSpec({self.id!r}, slide={self.slide!r})"


def figure(fig_id, slide, params=None, seed=None):
    """Decorator: register ``function`` as figure ``fig_id`` from the slide ``slide``."""
    def register(function):
        if fig_id in FIGURES:
            raise ValueError(f"figure id {fig_id!r} registered twice")
        FIGURES[fig_id] = FigureSpec(fig_id, slide, function, dict(params or {}), seed)
        return function
    return register


STYLE = {
    "figure.dpi": 100,
    "savefig.dpi": 150,
    "font.size": 10,
    "axes.titlesize": 11,
    "axes.labelsize": 10,
    "legend.fontsize": 9,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
}


def new_figure(nrows=1, ncols=1, width=6.4, height=4.0, **kwargs):
    """A figure in the house style: ``fig, axes = new_figure(1, 2)``."""
    with plt.rc_context(STYLE):
        fig, axes = plt.subplots(nrows, ncols, figsize=(width, height), **kwargs)
    fig.set_layout_engine("constrained")
    return fig, axes


def to_jsonable(value):
    """Numbers and small arrays as plain JSON values (numpy scalars -> float/int)."""
    return json.loads(json.dumps(value, default=lambda o: o.tolist() if hasattr(o, "tolist") else str(o)))
