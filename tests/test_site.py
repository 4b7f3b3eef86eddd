"""The course site is tested like a product: it builds strictly from the repository (broken links, missing
figures, failing notebook cells, unknown directives fail), every chapter has what the lecture needs, and headless
Chromium opens every page: every image and internal link loads, and the console shows no error.

The site is built once per test session into a temporary folder (the ten notebooks are executed: about a minute
of CPU time; the tests that need it are marked slow); the working tree is left as it was."""

import functools
import http.server
import os
import re
import shutil
import subprocess
import sys
import threading
from pathlib import Path
from urllib.parse import urldefrag, urljoin, urlparse
from urllib.request import urlopen

import pytest

pytest.importorskip("mkdocs", reason="the site needs the docs extra: pip install -e '.[docs]'")
pytest.importorskip("mkdocs_jupyter", reason="the site needs the docs extra: pip install -e '.[docs]'")

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "docs"))
import hooks  # noqa: E402  (docs/hooks.py: the site's directives)

CHAPTERS = sorted((ROOT / "docs" / "chapters").glob("[0-9][0-9]-*.md"))
NOTEBOOKS = sorted(p for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.py") if int(p.name[:2]) <= 10)  # one per chapter


def _written_by_a_build():
    """What a build could leave in the working tree: new files (untracked, not ignored) and changed figures or
    notebooks (the files it reads). Edits a developer makes meanwhile elsewhere do not count."""
    if not (ROOT / ".git").exists():
        return None
    status = subprocess.run(["git", "status", "--porcelain"], cwd=ROOT, capture_output=True, text=True).stdout
    return sorted(
        line for line in status.splitlines() if line.startswith("??") or line[3:].startswith(("plots/", "notebooks/"))
    )


@pytest.fixture(scope="session")
def site(tmp_path_factory):
    """The site built by ``nn-ref docs --site-dir OUT`` (``mkdocs build --strict``) into a temporary folder."""
    out = tmp_path_factory.mktemp("site")
    before = _written_by_a_build()
    env = {"PYDEVD_DISABLE_FILE_VALIDATION": "1"}
    proc = subprocess.run(  # the documented command: nn-ref docs (mkdocs build --strict)
        [sys.executable, "-m", "nn_ref", "docs", "--site-dir", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, **env},
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-6000:]
    assert _written_by_a_build() == before, "building the site wrote into the working tree"
    return out


# ----------------------------------------------------------------------------- without a build
def test_every_chapter_follows_a_notebook_in_order_and_every_slide_is_in_a_chapter():
    """Ten chapters for the ten notebooks, in the lecture's order; the slide-to-code table's rows are each shown
    by exactly one chapter; the nav lists the chapters and notebooks in order."""
    assert len(CHAPTERS) == len(NOTEBOOKS) == 10
    table = hooks.slide_table()
    shown = []
    for chapter, notebook in zip(CHAPTERS, NOTEBOOKS, strict=True):
        text = chapter.read_text(encoding="utf-8")
        directives = dict((m.group("name"), m.group("arg")) for m in hooks.DIRECTIVE.finditer(text))
        for name in ("figures", "notebook", "exercises"):
            assert directives.get(name) == notebook.stem, (chapter.name, name)
        assert "playground" in directives and "code" in directives, chapter.name
        assert "$$" in text, f"{chapter.name}: no display equation"
        slides = [
            s.strip()
            for m in hooks.DIRECTIVE.finditer(text)
            if m.group("name") == "code"
            for s in m.group("arg").split("|")
        ]
        assert slides and set(slides) <= set(table), (chapter.name, set(slides) - set(table))
        shown += slides
    assert sorted(shown) == sorted(table), "every slide row in one chapter, once"
    nav = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    positions = [nav.index(f"chapters/{c.name}") for c in CHAPTERS] + [
        nav.index(f"notebooks/{n.name}") for n in NOTEBOOKS
    ]
    assert positions == sorted(positions)


def test_a_bad_directive_fails_the_build():
    """A directive the hook cannot honour raises (so the strict build fails), naming the page."""

    class Page:
        class file:
            src_uri = "chapters/99-test.md"

    for text, words in [
        ("<!-- nn-ref figures: 99_no_such_notebook -->", "no notebooks/99_no_such_notebook.py"),
        ("<!-- nn-ref playground: init=normal&sigma=0 -->", "sigma: expected 1e-06 .. 100, got 0.0"),
        ("<!-- nn-ref playground: lr=fast -->", "learning rate"),
        ("<!-- nn-ref code: No Such Slide -->", "no row 'No Such Slide'"),
        ("<!-- nn-ref run: trace --layers 3,0,1 -->", "exited with status 2"),
        ("<!-- nn-ref nonsense -->", "unknown directive"),
    ]:
        with pytest.raises(ValueError, match=re.escape(words)):
            hooks.expand(text, Page)


def test_directives_expand_to_nn_refs_own_output():
    class Page:
        class file:
            src_uri = "chapters/03-forward-propagation.md"

    trace = hooks.expand("<!-- nn-ref run: trace --layers 3,4,1 -->", Page)
    # what the trace page's prose says about it
    assert trace.startswith("```text\n$ nn-ref trace --layers 3,4,1\n")
    assert "Z[1] = W[1] A[0] + b[1]              (4,2) = (4,3)(3,2) + (4,1)" in trace
    assert "dZ[2] = A[2] - Y" in trace
    figures = hooks.expand("<!-- nn-ref figures: 03_l_layer_forward -->", Page)
    assert "(../plots/feedforward_network.png)" in figures
    exercises = hooks.expand("<!-- nn-ref exercises: 03_l_layer_forward -->", Page)
    assert [r.split("`")[1] for r in exercises.splitlines()[2:]] == ["linear_forward", "softmax", "L_model_forward"]
    link = hooks.expand("<!-- nn-ref playground: hidden=8,8,8,8&init=normal&sigma=0.01 -->", Page)
    assert "<http://127.0.0.1:8501/?hidden=8,8,8,8&init=normal&sigma=0.01>" in link


def test_math_becomes_mathml_and_no_script_comes_from_the_network():
    html = '<p><span class="arithmatex">\\(W^{[l]}\\)</span></p><div class="arithmatex">\\[Z = W A + b\\]</div>'

    class Page:
        class file:
            src_uri = "reference/x.md"

    out = hooks.on_post_page(html, page=Page, config=None)
    assert "arithmatex" not in out and out.count("<math") == 2 and 'display="block"' in out
    config = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    assert "font: false" in config and "extra_javascript" not in config


def test_docstrings_keep_the_lecture_notation_and_show_the_declared_checks(tmp_path):
    """``g[l](Z[l])`` stays text (not a Markdown link) outside the indented equations, and a function's checks
    declared with a decorator from nn_ref._checks are shown with its docstring."""
    import griffe

    (tmp_path / "demo.py").write_text(
        "from nn_ref._checks import check_shape as checked\n\n\n"
        '@checked(A_prev="n_prev m", W="n n_prev")\n'
        "def f(A_prev, W):\n"
        '    """A[l] = g[l](Z[l]).\n\n        Z[l] = W[l] A[l-1] + b[l](x)\n\n    Returns g[l](Z).\n    """\n'
    )
    module = griffe.load(
        "demo", search_paths=[str(tmp_path)], extensions=griffe.load_extensions(hooks.LectureDocstrings)
    )
    assert module["f"].docstring.value == (
        "A[l] = g[l]\\(Z[l]).\n\n    Z[l] = W[l] A[l-1] + b[l](x)\n\nReturns g[l]\\(Z).\n\n"
        "Declared checks: `@checked(A_prev='n_prev m', W='n n_prev')`"
    )


# ----------------------------------------------------------------------------- the built site
@pytest.mark.slow  # the site's build: about a minute of CPU (the ten notebooks)
def test_every_chapter_page_has_equation_code_figure_notebook_exercises_and_playground(site):
    for chapter in CHAPTERS:
        html = (site / "chapters" / f"{chapter.stem}.html").read_text(encoding="utf-8")
        assert '<math xmlns="http://www.w3.org/1998/Math/MathML" display="block">' in html, chapter.name
        assert '<details class="mkdocstrings-source" open>' in html or "language-python" in html, chapter.name
        assert re.search(r'<img [^>]*src="\.\./plots/\w+\.png"', html), chapter.name
        assert re.search(r'href="\.\./notebooks/\d\d_\w+\.html"', html), chapter.name
        assert "<th>exercise</th>" in html, chapter.name
        assert 'href="http://127.0.0.1:8501/' in html, chapter.name


@pytest.mark.slow  # the site's build: about a minute of CPU (the ten notebooks)
def test_notebooks_are_rendered_with_their_outputs(site):
    for notebook in NOTEBOOKS:
        html = (site / "notebooks" / f"{notebook.stem}.html").read_text(encoding="utf-8")
        assert html.count('src="data:image/png;base64,') >= 1, notebook.name  # the lecture figures, drawn
        assert "not implemented yet" in html, notebook.name  # the student's check cells ran
        assert "Traceback" not in html, notebook.name
        assert "<math" in html, notebook.name


@pytest.mark.slow  # the site's build: about a minute of CPU (the ten notebooks)
def test_no_page_loads_a_script_a_stylesheet_or_a_font_from_the_network(site):
    """The site works offline (a lecture hall's network, CI): MathML instead of MathJax, no web fonts."""
    for page in site.rglob("*.html"):
        html = page.read_text(encoding="utf-8")
        external = re.findall(r'<(?:script|link|img)\b[^>]*\b(?:src|href)="(?:https?:)?//[^"]*"', html)
        assert not external, (page.relative_to(site), external[:3])


# ----------------------------------------------------------------------------- in a browser
def _chromium():
    return shutil.which("chromium") or shutil.which("chromium-browser"), shutil.which("chromedriver")


@pytest.fixture(scope="module")
def served(site):
    """The built site on an HTTP server at 127.0.0.1 (a free port), as a student's browser would see it."""
    handler = functools.partial(_QuietHandler, directory=str(site))
    server = _QuietServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


class _QuietServer(http.server.ThreadingHTTPServer):
    def handle_error(self, request, client_address):  # the browser dropped a connection it no longer needed
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    pytest.importorskip("selenium", reason="the browser test drives Chromium with Selenium (the test extra)")
    chromium, driver_path = _chromium()
    if chromium is None or driver_path is None:
        pytest.skip("headless Chromium not installed here (apt-get install chromium chromium-driver; .ci/run does)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--window-size=1280,900",
    ):
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(executable_path=driver_path))
    driver.set_page_load_timeout(120)
    try:
        yield driver
    finally:
        driver.quit()


# every image of the page fetched and decoded by the browser (lazy ones too): the sources that failed
_BROKEN_IMAGES = """
const done = arguments[arguments.length - 1];
const sources = [...new Set(Array.from(document.images, img => img.currentSrc || img.src))];
Promise.all(sources.map(src => new Promise(resolve => {
  const probe = new Image();
  probe.onload = () => resolve(probe.naturalWidth > 0 ? null : src);
  probe.onerror = () => resolve(src);
  probe.src = src;
}))).then(results => done([sources.length, results.filter(r => r !== null)]));
"""


def _page_ids(url, cache={}):  # noqa: B006  (a per-session cache of the ids on each page)
    if url not in cache:
        with urlopen(url, timeout=60) as response:
            cache[url] = set(re.findall(r'\bid="([^"]+)"', response.read().decode("utf-8", "replace")))
    return cache[url]


@pytest.mark.slow  # the site's build: about a minute of CPU (the ten notebooks)
def test_every_page_opens_with_its_images_and_links_and_no_console_error(site, served, browser):
    from selenium.webdriver.support.ui import WebDriverWait

    pages = sorted(p.relative_to(site).as_posix() for p in site.rglob("*.html") if p.name != "404.html")
    reference = list((ROOT / "docs" / "reference").glob("*.md"))
    assert len(pages) >= 2 + len(CHAPTERS) + len(NOTEBOOKS) + len(reference)  # + the home and set-up pages
    browser.set_script_timeout(120)
    problems, links, images = [], set(), 0
    for page in pages:
        url = urljoin(served, page)
        browser.get(url)
        WebDriverWait(browser, 120).until(lambda d: d.execute_script("return document.readyState") == "complete")
        count, broken = browser.execute_async_script(_BROKEN_IMAGES)
        images += count
        problems += [f"{page}: image {src} does not load" for src in broken]
        for entry in browser.get_log("browser"):
            if entry["level"] == "SEVERE":
                problems.append(f"{page}: console: {entry['message']}")
        for href in browser.execute_script("return Array.from(document.links, a => a.href)"):
            if href.startswith(served):
                links.add((page, href))
    checked = {}
    for page, href in sorted(links):
        target, fragment = urldefrag(href)
        if target not in checked:
            try:
                with urlopen(target, timeout=60) as response:
                    checked[target] = response.status
            except OSError as exc:
                checked[target] = exc
        if checked[target] != 200:
            problems.append(f"{page}: link {href}: {checked[target]}")
        elif fragment and urlparse(target).path.endswith(".html") and fragment not in _page_ids(target):
            problems.append(f"{page}: link {href}: no element with id {fragment!r}")
    assert not problems, "\n".join(problems)
    assert images >= 60 and len(checked) >= 40, (images, len(checked))  # the figures; the pages and files


def test_nn_ref_docs_refuses_an_impossible_request(capsys):
    from nn_ref import cli

    assert cli.main(["docs", "--serve", "--site-dir", "x"]) == 2
    assert capsys.readouterr().err.strip() == (
        "nn-ref docs: error: --site-dir is for a build; --serve keeps the site in memory"
    )


@pytest.mark.slow  # the site's build
def test_the_api_page_shows_every_public_function_and_class_of_the_teaching_modules(site):
    import importlib
    import inspect

    html = (site / "reference" / "api.html").read_text(encoding="utf-8")
    modules = re.findall(r"^\| `(nn_ref[\w.]*)`", (ROOT / "docs/reference/modules.md").read_text(), flags=re.M)
    taught = [m for m in modules if m not in hooks.OWN_PAGES]
    assert len(taught) >= 15
    missing = []
    for name in taught:
        module = importlib.import_module(name)
        for attr, obj in vars(module).items():
            defined_here = getattr(obj, "__module__", None) == name
            if not attr.startswith("_") and defined_here and (inspect.isfunction(obj) or inspect.isclass(obj)):
                if f'id="{name}.{attr}"' not in html:
                    missing.append(f"{name}.{attr}")
    assert not missing, missing
