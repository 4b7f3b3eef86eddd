"""The lecture's figures, regenerated from computed data (see ``nn-ref figures``).

Importing this package imports every section module, which fills the registry
``nn_ref.figures._registry.FIGURES`` (id -> FigureSpec) in the lecture's order.
"""
from nn_ref.figures._registry import FIGURES, FigureSpec, figure, new_figure  # noqa: F401

# the sections, in the lecture's order (each module registers its figures on import)
from nn_ref.figures import basics  # noqa: E402,F401
from nn_ref.figures import neurons  # noqa: E402,F401
from nn_ref.figures import gradient_descent  # noqa: E402,F401
from nn_ref.figures import initialization  # noqa: E402,F401
from nn_ref.figures import normalization  # noqa: E402,F401
from nn_ref.figures import learning_rate  # noqa: E402,F401
from nn_ref.figures import batch_size  # noqa: E402,F401
from nn_ref.figures import pytorch  # noqa: E402,F401

SECTIONS = ("basics", "neurons", "gradient_descent", "initialization", "normalization",
            "learning_rate", "batch_size", "pytorch")
