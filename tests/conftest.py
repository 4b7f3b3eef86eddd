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

# Hypothesis: the README's `pytest` draws the same examples on every run and every machine (derandomized, no
# deadline: a busy machine is slow, not wrong) and keeps no database, so nothing is written into the working tree
# and no stored failure is replayed; a failure prints its reproduction (the falsifying example and
# @reproduce_failure blob) and belongs in the test file as an explicit case.
# `pytest --hypothesis-profile=explore` draws new examples each run and keeps its database outside the tree.
from hypothesis import settings  # noqa: E402
from hypothesis.configuration import set_hypothesis_home_dir  # noqa: E402
from hypothesis.database import DirectoryBasedExampleDatabase  # noqa: E402

_HOME = os.path.join(os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "nn-ref", "hypothesis")
set_hypothesis_home_dir(_HOME)  # hypothesis's own files (its constants cache) too: never in the working tree
settings.register_profile("default", derandomize=True, database=None, deadline=None, print_blob=True)
settings.register_profile(
    "explore", database=DirectoryBasedExampleDatabase(os.path.join(_HOME, "examples")), deadline=None, print_blob=True
)
settings.load_profile(os.environ.get("NN_REF_HYPOTHESIS_PROFILE", "default"))

# The fast suite, `pytest -m "not slow"`: what a student runs while editing (NumPy and numba CPU, no browser, no
# notebook kernels, no figure rendering, no wheel build, no CUDA simulator). These modules run whole programs;
# every test in them is "slow", as is every cuda or ptx test.
SLOW_MODULES = {
    "test_notebooks.py": "executes every notebook in a Jupyter kernel",
    "test_playground_browser.py": "drives the playground in headless Chromium",
    "test_figures_render.py": "renders every figure",
    "test_figures_reproduce.py": "recomputes every figure's key numbers at full size",
    "test_install.py": "builds and installs the wheel",
    "test_slide_scripts.py": "runs the slides' examples to the end",
    "test_playground.py": "runs the Streamlit app (AppTest)",
}


def pytest_collection_modifyitems(config, items):
    import pytest

    for item in items:
        if item.path.name in SLOW_MODULES or item.get_closest_marker("cuda") or item.get_closest_marker("ptx"):
            item.add_marker(pytest.mark.slow)
