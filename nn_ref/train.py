"""Training a network: epochs of mini-batches with any optimizer and learning-rate schedule
[Stochastic Gradient Descent with Mini-batch, Effective Mini-batch, Learning rate schedule,
Batch normalization, Hyperparameters].

One update (t counts updates, from 0), with k = ``batch_multiplier`` mini-batches per update::

    for each of the k mini-batches (X_b, Y_b) of the shuffled epoch:
        AL, caches = forward(X_b)                      # A[l] = g(Z[l]), with BN if asked
        J_b        = compute_cost(AL, Y_b)             # mean over the b samples
        grads_b    = backward(AL, Y_b, caches)
        accumulate grads_b with weight m_b / M         # M = samples in the k batches
    optimizer.step(parameters, grads, lr(t))           # SGD, momentum or Adam

    trainer = Trainer([64, 128, 10], output_activation="softmax", optimizer="adam",
                      learning_rate=1e-3, batch_size=64, progress=False)
    history = trainer.fit(X_train, Y_train, epochs=20, X_val=X_test, Y_val=Y_test)
    trainer.save("model.npz");  Trainer.load("model.npz").evaluate(X_test, Y_test)

The backend is chosen once (``backend=``; default: $NN_REF_BACKEND, else "auto", the fastest here).
Parameters, optimizer state, batch-norm statistics and accumulated gradients live in the backend for the
whole run (``to_device`` once); per update only the mini-batch goes in and the cost (and the batch's
predictions, for the accuracy) come out.
A non-finite cost, a cost above DIVERGENCE_FACTOR times the first one, or non-finite parameters stop
training with a ``DivergenceError`` naming the update, the learning rate and the first layer that went bad.

The model-file format (``save_model`` / ``load_model``) is ``nn_ref.modelfile``; ``nn-ref train`` is in
``nn_ref.cli``.
"""

import copy
import sys
import time

import numpy as np
from tqdm import tqdm

from nn_ref import batchnorm as bn
from nn_ref import network, optim, schedules
from nn_ref._checks import (
    check_choice,
    check_data,
    check_dtype,
    check_labels,
    check_layer_dims,
    check_learning_rate,
    check_positive_int,
    check_range,
    check_real,
    check_shape,
)
from nn_ref.backend import accelerated, chosen, for_job
from nn_ref.kernels.contract import DEFAULT_LOSS, StepConfig, pack_parameters, parameter_views
from nn_ref.modelfile import FORMAT, available_memory, load_model, save_model  # noqa: F401  (the format's home)

# The run diverged when the cost exceeds this factor times max(first cost, 1): a finite but exploding cost,
# e.g. a softmax whose clipped log keeps J finite while every prediction saturates on the wrong class.
DIVERGENCE_FACTOR = 100.0


class DivergenceError(FloatingPointError):
    """The cost became non-finite (NaN or inf) during training."""


OPTIMIZER_STATE = {"sgd": 0, "momentum": 1, "adam": 2}  # arrays of the parameters' size each optimizer keeps


def check_fits_memory(layer_dims, dtype=np.float64, optimizer="sgd", batchnorm=False, name="layer_dims"):
    """Raise MemoryError naming ``name`` when a network of ``layer_dims`` cannot be trained in the memory available
    now: its parameters, their gradients and the optimizer's state (Adam: 2 more copies), before any allocation."""
    dims = [int(n) for n in layer_dims]
    L = len(dims) - 1
    count = sum(dims[l] * (dims[l - 1] + 1 + (2 if batchnorm and l < L else 0)) for l in range(1, L + 1))
    kind = optimizer if isinstance(optimizer, str) else getattr(optimizer, "name", None)
    copies = 2 + OPTIMIZER_STATE.get(kind, 2)
    need = count * np.dtype(dtype).itemsize * copies
    available = available_memory()
    if available is not None and need > available:
        raise MemoryError(
            f"{name}: {count:.3g} parameters need {need / 1e9:.3g} GB ({copies} copies in {np.dtype(dtype).name}: "
            f"the parameters, their gradients{', the optimizer state' if copies > 2 else ''}), more than the "
            f"{available / 1e9:.3g} GB of memory available"
        )


def _as_schedule(learning_rate):
    if callable(learning_rate):
        return learning_rate
    return schedules.constant(learning_rate)


def _batch_accuracy(AL, Y, output_activation):
    """Fraction correct for one batch (host arrays): argmax for softmax, AL > 0.5 for sigmoid."""
    if output_activation == "softmax":
        return float((AL.argmax(axis=0) == Y.argmax(axis=0)).mean())
    if output_activation == "sigmoid":
        return float(((AL > 0.5) == (Y > 0.5)).mean())
    return float("nan")  # regression: no accuracy


class Trainer:
    """Trains the lecture's L-layer network.

    layer_dims [n[0], ..., n[L]]; hidden_activation / output_activation as in ``network.forward``;
    loss defaults to the output's natural one (sigmoid: cross_entropy, softmax: categorical,
    linear: mse); optimizer "sgd" | "momentum" | "adam" or an ``nn_ref.optim`` object;
    learning_rate a number or a schedule ``lr(t)`` (``nn_ref.schedules``); batch_size b (None: all
    samples, batch gradient descent; 1: SGD); batch_multiplier k (gradient accumulation: one update
    per k mini-batches); batchnorm (BN between the linear part and the activation of every hidden
    layer); seed (initialization and shuffling); backend (chosen once); progress (a tqdm bar).

    ``fused=True`` runs each update as the backend's one-call ``train_step`` (forward, cost, backward
    and the SGD, momentum or Adam update fused; parameters packed in one flat array ``theta``,
    ``self.parameters`` are views into it, optimizer state is flat too). It computes the same update; it
    applies without gradient accumulation or batch norm, and the per-update "accuracy" in the history is
    then NaN (the fused step returns only the cost). On the numpy backend there is nothing to fuse: the
    per-layer NumPy code runs.
    """

    def __init__(
        self,
        layer_dims,
        hidden_activation="relu",
        output_activation="sigmoid",
        loss=None,
        optimizer="sgd",
        learning_rate=0.01,
        batch_size=64,
        batch_multiplier=1,
        batchnorm=False,
        init="he",
        seed=0,
        backend=None,
        dtype=np.float64,
        alpha=0.01,
        bn_momentum=0.9,
        bn_eps=1e-5,
        progress=True,
        optimizer_options=None,
        fused=False,
    ):
        check_choice("hidden_activation", hidden_activation, network.HIDDEN_ACTIVATIONS)
        check_choice("output_activation", output_activation, network.OUTPUT_ACTIVATIONS)
        self.loss = DEFAULT_LOSS[output_activation] if loss is None else loss
        check_choice("loss", self.loss, network.LOSSES)
        if batch_size is not None:
            check_positive_int("batch_size", batch_size)
        check_positive_int("batch_multiplier", batch_multiplier)
        if not callable(learning_rate):
            check_learning_rate(learning_rate)
        check_dtype("dtype", dtype)
        check_range("alpha", alpha, 0, 1)  # leaky ReLU's slope, as activations.SLOPE
        self.layer_dims = check_layer_dims(layer_dims)
        if output_activation == "softmax" and self.layer_dims[-1] < 2:
            raise ValueError(
                f"output_activation: softmax needs n[L] >= 2 output units, got n[L] = {self.layer_dims[-1]} "
                "(a 1-unit softmax is 1.0 whatever the input)"
            )
        check_fits_memory(self.layer_dims, dtype, optimizer, batchnorm)
        self.hidden_activation, self.output_activation = hidden_activation, output_activation
        self.batch_size = None if batch_size is None else int(batch_size)
        self.batch_multiplier = int(batch_multiplier)
        self.accumulator = optim.GradientAccumulator(self.batch_multiplier)
        self.batchnorm, self.alpha, self.seed, self.progress = bool(batchnorm), float(alpha), int(seed), progress
        self.dtype = np.dtype(dtype)
        self.lr = _as_schedule(learning_rate)
        self.optimizer = optim.make_optimizer(optimizer, **(optimizer_options or {}))
        # "numpy" or the kernels module, chosen once ("auto": NumPy for a small job, see backend.for_job)
        self.B = chosen(for_job(backend, self.layer_dims, self.batch_size), default="auto")
        self.K = accelerated(self.B)
        self.backend = "numpy" if self.K is None else self.K.name
        host = network.initialize_parameters(
            self.layer_dims, init=init, seed=seed, dtype=self.dtype, batchnorm=self.batchnorm
        )
        if fused:
            why = [
                reason
                for bad, reason in (
                    (
                        getattr(self.optimizer, "name", None) not in optim.OPTIMIZERS,
                        "a custom optimizer (only sgd, momentum, adam)",
                    ),
                    (self.batch_multiplier != 1, f"batch_multiplier {self.batch_multiplier} (only 1)"),
                    (self.batchnorm, "batchnorm"),
                )
                if bad
            ]
            if why:
                raise ValueError(f"fused=True: the fused train_step does not apply to {', '.join(why)}")
        self.fused = bool(fused) and self.K is not None
        self._state = None  # the fused step's flat optimizer state, made on first use
        self._step = None  # the fused step's StepConfig, made at the first update
        self._set_parameters(host)
        self.bn_params = None
        if self.batchnorm:
            self.bn_params = bn.init_bn_params(self.layer_dims, bn_eps, bn_momentum, self.dtype)
            for p in self.bn_params:
                p["running_mean"] = self.to_device(p["running_mean"])
                p["running_var"] = self.to_device(p["running_var"])
        self.rng = np.random.default_rng(seed)  # shuffling: one permutation per epoch
        self.t = 0  # updates made so far
        self._J0 = None  # the first update's cost (the divergence test's scale)
        self._last_lr = None  # the learning rate of update t - 1
        self.epoch = 0
        self.history = {"cost": [], "accuracy": [], "lr": [], "epoch_cost": [], "val_cost": [], "val_accuracy": []}

    # ------------------------------------------------------------------------- the pieces
    def to_device(self, x):
        """x as an array of this trainer's backend (a GPU copy for cuda; host NumPy otherwise)."""
        return np.asarray(x) if self.K is None else self.K.to_device(x)

    def to_host(self, x):
        """x as a host NumPy array."""
        return np.asarray(x) if self.K is None else self.K.to_host(x)

    def _set_parameters(self, host):
        """Put host parameters on the backend, once (packed into one flat theta when fused)."""
        if self.fused:
            theta, self._dims = pack_parameters(host)
            self.theta = self.to_device(theta)
            self.parameters = parameter_views(self.theta, self._dims)
        else:
            self.parameters = {k: self.to_device(np.asarray(v, dtype=self.dtype)) for k, v in host.items()}

    def forward(self, X, mode="eval"):
        """(AL, caches) = network.forward of X (n[0], m) with this trainer's parameters and settings, nothing
        updated but BN's running statistics in mode "train"; mode "eval": BN with the running statistics,
        "batch": BN with the batch's own statistics, the running ones left alone."""
        return self._forward(X, mode)

    def _forward(self, X, mode="train"):
        bn_params = None
        if self.batchnorm and mode != "batch":
            bn_params = self.bn_params if mode == "train" else bn.eval_mode(self.bn_params)
        return network.forward(
            X,
            self.parameters,
            self.hidden_activation,
            self.output_activation,
            self.alpha,
            self.B,
            batchnorm=self.batchnorm,
            bn_params=bn_params,
        )

    def _check_data(self, X, Y, name="X"):
        """X, Y as arrays of this trainer's dtype (bool and int convert; complex, object do not), checked once:
        shapes, m >= 1, finite values, labels that fit the loss."""
        Y_name = "Y" if name == "X" else "Y_val"
        check_real(name, X)
        check_real(Y_name, Y)
        X = np.asarray(X, dtype=self.dtype)
        Y = np.asarray(Y, dtype=self.dtype)
        check_data(name, X, self.layer_dims[0])
        check_shape(Y_name, Y, (self.layer_dims[-1], X.shape[1]))
        check_data(Y_name, Y)
        check_labels(Y_name, Y, self.loss)
        return X, Y

    def _first_nonfinite_layer(self, caches, AL):
        """'layer l (what)' for the first layer l whose parameters or output A[l] are not finite."""
        L = len(self.layer_dims) - 1
        for l in range(1, L + 1):
            for key in (f"W{l}", f"b{l}", f"gamma{l}", f"beta{l}"):
                if key in self.parameters and not np.all(np.isfinite(self.to_host(self.parameters[key]))):
                    return f"layer {l} ({key} has non-finite values)"
            A = AL if l == L else caches[l][0][0]  # A[l] is the next layer's A_prev
            if not np.all(np.isfinite(self.to_host(A))):
                return f"layer {l} (A{l} has non-finite values)"
        # nothing is NaN/inf yet (the cost exploded while staying finite): name the layer holding the largest value
        sizes = [(float(np.max(np.abs(self.to_host(AL if l == L else caches[l][0][0])))), l) for l in range(1, L + 1)]
        biggest, l = max(sizes)
        return f"no NaN or inf yet; the largest activation is in layer {l}, max |A{l}| = {biggest:.3g}"

    def update(self, group):
        """One update of ``fit`` from ``group``, a list of k mini-batches (Xb, Yb): forward, cost and backward per
        mini-batch, their gradients accumulated (weighted by size) when k > 1, one optimizer step at lr(t).
        Returns (cost, accuracy, lr) of the update. ``fit`` runs whole epochs of these; an app that shows
        training update by update (the playground) calls it directly."""
        B, lr = self.B, float(self.lr(self.t))
        check_learning_rate(lr, self.t)
        if self.fused:
            return self._fused_update(group[0], lr)
        M = sum(Xb.shape[1] for Xb, _ in group)
        cost = acc = 0.0
        grads = None
        for Xb, Yb in group:
            Yd = self.to_device(Yb)  # the batch goes in once (a no-op on the host backends)
            AL, caches = self._forward(Xb)
            J = network.compute_cost(AL, Yd, self.loss, B)
            self._check_cost(J, lr, caches, AL)
            grads = network.backward(AL, Yd, caches, self.loss, B, batchnorm=self.batchnorm, need_dA0=False)
            weight = Xb.shape[1] / M
            if len(group) > 1:
                self.accumulator.add(grads, weight, B)
            cost += weight * J
            acc += weight * _batch_accuracy(self.to_host(AL), Yb, self.output_activation)
        if len(group) > 1:
            grads = self.accumulator.take()
        self.optimizer.step(self.parameters, grads, lr, B)
        self.t += 1
        self._last_lr = lr
        return cost, acc, lr

    def _check_cost(self, J, lr, caches, AL):
        """DivergenceError when the update's cost J is not finite."""
        if self._J0 is None and np.isfinite(J):
            self._J0 = J
        if not np.isfinite(J):
            self._diverged(f"the cost is {J}, non-finite", lr, caches, AL)

    def _check_epoch_cost(self, epoch_cost, lr, X):
        """DivergenceError when the epoch's mean cost exceeds DIVERGENCE_FACTOR * max(first update's cost, 1)
        (a mean over the epoch, so that one noisy mini-batch of a small batch size does not trip it)."""
        if self._J0 is not None and epoch_cost > DIVERGENCE_FACTOR * max(self._J0, 1.0):
            AL, caches = self._forward(self.to_device(X[:, : min(X.shape[1], 256)]), mode="eval")
            self._diverged(
                f"the epoch's mean cost {epoch_cost:.4g} exceeds {DIVERGENCE_FACTOR:g} x max(first "
                f"cost {self._J0:.4g}, 1)",
                lr,
                caches,
                AL,
            )

    def _check_parameters(self, lr):
        """DivergenceError when any parameter holds NaN or inf (one pass over the parameters)."""
        for key, value in self.parameters.items():
            host = self.to_host(value)
            if not np.all(np.isfinite(host)):
                raise DivergenceError(
                    f"training diverged by update {self.t} (epoch {self.epoch + 1}, learning rate {lr:g}): "
                    f"{key} holds non-finite values (first at index {np.argwhere(~np.isfinite(host))[0].tolist()}). "
                    "Lower the learning rate."
                )

    def _diverged(self, what, lr, caches, AL):
        previous = f"update {self.t - 1} used learning rate {self._last_lr:g}" if self.t else "no update yet"
        raise DivergenceError(
            f"training diverged at update {self.t} (epoch {self.epoch + 1}, learning rate {lr:g}): "
            f"{what} ({previous}); first bad layer: "
            f"{self._first_nonfinite_layer(caches, AL)}. Lower the learning rate."
        )

    def _fused_update(self, batch, lr):
        """One update with the backend's fused ``train_step`` (theta and the flat optimizer state in place)."""
        Xb, Yb = batch
        K, opt = self.K, self.optimizer
        options, t = {}, 1
        if opt.name == "momentum":
            self._state = self._state or (self.to_device(np.zeros_like(self.to_host(self.theta))),)
            options = {"beta1": opt.beta}
        elif opt.name == "adam":
            zeros = np.zeros_like(self.to_host(self.theta))
            self._state = self._state or (self.to_device(zeros), self.to_device(zeros.copy()))
            opt.t += 1
            options, t = {"beta1": opt.beta1, "beta2": opt.beta2, "eps": opt.eps}, opt.t
        if self._step is None:  # the step's settings, checked once
            h, o = self.hidden_activation, self.output_activation
            self._step = StepConfig(self._dims, h, o, self.loss, lr, self.alpha, opt.name, **options)
        elif lr != self._step.learning_rate:  # a schedule's next value
            self._step = self._step.with_learning_rate(lr)
        J = K.train_step(K.to_device(Xb), K.to_device(Yb), self.theta, self._step, self._state, t)
        if not np.isfinite(J):
            # train_step has already applied the update: name the layer from a forward pass as it is now
            AL, caches = self._forward(Xb)
            self._check_cost(J, lr, caches, AL)
        self._J0 = J if self._J0 is None else self._J0
        self.t += 1
        self._last_lr = lr
        return J, float("nan"), lr

    # ------------------------------------------------------------------------- the loop
    def _compile_first(self, X, Y):
        """On a cold numba cache, compile this trainer's kernels first, saying so in one line (the epoch bar
        would otherwise count the compile time as a slow first epoch and show a wrong ETA)."""
        if self.K is None or self.K.name != "cpu" or self.K.cache_warm():
            return
        print(
            f"nn-ref: compiling the {self.K.name} kernels once (5-15 s on 2 cores; cached afterwards) ...",
            end=" ",
            file=sys.stderr,
            flush=True,
        )
        start = time.perf_counter()
        self._compile(X[:, :2], Y[:, :2])
        print(f"done in {time.perf_counter() - start:.1f} s", file=sys.stderr, flush=True)

    def _compile(self, X, Y):
        """One update and one evaluation of a copy of this trainer on X, Y (every kernel it calls compiled)."""
        twin = copy.deepcopy(self, {id(self.K): self.K})  # the backend module is shared, not copied
        twin.progress, twin.batch_size, twin.batch_multiplier = False, X.shape[1], 1
        twin.accumulator = optim.GradientAccumulator(1)
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            twin.update([(X, Y)])
            twin.evaluate(X, Y)

    def fit(
        self,
        X,
        Y,
        epochs=1,
        X_val=None,
        Y_val=None,
        early_stopping=None,
        min_delta=0.0,
        restore_best=True,
        callback=None,
    ):
        """Train for ``epochs`` epochs on X (n[0], m), Y (n[L], m); returns the history dict:

        per update: "cost" (the mini-batch cost before the update), "accuracy" (of that batch),
        "lr"; per epoch: "epoch_cost" (sample-weighted mean of the batch costs) and, with validation
        data, "val_cost", "val_accuracy" (eval mode). ``early_stopping=p``: stop when the validation
        cost has not fallen by more than ``min_delta`` for p epochs, restoring the best parameters
        (``restore_best``); "stopped_epoch" is then set in the history. ``callback(trainer)``, if
        given, is called after every update (``trainer.t`` updates made; ``trainer.parameters`` current),
        e.g. to record the path of the parameters for a figure.
        """
        check_positive_int("epochs", epochs, minimum=0)
        if early_stopping is not None:
            check_positive_int("early_stopping", early_stopping)
        X, Y = self._check_data(X, Y)
        validate = X_val is not None
        if validate:
            X_val, Y_val = self._check_data(X_val, Y_val, "X_val")
        elif early_stopping is not None:
            raise ValueError("early_stopping: needs validation data (X_val, Y_val)")
        best, best_state, wait = np.inf, None, 0
        h = self.history
        self._compile_first(X, Y)
        bar = tqdm(total=int(epochs), desc="train", unit="epoch", disable=not self.progress, leave=False)
        try:
            with np.errstate(over="ignore", invalid="ignore", divide="ignore"):  # divergence is checked below
                for _ in range(int(epochs)):
                    batches = list(optim.minibatches(X, Y, self.batch_size, self.rng))
                    k = self.batch_multiplier
                    epoch_cost = 0.0
                    for start in range(0, len(batches), k):
                        group = batches[start : start + k]
                        cost, acc, lr = self.update(group)
                        h["cost"].append(cost)
                        h["accuracy"].append(acc)
                        h["lr"].append(lr)
                        if callback is not None:
                            callback(self)
                        epoch_cost += cost * sum(Xb.shape[1] for Xb, _ in group) / X.shape[1]
                    h["epoch_cost"].append(epoch_cost)
                    self._check_epoch_cost(epoch_cost, h["lr"][-1], X)
                    self._check_parameters(h["lr"][-1])
                    self.epoch += 1
                    postfix = {"cost": f"{epoch_cost:.4g}"}
                    if validate:
                        metrics = self.evaluate(X_val, Y_val)
                        h["val_cost"].append(metrics["cost"])
                        h["val_accuracy"].append(metrics["accuracy"])
                        postfix["val_acc"] = f"{metrics['accuracy']:.4f}"
                        if metrics["cost"] < best - min_delta:
                            best, wait = metrics["cost"], 0
                            if early_stopping is not None and restore_best:
                                best_state = self._host_state()
                        else:
                            wait += 1
                    bar.set_postfix(postfix)
                    bar.update(1)
                    if early_stopping is not None and wait >= int(early_stopping):
                        h["stopped_epoch"] = self.epoch
                        if best_state is not None:
                            self._set_host_state(best_state)
                        break
        finally:
            bar.close()
        return h

    def evaluate(self, X, Y):
        """{"cost", "accuracy"} on X, Y in eval mode (BN with running statistics); accuracy is NaN
        for a linear (regression) output."""
        X, Y = self._check_data(X, Y)
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            AL, _ = self._forward(X, mode="eval")
            cost = network.compute_cost(AL, self.to_device(Y), self.loss, self.B)
        return {"cost": cost, "accuracy": _batch_accuracy(self.to_host(AL), Y, self.output_activation)}

    def predict(self, X):
        """Class predictions (softmax: (m,) indices; sigmoid: (1, m) of 0/1) or AL for a linear output."""
        return network.predict(
            np.asarray(X, dtype=self.dtype),
            self.parameters,
            self.hidden_activation,
            self.output_activation,
            self.B,
            self.bn_params,
        )

    # ------------------------------------------------------------------------- save / load
    def _host_state(self):
        state = {k: self.to_host(v).copy() for k, v in self.parameters.items()}
        for l, p in enumerate(self.bn_params or [], start=1):
            state[f"running_mean{l}"] = self.to_host(p["running_mean"]).copy()
            state[f"running_var{l}"] = self.to_host(p["running_var"]).copy()
        return state

    def _set_host_state(self, state):
        self._set_parameters({k: np.array(state[k], dtype=self.dtype) for k in self.parameters})
        for l, p in enumerate(self.bn_params or [], start=1):
            p["running_mean"] = self.to_device(np.array(state[f"running_mean{l}"], dtype=self.dtype))
            p["running_var"] = self.to_device(np.array(state[f"running_var{l}"], dtype=self.dtype))

    def save(self, path):
        """Write parameters, layer dims, activations, loss and BN statistics to ``path`` (.npz),
        atomically: a temporary file in the same folder, renamed into place."""
        meta = {
            "format": FORMAT,
            "layer_dims": np.array(self.layer_dims, dtype=np.int64),
            "hidden_activation": self.hidden_activation,
            "output_activation": self.output_activation,
            "loss": self.loss,
            "alpha": self.alpha,
            "batchnorm": self.batchnorm,
            "bn_eps": self.bn_params[0]["eps"] if self.bn_params else 1e-5,
            "bn_momentum": self.bn_params[0]["momentum"] if self.bn_params else 0.9,
        }
        save_model(path, self._host_state(), meta)

    @classmethod
    def load(cls, path, backend=None, **options):
        """A Trainer rebuilt from a file written by ``save`` (options such as ``progress`` pass through)."""
        state, meta = load_model(path)
        trainer = cls(
            meta["layer_dims"],
            meta["hidden_activation"],
            meta["output_activation"],
            meta["loss"],
            alpha=meta["alpha"],
            batchnorm=meta["batchnorm"],
            bn_eps=meta["bn_eps"],
            bn_momentum=meta["bn_momentum"],
            backend=backend,
            dtype=state["W1"].dtype,
            **options,
        )
        trainer._set_host_state(state)
        return trainer

    def load_parameters(self, path):
        """Replace this trainer's parameters by those in ``path``; the file must have the same layer
        dims, activations and batch-norm setting."""
        state, meta = load_model(path, layer_dims=self.layer_dims)
        for key in ("hidden_activation", "output_activation", "batchnorm"):
            if meta[key] != getattr(self, key):
                raise ValueError(f"{path}: {key} is {meta[key]!r} in the file, {getattr(self, key)!r} in this trainer")
        self._set_host_state(state)


def warmup(backend="cpu", dtypes=("float64", "float32")):
    """Compile every kernel a Trainer can call on ``backend`` (or load it from numba's disk cache): each output
    activation with its loss, each optimizer, batch norm and the fused step, for each dtype. Returns seconds."""
    start = time.perf_counter()
    rng = np.random.default_rng(0)
    X = rng.standard_normal((2, 4))
    for dtype in dtypes:
        for output in network.OUTPUT_ACTIVATIONS:
            n_L = 2 if output == "softmax" else 1
            Y = np.eye(n_L)[:, [0, 1, 0, 1]] if output == "softmax" else np.array([[0.0, 1.0, 1.0, 0.0]])
            for optimizer in optim.OPTIMIZERS:
                for extra in ({"batchnorm": True}, {"fused": True}):
                    trainer = Trainer(
                        [2, 3, n_L], "relu", output, optimizer=optimizer, backend=backend, dtype=dtype,
                        progress=False, batch_size=4, **extra
                    )  # fmt: skip
                    trainer._compile(X.astype(dtype), Y.astype(dtype))
    return time.perf_counter() - start


def fit(X, Y, layer_dims, epochs=1, X_val=None, Y_val=None, early_stopping=None, callback=None, **trainer_options):
    """Build a ``Trainer(layer_dims, **trainer_options)`` and fit it; returns (trainer, history)."""
    trainer = Trainer(layer_dims, **trainer_options)
    history = trainer.fit(X, Y, epochs, X_val, Y_val, early_stopping=early_stopping, callback=callback)
    return trainer, history
