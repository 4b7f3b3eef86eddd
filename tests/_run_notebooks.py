"""Execute notebooks/*.py (jupytext) in a Jupyter kernel of the Python that runs this script, and write each
executed notebook to OUT/<name>.ipynb. Run by tests/test_notebooks.py with a fresh venv's python: it needs
only what the `notebooks` extra installs (jupytext, nbclient, nbformat, ipykernel).

usage: python tests/_run_notebooks.py OUT NOTEBOOK.py ...

Each notebook gets a first cell that prints the kernel's sys.prefix and whether the test extra's pytest is
importable there, so the test can tell that the kernel saw the venv's packages only. A notebook whose cell
raises is written all the same (the error is in its outputs) and the next one runs.
"""

import json
import os
import sys
import tempfile

import jupytext
import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

KERNEL = "nn-ref-notebooks-venv"
PROBE = (
    "import importlib.util, sys\n"
    "print('PREFIX', sys.prefix)\n"
    "print('PYTEST', importlib.util.find_spec('pytest') is not None)"
)


def main(out, paths):
    jupyter = tempfile.mkdtemp(prefix="nn-ref-jupyter-")
    spec = os.path.join(jupyter, "kernels", KERNEL)
    os.makedirs(spec)
    argv = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    with open(os.path.join(spec, "kernel.json"), "w") as f:
        json.dump({"argv": argv, "display_name": "nn-ref (venv)", "language": "python"}, f)
    os.environ["JUPYTER_PATH"] = jupyter
    os.environ["JUPYTER_RUNTIME_DIR"] = os.path.join(jupyter, "runtime")
    os.makedirs(out, exist_ok=True)
    for path in paths:
        nb = jupytext.read(path)
        nb.cells.insert(0, nbformat.v4.new_code_cell(PROBE))
        client = NotebookClient(
            nb, timeout=600, kernel_name=KERNEL, resources={"metadata": {"path": os.path.dirname(path)}}
        )
        try:
            client.execute()
        except CellExecutionError:
            pass  # the error is in the cell's outputs: the test reports it
        target = os.path.join(out, os.path.basename(path)[: -len(".py")] + ".ipynb")
        nbformat.write(nb, target)
        print("executed", path, flush=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])
