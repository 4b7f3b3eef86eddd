"""The nn-ref model file: one ``.npz`` holding a trained network's parameters and what rebuilds it.

Entries: the arrays W1, b1, ..., WL, bL (and gamma[l], beta[l], running_mean[l], running_var[l] with batch
norm), plus ``meta_*`` entries: the format tag, layer_dims, activations, loss, leaky-ReLU alpha, batch-norm
settings. Written atomically (a temporary file in the same folder, renamed into place) with the usual file mode
of the user's umask, or the mode of the file it replaces; only a new path or a regular file is ever written (a FIFO,
a device or a socket at the path is refused) and only a regular file is read. Never written with non-finite
values, and a file with any is refused on loading. Before any array is unpacked, the archive's entries are
checked against the format and the sizes its layer dims imply (a small file that would unpack to gigabytes is
refused). A file that is not a model (random bytes, a pickle, another .npz) is a one-line ValueError naming the
file.
"""

import os
import stat
import tempfile
import zipfile
from pathlib import Path

import numpy as np

from nn_ref._checks import check_regular_file

FORMAT = "nn-ref-model-1"
MAX_META_BYTES = 1 << 16  # a meta_* entry (a tag, a name, the layer dims) unpacks to less than this
NPY_HEADER_BYTES = 4096  # room for an .npy header on top of an array's data
MAX_UNPACK_RATIO = 16  # save_model stores arrays uncompressed: a file unpacking to more than 16x its size is a bomb


def available_memory():
    """Bytes of memory available to a new allocation now (Linux's MemAvailable), or None where unknown."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def _first_nonfinite(state):
    for key, value in state.items():
        value = np.asarray(value)
        if value.dtype.kind == "f" and not np.all(np.isfinite(value)):
            index = np.argwhere(~np.isfinite(value))[0].tolist()
            return f"{key}{index} = {value[tuple(index)]}"
    return None


def check_writable(path, example="model.npz"):
    """Raise a one-line error unless a file (a model, or ``example``'s kind) can be written at ``path`` (checked
    before any work)."""
    if str(path).endswith(("/", os.sep)):
        raise ValueError(f"{path}: a folder name; expected a file name such as {Path(path) / example}")
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    if path.is_dir():
        raise ValueError(f"{path}: is a directory; expected a file name such as {path / example}")
    check_regular_file(path, "replace")
    probe = folder
    while not probe.exists():  # the folders save_model would create
        probe = probe.parent
    if not probe.is_dir() or not os.access(probe, os.W_OK | os.X_OK):
        raise ValueError(f"{path}: cannot write into {probe} (permission denied or not a folder)")
    try:  # a real probe file: os.access says yes to root even where no file can be made (/proc, read-only mounts)
        with tempfile.TemporaryFile(dir=probe):
            pass
    except OSError as exc:
        raise ValueError(f"{path}: cannot write a file into {probe} ({exc.strerror or exc})") from None
    if path.exists() and not os.access(path, os.W_OK):
        raise ValueError(f"{path}: the file exists and is not writable")


def save_model(path, state, meta):
    """np.savez of ``state`` (arrays) and ``meta`` (numbers, strings, arrays) into ``path``, atomically, with the
    file mode of the file it replaces (else of the user's umask). Refuses non-finite arrays (a diverged model is
    never saved) and a path that exists but is not a regular file."""
    path = Path(path)
    check_regular_file(path, "replace")
    bad = _first_nonfinite(state)
    if bad is not None:
        raise ValueError(f"{path}: not saved, the model holds a non-finite value ({bad})")
    path.parent.mkdir(parents=True, exist_ok=True)
    arrays = {f"meta_{k}": np.asarray(v) for k, v in meta.items()}
    arrays.update(state)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name + ".", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, **arrays)
        if path.is_file():  # replacing a model: keep its mode (a chmod 600 model stays private)
            mode = stat.S_IMODE(os.stat(path).st_mode)
        else:  # mkstemp makes 0600; a new model file gets the usual mode
            umask = os.umask(0)
            os.umask(umask)
            mode = 0o666 & ~umask
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def _expected_shapes(dims, batchnorm):
    """{key: shape} of the arrays a model of layer dims ``dims`` holds."""
    expected = {}
    for l in range(1, len(dims)):
        expected[f"W{l}"], expected[f"b{l}"] = (dims[l], dims[l - 1]), (dims[l], 1)
        if batchnorm and l < len(dims) - 1:
            for key in ("gamma", "beta", "running_mean", "running_var"):
                expected[f"{key}{l}"] = (dims[l], 1)
    return expected


def _check_archive(path):
    """Before unpacking any array: a zip of .npy entries with the format tag, layer dims, and no entry that
    unpacks to more than its layer dims allow (read from the zip directory: nothing is decompressed but the
    two small meta entries)."""
    try:
        with zipfile.ZipFile(path) as zf:
            infos = {i.filename.removesuffix(".npy"): i for i in zf.infolist()}
            small = {}
            for key in ("meta_format", "meta_layer_dims"):
                if key not in infos or infos[key].file_size > MAX_META_BYTES:
                    return  # not our format: np.load and the checks below say which way, in one line
                with zf.open(infos[key]) as f:
                    small[key] = np.lib.format.read_array(f, allow_pickle=False)
    except (zipfile.BadZipFile, ValueError, OSError, EOFError) as exc:
        raise ValueError(f"{path}: not a readable nn-ref model file ({type(exc).__name__}: {exc})") from None
    if str(small["meta_format"]) != FORMAT:
        return
    dims = small["meta_layer_dims"]
    if dims.ndim != 1 or dims.size < 2 or dims.dtype.kind not in "iu" or (dims < 1).any():
        raise ValueError(f"{path}: meta_layer_dims is not a list of positive sizes ({dims!r})")
    bounds = {k: int(np.prod(shape)) * 8 + NPY_HEADER_BYTES for k, shape in _expected_shapes(dims, True).items()}
    for key, info in infos.items():
        bound = MAX_META_BYTES if key.startswith("meta_") else bounds.get(key)
        if bound is None:
            raise ValueError(f"{path}: unexpected entry {info.filename!r} in a model of layer dims {dims.tolist()}")
        if info.file_size > bound:
            raise ValueError(
                f"{path}: entry {info.filename!r} would unpack to {info.file_size} bytes, more than the {bound} "
                f"its layer dims {dims.tolist()} allow; refusing to unpack it"
            )
    unpacked, size = sum(i.file_size for i in infos.values()), os.path.getsize(path)
    if unpacked > MAX_UNPACK_RATIO * size + (1 << 20):
        raise ValueError(
            f"{path}: would unpack to {unpacked} bytes from a {size}-byte file (more than {MAX_UNPACK_RATIO}x; "
            "nn-ref stores a model uncompressed); refusing to unpack it"
        )
    available = available_memory()
    if available is not None and unpacked > available:
        raise ValueError(
            f"{path}: its layer dims {dims.tolist()} need {unpacked / 1e9:.3g} GB, more than the "
            f"{available / 1e9:.3g} GB of memory available; refusing to unpack it"
        )


def load_model(path, layer_dims=None):
    """(state, meta) from a file written by ``save_model``; checks the format, that every array is
    present with the shape the layer dims imply, and (if given) that the layer dims are ``layer_dims``.
    A corrupt or foreign file raises ValueError naming the file and what is wrong."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such model file")
    check_regular_file(path, "read")
    _check_archive(path)
    try:
        with open(path, "rb") as f, np.load(f, allow_pickle=False) as data:  # our handle: closed on any error
            arrays = {k: data[k] for k in data.files}
    except (zipfile.BadZipFile, ValueError, OSError, EOFError, KeyError, TypeError) as exc:
        raise ValueError(f"{path}: not a readable nn-ref model file ({type(exc).__name__}: {exc})") from None
    if str(arrays.get("meta_format", "")) != FORMAT:
        raise ValueError(
            f"{path}: not an nn-ref model file (expected format {FORMAT!r}, "
            f"got {str(arrays['meta_format']) if 'meta_format' in arrays else 'none'})"
        )
    try:
        meta = {
            "layer_dims": [int(n) for n in arrays["meta_layer_dims"]],
            "hidden_activation": str(arrays["meta_hidden_activation"]),
            "output_activation": str(arrays["meta_output_activation"]),
            "loss": str(arrays["meta_loss"]),
            "alpha": float(arrays["meta_alpha"]),
            "batchnorm": bool(arrays["meta_batchnorm"]),
            "bn_eps": float(arrays["meta_bn_eps"]),
            "bn_momentum": float(arrays["meta_bn_momentum"]),
        }
    except KeyError as exc:
        raise ValueError(f"{path}: model file lacks the entry {exc}") from None
    dims = meta["layer_dims"]
    if layer_dims is not None and [int(n) for n in layer_dims] != dims:
        raise ValueError(f"{path}: layer dims {dims} in the file, expected {list(layer_dims)}")
    expected = _expected_shapes(dims, meta["batchnorm"])
    state = {}
    for key, shape in expected.items():
        if key not in arrays:
            raise ValueError(f"{path}: model file lacks {key} (expected shape {shape})")
        if arrays[key].shape != shape:
            raise ValueError(f"{path}: {key} has shape {arrays[key].shape}, expected {shape} for layer dims {dims}")
        state[key] = arrays[key]
    bad = _first_nonfinite(state)
    if bad is not None:
        raise ValueError(f"{path}: the model holds a non-finite value ({bad}); refusing to load it")
    return state, meta
