"""README.md cannot rot: its code runs, its slide-to-code table imports, its commands parse, and the trace
it shows is the trace nn-ref prints."""

import argparse
import contextlib
import importlib
import io
import pathlib
import re
import shlex

import numpy as np
import pytest

from nn_ref import cli
from nn_ref.trace import format_trace, trace

ROOT = pathlib.Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")

MAIN_COMMAND = 'python -m venv .venv && . .venv/bin/activate && pip install -e ".[data]" && nn-ref figures'
TEST_COMMAND = 'python -m venv .venv && . .venv/bin/activate && pip install -e ".[test]" && pytest'


def blocks(lang):
    return re.findall(rf"```{lang}\n(.*?)```", README, flags=re.S)


def section(title):
    """The text of the '## title' section (up to the next '## ')."""
    m = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", README, flags=re.S | re.M)
    assert m, f"README has no section '## {title}'"
    return m.group(1)


def test_setup_commands_verbatim_each_in_its_own_bash_block():
    bash = [b.strip() for b in blocks("bash")]
    assert MAIN_COMMAND in bash and TEST_COMMAND in bash
    setup = section("Set up")
    assert (
        setup.index("Regenerate the figures")
        < setup.index(MAIN_COMMAND)
        < setup.index("Run the tests")
        < setup.index(TEST_COMMAND)
    )


def _import_object(dotted):
    module_name, _, attr = dotted.rpartition(".")
    return getattr(importlib.import_module(module_name), attr)


def test_slide_to_code_table_names_only_code_that_exists():
    table = section("From slide to code")
    rows = [line for line in table.splitlines() if line.startswith("| ") and "`" in line]
    assert len(rows) >= 20
    names = [n for row in rows for n in re.findall(r"`([^`]+)`", row.split("|")[2])]
    functions = [n for n in names if n.startswith("nn_ref.")]
    scripts = [n for n in names if n.startswith("scripts/")]
    assert len(functions) >= 30 and set(names) == set(functions) | set(scripts)
    for dotted in functions:
        assert callable(_import_object(dotted)), dotted
    for path in scripts:
        assert (ROOT / path).is_file(), path


def test_module_table_modules_exist():
    table = section("What each module covers")
    modules = re.findall(r"^\| `(nn_ref[\w.]*)`", table, flags=re.M)
    assert len(modules) >= 15
    for name in modules:
        importlib.import_module(name)


def test_every_script_and_test_file_mentioned_exists():
    paths = set(re.findall(r"(?:scripts|tests|kernels)/[\w.]+\.(?:py|sh)", README))
    assert "tests/test_readme.py" in paths
    for path in paths:
        assert (ROOT / path).is_file(), path


class _Captured(Exception):
    pass


def _cli_parser(monkeypatch):
    """The parser ``nn-ref`` itself builds (captured when ``cli.main`` calls ``parse_args``)."""
    captured = {}

    def grab(self, args=None, namespace=None):
        captured["parser"] = self
        raise _Captured

    with monkeypatch.context() as patch:
        patch.setattr(argparse.ArgumentParser, "parse_args", grab)
        with pytest.raises(_Captured):
            cli.main([])
    return captured["parser"]


def test_every_nn_ref_command_in_the_readme_parses(monkeypatch):
    parser = _cli_parser(monkeypatch)
    commands = []
    lines = [line for block in blocks("bash") for line in block.splitlines()]
    lines += [line[2:] for block in blocks("text") for line in block.splitlines() if line.startswith("$ ")]
    for line in lines:
        line = line.split("#")[0].strip()
        commands += [part.strip() for part in line.split("&&") if part.strip().startswith("nn-ref ")]
    verbs = {c.split()[1] for c in commands}
    assert {"trace", "gradcheck", "figures", "train"} <= verbs
    # inline mentions (`nn-ref VERB ...`, often fragments): the verb exists
    verbs_available = set(parser._subparsers._group_actions[0].choices)
    for inline in re.findall(r"`nn-ref\s+([\w-]+)", README):
        assert inline in verbs_available, f"README mentions `nn-ref {inline}`, not a verb of nn-ref"
    for command in commands:
        argv = shlex.split(command)[1:]
        if "NAME" in argv:  # a placeholder, as in `nn-ref figures --only NAME`
            argv[argv.index("NAME")] = "activation_functions"
        try:
            args = parser.parse_args(argv)
        except (argparse.ArgumentError, SystemExit) as exc:
            pytest.fail(f"README command does not parse: {command!r}: {exc}")
        assert callable(args.func), command


def test_python_blocks_run():
    code = blocks("python")
    assert code, "README has no python block"
    example = code[0]
    lines = [line for line in example.splitlines() if line.strip()]
    assert len(lines) <= 22  # "the network in 20 lines"
    for step in ("initialize_parameters", "forward(", "compute_cost(", "backward(", "gradient_check("):
        assert step in example
    printed = []
    for block in code:
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            exec(compile(block, "README.md", "exec"), {"__name__": "readme"})
        assert out.getvalue()
        printed.append(out.getvalue())
    assert "all pass" in printed[0]
    loop = [text for text in printed if text.startswith("J after 100 steps")]
    assert loop, "README: the five-call loop of the Backends section"
    assert float(loop[0].split(":")[1]) < 0.5  # down from log 2 = 0.69 at the start


_NUMBER = re.compile(r"-?\d+\.\d*(?:e[+-]?\d+)?|-?\d+(?:e[+-]?\d+)?")


def test_trace_shown_is_the_trace_nn_ref_prints():
    m = re.search(r"```text\n\$ nn-ref trace --layers 3,4,1\n(.*?)```", README, flags=re.S)
    assert m, "README shows no `nn-ref trace --layers 3,4,1` output"
    shown = m.group(1).rstrip("\n").splitlines()
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        cli.main(["trace", "--layers", "3,4,1"])
    now = out.getvalue().rstrip("\n").splitlines()
    assert len(shown) == len(now)
    assert format_trace(trace([3, 4, 1])).splitlines() == now[2:]
    for a, b in zip(shown, now):
        # the words (equations, shapes) are identical; the numbers agree to the printed precision
        assert _NUMBER.sub("#", a) == _NUMBER.sub("#", b), (a, b)
        np.testing.assert_allclose(
            [float(x) for x in _NUMBER.findall(a)], [float(x) for x in _NUMBER.findall(b)], rtol=1e-3, atol=2e-4
        )


def test_gradcheck_table_shown_has_the_columns_and_rows_nn_ref_prints(capsys):
    m = re.search(r"```text\n\$ nn-ref gradcheck --layers 4,5,3,1\n(.*?)```", README, flags=re.S)
    assert m, "README shows no `nn-ref gradcheck --layers 4,5,3,1` output"
    row = re.compile(r"^(?:W\d+|b\d+|X)\s")
    shown = [line.split() for line in m.group(1).splitlines() if row.match(line)]
    assert cli.main(["gradcheck", "--layers", "4,5,3,1"]) == 0
    now = [line.split() for line in capsys.readouterr().out.splitlines() if row.match(line)]
    # one row per array, W1 b1 W2 b2 W3 b3 X: the array, shape, entries checked and the verdict are the same
    # (the tiny differences themselves may vary with the BLAS)
    assert [r[0] for r in shown] == ["W1", "b1", "W2", "b2", "W3", "b3", "X"]
    assert [r[:3] + r[-1:] for r in shown] == [r[:3] + r[-1:] for r in now]


def test_markers_for_the_gallery_and_the_benchmark():
    gallery = (pathlib.Path(__file__).resolve().parent.parent / "docs" / "gallery.md").read_text(encoding="utf-8")
    # the gallery lives on its docs page; the README points to it
    assert "docs/gallery.md" in README
    for name, text in (("gallery", gallery), ("bench", README)):
        start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
        assert text.count(start) == 1 and text.count(end) == 1
        assert text.index(start) < text.index(end)
    assert "python scripts/bench.py" in README
