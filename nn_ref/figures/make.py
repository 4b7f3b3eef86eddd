"""Regenerate the lecture's figures: ``nn-ref figures`` (or ``python scripts/make_figures.py``).

For every registered figure (or the ``--only`` ones): call its function with the registered
parameters and seed, save ``<out>/<id>.png`` (150 dpi) and ``<out>/<id>.svg`` -- and, for a figure of
several panels, every panel alone as ``<id>_p<k>.png/.svg`` (k = 1, 2, ... in reading order), so a
lecturer can reveal them one at a time -- and record in ``<out>/MANIFEST.json`` its slide title,
function, parameters, seed, the key numbers its honesty check uses and the sha256 of every file;
once for the set: what reproduces the files (the nn-ref version, the numpy/numba/matplotlib versions,
the backend, BLAS threads, dpi) -- never the commit that made them, so a regeneration at any commit
with the same versions and figure code leaves ``git status`` clean. Entries of figures not regenerated
this time are kept, so ``--only`` updates the manifest in place. The manifest holds no timings or
dates, and the SVGs are deterministic (fixed ``svg.hashsalt``, no date).

Byte-identical files: what is drawn is rounded to float32 before rendering (``stable_coordinates``),
so the last-bit differences that the BLAS kernel chosen for the CPU (OpenBLAS ``DYNAMIC_ARCH``) or
its thread count make in a computed curve never reach a pixel: a thick line drawn from ulp-different
vertices differs in ~100 anti-aliased pixels, the same vertices rounded to float32 do not.

Never a half-written file: every file of a figure (PNG, SVG, panels) and the manifest is written to a
temporary name in the same directory and then ``os.replace``d over the old one; an interrupted run
leaves each file either old or new, and no temporary behind.

Reproducibility: the key numbers must reproduce on any machine to ``RTOL`` = 1e-6 relative (PNG/SVG
bytes may differ across library versions; the numbers may not). ``nn-ref figures --check``
recomputes the figures and reports every key number that moved beyond it (exit status 1).
The figures compute with the NumPy oracle backend and one BLAS thread (``_registry.blas_threads``).
"""

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")  # effective when this module is imported before NumPy; else blas_threads
del _var

import collections  # noqa: E402
import contextlib  # noqa: E402
import hashlib  # noqa: E402
import importlib.metadata  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import time  # noqa: E402

import matplotlib  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.collections import Collection, LineCollection, PolyCollection  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.patches import Circle, FancyArrowPatch, Polygon, Rectangle  # noqa: E402
from matplotlib.path import Path  # noqa: E402
from matplotlib.text import Annotation, Text  # noqa: E402
from matplotlib.transforms import Bbox  # noqa: E402
from tqdm import tqdm  # noqa: E402

import nn_ref  # noqa: E402
from nn_ref.figures import FIGURES  # noqa: E402
from nn_ref.figures._registry import DEFAULT_BACKEND, STYLE, to_jsonable  # noqa: E402
from nn_ref.figures.style import PANEL_H, PANEL_W  # noqa: E402

DEFAULT_OUT = "plots"
DEFAULT_DPI = 150
MANIFEST = "MANIFEST.json"
RTOL = 1e-6
SIGNIFICANT = 10  # digits kept of every key number in the manifest
BLAS_THREADS = 1
DRAWN_DTYPE = "float32"  # what drawn coordinates are rounded to (stable_coordinates)

Made = collections.namedtuple("Made", "id seconds cpu_seconds path")


def select(only=None):
    """The FigureSpecs to make, in registry (lecture) order; ``only``: a list of ids."""
    if not only:
        return list(FIGURES.values())
    unknown = [name for name in only if name not in FIGURES]
    if unknown:
        raise ValueError(f"unknown figure id(s) {unknown}; known ids: {', '.join(FIGURES)}")
    wanted = set(only)
    return [spec for spec in FIGURES.values() if spec.id in wanted]


def manifest_entry(spec, data, files=None):
    """The manifest record of one figure; ``files``: {file name: sha256} of what was saved."""
    if not isinstance(data, dict) or "key_numbers" not in data:
        raise ValueError(f"figure {spec.id!r}: the function must return (fig, data) with data['key_numbers']")
    entry = {
        "id": spec.id,
        "slide": spec.slide,
        "function": spec.qualname,
        "params": to_jsonable(spec.params),
        "seed": spec.seed,
        "file": f"{spec.id}.png",
        "key_numbers": round_numbers(to_jsonable(data["key_numbers"])),
    }
    if files is not None:
        entry["files"] = dict(files)
    return entry


def round_numbers(value, digits=SIGNIFICANT):
    """``value`` (JSON data) with every float rounded to ``digits`` significant digits: far below the
    ``RTOL`` = 1e-6 that the numbers must reproduce to, and free of the last-bit noise that differs
    between machines (a manifest regenerated elsewhere then mostly matches byte for byte)."""
    if isinstance(value, dict):
        return {k: round_numbers(v, digits) for k, v in value.items()}
    if isinstance(value, list):
        return [round_numbers(v, digits) for v in value]
    if isinstance(value, float) and math.isfinite(value) and value != 0.0:
        return float(f"{value:.{digits - 1}e}")
    return value


def _version(package):
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return None


def environment(backend=DEFAULT_BACKEND, dpi=DEFAULT_DPI):
    """What reproduces the set: the nn-ref version, the library versions, backend, BLAS threads, dpi,
    how drawn coordinates are rounded and the tolerance the key numbers reproduce to. No commit hash
    and no date: a regeneration at another commit that leaves the figures alone writes the same bytes
    (each figure's own params, seed and key numbers are in its entry)."""
    return {
        "nn_ref_version": nn_ref.__version__,  # the source's own (installed metadata can be stale)
        "numpy": _version("numpy"),
        "numba": _version("numba"),
        "matplotlib": _version("matplotlib"),
        "backend": backend,
        "matplotlib_backend": "agg",
        "blas_threads": BLAS_THREADS,
        "dpi": dpi,
        "drawn_coordinates": DRAWN_DTYPE,
        "key_numbers_rtol": RTOL,
    }


def read_manifest(out):
    """{id: entry} of ``<out>/MANIFEST.json`` ({} when there is none)."""
    path = os.path.join(out, MANIFEST)
    if not os.path.exists(path):
        return {}
    with open(path, encoding="utf-8") as fh:
        return {entry["id"]: entry for entry in json.load(fh)["figures"]}


def write_manifest(out, entries, env=None):
    """Write the entries of registered figures, in registry order, with the set's ``environment``
    (atomically: a reader never sees half a file)."""
    ordered = [entries[fig_id] for fig_id in FIGURES if fig_id in entries]
    document = {"environment": env if env is not None else environment(), "figures": ordered}
    text = json.dumps(document, indent=1, ensure_ascii=False) + "\n"
    with atomic_paths(out, [MANIFEST]) as (tmp,):
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(text)


def sha256(path):
    with open(path, "rb") as fh:
        return hashlib.sha256(fh.read()).hexdigest()


def panel_axes(fig):
    """The panels of ``fig``: its visible axes that are not colorbars, in reading order (top to bottom,
    then left to right). A colorbar goes with the axes of its mappable."""
    axes = [ax for ax in fig.axes if ax.get_visible() and not hasattr(ax, "_colorbar")]
    pos = {ax: ax.get_position() for ax in axes}
    return sorted(axes, key=lambda ax: (-round(pos[ax].y1, 2), round(pos[ax].x0, 2)))


def _panel_bbox(fig, ax, renderer):
    """A 16:9 box (inches) around ``ax`` with its title, labels and any colorbar of its own."""
    boxes = [ax.get_tightbbox(renderer)]
    for other in fig.axes:
        bar = getattr(other, "_colorbar", None)
        if bar is not None and getattr(bar.mappable, "axes", None) is ax:
            boxes.append(other.get_tightbbox(renderer))
    box = Bbox.union([b for b in boxes if b is not None]).transformed(fig.dpi_scale_trans.inverted())
    pad = 0.08
    x0, y0, x1, y1 = box.x0 - pad, box.y0 - pad, box.x1 + pad, box.y1 + pad
    w, h = x1 - x0, y1 - y0
    aspect = PANEL_W / PANEL_H
    if w / h < aspect:  # widen to 16:9
        extra = (h * aspect - w) / 2
        x0, x1 = x0 - extra, x1 + extra
    else:  # heighten to 16:9
        extra = (w / aspect - h) / 2
        y0, y1 = y0 - extra, y1 + extra
    return Bbox.from_extents(x0, y0, x1, y1)


@contextlib.contextmanager
def atomic_paths(out, names):
    """Write files ``out/<name>`` all or nothing: yields one temporary path per name (in ``out``, so the
    rename stays on one file system); on a normal exit each is ``os.replace``d over ``out/<name>``, on
    any exception (KeyboardInterrupt too) the temporaries are removed and the old files are untouched."""
    tmps = [os.path.join(out, f".{name}.{os.getpid()}.tmp") for name in names]
    try:
        yield tmps
        for tmp, name in zip(tmps, names):
            os.replace(tmp, os.path.join(out, name))
    except BaseException:
        for tmp in tmps:
            with contextlib.suppress(OSError):
                os.remove(tmp)
        raise


def _rounded(values):
    """``values`` (floats) rounded to ``DRAWN_DTYPE`` and back; anything else (or out of its range) as is."""
    try:
        a = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        return None
    with np.errstate(invalid="ignore"):
        finite = a[np.isfinite(a)]
        if finite.size and np.abs(finite).max() > 1e37:
            return None
    return a.astype(DRAWN_DTYPE).astype(np.float64)


@contextlib.contextmanager
def stable_coordinates(fig):
    """Within the block, every coordinate ``fig`` draws (line and scatter data, segments, polygons,
    patches, text anchors, axis limits) is rounded to ``DRAWN_DTYPE`` = float32, 7 significant digits:
    1e-4 pixel on a 1,000-pixel axis, far below what Agg resolves, and far above the last-bit noise
    of the BLAS kernel or thread count. The original values are restored after."""
    undo = []

    def swap(get, put):
        old = get()
        new = _rounded(old)
        if new is not None and new.shape == np.shape(old):
            put(new)
            undo.append((put, old))

    for line in fig.findobj(Line2D):
        swap(lambda line=line: line.get_xdata(orig=True), lambda v, line=line: line.set_xdata(v))
        swap(lambda line=line: line.get_ydata(orig=True), lambda v, line=line: line.set_ydata(v))
    for coll in fig.findobj(Collection):
        if isinstance(coll, LineCollection):
            old = coll.get_segments()
            coll.set_segments([_rounded(seg) for seg in old])
            undo.append((coll.set_segments, old))
        elif isinstance(coll, PolyCollection):
            old = list(coll.get_paths())
            coll._paths = [Path(_rounded(p.vertices), p.codes) for p in old]
            undo.append((lambda v, coll=coll: setattr(coll, "_paths", v), old))
        if np.size(coll.get_offsets()) and coll.get_offset_transform() is not None:
            swap(coll.get_offsets, coll.set_offsets)
    for patch in fig.findobj(Polygon):
        swap(patch.get_xy, patch.set_xy)
    for patch in fig.findobj(Rectangle):
        swap(lambda p=patch: (p.get_x(), p.get_y(), p.get_width(), p.get_height()), lambda v, p=patch: p.set_bounds(*v))
    for patch in fig.findobj(Circle):
        swap(lambda p=patch: p.center, lambda v, p=patch: setattr(p, "center", tuple(v)))
    for patch in fig.findobj(FancyArrowPatch):
        if patch._posA_posB is not None:
            swap(lambda p=patch: p._posA_posB, lambda v, p=patch: p.set_positions(*map(tuple, v)))
    for text in fig.findobj(Text):
        if isinstance(text, Annotation):
            swap(lambda t=text: t.xy, lambda v, t=text: setattr(t, "xy", tuple(v)))
        swap(text.get_position, lambda v, t=text: t.set_position(tuple(v)))
    for ax in fig.axes:
        if hasattr(ax, "_colorbar"):
            continue
        for get, put in ((ax.get_xlim, ax.set_xlim), (ax.get_ylim, ax.set_ylim)):
            auto = (ax.get_autoscalex_on(), ax.get_autoscaley_on())
            swap(get, lambda v, put=put: put(*v, auto=None))
            undo.append((lambda auto, ax=ax: (ax.set_autoscalex_on(auto[0]), ax.set_autoscaley_on(auto[1])), auto))
    try:
        yield fig
    finally:
        for put, old in reversed(undo):
            put(old)


def save_figure(fig, out, fig_id, dpi=DEFAULT_DPI):
    """Save ``fig`` as ``<id>.png`` and ``<id>.svg`` and, with two or more panels, each panel alone as
    ``<id>_p<k>.png/.svg`` (the other panels and the figure title hidden, the panel's box widened to
    16:9), drawn with ``stable_coordinates`` and written through ``atomic_paths`` (all files of the
    figure, or none). Returns {file name: sha256} in the order written."""
    png_meta, svg_meta = {"Software": None}, {"Date": None, "Creator": None}
    panels = panel_axes(fig)
    names = [f"{fig_id}.png", f"{fig_id}.svg"]
    if len(panels) > 1:
        names += [f"{fig_id}_p{k}.{ext}" for k in range(1, len(panels) + 1) for ext in ("png", "svg")]
    with matplotlib.rc_context(STYLE), stable_coordinates(fig), atomic_paths(out, names) as tmps:
        path = dict(zip(names, tmps))
        for ext, meta in (("png", png_meta), ("svg", svg_meta)):
            fig.savefig(path[f"{fig_id}.{ext}"], format=ext, dpi=dpi, metadata=meta)
        if len(panels) > 1:
            if not hasattr(fig.canvas, "get_renderer"):
                FigureCanvasAgg(fig)
            fig.draw_without_rendering()
            renderer = fig.canvas.get_renderer()
            boxes = [_panel_bbox(fig, ax, renderer) for ax in panels]
            hideable = [a for a in fig.axes] + list(fig.texts) + list(fig.legends)
            if getattr(fig, "_suptitle", None) is not None:
                hideable.append(fig._suptitle)
            visible = {a: a.get_visible() for a in hideable}
            engine = fig.get_layout_engine()
            fig.set_layout_engine("none")  # keep the laid-out positions: hidden panels must not free space
            try:
                for k, (ax, box) in enumerate(zip(panels, boxes), start=1):
                    keep = {ax} | {
                        o
                        for o in fig.axes
                        if getattr(getattr(o, "_colorbar", None), "mappable", None) is not None
                        and o._colorbar.mappable.axes is ax
                    }
                    for artist in hideable:
                        artist.set_visible(visible[artist] and artist in keep)
                    for ext, meta in (("png", png_meta), ("svg", svg_meta)):
                        name = f"{fig_id}_p{k}.{ext}"
                        fig.savefig(path[name], format=ext, dpi=dpi, metadata=meta, bbox_inches=box)
            finally:
                for artist, was in visible.items():
                    artist.set_visible(was)
                fig.set_layout_engine(engine)
    return {name: sha256(os.path.join(out, name)) for name in names}


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # another user's process: alive
        return True
    return True


def remove_stale_temporaries(out):
    """Remove ``atomic_paths``' temporaries that a killed run (SIGKILL, a power cut: no cleanup possible) left in
    ``out``: ``.<name>.<pid>.tmp`` of a process that no longer runs. Returns their names."""
    stale = []
    for name in os.listdir(out):
        parts = name.rsplit(".", 2)
        if name.startswith(".") and len(parts) == 3 and parts[2] == "tmp" and parts[1].isdigit():
            if not _alive(int(parts[1])):
                os.remove(os.path.join(out, name))
                stale.append(name)
    return stale


def _stale_files(out, fig_id, files):
    """Panel files of ``fig_id`` in ``out`` left from an earlier layout (not in ``files``)."""
    prefix = f"{fig_id}_p"
    return [
        name
        for name in os.listdir(out)
        if name.startswith(prefix)
        and name[len(prefix) :].split(".")[0].isdigit()
        and name.rsplit(".", 1)[-1] in ("png", "svg")
        and name not in files
    ]


def make_figures(
    only=None, out=DEFAULT_OUT, dpi=DEFAULT_DPI, quick=False, backend=DEFAULT_BACKEND, progress=True, runner=None
):
    """Make the figures; returns ``[Made(id, seconds, cpu_seconds, path)]`` (wall-clock and process CPU
    time: on a busy machine the CPU time is the steadier measure). ``quick`` uses the tests' small sizes.
    ``runner(spec) -> (fig, data)`` replaces ``spec.run(quick, backend)`` (the tests pass a cached one)."""
    specs = select(only)
    os.makedirs(out, exist_ok=True)
    remove_stale_temporaries(out)
    env = environment(backend, dpi)
    done = []
    bar = tqdm(specs, desc="figures", unit="fig", disable=not progress)
    for spec in bar:
        bar.set_postfix_str(spec.id)
        start, cpu_start = time.perf_counter(), time.process_time()
        fig, data = runner(spec) if runner is not None else spec.run(quick=quick, backend=backend)
        files = save_figure(fig, out, spec.id, dpi)
        for name in _stale_files(out, spec.id, files):
            os.remove(os.path.join(out, name))
        seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu_start
        entries = read_manifest(out)  # re-read: keeps entries that another run wrote meanwhile
        entries[spec.id] = manifest_entry(spec, data, files)
        write_manifest(out, entries, env)  # after each figure: a crash keeps what was done
        done.append(Made(spec.id, seconds, cpu_seconds, os.path.join(out, f"{spec.id}.png")))
    return done


def compare_numbers(old, new, rtol=RTOL, path=""):
    """The places where the key numbers ``new`` differ from ``old``: a list of (path, old, new).

    Floats agree when |new - old| <= rtol * max(|old|, |new|) (equal NaNs agree); booleans, integers,
    strings and the structure (keys, lengths) must be equal."""
    moved = []
    if isinstance(old, dict) and isinstance(new, dict):
        for key in sorted(set(old) | set(new), key=str):
            sub = f"{path}.{key}" if path else str(key)
            if key not in old or key not in new:
                moved.append((sub, old.get(key, "<missing>"), new.get(key, "<missing>")))
            else:
                moved += compare_numbers(old[key], new[key], rtol, sub)
    elif isinstance(old, list) and isinstance(new, list):
        if len(old) != len(new):
            moved.append((f"{path} (length)", len(old), len(new)))
        else:
            for i, (a, b) in enumerate(zip(old, new)):
                moved += compare_numbers(a, b, rtol, f"{path}[{i}]")
    elif (
        isinstance(old, bool)
        or isinstance(new, bool)
        or isinstance(old, str)
        or isinstance(new, str)
        or old is None
        or new is None
    ):
        if old != new or type(old) is not type(new):
            moved.append((path, old, new))
    elif isinstance(old, (int, float)) and isinstance(new, (int, float)):
        if isinstance(old, int) and isinstance(new, int):
            if old != new:
                moved.append((path, old, new))
        elif math.isnan(old) or math.isnan(new):
            if not (math.isnan(old) and math.isnan(new)):
                moved.append((path, old, new))
        elif abs(new - old) > rtol * max(abs(old), abs(new)):
            moved.append((path, old, new))
    elif old != new:
        moved.append((path, old, new))
    return moved


def check_figures(only=None, out=DEFAULT_OUT, backend=DEFAULT_BACKEND, rtol=RTOL, progress=True, runner=None):
    """Recompute the figures (full size, no file written) and compare their key numbers with
    ``<out>/MANIFEST.json``. Returns {figure id: [(path, committed, recomputed), ...]} for every
    figure computed (an empty list: its numbers reproduce)."""
    committed = read_manifest(out)
    report = {}
    for spec in tqdm(select(only), desc="check", unit="fig", disable=not progress):
        if spec.id not in committed:
            report[spec.id] = [("<entry>", "<missing in manifest>", "computed")]
            continue
        _, data = runner(spec) if runner is not None else spec.run(quick=False, backend=backend)
        fresh = round_numbers(to_jsonable(data["key_numbers"]))
        report[spec.id] = compare_numbers(committed[spec.id]["key_numbers"], fresh, rtol)
    return report


def list_figures():
    """Lines ``id  slide title`` of every registered figure."""
    width = max((len(fig_id) for fig_id in FIGURES), default=0)
    return [f"{spec.id:<{width}}  {spec.slide}" for spec in FIGURES.values()]


def _short(value):
    text = json.dumps(value) if not isinstance(value, str) else value
    return text if len(text) <= 40 else text[:37] + "..."


def main(args):
    """The ``nn-ref figures`` verb (args from ``nn_ref.cli``)."""
    if args.list:
        print("\n".join(list_figures()))
        return 0
    select(args.only)  # unknown ids: a clear message (nn_ref.cli prints it as one error line), before any work
    if os.path.exists(args.out) and not os.path.isdir(args.out):
        raise ValueError(f"--out {args.out}: not a folder (the figures and MANIFEST.json go into a folder)")
    if args.dpi < 1:
        raise ValueError(f"--dpi: expected a positive integer, got {args.dpi}")
    rtol = getattr(args, "rtol", RTOL)
    if getattr(args, "check", False):
        if args.quick:
            raise ValueError("--check compares full-size numbers with the manifest; drop --quick")
        if not (rtol > 0):
            raise ValueError(f"--rtol: expected a positive number, got {rtol}")
        if not os.path.exists(os.path.join(args.out, MANIFEST)):
            raise FileNotFoundError(f"--check: no {os.path.join(args.out, MANIFEST)} to compare with")
        start = time.perf_counter()
        report = check_figures(args.only, args.out, args.backend, rtol)
        moved = {fig_id: diffs for fig_id, diffs in report.items() if diffs}
        for fig_id, diffs in report.items():
            print(f"{fig_id}: {'ok' if not diffs else f'{len(diffs)} number(s) moved'}")
            for path, old, new in diffs[:20]:
                print(f"    {path}: manifest {_short(old)} -> now {_short(new)}")
        print(
            f"{len(report) - len(moved)} of {len(report)} figure(s) reproduce the manifest's key numbers "
            f"to {rtol:g} relative ({time.perf_counter() - start:.1f} s)"
            + (f"; moved: {', '.join(moved)}" if moved else "")
        )
        return 1 if moved else 0
    done = make_figures(args.only, args.out, args.dpi, args.quick, args.backend)
    width = max([len(m.id) for m in done] + [6])
    print(f"{'figure':<{width}}  {'wall s':>7}  {'CPU s':>7}")
    for m in done:
        print(f"{m.id:<{width}}  {m.seconds:7.2f}  {m.cpu_seconds:7.2f}")
    wall, cpu = sum(m.seconds for m in done), sum(m.cpu_seconds for m in done)
    print(
        f"{len(done)} figure(s) in {wall:.1f} s wall, {cpu:.1f} s CPU -> {args.out}/ "
        f"(manifest: {os.path.join(args.out, MANIFEST)})"
    )
    return 0
