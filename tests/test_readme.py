"""README.md and the site's pages (docs/) cannot rot: their code runs, the slide-to-code table imports, their
commands parse, and the README stays a front page. (The outputs the pages show -- the trace, the gradient check,
nn-ref info, the CLI's help -- are printed by nn-ref when the site is built; tests/test_site.py builds it.)"""

import argparse
import contextlib
import importlib
import io
import pathlib
import re
import shlex

import pytest

from nn_ref import cli
from nn_ref.trace import format_trace, trace

ROOT = pathlib.Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
DOCS = ROOT / "docs"
PAGES = {p.relative_to(ROOT).as_posix(): p.read_text(encoding="utf-8") for p in sorted(DOCS.rglob("*.md"))}
EVERYTHING = "\n".join([README, *PAGES.values()])

MAIN_COMMAND = 'python -m venv .venv && . .venv/bin/activate && pip install -e ".[data]" && nn-ref figures'
TEST_COMMAND = 'python -m venv .venv && . .venv/bin/activate && pip install -e ".[test]" && pytest'


def blocks(lang, text=README):
    return re.findall(rf"^```{lang}\n(.*?)^```", text, flags=re.S | re.M)


def section(title, text=README):
    """The text of the '## title' section (up to the next '## ')."""
    m = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", text, flags=re.S | re.M)
    assert m, f"no section '## {title}'"
    return m.group(1)


def test_readme_is_a_front_page_that_links_every_chapter():
    assert len(README.splitlines()) <= 200
    for chapter in sorted((DOCS / "chapters").glob("*.md")):
        assert f"(docs/chapters/{chapter.name})" in README, chapter.name
    for target in re.findall(r"\]\(([^)#\s]+)", re.sub(r"<!--.*?-->", "", README, flags=re.S)):
        if not re.match(r"[a-z]+:", target):
            assert (ROOT / target).exists(), f"README links to {target}, which does not exist"


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
    table = PAGES["docs/reference/slides.md"]
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
    table = PAGES["docs/reference/modules.md"]
    modules = re.findall(r"^\| `(nn_ref[\w.]*)`", table, flags=re.M)
    assert len(modules) >= 15
    for name in modules:
        importlib.import_module(name)


def test_every_script_and_test_file_mentioned_exists():
    paths = set(re.findall(r"(?:scripts|tests|kernels)/[\w.]+\.(?:py|sh)", EVERYTHING))
    assert "tests/test_readme.py" in paths and "tests/test_site.py" in paths
    for path in paths:
        assert (ROOT / path).is_file(), path


def test_every_nn_ref_command_in_the_readme_and_the_pages_parses():
    parser = cli.build_parser()
    commands = []
    lines = [line for block in blocks("bash", EVERYTHING) for line in block.splitlines()]
    lines += [line[2:] for block in blocks("text", EVERYTHING) for line in block.splitlines() if line.startswith("$ ")]
    for line in lines:
        line = line.split("#")[0].strip()
        commands += [part.strip() for part in line.split("&&") if part.strip().startswith("nn-ref ")]
    # the commands a page runs when the site is built (<!-- nn-ref run: ARGS -->)
    commands += [f"nn-ref {args}" for args in re.findall(r"^<!-- nn-ref run: (.*?) -->$", EVERYTHING, flags=re.M)]
    verbs = {c.split()[1] for c in commands}
    assert {"trace", "gradcheck", "figures", "train", "docs", "info"} <= verbs
    # inline mentions (`nn-ref VERB ...`, often fragments): the verb exists
    verbs_available = set(parser._subparsers._group_actions[0].choices)
    for inline in re.findall(r"`nn-ref\s+([\w-]+)", EVERYTHING):
        assert inline in verbs_available | {"VERB"}, f"`nn-ref {inline}` is mentioned, not a verb of nn-ref"
    for command in commands:
        argv = shlex.split(command)[1:]
        if "NAME" in argv:  # a placeholder, as in `nn-ref figures --only NAME`
            argv[argv.index("NAME")] = "activation_functions"
        try:
            args = parser.parse_args(argv)
        except (argparse.ArgumentError, SystemExit) as exc:
            pytest.fail(f"command does not parse: {command!r}: {exc}")
        assert callable(args.func), command


def _run_block(block, where):
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(block, where, "exec"), {"__name__": "docs"})
    assert out.getvalue(), f"a python block of {where} prints nothing"
    return out.getvalue()


def test_readme_example_runs():
    code = blocks("python")
    assert len(code) == 1, "the README has one python block: the network in 20 lines"
    example = code[0]
    lines = [line for line in example.splitlines() if line.strip()]
    assert len(lines) <= 22  # "the network in 20 lines"
    for step in ("initialize_parameters", "forward(", "compute_cost(", "backward(", "gradient_check("):
        assert step in example
    assert "all pass" in _run_block(example, "README.md")


@pytest.mark.parametrize("page", [p for p in PAGES if blocks("python", PAGES[p])])
def test_python_blocks_of_the_pages_run(page):
    printed = [_run_block(block, page) for block in blocks("python", PAGES[page])]
    if page == "docs/reference/backends.md":  # the five-call loop, on the cpu backend
        loop = [text for text in printed if text.startswith("J after 100 steps")]
        assert loop and float(loop[0].split(":")[1]) < 0.5  # down from log 2 = 0.69 at the start
    if page == "docs/chapters/04-cost-backprop.md":  # the exercise with a forgotten 1/m, as its comment says
        assert "FAILED linear_backward" in printed[0] and "a 1/m is missing" in printed[0]


def test_trace_and_gradcheck_page_shows_what_its_prose_says(capsys):
    page = PAGES["docs/reference/trace-gradcheck.md"]
    assert "<!-- nn-ref run: trace --layers 3,4,1 -->" in page
    assert "<!-- nn-ref run: gradcheck --layers 4,5,3,1 -->" in page
    assert cli.main(["trace", "--layers", "3,4,1"]) == 0
    trace_out = capsys.readouterr().out
    assert format_trace(trace([3, 4, 1])).splitlines() == trace_out.rstrip("\n").splitlines()[2:]
    # the prose's reading of it
    for claim in ("Z[1] = W[1] A[0] + b[1]", "(4,2) = (4,3)(3,2) + (4,1)", "dZ[2] = A[2] - Y"):
        assert f"`{claim}`" in page and claim in trace_out
    assert cli.main(["gradcheck", "--layers", "4,5,3,1"]) == 0
    rows = [line.split() for line in capsys.readouterr().out.splitlines() if re.match(r"^(?:W\d+|b\d+|X)\s", line)]
    assert [r[0] for r in rows] == ["W1", "b1", "W2", "b2", "W3", "b3", "X"] and {r[-1] for r in rows} == {"pass"}


def test_markers_of_the_benchmark_table():
    page = PAGES["docs/reference/benchmark.md"]
    start, end = "<!-- bench:start -->", "<!-- bench:end -->"
    assert page.count(start) == 1 and page.count(end) == 1 and page.index(start) < page.index(end)
    table = page[page.index(start) : page.index(end)]
    assert re.search(r"^\| x2 \| cpu \| [\d.]+ \|", table, flags=re.M)
    assert "python scripts/bench.py" in page


def test_markers_of_the_gallery():
    gallery = PAGES["docs/gallery.md"]
    start, end = "<!-- gallery:start -->", "<!-- gallery:end -->"
    assert gallery.count(start) == 1 and gallery.count(end) == 1 and gallery.index(start) < gallery.index(end)
