"""The site's build hooks (mkdocs.yml ``hooks:``): what makes the pages show the repository itself.

- ``on_files``: the figures ``plots/*.png|svg`` and the notebooks ``notebooks/NN_*.py`` become site files
  where they are (no copy is committed under docs/); mkdocs-jupyter then executes and renders each notebook.
- ``on_page_markdown``: the site's directives, one HTML comment each (GitHub hides them), expanded at build time
  from nn-ref's own registries and commands, so nothing on a page is pasted:

      <!-- nn-ref run: trace --layers 3,4,1 -->     the command's output, run now (in-process)
      <!-- nn-ref cli -->                           every verb's --help, from nn-ref's argparse parser
      <!-- nn-ref api -->                           every teaching module of docs/reference/modules.md (mkdocstrings)
      <!-- nn-ref code: Slide A | Slide B -->      each slide's functions (docs/reference/slides.md's table):
                                                   docstring and source by mkdocstrings; a script's source
      <!-- nn-ref figures: 03_l_layer_forward -->  the lecture figures that notebook shows (plots/ID.png)
      <!-- nn-ref exercises: 03_l_layer_forward --> its exercises (nn_ref.exercises.EXERCISES)
      <!-- nn-ref notebook: 03_l_layer_forward --> the link to the rendered notebook and its source
      <!-- nn-ref playground: init=normal&sigma=0.01 --> a playground link, checked by the playground's URL parser
      <!-- nn-ref readme -->                        README.md (the home page), or one section (readme: Set up),
                                                   its links made relative to the page
- ``LectureDocstrings`` (a griffe extension, for mkdocstrings): the lecture's notation stays text, and a function's
  declared checks are shown with its docstring.
- ``on_post_page``: LaTeX (``$...$``, ``$$...$$``; pymdownx.arithmatex on pages, nbconvert on notebooks)
  becomes MathML at build time (latex2mathml): the site loads no script from the network.

A directive that cannot be honoured (an unknown figure, notebook or verb, a playground link with a problem, a
command that fails) raises and fails the build.
"""

import contextlib
import html
import io
import os
import posixpath
import re
import shlex
import textwrap
import time
from pathlib import Path
from urllib.parse import parse_qsl

import griffe
from mkdocs.plugins import event_priority
from mkdocs.structure.files import File

ROOT = Path(__file__).resolve().parents[1]
DIRECTIVE = re.compile(r"^<!-- nn-ref (?P<name>[\w-]+)(?::\s*(?P<arg>.*?))? -->$", re.M)
PLAYGROUND_URL = "http://127.0.0.1:8501/"

# the notebook kernels: the NumPy oracle, one BLAS thread, no display (the same as tests/test_notebooks.py)
KERNEL_ENV = {"NN_REF_BACKEND": "numpy", "MPLBACKEND": "Agg", "OPENBLAS_NUM_THREADS": "1"}

_started = None


def on_config(config):
    global _started
    _started = time.perf_counter()
    os.environ.update(KERNEL_ENV)
    # nbconvert's templates live in the share/jupyter of the environment that installed it (a venv layered on
    # another one finds them only there)
    import nbconvert

    share = Path(nbconvert.__file__).resolve().parents[4] / "share" / "jupyter"
    if share.is_dir() and str(share) not in os.environ.get("JUPYTER_PATH", "").split(os.pathsep):
        os.environ["JUPYTER_PATH"] = os.pathsep.join(p for p in (os.environ.get("JUPYTER_PATH"), str(share)) if p)
    return config


# ----------------------------------------------------------------------------- files
def site_files():
    """The repository files the site serves where they are: the figures and the notebooks' sources."""
    for pattern in ("plots/*.png", "plots/*.svg", "notebooks/[0-9][0-9]_*.py"):
        yield from sorted(ROOT.glob(pattern))


@event_priority(100)  # before mkdocs-jupyter's on_files, which wraps the notebooks as pages
def on_files(files, config):
    for path in site_files():
        rel = path.relative_to(ROOT).as_posix()  # a real File (mkdocs-jupyter reads abs_src_path)
        files.append(File(rel, str(ROOT), config.site_dir, config.use_directory_urls))
    return files


# ----------------------------------------------------------------------------- directives
def notebook_path(stem):
    path = ROOT / "notebooks" / f"{stem}.py"
    if not path.is_file():
        raise ValueError(f"nn-ref notebook: no notebooks/{stem}.py")
    return path


def shown_figures(stem):
    """The figure ids the notebook draws (its ``show_figure("ID")`` calls), in order, once each."""
    ids = re.findall(r'show_figure\("(\w+)"', notebook_path(stem).read_text(encoding="utf-8"))
    return list(dict.fromkeys(ids))


def run_nn_ref(argv):
    """(exit status, stdout) of ``nn-ref ARGV``, run in this process."""
    from nn_ref import cli

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        try:
            status = cli.main(argv)
        except SystemExit as exc:  # --help exits 0
            status = exc.code
    return status or 0, out.getvalue()


def _rel(page, target):
    """``target`` (a path from the docs root) as a link relative to ``page``."""
    return posixpath.relpath(target, posixpath.dirname(page.file.src_uri) or ".")


def _run(page, arg):
    argv = shlex.split(arg)
    status, text = run_nn_ref(argv)
    if status != 0:
        raise ValueError(f"{page.file.src_uri}: nn-ref {arg} exited with status {status}")
    return f"```text\n$ nn-ref {arg}\n{text.rstrip()}\n```"


def _cli(page, arg):
    from nn_ref import cli

    parser = cli.build_parser()
    verbs = parser._subparsers._group_actions[0].choices  # argparse keeps the verbs here, in order
    parts = [f"```text\n$ nn-ref --help\n{parser.format_help().rstrip()}\n```"]
    for verb, sub in verbs.items():
        parts.append(f"## nn-ref {verb}\n\n```text\n$ nn-ref {verb} --help\n{sub.format_help().rstrip()}\n```")
    return "\n\n".join(parts)


SLIDES_PAGE = ROOT / "docs" / "reference" / "slides.md"


def slide_table():
    """{slide: [names]} from the slide-to-code table (docs/reference/slides.md, the one home of that map):
    ``nn_ref.module.function`` or ``scripts/slide_*.py``."""
    rows = {}
    for line in SLIDES_PAGE.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 2 and "`" in cells[1]:
            rows[cells[0]] = re.findall(r"`([^`]+)`", cells[1])
    return rows


def _code(page, slides):
    """Each slide's code: the function's docstring and source (mkdocstrings), a script's source."""
    table, parts, seen = slide_table(), [], set()
    for slide in (s.strip() for s in slides.split("|")):
        if slide not in table:
            raise ValueError(f"{page.file.src_uri}: no row {slide!r} in docs/reference/slides.md")
        for name in table[slide]:
            if name in seen:
                continue
            seen.add(name)
            if name.startswith("scripts/"):
                source = (ROOT / name).read_text(encoding="utf-8").rstrip()
                parts.append(f'??? example "{name}"\n\n    ```python\n' + textwrap.indent(source, "    ") + "\n    ```")
            else:
                parts.append(f"::: {name}\n    options:\n      show_source: true")
    return "\n\n".join(parts)


MODULES_PAGE = ROOT / "docs" / "reference" / "modules.md"
OWN_PAGES = ("nn_ref.figures", "nn_ref.kernels", "nn_ref.exercises", "nn_ref.playground", "nn_ref.bench")


def _api(page, arg):
    """``::: module`` for every teaching module of the module table (docs/reference/modules.md), in its order."""
    modules = re.findall(r"^\| `(nn_ref[\w.]*)`", MODULES_PAGE.read_text(encoding="utf-8"), flags=re.M)
    return "\n\n".join(f"::: {name}\n    options:\n      heading_level: 2" for name in modules if name not in OWN_PAGES)


def _figures(page, stem):
    from nn_ref.figures import FIGURES

    cells = []
    for fig_id in shown_figures(stem):
        spec = FIGURES[fig_id]  # a KeyError names an unregistered figure
        png = f"plots/{fig_id}.png"
        if not (ROOT / png).is_file():
            raise ValueError(f"{page.file.src_uri}: {png} is missing (run nn-ref figures)")
        title = spec.slide.replace("[", "\\[").replace("]", "\\]")
        cells.append(
            f'<figure markdown="span">\n  ![{title}]({_rel(page, png)}){{ loading=lazy }}\n'
            f"  <figcaption>{html.escape(spec.slide)} (<code>{fig_id}</code>, "
            f'<a href="{_rel(page, f"plots/{fig_id}.svg")}">SVG</a>)</figcaption>\n</figure>'
        )
    if not cells:
        raise ValueError(f"{page.file.src_uri}: notebook {stem} shows no figure")
    return "\n\n".join(cells)


def _exercises(page, stem):
    from nn_ref.exercises import EXERCISES

    names = re.findall(r'^check\("(\w+)"', notebook_path(stem).read_text(encoding="utf-8"), flags=re.M)
    rows = [EXERCISES[name] for name in dict.fromkeys(names)]  # a KeyError names an unregistered exercise
    if not rows:
        raise ValueError(f"{page.file.src_uri}: notebook {stem} checks no exercise")
    lines = ["| exercise | you write | slide |", "|---|---|---|"]
    lines += [f"| `{e.name}` | `{e.signature}` | {e.slide} |" for e in rows]
    return "\n".join(lines)


def _notebook(page, stem):
    path = notebook_path(stem)
    title = re.search(r"^# # (.+)$", path.read_text(encoding="utf-8"), flags=re.M).group(1)
    link = _rel(page, f"notebooks/{stem}.py")
    return (
        f"**Notebook:** [{title}]({link}) -- rendered here with its outputs (executed when this site was "
        f"built). Open your own copy with `nn-ref notebooks my-notebooks/` and `jupyter lab my-notebooks/`."
    )


def _playground(page, query):
    from nn_ref.playground.model import from_query, validate

    config, problems = from_query(dict(parse_qsl(query, keep_blank_values=True)))
    problems += validate(config)
    if problems:
        raise ValueError(f"{page.file.src_uri}: playground link ?{query}: {'; '.join(problems)}")
    url = PLAYGROUND_URL + (f"?{query}" if query else "")
    return (
        f"**Playground:** run `nn-ref playground` (the `app` extra), then open <{url}> -- the settings of this "
        "chapter, live in the browser."
    )


SITE_PAGES = {"CONTRIBUTING.md": "reference/contributing.md", "CHANGELOG.md": "reference/changelog.md"}


def _readme(page, section):
    """README.md (or its ``## section``) with its links made relative to ``page`` (README links from the root)."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    if section:
        m = re.search(rf"^## {re.escape(section)}\n(.*?)(?=^## |\Z)", text, flags=re.S | re.M)
        if not m:
            raise ValueError(f"{page.file.src_uri}: README.md has no section '## {section}'")
        text = m.group(1)

    def link(m):
        target = m.group(1)
        if re.match(r"[a-z]+:|#", target):  # a URL or an anchor
            return m.group(0)
        path, _, anchor = target.partition("#")
        path = SITE_PAGES.get(path, path.removeprefix("docs/"))
        return f"]({_rel(page, path)}{'#' + anchor if anchor else ''})"

    return re.sub(r"\]\(([^)\s]+)\)", link, text)


EXPANDERS = {
    "readme": _readme,
    "code": _code,
    "api": _api,
    "run": _run,
    "cli": _cli,
    "figures": _figures,
    "exercises": _exercises,
    "notebook": _notebook,
    "playground": _playground,
}


def expand(markdown, page):
    def one(m):
        name, arg = m.group("name"), (m.group("arg") or "").strip()
        if name not in EXPANDERS:
            raise ValueError(f"{page.file.src_uri}: unknown directive <!-- nn-ref {name} -->")
        return EXPANDERS[name](page, arg)

    return DIRECTIVE.sub(one, markdown)


def on_page_markdown(markdown, page, config, files):
    return expand(markdown, page)


# ----------------------------------------------------------------------------- docstrings
class LectureDocstrings(griffe.Extension):
    """mkdocstrings reads a docstring as Markdown; the lecture's notation is not: ``g[l](Z[l])`` would become a
    link. This griffe extension (mkdocs.yml: ``extensions: [docs/hooks.py:LectureDocstrings]``) escapes that one
    pattern in the prose lines; indented blocks (the equations) are code and stay as written."""

    def on_object(self, *, obj, **kwargs):
        if obj.docstring is not None:
            lines = obj.docstring.value.split("\n")
            obj.docstring.value = "\n".join(
                line if line.startswith("    ") else line.replace("](", "]\\(") for line in lines
            )
        # the checks a function declares where it is defined (a decorator from nn_ref._checks, their one home)
        declared = [
            f"`@{d.value}`"
            for d in getattr(obj, "decorators", ())
            if str(getattr(d, "callable_path", "")).startswith("nn_ref._checks")
        ]
        if declared and obj.docstring is not None:
            obj.docstring.value += "\n\nDeclared checks: " + ", ".join(declared)


# ----------------------------------------------------------------------------- math
_ARITHMATEX = re.compile(r'<(span|div) class="arithmatex">\s*\\[(\[](.*?)\\[)\]]\s*</\1>', re.S)
_NOTEBOOK_MATH = re.compile(r"\$\$(.+?)\$\$|(?<![\\$])\$([^$]+?)\$", re.S)
_CODE = re.compile(r"(<code>.*?</code>|<pre>.*?</pre>)", re.S)
_NOTEBOOK_MARKDOWN = re.compile(r'(<div class="[^"]*jp-RenderedMarkdown[^"]*"[^>]*>)(.*?)(</div>)', re.S)
_MATHJAX_SCRIPT = re.compile(
    r"<!-- Load mathjax -->.*?<!-- End of mathjax configuration -->",
    re.S,
)


def mathml(tex, display):
    from latex2mathml.converter import convert

    return convert(html.unescape(tex).strip(), display="block" if display else "inline")


def _notebook_math(html_text):
    def math(k):
        return mathml(k.group(1), True) if k.group(1) is not None else mathml(k.group(2), False)

    def cells(m):
        parts = _CODE.split(m.group(2))  # odd items: code, left as it is
        body = "".join(part if i % 2 else _NOTEBOOK_MATH.sub(math, part) for i, part in enumerate(parts))
        return m.group(1) + body + m.group(3)

    return _toc_to_heading_ids(_NOTEBOOK_MARKDOWN.sub(cells, _MATHJAX_SCRIPT.sub("", html_text)))


def _toc_to_heading_ids(html_text):
    """mkdocs-jupyter's table of contents slugs a heading without its code (``exercise-1``) where nbconvert's id
    keeps it (``exercise-1-linear_forward``): point each entry at its heading."""
    from markdown.extensions.toc import slugify

    ids = {}
    for heading_id, inner in re.findall(r'<h[1-6] id="([^"]+)">(.*?)</h[1-6]>', html_text, flags=re.S):
        text = re.sub(r"<a class=\"anchor-link\".*?</a>|<code>.*?</code>|<[^>]+>", "", inner, flags=re.S)
        ids.setdefault(slugify(html.unescape(text), "-"), heading_id)

    def entry(m):
        return f'<a href="#{ids.get(m.group(1), m.group(1))}" class="md-nav__link">'

    return re.sub(r'<a href="#([^"]+)" class="md-nav__link">', entry, html_text)


def on_post_page(output, page, config):
    output = _ARITHMATEX.sub(lambda m: mathml(m.group(2), m.group(1) == "div"), output)
    if page.file.src_uri.startswith("notebooks/"):
        output = _notebook_math(output)
    if page.file.src_uri.startswith("chapters/"):  # a chapter shows its functions' sources open
        output = output.replace('<details class="mkdocstrings-source">', '<details class="mkdocstrings-source" open>')
    return output


def on_post_build(config):
    if _started is not None:
        print(f"nn-ref docs: site built in {time.perf_counter() - _started:.0f} s into {config.site_dir}")
