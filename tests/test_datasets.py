"""Data sets: shapes (n[0], m) / (n[L], m), seeding, the defining properties of each set, the IDX reader."""

import gzip
import struct

import numpy as np
import pytest

from nn_ref import datasets


@pytest.mark.parametrize(
    "name, n0, nL, m",
    [
        ("blobs", 2, 1, 200),
        ("moons", 2, 1, 200),
        ("flower", 2, 1, 400),
        ("spirals", 2, 3, 300),
        ("ball", 10, 1, 1000),
        ("square", 1, 1, 100),
        ("linear", 1, 1, 100),
    ],
)
def test_synthetic_shapes_and_seeding(name, n0, nL, m):
    load = datasets.LOADERS[name]
    X, Y = load()
    assert X.shape == (n0, m) and Y.shape == (nL, m)
    X2, Y2 = load()
    np.testing.assert_array_equal(X, X2)
    np.testing.assert_array_equal(Y, Y2)
    if name not in ("square", "linear"):  # classification: both classes present
        labels = datasets.labels_of(Y)
        assert len(np.unique(labels)) == (nL if nL > 1 else 2)
        X3, _ = load(seed=1)
        assert not np.array_equal(X, X3)


def test_blobs_centres_and_spread():
    X, Y = datasets.blobs(m=4000, seed=3)
    lab = Y[0].astype(bool)
    np.testing.assert_allclose(X[:, lab].mean(axis=1), [2, 0], atol=0.1)
    np.testing.assert_allclose(X[:, ~lab].mean(axis=1), [-2, 0], atol=0.1)
    np.testing.assert_allclose(X[:, lab].std(axis=1), [1, 1], atol=0.05)


def test_ball_is_std_one_and_labelled_by_the_sum():
    X, Y = datasets.ball(m=2000, seed=0)
    assert X.std() == pytest.approx(1.0, rel=1e-12)
    # the same points before scaling: uniform in the unit ball, label |sum x| > 0.5 * radius (radius 1)
    X_unit = _unit_ball_points(2000, 10, 0)
    assert np.linalg.norm(X_unit, axis=0).max() <= 1 + 1e-12
    np.testing.assert_allclose(X, X_unit / X_unit.std(), rtol=1e-12)
    np.testing.assert_array_equal(Y[0], (np.abs(X_unit.sum(axis=0)) > 0.5).astype(float))
    # uniform in the ball: the fraction inside radius 0.9 is 0.9^10
    assert np.mean(np.linalg.norm(X_unit, axis=0) < 0.9) == pytest.approx(0.9**10, abs=0.03)
    assert 0.3 < Y.mean() < 0.7


def _unit_ball_points(m, n, seed):
    rng = np.random.default_rng(seed)
    d = rng.standard_normal((n, m))
    d /= np.linalg.norm(d, axis=0, keepdims=True)
    return d * rng.random(m) ** (1.0 / n)


def test_regression_sets_follow_their_formulas():
    X, Y = datasets.square()
    np.testing.assert_array_equal(X[0], np.linspace(-1, 1, 100))
    noise = Y - X**2
    assert noise.min() >= 0 and noise.max() <= 0.2
    X, Y = datasets.linear()
    rs = np.random.RandomState(42)  # Geron: np.random.seed(42); X = 2 rand; y = 4 + 3X + randn
    x = 2 * rs.rand(100, 1)
    np.testing.assert_array_equal(X, x.T)
    np.testing.assert_array_equal(Y, (4 + 3 * x + rs.randn(100, 1)).T)
    slope, intercept = np.polyfit(X[0], Y[0], 1)
    assert abs(slope - 3) < 0.5 and abs(intercept - 4) < 0.5


def test_digits_shapes_and_one_hot():
    pytest.importorskip("sklearn")
    X, Y = datasets.digits()
    assert X.shape == (64, 1797) and Y.shape == (10, 1797)
    assert X.min() == 0 and X.max() == 1
    np.testing.assert_array_equal(Y.sum(axis=0), 1)
    Xi, L = datasets.digits(one_hot_labels=False, scale=False)
    assert Xi.max() == 16 and L.shape == (1, 1797)
    np.testing.assert_array_equal(datasets.labels_of(Y), L[0])


def test_split_is_fixed_disjoint_and_complete():
    X = np.arange(20.0).reshape(2, 10)
    Y = np.arange(10.0).reshape(1, 10)
    a = datasets.train_test_split(X, Y, 0.2, seed=5)
    b = datasets.train_test_split(X, Y, 0.2, seed=5)
    for u, v in zip(a, b):
        np.testing.assert_array_equal(u, v)
    X_tr, Y_tr, X_te, Y_te = a
    assert X_tr.shape == (2, 8) and X_te.shape == (2, 2) and Y_te.shape == (1, 2)
    assert sorted(np.r_[Y_tr[0], Y_te[0]]) == list(range(10))
    np.testing.assert_array_equal(X_tr, np.vstack([Y_tr[0], 10 + Y_tr[0]]))  # columns stay paired
    with pytest.raises(ValueError, match="expected shape"):
        datasets.train_test_split(X, Y[:, :9])


def test_one_hot_and_its_errors():
    np.testing.assert_array_equal(datasets.one_hot([2, 0, 1]), [[0, 1, 0], [0, 0, 1], [1, 0, 0]])
    assert datasets.one_hot(np.array([[1, 0]]), 4).shape == (4, 2)
    with pytest.raises(ValueError, match="class 3"):
        datasets.one_hot([3], 3)
    with pytest.raises(ValueError, match=r"\(m,\)"):
        datasets.one_hot(np.zeros((2, 2)))


def _write_idx(path, array, type_byte=0x08):
    data = struct.pack(">BBBB", 0, 0, type_byte, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    data += array.astype({0x08: ">u1", 0x0C: ">i4"}[type_byte]).tobytes()
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "wb") as f:
        f.write(data)


def test_idx_reader_and_mnist_loader(tmp_path):
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(5, 28, 28), dtype=np.uint8)
    labels = np.array([3, 1, 4, 1, 5], dtype=np.uint8)
    _write_idx(tmp_path / "t10k-images-idx3-ubyte.gz", images)
    _write_idx(tmp_path / "t10k-labels-idx1-ubyte", labels)
    np.testing.assert_array_equal(datasets.read_idx(tmp_path / "t10k-images-idx3-ubyte.gz"), images)
    ints = np.array([[1, -2], [70000, 4]])
    _write_idx(tmp_path / "ints.idx", ints, 0x0C)
    np.testing.assert_array_equal(datasets.read_idx(tmp_path / "ints.idx"), ints)
    X, Y = datasets.load_mnist(tmp_path, "test")
    assert X.shape == (784, 5) and Y.shape == (10, 5)
    np.testing.assert_allclose(X[:, 2], images[2].ravel() / 255.0)
    np.testing.assert_array_equal(Y.argmax(axis=0), labels)
    with pytest.raises(FileNotFoundError, match="train-images"):
        datasets.load_mnist(tmp_path, "train")


def test_idx_reader_rejects_bad_files(tmp_path):
    (tmp_path / "junk").write_bytes(b"hello world")
    with pytest.raises(ValueError, match="not an IDX file"):
        datasets.read_idx(tmp_path / "junk")
    _write_idx(tmp_path / "short", np.zeros((3, 4), np.uint8))
    raw = (tmp_path / "short").read_bytes()
    (tmp_path / "short").write_bytes(raw[:-1])
    with pytest.raises(ValueError, match="data size"):
        datasets.read_idx(tmp_path / "short")


def test_digits_without_scikit_learn_says_how_to_install(monkeypatch):
    import sys

    for name in [n for n in sys.modules if n == "sklearn" or n.startswith("sklearn.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "sklearn", None)  # import sklearn now raises ImportError
    with pytest.raises(ImportError, match=r"nn-ref\[data\]"):
        datasets.digits()
