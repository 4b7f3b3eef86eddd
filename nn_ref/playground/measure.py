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

import numpy as np

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
    "--window-size=1280,720",
)
# the live pictures (inline PNGs in div.nnref-img): all there and decoded
PICTURES_DRAWN = (
    "const imgs = Array.from(document.querySelectorAll('.nnref-img img'));"
    "return imgs.length >= 2 && imgs.every(i => i.complete && i.naturalWidth > 0);"
)
STATUS = re.compile(r"frame (\d+) \| t = (\d+) updates")
SERVER = re.compile(r"server (\d+) ms/frame, (\d+) ms CPU")


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
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})  # the console, for console_errors()
    browser = webdriver.Chrome(options=options, service=Service(executable_path=driver))
    # the page sees exactly a 1280 x 720 projector (the window's size would include the browser's frame)
    browser.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride", {"width": 1280, "height": 720, "deviceScaleFactor": 1, "mobile": False}
    )
    return browser


def exceptions(browser):
    """The text of every Python exception Streamlit shows on the page (its ``stException`` elements)."""
    from selenium.webdriver.common.by import By

    return [e.text for e in browser.find_elements(By.CSS_SELECTOR, '[data-testid="stException"]')]


def _caption_text(browser):
    return (
        browser.execute_script(
            "return Array.from(document.querySelectorAll('[data-testid=\"stCaptionContainer\"]'))"
            ".map(e => e.innerText).join('\\n');"
        )
        or ""
    )


def status(browser):
    """(frame, t) from the live view's caption, or None before the first frame."""
    m = STATUS.search(_caption_text(browser))
    return (int(m.group(1)), int(m.group(2))) if m else None


def server_cost(browser):
    """(wall ms, CPU ms) the server spent on the last frame, from the caption, or None."""
    m = SERVER.search(_caption_text(browser))
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
    browser.get(url)
    wait_for(
        lambda: status(browser) and browser.execute_script(PICTURES_DRAWN),
        timeout,
        "the first frame (frame counter and pictures)",
    )


def click_button(browser, label, timeout=30):
    """Click the page's button labelled ``label`` (found and clicked in one script: no stale elements),
    waiting for it to appear (after Play, the Pause button comes with the next run)."""
    script = (
        "const b = Array.from(document.querySelectorAll('button')).find(b => b.innerText.trim() === arguments[0]);"
        "if (b && !b.disabled) { b.click(); return true; } return false;"
    )
    try:
        wait_for(lambda: browser.execute_script(script, label), timeout, f"an enabled button {label!r}")
    except TimeoutError:
        raise LookupError(f"no enabled button {label!r} on the page after {timeout} s") from None


def cpu_seconds(pgid=None, marker=None):
    """CPU seconds (user + system) used so far by the live processes in process group ``pgid`` or whose
    command line contains ``marker`` (Linux /proc; 0.0 elsewhere)."""
    tick, total = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100, 0.0
    for entry in os.listdir("/proc") if os.path.isdir("/proc") else []:
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                cmdline = f.read().decode(errors="replace")
        except OSError:
            continue
        if (pgid is not None and int(fields[2]) == pgid) or (marker is not None and marker in cmdline):
            total += (int(fields[11]) + int(fields[12])) / tick  # utime + stime
    return total


def measure(browser, seconds, server_pgid=None, profile=None):
    """Press Play, let it run ``seconds`` (after a 2 s warm-up), press Pause.

    Returns {"fps", "updates_per_frame", "frames", "updates", "seconds", "server_ms", "server_cpu_ms"} and,
    given the server's process group and the browser's profile folder, "cpu_ms_server" and "cpu_ms_browser":
    the CPU time per frame of the whole server and of all Chromium processes (what a frame costs, whatever
    else the machine is doing)."""
    click_button(browser, "Play")
    wait_for(lambda: (status(browser) or (0, 0))[1] > 0, 30, "the first updates after Play")
    time.sleep(2.0)
    (f0, t0), c0 = status(browser), time.monotonic()
    cpu0 = cpu_seconds(pgid=server_pgid), cpu_seconds(marker=profile)
    costs = []
    while time.monotonic() < c0 + seconds:
        time.sleep(0.25)
        costs.append(server_cost(browser))
    (f1, t1), c1 = status(browser), time.monotonic()
    cpu1 = cpu_seconds(pgid=server_pgid), cpu_seconds(marker=profile)
    click_button(browser, "Pause")
    frames = f1 - f0
    costs = np.array([c for c in costs if c is not None], dtype=float).reshape(-1, 2)
    return {
        "fps": frames / (c1 - c0),
        "updates_per_frame": (t1 - t0) / max(frames, 1),
        "frames": frames,
        "updates": t1 - t0,
        "seconds": c1 - c0,
        "server_ms": float(np.median(costs[:, 0])) if len(costs) else float("nan"),
        "server_cpu_ms": float(np.median(costs[:, 1])) if len(costs) else float("nan"),
        "cpu_ms_server": 1000 * (cpu1[0] - cpu0[0]) / max(frames, 1),
        "cpu_ms_browser": 1000 * (cpu1[1] - cpu0[1]) / max(frames, 1),
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
                result = measure(browser, args.seconds, server.pid, profile)
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
        f"({result['frames']} frames, {result['updates']} updates in {result['seconds']:.1f} s); "
        f"per frame: app code {result['server_ms']:.0f} ms wall / {result['server_cpu_ms']:.0f} ms CPU (median), "
        f"CPU of the whole server {result['cpu_ms_server']:.0f} ms + Chromium {result['cpu_ms_browser']:.0f} ms; "
        f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}"
    )
    for p in problems:
        print(f"exception on the page: {p}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
