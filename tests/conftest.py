"""Shared test set-up, run before any test module is imported.

* The CUDA simulator is started once, for the whole run: NUMBA_ENABLE_CUDASIM=1 must be set before numba is
  first imported, so it is set here -- unless a real GPU run is requested (NN_REF_CUDA_TESTS=1, as
  scripts/gpu_check.sh does). The cuda backend's tests (marker ``cuda``) then run in this process on the
  simulator; the PTX compilation test (marker ``ptx``) needs numba without the simulator and starts its own
  process. The fast suite for a student: ``pytest -m "not cuda and not ptx"``.
* Every test runs on the NumPy bodies of nn_ref unless it passes ``backend=`` explicitly: NN_REF_BACKEND
  defaults to "numpy" here, without overriding a value the caller set.
* tests/ is on sys.path (pytest's rootdir-relative import): ``_oracle`` and ``_kernel_cases`` import by name.
"""

import os

if os.environ.get("NN_REF_CUDA_TESTS") != "1":
    os.environ["NUMBA_ENABLE_CUDASIM"] = "1"
os.environ.setdefault("NN_REF_BACKEND", "numpy")

# Hypothesis: on CI (CI=true) the examples are derandomized -- the same draws every run, so a red CI
# is reproducible; locally every run explores new draws (and .hypothesis/ keeps any failure found).
from hypothesis import settings  # noqa: E402

settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")
