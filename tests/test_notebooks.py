"""The notebooks in notebooks/ (jupytext percent format): each is executed top to bottom in a fresh
Jupyter kernel on the NumPy backend with the exercises filled by nn-ref's own functions
(NN_REF_SOLUTIONS=1), so every check cell must pass -- a failing check raises in the kernel."""

import json
import re
import subprocess
import sys
from pathlib import Path

import jupytext
import nbformat
import pytest
from nbclient import NotebookClient

from nn_ref.exercises import EXERCISES

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK_DIR = ROOT / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("[0-9][0-9]_*.py"))
# one per lecture section, each with exercises; those after them (11 on) are the HPML lens, without exercises
LECTURE_NOTEBOOKS = [p for p in NOTEBOOKS if int(p.name[:2]) <= 10]
KERNEL = "nn-ref-notebooks"


@pytest.fixture(scope="module")
def kernel_env(tmp_path_factory):
    """A kernel spec for this interpreter (whatever kernels the machine has), found through JUPYTER_PATH."""
    path = tmp_path_factory.mktemp("jupyter")
    spec = path / "kernels" / KERNEL
    spec.mkdir(parents=True)
    argv = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    (spec / "kernel.json").write_text(json.dumps({"argv": argv, "display_name": "nn-ref", "language": "python"}))
    return {
        "JUPYTER_PATH": str(path),
        "NN_REF_SOLUTIONS": "1",
        "NN_REF_BACKEND": "numpy",
        "MPLBACKEND": "Agg",
        "OPENBLAS_NUM_THREADS": "1",
        "PYDEVD_DISABLE_FILE_VALIDATION": "1",
        "JUPYTER_RUNTIME_DIR": str(path / "runtime"),  # the kernels' connection files: a fresh writable folder
    }


def _exercise_cells(nb):
    return [c for c in nb.cells if c.cell_type == "code" and "exercise" in c.metadata.get("tags", [])]


def test_there_are_ten_notebooks_one_per_section():
    assert len(LECTURE_NOTEBOOKS) == 10, [p.name for p in NOTEBOOKS]


@pytest.mark.parametrize("path", LECTURE_NOTEBOOKS, ids=[p.stem for p in LECTURE_NOTEBOOKS])
def test_student_copy_has_exercises_and_checks(path):
    """Every exercise cell is an unwritten function (raise NotImplementedError) marked with @exercise,
    followed by a cell that checks it; each notebook has 1-3 exercises and draws a lecture figure."""
    nb = jupytext.read(path)
    cells = [c for c in nb.cells if c.cell_type == "code"]
    exercises = _exercise_cells(nb)
    assert 1 <= len(exercises) <= 3
    for cell in exercises:
        name = re.search(r'@exercise\("(\w+)"\)', cell.source).group(1)
        assert name in EXERCISES
        assert "raise NotImplementedError" in cell.source
        following = cells[cells.index(cell) + 1].source
        assert f'check("{name}", ' in following, following
    assert "show_figure(" in path.read_text()


def test_figures_shown_are_registered_figures():
    from nn_ref.figures import FIGURES

    shown = re.findall(r'show_figure\("(\w+)"\)', "".join(p.read_text() for p in NOTEBOOKS))
    assert len(shown) >= 25
    assert not [fig_id for fig_id in shown if fig_id not in FIGURES]


def test_every_exercise_is_in_a_notebook():
    sources = "".join(p.read_text() for p in NOTEBOOKS)
    for name in EXERCISES:
        assert f'check("{name}", ' in sources, name


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs_with_solutions(path, kernel_env, monkeypatch):
    for key, value in kernel_env.items():
        monkeypatch.setenv(key, value)
    nb = jupytext.read(path)
    client = NotebookClient(nb, timeout=120, kernel_name=KERNEL, resources={"metadata": {"path": str(NOTEBOOK_DIR)}})
    client.execute()
    nbformat.validate(nb)
    cells = [c for c in nb.cells if c.cell_type == "code"]
    checks = [c for c in cells if c.source.lstrip().startswith("check(")]
    assert checks or path not in LECTURE_NOTEBOOKS
    for cell in checks:
        shown = "".join(o.get("data", {}).get("text/markdown", "") for o in cell.outputs)
        assert "**passed**" in shown, (cell.source, cell.outputs)
    images = [o for c in cells for o in c.outputs if "image/png" in o.get("data", {})]
    assert images, "no figure was drawn"
    errors = [o for c in cells for o in c.outputs if o.get("output_type") == "error"]
    assert not errors
    assert not any(o.get("name") == "stderr" and "Traceback" in o.get("text", "") for c in cells for o in c.outputs)


def test_student_copies_say_not_implemented(kernel_env, monkeypatch):
    """As a student first opens them, the exercises unwritten: each notebook's imports, exercise cells and
    check cells (all ten in one kernel) run, and every check says "not implemented yet" instead of raising.
    (The other cells are the same in both modes; test_notebook_runs_with_solutions runs them.)"""
    for key, value in kernel_env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("NN_REF_SOLUTIONS")
    cells = []
    for path in NOTEBOOKS:
        code = [c for c in jupytext.read(path).cells if c.cell_type == "code"]
        exercises = _exercise_cells(nbformat.v4.new_notebook(cells=code))
        cells.append(code[0])
        for cell in exercises:
            cells += [cell, code[code.index(cell) + 1]]
    nb = nbformat.v4.new_notebook(cells=cells)
    NotebookClient(nb, timeout=120, kernel_name=KERNEL, resources={"metadata": {"path": str(NOTEBOOK_DIR)}}).execute()
    checks = [c for c in nb.cells if c.source.lstrip().startswith("check(")]
    assert len(checks) == sum(len(_exercise_cells(jupytext.read(p))) for p in NOTEBOOKS)
    for cell in checks:
        shown = "".join(o.get("data", {}).get("text/markdown", "") for o in cell.outputs)
        assert "**failed**" in shown and "not implemented yet" in shown, (cell.source, cell.outputs)


def test_readme_links_every_notebook():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Notebooks and exercises", 1)[1].split("\n## ", 1)[0]
    for path in NOTEBOOKS:
        assert f"(notebooks/{path.name})" in section, path.name


def test_notebooks_outputs_are_not_committed():
    """Only the jupytext sources are tracked; generated .ipynb files are ignored."""
    ignored = (ROOT / ".gitignore").read_text().splitlines()
    assert "notebooks/*.ipynb" in ignored
    if (ROOT / ".git").exists():
        tracked = subprocess.run(["git", "ls-files", "notebooks"], cwd=ROOT, capture_output=True, text=True, check=True)
        names = tracked.stdout.split()
        assert names and not [n for n in names if n.endswith(".ipynb")]


def test_cli_writes_fresh_student_copies(tmp_path, capsys):
    from nn_ref.cli import main

    out = tmp_path / "my-notebooks"
    assert main(["notebooks", str(out)]) == 0
    written = sorted(out.glob("*.ipynb"))
    assert [p.stem for p in written] == [p.stem for p in NOTEBOOKS]
    nb = nbformat.read(written[1], as_version=4)
    nbformat.validate(nb)
    exercises = _exercise_cells(nb)
    assert exercises and all("raise NotImplementedError" in c.source for c in exercises)
    assert all(not c.outputs for c in nb.cells if c.cell_type == "code")
    written[0].write_text(written[0].read_text().replace("linear regression", "MY WORK"))
    assert main(["notebooks", str(out)]) == 0
    assert "MY WORK" in written[0].read_text()  # a student's copy is kept
    assert "kept" in capsys.readouterr().out
    assert main(["notebooks", str(out), "--force"]) == 0
    assert "MY WORK" not in written[0].read_text()


def test_cli_bad_folder_is_one_line(tmp_path, capsys):
    from nn_ref.cli import main

    target = tmp_path / "a-file"
    target.write_text("")
    assert main(["notebooks", str(target)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("nn-ref notebooks: error:") and "not a folder" in err
