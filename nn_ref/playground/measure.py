"""Open the running playground in headless Chromium and measure it: frames per second and updates per frame.

    python -m nn_ref.playground.measure --seconds 10 --screenshot plots/playground.png

starts ``nn-ref playground --headless`` on a free port of 127.0.0.1, opens the page in headless Chromium
(Selenium and the Debian ``chromium`` / ``chromium-driver`` packages), waits for the first frame, presses
Play, and reads the frame counter and the update count t from the page at the start and the end of the
window. frames/s = frames drawn / seconds; updates/frame = updates made / frames drawn. The numbers are
what the browser received, so they include Streamlit's round trips and the browser's drawing.
tests/test_playground_browser.py runs the same steps.
"""

import argparse
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--window-size=1500,1300",
)
STATUS = re.compile(r"frame (\d+) \| t = (\d+) updates")


def chromium_paths():
    """(chromium, chromedriver) executables, or None for a missing one."""
    return (shutil.which("chromium") or shutil.which("chromium-browser"), shutil.which("chromedriver"))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(port, timeout=60):
    """``nn-ref playground --headless --port PORT`` in its own process group; returns the Popen once
    Streamlit answers its health check (raises RuntimeError with the server's output otherwise)."""
    log = tempfile.TemporaryFile()
    proc = subprocess.Popen(
        [sys.executable, "-m", "nn_ref.cli", "playground", "--headless", "--port", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    proc.log = log
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            break
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    return proc
        except OSError:
            time.sleep(0.3)
    log.seek(0)
    output = log.read().decode(errors="replace")[-2000:]
    stop_server(proc)
    raise RuntimeError(f"the playground did not start on port {port}: {output}")


def stop_server(proc):
    """End the server's process group (the CLI and the Streamlit it started)."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)
    proc.log.close()


def open_browser(profile_dir):
    """A Selenium driver for headless Chromium with the flags above and its own profile folder."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    chromium, driver = chromium_paths()
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile_dir}")
    return webdriver.Chrome(options=options, service=Service(executable_path=driver))


def exceptions(browser):
    """The text of every Python exception Streamlit shows on the page (its ``stException`` elements)."""
    from selenium.webdriver.common.by import By

    return [e.text for e in browser.find_elements(By.CSS_SELECTOR, '[data-testid="stException"]')]


def status(browser):
    """(frame, t) from the live view's caption, or None before the first frame."""
    text = browser.execute_script(
        "return Array.from(document.querySelectorAll('[data-testid=\"stCaptionContainer\"]'))"
        ".map(e => e.innerText).join('\\n');"
    )
    m = STATUS.search(text or "")
    return (int(m.group(1)), int(m.group(2))) if m else None


def wait_for(predicate, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise TimeoutError(f"waited {timeout} s for {what}")


def first_frame(browser, url, timeout=60):
    """Load ``url`` and wait until the live view has drawn a frame with the boundary image."""
    from selenium.webdriver.common.by import By

    browser.get(url)
    wait_for(
        lambda: status(browser) and browser.find_elements(By.CSS_SELECTOR, '[data-testid="stImage"] img'),
        timeout,
        "the first frame (frame counter and boundary image)",
    )


def click_button(browser, label):
    """Click the page's button labelled ``label`` (found and clicked in one script: no stale elements)."""
    clicked = browser.execute_script(
        "const b = Array.from(document.querySelectorAll('button')).find(b => b.innerText.trim() === arguments[0]);"
        "if (b) { b.click(); return true; } return false;",
        label,
    )
    if not clicked:
        raise LookupError(f"no button {label!r} on the page")


def measure(browser, seconds):
    """Press Play, let it run ``seconds`` (after a 2 s warm-up), press Pause.
    Returns {"fps", "updates_per_frame", "frames", "updates", "seconds"}."""
    click_button(browser, "Play")
    wait_for(lambda: (status(browser) or (0, 0))[1] > 0, 30, "the first updates after Play")
    time.sleep(2.0)
    (f0, t0), c0 = status(browser), time.monotonic()
    time.sleep(seconds)
    (f1, t1), c1 = status(browser), time.monotonic()
    click_button(browser, "Pause")
    frames = f1 - f0
    return {
        "fps": frames / (c1 - c0),
        "updates_per_frame": (t1 - t0) / max(frames, 1),
        "frames": frames,
        "updates": t1 - t0,
        "seconds": c1 - c0,
    }


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m nn_ref.playground.measure", description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="measuring window (default 10)")
    parser.add_argument("--screenshot", default=None, metavar="PNG", help="save a screenshot of the page here")
    parser.add_argument("--query", default="", help="URL query string, e.g. hidden_activation=relu")
    args = parser.parse_args(argv)
    if None in chromium_paths():
        print(
            "measure: error: needs chromium and chromedriver (apt-get install chromium chromium-driver)",
            file=sys.stderr,
        )
        return 2
    port = free_port()
    server = start_server(port)
    try:
        with tempfile.TemporaryDirectory() as profile:
            browser = open_browser(profile)
            try:
                first_frame(browser, f"http://127.0.0.1:{port}/?{args.query}")
                result = measure(browser, args.seconds)
                time.sleep(1.0)
                if args.screenshot:
                    browser.save_screenshot(args.screenshot)
                problems = exceptions(browser)
            finally:
                browser.quit()
    finally:
        stop_server(server)
    print(
        f"{result['fps']:.1f} frames/s, {result['updates_per_frame']:.1f} updates/frame "
        f"({result['frames']} frames, {result['updates']} updates in {result['seconds']:.1f} s; "
        f"{os.cpu_count()} CPUs)"
    )
    for p in problems:
        print(f"exception on the page: {p}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
