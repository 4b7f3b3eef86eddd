"""Shared test set-up.

Every test runs on the NumPy oracle backend unless it passes ``backend=`` explicitly: the
default comes from NN_REF_BACKEND, set here at import time (before any test module imports
nn_ref), without overriding a value the caller set.
"""
import os

os.environ.setdefault("NN_REF_BACKEND", "numpy")

# Hypothesis: on CI (CI=true) the examples are derandomized -- the same draws every run, so a red CI
# is reproducible; locally every run explores new draws (and .hypothesis/ keeps any failure found).
from hypothesis import settings  # noqa: E402

settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")
