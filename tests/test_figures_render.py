"""Every registered figure renders to a valid PNG; the manifest lists every figure of the lecture.

The figures are computed once per session (``_figcache``, quick mode) and saved at low dpi through
``nn_ref.figures.make.make_figures``, the same code path as ``nn-ref figures``.
"""

import hashlib
import importlib.util
import json
import os

import matplotlib.image as mpimg
import pytest
from _figcache import run_figure

from nn_ref import cli
from nn_ref.figures import FIGURES, make

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# The 30 ids of ../shared/figures.md, in the lecture's order, as the committed plots/MANIFEST.json lists them: an
# independent record (written when the plots were last made) to check the registry against, not a pasted copy.
with open(os.path.join(REPO, "plots", "MANIFEST.json")) as _fh:
    EXPECTED_IDS = [entry["id"] for entry in json.load(_fh)["figures"]]
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    out = tmp_path_factory.mktemp("plots")
    done = make.make_figures(out=str(out), dpi=30, progress=False, runner=lambda spec: run_figure(spec.id))
    return out, done


def test_registry_holds_exactly_the_lecture_figures():
    assert len(EXPECTED_IDS) == len(set(EXPECTED_IDS)) == 30
    assert list(FIGURES) == EXPECTED_IDS  # registered, in the lecture order


def test_every_figure_renders_to_a_valid_png(rendered):
    out, done = rendered
    assert [made.id for made in done] == list(FIGURES)
    for fig_id in FIGURES:
        path = out / f"{fig_id}.png"
        assert path.exists(), fig_id
        with open(path, "rb") as fh:
            assert fh.read(8) == PNG_SIGNATURE, fig_id
        image = mpimg.imread(path)
        assert image.ndim == 3 and image.shape[0] > 50 and image.shape[1] > 50, fig_id
        assert image.std() > 0, f"{fig_id}: blank image"


def test_manifest_lists_every_figure(rendered):
    out, _ = rendered
    manifest = json.loads((out / "MANIFEST.json").read_text())
    entries = manifest["figures"]
    assert sorted(e["id"] for e in entries) == sorted(EXPECTED_IDS)
    for e in entries:
        spec = FIGURES[e["id"]]
        assert e["slide"] == spec.slide and e["slide"]
        assert e["function"] == f"{spec.function.__module__}.{spec.function.__qualname__}"
        assert e["function"].startswith("nn_ref.figures.") and e["function"].endswith(spec.function.__name__)
        assert e["params"] == json.loads(json.dumps(spec.params)) and e["seed"] == spec.seed
        assert e["file"] == f"{e['id']}.png"
        assert isinstance(e["key_numbers"], dict) and e["key_numbers"], e["id"]


def test_figures_are_deterministic():
    # seeded and unseeded figures computed again from scratch give the same key numbers
    for fig_id in ("supervised_vs_unsupervised", "artificial_neuron", "regression_example", "gd_local_vs_global"):
        _, fresh = FIGURES[fig_id].run(quick=True)
        _, cached = run_figure(fig_id)
        assert json.dumps(make.manifest_entry(FIGURES[fig_id], fresh)) == json.dumps(
            make.manifest_entry(FIGURES[fig_id], cached)
        ), fig_id


def test_cli_only_list_and_unknown(tmp_path, capsys):
    assert cli.main(["figures", "--list"]) == 0
    listed = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in listed] == list(FIGURES)
    out = tmp_path / "out"
    assert cli.main(["figures", "--only", "gd_1d_convex", "--out", str(out), "--dpi", "30", "--quick"]) == 0
    assert (out / "gd_1d_convex.png").read_bytes()[:8] == PNG_SIGNATURE
    assert [e["id"] for e in json.loads((out / "MANIFEST.json").read_text())["figures"]] == ["gd_1d_convex"]
    capsys.readouterr()
    assert cli.main(["figures", "--only", "no_such_figure", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("nn-ref figures: error: unknown figure id") and err.count("\n") == 1


def test_update_gallery_rewrites_only_between_markers(tmp_path, rendered):
    spec = importlib.util.spec_from_file_location("update_gallery", os.path.join(REPO, "scripts", "update_gallery.py"))
    gallery = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gallery)
    out, _ = rendered
    readme = tmp_path / "README.md"
    readme.write_text(f"# nn-ref\nbefore\n{gallery.START}\nold table\n{gallery.END}\nafter\n")
    assert gallery.main(["--readme", str(readme), "--manifest", str(out / "MANIFEST.json")]) == 0
    text = readme.read_text()
    assert text.startswith("# nn-ref\nbefore\n") and text.endswith(f"{gallery.END}\nafter\n")
    assert "old table" not in text
    for fig_id in FIGURES:
        assert f'{fig_id}.png" width="260"' in text
    assert text.count("<img ") == len(FIGURES)
    no_markers = tmp_path / "OTHER.md"
    no_markers.write_text("# no gallery here\n")
    assert gallery.main(["--readme", str(no_markers), "--manifest", str(out / "MANIFEST.json")]) == 1
    assert no_markers.read_text() == "# no gallery here\n"


def test_blas_threads_sets_and_restores():
    from nn_ref.figures._registry import _openblas_libraries, blas_threads

    libs = _openblas_libraries()
    if not libs:
        pytest.skip("no OpenBLAS found in this process (not Linux, or NumPy linked to another BLAS)")
    before = [get() for _, get in libs]
    with blas_threads(1):
        assert [get() for _, get in libs] == [1] * len(libs)
    assert [get() for _, get in libs] == before


def test_every_figure_has_svg_panels_and_hashes(rendered):
    out, _ = rendered
    manifest = json.loads((out / "MANIFEST.json").read_text())
    env = manifest["environment"]
    for key in ("nn_ref_commit", "numpy", "numba", "matplotlib", "backend", "dpi", "blas_threads"):
        assert key in env, key
    assert env["backend"] == "numpy" and env["dpi"] == 30 and env["blas_threads"] == 1
    for e in manifest["figures"]:
        files = e["files"]
        assert f"{e['id']}.png" in files and f"{e['id']}.svg" in files, e["id"]
        svg = (out / f"{e['id']}.svg").read_text()
        assert svg.lstrip().startswith("<?xml") and "<svg" in svg and "dc:date" not in svg.lower(), e["id"]
        for name, digest in files.items():  # the recorded hashes are the files' hashes
            assert hashlib.sha256((out / name).read_bytes()).hexdigest() == digest, name
        fig, _ = run_figure(e["id"])
        n_panels = len(make.panel_axes(fig))
        panels = sorted(name for name in files if name.startswith(f"{e['id']}_p") and name.endswith(".png"))
        assert len(panels) == (n_panels if n_panels > 1 else 0), e["id"]
        for name in panels:  # each panel alone on a 16:9 canvas
            h, w = mpimg.imread(out / name).shape[:2]
            assert abs(w / h - 16 / 9) < 0.03, (name, w, h)


def test_files_are_deterministic(tmp_path):
    # the same figure computed and saved twice gives the same bytes: PNG, SVG (fixed svg.hashsalt, no
    # date) and the per-panel files
    hashes = []
    for k in range(2):
        fig, _ = FIGURES["gd_1d_convex"].run(quick=True)
        (tmp_path / str(k)).mkdir()
        hashes.append(make.save_figure(fig, str(tmp_path / str(k)), "gd_1d_convex", dpi=30))
    assert hashes[0] == hashes[1] and len(hashes[0]) == 6  # png, svg and two panels as png and svg


@pytest.mark.parametrize("fig_id", EXPECTED_IDS)
def test_slide_style_text_size_and_canvas(fig_id):
    from nn_ref.figures.style import MIN_PT, SLIDE_H, SLIDE_W, small_texts

    fig, _ = run_figure(fig_id)
    assert small_texts(fig) == [], f"{fig_id}: text below {MIN_PT} pt"
    w, h = fig.get_size_inches()
    assert w <= SLIDE_W and h <= SLIDE_H, (fig_id, w, h)  # on a slide at 100 % or more
    assert len(make.panel_axes(fig)) <= 4, fig_id
    assert fig.get_suptitle() or any(ax.get_title() for ax in fig.axes), f"{fig_id}: no title"


def test_compare_numbers():
    old = {"a": 1.0, "b": [1, 2.5], "c": True, "d": {"e": "x", "f": 0.0}}
    assert make.compare_numbers(old, json.loads(json.dumps(old))) == []
    assert make.compare_numbers(old, {**old, "a": 1.0 + 5e-7}) == []
    moved = make.compare_numbers(old, {**old, "a": 1.0 + 2e-6, "b": [1, 2.5, 3], "c": False})
    assert [path for path, _, _ in moved] == ["a", "b (length)", "c"]
    assert make.compare_numbers({"x": 1}, {"x": 2}) == [("x", 1, 2)]
    assert make.compare_numbers({"x": 0.0}, {"x": 1e-300}) == [("x", 0.0, 1e-300)]
    assert make.compare_numbers({"x": 1.0}, {}) == [("x", 1.0, "<missing>")]


def test_cli_check_reports_moved_numbers(tmp_path, capsys):
    out = tmp_path / "plots"
    assert cli.main(["figures", "--only", "gd_1d_convex", "--out", str(out), "--dpi", "30"]) == 0
    capsys.readouterr()
    assert cli.main(["figures", "--check", "--only", "gd_1d_convex", "--out", str(out)]) == 0
    assert "1 of 1 figure(s) reproduce" in capsys.readouterr().out
    manifest = json.loads((out / "MANIFEST.json").read_text())
    manifest["figures"][0]["key_numbers"]["x"][3] *= 1 + 1e-5
    (out / "MANIFEST.json").write_text(json.dumps(manifest))
    assert cli.main(["figures", "--check", "--only", "gd_1d_convex", "--out", str(out)]) == 1
    text = capsys.readouterr().out
    assert "gd_1d_convex: 1 number(s) moved" in text and "x[3]" in text
    assert cli.main(["figures", "--check", "--quick", "--out", str(out)]) == 2
