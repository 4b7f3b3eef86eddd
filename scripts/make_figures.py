#!/usr/bin/env python
"""Regenerate the lecture's figures into plots/: the same as ``nn-ref figures [options]``.

python scripts/make_figures.py                 # all figures, plots/*.png/.svg + plots/MANIFEST.json
python scripts/make_figures.py --check         # recompute, compare the key numbers with the manifest
python scripts/make_figures.py --only tensors  # one figure (the manifest keeps the others)
python scripts/make_figures.py --list
"""

import os
import sys

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")  # one BLAS thread, set before NumPy loads (the figures' numbers reproduce)

from nn_ref.cli import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main(["figures", *sys.argv[1:]]))
