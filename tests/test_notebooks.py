"""The notebooks in notebooks/ (jupytext percent format, found by glob): each is executed top to bottom
as a student installs nn-ref -- a fresh venv with `pip install -e ".[notebooks]"` only, its own Python
running the kernels -- on the NumPy backend with the exercises filled by nn-ref's own functions
(NN_REF_SOLUTIONS=1), so every check cell must pass -- a failing check raises in the kernel."""

import json
import os
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
        "NN_REF_PROGRESS": "",  # progress() per kernel: nothing written to the home folder
        "NN_REF_BACKEND": "numpy",
        "MPLBACKEND": "Agg",
        "OPENBLAS_NUM_THREADS": "1",
        "PYDEVD_DISABLE_FILE_VALIDATION": "1",
        "JUPYTER_RUNTIME_DIR": str(path / "runtime"),  # the kernels' connection files: a fresh writable folder
    }


def _exercise_cells(nb):
    return [c for c in nb.cells if c.cell_type == "code" and "exercise" in c.metadata.get("tags", [])]


def test_notebooks_are_numbered_one_per_section():
    assert len(NOTEBOOKS) >= 10, [p.name for p in NOTEBOOKS]
    numbers = [p.name[:2] for p in NOTEBOOKS]
    assert numbers == [f"{i:02d}" for i in range(1, len(NOTEBOOKS) + 1)], numbers


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
    assert "progress()" in [c.source.strip() for c in cells][-1]  # every notebook ends with the overview


def test_figures_shown_are_registered_figures():
    from nn_ref.figures import FIGURES

    shown = re.findall(r'show_figure\("(\w+)"\)', "".join(p.read_text() for p in NOTEBOOKS))
    assert len(shown) >= 25
    assert not [fig_id for fig_id in shown if fig_id not in FIGURES]


def test_every_exercise_is_in_a_notebook():
    sources = "".join(p.read_text() for p in NOTEBOOKS)
    for name in EXERCISES:
        assert f'check("{name}", ' in sources, name


@pytest.fixture(scope="module")
def executed(tmp_path_factory):
    """Every notebook executed as a student installs nn-ref (docs/exercises.md): a fresh venv without the
    system's or the test extra's packages, `pip install -e ".[notebooks]"` (pip's cache and the machine's
    wheels make it quick after the first time), then tests/_run_notebooks.py in that venv: its own Python
    runs the kernels. Returns {notebook stem: executed notebook}."""
    base = tmp_path_factory.mktemp("student")
    venv = base / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    python = venv / ("Scripts" if os.name == "nt" else "bin") / "python"
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}
    install = subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", "--no-compile", "-e", f"{ROOT}[notebooks]"],
        env=env,
        capture_output=True,
        text=True,
        timeout=1500,
    )
    assert install.returncode == 0, install.stdout[-2000:] + install.stderr[-4000:]
    env.update(
        NN_REF_SOLUTIONS="1",
        NN_REF_BACKEND="numpy",
        NN_REF_PROGRESS="",  # progress() in this kernel only: nothing written to the home folder
        MPLBACKEND="Agg",
        OPENBLAS_NUM_THREADS="1",
        PYDEVD_DISABLE_FILE_VALIDATION="1",
    )
    out = base / "executed"
    run = subprocess.run(
        [str(python), str(ROOT / "tests" / "_run_notebooks.py"), str(out), *map(str, NOTEBOOKS)],
        env=env,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-4000:]
    return venv, {p.stem: nbformat.read(out / f"{p.stem}.ipynb", as_version=4) for p in NOTEBOOKS}


def _text(cell):
    return "".join(o.get("text", "") + o.get("data", {}).get("text/plain", "") for o in cell.outputs)


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs_under_the_notebooks_extra_alone(path, executed):
    venv, notebooks = executed
    nb = notebooks[path.stem]
    nbformat.validate(nb)
    cells = [c for c in nb.cells if c.cell_type == "code"]
    probe = _text(cells[0])
    assert f"PREFIX {venv}" in probe and "PYTEST False" in probe, probe  # the venv's packages, not the tests'
    errors = [o for c in cells for o in c.outputs if o.get("output_type") == "error"]
    assert not errors, [(e["ename"], e["evalue"]) for e in errors]
    assert not any(o.get("name") == "stderr" and "Traceback" in o.get("text", "") for c in cells for o in c.outputs)
    checks = [c for c in cells if c.source.lstrip().startswith("check(")]
    assert checks or path not in LECTURE_NOTEBOOKS
    for cell in checks:
        shown = "".join(o.get("data", {}).get("text/markdown", "") for o in cell.outputs)
        assert "**passed**" in shown, (cell.source, cell.outputs)
    images = [o for c in cells for o in c.outputs if "image/png" in o.get("data", {})]
    assert images, "no figure was drawn"
    table = "".join(o.get("data", {}).get("text/markdown", "") for o in cells[-1].outputs)
    names = [re.search(r'@exercise\("(\w+)"\)', c.source).group(1) for c in _exercise_cells(nb)]
    for name in names:  # the progress cell shows this notebook's exercises done
        assert f"| &#x2705; | `{name}` |" in table, table


def test_student_copies_say_not_implemented(kernel_env, monkeypatch):
    """As a student first opens them, the exercises unwritten: each notebook's imports, exercise cells, check
    cells and the cells that train with the student's functions (all notebooks in one kernel) run; every check
    says "not implemented yet" instead of raising, every payoff cell says what to finish first, and the
    progress table shows every exercise failing. (The other cells are the same in both modes; the venv test
    runs them.)"""
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
        cells += [c for c in code if "if done(" in c.source]
    cells.append(nbformat.v4.new_code_cell("progress()"))
    nb = nbformat.v4.new_notebook(cells=cells)
    NotebookClient(nb, timeout=120, kernel_name=KERNEL, resources={"metadata": {"path": str(NOTEBOOK_DIR)}}).execute()
    checks = [c for c in nb.cells if c.source.lstrip().startswith("check(")]
    assert len(checks) == sum(len(_exercise_cells(jupytext.read(p))) for p in NOTEBOOKS)
    for cell in checks:
        shown = "".join(o.get("data", {}).get("text/markdown", "") for o in cell.outputs)
        assert "**failed**" in shown and "not implemented yet" in shown, (cell.source, cell.outputs)
    payoffs = [c for c in nb.cells if "if done(" in c.source]
    assert len(payoffs) >= 4  # notebooks 03, 04, 05 train with the student's functions; 10 compares with autograd
    for cell in payoffs:
        assert "done yet: write" in _text(cell), (cell.source, cell.outputs)
    table = "".join(o.get("data", {}).get("text/markdown", "") for o in nb.cells[-1].outputs)
    assert f"**0 of {len(EXERCISES)} exercises done**" in table, table
    assert table.count("&#x274C;") == len(EXERCISES)  # every exercise failing: its check ran, unwritten


def test_docs_link_every_notebook_and_exercise():
    guide = (ROOT / "docs" / "exercises.md").read_text(encoding="utf-8")
    assert 'pip install -e ".[notebooks]"' in guide  # the install the venv test reproduces
    for path in NOTEBOOKS:
        assert f"(notebooks/{path.name})" in guide  # the site serves the notebooks at notebooks/, path.name
    for name in EXERCISES:
        assert f"`{name}`" in guide, name


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
