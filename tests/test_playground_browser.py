"""The playground in a real browser: ``nn-ref playground --headless`` serves it, headless Chromium at 1280 x 720
(Selenium with the Debian ``chromium`` and ``chromium-driver`` packages; .ci/run installs them) opens it, and
one session plays as a lecturer would: 10 s of Play with a probe in the page (no broken picture, nothing
moves), a control changed while playing, Pause, whose effect is read from the server's own state, and a closed tab
(the server stops computing).

Every wait is on the page's or the server's state with a generous bound: the test passes on a busy 2-core
machine (tried with both cores running a busy loop)."""

import shutil
import time

import numpy as np
import pytest

pytest.importorskip("streamlit", reason="the playground needs the app extra: pip install -e '.[app]'")
pytest.importorskip("selenium", reason="the browser test drives Chromium with Selenium (the test extra)")

from nn_ref.playground import draw, measure, model  # noqa: E402

CHROMIUM, DRIVER = measure.chromium_paths()
pytestmark = pytest.mark.skipif(
    CHROMIUM is None or DRIVER is None,
    reason="headless Chromium not installed here (apt-get install chromium chromium-driver; .ci/run does it on CI)",
)
BOUND = 120  # seconds: the most any wait below may take (on a quiet machine they take well under 10)
PAUSE_S = 0.5  # Pause stops the server's training within this


@pytest.fixture
def browser(tmp_path):
    port = measure.free_port()
    status_file = tmp_path / "status.json"
    server = measure.start_server(port, timeout=BOUND, status_file=status_file)
    driver = measure.open_browser(tmp_path / "chromium-profile")
    driver.base_url = f"http://127.0.0.1:{port}/"
    driver.status_file = status_file
    try:
        yield driver
    finally:
        driver.quit()
        measure.stop_server(server)
        shutil.rmtree(tmp_path / "chromium-profile", ignore_errors=True)


def _body(browser):
    return browser.execute_script("return document.body.innerText;")


def test_play_is_smooth_stoppable_and_fits_a_projector(browser, tmp_path):
    # a shared link: the vanishing-gradient lesson (sigmoid, sigma 0.01, SGD)
    measure.first_frame(browser, browser.base_url + "?" + model.lesson_query("vanishing"), timeout=BOUND)
    assert measure.exceptions(browser) == [] and measure.console_errors(browser) == []
    assert measure.status(browser)[1] == 0
    assert "layer_dims [2, 8, 8, 8, 8, 1]" in _body(browser)
    # at 1280 x 720 every live view is above the fold
    bottoms = browser.execute_script(
        "return Array.from(document.querySelectorAll('.nnref-img img')).map(i => i.getBoundingClientRect().bottom);"
    )
    assert len(bottoms) == 6 and max(bottoms) <= 720, bottoms
    # every hidden layer's +/- pair stands centred above its column of the network picture (as in TF Playground)
    net_left, net_width, pairs = browser.execute_script(
        "const n = document.querySelector('.nnref-fill img').getBoundingClientRect();"
        "const c = e => {const b = e.getBoundingClientRect(); return (b.left + b.right) / 2;};"
        "return [n.left, n.width, Array.from(document.querySelectorAll('[class*=\"st-key-units_\"]')).map(c)];"
    )
    columns = net_left + (draw.column_x(5) + draw.UNIT_PX / 2) / draw.DIAGRAM_W * net_width
    assert len(pairs) == 4 and np.abs(np.asarray(pairs) - columns[1:5]).max() < 0.05 * net_width / 5, (pairs, columns)
    browser.save_screenshot(str(tmp_path / "playground.png"))

    result = measure.measure(browser, seconds=10.0)
    print(
        f"\nplayground in headless Chromium: {result['fps']:.1f} frames/s, "
        f"{result['updates_per_frame']:.1f} updates/frame ({result['frames']} frames in {result['seconds']:.1f} s), "
        f"probe {result['probe']}"
    )
    probe = result["probe"]
    assert result["frames"] >= 2 and 0 < result["updates_per_frame"] <= 20  # it plays (20: the default)
    assert probe["samples"] >= 10 and probe["broken"] == 0 and probe["faded"] == 0  # no picture missing or dimmed
    assert probe["counts"] == [6] and probe["jump"] <= 1.0  # ... and nothing moved or resized
    assert measure.exceptions(browser) == [] and measure.console_errors(browser) == []

    # a control used while playing: a new run with one more layer, written to the URL
    latency = measure.redraw_latency(browser, "+ layer", timeout=BOUND)
    assert "layer_dims [2, 8, 8, 8, 8, 8, 1]" in _body(browser) and latency < BOUND
    assert "hidden=8%2C8%2C8%2C8%2C8" in browser.current_url
    measure.wait_for(lambda: measure.status(browser)[1] > 0, BOUND, "the new run to train")

    # Pause: the server's last update ends within PAUSE_S of the click (the server's own clock and state)
    stop, state = measure.pause_latency(browser, browser.status_file, timeout=BOUND)
    print(f"change-to-redraw {latency:.2f} s; the server's last update {stop:.3f} s after the Pause click")
    assert stop < PAUSE_S, f"the server trained {stop:.3f} s after Pause"
    measure.wait_for(lambda: measure.status(browser)[1] == state["t"], BOUND, "the page to show the paused t")
    assert measure.server_status(browser.status_file)["t"] == state["t"]
    assert measure.exceptions(browser) == [] and measure.console_errors(browser) == []
    assert "Training stopped" not in _body(browser)

    # a session left alone: playing, then the tab goes away -- the server stops computing (no update for 2 s)
    measure.click_button(browser, "Play", timeout=BOUND)
    measure.wait_for(lambda: measure.server_status(browser.status_file)["t"] > state["t"], BOUND, "Play again")
    browser.get("about:blank")
    measure.wait_for(
        lambda: time.time() - measure.server_status(browser.status_file)["last_update"] > 2.0,
        BOUND,
        "the server to stop training once the page is closed",
    )
