"""Shared by every figure test: each registered figure is computed once per test session.

    from _figcache import run_figure
    fig, data = run_figure("activation_functions")    # quick=True, registered params and seed

The figure functions run with ``quick=True`` (smaller sizes where the check still means something)
on the NumPy oracle backend, exactly as ``FigureSpec.run`` calls them.
"""

import functools

import nn_ref.figures  # noqa: F401  (fills the registry)
from nn_ref.figures._registry import FIGURES


@functools.cache
def run_figure(fig_id):
    """``(fig, data)`` of figure ``fig_id``, computed once (quick mode) and cached."""
    if fig_id not in FIGURES:
        raise KeyError(f"figure {fig_id!r} is not registered; registered: {sorted(FIGURES)}")
    return FIGURES[fig_id].run(quick=True)
