"""nn-ref: the reference implementation of the HPML lecture "ML and PyTorch Basics".

One module per lecture idea; the course site maps each slide to its code (docs/reference/slides.md).
``nn_ref.to_backend(parameters, "cuda")`` and ``nn_ref.to_host(parameters)`` move a parameter dict between the
host and a backend.
"""

from nn_ref.backend import to_backend, to_host

__version__ = "0.2.0"  # the one place the version is written (pyproject.toml reads it)

__all__ = ["__version__", "to_backend", "to_host"]
