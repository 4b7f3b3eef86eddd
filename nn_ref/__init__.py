"""nn-ref: the reference implementation of the HPML lecture "ML and PyTorch Basics".

One module per lecture idea; see README.md for the map from slide to code.
"""
__version__ = "0.1.0"
