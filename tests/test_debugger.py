"""The debugger promise (docs/contracts.md): with nothing set, the NumPy formula ``Z = W @ A_prev + b`` is within
8 nn-ref calls of entering ``network.forward``, and the pdb commands the page gives reach it."""

import os
import pathlib
import re
import subprocess
import sys

import numpy as np

from nn_ref import network

ROOT = pathlib.Path(__file__).resolve().parents[1]
PACKAGE_DIRS = (str(ROOT / "nn_ref"), str(ROOT / "kernels"), str(pathlib.Path(network.__file__).parent))
FORMULA = "Z = W @ A_prev + b"


def _in_nn_ref(frame):
    return frame.f_code.co_filename.startswith(PACKAGE_DIRS)


def calls_before_formula(run):
    """The nn-ref calls a student passes on the way from ``run()``'s call into nn-ref to the formula's line: the
    frames on the path to it (stepped into) and the calls made from those frames (stepped over with ``n``)."""
    events, reached = [], []

    def tracer(frame, event, arg):
        if reached:
            return None
        if event == "call" and _in_nn_ref(frame):
            events.append(frame)
        if event == "line" and _in_nn_ref(frame):
            line = frame.f_code.co_filename, frame.f_lineno
            import linecache

            if linecache.getline(*line).strip().startswith(FORMULA):
                reached.append(frame)
        return tracer

    sys.settrace(tracer)
    try:
        run()
    finally:
        sys.settrace(None)
    assert reached, f"the formula {FORMULA!r} was never executed"
    path, frame = set(), reached[0]
    while frame is not None and _in_nn_ref(frame):
        path.add(id(frame))
        frame = frame.f_back
    return [f.f_code.co_name for f in events if id(f) in path or id(f.f_back) in path]


def test_the_formula_is_within_8_nn_ref_calls_of_forward(monkeypatch):
    monkeypatch.delenv("NN_REF_BACKEND", raising=False)
    P = network.initialize_parameters([2, 3, 1])
    X = np.ones((2, 4))
    passed = calls_before_formula(lambda: network.forward(X, P))
    assert len(passed) <= 8, passed
    assert passed[-1] == "accelerated" and "linear_activation_forward" in passed  # the path it really takes


def _pdb_commands():
    """The commands docs/contracts.md tells a student to type, in its ``pdb`` block."""
    text = (ROOT / "docs" / "contracts.md").read_text()
    block = re.search(r"```pdb\n(.*?)```", text, re.S).group(1)
    return [line[len("(Pdb) ") :] for line in block.splitlines() if line.startswith("(Pdb) ")]


def test_the_documented_pdb_commands_reach_the_formula(tmp_path):
    commands = _pdb_commands()
    assert 1 <= len(commands) <= 4, commands
    script = tmp_path / "student.py"
    script.write_text(
        "import numpy as np\nfrom nn_ref import network\n\n"
        "parameters = network.initialize_parameters([2, 3, 1])\nX = np.ones((2, 4))\n"
        "breakpoint()\nAL, caches = network.forward(X, parameters)\n"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("NN_REF_BACKEND", "PYTHONBREAKPOINT")}
    out = subprocess.run(
        [sys.executable, str(script)],
        input="\n".join(commands + ["q"]) + "\n",
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    ).stdout
    shown = [line[3:].strip() for line in out.splitlines() if line.startswith("-> ")]
    assert shown[-1].startswith(FORMULA), out
