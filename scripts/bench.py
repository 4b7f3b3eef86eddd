#!/usr/bin/env python
"""Microseconds per training step: numpy, numba cpu, numba cuda (on a real GPU) and PyTorch.

Same as ``nn-ref bench`` (the logic lives in nn_ref/bench.py). Examples:

    python scripts/bench.py --json bench.json
    python scripts/bench.py --cases x2 mlp256 --rounds 9
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # run from a checkout

from nn_ref.bench import main  # noqa: E402
from nn_ref.cli import run_script  # noqa: E402

if __name__ == "__main__":
    sys.exit(run_script(main))
