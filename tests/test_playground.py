"""The playground: its model without Streamlit, its pictures, the lessons' effects, the Streamlit app driven
headless with AppTest (every control, every bad URL value), and the ``nn-ref playground`` command. The
real-browser test is tests/test_playground_browser.py."""

import math
import os
import re
import signal
import subprocess
import sys
import time
import urllib.parse
import urllib.request

import numpy as np
import pytest

from nn_ref import cli, datasets
from nn_ref.playground import APP, draw, model, streamlit_command


# ----------------------------------------------------------------------------- the model
def test_config_round_trips_through_the_url_form():
    config = model.Config(
        dataset="spirals",
        classes=3,
        output_activation="softmax",
        hidden="4,4,4",
        hidden_activation="relu",
        init="normal",
        sigma=0.01,
        lr="0.3",
        batchnorm=True,
        seed=7,
    )
    query = model.to_query(config)
    assert query["sigma"] == "0.01" and query["batchnorm"] == "1" and query["hidden"] == "4,4,4"
    assert "m" not in query  # defaults stay out of the URL
    assert model.from_query(query) == (config, [])
    back, problems = model.from_query({"seed": "x", "colour": "red", "m": "100"})
    assert back.seed == model.DEFAULTS.seed and back.m == 100
    assert len(problems) == 2 and "seed='x'" in problems[0] and "colour" in problems[1]
    features = model.Config(features="x1,x2,x1x2,sin(x1)")
    assert model.from_query(model.to_query(features)) == (features, [])


@pytest.mark.parametrize(
    "changes, setting, fragment",
    [
        ({"hidden": "8,0"}, "hidden", "hidden layer 2 has 0 units"),
        ({"hidden": "8,x"}, "hidden", "hidden layer 2: expected a whole number"),
        ({"hidden": "8,1000000"}, "hidden", "hidden layer 2: expected at most 64 units, got 1000000"),
        ({"hidden": "4," * 9}, "hidden", "hidden layers: expected at most 8 layers, got 9"),
        ({"hidden": "64,64,64,64,64,64"}, "hidden", "has 21057 parameters; the playground draws at most 20000"),
        ({"lr": "0"}, "lr", "learning rate: expected a number > 0, got 0"),
        ({"lr": "-0.1"}, "lr", "learning rate: expected a number > 0, got -0.1"),
        ({"lr": "nan"}, "lr", "learning rate: expected a number > 0"),
        ({"lr": "1e9"}, "lr", "learning rate: expected 1e-08 .. 1000, got 1e9"),
        ({"dataset": "spirals", "classes": 3}, "output_activation", "choose softmax"),
        ({"output_activation": "linear"}, "output_activation", "moons is a classification"),
        ({"dataset": "regression"}, "output_activation", "regression needs linear"),
        ({"batchnorm": True, "batch_size": 1}, "batchnorm", "batch norm needs mini-batches of at least 2"),
        ({"sigma": 0.0}, "sigma", "sigma: expected 1e-06 .. 100, got 0.0"),
        ({"batch_multiplier": 0}, "batch_multiplier", "batch multiplier k: expected 1 .. 64, got 0"),
        ({"seed": -1}, "seed", "seed: expected 0 .. 4294967295, got -1"),
        ({"updates_per_frame": 100000000}, "updates_per_frame", "updates per frame: expected 1 .. 500"),
        ({"test_fraction": 3.0}, "test_fraction", "test fraction: expected 0.05 .. 0.9, got 3.0"),
        ({"m": 10**6}, "m", "samples m: expected 20 .. 5000, got 1000000"),
        ({"features": "x1,x3"}, "features", "input features: expected names from"),
        ({"features": ""}, "features", "input features: expected at least one"),
    ],
)
def test_impossible_settings_are_refused_with_a_message_naming_the_setting(changes, setting, fragment):
    config = model.Config(**changes)
    problems = model.check(config)
    assert list(problems) == [setting] and fragment in problems[setting], problems
    with pytest.raises(ValueError, match=re.escape(fragment)):
        model.Playground(config)


def test_xor_is_seeded_and_labels_the_quadrants():
    X, Y = model.xor(400, noise=0.0, seed=3)
    assert X.shape == (2, 400) and Y.shape == (1, 400)
    np.testing.assert_array_equal(Y[0], (X[0] * X[1] > 0).astype(float))
    np.testing.assert_array_equal(model.xor(400, 0.2, 3)[0], model.xor(400, 0.2, 3)[0])
    assert 0.4 < Y.mean() < 0.6


def test_playground_builds_the_configured_network_and_trains_it():
    pg = model.Playground(
        model.Config(
            dataset="spirals",
            classes=3,
            output_activation="softmax",
            hidden="6",
            normalization="minmax",
            batch_size=16,
            batch_multiplier=3,
            m=240,
        )
    )
    assert pg.layer_dims == [2, 6, 3] and pg.Y_train.shape == (3, 192)
    assert pg.X_train.min() == pytest.approx(0.0) and pg.X_train.max() == pytest.approx(1.0)
    assert pg.updates_per_epoch == 4  # 192 / 16 = 12 mini-batches, 3 per update
    assert pg.step(8) == 8 and pg.t == 8 and pg.trainer.epoch == 2
    img = draw.boundary_image(pg)
    assert img.shape == (model.GRID * model.PIXELS, model.GRID * model.PIXELS, 3) and img.dtype == np.uint8
    # the boundary's colours are the classes' colours mixed by P(class): three classes, three hues
    P = model.boundary_grid(pg)
    assert P.shape == (3, model.GRID, model.GRID)
    np.testing.assert_allclose(P.sum(axis=0), 1.0, rtol=1e-12)


def test_boundary_probabilities_are_the_networks_own_predictions():
    pg = model.Playground(model.Config(dataset="moons", hidden="5", normalization="standard"))
    pg.step(30)
    pred = pg.trainer.predict(pg.X_test)
    P = pg.probabilities(pg.X_test_raw)  # raw points go through the fitted scaler
    np.testing.assert_array_equal((P > 0.5).astype(int), pred)


def test_tiny_sigma_makes_the_tanh_gradients_vanish():
    """The initialization slides' point, as the playground shows it: sigma 1 -> 0.01 with tanh."""
    norms = {}
    for sigma in (1.0, 0.01):
        pg = model.Playground(model.Config(hidden="8,8,8,8", hidden_activation="tanh", init="normal", sigma=sigma))
        norms[sigma] = np.array(pg.layer_stats()["grad_norms"])
    assert norms[1.0].shape == (5,)
    assert np.all(norms[1.0] > 1e-2)
    assert np.all(norms[0.01] < 1e-5)  # every layer's ||dW[l]|| has vanished


def test_divergence_stops_the_run_with_the_trainers_message():
    pg = model.Playground(model.Config(lr="1000", optimizer="sgd", hidden_activation="linear"))
    made = pg.step(50)
    assert made < 50 and pg.t == made
    assert pg.error.startswith("training diverged at update") and "Lower the learning rate" in pg.error
    assert pg.step(5) == 0 and pg.t == made  # stopped: nothing more happens


def test_layer_stats_are_a_forward_and_backward_pass_over_the_training_set():
    from nn_ref import network

    pg = model.Playground(model.Config(hidden="3", hidden_activation="relu"))
    pg.step(5)
    stats = pg.layer_stats()
    params = pg.host_parameters()
    AL, caches = network.forward(pg.X_train, params, "relu", "sigmoid", backend="numpy")
    grads = network.backward(AL, pg.Y_train, caches, "cross_entropy", backend="numpy")
    np.testing.assert_allclose(stats["A"][1], AL)
    np.testing.assert_allclose(stats["A"][0], np.maximum(params["W1"] @ pg.X_train + params["b1"], 0.0))
    np.testing.assert_allclose(stats["grad_norms"], [np.linalg.norm(grads["dW1"]), np.linalg.norm(grads["dW2"])])


def test_trace_text_is_nn_ref_trace_of_the_current_parameters():
    from nn_ref.trace import format_trace, trace

    pg = model.Playground(model.Config(hidden="3"))
    pg.step(3)
    text = pg.trace_text()
    params = pg.host_parameters()
    expected = format_trace(
        trace(
            X=pg.X_train[:, :2],
            Y=pg.Y_train[:, :2],
            parameters=params,
            backend="numpy",
            learning_rate=pg.current_lr(),
            hidden_activation="tanh",
        ),
        precision=3,
    )
    assert text == expected and "Z[1] = W[1] A[0] + b[1]" in text and "(3,2) = (3,2)(2,2) + (3,1)" in text
    assert model.Playground(model.Config(hidden="16,16")).trace_text() is None  # too big to read


def test_lr_curve_is_the_schedule_with_t_now():
    pg = model.Playground(model.Config(schedule="cyclical", lr="0.1", horizon=100))
    ts, lrs = pg.lr_curve(points=101)
    assert ts[-1] == 100 and lrs.max() == pytest.approx(0.1) and lrs.min() == pytest.approx(0.01)
    pg.step(4)
    assert pg.current_lr() == pytest.approx(pg.schedule(4)) and pg.current_lr() > 0.01


# ----------------------------------------------------------------------------- the app, headless
def _app(query=None):
    """The app run once headless (Streamlit's AppTest), with ``query`` as the URL's query string."""
    testing = pytest.importorskip("streamlit.testing.v1", reason="the app needs the app extra: pip install -e '.[app]'")
    at = testing.AppTest.from_file(str(APP), default_timeout=60)
    for k, v in (query or {}).items():
        at.query_params[k] = v
    at.session_state["frame_budget_s"] = 600.0  # every frame makes exactly its updates, whatever the load
    return at.run()


def _shown(element):
    """An element's text as the user reads it (the app escapes Markdown in messages)."""
    return re.sub(r"\\(.)", r"\1", element.value)


def _no_exception(at):
    assert not at.exception, [e.value for e in at.exception]


def test_app_starts_and_draws_the_first_frame():
    at = _app()
    _no_exception(at)
    pg = at.session_state["pg"]
    assert pg.layer_dims == [2, 8, 8, 1] and pg.t == 0
    assert at.session_state["boundary_hash"] == draw.image_hash(draw.boundary_image(pg))
    assert at.session_state["status_text"].startswith("frame 1 | t = 0 updates")
    assert not at.error


def test_step_moves_the_cost_and_redraws_the_boundary():
    at = _app()
    pg = at.session_state["pg"]
    hash0, cost0 = at.session_state["boundary_hash"], pg.curve["train_cost"][-1]
    for _ in range(3):
        at.button(key="step").click().run()
    _no_exception(at)
    assert pg.t == 3 and pg.curve["t"][-1] == 3
    assert pg.curve["train_cost"][-1] != cost0
    assert at.session_state["boundary_hash"] != hash0


def test_play_trains_updates_per_frame_and_pause_stops():
    at = _app()
    at.button(key="play").click().run()
    assert at.session_state["playing"] and at.session_state["pg"].t == 20
    at.run()
    assert at.session_state["pg"].t == 40 and at.session_state["updates_per_frame_seen"] == 20
    at.button(key="play").click().run()  # Pause
    assert not at.session_state["playing"]
    at.run()
    assert at.session_state["pg"].t == 40
    _no_exception(at)


def test_reset_starts_the_same_seeded_run_again():
    at = _app()
    first = at.session_state["boundary_hash"], at.session_state["pg"].curve["train_cost"][0]
    for _ in range(3):
        at.button(key="step").click().run()
    assert at.session_state["boundary_hash"] != first[0]
    at.button(key="reset").click().run()
    pg = at.session_state["pg"]
    assert pg.t == 0 and (at.session_state["boundary_hash"], pg.curve["train_cost"][0]) == first
    _no_exception(at)


def test_a_schedule_that_reaches_zero_ends_the_run_with_a_calm_note():
    pg = model.Playground(model.Config(schedule="polynomial", horizon=30, lr="0.1"))
    assert pg.step(50) == 30 and pg.t == 30  # lr(30) = 0: no update 30
    assert pg.error is None and pg.stopped
    assert pg.finished.startswith("the polynomial schedule reached learning rate 0 at t = 30")
    assert pg.step(5) == 0 and pg.t == 30
    at = _app({"schedule": "polynomial", "horizon": "30", "updates_per_frame": "100"})
    at.button(key="play").click().run()
    _no_exception(at)
    assert at.session_state["pg"].t == 30 and not at.session_state["playing"]
    assert not at.error and any("reached learning rate 0 at t = 30" in _shown(i) for i in at.info)
    assert at.button(key="play").disabled


def test_changing_the_activation_starts_a_new_run_and_changes_the_picture():
    at = _app()
    at.button(key="step").click().run()
    tanh_hash = at.session_state["boundary_hash"]
    at.selectbox(key="cfg_hidden_activation").set_value("relu").run()
    _no_exception(at)
    pg = at.session_state["pg"]
    assert pg.config.hidden_activation == "relu" and pg.trainer.hidden_activation == "relu" and pg.t == 0
    cost0 = pg.curve["train_cost"][-1]
    at.button(key="step").click().run()
    assert pg.t == 1 and pg.curve["train_cost"][-1] != cost0
    assert at.session_state["boundary_hash"] != tanh_hash
    assert at.query_params["hidden_activation"] == ["relu"] or at.query_params["hidden_activation"] == "relu"


def test_bad_learning_rate_and_zero_units_are_refused_and_the_app_keeps_working():
    at = _app()
    pg = at.session_state["pg"]
    at.text_input(key="cfg_lr").set_value("0").run()
    _no_exception(at)
    assert any("learning rate: expected a number > 0, got 0" in _shown(e) for e in at.error)
    assert at.session_state["pg"] is pg  # the last valid run stays on screen
    assert at.button(key="play").disabled
    at.text_input(key="cfg_lr").set_value("0.05").run()
    assert not at.error and at.session_state["pg"].config.lr == "0.05"
    for _ in range(8):  # "- unit" down to 0 units in the last layer
        at.button(key="remove_unit_2").click().run()
    assert at.text_input(key="cfg_hidden").value == "8,0"
    assert any("hidden layer 2 has 0 units" in _shown(e) for e in at.error)
    at.button(key="add_layer").click().run()  # "+ layer" leaves a bad value alone ...
    assert at.text_input(key="cfg_hidden").value == "8,0"
    at.text_input(key="cfg_hidden").set_value("8,8,3").run()  # ... a valid value starts a new run
    assert not at.error and at.session_state["pg"].layer_dims == [2, 8, 8, 3, 1]
    _no_exception(at)


def test_a_diverging_run_stops_with_the_message_and_the_controls_keep_working():
    at = _app({"lr": "1000", "optimizer": "sgd", "hidden_activation": "linear"})
    at.button(key="play").click().run()
    _no_exception(at)
    assert not at.session_state["playing"]
    messages = [_shown(e) for e in at.error]
    assert len(messages) == 1 and messages[0].startswith("Training stopped: training diverged at update")
    assert at.button(key="play").disabled and at.button(key="step").disabled
    at.text_input(key="cfg_lr").set_value("0.01").run()  # a new setting, a new run
    assert not at.error and at.session_state["pg"].error is None
    at.button(key="step").click().run()
    assert at.session_state["pg"].t == 1
    _no_exception(at)


def test_query_string_sets_the_controls_and_changes_are_written_back():
    at = _app({"init": "normal", "sigma": "0.01", "hidden": "8,8,8", "dataset": "xor", "seed": "4"})
    _no_exception(at)
    assert at.selectbox(key="cfg_init").value == "normal" and at.number_input(key="cfg_sigma").value == 0.01
    pg = at.session_state["pg"]
    assert pg.layer_dims == [2, 8, 8, 8, 1] and pg.config.dataset == "xor" and pg.config.seed == 4
    np.testing.assert_array_equal(pg.X_raw, model.xor(300, 0.15, 4)[0])
    assert max(at.session_state["grad_norms"]) < 1e-4  # sigma 0.01: the gradients have vanished
    at.selectbox(key="cfg_optimizer").set_value("momentum").run()
    query = {k: at.query_params[k] for k in at.query_params}
    flat = {k: v[-1] if isinstance(v, list) else v for k, v in query.items()}
    assert flat == {
        "init": "normal",
        "sigma": "0.01",
        "hidden": "8,8,8",
        "dataset": "xor",
        "seed": "4",
        "optimizer": "momentum",
    }
    # the URL of this state, opened afresh, gives the same configuration
    again = _app(flat)
    assert again.session_state["pg"].config == at.session_state["pg"].config


def test_a_bad_url_value_is_reported_and_the_default_kept():
    at = _app({"dataset": "mnist", "seed": "one"})
    _no_exception(at)
    warnings = [_shown(w) for w in at.warning]
    assert any("dataset='mnist'" in w for w in warnings) and any("seed='one'" in w for w in warnings)
    assert at.session_state["pg"].config.dataset == model.DEFAULTS.dataset


def test_softmax_spirals_with_batch_norm_and_a_schedule_run_in_the_app():
    at = _app(
        {
            "dataset": "spirals",
            "classes": "3",
            "output_activation": "softmax",
            "batchnorm": "1",
            "schedule": "cosine",
            "horizon": "100",
            "batch_multiplier": "2",
        }
    )
    at.button(key="play").click().run()
    _no_exception(at)
    pg = at.session_state["pg"]
    assert pg.layer_dims == [2, 8, 8, 3] and pg.trainer.batchnorm and pg.t == 20
    assert pg.current_lr() == pytest.approx(pg.schedule(20)) and pg.current_lr() < 0.01
    assert datasets.labels_of(pg.Y_train).max() == 2


# ----------------------------------------------------------------------------- the command
def test_streamlit_command_binds_to_localhost():
    argv = streamlit_command(port=8765, headless=True)
    assert argv[1:5] == ["-m", "streamlit", "run", str(APP)]
    pairs = dict(zip(argv[5::2], argv[6::2]))
    assert pairs["--server.address"] == "127.0.0.1" and pairs["--server.port"] == "8765"
    assert pairs["--server.headless"] == "true"
    assert APP.is_file() and APP.parent.name == "playground"


def test_cli_without_streamlit_names_the_install_command(monkeypatch, capsys):
    import nn_ref.playground as playground

    monkeypatch.setattr(playground, "have_streamlit", lambda: False)
    assert cli.main(["playground", "--headless"]) == 2
    err = capsys.readouterr().err.strip()
    assert err == 'nn-ref playground: error: the playground needs Streamlit: pip install -e ".[app]"'


def test_cli_refuses_a_bad_port(capsys):
    assert cli.main(["playground", "--port", "70000"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["nn-ref playground: error: --port: expected 1 .. 65535, got 70000"]


def test_the_app_script_ships_in_an_installed_package():
    import pathlib
    import tomllib

    root = pathlib.Path(__file__).resolve().parents[1]
    config = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    assert "nn_ref.playground" in config["tool"]["setuptools"]["packages"]
    assert APP.parent == pathlib.Path(model.__file__).parent and APP.suffix == ".py"  # a module of that package
    extras = config["project"]["optional-dependencies"]
    assert any(r.startswith("streamlit") for r in extras["app"]) and any(
        r.startswith("streamlit") for r in extras["test"]
    )


def test_streamlit_env_turns_the_first_run_prompt_off_unless_the_user_set_it(monkeypatch):
    from nn_ref.playground import streamlit_env

    monkeypatch.delenv("STREAMLIT_SERVER_SHOW_EMAIL_PROMPT", raising=False)
    assert streamlit_env()["STREAMLIT_SERVER_SHOW_EMAIL_PROMPT"] == "false"
    monkeypatch.setenv("STREAMLIT_SERVER_SHOW_EMAIL_PROMPT", "true")
    assert streamlit_env()["STREAMLIT_SERVER_SHOW_EMAIL_PROMPT"] == "true"


# ----------------------------------------------------------------------------- features, regression, limits
def test_input_features_are_their_formulas_of_the_normalized_inputs():
    pg = model.Playground(model.Config(features="x1,x2,x1^2,x2^2,x1x2,sin(x1),sin(x2)", hidden="3"))
    Xs = pg.scaler.transform(pg.X_train_raw)
    x1, x2 = Xs
    expected = np.vstack([x1, x2, x1**2, x2**2, x1 * x2, np.sin(x1), np.sin(x2)])
    np.testing.assert_array_equal(pg.X_train, expected)
    assert pg.layer_dims == [7, 3, 1] and pg.trainer.parameters["W1"].shape == (3, 7)
    assert list(model.FEATURES) == ["x1", "x2", "x1^2", "x2^2", "x1x2", "sin(x1)", "sin(x2)"]


def test_regression_is_a_linear_output_with_the_mse_cost():
    X, Y = model.regression(400, noise=0.0, seed=5)
    np.testing.assert_allclose(Y[0], np.sin(2 * X[0]) + 0.5 * X[1] ** 2, rtol=1e-12)
    assert np.abs(X).max() <= 1.5 and not np.array_equal(model.regression(400, 0.1, 5)[1], Y)
    pg = model.Playground(model.Config(dataset="regression", output_activation="linear", hidden="6"))
    assert pg.regression and pg.trainer.loss == "mse" and pg.layer_dims == [2, 6, 1]
    pred = pg.probabilities(pg.X_train_raw)
    assert pg.curve["train_cost"][0] == pytest.approx(np.mean((pred - pg.Y_train) ** 2), rel=1e-9)
    cost0 = pg.curve["train_cost"][0]
    pg.step(200)
    assert pg.record()["train_cost"] < 0.5 * cost0
    img = draw.boundary_image(pg)  # the surface on the targets' orange-white-blue scale
    assert img.shape == (model.GRID * model.PIXELS,) * 2 + (3,)


def test_a_frame_stops_at_its_time_budget_and_at_a_yield_point():
    pg = model.Playground(model.Config(updates_per_frame=500))
    calls = []
    made = pg.step(10**6, budget_s=0.05, yield_point=lambda: calls.append(pg.t))
    assert 1 <= made < 10**6 and pg.t == made and calls == list(range(made + 1))

    class Paused(Exception):
        pass

    def pause_after_3():
        if pg.t >= made + 3:
            raise Paused

    with pytest.raises(Paused):
        pg.step(100, yield_point=pause_after_3)
    assert pg.t == made + 3 and len(pg.batch_costs) == pg.t  # stopped between updates, nothing half done
    assert abs(pg.last_update_time - time.time()) < 60


def test_unit_maps_are_every_layers_output_over_the_plane():
    pg = model.Playground(model.Config(hidden="3,2", hidden_activation="tanh", features="x1,x2,x1x2"))
    pg.step(5)
    maps = pg.unit_maps(grid=7)
    assert [a.shape for a in maps] == [(3, 7, 7), (3, 7, 7), (2, 7, 7), (1, 7, 7)]
    p = pg.host_parameters()
    A0 = pg.transform(pg.grid_points(7))
    A1 = np.tanh(p["W1"] @ A0 + p["b1"])
    np.testing.assert_allclose(maps[1].reshape(3, -1), A1, rtol=1e-12)
    np.testing.assert_allclose(maps[3].reshape(1, -1), pg.probabilities(pg.grid_points(7)), rtol=1e-12)


# ----------------------------------------------------------------------------- the pictures
def test_diverging_colours_orange_below_white_blue_above():
    rgb = draw.diverging(np.array([-2.0, -1.0, 0.0, 0.5, 1.0, np.nan]))
    np.testing.assert_array_equal(rgb[0], draw.NEGATIVE)
    np.testing.assert_array_equal(rgb[1], draw.NEGATIVE)
    np.testing.assert_array_equal(rgb[2], [255, 255, 255])
    np.testing.assert_allclose(rgb[3], (255 + draw.POSITIVE) / 2)
    np.testing.assert_array_equal(rgb[4], draw.POSITIVE)
    np.testing.assert_array_equal(rgb[5], [255, 255, 255])  # NaN drawn as 0, never hidden: the caption says


def test_links_take_the_colour_of_their_weights_sign():
    """Negating every W (b = 0 at the start, tanh odd) swaps the links' blue and orange exactly."""
    pg = model.Playground(model.Config(hidden="4,4", init="normal", sigma=0.5))

    def counts():
        img = draw.network_image(pg).reshape(-1, 3)
        return [int(np.all(img == np.round(c), axis=1).sum()) for c in (draw.POSITIVE, draw.NEGATIVE)]

    blue, orange = counts()
    for key, value in pg.host_parameters().items():
        if key.startswith("W"):
            pg.trainer.parameters[key][...] = -value
    blue_neg, orange_neg = counts()
    assert blue != blue_neg and blue - blue_neg == orange_neg - orange


def test_test_points_are_rings_in_their_class_colour():
    pg = model.Playground(model.Config(dataset="xor", m=100, noise=0.0))  # spread out: few overlaps
    img = draw.boundary_image(pg).astype(float)
    x0, x1, y0, y1 = pg.extent()
    size = model.GRID * model.PIXELS
    X = np.hstack([pg.X_train_raw, pg.X_test_raw])
    cols = np.round((X[0] - x0) / (x1 - x0) * (size - 1)).astype(int)
    rows = np.round((y1 - X[1]) / (y1 - y0) * (size - 1)).astype(int)
    labels = np.concatenate([datasets.labels_of(pg.Y_train), datasets.labels_of(pg.Y_test)])
    m_train, checked = pg.X_train_raw.shape[1], [0, 0]
    for i, (r, c, k) in enumerate(zip(rows, cols, labels)):
        near = np.maximum(np.abs(rows - r), np.abs(cols - c)) <= 7
        if near.sum() > 1 or not 3 <= min(r, c) <= max(r, c) < size - 3:
            continue  # another point overlaps this one, or it is at the edge
        colour = 0.85 * model.CLASS_COLORS[k]
        if i >= m_train:  # a test point: a ring in its class colour around a white centre
            np.testing.assert_allclose(img[r - 2, c], colour, atol=1)
            np.testing.assert_array_equal(img[r, c], [255, 255, 255])
        else:  # a training point: filled with its class colour
            np.testing.assert_allclose(img[r, c], colour, atol=1)
        checked[i >= m_train] += 1
    assert checked[0] >= 20 and checked[1] >= 5


# ----------------------------------------------------------------------------- the lessons
def _ratio_first_last(pg):
    norms = pg.layer_stats()["grad_norms"]
    return norms[0] / norms[-1]


LESSON_EFFECTS = {  # name -> (updates to make, check of the claim on the Playground after them)
    "vanishing": (
        500,
        lambda pg, base: _ratio_first_last(pg) < 1e-3 and abs(pg.curve["train_cost"][-1] - math.log(2)) < 1e-3,
    ),
    "batchnorm": (500, lambda pg, base: pg.curve["train_cost"][-1] < 0.1 and _ratio_first_last(pg) > 1e-2),
    "exploding": (100, lambda pg, base: max(pg.grad_history["norms"][0]) > 100 and pg.error is not None),
    "lr_too_high": (500, lambda pg, base: pg.curve["train_cost"][-1] > pg.curve["train_cost"][0] > base["cost"]),
    "batch_1": (300, lambda pg, base: np.abs(np.diff(pg.batch_costs)).mean() > 50 * base["jump"]),
    "full_batch": (300, lambda pg, base: pg.batch_costs == sorted(pg.batch_costs, reverse=True)),
    "schedule": (400, lambda pg, base: pg.curve["train_cost"][-1] < 0.3 < base["cost_lr20"]),
    "regression": (500, lambda pg, base: pg.curve["train_cost"][-1] < 0.05 * pg.curve["train_cost"][0]),
}


@pytest.fixture(scope="module")
def baseline():
    """What the lessons compare with: SGD lr 0.1 (b = 32 and full batch) and SGD with lr = 20 constant."""
    out = {}
    pg = model.Playground(model.Config(optimizer="sgd", lr="0.1"))
    pg.step(500)
    out["cost"] = pg.record()["train_cost"]
    full = model.Playground(model.Config(optimizer="sgd", lr="0.1", batch_size=0))
    full.step(300)
    out["jump"] = np.abs(np.diff(full.batch_costs)).mean()
    high = model.Playground(model.Config(optimizer="sgd", lr="20"))
    high.step(400)
    out["cost_lr20"] = high.record()["train_cost"]
    return out


def test_every_lesson_has_an_asserted_effect_and_a_link_in_the_docs():
    assert set(LESSON_EFFECTS) == set(model.LESSONS)
    import pathlib

    page = (pathlib.Path(__file__).resolve().parents[1] / "docs" / "playground.md").read_text(encoding="utf-8")
    for name in model.LESSONS:
        assert f"<http://127.0.0.1:8501/?{model.lesson_query(name)}>" in page, name


@pytest.mark.parametrize("name", list(model.LESSONS))
def test_each_lesson_link_shows_its_effect(name, baseline):
    config, problems = model.from_query(model.LESSONS[name].query)
    assert problems == []
    back, problems = model.from_query(dict(urllib.parse.parse_qsl(model.lesson_query(name))))
    assert back == config and problems == []  # the link's text gives the same setting
    pg = model.Playground(config)
    pg.layer_stats()
    updates, effect = LESSON_EFFECTS[name]
    pg.step(updates)
    if pg.error is None:
        pg.record()
    assert effect(pg, baseline), (name, pg.curve["train_cost"][-1], pg.error)


# ----------------------------------------------------------------------------- every control, every bad URL value
ALTERNATIVES = {  # a valid value other than the default, for every setting (the test below checks all are here)
    "dataset": "xor",
    "m": 200,
    "noise": 0.3,
    "classes": 4,
    "test_fraction": 0.3,
    "normalization": "minmax",
    "features": ["x1", "x2", "x1x2"],
    "hidden": "5,3",
    "hidden_activation": "relu",
    "output_activation": "softmax",
    "init": "he",
    "sigma": 0.5,
    "optimizer": "momentum",
    "lr": "0.05",
    "schedule": "cosine",
    "horizon": 500,
    "batch_size": 16,
    "batch_multiplier": 2,
    "batchnorm": True,
    "seed": 3,
    "backend": "numpy",
    "updates_per_frame": 7,
}
BAD_URL = {  # a value the URL may carry that the playground cannot run, for every setting
    "dataset": "mnist",
    "m": "10",
    "noise": "-1",
    "classes": "9",
    "test_fraction": "3",
    "normalization": "zscore",
    "features": "x1,x9",
    "hidden": "1000000",
    "hidden_activation": "swish",
    "output_activation": "tanh",
    "init": "orthogonal",
    "sigma": "-1",
    "optimizer": "lbfgs",
    "lr": "0",
    "schedule": "warmup",
    "horizon": "0",
    "batch_size": "-5",
    "batch_multiplier": "0",
    "batchnorm": "maybe",
    "seed": "-1",
    "backend": "tpu",
    "updates_per_frame": "100000000",
}


def test_the_tables_cover_every_setting():
    assert set(ALTERNATIVES) == set(model.FIELDS) == set(BAD_URL)


def _widget(at, key):
    for kind in ("selectbox", "number_input", "text_input", "checkbox", "slider", "multiselect"):
        try:
            return getattr(at, kind)(key=key)
        except KeyError:
            continue
    raise LookupError(f"no widget with key {key!r}")


@pytest.mark.parametrize("name", list(model.FIELDS))
def test_every_control_sets_its_setting(name):
    query = {"dataset": "spirals", "output_activation": "softmax"} if name == "classes" else {}
    if name == "output_activation":
        query = {"dataset": "spirals", "classes": "3", "output_activation": "softmax"}
    if name == "backend":  # the default is numpy: the other way round
        from nn_ref.kernels import available_backends

        if "cpu" not in available_backends():
            pytest.skip("one backend here (numba not installed): nothing to choose")
        query = {"backend": "cpu"}
    value = ALTERNATIVES[name]
    at = _app(query)
    if name == "output_activation":  # from a 3-class set's softmax, back to 2 classes with sigmoid and softmax
        at.number_input(key="cfg_classes").set_value(2).run()
        value = "sigmoid"
    before = at.session_state["pg"]
    _widget(at, f"cfg_{name}").set_value(value).run()
    _no_exception(at)
    assert not at.error, [_shown(e) for e in at.error]
    pg = at.session_state["pg"]
    got = getattr(pg.config, name)
    assert got == (",".join(value) if name == "features" else value)
    if name == "updates_per_frame":
        assert pg is before  # not a new run: the next frames make 7 updates
        at.button(key="play").click().run()
        assert pg.t == 7
    else:
        assert pg is not before and pg.t == 0  # a new run
    flat = {k: at.query_params[k] for k in at.query_params}
    flat = {k: v[-1] if isinstance(v, list) else v for k, v in flat.items()}
    assert flat.get(name) == model.to_query(pg.config).get(name)  # written to the URL (unless the default)


def test_every_bad_url_value_is_named_the_default_kept_and_not_written_back():
    at = _app(BAD_URL)  # one link carrying a bad value for every setting
    _no_exception(at)
    warnings = [_shown(w) for w in at.warning]
    for name, text in BAD_URL.items():
        named = [w for w in warnings if w.startswith(f"URL: {name}={text!r}")]
        assert len(named) == 1, (name, warnings)
    assert len(warnings) == len(BAD_URL) and not at.error
    pg = at.session_state["pg"]
    assert pg.config == model.DEFAULTS and pg.t == 0  # every setting at its default ...
    assert dict(at.query_params) == {}  # ... and none of the bad values written back to the URL
    at.button(key="step").click().run()  # and the page works
    assert at.session_state["pg"].t == 1


def test_a_bad_control_value_keeps_the_last_run_and_the_url():
    at = _app({"hidden": "5"})
    pg = at.session_state["pg"]
    at.button(key="step").click().run()
    at.text_input(key="cfg_hidden").set_value("5,0").run()
    assert any("hidden layer 2 has 0 units" in _shown(e) for e in at.error)
    assert at.session_state["pg"] is pg and pg.t == 1
    assert at.query_params["hidden"] in ("5", ["5"])  # the URL still holds the last valid setting
    at.number_input(key="cfg_seed").set_value(-1).run()
    assert any("seed: expected 0 .. 4294967295, got -1" in _shown(e) for e in at.error)
    assert "seed" not in at.query_params and at.session_state["pg"] is pg


def test_url_text_in_a_message_is_shown_as_text_not_as_a_link():
    at = _app({"dataset": "[click](http://example.com)"})
    (warning,) = at.warning
    assert r"\[click\]\(http\://example.com\)" in warning.value  # escaped Markdown: no link
    assert "dataset='[click](http://example.com)'" in _shown(warning)


def test_the_per_layer_buttons_add_and_remove_units_and_layers():
    at = _app({"hidden": "3,5"})
    at.button(key="add_unit_1").click().run()
    assert at.session_state["pg"].layer_dims == [2, 4, 5, 1]
    at.button(key="remove_unit_2").click().run()
    assert at.session_state["pg"].layer_dims == [2, 4, 4, 1]
    at.button(key="add_layer").click().run()
    assert at.session_state["pg"].layer_dims == [2, 4, 4, 4, 1]
    at.button(key="add_unit_3").click().run()
    at.button(key="remove_layer").click().run()
    assert at.session_state["pg"].layer_dims == [2, 4, 4, 1] and at.query_params["hidden"] in ("4,4", ["4,4"])
    _no_exception(at)


def test_choosing_regression_switches_to_the_linear_output_and_back():
    at = _app()
    at.selectbox(key="cfg_dataset").set_value("regression").run()
    _no_exception(at)
    assert not at.error and at.selectbox(key="cfg_output_activation").value == "linear"
    pg = at.session_state["pg"]
    assert pg.regression and pg.trainer.loss == "mse"
    at.button(key="step").click().run()
    assert pg.t == 1 and "accuracy" not in at.session_state["status_text"]
    at.selectbox(key="cfg_dataset").set_value("moons").run()
    assert at.selectbox(key="cfg_output_activation").value == "sigmoid" and not at.error


# ----------------------------------------------------------------------------- the launcher
def test_sigterm_to_the_launcher_stops_its_streamlit_server():
    pytest.importorskip("streamlit", reason="the app extra")
    from nn_ref.playground import measure

    port = measure.free_port()
    launcher = subprocess.Popen(
        [sys.executable, "-m", "nn_ref.cli", "playground", "--headless", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its own group: the cleanup below can reach anything left
    )
    try:
        measure.wait_for(lambda: _healthy(port), 120, "the server to answer")
        children = _children(launcher.pid)
        assert len(children) == 1
        os.kill(launcher.pid, signal.SIGTERM)  # the launcher only, as a process manager does
        assert launcher.wait(120) == 0
        measure.wait_for(lambda: not os.path.exists(f"/proc/{children[0]}"), 120, "the server to exit")
    finally:
        if launcher.poll() is None or _group_alive(launcher.pid):
            os.killpg(launcher.pid, signal.SIGKILL)


def _healthy(port):
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as r:
            return r.status == 200
    except OSError:
        return False


def _children(pid):
    with open(f"/proc/{pid}/task/{pid}/children") as f:
        return [int(p) for p in f.read().split()]


def _group_alive(pgid):
    try:
        os.killpg(pgid, 0)
        return True
    except ProcessLookupError:
        return False
