"""Exercises with a checker that names the bug (the notebooks in ``notebooks/`` use it).

A student writes one of nn-ref's functions, with nn-ref's signature, and checks it::

    from nn_ref.exercises import check, exercise

    @exercise("relu_backward")            # with NN_REF_SOLUTIONS=1 (CI) this becomes nn-ref's own function
    def relu_backward(dA, cache):
        Z = cache
        return dA * (Z > 0)

    check("relu_backward", relu_backward)   # -> CheckResult: .passed, .message, shown as a report

``check`` runs the function on every case of the exercise (seeded, with shapes and hyperparameters drawn
per case, m = 1, odd sizes, |Z| = 800 where an exp can overflow, float64 and float32), each in a thread with a
time limit. Per case it checks the contract first -- something returned, of the declared kind, real, of the
input's dtype and the declared shape, the inputs unchanged -- then the values against nn-ref's own function
(computed with NumPy as nn-ref imported it) and, for the backward exercises, central differences in float64.
A diagnosis of the likely bug is offered only when its hypothesis reproduces the student's numbers (a planted
bug, a hard-coded hyperparameter, NaN from an unstable exp or log(0), a factor m, 1/m or -1); otherwise the
worst entry with its relative error. The message ends with "k of n cases pass" and ``check(name, fn, case=k)``.
``progress()`` lists the exercises as done / failing / not yet. The guide: docs/exercises.md.

Gradient convention (nn-ref's, the deeplearning.ai one): dZ[l] and dA[l] are m times dJ/dZ[l],
dJ/dA[l]; the 1/m appears once, in dW[l] = (1/m) dZ[l] A[l-1]^T and db[l] = (1/m) sum_i dZ[l].

``EXERCISES`` maps each exercise name to its ``Exercise`` (signature, description, slide, notebook);
``reference(name)`` is nn-ref's own implementation with the exercise's signature.

The package: ``core`` (the registry and the checker), one catalogue module per lecture area -- imported
below in lecture order, which is ``EXERCISES``'s order -- ``progress`` (done / failing / not yet, kept across
kernels) and ``notebooks`` (figures in a cell, student copies).
"""

from nn_ref.exercises.core import (
    EXERCISES,
    GRAD_TOL,
    RTOL,
    RTOL32,
    SOLUTIONS_ENV,
    TIME_LIMIT,
    Case,
    CheckResult,
    Exercise,
    ExerciseFailed,
    H,
    case_inputs,
    central_differences,
    check,
    exercise,
    reference,
    solutions_mode,
)

# isort: off
# the catalogues register their exercises when imported, so this order (the lecture's) is EXERCISES's order
from nn_ref.exercises import (  # noqa: F401
    activation_exercises,  # sigmoid, sigmoid_backward, tanh_backward, relu_backward, softmax
    layer_exercises,  # linear_forward, linear_backward, compute_cost, l2_loss
    network_exercises,  # L_model_forward, L_model_backward, update_parameters, he_initialization
    optimizer_exercises,  # minibatches, momentum_step, adam_step
    batchnorm_exercises,  # batchnorm_forward, batchnorm_backward
    schedule_exercises,  # cyclical_lr, accumulate_gradients
    pytorch_exercises,  # relu_net_gradients
)

# isort: on
from nn_ref.exercises import progress as progress_module  # noqa: F401 -- the module (progress is the function)
from nn_ref.exercises.notebooks import (
    NOTEBOOK_SOURCES,
    FigureImage,
    main_notebooks,
    notebook_sources,
    show_figure,
    write_notebooks,
)
from nn_ref.exercises.progress import PROGRESS_ENV, done, progress, progress_file

__all__ = [
    "EXERCISES",
    "GRAD_TOL",
    "H",
    "NOTEBOOK_SOURCES",
    "PROGRESS_ENV",
    "RTOL",
    "RTOL32",
    "SOLUTIONS_ENV",
    "TIME_LIMIT",
    "Case",
    "CheckResult",
    "Exercise",
    "ExerciseFailed",
    "FigureImage",
    "case_inputs",
    "central_differences",
    "check",
    "done",
    "exercise",
    "main_notebooks",
    "notebook_sources",
    "progress",
    "progress_file",
    "reference",
    "show_figure",
    "solutions_mode",
    "write_notebooks",
]
