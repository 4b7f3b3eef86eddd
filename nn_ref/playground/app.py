"""nn-ref playground: the lecture's network trained live in the browser (Streamlit script).

Started by ``nn-ref playground`` (``streamlit run`` on this file, bound to 127.0.0.1). The controls in the
sidebar are every knob of the lecture; the configuration lives in the URL query string (read on start,
written on every valid change), so a link reproduces a setting. Every change of a setting starts a new run;
Play trains ``updates per frame`` updates per frame in a fragment that reruns every FRAME_S seconds.

Work is bounded and stops when asked: a frame trains for at most ``model.FRAME_BUDGET_S`` seconds, and
before every update it reads the session state, which is Streamlit's yield point: a pending Pause, Reset,
control change or closed session interrupts the frame there. The network, the boundary and the charts are
inline images drawn by the server with a fixed size, so a frame replaces them in place (nothing to fetch,
nothing moves).
The state and the numbers come from ``nn_ref.playground.model`` (no Streamlit there), the pictures from
``nn_ref.playground.draw``.
"""

import html
import json
import os
import re
import time
from dataclasses import asdict, replace

import numpy as np
import streamlit as st

from nn_ref.kernels import available_backends
from nn_ref.optim import OPTIMIZERS
from nn_ref.playground import STATUS_ENV, draw, model

FRAME_S = 0.08  # the live view's fragment reruns at most every FRAME_S seconds while playing
MAX_CURVE_POINTS = 120  # curves are thinned to about this many points
LOG_DOMAIN = [1e-8, 1e3]  # ||dW[l]|| and the spread of A[l] share this log axis (values outside are clamped)
VIEW_COLUMNS = [2.25, 1.05, 1.7]  # network | boundary | cost; the +/- unit buttons sit above the first
RUN_FIELDS = [name for name in model.FIELDS if name != "updates_per_frame"]  # a change here starts a new run
# no padding above the page, fixed picture and status sizes, and no fading of the views while a frame is computed
# (Streamlit dims "stale" elements during a rerun: at 5-10 frames/s that is a flicker)
CSS = """<style>
.block-container {padding-top: 3rem; padding-bottom: 1rem;}
[data-testid="stSidebarContent"] {padding-top: 0.5rem;}
.nnref-img img {max-width: 100%; height: auto;}
.nnref-fill img {width: 100%;}
[class*="st-key-units_"] button {padding: 0 0.45rem; min-height: 1.9rem; min-width: 1.6rem;}
[data-stale="true"], [data-stale="true"] *, [data-testid="stExpander"] {
  opacity: 1 !important; transition: none !important;}
.nnref-status {height: 2.6em; overflow: hidden; font-size: 0.8rem; line-height: 1.3em; color: #555;}
</style>"""

ss = st.session_state


@st.cache_resource
def backends():
    """The kernel backends that can run here (numpy always; cpu with numba; cuda with a GPU)."""
    return tuple(available_backends())


def plain(text):
    """``text`` shown as typed: Markdown's special characters escaped (a URL value is not a link)."""
    return re.sub(r"([\\`*_{}\[\]()#<>~$:|])", r"\\\1", str(text))


def write_status(**extra):
    """With $NN_REF_PLAYGROUND_STATUS set: the server's state as JSON (t, the time of the last update,
    playing), written to a temporary file and renamed (never half-written). The browser test reads it."""
    path = os.environ.get(STATUS_ENV)
    pg = ss.get("pg")
    if not path or pg is None:
        return
    state = {"t": pg.t, "last_update": pg.last_update_time, "playing": bool(ss.get("playing")), **extra}
    with open(f"{path}.tmp", "w") as f:
        json.dump(state, f)
    os.replace(f"{path}.tmp", path)


# ----------------------------------------------------------------------------- state and URL
def load_query_once():
    """On a session's first run: the configuration from the URL (bad entries reported, defaults kept)."""
    if "cfg_loaded" in ss:
        return
    config, problems = model.from_query(st.query_params.to_dict(), backends())
    for name, value in asdict(config).items():
        ss[f"cfg_{name}"] = value
    ss.cfg_features = model.parse_features(config.features)  # the multiselect holds a list
    ss.url_problems = problems
    ss.cfg_loaded = True
    ss.playing = False
    ss.frames = 0
    ss.frame_times = []


def current_config():
    values = {name: ss[f"cfg_{name}"] for name in model.FIELDS}
    values["features"] = ",".join(ss.cfg_features)
    return model.Config(**values)


def write_query(config):
    """The URL query string <- the settings that differ from the defaults (only when it changed)."""
    wanted = model.to_query(config)
    if st.query_params.to_dict() != wanted:
        st.query_params.from_dict(wanted)


def new_run(config):
    """A fresh Playground for ``config`` (a new trainer: t = 0, new initialization)."""
    ss.frames, ss.frame_times, ss.last_drawn_t = 0, [], None
    try:
        ss.pg = model.Playground(config, backends())
    except Exception as exc:  # a backend that fails here: say so, keep the controls alive
        ss.pg, ss.playing = None, False
        st.error(plain(f"Could not start a run with this configuration: {type(exc).__name__}: {exc}"))


# ----------------------------------------------------------------------------- button callbacks
def on_play(play):
    """Play (True) or Pause (False). Not a toggle: the button says which, so a click that reaches the
    server twice (Streamlit may replay a trigger into a coalesced rerun) still means what was shown."""
    if play and not ss.playing:
        ss.frame_times = []  # frames/s is measured from the last Play on
    ss.playing = play


def on_step():
    ss.playing = False
    if ss.get("pg") is not None:
        ss.pg.step(1)


def on_reset():
    ss.playing = False
    ss.pg = None


def on_dataset():
    """A new data set gets the output it needs (linear for regression, softmax for K > 2 classes)."""
    ss.cfg_output_activation = model.fitting_output(current_config())


def on_layers(change, layer=None):
    """+/- a hidden layer (a new one copies the last width), or +/- a unit in hidden layer ``layer``."""
    try:
        sizes = model.parse_hidden(ss.cfg_hidden)
    except ValueError:
        return  # a bad value typed in stays for the user to fix (its message is on screen)
    if change == "add_layer":
        sizes.append(sizes[-1] if sizes else 4)
    elif change == "remove_layer" and sizes:
        sizes.pop()
    elif change == "add_unit":
        sizes[layer - 1] += 1  # may pass the limit: refused with a message, like typing it
    elif change == "remove_unit":
        sizes[layer - 1] -= 1  # may reach 0: refused with a message, like typing it
    ss.cfg_hidden = ",".join(map(str, sizes))


# ----------------------------------------------------------------------------- the sidebar
def controls():
    sb = st.sidebar
    sb.markdown("**Data**")
    sb.selectbox("data set", model.DATASETS, key="cfg_dataset", on_change=on_dataset)
    if ss.cfg_dataset == "spirals":
        sb.number_input("classes K", step=1, key="cfg_classes", on_change=on_dataset)
    sb.number_input("samples m", step=50, key="cfg_m")
    sb.number_input(
        "noise",
        step=0.05,
        format="%.3f",
        key="cfg_noise",
        help="moons', spirals' and regression's noise, blobs' sigma, a Gaussian jitter for flower and xor",
    )
    sb.slider("test fraction", 0.05, 0.9, step=0.05, key="cfg_test_fraction")
    sb.selectbox(
        "input normalization",
        model.NORMALIZATIONS,
        key="cfg_normalization",
        help="fitted on the training set, applied to train and test [Normalizing Input Data]",
    )
    sb.multiselect(
        "input features A[0]",
        tuple(model.FEATURES),
        key="cfg_features",
        help="computed from the normalized x1, x2, as in TensorFlow Playground",
    )

    sb.markdown("**Network**")
    sb.text_input(
        "hidden layers n[1], ..., n[L-1]",
        key="cfg_hidden",
        help=f"units per hidden layer, comma-separated (at most {model.LIMITS['units'][1]} per layer); "
        "the buttons above the network add and remove layers and units",
    )
    sb.selectbox("hidden activation g", model.HIDDEN_ACTIVATIONS, key="cfg_hidden_activation")
    sb.selectbox(
        "output activation",
        model.OUTPUTS,
        key="cfg_output_activation",
        help="sigmoid: n[L] = 1, cross-entropy; softmax: n[L] = K, categorical cross-entropy; linear: mse",
    )
    sb.checkbox("batch norm (hidden layers)", key="cfg_batchnorm")
    sb.selectbox(
        "initializer",
        model.INITIALIZERS,
        key="cfg_init",
        help="zeros; normal: W ~ N(0, sigma^2); xavier: N(0, 2/(r_in + r_out)); he: N(0, 2/r_in)",
    )
    sb.number_input("sigma (normal initializer)", step=0.01, format="%.4g", key="cfg_sigma")

    sb.markdown("**Optimization**")
    sb.selectbox("optimizer", tuple(OPTIMIZERS), key="cfg_optimizer")
    sb.text_input("learning rate alpha_0", key="cfg_lr")
    sb.selectbox(
        "schedule",
        model.SCHEDULES,
        key="cfg_schedule",
        help="sized to the horizon T, as nn-ref train --schedule (cyclical: triangular2, step 2 epochs)",
    )
    sb.number_input("schedule horizon T (updates)", step=500, key="cfg_horizon")
    sb.number_input("batch size b (0: all)", step=1, key="cfg_batch_size")
    sb.number_input(
        "batch multiplier k",
        step=1,
        key="cfg_batch_multiplier",
        help="gradient accumulation: one update per k mini-batches",
    )
    sb.number_input("seed", step=1, key="cfg_seed")
    sb.selectbox("backend", backends(), key="cfg_backend")
    sb.number_input(
        "updates per frame",
        step=5,
        key="cfg_updates_per_frame",
        help=f"at most {model.LIMITS['updates_per_frame'][1]}; a frame trains at most "
        f"{model.FRAME_BUDGET_S} s whatever this asks",
    )


def buttons(pg, problems):
    """Play/Pause, Step, Reset, +/- layer; then, as in TensorFlow Playground, +/- a unit above every hidden
    layer's column of the network picture."""
    try:
        sizes = model.parse_hidden(ss.cfg_hidden)
    except ValueError:
        sizes = []
    b = st.columns([1.1, 1, 1, 1.3, 1.3, 4.5])
    cannot = pg is None or pg.stopped or bool(problems)
    b[0].button(
        "Pause" if ss.playing else "Play", on_click=on_play, args=(not ss.playing,), key="play", disabled=cannot
    )
    b[1].button("Step", on_click=on_step, key="step", disabled=cannot)
    b[2].button("Reset", on_click=on_reset, key="reset")
    b[3].button("+ layer", on_click=on_layers, args=("add_layer",), key="add_layer", help="append a hidden layer")
    b[4].button("- layer", on_click=on_layers, args=("remove_layer",), key="remove_layer", help="drop the last one")
    cells = st.columns(VIEW_COLUMNS)[0].columns(draw.column_cells(len(sizes) + 2), gap=None)
    for l in range(1, len(sizes) + 1):
        with cells[l].container(key=f"units_{l}", horizontal=True, horizontal_alignment="center", gap=None):
            st.button(
                "+", on_click=on_layers, args=("add_unit", l), key=f"add_unit_{l}", help=f"one more unit in A[{l}]"
            )
            st.button(
                "-",
                on_click=on_layers,
                args=("remove_unit", l),
                key=f"remove_unit_{l}",
                help=f"one unit less in A[{l}]",
            )


# ----------------------------------------------------------------------------- the charts (drawn by the server)
def _thin(n):
    """Indices 0 .. n-1 thinned to about MAX_CURVE_POINTS (the last one kept)."""
    step = max(1, n // MAX_CURVE_POINTS)
    keep = list(range(0, n, step))
    return keep + ([n - 1] if n and keep[-1] != n - 1 else [])


GREY, BLUE, RED = (175, 175, 175), (31, 119, 180), (214, 39, 40)


def cost_chart(pg):
    """The mini-batch cost of every update beside the train and test cost (eval mode), against t."""
    b, c = _thin(len(pg.batch_costs)), _thin(len(pg.curve["t"]))
    t = np.asarray(pg.curve["t"], float)[c]
    series = [
        ("mini-batch", np.asarray(b, float) + 1, np.asarray(pg.batch_costs)[b], GREY, 1),
        ("train", t, np.asarray(pg.curve["train_cost"])[c], BLUE, 2),
        ("test", t, np.asarray(pg.curve["test_cost"])[c], RED, 2),
    ]
    return draw.line_chart(series, ("mse" if pg.regression else "cost J") + " against t")


def history_chart(pg, key, name, title):
    """Per layer over t on the shared log axis LOG_DOMAIN: ||dW[l]|| ("norms") or the spread of A[l]."""
    h = pg.grad_history
    keep = _thin(len(h["t"]))
    t = np.asarray(h["t"], float)[keep]
    values = np.asarray([h[key][i] for i in keep], float).reshape(len(keep), -1)
    series = [
        (f"{name}[{l + 1}]", t, values[:, l], draw.LAYER_COLORS[l % len(draw.LAYER_COLORS)], 2)
        for l in range(values.shape[1])
    ]
    return draw.line_chart(series, title, log_domain=LOG_DOMAIN)


def lr_chart(pg):
    """The schedule lr(t) over 0 .. max(T, t), the current t as a red line."""
    ts, lrs = pg.lr_curve(points=100)
    return draw.line_chart([("lr(t)", ts, lrs, BLUE, 2)], f"schedule: {pg.config.schedule}", marker_x=pg.t)


def picture(where, img, alt, kind="png", fill=False):
    """An RGB array as an inline image of fixed aspect (no file to fetch: nothing to break between frames);
    ``fill``: as wide as its column (the network, so that the +/- unit buttons stand above its layers)."""
    h, w = img.shape[:2]
    css = "nnref-img nnref-fill" if fill else "nnref-img"
    where.html(f'<div class="{css}"><img src="{draw.data_uri(img, kind)}" width="{w}" height="{h}" alt="{alt}"></div>')


# ----------------------------------------------------------------------------- one frame
def _yield_point():
    """Reading the session state is Streamlit's yield point: a pending Pause, Reset, control change or
    closed session raises here (and ends this frame)."""
    return "playing" in ss


def frame():
    """Train one frame's updates (when playing), then draw every live view."""
    pg = ss.get("pg")
    if pg is None:
        st.info("Press Reset or change a setting to start a run.")
        return
    start = time.perf_counter()
    stopped = False
    if ss.playing:
        try:
            budget = ss.get("frame_budget_s", model.FRAME_BUDGET_S)  # (the AppTests lift it: exact counts)
            pg.step(pg.config.updates_per_frame, budget_s=budget, yield_point=_yield_point)
        finally:
            write_status()
        if pg.stopped:
            ss.playing, stopped = False, True
        ss.frame_times = (ss.frame_times + [time.perf_counter()])[-30:]
    if pg.curve["t"][-1] != pg.t and pg.error is None:
        pg.record()
    ss.frames += 1
    if ss.playing or stopped:  # the updates between this frame and the one before
        ss.updates_per_frame_seen = pg.t - ss.last_drawn_t if ss.get("last_drawn_t") is not None else pg.t
    ss.last_drawn_t = pg.t
    times = ss.frame_times
    fps = (len(times) - 1) / (times[-1] - times[0]) if len(times) >= 2 and times[-1] > times[0] else 0.0

    c = pg.curve
    score = "" if pg.regression else f", accuracy {c['train_accuracy'][-1]:.3f} / {c['test_accuracy'][-1]:.3f}"
    status = (
        f"frame {ss.frames} | t = {pg.t} updates (epoch {pg.trainer.epoch + 1}) | "
        f"{ss.get('updates_per_frame_seen', 0)} updates/frame | {fps:.1f} frames/s "
        f"(server {ss.get('frame_ms', 0):.0f} ms/frame) | "
        f"cost train / test {c['train_cost'][-1]:.4g} / {c['test_cost'][-1]:.4g}{score} | "
        f"lr {pg.current_lr():.3g}"
    )
    ss.status_text = status
    # two lines of fixed height: a longer number never pushes the views down
    st.markdown(f'<div class="nnref-status">{html.escape(status)}</div>', unsafe_allow_html=True)
    if pg.error is not None:
        st.error(plain(f"Training stopped: {pg.error}  (change a setting or press Reset to start again)"))
    elif pg.finished is not None:
        st.info(plain(f"Done: {pg.finished}. Reset, or change a setting, to train again."))

    stats = pg.layer_stats()
    ss.grad_norms = stats["grad_norms"]
    net, bound, cost = st.columns(VIEW_COLUMNS)
    picture(net, draw.network_image(pg), "the network: each unit's output over the input plane", "jpeg", fill=True)
    net.caption(f"layer_dims {pg.layer_dims}: links blue > 0, orange < 0, thickness |W|")
    img = draw.boundary_image(pg)
    ss.boundary_hash = draw.image_hash(img)
    picture(bound, img, "the decision boundary")
    bound.caption("squares: train, rings: test" if not pg.regression else "prediction; squares train, rings test")
    picture(cost, cost_chart(pg), "the cost against t")

    a, b, d = st.columns(3)
    picture(a, history_chart(pg, "norms", "dW", "||dW[l]|| against t (log axis shared ->)"), "gradient sizes")
    picture(b, history_chart(pg, "spread", "A", "std of A[l] against t (same log axis)"), "activation spread")
    picture(d, lr_chart(pg), "the learning rate against t")

    with st.expander("The next step's equations and shapes (nn-ref trace)", expanded=False):
        text = pg.trace_text() if not ss.playing else None
        if text is not None:
            st.caption(
                f"the first 2 training samples, the current parameters, learning rate {pg.current_lr():.4g}; "
                f"the update line is plain gradient descent (the run uses {pg.config.optimizer})"
            )
            st.code(text, language=None)
        elif ss.playing:
            st.caption("pause or step to see the next step's equations and shapes")
        else:
            st.caption(
                f"shown for nets without batch norm and at most {model.TRACE_MAX_UNITS} units in "
                f"{model.TRACE_MAX_LAYERS} layers"
            )
    ss.frame_ms = 1000 * (time.perf_counter() - start)  # the previous frame's, shown in the caption
    if stopped:
        st.rerun()  # the Play button and the timer follow the stopped run


# ----------------------------------------------------------------------------- the page
def main():
    st.set_page_config(page_title="nn-ref playground", layout="wide")
    st.html(CSS)
    load_query_once()
    controls()
    for problem in ss.url_problems:
        st.warning(plain(problem))

    config = current_config()
    problems = model.validate(config, backends())
    if problems:
        ss.playing = False
        for problem in problems:
            st.error(plain(f"Refused: {problem}"))
        if ss.get("pg") is not None:
            st.info("showing the last valid configuration; fix the setting above to start a new run")
    else:
        write_query(config)
        pg = ss.get("pg")
        if pg is None or [getattr(pg.config, f) for f in RUN_FIELDS] != [getattr(config, f) for f in RUN_FIELDS]:
            new_run(config)
        else:
            pg.config = replace(pg.config, updates_per_frame=config.updates_per_frame)
    write_status()
    buttons(ss.get("pg"), problems)
    st.fragment(run_every=FRAME_S if ss.playing else None)(frame)()


main()
