"""Regenerate the lecture's figures: ``nn-ref figures`` (or ``python scripts/make_figures.py``).

For every registered figure (or the ``--only`` ones): call its function with the registered
parameters and seed, save ``<out>/<id>.png`` (150 dpi), and record in ``<out>/MANIFEST.json``
its slide title, function, parameters, seed and the key numbers its honesty check uses.
Entries of figures not regenerated this time are kept, so ``--only`` updates the manifest in place.
The manifest holds no timings or dates: two runs give the same file. The figures compute with the
NumPy oracle backend and one BLAS thread (their arrays are small; see ``_registry.blas_threads``).
"""
import collections
import json
import os
import time

import matplotlib
from tqdm import tqdm

from nn_ref.figures import FIGURES
from nn_ref.figures._registry import DEFAULT_BACKEND, STYLE, to_jsonable

DEFAULT_OUT = "plots"
DEFAULT_DPI = 150
MANIFEST = "MANIFEST.json"

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


def manifest_entry(spec, data):
    """The manifest record of one figure."""
    if not isinstance(data, dict) or "key_numbers" not in data:
        raise ValueError(f"figure {spec.id!r}: the function must return (fig, data) with data['key_numbers']")
    return {"id": spec.id, "slide": spec.slide, "function": spec.qualname,
            "params": to_jsonable(spec.params), "seed": spec.seed,
            "file": f"{spec.id}.png", "key_numbers": to_jsonable(data["key_numbers"])}


def read_manifest(out):
    path = os.path.join(out, MANIFEST)
    if not os.path.exists(path):
        return {}
    with open(path, encoding="utf-8") as fh:
        return {entry["id"]: entry for entry in json.load(fh)["figures"]}


def write_manifest(out, entries):
    """Write the entries of registered figures, in registry order (atomically: a reader never sees
    half a file)."""
    ordered = [entries[fig_id] for fig_id in FIGURES if fig_id in entries]
    path = os.path.join(out, MANIFEST)
    tmp = f"{path}.{os.getpid()}.tmp"
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump({"figures": ordered}, fh, indent=1, ensure_ascii=False)
        fh.write("\n")
    os.replace(tmp, path)


def make_figures(only=None, out=DEFAULT_OUT, dpi=DEFAULT_DPI, quick=False, backend=DEFAULT_BACKEND,
                 progress=True, runner=None):
    """Make the figures; returns ``[Made(id, seconds, cpu_seconds, path)]`` (wall-clock and process CPU
    time: on a busy machine the CPU time is the steadier measure). ``quick`` uses the tests' small sizes.
    ``runner(spec) -> (fig, data)`` replaces ``spec.run(quick, backend)`` (the tests pass a cached one)."""
    specs = select(only)
    os.makedirs(out, exist_ok=True)
    done = []
    bar = tqdm(specs, desc="figures", unit="fig", disable=not progress)
    for spec in bar:
        bar.set_postfix_str(spec.id)
        start, cpu_start = time.perf_counter(), time.process_time()
        fig, data = runner(spec) if runner is not None else spec.run(quick=quick, backend=backend)
        path = os.path.join(out, f"{spec.id}.png")
        with matplotlib.rc_context(STYLE):
            fig.savefig(path, dpi=dpi, metadata={"Software": None})
        seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu_start
        entries = read_manifest(out)  # re-read: keeps entries that another run wrote meanwhile
        entries[spec.id] = manifest_entry(spec, data)
        write_manifest(out, entries)  # after each figure: a crash keeps what was done
        done.append(Made(spec.id, seconds, cpu_seconds, path))
    return done


def list_figures():
    """Lines ``id  slide title`` of every registered figure."""
    width = max((len(fig_id) for fig_id in FIGURES), default=0)
    return [f"{spec.id:<{width}}  {spec.slide}" for spec in FIGURES.values()]


def main(args):
    """The ``nn-ref figures`` verb (args from ``nn_ref.cli``)."""
    if args.list:
        print("\n".join(list_figures()))
        return 0
    try:
        select(args.only)                 # unknown ids: a clear message, before any work
    except ValueError as exc:
        print(f"nn-ref figures: {exc}")
        return 2
    if args.dpi < 1:
        print(f"nn-ref figures: --dpi: expected a positive integer, got {args.dpi}")
        return 2
    done = make_figures(args.only, args.out, args.dpi, args.quick, args.backend)
    width = max([len(m.id) for m in done] + [6])
    print(f"{'figure':<{width}}  {'wall s':>7}  {'CPU s':>7}")
    for m in done:
        print(f"{m.id:<{width}}  {m.seconds:7.2f}  {m.cpu_seconds:7.2f}")
    wall, cpu = sum(m.seconds for m in done), sum(m.cpu_seconds for m in done)
    print(f"{len(done)} figure(s) in {wall:.1f} s wall, {cpu:.1f} s CPU -> {args.out}/ "
          f"(manifest: {os.path.join(args.out, MANIFEST)})")
    return 0

