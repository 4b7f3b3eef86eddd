"""Open the running playground in headless Chromium and measure it as a class would see it.

    python -m nn_ref.playground.measure --seconds 10 --screenshot docs/playground_1280x720.png

starts ``nn-ref playground --headless`` on a free port of 127.0.0.1, opens the page in headless Chromium at
1280 x 720 (Selenium and the Debian ``chromium`` / ``chromium-driver`` packages) and reports:

- startup: seconds from opening the page to the first frame with its pictures decoded;
- frames/s and updates/frame while playing: the frame counter and t read from the page at the start and
  the end of the window (what the browser received: Streamlit's round trips and the drawing included);
- broken images and layout jumps while playing: a probe in the page samples every 50 ms whether every
  picture is decoded and where every picture and chart is;
- change-to-redraw latency: from a click on "+ layer" (while playing) to the page showing the new network;
- Pause latency: from the click on Pause (the page's clock) to the end of the server's last update (the
  server's clock, read from the status file the app writes when $NN_REF_PLAYGROUND_STATUS is set).
tests/test_playground_browser.py runs the same steps and asserts them.
"""

import argparse
import json
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

from nn_ref.playground import STATUS_ENV

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
SERVER = re.compile(r"server (\d+) ms/frame")
# a probe in the page: every 50 ms, whether every live picture is decoded, and where every picture and chart is
PROBE = """
window.__probe = {samples: 0, broken: 0, faded: 0, counts: new Set(), boxes: {}};
window.__probeTimer = setInterval(() => {
  const p = window.__probe, els = document.querySelectorAll('.nnref-img img, [data-testid="stVegaLiteChart"]');
  p.samples += 1;
  p.counts.add(els.length);
  els.forEach((e, i) => {
    if (e.tagName === 'IMG' && !(e.complete && e.naturalWidth > 0)) p.broken += 1;
    const box = e.closest('[data-testid="stElementContainer"]');
    if (box && parseFloat(getComputedStyle(box).opacity) < 0.99) p.faded += 1;
    const r = e.getBoundingClientRect(), top = r.top + window.scrollY;
    const b = p.boxes[i] || (p.boxes[i] = {top: [top, top], height: [r.height, r.height]});
    b.top = [Math.min(b.top[0], top), Math.max(b.top[1], top)];
    b.height = [Math.min(b.height[0], r.height), Math.max(b.height[1], r.height)];
  });
}, 50);
"""
PROBE_READ = """
const p = window.__probe; clearInterval(window.__probeTimer);
const jumps = Object.values(p.boxes).map(b => Math.max(b.top[1] - b.top[0], b.height[1] - b.height[0]));
return {samples: p.samples, broken: p.broken, faded: p.faded, counts: Array.from(p.counts),
        jump: Math.max(0, ...jumps)};
"""


def chromium_paths():
    """(chromium, chromedriver) executables, or None for a missing one."""
    return (shutil.which("chromium") or shutil.which("chromium-browser"), shutil.which("chromedriver"))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(port, timeout=120, status_file=None):
    """``nn-ref playground --headless --port PORT`` in its own process group; returns the Popen once
    Streamlit answers its health check (raises RuntimeError with the server's output otherwise). With
    ``status_file`` the app writes its state there (see ``server_status``)."""
    log = tempfile.TemporaryFile()
    env = dict(os.environ, **({STATUS_ENV: str(status_file)} if status_file else {}))
    proc = subprocess.Popen(
        [sys.executable, "-m", "nn_ref.cli", "playground", "--headless", "--port", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        env=env,
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


def server_status(status_file):
    """The app's state from its status file: {"t", "last_update" (time.time() at the end of the last
    update, or None), "playing"}; None before the first write."""
    try:
        with open(status_file) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


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


def _status_text(browser):
    return (
        browser.execute_script("const e = document.querySelector('.nnref-status'); return e ? e.innerText : '';") or ""
    )


def status(browser):
    """(frame, t) from the live view's status line, or None before the first frame."""
    m = STATUS.search(_status_text(browser))
    return (int(m.group(1)), int(m.group(2))) if m else None


def server_ms(browser):
    """The wall ms the server spent on the last frame, from the status line, or None."""
    m = SERVER.search(_status_text(browser))
    return int(m.group(1)) if m else None


def console_errors(browser):
    """The browser console's SEVERE messages since the last call (Chromium's log is read once)."""
    return [e["message"] for e in browser.get_log("browser") if e["level"] == "SEVERE"]


def start_probe(browser):
    browser.execute_script(PROBE)


def read_probe(browser):
    """{"samples", "broken" (samples x pictures not decoded), "faded" (samples x pictures dimmed by Streamlit
    while a run is going on), "counts" (numbers of views seen), "jump" (the largest move or resize of any
    picture or chart, px)} since ``start_probe``."""
    return browser.execute_script(PROBE_READ)


def wait_for(predicate, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise TimeoutError(f"waited {timeout} s for {what}")


def first_frame(browser, url, timeout=120):
    """Load ``url`` and wait until the live view has drawn a frame with its pictures decoded; returns the
    seconds it took."""
    start = time.monotonic()
    browser.get(url)
    wait_for(
        lambda: status(browser) and browser.execute_script(PICTURES_DRAWN),
        timeout,
        "the first frame (frame counter and pictures)",
    )
    return time.monotonic() - start


def click_button(browser, label, timeout=120):
    """Click the page's button labelled ``label`` (found and clicked in one script: no stale elements),
    waiting for it to appear (after Play, the Pause button comes with the next run). Returns the page's
    clock (time.time() seconds) just before the click."""
    script = (
        "const b = Array.from(document.querySelectorAll('button')).find(b => b.innerText.trim() === arguments[0]);"
        "if (b && !b.disabled) { const now = Date.now() / 1000; b.click(); return now; } return 0;"
    )
    try:
        return wait_for(lambda: browser.execute_script(script, label), timeout, f"an enabled button {label!r}")
    except TimeoutError:
        raise LookupError(f"no enabled button {label!r} on the page after {timeout} s") from None


def redraw_latency(browser, label, timeout=120):
    """Click ``label`` (a control that changes the network, e.g. "+ layer") and return the seconds until the
    page shows another "layer_dims [...]" with its pictures decoded (polled in the page every 10 ms)."""
    browser.execute_script(
        "const dims = () => (document.body.innerText.match(/layer_dims \\[[^\\]]*\\]/) || [''])[0];"
        "window.__seen = 0; const before = dims();"
        "window.__seenTimer = setInterval(() => {"
        "  const imgs = Array.from(document.querySelectorAll('.nnref-img img'));"
        "  if (dims() && dims() !== before && imgs.every(i => i.complete && i.naturalWidth > 0)) {"
        "    window.__seen = Date.now() / 1000; clearInterval(window.__seenTimer); } }, 10);"
    )
    clicked = click_button(browser, label)
    seen = wait_for(lambda: browser.execute_script("return window.__seen;"), timeout, "the new network")
    return seen - clicked


def pause_latency(browser, status_file, timeout=120):
    """Click Pause; wait (on the server's status file) until the server has stopped playing; return the
    seconds from the click to the end of the server's last update (<= 0: it had finished before)."""
    clicked = click_button(browser, "Pause")
    state = wait_for(
        lambda: (s := server_status(status_file)) and not s["playing"] and s, timeout, "the server to pause"
    )
    return state["last_update"] - clicked, state


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
    """Press Play, wait for the first updates, let it run ``seconds`` with the probe on; the run keeps
    playing (press Pause after).

    Returns {"fps", "updates_per_frame", "frames", "updates", "seconds", "server_ms" (median of the app's
    own ms/frame), "probe" (``read_probe``)} and, given the server's process group and the browser's
    profile folder, "cpu_ms_server" and "cpu_ms_browser": the CPU time per frame of the whole server and of
    all Chromium processes (what a frame costs, whatever else the machine is doing)."""
    click_button(browser, "Play")
    wait_for(lambda: (status(browser) or (0, 0))[1] > 0, 120, "the first updates after Play")
    start_probe(browser)
    (f0, t0), c0 = status(browser), time.monotonic()
    cpu0 = cpu_seconds(pgid=server_pgid), cpu_seconds(marker=profile)
    costs = []
    while time.monotonic() < c0 + seconds:
        time.sleep(0.25)  # the sampling period of the server's ms/frame (the window itself is timed)
        costs.append(server_ms(browser))
    (f1, t1), c1 = status(browser), time.monotonic()
    cpu1 = cpu_seconds(pgid=server_pgid), cpu_seconds(marker=profile)
    frames = f1 - f0
    costs = sorted(c for c in costs if c is not None)
    return {
        "fps": frames / (c1 - c0),
        "updates_per_frame": (t1 - t0) / max(frames, 1),
        "frames": frames,
        "updates": t1 - t0,
        "seconds": c1 - c0,
        "server_ms": costs[len(costs) // 2] if costs else float("nan"),
        "probe": read_probe(browser),
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
    with tempfile.TemporaryDirectory() as tmp:
        status_file = os.path.join(tmp, "status.json")
        server = start_server(port, status_file=status_file)
        try:
            browser = open_browser(os.path.join(tmp, "profile"))
            try:
                startup = first_frame(browser, f"http://127.0.0.1:{port}/?{args.query}")
                result = measure(browser, args.seconds, server.pid, os.path.join(tmp, "profile"))
                if args.screenshot:  # written whole, then renamed into place
                    browser.save_screenshot(args.screenshot + ".part.png")
                    os.replace(args.screenshot + ".part.png", args.screenshot)
                change = redraw_latency(browser, "+ layer")
                pause, _ = pause_latency(browser, status_file)
                problems = exceptions(browser) + console_errors(browser)
            finally:
                browser.quit()
        finally:
            stop_server(server)
    probe = result["probe"]
    print(
        f"startup {startup:.1f} s to the first frame; "
        f"{result['fps']:.1f} frames/s, {result['updates_per_frame']:.1f} updates/frame "
        f"({result['frames']} frames, {result['updates']} updates in {result['seconds']:.1f} s); "
        f"app code {result['server_ms']:.0f} ms/frame (median), CPU per frame: whole server "
        f"{result['cpu_ms_server']:.0f} ms + Chromium {result['cpu_ms_browser']:.0f} ms; "
        f"broken pictures {probe['broken']}, dimmed {probe['faded']} in {probe['samples']} samples, "
        f"largest layout move {probe['jump']:.1f} px; "
        f"change-to-redraw {change:.2f} s; Pause to the last update {pause:.3f} s; "
        f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}"
    )
    for p in problems:
        print(f"problem on the page: {p}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
