"""``nn-ref playground``: the lecture's network trained live in the browser (a Streamlit app, the ``app`` extra).

``model`` holds the state without Streamlit (configuration, checks, the URL form, the running trainer, the
live views as arrays, the lessons as links); ``draw`` turns them into pictures (the network unit by unit, the
boundary, the charts); ``app.py`` is the Streamlit script that ``nn-ref playground`` starts with
``streamlit run``, bound to 127.0.0.1; ``measure`` opens it in headless Chromium and measures it.
"""

import ctypes
import importlib.util
import os
import signal
import subprocess
import sys
from pathlib import Path

APP = Path(__file__).resolve().with_name("app.py")
STATUS_ENV = "NN_REF_PLAYGROUND_STATUS"  # set to a path, the app writes its state there (t, last update, playing)
INSTALL = 'pip install -e ".[app]"'


def streamlit_command(port=8501, headless=False, address="127.0.0.1"):
    """The argv that serves the app: ``python -m streamlit run app.py`` on ``address:port``."""
    return [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(APP),
        "--server.address",
        address,
        "--server.port",
        str(int(port)),
        "--server.headless",
        "true" if headless else "false",
        "--server.fileWatcherType",
        "none",
        "--browser.gatherUsageStats",
        "false",
        # no gc.collect(2) after every run: at 5+ frames/s it was ~40% of the server's CPU
        "--runner.postScriptGC",
        "false",
        "--runner.magicEnabled",
        "false",
        "--client.toolbarMode",  # no "Deploy" button over a local teaching app
        "minimal",
    ]


def streamlit_env():
    """The environment for the server: Streamlit's first-run e-mail prompt off (it would wait on the
    terminal); a value the user set wins. (An environment variable, not a flag: older versions ignore it.)"""
    return {"STREAMLIT_SERVER_SHOW_EMAIL_PROMPT": "false", **os.environ}


def have_streamlit():
    """Whether the ``app`` extra (Streamlit) is installed."""
    return importlib.util.find_spec("streamlit") is not None


FORWARDED = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)  # what the launcher passes on to the server


def _die_with_parent():
    """In the server's process, before exec (Linux): the kernel sends it SIGTERM when the launcher dies,
    even by SIGKILL, so no server is ever left behind."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG = 1
    except (OSError, AttributeError):
        pass


def run(port=8501, headless=False):
    """``nn-ref playground``: serve the app until interrupted. Returns the exit status (2: bad port or no
    Streamlit, with one line on stderr). SIGTERM, SIGINT and SIGHUP to the launcher are forwarded to the
    Streamlit server, and the launcher returns when the server has stopped."""
    if not 1 <= int(port) <= 65535:
        print(f"nn-ref playground: error: --port: expected 1 .. 65535, got {port}", file=sys.stderr)
        return 2
    if not have_streamlit():
        print(f"nn-ref playground: error: the playground needs Streamlit: {INSTALL}", file=sys.stderr)
        return 2
    print(f"nn-ref playground: http://127.0.0.1:{int(port)}  (Ctrl+C stops it)", flush=True)
    linux = sys.platform.startswith("linux")
    server = subprocess.Popen(
        streamlit_command(port, headless), env=streamlit_env(), preexec_fn=_die_with_parent if linux else None
    )
    received = []

    def forward(signum, frame):
        received.append(signum)
        if server.poll() is None:
            server.send_signal(signum)

    previous = {s: signal.signal(s, forward) for s in FORWARDED}
    try:
        status = server.wait()
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
    return 0 if received or status < 0 else status
