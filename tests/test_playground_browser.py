"""The playground in a real browser: ``nn-ref playground --headless`` serves it, headless Chromium (Selenium
with the Debian ``chromium`` and ``chromium-driver`` packages; .ci/run installs them) opens it, waits for
the first frame, saves a screenshot, plays for a while, and fails on any Python exception on the page."""

import shutil

import pytest

pytest.importorskip("streamlit", reason="the playground needs the app extra: pip install -e '.[app]'")
pytest.importorskip("selenium", reason="the browser test drives Chromium with Selenium (the test extra)")

from nn_ref.playground import measure  # noqa: E402

CHROMIUM, DRIVER = measure.chromium_paths()
pytestmark = pytest.mark.skipif(
    CHROMIUM is None or DRIVER is None,
    reason="headless Chromium not installed here (apt-get install chromium chromium-driver; .ci/run does it on CI)",
)


@pytest.fixture
def browser(tmp_path):
    port = measure.free_port()
    server = measure.start_server(port)
    driver = measure.open_browser(tmp_path / "chromium-profile")
    driver.base_url = f"http://127.0.0.1:{port}/"
    try:
        yield driver
    finally:
        driver.quit()
        measure.stop_server(server)
        shutil.rmtree(tmp_path / "chromium-profile", ignore_errors=True)


def test_the_page_draws_frames_and_shows_no_exception(browser, tmp_path):
    from selenium.webdriver.common.by import By

    # a shared link: tanh with sigma 0.01 (the vanishing-gradient setting) on the xor set
    measure.first_frame(browser, browser.base_url + "?dataset=xor&init=normal&sigma=0.01&hidden=8,8,8")
    shot = tmp_path / "playground.png"
    assert browser.save_screenshot(str(shot)) and shot.stat().st_size > 10_000
    assert measure.exceptions(browser) == []
    frame, t = measure.status(browser)
    assert t == 0
    assert "layer_dims [2, 8, 8, 8, 1]" in browser.find_element(By.TAG_NAME, "body").text
    assert browser.find_element(By.CSS_SELECTOR, '[data-testid="stImage"] img').size["width"] >= 200

    result = measure.measure(browser, seconds=3.0)
    print(
        f"\nplayground in headless Chromium: {result['fps']:.1f} frames/s, "
        f"{result['updates_per_frame']:.1f} updates/frame ({result['frames']} frames in {result['seconds']:.1f} s)"
    )
    assert result["frames"] >= 2  # the view redraws while playing ...
    assert result["updates_per_frame"] == 20  # ... 20 updates (the default) between frames
    # a control used while playing: a new run with one more layer, written to the URL, and no exception
    t_paused = measure.status(browser)[1]
    measure.click_button(browser, "Play")
    measure.wait_for(lambda: measure.status(browser)[1] > t_paused, 30, "training to resume")
    measure.click_button(browser, "+ layer")
    measure.wait_for(
        lambda: "layer_dims [2, 8, 8, 8, 8, 1]" in browser.find_element(By.TAG_NAME, "body").text,
        30,
        "the new run with four hidden layers",
    )
    assert "hidden=8%2C8%2C8%2C8" in browser.current_url
    measure.click_button(browser, "Pause")
    browser.save_screenshot(str(tmp_path / "playground-playing.png"))
    assert measure.exceptions(browser) == []
    assert "Training stopped" not in browser.find_element(By.TAG_NAME, "body").text
