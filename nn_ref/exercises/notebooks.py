"""The notebooks' tooling: lecture figures shown in a cell (``show_figure``) and the students' fresh
copies of the notebooks (``write_notebooks``, the ``nn-ref notebooks DIR`` verb)."""

import os

# ============================================================================ figures in a notebook


class FigureImage:
    """A lecture figure as a PNG for a notebook cell (``_repr_png_``), with the data it was drawn from."""

    def __init__(self, fig_id, slide, png, data):
        self.id, self.slide, self.png, self.data = fig_id, slide, png, data

    def _repr_png_(self):
        return self.png

    def __repr__(self):
        return f"FigureImage({self.id!r}, slide={self.slide!r}, {len(self.png)} bytes of PNG)"


def show_figure(fig_id, quick=True, dpi=80):
    """Draw the registered lecture figure ``fig_id`` (``nn_ref.figures.FIGURES``) with its registered
    parameters -- ``quick=True``: the tests' small sizes, so a notebook stays fast -- on the NumPy
    backend; returns a ``FigureImage`` (shown inline as the cell's value; ``.data`` holds the numbers)."""
    import io

    from nn_ref.figures import FIGURES

    if fig_id not in FIGURES:
        raise ValueError(f"fig_id: expected one of {', '.join(FIGURES)}, got {fig_id!r}")
    spec = FIGURES[fig_id]
    fig, data = spec.run(quick=quick)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    return FigureImage(fig_id, spec.slide, buf.getvalue(), data)


# ============================================================================ student copies


# a clone's notebooks/: this file is <repo>/nn_ref/exercises/notebooks.py
NOTEBOOK_SOURCES = os.path.join(
    os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "notebooks"
)


def notebook_sources(directory=NOTEBOOK_SOURCES):
    """The notebooks' jupytext sources ``NN_name.py`` in lecture order (a clone's ``notebooks/``)."""
    if not os.path.isdir(directory):
        raise ValueError(
            f"no notebooks/ folder at {directory}: the notebooks ship with the repository, "
            'install nn-ref from a clone with pip install -e ".[notebooks]"'
        )
    names = sorted(n for n in os.listdir(directory) if n[:2].isdigit() and n[2] == "_" and n.endswith(".py"))
    return [os.path.join(directory, n) for n in names]


def write_notebooks(out, overwrite=False, directory=NOTEBOOK_SOURCES):
    """Write fresh student copies ``out/NN_name.ipynb`` (no outputs, exercises unwritten) of every notebook.

    An existing .ipynb is kept (it may hold the student's work) unless ``overwrite``. Returns
    ``(written, kept)``, two lists of paths. Needs jupytext (the ``notebooks`` extra)."""
    try:
        import jupytext
    except ImportError:
        raise ValueError('writing .ipynb files needs jupytext: pip install -e ".[notebooks]"') from None
    sources = notebook_sources(directory)
    if os.path.exists(out) and not os.path.isdir(out):
        raise ValueError(f"{out} exists and is not a folder")
    os.makedirs(out, exist_ok=True)
    written, kept = [], []
    for src in sources:
        target = os.path.join(out, os.path.basename(src)[: -len(".py")] + ".ipynb")
        if os.path.exists(target) and not overwrite:
            kept.append(target)
            continue
        jupytext.write(jupytext.read(src), target, fmt="ipynb")
        written.append(target)
    return written, kept


def main_notebooks(args):
    """The ``nn-ref notebooks DIR`` verb: write student copies; errors are one line on stderr, exit 2."""
    import sys

    try:
        written, kept = write_notebooks(args.dir, overwrite=args.force)
    except (ValueError, OSError) as exc:
        print(f"nn-ref notebooks: error: {exc}", file=sys.stderr)
        return 2
    for path in written:
        print(f"wrote {path}")
    for path in kept:
        print(f"kept  {path} (exists; --force overwrites it)")
    print(f"{len(written)} notebook(s) written to {args.dir}; open them with: jupyter lab {args.dir}")
    return 0
