"""nn-ref playground: the lecture's network trained live in the browser (Streamlit script).

Started by ``nn-ref playground`` (``streamlit run`` on this file, bound to 127.0.0.1). The controls in the
sidebar are every knob of the lecture; the configuration lives in the URL query string (read on start,
written on every change), so a link reproduces a setting. Every change of a setting starts a new run;
Play trains ``updates per frame`` updates per frame in a fragment that reruns every FRAME_S seconds.
The state and the numbers come from ``nn_ref.playground.model`` (no Streamlit there).
"""

import time
from dataclasses import asdict, replace

import numpy as np
import pandas as pd
import streamlit as st

from nn_ref.kernels import available_backends
from nn_ref.optim import OPTIMIZERS
from nn_ref.playground import model

FRAME_S = 0.1  # the live view's fragment reruns at most every FRAME_S seconds while playing
MAX_CURVE_POINTS = 300  # curves are thinned to about this many points
CHOICES = {
    "dataset": model.DATASETS,
    "normalization": model.NORMALIZATIONS,
    "hidden_activation": model.HIDDEN_ACTIVATIONS,
    "output_activation": model.OUTPUTS,
    "init": model.INITIALIZERS,
    "optimizer": tuple(OPTIMIZERS),
    "schedule": model.CLI_SCHEDULES,
}
RUN_FIELDS = [name for name in model.FIELDS if name != "updates_per_frame"]  # a change here starts a new run

ss = st.session_state


@st.cache_resource
def backends():
    """The kernel backends that can run here (numpy always; cpu with numba; cuda with a GPU)."""
    return tuple(available_backends())


# ----------------------------------------------------------------------------- state and URL
def load_query_once():
    """On a session's first run: the configuration from the URL (bad entries reported, defaults kept)."""
    if "cfg_loaded" in ss:
        return
    config, problems = model.from_query(st.query_params.to_dict())
    values = asdict(config)
    CHOICES["backend"] = backends()
    for name, options in CHOICES.items():
        if values[name] not in options:
            problems.append(
                f"URL: {name}={values[name]!r} is not one of {list(options)}; kept {getattr(model.DEFAULTS, name)!r}"
            )
            values[name] = getattr(model.DEFAULTS, name)
    for name, value in values.items():
        ss[f"cfg_{name}"] = value
    ss.url_problems = problems
    ss.cfg_loaded = True
    ss.playing = False
    ss.frames = 0
    ss.frame_times = []


def current_config():
    return model.Config(**{name: ss[f"cfg_{name}"] for name in model.FIELDS})


def write_query(config):
    """The URL query string <- the settings that differ from the defaults (only when it changed)."""
    wanted = model.to_query(config)
    if st.query_params.to_dict() != wanted:
        st.query_params.from_dict(wanted)


def new_run(config):
    """A fresh Playground for ``config`` (a new trainer: t = 0, new initialization)."""
    ss.frames, ss.frame_times, ss.last_drawn_t = 0, [], None
    try:
        with st.spinner("building the network (a numba backend compiles on first use)..."):
            ss.pg = model.Playground(config, backends())
    except Exception as exc:  # a backend that fails here: say so, keep the controls alive
        ss.pg, ss.playing = None, False
        st.error(f"Could not start a run with this configuration: {type(exc).__name__}: {exc}")


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


def _hidden_sizes():
    try:
        return model.parse_hidden(ss.cfg_hidden)
    except ValueError:
        return None


def on_layers(change):
    """+/- a hidden layer (a new one copies the last width) or +/- a unit in the last hidden layer."""
    sizes = _hidden_sizes()
    if sizes is None:
        return
    if change == "add_layer":
        sizes.append(sizes[-1] if sizes else 4)
    elif change == "remove_layer" and sizes:
        sizes.pop()
    elif change == "add_unit" and sizes:
        sizes[-1] += 1
    elif change == "remove_unit" and sizes:
        sizes[-1] -= 1  # may reach 0: refused with a message, like typing it
    ss.cfg_hidden = ",".join(map(str, sizes))


# ----------------------------------------------------------------------------- the sidebar
def controls():
    sb = st.sidebar
    sb.header("Data")
    sb.selectbox("data set", model.DATASETS, key="cfg_dataset")
    if ss.cfg_dataset == "spirals":
        sb.number_input("classes K", step=1, key="cfg_classes")
    sb.number_input("samples m", step=50, key="cfg_m")
    sb.number_input(
        "noise",
        step=0.05,
        format="%.3f",
        key="cfg_noise",
        help="moons' and spirals' noise, blobs' sigma, a Gaussian jitter for flower and xor",
    )
    sb.slider("test fraction", 0.05, 0.9, step=0.05, key="cfg_test_fraction")
    sb.selectbox(
        "input normalization",
        model.NORMALIZATIONS,
        key="cfg_normalization",
        help="fitted on the training set, applied to train and test [Normalizing Input Data]",
    )

    sb.header("Network")
    sb.text_input(
        "hidden layers n[1], ..., n[L-1]",
        key="cfg_hidden",
        help="units per hidden layer, comma-separated: layer_dims = [2, ..., n[L]]",
    )
    c = sb.columns(2)
    c[0].button("+ layer", on_click=on_layers, args=("add_layer",), key="add_layer", help="append a hidden layer")
    c[1].button(
        "- layer", on_click=on_layers, args=("remove_layer",), key="remove_layer", help="drop the last hidden layer"
    )
    c = sb.columns(2)
    c[0].button(
        "+ unit", on_click=on_layers, args=("add_unit",), key="add_unit", help="one more unit in the last hidden layer"
    )
    c[1].button(
        "- unit",
        on_click=on_layers,
        args=("remove_unit",),
        key="remove_unit",
        help="one unit less in the last hidden layer",
    )
    sb.selectbox("hidden activation g", model.HIDDEN_ACTIVATIONS, key="cfg_hidden_activation")
    sb.selectbox(
        "output activation",
        model.OUTPUTS,
        key="cfg_output_activation",
        help="sigmoid: n[L] = 1 and cross-entropy; softmax: n[L] = K and categorical cross-entropy",
    )
    sb.checkbox("batch norm (hidden layers)", key="cfg_batchnorm")
    sb.selectbox(
        "initializer",
        CHOICES["init"],
        key="cfg_init",
        help="zeros; normal: W ~ N(0, sigma^2); xavier: N(0, 2/(r_in + r_out)); he: N(0, 2/r_in)",
    )
    sb.number_input("sigma (normal initializer)", step=0.01, format="%.4g", key="cfg_sigma")

    sb.header("Optimization")
    sb.selectbox("optimizer", tuple(OPTIMIZERS), key="cfg_optimizer")
    sb.text_input("learning rate alpha_0", key="cfg_lr")
    sb.selectbox(
        "schedule",
        model.CLI_SCHEDULES,
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
    sb.number_input("updates per frame", step=5, key="cfg_updates_per_frame")


# ----------------------------------------------------------------------------- the charts (Vega-Lite specs)
def _thin(rows):
    step = max(1, len(rows) // MAX_CURVE_POINTS)
    return rows[::step] + ([rows[-1]] if (len(rows) - 1) % step else [])


def _finite(x):
    return float(x) if np.isfinite(x) else None


# Every chart is a constant Vega-Lite spec plus a data frame: with the spec unchanged from frame to frame the
# browser only swaps the data in the chart it has, instead of building a new chart (that keeps frames cheap).
def _x_t():
    return {"field": "t", "type": "quantitative", "title": "update t"}


def curve_chart(pg, kind):
    """Train and test {kind} (cost or accuracy) against t."""
    c = pg.curve
    rows = [
        {"t": c["t"][i], "set": s, kind: _finite(v)}
        for i in _thin(list(range(len(c["t"]))))
        for s, v in (("train", c[f"train_{kind}"][i]), ("test", c[f"test_{kind}"][i]))
    ]
    spec = {
        "mark": {"type": "line"},
        "height": 190,
        "title": f"{kind} (train / test, eval mode)",
        "encoding": {
            "x": _x_t(),
            "y": {"field": kind, "type": "quantitative"},
            "color": {"field": "set", "type": "nominal"},
            "strokeDash": {"field": "set", "type": "nominal"},
        },
    }
    return pd.DataFrame(rows, columns=["t", "set", kind]), spec


def activation_chart(stats):
    """Histograms of A[l] over units and samples, one panel per layer."""
    rows = []
    for l, A in enumerate(stats["A"], start=1):
        centers, counts = model.histogram(A)
        rows += [{"layer": f"A[{l}]", "value": float(x), "count": int(n)} for x, n in zip(centers, counts)]
    spec = {
        "mark": "bar",
        "height": 130,
        "width": 130,
        "title": "activations A[l] on the training set (histograms over units and samples)",
        "encoding": {
            "x": {"field": "value", "type": "quantitative", "title": None},
            "y": {"field": "count", "type": "quantitative", "title": None},
            "column": {"field": "layer", "type": "nominal", "title": None, "sort": None},
        },
        "resolve": {"scale": {"x": "independent", "y": "independent"}},
    }
    return pd.DataFrame(rows, columns=["layer", "value", "count"]), spec


def grad_bar_chart(stats):
    """||dW[l]||_F per layer now, on a log axis (bars from a tenth of the smallest: a log axis has no 0)."""
    norms = [max(n, 1e-30) if np.isfinite(n) else None for n in stats["grad_norms"]]
    floor = min([n for n in norms if n is not None] or [1.0]) / 10
    rows = [{"layer": f"dW[{l}]", "norm": n, "floor": floor} for l, n in enumerate(norms, start=1)]
    spec = {
        "mark": "bar",
        "height": 190,
        "title": "||dW[l]|| now (log scale)",
        "encoding": {
            "x": {"field": "layer", "type": "nominal", "sort": None, "title": None},
            "y": {"field": "norm", "type": "quantitative", "scale": {"type": "log"}, "title": "||dW[l]||_F"},
            "y2": {"field": "floor"},
        },
    }
    return pd.DataFrame(rows, columns=["layer", "norm", "floor"]), spec


def grad_history_chart(pg):
    h = pg.grad_history
    keep = _thin(list(range(len(h["t"]))))
    rows = [
        {"t": h["t"][i], "layer": f"dW[{l}]", "norm": max(n, 1e-30)}
        for i in keep
        for l, n in enumerate(h["norms"][i], start=1)
        if np.isfinite(n)
    ]
    spec = {
        "mark": "line",
        "height": 190,
        "title": "||dW[l]|| over t (log scale)",
        "encoding": {
            "x": _x_t(),
            "y": {"field": "norm", "type": "quantitative", "scale": {"type": "log"}, "title": "||dW[l]||_F"},
            "color": {"field": "layer", "type": "nominal", "sort": None},
        },
    }
    return pd.DataFrame(rows, columns=["t", "layer", "norm"]), spec


def lr_chart(pg):
    """The schedule lr(t) over 0 .. max(T, t), the current t as a red rule and point."""
    ts, lrs = pg.lr_curve()
    rows = [{"t": float(t), "lr": float(v), "what": "schedule"} for t, v in zip(ts, lrs)]
    rows.append({"t": float(pg.t), "lr": pg.current_lr(), "what": "now"})
    now = {"filter": "datum.what == 'now'"}
    spec = {
        "height": 190,
        "title": f"lr(t), {pg.config.schedule} (red: t now)",
        "encoding": {"x": _x_t(), "y": {"field": "lr", "type": "quantitative"}},
        "layer": [
            {"transform": [{"filter": "datum.what == 'schedule'"}], "mark": "line"},
            {"transform": [now], "mark": {"type": "rule", "color": "red"}, "encoding": {"y": None}},
            {"transform": [now], "mark": {"type": "point", "color": "red", "filled": True, "size": 60}},
        ],
    }
    return pd.DataFrame(rows, columns=["t", "lr", "what"]), spec


def chart(where, data_and_spec):
    data, spec = data_and_spec
    where.vega_lite_chart(data, spec)


# ----------------------------------------------------------------------------- one frame
def frame():
    """Train one frame's updates (when playing), then draw every live view."""
    pg = ss.get("pg")
    if pg is None:
        return
    start, cpu_start = time.perf_counter(), time.thread_time()
    stopped = False
    if ss.playing:
        if pg.error is None:
            pg.step(ss.cfg_updates_per_frame if ss.cfg_updates_per_frame >= 1 else 1)
        if pg.error is not None:
            ss.playing, stopped = False, True
        now = time.perf_counter()
        ss.frame_times = (ss.frame_times + [now])[-30:]
    if pg.curve["t"][-1] != pg.t and pg.error is None:
        pg.record()
    ss.frames += 1
    if ss.playing or stopped:  # the updates between this frame and the one before
        ss.updates_per_frame_seen = pg.t - ss.last_drawn_t if ss.get("last_drawn_t") is not None else pg.t
    ss.last_drawn_t = pg.t
    times = ss.frame_times
    fps = (len(times) - 1) / (times[-1] - times[0]) if len(times) >= 2 and times[-1] > times[0] else 0.0
    ss.fps = fps

    if pg.error is not None:
        st.error(f"Training stopped: {pg.error}  (change a setting or press Reset to start again)")
    c = pg.curve
    st.caption(
        f"frame {ss.frames} | t = {pg.t} updates (epoch {pg.trainer.epoch + 1}) | "
        f"{ss.get('updates_per_frame_seen', 0)} updates/frame | {fps:.1f} frames/s "
        f"(server {ss.get('frame_ms', 0):.0f} ms/frame, {ss.get('frame_cpu_ms', 0):.0f} ms CPU) | "
        f"train cost {c['train_cost'][-1]:.4g}, accuracy {c['train_accuracy'][-1]:.3f} | "
        f"test cost {c['test_cost'][-1]:.4g}, accuracy {c['test_accuracy'][-1]:.3f}"
    )

    left, mid, right = st.columns([1.1, 1, 1])
    img = model.boundary_image(pg)
    ss.boundary_hash = model.image_hash(img)
    x0, x1, y0, y1 = pg.extent()
    left.image(
        img,
        caption=f"decision boundary, layer_dims {pg.layer_dims}; x1 in [{x0:.2g}, {x1:.2g}], "
        f"x2 in [{y0:.2g}, {y1:.2g}]; filled: train, hollow: test",
    )
    chart(mid, curve_chart(pg, "cost"))
    chart(right, curve_chart(pg, "accuracy"))

    stats = pg.layer_stats()
    ss.grad_norms = stats["grad_norms"]
    chart(st, activation_chart(stats))
    a, b, d = st.columns(3)
    chart(a, grad_bar_chart(stats))
    chart(b, grad_history_chart(pg))
    chart(d, lr_chart(pg))

    text = pg.trace_text() if not ss.playing else None
    if text is not None:
        st.subheader("The next step, as `nn-ref trace` prints it")
        st.caption(
            f"the first 2 training samples, the current parameters, learning rate {pg.current_lr():.4g}; "
            f"the update line is plain gradient descent (the run uses {pg.config.optimizer})"
        )
        st.code(text, language=None)
    elif ss.playing:
        st.caption("pause or step to see the next step's equations and shapes")
    else:
        st.caption(
            f"the step's equations are shown for nets without batch norm and at most "
            f"{model.TRACE_MAX_UNITS} units in {model.TRACE_MAX_LAYERS} layers"
        )
    ss.frame_ms = 1000 * (time.perf_counter() - start)  # the previous frame's, shown in the caption
    ss.frame_cpu_ms = 1000 * (time.thread_time() - cpu_start)
    if stopped:
        st.rerun()  # the Play button and the timer follow the stopped run


# ----------------------------------------------------------------------------- the page
def main():
    st.set_page_config(page_title="nn-ref playground", layout="wide")
    load_query_once()
    controls()
    st.title("nn-ref playground")
    for problem in ss.url_problems:
        st.warning(problem)

    config = current_config()
    problems = model.validate(config, backends())
    if problems:
        ss.playing = False
        for problem in problems:
            st.error(f"Refused: {problem}")
        if ss.get("pg") is not None:
            st.info("showing the last valid configuration; fix the setting above to start a new run")
    else:
        write_query(config)
        pg = ss.get("pg")
        if pg is None or [getattr(pg.config, f) for f in RUN_FIELDS] != [getattr(config, f) for f in RUN_FIELDS]:
            new_run(config)
        else:
            pg.config = replace(pg.config, updates_per_frame=config.updates_per_frame)

    pg = ss.get("pg")
    b = st.columns([1, 1, 1, 5])
    b[0].button(
        "Pause" if ss.playing else "Play",
        on_click=on_play,
        args=(not ss.playing,),
        key="play",
        disabled=pg is None or pg.error is not None or bool(problems),
    )
    b[1].button("Step", on_click=on_step, key="step", disabled=pg is None or pg.error is not None or bool(problems))
    b[2].button("Reset", on_click=on_reset, key="reset")

    st.fragment(run_every=FRAME_S if ss.playing else None)(frame)()


main()
