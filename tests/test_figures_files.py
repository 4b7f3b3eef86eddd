"""The files ``nn-ref figures`` writes: the same bytes under any BLAS thread count or kernel, never
half-written, SVG text kept as editable text, and a manifest that records what reproduces the figures
(versions, params, seeds, key numbers), not the commit that made them."""

import json
import os
import platform
import subprocess
import sys

import pytest
from _figcache import run_figure
from matplotlib.figure import Figure

from nn_ref.figures import FIGURES, make
from nn_ref.figures.style import FONT_NAME

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

MAKE_ONE = (
    "import sys\nfrom nn_ref.figures import make\nmake.make_figures([sys.argv[1]], out=sys.argv[2], progress=False)\n"
)

# Each environment computes the figure's arithmetic differently in the last bits: the thread pools' sizes, and
# (x86-64, where NumPy's OpenBLAS picks its kernels by CPU) another CPU's kernels: Nehalem's differ from
# Haswell's in the last bits of the fitted curve, which drew ~100 anti-aliased pixels differently before
# the drawn coordinates were rounded (make.stable_coordinates).
THREADS = {var: "1" for var in ("OMP_NUM_THREADS", "NUMBA_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")}
ENVIRONMENTS = {
    "threads_1": THREADS,
    "threads_2": {var: "2" for var in THREADS},
}
if platform.machine().lower() in ("x86_64", "amd64"):
    ENVIRONMENTS["other_cpu_kernels"] = {**THREADS, "OPENBLAS_CORETYPE": "Nehalem"}


def _make_in_subprocess(fig_id, out, extra_env):
    env = {k: v for k, v in os.environ.items() if k not in ("OPENBLAS_CORETYPE", *THREADS)}
    env.update(extra_env)
    done = subprocess.run(
        [sys.executable, "-c", MAKE_ONE, fig_id, str(out)], env=env, cwd=REPO, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return {name: (out / name).read_bytes() for name in sorted(os.listdir(out)) if name != make.MANIFEST}


def test_regression_example_same_bytes_under_other_threads_and_kernels(tmp_path):
    made = {name: _make_in_subprocess("regression_example", tmp_path / name, env) for name, env in ENVIRONMENTS.items()}
    first_name, first = next(iter(made.items()))
    assert sorted(first) == [f"regression_example{p}.{e}" for p in ("", "_p1", "_p2") for e in ("png", "svg")]
    for name, files in made.items():
        differ = [f for f in first if files[f] != first[f]]
        assert differ == [], f"{name} vs {first_name}: {differ} differ"


def test_stable_coordinates_rounds_what_is_drawn_and_restores_it():
    fig, _ = run_figure("regression_example")
    line = max(fig.axes[0].get_lines(), key=lambda ln: len(ln.get_xdata()))
    y = line.get_ydata(orig=True).copy()
    with make.stable_coordinates(fig):
        drawn = line.get_ydata(orig=True)
        assert (drawn == y.astype("float32").astype("float64")).all()
        assert (drawn != y).any()  # the fitted curve is not already float32
    assert (line.get_ydata(orig=True) == y).all()  # the figure object is left as it was


def test_an_interrupted_save_leaves_the_old_files_and_no_temporary(tmp_path, monkeypatch):
    fig, data = run_figure("gd_1d_convex")
    out = tmp_path / "plots"
    make.make_figures(["gd_1d_convex"], out=str(out), dpi=30, progress=False, runner=lambda spec: (fig, data))
    before = {name: (out / name).read_bytes() for name in os.listdir(out)}
    real = Figure.savefig
    calls = []

    def interrupted(self, fname, *args, **kwargs):  # writes a file, then the user hits Ctrl-C mid-way
        real(self, fname, *args, **kwargs)
        calls.append(fname)
        if len(calls) == 3:  # the PNG and the SVG done, the first panel half-written
            with open(fname, "r+b") as fh:
                fh.truncate(100)
            raise KeyboardInterrupt

    monkeypatch.setattr(Figure, "savefig", interrupted)
    with pytest.raises(KeyboardInterrupt):
        make.make_figures(["gd_1d_convex"], out=str(out), dpi=45, progress=False, runner=lambda spec: (fig, data))
    after = {name: (out / name).read_bytes() for name in os.listdir(out)}
    assert after == before  # every file old and whole (the new PNG/SVG were not renamed over the old ones)
    assert all(os.path.dirname(c) == str(out) for c in calls)  # temporaries in the same directory
    monkeypatch.setattr(Figure, "savefig", real)
    make.make_figures(["gd_1d_convex"], out=str(out), dpi=45, progress=False, runner=lambda spec: (fig, data))
    assert sorted(os.listdir(out)) == sorted(before)
    assert (out / "gd_1d_convex.png").read_bytes() != before["gd_1d_convex.png"]  # 45 dpi now


def test_an_interrupted_manifest_write_keeps_the_old_manifest(tmp_path, monkeypatch):
    make.write_manifest(str(tmp_path), {}, env={"numpy": "old"})
    old = (tmp_path / make.MANIFEST).read_bytes()

    def interrupted(src, dst):  # the new manifest is written in full; Ctrl-C before it replaces the old one
        with open(src, encoding="utf-8") as fh:
            assert json.load(fh)["environment"] == {"numpy": "new"}
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        make.write_manifest(str(tmp_path), {}, env={"numpy": "new"})
    assert (tmp_path / make.MANIFEST).read_bytes() == old
    assert os.listdir(tmp_path) == [make.MANIFEST]  # no temporary left behind


def test_svg_keeps_text_as_text_in_a_named_font(tmp_path):
    fig, data = run_figure("regression_example")
    files = make.save_figure(fig, str(tmp_path), "regression_example", dpi=30)
    svg = (tmp_path / "regression_example.svg").read_text()
    assert 'id="DejaVuSans-' not in svg  # no glyph outlines
    for text in (fig.axes[0].get_title(), data["text"]):  # plain labels: one editable <text> each
        assert f">{text}</text>" in svg, text
    assert f"font-family: '{FONT_NAME}'" in svg
    assert "regression_example_p1.svg" in files


def test_manifest_records_what_reproduces_not_the_commit(tmp_path):
    env = make.environment()
    assert not any("commit" in key for key in env)
    for key in ("nn_ref_version", "numpy", "matplotlib", "numba", "backend", "blas_threads", "dpi"):
        assert env[key] is not None, key
    with open(os.path.join(REPO, "plots", make.MANIFEST), encoding="utf-8") as fh:
        committed = json.load(fh)
    assert sorted(committed["environment"]) == sorted(env)
    for entry in committed["figures"]:
        spec = FIGURES[entry["id"]]
        assert entry["params"] == json.loads(json.dumps(spec.params)) and entry["seed"] == spec.seed
    # two runs write the same manifest: nothing in it depends on the time or the checkout
    fig, data = run_figure("gd_1d_convex")
    texts = []
    for _ in range(2):
        make.make_figures(["gd_1d_convex"], out=str(tmp_path), dpi=30, progress=False, runner=lambda s: (fig, data))
        texts.append((tmp_path / make.MANIFEST).read_text())
    assert texts[0] == texts[1]


def test_a_killed_runs_temporaries_are_removed_by_the_next_run(tmp_path):
    """SIGKILL leaves ``.<name>.<pid>.tmp`` behind (nothing can clean up); the next run removes those of dead
    processes, and never a live writer's."""
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    stale = tmp_path / f".x.png.{dead.pid}.tmp"
    live = tmp_path / f".x.png.{os.getpid()}.tmp"
    keep = tmp_path / "x.png"
    for path in (stale, live, keep):
        path.write_bytes(b"data")
    assert make.remove_stale_temporaries(str(tmp_path)) == [stale.name]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([live.name, keep.name])
