"""The lecture's figures, regenerated from computed data (see ``nn-ref figures``).

Importing this package imports every section module, which fills the registry
``nn_ref.figures._registry.FIGURES`` (id -> FigureSpec) in the lecture's order.
"""
import importlib as _importlib

from nn_ref.figures._registry import FIGURES, FigureSpec, figure, new_figure  # noqa: F401

SECTIONS = ("basics", "neurons", "gradient_descent", "initialization", "normalization",
            "learning_rate", "batch_size", "pytorch")

for _name in SECTIONS:  # TODO(dev only): the guard goes once every section module exists
    try:
        _importlib.import_module(f"{__name__}.{_name}")
    except ModuleNotFoundError as _exc:
        if _exc.name != f"{__name__}.{_name}":
            raise
