"""nn-ref: the reference implementation of the HPML lecture "ML and PyTorch Basics".

One module per lecture idea; the course site maps each slide to its code (docs/reference/slides.md).
``nn_ref.to_backend(parameters, "cuda")`` and ``nn_ref.to_host(parameters)`` move a parameter dict between the
host and a backend.
"""

import os as _os

# In a clone that is not installed, ``nn_ref.kernels`` is the folder ``kernels/`` beside ``nn_ref/`` (pyproject.toml
# maps it at install): let ``import nn_ref.network`` work from the clone too.
_ROOT = _os.path.dirname(_os.path.dirname(_os.path.abspath(__file__)))
if _os.path.isfile(_os.path.join(_ROOT, "kernels", "contract.py")) and _ROOT not in __path__:
    __path__.append(_ROOT)

from nn_ref.backend import to_backend, to_host  # noqa: E402

__version__ = "0.2.0"  # the one place the version is written (pyproject.toml reads it)

__all__ = ["__version__", "to_backend", "to_host"]
