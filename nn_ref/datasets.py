"""Data sets of the lecture: seeded synthetic sets, scikit-learn's 8x8 digits, an MNIST IDX reader.

Every loader returns ``X, Y`` in the lecture's layout -- one sample per *column*:

    X: (n[0], m)     Y: (n[L], m)

Binary labels are ``(1, m)`` of 0/1 (for a sigmoid output); K > 2 classes are one-hot ``(K, m)``
(for a softmax output; ``labels_of(Y)`` gives back the class indices). Regression targets are
``(1, m)``. Every synthetic set takes a ``seed`` and is the same array on every call with that seed.

    blobs         two Gaussian blobs centred (-2, 0) and (+2, 0), sigma = 1   [Supervised vs Unsupervised]
    moons         two interleaved half circles
    flower        the planar "flower" (deeplearning.ai's planar data)
    spirals       K interleaved spirals (cs231n)
    ball          points uniform in a 10-D ball, scaled to std 1, label |sum x| > 0.5 radius  [Vanishing gradients]
    square        x = linspace(-1, 1, m), y = x^2 + 0.2 U(0, 1)                 [Linear Regression Example]
    linear        x = 2 U(0, 1), y = 4 + 3x + N(0, 1), seed 42                   [SGD with mini-batch]
    digits        scikit-learn's 8x8 digits, 1797 real images, 64 features, 10 classes (the ``data`` extra)
    load_mnist    MNIST from IDX files you have (``read_idx``); ``download_mnist`` fetches and checks them

Helpers: ``train_test_split`` (a fixed, seeded split), ``one_hot``, ``labels_of``.
"""

import gzip
import hashlib
import os
import struct
import tempfile
import urllib.request
from pathlib import Path

import numpy as np

from nn_ref._checks import (
    FILE,
    FLAG,
    NON_NEGATIVE,
    NUMBER,
    PATH,
    SEED,
    Array,
    at_least,
    check_array,
    checked,
    checked_call,
    is_real_number,
    one_of,
    or_none,
)


# ----------------------------------------------------------------------------- the declarations, once
class ClassIndices:
    """labels: (m,) or (1, m) non-negative integer class indices (lists too), each < n_classes when given."""

    def __repr__(self):
        return "(m,) or (1, m) integers in [0, n_classes)"

    def check(self, name, labels, state, read):
        labels = np.asarray(labels)
        if labels.ndim == 2 and labels.shape[0] == 1:
            labels = labels[0]
        if labels.ndim != 1:
            raise ValueError(f"{name}: expected shape (m,) or (1, m), got {labels.shape}")
        if labels.dtype.kind not in "biuf" or (labels.size and not np.all(labels == np.round(labels))):
            raise ValueError(f"{name}: expected non-negative integer class indices, got dtype {labels.dtype}")
        if labels.size and labels.min() < 0:
            raise ValueError(f"{name}: expected non-negative integer class indices, got {labels.min()}")
        K = read("n_classes")
        if K is not None and labels.size and labels.max() >= K:
            raise ValueError(f"{name}: found class {labels.max()}, expected classes 0..{K - 1} (n_classes={K})")


class OpenUnit:
    """A number in (0, 1)."""

    def __repr__(self):
        return "in (0, 1)"

    def check(self, name, value, state, read):
        if not (is_real_number(value) and 0 < value < 1):
            raise ValueError(f"{name}: expected a number in (0, 1), got {value!r}")


class SplitLabels(Array):
    """Y (k, m) as declared, and the split leaves a non-empty train and test set: 0 < round(test_fraction m) < m
    (declared on Y, which every call gives, so a default test_fraction is held to it too)."""

    def check(self, name, Y, state, read):
        check_array(name, Y, self, state)
        self.domain(name, Y, read)

    def domain(self, name, Y, read):
        fraction, m = read("test_fraction"), Y.shape[1]
        if int(round(fraction * m)) in (0, m):
            raise ValueError(f"test_fraction={fraction} of m={m} samples leaves an empty train or test set")


M = at_least(1)  # the number of samples of a synthetic set


# ----------------------------------------------------------------------------- helpers
@checked(n_classes=or_none(at_least(1)), labels=ClassIndices())
def one_hot(labels, n_classes=None):
    """One-hot matrix Y (K, m) with Y[k, i] = 1 iff labels[i] == k. labels: (m,) or (1, m) of ints in [0, K)."""
    labels = np.asarray(labels).reshape(-1).astype(np.int64)
    K = int(labels.max()) + 1 if n_classes is None else int(n_classes)
    Y = np.zeros((K, labels.size))
    Y[labels, np.arange(labels.size)] = 1.0
    return Y


@checked(Y="k m real")
def labels_of(Y):
    """Class indices (m,) from Y: argmax of a one-hot (K, m), or the 0/1 row of a (1, m)."""
    return Y.argmax(axis=0) if Y.shape[0] > 1 else (Y[0] > 0.5).astype(np.int64)


@checked(test_fraction=OpenUnit(), seed=SEED, X="n m real", Y=SplitLabels("k m real"))
def train_test_split(X, Y, test_fraction=0.2, seed=0):
    """A fixed, seeded split of the m columns: returns (X_train, Y_train, X_test, Y_test).

    The columns are permuted with ``np.random.default_rng(seed)``; the first round(test_fraction m)
    of the permutation form the test set. X: (n[0], m), Y: (n[L], m).
    """
    m = X.shape[1]
    perm = np.random.default_rng(seed).permutation(m)
    n_test = int(round(test_fraction * m))
    test, train = perm[:n_test], perm[n_test:]
    return X[:, train], Y[:, train], X[:, test], Y[:, test]


def _labels_out(labels, n_classes):
    """(1, m) 0/1 for two classes, one-hot (K, m) for more."""
    return labels.reshape(1, -1).astype(np.float64) if n_classes == 2 else one_hot(labels, n_classes)


def _shuffle_columns(X, labels, rng):
    perm = rng.permutation(X.shape[1])
    return X[:, perm], labels[perm]


# ----------------------------------------------------------------------------- synthetic sets
@checked(m=M, seed=SEED, center=NUMBER, sigma=NON_NEGATIVE)
def blobs(m=200, seed=0, center=2.0, sigma=1.0):
    """Two Gaussian blobs: m/2 points around (-center, 0) with label 0, m/2 around (+center, 0)
    with label 1, isotropic std ``sigma``. Returns X (2, m), Y (1, m)."""
    rng = np.random.default_rng(seed)
    m0 = m // 2
    labels = np.r_[np.zeros(m0, np.int64), np.ones(m - m0, np.int64)]
    centers = np.where(labels == 0, -center, center)
    X = np.vstack([centers, np.zeros(m)]) + sigma * rng.standard_normal((2, m))
    X, labels = _shuffle_columns(X, labels, rng)
    return X, _labels_out(labels, 2)


@checked(m=M, noise=NON_NEGATIVE, seed=SEED)
def moons(m=200, noise=0.1, seed=0):
    """Two interleaved half circles (as scikit-learn's make_moons): the upper one (cos t, sin t),
    label 0; the lower one (1 - cos t, 0.5 - sin t), label 1; t in [0, pi]; plus N(0, noise^2).
    Returns X (2, m), Y (1, m)."""
    rng = np.random.default_rng(seed)
    m0 = m // 2
    t0, t1 = np.linspace(0, np.pi, m0), np.linspace(0, np.pi, m - m0)
    X = np.hstack([np.vstack([np.cos(t0), np.sin(t0)]), np.vstack([1 - np.cos(t1), 0.5 - np.sin(t1)])])
    X = X + noise * rng.standard_normal(X.shape)
    labels = np.r_[np.zeros(m0, np.int64), np.ones(m - m0, np.int64)]
    X, labels = _shuffle_columns(X, labels, rng)
    return X, _labels_out(labels, 2)


@checked(m=M, petals=NUMBER, seed=SEED)
def flower(m=400, petals=4, seed=0):
    """The planar "flower" (deeplearning.ai's planar data set): for class j in {0, 1}, m/2 points

        t = linspace(3.12 j, 3.12 (j + 1)) + N(0, 0.2^2),   r = petals sin(4 t) + N(0, 0.2^2),
        x = (r sin t, r cos t).

    Not linearly separable; a one-hidden-layer network separates it. Returns X (2, m), Y (1, m)."""
    rng = np.random.default_rng(seed)
    parts, labels = [], []
    for j, n in enumerate((m // 2, m - m // 2)):
        t = np.linspace(j * 3.12, (j + 1) * 3.12, n) + 0.2 * rng.standard_normal(n)
        r = petals * np.sin(4 * t) + 0.2 * rng.standard_normal(n)
        parts.append(np.vstack([r * np.sin(t), r * np.cos(t)]))
        labels.append(np.full(n, j, np.int64))
    X, labels = _shuffle_columns(np.hstack(parts), np.concatenate(labels), rng)
    return X, _labels_out(labels, 2)


@checked(m=M, n_classes=at_least(2), noise=NON_NEGATIVE, seed=SEED)
def spirals(m=300, n_classes=3, noise=0.2, seed=0):
    """K interleaved spirals (cs231n): for class k, radius r = linspace(0, 1) and angle
    t = linspace(4k, 4(k + 1)) + N(0, noise^2); x = (r sin t, r cos t).
    Returns X (2, m) and Y (1, m) for K = 2, one-hot (K, m) for K > 2."""
    rng = np.random.default_rng(seed)
    sizes = [m // n_classes + (1 if k < m % n_classes else 0) for k in range(n_classes)]
    parts, labels = [], []
    for k, n in enumerate(sizes):
        r = np.linspace(0.0, 1.0, n)
        t = np.linspace(4.0 * k, 4.0 * (k + 1), n) + noise * rng.standard_normal(n)
        parts.append(np.vstack([r * np.sin(t), r * np.cos(t)]))
        labels.append(np.full(n, k, np.int64))
    X, labels = _shuffle_columns(np.hstack(parts), np.concatenate(labels), rng)
    return X, _labels_out(labels, n_classes)


@checked(m=M, n=at_least(1), seed=SEED)
def ball(m=1000, n=10, seed=0):
    """m points uniform in the n-dimensional unit ball (direction Gaussian / its norm, radius U^(1/n)),
    label |sum_j x_j| > 0.5 * radius (radius = 1, the ball's), then X scaled to overall std 1 (the label
    is scale-free: it is decided before scaling). [figures.md: init_tanh_normal_*]
    Returns X (n, m), Y (1, m)."""
    rng = np.random.default_rng(seed)
    direction = rng.standard_normal((n, m))
    direction /= np.linalg.norm(direction, axis=0, keepdims=True)
    X = direction * rng.random(m) ** (1.0 / n)
    labels = (np.abs(X.sum(axis=0)) > 0.5).astype(np.int64)
    X = X / X.std()
    return X, _labels_out(labels, 2)


@checked(m=M, seed=SEED)
def square(m=100, seed=0):
    """The slide's regression example: x = linspace(-1, 1, m), y = x^2 + 0.2 U(0, 1).
    Returns X (1, m), Y (1, m)."""
    rng = np.random.default_rng(seed)
    x = np.linspace(-1.0, 1.0, m)
    return x.reshape(1, m), (x**2 + 0.2 * rng.random(m)).reshape(1, m)


@checked(m=M, seed=SEED)
def linear(m=100, seed=42):
    """Linear data (Geron's book, used on the SGD slides): with ``np.random.seed(42)``,
    X = 2 rand(m, 1), y = 4 + 3 X + randn(m, 1) -- reproduced exactly through the legacy
    ``RandomState(seed)``. Returns X (1, m), Y (1, m)."""
    rs = np.random.RandomState(seed)
    x = 2 * rs.rand(m, 1)
    y = 4 + 3 * x + rs.randn(m, 1)
    return x.T.copy(), y.T.copy()


# ----------------------------------------------------------------------------- real data
@checked(one_hot_labels=FLAG, scale=FLAG)
def digits(one_hot_labels=True, scale=True):
    """scikit-learn's 8x8 handwritten digits: 1797 images, 64 pixel features (0..16), 10 classes.

    Returns X (64, 1797) -- divided by 16 into [0, 1] when ``scale`` -- and Y one-hot (10, 1797)
    (or the class indices (1, 1797) when ``one_hot_labels=False``). Needs scikit-learn
    (``pip install nn-ref[data]``); the data ship inside scikit-learn, nothing is downloaded.
    """
    try:
        from sklearn.datasets import load_digits
    except ImportError as exc:
        raise ImportError(
            "the digits data set needs scikit-learn: pip install 'nn-ref[data]' "
            f"(or pip install scikit-learn); import failed: {exc}"
        ) from None
    data = load_digits()
    X = data.data.T.astype(np.float64)
    if scale:
        X = X / 16.0
    labels = data.target.astype(np.int64)
    Y = one_hot(labels, 10) if one_hot_labels else labels.reshape(1, -1).astype(np.float64)
    return X, Y


_IDX_DTYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


@checked(path=FILE)
def read_idx(path):
    """Read one IDX file (the MNIST format; ``.gz`` is decompressed) into a NumPy array.

    Header: two zero bytes, a type byte (0x08 ubyte, 0x09 byte, 0x0B short, 0x0C int, 0x0D float,
    0x0E double), the number of dimensions d, then d big-endian uint32 sizes; then the data.
    Raises ValueError for a file that is not IDX or whose size disagrees with its header.
    """
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as f:
        raw = f.read()
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _IDX_DTYPES:
        raise ValueError(f"{path}: not an IDX file (bad magic number {raw[:4].hex()!r})")
    ndim = raw[3]
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise ValueError(f"{path}: IDX header truncated (expected {header} bytes, got {len(raw)})")
    shape = struct.unpack(f">{ndim}I", raw[4:header])
    dtype = np.dtype(_IDX_DTYPES[raw[2]])
    expected = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if len(raw) - header != expected:
        raise ValueError(f"{path}: IDX data size {len(raw) - header} bytes, expected {expected} for shape {shape}")
    return np.frombuffer(raw, dtype=dtype, offset=header).reshape(shape).astype(dtype.newbyteorder("="))


MNIST_FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}
MNIST_SHA256 = {
    "train-images-idx3-ubyte.gz": "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
    "train-labels-idx1-ubyte.gz": "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
    "t10k-images-idx3-ubyte.gz": "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
    "t10k-labels-idx1-ubyte.gz": "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
}
MNIST_MIRROR = "https://ossci-datasets.s3.amazonaws.com/mnist/"


@checked(directory=PATH, split=one_of(tuple(MNIST_FILES)))
def load_mnist(directory, split="train"):
    """MNIST from the IDX files in ``directory`` (plain or ``.gz``): split "train" (60000) or "test" (10000).

    Returns X (784, m) with pixels / 255 in [0, 1] and Y one-hot (10, m).
    """
    directory = Path(directory)
    arrays = []
    for stem in MNIST_FILES[split]:
        candidates = [directory / stem, directory / f"{stem}.gz"]
        found = next((p for p in candidates if p.exists()), None)
        if found is None:
            raise FileNotFoundError(
                f"MNIST file {stem}[.gz] not found in {directory} (download_mnist({str(directory)!r}) fetches it)"
            )
        arrays.append(checked_call(read_idx, found))  # a path from the folder: checked as one you passed
    images, labels = arrays
    if images.ndim != 3 or labels.ndim != 1 or images.shape[0] != labels.shape[0]:
        raise ValueError(
            f"MNIST {split}: images {images.shape} and labels {labels.shape} do not match "
            "(expected (m, rows, cols) and (m,))"
        )
    X = images.reshape(images.shape[0], -1).T.astype(np.float64) / 255.0
    return X, one_hot(labels, 10)


def _sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


@checked(cache_dir=PATH)
def download_mnist(cache_dir="~/.cache/nn-ref/mnist", mirror=MNIST_MIRROR):
    """Download the four MNIST ``.gz`` files into ``cache_dir`` (once), checking each file's SHA-256.

    A file already in the cache with the right checksum is not fetched again. Downloads go to a
    temporary file renamed into place only after the checksum matches. Returns the cache directory
    (pass it to ``load_mnist``). Tests never call this (it needs the network).
    """
    cache = Path(os.path.expanduser(cache_dir))
    cache.mkdir(parents=True, exist_ok=True)
    for name, digest in MNIST_SHA256.items():
        target = cache / name
        if target.exists() and _sha256(target) == digest:
            continue
        fd, tmp = tempfile.mkstemp(dir=cache, prefix=name, suffix=".part")
        os.close(fd)
        try:
            urllib.request.urlretrieve(mirror + name, tmp)
            got = _sha256(tmp)
            if got != digest:
                raise ValueError(f"{mirror + name}: SHA-256 {got} does not match the expected {digest}")
            os.replace(tmp, target)
        finally:
            if os.path.exists(tmp):
                os.remove(tmp)
    return cache


LOADERS = {
    "blobs": blobs,
    "moons": moons,
    "flower": flower,
    "spirals": spirals,
    "ball": ball,
    "square": square,
    "linear": linear,
    "digits": digits,
}
