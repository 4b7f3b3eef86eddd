"""Which exercises are done: ``progress()`` lists every exercise as done, failing or not yet.

Each notebook runs in its own kernel (its own process), so an overview of all the notebooks cannot live in
one process's memory: every full ``check`` (not ``case=k``) writes its outcome to a small JSON file outside
the repository, ``~/.nn-ref/progress.json`` ($NN_REF_PROGRESS names another file; an empty value keeps the
record in this process only). The file is replaced whole (temporary file + rename), never half-written.
In solutions mode (CI fills the exercises with nn-ref's own functions) nothing is written: those are not
the student's answers. This process's own results are kept in memory as well, and win over the file.
"""

import json
import os
import tempfile
import time

from nn_ref.exercises.core import EXERCISES, _markdown_text, solutions_mode

PROGRESS_ENV = "NN_REF_PROGRESS"
DONE, FAILING, NOT_YET = "done", "failing", "not yet"
_SESSION = {}  # name -> {"status", "message", "time"}: this process's checks


def progress_file():
    """The progress file's path, or None when $NN_REF_PROGRESS is set empty (this process only)."""
    path = os.environ.get(PROGRESS_ENV)
    if path is None:
        return os.path.join(os.path.expanduser("~"), ".nn-ref", "progress.json")
    return path or None


def _read(path):
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def record(name, result):
    """Keep the outcome of a full check of exercise ``name`` (a ``CheckResult``)."""
    entry = {
        "status": DONE if result.passed else FAILING,
        "message": result.message if not result.passed else "",
        "time": time.time(),
    }
    _SESSION[name] = entry
    path = progress_file()
    if path is None or solutions_mode():
        return
    try:
        folder = os.path.dirname(os.path.abspath(path))
        os.makedirs(folder, exist_ok=True)
        data = _read(path)
        data[name] = entry
        fd, tmp = tempfile.mkstemp(prefix=".progress-", suffix=".json", dir=folder)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump(data, f, indent=1, sort_keys=True)
            os.replace(tmp, path)
        except BaseException:
            os.unlink(tmp)
            raise
    except OSError:
        pass  # a read-only home: the record stays in this process


def status(name):
    """ "done", "failing" or "not yet": the latest full check of exercise ``name`` (this process, else the file)."""
    if name not in EXERCISES:
        raise ValueError(f"exercise: expected one of {', '.join(EXERCISES)}, got {name!r}")
    entry = _SESSION.get(name)
    if entry is None and (path := progress_file()) and not solutions_mode():
        entry = _read(path).get(name)
    return entry["status"] if isinstance(entry, dict) and entry.get("status") in (DONE, FAILING) else NOT_YET


def done(name):
    """True when the latest full check of exercise ``name`` passed (a notebook's payoff cell asks this)."""
    return status(name) == DONE


class Progress:
    """Every exercise with its notebook and status; a table in a notebook, lines in a terminal."""

    _MARK = {DONE: "&#x2705;", FAILING: "&#x274C;", NOT_YET: "&#x2B1C;"}

    def __init__(self):
        self.rows = [(ex.name, ex.notebook, status(ex.name)) for ex in EXERCISES.values()]
        self.done = sum(s == DONE for _, _, s in self.rows)

    def __str__(self):
        width = max(len(n) for n, _, _ in self.rows)
        lines = [f"{self.done} of {len(self.rows)} exercises done"]
        lines += [f"  {s:8s} {n:{width}s}  notebook {nb}" for n, nb, s in self.rows]
        return "\n".join(lines)

    __repr__ = __str__

    def _repr_markdown_(self):
        lines = [f"**{self.done} of {len(self.rows)} exercises done**", "", "| | exercise | notebook | status |"]
        lines.append("|---|---|---|---|")
        for name, nb, s in self.rows:
            lines.append(f"| {self._MARK[s]} | `{name}` | {_markdown_text(nb)} | {s} |")
        return "\n".join(lines)


def progress():
    """The exercises, done / failing / not yet (``str()`` for a terminal; a table in a notebook)."""
    return Progress()
