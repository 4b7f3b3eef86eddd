"""The lecture's figures, regenerated from computed data (see ``nn-ref figures``).

Importing this package imports every section module, which fills the registry
``nn_ref.figures._registry.FIGURES`` (id -> FigureSpec) in the lecture's order.
"""

# the sections, in the lecture's order (each module registers its figures on import)
from nn_ref.figures import (
    basics,  # noqa: E402,F401
    batch_size,  # noqa: E402,F401
    gradient_descent,  # noqa: E402,F401
    initialization,  # noqa: E402,F401
    learning_rate,  # noqa: E402,F401
    neurons,  # noqa: E402,F401
    normalization,  # noqa: E402,F401
    pytorch,  # noqa: E402,F401
)
from nn_ref.figures._registry import FIGURES, FigureSpec, figure, new_figure  # noqa: F401

SECTIONS = (
    "basics",
    "neurons",
    "gradient_descent",
    "initialization",
    "normalization",
    "learning_rate",
    "batch_size",
    "pytorch",
)

# the order of the lecture's slides (../shared/figures.md): --list, the progress bar, the manifest and
# the README gallery follow it; a figure not listed here goes last, in registration order
LECTURE_ORDER = (
    "ml_definition",
    "supervised_vs_unsupervised",
    "traditional_ml_vs_dl",
    "linear_regression_residuals",
    "loss_l1_vs_l2",
    "logistic_sigmoid",
    "biological_vs_artificial_neuron",
    "artificial_neuron",
    "activation_functions",
    "activation_derivatives",
    "feedforward_network",
    "deep_network",
    "forward_shapes",
    "training_loop",
    "gd_1d_convex",
    "gd_local_vs_global",
    "computation_graph",
    "dynamic_graph",
    "vanishing_gradient_chain",
    "init_tanh_normal_0p01",
    "init_tanh_normal_1p00",
    "init_xavier_he",
    "normalization",
    "batchnorm",
    "lr_too_small_good_large",
    "lr_decay_schedules",
    "clr_triangular",
    "clr_table",
    "sgd_paths",
    "effective_minibatch",
    "noise_scale",
    "lr_decay_vs_batch_increase",
    "flat_vs_sharp_minima",
    "tensors",
    "regression_example",
    "regression_steps",
    "pytorch_examples_loss",
)
_rank = {fig_id: i for i, fig_id in enumerate(LECTURE_ORDER)}
_ordered = sorted(FIGURES.items(), key=lambda item: _rank.get(item[0], len(_rank)))  # noqa: F821
FIGURES.clear()
FIGURES.update(_ordered)
del _rank, _ordered
