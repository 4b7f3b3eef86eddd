#!/usr/bin/env python
"""Regenerate the lecture's figures into plots/: the same as ``nn-ref figures [options]``.

    python scripts/make_figures.py                 # all figures, plots/*.png + plots/MANIFEST.json
    python scripts/make_figures.py --only tensors  # one figure (the manifest keeps the others)
    python scripts/make_figures.py --list
"""
import sys

from nn_ref.cli import main

if __name__ == "__main__":
    sys.exit(main(["figures", *sys.argv[1:]]))
