"""Shared test set-up.

Every test runs on the NumPy oracle backend unless it passes ``backend=`` explicitly: the
default comes from NN_REF_BACKEND, set here at import time (before any test module imports
nn_ref), without overriding a value the caller set.
"""
import os

os.environ.setdefault("NN_REF_BACKEND", "numpy")
