"""Every registered figure renders to a valid PNG; the manifest lists every figure of the lecture.

The figures are computed once per session (``_figcache``, quick mode) and saved at low dpi through
``nn_ref.figures.make.make_figures``, the same code path as ``nn-ref figures``.
"""
import importlib.util
import json
import os

import matplotlib.image as mpimg
import pytest

from _figcache import run_figure
from nn_ref import cli
from nn_ref.figures import FIGURES, make

# The 30 ids of ../shared/figures.md, in the lecture's order (hard-coded: the test must not depend on ../shared).
EXPECTED_IDS = [
    "supervised_vs_unsupervised", "traditional_ml_vs_dl", "linear_regression_residuals", "loss_l1_vs_l2",
    "logistic_sigmoid", "artificial_neuron", "activation_functions", "activation_derivatives",
    "feedforward_network", "gd_1d_convex", "gd_local_vs_global", "computation_graph", "vanishing_gradient_chain",
    "init_tanh_normal_0p01", "init_tanh_normal_1p00", "init_xavier_he", "normalization", "batchnorm",
    "lr_too_small_good_large", "lr_decay_schedules", "clr_triangular", "clr_table", "sgd_paths",
    "effective_minibatch", "noise_scale", "lr_decay_vs_batch_increase", "flat_vs_sharp_minima", "tensors",
    "regression_example", "pytorch_examples_loss",
]
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    out = tmp_path_factory.mktemp("plots")
    done = make.make_figures(out=str(out), dpi=30, progress=False, runner=lambda spec: run_figure(spec.id))
    return out, done


def test_registry_holds_exactly_the_lecture_figures():
    assert len(EXPECTED_IDS) == len(set(EXPECTED_IDS)) == 30
    assert list(FIGURES) == EXPECTED_IDS           # registered, in the lecture order


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
        assert json.dumps(make.manifest_entry(FIGURES[fig_id], fresh)) == \
            json.dumps(make.manifest_entry(FIGURES[fig_id], cached)), fig_id


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
    assert "unknown figure id" in capsys.readouterr().out


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
