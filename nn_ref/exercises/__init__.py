"""Exercises with a checker that names the bug (the notebooks in ``notebooks/`` use it).

A student writes one of nn-ref's functions, with nn-ref's signature, and checks it::

    from nn_ref.exercises import check, exercise

    @exercise("relu_backward")            # with NN_REF_SOLUTIONS=1 (CI) this becomes nn-ref's own function
    def relu_backward(dA, cache):
        Z = cache
        return dA * (Z > 0)

    check("relu_backward", relu_backward)   # -> CheckResult: .passed, .message, shown as a report

``check`` runs the function on several seeded cases (m > 1, odd sizes 3, 5, 7, large |Z| such as
+-800 where an exp can overflow), compares every output with nn-ref's own function and, for the
backward exercises, with central differences in float64. When an output differs, the checker tests
the student's numbers against planted-bug hypotheses and names the likely bug: off by a factor of m
(a forgotten or doubled 1/m), a transposed array, a sign flip, a missing activation mask, A used
where Z is needed, db of shape (n,) instead of (n, 1), a known wrong derivative formula, NaN from an
unstable exp or log(0), an exception in the student's code -- otherwise the worst entry, its index,
and the expected and computed values.

Gradient convention (nn-ref's, the deeplearning.ai one): dZ[l] and dA[l] are m times dJ/dZ[l],
dJ/dA[l]; the 1/m appears once, in dW[l] = (1/m) dZ[l] A[l-1]^T and db[l] = (1/m) sum_i dZ[l].

``EXERCISES`` maps each exercise name to its ``Exercise`` (signature, description, slide, notebook);
``reference(name)`` is nn-ref's own implementation with the exercise's signature.

The package: ``core`` (the registry and the checker), one catalogue module per lecture area -- imported
below in lecture order, which is ``EXERCISES``'s order -- and ``notebooks`` (figures in a cell, student copies).
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
