"""The ``nn-ref`` command line. Each verb is a small function below; ``nn-ref VERB --help``.

Bad input never ends in a traceback: every argument is checked before any work (argparse types below), and
``main`` turns an error into ONE line ``nn-ref VERB: error: ...`` on stderr with exit status 2
(``nn-ref --debug VERB ...`` shows the traceback instead).
"""

import argparse
import math
import os
import signal
import sys
import threading

from nn_ref import __version__
from nn_ref.backend import BACKEND_NAMES
from nn_ref.kernels.contract import HIDDEN_ACTIVATIONS, LOSSES, OUTPUT_ACTIVATIONS
from nn_ref.optim import OPTIMIZERS
from nn_ref.schedules import BY_NAME as CLI_SCHEDULES
from nn_ref.schedules import by_name as cli_schedule

OPTIMIZER_NAMES = tuple(OPTIMIZERS)


def _lazy(module, function):
    """A verb's function that imports its module only when the verb runs (the CLI starts fast)."""

    def run(args):
        import importlib

        return getattr(importlib.import_module(module), function)(args)

    return run


class _Parser(argparse.ArgumentParser):
    """argparse with its errors on one line (no usage block): ``nn-ref VERB: error: ...``, exit status 2."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {' '.join(message.split())} (see {self.prog} --help)\n")


def _int_list(text):
    """layer_dims from "4,5,3,1": at least two positive integers; an empty item ("4,,1") is an error."""
    items = text.split(",")
    try:
        dims = [int(t) for t in items]
    except ValueError:
        empty = " (an empty item)" if "" in [t.strip() for t in items] else ""
        raise argparse.ArgumentTypeError(
            f"expected comma-separated positive integers like 4,5,3,1, got {text!r}{empty}"
        ) from None
    if len(dims) < 2 or min(dims) < 1:
        raise argparse.ArgumentTypeError(f"expected at least two positive layer sizes like 4,5,3,1, got {text!r}")
    return dims


def _number(kind, low=None, positive=False, below=None):
    """An argparse type: ``kind`` (int or float) >= ``low`` (> 0 with ``positive``, < ``below``), finite."""

    def parse(text):
        try:
            value = kind(text)
        except ValueError:
            value = None
        ok = value is not None and math.isfinite(value) and (low is None or value >= low)
        ok = ok and (not positive or value > 0) and (below is None or value < below)
        if not ok:
            want = "a positive" if positive else ("a non-negative" if low == 0 else "a")
            want += " integer" if kind is int else " finite number"
            want += f" below {below:g}" if below is not None else ""
            raise argparse.ArgumentTypeError(f"expected {want}, got {text!r}")
        return value

    return parse


_positive_int, _count = _number(int, positive=True), _number(int, low=0)
_positive_float, _nonnegative_float = _number(float, positive=True), _number(float, low=0)
_fraction = _number(float, positive=True, below=1)
_small_step = _fraction  # a central-difference step: a perturbation of 1 or more measures no derivative


def _add_gradcheck(sub):
    p = sub.add_parser(
        "gradcheck",
        help="gradient-check the lecture's network on random data",
        description="Build a net of --layers on seeded random data, compare backpropagation "
        "with central differences (float64) per parameter array, print the table. "
        "Exit status 0 when every array passes (difference < 1e-7), 1 otherwise.",
    )
    p.add_argument("--layers", type=_int_list, default=[4, 5, 3, 1], help="layer_dims n0,n1,...,nL (default 4,5,3,1)")
    p.add_argument("--output", choices=OUTPUT_ACTIVATIONS, default="sigmoid", help="output activation")
    p.add_argument("--hidden", choices=HIDDEN_ACTIVATIONS, default="relu", help="hidden activation (default relu)")
    p.add_argument(
        "--loss",
        choices=LOSSES,
        default=None,
        help="loss (default: the output's own: cross_entropy, categorical_cross_entropy or mse)",
    )
    p.add_argument("--seed", type=_count, default=0, help="seed for data and parameters (default 0)")
    p.add_argument("--m", type=_positive_int, default=5, help="number of samples (default 5)")
    p.add_argument("--eps", type=_small_step, default=1e-4, help="central-difference step, in (0, 1) (default 1e-4)")
    p.add_argument(
        "--order",
        type=int,
        choices=(2, 4),
        default=4,
        help="2: two-point central difference; 4: five-point stencil (default)",
    )
    p.add_argument(
        "--max-seconds",
        type=_positive_float,
        default=120.0,
        help="refuse (with the estimate) a check estimated longer than this (default 120)",
    )

    p.set_defaults(func=_lazy("nn_ref.gradcheck", "main"))


def _add_figures(sub):
    p = sub.add_parser(
        "figures",
        help="regenerate the lecture's figures into plots/ (PNG + SVG + MANIFEST.json)",
        description="Compute every lecture figure with nn-ref and save it as PNG and SVG (and each "
        "panel alone), plus MANIFEST.json (slide title, function, parameters, seed, "
        "key numbers, file hashes, versions); --check recomputes and compares.",
    )
    p.add_argument("--only", nargs="+", metavar="NAME", help="make only these figure ids (see --list)")
    p.add_argument("--out", default="plots", metavar="DIR", help="output folder (default: plots)")
    p.add_argument("--list", action="store_true", help="list the figure ids and slide titles, make nothing")
    p.add_argument("--dpi", type=int, default=150, metavar="N", help="PNG resolution (default 150)")
    p.add_argument(
        "--quick", action="store_true", help="the tests' smaller sizes (the committed figures use the full parameters)"
    )
    p.add_argument(
        "--backend",
        choices=BACKEND_NAMES,
        default="numpy",
        help="kernel backend for the computations (default numpy, the oracle)",
    )
    p.add_argument(
        "--check",
        action="store_true",
        help="recompute the figures (no files written) and report every key number that moved "
        "from OUT/MANIFEST.json beyond --rtol; exit status 1 if any did",
    )
    p.add_argument("--rtol", type=float, default=1e-6, metavar="R", help="relative tolerance of --check (default 1e-6)")

    p.set_defaults(func=_lazy("nn_ref.figures.make", "main"))


def _add_trace(sub):
    p = sub.add_parser(
        "trace",
        help="print one forward and one backward pass, step by step, in the lecture's notation",
        description="Run one forward pass, the cost, one backward pass and one gradient-descent "
        "update on a tiny seeded net; print every Z[l], A[l], J, dZ[l], dW[l], db[l], "
        "dA[l-1] and the updated W[l], b[l] with its equation, shapes and values.",
    )
    p.add_argument("--layers", type=_int_list, default=[3, 4, 1], help="layer_dims n0,n1,...,nL (default 3,4,1)")
    p.add_argument("--m", type=_positive_int, default=2, help="number of samples (default 2)")
    p.add_argument("--seed", type=_count, default=0, help="seed for X, Y and the parameters (default 0)")
    p.add_argument(
        "--backend", choices=BACKEND_NAMES, default="numpy", help="kernel backend (default numpy, the oracle)"
    )
    p.add_argument("--lr", type=_positive_float, default=0.1, help="learning rate alpha of the update (default 0.1)")
    p.add_argument("--hidden", choices=HIDDEN_ACTIVATIONS, default="relu", help="hidden activation (default relu)")
    p.add_argument(
        "--output",
        choices=OUTPUT_ACTIVATIONS,
        default="sigmoid",
        help="output activation (default sigmoid; the loss follows: cross-entropy, categorical, mse)",
    )
    p.add_argument("--precision", type=_count, default=4, help="digits printed (default 4)")
    p.add_argument("--no-values", action="store_true", help="print equations and shapes only")

    def run(args):
        from nn_ref.trace import format_trace, trace

        steps = trace(
            args.layers,
            m=args.m,
            seed=args.seed,
            backend=args.backend,
            learning_rate=args.lr,
            hidden_activation=args.hidden,
            output_activation=args.output,
        )
        print(
            f"nn-ref trace: layer_dims {args.layers}, m = {args.m}, seed {args.seed}, backend {args.backend}, "
            f"hidden {args.hidden}, output {args.output}, learning rate {args.lr:g}\n"
        )
        print(format_trace(steps, precision=args.precision, show_values=not args.no_values))

    p.set_defaults(func=run)


def _add_data_options(p):
    p.add_argument("--dataset", choices=CLI_DATASETS, default="digits", help="data set (default digits)")
    p.add_argument("--data-dir", default=None, metavar="DIR", help="folder with the MNIST IDX files (--dataset mnist)")
    p.add_argument(
        "--test-fraction",
        type=_fraction,
        default=0.2,
        help="held-out fraction of the fixed split, in (0, 1) (default 0.2)",
    )
    p.add_argument("--split-seed", type=_count, default=0, help="seed of the fixed train/test split (default 0)")
    p.add_argument(
        "--backend", choices=BACKEND_NAMES, default=None, help="kernel backend (default: $NN_REF_BACKEND, else auto)"
    )


def _add_train(sub):
    p = sub.add_parser(
        "train",
        help="train a network on a data set; print the final train/test accuracy",
        description="Mini-batch training of the lecture's network on a fixed, seeded 80/20 split, "
        "e.g. nn-ref train --dataset digits --layers 64,128,10 --output softmax "
        "--optimizer adam --lr 1e-3 --epochs 20 --batch-size 64",
    )
    _add_data_options(p)
    p.add_argument("--layers", type=_int_list, default=None, help="layer_dims n0,...,nL (default n0,64,nL)")
    p.add_argument("--hidden", choices=HIDDEN_ACTIVATIONS, default="relu", help="hidden activation (default relu)")
    p.add_argument(
        "--output",
        choices=OUTPUT_ACTIVATIONS,
        default=None,
        help="output activation (default: the data set's: softmax, sigmoid or linear)",
    )
    p.add_argument("--optimizer", choices=OPTIMIZER_NAMES, default="sgd", help="optimizer (default sgd)")
    p.add_argument("--lr", type=_positive_float, default=0.01, help="(initial) learning rate (default 0.01)")
    p.add_argument(
        "--schedule",
        choices=CLI_SCHEDULES,
        default="none",
        help="learning-rate schedule over the run's updates (default none)",
    )
    p.add_argument(
        "--gamma", type=_nonnegative_float, default=None, help="decay constant of inverse/exponential/multistep"
    )
    p.add_argument("--epochs", type=_count, default=20, help="epochs (default 20)")
    p.add_argument("--batch-size", type=_count, default=64, help="mini-batch size b (0: the whole set; default 64)")
    p.add_argument("--batch-multiplier", type=_positive_int, default=1, help="k: accumulate k mini-batches per update")
    p.add_argument("--batchnorm", action="store_true", help="batch norm in every hidden layer")
    p.add_argument("--seed", type=_count, default=0, help="seed for initialization and shuffling (default 0)")
    p.add_argument("--save", default=None, metavar="FILE.npz", help="save the trained model here")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument(
        "--fused",
        action="store_true",
        help="use the backend's fused train_step (plain sgd only, no --batch-multiplier/--batchnorm)",
    )

    p.set_defaults(func=cli_train)


def _add_evaluate(sub):
    p = sub.add_parser(
        "evaluate",
        help="print a saved model's accuracy on a data set's fixed split",
        description="Load a model saved by 'nn-ref train --save' and print its train/test "
        "accuracy on the same fixed, seeded split.",
    )
    p.add_argument("--load", required=True, metavar="FILE.npz", help="the saved model")
    _add_data_options(p)

    p.set_defaults(func=cli_evaluate)


def _add_info(sub):
    p = sub.add_parser(
        "info",
        help="backends available, numba/numba-cuda versions, CUDA device, threads",
        description="Print which kernel backends can run here (numpy, cpu, cuda), the numba and "
        "numba-cuda versions, the CUDA device or why there is none, and numba's "
        "threading layer and thread count.",
    )
    p.add_argument("--json", action="store_true", help="print the same as a JSON object")

    def run(args):
        import json

        from nn_ref.kernels import info

        d = {"nn_ref": __version__, **info()}
        if args.json:
            print(json.dumps(d, indent=2))
            return 0
        print(f"nn-ref:                 {d['nn_ref']}")
        print(f"backends available:     {', '.join(d['backends_available'])} (auto -> {d['default_backend']})")
        print(f"numba:                  {d['numba']}")
        print(f"numba-cuda:             {d['numba-cuda']}")
        print(f"CUDA:                   {d['cuda']}")
        print(
            f"numba threading layer:  {d['numba_threading_layer']}, {d.get('numba_threads', '?')} threads "
            f"({d['cpus']} CPUs)"
        )

    p.set_defaults(func=run)


def _add_warmup(sub):
    p = sub.add_parser(
        "warmup",
        help="compile the numba cpu kernels now (before a class), so training starts at once",
        description="Compile every kernel a training run can call on the cpu backend (each output and loss, "
        "each optimizer, batch norm, the fused step; float64 and float32) into numba's disk cache. Later "
        "runs load them instead of compiling (5-15 s on 2 cores).",
    )

    def run(args):
        from nn_ref.train import warmup

        seconds = warmup("cpu")
        print(f"nn-ref warmup: the cpu kernels are compiled and cached ({seconds:.1f} s)")

    p.set_defaults(func=run)


def _add_bench(sub):
    p = sub.add_parser(
        "bench",
        help="microseconds per training step: numpy, cpu, cuda, PyTorch",
        description="Time training steps of the lecture's examples on every backend (and PyTorch "
        "when installed: the 'bench' extra); median/min/max over interleaved rounds, "
        "numba compile time apart. Same as scripts/bench.py.",
    )
    from nn_ref.bench import add_arguments

    add_arguments(p)

    def run(args):
        from nn_ref.bench import main_args

        return main_args(args)

    p.set_defaults(func=run)


def _add_profile(sub):
    p = sub.add_parser(
        "profile",
        help="where a training step's time goes, op by op, against this machine's measured roofline",
        description="Split one SGD step of the lecture's network into its operations per layer (Z = W A + b, "
        "g(Z), cost, dZ, dW, db, dA, the update): time, FLOPs, bytes moved, GFLOP/s, GB/s, arithmetic "
        "intensity; the Python glue apart; the per-layer and the fused step side by side; the machine's GEMM "
        "peak and memory bandwidth measured first. See docs/profile.md.",
    )
    p.add_argument("--layers", type=_int_list, default=[784, 256, 128, 10], help="layer_dims (default 784,256,128,10)")
    p.add_argument("--batch", type=_positive_int, default=256, help="m, samples per step (default 256)")
    p.add_argument("--backend", choices=("numpy", "cpu", "cuda"), default="cpu", help="backend (default cpu)")
    p.add_argument("--dtype", choices=("float32", "float64"), default="float32", help="dtype (default float32)")
    p.add_argument("--hidden", choices=HIDDEN_ACTIVATIONS, default="relu", help="hidden activation (default relu)")
    p.add_argument(
        "--output",
        choices=("softmax", "linear"),
        default="softmax",
        help="output: softmax + categorical cross-entropy (one-hot labels, default) or linear + MSE",
    )
    p.add_argument("--lr", type=_positive_float, default=0.1, help="learning rate (default 0.1)")
    p.add_argument("--rounds", type=_positive_int, default=5, help="interleaved timing rounds (default 5)")
    p.add_argument("--budget", type=_positive_float, default=0.05, help="seconds per timing per round (default 0.05)")
    p.add_argument(
        "--clock",
        choices=("wall", "cpu"),
        default="wall",
        help="wall time (default) or this process's CPU time (on a busy machine; use one BLAS thread)",
    )
    p.add_argument("--peak-size", type=_positive_int, default=2048, help="n of the n^3 GEMM peak (default 2048)")
    p.add_argument("--stream-mib", type=_positive_int, default=64, help="MiB copied for the bandwidth (default 64)")
    p.add_argument("--json", metavar="FILE", help="save the profile as JSON")
    p.add_argument("--plot", metavar="FILE", help="save the roofline plot (PNG, SVG or PDF by the extension)")
    p.set_defaults(func=_lazy("nn_ref.profile", "main"))


def _add_playground(sub):
    p = sub.add_parser(
        "playground",
        help="train the lecture's network live in the browser (Streamlit, the app extra)",
        description="Start the playground (a local Streamlit app on 127.0.0.1): every knob of the "
        "lecture on screen, live curves, decision boundary, per-layer activations and "
        'gradient norms. Needs the app extra: pip install -e ".[app]"',
    )
    p.add_argument("--port", type=int, default=8501, help="port on 127.0.0.1 (default 8501)")
    p.add_argument("--headless", action="store_true", help="do not open a browser window")

    def run(args):
        from nn_ref import playground

        return playground.run(args.port, args.headless)

    p.set_defaults(func=run)


# ============================================================================= nn-ref train, nn-ref evaluate
BINARY_SETS = ("blobs", "moons", "flower", "ball")
REGRESSION_SETS = ("square", "linear")
CLI_DATASETS = ("digits", "mnist", "spirals") + BINARY_SETS + REGRESSION_SETS


def load_split(name, test_fraction=0.2, split_seed=0, data_dir=None):
    """(X_train, Y_train, X_test, Y_test, output_activation) for a CLI data set: the fixed seeded split
    (``datasets.train_test_split``), or MNIST's own train/test files from ``data_dir``."""
    from nn_ref import datasets
    from nn_ref._checks import check_choice

    check_choice("dataset", name, CLI_DATASETS)
    if name == "mnist":
        if data_dir is None:
            raise ValueError(
                "dataset mnist: pass --data-dir DIR with the four IDX files "
                "(nn_ref.datasets.download_mnist(DIR) fetches them)"
            )
        return (*datasets.load_mnist(data_dir, "train"), *datasets.load_mnist(data_dir, "test"), "softmax")
    X, Y = datasets.LOADERS[name]()
    output = "linear" if name in REGRESSION_SETS else ("softmax" if Y.shape[0] > 1 else "sigmoid")
    return (*datasets.train_test_split(X, Y, test_fraction, split_seed), output)


def _report(trainer, X_tr, Y_tr, X_te, Y_te):
    tr, te = trainer.evaluate(X_tr, Y_tr), trainer.evaluate(X_te, Y_te)
    if trainer.output_activation == "linear":
        print(f"train cost {tr['cost']:.6g}   test cost {te['cost']:.6g}")
    else:
        print(
            f"train accuracy {tr['accuracy']:.4f}   test accuracy {te['accuracy']:.4f}   "
            f"(train cost {tr['cost']:.4g}, test cost {te['cost']:.4g})"
        )
    return tr, te


def cli_train(args):
    """``nn-ref train``: train on a data set's fixed split, print the final train/test accuracy, save."""
    if args.save:
        from nn_ref.modelfile import check_writable

        check_writable(args.save)  # before any work: a run that cannot save is refused at once
    X_tr, Y_tr, X_te, Y_te, default_output = load_split(
        args.dataset, args.test_fraction, args.split_seed, args.data_dir
    )
    output = args.output or default_output
    layers = args.layers or [X_tr.shape[0], 64, Y_tr.shape[0]]
    if layers[0] != X_tr.shape[0] or layers[-1] != Y_tr.shape[0]:
        raise ValueError(
            f"--layers {','.join(map(str, layers))} does not fit {args.dataset}: "
            f"expected n0 = {X_tr.shape[0]} inputs and nL = {Y_tr.shape[0]} outputs"
        )
    if output == "softmax" and Y_tr.shape[0] < 2:
        raise ValueError(
            f"--output softmax: needs n[L] >= 2 classes, {args.dataset} has {Y_tr.shape[0]} output "
            "(a 1-unit softmax is 1.0 whatever the input); use --output sigmoid"
        )
    from nn_ref.train import check_fits_memory

    check_fits_memory(layers, optimizer=args.optimizer, name=f"--layers {','.join(map(str, layers))}")
    m, b, k = X_tr.shape[1], args.batch_size or X_tr.shape[1], args.batch_multiplier
    batches_per_epoch = -(-m // b)  # ceil(m / b)
    updates_per_epoch = -(-batches_per_epoch // k)  # ceil(batches / k)
    lr = cli_schedule(args.schedule, args.lr, args.epochs * updates_per_epoch, updates_per_epoch, args.gamma)
    from nn_ref.train import Trainer

    trainer = Trainer(
        layers,
        args.hidden,
        output,
        optimizer=args.optimizer,
        learning_rate=lr,
        batch_size=args.batch_size or None,
        batch_multiplier=k,
        batchnorm=args.batchnorm,
        seed=args.seed,
        backend=args.backend,
        progress=not args.no_progress,
        fused=args.fused,
    )
    print(
        f"nn-ref train: {args.dataset} ({m} train / {X_te.shape[1]} test samples), layers {layers}, "
        f"{args.hidden}/{output}, {args.optimizer} lr {args.lr:g} schedule {args.schedule}, batch {b} x {k}, "
        f"batchnorm {args.batchnorm}, backend {trainer.backend}, {args.epochs} epochs"
    )
    trainer.fit(X_tr, Y_tr, args.epochs)
    _report(trainer, X_tr, Y_tr, X_te, Y_te)
    if args.save:
        trainer.save(args.save)
        print(f"saved {args.save}")
    return 0


def cli_evaluate(args):
    """``nn-ref evaluate``: load a saved model and print its accuracy on the data set's fixed split."""
    from nn_ref.train import Trainer

    trainer = Trainer.load(args.load, backend=args.backend, progress=False)
    X_tr, Y_tr, X_te, Y_te, _ = load_split(args.dataset, args.test_fraction, args.split_seed, args.data_dir)
    if trainer.layer_dims[0] != X_tr.shape[0] or trainer.layer_dims[-1] != Y_tr.shape[0]:
        raise ValueError(
            f"the model's layers {trainer.layer_dims} do not fit {args.dataset} "
            f"({X_tr.shape[0]} inputs, {Y_tr.shape[0]} outputs)"
        )
    print(f"nn-ref evaluate: {args.load} (layers {trainer.layer_dims}) on {args.dataset}")
    _report(trainer, X_tr, Y_tr, X_te, Y_te)
    return 0


def _add_notebooks(sub):
    p = sub.add_parser(
        "notebooks",
        help="write fresh copies of the lecture notebooks (.ipynb) into a folder",
        description="Convert notebooks/NN_*.py (jupytext) into DIR/NN_*.ipynb: no outputs, the "
        "exercises unwritten. Existing .ipynb files are kept unless --force.",
    )
    p.add_argument("dir", metavar="DIR", help="the folder to write into (created if missing)")
    p.add_argument("--force", action="store_true", help="overwrite notebooks that already exist in DIR")

    p.set_defaults(func=_lazy("nn_ref.exercises", "main_notebooks"))


def _add_docs(sub):
    p = sub.add_parser(
        "docs",
        help="build the course site (MkDocs, the docs extra) into site/, or serve it while you edit",
        description="Build the course site from a clone: mkdocs build --strict with the repository's "
        "mkdocs.yml (the notebooks are executed, the figures and nn-ref's outputs included; a broken link, "
        "a missing figure or a failing notebook cell fails the build). Needs the docs extra: "
        'pip install -e ".[docs]"',
    )
    p.add_argument("--serve", action="store_true", help="serve the site on 127.0.0.1:8000, rebuilt on every edit")
    p.add_argument("--site-dir", default=None, metavar="DIR", help="build into DIR (default: site/)")

    def run(args):
        import importlib.util
        import os
        import subprocess

        root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        if not os.path.isfile(os.path.join(root, "mkdocs.yml")):
            raise ValueError(f'no mkdocs.yml in {root}: the site builds from a clone (pip install -e ".[docs]")')
        if importlib.util.find_spec("mkdocs") is None:
            raise ImportError('the site needs the docs extra: pip install -e ".[docs]"')
        cmd = [sys.executable, "-m", "mkdocs", "serve" if args.serve else "build", "--strict"]
        if args.site_dir:
            if args.serve:
                raise ValueError("--site-dir is for a build; --serve keeps the site in memory")
            cmd += ["--site-dir", os.path.abspath(args.site_dir)]
        env = {"NO_MKDOCS_2_WARNING": "1", **os.environ}  # Material's banner about its successor, not our business
        return subprocess.run(cmd, cwd=root, env=env).returncode

    p.set_defaults(func=run)


# What a user's bad input can raise: ValueError (statistics.StatisticsError is one), TypeError, LookupError
# (KeyError, IndexError), ArithmeticError (ZeroDivisionError, train.DivergenceError), OSError (FileNotFoundError,
# PermissionError), ImportError (a missing extra), RuntimeError (a backend that cannot run here), MemoryError (a
# network too large for this machine: "Unable to allocate 74.5 GiB ...").
USER_ERRORS = (ValueError, TypeError, LookupError, ArithmeticError, OSError, ImportError, RuntimeError, MemoryError)


def _one_line(verb, exc):
    """The error as ONE line ``nn-ref VERB: error: ...`` (a KeyError's quotes and a repeated prefix dropped)."""
    text = exc.args[0] if isinstance(exc, KeyError) and exc.args else str(exc)
    text = " ".join(str(text).split()) or type(exc).__name__
    for prefix in (f"nn-ref {verb}: error: ", f"nn-ref {verb}: "):
        text = text.removeprefix(prefix)
    return f"nn-ref {verb}: error: {text}"


def _quiet_stdout():
    """Point stdout at /dev/null: the interpreter's last flush of a closed pipe would raise again."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())


def script_parser(description, steps=None, seed_help=None, backend=True):
    """The argument parser of ``scripts/slide_*.py``: errors on one line (exit 2), like ``nn-ref``'s verbs.

    steps: (default, help) adds ``--steps`` (a positive integer); seed_help adds ``--seed`` (an integer >= 0,
    default 0); backend adds ``--backend`` (one of the backend names, default numpy)."""
    parser = _Parser(prog=os.path.basename(sys.argv[0]) or "script", description=description)
    if steps is not None:
        parser.add_argument("--steps", type=_positive_int, default=steps[0], help=steps[1])
    if seed_help is not None:
        parser.add_argument("--seed", type=_count, default=0, help=seed_help)
    if backend:
        parser.add_argument(
            "--backend", choices=BACKEND_NAMES, default="numpy", help=f"{', '.join(BACKEND_NAMES)} (default numpy)"
        )
    return parser


def run_script(main, argv=None):
    """Run a script's ``main(argv)``: a user error is one line ``SCRIPT: error: ...`` and exit status 2."""
    prog = os.path.basename(sys.argv[0]) or "script"
    try:
        main(argv)
    except BrokenPipeError:
        _quiet_stdout()
    except USER_ERRORS as exc:
        print(f"{prog}: error: {' '.join(str(exc).split()) or type(exc).__name__}", file=sys.stderr)
        return 2
    return 0


def build_parser():
    """The ``nn-ref`` parser with every verb (``main`` runs it; the site's CLI page is its help)."""
    parser = _Parser(prog="nn-ref", description="nn-ref: the lecture's neural network, step by step")
    parser.add_argument("--debug", action="store_true", help="show the Python traceback of an error (before VERB)")
    parser.add_argument("--version", action="version", version=f"nn-ref {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="VERB")
    # each verb registers itself here: _add_<verb>(sub)
    _add_trace(sub)
    _add_figures(sub)
    _add_gradcheck(sub)
    _add_train(sub)
    _add_evaluate(sub)
    _add_info(sub)
    _add_warmup(sub)
    _add_bench(sub)
    _add_profile(sub)
    _add_notebooks(sub)
    _add_playground(sub)
    _add_docs(sub)
    return parser


class Terminated(KeyboardInterrupt):
    """SIGTERM (``kill``, a closing terminal): raised where the program is, so that ``finally`` blocks and the
    temporary files of an atomic write are cleaned up, as for Ctrl-C."""


def _terminate(signum, frame):
    raise Terminated


def main(argv=None):
    args = build_parser().parse_args(argv)
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _terminate)
    try:
        return args.func(args) or 0
    except KeyboardInterrupt as exc:  # Ctrl-C or SIGTERM: no traceback; every file written is old or new, whole
        if args.debug:
            raise
        print(f"\nnn-ref {args.command}: interrupted; files being written were left as they were", file=sys.stderr)
        return 143 if isinstance(exc, Terminated) else 130
    except BrokenPipeError:  # `nn-ref trace | head`: the reader has gone; stop quietly, as cat does
        _quiet_stdout()
        return 0
    except SystemExit as exc:  # a verb that exits with a message: the same one line, status 2
        if args.debug or not isinstance(exc.code, str):
            raise
        print(_one_line(args.command, ValueError(exc.code)), file=sys.stderr)
        return 2
    except USER_ERRORS as exc:
        if args.debug:
            raise
        print(_one_line(args.command, exc), file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
